/*
 * Process-level faults against the real library path (issue 10
 * "Hardening"): file descriptor exhaustion, signals interrupting the waits,
 * fork() while another thread resolves, many threads racing configuration
 * swaps, and the unpredictability of query IDs and source ports.
 *
 * Every lookup goes through the public API (rfcres_getaddrinfo) against
 * in-process fakedns servers on 127.0.0.1, with RFCRES_RESOLV_CONF /
 * RFCRES_HOSTS / RFCRES_GAI_CONF / RFCRES_SERVICES pointing at files of our
 * own.  Internal headers are used only to observe (the poll() slot of
 * rfcres_sys to count EINTR, conf_stats() to count live snapshots).  Time
 * limits are hang bounds, never speed assertions; every loop is bounded in
 * count and in time.
 *
 * RFCRES_TEST_SCALE (a factor, default 1; 0.25 in sanitizer builds; set
 * small by t_valgrind.sh) scales the big counts: 16 threads x 10,000
 * lookups and 10,000 query IDs at scale 1.  See docs/hardening.md.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf_snapshot.h"
#include "fakedns.h"
#include "rfcres.h"
#include "sys.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define HAVE_VALGRIND_H 1
#endif
#endif

/* ---- helpers ---------------------------------------------------------------- */

static char dir[64], resolv[128], resolv_b[128], hosts[128];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL); /* an early return is harmless */
}

/* Fraction of the full counts (see the top of the file). */
static double test_scale(void)
{
	const char *s = getenv("RFCRES_TEST_SCALE");
	if (s && *s) {
		double v = strtod(s, NULL);
		if (v > 0 && v <= 100)
			return v;
	}
	return SANITIZED ? 0.25 : 1.0;
}

static unsigned scaled(unsigned full, unsigned floor)
{
	double n = full * test_scale();
	return n < floor ? floor : (unsigned)n;
}

/* Atomically replaces path (a temporary file renamed over it, as
 * editors and configuration managers do).  Plain checks, no cmocka: also
 * called from threads and forked children. */
static bool put_file(const char *path, const char *body)
{
	char tmp[160];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return false;
	bool ok = fputs(body, f) >= 0;
	ok &= fclose(f) == 0;
	return ok && rename(tmp, path) == 0;
}

static void write_file(const char *path, const char *body)
{
	assert_true(put_file(path, body));
}

static void point_at(const char *path, const struct fakedns *s,
		     const char *opts)
{
	char body[256];
	snprintf(body, sizeof body, "nameserver 127.0.0.1:%u\noptions %s\n",
		 fakedns_port(s), opts);
	write_file(path, body);
}

static struct fakedns *server(const char *zone)
{
	struct fakedns_opts o = { .listen = { "127.0.0.1:0" } };
	struct fakedns *s = fakedns_start(&o);
	assert_non_null(s);
	assert_int_equal(fakedns_load_zone_text(s, zone), 0);
	return s;
}

/* Open descriptors of this process (the directory's own one excluded). */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

/* count_fds() once it equals want, or after 2 s: a TCP connection the
 * library closed is closed by the fakedns thread when it reads the EOF,
 * a moment later.  A descriptor the library leaked never goes away. */
static int fds_settle(int want)
{
	int n = count_fds();
	for (int i = 0; i < 200 && n != want; i++) {
		sleep_ms(10);
		n = count_fds();
	}
	return n;
}

/* The last octet of the first IPv4 address, -1 if there is none. */
static int first_v4(const struct addrinfo *ai)
{
	for (; ai; ai = ai->ai_next)
		if (ai->ai_family == AF_INET)
			return ntohl(((const struct sockaddr_in *)(const void *)
					      ai->ai_addr)->sin_addr.s_addr) & 255;
	return -1;
}

static int count_ai(const struct addrinfo *ai)
{
	int n = 0;
	for (; ai; ai = ai->ai_next)
		n++;
	return n;
}

/* One lookup: the EAI code; *octet the last octet of the first IPv4
 * address (or -1), *naddrs the number of results. */
static int lookup(const char *name, int family, int flags, int *octet,
		  int *naddrs)
{
	struct addrinfo hints = { .ai_family = family,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = flags };
	struct addrinfo *res = NULL;
	int rc = rfcres_getaddrinfo(name, "80", &hints, &res);
	if (octet)
		*octet = rc ? -1 : first_v4(res);
	if (naddrs)
		*naddrs = rc ? 0 : count_ai(res);
	if (!rc)
		rfcres_freeaddrinfo(res);
	return rc;
}

/* ---- EMFILE ----------------------------------------------------------------- */

/*
 * Leaves exactly `keep` descriptors allocatable: the soft RLIMIT_NOFILE
 * goes down to (lowest free descriptor + keep), then every slot below it
 * is filled with dup() until EMFILE, then `keep` of those are closed
 * again.  The fill is what makes it work under valgrind too, which only
 * emulates the soft limit (it enforces its own hard limit).  Bounded by
 * the size of the array.
 */
#define FILL_MAX 65536
static int fill_fds[FILL_MAX];
static int nfill;
static struct rlimit saved_nofile;

static void fd_table_restore(void)
{
	while (nfill > 0)
		close(fill_fds[--nfill]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved_nofile), 0);
}

