/*
 * The hosts line as getaddrinfo, gethostbyname2 and getnameinfo walk it
 * (gai_nss.c, nss_hosts.c, nss_module.c), with fake NSS modules injected
 * through rfcres_sys.dlopen/dlsym: a table of lines x module statuses ->
 * the sources consulted, in order, and the final result; then modules that
 * misbehave (ERANGE forever, garbage statuses, NULL lists, missing
 * functions, not installed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/sys.h"
#include "nss/nss_module.h"
#include "rfcres.h"
#include "conf_dir.h"

static char dir[] = "/tmp/rfcres-nss-XXXXXX";
static char calls[512];          /* "fa,fb," in call order */
static int st_fa, st_fb;         /* status each fake returns */
static int herr_fa, herr_fb;
static int erange_left;          /* "erange" module: ERANGE this often */

static bool log_on = true;       /* off while threads race */

static void log_call(const char *m)
{
	if (!log_on)
		return;
	strncat(calls, m, sizeof calls - strlen(calls) - 2);
	strcat(calls, ",");
}

/* fills one tuple 192.0.2.<last> in buf */
static int answer4(struct nss_abi_addrtuple **pat, char *buf, size_t len,
		   const char *name, unsigned char last)
{
	if (len < sizeof(struct nss_abi_addrtuple) + 64)
		return NSS_ABI_TRYAGAIN;
	struct nss_abi_addrtuple *t = (void *)buf;
	memset(t, 0, sizeof *t);
	t->name = buf + sizeof *t;
	snprintf(t->name, 64, "%s", name);
	t->family = AF_INET;
	unsigned char a[4] = { 192, 0, 2, last };
	memcpy(t->addr, a, 4);
	*pat = t;
	return NSS_ABI_SUCCESS;
}

static int fake4(const char *who, int st, int herr, unsigned char last,
		 const char *name, struct nss_abi_addrtuple **pat, char *buf,
		 size_t len, int *errnop, int *h_errnop)
{
	log_call(who);
	if (st == NSS_ABI_SUCCESS)
		return answer4(pat, buf, len, name, last);
	*h_errnop = herr;
	*errnop = herr == NSS_NETDB_INTERNAL ? EIO : 0;
	return st;
}

static int fa4(const char *name, struct nss_abi_addrtuple **pat, char *buf,
	       size_t len, int *e, int *h, int32_t *ttl)
{
	(void)ttl;
	return fake4("fa", st_fa, herr_fa, 1, name, pat, buf, len, e, h);
}

static int fb4(const char *name, struct nss_abi_addrtuple **pat, char *buf,
	       size_t len, int *e, int *h, int32_t *ttl)
{
	(void)ttl;
	return fake4("fb", st_fb, herr_fb, 2, name, pat, buf, len, e, h);
}

static int erange4(const char *name, struct nss_abi_addrtuple **pat,
		   char *buf, size_t len, int *e, int *h, int32_t *ttl)
{
	(void)ttl;
	log_call("erange");
	if (erange_left != 0) {
		if (erange_left > 0)
			erange_left--;
		*e = ERANGE;
		*h = NSS_NETDB_INTERNAL;
		return NSS_ABI_TRYAGAIN;
	}
	return answer4(pat, buf, len, name, 3);
}

static int garbage4(const char *name, struct nss_abi_addrtuple **pat,
		    char *buf, size_t len, int *e, int *h, int32_t *ttl)
{
	(void)name; (void)buf; (void)len; (void)e; (void)h; (void)ttl;
	log_call("garbage");
	*pat = NULL; /* SUCCESS without a list */
	return NSS_ABI_SUCCESS;
}

static int weird4(const char *name, struct nss_abi_addrtuple **pat,
		  char *buf, size_t len, int *e, int *h, int32_t *ttl)
{
	(void)name; (void)pat; (void)buf; (void)len; (void)e; (void)h;
	(void)ttl;
	log_call("weird");
	return 42; /* not an enum nss_status */
}

