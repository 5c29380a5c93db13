/*
 * getaddrinfo without DNS (gai.c over the hosts file): the request keeps up
 * to GAI_INLINE_ADDRS addresses inline and grows past that, the canonical
 * name points into the snapshot the request holds, and a steady-state
 * lookup makes exactly the system calls it must -- counted through
 * rfcres_sys.  No test name goes to DNS (the resolv.conf points at a
 * loopback port nobody serves and is never asked).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sys.h"
#include "gai/gai.h"
#include "rfcres.h"
#include "conf_dir.h"

static char dir[] = "/tmp/rfcres-gai-XXXXXX";

static void put(const char *name, const char *text)
{
	conf_dir_put(dir, name, text);
}

/* "many": 20 addresses (more than GAI_INLINE_ADDRS), alternating
 * families, under a canonical name that differs from the alias. */
static void many_hosts(char *hosts, size_t cap)
{
	int n = 0;
	for (int i = 1; i <= 10; i++) {
		n += snprintf(hosts + n, cap - (size_t)n,
			      "192.0.2.%d canon.many.test many\n", i);
		n += snprintf(hosts + n, cap - (size_t)n,
			      "2001:db8::%x canon.many.test many\n", i);
	}
	snprintf(hosts + n, cap - (size_t)n,
		 "127.0.0.1 localhost\n::1 localhost\n"
		 "192.0.2.99 one.test\n");
}

static int setup(void **st)
{
	(void)st;
	char hosts[4096];
	many_hosts(hosts, sizeof hosts);
	return conf_dir_setup(dir, hosts);
}

static int teardown(void **st)
{
	(void)st;
	conf_dir_teardown(dir);
	return 0;
}

static int count(const struct addrinfo *ai)
{
	int n = 0;
	for (; ai; ai = ai->ai_next)
		n++;
	return n;
}

/* Past the inline capacity the addresses move to the heap, all of them,
 * each once. */
static void t_many_addresses(void **st)
{
	(void)st;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_CANONNAME };
	struct addrinfo *res = NULL;
	assert_int_equal(rfcres_getaddrinfo("many", "80", &hints, &res), 0);
	assert_int_equal(count(res), 20);
	assert_true(20 > GAI_INLINE_ADDRS);
	assert_non_null(res->ai_canonname);
	assert_string_equal(res->ai_canonname, "canon.many.test");
	unsigned seen4 = 0, seen6 = 0;
	for (const struct addrinfo *a = res; a; a = a->ai_next) {
		if (a->ai_family == AF_INET) {
			const struct sockaddr_in *s = (const void *)a->ai_addr;
			unsigned last = ntohl(s->sin_addr.s_addr) & 255;
			assert_in_range(last, 1, 10);
			assert_false(seen4 & (1u << last));
			seen4 |= 1u << last;
			assert_int_equal(ntohs(s->sin_port), 80);
		} else {
			const struct sockaddr_in6 *s = (const void *)a->ai_addr;
			unsigned last = s->sin6_addr.s6_addr[15];
			assert_in_range(last, 1, 10);
			assert_false(seen6 & (1u << last));
			seen6 |= 1u << last;
		}
	}
	assert_int_equal(seen4, 0x7fe);
	assert_int_equal(seen6, 0x7fe);
	rfcres_freeaddrinfo(res);

	/* only the first node carries the canonical name, and only when
	 * asked for */
	hints.ai_flags = 0;
	assert_int_equal(rfcres_getaddrinfo("many", NULL, &hints, &res), 0);
	assert_int_equal(count(res), 20);
	assert_null(res->ai_canonname);
	rfcres_freeaddrinfo(res);
}

/* AI_CANONNAME of a literal is the literal (the request's own copy). */
static void t_canonname_literal(void **st)
{
	(void)st;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_CANONNAME };
	struct addrinfo *res = NULL;
	char node[32];
	snprintf(node, sizeof node, "192.0.2.77");
	assert_int_equal(rfcres_getaddrinfo(node, NULL, &hints, &res), 0);
	memset(node, 'x', sizeof node - 1); /* the caller's string goes */
	assert_string_equal(res->ai_canonname, "192.0.2.77");
	rfcres_freeaddrinfo(res);
}

