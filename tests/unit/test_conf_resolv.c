/* resolv.conf parser: every directive, bound, env override and the glibc
 * corner cases (conf_resolv.c). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/conf_resolv.h"
#include "rfcres.h"
#include "sys.h"

static unsigned nskip;
static char last_reason[64];

static void hook(const struct rfcres_trace_event *ev, void *arg)
{
	(void)arg;
	if (strcmp(ev->name, "conf.skip") != 0)
		return;
	nskip++;
	for (size_t i = 0; i < ev->nfields; i++)
		if (strcmp(ev->fields[i].key, "reason") == 0)
			snprintf(last_reason, sizeof last_reason, "%s",
				 ev->fields[i].value);
}

static unsigned fake_nametoindex(const char *name)
{
	return strcmp(name, "eth0") == 0 ? 7 : 0;
}

static int setup(void **state)
{
	(void)state;
	nskip = 0;
	last_reason[0] = '\0';
	rfcres_set_trace(hook, NULL);
	rfcres_sys.if_nametoindex = fake_nametoindex;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rfcres_set_trace(NULL, NULL);
	sys_reset();
	return 0;
}

static struct conf_resolv *parse_env(const char *text, const char *ld,
				     const char *ro, const char *host)
{
	struct conf_resolv_env env = {
		.localdomain = ld, .res_options = ro, .hostname = host,
		.file = "test",
	};
	struct conf_resolv *r =
		conf_resolv_parse(text, text ? strlen(text) : 0, text != NULL,
				  &env);
	assert_non_null(r);
	return r;
}

static struct conf_resolv *parse(const char *text)
{
	return parse_env(text, NULL, NULL, NULL);
}

static void assert_v4(const struct conf_server *s, const char *addr,
		      unsigned port)
{
	char buf[INET_ADDRSTRLEN];
	assert_int_equal(s->addr.sa.sa_family, AF_INET);
	assert_int_equal(s->addrlen, sizeof(struct sockaddr_in));
	inet_ntop(AF_INET, &s->addr.sin.sin_addr, buf, sizeof buf);
	assert_string_equal(buf, addr);
	assert_int_equal(ntohs(s->addr.sin.sin_port), port);
}

static void assert_v6(const struct conf_server *s, const char *addr,
		      unsigned port, uint32_t scope)
{
	char buf[INET6_ADDRSTRLEN];
	assert_int_equal(s->addr.sa.sa_family, AF_INET6);
	assert_int_equal(s->addrlen, sizeof(struct sockaddr_in6));
	inet_ntop(AF_INET6, &s->addr.sin6.sin6_addr, buf, sizeof buf);
	assert_string_equal(buf, addr);
	assert_int_equal(ntohs(s->addr.sin6.sin6_port), port);
	assert_int_equal(s->addr.sin6.sin6_scope_id, scope);
}

static void test_missing_defaults(void **state)
{
	(void)state;
	struct conf_resolv *r = parse(NULL);
	assert_false(r->file_present);
	assert_true(r->ns_default);
	assert_int_equal(r->nns, 2);
	assert_v4(&r->ns[0], "127.0.0.1", 53);
	assert_v6(&r->ns[1], "::1", 53, 0);
	assert_int_equal(r->ndots, 1);
	assert_int_equal(r->timeout, 5);
	assert_int_equal(r->attempts, 2);
	assert_int_equal(r->opts, 0);
	assert_int_equal(r->nsearch, 0);
	assert_non_null(r->search);
	assert_null(r->search[0]);
	conf_resolv_free(r);
}

static void test_no_usable_nameserver(void **state)
{
	(void)state;
	struct conf_resolv *r = parse("nameserver bogus\nnameserver 1.2.3.4.5\n"
				      "nameserver\nsearch a\n");
	assert_true(r->file_present);
	assert_true(r->ns_default);
	assert_int_equal(r->nns, 2);
	assert_v4(&r->ns[0], "127.0.0.1", 53);
	conf_resolv_free(r);
}

static void test_nameservers(void **state)
{
	(void)state;
	struct conf_resolv *r = parse("nameserver 192.0.2.1\n"
				      "nameserver 2001:db8::53 # comment\n"
				      "nameserver fe80::1%eth0\n"
				      "nameserver 192.0.2.4\n"
				      "nameserver 192.0.2.5\n"
				      "nameserver not-an-address\n");
	assert_false(r->ns_default);
	assert_int_equal(r->nns, 3);
	assert_int_equal(r->nns_ignored, 2);
	assert_v4(&r->ns[0], "192.0.2.1", 53);
	assert_v6(&r->ns[1], "2001:db8::53", 53, 0);
	assert_v6(&r->ns[2], "fe80::1", 53, 7);
	conf_resolv_free(r);
}

static void test_nameserver_forms(void **state)
{
	(void)state;
	/* inet_aton forms as glibc; numeric scope; port extension */
	struct conf_resolv *r = parse("nameserver 127.1\n"
				      "nameserver fe80::2%3\n"
				      "nameserver 10.0.0.1:5353\n");
	assert_v4(&r->ns[0], "127.0.0.1", 53);
	assert_v6(&r->ns[1], "fe80::2", 53, 3);
	assert_v4(&r->ns[2], "10.0.0.1", 5353);
	conf_resolv_free(r);

	r = parse("nameserver [::1]:5353\nnameserver [fe80::1%eth0]:54\n"
		  "nameserver [2001:db8::1]\n");
	assert_int_equal(r->nns, 3);
	assert_v6(&r->ns[0], "::1", 5353, 0);
	assert_v6(&r->ns[1], "fe80::1", 54, 7);
	assert_v6(&r->ns[2], "2001:db8::1", 53, 0);
	conf_resolv_free(r);
}

