/*
 * RFC 6724 sorter: section 10 worked examples, every rule alone and in
 * precedence order, both families, custom policy tables, stability, why[],
 * rfcres-rule9 modes, seed 000, user-space source selection and the kernel
 * source probe (faked through rfcres_sys, and for real on loopback).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "core/sys.h"
#include "net/ifaddr.h"
#include "rfcres.h"
#include "select/sort.h"

/* ---- helpers ------------------------------------------------------------ */

static struct in6_addr A(const char *s)
{
	struct in6_addr a;
	struct in_addr v4;
	memset(&a, 0, sizeof a);
	if (inet_pton(AF_INET, s, &v4) == 1) {
		a.s6_addr[10] = a.s6_addr[11] = 0xff;
		memcpy(&a.s6_addr[12], &v4, 4);
		return a;
	}
	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static const char *S(const struct in6_addr *a)
{
	static char buf[4][SORT_ADDRSTRLEN];
	static int k;
	k = (k + 1) % 4;
	return sort_addr_str(a, 0, buf[k], sizeof buf[k]);
}

/* destination with a given source (src NULL: none) */
static struct sort_item D(const char *dst, const char *src, unsigned plen,
			  unsigned flags)
{
	struct sort_item it;
	memset(&it, 0, sizeof it);
	it.dst = A(dst);
	if (src) {
		it.has_src = true;
		it.src = A(src);
		it.src_plen = plen;
		it.src_flags = flags;
	}
	return it;
}

static void check_order(const struct sort_item *v, size_t n,
			const char *const *expect)
{
	for (size_t i = 0; i < n; i++) {
		struct in6_addr e = A(expect[i]);
		if (memcmp(&e, &v[i].dst, sizeof e) != 0)
			fail_msg("position %zu: expected %s, got %s", i,
				 expect[i], S(&v[i].dst));
	}
}

/* Sorts two destinations both ways round; checks winner and rule. */
static void pair(struct sort_item first, struct sort_item second,
		 const struct conf_policy *p, unsigned rule)
{
	struct sort_item v[2] = { second, first };
	sort_rule why[1] = { 0 };
	v[0].index = 1;
	v[1].index = 0;
	sort_destinations(v, 2, p, why);
	if (v[0].index != 0)
		fail_msg("%s should precede %s", S(&first.dst), S(&second.dst));
	assert_int_equal(why[0], rule);
	/* and in the other input order the same result */
	struct sort_item w[2] = { first, second };
	w[0].index = 0;
	w[1].index = 1;
	sort_destinations(w, 2, p, why);
	assert_int_equal(w[0].index, 0);
	assert_int_equal(why[0], rule);
}

/* Two destinations no rule tells apart: either input order is kept. */
static void kept(struct sort_item a, struct sort_item b,
		 const struct conf_policy *p)
{
	for (int round = 0; round < 2; round++) {
		struct sort_item v[2] = { round ? b : a, round ? a : b };
		sort_rule why[1] = { 0 };
		v[0].index = 0;
		v[1].index = 1;
		sort_destinations(v, 2, p, why);
		assert_int_equal(v[0].index, 0);
		assert_int_equal(why[0], SORT_RULE_KEPT);
	}
}

/* An inventory built on the stack. */
struct inv {
	struct ifaddr_inv inv;
	struct ifaddr_entry e[16];
};

static void inv_add(struct inv *iv, const char *addr, unsigned plen,
		    unsigned ifindex, unsigned flags)
{
	assert_true(iv->inv.n < 16);
	struct ifaddr_entry *e = &iv->e[iv->inv.n++];
	memset(e, 0, sizeof *e);
	struct in6_addr a = A(addr);
	if (IN6_IS_ADDR_V4MAPPED(&a)) {
		e->family = AF_INET;
		memcpy(e->addr, &a.s6_addr[12], 4);
	} else {
		e->family = AF_INET6;
		memcpy(e->addr, a.s6_addr, 16);
	}
	e->plen = plen;
	e->ifindex = ifindex;
	e->link_type = ARPHRD_ETHER;
	e->flags = flags;
	iv->inv.v = iv->e;
}

static void inv_init(struct inv *iv)
{
	memset(iv, 0, sizeof *iv);
	iv->inv.v = iv->e;
	iv->inv.from_netlink = true;
}

static void expect_source(const struct inv *iv, const char *dst,
			  uint32_t zone, const struct conf_policy *p,
			  const char *want)
{
	struct sort_item it;
	memset(&it, 0, sizeof it);
	struct in6_addr d = A(dst);
	bool ok = sort_select_source(&d, zone, &iv->inv, p, &it);
	if (!want) {
		assert_false(ok);
		assert_false(it.has_src);
		return;
	}
	assert_true(ok);
	struct in6_addr w = A(want);
	if (memcmp(&w, &it.src, sizeof w) != 0)
		fail_msg("source for %s: expected %s, got %s", dst, want,
			 S(&it.src));
}

/* RFC section 10 style: sources chosen by section 5 from the candidate
 * set, destinations sorted by section 6, compared with the result. */
static void rfc_case(const struct inv *iv, const struct conf_policy *p,
		     const char *const *dsts, size_t n,
		     const char *const *expect, const char *const *expect_src,
		     unsigned rule)
{
	struct sort_item v[8];
	sort_rule why[8];
	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++) {
		struct in6_addr d = A(dsts[i]);
		uint32_t zone = IN6_IS_ADDR_LINKLOCAL(&d) ? 1 : 0;
		sort_select_source(&d, zone, &iv->inv, p, &v[i]);
		v[i].index = i;
	}
	sort_destinations(v, n, p, why);
	check_order(v, n, expect);
	for (size_t i = 0; expect_src && i < n; i++) {
		assert_true(v[i].has_src);
		struct in6_addr s = A(expect_src[i]);
		if (memcmp(&s, &v[i].src, sizeof s) != 0)
			fail_msg("source of %s: expected %s, got %s",
				 expect[i], expect_src[i], S(&v[i].src));
	}
	assert_int_equal(why[0], rule);
}

/* A policy table built from text rows "prefix/len precedence label". */
struct policy_buf {
	struct conf_policy p;
	struct conf_policy_row label[16], prec[16], scopev4[4];
};

