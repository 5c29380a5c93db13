/*
 * Shared by test_async.c and test_event.c: temp config pointed at by
 * RFCRES_* variables, a fakedns zone with one name per behaviour, result
 * rendering (to compare async and sync answers), descriptor counting.
 */
#ifndef TEST_ASYNC_COMMON_H
#define TEST_ASYNC_COMMON_H

#include <arpa/inet.h>
#include <dirent.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fakedns.h"
#include "rfcres.h"

/* Normal names n0.t .. n{NNAMES-1}.t, one A and one AAAA each. */
#define NNAMES 500

static char t_dir[64], t_resolv[128], t_hosts[128];

static inline double t_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int t_env_setup(void)
{
	snprintf(t_dir, sizeof t_dir, "/tmp/rfcres-async.XXXXXX");
	if (!mkdtemp(t_dir))
		return -1;
	snprintf(t_resolv, sizeof t_resolv, "%s/resolv.conf", t_dir);
	snprintf(t_hosts, sizeof t_hosts, "%s/hosts", t_dir);
	FILE *f = fopen(t_hosts, "w");
	if (!f)
		return -1;
	fputs("127.0.0.1 localhost\n::1 localhost\n"
	      "192.0.2.50 hostsname.t hostsalias\n2001:db8::50 hostsname.t\n",
	      f);
	fclose(f);
	setenv("RFCRES_RESOLV_CONF", t_resolv, 1);
	setenv("RFCRES_HOSTS", t_hosts, 1);
	setenv("RFCRES_GAI_CONF", "/nonexistent/gai.conf", 1);
	setenv("RFCRES_NSSWITCH_CONF", "/nonexistent/nsswitch.conf", 1);
	return 0;
}

static inline void t_env_teardown(void)
{
	unlink(t_resolv);
	unlink(t_hosts);
	rmdir(t_dir);
}

/* One nameserver, replaced atomically. */
static inline int t_point_at(const struct fakedns *s, const char *opts)
{
	char tmp[160];
	snprintf(tmp, sizeof tmp, "%s.tmp", t_resolv);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "nameserver 127.0.0.1:%u\noptions %s\n", fakedns_port(s),
		opts);
	fclose(f);
	return rename(tmp, t_resolv);
}

/* The zone: n<i>.t normal; big.t truncated (-> TCP); silent.t truncated
 * with a silent TCP; drip.t truncated, TCP one byte per 50 ms; sf.t
 * SERVFAIL; drop.t never answered; slow.t answered after 300 ms. */
static inline struct fakedns *t_server(void)
{
	struct fakedns_opts o = { .listen = { "127.0.0.1:0" } };
	struct fakedns *s = fakedns_start(&o);
	if (!s)
		return NULL;
	size_t cap = NNAMES * 80 + 1024, n = 0;
	char *z = malloc(cap);
	if (!z) {
		fakedns_stop(s);
		return NULL;
	}
	for (int i = 0; i < NNAMES; i++)
		n += (size_t)snprintf(z + n, cap - n,
				      "n%d.t A 10.%d.%d.1\nn%d.t AAAA 2001:db8:%x::1\n",
				      i, 1 + i / 250, i % 250, i, i + 1);
	snprintf(z + n, cap - n,
		 "www.t A 192.0.2.1\nwww.t AAAA 2001:db8::1\n"
		 "big.t A 10.200.0.1-60\n"
		 "silent.t A 10.201.0.1-60\n"
		 "drip.t A 10.202.0.1-60\n"
		 "sf.t A 192.0.2.3\n"
		 "drop.t A 192.0.2.4\n"
		 "slow.t A 192.0.2.5\n");
	int rc = fakedns_load_zone_text(s, z);
	free(z);
	if (rc ||
	    fakedns_set(s, "big.t", FAKEDNS_TRUNCATE, 512) ||
	    fakedns_set(s, "silent.t", FAKEDNS_TRUNCATE, 512) ||
	    fakedns_set(s, "silent.t", FAKEDNS_TCP_SILENT, 0) ||
	    fakedns_set(s, "drip.t", FAKEDNS_TRUNCATE, 512) ||
	    fakedns_set(s, "drip.t", FAKEDNS_TCP_DRIP, 50) ||
	    fakedns_set(s, "sf.t", FAKEDNS_SERVFAIL, 0) ||
	    fakedns_set(s, "drop.t", FAKEDNS_DROP_ALL, 0) ||
	    fakedns_set(s, "slow.t", FAKEDNS_DELAY, 300)) {
		fakedns_stop(s);
		return NULL;
	}
	return s;
}

/* "rc=0 inet/1/6/192.0.2.1/80 ... canon=x" -- everything a caller sees. */
static inline void t_render(int rc, const struct addrinfo *res, char *buf,
			    size_t len)
{
	size_t o = (size_t)snprintf(buf, len, "rc=%d", rc);
	for (const struct addrinfo *ai = res; ai && o < len; ai = ai->ai_next) {
		char a[INET6_ADDRSTRLEN] = "?";
		unsigned port = 0, scope = 0;
		if (ai->ai_family == AF_INET) {
			const struct sockaddr_in *s4 = (const void *)ai->ai_addr;
			inet_ntop(AF_INET, &s4->sin_addr, a, sizeof a);
			port = ntohs(s4->sin_port);
		} else if (ai->ai_family == AF_INET6) {
			const struct sockaddr_in6 *s6 = (const void *)ai->ai_addr;
			inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
			port = ntohs(s6->sin6_port);
			scope = s6->sin6_scope_id;
		}
		o += (size_t)snprintf(buf + o, len - o, " %d/%d/%d/%s%%%u/%u%s%s",
				      ai->ai_family, ai->ai_socktype,
				      ai->ai_protocol, a, scope, port,
				      ai->ai_canonname ? "/canon=" : "",
				      ai->ai_canonname ? ai->ai_canonname : "");
	}
}

static inline void t_sync(const char *node, const char *service,
			  const struct addrinfo *hints, char *buf, size_t len)
{
	struct addrinfo *res = NULL;
	int rc = rfcres_getaddrinfo(node, service, hints, &res);
	t_render(rc, res, buf, len);
	rfcres_freeaddrinfo(res);
}

static inline int t_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

/* The in-process server closes its side of a TCP connection when it sees
 * the client's FIN, a moment later: wait (bounded) for the count to drop
 * back to base, and return it. */
static inline int t_fds_settle(int base)
{
	int n = t_count_fds();
	for (int i = 0; i < 300 && n > base; i++) {
		usleep(10000);
		n = t_count_fds();
	}
	return n;
}

/* Baseline: the count once the server has finished closing connections of
 * earlier lookups (stable for 100 ms, bounded wait). */
static inline int t_fds_base(void)
{
	int n = t_count_fds(), same = 0;
	for (int i = 0; i < 300 && same < 5; i++) {
		usleep(20000);
		int m = t_count_fds();
		same = m == n ? same + 1 : 0;
		n = m;
	}
	return n;
}

static inline int t_is_stream(int fd)
{
	int type = 0;
	socklen_t l = sizeof type;
	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) == 0 &&
	       type == SOCK_STREAM;
}

#endif