/* The asynchronous request: the caller's node may be freed right after
 * the start, and a change of the hosts file after it does not touch the
 * result (the canonical name is taken from the snapshot the request held,
 * not copied; ASan checks the lifetime). */
static void t_async_canon_lifetime(void **st)
{
	(void)st;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_CANONNAME };
	char *node = strdup("one.test");
	int err = -1;
	struct rfcres_req *q = rfcres_req_start(node, NULL, &hints, &err);
	assert_non_null(q);
	assert_int_equal(err, 0);
	free(node);
	/* the hosts file changes under the request */
	put("hosts", "192.0.2.98 one.test\n127.0.0.1 localhost\n");
	assert_true(rfcres_req_done(q));
	struct addrinfo *res = NULL;
	assert_int_equal(rfcres_req_result(q, &res), 0);
	assert_string_equal(res->ai_canonname, "one.test");
	rfcres_freeaddrinfo(res);
	char hosts[4096]; /* restore */
	many_hosts(hosts, sizeof hosts);
	put("hosts", hosts);
}

/* ---- system calls of a steady-state lookup, through rfcres_sys ---------- */

static struct {
	unsigned stat, open, readlink, socket, connect, getsockname, send,
		sendmsg, recvmsg, recvmmsg, sendmmsg, recvfrom, poll,
		getrandom, getpid, close, total;
} nc;

#define COUNT(m) (nc.m++, nc.total++)
static int c_stat(const char *p, struct stat *s) { COUNT(stat); return stat(p, s); }
static int c_open(const char *p, int f) { COUNT(open); return open(p, f | O_CLOEXEC); }
static ssize_t c_readlink(const char *p, char *b, size_t l) { COUNT(readlink); return readlink(p, b, l); }
static int c_socket(int d, int t, int p) { COUNT(socket); return socket(d, t, p); }
static int c_connect(int fd, const struct sockaddr *a, socklen_t l) { COUNT(connect); return connect(fd, a, l); }
static int c_getsockname(int fd, struct sockaddr *a, socklen_t *l) { COUNT(getsockname); return getsockname(fd, a, l); }
static ssize_t c_send(int fd, const void *b, size_t l, int f) { COUNT(send); return send(fd, b, l, f); }
static ssize_t c_sendmsg(int fd, const struct msghdr *m, int f) { COUNT(sendmsg); return sendmsg(fd, m, f); }
static ssize_t c_recvmsg(int fd, struct msghdr *m, int f) { COUNT(recvmsg); return recvmsg(fd, m, f); }
static int c_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int f, struct timespec *t) { COUNT(recvmmsg); return recvmmsg(fd, v, n, f, t); }
static int c_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int f) { COUNT(sendmmsg); return sendmmsg(fd, v, n, f); }
static ssize_t c_recvfrom(int fd, void *b, size_t l, int f, struct sockaddr *a, socklen_t *al) { COUNT(recvfrom); return recvfrom(fd, b, l, f, a, al); }
static int c_poll(struct pollfd *p, nfds_t n, int ms) { COUNT(poll); return poll(p, n, ms); }
static ssize_t c_getrandom(void *b, size_t l, unsigned f) { COUNT(getrandom); return getrandom(b, l, f); }
static pid_t c_getpid(void) { COUNT(getpid); return getpid(); }
static int c_close(int fd) { COUNT(close); return close(fd); }

static void count_on(void)
{
	rfcres_sys.stat = c_stat;
	rfcres_sys.open = c_open;
	rfcres_sys.readlink = c_readlink;
	rfcres_sys.socket = c_socket;
	rfcres_sys.connect = c_connect;
	rfcres_sys.getsockname = c_getsockname;
	rfcres_sys.send = c_send;
	rfcres_sys.sendmsg = c_sendmsg;
	rfcres_sys.recvmsg = c_recvmsg;
	rfcres_sys.recvmmsg = c_recvmmsg;
	rfcres_sys.sendmmsg = c_sendmmsg;
	rfcres_sys.recvfrom = c_recvfrom;
	rfcres_sys.poll = c_poll;
	rfcres_sys.getrandom = c_getrandom;
	rfcres_sys.getpid = c_getpid;
	rfcres_sys.close = c_close;
	memset(&nc, 0, sizeof nc);
}