static void policy_rows(struct policy_buf *b, const char *const *rows,
			size_t n)
{
	memset(b, 0, sizeof *b);
	assert_true(n <= 16);
	for (size_t i = 0; i < n; i++) {
		char pfx[64];
		unsigned plen;
		int prec, label;
		assert_int_equal(sscanf(rows[i], "%63[^/]/%u %d %d", pfx, &plen,
					&prec, &label), 4);
		b->label[i].prefix = A(pfx);
		b->label[i].plen = plen;
		b->label[i].value = label;
		b->prec[i] = b->label[i];
		b->prec[i].value = prec;
	}
	b->p.label = b->label;
	b->p.nlabel = n;
	b->p.precedence = b->prec;
	b->p.nprecedence = n;
	b->p.scopev4 = b->scopev4;
	b->p.rule9 = CONF_RULE9_ALL;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const rfc6724_table[] = {
	"::1/128 50 0",   "::/0 40 1",      "::ffff:0:0/96 35 4",
	"2002::/16 30 2", "2001::/32 5 5",  "fc00::/7 3 13",
	"::/96 1 3",      "fec0::/10 1 11", "3ffe::/16 1 12",
};

/* ---- policy table and scopes -------------------------------------------- */

static void test_default_table(void **state)
{
	(void)state;
	static const struct {
		const char *a;
		int prec, label;
	} t[] = {
		{ "::1", 50, 0 },		{ "2001:db8::1", 40, 1 },
		{ "192.0.2.1", 35, 4 },		{ "2002:c633:6401::1", 30, 2 },
		{ "2001:0:1::1", 5, 5 },	{ "fd00::1", 3, 13 },
		{ "::192.0.2.1", 1, 3 },	{ "fec0::1", 1, 11 },
		{ "3ffe::1", 1, 12 },		{ "fe80::1", 40, 1 },
	};
	struct policy_buf b;
	policy_rows(&b, rfc6724_table, N(rfc6724_table));
	for (size_t i = 0; i < N(t); i++) {
		struct in6_addr a = A(t[i].a);
		assert_int_equal(conf_policy_precedence(NULL, &a), t[i].prec);
		assert_int_equal(conf_policy_label(NULL, &a), t[i].label);
		/* the explicit table from the RFC text gives the same */
		assert_int_equal(conf_policy_precedence(&b.p, &a), t[i].prec);
		assert_int_equal(conf_policy_label(&b.p, &a), t[i].label);
	}
	assert_int_equal(conf_policy_default()->rule9, CONF_RULE9_ALL);
}

static void test_scope(void **state)
{
	(void)state;
	static const struct {
		const char *a;
		int scope;
	} t[] = {
		{ "ff01::1", 0x1 },    { "ff02::1", 0x2 },  { "ff05::1", 0x5 },
		{ "ff08::1", 0x8 },    { "ff0e::1", 0xe },  { "fe80::1", 0x2 },
		{ "febf::1", 0x2 },    { "fec0::1", 0x5 },  { "::1", 0x2 },
		{ "2001:db8::1", 0xe }, { "fd00::1", 0xe },  { "127.0.0.1", 0x2 },
		{ "127.9.9.9", 0x2 },  { "169.254.1.1", 0x2 },
		{ "10.0.0.1", 0xe },   { "172.16.0.1", 0xe },
		{ "192.168.1.1", 0xe }, { "198.51.100.1", 0xe },
	};
	for (size_t i = 0; i < N(t); i++) {
		struct in6_addr a = A(t[i].a);
		if (sort_scope(&a, NULL) != t[i].scope)
			fail_msg("scope(%s) = %d, want %d", t[i].a,
				 sort_scope(&a, NULL), t[i].scope);
	}
	/* gai.conf scopev4 overrides section 3.2 (RFC 3484 site-local) */
	struct policy_buf b;
	policy_rows(&b, rfc6724_table, N(rfc6724_table));
	b.scopev4[0].prefix = A("10.0.0.0");
	b.scopev4[0].plen = 96 + 8;
	b.scopev4[0].value = 5;
	b.p.nscopev4 = 1;
	struct in6_addr a = A("10.1.2.3"), o = A("11.1.2.3");
	assert_int_equal(sort_scope(&a, &b.p), 5);
	assert_int_equal(sort_scope(&o, &b.p), 0xe);
}

static void test_common_prefix(void **state)
{
	(void)state;
	struct sort_item it = D("172.21.2.108", "172.21.2.90", 24, 0);
	assert_int_equal(sort_common_prefix(&it), 24);
	it.src_plen = 32;
	assert_int_equal(sort_common_prefix(&it), 26);
	it.src_plen = 96 + 24; /* mapped form accepted */
	assert_int_equal(sort_common_prefix(&it), 24);
	it = D("172.21.1.97", "172.21.2.90", 24, 0);
	assert_int_equal(sort_common_prefix(&it), 22);
	it = D("2001:db8:1::1", "2001:db8:1::2", 64, 0);
	assert_int_equal(sort_common_prefix(&it), 64);
	it.src_plen = 128;
	assert_int_equal(sort_common_prefix(&it), 126);
	it = D("2001:db8:3ffe::1", "2001:db8:3f44::2", 64, 0);
	assert_int_equal(sort_common_prefix(&it), 40);
	it = D("2001:db8::1", NULL, 0, 0);
	assert_int_equal(sort_common_prefix(&it), 0);
}

/* ---- RFC 6724 section 10 -------------------------------------------------- */

static void test_rfc_10_1_source(void **state)
{
	(void)state;
	struct inv iv;

	inv_init(&iv);
	inv_add(&iv, "fe80::1", 64, 1, 0);
	inv_add(&iv, "2001:db8:3::1", 64, 1, 0);
	expect_source(&iv, "2001:db8:1::1", 0, NULL, "2001:db8:3::1");
	expect_source(&iv, "ff05::1", 0, NULL, "2001:db8:3::1");

	inv_init(&iv);
	inv_add(&iv, "2001:db8:2::1", 64, 1, 0);
	inv_add(&iv, "2001:db8:1::1", 64, 1, IFADDR_F_DEPRECATED);
	expect_source(&iv, "2001:db8:1::1", 0, NULL, "2001:db8:1::1");

	inv_init(&iv);
	inv_add(&iv, "2001:db8:1::1", 64, 1, 0);
	inv_add(&iv, "fe80::2", 64, 1, IFADDR_F_DEPRECATED);
	expect_source(&iv, "fe80::1", 1, NULL, "fe80::2");

	inv_init(&iv);
	inv_add(&iv, "2001:db8:3::2", 64, 1, 0);
	inv_add(&iv, "2001:db8:1::2", 64, 1, 0);
	expect_source(&iv, "2001:db8:1::1", 0, NULL, "2001:db8:1::2");

	inv_init(&iv); /* care-of vs home */
	inv_add(&iv, "2001:db8:1::2", 64, 1, 0);
	inv_add(&iv, "2001:db8:3::2", 64, 1, IFADDR_F_HOME);
	expect_source(&iv, "2001:db8:1::1", 0, NULL, "2001:db8:3::2");

	inv_init(&iv);
	inv_add(&iv, "2001:db8:1::2", 64, 1, 0);
	inv_add(&iv, "2002:c633:6401::d5e3:7953:13eb:22e8", 64, 1,
		IFADDR_F_TEMPORARY);
	expect_source(&iv, "2002:c633:6401::1", 0, NULL,
		      "2002:c633:6401::d5e3:7953:13eb:22e8");

	inv_init(&iv);
	inv_add(&iv, "2001:db8:1::2", 64, 1, 0);
	inv_add(&iv, "2001:db8:1::d5e3:7953:13eb:22e8", 64, 1,
		IFADDR_F_TEMPORARY);
	expect_source(&iv, "2001:db8:1::d5e3:0:0:1", 0, NULL,
		      "2001:db8:1::d5e3:7953:13eb:22e8");
}

static void test_rfc_10_2_destination(void **state)
{
	(void)state;
	struct inv iv;

	inv_init(&iv);
	inv_add(&iv, "2001:db8:1::2", 64, 1, 0);
	inv_add(&iv, "fe80::1", 64, 1, 0);
	inv_add(&iv, "169.254.13.78", 16, 1, 0);
	rfc_case(&iv, NULL, (const char *[]){ "198.51.100.121", "2001:db8:1::1" },
		 2, (const char *[]){ "2001:db8:1::1", "198.51.100.121" },
		 (const char *[]){ "2001:db8:1::2", "169.254.13.78" }, 2);

	inv_init(&iv);
	inv_add(&iv, "fe80::1", 64, 1, 0);
	inv_add(&iv, "198.51.100.117", 24, 1, 0);
	rfc_case(&iv, NULL, (const char *[]){ "2001:db8:1::1", "198.51.100.121" },
		 2, (const char *[]){ "198.51.100.121", "2001:db8:1::1" },
		 (const char *[]){ "198.51.100.117", "fe80::1" }, 2);

	inv_init(&iv);
	inv_add(&iv, "2001:db8:1::2", 64, 1, 0);
	inv_add(&iv, "fe80::1", 64, 1, 0);
	inv_add(&iv, "10.1.2.4", 8, 1, 0);
	rfc_case(&iv, NULL, (const char *[]){ "10.1.2.3", "2001:db8:1::1" }, 2,
		 (const char *[]){ "2001:db8:1::1", "10.1.2.3" },
		 (const char *[]){ "2001:db8:1::2", "10.1.2.4" }, 6);

	inv_init(&iv);
	inv_add(&iv, "2001:db8:1::2", 64, 1, 0);
	inv_add(&iv, "fe80::2", 64, 1, 0);
	rfc_case(&iv, NULL, (const char *[]){ "2001:db8:1::1", "fe80::1" }, 2,
		 (const char *[]){ "fe80::1", "2001:db8:1::1" },
		 (const char *[]){ "fe80::2", "2001:db8:1::2" }, 8);

	inv_init(&iv); /* 2001:db8:1::2 and fe80::2 are care-of addresses */
	inv_add(&iv, "2001:db8:1::2", 64, 1, 0);
	inv_add(&iv, "2001:db8:3::1", 64, 1, IFADDR_F_HOME);
	inv_add(&iv, "fe80::2", 64, 1, 0);
	rfc_case(&iv, NULL, (const char *[]){ "fe80::1", "2001:db8:1::1" }, 2,
		 (const char *[]){ "2001:db8:1::1", "fe80::1" },
		 (const char *[]){ "2001:db8:3::1", "fe80::2" }, 4);

	inv_init(&iv);
	inv_add(&iv, "2001:db8:1::2", 64, 1, 0);
	inv_add(&iv, "fe80::2", 64, 1, IFADDR_F_DEPRECATED);
	rfc_case(&iv, NULL, (const char *[]){ "fe80::1", "2001:db8:1::1" }, 2,
		 (const char *[]){ "2001:db8:1::1", "fe80::1" },
		 (const char *[]){ "2001:db8:1::2", "fe80::2" }, 3);

	inv_init(&iv);
	inv_add(&iv, "2001:db8:1::2", 64, 1, 0);
	inv_add(&iv, "2001:db8:3f44::2", 64, 1, 0);
	inv_add(&iv, "fe80::2", 64, 1, 0);
	rfc_case(&iv, NULL,
		 (const char *[]){ "2001:db8:3ffe::1", "2001:db8:1::1" }, 2,
		 (const char *[]){ "2001:db8:1::1", "2001:db8:3ffe::1" },
		 (const char *[]){ "2001:db8:1::2", "2001:db8:3f44::2" }, 9);

	inv_init(&iv);
	inv_add(&iv, "2002:c633:6401::2", 64, 1, 0);
	inv_add(&iv, "fe80::2", 64, 1, 0);
	rfc_case(&iv, NULL,
		 (const char *[]){ "2001:db8:1::1", "2002:c633:6401::1" }, 2,
		 (const char *[]){ "2002:c633:6401::1", "2001:db8:1::1" },
		 (const char *[]){ "2002:c633:6401::2", "2002:c633:6401::2" },
		 5);

	inv_init(&iv);
	inv_add(&iv, "2002:c633:6401::2", 64, 1, 0);
	inv_add(&iv, "2001:db8:1::2", 64, 1, 0);
	inv_add(&iv, "fe80::2", 64, 1, 0);
	rfc_case(&iv, NULL,
		 (const char *[]){ "2002:c633:6401::1", "2001:db8:1::1" }, 2,
		 (const char *[]){ "2001:db8:1::1", "2002:c633:6401::1" },
		 (const char *[]){ "2001:db8:1::2", "2002:c633:6401::2" }, 6);
}

/* 10.3: ::ffff:0:0/96 precedence 100 prefers IPv4. */
static void test_rfc_10_3_prefer_ipv4(void **state)
{
	(void)state;
	static const char *const rows[] = {
		"::1/128 50 0",   "::/0 40 1",     "::ffff:0:0/96 100 4",
		"2002::/16 30 2", "2001::/32 5 5", "fc00::/7 3 13",
		"::/96 1 3",      "fec0::/10 1 11", "3ffe::/16 1 12",
	};
	struct policy_buf b;
	policy_rows(&b, rows, N(rows));
	struct inv iv;

	inv_init(&iv); /* unchanged: prefer matching scope */
	inv_add(&iv, "2001:db8::2", 64, 1, 0);
	inv_add(&iv, "fe80::1", 64, 1, 0);
	inv_add(&iv, "169.254.13.78", 16, 1, 0);
	rfc_case(&iv, &b.p, (const char *[]){ "198.51.100.121", "2001:db8::1" },
		 2, (const char *[]){ "2001:db8::1", "198.51.100.121" },
		 (const char *[]){ "2001:db8::2", "169.254.13.78" }, 2);

	inv_init(&iv); /* unchanged: prefer matching scope */
	inv_add(&iv, "fe80::1", 64, 1, 0);
	inv_add(&iv, "198.51.100.117", 24, 1, 0);
	rfc_case(&iv, &b.p, (const char *[]){ "2001:db8::1", "198.51.100.121" },
		 2, (const char *[]){ "198.51.100.121", "2001:db8::1" },
		 (const char *[]){ "198.51.100.117", "fe80::1" }, 2);

	inv_init(&iv); /* new: prefer higher precedence */
	inv_add(&iv, "2001:db8::2", 64, 1, 0);
	inv_add(&iv, "fe80::1", 64, 1, 0);
	inv_add(&iv, "10.1.2.4", 8, 1, 0);
	rfc_case(&iv, &b.p, (const char *[]){ "2001:db8::1", "10.1.2.3" }, 2,
		 (const char *[]){ "10.1.2.3", "2001:db8::1" },
		 (const char *[]){ "10.1.2.4", "2001:db8::2" }, 6);
}

/* 10.4: fe80::/10 precedence 33 label 1 sorts global before link-local. */
static void test_rfc_10_4_link_local(void **state)
{
	(void)state;
	static const char *const rows[] = {
		"::1/128 50 0",     "::/0 40 1",      "::ffff:0:0/96 35 4",
		"fe80::/10 33 1",   "2002::/16 30 2", "2001::/32 5 5",
		"fc00::/7 3 13",    "::/96 1 3",      "fec0::/10 1 11",
		"3ffe::/16 1 12",
	};
	struct policy_buf b;
	policy_rows(&b, rows, N(rows));
	struct inv iv;
	inv_init(&iv);
	inv_add(&iv, "2001:db8::2", 64, 1, 0);
	inv_add(&iv, "fe80::2", 64, 1, 0);
	const char *const d[] = { "fe80::1", "2001:db8::1" };
	rfc_case(&iv, NULL, d, 2, (const char *[]){ "fe80::1", "2001:db8::1" },
		 (const char *[]){ "fe80::2", "2001:db8::2" }, 8);
	rfc_case(&iv, &b.p, d, 2, (const char *[]){ "2001:db8::1", "fe80::1" },
		 (const char *[]){ "2001:db8::2", "fe80::2" }, 6);
}

/* 10.5: a multi-homed site.  Site A has 2001:db8:1aaa::/48 from a
 * high-performance ISP and 2001:db8:1111::/48 from its normal one; site B
 * 2001:db8:1bbb::/48 and 2001:db8:2222::/48.  (The site rows' values are
 * ours: the two high-performance prefixes share a label of their own and a
 * precedence above ::/0.) */
static void test_rfc_10_5_multihomed(void **state)
{
	(void)state;
	struct inv iv;
	inv_init(&iv);
	inv_add(&iv, "2001:db8:1111::a", 64, 1, 0);
	inv_add(&iv, "2001:db8:1aaa::a", 64, 1, 0);
	inv_add(&iv, "fe80::a", 64, 1, 0);
	const char *const d[] = { "2001:db8:2222::b", "2001:db8:1bbb::b" };
	/* default table: longest matching prefix does it */
	rfc_case(&iv, NULL, d, 2,
		 (const char *[]){ "2001:db8:1bbb::b", "2001:db8:2222::b" },
		 (const char *[]){ "2001:db8:1aaa::a", "2001:db8:1111::a" }, 9);

	static const char *const rows[] = {
		"::1/128 50 0",	      "2001:db8:1aaa::/48 45 14",
		"2001:db8:1bbb::/48 45 14", "::/0 40 1",
		"::ffff:0:0/96 35 4", "2002::/16 30 2",
		"2001::/32 5 5",      "fc00::/7 3 13",
		"::/96 1 3",	      "fec0::/10 1 11",
		"3ffe::/16 1 12",
	};
	struct policy_buf b;
	policy_rows(&b, rows, N(rows));
	rfc_case(&iv, &b.p, d, 2,
		 (const char *[]){ "2001:db8:1bbb::b", "2001:db8:2222::b" },
		 (const char *[]){ "2001:db8:1aaa::a", "2001:db8:1111::a" }, 6);
	/* a third site never gets the high-performance source (label) */
	expect_source(&iv, "2001:db8:3333::c", 0, &b.p, "2001:db8:1111::a");
	/* ... while with the default table it was a tie broken by order */
	inv_init(&iv);
	inv_add(&iv, "2001:db8:1aaa::a", 64, 1, 0);
	inv_add(&iv, "2001:db8:1111::a", 64, 1, 0);
	expect_source(&iv, "2001:db8:3333::c", 0, NULL, "2001:db8:1aaa::a");
	expect_source(&iv, "2001:db8:3333::c", 0, &b.p, "2001:db8:1111::a");
}

/* 10.6: ULAs of the own site preferred over global addresses. */
static void test_rfc_10_6_ula(void **state)
{
	(void)state;
	struct inv iv;
	inv_init(&iv);
	inv_add(&iv, "2001:db8:1::1", 64, 1, 0);
	inv_add(&iv, "fd11:1111:1111:1::1", 64, 1, 0);
	const char *const d[] = { "fd11:1111:1111:2::2", "2001:db8:2::2" };
	rfc_case(&iv, NULL, d, 2,
		 (const char *[]){ "2001:db8:2::2", "fd11:1111:1111:2::2" },
		 (const char *[]){ "2001:db8:1::1", "fd11:1111:1111:1::1" }, 6);
	static const char *const rows[] = {
		"::1/128 50 0",	       "fd11:1111:1111::/48 45 14",
		"::/0 40 1",	       "::ffff:0:0/96 35 4",
		"2002::/16 30 2",      "2001::/32 5 5",
		"fc00::/7 3 13",       "::/96 1 3",
		"fec0::/10 1 11",      "3ffe::/16 1 12",
	};
	struct policy_buf b;
	policy_rows(&b, rows, N(rows));
	rfc_case(&iv, &b.p, d, 2,
		 (const char *[]){ "fd11:1111:1111:2::2", "2001:db8:2::2" },
		 (const char *[]){ "fd11:1111:1111:1::1", "2001:db8:1::1" }, 6);
}

/* 10.7: 6to4 source vs NAT'ed IPv4; labelling 2002::/16 like ::/0 makes the
 * 6to4 source acceptable for native IPv6 destinations. */
static void test_rfc_10_7_6to4(void **state)
{
	(void)state;
	struct inv iv;
	inv_init(&iv);
	inv_add(&iv, "2002:c633:6401::2", 64, 1, 0);
	inv_add(&iv, "10.1.2.4", 8, 1, 0);
	const char *const d[] = { "2001:db8:1::1", "203.0.113.1" };
	rfc_case(&iv, NULL, d, 2,
		 (const char *[]){ "203.0.113.1", "2001:db8:1::1" },
		 (const char *[]){ "10.1.2.4", "2002:c633:6401::2" }, 5);
	static const char *const rows[] = {
		"::1/128 50 0",   "::/0 40 1",     "::ffff:0:0/96 35 4",
		"2002::/16 30 1", "2001::/32 5 5", "fc00::/7 3 13",
		"::/96 1 3",      "fec0::/10 1 11", "3ffe::/16 1 12",
	};
	struct policy_buf b;
	policy_rows(&b, rows, N(rows));
	rfc_case(&iv, &b.p, d, 2,
		 (const char *[]){ "2001:db8:1::1", "203.0.113.1" },
		 (const char *[]){ "2002:c633:6401::2", "10.1.2.4" }, 6);
}

/* ---- each rule alone ------------------------------------------------------ */

static void test_rules_isolated(void **state)
{
	(void)state;
	/* 1: a destination without a source goes last */
	pair(D("2001:db8::2", "2001:db8::1", 64, 0), D("2001:db8::3", NULL, 0, 0),
	     NULL, 1);
	/* 2: matching scope (global dst, link-local source loses) */
	pair(D("2001:db8::2", "2001:db8::1", 64, 0),
	     D("2001:db8::3", "fe80::1", 64, 0), NULL, 2);
	/* 3: deprecated source last */
	pair(D("2001:db8::2", "2001:db8::1", 64, 0),
	     D("2001:db8::3", "2001:db8::1", 64, SORT_SRC_DEPRECATED), NULL, 3);
	/* 4: home address first */
	pair(D("2001:db8::3", "2001:db8::1", 64, SORT_SRC_HOME),
	     D("2001:db8::2", "2001:db8::1", 64, 0), NULL, 4);
	/* 5: matching label (6to4 source for a native destination loses) */
	pair(D("2001:db8::2", "2001:db8::1", 64, 0),
	     D("2001:db8::3", "2002:c633:6401::1", 64, 0), NULL, 5);
	/* 6: higher precedence (same label/scope matches) */
	pair(D("2001:db8::2", "2001:db8::1", 64, 0),
	     D("192.0.2.1", "192.0.2.9", 24, 0), NULL, 6);
	/* 7: native transport first */
	pair(D("2001:db8::3", "2001:db8::1", 64, 0),
	     D("2001:db8::2", "2001:db8::1", 64, SORT_SRC_TUNNEL), NULL, 7);
	/* 8: smaller scope first */
	pair(D("fe80::9", "fe80::1", 64, 0), D("2001:db8::2", "2001:db8::1", 64, 0),
	     NULL, 8);
	/* 9: longest matching prefix, IPv6 and IPv4 */
	pair(D("2001:db8:1::9", "2001:db8:1::1", 48, 0),
	     D("2001:db8:2::9", "2001:db8:1::1", 48, 0), NULL, 9);
	pair(D("10.1.1.9", "10.1.1.1", 24, 0), D("10.2.1.9", "10.1.1.1", 24, 0),
	     NULL, 9);
	/* 10: nothing differs */
	kept(D("10.1.1.9", "10.1.1.1", 24, 0), D("10.1.1.8", "10.1.1.1", 24, 0), NULL);
	/* no source on either side: rules 6 and 8 still apply */
	pair(D("2001:db8::2", NULL, 0, 0), D("192.0.2.1", NULL, 0, 0), NULL, 6);
	pair(D("fe80::2", NULL, 0, 0), D("2001:db8::1", NULL, 0, 0), NULL, 8);
	kept(D("2001:db8::2", NULL, 0, 0), D("2001:db8::1", NULL, 0, 0), NULL);
}

/* A lower-numbered rule wins over a higher one that says the opposite. */
static void test_rules_precedence_order(void **state)
{
	(void)state;
	/* 1 over 6: usable IPv4 before unusable IPv6 */
	pair(D("192.0.2.1", "192.0.2.9", 24, 0), D("2001:db8::1", NULL, 0, 0),
	     NULL, 1);
	/* 2 over 6 and 9 */
	pair(D("192.0.2.1", "192.0.2.9", 24, 0),
	     D("2001:db8::1", "fe80::1", 128, 0), NULL, 2);
	/* 3 over 4 */
	pair(D("2001:db8::2", "2001:db8::1", 64, 0),
	     D("2001:db8::3", "2001:db8::1", 64,
	       SORT_SRC_HOME | SORT_SRC_DEPRECATED), NULL, 3);
	/* 4 over 5 */
	pair(D("2001:db8::2", "2002:c633:6401::1", 64, SORT_SRC_HOME),
	     D("2001:db8::3", "2001:db8::1", 64, 0), NULL, 4);
	/* 5 over 6: matching-label IPv4 before mismatching IPv6 */
	pair(D("192.0.2.1", "192.0.2.9", 24, 0),
	     D("2001:db8::1", "2002:c633:6401::1", 64, 0), NULL, 5);
	/* 6 over 7: higher precedence through a tunnel still first */
	pair(D("2001:db8::1", "2001:db8::9", 64, SORT_SRC_TUNNEL),
	     D("192.0.2.1", "192.0.2.9", 24, 0), NULL, 6);
	/* 7 over 8: native global before tunnelled link-local */
	pair(D("2001:db8::1", "2001:db8::9", 64, 0),
	     D("fe80::1", "fe80::9", 64, SORT_SRC_TUNNEL), NULL, 7);
	/* 8 over 9: link-local first although global matches longer */
	pair(D("fe80::1", "fe80::9", 16, 0),
	     D("2001:db8::1", "2001:db8::9", 120, 0), NULL, 8);
}

static void test_ipv4_only(void **state)
{
	(void)state;
	struct sort_item v[] = {
		D("198.51.100.1", NULL, 0, 0),
		D("203.0.113.5", "10.0.0.2", 8, 0),
		D("10.9.9.9", "10.0.0.2", 8, 0),
		D("169.254.1.1", "169.254.7.7", 16, 0),
		D("10.0.0.77", "10.0.0.2", 8, 0),
	};
	sort_rule why[N(v)];
	for (size_t i = 0; i < N(v); i++)
		v[i].index = i;
	sort_destinations(v, N(v), NULL, why);
	/* 169.254 (link-local, rule 8) first; 10.x both /8 (equal, rule 9
	 * capped at /8, order kept) before 203.0.113.5 (shorter match);
	 * unusable last */
	check_order(v, N(v), (const char *[]){ "169.254.1.1", "10.9.9.9",
					       "10.0.0.77", "203.0.113.5",
					       "198.51.100.1" });
	assert_int_equal(why[0], 8);
	assert_int_equal(why[1], 10);
	assert_int_equal(why[2], 9);
	assert_int_equal(why[3], 1);
}

static void test_ipv6_only(void **state)
{
	(void)state;
	struct sort_item v[] = {
		D("2001:db8:2::1", "2001:db8:1::1", 64, 0),
		D("fd00::1", "2001:db8:1::1", 64, 0),
		D("2001:db8:1::7", "2001:db8:1::1", 64, 0),
		D("::1", "::1", 128, 0),
		D("2001:db8:2::2", "2001:db8:1::1", 64, SORT_SRC_DEPRECATED),
	};
	sort_rule why[N(v)];
	sort_destinations(v, N(v), NULL, why);
	check_order(v, N(v), (const char *[]){ "::1", "2001:db8:1::7",
					       "2001:db8:2::1", "fd00::1",
					       "2001:db8:2::2" });
	/* ::1 label 0 = source label 0 and precedence 50 */
	assert_int_equal(why[0], 6);
	assert_int_equal(why[1], 9);
	/* fd00::1 label 13 vs source label 1: rule 5 */
	assert_int_equal(why[2], 5);
	assert_int_equal(why[3], 3);
}

static void test_custom_policy(void **state)
{
	(void)state;
	/* a table whose ::/0 row has label -1 and precedence 0 (the parser
	 * always adds ::/0, as glibc does) */
	static const char *const rows[] = { "2001:db8:aaaa::/48 60 7",
					    "::/0 0 -1" };
	struct policy_buf b;
	policy_rows(&b, rows, N(rows));
	pair(D("2001:db8:bbbb::1", "2001:db8::1", 32, 0),
	     D("2001:db8:aaaa::1", "2001:db8::1", 32, 0), &b.p, 5);
	pair(D("2001:db8:aaaa::1", "2001:db8:aaaa::9", 64, 0),
	     D("2001:db8:bbbb::1", "2001:db8:aaaa::9", 64, 0), &b.p, 5);
	/* both labels match: the row's precedence decides */
	pair(D("2001:db8:aaaa::1", "2001:db8:aaaa::9", 64, 0),
	     D("2001:db8:cccc::1", "2001:db8:cccc::9", 64, 0), &b.p, 6);
	struct in6_addr x = A("2001:db8:cccc::1");
	assert_int_equal(conf_policy_label(&b.p, &x), -1);
	assert_int_equal(conf_policy_precedence(&b.p, &x), 0);
	/* rows in any order: still the longest match */
	static const char *const rows2[] = { "::/0 10 1", "2001:db8::/32 20 2",
					     "2001:db8:1::/48 30 3" };
	policy_rows(&b, rows2, N(rows2));
	x = A("2001:db8:1::5");
	assert_int_equal(conf_policy_precedence(&b.p, &x), 30);
	x = A("2001:db8:2::5");
	assert_int_equal(conf_policy_precedence(&b.p, &x), 20);
	/* scopev4: 10/8 as site-local (RFC 3484 style) makes rule 8 prefer
	 * it over a global IPv4 destination */
	policy_rows(&b, rfc6724_table, N(rfc6724_table));
	b.scopev4[0].prefix = A("10.0.0.0");
	b.scopev4[0].plen = 104;
	b.scopev4[0].value = 5;
	b.p.nscopev4 = 1;
	pair(D("10.1.1.1", "10.9.9.9", 8, 0), D("203.0.113.1", "10.9.9.9", 8, 0),
	     &b.p, 2);
	pair(D("10.1.1.1", "10.9.9.9", 8, 0),
	     D("203.0.113.1", "203.0.113.9", 24, 0), &b.p, 8);
}

/* ---- stability and why[] ------------------------------------------------- */

static void test_stability_256_equal(void **state)
{
	(void)state;
	enum { n = 256 };
	struct sort_item *v = calloc(n, sizeof *v);
	sort_rule *why = calloc(n, sizeof *why);
	assert_non_null(v);
	assert_non_null(why);
	for (size_t i = 0; i < n; i++) {
		char a[32];
		snprintf(a, sizeof a, "10.1.%zu.%zu", i / 200, i % 200 + 1);
		v[i] = D(a, "10.0.0.1", 8, 0);
		v[i].index = i;
	}
	sort_destinations(v, n, NULL, why);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(v[i].index, i);
	for (size_t i = 0; i + 1 < n; i++)
		assert_int_equal(why[i], SORT_RULE_KEPT);
	free(v);
	free(why);
}

/* Many items in a few classes: stable, and each adjacent pair ordered. */
static void test_stability_classes(void **state)
{
	(void)state;
	enum { n = 300 };
	static const char *const dst[] = { "10.1.1.5", "2001:db8::5",
					   "10.2.0.5", "fe80::5", "192.0.2.5" };
	struct sort_item *v = calloc(n, sizeof *v);
	sort_rule *why = calloc(n, sizeof *why);
	assert_non_null(v);
	assert_non_null(why);
	unsigned x = 12345;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		unsigned c = (x >> 16) % 5;
		switch (c) {
		case 0: v[i] = D(dst[0], "10.1.1.1", 24, 0); break;
		case 1: v[i] = D(dst[1], "2001:db8::1", 64, 0); break;
		case 2: v[i] = D(dst[2], "10.1.1.1", 24, 0); break;
		case 3: v[i] = D(dst[3], "fe80::1", 64, 0); break;
		default: v[i] = D(dst[4], NULL, 0, 0); break;
		}
		v[i].index = i;
	}
	sort_destinations(v, n, NULL, why);
	/* expected classes: fe80 (8), 2001:db8 (6), 10.1 (9), 10.2, none (1) */
	static const int rank[] = { 2, 1, 3, 0, 4 };
	int prev_rank = -1;
	for (size_t i = 0; i < n; i++) {
		int c = -1;
		for (int k = 0; k < 5; k++) {
			struct in6_addr d = A(dst[k]);
			if (memcmp(&d, &v[i].dst, sizeof d) == 0)
				c = k;
		}
		assert_true(c >= 0);
		assert_true(rank[c] >= prev_rank);
		if (i > 0 && rank[c] == prev_rank) {
			assert_true(v[i - 1].index < v[i].index);
			assert_int_equal(why[i - 1], SORT_RULE_KEPT);
		} else if (i > 0) {
			assert_int_not_equal(why[i - 1], SORT_RULE_KEPT);
		}
		prev_rank = rank[c];
	}
	free(v);
	free(why);
}

