/*
 * fakedns answer builder (see fd_answer.h).
 */
#include "fd_answer.h"

#include <ctype.h>
#include <string.h>

#define FDA_CNAME_HOPS 8
#define FDA_CLASS_IN 1
#define FDA_CLASS_ANY 255
#define FDA_MAX_MSG 65535u

struct ctx {
	struct fdw_buf *b;
	size_t limit;		/* bytes available for header..answers */
	uint32_t ttl_override;
	int has_ttl;
	int rotate;
	int tc;
	unsigned an;
	const struct fdz_zone *z;
};

size_t fda_udp_limit(const struct fdw_query *q, const struct fdz_behav *b)
{
	size_t edns = q->edns ? (q->edns_size < 512 ? 512 : q->edns_size) : 0;

	if (fdz_has(b, FAKEDNS_OVERSIZED))
		return FDA_MAX_MSG;
	if (fdz_has(b, FAKEDNS_TRUNCATE_NOEDNS))
		return b->arg[FAKEDNS_TRUNCATE_NOEDNS] ?
		       b->arg[FAKEDNS_TRUNCATE_NOEDNS] : 512;
	if (edns)
		return edns;	/* RFC 6891 §6.2.5: honour the requestor */
	if (fdz_has(b, FAKEDNS_TRUNCATE))
		return b->arg[FAKEDNS_TRUNCATE] ? b->arg[FAKEDNS_TRUNCATE]
						: 512;
	return 512;
}

static uint32_t ttl_of(const struct ctx *c, const struct fdz_name *e,
		      unsigned type)
{
	int rr = type == FDW_T_A ? FDZ_RR_A : type == FDW_T_AAAA ? FDZ_RR_AAAA :
		 type == FDW_T_CNAME ? FDZ_RR_CNAME : FDZ_RR_PTR;

	if (c->has_ttl)
		return c->ttl_override;
	return e->ttl[rr] ? e->ttl[rr] : c->z->ttl;
}

/* Commit the record just written, or undo it and mark TC if it overflows
 * the limit: a truncated answer carries only whole records. */
static int commit(struct ctx *c, const struct fdw_mark *m)
{
	if (c->b->err || c->b->len > c->limit) {
		fdw_rewind(c->b, m);
		c->tc = 1;
		return -1;
	}
	c->an++;
	return 0;
}

static int put_data(struct ctx *c, const char *owner, unsigned type,
		    uint32_t ttl, const void *d, size_t n)
{
	struct fdw_mark m;

	if (c->tc)
		return -1;
	fdw_mark(c->b, &m);
	fdw_name(c->b, owner);
	fdw_u16(c->b, type);
	fdw_u16(c->b, FDA_CLASS_IN);
	fdw_u32(c->b, ttl);
	fdw_u16(c->b, (unsigned)n);
	fdw_bytes(c->b, d, n);
	return commit(c, &m);
}

static int put_name(struct ctx *c, const char *owner, unsigned type,
		    uint32_t ttl, const char *target)
{
	struct fdw_mark m;
	size_t rdlen_at;

	if (c->tc)
		return -1;
	fdw_mark(c->b, &m);
	fdw_name(c->b, owner);
	fdw_u16(c->b, type);
	fdw_u16(c->b, FDA_CLASS_IN);
	fdw_u32(c->b, ttl);
	rdlen_at = c->b->len;
	fdw_u16(c->b, 0);
	fdw_name(c->b, target);
	if (!c->b->err)
		fdw_set_u16(c->b, rdlen_at, (unsigned)(c->b->len - rdlen_at - 2));
	return commit(c, &m);
}

/* n addresses of alen bytes; with rotate, start one further each time. */
static void put_addrs(struct ctx *c, struct fdz_name *e, unsigned type,
		      const uint8_t *arr, size_t n, size_t alen)
{
	size_t start = 0, i;

	if (n == 0)
		return;
	if (c->rotate)
		start = e->rot++ % n;
	for (i = 0; i < n; i++)
		if (put_data(c, e->name, type, ttl_of(c, e, type),
			     arr + ((start + i) % n) * alen, alen) < 0)
			return;
}

