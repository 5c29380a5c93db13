/*
 * The configuration watcher (conf_watch.c) through conf_acquire(), on real
 * files: a quiet lookup stats nothing, every kind of change is still seen
 * (in-place edit, rename over, delete + create, symlink retarget through
 * another directory, bind mount edited at its source and swapped), and
 * each fallback -- queue overflow, no inotify instance (EMFILE), no watch
 * (ENOSPC), a descriptor closed or replaced by the program, fork -- is
 * traced and still sees changes.  Last, 16 threads acquire while
 * resolv.conf is replaced as fast as rename() goes (bounded): every
 * snapshot is consistent, the last version is seen, nothing leaks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "conf/conf_snapshot.h"
#include "conf/conf_watch.h"
#include "rfcres.h"
#include "sys.h"

static char dir[64];
static char p_resolv[160], p_gai[160], p_hosts[160];
static struct conf_stats baseline;

/* ---- trace capture ---------------------------------------------------- */

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static char watch_ev[32][160];
static unsigned nwatch_ev;

static void hook(const struct rfcres_trace_event *ev, void *arg)
{
	(void)arg;
	if (strcmp(ev->name, "conf.watch") != 0)
		return;
	pthread_mutex_lock(&ev_lock);
	if (nwatch_ev < 32) {
		char *o = watch_ev[nwatch_ev];
		o[0] = '\0';
		for (size_t i = 0; i < ev->nfields; i++) {
			size_t l = strlen(o);
			snprintf(o + l, 160 - l, "%s=%s ", ev->fields[i].key,
				 ev->fields[i].value);
		}
	}
	nwatch_ev++;
	pthread_mutex_unlock(&ev_lock);
}

static bool saw_event(const char *needle)
{
	bool r = false;
	pthread_mutex_lock(&ev_lock);
	for (unsigned i = 0; i < nwatch_ev && i < 32; i++)
		r |= strstr(watch_ev[i], needle) != NULL;
	pthread_mutex_unlock(&ev_lock);
	return r;
}

static void reset_events(void)
{
	pthread_mutex_lock(&ev_lock);
	nwatch_ev = 0;
	pthread_mutex_unlock(&ev_lock);
}

/* ---- files ------------------------------------------------------------ */

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	size_t len = strlen(text);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void rename_over(const char *path, const char *text)
{
	char tmp[200];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	write_file(tmp, text);
	assert_int_equal(rename(tmp, path), 0);
}

static int fixed_hostname(char *name, size_t len)
{
	snprintf(name, len, "testhost");
	return 0;
}

