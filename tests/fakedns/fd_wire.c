/*
 * fakedns wire helpers (see fd_wire.h).  RFC 1035 §4.1 message format,
 * RFC 6891 OPT.  Strict: anything that does not parse is FORMERR or dropped.
 */
#include "fd_wire.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static unsigned rd16(const uint8_t *p)
{
	return ((unsigned)p[0] << 8) | p[1];
}

/* Append label bytes of one label to presentation text, escaped (RFC 4343
 * style \DDD for dots, backslashes and non-printables), lower-cased. */
static int label_to_pres(const uint8_t *l, size_t ll, char *out, size_t *o,
			 size_t cap)
{
	size_t i;

	for (i = 0; i < ll; i++) {
		unsigned c = l[i];

		if (*o + 5 >= cap)
			return -1;
		if (c == '.' || c == '\\' || c <= 0x20 || c >= 0x7f) {
			snprintf(out + *o, 5, "\\%03u", c);
			*o += 4;
		} else {
			out[(*o)++] = (char)tolower((int)c);
		}
	}
	return 0;
}

static int wire_to_pres(const uint8_t *w, char *out, size_t cap)
{
	size_t o = 0, i = 0;

	while (w[i] != 0) {
		if (o != 0) {
			if (o + 1 >= cap)
				return -1;
			out[o++] = '.';
		}
		if (label_to_pres(w + i + 1, w[i], out, &o, cap) < 0)
			return -1;
		i += 1 + (size_t)w[i];
	}
	out[o] = '\0';
	return 0;
}

int fdw_pres_to_wire(const char *in, uint8_t *wire, size_t cap)
{
	size_t wl = 0, lab = 0;
	const char *s = in;

	if (cap < 1)
		return -1;
	if (strcmp(in, ".") == 0 || *in == '\0') {
		wire[0] = 0;
		return 1;
	}
	wire[0] = 0;
	wl = 1;
	while (*s != '\0') {
		unsigned c = (unsigned char)*s++;

		if (c == '.') {
			if (wire[lab] == 0)
				return -1;	/* empty label */
			if (*s == '\0')
				break;		/* trailing dot */
			lab = wl;
			if (wl >= cap)
				return -1;
			wire[wl++] = 0;
			continue;
		}
		if (c == '\\') {
			if (isdigit((unsigned char)s[0]) &&
			    isdigit((unsigned char)s[1]) &&
			    isdigit((unsigned char)s[2])) {
				c = (unsigned)(s[0] - '0') * 100 +
				    (unsigned)(s[1] - '0') * 10 +
				    (unsigned)(s[2] - '0');
				if (c > 255)
					return -1;
				s += 3;
			} else if (*s != '\0') {
				c = (unsigned char)*s++;
			} else {
				return -1;
			}
		}
		if (wire[lab] == 63 || wl >= cap || wl >= 254)
			return -1;
		wire[lab]++;
		wire[wl++] = (uint8_t)c;
	}
	if (wl >= cap || wl > 254)
		return -1;
	wire[wl++] = 0;
	return (int)wl;
}

int fdw_canon(const char *in, char *out, size_t n)
{
	uint8_t w[256];

	if (fdw_pres_to_wire(in, w, sizeof(w)) < 0)
		return -1;
	return wire_to_pres(w, out, n);
}

/* Read a possibly compressed name at *off into uncompressed wire form.
 * Pointers must go strictly backwards (so no loop can exist) and the
 * total is bounded by 255 octets (RFC 1035 §3.1). */
static int read_name(const uint8_t *p, size_t n, size_t *off, uint8_t *w)
{
	size_t i = *off, wl = 0, end = 0;
	int jumped = 0;

	for (;;) {
		unsigned c;

		if (i >= n)
			return -1;
		c = p[i];
		if ((c & 0xc0) == 0xc0) {
			size_t t;

			if (i + 1 >= n)
				return -1;
			t = ((c & 0x3fu) << 8) | p[i + 1];
			if (t >= i)
				return -1;
			if (!jumped)
				end = i + 2;
			jumped = 1;
			i = t;
			continue;
		}
		if (c & 0xc0)
			return -1;	/* 0x40/0x80: obsolete label types */
		if (c == 0) {
			if (wl + 1 > 255)
				return -1;
			w[wl++] = 0;
			*off = jumped ? end : i + 1;
			return (int)wl;
		}
		if (i + 1 + c > n || wl + 1 + c + 1 > 255)
			return -1;
		memcpy(w + wl, p + i, 1 + (size_t)c);
		wl += 1 + (size_t)c;
		i += 1 + (size_t)c;
	}
}

/* Skip one resource record's owner name without decoding it. */
static int skip_rr(const uint8_t *p, size_t n, size_t *off, unsigned *type,
		   unsigned *class, size_t *rdoff, unsigned *rdlen)
{
	uint8_t w[256];

	if (read_name(p, n, off, w) < 0 || *off + 10 > n)
		return -1;
	*type = rd16(p + *off);
	*class = rd16(p + *off + 2);
	*rdlen = rd16(p + *off + 8);
	*rdoff = *off + 10;
	if (*rdoff + *rdlen > n)
		return -1;
	*off = *rdoff + *rdlen;
	return 0;
}

/* Walk answer/authority/additional; remember the OPT RR (RFC 6891 §6.1.1:
 * at most one, owner root, only in the additional section). */
static int parse_rest(const uint8_t *p, size_t n, size_t off,
		      struct fdw_query *q)
{
	unsigned an = rd16(p + 6), ns = rd16(p + 8), ar = rd16(p + 10);
	unsigned i, total = an + ns + ar;

