/*
 * Local address inventory (DESIGN "Local addresses"): the cache and its
 * change monitor.  Objects and builder: ifaddr_inv.c; parsers:
 * ifaddr_parse.c; the kernel dump: ifaddr_dump.c.
 *
 * Source: an rtnetlink RTM_GETLINK + RTM_GETADDR dump, which unlike
 * getifaddrs() reports the IPv6 address flags (tentative, deprecated,
 * temporary, home, dadfailed; the 32-bit IFA_FLAGS attribute when present)
 * and the link type needed for RFC 6724 rule 7.
 *
 * Cache: glibc's __check_pf re-dumps on every AI_ADDRCONFIG lookup unless
 * nscd tells it nothing changed.  We keep one netlink socket subscribed to
 * RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR; each acquire drains
 * it without blocking and rebuilds only if the kernel sent anything (or
 * reported ENOBUFS: notifications were lost).  The socket is opened BEFORE
 * the dump, so a change racing with the dump is either in the dump or
 * queued for the next acquire.
 *
 * Hostile hosts: in an LD_PRELOADed library the program may close our
 * descriptor (closefrom) and reuse the number, or fork.  Before touching
 * the descriptor we check that it still is our socket (getsockname gives
 * AF_NETLINK, our port id and our groups) and that we are the process that
 * opened it; otherwise it is forgotten (never closed unless verified ours)
 * and a fresh socket + dump is made.  Reading an inherited socket in a child
 * would steal the parent's notifications, so the process check comes first.
 *
 * A lookup's shared poll (src/gai/gai_quiet.c, ifaddr_pollfd/ifaddr_polled)
 * that found the monitor quiet vouches for it until the lookup ends: no
 * read, and the getsockname() check at most once a second (a closed
 * number shows POLLNVAL; only a number reused for a quiet descriptor hides
 * behind a quiet poll).  The namespace and process checks run regardless.
 *
 * The validated monitor also carries other modules' netlink requests
 * (ifaddr_netlink_exchange: the RTM_GETROUTE source probe), so they need
 * neither a socket nor a validation of their own.
 *
 * Fallback: where netlink is unavailable (seccomp EPERM, non-Linux kernels)
 * getifaddrs() is used; without a change monitor the inventory is rebuilt
 * when it is older than IFADDR_UNMONITORED_NS.
 */
#include "ifaddr_priv.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sys.h"
#include "trace.h"

/* Links and addresses rebuild the inventory; routes and policy rules only
 * move the route generation (the source cache's validity, issue 16). */
#define IFADDR_GROUPS                                                   \
	(IFNL_GRP_LINK | IFNL_GRP_IPV4_IFADDR | IFNL_GRP_IPV6_IFADDR |  \
	 IFNL_GRP_IPV4_ROUTE | IFNL_GRP_IPV4_RULE | IFNL_GRP_IPV6_ROUTE | \
	 IFNL_GRP_IPV6_RULE)
#define IFADDR_UNMONITORED_NS 1000000000ull   /* fallback cache lifetime */
#define IFADDR_DRAIN_MAX 1024u
/* A monitor vouched for by a poll (ifaddr_polled) is still checked with
 * getsockname() this often: a descriptor the program closed and replaced
 * with one that stays quiet shows no POLLNVAL. */
#define IFADDR_REVALIDATE_NS 1000000000ull

static struct {
	pthread_mutex_t lock;
	struct ifaddr_inv *cur;
	int fd;            /* change monitor, -1 if none */
	uint32_t portid;
	uint64_t mon_id;   /* which monitor fd is (ifaddr_polled) */
	uint64_t valid_ns; /* last getsockname() that found fd ours */
	uint64_t epoch;    /* sys_process_epoch() of the process that opened fd */
	bool forked;       /* set in the child by pthread_atfork */
	bool notified;     /* an exchange on fd read a change notification */
	bool retry;        /* last rebuild failed: the monitor was drained
			    * but the change is not in cur */
	uint64_t built_ns; /* when cur was built (unmonitored expiry) */
	uint64_t gen;
	uint64_t routes;   /* route generation (ifaddr_acquire_routes) */
	dev_t ns_dev;      /* network namespace cur was built in, */
	ino_t ns_ino;      /* 0/0 if /proc is unavailable */
} st = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1, .routes = 1 };

