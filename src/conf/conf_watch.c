/*
 * Configuration change detection by inotify (see conf_watch.h for what it
 * promises and when it falls back to stat): the instance, its events, and
 * the state of each path.  Which watches a path needs is worked out in
 * conf_watch_path.c.  Mount-table changes (a bind mount swapped over the
 * file or a directory on its way) are not inotify events:
 * /proc/self/mountinfo reports them as POLLPRI (proc(5)), so it is polled
 * beside the inotify descriptor.
 *
 * Descriptors are private to the process that opened them: after fork()
 * the child shares the parent's inotify instance (reading it would steal
 * the parent's events), so it opens its own and stats everything once, as
 * the netlink monitor does (src/net/ifaddr.c).  A descriptor the host
 * program closed shows as POLLNVAL; one it replaced is verified
 * (/proc/self/fd link "anon_inode:inotify") before it is read.  Both are
 * moved to a number >= W_FD_MIN, away from the low numbers a program's own
 * descriptors take after a closefrom().
 */
#include "conf/conf_watch_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>

#include "sys.h"
#include "trace.h"

#define W_FD_MIN 64
#define W_RETRY_NS 1000000000ull /* inotify_init1 failed: try again after */
#define W_READS 64               /* event reads per check (4 KiB each) */

struct wslot {
	char *path;   /* NULL: free */
	uint64_t id;  /* assignment, for tickets */
	bool armed;   /* watches set for the path as it is now */
	bool watched; /* inotify sees every change of the path */
	struct conf_watch_set ws;
	uint64_t seq, confirmed;
	uint64_t used; /* last check that asked (eviction order) */
};

static struct {
	pthread_mutex_t lock;
	int ifd, mfd;
	uint64_t inst;      /* which instance ifd/mfd are (conf_watch_polled) */
	uint64_t epoch;     /* sys_process_epoch() of the opener */
	uint64_t retry_ns;  /* no instance: when to try again */
	uint64_t counter;   /* seq values and slot ids */
	struct wslot s[CONF_WATCH_SLOTS];
} w = { .lock = PTHREAD_MUTEX_INITIALIZER, .ifd = -1, .mfd = -1 };

static pthread_once_t w_once = PTHREAD_ONCE_INIT;

/* This thread's lookup polled the instance (conf_watch_polled) and its
 * events are in the slots: the check needs no poll of its own until the
 * lookup ends (conf_watch_polled_end).  0: not polled. */
static _Thread_local uint64_t tl_polled;

/* Trace events are collected under the lock and emitted after it is
 * released: a trace hook may itself resolve names (and come back here). */
#define W_NOTES 12
static struct {
	unsigned n;
	char text[W_NOTES][384];
} wn;

__attribute__((format(printf, 1, 2))) static void note(const char *fmt, ...)
{
	if (!trace_on() || wn.n >= W_NOTES)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(wn.text[wn.n++], sizeof wn.text[0], fmt, ap);
	va_end(ap);
}

static void note_file(const char *path, const char *what)
{
	if (!trace_on())
		return;
	char safe[256];
	note("file=%s %s", trace_safe(path, safe, sizeof safe), what);
}

static void w_lock(void)
{
	pthread_mutex_lock(&w.lock);
}

static void w_unlock(void)
{
	pthread_mutex_unlock(&w.lock);
}

static void w_init(void)
{
	/* the child must find the lock free (another thread may hold it at
	 * fork) */
	pthread_atfork(w_lock, w_unlock, w_unlock);
}

void conf_watch_init(void)
{
	pthread_once(&w_once, w_init);
}

/* ---- watches -------------------------------------------------------- */

static bool wd_in_use(int wd, const struct wslot *except)
{
	for (unsigned i = 0; i < CONF_WATCH_SLOTS; i++) {
		const struct wslot *sl = &w.s[i];
		if (sl == except || !sl->path)
			continue;
		for (unsigned k = 0; k < sl->ws.n; k++)
			if (sl->ws.w[k].wd == wd)
				return true;
	}
	return false;
}