static unsigned nstat;
static int count_stat(const char *p, struct stat *st)
{
	nstat++;
	return stat(p, st);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/rfcres-watch-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(p_resolv, sizeof p_resolv, "%s/resolv.conf", dir);
	snprintf(p_gai, sizeof p_gai, "%s/gai.conf", dir);
	snprintf(p_hosts, sizeof p_hosts, "%s/hosts", dir);
	write_file(p_resolv, "nameserver 127.0.0.2\n");
	write_file(p_gai, "");
	write_file(p_hosts, "192.0.2.1 one.example\n");
	setenv(CONF_ENV_RESOLV, p_resolv, 1);
	setenv(CONF_ENV_GAI, p_gai, 1);
	setenv(CONF_ENV_HOSTS, p_hosts, 1);
	unsetenv("LOCALDOMAIN");
	unsetenv("RES_OPTIONS");
	conf_set_hostname_fn(fixed_hostname);
	sys_reset();
	conf_watch_reset();
	conf_cache_clear();
	conf_stats(&baseline);
	reset_events();
	rfcres_set_trace(hook, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rfcres_set_trace(NULL, NULL);
	conf_cache_clear();
	sys_reset();
	conf_watch_reset();
	struct conf_stats st;
	conf_stats(&st);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(st.snapshots_live, baseline.snapshots_live);
	assert_int_equal(st.parts_live, baseline.parts_live);
	return 0;
}

static unsigned ns_octet(void)
{
	struct conf_snapshot *s = conf_acquire();
	const struct conf_server *srv = &s->resolv->ns[0];
	unsigned o = srv->addr.sa.sa_family == AF_INET
			     ? ntohl(srv->addr.sin.sin_addr.s_addr) & 255
			     : 0;
	conf_release(s);
	return o;
}

/* The directory is on a local file system here (ext4, tmpfs): if not,
 * the watcher rightly stats and these tests have nothing to show. */
static bool watched_or_skip(const char *path)
{
	(void)ns_octet();
	if (!conf_watch_is_watched(path)) {
		print_message("%s is not watched here (file system?): "
			      "skipped\n", path);
		return false;
	}
	return true;
}

/* Quiet: no stat at all; then one change of each kind, each seen by the
 * very next acquire. */
static void test_change_kinds(void **state)
{
	(void)state;
	assert_int_equal(ns_octet(), 2);
	if (!watched_or_skip(p_resolv))
		skip();
	rfcres_sys.stat = count_stat;
	nstat = 0;
	for (int i = 0; i < 5; i++)
		assert_int_equal(ns_octet(), 2);
	assert_int_equal(nstat, 0);

	/* in place, same size, mtime put back: only ctime tells */
	struct stat before;
	assert_int_equal(stat(p_resolv, &before), 0);
	write_file(p_resolv, "nameserver 127.0.0.3\n");
	struct timespec ts[2] = { before.st_atim, before.st_mtim };
	assert_int_equal(utimensat(AT_FDCWD, p_resolv, ts, 0), 0);
	assert_int_equal(ns_octet(), 3);
	/* rename over */
	rename_over(p_resolv, "nameserver 127.0.0.4\n");
	assert_int_equal(ns_octet(), 4);
	/* delete + create */
	assert_int_equal(unlink(p_resolv), 0);
	assert_int_equal(ns_octet(), 1); /* absent: the 127.0.0.1 default */
	write_file(p_resolv, "nameserver 127.0.0.5\n");
	assert_int_equal(ns_octet(), 5);
	/* quiet again: stats only for what changed, then none */
	nstat = 0;
	assert_int_equal(ns_octet(), 5);
	assert_int_equal(nstat, 0);
}

/* resolv.conf -> d2/link -> d3/a.conf: retargeting the link in d2 (a
 * directory that is neither the file's nor the path's) is seen. */
static void test_symlink_chain(void **state)
{
	(void)state;
	char d2[128], d3[128], link2[200], a[200], b[200];
	snprintf(d2, sizeof d2, "%s/d2", dir);
	snprintf(d3, sizeof d3, "%s/d3", dir);
	assert_int_equal(mkdir(d2, 0755), 0);
	assert_int_equal(mkdir(d3, 0755), 0);
	snprintf(link2, sizeof link2, "%s/link", d2);
	snprintf(a, sizeof a, "%s/a.conf", d3);
	snprintf(b, sizeof b, "%s/b.conf", d3);
	write_file(a, "nameserver 127.0.0.6\n");
	write_file(b, "nameserver 127.0.0.7\n");
	assert_int_equal(symlink(a, link2), 0);
	assert_int_equal(unlink(p_resolv), 0);
	assert_int_equal(symlink("d2/link", p_resolv), 0);
	assert_int_equal(ns_octet(), 6);
	if (!watched_or_skip(p_resolv))
		skip();
	rfcres_sys.stat = count_stat;
	nstat = 0;
	assert_int_equal(ns_octet(), 6);
	assert_int_equal(nstat, 0);
	/* retarget the middle link, the way ln -sfn does (rename over) */
	char tmp[220];
	snprintf(tmp, sizeof tmp, "%s.new", link2);
	assert_int_equal(symlink(b, tmp), 0);
	assert_int_equal(rename(tmp, link2), 0);
	assert_int_equal(ns_octet(), 7);
	/* and the final file edited in place */
	write_file(b, "nameserver 127.0.0.8\n");
	assert_int_equal(ns_octet(), 8);
}

/* Bind mounts (root, in a private mount namespace of a child): an edit
 * made through the source path reaches the file's inode watch; a bind
 * mount swapped over the file is a mount-table change. */
static int bind_child(void)
{
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return 77;
	char src[200], other[200];
	snprintf(src, sizeof src, "%s/src.conf", dir);
	snprintf(other, sizeof other, "%s/other.conf", dir);
	write_file(src, "nameserver 127.0.0.10\n");
	write_file(other, "nameserver 127.0.0.11\n");
	if (mount(src, p_resolv, NULL, MS_BIND, NULL) != 0)
		return 77;
	conf_watch_reset();
	conf_cache_clear();
	if (ns_octet() != 10)
		return 101;
	if (!conf_watch_is_watched(p_resolv))
		return 102;
	rfcres_sys.stat = count_stat;
	nstat = 0;
	if (ns_octet() != 10 || nstat != 0)
		return 103;
	/* edited in place through the source path (same size) */
	write_file(src, "nameserver 127.0.0.12\n");
	if (ns_octet() != 12)
		return 104;
	/* another file bind-mounted over it */
	if (mount(other, p_resolv, NULL, MS_BIND, NULL) != 0)
		return 105;
	if (ns_octet() != 11)
		return 106;
	if (umount(p_resolv) != 0)
		return 107;
	if (ns_octet() != 12)
		return 108;
	if (!saw_event("event=mount"))
		return 109;
	sys_reset();
	conf_cache_clear();
	conf_watch_reset();
	return 0;
}

static void test_bind_mount(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("not root: bind mount test skipped\n");
		skip();
	}
	(void)ns_octet();
	if (!watched_or_skip(p_resolv))
		skip();
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(bind_child());
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		print_message("no mount namespace here: skipped\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* IN_Q_OVERFLOW: the kernel dropped events.  The read is replaced so that
 * the change's own events are lost and only the overflow arrives. */
static atomic_bool overflow_mode;
static ssize_t overflow_read(int fd, void *buf, size_t len)
{
	char link[64], p[64];
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(p, link, sizeof link - 1);
	if (n > 0)
		link[n] = '\0';
	if (n <= 0 || strcmp(link, "anon_inode:inotify") != 0 ||
	    !atomic_load(&overflow_mode))
		return read(fd, buf, len);
	char junk[4096];
	while (read(fd, junk, sizeof junk) > 0)
		; /* the real events are "lost" */
	atomic_store(&overflow_mode, false);
	struct inotify_event ev = { .wd = -1, .mask = IN_Q_OVERFLOW };
	memcpy(buf, &ev, sizeof ev);
	return (ssize_t)sizeof ev;
}

static void test_queue_overflow(void **state)
{
	(void)state;
	if (!watched_or_skip(p_resolv))
		skip();
	rfcres_sys.read = overflow_read;
	rename_over(p_hosts, "192.0.2.9 nine.example\n");
	write_file(p_resolv, "nameserver 127.0.0.9\n");
	atomic_store(&overflow_mode, true);
	rfcres_sys.stat = count_stat;
	nstat = 0;
	assert_int_equal(ns_octet(), 9);
	assert_true(saw_event("event=overflow"));
	assert_true(nstat >= 3); /* every file looked at once */
	struct conf_snapshot *s = conf_acquire();
	const struct conf_hosts_entry *e[2];
	assert_int_equal(conf_hosts_by_name(s->hosts, "nine.example", 0, e, 2),
			 1);
	conf_release(s);
	nstat = 0;
	assert_int_equal(ns_octet(), 9);
	assert_int_equal(nstat, 0); /* and watched again */
}

/* No inotify instance (EMFILE from inotify_init1, as with
 * fs.inotify.max_user_instances reached): stat, traced, changes seen. */
static int fail_init(int flags)
{
	(void)flags;
	errno = EMFILE;
	return -1;
}

static void test_no_instance(void **state)
{
	(void)state;
	rfcres_sys.inotify_init1 = fail_init;
	conf_watch_reset();
	conf_cache_clear();
	rfcres_sys.stat = count_stat;
	nstat = 0;
	assert_int_equal(ns_octet(), 2);
	assert_true(saw_event("state=unavailable errno=24"));
	assert_false(conf_watch_is_watched(p_resolv));
	nstat = 0;
	assert_int_equal(ns_octet(), 2);
	assert_int_equal(nstat, 4);
	write_file(p_resolv, "nameserver 127.0.0.13\n");
	assert_int_equal(ns_octet(), 13);
}

/* No watch (ENOSPC from inotify_add_watch: max_user_watches reached) for
 * hosts only: hosts is stat'ed, the others are not. */
static int fail_hosts_watch(int fd, const char *path, uint32_t mask)
{
	if (strstr(path, "/hosts")) {
		errno = ENOSPC;
		return -1;
	}
	return inotify_add_watch(fd, path, mask);
}

static void test_no_watch(void **state)
{
	(void)state;
	rfcres_sys.inotify_add_watch = fail_hosts_watch;
	conf_watch_reset();
	conf_cache_clear();
	(void)ns_octet();
	if (!conf_watch_is_watched(p_resolv))
		skip();
	assert_false(conf_watch_is_watched(p_hosts));
	assert_true(saw_event("state=stat reason=add-watch errno=28"));
	rfcres_sys.stat = count_stat;
	nstat = 0;
	(void)ns_octet();
	assert_int_equal(nstat, 1);
	rename_over(p_hosts, "192.0.2.4 four.example\n");
	struct conf_snapshot *s = conf_acquire();
	const struct conf_hosts_entry *e[2];
	assert_int_equal(conf_hosts_by_name(s->hosts, "four.example", 0, e, 2),
			 1);
	conf_release(s);
}

/* No path watchable (as with /etc on overlayfs): four stats (resolv.conf,
 * gai.conf, hosts, nsswitch.conf), and not the watcher's poll on top -- no more system calls than before it. */
static int fail_all_watches(int fd, const char *path, uint32_t mask)
{
	(void)fd;
	(void)path;
	(void)mask;
	errno = ENOSPC;
	return -1;
}

static unsigned npoll;
static int count_poll(struct pollfd *f, nfds_t n, int ms)
{
	npoll++;
	return poll(f, n, ms);
}

static void test_all_stat_no_poll(void **state)
{
	(void)state;
	rfcres_sys.inotify_add_watch = fail_all_watches;
	conf_watch_reset();
	conf_cache_clear();
	(void)ns_octet();
	assert_false(conf_watch_is_watched(p_resolv));
	rfcres_sys.stat = count_stat;
	rfcres_sys.poll = count_poll;
	nstat = npoll = 0;
	assert_int_equal(ns_octet(), 2);
	assert_int_equal(nstat, 4);
	assert_int_equal(npoll, 0);
	write_file(p_resolv, "nameserver 127.0.0.18\n");
	assert_int_equal(ns_octet(), 18);
}

/* The lookup's shared poll (src/gai/gai_quiet.c): the events it reports
 * are taken in by conf_watch_polled, the checks of that lookup poll no
 * more, and an edit after the poll is seen by the next lookup. */
static void shared_poll(void)
{
	struct pollfd pf[3];
	uint64_t id = 0;
	int n = conf_watch_pollfds(pf, &id);
	assert_int_equal(n, 2);
	assert_true(id != 0);
	int r = poll(pf, (nfds_t)n, 0);
	conf_watch_polled(pf, id, r);
}

static void test_shared_poll(void **state)
{
	(void)state;
	if (!watched_or_skip(p_resolv))
		return;
	(void)ns_octet(); /* settle: the arming's own events taken */
	rfcres_sys.stat = count_stat;
	rfcres_sys.poll = count_poll;

	/* quiet: the lookup's checks neither poll nor stat */
	shared_poll();
	nstat = npoll = 0;
	assert_int_equal(ns_octet(), 2);
	assert_int_equal(ns_octet(), 2);
	assert_int_equal(npoll, 0);
	assert_int_equal(nstat, 0);

	/* an edit during the lookup: queued, not lost */
	write_file(p_resolv, "nameserver 127.0.0.21\n");
	conf_watch_polled_end();
	shared_poll(); /* the next lookup's poll reports it */
	assert_int_equal(ns_octet(), 21);
	conf_watch_polled_end();

	/* an edit before the poll: the poll reports it */
	rename_over(p_resolv, "nameserver 127.0.0.22\n");
	shared_poll();
	assert_int_equal(ns_octet(), 22);
	conf_watch_polled_end();

	/* no shared poll: the check polls itself */
	npoll = 0;
	write_file(p_resolv, "nameserver 127.0.0.23\n");
	assert_int_equal(ns_octet(), 23);
	assert_true(npoll >= 1);
}

/* The program closes our descriptors (closefrom) or puts its own there. */
static void test_descriptor_stolen(void **state)
{
	(void)state;
	if (!watched_or_skip(p_resolv))
		skip();
	/* closed: POLLNVAL, a new instance, changes seen */
	for (int fd = 3; fd < 1024; fd++) {
		char p[64], link[64];
		snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
		ssize_t n = readlink(p, link, sizeof link - 1);
		if (n > 0 && (link[n] = '\0', strcmp(link, "anon_inode:inotify") == 0))
			close(fd);
	}
	write_file(p_resolv, "nameserver 127.0.0.14\n");
	assert_int_equal(ns_octet(), 14);
	assert_true(saw_event("state=lost"));
	assert_int_equal(ns_octet(), 14);
	assert_true(conf_watch_is_watched(p_resolv));
	/* replaced by a readable pipe: verified, not read, not closed */
	int ifd = -1;
	for (int fd = 3; fd < 1024 && ifd < 0; fd++) {
		char p[64], link[64];
		snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
		ssize_t n = readlink(p, link, sizeof link - 1);
		if (n > 0 && (link[n] = '\0', strcmp(link, "anon_inode:inotify") == 0))
			ifd = fd;
	}
	assert_true(ifd >= 0);
	int pp[2];
	assert_int_equal(pipe(pp), 0);
	assert_int_equal(write(pp[1], "x", 1), 1);
	assert_int_equal(dup2(pp[0], ifd), ifd);
	reset_events();
	write_file(p_resolv, "nameserver 127.0.0.15\n");
	assert_int_equal(ns_octet(), 15);
	assert_true(saw_event("state=lost"));
	char c;
	assert_int_equal(read(ifd, &c, 1), 1); /* the program's byte is there */
	close(ifd);
	close(pp[0]);
	close(pp[1]);
	assert_int_equal(ns_octet(), 15);
}

/* fork: the child opens its own instance (reading the parent's would
 * steal its events); both see their changes. */
static void test_fork(void **state)
{
	(void)state;
	if (!watched_or_skip(p_resolv))
		skip();
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int ok = ns_octet() == 2;
		write_file(p_resolv, "nameserver 127.0.0.16\n");
		ok &= ns_octet() == 16;
		ok &= saw_event("state=inherited");
		_exit(ok ? 0 : 1);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the child's change is the parent's file too */
	assert_int_equal(ns_octet(), 16);
	write_file(p_resolv, "nameserver 127.0.0.17\n");
	assert_int_equal(ns_octet(), 17);
}

/* A trace hook that itself resolves (takes a snapshot) on every
 * conf.watch event: events are emitted outside the watcher's lock, so
 * this neither deadlocks nor recurses without end. */
static __thread int hook_depth;
static unsigned reentered;
static void resolving_hook(const struct rfcres_trace_event *ev, void *arg)
{
	(void)arg;
	if (strcmp(ev->name, "conf.watch") != 0 || hook_depth)
		return;
	hook_depth++;
	conf_release(conf_acquire());
	reentered++;
	hook_depth--;
}

static void test_trace_hook_resolves(void **state)
{
	(void)state;
	rfcres_set_trace(resolving_hook, NULL);
	conf_watch_reset();
	conf_cache_clear();
	reentered = 0;
	assert_int_equal(ns_octet(), 2); /* arms: conf.watch events */
	rfcres_set_trace(hook, NULL);
	assert_true(reentered >= 1);
}

/* ---- 16 threads against a file replaced as fast as rename goes ------- */

static atomic_int stop_readers;
static atomic_long bad_snapshots, acquires;

/* Every version writes "nameserver 127.0.0.V" and "search vV.test": a
 * snapshot mixing two versions would show two different numbers. */
static void *reader(void *arg)
{
	(void)arg;
	for (long i = 0; i < 200000 && !atomic_load(&stop_readers); i++) {
		struct conf_snapshot *s = conf_acquire();
		const struct conf_resolv *r = s->resolv;
		unsigned o = ntohl(r->ns[0].addr.sin.sin_addr.s_addr) & 255;
		unsigned v = 0;
		if (r->nsearch != 1 || sscanf(r->search[0], "v%u.test", &v) != 1 ||
		    v != o)
			atomic_fetch_add(&bad_snapshots, 1);
		conf_release(s);
		atomic_fetch_add(&acquires, 1);
	}
	return NULL;
}

static void test_threads_replacing(void **state)
{
	(void)state;
	char text[128];
	snprintf(text, sizeof text, "nameserver 127.0.0.20\nsearch v20.test\n");
	rename_over(p_resolv, text);
	pthread_t th[16];
	atomic_store(&stop_readers, 0);
	for (int i = 0; i < 16; i++)
		assert_int_equal(pthread_create(&th[i], NULL, reader, NULL), 0);
	/* bounded: 2,000 replacements or 2 s, whichever first */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned n = 0, last = 20;
	for (; n < 2000; n++) {
		last = 20 + n % 200;
		snprintf(text, sizeof text,
			 "nameserver 127.0.0.%u\nsearch v%u.test\n", last, last);
		rename_over(p_resolv, text);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (t1.tv_sec - t0.tv_sec >= 2)
			break;
	}
	double secs = (double)(t1.tv_sec - t0.tv_sec) +
		      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	atomic_store(&stop_readers, 1);
	for (int i = 0; i < 16; i++)
		pthread_join(th[i], NULL);
	print_message("%u replacements in %.2f s (%.0f/s), %ld acquires\n", n,
		      secs, n / (secs > 0 ? secs : 1), atomic_load(&acquires));
	assert_true(n >= 100);
	assert_int_equal(atomic_load(&bad_snapshots), 0);
	assert_int_equal(ns_octet(), last);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_change_kinds),     T(test_symlink_chain),
		T(test_bind_mount),       T(test_queue_overflow),
		T(test_no_instance),      T(test_no_watch),
		T(test_all_stat_no_poll),
		T(test_shared_poll),
		T(test_descriptor_stolen), T(test_fork),
		T(test_trace_hook_resolves), T(test_threads_replacing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
