/* gai.conf parser and RFC 6724 policy lookups (conf_gai.c). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/conf_gai.h"
#include "rfcres.h"

static unsigned nskip;

static void hook(const struct rfcres_trace_event *ev, void *arg)
{
	(void)arg;
	if (strcmp(ev->name, "conf.skip") == 0)
		nskip++;
}

static struct in6_addr A(const char *s)
{
	struct in6_addr a;
	if (strchr(s, ':')) {
		assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	} else {
		memset(&a, 0, sizeof a);
		a.s6_addr[10] = a.s6_addr[11] = 0xff;
		assert_int_equal(inet_pton(AF_INET, s, &a.s6_addr[12]), 1);
	}
	return a;
}

static int label(const struct conf_policy *p, const char *s)
{
	struct in6_addr a = A(s);
	return conf_policy_label(p, &a);
}

static int prec(const struct conf_policy *p, const char *s)
{
	struct in6_addr a = A(s);
	return conf_policy_precedence(p, &a);
}

static int scope(const struct conf_policy *p, const char *s)
{
	struct in6_addr a = A(s);
	return conf_policy_scopev4(p, &a);
}

static struct conf_policy *parse(const char *text)
{
	nskip = 0;
	struct conf_policy *p = conf_policy_parse(text, strlen(text), true,
						  "test");
	assert_non_null(p);
	return p;
}

static void check_sorted(const struct conf_policy_row *r, size_t n)
{
	for (size_t i = 1; i < n; i++)
		assert_true(r[i - 1].plen >= r[i].plen);
}

static void test_default_table(void **state)
{
	(void)state;
	const struct conf_policy *p = conf_policy_default();
	/* RFC 6724 section 2.1 */
	assert_int_equal(prec(p, "::1"), 50);
	assert_int_equal(label(p, "::1"), 0);
	assert_int_equal(prec(p, "2001:db8::1"), 40); /* not 2001:0::/32 */
	assert_int_equal(label(p, "2001:db8::1"), 1); /* db8 is not 2001:0::/32 */
	assert_int_equal(prec(p, "2001:0:1::1"), 5);
	assert_int_equal(label(p, "2001:0:1::1"), 5);
	assert_int_equal(prec(p, "2a00::1"), 40);
	assert_int_equal(label(p, "2a00::1"), 1);
	assert_int_equal(prec(p, "192.0.2.1"), 35);
	assert_int_equal(label(p, "192.0.2.1"), 4);
	assert_int_equal(prec(p, "2002:c000:201::1"), 30);
	assert_int_equal(label(p, "2002:c000:201::1"), 2);
	assert_int_equal(prec(p, "fd00::1"), 3);
	assert_int_equal(label(p, "fd00::1"), 13);
	assert_int_equal(prec(p, "::192.0.2.1"), 1);
	assert_int_equal(label(p, "::192.0.2.1"), 3);
	assert_int_equal(prec(p, "fec0::1"), 1);
	assert_int_equal(label(p, "fec0::1"), 11);
	assert_int_equal(prec(p, "3ffe::1"), 1);
	assert_int_equal(label(p, "3ffe::1"), 12);
	assert_int_equal(scope(p, "127.0.0.1"), -1);
	assert_int_equal(p->rule9, CONF_RULE9_ALL);
	assert_int_equal(p->nlabel, 9);
	check_sorted(p->label, p->nlabel);
	check_sorted(p->precedence, p->nprecedence);
	/* NULL means the default table */
	assert_int_equal(prec(NULL, "::1"), 50);
}

static void test_missing_file(void **state)
{
	(void)state;
	struct conf_policy *p = conf_policy_parse(NULL, 0, false, "x");
	assert_non_null(p);
	assert_false(p->file_present);
	assert_false(p->label_from_file);
	assert_int_equal(p->nlabel, 9);
	assert_int_equal(prec(p, "192.0.2.1"), 35);
	conf_policy_free(p);
}