static void slot_unwatch(struct wslot *sl)
{
	for (unsigned k = 0; k < sl->ws.n; k++) {
		/* watches are per inode: another path may share it (every
		 * file of /etc shares /etc's) */
		bool dup = false;
		for (unsigned j = 0; j < k; j++)
			dup |= sl->ws.w[j].wd == sl->ws.w[k].wd;
		if (!dup && w.ifd >= 0 && !wd_in_use(sl->ws.w[k].wd, sl))
			rfcres_sys.inotify_rm_watch(w.ifd, sl->ws.w[k].wd);
		free(sl->ws.w[k].name);
	}
	sl->ws.n = 0;
	sl->armed = false;
}

static void slot_arm(struct wslot *sl)
{
	slot_unwatch(sl);
	sl->armed = true;
	sl->seq = ++w.counter; /* stat once: the state the watches start from */
	sl->watched = false;
	if (w.ifd < 0 || w.mfd < 0)
		return;
	const char *why;
	int err;
	sl->watched = conf_watch_walk(w.ifd, sl->path, &sl->ws, &why, &err);
	if (!sl->watched) {
		char what[96];
		snprintf(what, sizeof what, "state=stat reason=%s errno=%d",
			 why ? why : "unknown", err);
		note_file(sl->path, what);
		slot_unwatch(sl);
		sl->armed = true;
	} else {
		char what[64];
		snprintf(what, sizeof what, "state=watched watches=%u", sl->ws.n);
		note_file(sl->path, what);
	}
}

static void slot_free(struct wslot *sl)
{
	slot_unwatch(sl);
	free(sl->path);
	memset(sl, 0, sizeof *sl);
}

/* Every path is looked at once more, its watches set again. */
static void all_stale(void)
{
	for (unsigned i = 0; i < CONF_WATCH_SLOTS; i++)
		if (w.s[i].path) {
			w.s[i].seq = ++w.counter;
			w.s[i].armed = false;
		}
}

/* ---- the instance --------------------------------------------------- */

static bool fd_is(int fd, const char *want, bool prefix)
{
	char p[64], link[128];
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	ssize_t n = rfcres_sys.readlink(p, link, sizeof link - 1);
	if (n <= 0)
		return false;
	link[n] = '\0';
	return prefix ? strncmp(link, want, strlen(want)) == 0
		      : strcmp(link, want) == 0;
}

/* Forgets the descriptors; closes them only when they still are ours (a
 * number the program reused is never closed). */
static void instance_drop(void)
{
	if (w.ifd >= 0 && fd_is(w.ifd, "anon_inode:inotify", false))
		rfcres_sys.close(w.ifd);
	if (w.mfd >= 0 && fd_is(w.mfd, "/proc/", true))
		rfcres_sys.close(w.mfd);
	w.ifd = w.mfd = -1;
	for (unsigned i = 0; i < CONF_WATCH_SLOTS; i++) {
		w.s[i].ws.n = 0; /* the watches died with the instance */
		for (unsigned k = 0; k < CONF_WATCH_PER_PATH; k++) {
			free(w.s[i].ws.w[k].name);
			w.s[i].ws.w[k].name = NULL;
		}
	}
	all_stale();
}

static int keep_high(int fd)
{
	int hi = rfcres_sys.fcntl_dupfd(fd, W_FD_MIN);
	if (hi < 0)
		return fd; /* RLIMIT_NOFILE below W_FD_MIN: stay low */
	rfcres_sys.close(fd);
	return hi;
}

static void instance_open(void)
{
	uint64_t now = sys_now_ns();
	if (w.retry_ns && now < w.retry_ns)
		return;
	int ifd = rfcres_sys.inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ifd < 0) {
		/* EMFILE: fs.inotify.max_user_instances or descriptors */
		int e = errno;
		w.retry_ns = now + W_RETRY_NS;
		note("state=unavailable errno=%d fallback=stat", e);
		return;
	}
	int mfd = rfcres_sys.open("/proc/self/mountinfo", O_RDONLY);
	if (mfd < 0) {
		/* no /proc: bind-mount swaps would go unseen */
		int e = errno;
		rfcres_sys.close(ifd);
		w.retry_ns = now + W_RETRY_NS;
		note("state=unavailable errno=%d reason=mountinfo "
		     "fallback=stat",
		     e);
		return;
	}
	w.retry_ns = 0;
	w.ifd = keep_high(ifd);
	w.mfd = keep_high(mfd);
	w.epoch = sys_process_epoch();
	w.inst = ++w.counter;
	all_stale();
}

