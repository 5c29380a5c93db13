/*
 * The floor: the least work that obtains the same answers as a resolver
 * library.  One connected UDP socket for the whole run; per lookup, for
 * each candidate name in turn (NAME is a comma-separated list, e.g. the
 * search-list expansion a library would try), send the A and AAAA queries,
 * wait for both replies (matched by ID), and if a reply is truncated (TC)
 * repeat the truncated queries over one TCP connection.  The first name
 * that is not NXDOMAIN ends the lookup; the answer count is the number of
 * addresses.  No parsing beyond the header, no sorting, no files.
 *
 * Server: env BENCH_SERVER (default 127.0.0.1), BENCH_PORT (default 53).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "bench_common.h"

#define MAX_NAMES 8
#define MAX_DGRAMS 16 /* stray datagrams tolerated per exchange */

struct floor_ctx {
	struct sockaddr_in srv;
	int udp;
	uint16_t next_id;
};

static uint8_t rbuf[65536 + 2];

static size_t build_query(uint8_t *q, size_t cap, uint16_t id, const char *name,
			  size_t nlen, uint16_t qtype)
{
	size_t o = 12, i = 0;

	if (nlen + 18 > cap)
		return 0;
	memset(q, 0, 12);
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
	q[2] = 0x01; /* RD */
	q[5] = 1;    /* QDCOUNT */
	while (i < nlen) {
		size_t j = i;

		while (j < nlen && name[j] != '.')
			j++;
		if (j - i == 0 || j - i > 63)
			return 0;
		q[o++] = (uint8_t)(j - i);
		memcpy(q + o, name + i, j - i);
		o += j - i;
		i = j + 1;
	}
	q[o++] = 0;
	q[o++] = 0;
	q[o++] = (uint8_t)qtype;
	q[o++] = 0;
	q[o++] = 1; /* IN */
	return o;
}

static int set_timeout(int fd)
{
	struct timeval tv = { 2, 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -1;
	return 0;
}

static int read_full(int fd, uint8_t *b, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, b + got, n - got);

		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* Re-ask the truncated queries over TCP; adds their answer counts. */
static int tcp_exchange(struct floor_ctx *c, uint8_t q[2][300], size_t qlen[2],
			const int need[2], unsigned *ans)
{
	uint8_t out[2 * 302];
	size_t olen = 0;
	int fd, k, rc = -1;

	for (k = 0; k < 2; k++) {
		if (!need[k])
			continue;
		out[olen++] = (uint8_t)(qlen[k] >> 8);
		out[olen++] = (uint8_t)qlen[k];
		memcpy(out + olen, q[k], qlen[k]);
		olen += qlen[k];
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (set_timeout(fd) || connect(fd, (struct sockaddr *)&c->srv, sizeof(c->srv)) ||
	    write(fd, out, olen) != (ssize_t)olen)
		goto out;
	for (k = 0; k < 2; k++) {
		size_t len;

		if (!need[k])
			continue;
		if (read_full(fd, rbuf, 2))
			goto out;
		len = (size_t)rbuf[0] << 8 | rbuf[1];
		if (len < 12 || read_full(fd, rbuf + 2, len))
			goto out;
		*ans += (unsigned)rbuf[8] << 8 | rbuf[9];
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/* A+AAAA for one name.  Returns 1 if both NXDOMAIN, 0 answered, -1 error. */
static int exchange(struct floor_ctx *c, const char *name, size_t nlen,
		    unsigned *ans)
{
	static const uint16_t qtypes[2] = { 1, 28 };
	uint8_t q[2][300];
	size_t qlen[2];
	uint16_t id[2] = { 0, 0 };
	int got[2] = { 0, 0 }, tc[2] = { 0, 0 }, nx = 0, k, tries;

	for (k = 0; k < 2; k++) {
		id[k] = c->next_id++;
		qlen[k] = build_query(q[k], sizeof(q[k]), id[k], name, nlen, qtypes[k]);
		if (!qlen[k] || send(c->udp, q[k], qlen[k], 0) != (ssize_t)qlen[k])
			return -1;
	}
	for (tries = 0; (!got[0] || !got[1]) && tries < MAX_DGRAMS; tries++) {
		ssize_t r = recv(c->udp, rbuf, sizeof(rbuf), 0);
		uint16_t rid;

		if (r < 0)
			return -1;
		if (r < 12)
			continue;
		rid = (uint16_t)(rbuf[0] << 8 | rbuf[1]);
		for (k = 0; k < 2; k++) {
			if (got[k] || rid != id[k])
				continue;
			got[k] = 1;
			if (rbuf[2] & 0x02) {
				tc[k] = 1;
				break;
			}
			if ((rbuf[3] & 0x0f) == 3)
				nx++;
			*ans += (unsigned)rbuf[6] << 8 | rbuf[7];
			break;
		}
	}
	if (!got[0] || !got[1])
		return -1;
	if ((tc[0] || tc[1]) && tcp_exchange(c, q, qlen, tc, ans))
		return -1;
	return nx == 2 ? 1 : 0;
}

static int floor_lookup(void *vctx, const char *names, unsigned *naddr,
			char *err, size_t errlen)
{
	struct floor_ctx *c = vctx;
	const char *p = names;
	int n;

	for (n = 0; n < MAX_NAMES && *p; n++) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		unsigned ans = 0;
		int rc = exchange(c, p, len, &ans);

		if (rc < 0) {
			snprintf(err, errlen, "exchange failed: %s", strerror(errno));
			return -1;
		}
		if (rc == 0) {
			*naddr = ans;
			return 0;
		}
		if (!e)
			break;
		p = e + 1;
	}
	snprintf(err, errlen, "NXDOMAIN");
	return 3;
}

int main(int argc, char **argv)
{
	struct floor_ctx c;
	const char *srv = getenv("BENCH_SERVER"), *port = getenv("BENCH_PORT");

	memset(&c, 0, sizeof(c));
	c.srv.sin_family = AF_INET;
	c.srv.sin_port = htons(port ? (uint16_t)atoi(port) : 53);
	if (inet_pton(AF_INET, srv ? srv : "127.0.0.1", &c.srv.sin_addr) != 1) {
		fprintf(stderr, "bad BENCH_SERVER\n");
		return 2;
	}
	c.next_id = (uint16_t)getpid();
	c.udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c.udp < 0 || set_timeout(c.udp) ||
	    connect(c.udp, (struct sockaddr *)&c.srv, sizeof(c.srv))) {
		perror("udp socket");
		return 1;
	}
	return bench_main(argc, argv, "floor", floor_lookup, &c);
}