static void test_label_replaces(void **state)
{
	(void)state;
	struct conf_policy *p = parse("label ::1/128 7\n"
				      "label 2001:db8::/32 99  # mine\n");
	assert_true(p->label_from_file);
	assert_false(p->precedence_from_file);
	assert_int_equal(p->nlabel, 3); /* + ::/0 label 1 as glibc */
	check_sorted(p->label, p->nlabel);
	assert_int_equal(label(p, "::1"), 7);
	assert_int_equal(label(p, "2001:db8::5"), 99);
	/* the rest of the default table is gone */
	assert_int_equal(label(p, "192.0.2.1"), 1);
	assert_int_equal(label(p, "fd00::1"), 1);
	/* precedence untouched */
	assert_int_equal(prec(p, "192.0.2.1"), 35);
	conf_policy_free(p);
}

static void test_precedence_replaces(void **state)
{
	(void)state;
	/* the classic "prefer IPv4" line */
	struct conf_policy *p = parse("precedence ::ffff:0:0/96 100\n");
	assert_true(p->precedence_from_file);
	assert_int_equal(p->nprecedence, 2);
	assert_int_equal(prec(p, "192.0.2.1"), 100);
	assert_int_equal(prec(p, "::1"), 40); /* default table replaced */
	assert_int_equal(label(p, "::1"), 0); /* labels untouched */
	conf_policy_free(p);

	p = parse("precedence ::/0 10\nprecedence ::1 60\n");
	assert_int_equal(p->nprecedence, 2); /* ::/0 given: not added */
	assert_int_equal(prec(p, "::1"), 60); /* no /len: /128 */
	assert_int_equal(prec(p, "::2"), 10);
	conf_policy_free(p);
}

static void test_longest_prefix(void **state)
{
	(void)state;
	struct conf_policy *p = parse("label 2001:db8::/32 1\n"
				      "label 2001:db8:1::/48 2\n"
				      "label 2001:db8:1:2::/64 3\n"
				      "label 2001:db8:ffff::/33 4\n");
	check_sorted(p->label, p->nlabel);
	assert_int_equal(label(p, "2001:db8::1"), 1);
	assert_int_equal(label(p, "2001:db8:1::1"), 2);
	assert_int_equal(label(p, "2001:db8:1:2::1"), 3);
	assert_int_equal(label(p, "2001:db8:8000::1"), 4); /* /33 bit set */
	conf_policy_free(p);
	/* the prefix is masked to its length */
	p = parse("label 2001:db8::ffff/32 8\n");
	assert_int_equal(label(p, "2001:db8:1::"), 8);
	conf_policy_free(p);
}

static void test_scopev4(void **state)
{
	(void)state;
	struct conf_policy *p = parse("scopev4 ::ffff:169.254.0.0/112 2\n"
				      "scopev4 ::ffff:127.0.0.0/104 2\n"
				      "scopev4 10.0.0.0/8 5\n"
				      "scopev4 192.0.2.7 9\n"
				      "scopev4 ::ffff:0.0.0.0/96 14\n");
	assert_int_equal(p->nscopev4, 5);
	check_sorted(p->scopev4, p->nscopev4);
	assert_int_equal(scope(p, "169.254.1.1"), 2);
	assert_int_equal(scope(p, "127.0.0.1"), 2);
	assert_int_equal(scope(p, "10.1.2.3"), 5);
	assert_int_equal(scope(p, "192.0.2.7"), 9);
	assert_int_equal(scope(p, "192.0.2.8"), 14);
	conf_policy_free(p);
	/* no catch-all row is added: unmatched = -1 (RFC 6724 3.2 applies) */
	p = parse("scopev4 10.0.0.0/8 5\n");
	assert_int_equal(scope(p, "10.9.9.9"), 5);
	assert_int_equal(scope(p, "192.0.2.1"), -1);
	conf_policy_free(p);
	/* rejected forms, as glibc */
	p = parse("scopev4 2001:db8::/32 5\n"    /* not mapped */
		  "scopev4 ::ffff:10.0.0.0/95 5\n" /* < 96 */
		  "scopev4 10.0.0.0/33 5\n"
		  "scopev4 10.0.0.0/8\n"
		  "scopev4 10.0.0.0/8 x\n");
	assert_int_equal(p->nscopev4, 0);
	assert_int_equal(nskip, 5);
	conf_policy_free(p);
}