static void test_small_n_and_null_why(void **state)
{
	(void)state;
	sort_destinations(NULL, 0, NULL, NULL);
	struct sort_item one = D("192.0.2.1", NULL, 0, 0);
	sort_rule why[1] = { 77 };
	sort_destinations(&one, 1, NULL, why);
	assert_int_equal(why[0], 77); /* n-1 = 0 entries written */
	struct sort_item v[2] = { D("192.0.2.1", NULL, 0, 0),
				  D("192.0.2.2", "192.0.2.9", 24, 0) };
	sort_destinations(v, 2, NULL, NULL);
	check_order(v, 2, (const char *[]){ "192.0.2.2", "192.0.2.1" });
}

/* ---- rfcres-rule9 and seed 000 ---------------------------------------- */

static void test_rule9_modes(void **state)
{
	(void)state;
	struct policy_buf b;
	policy_rows(&b, rfc6724_table, N(rfc6724_table));
	struct sort_item v4a = D("10.1.1.9", "10.1.1.1", 24, 0);
	struct sort_item v4b = D("10.2.1.9", "10.1.1.1", 24, 0);
	struct sort_item v6a = D("2001:db8:1::9", "2001:db8:1::1", 64, 0);
	struct sort_item v6b = D("2001:db8:2::9", "2001:db8:1::1", 64, 0);

	b.p.rule9 = CONF_RULE9_ALL;
	pair(v4a, v4b, &b.p, 9);
	pair(v6a, v6b, &b.p, 9);
	b.p.rule9 = CONF_RULE9_IPV6;
	kept(v4b, v4a, &b.p); /* input order kept either way */
	kept(v4a, v4b, &b.p);
	pair(v6a, v6b, &b.p, 9);
	b.p.rule9 = CONF_RULE9_NONE;
	kept(v4b, v4a, &b.p);
	kept(v6b, v6a, &b.p);
	/* never across families, even with ALL */
	b.p.rule9 = CONF_RULE9_ALL;
	struct sort_item x = D("2001:db8::1", "2001:db8::9", 64, 0);
	struct sort_item y = D("::ffff:10.1.1.9", "10.1.1.1", 24, 0);
	pair(x, y, &b.p, 6);
}