static void lookup(const char *node, const char *service, int want)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	assert_int_equal(rfcres_getaddrinfo(node, service, &hints, &res), 0);
	assert_int_equal(count(res), want);
	rfcres_freeaddrinfo(res);
}

static bool netlink_works(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void t_syscalls_hosts(void **st)
{
	(void)st;
	/* one address from the hosts file: the configuration watcher's one
	 * poll (inotify and mount table, nothing changed), no stat, nothing
	 * else (no sort, no services file for a number) */
	lookup("one.test", "80", 1);
	count_on();
	for (int i = 0; i < 10; i++)
		lookup("one.test", "80", 1);
	sys_reset();
	assert_int_equal(nc.stat, 0);
	assert_int_equal(nc.poll, 10);
	assert_int_equal(nc.total, 10);
	/* a numeric host with a numeric service: nothing at all */
	count_on();
	lookup("192.0.2.1", "80", 1);
	sys_reset();
	assert_int_equal(nc.total, 0);
}

static void t_syscalls_localhost(void **st)
{
	(void)st;
	if (!netlink_works())
		skip();
	/* ::1 and 127.0.0.1: sorted with the inventory's loopback sources.
	 * The lookup's one poll covers the configuration watcher and the
	 * change monitor (gai_quiet.c); the inventory only checks the
	 * namespace link -- no getsockname, no read of the monitor, no
	 * socket, no netlink round trip, no getpid */
	lookup("localhost", NULL, 2);
	count_on();
	for (int i = 0; i < 10; i++)
		lookup("localhost", NULL, 2);
	sys_reset();
	assert_int_equal(nc.stat, 0);
	assert_int_equal(nc.readlink, 10);
	assert_int_equal(nc.poll, 10);
	assert_int_equal(nc.getsockname, 0);
	assert_int_equal(nc.recvmsg, 0);
	assert_int_equal(nc.getpid, 0);
	assert_int_equal(nc.socket, 0);
	assert_int_equal(nc.sendmsg, 0);
	assert_int_equal(nc.getrandom, 0);
	if (nc.total != 20)
		print_message("note: %u calls (the host's addresses changed "
			      "meanwhile?)\n", nc.total);
	assert_in_range(nc.total, 20, 40);
}

/* Tracing switched on in the middle of a lookup: the lookup, which took
 * no id while untraced (no shared counter touched per lookup), gets one
 * with its first event and keeps it across steps. */
static uint64_t ev_ids[64];
static unsigned nev_ids;
static void id_hook(const struct rfcres_trace_event *ev, void *arg)
{
	(void)arg;
	if (nev_ids < 64)
		ev_ids[nev_ids++] = ev->lookup_id;
}

static void t_trace_switched_on_midway(void **st)
{
	(void)st;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	int err = -1;
	/* the server is a closed loopback port: refused, then EAI_AGAIN */
	struct rfcres_req *q = rfcres_req_start("nosuch.test", NULL, &hints,
						&err);
	assert_non_null(q);
	nev_ids = 0;
	rfcres_set_trace(id_hook, NULL);
	for (int i = 0; i < 100 && !rfcres_req_done(q); i++) {
		struct pollfd fds[RFCRES_REQ_MAXFDS];
		int ms, n = rfcres_req_pollfds(q, fds, RFCRES_REQ_MAXFDS, &ms);
		poll(fds, (nfds_t)n, ms > 100 ? 100 : ms);
		rfcres_req_process(q, fds, n);
	}
	assert_true(rfcres_req_done(q));
	struct addrinfo *res = NULL;
	assert_int_equal(rfcres_req_result(q, &res), EAI_AGAIN);
	rfcres_set_trace(NULL, NULL);
	assert_true(nev_ids > 0);
	for (unsigned i = 0; i < nev_ids; i++) {
		assert_true(ev_ids[i] != 0);
		assert_true(ev_ids[i] == ev_ids[0]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_many_addresses),
		cmocka_unit_test(t_canonname_literal),
		cmocka_unit_test(t_async_canon_lifetime),
		cmocka_unit_test(t_syscalls_hosts),
		cmocka_unit_test(t_syscalls_localhost),
		cmocka_unit_test(t_trace_switched_on_midway),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
