/*
 * Local address inventory: rtnetlink dump parser (well-formed and hostile
 * datagrams), the getifaddrs fallback and its cache rule, the change
 * monitor against the real kernel (descriptor closed behind our back,
 * fork), and change detection inside a network namespace (root only).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/sys.h"
#include "net/ifaddr.h"
#include "net/ifaddr_priv.h"

/* ---- netlink message builder -------------------------------------------- */

struct nlb {
	unsigned char b[16384];
	size_t len;
	size_t start; /* current message */
};

static void nlb_pad(struct nlb *n)
{
	while (n->len % 4)
		n->b[n->len++] = 0;
}

static void nlb_put(struct nlb *n, const void *p, size_t len)
{
	assert_true(n->len + len <= sizeof(n->b));
	memcpy(n->b + n->len, p, len);
	n->len += len;
}

static void nlb_begin(struct nlb *n, uint16_t type, uint16_t flags, uint32_t seq,
		      uint32_t pid)
{
	nlb_pad(n);
	n->start = n->len;
	struct ifnl_hdr h = { .type = type, .flags = flags, .seq = seq, .pid = pid };
	nlb_put(n, &h, sizeof(h));
}

static void nlb_attr(struct nlb *n, uint16_t type, const void *p, size_t len)
{
	nlb_pad(n);
	struct ifnl_rtattr a = { .len = (uint16_t)(sizeof(a) + len), .type = type };
	nlb_put(n, &a, sizeof(a));
	nlb_put(n, p, len);
}

static void nlb_end(struct nlb *n)
{
	uint32_t len = (uint32_t)(n->len - n->start);
	memcpy(n->b + n->start, &len, sizeof(len));
	nlb_pad(n);
}

#define SEQ 77
#define PORT 4242

static void add_link(struct nlb *n, int index, uint16_t type, uint32_t ifflags)
{
	nlb_begin(n, IFNL_RTM_NEWLINK, IFNL_F_MULTI, SEQ, PORT);
	struct ifnl_ifinfomsg ifi = { .type = type, .index = index, .flags = ifflags };
	nlb_put(n, &ifi, sizeof(ifi));
	nlb_attr(n, 3 /* IFLA_IFNAME */, "x0", 3);
	nlb_end(n);
}

static void add_addr(struct nlb *n, const char *local, const char *address,
		     unsigned plen, uint8_t flags8, const uint32_t *flags32,
		     uint8_t scope, uint32_t index)
{
	unsigned char a[16];
	const char *any = local ? local : address ? address : "0.0.0.0";
	int fam = strchr(any, ':') ? AF_INET6 : AF_INET;
	size_t alen = fam == AF_INET ? 4 : 16;
	nlb_begin(n, IFNL_RTM_NEWADDR, IFNL_F_MULTI, SEQ, PORT);
	struct ifnl_ifaddrmsg ifa = { .family = (uint8_t)fam,
				      .prefixlen = (uint8_t)plen,
				      .flags = flags8,
				      .scope = scope,
				      .index = index };
	nlb_put(n, &ifa, sizeof(ifa));
	if (address) {
		assert_int_equal(inet_pton(fam, address, a), 1);
		nlb_attr(n, IFNL_IFA_ADDRESS, a, alen);
	}
	if (local) {
		assert_int_equal(inet_pton(fam, local, a), 1);
		nlb_attr(n, IFNL_IFA_LOCAL, a, alen);
	}
	nlb_attr(n, 3 /* IFA_LABEL */, "lo", 3);
	if (flags32)
		nlb_attr(n, IFNL_IFA_FLAGS, flags32, 4);
	nlb_end(n);
}

static void add_done(struct nlb *n)
{
	nlb_begin(n, IFNL_DONE, IFNL_F_MULTI, SEQ, PORT);
	int32_t zero = 0;
	nlb_put(n, &zero, sizeof(zero));
	nlb_end(n);
}

static const struct ifaddr_entry *find_text(const struct ifaddr_inv *inv,
					    const char *text)
{
	unsigned char a[16] = { 0 };
	int fam = strchr(text, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(fam, text, a), 1);
	return ifaddr_find(inv, fam, a);
}

/* ---- parser ---------------------------------------------------------------- */