	for (i = 0; i < total; i++) {
		unsigned type, class, rdlen;
		size_t start = off, rdoff;

		if (skip_rr(p, n, &off, &type, &class, &rdoff, &rdlen) < 0)
			return -1;
		if (type != FDW_T_OPT)
			continue;
		if (i < an + ns || q->edns || p[start] != 0)
			return -1;
		q->edns = 1;
		q->edns_size = (uint16_t)class;
	}
	return 0;
}

enum fdw_verdict fdw_parse_query(const uint8_t *p, size_t n,
				 struct fdw_query *q)
{
	uint8_t w[256];
	size_t off = FDW_HDR;
	int wl;

	memset(q, 0, sizeof(*q));
	if (n < FDW_HDR)
		return FDW_DROP;
	q->id = (uint16_t)rd16(p);
	q->flags = (uint16_t)rd16(p + 2);
	if (q->flags & FDW_F_QR)
		return FDW_DROP;	/* never answer an answer */
	if (((q->flags >> 11) & 0xf) != 0)
		return FDW_NOTIMP;
	if (rd16(p + 4) != 1)
		return FDW_FORMERR;
	wl = read_name(p, n, &off, w);
	if (wl < 0 || off + 4 > n)
		return FDW_FORMERR;
	if (wire_to_pres(w, q->qname, sizeof(q->qname)) < 0)
		return FDW_FORMERR;
	memcpy(q->qwire, w, (size_t)wl);
	memcpy(q->qwire + wl, p + off, 4);
	q->qwire_len = (size_t)wl + 4;
	q->qtype = (uint16_t)rd16(p + off);
	q->qclass = (uint16_t)rd16(p + off + 2);
	off += 4;
	if (q->qtype == FDW_T_OPT || parse_rest(p, n, off, q) < 0)
		return FDW_FORMERR;
	return FDW_OK;
}

void fdw_init(struct fdw_buf *b, uint8_t *p, size_t cap)
{
	b->p = p;
	b->cap = cap;
	b->len = 0;
	b->err = 0;
	b->ncomp = 0;
	b->arena_len = 0;
}

void fdw_bytes(struct fdw_buf *b, const void *d, size_t n)
{
	if (b->err || n > b->cap - b->len) {
		b->err = 1;
		return;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

void fdw_u8(struct fdw_buf *b, unsigned v)
{
	uint8_t x = (uint8_t)v;

	fdw_bytes(b, &x, 1);
}

void fdw_u16(struct fdw_buf *b, unsigned v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	fdw_bytes(b, x, 2);
}

void fdw_u32(struct fdw_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	fdw_bytes(b, x, 4);
}

void fdw_set_u16(struct fdw_buf *b, size_t off, unsigned v)
{
	if (off + 2 > b->len)
		return;
	b->p[off] = (uint8_t)(v >> 8);
	b->p[off + 1] = (uint8_t)v;
}

static size_t wire_len(const uint8_t *w)
{
	size_t i = 0;

	while (w[i] != 0)
		i += 1 + (size_t)w[i];
	return i + 1;
}

static int suffix_eq(const uint8_t *a, const uint8_t *b)
{
	size_t la = wire_len(a), lb = wire_len(b), i;

	if (la != lb)
		return 0;
	for (i = 0; i < la; i++)
		if (tolower(a[i]) != tolower(b[i]))
			return 0;
	return 1;
}

static void comp_put(struct fdw_buf *b, const uint8_t *suffix, size_t off)
{
	size_t l = wire_len(suffix);

	if (suffix[0] == 0 || off >= 0x4000 || b->ncomp >= FDW_COMP_MAX ||
	    l > sizeof(b->arena) - b->arena_len)
		return;
	memcpy(b->arena + b->arena_len, suffix, l);
	b->comp[b->ncomp].off = (uint16_t)off;
	b->comp[b->ncomp].arena = (uint16_t)b->arena_len;
	b->ncomp++;
	b->arena_len += l;
}

static int comp_find(const struct fdw_buf *b, const uint8_t *suffix)
{
	size_t i;

	for (i = 0; i < b->ncomp; i++) {
		const uint8_t *s = (const uint8_t *)b->arena + b->comp[i].arena;

		if (suffix_eq(s, suffix))
			return b->comp[i].off;
	}
	return -1;
}

void fdw_name(struct fdw_buf *b, const char *name)
{
	uint8_t w[256];
	size_t i = 0;

	if (fdw_pres_to_wire(name, w, sizeof(w)) < 0) {
		b->err = 1;
		return;
	}
	while (w[i] != 0) {
		int off = comp_find(b, w + i);

		if (off >= 0) {
			fdw_u16(b, 0xc000u | (unsigned)off);
			return;
		}
		comp_put(b, w + i, b->len);
		fdw_bytes(b, w + i, 1 + (size_t)w[i]);
		i += 1 + (size_t)w[i];
	}
	fdw_u8(b, 0);
}

void fdw_comp_add(struct fdw_buf *b, const char *name, size_t off)
{
	uint8_t w[256];
	size_t i = 0;

	if (fdw_pres_to_wire(name, w, sizeof(w)) < 0)
		return;
	while (w[i] != 0) {
		comp_put(b, w + i, off + i);
		i += 1 + (size_t)w[i];
	}
}

void fdw_mark(const struct fdw_buf *b, struct fdw_mark *m)
{
	m->len = b->len;
	m->ncomp = b->ncomp;
	m->arena_len = b->arena_len;
	m->err = b->err;
}

void fdw_rewind(struct fdw_buf *b, const struct fdw_mark *m)
{
	b->len = m->len;
	b->ncomp = m->ncomp;
	b->arena_len = m->arena_len;
	b->err = m->err;
}