static void test_rule9_reload_unknown(void **state)
{
	(void)state;
	struct conf_policy *p = parse("reload yes\nrfcres-rule9 ipv6\n");
	assert_int_equal(p->rule9, CONF_RULE9_IPV6);
	assert_int_equal(nskip, 0);
	conf_policy_free(p);
	p = parse("rfcres-rule9 none\n");
	assert_int_equal(p->rule9, CONF_RULE9_NONE);
	conf_policy_free(p);
	p = parse("rfcres-rule9 none\nrfcres-rule9 all\n");
	assert_int_equal(p->rule9, CONF_RULE9_ALL);
	conf_policy_free(p);
	p = parse("rfcres-rule9 sometimes\nfrobnicate 1 2\nreload\n");
	assert_int_equal(p->rule9, CONF_RULE9_ALL);
	assert_int_equal(nskip, 3);
	assert_false(p->label_from_file);
	conf_policy_free(p);
}

static void test_malformed(void **state)
{
	(void)state;
	struct conf_policy *p = parse("label 192.0.2.0/24 5\n" /* IPv4: glibc no */
				      "label ::1/129 5\n"
				      "label ::1/-1 5\n"
				      "label ::1/12x 5\n"
				      "label ::1 2147483648\n"
				      "label ::1\n"
				      "label ::zz/8 1\n"
				      "precedence\n"
				      "#label ::1 5\n"
				      "   # comment\n");
	assert_int_equal(nskip, 8);
	assert_false(p->label_from_file);
	assert_int_equal(p->nlabel, 9);
	conf_policy_free(p);
	p = parse("label ::1 2147483647\nlabel ::1/128 3\n");
	assert_int_equal(label(p, "::1"), 2147483647); /* first wins */
	assert_int_equal(nskip, 1);
	conf_policy_free(p);
}

static void test_garbage(void **state)
{
	(void)state;
	unsigned char buf[16384];
	uint32_t x = 99;
	for (int round = 0; round < 30; round++) {
		for (size_t i = 0; i < sizeof buf; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (unsigned char)(x >> 16);
			if (buf[i] % 7 == 0)
				buf[i] = '\n';
		}
		memcpy(buf + 200, "\nlabel ::1/", 11);
		struct conf_policy *p = conf_policy_parse(
			(const char *)buf, sizeof buf, true, "rand");
		assert_non_null(p);
		assert_true(p->nlabel >= 1);
		conf_policy_free(p);
	}
	/* many rows: bounded */
	size_t cap = (CONF_MAXPOLICY + 10) * 40;
	char *big = malloc(cap), *w = big;
	for (unsigned i = 0; i < CONF_MAXPOLICY + 10; i++)
		w += sprintf(w, "label 2001:db8:%x::/48 %u\n", i, i);
	struct conf_policy *p = conf_policy_parse(big, (size_t)(w - big), true,
						  "big");
	assert_int_equal(p->nlabel, CONF_MAXPOLICY + 1);
	check_sorted(p->label, p->nlabel);
	assert_int_equal(label(p, "2001:db8:10::1"), 16);
	conf_policy_free(p);
	free(big);
}

int main(void)
{
	rfcres_set_trace(hook, NULL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_table),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_label_replaces),
		cmocka_unit_test(test_precedence_replaces),
		cmocka_unit_test(test_longest_prefix),
		cmocka_unit_test(test_scopev4),
		cmocka_unit_test(test_rule9_reload_unknown),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