static bool next_perm(size_t *p, size_t n)
{
	size_t i = n - 1;
	while (i > 0 && p[i - 1] >= p[i])
		i--;
	if (i == 0)
		return false;
	size_t j = n - 1;
	while (p[j] <= p[i - 1])
		j--;
	size_t t = p[i - 1];
	p[i - 1] = p[j];
	p[j] = t;
	for (size_t a = i, z = n - 1; a < z; a++, z--) {
		t = p[a];
		p[a] = p[z];
		p[z] = t;
	}
	return true;
}

/* Seed 000: source 172.21.2.90/24, four ELB nodes in two subnets. */
static void seed000_run(enum conf_rule9 mode, unsigned plen)
{
	static const char *const d[] = { "172.21.1.97", "172.21.1.152",
					  "172.21.2.108", "172.21.2.144" };
	struct policy_buf b;
	policy_rows(&b, rfc6724_table, N(rfc6724_table));
	b.p.rule9 = mode;
	size_t p[4] = { 0, 1, 2, 3 };
	unsigned perms = 0, first108 = 0;
	struct in6_addr a108 = A(d[2]);
	do {
		struct sort_item v[4];
		sort_rule why[3];
		for (size_t i = 0; i < 4; i++) {
			v[i] = D(d[p[i]], "172.21.2.90", plen, 0);
			v[i].index = i;
		}
		sort_destinations(v, 4, &b.p, why);
		perms++;
		if (memcmp(&v[0].dst, &a108, sizeof a108) == 0)
			first108++;
		if (plen != 24)
			continue;
		if (mode != CONF_RULE9_ALL) {
			for (size_t i = 0; i < 4; i++)
				assert_int_equal(v[i].index, i);
			for (size_t i = 0; i < 3; i++)
				assert_int_equal(why[i], SORT_RULE_KEPT);
			continue;
		}
		/* the two 172.21.2.x first, both groups in input order */
		for (size_t i = 0; i < 4; i++)
			assert_int_equal(v[i].dst.s6_addr[14], i < 2 ? 2 : 1);
		assert_true(v[0].index < v[1].index);
		assert_true(v[2].index < v[3].index);
		assert_int_equal(why[0], SORT_RULE_KEPT);
		assert_int_equal(why[1], 9);
		assert_int_equal(why[2], SORT_RULE_KEPT);
	} while (next_perm(p, 4));
	assert_int_equal(perms, 24);
	if (plen == 24 && mode == CONF_RULE9_ALL)
		assert_int_equal(first108, 12); /* round robin survives */
	if (plen == 32 && mode == CONF_RULE9_ALL)
		assert_int_equal(first108, 24); /* glibc's pinning */
}