static void t_parse_dump(void **st)
{
	(void)st;
	static struct nlb n;
	memset(&n, 0, sizeof(n));
	add_link(&n, 1, IFNL_ARPHRD_LOOPBACK, IFF_UP | IFF_LOOPBACK);
	add_link(&n, 2, 1 /* ether */, IFF_UP);
	add_link(&n, 3, IFNL_ARPHRD_NONE, IFF_UP); /* wireguard */
	add_link(&n, 4, IFNL_ARPHRD_SIT, 0);       /* down */
	uint32_t f_tent = IFNL_IFA_F_TENTATIVE;
	uint32_t f_opt = IFNL_IFA_F_TENTATIVE | IFNL_IFA_F_OPTIMISTIC;
	uint32_t f_big = IFNL_IFA_F_DADFAILED | 0x800; /* stable-privacy */
	add_addr(&n, "127.0.0.1", "127.0.0.1", 8, 0x80, NULL, 254, 1);
	add_addr(&n, "::1", NULL, 128, 0x80, NULL, 254, 1);
	/* point-to-point: IFA_ADDRESS is the peer */
	add_addr(&n, "10.0.0.1", "10.0.0.2", 32, 0, NULL, 0, 3);
	/* IPv4 0x01 is "secondary", not "temporary" */
	add_addr(&n, "192.0.2.3", "192.0.2.3", 24, IFNL_IFA_F_TEMPORARY, NULL, 0, 2);
	add_addr(&n, NULL, "2001:db8::1", 64, IFNL_IFA_F_TEMPORARY |
		 IFNL_IFA_F_DEPRECATED, NULL, 0, 2);
	/* 32-bit IFA_FLAGS supersedes the 8-bit field */
	add_addr(&n, NULL, "2001:db8::2", 64, 0, &f_tent, 0, 2);
	add_addr(&n, NULL, "2001:db8::3", 64, IFNL_IFA_F_TENTATIVE, &f_opt, 0, 2);
	add_addr(&n, NULL, "2001:db8::4", 64, 0, &f_big, 0, 2);
	add_addr(&n, NULL, "2001:db8::5", 64, IFNL_IFA_F_HOMEADDRESS, NULL, 0, 4);
	add_addr(&n, NULL, "fe80::1", 64, 0x80, NULL, 253, 9); /* unknown link */
	add_done(&n);

	struct ifaddr_build b = { 0 };
	/* Split into two datagrams at a message boundary: needs more, done. */
	size_t cut = 0;
	{
		size_t off = 0;
		for (int i = 0; i < 6; i++) {
			uint32_t l;
			memcpy(&l, n.b + off, 4);
			off += (l + 3) & ~3u;
		}
		cut = off;
	}
	assert_int_equal(ifaddr_parse_dump(&b, n.b, cut, SEQ, PORT), 0);
	assert_int_equal(ifaddr_parse_dump(&b, n.b + cut, n.len - cut, SEQ, PORT), 1);
	assert_int_equal(b.skipped, 0);
	struct ifaddr_inv *inv = ifaddr_build_finish(&b, true);
	assert_non_null(inv);
	assert_null(b.v);
	assert_int_equal(inv->n, 10);
	assert_true(inv->from_netlink);

	const struct ifaddr_entry *e = find_text(inv, "127.0.0.1");
	assert_non_null(e);
	assert_int_equal(e->plen, 8);
	assert_int_equal(e->scope, 254);
	assert_int_equal(e->ifindex, 1);
	assert_int_equal(e->link_type, IFNL_ARPHRD_LOOPBACK);
	assert_int_equal(e->flags, IFADDR_F_LOOPBACK_IF);
	e = find_text(inv, "::1");
	assert_non_null(e);
	assert_int_equal(e->flags, IFADDR_F_LOOPBACK_IF);

	assert_null(find_text(inv, "10.0.0.2"));
	e = find_text(inv, "10.0.0.1");
	assert_non_null(e);
	assert_int_equal(e->flags, IFADDR_F_TUNNEL);
	assert_int_equal(e->link_type, IFNL_ARPHRD_NONE);

	e = find_text(inv, "192.0.2.3");
	assert_non_null(e);
	assert_int_equal(e->flags, 0);
	assert_int_equal(e->link_type, 1);
	e = find_text(inv, "2001:db8::1");
	assert_int_equal(e->flags, IFADDR_F_TEMPORARY | IFADDR_F_DEPRECATED);
	e = find_text(inv, "2001:db8::2");
	assert_int_equal(e->flags, IFADDR_F_TENTATIVE);
	e = find_text(inv, "2001:db8::3"); /* optimistic: usable */
	assert_int_equal(e->flags, 0);
	e = find_text(inv, "2001:db8::4");
	assert_int_equal(e->flags, IFADDR_F_DADFAILED);
	e = find_text(inv, "2001:db8::5");
	assert_int_equal(e->flags, IFADDR_F_HOME | IFADDR_F_TUNNEL | IFADDR_F_IF_DOWN);
	assert_int_equal(e->link_type, IFNL_ARPHRD_SIT);
	e = find_text(inv, "fe80::1");
	assert_int_equal(e->flags, 0);
	assert_int_equal(e->link_type, IFNL_ARPHRD_VOID);
	assert_int_equal(e->scope, 253);
	assert_null(find_text(inv, "2001:db8::99"));
	assert_null(ifaddr_find(inv, AF_UNIX, e->addr));
	assert_null(ifaddr_find(NULL, AF_INET6, e->addr));
	ifaddr_release(inv);
}