static void test_nameserver_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"nameserver 1.2.3.4:0\n", "nameserver 1.2.3.4:65536\n",
		"nameserver 1.2.3.4:x\n", "nameserver [::1]:\n",
		"nameserver [::1\n", "nameserver [::1]x\n",
		"nameserver 1.2.3.4x\n", "nameserver ::g\n",
		"nameserver 1.2.3.4%eth0\n", "nameserver 256.1.1.1\n",
		"nameserver [1.2.3.4]:53\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		nskip = 0;
		struct conf_resolv *r = parse(bad[i]);
		assert_true(r->ns_default);
		assert_int_equal(nskip, 1);
		assert_string_equal(last_reason, "bad_nameserver");
		conf_resolv_free(r);
	}
	/* bad scope: kept with scope 0, as glibc */
	struct conf_resolv *r = parse("nameserver fe80::1%nosuchif\n");
	assert_false(r->ns_default);
	assert_v6(&r->ns[0], "fe80::1", 53, 0);
	conf_resolv_free(r);
}

/* A bare "options" line sets nothing and is not an error (glibc ignores
 * it); "optionsx" is still an unknown keyword. */
static void test_bare_options(void **state)
{
	(void)state;
	nskip = 0;
	struct conf_resolv *r = parse("options\noptions   \nnameserver 192.0.2.1\n");
	assert_int_equal(nskip, 0);
	assert_false(r->ns_default);
	assert_int_equal(r->ndots, 1);
	conf_resolv_free(r);
	nskip = 0;
	r = parse("optionsx ndots:3\n");
	assert_int_equal(nskip, 1);
	assert_string_equal(last_reason, "unknown_keyword");
	assert_int_equal(r->ndots, 1);
	conf_resolv_free(r);
}

static void test_search_domain_last_wins(void **state)
{
	(void)state;
	struct conf_resolv *r = parse("search a.example b.example\n"
				      "domain c.example d.example\n");
	assert_int_equal(r->nsearch, 1);
	assert_string_equal(r->search[0], "c.example");
	assert_null(r->search[1]);
	conf_resolv_free(r);

	r = parse("domain c.example\nsearch a.example\tb.example  # x y\n"
		  "search\n");
	assert_int_equal(r->nsearch, 2);
	assert_string_equal(r->search[0], "a.example");
	assert_string_equal(r->search[1], "b.example");
	assert_null(r->search[2]);
	conf_resolv_free(r);

	/* an empty search line changes nothing (glibc) */
	r = parse("search a.example\nsearch   \n");
	assert_int_equal(r->nsearch, 1);
	conf_resolv_free(r);
}