static void fd_table_fill(unsigned keep)
{
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved_nofile), 0);
	int lowest = dup(0);
	assert_true(lowest >= 0);
	close(lowest);
	struct rlimit l = saved_nofile; /* rlim_max unchanged (valgrind) */
	if ((rlim_t)lowest + keep < l.rlim_cur)
		l.rlim_cur = (rlim_t)lowest + keep;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &l), 0);
	nfill = 0;
	int err = 0;
	while (nfill < FILL_MAX) {
		int fd = dup(0);
		if (fd < 0) {
			err = errno;
			break;
		}
		fill_fds[nfill++] = fd;
	}
	if (err != EMFILE || (unsigned)nfill < keep) {
		/* give the descriptors back before failing: the runner and
		 * the following tests need them */
		int n = nfill;
		fd_table_restore();
		fail_msg("could not fill the descriptor table: errno %d after "
			 "%d dup() calls", err, n);
	}
	for (unsigned i = 0; i < keep; i++)
		close(fill_fds[--nfill]);
}

/*
 * EMFILE: the process is out of descriptors when a lookup runs.
 *
 * What librfcres does, as glibc 2.36: the first socket() of the lookup
 * fails and the lookup ends at once with EAI_SYSTEM and errno EMFILE
 * (nss_dns maps EMFILE/ENFILE from res_send to NETDB_INTERNAL, which
 * getaddrinfo turns into EAI_SYSTEM; checked on Debian 12 with glibc's
 * own getaddrinfo in a network namespace).  Nothing is waited for.
 *
 * Then: no descriptor is leaked, and once descriptors are available again
 * the next lookups succeed with the current configuration.  The
 * configuration files were replaced just before the exhaustion, so the
 * failed lookups are the first to see them and cannot open them: a
 * failed read must not be cached as "file absent" for that identity.
 * Finally one free descriptor only: the UDP query gets it, the TCP
 * fallback after TC cannot, EAI_SYSTEM/EMFILE, nothing leaked.  The
 * asynchronous API reports the same through rfcres_req_result.
 */
static void t_emfile(void **st)
{
	(void)st;
	struct fakedns *s = server("www.t A 192.0.2.20\n"
				   "www.t AAAA 2001:db8::20\n"
				   "big.t A 10.0.0.1-256\n");
	fakedns_set(s, "big.t", FAKEDNS_TRUNCATE, 512);
	point_at(resolv, s, "timeout:1 attempts:2");
	write_file(hosts, "127.0.0.1 localhost\n192.0.2.98 hostsonly.t\n");
	int o, n;
	/* warm-up: the netlink inventory monitor (AI_ADDRCONFIG) stays open
	 * for the life of the process; count it in the baseline */
	assert_int_equal(lookup("www.t", AF_UNSPEC, AI_ADDRCONFIG, &o, &n), 0);
	assert_int_equal(lookup("hostsonly.t", AF_INET, 0, &o, &n), 0);
	assert_int_equal(o, 98);
	int before = count_fds();
	assert_true(before > 0);

	/* new identities for resolv.conf and hosts (same server, a new
	 * hosts entry) that nobody has read yet */
	point_at(resolv, s, "timeout:1 attempts:2 ndots:1");
	write_file(hosts, "127.0.0.1 localhost\n192.0.2.97 hostsnew.t\n");

	struct {
		const char *name;
		int family, flags;
	} cases[] = {
		{ "www.t", AF_INET, 0 },
		{ "www.t", AF_UNSPEC, AI_ADDRCONFIG },
		{ "big.t", AF_INET, 0 },
		{ "hostsnew.t", AF_INET, 0 },
	};
	int rcs[4], errs[4];
	double t0 = now_s();
	fd_table_fill(0);
	int probe = socket(AF_INET, SOCK_DGRAM, 0);
	int probe_errno = errno;
	for (int i = 0; i < 4; i++) {
		errno = 0;
		rcs[i] = lookup(cases[i].name, cases[i].family,
				cases[i].flags, NULL, NULL);
		errs[i] = errno;
	}
	fd_table_restore();
	double took = now_s() - t0;
	if (probe >= 0)
		close(probe);
	assert_true(probe < 0);
	assert_int_equal(probe_errno, EMFILE);
	for (int i = 0; i < 4; i++) {
		print_message("    EMFILE %s family=%d: rc=%d (%s) errno=%d\n",
			      cases[i].name, cases[i].family, rcs[i],
			      rfcres_gai_strerror(rcs[i]), errs[i]);
		/* DNS names (hostsnew.t too: the new hosts file could not
		 * be read, the previous one is kept): no socket, EAI_SYSTEM
		 * with errno EMFILE, as glibc */
		assert_int_equal(rcs[i], EAI_SYSTEM);
		assert_int_equal(errs[i], EMFILE);
	}
	/* nothing was waited for: every socket() failed at once (hang
	 * bound: 2 x timeout x attempts per lookup + slack) */
	assert_true(took < 4 * 2.0 * 1 * 2 + 10);
	assert_int_equal(fds_settle(before), before);

	/* descriptors are back: the current files are used */
	assert_int_equal(lookup("www.t", AF_INET, 0, &o, &n), 0);
	assert_int_equal(o, 20);
	assert_int_equal(lookup("hostsnew.t", AF_INET, 0, &o, &n), 0);
	assert_int_equal(o, 97);
	assert_int_equal(lookup("www.t", AF_UNSPEC, AI_ADDRCONFIG, &o, &n), 0);
	assert_int_equal(lookup("big.t", AF_INET, 0, &o, &n), 0);
	assert_int_equal(n, 256);
	assert_int_equal(fds_settle(before), before);

	/* the same through the asynchronous API: errno is set when the
	 * result is collected, not when the socket failed */
	{
		struct addrinfo h = { .ai_family = AF_INET,
				      .ai_socktype = SOCK_STREAM };
		int err = 0;
		fd_table_fill(0);
		struct rfcres_req *q = rfcres_req_start("www.t", "80", &h, &err);
		int rc_async = err, err_async = 0;
		if (q) {
			for (int i = 0; i < 100 && !rfcres_req_done(q); i++) {
				struct pollfd pf[RFCRES_REQ_MAXFDS];
				int ms, np = rfcres_req_pollfds(
					q, pf, RFCRES_REQ_MAXFDS, &ms);
				poll(pf, (nfds_t)np, ms);
				rfcres_req_process(q, pf, np);
			}
			errno = 0; /* rfcres_req_result must set it */
			struct addrinfo *ar = NULL;
			rc_async = rfcres_req_result(q, &ar);
			err_async = errno;
			if (!rc_async)
				rfcres_freeaddrinfo(ar);
		}
		fd_table_restore();
		assert_non_null(q);
		assert_int_equal(rc_async, EAI_SYSTEM);
		assert_int_equal(err_async, EMFILE);
		assert_int_equal(fds_settle(before), before);
	}

	/* one descriptor left: UDP gets it, the TCP fallback does not */
	fakedns_reset_counters(s);
	fd_table_fill(1);
	errno = 0;
	int rc_tc = lookup("big.t", AF_INET, 0, NULL, NULL);
	int err_tc = errno;
	fd_table_restore();
	struct fakedns_counters c;
	fakedns_counters(s, &c);
	print_message("    one fd left, TC: rc=%d (%s), udp=%lu tcp=%lu\n",
		      rc_tc, rfcres_gai_strerror(rc_tc), c.udp_queries,
		      c.tcp_connections);
	assert_int_equal(rc_tc, EAI_SYSTEM);
	assert_int_equal(err_tc, EMFILE);
	assert_true(c.udp_queries >= 1); /* the UDP query did go out */
	assert_int_equal(c.tcp_connections, 0);
	assert_int_equal(fds_settle(before), before);
	assert_int_equal(lookup("big.t", AF_INET, 0, &o, &n), 0);
	assert_int_equal(n, 256);
	fakedns_stop(s);
}