static void test_seed000(void **state)
{
	(void)state;
	seed000_run(CONF_RULE9_ALL, 24);
	seed000_run(CONF_RULE9_IPV6, 24);
	seed000_run(CONF_RULE9_NONE, 24);
	/* what comparing all 32 bits does: 172.21.2.108 always first */
	seed000_run(CONF_RULE9_ALL, 32);
}

static void test_explain(void **state)
{
	(void)state;
	char buf[160];
	struct sort_item a = D("172.21.2.144", "172.21.2.90", 24, 0);
	struct sort_item b = D("172.21.1.97", "172.21.2.90", 24, 0);
	assert_string_equal(sort_explain(&a, &b, 9, NULL, buf, sizeof buf),
			    "longest matching prefix: 24 vs 22 bits, capped "
			    "at /24");
	struct policy_buf pb;
	policy_rows(&pb, rfc6724_table, N(rfc6724_table));
	pb.p.rule9 = CONF_RULE9_IPV6;
	assert_string_equal(sort_explain(&b, &a, 10, &pb.p, buf, sizeof buf),
			    "input order kept: rule 9 (22 vs 24 bits) disabled "
			    "by rfcres-rule9 ipv6");
	struct sort_item c = D("2001:db8::1", "2001:db8::9", 64, 0);
	struct sort_item d = D("192.0.2.1", "192.0.2.9", 24, 0);
	assert_string_equal(sort_explain(&c, &d, 6, NULL, buf, sizeof buf),
			    "prefer higher precedence: 40 vs 35");
	for (unsigned r = 1; r <= 10; r++) {
		sort_explain(&c, &d, (sort_rule)r, NULL, buf, sizeof buf);
		assert_true(strlen(buf) > 10);
	}
	struct in6_addr z = A("fe80::1");
	assert_string_equal(sort_addr_str(&z, 3, buf, sizeof buf), "fe80::1%3");
}

/* ---- trace ------------------------------------------------------------------ */

static char trace_log[4096];

static void trace_hook(const struct rfcres_trace_event *ev, void *arg)
{
	(void)arg;
	size_t l = strlen(trace_log);
	snprintf(trace_log + l, sizeof trace_log - l, "%s %s\n", ev->name,
		 ev->text);
}

static void test_trace(void **state)
{
	(void)state;
	struct sort_item v[3] = { D("172.21.1.97", "172.21.2.90", 24, 0),
				  D("172.21.2.108", "172.21.2.90", 24, 0),
				  D("192.0.2.1", NULL, 0, 0) };
	sort_rule why[2];
	sort_destinations(v, 3, NULL, why);
	trace_log[0] = '\0';
	rfcres_set_trace(trace_hook, NULL);
	sort_trace(v, 3, why);
	rfcres_set_trace(NULL, NULL);
	assert_string_equal(trace_log,
			    "sort.pair a=172.21.2.108 b=172.21.1.97 rule=9\n"
			    "sort.pair a=172.21.1.97 b=192.0.2.1 rule=1\n");
}

/* ---- source attributes -------------------------------------------------- */

static void test_source_attrs(void **state)
{
	(void)state;
	struct ifaddr_entry e = { .family = AF_INET6, .plen = 56,
				  .link_type = ARPHRD_ETHER,
				  .flags = IFADDR_F_DEPRECATED |
					   IFADDR_F_TEMPORARY | IFADDR_F_HOME };
	struct sort_item it;
	memset(&it, 0, sizeof it);
	sort_source_attrs(&e, false, &it);
	assert_int_equal(it.src_plen, 56);
	assert_int_equal(it.src_flags, SORT_SRC_DEPRECATED |
					       SORT_SRC_TEMPORARY |
					       SORT_SRC_HOME);
	e.flags = 0;
	e.link_type = ARPHRD_SIT;
	sort_source_attrs(&e, false, &it);
	assert_int_equal(it.src_flags, SORT_SRC_TUNNEL);
	e.link_type = ARPHRD_ETHER;
	e.flags = IFADDR_F_TUNNEL;
	sort_source_attrs(&e, false, &it);
	assert_int_equal(it.src_flags, SORT_SRC_TUNNEL);
	e.family = AF_INET;
	e.plen = 99; /* hostile: clamped */
	sort_source_attrs(&e, true, &it);
	assert_int_equal(it.src_plen, 32);
	sort_source_attrs(NULL, true, &it);
	assert_int_equal(it.src_plen, 0);
	assert_int_equal(it.src_flags, 0);
	sort_source_attrs(NULL, false, &it);
	assert_int_equal(it.src_plen, 64);
}

static void test_select_source_misc(void **state)
{
	(void)state;
	struct inv iv;
	inv_init(&iv);
	inv_add(&iv, "127.0.0.1", 8, 1, IFADDR_F_LOOPBACK_IF);
	inv_add(&iv, "::1", 128, 1, IFADDR_F_LOOPBACK_IF);
	inv_add(&iv, "192.0.2.2", 24, 2, 0);
	inv_add(&iv, "2001:db8::7", 64, 2, IFADDR_F_TENTATIVE);
	inv_add(&iv, "fe80::2", 64, 2, 0);
	inv_add(&iv, "fe80::3", 64, 3, 0);
	expect_source(&iv, "127.0.0.1", 0, NULL, "127.0.0.1");
	expect_source(&iv, "127.0.0.53", 0, NULL, "127.0.0.1");
	expect_source(&iv, "::1", 0, NULL, "::1");
	expect_source(&iv, "198.51.100.1", 0, NULL, "192.0.2.2");
	/* tentative excluded; only the link-local remains (rule 2 allows it) */
	expect_source(&iv, "2001:db8::1", 0, NULL, "fe80::2");
	/* zone selects the interface; no zone, no source */
	expect_source(&iv, "fe80::1", 3, NULL, "fe80::3");
	expect_source(&iv, "fe80::1", 2, NULL, "fe80::2");
	expect_source(&iv, "fe80::1", 0, NULL, NULL);
	expect_source(&iv, "fe80::1", 9, NULL, NULL);
	/* no inventory */
	struct sort_item it;
	struct in6_addr d = A("192.0.2.1");
	assert_false(sort_select_source(&d, 0, NULL, NULL, &it));
	/* attributes copied */
	inv_init(&iv);
	inv_add(&iv, "192.0.2.2", 24, 2, IFADDR_F_DEPRECATED);
	it.index = 42;
	assert_true(sort_select_source(&d, 0, &iv.inv, NULL, &it));
	assert_int_equal(it.src_plen, 24);
	assert_int_equal(it.src_flags, SORT_SRC_DEPRECATED);
	assert_int_equal(it.index, 42);
}

/* ---- probe through a fake kernel ------------------------------------------ */

static struct {
	bool netlink;         /* AF_NETLINK sockets work */
	bool drop_prefsrc_v6; /* RTM_NEWROUTE without RTA_PREFSRC for IPv6 */
	int sockets, connects, unspec, getsocknames, sendmsgs, recvmsgs,
		recvmmsgs, closes, open;
	bool no_recvmmsg;  /* recvmmsg says ENOSYS (seccomp, old kernel) */
	struct in6_addr last_dst[2];
	uint32_t last_scope;
	/* queued netlink replies */
	unsigned char q[64][256];
	size_t qlen[64];
	size_t qhead, qtail;
	int overrun_after; /* >0: replies beyond this many are lost */
	bool hostile;      /* corrupt every reply in one of four ways */
} fk;

#define FAKE_NL_FD 100
#define FAKE_V4_FD 104
#define FAKE_V6_FD 106

/* the fake routing table: 10/8 via 10.0.0.1, 2001:db8::/32 via
 * 2001:db8::1, fe80::/64 on interface 2 from fe80::2; others unreachable */
static bool fake_route(const struct in6_addr *d, uint32_t oif,
		       struct in6_addr *src)
{
	if (IN6_IS_ADDR_V4MAPPED(d)) {
		if (d->s6_addr[12] != 10)
			return false;
		*src = A("10.0.0.1");
		return true;
	}
	if (IN6_IS_ADDR_LINKLOCAL(d)) {
		if (oif != 2)
			return false;
		*src = A("fe80::2");
		return true;
	}
	if (d->s6_addr[0] == 0x20 && d->s6_addr[1] == 0x01 &&
	    d->s6_addr[2] == 0x0d && d->s6_addr[3] == 0xb8) {
		*src = A("2001:db8::1");
		return true;
	}
	return false;
}

static int fake_socket(int domain, int type, int proto)
{
	(void)type;
	(void)proto;
	fk.sockets++;
	if (domain == AF_NETLINK) {
		if (!fk.netlink) {
			errno = EAFNOSUPPORT;
			return -1;
		}
		fk.open++;
		return FAKE_NL_FD;
	}
	fk.open++;
	return domain == AF_INET ? FAKE_V4_FD : FAKE_V6_FD;
}

static int fake_close(int fd)
{
	(void)fd;
	fk.closes++;
	fk.open--;
	return 0;
}

