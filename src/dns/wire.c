/*
 * DNS wire codec (see wire.h).  Everything here is a pure function over a
 * byte buffer; every read is preceded by a bounds check against len.
 */
#include "dns/wire.h"

#include <string.h>
#include <sys/socket.h>

static const char *const wire_errs[WIRE_E__COUNT] = {
	[WIRE_OK] = "ok",
	[WIRE_E_EMPTY_NAME] = "empty-name",
	[WIRE_E_EMPTY_LABEL] = "empty-label",
	[WIRE_E_LABEL_LONG] = "label-too-long",
	[WIRE_E_NAME_LONG] = "name-too-long",
	[WIRE_E_BAD_ESCAPE] = "bad-escape",
	[WIRE_E_BUFFER] = "buffer-too-small",
	[WIRE_E_SHORT] = "short",
	[WIRE_E_NOT_RESPONSE] = "not-response",
	[WIRE_E_OPCODE] = "opcode",
	[WIRE_E_QDCOUNT] = "qdcount",
	[WIRE_E_QUESTION] = "question-mismatch",
	[WIRE_E_TRUNCATED_NAME] = "truncated-name",
	[WIRE_E_PTR_FORWARD] = "pointer-not-backwards",
	[WIRE_E_PTR_HOPS] = "pointer-hops",
	[WIRE_E_LABEL_TYPE] = "label-type",
	[WIRE_E_TRUNCATED_RR] = "truncated-rr",
	[WIRE_E_COUNTS] = "counts",
	[WIRE_E_A_RDLENGTH] = "a-rdlength",
	[WIRE_E_AAAA_RDLENGTH] = "aaaa-rdlength",
	[WIRE_E_RDATA_NAME] = "rdata-name",
	[WIRE_E_CNAME_LOOP] = "cname-loop",
	[WIRE_E_CNAME_CHAIN] = "cname-chain-too-long",
	[WIRE_E_TOO_MANY_ADDRS] = "too-many-addresses",
};

const char *wire_strerror(enum wire_err e)
{
	if ((unsigned)e >= WIRE_E__COUNT || !wire_errs[e])
		return "unknown";
	return wire_errs[e];
}

/* ---- names ------------------------------------------------------------ */

static enum wire_err parse_escape(const char **sp, unsigned *c)
{
	const char *s = *sp;
	if (*s >= '0' && *s <= '9') {
		unsigned v = 0;
		for (int i = 0; i < 3; i++) {
			if (s[i] < '0' || s[i] > '9')
				return WIRE_E_BAD_ESCAPE;
			v = v * 10 + (unsigned)(s[i] - '0');
		}
		if (v > 255)
			return WIRE_E_BAD_ESCAPE;
		*c = v;
		*sp = s + 3;
		return WIRE_OK;
	}
	if (*s == '\0')
		return WIRE_E_BAD_ESCAPE;
	*c = (unsigned char)*s;
	*sp = s + 1;
	return WIRE_OK;
}

enum wire_err wire_name_from_text(const char *text, uint8_t *out,
				  size_t *outlen, bool *absolute)
{
	*absolute = false;
	if (!text || !*text)
		return WIRE_E_EMPTY_NAME;
	if (text[0] == '.' && text[1] == '\0') {
		out[0] = 0;
		*outlen = 1;
		*absolute = true;
		return WIRE_OK;
	}
	size_t lab = 0, o = 1;
	unsigned llen = 0;
	const char *s = text;
	while (*s) {
		unsigned c = (unsigned char)*s++;
		if (c == '.') {
			/* RFC 1035 2.3.1: labels are not empty; only the
			 * root is written as a lone dot. */
			if (llen == 0)
				return WIRE_E_EMPTY_LABEL;
			out[lab] = (uint8_t)llen;
			if (*s == '\0') {
				*absolute = true;
				break;
			}
			if (o >= WIRE_NAME_MAX - 2)
				return WIRE_E_NAME_LONG;
			lab = o++;
			llen = 0;
			continue;
		}
		if (c == '\\') {
			enum wire_err e = parse_escape(&s, &c);
			if (e)
				return e;
		}
		if (llen == WIRE_LABEL_MAX)
			return WIRE_E_LABEL_LONG;
		/* keep room for the root label */
		if (o >= WIRE_NAME_MAX - 1)
			return WIRE_E_NAME_LONG;
		out[o++] = (uint8_t)c;
		llen++;
	}
	if (!*absolute) {
		if (llen == 0)
			return WIRE_E_EMPTY_LABEL;
		out[lab] = (uint8_t)llen;
	}
	out[o++] = 0;
	*outlen = o;
	return WIRE_OK;
}

