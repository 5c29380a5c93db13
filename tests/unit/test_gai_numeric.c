/* Numeric host forms glibc's getaddrinfo accepts (and rejects). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/sys.h"
#include "gai/gai_numeric.h"

static void aton_ok(const char *s, unsigned a, unsigned b, unsigned c, unsigned d)
{
	unsigned char out[4];
	if (!gai_inet_aton_exact(s, out))
		fail_msg("'%s' rejected", s);
	assert_int_equal(out[0], a);
	assert_int_equal(out[1], b);
	assert_int_equal(out[2], c);
	assert_int_equal(out[3], d);
}

static void t_aton_forms(void **st)
{
	(void)st;
	aton_ok("127.0.0.1", 127, 0, 0, 1);
	aton_ok("127.1", 127, 0, 0, 1);
	aton_ok("127.0.1", 127, 0, 0, 1);
	aton_ok("2130706433", 127, 0, 0, 1);
	aton_ok("0x7f.1", 127, 0, 0, 1);
	aton_ok("0177.0.0.01", 127, 0, 0, 1);
	aton_ok("10.0x10000", 10, 1, 0, 0);
	aton_ok("0", 0, 0, 0, 0);
	aton_ok("255.255.255.255", 255, 255, 255, 255);
}

static void t_aton_rejects(void **st)
{
	(void)st;
	static const char *bad[] = {
		"", ".", "1.", ".1", "1..2", "256.0.0.1", "1.2.3.4.5",
		"1.2.3.4 ", " 1.2.3.4", "08", "0x", "1.2.3.256", "4294967296",
		"1.16777216", "1.2.65536", "abc", "1.2.3.4x", "-1", "+1",
	};
	unsigned char out[4];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (gai_inet_aton_exact(bad[i], out))
			fail_msg("'%s' accepted", bad[i]);
}

/* The dotted-quad fast path and the general inet_aton rules agree: every
 * four-part decimal spelling with 0-3 digits per part, leading zeros
 * (octal) and out-of-range parts included, against glibc's inet_aton
 * (which accepts the same strings when nothing trails them). */
static void t_aton_fast_path(void **st)
{
	(void)st;
	static const char *const parts[] = { "0", "1", "9", "00", "07", "08",
					     "10", "99", "010", "019", "100",
					     "199", "255", "256", "999" };
	const size_t np = sizeof parts / sizeof parts[0];
	char s[32];
	unsigned char a[4];
	struct in_addr ref;
	for (size_t i = 0; i < np; i++)
		for (size_t j = 0; j < np; j++)
			for (size_t k = 0; k < np; k++) {
				snprintf(s, sizeof s, "%s.%s.%s.%s", parts[i],
					 parts[j], parts[k], parts[(i + j) % np]);
				bool mine = gai_inet_aton_exact(s, a);
				bool libc = inet_aton(s, &ref) != 0;
				if (mine != libc)
					fail_msg("'%s': %d vs inet_aton %d", s,
						 mine, libc);
				if (mine)
					assert_memory_equal(a, &ref, 4);
			}
}

static unsigned fake_nametoindex(const char *name)
{
	return strcmp(name, "eth0") == 0 ? 7 : 0;
}

static void t_inet6_scope(void **st)
{
	(void)st;
	unsigned char a[16];
	uint32_t scope;
	rfcres_sys.if_nametoindex = fake_nametoindex;
	assert_int_equal(gai_inet6_parse("::1", a, &scope), 1);
	assert_int_equal(scope, 0);
	assert_int_equal(a[15], 1);
	assert_int_equal(gai_inet6_parse("fe80::1%eth0", a, &scope), 1);
	assert_int_equal(scope, 7);
	assert_int_equal(gai_inet6_parse("fe80::1%3", a, &scope), 1);
	assert_int_equal(scope, 3);
	assert_int_equal(gai_inet6_parse("2001:db8::1%4294967295", a, &scope), 1);
	assert_int_equal(scope, 4294967295u);
	/* names only for link-local/multicast link-local (glibc) */
	assert_int_equal(gai_inet6_parse("2001:db8::1%eth0", a, &scope), -1);
	assert_int_equal(gai_inet6_parse("fe80::1%nosuch", a, &scope), -1);
	assert_int_equal(gai_inet6_parse("fe80::1%", a, &scope), -1);
	assert_int_equal(gai_inet6_parse("fe80::1%4294967296", a, &scope), -1);
	assert_int_equal(gai_inet6_parse("fe80::1%3x", a, &scope), -1);
	assert_int_equal(gai_inet6_parse("::ffff:1.2.3.4", a, &scope), 1);
	assert_int_equal(gai_inet6_parse("1.2.3.4", a, &scope), 0);
	assert_int_equal(gai_inet6_parse("host%eth0", a, &scope), 0);
	assert_int_equal(gai_inet6_parse(":::1", a, &scope), 0);
	sys_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_aton_forms),
		cmocka_unit_test(t_aton_rejects),
		cmocka_unit_test(t_aton_fast_path),
		cmocka_unit_test(t_inet6_scope),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