static int fake_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	(void)len;
	int f = fd == FAKE_V4_FD ? 0 : 1;
	fk.connects++;
	if (sa->sa_family == AF_UNSPEC) {
		fk.unspec++;
		memset(&fk.last_dst[f], 0, sizeof fk.last_dst[f]);
		return 0;
	}
	struct in6_addr d, s;
	uint32_t scope = 0;
	if (sa->sa_family == AF_INET) {
		assert_int_equal(fd, FAKE_V4_FD);
		const struct sockaddr_in *sin = (const void *)sa;
		assert_int_not_equal(sin->sin_port, 0);
		memset(&d, 0, sizeof d);
		d.s6_addr[10] = d.s6_addr[11] = 0xff;
		memcpy(&d.s6_addr[12], &sin->sin_addr, 4);
	} else {
		assert_int_equal(fd, FAKE_V6_FD);
		const struct sockaddr_in6 *sin6 = (const void *)sa;
		assert_int_not_equal(sin6->sin6_port, 0);
		d = sin6->sin6_addr;
		scope = sin6->sin6_scope_id;
		if (IN6_IS_ADDR_LINKLOCAL(&d) && scope == 0) {
			errno = EINVAL;
			return -1;
		}
	}
	/* the real kernel keeps a previous source: the probe must have
	 * dissolved the association */
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&fk.last_dst[f]));
	if (!fake_route(&d, scope, &s)) {
		errno = ENETUNREACH;
		return -1;
	}
	fk.last_dst[f] = d;
	fk.last_scope = scope;
	return 0;
}

static int fake_getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	int f = fd == FAKE_V4_FD ? 0 : 1;
	struct in6_addr s;
	fk.getsocknames++;
	assert_true(fake_route(&fk.last_dst[f], fk.last_scope, &s));
	if (f == 0) {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		memcpy(&sin.sin_addr, &s.s6_addr[12], 4);
		memcpy(sa, &sin, sizeof sin);
		*len = sizeof sin;
	} else {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
					     .sin6_addr = s };
		memcpy(sa, &sin6, sizeof sin6);
		*len = sizeof sin6;
	}
	return 0;
}

static void fake_queue(const void *msg, size_t len)
{
	if (fk.overrun_after > 0 &&
	    (int)(fk.qtail - fk.qhead) >= fk.overrun_after)
		return;
	assert_true(fk.qtail - fk.qhead < 64 && len <= 256);
	memcpy(fk.q[fk.qtail % 64], msg, len);
	fk.qlen[fk.qtail % 64] = len;
	fk.qtail++;
}

static void fake_nl_answer(const struct nlmsghdr *req)
{
	const struct rtmsg *rt = NLMSG_DATA(req);
	int left = (int)(req->nlmsg_len - NLMSG_LENGTH(sizeof *rt));
	struct in6_addr d;
	uint32_t oif = 0;
	bool have_dst = false;
	memset(&d, 0, sizeof d);
	for (const struct rtattr *a = RTM_RTA(rt); RTA_OK(a, left);
	     a = RTA_NEXT(a, left)) {
		if (a->rta_type == RTA_DST && rt->rtm_family == AF_INET &&
		    RTA_PAYLOAD(a) == 4) {
			d.s6_addr[10] = d.s6_addr[11] = 0xff;
			memcpy(&d.s6_addr[12], RTA_DATA(a), 4);
			have_dst = true;
		} else if (a->rta_type == RTA_DST && RTA_PAYLOAD(a) == 16) {
			memcpy(d.s6_addr, RTA_DATA(a), 16);
			have_dst = true;
		} else if (a->rta_type == RTA_OIF) {
			memcpy(&oif, RTA_DATA(a), 4);
		}
	}
	assert_true(have_dst);
	unsigned char buf[256];
	memset(buf, 0, sizeof buf);
	struct nlmsghdr *nh = (void *)buf;
	nh->nlmsg_seq = req->nlmsg_seq;
	struct in6_addr s;
	if (!fake_route(&d, oif, &s)) {
		nh->nlmsg_type = NLMSG_ERROR;
		nh->nlmsg_len = NLMSG_LENGTH(sizeof(struct nlmsgerr));
		struct nlmsgerr *er = NLMSG_DATA(nh);
		er->error = -ENETUNREACH;
		er->msg = *req;
		fake_queue(buf, nh->nlmsg_len);
		return;
	}
	nh->nlmsg_type = RTM_NEWROUTE;
	struct rtmsg *ort = NLMSG_DATA(nh);
	*ort = *rt;
	size_t alen = rt->rtm_family == AF_INET ? 4 : 16;
	const void *draw = alen == 4 ? (const void *)&d.s6_addr[12]
				     : (const void *)d.s6_addr;
	const void *sraw = alen == 4 ? (const void *)&s.s6_addr[12]
				     : (const void *)s.s6_addr;
	size_t off = NLMSG_LENGTH(sizeof *ort);
	struct rtattr *a = (void *)(buf + NLMSG_ALIGN(off));
	a->rta_type = RTA_DST;
	a->rta_len = (unsigned short)RTA_LENGTH(alen);
	memcpy(RTA_DATA(a), draw, alen);
	off = NLMSG_ALIGN(off) + RTA_SPACE(alen);
	if (!(fk.drop_prefsrc_v6 && alen == 16)) {
		a = (void *)(buf + off);
		a->rta_type = RTA_PREFSRC;
		a->rta_len = (unsigned short)RTA_LENGTH(alen);
		memcpy(RTA_DATA(a), sraw, alen);
		off += RTA_SPACE(alen);
	}
	nh->nlmsg_len = (uint32_t)off;
	fake_queue(buf, off);
}

static ssize_t fake_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	(void)flags;
	assert_int_equal(fd, FAKE_NL_FD);
	fk.sendmsgs++;
	ssize_t total = 0;
	for (size_t i = 0; i < msg->msg_iovlen; i++) {
		const struct nlmsghdr *nh = msg->msg_iov[i].iov_base;
		assert_int_equal(nh->nlmsg_type, RTM_GETROUTE);
		assert_int_equal(nh->nlmsg_flags, NLM_F_REQUEST);
		assert_int_equal(nh->nlmsg_len, msg->msg_iov[i].iov_len);
		fake_nl_answer(nh);
		total += (ssize_t)msg->msg_iov[i].iov_len;
	}
	return total;
}

static ssize_t fake_recv_one(int fd, struct msghdr *msg)
{
	assert_int_equal(fd, FAKE_NL_FD);
	if (fk.qhead == fk.qtail) {
		errno = fk.overrun_after > 0 ? ENOBUFS : EAGAIN;
		return -1;
	}
	size_t len = fk.qlen[fk.qhead % 64];
	memcpy(msg->msg_iov[0].iov_base, fk.q[fk.qhead % 64], len);
	struct sockaddr_nl from = { .nl_family = AF_NETLINK };
	if (fk.hostile) {
		struct nlmsghdr *nh = msg->msg_iov[0].iov_base;
		unsigned char *raw = msg->msg_iov[0].iov_base;
		switch (fk.qhead % 4) {
		case 0: nh->nlmsg_len = 0xffff; break;	/* past the datagram */
		case 1: nh->nlmsg_len = 8; break;	/* shorter than header */
		case 2: /* another destination in RTA_DST (or error code) */
			raw[len - 1] ^= 0x55;
			raw[NLMSG_LENGTH(sizeof(struct rtmsg)) + 4] ^= 0x01;
			break;
		default: from.nl_pid = 4242; break;	/* not the kernel */
		}
	}
	fk.qhead++;
	memcpy(msg->msg_name, &from, sizeof from);
	msg->msg_namelen = sizeof from;
	msg->msg_flags = 0;
	return (ssize_t)len;
}

static ssize_t fake_recvmsg(int fd, struct msghdr *msg, int flags)
{
	assert_true(flags & MSG_DONTWAIT);
	fk.recvmsgs++;
	return fake_recv_one(fd, msg);
}

static int fake_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int flags,
			 struct timespec *t)
{
	assert_true(flags & MSG_DONTWAIT);
	assert_null(t);
	assert_true(n >= 1);
	if (fk.no_recvmmsg) {
		errno = ENOSYS;
		return -1;
	}
	fk.recvmmsgs++;
	unsigned k = 0;
	for (; k < n; k++) {
		ssize_t r = fake_recv_one(fd, &v[k].msg_hdr);
		if (r < 0) {
			if (k == 0)
				return -1;
			break;
		}
		v[k].msg_len = (unsigned)r;
	}
	return (int)k;
}

static int fake_poll(struct pollfd *fds, nfds_t n, int ms)
{
	(void)fds;
	(void)n;
	(void)ms;
	return 0;
}

static int fake_setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof fk);
	rfcres_sys.socket = fake_socket;
	rfcres_sys.close = fake_close;
	rfcres_sys.connect = fake_connect;
	rfcres_sys.getsockname = fake_getsockname;
	rfcres_sys.sendmsg = fake_sendmsg;
	rfcres_sys.recvmsg = fake_recvmsg;
	rfcres_sys.recvmmsg = fake_recvmmsg;
	rfcres_sys.poll = fake_poll;
	return 0;
}

static int fake_teardown(void **state)
{
	(void)state;
	sys_reset();
	return 0;
}

static void probe_inventory(struct inv *iv)
{
	inv_init(iv);
	inv_add(iv, "10.0.0.1", 8, 2, 0);
	inv_add(iv, "2001:db8::1", 48, 2, IFADDR_F_TEMPORARY);
	inv_add(iv, "fe80::2", 64, 2, 0);
}

static void check_probe_result(const struct sort_item *v)
{
	/* v: 10.1.1.1, 192.0.2.1, 2001:db8::5, 10.1.1.1, fe80::9%2,
	 *    fe80::9 (no zone), 2001:db8::5 */
	struct in6_addr s4 = A("10.0.0.1"), s6 = A("2001:db8::1"),
			sl = A("fe80::2");
	assert_true(v[0].has_src);
	assert_memory_equal(&v[0].src, &s4, 16);
	assert_int_equal(v[0].src_plen, 8);
	assert_false(v[1].has_src);
	assert_true(v[2].has_src);
	assert_memory_equal(&v[2].src, &s6, 16);
	assert_int_equal(v[2].src_plen, 48);
	assert_int_equal(v[2].src_flags, SORT_SRC_TEMPORARY);
	assert_true(v[3].has_src);
	assert_memory_equal(&v[3].src, &s4, 16);
	assert_true(v[4].has_src);
	assert_memory_equal(&v[4].src, &sl, 16);
	assert_false(v[5].has_src);
	assert_true(v[6].has_src);
	assert_int_equal(v[6].index, 6);
}

static void probe_items(struct sort_item *v)
{
	static const char *const d[] = { "10.1.1.1",  "192.0.2.1",
					 "2001:db8::5", "10.1.1.1",
					 "fe80::9",   "fe80::9",
					 "2001:db8::5" };
	for (size_t i = 0; i < 7; i++) {
		v[i] = D(d[i], NULL, 0, 0);
		/* stale garbage the probe must overwrite */
		v[i].has_src = true;
		v[i].src_plen = 99;
		v[i].index = i;
	}
	v[4].dst_scope_id = 2;
}