/* ---- EINTR ------------------------------------------------------------------ */

static atomic_uint alarms, poll_eintr;

static void on_alarm(int sig)
{
	(void)sig;
	atomic_fetch_add(&alarms, 1);
}

static int counting_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	int r = poll(fds, n, timeout_ms);
	if (r < 0 && errno == EINTR)
		atomic_fetch_add(&poll_eintr, 1); /* does not touch errno */
	return r;
}

/*
 * EINTR: SIGALRM every millisecond, handler installed without SA_RESTART
 * (poll() is never restarted anyway), while lookups wait: a UDP answer
 * delayed by 50 ms, TC -> TCP with a delayed TCP answer, and a TCP answer
 * dripped one byte every 5 ms (use-vc).  Every lookup still returns the
 * full right answer within its hang bound, and poll() really was
 * interrupted (counted through the rfcres_sys.poll slot).
 */
static void t_eintr(void **st)
{
	(void)st;
	struct fakedns *s = server("slow.t A 192.0.2.20\n"
				   "slow.t AAAA 2001:db8::20\n"
				   "big.t A 10.0.0.1-256\n"
				   "drip.t A 192.0.2.21\n");
	fakedns_set(s, "slow.t", FAKEDNS_DELAY, 50);
	fakedns_set(s, "big.t", FAKEDNS_TRUNCATE, 512);
	fakedns_set(s, "big.t", FAKEDNS_DELAY, 50);
	fakedns_set(s, "drip.t", FAKEDNS_TCP_DRIP, 5);

	struct sigaction sa = { .sa_handler = on_alarm }, old;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART */
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	int (*saved_poll)(struct pollfd *, nfds_t, int) = rfcres_sys.poll;
	rfcres_sys.poll = counting_poll;
	atomic_store(&alarms, 0);
	atomic_store(&poll_eintr, 0);

	struct {
		const char *name, *opts;
		int family, naddrs, octet;
	} cases[] = {
		{ "slow.t", "timeout:2 attempts:2", AF_UNSPEC, 2, 20 },
		{ "big.t", "timeout:2 attempts:2", AF_INET, 256, -1 },
		{ "drip.t", "timeout:3 attempts:1 use-vc", AF_INET, 1, 21 },
	};
	unsigned reps = 4;
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		point_at(resolv, s, cases[i].opts);
		/* hang bound: two candidates x (timeout x attempts + one TCP
		 * exchange) + slack */
		double bound = 2.0 * (3 * 2 + 3) + 10;
		for (unsigned r = 0; r < reps; r++) {
			unsigned a0 = atomic_load(&alarms);
			struct itimerval it = { .it_interval = { 0, 1000 },
						.it_value = { 0, 1000 } };
			assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
			int o, n;
			double t0 = now_s();
			int rc = lookup(cases[i].name, cases[i].family, 0, &o,
					&n);
			double took = now_s() - t0;
			struct itimerval off = { { 0, 0 }, { 0, 0 } };
			setitimer(ITIMER_REAL, &off, NULL);
			if (r == 0)
				print_message("    %s: rc=%d naddrs=%d %.3fs, "
					      "%u signals\n", cases[i].name,
					      rc, n, took,
					      atomic_load(&alarms) - a0);
			assert_int_equal(rc, 0);
			assert_int_equal(n, cases[i].naddrs);
			if (cases[i].octet >= 0)
				assert_int_equal(o, cases[i].octet);
			assert_true(took < bound);
		}
	}
	rfcres_sys.poll = saved_poll;
	/* a signal may still be on its way (valgrind queues them until the
	 * thread's next scheduling point): let it reach the handler, discard
	 * any left (SIG_IGN drops pending ones), then restore */
	sleep_ms(20);
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigemptyset(&ign.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &ign, NULL), 0);
	assert_int_equal(sigaction(SIGALRM, &old, NULL), 0);
	print_message("    %u signals, %u poll() calls interrupted\n",
		      atomic_load(&alarms), atomic_load(&poll_eintr));
	/* the lookups spent >= 12 x 50 ms waiting with a 1 ms timer: the
	 * signals came, and they hit the wait */
	assert_true(atomic_load(&alarms) >= 12);
	assert_true(atomic_load(&poll_eintr) >= 1);
	struct fakedns_counters c;
	fakedns_counters(s, &c);
	assert_true(c.tcp_queries >= 2 * reps); /* big.t and drip.t: TCP */
	fakedns_stop(s);
}