static void t_parse_hostile(void **st)
{
	(void)st;
	struct ifaddr_build b = { 0 };
	static struct nlb n;

	/* Nothing at all: more expected. */
	assert_int_equal(ifaddr_parse_dump(&b, n.b, 0, SEQ, PORT), 0);
	assert_int_equal(ifaddr_parse_dump(&b, NULL, 4, SEQ, PORT), -EINVAL);

	/* Length beyond the datagram, and shorter than a header. */
	memset(&n, 0, sizeof(n));
	add_done(&n);
	uint32_t l = 4096;
	memcpy(n.b, &l, 4);
	assert_int_equal(ifaddr_parse_dump(&b, n.b, n.len, SEQ, PORT), -EBADMSG);
	l = 8;
	memcpy(n.b, &l, 4);
	assert_int_equal(ifaddr_parse_dump(&b, n.b, n.len, SEQ, PORT), -EBADMSG);
	/* Trailing bytes shorter than a header. */
	memset(&n, 0, sizeof(n));
	add_link(&n, 1, 772, IFF_UP);
	n.len += 8;
	assert_int_equal(ifaddr_parse_dump(&b, n.b, n.len, SEQ, PORT), -EBADMSG);
	ifaddr_build_free(&b);

	/* Kernel error, inconsistent dump, overrun. */
	memset(&n, 0, sizeof(n));
	nlb_begin(&n, IFNL_ERROR, 0, SEQ, PORT);
	int32_t err = -EPERM;
	nlb_put(&n, &err, 4);
	struct ifnl_hdr echo = { 0 };
	nlb_put(&n, &echo, sizeof(echo));
	nlb_end(&n);
	assert_int_equal(ifaddr_parse_dump(&b, n.b, n.len, SEQ, PORT), -EPERM);
	err = 0; /* an ACK is not an error */
	memcpy(n.b + sizeof(struct ifnl_hdr), &err, 4);
	assert_int_equal(ifaddr_parse_dump(&b, n.b, n.len, SEQ, PORT), 0);
	err = 5; /* positive: nonsense */
	memcpy(n.b + sizeof(struct ifnl_hdr), &err, 4);
	assert_int_equal(ifaddr_parse_dump(&b, n.b, n.len, SEQ, PORT), -EBADMSG);
	memset(&n, 0, sizeof(n));
	nlb_begin(&n, IFNL_ERROR, 0, SEQ, PORT); /* too short for the code */
	nlb_end(&n);
	assert_int_equal(ifaddr_parse_dump(&b, n.b, n.len, SEQ, PORT), -EBADMSG);

	memset(&n, 0, sizeof(n));
	add_link(&n, 1, 772, IFF_UP);
	struct ifnl_hdr *h = (struct ifnl_hdr *)(void *)n.b;
	h->flags |= IFNL_F_DUMP_INTR;
	assert_int_equal(ifaddr_parse_dump(&b, n.b, n.len, SEQ, PORT), -EAGAIN);
	h->flags = 0;
	h->type = IFNL_OVERRUN;
	assert_int_equal(ifaddr_parse_dump(&b, n.b, n.len, SEQ, PORT), -ENOBUFS);
	ifaddr_build_free(&b);

	/* Wrong seq or port: ignored, even a DONE. */
	memset(&n, 0, sizeof(n));
	add_done(&n);
	assert_int_equal(ifaddr_parse_dump(&b, n.b, n.len, SEQ + 1, PORT), 0);
	assert_int_equal(ifaddr_parse_dump(&b, n.b, n.len, SEQ, PORT + 1), 0);

	/* Malformed address messages are skipped, not fatal. */
	memset(&n, 0, sizeof(n));
	add_addr(&n, "192.0.2.1", NULL, 33, 0, NULL, 0, 2); /* plen > 32 */
	add_addr(&n, NULL, NULL, 24, 0, NULL, 0, 2);        /* no address */
	/* IPv4 family with a 16-byte address */
	nlb_begin(&n, IFNL_RTM_NEWADDR, 0, SEQ, PORT);
	struct ifnl_ifaddrmsg ifa = { .family = AF_INET, .prefixlen = 8 };
	nlb_put(&n, &ifa, sizeof(ifa));
	unsigned char junk[16] = { 1 };
	nlb_attr(&n, IFNL_IFA_LOCAL, junk, 16);
	nlb_end(&n);
	/* attribute length running past the message */
	nlb_begin(&n, IFNL_RTM_NEWADDR, 0, SEQ, PORT);
	nlb_put(&n, &ifa, sizeof(ifa));
	struct ifnl_rtattr bad = { .len = 200, .type = IFNL_IFA_LOCAL };
	nlb_put(&n, &bad, sizeof(bad));
	nlb_put(&n, junk, 4);
	nlb_end(&n);
	/* truncated ifaddrmsg and ifinfomsg, link index 0 */
	nlb_begin(&n, IFNL_RTM_NEWADDR, 0, SEQ, PORT);
	nlb_put(&n, &ifa, 3);
	nlb_end(&n);
	nlb_begin(&n, IFNL_RTM_NEWLINK, 0, SEQ, PORT);
	nlb_put(&n, junk, 5);
	nlb_end(&n);
	add_link(&n, 0, 1, IFF_UP);
	/* another family (AF_DECnet-ish): silently not ours */
	nlb_begin(&n, IFNL_RTM_NEWADDR, 0, SEQ, PORT);
	ifa.family = 12;
	nlb_put(&n, &ifa, sizeof(ifa));
	nlb_end(&n);
	add_addr(&n, "192.0.2.7", NULL, 24, 0, NULL, 0, 2); /* the good one */
	add_done(&n);
	assert_int_equal(ifaddr_parse_dump(&b, n.b, n.len, SEQ, PORT), 1);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.skipped, 7);
	ifaddr_build_free(&b);
}

/* Random corruption of a valid dump: must never crash or over-read (run
 * under ASan), and must return a defined code. */
static void t_parse_fuzz(void **st)
{
	(void)st;
	static struct nlb base, n;
	memset(&base, 0, sizeof(base));
	uint32_t f = IFNL_IFA_F_DEPRECATED;
	add_link(&base, 1, 772, IFF_UP | IFF_LOOPBACK);
	add_addr(&base, "127.0.0.1", "127.0.0.1", 8, 0, NULL, 254, 1);
	add_addr(&base, NULL, "2001:db8::1", 64, 0, &f, 0, 1);
	add_done(&base);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (int iter = 0; iter < 20000; iter++) {
		n = base;
		int flips = 1 + (int)(x % 8);
		for (int k = 0; k < flips; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			n.b[x % n.len] = (unsigned char)(x >> 24);
		}
		size_t len = n.len - (size_t)((x >> 40) % 4 == 0 ? (x >> 8) % n.len : 0);
		struct ifaddr_build b = { 0 };
		int rc = ifaddr_parse_dump(&b, n.b, len, SEQ, PORT);
		assert_true(rc == 0 || rc == 1 || (rc < 0 && rc > -4096));
		assert_true(b.n <= 2);
		if (rc >= 0) {
			struct ifaddr_inv *inv = ifaddr_build_finish(&b, true);
			assert_non_null(inv);
			ifaddr_release(inv);
		} else {
			ifaddr_build_free(&b);
		}
	}
}

static void t_from_entries(void **st)
{
	(void)st;
	struct ifaddr_entry v[2] = {
		{ .family = AF_INET, .addr = { 127, 0, 0, 1 }, .plen = 8 },
		{ .family = AF_INET6, .addr = { [15] = 1 }, .plen = 128 },
	};
	struct ifaddr_inv *inv = ifaddr_from_entries(v, 2);
	assert_non_null(inv);
	v[0].plen = 99; /* copied, not referenced */
	assert_int_equal(inv->v[0].plen, 8);
	assert_int_equal(atomic_load(&inv->refs), 1);
	assert_non_null(find_text(inv, "::1"));
	assert_non_null(find_text(inv, "127.0.0.1"));
	assert_null(find_text(inv, "127.0.0.2"));
	ifaddr_release(inv);
	ifaddr_release(NULL);
	assert_null(ifaddr_from_entries(NULL, 3));
}

/* ---- getifaddrs fallback (netlink refused as by a seccomp filter) ------- */

static uint64_t fake_now_ns;
static int fake_clock(clockid_t clk, struct timespec *ts)
{
	(void)clk;
	ts->tv_sec = (time_t)(fake_now_ns / 1000000000u);
	ts->tv_nsec = (long)(fake_now_ns % 1000000000u);
	return 0;
}

static int deny_netlink(int domain, int type, int protocol)
{
	if (domain == AF_NETLINK) {
		errno = EPERM;
		return -1;
	}
	return socket(domain, type, protocol);
}

static int fake_gifa_calls;
static bool fake_gifa_fail;
static struct sockaddr_in f4a, f4m;
static struct sockaddr_in6 f6a, f6m;
static struct ifaddrs fk[4];