/* Reads the queued events into the slots' counts. */
static void drain(void)
{
	if (!fd_is(w.ifd, "anon_inode:inotify", false)) {
		/* replaced behind our back: not ours to read or close */
		note("state=lost");
		w.ifd = -1;
		instance_drop();
		return;
	}
	_Alignas(struct inotify_event) char buf[4096];
	for (unsigned r = 0; r < W_READS; r++) {
		ssize_t n = rfcres_sys.read(w.ifd, buf, sizeof buf);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return; /* EAGAIN: empty */
		}
		for (ssize_t off = 0; off + (ssize_t)sizeof(struct inotify_event) <= n;) {
			const struct inotify_event *ev = (const void *)(buf + off);
			off += (ssize_t)(sizeof *ev + ev->len);
			if (ev->mask & IN_Q_OVERFLOW) {
				note("event=overflow fallback=stat-all");
				all_stale();
				continue;
			}
			for (unsigned i = 0; i < CONF_WATCH_SLOTS; i++) {
				struct wslot *sl = &w.s[i];
				for (unsigned k = 0; sl->path && k < sl->ws.n; k++) {
					const struct conf_watch_one *ww = &sl->ws.w[k];
					if (ww->wd != ev->wd ||
					    (ww->name && ev->len &&
					     strcmp(ww->name, ev->name) != 0))
						continue;
					/* the inode behind a name may be
					 * another one now: watch again */
					sl->seq = ++w.counter;
					sl->armed = false;
					break;
				}
			}
		}
	}
	/* more than W_READS buffers queued: whatever is left is read next
	 * time; say "look" for everything now */
	all_stale();
}

/* What one poll() over both descriptors reported (pf as filled by
 * fill_pollfds, r the poll's result). */
static void handle_poll(const struct pollfd pf[2], int r)
{
	if (r <= 0)
		return; /* nothing, or EINTR: the next check looks again */
	if ((pf[0].revents | pf[1].revents) & POLLNVAL) {
		/* closed behind our back (closefrom): never ours to close */
		note("state=lost");
		if (pf[0].revents & POLLNVAL)
			w.ifd = -1;
		if (pf[1].revents & POLLNVAL)
			w.mfd = -1;
		instance_drop();
		return;
	}
	if (pf[1].revents & (POLLPRI | POLLERR)) {
		note("event=mount");
		all_stale();
	}
	if (pf[0].revents & (POLLIN | POLLERR))
		drain();
}

static void fill_pollfds(struct pollfd pf[2])
{
	pf[0] = (struct pollfd){ .fd = w.ifd, .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = w.mfd, .events = POLLPRI };
}

/* One poll() over both descriptors: the whole cost of a quiet check. */
static void poll_changes(void)
{
	struct pollfd pf[2];
	fill_pollfds(pf);
	handle_poll(pf, rfcres_sys.poll(pf, 2, 0));
}

/* Any path watched: a poll tells something (otherwise the stats say it
 * all and the poll would be one system call more). */
static bool any_watched(void)
{
	for (unsigned i = 0; i < CONF_WATCH_SLOTS; i++)
		if (w.s[i].path && w.s[i].armed && w.s[i].watched)
			return true;
	return false;
}

/* Trace events collected under the lock, emitted once it is released. */
static void unlock_and_trace(void)
{
	unsigned nn = wn.n;
	char texts[W_NOTES][384];
	if (nn)
		memcpy(texts, wn.text, nn * sizeof texts[0]);
	wn.n = 0;
	w_unlock();
	for (unsigned i = 0; i < nn; i++)
		trace_emit(RFCRES_TRACE_CONF, "conf.watch", "%s", texts[i]);
}

/* ---- the interface -------------------------------------------------- */

static struct wslot *slot_for(const char *path)
{
	struct wslot *free_sl = NULL, *lru = NULL;
	for (unsigned i = 0; i < CONF_WATCH_SLOTS; i++) {
		struct wslot *sl = &w.s[i];
		if (!sl->path) {
			free_sl = free_sl ? free_sl : sl;
			continue;
		}
		if (strcmp(sl->path, path) == 0)
			return sl;
		if (!lru || sl->used < lru->used)
			lru = sl;
	}
	struct wslot *sl = free_sl ? free_sl : lru;
	if (sl->path)
		slot_free(sl);
	sl->path = strdup(path);
	if (!sl->path)
		return NULL;
	sl->id = ++w.counter;
	sl->seq = ++w.counter;
	return sl;
}