/* only gethostbyname2_r: IPv6 ::2, IPv4 192.0.2.4 */
static int only2(const char *name, int af, struct hostent *h, char *buf,
		 size_t len, int *e, int *herr)
{
	(void)e;
	log_call(af == AF_INET6 ? "only2/6" : "only2/4");
	size_t alen = af == AF_INET6 ? 16 : 4;
	if (len < 128)
		return NSS_ABI_TRYAGAIN;
	char **list = (char **)(void *)buf;
	char *addr = buf + 2 * sizeof(char *);
	memset(addr, 0, alen);
	addr[alen - 1] = af == AF_INET6 ? 2 : 4;
	if (af == AF_INET) {
		addr[0] = (char)192;
		addr[2] = 2;
	} else {
		addr[0] = 0x20;
		addr[1] = 0x01;
		addr[2] = 0x0d;
		addr[3] = (char)0xb8;
	}
	list[0] = addr;
	list[1] = NULL;
	h->h_name = (char *)name;
	h->h_aliases = list + 1;
	h->h_addrtype = af;
	h->h_length = (int)alen;
	h->h_addr_list = list;
	*herr = 0;
	return NSS_ABI_SUCCESS;
}

static int fa_byaddr(const void *addr, socklen_t len, int af,
		     struct hostent *h, char *buf, size_t blen, int *e,
		     int *herr)
{
	(void)addr; (void)len; (void)af; (void)e;
	log_call("fa-ptr");
	if (st_fa != NSS_ABI_SUCCESS) {
		*herr = herr_fa;
		return st_fa;
	}
	snprintf(buf, blen, "ptr.fa.test");
	memset(h, 0, sizeof *h);
	h->h_name = buf;
	return NSS_ABI_SUCCESS;
}

static int handle_tag;
static void *fake_dlopen(const char *file, int mode)
{
	(void)mode;
	static const char *const present[] = {
		"libnss_fa.so.2", "libnss_fb.so.2", "libnss_erange.so.2",
		"libnss_garbage.so.2", "libnss_weird.so.2", "libnss_only2.so.2",
		"libnss_nofn.so.2",
	};
	for (size_t i = 0; i < sizeof present / sizeof present[0]; i++)
		if (strcmp(file, present[i]) == 0)
			return &handle_tag;
	return NULL;
}

static char *fake_dlerror(void)
{
	return (char *)"fake: not installed";
}

static void *fake_dlsym(void *h, const char *sym)
{
	(void)h;
	static const struct { const char *sym; void *fn; } syms[] = {
		{ "_nss_fa_gethostbyname4_r", (void *)fa4 },
		{ "_nss_fa_gethostbyaddr_r", (void *)fa_byaddr },
		{ "_nss_fb_gethostbyname4_r", (void *)fb4 },
		{ "_nss_erange_gethostbyname4_r", (void *)erange4 },
		{ "_nss_garbage_gethostbyname4_r", (void *)garbage4 },
		{ "_nss_weird_gethostbyname4_r", (void *)weird4 },
		{ "_nss_only2_gethostbyname2_r", (void *)only2 },
	};
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++)
		if (strcmp(sym, syms[i].sym) == 0)
			return syms[i].fn;
	return NULL;
}

static int setup(void **st)
{
	(void)st;
	if (conf_dir_setup(dir, "192.0.2.100 filehost\n") != 0)
		return -1;
	nss_module_reset_for_tests();
	rfcres_sys.dlopen = fake_dlopen;
	rfcres_sys.dlsym = fake_dlsym;
	rfcres_sys.dlerror = fake_dlerror;
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	sys_reset();
	nss_module_reset_for_tests();
	conf_dir_teardown(dir);
	return 0;
}

static void line(const char *text)
{
	char t[256];
	snprintf(t, sizeof t, "hosts: %s\n", text);
	conf_dir_put(dir, "nsswitch.conf", t);
	/* same size and second: make the change visible to the stat check */
	rfcres_res_init();
}