static void put_rrset(struct ctx *c, struct fdz_name *e, unsigned qtype)
{
	size_t i;
	int any = qtype == FDW_T_ANY;

	if (qtype == FDW_T_A || any)
		put_addrs(c, e, FDW_T_A, (const uint8_t *)e->a, e->na, 4);
	if (qtype == FDW_T_AAAA || any)
		put_addrs(c, e, FDW_T_AAAA, (const uint8_t *)e->aaaa,
			  e->naaaa, 16);
	if (qtype == FDW_T_PTR || any)
		for (i = 0; i < e->nptr; i++)
			if (put_name(c, e->name, FDW_T_PTR, ttl_of(c, e, FDW_T_PTR),
				     e->ptr[i]) < 0)
				return;
	if ((qtype == FDW_T_CNAME || any) && e->cname)
		put_name(c, e->name, FDW_T_CNAME, ttl_of(c, e, FDW_T_CNAME), e->cname);
}

/* RFC 1034 §4.3.2 step 3: follow CNAMEs inside our data, bounded. */
static int resolve(struct ctx *c, struct fdz_zone *z, const struct fdw_query *q)
{
	const char *cur = q->qname;
	unsigned hops;

	for (hops = 0; hops <= FDA_CNAME_HOPS; hops++) {
		struct fdz_name *e = fdz_find(z, cur);

		if (!fdz_exists(e))
			return hops == 0 ? FDW_R_NXDOMAIN : FDW_R_NOERROR;
		if (e->cname && q->qtype != FDW_T_CNAME &&
		    q->qtype != FDW_T_ANY) {
			if (put_name(c, e->name, FDW_T_CNAME,
				     ttl_of(c, e, FDW_T_CNAME),
				     e->cname) < 0)
				return FDW_R_NOERROR;
			cur = e->cname;
			continue;
		}
		put_rrset(c, e, q->qtype);
		return FDW_R_NOERROR;
	}
	return FDW_R_NOERROR;
}

static int forced_rcode(const struct fdw_query *q, const struct fdz_behav *b)
{
	if (fdz_has(b, FAKEDNS_SERVFAIL))
		return FDW_R_SERVFAIL;
	if (fdz_has(b, FAKEDNS_REFUSED))
		return FDW_R_REFUSED;
	if (fdz_has(b, FAKEDNS_NXDOMAIN))
		return FDW_R_NXDOMAIN;
	if (fdz_has(b, FAKEDNS_FORMERR_EDNS) && q->edns)
		return FDW_R_FORMERR;
	if (fdz_has(b, FAKEDNS_NODATA))
		return FDW_R_NOERROR;
	if (q->qclass != FDA_CLASS_IN && q->qclass != FDA_CLASS_ANY)
		return FDW_R_REFUSED;
	return -1;
}

/* The question, echoed verbatim or (wrong-question) with its first
 * character changed so no case-insensitive compare can match it. */
static void put_question(struct fdw_buf *b, const struct fdw_query *q,
			 int wrong)
{
	uint8_t w[sizeof(q->qwire)];
	size_t n = q->qwire_len;

	memcpy(w, q->qwire, n);
	if (wrong && w[0] > 0) {
		w[1] = tolower(w[1]) == 'x' ? 'y' : 'x';
	} else if (wrong) {
		unsigned t = q->qtype == FDW_T_A ? FDW_T_AAAA : FDW_T_A;

		w[n - 4] = (uint8_t)(t >> 8);
		w[n - 3] = (uint8_t)t;
	}
	fdw_bytes(b, w, n);
	if (!wrong)
		fdw_comp_add(b, q->qname, FDW_HDR);
}

/* A record whose owner name is a pointer to itself (RFC 1035 §4.1.4
 * allows only earlier targets; a careless decoder spins forever). */
static void put_loop(struct ctx *c, const struct fdw_query *q)
{
	static const uint8_t v4[4] = { 192, 0, 2, 1 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					0, 0, 0, 0, 0, 0, 0, 1 };
	int six = q->qtype == FDW_T_AAAA;

	fdw_u16(c->b, 0xc000u | (unsigned)c->b->len);
	fdw_u16(c->b, six ? FDW_T_AAAA : FDW_T_A);
	fdw_u16(c->b, FDA_CLASS_IN);
	fdw_u32(c->b, c->has_ttl ? c->ttl_override : c->z->ttl);
	fdw_u16(c->b, six ? 16 : 4);
	fdw_bytes(c->b, six ? v6 : v4, six ? 16 : 4);
	c->an = 1;
}