static void test_search_bounds(void **state)
{
	(void)state;
	char *text = malloc(200 * 12 + 400);
	strcpy(text, "search");
	for (int i = 0; i < 200; i++)
		sprintf(text + strlen(text), " d%d.example", i);
	strcat(text, "\n");
	struct conf_resolv *r = parse(text);
	assert_int_equal(r->nsearch, CONF_MAXSEARCH);
	assert_string_equal(r->search[0], "d0.example");
	assert_null(r->search[CONF_MAXSEARCH]);
	conf_resolv_free(r);

	char longname[300];
	memset(longname, 'a', 260);
	longname[260] = '\0';
	snprintf(text, 400, "search ok.example %s\n", longname);
	nskip = 0;
	r = parse(text);
	assert_int_equal(r->nsearch, 1);
	assert_int_equal(nskip, 1);
	conf_resolv_free(r);
	free(text);
}

static void test_options_flags(void **state)
{
	(void)state;
	struct conf_resolv *r = parse(
		"options rotate single-request single-request-reopen edns0\n"
		"options use-vc no-tld-query no-aaaa trust-ad\n");
	assert_int_equal(r->opts,
			 CONF_OPT_ROTATE | CONF_OPT_SINGLE_REQUEST |
				 CONF_OPT_SINGLE_REQUEST_REOPEN |
				 CONF_OPT_EDNS0 | CONF_OPT_USE_VC |
				 CONF_OPT_NO_TLD_QUERY | CONF_OPT_NO_AAAA |
				 CONF_OPT_TRUST_AD);
	conf_resolv_free(r);
	r = parse("options no_tld_query\n");
	assert_int_equal(r->opts, CONF_OPT_NO_TLD_QUERY);
	conf_resolv_free(r);
	nskip = 0;
	r = parse("options rotatex frobnicate\n");
	assert_int_equal(r->opts, 0);
	assert_int_equal(nskip, 2);
	assert_string_equal(last_reason, "unknown_option");
	conf_resolv_free(r);
	nskip = 0;
	r = parse("options no-reload inet6\n");
	assert_int_equal(r->opts, 0);
	assert_int_equal(nskip, 2);
	assert_string_equal(last_reason, "option_no_effect");
	conf_resolv_free(r);
}

static void test_options_bounds(void **state)
{
	(void)state;
	struct conf_resolv *r = parse("options ndots:3 timeout:7 attempts:4\n");
	assert_int_equal(r->ndots, 3);
	assert_int_equal(r->timeout, 7);
	assert_int_equal(r->attempts, 4);
	conf_resolv_free(r);

	r = parse("options ndots:16 timeout:31 attempts:6\n");
	assert_int_equal(r->ndots, 15);
	assert_int_equal(r->timeout, 30);
	assert_int_equal(r->attempts, 5);
	conf_resolv_free(r);

	r = parse("options ndots:15 timeout:30 attempts:5\n");
	assert_int_equal(r->ndots, 15);
	assert_int_equal(r->timeout, 30);
	assert_int_equal(r->attempts, 5);
	conf_resolv_free(r);

	r = parse("options ndots:0 timeout:0 attempts:0\n");
	assert_int_equal(r->ndots, 0);
	assert_int_equal(r->timeout, 1);
	assert_int_equal(r->attempts, 1);
	conf_resolv_free(r);

	r = parse("options ndots:-3 ndots:99999999999999999999\n");
	assert_int_equal(r->ndots, 15);
	conf_resolv_free(r);

	nskip = 0;
	r = parse("options ndots:x timeout: attempts:2x\n");
	assert_int_equal(r->ndots, 1);
	assert_int_equal(r->timeout, 5);
	assert_int_equal(r->attempts, 2);
	assert_int_equal(nskip, 3);
	conf_resolv_free(r);
}