static atomic_uint_fast64_t rebuild_count;
static uint64_t mon_ids;

/* This thread's lookup polled the monitor and found it quiet
 * (ifaddr_polled): its acquires need not read it until the lookup ends
 * (ifaddr_polled_end).  The monitor's mon_id, 0 if not. */
static _Thread_local uint64_t tl_quiet;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* What happened during one acquire; traced after the lock is dropped so a
 * trace hook may itself resolve names. */
struct ifaddr_note {
	const char *reason;   /* why rebuilt, NULL if served from cache */
	const char *monitor;  /* monitor event, or NULL */
	int monitor_err;
	int nl_err;           /* netlink dump error, 0 if none */
	int err;              /* final error (kept old inventory), 0 if ok */
	size_t n;
	bool from_netlink;
	uint64_t gen;
	uint64_t routes;      /* route generation moved to this, or 0 */
};

static void atfork_prepare(void)
{
	pthread_mutex_lock(&st.lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&st.lock);
}

static void atfork_child(void)
{
	st.forked = true;
	pthread_mutex_unlock(&st.lock);
}

static void register_atfork(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* The calling thread's network namespace (setns/unshare are per thread).
 *
 * Nothing cheaper can tell: setns() and unshare() leave no trace in our
 * sockets (they stay in the namespace they were made in), and a process
 * may call them directly or through syscall(), so only asking the kernel
 * about this thread works -- once per acquire.  readlink() of the ns link
 * ("net:[4026531993]") names the namespace by its nsfs inode, like stat()
 * would, for half the cost (measured 2.8 vs 5.0 us here): stat() also
 * follows the link into nsfs.  The device is nsfs's single one, so the
 * inode alone identifies the namespace (namespaces(7)).  Without /proc
 * (or before Linux 3.17, no thread-self) both are 0: no detection, as
 * before. */
static void netns_id(dev_t *dev, ino_t *ino)
{
	char link[64];
	*dev = 0;
	*ino = 0;
	ssize_t n = rfcres_sys.readlink("/proc/thread-self/ns/net", link,
					sizeof(link) - 1);
	if (n <= 0)
		return;
	link[n] = '\0';
	if (strncmp(link, "net:[", 5) != 0)
		return;
	unsigned long long v = 0;
	const char *p = link + 5;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (~0ull - 9) / 10)
			return;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (*p != ']' || p[1] != '\0' || v == 0)
		return;
	*ino = (ino_t)v;
}

static bool mon_is_ours(void)
{
	struct ifnl_sockaddr sa;
	memset(&sa, 0, sizeof(sa));
	socklen_t sl = sizeof(sa);
	if (rfcres_sys.getsockname(st.fd, (struct sockaddr *)(void *)&sa,
				   &sl) != 0)
		return false;
	return sl >= sizeof(sa) && sa.nl_family == AF_NETLINK &&
	       sa.nl_pid == st.portid && sa.nl_groups == IFADDR_GROUPS;
}

static void mon_open(struct ifaddr_note *note)
{
	uint32_t portid = 0;
	int fd = ifaddr_nl_open(IFADDR_GROUPS, &portid);
	if (fd < 0) {
		note->monitor = "unavailable";
		note->monitor_err = -fd;
		return;
	}
	st.fd = fd;
	st.portid = portid;
	st.mon_id = ++mon_ids;
	st.valid_ns = sys_now_ns();
	st.epoch = sys_process_epoch();
}

/* Route and policy-rule notifications: they change which source the
 * kernel picks, not the inventory. */