/* ---- fork ------------------------------------------------------------------- */

/* Trace hook used around fork: lock-free (a forked child must not find a
 * test lock held by a thread it does not have).  It notes whether this
 * process saw the inventory monitor inherited from a parent. */
static atomic_bool saw_inherited;
static atomic_ulong trace_events;

static void fork_hook(const struct rfcres_trace_event *ev, void *arg)
{
	(void)arg;
	atomic_fetch_add(&trace_events, 1);
	if (strcmp(ev->name, "net.monitor") != 0)
		return;
	for (size_t i = 0; i < ev->nfields; i++)
		if (strcmp(ev->fields[i].key, "state") == 0 &&
		    strcmp(ev->fields[i].value, "inherited") == 0)
			atomic_store(&saw_inherited, true);
}

static atomic_bool stop_lookups;
static atomic_uint bg_lookups, bg_failures;

static void *lookup_loop(void *arg)
{
	(void)arg;
	/* bounded: at most 1,000,000 lookups or until told to stop */
	for (unsigned i = 0; i < 1000000 && !atomic_load(&stop_lookups); i++) {
		int o;
		int rc = lookup("fork.t", AF_INET, AI_ADDRCONFIG, &o, NULL);
		if (rc != 0 || o != 20)
			atomic_fetch_add(&bg_failures, 1);
		atomic_fetch_add(&bg_lookups, 1);
	}
	return NULL;
}

/* The child: plain checks (no cmocka: a failed assertion would jump
 * back into the parent's test runner), _exit with what went wrong. */
static int child_main(void)
{
	int o;
	/* the inherited configuration: server A */
	for (int i = 0; i < 3; i++) {
		if (lookup("fork.t", AF_INET, AI_ADDRCONFIG, &o, NULL) != 0)
			return 10;
		if (o != 20)
			return 11;
	}
	/* the inventory's netlink socket belongs to the parent: the child
	 * must have noticed and opened its own */
	if (!atomic_load(&saw_inherited))
		return 12;
	/* another configuration in the child only: server B */
	if (setenv("RFCRES_RESOLV_CONF", resolv_b, 1) != 0)
		return 13;
	for (int i = 0; i < 3; i++) {
		if (lookup("fork.t", AF_UNSPEC, AI_ADDRCONFIG, &o, NULL) != 0)
			return 14;
		if (o != 21)
			return 15;
	}
	return 0;
}

/*
 * fork(): a thread resolves in a loop (AI_ADDRCONFIG: the netlink
 * inventory and its change monitor are in use; a trace hook is installed:
 * the trace lock is in use) while the main thread forks repeatedly.  Each
 * child resolves from the inherited configuration (server A), sees the
 * inventory monitor as inherited (it must not read the parent's netlink
 * socket), then from a configuration of its own (server B), and exits 0
 * within a hang bound.  The parent's lookups keep working throughout.
 */
static void t_fork(void **st)
{
	(void)st;
	struct fakedns *a = server("fork.t A 192.0.2.20\n");
	struct fakedns *b = server("fork.t A 192.0.2.21\n");
	point_at(resolv, a, "timeout:2 attempts:2");
	point_at(resolv_b, b, "timeout:2 attempts:2");
	atomic_store(&saw_inherited, false);
	rfcres_set_trace(fork_hook, NULL);
	int o;
	/* the parent owns an inventory monitor before the first fork */
	assert_int_equal(lookup("fork.t", AF_INET, AI_ADDRCONFIG, &o, NULL), 0);
	assert_int_equal(o, 20);
	atomic_store(&stop_lookups, false);
	atomic_store(&bg_lookups, 0);
	atomic_store(&bg_failures, 0);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, lookup_loop, NULL), 0);

	unsigned nforks = scaled(40, 4);
	unsigned ok = 0, hung = 0;
	int bad_status = 0;
	for (unsigned i = 0; i < nforks; i++) {
		sleep_ms(i % 3); /* land at different points of a lookup */
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			int code = child_main();
#ifdef HAVE_VALGRIND_H
			/* What the parent's lookup thread had allocated at
			 * fork() can never be freed here (that thread, and the
			 * registers that pointed at it, do not exist in the
			 * child): memcheck's exit-time leak check would call
			 * it lost and exit 1.  Leave through execve instead,
			 * which memcheck does not leak-check (it does not
			 * trace into exec'd programs by default); leaks are
			 * checked in the parent. */
			if (RUNNING_ON_VALGRIND && code == 0)
				execl("/bin/true", "true", (char *)NULL);
#endif
			_exit(code); /* no atexit handlers: not the runner's */
		}
		int status = 0;
		bool done = false;
		double t0 = now_s();
		while (!done && now_s() - t0 < 30.0) { /* hang bound */
			pid_t w = waitpid(pid, &status, WNOHANG);
			if (w == pid)
				done = true;
			else
				sleep_ms(2);
		}
		if (!done) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			hung++;
			continue;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ok++;
		else if (!bad_status)
			bad_status = WIFEXITED(status) ? WEXITSTATUS(status)
						       : 1000 + WTERMSIG(status);
	}
	atomic_store(&stop_lookups, true);
	pthread_join(th, NULL);
	rfcres_set_trace(NULL, NULL);
	print_message("    %u forks: %u ok, %u hung, first bad status %d; "
		      "parent thread: %u lookups, %u failures\n",
		      nforks, ok, hung, bad_status, atomic_load(&bg_lookups),
		      atomic_load(&bg_failures));
	assert_int_equal(hung, 0);
	assert_int_equal(bad_status, 0);
	assert_int_equal(ok, nforks);
	assert_int_equal(atomic_load(&bg_failures), 0);
	assert_true(atomic_load(&bg_lookups) > 0);
	/* the children's server B lookups reached server B */
	assert_true(fakedns_query_count(b, "fork.t", 1) >= 3 * nforks);
	/* and the parent still resolves */
	assert_int_equal(lookup("fork.t", AF_INET, AI_ADDRCONFIG, &o, NULL), 0);
	assert_int_equal(o, 20);
	fakedns_stop(a);
	fakedns_stop(b);
}