static int fake_getifaddrs(struct ifaddrs **out)
{
	fake_gifa_calls++;
	if (fake_gifa_fail) {
		errno = ENOMEM;
		return -1;
	}
	memset(fk, 0, sizeof(fk));
	f4a = (struct sockaddr_in){ .sin_family = AF_INET };
	inet_pton(AF_INET, "127.0.0.1", &f4a.sin_addr);
	f4m = (struct sockaddr_in){ .sin_family = AF_INET };
	inet_pton(AF_INET, "255.0.0.0", &f4m.sin_addr);
	f6a = (struct sockaddr_in6){ .sin6_family = AF_INET6 };
	inet_pton(AF_INET6, "2001:db8::7", &f6a.sin6_addr);
	f6m = (struct sockaddr_in6){ .sin6_family = AF_INET6 };
	inet_pton(AF_INET6, "ffff:ffff:ffff:fff0::", &f6m.sin6_addr);
	fk[0] = (struct ifaddrs){ .ifa_next = &fk[1], .ifa_name = (char *)"lo",
				  .ifa_flags = IFF_UP | IFF_LOOPBACK,
				  .ifa_addr = (struct sockaddr *)&f4a,
				  .ifa_netmask = (struct sockaddr *)&f4m };
	fk[1] = (struct ifaddrs){ .ifa_next = &fk[2], .ifa_name = (char *)"eth0",
				  .ifa_flags = IFF_UP }; /* AF_PACKET-like: no addr */
	fk[2] = (struct ifaddrs){ .ifa_next = &fk[3], .ifa_name = (char *)"eth0",
				  .ifa_flags = IFF_UP,
				  .ifa_addr = (struct sockaddr *)&f6a,
				  .ifa_netmask = (struct sockaddr *)&f6m };
	fk[3] = (struct ifaddrs){ .ifa_name = (char *)"eth1", .ifa_flags = 0,
				  .ifa_addr = (struct sockaddr *)&f6a };
	*out = fk;
	return 0;
}

static void fake_freeifaddrs(struct ifaddrs *ifa)
{
	assert_ptr_equal(ifa, fk);
}

static unsigned fake_nametoindex(const char *name)
{
	if (strcmp(name, "lo") == 0)
		return 1;
	if (strcmp(name, "eth0") == 0)
		return 2;
	return 0;
}

static void t_fallback_getifaddrs(void **st)
{
	(void)st;
	sys_reset();
	ifaddr_reset();
	rfcres_sys.socket = deny_netlink;
	rfcres_sys.getifaddrs = fake_getifaddrs;
	rfcres_sys.freeifaddrs = fake_freeifaddrs;
	rfcres_sys.if_nametoindex = fake_nametoindex;
	rfcres_sys.clock_gettime = fake_clock;
	fake_now_ns = 5000000000ull;
	fake_gifa_calls = 0;
	fake_gifa_fail = false;

	uint64_t r0 = ifaddr_rebuilds();
	struct ifaddr_inv *inv = ifaddr_acquire();
	assert_non_null(inv);
	assert_false(inv->from_netlink);
	assert_int_equal(inv->n, 3);
	assert_int_equal(ifaddr_rebuilds(), r0 + 1);
	const struct ifaddr_entry *e = find_text(inv, "127.0.0.1");
	assert_non_null(e);
	assert_int_equal(e->plen, 8);
	assert_int_equal(e->scope, 254);
	assert_int_equal(e->ifindex, 1);
	assert_int_equal(e->link_type, IFNL_ARPHRD_LOOPBACK);
	assert_int_equal(e->flags, IFADDR_F_LOOPBACK_IF);
	e = &inv->v[1];
	assert_int_equal(e->plen, 60);
	assert_int_equal(e->ifindex, 2);
	assert_int_equal(e->scope, 0);
	assert_int_equal(e->flags, 0);
	e = &inv->v[2]; /* eth1: unknown index, no netmask */
	assert_int_equal(e->plen, 128);
	assert_int_equal(e->ifindex, 0);
	uint64_t gen = inv->generation;

	/* Within the fallback lifetime: served from the cache. */
	fake_now_ns += 500000000ull;
	struct ifaddr_inv *inv2 = ifaddr_acquire();
	assert_ptr_equal(inv2, inv);
	assert_int_equal(fake_gifa_calls, 1);
	assert_int_equal(atomic_load(&inv->refs), 3);
	ifaddr_release(inv2);

	/* Past it: rebuilt; the old reference stays valid. */
	fake_now_ns += 1000000000ull;
	inv2 = ifaddr_acquire();
	assert_non_null(inv2);
	assert_ptr_not_equal(inv2, inv);
	assert_true(inv2->generation > gen);
	assert_int_equal(fake_gifa_calls, 2);
	assert_int_equal(ifaddr_rebuilds(), r0 + 2);
	assert_non_null(find_text(inv, "2001:db8::7"));
	ifaddr_release(inv);

	/* getifaddrs failing too: the previous inventory is kept. */
	fake_gifa_fail = true;
	fake_now_ns += 2000000000ull;
	inv = ifaddr_acquire();
	assert_ptr_equal(inv, inv2);
	ifaddr_release(inv);
	ifaddr_release(inv2);
	/* A failed rebuild is retried by the next acquire, not after the
	 * cache lifetime (a drained monitor would never ask again). */
	fake_gifa_fail = false;
	int calls = fake_gifa_calls;
	inv = ifaddr_acquire();
	assert_int_equal(fake_gifa_calls, calls + 1);
	assert_ptr_not_equal(inv, inv2);
	ifaddr_release(inv);
	inv = ifaddr_acquire();
	assert_int_equal(fake_gifa_calls, calls + 1);
	ifaddr_release(inv);
	fake_gifa_fail = true;

	/* ... and with nothing cached: NULL. */
	ifaddr_reset();
	assert_null(ifaddr_acquire());
	ifaddr_reset();
	sys_reset();
}

/* ---- real kernel ------------------------------------------------------------ */

/* Records the monitor socket (the one bound to multicast groups). */
static int mon_fd = -1;
static int spy_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	if (sa->sa_family == AF_NETLINK) {
		struct ifnl_sockaddr nl;
		memcpy(&nl, sa, sizeof(nl));
		if (nl.nl_groups)
			mon_fd = fd;
	}
	return bind(fd, sa, len);
}

