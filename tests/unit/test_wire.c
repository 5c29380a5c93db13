/* DNS wire codec: name encoding, query builder and the strict reply
 * decoder against well-formed and hostile messages (src/dns/wire.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "dns/wire.h"

/* ---- a tiny message builder ---------------------------------------------- */

struct mb {
	uint8_t b[70000];
	size_t n;
};

static void put8(struct mb *m, unsigned v)
{
	m->b[m->n++] = (uint8_t)v;
}

static void put16(struct mb *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v);
}

static void put32(struct mb *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void putname(struct mb *m, const char *text)
{
	uint8_t w[WIRE_NAME_MAX];
	size_t wl;
	bool abs;
	assert_int_equal(wire_name_from_text(text, w, &wl, &abs), WIRE_OK);
	memcpy(m->b + m->n, w, wl);
	m->n += wl;
}

static void putptr(struct mb *m, unsigned off)
{
	put16(m, 0xc000 | off);
}

/* header: id 0x1234, QR, RD, RA, rcode; counts */
static void hdr(struct mb *m, unsigned rcode, unsigned qd, unsigned an,
		unsigned ns, unsigned ar)
{
	m->n = 0;
	put16(m, 0x1234);
	put8(m, 0x81);
	put8(m, 0x80 | rcode);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

static void question(struct mb *m, const char *name, unsigned qtype)
{
	putname(m, name);
	put16(m, qtype);
	put16(m, 1);
}

/* RR header with the owner as a pointer, then rdlength */
static void rrh(struct mb *m, unsigned owner_off, unsigned type,
		unsigned rdlen)
{
	putptr(m, owner_off);
	put16(m, type);
	put16(m, 1);
	put32(m, 300);
	put16(m, rdlen);
}

static void rr_a(struct mb *m, unsigned owner_off, unsigned last)
{
	rrh(m, owner_off, WIRE_T_A, 4);
	put8(m, 192);
	put8(m, 0);
	put8(m, 2);
	put8(m, last);
}

static uint8_t qn[WIRE_NAME_MAX];

static struct wire_question mkq(const char *name, unsigned qtype)
{
	size_t wl;
	bool abs;
	assert_int_equal(wire_name_from_text(name, qn, &wl, &abs), WIRE_OK);
	return (struct wire_question){ .qname = qn, .qtype = (uint16_t)qtype };
}

static struct wire_reply r;
static struct dns_addr addrs[5000];

static enum wire_err dec(const struct mb *m, const struct wire_question *q)
{
	return wire_decode_reply(m->b, m->n, q, &r, addrs, 5000);
}

/* ---- names ---------------------------------------------------------------- */

static void test_name_encode(void **state)
{
	(void)state;
	uint8_t w[WIRE_NAME_MAX];
	size_t wl;
	bool abs;
	assert_int_equal(wire_name_from_text("www.Example.com", w, &wl, &abs),
			 WIRE_OK);
	assert_int_equal(wl, 17);
	assert_memory_equal(w, "\3www\7Example\3com\0", 17);
	assert_false(abs);
	assert_int_equal(wire_name_from_text("example.com.", w, &wl, &abs),
			 WIRE_OK);
	assert_true(abs);
	assert_int_equal(wl, 13);
	assert_int_equal(wire_name_from_text(".", w, &wl, &abs), WIRE_OK);
	assert_true(abs);
	assert_int_equal(wl, 1);
	assert_int_equal(w[0], 0);
	assert_int_equal(wire_name_from_text("a\\.b.c", w, &wl, &abs), WIRE_OK);
	assert_memory_equal(w, "\3a.b\1c\0", 7);
	assert_int_equal(wire_name_from_text("\\065b", w, &wl, &abs), WIRE_OK);
	assert_memory_equal(w, "\2Ab\0", 4);

	assert_int_equal(wire_name_from_text("", w, &wl, &abs),
			 WIRE_E_EMPTY_NAME);
	assert_int_equal(wire_name_from_text("a..b", w, &wl, &abs),
			 WIRE_E_EMPTY_LABEL);
	assert_int_equal(wire_name_from_text(".a", w, &wl, &abs),
			 WIRE_E_EMPTY_LABEL);
	assert_int_equal(wire_name_from_text("a..", w, &wl, &abs),
			 WIRE_E_EMPTY_LABEL);
	assert_int_equal(wire_name_from_text("a\\", w, &wl, &abs),
			 WIRE_E_BAD_ESCAPE);
	assert_int_equal(wire_name_from_text("a\\25", w, &wl, &abs),
			 WIRE_E_BAD_ESCAPE);
	assert_int_equal(wire_name_from_text("a\\256", w, &wl, &abs),
			 WIRE_E_BAD_ESCAPE);
}

static void test_name_limits(void **state)
{
	(void)state;
	uint8_t w[WIRE_NAME_MAX];
	size_t wl;
	bool abs;
	char buf[400];
	memset(buf, 'a', 63);
	buf[63] = '\0';
	assert_int_equal(wire_name_from_text(buf, w, &wl, &abs), WIRE_OK);
	memset(buf, 'a', 64);
	buf[64] = '\0';
	assert_int_equal(wire_name_from_text(buf, w, &wl, &abs),
			 WIRE_E_LABEL_LONG);
	/* 3 x 63 + 61: wire length 3*64 + 62 + 1 = 255, the maximum */
	size_t o = 0;
	for (int i = 0; i < 3; i++) {
		memset(buf + o, 'b', 63);
		o += 63;
		buf[o++] = '.';
	}
	memset(buf + o, 'c', 61);
	o += 61;
	buf[o] = '\0';
	assert_int_equal(wire_name_from_text(buf, w, &wl, &abs), WIRE_OK);
	assert_int_equal(wl, 255);
	/* with a trailing dot it is the same name */
	buf[o] = '.';
	buf[o + 1] = '\0';
	assert_int_equal(wire_name_from_text(buf, w, &wl, &abs), WIRE_OK);
	assert_int_equal(wl, 255);
	/* one more octet is too long */
	buf[o] = 'c';
	buf[o + 1] = '\0';
	assert_int_equal(wire_name_from_text(buf, w, &wl, &abs),
			 WIRE_E_NAME_LONG);
	/* concatenation past 255 */
	uint8_t a[WIRE_NAME_MAX], b[WIRE_NAME_MAX], c[WIRE_NAME_MAX];
	size_t al, bl, cl;
	buf[o] = '\0';
	assert_int_equal(wire_name_from_text(buf, a, &al, &abs), WIRE_OK);
	assert_int_equal(wire_name_from_text("x", b, &bl, &abs), WIRE_OK);
	assert_int_equal(wire_name_concat(a, al, b, bl, c, &cl),
			 WIRE_E_NAME_LONG);
	assert_int_equal(wire_name_concat(b, bl, b, bl, c, &cl), WIRE_OK);
	assert_memory_equal(c, "\1x\1x\0", 5);
}

static void test_name_text(void **state)
{
	(void)state;
	char t[WIRE_TEXT_MAX];
	assert_true(wire_name_to_text((const uint8_t *)"\3www\7example\0", t,
				      sizeof t));
	assert_string_equal(t, "www.example");
	assert_true(wire_name_to_text((const uint8_t *)"\0", t, sizeof t));
	assert_string_equal(t, ".");
	assert_true(wire_name_to_text((const uint8_t *)"\3a b\1.\0", t,
				      sizeof t));
	assert_string_equal(t, "a\\032b.\\046");
	assert_false(wire_name_to_text((const uint8_t *)"\3www\0", t, 3));
	assert_true(wire_name_equal((const uint8_t *)"\3WwW\0",
				    (const uint8_t *)"\3www\0"));
	assert_false(wire_name_equal((const uint8_t *)"\3www\0",
				     (const uint8_t *)"\3wwx\0"));
	assert_int_equal(wire_name_labels((const uint8_t *)"\1a\1b\0"), 2);
	assert_int_equal(wire_name_labels((const uint8_t *)"\0"), 0);
}

/* ---- query builder -------------------------------------------------------- */

static void test_build_query(void **state)
{
	(void)state;
	uint8_t buf[WIRE_QUERY_MAX];
	struct wire_question q = mkq("example.com", WIRE_T_AAAA);
	size_t n = wire_build_query(buf, sizeof buf, 0xbeef, q.qname,
				    WIRE_T_AAAA, false, false);
	assert_int_equal(n, 12 + 13 + 4);
	static const uint8_t hdr1[] = { 0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0,
					0,    0,    0,    0 };
	assert_memory_equal(buf, hdr1, 12);
	assert_int_equal(wire_get16(buf + 25), 28);
	assert_int_equal(wire_get16(buf + 27), 1);

	n = wire_build_query(buf, sizeof buf, 7, q.qname, WIRE_T_A, true, true);
	assert_int_equal(n, 12 + 13 + 4 + 11);
	assert_int_equal(buf[3], 0x20); /* AD for trust-ad */
	assert_int_equal(wire_get16(buf + 10), 1);
	const uint8_t *opt = buf + 29;
	assert_int_equal(opt[0], 0);
	assert_int_equal(wire_get16(opt + 1), WIRE_T_OPT);
	assert_int_equal(wire_get16(opt + 3), 1232);
	wire_set_id(buf, 0x4242);
	assert_int_equal(wire_get16(buf), 0x4242);
	/* buffer too small */
	assert_int_equal(wire_build_query(buf, 20, 1, q.qname, WIRE_T_A, false,
					  false),
			 0);
}

/* ---- decoder: good messages ----------------------------------------------- */

static void test_decode_a(void **state)
{
	(void)state;
	struct mb m;
	struct wire_question q = mkq("www.example.com", WIRE_T_A);
	hdr(&m, 0, 1, 3, 0, 0);
	question(&m, "WWW.example.COM", WIRE_T_A); /* 0x20 case echo */
	rr_a(&m, 12, 1);
	rr_a(&m, 12, 2);
	/* an AAAA in an A answer is ignored */
	rrh(&m, 12, WIRE_T_AAAA, 16);
	memset(m.b + m.n, 0x20, 16);
	m.n += 16;
	assert_int_equal(dec(&m, &q), WIRE_OK);
	assert_int_equal(r.id, 0x1234);
	assert_int_equal(r.rcode, 0);
	assert_false(r.tc);
	assert_int_equal(r.naddrs, 2);
	assert_int_equal(addrs[0].family, AF_INET);
	assert_int_equal(addrs[0].addr[3], 1);
	assert_int_equal(addrs[1].addr[3], 2);
	char t[WIRE_TEXT_MAX];
	assert_true(wire_name_to_text(r.canon, t, sizeof t));
	assert_string_equal(t, "www.example.com"); /* our spelling */
}

static void test_decode_aaaa_cname(void **state)
{
	(void)state;
	struct mb m;
	struct wire_question q = mkq("alias.test", WIRE_T_AAAA);
	hdr(&m, 0, 1, 4, 0, 0);
	question(&m, "alias.test", WIRE_T_AAAA);
	/* alias.test CNAME mid.test ; mid.test CNAME real.test */
	rrh(&m, 12, WIRE_T_CNAME, 10);
	size_t mid = m.n;
	putname(&m, "mid.test");
	rrh(&m, (unsigned)mid, WIRE_T_CNAME, 11);
	size_t real = m.n;
	putname(&m, "real.test");
	/* an AAAA of another owner (alias.test itself) is ignored */
	rrh(&m, 12, WIRE_T_AAAA, 16);
	memset(m.b + m.n, 0x11, 16);
	m.n += 16;
	rrh(&m, (unsigned)real, WIRE_T_AAAA, 16);
	memset(m.b + m.n, 0x22, 16);
	m.n += 16;
	assert_int_equal(dec(&m, &q), WIRE_OK);
	assert_int_equal(r.naddrs, 1);
	assert_int_equal(addrs[0].family, AF_INET6);
	assert_int_equal(addrs[0].addr[0], 0x22);
	assert_int_equal(r.cname_hops, 2);
	char t[WIRE_TEXT_MAX];
	wire_name_to_text(r.canon, t, sizeof t);
	assert_string_equal(t, "real.test");
}

static void test_decode_cname_out_of_order(void **state)
{
	(void)state;
	struct mb m;
	struct wire_question q = mkq("a.test", WIRE_T_A);
	hdr(&m, 0, 1, 3, 0, 0);
	question(&m, "a.test", WIRE_T_A);
	/* the A of c.test first, then b->c, then a->b */
	/* RR1 owner "c.test" written uncompressed */
	size_t c = m.n;
	putname(&m, "c.test");
	put16(&m, WIRE_T_A);
	put16(&m, 1);
	put32(&m, 1);
	put16(&m, 4);
	put32(&m, 0x0a000001);
	size_t b = m.n;
	putname(&m, "b.test");
	put16(&m, WIRE_T_CNAME);
	put16(&m, 1);
	put32(&m, 1);
	put16(&m, 2);
	putptr(&m, (unsigned)c);
	rrh(&m, 12, WIRE_T_CNAME, 2);
	putptr(&m, (unsigned)b);
	assert_int_equal(dec(&m, &q), WIRE_OK);
	assert_int_equal(r.naddrs, 1);
	assert_int_equal(r.cname_hops, 2);
}

/* glibc res_hnok facts (resolv/res-name-checking.c, tst-res_hnok). */
static void test_name_is_host(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		bool host;
	} t[] = {
		{"www.example", true},	  {"_srv._tcp.example", true},
		{"a-b.c-d.example", true}, {"x-.example", true},
		{"a.-b.example", true},	  {"-x.example", false},
		{"*.example", false},	  {"star.*.example", false},
		{"a b.example", false},	  {"a\\.b.example", false},
		{"a\\000b.example", false}, {"\\200x.example", false},
		{".", true},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint8_t w[WIRE_NAME_MAX];
		size_t wl;
		bool abs;
		assert_int_equal(wire_name_from_text(t[i].name, w, &wl, &abs),
				 WIRE_OK);
		if (wire_name_is_host(w) != t[i].host)
			fail_msg("%s: expected %d", t[i].name, t[i].host);
	}
}

/* A chain through names that are no host names: the records are those of
 * the final owner; the canonical name is the last host name of the chain
 * (glibc bug 12154), the query name when there is none. */
static void test_decode_canon_host_name(void **state)
{
	(void)state;
	struct mb m;
	struct wire_question q = mkq("a.test", WIRE_T_A);
	hdr(&m, 0, 1, 4, 0, 0);
	question(&m, "a.test", WIRE_T_A);
	/* a.test -> *.b.test -> c.test -> -d.test, A on -d.test */
	rrh(&m, 12, WIRE_T_CNAME, 10);
	size_t b = m.n;
	putname(&m, "*.b.test");
	rrh(&m, (unsigned)b, WIRE_T_CNAME, 8);
	size_t c = m.n;
	putname(&m, "c.test");
	rrh(&m, (unsigned)c, WIRE_T_CNAME, 9);
	size_t d = m.n;
	putname(&m, "-d.test");
	rr_a(&m, (unsigned)d, 7);
	assert_int_equal(dec(&m, &q), WIRE_OK);
	assert_int_equal(r.naddrs, 1);
	assert_int_equal(addrs[0].addr[3], 7);
	assert_int_equal(r.cname_hops, 3);
	char t[WIRE_TEXT_MAX];
	assert_true(wire_name_to_text(r.canon, t, sizeof t));
	assert_string_equal(t, "c.test");
	assert_true(wire_name_to_text(r.owner, t, sizeof t));
	assert_string_equal(t, "-d.test");

	/* no host name after the query name: the query name */
	hdr(&m, 0, 1, 2, 0, 0);
	question(&m, "a.test", WIRE_T_A);
	rrh(&m, 12, WIRE_T_CNAME, 10);
	b = m.n;
	putname(&m, "*.b.test");
	rr_a(&m, (unsigned)b, 8);
	assert_int_equal(dec(&m, &q), WIRE_OK);
	assert_int_equal(r.naddrs, 1);
	assert_true(wire_name_to_text(r.canon, t, sizeof t));
	assert_string_equal(t, "a.test");
}

static void test_decode_ptr_nxdomain(void **state)
{
	(void)state;
	struct mb m;
	struct wire_question q = mkq("1.2.0.192.in-addr.arpa", WIRE_T_PTR);
	hdr(&m, 0, 1, 1, 0, 0);
	question(&m, "1.2.0.192.in-addr.arpa", WIRE_T_PTR);
	rrh(&m, 12, WIRE_T_PTR, 14);
	putname(&m, "host.example");
	assert_int_equal(dec(&m, &q), WIRE_OK);
	assert_true(r.has_ptr);
	char t[WIRE_TEXT_MAX];
	wire_name_to_text(r.ptr, t, sizeof t);
	assert_string_equal(t, "host.example");

	/* a NODATA decoded after it leaves no PTR behind */
	q = mkq("empty.test", WIRE_T_AAAA);
	hdr(&m, 0, 1, 0, 0, 0);
	question(&m, "empty.test", WIRE_T_AAAA);
	assert_int_equal(dec(&m, &q), WIRE_OK);
	assert_false(r.has_ptr);
	assert_int_equal(r.naddrs, 0);

	q = mkq("nope.test", WIRE_T_A);
	hdr(&m, 3, 1, 0, 1, 0);
	question(&m, "nope.test", WIRE_T_A);
	/* an SOA-ish authority record, opaque rdata */
	rrh(&m, 17, 6, 3);
	put8(&m, 1);
	put8(&m, 2);
	put8(&m, 3);
	assert_int_equal(dec(&m, &q), WIRE_OK);
	assert_int_equal(r.rcode, WIRE_R_NXDOMAIN);
	assert_int_equal(r.naddrs, 0);
}

static void test_decode_tc_and_formerr(void **state)
{
	(void)state;
	struct mb m;
	struct wire_question q = mkq("big.test", WIRE_T_A);
	hdr(&m, 0, 1, 200, 0, 0);
	m.b[2] |= 0x02; /* TC */
	question(&m, "big.test", WIRE_T_A);
	rr_a(&m, 12, 1); /* cut short: counts lie, but TC */
	m.n -= 2;
	assert_int_equal(dec(&m, &q), WIRE_OK);
	assert_true(r.tc);
	assert_int_equal(r.naddrs, 0);
	/* FORMERR without a question: only when the caller allows it */
	hdr(&m, 1, 0, 0, 0, 0);
	assert_int_equal(dec(&m, &q), WIRE_E_QDCOUNT);
	q.allow_formerr_noq = true;
	assert_int_equal(dec(&m, &q), WIRE_OK);
	assert_int_equal(r.rcode, WIRE_R_FORMERR);
	assert_false(r.has_question);
	/* header-only SERVFAIL, NOTIMP, REFUSED (glibc bug 31890): accepted
	 * as their rcode; NOERROR, NXDOMAIN, or any record count: not */
	q.allow_formerr_noq = false;
	for (unsigned rc = 2; rc <= 5; rc++) {
		hdr(&m, rc, 0, 0, 0, 0);
		assert_int_equal(dec(&m, &q),
				 rc == WIRE_R_NXDOMAIN ? WIRE_E_QDCOUNT : WIRE_OK);
	}
	assert_false(r.has_question);
	hdr(&m, WIRE_R_NOERROR, 0, 0, 0, 0);
	assert_int_equal(dec(&m, &q), WIRE_E_QDCOUNT);
	hdr(&m, WIRE_R_SERVFAIL, 0, 1, 0, 0);
	assert_int_equal(dec(&m, &q), WIRE_E_QDCOUNT);
}

/* ---- decoder: hostile messages -------------------------------------------- */

static void test_decode_header_and_question(void **state)
{
	(void)state;
	struct mb m;
	struct wire_question q = mkq("x.test", WIRE_T_A);
	hdr(&m, 0, 1, 0, 0, 0);
	question(&m, "x.test", WIRE_T_A);
	size_t good = m.n;
	assert_int_equal(wire_decode_reply(m.b, 0, &q, &r, addrs, 1),
			 WIRE_E_SHORT);
	assert_int_equal(wire_decode_reply(m.b, 11, &q, &r, addrs, 1),
			 WIRE_E_SHORT);
	m.b[2] &= 0x7f;
	assert_int_equal(dec(&m, &q), WIRE_E_NOT_RESPONSE);
	m.b[2] = 0x80 | (2 << 3); /* opcode STATUS */
	assert_int_equal(dec(&m, &q), WIRE_E_OPCODE);
	m.b[2] = 0x81;
	m.b[5] = 2;
	assert_int_equal(dec(&m, &q), WIRE_E_QDCOUNT);
	m.b[5] = 0;
	assert_int_equal(dec(&m, &q), WIRE_E_QDCOUNT);
	m.b[5] = 1;
	assert_int_equal(dec(&m, &q), WIRE_OK);
	/* wrong name, type, class */
	struct wire_question q2 = q;
	uint8_t other[WIRE_NAME_MAX];
	memcpy(other, "\1y\4test\0", 8);
	q2.qname = other;
	assert_int_equal(dec(&m, &q2), WIRE_E_QUESTION);
	q2 = q;
	q2.qtype = WIRE_T_AAAA;
	assert_int_equal(dec(&m, &q2), WIRE_E_QUESTION);
	m.b[good - 1] = 3; /* class CH */
	assert_int_equal(dec(&m, &q), WIRE_E_QUESTION);
	m.b[good - 1] = 1;
	/* question cut */
	m.n = good - 2;
	assert_int_equal(dec(&m, &q), WIRE_E_TRUNCATED_RR);
	m.n = 14;
	assert_int_equal(dec(&m, &q), WIRE_E_TRUNCATED_NAME);
}

static void test_decode_pointers(void **state)
{
	(void)state;
	struct mb m;
	struct wire_question q = mkq("x.test", WIRE_T_A);
	/* self pointer: an answer owner pointing at itself */
	hdr(&m, 0, 1, 1, 0, 0);
	question(&m, "x.test", WIRE_T_A);
	rrh(&m, (unsigned)m.n, WIRE_T_A, 4);
	put32(&m, 1);
	assert_int_equal(dec(&m, &q), WIRE_E_PTR_FORWARD);
	/* forward pointer */
	hdr(&m, 0, 1, 1, 0, 0);
	question(&m, "x.test", WIRE_T_A);
	rrh(&m, (unsigned)m.n + 20, WIRE_T_A, 4);
	put32(&m, 1);
	assert_int_equal(dec(&m, &q), WIRE_E_PTR_FORWARD);
	/* into the header */
	hdr(&m, 0, 1, 1, 0, 0);
	question(&m, "x.test", WIRE_T_A);
	rrh(&m, 2, WIRE_T_A, 4);
	put32(&m, 1);
	assert_int_equal(dec(&m, &q), WIRE_E_PTR_FORWARD);
	/* a loop made of two labels: "a" then a pointer back to "a" */
	hdr(&m, 0, 1, 1, 0, 0);
	question(&m, "x.test", WIRE_T_A);
	size_t p = m.n;
	put8(&m, 1);
	put8(&m, 'a');
	putptr(&m, (unsigned)p);
	put16(&m, WIRE_T_A);
	put16(&m, 1);
	put32(&m, 1);
	put16(&m, 4);
	put32(&m, 1);
	assert_int_equal(dec(&m, &q), WIRE_E_PTR_FORWARD);
	/* a pointer to a pointer to ... (33 hops) */
	hdr(&m, 0, 1, 40, 0, 0);
	question(&m, "x.test", WIRE_T_A);
	size_t prev = 12;
	for (int i = 0; i < 40; i++) {
		size_t here = m.n;
		putptr(&m, (unsigned)prev);
		put16(&m, 16); /* TXT, opaque */
		put16(&m, 1);
		put32(&m, 1);
		put16(&m, 0);
		prev = here;
	}
	assert_int_equal(dec(&m, &q), WIRE_E_PTR_HOPS);
	/* label type 0x40 (RFC 6891 extended label) */
	hdr(&m, 0, 1, 1, 0, 0);
	question(&m, "x.test", WIRE_T_A);
	put8(&m, 0x41);
	put8(&m, 'a');
	put8(&m, 0);
	assert_int_equal(dec(&m, &q), WIRE_E_LABEL_TYPE);
}

static void test_decode_long_name(void **state)
{
	(void)state;
	struct mb m;
	struct wire_question q = mkq("x.test", WIRE_T_A);
	hdr(&m, 0, 1, 5, 0, 0);
	question(&m, "x.test", WIRE_T_A);
	/* five owners, each a 63-octet label plus a pointer to the
	 * previous: the fifth expands to 5 * 64 + 7 > 255 octets */
	size_t prev = 12;
	for (int i = 0; i < 5; i++) {
		size_t here = m.n;
		put8(&m, 63);
		memset(m.b + m.n, 'a' + i, 63);
		m.n += 63;
		putptr(&m, (unsigned)prev);
		put16(&m, 16);
		put16(&m, 1);
		put32(&m, 1);
		put16(&m, 0);
		prev = here;
	}
	assert_int_equal(dec(&m, &q), WIRE_E_NAME_LONG);
}

static void test_decode_counts_and_rdata(void **state)
{
	(void)state;
	struct mb m;
	struct wire_question q = mkq("x.test", WIRE_T_A);
	/* ancount says 3, one present */
	hdr(&m, 0, 1, 3, 0, 0);
	question(&m, "x.test", WIRE_T_A);
	rr_a(&m, 12, 1);
	assert_int_equal(dec(&m, &q), WIRE_E_COUNTS);
	/* lying authority and additional counts too */
	hdr(&m, 0, 1, 1, 0, 9);
	question(&m, "x.test", WIRE_T_A);
	rr_a(&m, 12, 1);
	assert_int_equal(dec(&m, &q), WIRE_E_COUNTS);
	hdr(&m, 3, 1, 0, 65535, 0);
	question(&m, "x.test", WIRE_T_A);
	assert_int_equal(dec(&m, &q), WIRE_E_COUNTS);
	/* rdlength past the end */
	hdr(&m, 0, 1, 1, 0, 0);
	question(&m, "x.test", WIRE_T_A);
	rrh(&m, 12, 16, 100);
	put32(&m, 1);
	assert_int_equal(dec(&m, &q), WIRE_E_TRUNCATED_RR);
	/* RR header cut */
	hdr(&m, 0, 1, 1, 0, 0);
	question(&m, "x.test", WIRE_T_A);
	putptr(&m, 12);
	put16(&m, 1);
	assert_int_equal(dec(&m, &q), WIRE_E_TRUNCATED_RR);
	/* A with rdlength 5, AAAA with 4: the whole message is rejected */
	hdr(&m, 0, 1, 2, 0, 0);
	question(&m, "x.test", WIRE_T_A);
	rr_a(&m, 12, 1);
	rrh(&m, 12, WIRE_T_A, 5);
	put32(&m, 1);
	put8(&m, 1);
	assert_int_equal(dec(&m, &q), WIRE_E_A_RDLENGTH);
	hdr(&m, 0, 1, 1, 0, 0);
	question(&m, "x.test", WIRE_T_A);
	rrh(&m, 12, WIRE_T_AAAA, 4);
	put32(&m, 1);
	assert_int_equal(dec(&m, &q), WIRE_E_AAAA_RDLENGTH);
	/* even in the additional section */
	hdr(&m, 0, 1, 0, 0, 1);
	question(&m, "x.test", WIRE_T_A);
	rrh(&m, 12, WIRE_T_A, 3);
	put8(&m, 1);
	put8(&m, 1);
	put8(&m, 1);
	assert_int_equal(dec(&m, &q), WIRE_E_A_RDLENGTH);
	/* CNAME rdata with trailing garbage */
	hdr(&m, 0, 1, 1, 0, 0);
	question(&m, "x.test", WIRE_T_A);
	rrh(&m, 12, WIRE_T_CNAME, 9);
	putname(&m, "y.test");
	put8(&m, 0);
	assert_int_equal(dec(&m, &q), WIRE_E_RDATA_NAME);
	/* CNAME rdata name running past rdlength */
	hdr(&m, 0, 1, 1, 0, 0);
	question(&m, "x.test", WIRE_T_A);
	rrh(&m, 12, WIRE_T_CNAME, 4);
	putname(&m, "y.test");
	assert_int_equal(dec(&m, &q), WIRE_E_RDATA_NAME);
	/* caller's address array too small */
	hdr(&m, 0, 1, 3, 0, 0);
	question(&m, "x.test", WIRE_T_A);
	rr_a(&m, 12, 1);
	rr_a(&m, 12, 2);
	rr_a(&m, 12, 3);
	assert_int_equal(wire_decode_reply(m.b, m.n, &q, &r, addrs, 2),
			 WIRE_E_TOO_MANY_ADDRS);
	assert_true(wire_max_addrs(m.n) >= 3);
}

static void test_decode_cname_loop_and_chain(void **state)
{
	(void)state;
	struct mb m;
	struct wire_question q = mkq("a.test", WIRE_T_A);
	/* a -> b -> a */
	hdr(&m, 0, 1, 2, 0, 0);
	question(&m, "a.test", WIRE_T_A);
	rrh(&m, 12, WIRE_T_CNAME, 8);
	size_t b = m.n;
	putname(&m, "b.test");
	rrh(&m, (unsigned)b, WIRE_T_CNAME, 2);
	putptr(&m, 12);
	assert_int_equal(dec(&m, &q), WIRE_E_CNAME_LOOP);
	/* a -> a */
	hdr(&m, 0, 1, 1, 0, 0);
	question(&m, "a.test", WIRE_T_A);
	rrh(&m, 12, WIRE_T_CNAME, 2);
	putptr(&m, 12);
	assert_int_equal(dec(&m, &q), WIRE_E_CNAME_LOOP);
	/* chains of n links: n0 -> n1 -> ... -> n<links> */
	for (int links = 16; links <= 17; links++) {
		char name[32];
		q = mkq("n0.test", WIRE_T_A);
		hdr(&m, 0, 1, (unsigned)links + 1, 0, 0);
		question(&m, "n0.test", WIRE_T_A);
		size_t owner = 12;
		for (int i = 1; i <= links; i++) {
			snprintf(name, sizeof name, "n%d.test", i);
			uint8_t w[WIRE_NAME_MAX];
			size_t wl;
			bool abs;
			wire_name_from_text(name, w, &wl, &abs);
			rrh(&m, (unsigned)owner, WIRE_T_CNAME, (unsigned)wl);
			owner = m.n;
			memcpy(m.b + m.n, w, wl);
			m.n += wl;
		}
		rr_a(&m, (unsigned)owner, 9);
		if (links == 16) {
			assert_int_equal(dec(&m, &q), WIRE_OK);
			assert_int_equal(r.naddrs, 1);
			assert_int_equal(r.cname_hops, 16);
		} else {
			assert_int_equal(dec(&m, &q), WIRE_E_CNAME_CHAIN);
		}
	}
}

/* Every prefix of a valid message decodes to an error or OK without
 * reading past the end (ASan watches), and random corruptions too. */
static void test_decode_prefixes_and_flips(void **state)
{
	(void)state;
	static struct mb m;
	struct wire_question q = mkq("alias.test", WIRE_T_A);
	hdr(&m, 0, 1, 3, 0, 1);
	question(&m, "alias.test", WIRE_T_A);
	rrh(&m, 12, WIRE_T_CNAME, 11);
	size_t real = m.n;
	putname(&m, "real.test");
	rr_a(&m, (unsigned)real, 1);
	rr_a(&m, (unsigned)real, 2);
	rrh(&m, (unsigned)real, WIRE_T_AAAA, 16);
	memset(m.b + m.n, 1, 16);
	m.n += 16;
	assert_int_equal(dec(&m, &q), WIRE_OK);
	assert_int_equal(r.naddrs, 2);
	uint8_t *copy = malloc(m.n);
	for (size_t n = 0; n < m.n; n++) {
		memcpy(copy, m.b, n);
		enum wire_err e =
			wire_decode_reply(copy, n, &q, &r, addrs, 5000);
		assert_int_not_equal(e, WIRE_OK);
	}
	uint32_t seed = 12345;
	for (int i = 0; i < 20000; i++) {
		memcpy(copy, m.b, m.n);
		for (int k = 0; k < 3; k++) {
			seed = seed * 1103515245u + 12345u;
			copy[(seed >> 8) % m.n] ^= (uint8_t)(1u << ((seed >> 4) & 7));
		}
		(void)wire_decode_reply(copy, m.n, &q, &r, addrs, 5000);
		assert_true(r.naddrs <= 5000);
	}
	free(copy);
	for (int e = 0; e < WIRE_E__COUNT; e++)
		assert_string_not_equal(wire_strerror((enum wire_err)e),
					"unknown");
	assert_string_equal(wire_strerror(WIRE_E__COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_encode),
		cmocka_unit_test(test_name_limits),
		cmocka_unit_test(test_name_text),
		cmocka_unit_test(test_build_query),
		cmocka_unit_test(test_decode_a),
		cmocka_unit_test(test_decode_aaaa_cname),
		cmocka_unit_test(test_decode_cname_out_of_order),
		cmocka_unit_test(test_name_is_host),
		cmocka_unit_test(test_decode_canon_host_name),
		cmocka_unit_test(test_decode_ptr_nxdomain),
		cmocka_unit_test(test_decode_tc_and_formerr),
		cmocka_unit_test(test_decode_header_and_question),
		cmocka_unit_test(test_decode_pointers),
		cmocka_unit_test(test_decode_long_name),
		cmocka_unit_test(test_decode_counts_and_rdata),
		cmocka_unit_test(test_decode_cname_loop_and_chain),
		cmocka_unit_test(test_decode_prefixes_and_flips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