/* Length of a well-formed uncompressed wire name, 0 if malformed. */
static size_t name_len(const uint8_t *n)
{
	size_t o = 0;
	while (o < WIRE_NAME_MAX) {
		uint8_t l = n[o];
		if (l == 0)
			return o + 1;
		if (l > WIRE_LABEL_MAX)
			return 0;
		o += 1u + l;
	}
	return 0;
}

enum wire_err wire_name_concat(const uint8_t *a, size_t alen,
			       const uint8_t *b, size_t blen, uint8_t *out,
			       size_t *outlen)
{
	if (alen == 0 || blen == 0)
		return WIRE_E_EMPTY_NAME;
	if (alen - 1 + blen > WIRE_NAME_MAX)
		return WIRE_E_NAME_LONG;
	memmove(out, a, alen - 1);
	memmove(out + alen - 1, b, blen);
	*outlen = alen - 1 + blen;
	return WIRE_OK;
}

unsigned wire_name_labels(const uint8_t *name)
{
	unsigned n = 0;
	size_t o = 0;
	while (o < WIRE_NAME_MAX && name[o] != 0) {
		o += 1u + name[o];
		n++;
	}
	return n;
}

static inline uint8_t lc(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

bool wire_name_equal(const uint8_t *a, const uint8_t *b)
{
	size_t o = 0;
	while (o < WIRE_NAME_MAX) {
		uint8_t l = a[o];
		if (l != b[o])
			return false;
		if (l == 0)
			return true;
		for (size_t i = 1; i <= l; i++) {
			if (o + i >= WIRE_NAME_MAX || lc(a[o + i]) != lc(b[o + i]))
				return false;
		}
		o += 1u + l;
	}
	return false;
}

bool wire_name_to_text(const uint8_t *name, char *buf, size_t len)
{
	size_t o = 0, p = 0;
	if (len < 2)
		return false;
	if (name[0] == 0) {
		buf[0] = '.';
		buf[1] = '\0';
		return true;
	}
	while (p < WIRE_NAME_MAX && name[p] != 0) {
		uint8_t l = name[p];
		if (p != 0) {
			if (o + 1 >= len)
				return false;
			buf[o++] = '.';
		}
		for (size_t i = 1; i <= l; i++) {
			uint8_t c = p + i < WIRE_NAME_MAX ? name[p + i] : 0;
			if (c <= 0x20 || c >= 0x7f || c == '.' || c == '\\') {
				if (o + 4 >= len)
					return false;
				buf[o++] = '\\';
				buf[o++] = (char)('0' + c / 100);
				buf[o++] = (char)('0' + c / 10 % 10);
				buf[o++] = (char)('0' + c % 10);
			} else {
				if (o + 1 >= len)
					return false;
				buf[o++] = (char)c;
			}
		}
		p += 1u + l;
	}
	buf[o] = '\0';
	return true;
}

/* Reads a possibly compressed name starting at off.  Writes the
 * uncompressed form to out and the offset just past the name as stored at
 * off to *next.  RFC 1035 4.1.4 pointers must point strictly before the
 * start of the segment being read, so every jump goes backwards and no
 * loop is possible; the hop limit bounds the work anyway. */
static enum wire_err read_name(const uint8_t *msg, size_t len, size_t off,
			       uint8_t *out, size_t *next)
{
	size_t p = off, seg = off, o = 0;
	unsigned hops = 0;
	bool jumped = false;
	for (;;) {
		if (p >= len)
			return WIRE_E_TRUNCATED_NAME;
		uint8_t b = msg[p];
		if ((b & 0xc0) == 0xc0) {
			if (p + 1 >= len)
				return WIRE_E_TRUNCATED_NAME;
			size_t t = ((size_t)(b & 0x3f) << 8) | msg[p + 1];
			if (!jumped) {
				*next = p + 2;
				jumped = true;
			}
			if (t >= seg || t < WIRE_HDR_LEN)
				return WIRE_E_PTR_FORWARD;
			if (++hops > WIRE_PTR_HOPS)
				return WIRE_E_PTR_HOPS;
			p = seg = t;
			continue;
		}
		if (b & 0xc0)
			return WIRE_E_LABEL_TYPE;
		if (b == 0) {
			out[o++] = 0;
			if (!jumped)
				*next = p + 1;
			return WIRE_OK;
		}
		if (p + 1 + b > len)
			return WIRE_E_TRUNCATED_NAME;
		/* label, its length octet and the root must fit in 255 */
		if (o + 1 + b + 1 > WIRE_NAME_MAX)
			return WIRE_E_NAME_LONG;
		memcpy(out + o, msg + p, 1u + b);
		o += 1u + b;
		p += 1u + b;
	}
}

/* ---- query ------------------------------------------------------------ */

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void wire_set_id(uint8_t *msg, uint16_t id)
{
	put16(msg, id);
}

size_t wire_build_query(uint8_t *buf, size_t cap, uint16_t id,
			const uint8_t *qname, uint16_t qtype, bool edns,
			bool ad)
{
	size_t nl = name_len(qname);
	if (nl == 0 || cap < WIRE_HDR_LEN + nl + 4 + (edns ? 11u : 0u))
		return 0;
	memset(buf, 0, WIRE_HDR_LEN);
	put16(buf, id);
	/* RD (RFC 1035 4.1.1); AD in queries asks for the AD bit back
	 * (RFC 6840 5.7), which glibc does for options trust-ad. */
	buf[2] = 0x01;
	buf[3] = ad ? 0x20 : 0x00;
	put16(buf + 4, 1);
	put16(buf + 10, edns ? 1 : 0);
	size_t o = WIRE_HDR_LEN;
	memcpy(buf + o, qname, nl);
	o += nl;
	put16(buf + o, qtype);
	put16(buf + o + 2, WIRE_CLASS_IN);
	o += 4;
	if (edns) {
		/* RFC 6891 6.1.2: root owner, TYPE OPT, CLASS = payload
		 * size, TTL = extended RCODE, version 0, flags 0. */
		buf[o++] = 0;
		put16(buf + o, WIRE_T_OPT);
		put16(buf + o + 2, WIRE_EDNS_PAYLOAD);
		memset(buf + o + 4, 0, 6);
		o += 10;
	}
	return o;
}

/* ---- reply ------------------------------------------------------------ */

struct rr {
	uint8_t owner[WIRE_NAME_MAX];
	uint16_t type, class;
	size_t rdoff;
	uint16_t rdlen;
};

/* Reads one RR header at *off (owner, type, class, ttl, rdlength) and
 * checks that its rdata lies inside the message. */
static enum wire_err read_rr(const uint8_t *msg, size_t len, size_t *off,
			     struct rr *rr)
{
	size_t p;
	if (*off >= len)
		return WIRE_E_COUNTS; /* a count promised more records */
	enum wire_err e = read_name(msg, len, *off, rr->owner, &p);
	if (e)
		return e;
	if (p + 10 > len)
		return WIRE_E_TRUNCATED_RR;
	rr->type = wire_get16(msg + p);
	rr->class = wire_get16(msg + p + 2);
	rr->rdlen = wire_get16(msg + p + 8);
	rr->rdoff = p + 10;
	if (rr->rdoff + rr->rdlen > len)
		return WIRE_E_TRUNCATED_RR;
	*off = rr->rdoff + rr->rdlen;
	return WIRE_OK;
}

/* rdata that is exactly one domain name (CNAME, PTR; RFC 1035 3.3). */
static enum wire_err rdata_name(const uint8_t *msg, const struct rr *rr,
				uint8_t *out)
{
	size_t next;
	/* Bound the name by the rdata: it must not run past rdlength. */
	enum wire_err e = read_name(msg, rr->rdoff + rr->rdlen, rr->rdoff, out,
				    &next);
	if (e == WIRE_E_TRUNCATED_NAME || (e == WIRE_OK &&
					   next != rr->rdoff + rr->rdlen))
		return WIRE_E_RDATA_NAME;
	return e;
}

static enum wire_err check_rr(const uint8_t *msg, const struct rr *rr)
{
	uint8_t tmp[WIRE_NAME_MAX];
	if (rr->class != WIRE_CLASS_IN)
		return WIRE_OK;
	switch (rr->type) {
	case WIRE_T_A:
		return rr->rdlen == 4 ? WIRE_OK : WIRE_E_A_RDLENGTH;
	case WIRE_T_AAAA:
		return rr->rdlen == 16 ? WIRE_OK : WIRE_E_AAAA_RDLENGTH;
	case WIRE_T_CNAME:
	case WIRE_T_PTR:
		return rdata_name(msg, rr, tmp);
	default:
		return WIRE_OK;
	}
}

static enum wire_err check_question(const uint8_t *msg, size_t len,
				    const struct wire_question *q,
				    size_t *off)
{
	uint8_t name[WIRE_NAME_MAX];
	enum wire_err e = read_name(msg, len, WIRE_HDR_LEN, name, off);
	if (e)
		return e;
	if (*off + 4 > len)
		return WIRE_E_TRUNCATED_RR;
	if (!wire_name_equal(name, q->qname) ||
	    wire_get16(msg + *off) != q->qtype ||
	    wire_get16(msg + *off + 2) != WIRE_CLASS_IN)
		return WIRE_E_QUESTION;
	*off += 4;
	return WIRE_OK;
}

/* Follows the CNAME chain from the qname (RFC 1034 3.6.2) and leaves the
 * final owner in r->canon.  Records are looked up in answer order; a link
 * may appear anywhere in the section, each lookup rescans it, bounded by
 * WIRE_CNAME_MAX links. */
static enum wire_err follow_cnames(const uint8_t *msg, size_t len,
				   size_t an_off, unsigned ancount,
				   const uint8_t *qname, struct wire_reply *r)
{
	uint8_t chain[WIRE_CNAME_MAX + 1][WIRE_NAME_MAX];
	size_t nl = name_len(qname);
	memcpy(chain[0], qname, nl);
	unsigned hops = 0;
	for (;;) {
		size_t off = an_off;
		bool found = false;
		for (unsigned i = 0; i < ancount; i++) {
			struct rr rr;
			enum wire_err e = read_rr(msg, len, &off, &rr);
			if (e)
				return e;
			if (rr.type != WIRE_T_CNAME || rr.class != WIRE_CLASS_IN ||
			    !wire_name_equal(rr.owner, chain[hops]))
				continue;
			uint8_t target[WIRE_NAME_MAX];
			e = rdata_name(msg, &rr, target);
			if (e)
				return e;
			for (unsigned j = 0; j <= hops; j++)
				if (wire_name_equal(target, chain[j]))
					return WIRE_E_CNAME_LOOP;
			if (hops == WIRE_CNAME_MAX)
				return WIRE_E_CNAME_CHAIN;
			hops++;
			memcpy(chain[hops], target, name_len(target));
			found = true;
			break;
		}
		if (!found)
			break;
	}
	r->cname_hops = hops;
	memcpy(r->canon, chain[hops], name_len(chain[hops]));
	return WIRE_OK;
}

static enum wire_err collect(const uint8_t *msg, size_t len, size_t an_off,
			     unsigned ancount, uint16_t qtype,
			     struct wire_reply *r, struct dns_addr *addrs,
			     size_t max)
{
	size_t off = an_off;
	for (unsigned i = 0; i < ancount; i++) {
		struct rr rr;
		enum wire_err e = read_rr(msg, len, &off, &rr);
		if (e)
			return e;
		/* Records of other owners or other types are ignored
		 * (RFC 1034 3.6.2: only the final name's data counts). */
		if (rr.class != WIRE_CLASS_IN || rr.type != qtype ||
		    !wire_name_equal(rr.owner, r->canon))
			continue;
		if (qtype == WIRE_T_PTR) {
			if (!r->has_ptr) {
				e = rdata_name(msg, &rr, r->ptr);
				if (e)
					return e;
				r->has_ptr = true;
			}
			continue;
		}
		if (r->naddrs == max)
			return WIRE_E_TOO_MANY_ADDRS;
		struct dns_addr *a = &addrs[r->naddrs++];
		memset(a, 0, sizeof *a);
		a->family = qtype == WIRE_T_A ? AF_INET : AF_INET6;
		memcpy(a->addr, msg + rr.rdoff, rr.rdlen);
	}
	return WIRE_OK;
}

enum wire_err wire_decode_reply(const uint8_t *msg, size_t len,
				const struct wire_question *q,
				struct wire_reply *r, struct dns_addr *addrs,
				size_t max)
{
	memset(r, 0, offsetof(struct wire_reply, canon));
	r->has_ptr = false;
	r->canon[0] = 0;
	r->ptr[0] = 0;
	if (len < WIRE_HDR_LEN)
		return WIRE_E_SHORT;
	r->id = wire_get16(msg);
	r->rcode = msg[3] & 0x0f;
	r->tc = msg[2] & 0x02;
	r->aa = msg[2] & 0x04;
	r->ra = msg[3] & 0x80;
	r->ad = msg[3] & 0x20;
	if (!(msg[2] & 0x80))
		return WIRE_E_NOT_RESPONSE;
	if (((msg[2] >> 3) & 0x0f) != 0)
		return WIRE_E_OPCODE;
	unsigned qd = wire_get16(msg + 4), an = wire_get16(msg + 6),
		 ns = wire_get16(msg + 8), ar = wire_get16(msg + 10);
	if (qd == 0 && r->rcode == WIRE_R_FORMERR && q->allow_formerr_noq)
		return WIRE_OK;
	/* glibc res_send.c (bug 31890): some recursive resolvers send
	 * SERVFAIL, NOTIMP and REFUSED as a bare header without the question.
	 * Waiting out the timeout for a reply that never comes helps nobody;
	 * such a reply (address, port and ID already matched) carries only its
	 * rcode, which can do no more than move the lookup on to the next
	 * server -- as one with the question would.  No record is read. */
	if (qd == 0 && an == 0 && ns == 0 && ar == 0 &&
	    (r->rcode == WIRE_R_SERVFAIL || r->rcode == WIRE_R_NOTIMP ||
	     r->rcode == WIRE_R_REFUSED))
		return WIRE_OK;
	if (qd != 1)
		return WIRE_E_QDCOUNT;
	size_t off;
	enum wire_err e = check_question(msg, len, q, &off);
	if (e)
		return e;
	r->has_question = true;
	/* RFC 2181 9: a truncated reply is only a signal to retry over TCP;
	 * nothing past the question is trusted or even looked at. */
	if (r->tc)
		return WIRE_OK;
	size_t an_off = off;
	unsigned total = an + ns + ar;
	for (unsigned i = 0; i < total; i++) {
		struct rr rr;
		e = read_rr(msg, len, &off, &rr);
		if (e)
			return e;
		e = check_rr(msg, &rr);
		if (e)
			return e;
	}
	e = follow_cnames(msg, len, an_off, an, q->qname, r);
	if (e)
		return e;
	if (r->rcode != WIRE_R_NOERROR)
		return WIRE_OK;
	return collect(msg, len, an_off, an, q->qtype, r, addrs, max);
}