static bool only_routes(const unsigned char *buf, size_t len)
{
	size_t off = 0;
	while (len - off >= sizeof(struct ifnl_hdr)) {
		struct ifnl_hdr h;
		memcpy(&h, buf + off, sizeof h);
		if (h.len < sizeof h || h.len > len - off)
			return false;
		if (h.type != IFNL_RTM_NEWROUTE && h.type != IFNL_RTM_DELROUTE &&
		    h.type != IFNL_RTM_NEWRULE && h.type != IFNL_RTM_DELRULE)
			return false;
		off += IFNL_ALIGN(h.len);
		if (off > len)
			break;
	}
	return off > 0;
}

/* 1: the kernel reported a change of links or addresses, 2: of routes or
 * rules only, 0: nothing, -ENOBUFS: notifications were lost, other < 0:
 * the socket is unusable. */
static int mon_drain(void)
{
	unsigned char buf[4096];
	bool changed = false, routes = false, overrun = false;
	for (unsigned i = 0; i < IFADDR_DRAIN_MAX; i++) {
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = rfcres_sys.recvmsg(st.fd, &m, MSG_DONTWAIT);
		if (n >= 0) {
			/* a cut datagram is a big link message */
			if (!(m.msg_flags & MSG_TRUNC) &&
			    only_routes(buf, (size_t)n))
				routes = true;
			else
				changed = true;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == ENOBUFS) {
			overrun = true;
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return overrun ? -ENOBUFS : changed ? 1 : routes ? 2 : 0;
		return errno ? -errno : -EIO;
	}
	/* Still more queued: rebuild now; the rest triggers one more
	 * rebuild next time, which is harmless. */
	return overrun ? -ENOBUFS : 1;
}

static void mon_forget(bool close_it)
{
	if (close_it)
		rfcres_sys.close(st.fd);
	st.fd = -1;
}

/* A netlink exchange that rides on this acquire (ifaddr_acquire_exchange). */
struct exchange {
	ifaddr_nl_fn fn;
	void *arg;
	int rc; /* fn's result; -ENOTCONN while it has not run */
	uint64_t routes; /* route generation fn started under */
};

/* Decides whether the cached inventory must be rebuilt; NULL if not.  With
 * x, and a healthy monitor and nothing else due, x runs on the monitor in
 * place of the drain. */
static const char *refresh_reason(struct ifaddr_note *note, struct exchange *x)
{
	const char *reason = !st.cur ? "first" : st.retry ? "retry" : NULL;
	/* Two checks for "another process": the atfork handler (fork()),
	 * and the epoch, which a raw clone(), _Fork() or vfork-style child
	 * also changes (those run no atfork handlers; a child that resolves
	 * names before exec must not read the parent's socket).  The epoch
	 * is a memory read (sys_process_epoch): this used to be a getpid()
	 * syscall on every acquire. */
	if (st.fd >= 0 && (st.forked || st.epoch != sys_process_epoch())) {
		/* Inherited: the parent keeps reading it.  Close our copy
		 * only if the number still is that socket. */
		mon_forget(mon_is_ours());
		note->monitor = "inherited";
		reason = reason ? reason : "fork";
	}
	st.forked = false;
	dev_t dev;
	ino_t ino;
	netns_id(&dev, &ino);
	if (st.cur && (dev != st.ns_dev || ino != st.ns_ino)) {
		/* setns()/unshare(CLONE_NEWNET) since the last build: the
		 * monitor watches the old namespace. */
		if (st.fd >= 0)
			mon_forget(mon_is_ours());
		note->monitor = "netns";
		reason = reason ? reason : "netns";
	}
	/* Polled quiet by this thread's lookup (same monitor, same process,
	 * same namespace, as checked above): nothing to read, and a number
	 * the program closed would have shown POLLNVAL.  Only a number closed
	 * and reused for a quiet descriptor of its own hides behind a quiet
	 * poll, so the socket is still verified at least once a second. */
	bool quiet = false;
	if (st.fd >= 0 && tl_quiet == st.mon_id) {
		uint64_t now = sys_now_ns();
		quiet = now - st.valid_ns < IFADDR_REVALIDATE_NS;
	}
	if (st.fd >= 0 && !quiet) {
		if (mon_is_ours()) {
			st.valid_ns = sys_now_ns();
		} else {
			/* Closed (or replaced) behind our back: not ours to
			 * close. */
			mon_forget(false);
			note->monitor = "lost";
			reason = reason ? reason : "reopen";
		}
	}
	/* A notification another exchange read on our socket counts as if
	 * the drain below had read it. */
	bool notified = st.notified;
	st.notified = false;
	if (st.fd >= 0) {
		int d = 0;
		if (x && !reason) {
			/* The exchange reads the monitor up to its last answer
			 * (or until it is empty), and the kernel queued those
			 * answers behind every notification sent before it:
			 * it has seen them all, as the drain would have.  An
			 * exchange that stopped early leaves the drain to do. */
			x->routes = st.routes;
			x->rc = x->fn(st.fd, st.portid, &notified, x->arg);
			if (x->rc != 0)
				d = mon_drain();
		} else if (!quiet) {
			d = mon_drain();
		}
		if (d == 2) {
			/* routes only: what was learned from them is stale,
			 * the inventory is not */
			st.routes++;
			d = 0;
			note->routes = st.routes;
		}
		if (d == -ENOBUFS)
			return reason ? reason : "overrun";
		if (d < 0) {
			mon_forget(true);
			note->monitor = "error";
			note->monitor_err = -d;
			return reason ? reason : "reopen";
		}
		return reason ? reason : (d > 0 || notified) ? "changed" : NULL;
	}
	/* No change monitor (netlink unavailable): a short-lived cache. */
	if (reason)
		return reason;
	if (sys_now_ns() - st.built_ns < IFADDR_UNMONITORED_NS)
		return NULL;
	return "expired";
}

static void rebuild(struct ifaddr_note *note)
{
	/* Monitor first: a change after this point is either in the dump
	 * or waiting in the monitor for the next acquire. */
	if (st.fd < 0)
		mon_open(note);
	struct ifaddr_build b = { 0 };
	bool from_netlink = true;
	int rc = ifaddr_dump_netlink(&b);
	if (rc < 0) {
		note->nl_err = -rc;
		ifaddr_build_free(&b);
		from_netlink = false;
		rc = ifaddr_dump_getifaddrs(&b);
	}
	atomic_fetch_add(&rebuild_count, 1);
	st.routes++; /* new addresses, or changes that may have been missed */
	st.built_ns = sys_now_ns();
	struct ifaddr_inv *inv = NULL;
	if (rc == 0) {
		inv = ifaddr_build_finish(&b, from_netlink);
		if (!inv)
			rc = -ENOMEM;
	}
	if (!inv) {
		ifaddr_build_free(&b);
		note->err = -rc; /* the previous inventory (if any) stays */
		st.retry = true;
		return;
	}
	st.retry = false;
	inv->generation = ++st.gen;
	netns_id(&st.ns_dev, &st.ns_ino);
	struct ifaddr_inv *old = st.cur;
	st.cur = inv;
	ifaddr_release(old);
	note->n = inv->n;
	note->from_netlink = from_netlink;
	note->gen = inv->generation;
}

static void note_trace(const struct ifaddr_note *note)
{
	if (note->routes)
		TRACE(RFCRES_TRACE_NET, "net.routes",
		      "event=changed generation=%llu",
		      (unsigned long long)note->routes);
	if (note->monitor)
		TRACE(RFCRES_TRACE_NET, "net.monitor", "state=%s errno=%d",
		      note->monitor, note->monitor_err);
	if (!note->reason)
		return;
	if (note->nl_err)
		TRACE(RFCRES_TRACE_NET, "net.netlink", "state=unavailable errno=%d",
		      note->nl_err);
	if (note->err)
		TRACE(RFCRES_TRACE_NET, "net.inventory",
		      "error=%d reason=%s kept=previous", note->err, note->reason);
	else
		TRACE(RFCRES_TRACE_NET, "net.inventory",
		      "n=%zu source=%s reason=%s generation=%llu", note->n,
		      note->from_netlink ? "netlink" : "getifaddrs",
		      note->reason, (unsigned long long)note->gen);
}

/* Runs fn on the monitor (lock held, st.fd valid); a notification it read
 * makes the next acquire rebuild. */
static int run_on_monitor(ifaddr_nl_fn fn, void *arg)
{
	bool notified = false;
	int rc = fn(st.fd, st.portid, &notified, arg);
	if (notified)
		st.notified = true;
	return rc;
}

static struct ifaddr_inv *acquire(struct exchange *x, uint64_t *routes)
{
	struct ifaddr_note note = { 0 };
	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&st.lock);
	note.reason = refresh_reason(&note, x);
	if (note.reason)
		rebuild(&note);
	if (x && x->rc == -ENOTCONN && st.cur && st.fd >= 0) {
		/* Not run in place of the drain (a rebuild was due): on the
		 * monitor as it is now, as ifaddr_netlink_exchange would. */
		x->routes = st.routes;
		x->rc = run_on_monitor(x->fn, x->arg);
	}
	if (routes)
		*routes = st.fd >= 0 && st.cur ? st.routes : 0;
	struct ifaddr_inv *inv = st.cur;
	if (inv)
		atomic_fetch_add_explicit(&inv->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&st.lock);
	note_trace(&note);
	return inv;
}