static void put_opt(struct fdw_buf *b)
{
	fdw_u8(b, 0);			/* root owner */
	fdw_u16(b, FDW_T_OPT);
	fdw_u16(b, FDA_EDNS_PAYLOAD);	/* class = our payload size */
	fdw_u32(b, 0);			/* ext-rcode 0, version 0, no DO */
	fdw_u16(b, 0);
}

static unsigned reply_flags(const struct fdw_query *q, int rcode, int tc)
{
	return FDW_F_QR | FDW_F_AA | FDW_F_RA | (q->flags & FDW_F_RD) |
	       (tc ? FDW_F_TC : 0) | (unsigned)rcode;
}

size_t fda_build(struct fdz_zone *z, const struct fdw_query *q,
		 const struct fdz_behav *b, int tcp, uint8_t *out, size_t cap,
		 struct fda_info *info)
{
	struct fdw_buf *wb, wbs;
	struct ctx c;
	int rcode = forced_rcode(q, b);
	int opt = q->edns && rcode != FDW_R_FORMERR;
	size_t limit = tcp ? FDA_MAX_MSG : fda_udp_limit(q, b);
	size_t short_len = fda_short(q, b, out, cap, info);

	if (short_len)
		return short_len;
	wb = &wbs;
	fdw_init(wb, out, cap < FDA_MAX_MSG ? cap : FDA_MAX_MSG);
	memset(&c, 0, sizeof(c));
	c.b = wb;
	c.z = z;
	c.limit = limit > wb->cap ? wb->cap : limit;
	c.limit = c.limit > (opt ? 11u : 0u) ? c.limit - (opt ? 11 : 0) : 0;
	c.has_ttl = fdz_has(b, FAKEDNS_TTL);
	c.ttl_override = b->arg[FAKEDNS_TTL];
	c.rotate = fdz_has(b, FAKEDNS_ROTATE);

	fdw_u16(wb, fdz_has(b, FAKEDNS_WRONG_ID) ? q->id ^ 0x5a5au : q->id);
	fdw_u16(wb, 0);
	fdw_u16(wb, 1);
	fdw_u16(wb, 0);
	fdw_u16(wb, 0);
	fdw_u16(wb, 0);
	put_question(wb, q, fdz_has(b, FAKEDNS_WRONG_QUESTION));
	if (rcode < 0 && fdz_has(b, FAKEDNS_PTR_LOOP)) {
		rcode = FDW_R_NOERROR;
		put_loop(&c, q);
	} else if (rcode < 0) {
		rcode = resolve(&c, z, q);
	}
	if (opt) {
		put_opt(wb);
		fdw_set_u16(wb, 10, 1);
	}
	fdw_set_u16(wb, 2, reply_flags(q, rcode, c.tc) &
			       (c.an == 0 && fdz_has(b, FAKEDNS_NODATA_NO_RA) ?
				~(unsigned)FDW_F_RA : ~0u));
	fdw_set_u16(wb, 6, c.an);
	if (wb->err)
		return 0;
	if (info) {
		info->rcode = rcode;
		info->tc = c.tc;
		info->ancount = c.an;
	}
	return wb->len;
}

size_t fda_error(const uint8_t *query, size_t qlen, unsigned rcode,
		 uint8_t *out, size_t cap)
{
	unsigned flags;

	if (qlen < FDW_HDR || cap < FDW_HDR)
		return 0;
	flags = ((unsigned)query[2] << 8) | query[3];
	flags = FDW_F_QR | (flags & 0x7800u) | (flags & FDW_F_RD) | rcode;
	memset(out, 0, FDW_HDR);
	out[0] = query[0];
	out[1] = query[1];
	out[2] = (uint8_t)(flags >> 8);
	out[3] = (uint8_t)flags;
	return FDW_HDR;
}