/* getaddrinfo(name) -> "eai|addr,addr" */
static void gai(const char *name, int family, char *out, size_t len)
{
	struct addrinfo hints = { .ai_family = family,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	calls[0] = '\0';
	int rc = rfcres_getaddrinfo(name, NULL, &hints, &res);
	size_t used = (size_t)snprintf(out, len, "%d|", rc);
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		char b[64];
		const void *p = a->ai_family == AF_INET
			? (const void *)&((struct sockaddr_in *)(void *)a->ai_addr)->sin_addr
			: (const void *)&((struct sockaddr_in6 *)(void *)a->ai_addr)->sin6_addr;
		inet_ntop(a->ai_family, p, b, sizeof b);
		used += (size_t)snprintf(out + used, len - used, "%s%s",
					 a == res ? "" : ",", b);
	}
	rfcres_freeaddrinfo(res);
}

static void t_table(void **st)
{
	(void)st;
	enum { OK = NSS_ABI_SUCCESS, NF = NSS_ABI_NOTFOUND,
	       UN = NSS_ABI_UNAVAIL, TA = NSS_ABI_TRYAGAIN };
	static const struct {
		const char *line, *name;
		int fa, herr_a, fb, herr_b;
		const char *calls, *result;
	} cases[] = {
		/* first SUCCESS returns */
		{ "fa fb", "x.test", OK, 0, OK, 0, "fa,", "0|192.0.2.1" },
		{ "fa fb", "x.test", NF, 1, OK, 0, "fa,fb,", "0|192.0.2.2" },
		{ "fa [NOTFOUND=return] fb", "x.test", NF, 1, OK, 0, "fa,",
		  "-2|" },
		{ "fa [NOTFOUND=return] fb", "x.test", UN, 3, OK, 0, "fa,fb,",
		  "0|192.0.2.2" },
		{ "fa [!UNAVAIL=return] fb", "x.test", TA, 2, OK, 0, "fa,",
		  "-3|" },
		{ "fa [!UNAVAIL=return] fb", "x.test", UN, 3, OK, 0, "fa,fb,",
		  "0|192.0.2.2" },
		/* SUCCESS=continue: the next source starts afresh */
		{ "fa [SUCCESS=continue] fb", "x.test", OK, 0, NF, 1, "fa,fb,",
		  "-2|" },
		/* the LAST source's error: NO_DATA, TRY_AGAIN, NETDB_INTERNAL */
		{ "fa fb", "x.test", NF, 1, NF, 4, "fa,fb,", "-5|" },
		{ "fa fb", "x.test", NF, 4, TA, 2, "fa,fb,", "-3|" },
		{ "fa fb", "x.test", NF, 4, UN, -1, "fa,fb,", "-11|" },
		/* files first; a files hit never reaches the modules */
		{ "files fa", "filehost", NF, 1, NF, 1, "", "0|192.0.2.100" },
		{ "fa files", "filehost", OK, 0, NF, 1, "fa,", "0|192.0.2.1" },
		{ "fa files", "filehost", NF, 1, NF, 1, "fa,", "0|192.0.2.100" },
		{ "files [NOTFOUND=return] fa", "x.test", OK, 0, OK, 0, "",
		  "-2|" },
		/* not installed / no functions: UNAVAIL, EBUSY when last */
		{ "nosuch", "x.test", OK, 0, OK, 0, "", "-11|" },
		{ "nofn fa", "x.test", OK, 0, OK, 0, "fa,", "0|192.0.2.1" },
		{ "nosuch [UNAVAIL=return] fa", "x.test", OK, 0, OK, 0, "",
		  "-11|" },
		/* a name that is not a soname is never loaded */
		{ "../../tmp/evil fa", "x.test", OK, 0, OK, 0, "fa,",
		  "0|192.0.2.1" },
		/* merge is not supported for hosts (glibc: EBUSY) */
		{ "fa [NOTFOUND=merge] fb", "x.test", NF, 1, OK, 0, "fa,",
		  "-2|" },
		/* an empty line: nothing answers */
		{ "", "filehost", OK, 0, OK, 0, "", "-2|" },
		/* misbehaving modules */
		{ "erange", "x.test", OK, 0, OK, 0, NULL, "-10|" },
		{ "garbage fa", "x.test", OK, 0, OK, 0, "garbage,", "-5|" },
		{ "weird fa", "x.test", OK, 0, OK, 0, "weird,fa,",
		  "0|192.0.2.1" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		line(cases[i].line);
		st_fa = cases[i].fa;
		herr_fa = cases[i].herr_a;
		st_fb = cases[i].fb;
		herr_fb = cases[i].herr_b;
		erange_left = -1;
		char got[256];
		gai(cases[i].name, AF_UNSPEC, got, sizeof got);
		if (strcmp(got, cases[i].result) != 0 ||
		    (cases[i].calls && strcmp(calls, cases[i].calls) != 0))
			fail_msg("case %zu '%s' %s: got %s calls '%s', want %s "
				 "calls '%s'",
				 i, cases[i].line, cases[i].name, got, calls,
				 cases[i].result,
				 cases[i].calls ? cases[i].calls : "*");
	}
}

static void t_erange_bounded(void **st)
{
	(void)st;
	line("erange");
	char got[256];
	/* a few ERANGE rounds, then an answer */
	erange_left = 3;
	gai("x.test", AF_UNSPEC, got, sizeof got);
	assert_string_equal(got, "0|192.0.2.3");
	assert_string_equal(calls, "erange,erange,erange,erange,");
	/* forever: bounded (1 KiB doubling to 1 MiB = 11 calls) */
	erange_left = -1;
	gai("x.test", AF_UNSPEC, got, sizeof got);
	assert_string_equal(got, "-10|");
	assert_int_equal(strlen(calls), strlen("erange,") * 11);
}

static void t_families(void **st)
{
	(void)st;
	char got[256];
	/* only gethostbyname2_r: AF_UNSPEC asks IPv6 then IPv4 */
	line("only2");
	gai("x.test", AF_UNSPEC, got, sizeof got);
	assert_string_equal(calls, "only2/6,only2/4,");
	assert_non_null(strstr(got, "2001:db8::2"));
	assert_non_null(strstr(got, "192.0.2.4"));
	gai("x.test", AF_INET, got, sizeof got);
	assert_string_equal(calls, "only2/4,");
	assert_string_equal(got, "0|192.0.2.4");
	gai("x.test", AF_INET6, got, sizeof got);
	assert_string_equal(calls, "only2/6,");
	assert_string_equal(got, "0|2001:db8::2");
	/* gethostbyname4_r only: not usable for one family.  AF_INET
	 * without AI_CANONNAME is glibc's gethostbyname2_r shortcut: the
	 * module is skipped, nothing answered: EAI_NONAME ... */
	line("fa");
	st_fa = NSS_ABI_SUCCESS;
	gai("x.test", AF_INET, got, sizeof got);
	assert_string_equal(calls, "");
	assert_string_equal(got, "-2|");
	/* ... and skipping goes on to the next source */
	line("fa files");
	gai("filehost", AF_INET, got, sizeof got);
	assert_string_equal(got, "0|192.0.2.100");
	/* with [UNAVAIL=return] the walk stops at the skipped module */
	line("fa [UNAVAIL=return] files");
	gai("filehost", AF_INET, got, sizeof got);
	assert_string_equal(got, "-2|");
	/* AF_INET6 (getaddrinfo's own walk): no function is UNAVAIL with
	 * EBUSY, EAI_SYSTEM when last */
	line("fa");
	gai("x.test", AF_INET6, got, sizeof got);
	assert_string_equal(calls, "");
	assert_string_equal(got, "-11|");
	assert_int_equal(errno, EBUSY);
	/* a rejected file: EAI_SYSTEM on the AF_INET shortcut, EAI_NONAME
	 * otherwise (glibc 2.36, measured) */
	line("files [NOTFOUND=retur] dns");
	gai("filehost", AF_INET, got, sizeof got);
	assert_string_equal(got, "-11|");
	gai("filehost", AF_UNSPEC, got, sizeof got);
	assert_string_equal(got, "-2|");
}

static void t_legacy_and_reverse(void **st)
{
	(void)st;
	line("fa");
	st_fa = NSS_ABI_SUCCESS;
	/* gethostbyname2 walks the line through getaddrinfo; a module
	 * with gethostbyname4_r only cannot answer one family */
	struct hostent *h = rfcres_gethostbyname2("x.test", AF_INET);
	assert_null(h);
	/* ... and is skipped, as glibc's gethostbyname2_r skips it: the
	 * hosts file after it still answers, with any family */
	line("fa files");
	h = rfcres_gethostbyname2("filehost", AF_INET);
	assert_non_null(h);
	assert_int_equal((unsigned char)h->h_addr_list[0][3], 100);
	/* last in the line: getaddrinfo would end with EAI_SYSTEM (EBUSY);
	 * gethostbyname2 says HOST_NOT_FOUND, as glibc's does */
	line("files fa");
	h = rfcres_gethostbyname2("nosuch.test", AF_INET6);
	assert_null(h);
	assert_int_equal(h_errno, HOST_NOT_FOUND);
	line("only2");
	h = rfcres_gethostbyname2("x.test", AF_INET);
	assert_non_null(h);
	assert_int_equal(h->h_addr_list[0][3], 4);
	/* reverse: files, then the module's gethostbyaddr_r */
	line("files fa");
	struct sockaddr_in sin = { .sin_family = AF_INET };
	inet_pton(AF_INET, "192.0.2.77", &sin.sin_addr);
	char host[256];
	calls[0] = '\0';
	assert_int_equal(rfcres_getnameinfo((struct sockaddr *)&sin,
					    sizeof sin, host, sizeof host,
					    NULL, 0, NI_NAMEREQD), 0);
	assert_string_equal(host, "ptr.fa.test");
	assert_string_equal(calls, "fa-ptr,");
	inet_pton(AF_INET, "192.0.2.100", &sin.sin_addr);
	calls[0] = '\0';
	assert_int_equal(rfcres_getnameinfo((struct sockaddr *)&sin,
					    sizeof sin, host, sizeof host,
					    NULL, 0, NI_NAMEREQD), 0);
	assert_string_equal(host, "filehost");
	assert_string_equal(calls, "");
	st_fa = NSS_ABI_NOTFOUND;
	herr_fa = 1;
	inet_pton(AF_INET, "192.0.2.77", &sin.sin_addr);
	assert_int_equal(rfcres_getnameinfo((struct sockaddr *)&sin,
					    sizeof sin, host, sizeof host,
					    NULL, 0, NI_NAMEREQD),
			 EAI_NONAME);
	h = rfcres_gethostbyaddr(&sin.sin_addr, 4, AF_INET);
	assert_null(h);
}

/* Threads racing lookups through modules while the line changes: the
 * module table, the per-thread reentrancy mark and the snapshot's line
 * (TSan runs this file: label concurrency). */
static void *racer(void *arg)
{
	unsigned bad = 0;
	for (int i = 0; i < 200; i++) {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
		int rc = rfcres_getaddrinfo(i % 2 ? "x.test" : "filehost", NULL,
					    &hints, &res);
		if (rc == 0)
			rfcres_freeaddrinfo(res);
		else if (rc != EAI_NONAME)
			bad++;
	}
	*(unsigned *)arg = bad;
	return NULL;
}

static void t_threads(void **st)
{
	(void)st;
	nss_module_reset_for_tests();
	log_on = false; /* calls[] is not shared safely */
	st_fa = NSS_ABI_SUCCESS;
	st_fb = NSS_ABI_NOTFOUND;
	herr_fb = 1;
	line("fb fa files");
	pthread_t t[8];
	unsigned bad[8];
	for (int i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&t[i], NULL, racer, &bad[i]), 0);
	for (int i = 0; i < 20; i++) {
		/* replaced by rename, as a package manager does: a reader
		 * sees the old file or the new one, never half of one */
		conf_dir_put(dir, "nsswitch.new",
			     i % 2 ? "hosts: fb fa files\n"
				   : "hosts: files fb [NOTFOUND=return] fa\n");
		char from[128], to[128];
		snprintf(from, sizeof from, "%s/nsswitch.new", dir);
		snprintf(to, sizeof to, "%s/nsswitch.conf", dir);
		assert_int_equal(rename(from, to), 0);
		usleep(1000);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(bad[i], 0);
	}
	log_on = true;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_table),
		cmocka_unit_test(t_erange_bounded),
		cmocka_unit_test(t_families),
		cmocka_unit_test(t_legacy_and_reverse),
		cmocka_unit_test(t_threads),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