static bool netlink_works(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, IFNL_ROUTE);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void t_kernel_loopback(void **st)
{
	(void)st;
	sys_reset();
	ifaddr_reset();
	if (!netlink_works()) {
		print_message("netlink unavailable here (%s): skipped\n",
			      strerror(errno));
		skip();
	}
	struct ifaddr_inv *inv = ifaddr_acquire();
	assert_non_null(inv);
	assert_true(inv->from_netlink);
	const struct ifaddr_entry *e = find_text(inv, "127.0.0.1");
	if (!e) {
		print_message("no 127.0.0.1 in this namespace: skipped\n");
		ifaddr_release(inv);
		skip();
	}
	assert_true(e->flags & IFADDR_F_LOOPBACK_IF);
	assert_int_equal(e->link_type, IFNL_ARPHRD_LOOPBACK);
	assert_int_equal(e->plen, 8);
	assert_int_equal(e->scope, 254);
	assert_int_equal(e->ifindex, if_nametoindex("lo"));
	ifaddr_release(inv);
	ifaddr_reset();
}

/* A host program closes our descriptor and reuses the number: the next
 * acquire must notice, leave the program's descriptor alone and rebuild. */
static void t_kernel_fd_stolen(void **st)
{
	(void)st;
	sys_reset();
	ifaddr_reset();
	if (!netlink_works())
		skip();
	mon_fd = -1;
	rfcres_sys.bind = spy_bind;
	struct ifaddr_inv *inv = ifaddr_acquire();
	assert_non_null(inv);
	assert_true(mon_fd >= 0);
	ifaddr_release(inv);
	int stolen = mon_fd;

	close(stolen); /* closefrom() in the host program */
	int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(u >= 0);
	if (u != stolen) {
		assert_int_equal(dup2(u, stolen), stolen);
		close(u);
	}
	mon_fd = -1;
	uint64_t r0 = ifaddr_rebuilds();
	inv = ifaddr_acquire();
	assert_non_null(inv);
	ifaddr_release(inv);
	assert_true(ifaddr_rebuilds() > r0);
	assert_true(mon_fd >= 0 && mon_fd != stolen); /* a new monitor */
	/* The program's UDP socket is untouched. */
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	assert_int_equal(getsockname(stolen, (struct sockaddr *)&ss, &sl), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	close(stolen);
	ifaddr_reset();
	sys_reset();
}

static void *acquire_loop(void *arg)
{
	(void)arg;
	long bad = 0;
	for (int i = 0; i < 500; i++) {
		struct ifaddr_inv *inv = ifaddr_acquire();
		if (!inv || !inv->from_netlink || inv->n == 0)
			bad++;
		else if (!ifaddr_find(inv, inv->v[0].family, inv->v[0].addr))
			bad++;
		ifaddr_release(inv);
	}
	return (void *)bad;
}

/* Many threads acquiring while the cache is dropped under them: every
 * reference stays valid (ASan/TSan builds check the memory side). */
static void t_kernel_threads(void **st)
{
	(void)st;
	sys_reset();
	ifaddr_reset();
	if (!netlink_works())
		skip();
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, acquire_loop, NULL), 0);
	for (int i = 0; i < 20; i++) {
		ifaddr_reset();
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	long bad = 0;
	for (int i = 0; i < 4; i++) {
		void *r;
		assert_int_equal(pthread_join(th[i], &r), 0);
		bad += (long)r;
	}
	assert_int_equal(bad, 0);
	ifaddr_reset();
}

/* What a steady-state acquire costs: the namespace link, getsockname and
 * one non-blocking read; no getpid() (the process check is a memory read),
 * no stat(). */
static unsigned n_getpid, n_readlink, n_stat, n_getsockname, n_recvmsg;
static pid_t count_getpid(void)
{
	n_getpid++;
	return getpid();
}
static ssize_t count_readlink(const char *p, char *b, size_t l)
{
	n_readlink++;
	return readlink(p, b, l);
}
static int count_stat(const char *p, struct stat *sb)
{
	n_stat++;
	return stat(p, sb);
}
static int count_getsockname(int fd, struct sockaddr *sa, socklen_t *l)
{
	n_getsockname++;
	return getsockname(fd, sa, l);
}
static ssize_t count_recvmsg(int fd, struct msghdr *m, int f)
{
	n_recvmsg++;
	return recvmsg(fd, m, f);
}

static void t_kernel_acquire_cost(void **st)
{
	(void)st;
	sys_reset();
	ifaddr_reset();
	if (!netlink_works())
		skip();
	ifaddr_release(ifaddr_acquire());
	rfcres_sys.getpid = count_getpid;
	rfcres_sys.readlink = count_readlink;
	rfcres_sys.stat = count_stat;
	rfcres_sys.getsockname = count_getsockname;
	rfcres_sys.recvmsg = count_recvmsg;
	n_getpid = n_readlink = n_stat = n_getsockname = n_recvmsg = 0;
	uint64_t r0 = ifaddr_rebuilds();
	for (int i = 0; i < 10; i++)
		ifaddr_release(ifaddr_acquire());
	if (ifaddr_rebuilds() == r0) { /* a quiet host */
		assert_int_equal(n_getpid, 0);
		assert_int_equal(n_stat, 0);
		assert_int_equal(n_readlink, 10);
		assert_int_equal(n_getsockname, 10);
		assert_int_equal(n_recvmsg, 10);
	}
	sys_reset();
	ifaddr_reset();
}

/* The exchange runs on the live monitor only, and a notification it reads
 * makes the next acquire rebuild. */
static int seen_fd = -1;
static uint32_t seen_portid;
static int exch_calls;
static bool exch_notify;
static int exch_fn(int fd, uint32_t portid, bool *notified, void *arg)
{
	(void)arg;
	exch_calls++;
	seen_fd = fd;
	seen_portid = portid;
	*notified = exch_notify;
	return 7;
}