struct ifaddr_inv *ifaddr_acquire(void)
{
	return acquire(NULL, NULL);
}

struct ifaddr_inv *ifaddr_acquire_routes(uint64_t *routes)
{
	return acquire(NULL, routes);
}

struct ifaddr_inv *ifaddr_acquire_exchange_routes(ifaddr_nl_fn fn, void *arg,
						  int *fn_rc,
						  uint64_t *routes)
{
	struct exchange x = { .fn = fn, .arg = arg, .rc = -ENOTCONN };
	struct ifaddr_inv *inv = acquire(&x, NULL);
	*fn_rc = x.rc;
	if (routes)
		*routes = x.rc == -ENOTCONN ? 0 : x.routes;
	return inv;
}

struct ifaddr_inv *ifaddr_acquire_exchange(ifaddr_nl_fn fn, void *arg,
					   int *fn_rc)
{
	return ifaddr_acquire_exchange_routes(fn, arg, fn_rc, NULL);
}

int ifaddr_netlink_exchange(const struct ifaddr_inv *inv, ifaddr_nl_fn fn,
			    void *arg)
{
	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&st.lock);
	int rc = -ENOTCONN;
	/* inv still current: no acquire since the caller's found the monitor
	 * lost, inherited or in another namespace than the caller's thread
	 * (each of those rebuilds).  So the socket is ours, of this process,
	 * in the caller's namespace -- as validated by the caller's acquire. */
	if (inv && inv == st.cur && st.fd >= 0 && !st.forked)
		rc = run_on_monitor(fn, arg);
	pthread_mutex_unlock(&st.lock);
	return rc;
}