static void test_localdomain(void **state)
{
	(void)state;
	struct conf_resolv *r = parse_env("search file.example\n"
					  "domain other.example\n",
					  "env1.example  env2.example", NULL,
					  "host.hostname.example");
	assert_int_equal(r->nsearch, 2);
	assert_string_equal(r->search[0], "env1.example");
	assert_string_equal(r->search[1], "env2.example");
	conf_resolv_free(r);

	/* set but empty: no search list, and no hostname derivation */
	r = parse_env("search file.example\n", "", NULL, "h.example");
	assert_int_equal(r->nsearch, 0);
	assert_null(r->search[0]);
	conf_resolv_free(r);
}

static void test_res_options(void **state)
{
	(void)state;
	struct conf_resolv *r = parse_env("options ndots:2 timeout:3\n", NULL,
					  "ndots:4 rotate", NULL);
	assert_int_equal(r->ndots, 4);
	assert_int_equal(r->timeout, 3);
	assert_int_equal(r->opts, CONF_OPT_ROTATE);
	conf_resolv_free(r);
	/* applies without a file too */
	r = parse_env(NULL, NULL, "attempts:1", NULL);
	assert_int_equal(r->attempts, 1);
	conf_resolv_free(r);
}

static void test_hostname_domain(void **state)
{
	(void)state;
	struct conf_resolv *r = parse_env("nameserver 192.0.2.1\n", NULL, NULL,
					  "box.corp.example");
	assert_int_equal(r->nsearch, 1);
	assert_string_equal(r->search[0], "corp.example");
	conf_resolv_free(r);
	r = parse_env(NULL, NULL, NULL, "box");
	assert_int_equal(r->nsearch, 0);
	conf_resolv_free(r);
	r = parse_env(NULL, NULL, NULL, "box.");
	assert_int_equal(r->nsearch, 0);
	conf_resolv_free(r);
	/* the file's search list wins over the hostname */
	r = parse_env("search s.example\n", NULL, NULL, "box.corp.example");
	assert_int_equal(r->nsearch, 1);
	assert_string_equal(r->search[0], "s.example");
	conf_resolv_free(r);
}

static void test_syntax(void **state)
{
	(void)state;
	nskip = 0;
	struct conf_resolv *r = parse("# comment\n; comment\n\n"
				      "  nameserver 192.0.2.9\n"
				      "nameserver\t192.0.2.1\r\n"
				      "nameserverx 192.0.2.2\n"
				      "sortlist 130.155.160.0/255.255.240.0\n"
				      "lookup file bind\n"
				      "search\tx.example\r\n");
	assert_int_equal(r->nns, 1);
	assert_v4(&r->ns[0], "192.0.2.1", 53);
	assert_int_equal(r->nsearch, 1);
	assert_string_equal(r->search[0], "x.example");
	assert_int_equal(nskip, 4); /* leading blank, x, sortlist, lookup */
	conf_resolv_free(r);
}

static void test_garbage(void **state)
{
	(void)state;
	unsigned char buf[8192];
	uint32_t x = 12345;
	for (int round = 0; round < 50; round++) {
		for (size_t i = 0; i < sizeof buf; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (unsigned char)(x >> 16);
		}
		/* sprinkle keywords so the parser gets past the first check */
		memcpy(buf + 100, "\nnameserver ", 12);
		memcpy(buf + 300, "\noptions ndots:", 15);
		memcpy(buf + 500, "\nsearch ", 8);
		struct conf_resolv *r = conf_resolv_parse(
			(const char *)buf, sizeof buf, true, NULL);
		assert_non_null(r);
		assert_true(r->nns >= 1 && r->nns <= CONF_MAXNS);
		assert_true(r->ndots <= 15);
		assert_true(r->nsearch <= CONF_MAXSEARCH);
		conf_resolv_free(r);
	}
	/* NUL inside a line: that line is skipped, the next one is used */
	static const char nul[] = "nameserver 192.0.2.1\0garbage\n"
				  "nameserver 192.0.2.2\n";
	struct conf_resolv *r = conf_resolv_parse(nul, sizeof nul - 1, true,
						  NULL);
	assert_int_equal(r->nns, 1);
	assert_v4(&r->ns[0], "192.0.2.2", 53);
	conf_resolv_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_missing_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_usable_nameserver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nameservers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nameserver_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nameserver_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bare_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_domain_last_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_options_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_options_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_localdomain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_res_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostname_domain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
