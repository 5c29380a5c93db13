/* gethostbyname & co: glibc's numeric rule, the buffer layout of the _r
 * functions (alignment, ERANGE at every short size), h_errno/return codes,
 * and lookups answered from a hosts file and literals (no DNS: the
 * resolv.conf points at a loopback port nothing answers on and no test
 * name reaches it). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "gai/gai_legacy.h"
#include "rfcres.h"
#include "conf_dir.h"

static void t_classify(void **st)
{
	(void)st;
	unsigned char a[16];
	assert_int_equal(legacy_classify("192.0.2.1", AF_INET, a), 1);
	assert_memory_equal(a, "\xc0\x00\x02\x01", 4);
	assert_int_equal(legacy_classify("127.1", AF_INET, a), 1);
	assert_memory_equal(a, "\x7f\x00\x00\x01", 4);
	assert_int_equal(legacy_classify("0x7f.1", AF_INET, a), 1);
	/* all digits and dots but not an address: no lookup at all */
	assert_int_equal(legacy_classify("1.2.3.256", AF_INET, a), -1);
	assert_int_equal(legacy_classify("1..2", AF_INET, a), -1);
	assert_int_equal(legacy_classify("1.2.3.4", AF_INET6, a), -1);
	/* a trailing dot makes it a name */
	assert_int_equal(legacy_classify("1.2.3.4.", AF_INET, a), 0);
	/* IPv6-looking names never give an AF_INET answer */
	assert_int_equal(legacy_classify("::1", AF_INET, a), -1);
	assert_int_equal(legacy_classify("abc:def", AF_INET, a), -1);
	assert_int_equal(legacy_classify("::1", AF_INET6, a), 1);
	assert_int_equal(a[15], 1);
	assert_int_equal(legacy_classify("2001:db8::zz", AF_INET6, a), 0);
	assert_int_equal(legacy_classify("2001:db8::1:", AF_INET6, a), -1);
	assert_int_equal(legacy_classify("www.example", AF_INET, a), 0);
	assert_int_equal(legacy_classify("deadbeef", AF_INET, a), 0);
	assert_int_equal(legacy_classify("", AF_INET, a), 0);
}

static const char *const aliases3[] = {"a1", "alias-two", "x"};

static void check_hostent(const struct hostent *he, const char *buf,
			  size_t len, const struct legacy_host *h)
{
	assert_string_equal(he->h_name, h->name);
	assert_int_equal(he->h_addrtype, h->family);
	assert_int_equal(he->h_length, (int)h->addrlen);
	assert_int_equal((uintptr_t)he->h_addr_list % _Alignof(char *), 0);
	assert_int_equal((uintptr_t)he->h_aliases % _Alignof(char *), 0);
	const char *end = buf + len;
	for (size_t i = 0; i < h->naddrs; i++) {
		const char *p = he->h_addr_list[i];
		assert_true(p >= buf && p + h->addrlen <= end);
		assert_int_equal((uintptr_t)p % 4, 0);
		assert_memory_equal(p, h->addrs + i * h->addrlen, h->addrlen);
	}
	assert_null(he->h_addr_list[h->naddrs]);
	for (size_t i = 0; i < h->naliases; i++) {
		assert_true(he->h_aliases[i] >= buf && he->h_aliases[i] < end);
		assert_string_equal(he->h_aliases[i], h->aliases[i]);
	}
	assert_null(he->h_aliases[h->naliases]);
	assert_true(he->h_name >= buf && he->h_name + strlen(h->name) < end);
}

/* Every buffer shorter than needed is ERANGE; the exact size works, from
 * every start alignment. */
static void t_layout(void **st)
{
	(void)st;
	unsigned char addrs[3 * 16];
	for (size_t i = 0; i < sizeof addrs; i++)
		addrs[i] = (unsigned char)i;
	struct legacy_host hs[] = {
		{"h.example", aliases3, 3, AF_INET, 4, addrs, 3},
		{"v6.example", NULL, 0, AF_INET6, 16, addrs, 3},
		{"", NULL, 0, AF_INET, 4, addrs, 0},
	};
	char *mem = malloc(1024);
	assert_non_null(mem);
	for (size_t k = 0; k < sizeof hs / sizeof hs[0]; k++) {
		for (size_t off = 0; off < 8; off++) {
			char *buf = mem + off;
			size_t need = legacy_size(&hs[k], buf);
			assert_true(need > 0 && need + off < 1024);
			struct hostent he;
			for (size_t len = 0; len < need; len++)
				assert_int_equal(legacy_layout(&hs[k], &he, buf, len),
						 ERANGE);
			memset(mem, 0xaa, 1024);
			assert_int_equal(legacy_layout(&hs[k], &he, buf, need), 0);
			check_hostent(&he, buf, need, &hs[k]);
		}
	}
	free(mem);
}

