/*
 * gai.conf in glibc syntax (gaiconf_init):
 *   label      <ipv6-prefix>[/len] <value>
 *   precedence <ipv6-prefix>[/len] <value>
 *   scopev4    <::ffff:a.b.c.d>[/96..128] <value> | <a.b.c.d>[/0..32] <value>
 *   reload     yes|no
 * '#' starts a comment anywhere; the first label (precedence) line replaces
 * the whole default label (precedence) table, and ::/0 is appended with the
 * RFC default (label 1, precedence 40) when the file gives none, as glibc
 * does.  Unknown keywords are skipped (glibc does), which lets librfcres
 * add "rfcres-rule9 all|ipv6|none" without disturbing glibc programs.
 */
#include "conf/conf_gai.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_util.h"

/* RFC 6724 section 2.1, sorted by prefix length (longest first). */
#define P6(...) { .s6_addr = { __VA_ARGS__ } }
static const struct conf_policy_row default_precedence[] = {
	{ P6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), 128, 50 },
	{ P6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff), 96, 35 },
	{ P6(0), 96, 1 },
	{ P6(0x20, 0x01), 32, 5 },
	{ P6(0x20, 0x02), 16, 30 },
	{ P6(0x3f, 0xfe), 16, 1 },
	{ P6(0xfe, 0xc0), 10, 1 },
	{ P6(0xfc), 7, 3 },
	{ P6(0), 0, 40 },
};
static const struct conf_policy_row default_label[] = {
	{ P6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), 128, 0 },
	{ P6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff), 96, 4 },
	{ P6(0), 96, 3 },
	{ P6(0x20, 0x01), 32, 5 },
	{ P6(0x20, 0x02), 16, 2 },
	{ P6(0x3f, 0xfe), 16, 12 },
	{ P6(0xfe, 0xc0), 10, 11 },
	{ P6(0xfc), 7, 13 },
	{ P6(0), 0, 1 },
};
#undef P6

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))
#define DEFAULT_LABEL 1       /* ::/0 */
#define DEFAULT_PRECEDENCE 40 /* ::/0 */

static const struct conf_policy policy_default = {
	.label = (struct conf_policy_row *)default_label,
	.nlabel = NROWS(default_label),
	.precedence = (struct conf_policy_row *)default_precedence,
	.nprecedence = NROWS(default_precedence),
	.rule9 = CONF_RULE9_ALL,
};

const struct conf_policy *conf_policy_default(void)
{
	return &policy_default;
}

static bool prefix_match(const struct in6_addr *a, const struct in6_addr *p,
			 unsigned plen)
{
	unsigned full = plen / 8, bits = plen % 8;
	if (memcmp(a->s6_addr, p->s6_addr, full) != 0)
		return false;
	if (bits == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - bits));
	return (a->s6_addr[full] & mask) == (p->s6_addr[full] & mask);
}

/* Longest match.  Parsed tables are sorted longest first, but tables
 * built by hand (tests, the sort simulator) need not be, and a true
 * longest match costs nothing on a dozen rows. */
static const struct conf_policy_row *
lookup(const struct conf_policy_row *rows, size_t n, const struct in6_addr *a)
{
	const struct conf_policy_row *best = NULL;
	for (size_t i = 0; rows && i < n; i++)
		if (prefix_match(a, &rows[i].prefix, rows[i].plen) &&
		    (!best || rows[i].plen > best->plen))
			best = &rows[i];
	return best;
}

int conf_policy_label(const struct conf_policy *p, const struct in6_addr *a)
{
	if (!p)
		p = &policy_default;
	const struct conf_policy_row *r = lookup(p->label, p->nlabel, a);
	return r ? r->value : DEFAULT_LABEL;
}

int conf_policy_precedence(const struct conf_policy *p,
			   const struct in6_addr *a)
{
	if (!p)
		p = &policy_default;
	const struct conf_policy_row *r =
		lookup(p->precedence, p->nprecedence, a);
	return r ? r->value : DEFAULT_PRECEDENCE;
}

int conf_policy_scopev4(const struct conf_policy *p, const struct in6_addr *a)
{
	if (!p)
		p = &policy_default;
	const struct conf_policy_row *r = lookup(p->scopev4, p->nscopev4, a);
	return r ? r->value : -1;
}

/* ---- parsing ------------------------------------------------------- */

struct table {
	struct conf_policy_row *rows;
	size_t n;
};

struct gai_build {
	struct table label, precedence, scopev4;
	const char *file;
	bool oom;
};