static void t_kernel_exchange(void **st)
{
	(void)st;
	sys_reset();
	ifaddr_reset();
	if (!netlink_works())
		skip();
	mon_fd = -1;
	rfcres_sys.bind = spy_bind;
	struct ifaddr_inv *inv = ifaddr_acquire();
	assert_non_null(inv);
	assert_true(mon_fd >= 0);
	exch_calls = 0;
	exch_notify = false;
	assert_int_equal(ifaddr_netlink_exchange(inv, exch_fn, NULL), 7);
	assert_int_equal(exch_calls, 1);
	assert_int_equal(seen_fd, mon_fd);
	struct ifnl_sockaddr me;
	socklen_t ml = sizeof(me);
	assert_int_equal(getsockname(seen_fd, (struct sockaddr *)&me, &ml), 0);
	assert_int_equal(me.nl_pid, seen_portid);

	/* an inventory that is not the live one (hand-made, or replaced by a
	 * rebuild since): never lent */
	struct ifaddr_inv *mine = ifaddr_from_entries(NULL, 0);
	assert_int_equal(ifaddr_netlink_exchange(mine, exch_fn, NULL),
			 -ENOTCONN);
	assert_int_equal(ifaddr_netlink_exchange(NULL, exch_fn, NULL),
			 -ENOTCONN);
	ifaddr_release(mine);

	/* a notification read by the exchange: the next acquire rebuilds */
	uint64_t r0 = ifaddr_rebuilds();
	exch_notify = true;
	assert_int_equal(ifaddr_netlink_exchange(inv, exch_fn, NULL), 7);
	ifaddr_release(inv);
	inv = ifaddr_acquire();
	assert_int_equal(ifaddr_rebuilds(), r0 + 1);
	struct ifaddr_inv *old = inv;
	exch_calls = 0;
	ifaddr_reset();
	assert_int_equal(ifaddr_netlink_exchange(old, exch_fn, NULL),
			 -ENOTCONN);
	assert_int_equal(exch_calls, 0);
	ifaddr_release(old);
	sys_reset();
}

/* ifaddr_acquire_exchange: the exchange stands in for the acquire's read
 * of the monitor when it says it read everything; otherwise the acquire
 * reads it too.  A notification it reports rebuilds in this very call. */
static int exch_ret;
static int exch_fn2(int fd, uint32_t portid, bool *notified, void *arg)
{
	(void)portid;
	(void)arg;
	exch_calls++;
	seen_fd = fd;
	*notified = exch_notify;
	return exch_ret;
}

static void t_kernel_acquire_exchange(void **st)
{
	(void)st;
	sys_reset();
	ifaddr_reset();
	if (!netlink_works())
		skip();
	mon_fd = -1;
	rfcres_sys.bind = spy_bind;
	/* first call: built, then the exchange on the new monitor */
	int rc = 0;
	exch_calls = 0;
	exch_notify = false;
	exch_ret = 0;
	uint64_t r0 = ifaddr_rebuilds();
	struct ifaddr_inv *inv = ifaddr_acquire_exchange(exch_fn2, NULL, &rc);
	assert_non_null(inv);
	assert_int_equal(rc, 0);
	assert_int_equal(exch_calls, 1);
	assert_int_equal(seen_fd, mon_fd);
	assert_int_equal(ifaddr_rebuilds(), r0 + 1);
	ifaddr_release(inv);

	rfcres_sys.recvmsg = count_recvmsg;
	rfcres_sys.getsockname = count_getsockname;
	/* steady state: validated (getsockname), no read of its own */
	r0 = ifaddr_rebuilds();
	n_recvmsg = n_getsockname = 0;
	inv = ifaddr_acquire_exchange(exch_fn2, NULL, &rc);
	ifaddr_release(inv);
	if (ifaddr_rebuilds() == r0) {
		assert_int_equal(n_recvmsg, 0);
		assert_int_equal(n_getsockname, 1);
	}
	/* stopped early: the acquire reads the monitor itself */
	exch_ret = 1;
	n_recvmsg = 0;
	inv = ifaddr_acquire_exchange(exch_fn2, NULL, &rc);
	ifaddr_release(inv);
	assert_int_equal(rc, 1);
	assert_int_equal(n_recvmsg, 1);
	/* a notification seen by the exchange: rebuilt now */
	exch_ret = 0;
	exch_notify = true;
	r0 = ifaddr_rebuilds();
	struct ifaddr_inv *inv2 = ifaddr_acquire_exchange(exch_fn2, NULL, &rc);
	assert_int_equal(ifaddr_rebuilds(), r0 + 1);
	assert_true(inv2->generation > 0);
	exch_notify = false;
	/* ... and only once */
	r0 = ifaddr_rebuilds();
	inv = ifaddr_acquire_exchange(exch_fn2, NULL, &rc);
	assert_ptr_equal(inv, inv2);
	ifaddr_release(inv);
	ifaddr_release(inv2);
	ifaddr_reset();
	sys_reset();
}

/* A child made by a raw clone() runs no atfork handler: it must still see
 * that the monitor is its parent's (not read it, not lend it). */
static void t_kernel_raw_clone(void **st)
{
	(void)st;
#if !(defined(__x86_64__) || defined(__aarch64__) || defined(__i386__) || \
      defined(__arm__) || defined(__riscv))
	/* clone's argument order differs elsewhere (s390: stack first) */
	skip();