/* ---- threads x resolv.conf swaps ------------------------------------------- */

#define NTHREADS 16

static atomic_uint swaps_started, swaps_completed;
static atomic_bool workers_done;
static atomic_uint checks, violations, failures, foreign, swap_errors;
static atomic_uint resinits;
static atomic_uint max_ms;
static unsigned per_thread;
static char conf_a[256], conf_b[256];

static void *swap_worker(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < per_thread; i++) {
		unsigned c = atomic_load(&swaps_completed);
		int o;
		double t0 = now_s();
		int rc = lookup("swap.t", AF_INET, 0, &o, NULL);
		unsigned ms = (unsigned)((now_s() - t0) * 1000);
		unsigned s = atomic_load(&swaps_started);
		unsigned m = atomic_load(&max_ms);
		while (ms > m && !atomic_compare_exchange_weak(&max_ms, &m, ms))
			;
		if (rc != 0) {
			atomic_fetch_add(&failures, 1);
			continue;
		}
		if (o != 20 && o != 21) {
			atomic_fetch_add(&foreign, 1);
			continue;
		}
		if (s == c) {
			/* no swap started since swap c completed, before
			 * this lookup began: it must have used that file */
			atomic_fetch_add(&checks, 1);
			if (o != ((c & 1) ? 21 : 20))
				atomic_fetch_add(&violations, 1);
		}
	}
	return NULL;
}

static void *swapper(void *arg)
{
	(void)arg;
	for (unsigned i = 1; i <= 1000000 && !atomic_load(&workers_done); i++) {
		char tmp[160];
		snprintf(tmp, sizeof tmp, "%s.tmp", resolv);
		FILE *f = fopen(tmp, "w");
		if (!f || fputs((i & 1) ? conf_b : conf_a, f) < 0 ||
		    fclose(f) != 0) {
			atomic_fetch_add(&swap_errors, 1);
			break;
		}
		atomic_store(&swaps_started, i);
		if (rename(tmp, resolv) != 0)
			atomic_fetch_add(&swap_errors, 1);
		atomic_store(&swaps_completed, i);
		/* a quiet spell now and then, so that some lookups run
		 * entirely between two swaps even when threads are slow or
		 * serialised (valgrind) and can be checked */
		sleep_ms(i % 8 < 2 ? 20 : 1); /* after an A and a B swap */
	}
	return NULL;
}

static void *res_initer(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < 1000000 && !atomic_load(&workers_done); i++) {
		rfcres_res_init();
		atomic_fetch_add(&resinits, 1);
		sleep_ms(3);
	}
	return NULL;
}

/*
 * 16 threads x N lookups of one name that only DNS knows, while one
 * thread swaps resolv.conf (rename) between server A (192.0.2.20) and
 * server B (192.0.2.21) every millisecond (20 ms after two of
 * every eight swaps) and another calls
 * rfcres_res_init() every 3 ms.  Every lookup succeeds with an address of
 * A or B; a lookup that started after swap c completed and before swap
 * c+1 started must have A's or B's answer as file c says (the generation
 * counters of tests/unit/test_conf_snapshot.c); no snapshot and no
 * descriptor is left behind.  The two files differ in size: same-size
 * contents written within one timestamp tick onto a reused inode are
 * indistinguishable by stat identity (docs/configuration.md).
 */