static void mask_prefix(struct in6_addr *a, unsigned plen)
{
	for (unsigned i = 0; i < 16; i++) {
		if (plen >= 8) {
			plen -= 8;
			continue;
		}
		a->s6_addr[i] &= (unsigned char)(0xff << (8 - plen));
		plen = 0;
	}
}

static void table_add(struct gai_build *b, struct table *t,
		      const struct in6_addr *prefix, unsigned plen, int value,
		      unsigned lineno)
{
	struct in6_addr pfx = *prefix;
	mask_prefix(&pfx, plen);
	for (size_t i = 0; i < t->n; i++) {
		/* first line for a prefix wins; glibc's order is qsort's */
		if (t->rows[i].plen == plen &&
		    memcmp(&t->rows[i].prefix, &pfx, sizeof pfx) == 0) {
			conf_trace_skip(b->file, lineno, "duplicate_prefix");
			return;
		}
	}
	if (t->n >= CONF_MAXPOLICY) {
		conf_trace_skip(b->file, lineno, "too_many_rows");
		return;
	}
	if ((t->n & (t->n - 1)) == 0) { /* grow at powers of two */
		size_t cap = t->n ? t->n * 2 : 1;
		void *nr = realloc(t->rows, (cap + 1) * sizeof *t->rows);
		if (!nr) {
			b->oom = true;
			return;
		}
		t->rows = nr;
	}
	t->rows[t->n].prefix = pfx;
	t->rows[t->n].plen = plen;
	t->rows[t->n].value = value;
	t->n++;
}

/* "<addr>[/<len>]": splits the token, parses the length (default dflt). */
static bool split_prefix(const char *tok, size_t tl, char *addr, size_t cap,
			 unsigned maxlen, unsigned dflt, unsigned *plen)
{
	const char *slash = memchr(tok, '/', tl);
	size_t al = slash ? (size_t)(slash - tok) : tl;
	if (!conf_tokcpy(addr, cap, tok, al))
		return false;
	*plen = dflt;
	if (slash) {
		unsigned long v;
		if (!conf_parse_uint(slash + 1, tl - al - 1, maxlen, &v))
			return false;
		*plen = (unsigned)v;
	}
	return true;
}

static bool parse_value(const char *tok, size_t tl, int *value)
{
	unsigned long v;
	if (!conf_parse_uint(tok, tl, INT_MAX, &v))
		return false;
	*value = (int)v;
	return true;
}

static bool prefix_line(struct gai_build *b, struct table *t,
			const char *v1, size_t l1, const char *v2, size_t l2,
			unsigned lineno)
{
	char addr[INET6_ADDRSTRLEN + 8];
	struct in6_addr a;
	unsigned plen;
	int value;
	if (!split_prefix(v1, l1, addr, sizeof addr, 128, 128, &plen) ||
	    inet_pton(AF_INET6, addr, &a) != 1 || !parse_value(v2, l2, &value))
		return false;
	table_add(b, t, &a, plen, value, lineno);
	return true;
}

/* glibc accepts the mapped form with a length of 96..128 (default 128)
 * and the dotted form with 0..32 (default 32); any other IPv6 prefix is
 * rejected. */
static bool scopev4_line(struct gai_build *b, const char *v1, size_t l1,
			 const char *v2, size_t l2, unsigned lineno)
{
	char addr[INET6_ADDRSTRLEN + 8];
	struct in6_addr a;
	unsigned plen;
	int value;
	if (!parse_value(v2, l2, &value))
		return false;
	if (memchr(v1, ':', l1)) {
		if (!split_prefix(v1, l1, addr, sizeof addr, 128, 128, &plen) ||
		    inet_pton(AF_INET6, addr, &a) != 1 ||
		    !IN6_IS_ADDR_V4MAPPED(&a) || plen < 96)
			return false;
	} else {
		struct in_addr a4;
		if (!split_prefix(v1, l1, addr, sizeof addr, 32, 32, &plen) ||
		    inet_pton(AF_INET, addr, &a4) != 1)
			return false;
		memset(&a, 0, sizeof a);
		a.s6_addr[10] = a.s6_addr[11] = 0xff;
		memcpy(&a.s6_addr[12], &a4, 4);
		plen += 96;
	}
	table_add(b, &b->scopev4, &a, plen, value, lineno);
	return true;
}

static bool rule9_line(struct conf_policy *p, const char *v, size_t l)
{
	if (conf_tokeq(v, l, "all"))
		p->rule9 = CONF_RULE9_ALL;
	else if (conf_tokeq(v, l, "ipv6"))
		p->rule9 = CONF_RULE9_IPV6;
	else if (conf_tokeq(v, l, "none"))
		p->rule9 = CONF_RULE9_NONE;
	else
		return false;
	return true;
}

