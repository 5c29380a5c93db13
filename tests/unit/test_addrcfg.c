/*
 * AI_ADDRCONFIG per destination (issue 6, seed 003): host configurations x
 * destinations -> keep/drop, plus whether A/AAAA queries are sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "net/ifaddr.h"
#include "select/addrcfg.h"

#define LO 1
#define ETH 2
#define HOST 254
#define LINK 253
#define GLOBAL 0

struct cfg_addr {
	const char *text;
	unsigned plen;
	unsigned char scope;
	unsigned ifindex;
	unsigned flags;
};

#define LO4 { "127.0.0.1", 8, HOST, LO, IFADDR_F_LOOPBACK_IF }
#define LO6 { "::1", 128, HOST, LO, IFADDR_F_LOOPBACK_IF }
#define LO4_DOWN { "127.0.0.1", 8, HOST, LO, IFADDR_F_LOOPBACK_IF | IFADDR_F_IF_DOWN }
#define LO6_DOWN { "::1", 128, HOST, LO, IFADDR_F_LOOPBACK_IF | IFADDR_F_IF_DOWN }
#define G4 { "192.0.2.2", 24, GLOBAL, ETH, 0 }
/* seed 003's ens3 */
#define G6 { "2001:db8::216:3eff:fe62:e89f", 64, GLOBAL, ETH, 0 }
#define LL6 { "fe80::216:3eff:fe62:e89f", 64, LINK, ETH, 0 }
#define END { NULL, 0, 0, 0, 0 }

/* Destinations, in the column order of the expectation strings. */
static const struct {
	const char *name;
	const char *text;
} dests[] = {
	{ "v4 loopback (localhost A)", "127.0.0.1" },
	{ "v6 loopback (localhost AAAA)", "::1" },
	{ "other 127/8", "127.0.0.53" },
	{ "global IPv4", "198.51.100.7" },
	{ "global IPv6", "2001:db8:ffff::1" },
	{ "ULA", "fd12:3456:789a::1" },
	{ "link-local IPv6", "fe80::99" },
	{ "IPv4-mapped global", "::ffff:198.51.100.7" },
	{ "IPv4-mapped loopback", "::ffff:127.0.0.1" },
	{ "IPv4 link-local", "169.254.20.10" },
};
#define NDEST (sizeof(dests) / sizeof(dests[0]))

struct host_case {
	const char *name;
	struct cfg_addr addrs[8];
	/* one K (keep) or D (drop) per destination above */
	const char *expect;
	bool want4, want6;
};

static const struct host_case cases[] = {
	{ "IPv4 only (IPv6 disabled)", { LO4, G4, END },
	  "KDKKDDDKKK", true, false },
	{ "IPv6 only (seed 003)", { LO4, LO6, G6, LL6, END },
	  "KKKDKKKDKD", false, true },
	{ "dual stack", { LO4, LO6, G4, G6, LL6, END },
	  "KKKKKKKKKK", true, true },
	{ "loopback only", { LO4, LO6, END },
	  "KKKDDDDDKD", false, false },
	{ "IPv4 + IPv6 link-local only", { LO4, LO6, G4, LL6, END },
	  "KKKKDDKKKK", true, false },
	{ "IPv6 global only tentative/dadfailed",
	  { LO4, LO6, LL6,
	    { "2001:db8::1", 64, GLOBAL, ETH, IFADDR_F_TENTATIVE },
	    { "2001:db8::2", 64, GLOBAL, ETH, IFADDR_F_DADFAILED }, END },
	  "KKKDDDKDKD", false, false },
	{ "IPv6 global only deprecated",
	  { LO4, LO6, LL6,
	    { "2001:db8::3", 64, GLOBAL, ETH, IFADDR_F_DEPRECATED }, END },
	  "KKKDKKKDKD", false, true },
	{ "IPv6 link-local tentative only",
	  { LO4, LO6, { "fe80::5", 64, LINK, ETH, IFADDR_F_TENTATIVE }, END },
	  "KKKDDDDDKD", false, false },
	{ "no loopback addresses", { G4, G6, LL6, END },
	  "DDDKKKKKDK", true, true },
	{ "loopback interface down", { LO4_DOWN, LO6_DOWN, G4, G6, LL6, END },
	  "DDDKKKKKDK", true, true },
	{ "IPv6 + 169.254 on a dummy (NodeLocal DNS)",
	  { LO4, LO6, G6, LL6, { "169.254.20.10", 32, GLOBAL, 3, 0 }, END },
	  "KKKDKKKDKK", false, true },
	{ "ULA only", { LO4, LO6, { "fd00::2", 64, GLOBAL, ETH, 0 }, LL6, END },
	  "KKKDKKKDKD", false, true },
	{ "IPv4 VIP with scope host on lo, IPv6 global",
	  { LO4, LO6, { "10.0.0.1", 32, HOST, LO, IFADDR_F_LOOPBACK_IF }, G6,
	    LL6, END },
	  "KKKDKKKDKD", false, true },
	{ "IPv4 on a down interface, IPv6 global",
	  { LO4, LO6, { "192.0.2.2", 24, GLOBAL, ETH, IFADDR_F_IF_DOWN }, G6,
	    LL6, END },
	  "KKKDKKKDKD", false, true },
};

