/*
 * src/dns/flood.c: the flood signs (RFC 5452 9.3) with the kernel's drop
 * counter replaced through rfcres_sys.getsockopt.
 */
#include <errno.h>
#include <linux/sock_diag.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "core/sys.h"
#include "dns/flood.h"

static unsigned probes;
static int probe_errno;     /* 0: answer with fake_drops */
static uint32_t fake_drops;

static int fake_getsockopt(int fd, int level, int name, void *v,
			   socklen_t *len)
{
	probes++;
	assert_int_equal(fd, 42);
	assert_int_equal(level, SOL_SOCKET);
	assert_int_equal(name, SO_MEMINFO);
	if (probe_errno) {
		errno = probe_errno;
		return -1;
	}
	uint32_t mem[SK_MEMINFO_VARS] = { 0 };
	mem[SK_MEMINFO_DROPS] = fake_drops;
	size_t n = *len < sizeof mem ? *len : sizeof mem;
	memcpy(v, mem, n);
	*len = (socklen_t)n;
	return 0;
}

static int setup(void **st)
{
	(void)st;
	probes = 0;
	probe_errno = 0;
	fake_drops = 0;
	rfcres_sys.getsockopt = fake_getsockopt;
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	sys_reset();
	return 0;
}

/* A round without rejected datagrams costs nothing: no probe. */
static void test_quiet_round_no_probe(void **st)
{
	(void)st;
	struct dns_flood f;
	dns_flood_reset(&f);
	fake_drops = 100;
	assert_int_equal(dns_flood_judge(&f, 42), DNS_FLOOD_NONE);
	assert_int_equal(probes, 0);
}

/* Rejected datagrams under the threshold: one probe per round that had
 * some; the kernel's count decides. */
static void test_overflow_sign(void **st)
{
	(void)st;
	struct dns_flood f;
	dns_flood_reset(&f);
	assert_false(dns_flood_drop(&f));
	assert_false(dns_flood_drop(&f));
	assert_int_equal(dns_flood_judge(&f, 42), DNS_FLOOD_NONE);
	assert_int_equal(probes, 1);
	/* the next round rejected nothing: no probe */
	assert_int_equal(dns_flood_judge(&f, 42), DNS_FLOOD_NONE);
	assert_int_equal(probes, 1);
	fake_drops = 3;
	assert_false(dns_flood_drop(&f));
	assert_int_equal(dns_flood_judge(&f, 42), DNS_FLOOD_SIGN_OVERFLOW);
	assert_int_equal(probes, 2);
	assert_int_equal(f.kernel_drops, 3);
	assert_string_equal(dns_flood_sign_str(DNS_FLOOD_SIGN_OVERFLOW),
			    "overflow");
}

/* The threshold is reached by the DNS_FLOOD_THRESHOLD-th rejected
 * datagram, whatever the kernel says (no probe needed). */
static void test_threshold_sign(void **st)
{
	(void)st;
	struct dns_flood f;
	dns_flood_reset(&f);
	for (unsigned i = 1; i < DNS_FLOOD_THRESHOLD; i++)
		assert_false(dns_flood_drop(&f));
	assert_true(dns_flood_drop(&f));
	assert_int_equal(dns_flood_judge(&f, 42), DNS_FLOOD_SIGN_THRESHOLD);
	assert_int_equal(probes, 0);
	assert_string_equal(dns_flood_sign_str(DNS_FLOOD_SIGN_THRESHOLD),
			    "threshold");
	/* a new name or socket starts over */
	dns_flood_reset(&f);
	assert_false(dns_flood_drop(&f));
	assert_int_equal(dns_flood_judge(&f, 42), DNS_FLOOD_NONE);
}

/* No SO_MEMINFO (old kernel, seccomp): the threshold alone decides. */
static void test_probe_fails(void **st)
{
	(void)st;
	struct dns_flood f;
	dns_flood_reset(&f);
	probe_errno = ENOPROTOOPT;
	assert_false(dns_flood_drop(&f));
	assert_int_equal(dns_flood_judge(&f, 42), DNS_FLOOD_NONE);
	assert_int_equal(probes, 1);
	assert_int_equal(f.kernel_drops, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_quiet_round_no_probe,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_overflow_sign, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_threshold_sign, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_probe_fails, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