static void t_codes(void **st)
{
	(void)st;
	assert_int_equal(legacy_herrno_of_eai(0), NETDB_SUCCESS);
	assert_int_equal(legacy_herrno_of_eai(EAI_NONAME), HOST_NOT_FOUND);
	assert_int_equal(legacy_herrno_of_eai(EAI_NODATA), NO_DATA);
	assert_int_equal(legacy_herrno_of_eai(EAI_AGAIN), TRY_AGAIN);
	assert_int_equal(legacy_herrno_of_eai(EAI_FAIL), NO_RECOVERY);
	assert_int_equal(legacy_herrno_of_eai(EAI_MEMORY), NETDB_INTERNAL);
	/* glibc nss/getXXbyYY_r.c */
	assert_int_equal(legacy_r_return(NETDB_SUCCESS, 0), 0);
	assert_int_equal(legacy_r_return(HOST_NOT_FOUND, 0), 0);
	assert_int_equal(legacy_r_return(NO_DATA, 0), 0);
	assert_int_equal(legacy_r_return(TRY_AGAIN, 0), EAGAIN);
	assert_int_equal(legacy_r_return(NETDB_INTERNAL, ERANGE), ERANGE);
	assert_int_equal(legacy_r_return(HOST_NOT_FOUND, ENOENT), ENOENT);
}

/* ---- through the public functions, hosts file + literals ------------- */

static char dir[] = "/tmp/rfcres-legacy-XXXXXX";

static int setup(void **st)
{
	(void)st;
	return conf_dir_setup(dir, "192.0.2.1 multi.test m1 shared\n"
				   "2001:db8::1 multi.test m6\n"
				   "192.0.2.2 other.test multi.test m2\n"
				   "198.51.100.7 single.test s\n");
}

static int teardown(void **st)
{
	(void)st;
	conf_dir_teardown(dir);
	return 0;
}

/* glibc's files backend with multi: both AF_INET lines, aliases of the
 * first, then the second's aliases and its different name. */
static void t_hosts_multi(void **st)
{
	(void)st;
	struct hostent he, *res = (void *)1;
	char buf[512];
	int herr = -5;
	assert_int_equal(rfcres_gethostbyname_r("multi.test", &he, buf, sizeof buf,
						&res, &herr), 0);
	assert_ptr_equal(res, &he);
	assert_int_equal(herr, NETDB_SUCCESS);
	assert_string_equal(he.h_name, "multi.test");
	assert_int_equal(he.h_addrtype, AF_INET);
	const char *want[] = {"m1", "shared", "multi.test", "m2", "other.test"};
	size_t n = 0;
	for (; he.h_aliases[n]; n++) {
		assert_true(n < 5);
		assert_string_equal(he.h_aliases[n], want[n]);
	}
	/* the first line's two aliases, the second line's two ("multi.test"
	 * the queried one, "m2") and its name, which differs from h_name */
	assert_int_equal(n, 5);
	char a[INET_ADDRSTRLEN];
	assert_string_equal(inet_ntop(AF_INET, he.h_addr_list[0], a, sizeof a), "192.0.2.1");
	assert_string_equal(inet_ntop(AF_INET, he.h_addr_list[1], a, sizeof a), "192.0.2.2");
	assert_null(he.h_addr_list[2]);

	/* AF_INET6 takes only the IPv6 line */
	assert_int_equal(rfcres_gethostbyname2_r("m6", AF_INET6, &he, buf, sizeof buf,
						 &res, &herr), 0);
	assert_non_null(res);
	assert_string_equal(he.h_name, "multi.test");
	assert_int_equal(he.h_length, 16);
	assert_null(he.h_addr_list[1]);
}

/* ERANGE until the buffer is big enough, then the same answer. */
static void t_erange_retry(void **st)
{
	(void)st;
	struct hostent he, *res;
	int herr, rc, tries = 0;
	size_t len = 1;
	char *buf = NULL;
	for (;;) {
		buf = realloc(buf, len);
		assert_non_null(buf);
		rc = rfcres_gethostbyname_r("single.test", &he, buf, len, &res, &herr);
		if (rc != ERANGE)
			break;
		assert_null(res);
		assert_int_equal(herr, NETDB_INTERNAL);
		assert_int_equal(errno, ERANGE);
		len *= 2;
		assert_true(++tries < 20);
	}
	assert_true(tries > 0);
	assert_int_equal(rc, 0);
	assert_non_null(res);
	assert_string_equal(he.h_name, "single.test");
	assert_string_equal(he.h_aliases[0], "s");
	free(buf);
}