static int parse_addr(const char *text, unsigned char out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, text, out) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, text, out) == 1)
		return AF_INET6;
	fail_msg("bad address in test table: %s", text);
	return 0;
}

static struct ifaddr_inv *inv_of(const struct cfg_addr *addrs)
{
	struct ifaddr_entry v[8];
	size_t n = 0;
	for (; addrs[n].text; n++) {
		struct ifaddr_entry *e = &v[n];
		memset(e, 0, sizeof(*e));
		e->family = parse_addr(addrs[n].text, e->addr);
		e->plen = addrs[n].plen;
		e->scope = addrs[n].scope;
		e->ifindex = addrs[n].ifindex;
		e->flags = addrs[n].flags;
		e->link_type = addrs[n].ifindex == LO ? 772 : 1;
	}
	struct ifaddr_inv *inv = ifaddr_from_entries(v, n);
	assert_non_null(inv);
	return inv;
}

static void t_table(void **st)
{
	(void)st;
	int failures = 0;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct host_case *hc = &cases[c];
		assert_int_equal(strlen(hc->expect), NDEST);
		struct ifaddr_inv *inv = inv_of(hc->addrs);
		struct addrcfg_caps caps;
		addrcfg_caps_of(inv, &caps);
		for (size_t d = 0; d < NDEST; d++) {
			unsigned char a[16];
			int fam = parse_addr(dests[d].text, a);
			const char *rule = NULL;
			bool keep = addrcfg_keep_why(&caps, fam, a, &rule);
			assert_int_equal(keep, addrcfg_keep(&caps, fam, a));
			assert_non_null(rule);
			bool want = hc->expect[d] == 'K';
			if (keep != want) {
				print_error("%s: %s %s: got %s (rule %s), want %s\n",
					    hc->name, dests[d].name, dests[d].text,
					    keep ? "keep" : "drop", rule,
					    want ? "keep" : "drop");
				failures++;
			}
		}
		if (addrcfg_want_family(&caps, AF_INET) != hc->want4 ||
		    addrcfg_want_family(&caps, AF_INET6) != hc->want6) {
			print_error("%s: want A=%d AAAA=%d, expected A=%d AAAA=%d\n",
				    hc->name, addrcfg_want_family(&caps, AF_INET),
				    addrcfg_want_family(&caps, AF_INET6),
				    hc->want4, hc->want6);
			failures++;
		}
		ifaddr_release(inv);
	}
	assert_int_equal(failures, 0);
}

/* Seed 003 exactly: the memcached client's 127.0.0.1 and localhost must
 * survive on the IPv6-only host, and no A query is sent for other names. */