#endif
	sys_reset();
	ifaddr_reset();
	if (!netlink_works())
		skip();
	mon_fd = -1;
	rfcres_sys.bind = spy_bind;
	struct ifaddr_inv *inv = ifaddr_acquire();
	ifaddr_release(inv);
	int parent_mon = mon_fd;
	assert_true(parent_mon >= 0);
	struct ifnl_sockaddr pa;
	socklen_t pl = sizeof(pa);
	assert_int_equal(getsockname(parent_mon, (struct sockaddr *)&pa, &pl),
			 0);
	uint64_t epoch = sys_process_epoch();
	fflush(NULL);
	long pid = syscall(SYS_clone, (unsigned long)SIGCHLD, NULL, NULL, NULL,
			   0ul);
	assert_true(pid >= 0);
	if (pid == 0) {
		/* no atfork handlers ran; the process check must still see
		 * another process */
		int ok = sys_process_epoch() != epoch;
		mon_fd = -1;
		uint64_t r = ifaddr_rebuilds();
		struct ifaddr_inv *ci = ifaddr_acquire();
		/* a monitor of its own (the number may be the same: the
		 * inherited copy was closed first) */
		struct ifnl_sockaddr ca;
		socklen_t cl = sizeof(ca);
		ok = ok && ci && ifaddr_rebuilds() == r + 1 && mon_fd >= 0 &&
		     getsockname(mon_fd, (struct sockaddr *)&ca, &cl) == 0 &&
		     ca.nl_pid != pa.nl_pid;
		exch_calls = 0;
		ok = ok && ifaddr_netlink_exchange(ci, exch_fn, NULL) == 7 &&
		     seen_fd == mon_fd;
		if (!ok)
			fprintf(stderr, "raw clone child: epoch %llu/%llu "
				"rebuilds %llu->%llu mon %d (parent %d) seen %d "
				"portid %u/%u\n",
				(unsigned long long)sys_process_epoch(),
				(unsigned long long)epoch,
				(unsigned long long)r,
				(unsigned long long)ifaddr_rebuilds(), mon_fd,
				parent_mon, seen_fd, ca.nl_pid, pa.nl_pid);
		ifaddr_release(ci);
		_exit(ok ? 0 : 1);
	}
	int status = 0;
	assert_int_equal(waitpid((pid_t)pid, &status, 0), (pid_t)pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* the parent's monitor is untouched and still ours */
	assert_int_equal(sys_process_epoch(), epoch);
	uint64_t r0 = ifaddr_rebuilds();
	inv = ifaddr_acquire();
	exch_calls = 0;
	assert_int_equal(ifaddr_netlink_exchange(inv, exch_fn, NULL), 7);
	assert_int_equal(seen_fd, parent_mon);
	ifaddr_release(inv);
	if (ifaddr_rebuilds() != r0)
		print_message("note: the host changed an address meanwhile\n");
	ifaddr_reset();
	sys_reset();
}

/* ---- network namespace: change detection ------------------------------------ */

static int nl_addr_change(int fd, uint16_t type, int family, const char *text,
			  unsigned plen, unsigned index, bool nodad)
{
	static struct nlb n;
	memset(&n, 0, sizeof(n));
	unsigned char a[16];
	size_t alen = family == AF_INET ? 4 : 16;
	if (inet_pton(family, text, a) != 1)
		return -EINVAL;
	uint16_t flags = IFNL_F_REQUEST | 0x04 /* ACK */;
	if (type == IFNL_RTM_NEWADDR)
		flags |= 0x400 | 0x200; /* CREATE | EXCL */
	nlb_begin(&n, type, flags, 1, 0);
	struct ifnl_ifaddrmsg ifa = { .family = (uint8_t)family,
				      .prefixlen = (uint8_t)plen,
				      .flags = nodad ? 0x02 : 0,
				      .index = index };
	nlb_put(&n, &ifa, sizeof(ifa));
	nlb_attr(&n, IFNL_IFA_LOCAL, a, alen);
	nlb_attr(&n, IFNL_IFA_ADDRESS, a, alen);
	nlb_end(&n);
	if (send(fd, n.b, n.len, 0) != (ssize_t)n.len)
		return -errno;
	unsigned char buf[4096];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 5000) != 1)
		return -ETIMEDOUT;
	ssize_t r = recv(fd, buf, sizeof(buf), 0);
	if (r < (ssize_t)(sizeof(struct ifnl_hdr) + 4))
		return -EIO;
	int32_t err;
	memcpy(&err, buf + sizeof(struct ifnl_hdr), 4);
	return err;
}

static int lo_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
	if (rc == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return rc;
}

#define CHECK(step, cond)                                                   \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "netns step %d failed: %s\n", step, \
				#cond);                                     \
			_exit(100 + (step));                                \
		}                                                           \
	} while (0)

/* Acquires until an acquire does not rebuild (lo coming up may still be
 * announcing itself); bounded. */