unsigned conf_watch_check(const char *const *paths, unsigned n,
			  struct conf_watch_ticket *t)
{
	pthread_once(&w_once, w_init);
	if (n > CONF_WATCH_MAXPATHS)
		n = CONF_WATCH_MAXPATHS;
	unsigned mask = 0;
	t->n = n;
	w_lock();
	if (w.ifd >= 0 && w.epoch != sys_process_epoch()) {
		/* fork: the instance is the parent's */
		note("state=inherited");
		instance_drop();
	}
	if (w.ifd < 0)
		instance_open();
	/* Nothing watched (every path on overlayfs, say): no poll.  Polled
	 * by this thread's lookup already (conf_watch_polled, the same
	 * instance): its events are in the slots. */
	if (w.ifd >= 0 && any_watched() && tl_polled != w.inst)
		poll_changes();
	uint64_t tick = ++w.counter;
	for (unsigned i = 0; i < n; i++) {
		struct wslot *sl = paths[i] ? slot_for(paths[i]) : NULL;
		t->slot[i] = -1;
		t->seq[i] = 0;
		if (!sl) {
			mask |= 1u << i;
			continue;
		}
		sl->used = tick;
		if (!sl->armed) {
			slot_arm(sl);
			/* re-arming queues events of its own (IN_IGNORED of a
			 * removed watch): the lookup's next check polls
			 * again and takes them, as before the shared poll */
			tl_polled = 0;
		}
		t->slot[i] = (int)(sl - w.s);
		t->id[i] = sl->id;
		t->seq[i] = sl->seq;
		if (!sl->watched || sl->seq != sl->confirmed)
			mask |= 1u << i;
	}
	unlock_and_trace();
	return mask;
}

int conf_watch_pollfds(struct pollfd pf[2], uint64_t *id)
{
	pthread_once(&w_once, w_init);
	int n = 0;
	*id = 0;
	w_lock();
	/* an inherited instance is the parent's: the check reopens it */
	if (w.ifd >= 0 && w.mfd >= 0 && w.epoch == sys_process_epoch() &&
	    any_watched()) {
		fill_pollfds(pf);
		*id = w.inst;
		n = 2;
	}
	w_unlock();
	return n;
}

void conf_watch_polled(const struct pollfd pf[2], uint64_t id, int r)
{
	w_lock();
	/* Another thread may have dropped or replaced the instance since
	 * conf_watch_pollfds: then these revents are about descriptors that
	 * are not ours now, and the check polls itself. */
	if (id && id == w.inst && w.ifd == pf[0].fd && w.mfd == pf[1].fd &&
	    w.epoch == sys_process_epoch() && r >= 0) {
		handle_poll(pf, r);
		/* handle_poll may have dropped the instance (inst unchanged,
		 * ifd -1): the check opens a new one and polls that */
		tl_polled = w.ifd >= 0 ? w.inst : 0;
	}
	unlock_and_trace();
}

void conf_watch_polled_end(void)
{
	tl_polled = 0;
}

void conf_watch_confirm(const struct conf_watch_ticket *t, unsigned mask)
{
	w_lock();
	for (unsigned i = 0; i < t->n; i++) {
		if (!(mask & (1u << i)) || t->slot[i] < 0)
			continue;
		struct wslot *sl = &w.s[t->slot[i]];
		/* a slot given to another path since the check has another
		 * id; an event since the check has made seq larger */
		if (sl->path && sl->id == t->id[i] && t->seq[i] > sl->confirmed)
			sl->confirmed = t->seq[i];
	}
	w_unlock();
}

void conf_watch_reset(void)
{
	pthread_once(&w_once, w_init);
	w_lock();
	for (unsigned i = 0; i < CONF_WATCH_SLOTS; i++)
		if (w.s[i].path)
			slot_free(&w.s[i]);
	if (w.ifd >= 0 || w.mfd >= 0)
		instance_drop();
	w.retry_ns = 0;
	tl_polled = 0;
	w_unlock();
}

bool conf_watch_is_watched(const char *path)
{
	bool r = false;
	pthread_once(&w_once, w_init);
	w_lock();
	for (unsigned i = 0; i < CONF_WATCH_SLOTS; i++)
		if (w.s[i].path && strcmp(w.s[i].path, path) == 0)
			r = w.s[i].armed && w.s[i].watched;
	w_unlock();
	return r;
}