static void t_threads_swap(void **st)
{
	(void)st;
	struct fakedns *a = server("swap.t A 192.0.2.20\n");
	struct fakedns *b = server("swap.t A 192.0.2.21\n");
	snprintf(conf_a, sizeof conf_a,
		 "nameserver 127.0.0.1:%u\noptions timeout:2 attempts:3\n",
		 fakedns_port(a));
	snprintf(conf_b, sizeof conf_b,
		 "nameserver 127.0.0.1:%u\noptions timeout:2 attempts:3 "
		 "ndots:1\n", fakedns_port(b));
	write_file(resolv, conf_a);
	int o;
	assert_int_equal(lookup("swap.t", AF_INET, 0, &o, NULL), 0);
	assert_int_equal(o, 20);
	int fds_before = count_fds();

	per_thread = scaled(10000, 20);
	atomic_store(&swaps_started, 0);
	atomic_store(&swaps_completed, 0);
	atomic_store(&workers_done, false);
	atomic_store(&checks, 0);
	atomic_store(&violations, 0);
	atomic_store(&failures, 0);
	atomic_store(&foreign, 0);
	atomic_store(&swap_errors, 0);
	atomic_store(&resinits, 0);
	atomic_store(&max_ms, 0);
	double t0 = now_s();
	pthread_t w[NTHREADS], sw, ri;
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&w[i], NULL, swap_worker, NULL), 0);
	assert_int_equal(pthread_create(&sw, NULL, swapper, NULL), 0);
	assert_int_equal(pthread_create(&ri, NULL, res_initer, NULL), 0);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(w[i], NULL);
	atomic_store(&workers_done, true);
	pthread_join(sw, NULL);
	pthread_join(ri, NULL);
	double took = now_s() - t0;

	struct fakedns_counters ca, cb;
	fakedns_counters(a, &ca);
	fakedns_counters(b, &cb);
	print_message("    %u x %u lookups in %.1fs: %u checked, %u violations, "
		      "%u failures, %u foreign; %u swaps, %u res_init; "
		      "server A %lu / B %lu queries; slowest %u ms\n",
		      NTHREADS, per_thread, took, atomic_load(&checks),
		      atomic_load(&violations), atomic_load(&failures),
		      atomic_load(&foreign), atomic_load(&swaps_completed),
		      atomic_load(&resinits), ca.queries, cb.queries,
		      atomic_load(&max_ms));
	assert_int_equal(atomic_load(&swap_errors), 0);
	assert_int_equal(atomic_load(&failures), 0);
	assert_int_equal(atomic_load(&foreign), 0);
	assert_int_equal(atomic_load(&violations), 0);
	assert_true(atomic_load(&checks) > 0);
	assert_true(atomic_load(&swaps_completed) >= 2);
	/* both servers were used (the swaps took effect) */
	assert_true(ca.queries > 0 && cb.queries > 0);
	/* hang bound per lookup: timeout x attempts + slack */
	assert_true(atomic_load(&max_ms) < (2 * 3 + 20) * 1000u);

	/* after the last swap everyone sees the final file */
	unsigned last = atomic_load(&swaps_completed);
	assert_int_equal(lookup("swap.t", AF_INET, 0, &o, NULL), 0);
	assert_int_equal(o, (last & 1) ? 21 : 20);

	/* nothing left behind: every snapshot but the cache's own is gone
	 * (and that one too once the cache lets go), every socket closed */
	assert_int_equal(fds_settle(fds_before), fds_before);
	conf_cache_clear();
	struct conf_stats cs;
	conf_stats(&cs);
	assert_int_equal(cs.snapshots_live, 0);
	assert_int_equal(cs.parts_live, 0);
	fakedns_stop(a);
	fakedns_stop(b);
}

/* ---- query IDs and source ports --------------------------------------------- */

/* P(X >= k) for X ~ Binomial(n, p), summed directly (no libm). */
static double binom_tail(unsigned n, double p, unsigned k)
{
	double pmf = 1.0; /* pmf(0) = (1-p)^n */
	for (unsigned i = 0; i < n; i++)
		pmf *= 1.0 - p;
	double tail = 0.0;
	for (unsigned j = 0; j <= n && j < k + 200; j++) {
		if (j >= k)
			tail += pmf;
		pmf *= (double)(n - j) / (j + 1) * p / (1.0 - p);
	}
	return tail;
}

static double chi_square16(const unsigned *bucket, unsigned n)
{
	double e = n / 16.0, x = 0;
	for (int i = 0; i < 16; i++)
		x += (bucket[i] - e) * (bucket[i] - e) / e;
	return x;
}

static int cmp_u16(const void *x, const void *y)
{
	return (int)*(const uint16_t *)x - (int)*(const uint16_t *)y;
}

/*
 * Query IDs (RFC 5452 section 9.2: unpredictable IDs and source ports).
 * N IDs as fakedns saw them on the wire (10,000 at scale 1, at least
 * 2,000), from N/2 A+AAAA lookups, must look like independent uniform
 * 16-bit values.  Each bound is set so that a correct generator fails it
 * with probability <= 1e-10 per run (all four together < 3e-10):
 *
 *  - sequential: d = ID[i+1] - ID[i] mod 2^16 is uniform and independent
 *    for independent uniform IDs, so #(d = +-1) ~ Binomial(N-1, 2^-15)
 *    (mean 0.31 for N = 10,000); the bound is the smallest k with
 *    P(X >= k) < 1e-10 (9 for N = 10,000), computed below.  A counter,
 *    or a counter with a random start, gives N-1.
 *  - spread: chi-square of the top 4 bits over 16 buckets, and of the
 *    low 4 bits, each < 90.  With 15 degrees of freedom
 *    P(chi2 > 90) = 1.0e-12 (>= 125 expected per bucket, where the
 *    chi-square approximation of the multinomial is good).  One fixed
 *    bit halves the buckets used: chi2 = N.
 *  - duplicates: D = N - #distinct has mean
 *    N - 65536 (1 - (1 - 1/65536)^N) (725.5 for N = 10,000, the
 *    birthday bound), and changing one ID moves D by at most 1, so by
 *    McDiarmid P(D >= E[D] + t) <= exp(-2 t^2 / N); t = sqrt(11.52 N)
 *    makes it < 1e-10 (t = 340 for N = 10,000: bound 1,065).  Only 15
 *    random bits give D ~ 1,381; 14 bits 2,519.
 *
 * Source ports: A and AAAA of one lookup share one connected socket; each
 * lookup opens a new one, so its port is chosen afresh by the kernel
 * (Linux: random within ip_local_port_range).  Consecutive lookups on the
 * same port must be rare (a reused socket makes every pair equal) and the
 * number of distinct ports large.
 */