static struct ifaddr_inv *settle(void)
{
	for (int i = 0; i < 50; i++) {
		uint64_t r = ifaddr_rebuilds();
		struct ifaddr_inv *inv = ifaddr_acquire();
		if (ifaddr_rebuilds() == r)
			return inv;
		ifaddr_release(inv);
		struct timespec ts = { 0, 20000000 };
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static int netns_child(void)
{
	if (unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 77;
	}
	CHECK(1, lo_up() == 0);
	/* The inherited monitor belongs to the parent process (and the old
	 * namespace): the first acquire must see only the new namespace. */
	struct ifaddr_inv *inv = settle();
	CHECK(2, inv != NULL);
	CHECK(3, inv->from_netlink);
	CHECK(4, find_text(inv, "127.0.0.1") != NULL);
	CHECK(5, find_text(inv, "198.51.100.1") == NULL);
	unsigned lo = if_nametoindex("lo");
	uint64_t gen = inv->generation;
	ifaddr_release(inv);

	/* Unchanged: no rebuild. */
	uint64_t r0 = ifaddr_rebuilds();
	inv = ifaddr_acquire();
	CHECK(6, ifaddr_rebuilds() == r0 && inv->generation == gen);
	ifaddr_release(inv);

	int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, IFNL_ROUTE);
	CHECK(7, nl >= 0);
	CHECK(8, nl_addr_change(nl, IFNL_RTM_NEWADDR, AF_INET, "198.51.100.1",
				32, lo, false) == 0);
	inv = ifaddr_acquire();
	CHECK(9, ifaddr_rebuilds() == r0 + 1);
	CHECK(10, find_text(inv, "198.51.100.1") != NULL);
	ifaddr_release(inv);
	inv = settle();
	CHECK(11, inv != NULL && find_text(inv, "198.51.100.1") != NULL);
	ifaddr_release(inv);

	/* A forked child must not read (steal) our notifications. */
	CHECK(12, nl_addr_change(nl, IFNL_RTM_NEWADDR, AF_INET6, "2001:db8::1",
				 64, lo, true) == 0);
	pid_t pid = fork();
	CHECK(13, pid >= 0);
	if (pid == 0) {
		uint64_t c0 = ifaddr_rebuilds();
		struct ifaddr_inv *ci = ifaddr_acquire();
		int ok = ci && ifaddr_rebuilds() == c0 + 1 &&
			 find_text(ci, "2001:db8::1") != NULL;
		ifaddr_release(ci);
		_exit(ok ? 0 : 1);
	}
	int status = 0;
	CHECK(14, waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
			  WEXITSTATUS(status) == 0);
	r0 = ifaddr_rebuilds();
	inv = ifaddr_acquire();
	CHECK(15, ifaddr_rebuilds() == r0 + 1);
	const struct ifaddr_entry *e = find_text(inv, "2001:db8::1");
	CHECK(16, e != NULL && e->plen == 64 &&
			  !(e->flags & IFADDR_F_TENTATIVE) &&
			  (e->flags & IFADDR_F_LOOPBACK_IF));
	ifaddr_release(inv);

	/* Removal is seen too; then quiet again. */
	inv = settle();
	ifaddr_release(inv);
	CHECK(17, nl_addr_change(nl, IFNL_RTM_DELADDR, AF_INET, "198.51.100.1",
				 32, lo, false) == 0);
	r0 = ifaddr_rebuilds();
	inv = ifaddr_acquire();
	CHECK(18, ifaddr_rebuilds() == r0 + 1);
	CHECK(19, find_text(inv, "198.51.100.1") == NULL);
	ifaddr_release(inv);
	inv = settle();
	CHECK(20, inv != NULL);
	r0 = ifaddr_rebuilds();
	ifaddr_release(inv);
	inv = ifaddr_acquire();
	CHECK(21, ifaddr_rebuilds() == r0);
	ifaddr_release(inv);
	close(nl);

	/* unshare() again in this process: the monitor watches the old
	 * namespace, the next acquire must notice by itself. */
	CHECK(22, unshare(CLONE_NEWNET) == 0);
	CHECK(23, lo_up() == 0);
	r0 = ifaddr_rebuilds();
	inv = ifaddr_acquire();
	CHECK(24, inv != NULL && ifaddr_rebuilds() == r0 + 1);
	CHECK(25, find_text(inv, "2001:db8::1") == NULL);
	ifaddr_release(inv);
	ifaddr_reset();
	return 0;
}

/* The lookup's shared poll (src/gai/gai_quiet.c) as the gai layer drives
 * it: a quiet monitor spares the acquires getsockname() and the read; a
 * change after the poll is taken by the next lookup's poll. */
static unsigned n_gsn, n_recvmsg;
static int cnt_getsockname(int fd, struct sockaddr *a, socklen_t *l)
{
	n_gsn++;
	return getsockname(fd, a, l);
}
static ssize_t cnt_recvmsg(int fd, struct msghdr *m, int f)
{
	n_recvmsg++;
	return recvmsg(fd, m, f);
}

static short poll_monitor(uint64_t *id)
{
	int fd = ifaddr_pollfd(id);
	CHECK(30, fd >= 0 && *id != 0);
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	for (int i = 0; i < 50; i++) { /* the notification is on its way */
		CHECK(31, poll(&pf, 1, 0) >= 0);
		if (pf.revents)
			break;
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
	return pf.revents;
}

static int polled_child(void)
{
	if (unshare(CLONE_NEWNET) != 0)
		return 77;
	CHECK(21, lo_up() == 0);
	struct ifaddr_inv *inv = settle();
	CHECK(22, inv != NULL);
	ifaddr_release(inv);
	rfcres_sys.getsockname = cnt_getsockname;
	rfcres_sys.recvmsg = cnt_recvmsg;

	/* quiet: no getsockname, no read, no rebuild */
	uint64_t id = 0;
	int fd = ifaddr_pollfd(&id);
	CHECK(23, fd >= 0);
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	CHECK(24, poll(&pf, 1, 0) == 0);
	ifaddr_polled(id, 0);
	uint64_t r0 = ifaddr_rebuilds();
	n_gsn = n_recvmsg = 0;
	inv = ifaddr_acquire();
	ifaddr_release(inv);
	CHECK(25, n_gsn == 0 && n_recvmsg == 0 && ifaddr_rebuilds() == r0);

	/* a change during the lookup: the next lookup's poll reports it */
	int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, IFNL_ROUTE);
	CHECK(26, nl >= 0);
	CHECK(27, nl_addr_change(nl, IFNL_RTM_NEWADDR, AF_INET, "198.51.100.7",
				 32, if_nametoindex("lo"), false) == 0);
	close(nl);
	ifaddr_polled_end();
	short rev = poll_monitor(&id);
	CHECK(28, rev & POLLIN);
	ifaddr_polled(id, rev);
	inv = ifaddr_acquire();
	CHECK(29, ifaddr_rebuilds() > r0 && inv &&
		      find_text(inv, "198.51.100.7") != NULL);
	ifaddr_release(inv);
	ifaddr_polled_end();

	/* no poll vouching: the acquire validates and reads itself */
	n_gsn = n_recvmsg = 0;
	inv = ifaddr_acquire();
	ifaddr_release(inv);
	CHECK(32, n_gsn == 1 && n_recvmsg >= 1);
	ifaddr_reset();
	sys_reset();
	return 0;
}

static void t_netns_polled(void **st)
{
	(void)st;
	if (geteuid() != 0) {
		print_message("not root: network namespace test skipped\n");
		skip();
	}
	if (!netlink_works())
		skip();
	sys_reset();
	ifaddr_reset();
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(polled_child());
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		print_message("no network namespaces here: skipped\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void t_netns_change(void **st)
{
	(void)st;
	if (geteuid() != 0) {
		print_message("not root: network namespace test skipped\n");
		skip();
	}
	if (!netlink_works())
		skip();
	sys_reset();
	/* Parent holds a monitor so the child also exercises the fork path. */
	struct ifaddr_inv *pinv = ifaddr_acquire();
	ifaddr_release(pinv);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(netns_child());
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		print_message("no network namespaces here: skipped\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(status), 0);
	ifaddr_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_parse_dump),
		cmocka_unit_test(t_parse_hostile),
		cmocka_unit_test(t_parse_fuzz),
		cmocka_unit_test(t_from_entries),
		cmocka_unit_test(t_fallback_getifaddrs),
		cmocka_unit_test(t_kernel_loopback),
		cmocka_unit_test(t_kernel_fd_stolen),
		cmocka_unit_test(t_kernel_threads),
		cmocka_unit_test(t_kernel_acquire_cost),
		cmocka_unit_test(t_kernel_exchange),
		cmocka_unit_test(t_kernel_acquire_exchange),
		cmocka_unit_test(t_kernel_raw_clone),
		cmocka_unit_test(t_netns_change),
		cmocka_unit_test(t_netns_polled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
