/*
 * Harness of the glibc scenario test (glibc_resolv.c): output in glibc's
 * support_format_addrinfo form, checks, the three in-process servers and
 * resolv.conf.  The scenarios (glibc_scen_*.c) use only this.
 */
#ifndef RFCRES_GLIBC_HARNESS_H
#define RFCRES_GLIBC_HARNESS_H

#include <netdb.h>
#include <stdbool.h>

#include "fakedns.h"

#define MAXSRV 3
extern struct fakedns *srv[MAXSRV];

/* getaddrinfo result as glibc's tests print it ("flags: ...",
 * "canonname: ...", "address: STREAM/TCP 192.0.2.17 80", or
 * "error: <gai_strerror>"); malloc'd. */
char *fmt_ai(int rc, const struct addrinfo *ai);
/* One check: got must equal want (or want2, when glibc's test accepts
 * either); a difference only in the order of the two families counts as
 * the documented deviation. */
void compare(const char *what, const char *got, const char *want,
	     const char *want2);
void check_ai_hints(const char *name, const char *serv, struct addrinfo hints,
		    const char *want, const char *want2);
void check_ai(const char *name, const char *serv, int family,
	      const char *want);
/* gethostbyname2 and gethostbyname2_r growing the buffer from 1 byte */
void check_h(const char *name, int family, const char *want);
void check_true(const char *what, bool ok);

/* Replace server s's zone (records and behaviours). */
void zone(struct fakedns *s, const char *text);
void zone_all(int n, const char *text);
/* resolv.conf = prefix, "nameserver" for srv[0..n-1], extra; res_init. */
void resolv(const char *prefix, int n, const char *extra);
unsigned long queries(int i);
void reset_counters(int n);
double now(void);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* head, then STREAM/TCP, DGRAM/UDP, RAW/IP lines for a4 and for a6 */
char *expect3(const char *head, const char *a4, const char *a6);

struct scenario {
	const char *id, *glibc;
	void (*run)(void);
};
extern const struct scenario scen_basic[], scen_more[];
extern const unsigned n_scen_basic, n_scen_more;

#endif
