/*
 * DNS messages (see wire.h): the query builder and the reply decoder.
 * Everything here is a pure function over a byte buffer; every read is
 * preceded by a bounds check against len.  Names are in wire_name.c.
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
	size_t nl = wire_name_len(qname);
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
 * final owner in r->owner, the canonical name in r->canon.  Records are
 * looked up in answer order; a link may appear anywhere in the section,
 * each lookup rescans it, bounded by WIRE_CNAME_MAX links. */
static enum wire_err follow_cnames(const uint8_t *msg, size_t len,
				   size_t an_off, unsigned ancount,
				   const uint8_t *qname, struct wire_reply *r)
{
	uint8_t chain[WIRE_CNAME_MAX + 1][WIRE_NAME_MAX];
	size_t nl = wire_name_len(qname);
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
			memcpy(chain[hops], target, wire_name_len(target));
			found = true;
			break;
		}
		if (!found)
			break;
	}
	r->cname_hops = hops;
	memcpy(r->owner, chain[hops], wire_name_len(chain[hops]));
	/* glibc (bug 12154; nss_dns gaih_getanswer_slice, getanswer_r)
	 * follows targets that are no host names ("*.example", "-x.example")
	 * for the records but never reports one as the canonical name: it
	 * keeps the last chain name that passes res_hnok. */
	unsigned c = hops;
	while (c > 0 && !wire_name_is_host(chain[c]))
		c--;
	memcpy(r->canon, chain[c], wire_name_len(chain[c]));
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
		    !wire_name_equal(rr.owner, r->owner))
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
	r->owner[0] = 0;
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
