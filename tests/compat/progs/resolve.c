/*
 * resolve: a plain resolver client for the link tests (t_link*.sh).  It
 * uses only the standard names from <netdb.h>, never rfcres_*, so whether
 * librfcres or libc answers depends only on how it was linked.
 *
 *   resolve [-4|-6] [-x ADDR]... [NAME]...
 *
 * For each NAME prints
 *   gai NAME eai=E canon=C addrs=A,B,...          getaddrinfo (AI_CANONNAME)
 *   ghbn NAME herr=H name=N aliases=X,.. addrs=.. gethostbyname(2)
 *   ghbnr NAME rc=R herr=H retries=K name=N addrs=..  gethostbyname(2)_r
 *                                                  from a 16-byte buffer,
 *                                                  doubled on ERANGE
 * and for each -x ADDR
 *   ghba ADDR herr=H name=N                        gethostbyaddr
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void print_list(const char *label, char **list, int family)
{
	char buf[INET6_ADDRSTRLEN];
	printf(" %s=", label);
	for (size_t i = 0; list && list[i]; i++) {
		const char *s = list[i];
		if (family && !inet_ntop(family, list[i], buf, sizeof buf))
			s = "?";
		else if (family)
			s = buf;
		printf("%s%s", i ? "," : "", s);
	}
}

static void print_hostent(const struct hostent *h)
{
	printf(" name=%s", h->h_name);
	print_list("aliases", h->h_aliases, 0);
	print_list("addrs", h->h_addr_list, h->h_addrtype);
	printf(" length=%d\n", h->h_length);
}

static void do_gai(const char *name, int family)
{
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_CANONNAME;
	int rc = getaddrinfo(name, NULL, &hints, &res);
	printf("gai %s eai=%d canon=%s addrs=", name, rc,
	       rc == 0 && res->ai_canonname ? res->ai_canonname : "-");
	int first = 1;
	for (struct addrinfo *ai = rc ? NULL : res; ai; ai = ai->ai_next) {
		char buf[INET6_ADDRSTRLEN];
		const void *a = ai->ai_family == AF_INET
			? (const void *)&((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr
			: (const void *)&((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr;
		if (inet_ntop(ai->ai_family, a, buf, sizeof buf)) {
			printf("%s%s", first ? "" : ",", buf);
			first = 0;
		}
	}
	printf("\n");
	if (rc == 0)
		freeaddrinfo(res);
}

static void do_ghbn(const char *name, int family)
{
	struct hostent *h = family == AF_INET6 ? gethostbyname2(name, AF_INET6)
					       : gethostbyname(name);
	printf("ghbn %s herr=%d", name, h ? 0 : h_errno);
	if (h)
		print_hostent(h);
	else
		printf("\n");
}

static void do_ghbn_r(const char *name, int family)
{
	size_t len = 16;
	int retries = 0, rc, herr = 0;
	struct hostent he, *res = NULL;
	char *buf = NULL;
	for (;;) {
		char *nb = realloc(buf, len);
		if (!nb) {
			rc = ENOMEM;
			break;
		}
		buf = nb;
		rc = family == AF_INET6
			     ? gethostbyname2_r(name, AF_INET6, &he, buf, len,
						&res, &herr)
			     : gethostbyname_r(name, &he, buf, len, &res, &herr);
		if (rc != ERANGE || len >= (1u << 20))
			break;
		len *= 2;
		retries++;
	}
	printf("ghbnr %s rc=%d herr=%d retries=%d", name, rc, herr, retries);
	if (rc == 0 && res)
		print_hostent(res);
	else
		printf("\n");
	free(buf);
}

static void do_ghba(const char *addr)
{
	unsigned char a[16];
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(family, addr, a) != 1) {
		printf("ghba %s bad-address\n", addr);
		return;
	}
	struct hostent *h =
		gethostbyaddr(a, family == AF_INET6 ? 16 : 4, family);
	printf("ghba %s herr=%d name=%s\n", addr, h ? 0 : h_errno,
	       h ? h->h_name : "-");
}

int main(int argc, char **argv)
{
	int family = AF_UNSPEC;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-4") == 0) {
			family = AF_INET;
		} else if (strcmp(argv[i], "-6") == 0) {
			family = AF_INET6;
		} else if (strcmp(argv[i], "-x") == 0 && i + 1 < argc) {
			do_ghba(argv[++i]);
		} else {
			do_gai(argv[i], family);
			do_ghbn(argv[i], family);
			do_ghbn_r(argv[i], family);
		}
	}
	fflush(stdout);
	return 0;
}