int ifaddr_pollfd(uint64_t *id)
{
	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&st.lock);
	int fd = -1;
	*id = 0;
	/* an inherited socket is the parent's: the acquire replaces it */
	if (st.fd >= 0 && st.cur && !st.forked && !st.retry &&
	    st.epoch == sys_process_epoch()) {
		fd = st.fd;
		*id = st.mon_id;
	}
	pthread_mutex_unlock(&st.lock);
	return fd;
}

void ifaddr_polled(uint64_t id, short revents)
{
	/* anything but "nothing" (POLLIN, POLLERR: an overrun, POLLNVAL:
	 * closed) leaves the acquire to validate and read as usual */
	tl_quiet = revents == 0 ? id : 0;
}

void ifaddr_polled_end(void)
{
	tl_quiet = 0;
}

uint64_t ifaddr_rebuilds(void)
{
	return atomic_load(&rebuild_count);
}

void ifaddr_reset(void)
{
	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&st.lock);
	if (st.fd >= 0)
		mon_forget(!st.forked && st.epoch == sys_process_epoch() &&
			   mon_is_ours());
	st.forked = false;
	st.notified = false;
	st.retry = false;
	tl_quiet = 0;
	ifaddr_release(st.cur);
	st.cur = NULL;
	pthread_mutex_unlock(&st.lock);
}