static void t_seed003(void **st)
{
	(void)st;
	struct ifaddr_inv *inv = inv_of(cases[1].addrs);
	struct addrcfg_caps caps;
	addrcfg_caps_of(inv, &caps);
	assert_true(caps.v4_loopback);
	assert_true(caps.v6_loopback);
	assert_false(caps.v4_usable);
	assert_true(caps.v6_global);
	assert_true(caps.v6_linklocal);
	unsigned char a[16];
	parse_addr("127.0.0.1", a);
	assert_true(addrcfg_keep(&caps, AF_INET, a));
	assert_false(addrcfg_want_family(&caps, AF_INET));
	assert_true(addrcfg_want_family(&caps, AF_INET6));
	ifaddr_release(inv);
}

static void t_rules_named(void **st)
{
	(void)st;
	struct ifaddr_inv *inv = inv_of(cases[2].addrs);
	struct addrcfg_caps caps;
	addrcfg_caps_of(inv, &caps);
	static const struct {
		const char *addr;
		const char *rule;
	} r[] = {
		{ "127.0.0.1", "v4_loopback" },     { "0.0.0.0", "v4_loopback" },
		{ "169.254.1.1", "v4_linklocal" },  { "8.8.8.8", "v4" },
		{ "::1", "v6_loopback" },           { "::", "v6_loopback" },
		{ "fe80::1", "v6_linklocal" },      { "ff02::1", "v6_linklocal" },
		{ "ff0e::1", "v6_global" },         { "64:ff9b::c000:201", "v6_global" },
		{ "::ffff:10.0.0.1", "v4" },        { "::ffff:127.0.0.2", "v4_loopback" },
	};
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		unsigned char a[16];
		int fam = parse_addr(r[i].addr, a);
		const char *rule = NULL;
		addrcfg_keep_why(&caps, fam, a, &rule);
		assert_string_equal(rule, r[i].rule);
	}
	ifaddr_release(inv);
}

static void t_edges(void **st)
{
	(void)st;
	struct addrcfg_caps caps;
	/* No inventory at all: nothing is filtered, every query is sent. */
	addrcfg_caps_of(NULL, &caps);
	unsigned char a[16];
	parse_addr("198.51.100.1", a);
	assert_true(addrcfg_keep(&caps, AF_INET, a));
	parse_addr("2001:db8::1", a);
	assert_true(addrcfg_keep(&caps, AF_INET6, a));
	assert_true(addrcfg_want_family(&caps, AF_INET));
	assert_true(addrcfg_want_family(&caps, AF_INET6));

	/* Empty inventory: loopback gone too, nothing kept. */
	struct ifaddr_inv *inv = ifaddr_from_entries(NULL, 0);
	assert_non_null(inv);
	addrcfg_caps_of(inv, &caps);
	parse_addr("127.0.0.1", a);
	assert_false(addrcfg_keep(&caps, AF_INET, a));
	assert_false(addrcfg_want_family(&caps, AF_INET));
	assert_false(addrcfg_want_family(&caps, AF_INET6));
	/* Other families and missing arguments are not ours to drop. */
	assert_true(addrcfg_keep(&caps, AF_UNIX, a));
	assert_true(addrcfg_keep(&caps, AF_INET, NULL));
	assert_true(addrcfg_keep(NULL, AF_INET, a));
	assert_true(addrcfg_want_family(&caps, AF_UNSPEC));
	assert_true(addrcfg_want_family(NULL, AF_INET6));
	ifaddr_release(inv);

	/* Unknown entry families in an inventory are ignored. */
	struct ifaddr_entry odd = { .family = AF_UNIX };
	inv = ifaddr_from_entries(&odd, 1);
	assert_non_null(inv);
	addrcfg_caps_of(inv, &caps);
	assert_false(caps.v4_loopback || caps.v6_loopback || caps.v4_usable ||
		     caps.v6_global || caps.v6_linklocal || caps.v4_linklocal);
	ifaddr_release(inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_table),
		cmocka_unit_test(t_seed003),
		cmocka_unit_test(t_rules_named),
		cmocka_unit_test(t_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