static void parse_line(struct gai_build *b, struct conf_policy *p,
		       struct conf_line *l)
{
	conf_line_strip_comment(l, "#");
	if (l->has_nul) {
		conf_trace_skip(b->file, l->no, "nul_byte");
		return;
	}
	size_t pos = 0, cl, l1 = 0, l2 = 0;
	const char *cmd, *v1 = NULL, *v2 = NULL;
	if (!conf_token(l, &pos, &cmd, &cl))
		return; /* blank or comment */
	bool has1 = conf_token(l, &pos, &v1, &l1);
	bool has2 = has1 && conf_token(l, &pos, &v2, &l2);
	bool ok;
	if (conf_tokeq(cmd, cl, "label"))
		ok = has2 && prefix_line(b, &b->label, v1, l1, v2, l2, l->no);
	else if (conf_tokeq(cmd, cl, "precedence"))
		ok = has2 && prefix_line(b, &b->precedence, v1, l1, v2, l2,
					 l->no);
	else if (conf_tokeq(cmd, cl, "scopev4"))
		ok = has2 && scopev4_line(b, v1, l1, v2, l2, l->no);
	else if (conf_tokeq(cmd, cl, "reload"))
		ok = has1; /* changes are always detected (stat identity) */
	else if (conf_tokeq(cmd, cl, "rfcres-rule9"))
		ok = has1 && rule9_line(p, v1, l1);
	else {
		conf_trace_skip(b->file, l->no, "unknown_keyword");
		return;
	}
	if (!ok)
		conf_trace_skip(b->file, l->no, "malformed");
}

static int row_cmp(const void *x, const void *y)
{
	const struct conf_policy_row *a = x, *b = y;
	if (a->plen != b->plen)
		return a->plen > b->plen ? -1 : 1;
	return memcmp(&a->prefix, &b->prefix, sizeof a->prefix);
}

/* Appends ::/0 (or for scopev4 nothing) and sorts longest prefix first. */
static void finish(struct table *t, int catchall)
{
	bool has_default = false;
	for (size_t i = 0; i < t->n; i++)
		has_default |= t->rows[i].plen == 0;
	if (!has_default && catchall >= 0) {
		/* realloc leaves room for one extra row */
		memset(&t->rows[t->n], 0, sizeof t->rows[t->n]);
		t->rows[t->n].value = catchall;
		t->n++;
	}
	qsort(t->rows, t->n, sizeof *t->rows, row_cmp);
}

static bool copy_default(struct table *t, const struct conf_policy_row *rows,
			 size_t n)
{
	t->rows = malloc(n * sizeof *rows);
	if (!t->rows)
		return false;
	memcpy(t->rows, rows, n * sizeof *rows);
	t->n = n;
	return true;
}

struct conf_policy *conf_policy_parse(const char *text, size_t len,
				      bool present, const char *file)
{
	struct conf_policy *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	struct gai_build b = { .file = file ? file : "gai.conf" };
	p->file_present = present;
	p->rule9 = CONF_RULE9_ALL;
	struct conf_lines it;
	struct conf_line l;
	conf_lines_init(&it, text, len);
	while (!b.oom && conf_lines_next(&it, &l))
		parse_line(&b, p, &l);

	if (!b.oom && b.label.n) {
		finish(&b.label, DEFAULT_LABEL);
		p->label_from_file = true;
	} else if (!b.oom && !copy_default(&b.label, default_label,
					  NROWS(default_label))) {
		b.oom = true;
	}
	if (!b.oom && b.precedence.n) {
		finish(&b.precedence, DEFAULT_PRECEDENCE);
		p->precedence_from_file = true;
	} else if (!b.oom && !copy_default(&b.precedence, default_precedence,
					  NROWS(default_precedence))) {
		b.oom = true;
	}
	if (!b.oom && b.scopev4.n)
		finish(&b.scopev4, -1);
	p->label = b.label.rows;
	p->nlabel = b.label.n;
	p->precedence = b.precedence.rows;
	p->nprecedence = b.precedence.n;
	p->scopev4 = b.scopev4.rows;
	p->nscopev4 = b.scopev4.n;
	if (b.oom) {
		conf_policy_free(p);
		return NULL;
	}
	return p;
}

void conf_policy_free(struct conf_policy *p)
{
	if (!p || p == &policy_default)
		return;
	free(p->label);
	free(p->precedence);
	free(p->scopev4);
	free(p);
}
