/*
 * getnameinfo details found by the conformance differential against glibc
 * (tests/conformance/gni_differential.c): NI_NOFQDN cuts the local domain
 * wherever strstr finds it after a dot, and a reverse lookup the servers
 * could not answer is EAI_AGAIN even without NI_NAMEREQD.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <string.h>

#include "conf_dir.h"
#include "fakedns.h"
#include "gai/gai.h"
#include "rfcres.h"

static void nofqdn(const char *name, const char *self, const char *want)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", name);
	gai_nofqdn(buf, self);
	assert_string_equal(buf, want);
}

static void t_nofqdn(void **state)
{
	(void)state;
	nofqdn("www.example.test", "box.example.test", "www");
	/* not only right after the first label (glibc: strstr) */
	nofqdn("a.sub.example.test", "box.example.test", "a.sub");
	/* the first occurrence decides, suffix or not */
	nofqdn("x.example.test.other.org", "box.example.test", "x");
	/* no dot before the occurrence: kept */
	nofqdn("myexample.test", "box.example.test", "myexample.test");
	nofqdn("example.test", "box.example.test", "example.test");
	/* case-sensitive, as glibc */
	nofqdn("www.EXAMPLE.test", "box.example.test", "www.EXAMPLE.test");
	/* a host name without a domain cuts nothing */
	nofqdn("www.example.test", "box", "www.example.test");
	nofqdn("www.example.test", "box.", "www.example.test");
}

static void t_servfail_is_eai_again(void **state)
{
	(void)state;
	char dir[] = "/tmp/rfcres-gni-XXXXXX";
	assert_int_equal(conf_dir_setup(dir, "127.0.0.1 localhost\n"), 0);
	struct fakedns_opts o = {.listen = {"127.0.0.1:0"}};
	struct fakedns *s = fakedns_start(&o);
	assert_non_null(s);
	assert_int_equal(fakedns_load_zone_text(s,
		"80.2.0.192.in-addr.arpa PTR x.example.test\n"
		"@behaviour 80.2.0.192.in-addr.arpa servfail\n"
		"77.2.0.192.in-addr.arpa PTR ok.example.test\n"), 0);
	char rc[128], path[160];
	snprintf(rc, sizeof rc, "nameserver 127.0.0.1:%u\noptions timeout:1 "
		 "attempts:1\n", fakedns_port(s));
	conf_dir_put(dir, "resolv.conf", rc);
	snprintf(path, sizeof path, "%s/resolv.conf", dir);

	struct sockaddr_in sin = {.sin_family = AF_INET};
	char host[128];
	inet_pton(AF_INET, "192.0.2.77", &sin.sin_addr);
	assert_int_equal(rfcres_getnameinfo((struct sockaddr *)&sin, sizeof sin,
					    host, sizeof host, NULL, 0, 0), 0);
	assert_string_equal(host, "ok.example.test");
	/* SERVFAIL: glibc gives EAI_AGAIN, not the numeric form */
	inet_pton(AF_INET, "192.0.2.80", &sin.sin_addr);
	assert_int_equal(rfcres_getnameinfo((struct sockaddr *)&sin, sizeof sin,
					    host, sizeof host, NULL, 0, 0),
			 EAI_AGAIN);
	assert_int_equal(rfcres_getnameinfo((struct sockaddr *)&sin, sizeof sin,
					    host, sizeof host, NULL, 0,
					    NI_NAMEREQD),
			 EAI_AGAIN);
	/* NXDOMAIN: the numeric form, or EAI_NONAME with NI_NAMEREQD */
	inet_pton(AF_INET, "192.0.2.78", &sin.sin_addr);
	assert_int_equal(rfcres_getnameinfo((struct sockaddr *)&sin, sizeof sin,
					    host, sizeof host, NULL, 0, 0), 0);
	assert_string_equal(host, "192.0.2.78");
	assert_int_equal(rfcres_getnameinfo((struct sockaddr *)&sin, sizeof sin,
					    host, sizeof host, NULL, 0,
					    NI_NAMEREQD),
			 EAI_NONAME);
	/* NI_NUMERICHOST asks no server */
	inet_pton(AF_INET, "192.0.2.80", &sin.sin_addr);
	assert_int_equal(rfcres_getnameinfo((struct sockaddr *)&sin, sizeof sin,
					    host, sizeof host, NULL, 0,
					    NI_NUMERICHOST), 0);
	assert_string_equal(host, "192.0.2.80");
	fakedns_stop(s);
	conf_dir_teardown(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_nofqdn),
		cmocka_unit_test(t_servfail_is_eai_again),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