static void test_probe_udp_fallback(void **state)
{
	(void)state;
	struct inv iv;
	struct sort_item v[7];
	probe_inventory(&iv);
	probe_items(v);
	fk.netlink = false;
	assert_int_equal(sort_probe_sources(v, 7, &iv.inv), 0);
	check_probe_result(v);
	/* 5 distinct destinations; fe80::9 without zone never connects */
	assert_int_equal(fk.connects - fk.unspec, 4);
	assert_int_equal(fk.getsocknames, 3);
	assert_int_equal(fk.open, 0); /* everything closed */
	assert_int_equal(fk.sockets, 3); /* netlink try + one per family */
}

static void test_probe_netlink(void **state)
{
	(void)state;
	struct inv iv;
	struct sort_item v[7];
	probe_inventory(&iv);
	probe_items(v);
	fk.netlink = true;
	assert_int_equal(sort_probe_sources(v, 7, &iv.inv), 0);
	check_probe_result(v);
	assert_int_equal(fk.sendmsgs, 1);
	/* 4 requests (zone-less skipped), all answers in one recvmmsg */
	assert_int_equal(fk.recvmmsgs, 1);
	assert_int_equal(fk.recvmsgs, 0);
	assert_int_equal(fk.connects, 0);
	assert_int_equal(fk.open, 0);
}

/* No recvmmsg (seccomp, kernel < 2.6.33): one recvmsg per answer. */
static void test_probe_netlink_no_recvmmsg(void **state)
{
	(void)state;
	struct inv iv;
	struct sort_item v[7];
	probe_inventory(&iv);
	probe_items(v);
	fk.netlink = true;
	fk.no_recvmmsg = true;
	assert_int_equal(sort_probe_sources(v, 7, &iv.inv), 0);
	check_probe_result(v);
	assert_int_equal(fk.sendmsgs, 1);
	assert_int_equal(fk.recvmmsgs, 0);
	/* 4 answers, and the read that finds the socket empty */
	assert_int_equal(fk.recvmsgs, 5);
	assert_int_equal(fk.connects, 0);
	assert_int_equal(fk.open, 0);
}

/* Loopback destinations take their source from the inventory (no kernel
 * query); one distinct destination needs no source at all. */
static void test_probe_loopback_shortcut(void **state)
{
	(void)state;
	struct inv iv;
	inv_init(&iv);
	inv_add(&iv, "127.0.0.1", 8, 1, IFADDR_F_LOOPBACK_IF);
	inv_add(&iv, "::1", 128, 1, IFADDR_F_LOOPBACK_IF);
	inv_add(&iv, "10.0.0.1", 8, 2, 0);
	fk.netlink = true;
	struct sort_item v[4] = { D("::1", NULL, 0, 0),
				  D("127.0.0.1", NULL, 0, 0),
				  D("127.0.0.53", NULL, 0, 0),
				  D("::1", NULL, 0, 0) };
	assert_int_equal(sort_probe_sources(v, 4, &iv.inv), 0);
	assert_int_equal(fk.sockets, 0);
	assert_int_equal(fk.sendmsgs + fk.recvmsgs + fk.recvmmsgs, 0);
	struct in6_addr lo4 = A("127.0.0.1"), lo6 = A("::1");
	assert_true(v[0].has_src && v[3].has_src);
	assert_memory_equal(&v[0].src, &lo6, 16);
	assert_int_equal(v[0].src_plen, 128);
	for (int i = 1; i <= 2; i++) {
		assert_true(v[i].has_src);
		assert_memory_equal(&v[i].src, &lo4, 16);
		assert_int_equal(v[i].src_plen, 8);
	}
	/* same order as with the kernel's sources: ::1 first (rule 6) */
	sort_destinations(v, 4, NULL, NULL);
	assert_memory_equal(&v[0].dst, &lo6, 16);

	/* no ::1 (IPv6 disabled, or lo down): unreachable, as connect()
	 * would say -- rule 1 then puts the IPv4 loopback first */
	struct inv iv4;
	inv_init(&iv4);
	inv_add(&iv4, "127.0.0.1", 8, 1, IFADDR_F_LOOPBACK_IF);
	struct sort_item w[2] = { D("::1", NULL, 0, 0),
				  D("127.0.0.1", NULL, 0, 0) };
	assert_int_equal(sort_probe_sources(w, 2, &iv4.inv), 0);
	assert_false(w[0].has_src);
	assert_true(w[1].has_src);
	sort_destinations(w, 2, NULL, NULL);
	assert_memory_equal(&w[0].dst, &lo4, 16);
	assert_int_equal(fk.sockets, 0);

	/* loopback mixed with others: only the others are asked */
	struct sort_item x[3] = { D("127.0.0.1", NULL, 0, 0),
				  D("10.1.1.1", NULL, 0, 0),
				  D("2001:db8::5", NULL, 0, 0) };
	assert_int_equal(sort_probe_sources(x, 3, &iv.inv), 0);
	assert_int_equal(fk.sendmsgs, 1);
	assert_true(x[0].has_src && x[1].has_src && x[2].has_src);
	assert_int_equal(fk.open, 0);

	/* without an inventory the kernel is asked as for any address */
	int before = fk.sendmsgs;
	struct sort_item y[2] = { D("127.0.0.1", NULL, 0, 0),
				  D("10.1.1.1", NULL, 0, 0) };
	assert_int_equal(sort_probe_sources(y, 2, NULL), 0);
	assert_int_equal(fk.sendmsgs, before + 1);

	/* one distinct destination (copies of it): the order cannot change,
	 * nothing is asked */
	int sockets = fk.sockets;
	struct sort_item z[3] = { D("10.1.1.1", NULL, 0, 0),
				  D("10.1.1.1", NULL, 0, 0),
				  D("10.1.1.1", NULL, 0, 0) };
	assert_int_equal(sort_probe_sources(z, 3, &iv.inv), 0);
	assert_int_equal(fk.sockets, sockets);
	assert_false(z[0].has_src || z[1].has_src || z[2].has_src);
	assert_int_equal(fk.open, 0);
}

static void test_probe_netlink_partial(void **state)
{
	(void)state;
	struct inv iv;
	struct sort_item v[7];
	probe_inventory(&iv);
	probe_items(v);
	fk.netlink = true;
	fk.drop_prefsrc_v6 = true; /* IPv6 answers lack RTA_PREFSRC */
	assert_int_equal(sort_probe_sources(v, 7, &iv.inv), 0);
	check_probe_result(v);
	/* 2001:db8::5 and fe80::9%2 went to the UDP probe */
	assert_int_equal(fk.getsocknames, 2);
	assert_int_equal(fk.open, 0);
}

static void test_probe_netlink_overrun(void **state)
{
	(void)state;
	struct inv iv;
	struct sort_item v[7];
	probe_inventory(&iv);
	probe_items(v);
	fk.netlink = true;
	fk.overrun_after = 1; /* the socket buffer holds one reply */
	assert_int_equal(sort_probe_sources(v, 7, &iv.inv), 0);
	check_probe_result(v);
	assert_int_equal(fk.open, 0);
}

/* Malformed or foreign netlink replies are ignored; the UDP probe answers. */
static void test_probe_netlink_hostile(void **state)
{
	(void)state;
	struct inv iv;
	struct sort_item v[7];
	probe_inventory(&iv);
	probe_items(v);
	fk.netlink = true;
	fk.hostile = true;
	assert_int_equal(sort_probe_sources(v, 7, &iv.inv), 0);
	check_probe_result(v);
	assert_true(fk.getsocknames >= 2);
	assert_int_equal(fk.open, 0);
}

static void test_probe_many(void **state)
{
	(void)state;
	enum { n = 256 };
	struct sort_item *v = calloc(n, sizeof *v);
	assert_non_null(v);
	for (size_t i = 0; i < n; i++) {
		char a[32];
		snprintf(a, sizeof a, "10.7.%zu.%zu", i / 100, i % 100 + 1);
		v[i] = D(a, NULL, 0, 0);
	}
	fk.netlink = true;
	fk.overrun_after = 40;
	assert_int_equal(sort_probe_sources(v, n, NULL), 0);
	for (size_t i = 0; i < n; i++) {
		assert_true(v[i].has_src);
		assert_int_equal(v[i].src_plen, 0); /* not in an inventory */
	}
	assert_int_equal(fk.sendmsgs, 8); /* 256 / 32 */
	/* a batch's answers in one recvmmsg (heap slots for this many) */
	assert_int_equal(fk.recvmmsgs, 8);
	assert_int_equal(fk.connects, 0);
	free(v);
}

static int failing_socket(int d, int t, int p)
{
	(void)d;
	(void)t;
	(void)p;
	errno = EMFILE;
	return -1;
}

static void test_probe_no_sockets(void **state)
{
	(void)state;
	struct sort_item v[2] = { D("10.1.1.1", "10.0.0.1", 8, 0),
				  D("10.1.1.2", "10.0.0.1", 8, 0) };
	rfcres_sys.socket = failing_socket;
	assert_int_equal(sort_probe_sources(v, 2, NULL), -EMFILE);
	assert_false(v[0].has_src);
	assert_false(v[1].has_src);
	assert_int_equal(sort_probe_sources(v, 0, NULL), 0);
}

/* ---- probe against the real kernel, loopback only ------------------------ */

static void test_probe_loopback_real(void **state)
{
	(void)state;
	sys_reset();
	struct inv iv;
	inv_init(&iv);
	inv_add(&iv, "127.0.0.1", 8, 1, IFADDR_F_LOOPBACK_IF);
	inv_add(&iv, "::1", 128, 1, IFADDR_F_LOOPBACK_IF);
	struct sort_item v[4] = { D("127.0.0.1", NULL, 0, 0),
				  D("127.0.0.2", NULL, 0, 0),
				  D("::1", NULL, 0, 0),
				  D("127.0.0.1", NULL, 0, 0) };
	assert_int_equal(sort_probe_sources(v, 4, &iv.inv), 0);
	struct in6_addr lo4 = A("127.0.0.1"), lo6 = A("::1");
	for (int i = 0; i < 4; i++) {
		if (i == 2)
			continue;
		assert_true(v[i].has_src);
		assert_memory_equal(&v[i].src, &lo4, 16);
		assert_int_equal(v[i].src_plen, 8);
	}
	if (v[2].has_src) /* ::1 exists unless IPv6 is disabled */
		assert_memory_equal(&v[2].src, &lo6, 16);
	else
		print_message("IPv6 loopback unavailable: ::1 part skipped\n");
	/* the same through the kernel (no inventory: no loopback shortcut),
	 * batched netlink on a socket of our own */
	struct sort_item k[3] = { D("127.0.0.1", NULL, 0, 0),
				  D("127.0.0.2", NULL, 0, 0),
				  D("::1", NULL, 0, 0) };
	assert_int_equal(sort_probe_sources(k, 3, NULL), 0);
	for (int i = 0; i < 2; i++) {
		assert_true(k[i].has_src);
		assert_memory_equal(&k[i].src, &lo4, 16);
		assert_int_equal(k[i].src_plen, 0); /* no inventory */
	}
	if (k[2].has_src)
		assert_memory_equal(&k[2].src, &lo6, 16);
	/* single destination: nothing to probe */
	struct sort_item one = D("127.0.0.9", NULL, 0, 0);
	assert_int_equal(sort_probe_sources(&one, 1, &iv.inv), 0);
	assert_false(one.has_src);
}