static void t_ids_and_ports(void **st)
{
	(void)st;
	struct fakedns *s = server("ids.t A 192.0.2.20\n"
				   "ids.t AAAA 2001:db8::20\n");
	point_at(resolv, s, "timeout:2 attempts:2");
	unsigned want = scaled(10000, 2000) & ~1u;
	uint16_t *ids = calloc(want + 8, sizeof *ids);
	uint16_t *ports = calloc(want / 2 + 8, sizeof *ports);
	struct fakedns_query_info *qi = calloc(4096, sizeof *qi);
	assert_non_null(ids);
	assert_non_null(ports);
	assert_non_null(qi);
	unsigned nids = 0, nports = 0, batches = 0;
	/* batches of <= 1,000 lookups: the server's log keeps 4,096 */
	while (nids < want && batches++ < 100) {
		fakedns_reset_counters(s);
		unsigned nl = (want - nids) / 2;
		if (nl > 1000)
			nl = 1000;
		for (unsigned i = 0; i < nl; i++) {
			int n;
			assert_int_equal(lookup("ids.t", AF_UNSPEC, 0, NULL, &n), 0);
			assert_int_equal(n, 2);
		}
		size_t got = fakedns_recent_queries(s, qi, 4096);
		for (size_t i = 0; i < got && nids < want; i++) {
			assert_int_equal(qi[i].tcp, 0);
			ids[nids++] = qi[i].id;
			if (qi[i].qtype == 1 && nports < want / 2)
				ports[nports++] = qi[i].port;
		}
	}
	assert_int_equal(nids, want);
	unsigned N = nids;

	unsigned seq = 0, hi[16] = { 0 }, lo[16] = { 0 };
	for (unsigned i = 0; i < N; i++) {
		hi[ids[i] >> 12]++;
		lo[ids[i] & 15]++;
		if (i + 1 < N) {
			uint16_t d = (uint16_t)(ids[i + 1] - ids[i]);
			seq += d == 1 || d == 0xffff;
		}
	}
	unsigned seq_bound = 0;
	while (binom_tail(N - 1, 1.0 / 32768, seq_bound) >= 1e-10)
		seq_bound++;
	double chi_hi = chi_square16(hi, N), chi_lo = chi_square16(lo, N);

	qsort(ids, N, sizeof *ids, cmp_u16);
	unsigned distinct = N ? 1 : 0;
	for (unsigned i = 1; i < N; i++)
		distinct += ids[i] != ids[i - 1];
	unsigned dups = N - distinct;
	double q = 1.0;
	for (unsigned i = 0; i < N; i++)
		q *= 1.0 - 1.0 / 65536;
	double mean_dups = N - 65536.0 * (1.0 - q);
	unsigned t = 0;
	while ((double)t * t < 11.52 * N) /* ln(1e10) / 2 = 11.51 */
		t++;
	double dup_bound = mean_dups + t;

	print_message("    %u IDs: %u steps of +-1 (bound < %u), chi2 high %.1f "
		      "low %.1f (bound 90), %u duplicates (mean %.1f, bound "
		      "%.0f)\n", N, seq, seq_bound, chi_hi, chi_lo, dups,
		      mean_dups, dup_bound);
	assert_true(seq < seq_bound);
	assert_true(chi_hi < 90.0);
	assert_true(chi_lo < 90.0);
	assert_true(dups < dup_bound);

	/* ports: one per lookup */
	unsigned same = 0;
	for (unsigned i = 0; i + 1 < nports; i++)
		same += ports[i] == ports[i + 1];
	qsort(ports, nports, sizeof *ports, cmp_u16);
	unsigned dport = nports ? 1 : 0;
	for (unsigned i = 1; i < nports; i++)
		dport += ports[i] != ports[i - 1];
	unsigned lo_port = 32768, hi_port = 60999;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (f) {
		if (fscanf(f, "%u %u", &lo_port, &hi_port) != 2)
			lo_port = 32768, hi_port = 60999;
		fclose(f);
	}
	unsigned range = hi_port >= lo_port ? hi_port - lo_port + 1 : 1;
	print_message("    %u lookups: %u distinct source ports (range %u), "
		      "%u consecutive repeats\n", nports, dport, range, same);
	/* one A query per lookup (a rare retransmission may shift one) */
	assert_true(nports >= N / 4);
	/* random over R ports: P(repeat) = 1/R per pair; a shared socket
	 * repeats every time.  Loose on purpose (the kernel chooses). */
	assert_true(same <= nports / 10);
	assert_true(dport >= (nports < range ? nports : range) / 4);
	free(ids);
	free(ports);
	free(qi);
	fakedns_stop(s);
}

/* ---- set-uid programs ignore the overrides ----------------------------------- */

/* Runs the helper, as root or as nobody (65534), with RFCRES_DEBUG=1 and
 * this process's RFCRES_* overrides; its one line of output in out. */