static void t_literals(void **st)
{
	(void)st;
	struct hostent *h = rfcres_gethostbyname("127.1");
	assert_non_null(h);
	assert_string_equal(h->h_name, "127.1");
	assert_null(h->h_aliases[0]);
	assert_memory_equal(h->h_addr_list[0], "\x7f\0\0\1", 4);
	h_errno = 0;
	assert_null(rfcres_gethostbyname("1.2.3.999"));
	assert_int_equal(h_errno, HOST_NOT_FOUND);
	assert_null(rfcres_gethostbyname("::1"));
	assert_int_equal(h_errno, HOST_NOT_FOUND);
	h = rfcres_gethostbyname2("::1", AF_INET6);
	assert_non_null(h);
	assert_int_equal(h->h_length, 16);
	errno = 0;
	assert_null(rfcres_gethostbyname2("x", AF_UNIX));
	assert_int_equal(h_errno, NETDB_INTERNAL);
	assert_int_equal(errno, EAFNOSUPPORT);
	assert_null(rfcres_gethostbyname(NULL));
	assert_int_equal(h_errno, NETDB_INTERNAL);
}

static void t_byaddr(void **st)
{
	(void)st;
	unsigned char a4[4] = {198, 51, 100, 7};
	struct hostent *h = rfcres_gethostbyaddr(a4, 4, AF_INET);
	assert_non_null(h);
	assert_string_equal(h->h_name, "single.test");
	assert_string_equal(h->h_aliases[0], "s");
	assert_memory_equal(h->h_addr_list[0], a4, 4);
	/* IPv4-mapped: looked up as IPv4, answered as AF_INET (glibc dns) */
	unsigned char m[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
			       198, 51, 100, 7};
	h = rfcres_gethostbyaddr(m, 16, AF_INET6);
	assert_non_null(h);
	assert_int_equal(h->h_addrtype, AF_INET);
	assert_string_equal(h->h_name, "single.test");

	struct hostent he, *res;
	char buf[256];
	int herr;
	static const unsigned char any6[16];
	assert_int_equal(rfcres_gethostbyaddr_r(any6, 16, AF_INET6, &he, buf,
						sizeof buf, &res, &herr), ENOENT);
	assert_int_equal(herr, HOST_NOT_FOUND);
	assert_null(res);
	assert_int_equal(rfcres_gethostbyaddr_r(a4, 3, AF_INET, &he, buf,
						sizeof buf, &res, &herr), EAFNOSUPPORT);
	assert_int_equal(herr, NETDB_INTERNAL);
	assert_int_equal(rfcres_gethostbyaddr_r(a4, 4, AF_UNIX, &he, buf,
						sizeof buf, &res, &herr), EAFNOSUPPORT);
	assert_int_equal(rfcres_gethostbyaddr_r(m, 16, AF_INET, &he, buf,
						sizeof buf, &res, &herr), EINVAL);
	assert_int_equal(rfcres_gethostbyaddr_r(NULL, 4, AF_INET, &he, buf,
						sizeof buf, &res, &herr), EINVAL);
	/* too small a buffer for the hosts answer */
	assert_int_equal(rfcres_gethostbyaddr_r(a4, 4, AF_INET, &he, buf, 8,
						&res, &herr), ERANGE);
	assert_null(res);
}

/* The non-_r result is per thread: another thread's call does not
 * overwrite it, and each thread's buffer is freed at its exit (ASan). */
static void *other_thread(void *arg)
{
	(void)arg;
	struct hostent *h = rfcres_gethostbyname("single.test");
	return h ? strdup(h->h_name) : NULL;
}

static void t_per_thread(void **st)
{
	(void)st;
	struct hostent *mine = rfcres_gethostbyname("multi.test");
	assert_non_null(mine);
	pthread_t th;
	void *ret;
	assert_int_equal(pthread_create(&th, NULL, other_thread, NULL), 0);
	assert_int_equal(pthread_join(th, &ret), 0);
	assert_non_null(ret);
	assert_string_equal(ret, "single.test");
	free(ret);
	assert_string_equal(mine->h_name, "multi.test");
	/* the same thread's next call reuses its buffer */
	struct hostent *again = rfcres_gethostbyname("127.0.0.1");
	assert_ptr_equal(again, mine);
	assert_string_equal(again->h_name, "127.0.0.1");
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(t_classify),
		cmocka_unit_test(t_layout),
		cmocka_unit_test(t_codes),
	};
	const struct CMUnitTest files[] = {
		cmocka_unit_test(t_hosts_multi),
		cmocka_unit_test(t_erange_retry),
		cmocka_unit_test(t_literals),
		cmocka_unit_test(t_byaddr),
		cmocka_unit_test(t_per_thread),
	};
	int rc = cmocka_run_group_tests_name("legacy_pure", pure, NULL, NULL);
	rc += cmocka_run_group_tests_name("legacy_files", files, setup, teardown);
	return rc;
}