/* The live probe: the route queries ride on the inventory's monitor and
 * stand in for its change check -- validation (readlink, getsockname),
 * one sendmsg, one recvmmsg; no socket, no separate read of the monitor.
 * Once the answers are cached (routes unchanged), only the monitor's
 * read: no sendmsg, no recvmmsg, the same sources. */
static int n_nl_socket, n_sendmsg, n_recvmsg, n_recvmmsg;
static int count_socket(int d, int t, int p)
{
	n_nl_socket += d == AF_NETLINK;
	return socket(d, t, p);
}
static ssize_t count_sendmsg(int fd, const struct msghdr *m, int f)
{
	n_sendmsg++;
	return sendmsg(fd, m, f);
}
static ssize_t count_recvmsg(int fd, struct msghdr *m, int f)
{
	n_recvmsg++;
	return recvmsg(fd, m, f);
}
static int count_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int f,
			  struct timespec *t)
{
	n_recvmmsg++;
	return recvmmsg(fd, v, n, f, t);
}

static void test_probe_live_real(void **state)
{
	(void)state;
	sys_reset();
	int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl < 0)
		skip();
	close(nl);
	struct sort_item v[3], first[3];
	struct ifaddr_inv *inv = NULL;
	sort_cache_clear();
	for (int round = 0; round < 3; round++) {
		v[0] = D("192.0.2.1", NULL, 0, 0);
		v[1] = D("2001:db8::1", NULL, 0, 0);
		v[2] = D("127.0.0.1", NULL, 0, 0); /* from the inventory */
		if (round == 2)
			sort_cache_clear();
		if (round >= 1) {
			rfcres_sys.socket = count_socket;
			rfcres_sys.sendmsg = count_sendmsg;
			rfcres_sys.recvmsg = count_recvmsg;
			rfcres_sys.recvmmsg = count_recvmmsg;
			n_nl_socket = n_sendmsg = n_recvmsg = n_recvmmsg = 0;
		}
		uint64_t r0 = ifaddr_rebuilds();
		assert_int_equal(sort_probe_live(v, 3, &inv), 0);
		assert_non_null(inv);
		assert_true(v[2].has_src);
		ifaddr_release(inv);
		if (round == 0)
			memcpy(first, v, sizeof v);
		if (round >= 1 && ifaddr_rebuilds() == r0) {
			bool cached = round == 1;
			assert_int_equal(n_nl_socket, 0);
			assert_int_equal(n_sendmsg, cached ? 0 : 1);
			assert_int_equal(n_recvmmsg, cached ? 0 : 1);
			assert_int_equal(n_recvmsg, cached ? 1 : 0);
			for (int i = 0; i < 3; i++) {
				assert_int_equal(v[i].has_src,
						 first[i].has_src);
				assert_memory_equal(&v[i].src, &first[i].src,
						    16);
			}
		} else if (round >= 1) {
			print_message("addresses changed meanwhile: counts "
				      "not checked\n");
		}
	}
	sys_reset();
	/* one distinct destination: no inventory needed */
	struct sort_item w[2] = { D("192.0.2.1", NULL, 0, 0),
				  D("192.0.2.1", NULL, 0, 0) };
	assert_int_equal(sort_probe_live(w, 2, &inv), 0);
	assert_null(inv);
}

/* ---- the source cache against real route changes (root, netns) ------- */

#define NS_CHECK(step, cond)                                                \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "netns step %d failed: %s\n", step, \
				#cond);                                     \
			_exit(100 + (step));                                \
		}                                                           \
	} while (0)

static int sh(const char *cmd)
{
	char full[512];
	snprintf(full, sizeof full, "%s >/dev/null 2>&1", cmd);
	return system(full);
}

/* The source the live probe gives 203.0.113.5 (paired with a second
 * destination, so that sources are asked at all). */
static bool src_of_test_dst(struct in6_addr *src)
{
	struct sort_item v[2] = { D("203.0.113.5", NULL, 0, 0),
				  D("10.9.0.9", NULL, 0, 0) };
	struct ifaddr_inv *inv = NULL;
	if (sort_probe_live(v, 2, &inv) != 0)
		return false;
	ifaddr_release(inv);
	*src = v[0].src;
	return v[0].has_src;
}

static bool is_src(const struct in6_addr *a, const char *text)
{
	struct in6_addr b = A(text);
	return memcmp(a, &b, 16) == 0;
}

static atomic_int flap_stop;
static atomic_long flap_bad, flap_lookups;

static void *flap_reader(void *arg)
{
	(void)arg;
	/* bounded: at most 20,000 lookups */
	for (int i = 0; i < 20000 && !atomic_load(&flap_stop); i++) {
		struct in6_addr src;
		if (!src_of_test_dst(&src) ||
		    !(is_src(&src, "10.1.0.1") || is_src(&src, "10.2.0.1")))
			atomic_fetch_add(&flap_bad, 1);
		atomic_fetch_add(&flap_lookups, 1);
	}
	return NULL;
}

static int route_child(void)
{
	if (unshare(CLONE_NEWNET) != 0)
		return 77;
	if (sh("ip link set lo up") != 0 ||
	    sh("ip link add d0 type veth peer name d1") != 0)
		return 77; /* no ip(8) or no veth links here */
	NS_CHECK(1, sh("ip link set d1 up") == 0 && sh("ip link set d0 up") == 0);
	NS_CHECK(2, sh("ip addr add 10.1.0.1/24 dev d0") == 0);
	NS_CHECK(3, sh("ip addr add 10.2.0.1/24 dev d0") == 0);
	NS_CHECK(4, sh("ip addr add 10.9.0.1/24 dev d0") == 0);
	NS_CHECK(5, sh("ip route add 203.0.113.0/24 dev d0 src 10.1.0.1") ==
			    0);
	sort_cache_clear();
	struct in6_addr src;
	NS_CHECK(6, src_of_test_dst(&src) && is_src(&src, "10.1.0.1"));

	/* unchanged: answered from the cache, no route query */
	rfcres_sys.sendmsg = count_sendmsg;
	n_sendmsg = 0;
	NS_CHECK(7, src_of_test_dst(&src) && is_src(&src, "10.1.0.1"));
	NS_CHECK(8, n_sendmsg == 0);

	/* a route change between two lookups: the second sees the new
	 * source (the monitor's route notification moved the generation) */
	NS_CHECK(9, sh("ip route replace 203.0.113.0/24 dev d0 src 10.2.0.1") ==
			    0);
	n_sendmsg = 0;
	NS_CHECK(10, src_of_test_dst(&src) && is_src(&src, "10.2.0.1"));
	NS_CHECK(11, n_sendmsg == 1); /* asked the kernel again */
	NS_CHECK(12, src_of_test_dst(&src) && is_src(&src, "10.2.0.1"));
	sys_reset();

	/* a policy rule sends it through another table */
	NS_CHECK(13, sh("ip route add 203.0.113.0/24 dev d0 src 10.1.0.1 "
			"table 100") == 0);
	NS_CHECK(14, sh("ip rule add to 203.0.113.5 table 100") == 0);
	NS_CHECK(15, src_of_test_dst(&src) && is_src(&src, "10.1.0.1"));
	NS_CHECK(16, sh("ip rule del to 203.0.113.5 table 100") == 0);
	NS_CHECK(17, src_of_test_dst(&src) && is_src(&src, "10.2.0.1"));

	/* route flaps while 4 threads look up: every answer is one of the
	 * two real sources, and once the flapping stops the last one */
	pthread_t th[4];
	atomic_store(&flap_stop, 0);
	for (int i = 0; i < 4; i++)
		NS_CHECK(18, pthread_create(&th[i], NULL, flap_reader, NULL) ==
				     0);
	for (int i = 0; i < 60; i++)
		sh(i % 2 ? "ip route replace 203.0.113.0/24 dev d0 src 10.2.0.1"
			 : "ip route replace 203.0.113.0/24 dev d0 src 10.1.0.1");
	NS_CHECK(19, sh("ip route replace 203.0.113.0/24 dev d0 src 10.1.0.1") ==
			     0);
	atomic_store(&flap_stop, 1);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	fprintf(stderr, "route flaps: %ld lookups, %ld bad\n",
		atomic_load(&flap_lookups), atomic_load(&flap_bad));
	NS_CHECK(20, atomic_load(&flap_bad) == 0);
	NS_CHECK(21, src_of_test_dst(&src) && is_src(&src, "10.1.0.1"));
	ifaddr_reset();
	sort_cache_clear();
	return 0;
}

static void test_route_change_netns(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("not root: route change test skipped\n");
		skip();
	}
	sys_reset();
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(route_child());
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		print_message("no network namespace or ip(8): skipped\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_live_real),
		cmocka_unit_test(test_route_change_netns),
		cmocka_unit_test(test_default_table),
		cmocka_unit_test(test_scope),
		cmocka_unit_test(test_common_prefix),
		cmocka_unit_test(test_rfc_10_1_source),
		cmocka_unit_test(test_rfc_10_2_destination),
		cmocka_unit_test(test_rfc_10_3_prefer_ipv4),
		cmocka_unit_test(test_rfc_10_4_link_local),
		cmocka_unit_test(test_rfc_10_5_multihomed),
		cmocka_unit_test(test_rfc_10_6_ula),
		cmocka_unit_test(test_rfc_10_7_6to4),
		cmocka_unit_test(test_rules_isolated),
		cmocka_unit_test(test_rules_precedence_order),
		cmocka_unit_test(test_ipv4_only),
		cmocka_unit_test(test_ipv6_only),
		cmocka_unit_test(test_custom_policy),
		cmocka_unit_test(test_stability_256_equal),
		cmocka_unit_test(test_stability_classes),
		cmocka_unit_test(test_small_n_and_null_why),
		cmocka_unit_test(test_rule9_modes),
		cmocka_unit_test(test_seed000),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_source_attrs),
		cmocka_unit_test(test_select_source_misc),
		cmocka_unit_test_setup_teardown(test_probe_udp_fallback,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_probe_netlink_no_recvmmsg,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_probe_loopback_shortcut,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_probe_netlink, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_probe_netlink_partial,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_probe_netlink_overrun,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_probe_netlink_hostile,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_probe_many, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_probe_no_sockets,
						fake_setup, fake_teardown),
		cmocka_unit_test(test_probe_loopback_real),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