static int run_helper(const char *path, bool as_nobody, char *out, size_t n)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (dup2(p[1], 1) < 0)
			_exit(20);
		close(p[0]);
		close(p[1]);
		if (setenv("RFCRES_DEBUG", "1", 1) != 0)
			_exit(21);
		if (as_nobody && (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
				  setuid(65534) != 0))
			_exit(22);
		execl(path, path, (char *)NULL);
		_exit(23);
	}
	close(p[1]);
	size_t len = 0;
	double t0 = now_s();
	while (len + 1 < n && now_s() - t0 < 10.0) { /* hang bound */
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		if (poll(&pf, 1, 100) <= 0)
			continue;
		ssize_t r = read(p[0], out + len, n - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	out[len] = '\0';
	close(p[0]);
	int status = 0;
	bool done = false;
	for (int i = 0; i < 1000 && !done; i++) { /* hang bound: 10 s */
		done = waitpid(pid, &status, WNOHANG) == pid;
		if (!done)
			sleep_ms(10);
	}
	if (!done) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

/*
 * A set-uid program must not let its caller choose its configuration:
 * RFCRES_RESOLV_CONF, RFCRES_HOSTS, RFCRES_GAI_CONF, RFCRES_SERVICES and
 * RFCRES_DEBUG are read with secure_getenv (src/core/sys.c), which returns
 * NULL when the kernel set AT_SECURE, as glibc ignores RES_OPTIONS and
 * LOCALDOMAIN there.  A set-uid-root copy of tests/integration/
 * secure_env.c is run by nobody: it must report the default paths and no
 * debug output; run by root (no AT_SECURE) it reports the overrides.
 * Needs root (to make the copy set-uid root and to become nobody); the
 * helper reads no configuration file and sends nothing.
 */
static void t_setuid_env(void **st)
{
	(void)st;
	if (geteuid() != 0) {
		print_message("    not root: cannot make a set-uid copy, skipped\n");
		skip();
	}
	char self[512], helper[600], sdir[64], copy[128];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
	assert_true(sl > 0);
	self[sl] = '\0';
	char *slash = strrchr(self, '/');
	assert_non_null(slash);
	*slash = '\0';
	snprintf(helper, sizeof helper, "%s/faults_secure_env", self);
	int in = open(helper, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		print_message("    %s missing, skipped\n", helper);
		skip();
	}
	/* a directory nobody can traverse, a copy owned by root, mode 4755 */
	snprintf(sdir, sizeof sdir, "/tmp/rfcres-suid.XXXXXX");
	assert_non_null(mkdtemp(sdir));
	assert_int_equal(chmod(sdir, 0755), 0);
	snprintf(copy, sizeof copy, "%s/secure_env", sdir);
	int out = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	assert_true(out >= 0);
	char buf[65536];
	ssize_t r;
	while ((r = read(in, buf, sizeof buf)) > 0)
		assert_int_equal(write(out, buf, (size_t)r), r);
	close(in);
	assert_int_equal(fchown(out, 0, 0), 0);
	assert_int_equal(fchmod(out, 04755), 0); /* after chown: it clears S_ISUID */
	assert_int_equal(close(out), 0);

	char as_root[1024], as_nobody[1024], want[1024];
	int rc_root = run_helper(copy, false, as_root, sizeof as_root);
	int rc_nobody = run_helper(copy, true, as_nobody, sizeof as_nobody);
	unlink(copy);
	rmdir(sdir);
	print_message("    root:   %s", as_root);
	print_message("    nobody: %s", as_nobody);
	assert_int_equal(rc_root, 0);
	assert_int_equal(rc_nobody, 0);
	snprintf(want, sizeof want,
		 "secure=0 resolv=%s hosts=%s gai=/nonexistent/gai.conf "
		 "services=/nonexistent/services debug=1\n", resolv, hosts);
	assert_string_equal(as_root, want);
	if (strncmp(as_nobody, "secure=1 ", 9) != 0) {
		print_message("    no AT_SECURE (nosuid mount?), skipped\n");
		skip();
	}
	assert_string_equal(as_nobody,
			    "secure=1 resolv=/etc/resolv.conf hosts=/etc/hosts "
			    "gai=/etc/gai.conf services=/etc/services debug=0\n");
}

/* ---- fixture ---------------------------------------------------------------- */

static int setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof dir, "/tmp/rfcres-faults.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(resolv, sizeof resolv, "%s/resolv.conf", dir);
	snprintf(resolv_b, sizeof resolv_b, "%s/resolv-b.conf", dir);
	snprintf(hosts, sizeof hosts, "%s/hosts", dir);
	if (!put_file(hosts, "127.0.0.1 localhost\n"))
		return -1;
	setenv("RFCRES_RESOLV_CONF", resolv, 1);
	setenv("RFCRES_HOSTS", hosts, 1);
	setenv("RFCRES_GAI_CONF", "/nonexistent/gai.conf", 1);
	setenv("RFCRES_NSSWITCH_CONF", "/nonexistent/nsswitch.conf", 1);
	setenv("RFCRES_SERVICES", "/nonexistent/services", 1);
	print_message("    scale %.3g\n", test_scale());
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	char tmp[160];
	const char *files[] = { resolv, resolv_b, hosts };
	for (int i = 0; i < 3; i++) {
		unlink(files[i]);
		snprintf(tmp, sizeof tmp, "%s.tmp", files[i]);
		unlink(tmp);
	}
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_emfile),
		cmocka_unit_test(t_eintr),
		cmocka_unit_test(t_fork),
		cmocka_unit_test(t_threads_swap),
		cmocka_unit_test(t_ids_and_ports),
		cmocka_unit_test(t_setuid_env),
	};
	/* e.g. RFCRES_TEST_FILTER=t_fork: one test only (cmocka pattern) */
	const char *only = getenv("RFCRES_TEST_FILTER");
	if (only && *only)
		cmocka_set_test_filter(only);
	return cmocka_run_group_tests(tests, setup, teardown);
}
