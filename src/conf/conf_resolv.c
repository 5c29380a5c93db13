/*
 * resolv.conf parser, glibc semantics (resolv/res_init.c res_vinit_1 and
 * res_setoptions):
 *  - a keyword counts only at the start of a line and must be followed by a
 *    blank; lines starting with '#' or ';' are comments;
 *  - every usable nameserver line is kept in order, only the first MAXNS (3)
 *    are used;
 *  - "domain" and "search" both replace the search list: the last one wins;
 *  - LOCALDOMAIN replaces the search list and makes the file's search/domain
 *    lines ignored; RES_OPTIONS is applied after the file;
 *  - with no search list at all the domain is the part of gethostname()
 *    after the first dot;
 *  - no usable nameserver: the loopback resolver.
 */
#include "conf/conf_resolv.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_util.h"
#include "rfcres.h"
#include "trace.h"

struct resolv_build {
	struct conf_resolv *r;
	const char *file;
	char **search; /* working search list */
	unsigned nsearch;
	bool oom;
};

static void search_clear(struct resolv_build *b)
{
	for (unsigned i = 0; i < b->nsearch; i++)
		free(b->search[i]);
	b->nsearch = 0;
}

/* Adds one search domain.  Names that cannot form a query (> 253 octets
 * without the root dot) are skipped: glibc keeps them and fails later. */
static void search_add(struct resolv_build *b, const char *tok, size_t len,
		       unsigned lineno)
{
	size_t eff = len;
	if (eff > 0 && tok[eff - 1] == '.')
		eff--;
	if (eff > 253 || memchr(tok, '\0', len)) {
		conf_trace_skip(b->file, lineno, "bad_search_domain");
		return;
	}
	if (b->nsearch >= CONF_MAXSEARCH) {
		conf_trace_skip(b->file, lineno, "too_many_search_domains");
		return;
	}
	char *s = strndup(tok, len);
	if (!s) {
		b->oom = true;
		return;
	}
	b->search[b->nsearch++] = s;
}

/* Splits a blank-separated list into the search list.  A token starting
 * with '#' or ';' ends the list (a trailing comment; glibc would add it
 * as a domain, see docs/deviations/conf.md). */
static void search_set(struct resolv_build *b, const struct conf_line *l,
		       size_t pos, bool first_only)
{
	const char *tok;
	size_t tl;
	search_clear(b);
	while (conf_token(l, &pos, &tok, &tl)) {
		if (tok[0] == '#' || tok[0] == ';')
			break;
		search_add(b, tok, tl, l->no);
		if (first_only)
			break;
	}
}

static void server_v4(struct conf_server *s, const struct in_addr *a,
		      uint16_t port)
{
	memset(s, 0, sizeof *s);
	s->addr.sin.sin_family = AF_INET;
	s->addr.sin.sin_port = htons(port);
	s->addr.sin.sin_addr = *a;
	s->addrlen = sizeof s->addr.sin;
}

static void server_v6(struct conf_server *s, const struct in6_addr *a,
		      uint32_t scope, uint16_t port)
{
	memset(s, 0, sizeof *s);
	s->addr.sin6.sin6_family = AF_INET6;
	s->addr.sin6.sin6_port = htons(port);
	s->addr.sin6.sin6_addr = *a;
	s->addr.sin6.sin6_scope_id = scope;
	s->addrlen = sizeof s->addr.sin6;
}

static bool parse_port(const char *s, uint16_t *port)
{
	unsigned long v;
	if (!conf_parse_uint(s, strlen(s), 65535, &v) || v == 0)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* IPv6 address with optional %scope.  glibc ignores a bad scope and keeps
 * the server with scope 0; so do we (traced). */
static bool parse_v6(char *s, struct conf_server *out, uint16_t port,
		     const char *file, unsigned lineno)
{
	struct in6_addr a6;
	uint32_t scope = 0;
	char *pct = strchr(s, '%');
	if (pct)
		*pct = '\0';
	if (inet_pton(AF_INET6, s, &a6) != 1)
		return false;
	if (pct && !conf_scope_id(&a6, pct + 1, &scope)) {
		scope = 0;
		conf_trace_skip(file, lineno, "bad_scope_ignored");
	}
	server_v6(out, &a6, scope, port);
	return true;
}

/*
 * One nameserver address: glibc forms (inet_aton for IPv4, so "127.1"
 * works as in glibc; IPv6 with %scope) plus the librfcres port extension
 * "a.b.c.d:port" and "[v6]:port" (also "[v6]" alone).
 */
static bool parse_nameserver(const char *tok, size_t tl, struct conf_server *out,
			     const char *file, unsigned lineno)
{
	char buf[128];
	if (!conf_tokcpy(buf, sizeof buf, tok, tl))
		return false;
	struct in_addr a4;
	uint16_t port = 53;
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');
		if (!close)
			return false;
		*close = '\0';
		if (close[1] == ':') {
			if (!parse_port(close + 2, &port))
				return false;
		} else if (close[1] != '\0') {
			return false;
		}
		return parse_v6(buf + 1, out, port, file, lineno);
	}
	char *colon = strchr(buf, ':');
	if (colon && !strchr(colon + 1, ':')) {
		/* exactly one colon: IPv4 with a port */
		*colon = '\0';
		if (!parse_port(colon + 1, &port) || inet_aton(buf, &a4) == 0)
			return false;
		server_v4(out, &a4, port);
		return true;
	}
	if (!colon) {
		if (inet_aton(buf, &a4) == 0)
			return false;
		server_v4(out, &a4, port);
		return true;
	}
	return parse_v6(buf, out, port, file, lineno);
}

static void add_nameserver(struct conf_resolv *r, const struct conf_line *l,
			   size_t pos, const char *file)
{
	const char *tok;
	size_t tl;
	struct conf_server s;
	/* glibc ignores whatever follows the address on the line */
	if (!conf_token(l, &pos, &tok, &tl) ||
	    !parse_nameserver(tok, tl, &s, file, l->no)) {
		conf_trace_skip(file, l->no, "bad_nameserver");
		return;
	}
	if (r->nns >= CONF_MAXNS) {
		/* glibc keeps parsing but only MAXNS servers are used */
		r->nns_ignored++;
		conf_trace_skip(file, l->no, "nameserver_beyond_maxns");
		return;
	}
	r->ns[r->nns++] = s;
}

/* Signed decimal option value as glibc's atoi would see it, but digits
 * only; negative values count as 0.  Returns false for garbage. */
static bool option_value(const char *s, size_t len, long *out)
{
	bool neg = false;
	if (len > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		s++;
		len--;
	}
	unsigned long v;
	if (len == 0)
		return false;
	if (!conf_parse_uint(s, len, 1000000, &v)) {
		/* all digits but huge: clamp like the bound below would */
		for (size_t i = 0; i < len; i++)
			if (s[i] < '0' || s[i] > '9')
				return false;
		v = 1000000;
	}
	*out = neg ? 0 : (long)v;
	return true;
}

static unsigned clamp(long v, unsigned lo, unsigned hi)
{
	if (v < (long)lo)
		return lo;
	if (v > (long)hi)
		return hi;
	return (unsigned)v;
}

static const struct {
	const char *name;
	unsigned flag;
} resolv_flags[] = {
	{ "rotate", CONF_OPT_ROTATE },
	{ "single-request", CONF_OPT_SINGLE_REQUEST },
	{ "single-request-reopen", CONF_OPT_SINGLE_REQUEST_REOPEN },
	{ "edns0", CONF_OPT_EDNS0 },
	{ "use-vc", CONF_OPT_USE_VC },
	{ "no-tld-query", CONF_OPT_NO_TLD_QUERY },
	{ "no_tld_query", CONF_OPT_NO_TLD_QUERY }, /* glibc alias */
	{ "no-aaaa", CONF_OPT_NO_AAAA },
	{ "trust-ad", CONF_OPT_TRUST_AD },
};

/* Options glibc (or older glibc) knows that change nothing here. */
static const char *const resolv_noeffect[] = {
	"no-reload", "inet6", "debug", "no-check-names", "ip6-dotint",
	"no-ip6-dotint", "ip6-bytestring", "insecure1", "insecure2",
};

static bool option_kv(struct conf_resolv *r, const char *tok, size_t tl)
{
	static const char *const keys[] = { "ndots:", "timeout:", "attempts:" };
	for (unsigned k = 0; k < 3; k++) {
		size_t kl = strlen(keys[k]);
		if (tl < kl || memcmp(tok, keys[k], kl) != 0)
			continue;
		long v;
		if (!option_value(tok + kl, tl - kl, &v))
			return false;
		if (k == 0)
			r->ndots = clamp(v, 0, CONF_NDOTS_MAX);
		/* timeout 0: glibc's send_dg waits at least 1 s anyway;
		 * attempts 0: glibc would send nothing at all (deviation). */
		else if (k == 1)
			r->timeout = clamp(v, 1, CONF_TIMEOUT_MAX);
		else
			r->attempts = clamp(v, 1, CONF_ATTEMPTS_MAX);
		return true;
	}
	return false;
}

void conf_resolv_options(struct conf_resolv *r, const char *s, size_t len,
			 const char *file, unsigned lineno)
{
	struct conf_line l = { .p = s, .len = len, .no = lineno };
	size_t pos = 0;
	const char *tok;
	size_t tl;
	while (conf_token(&l, &pos, &tok, &tl)) {
		if (tok[0] == '#' || tok[0] == ';')
			break; /* trailing comment */
		if (option_kv(r, tok, tl))
			continue;
		bool known = false;
		for (size_t i = 0; i < sizeof resolv_flags / sizeof resolv_flags[0]; i++) {
			if (conf_tokeq(tok, tl, resolv_flags[i].name)) {
				r->opts |= resolv_flags[i].flag;
				known = true;
				break;
			}
		}
		for (size_t i = 0; !known && i < sizeof resolv_noeffect / sizeof resolv_noeffect[0]; i++) {
			if (conf_tokeq(tok, tl, resolv_noeffect[i])) {
				conf_trace_skip(file, lineno, "option_no_effect");
				known = true;
			}
		}
		if (!known)
			conf_trace_skip(file, lineno, "unknown_option");
	}
}

/* glibc MATCH(): keyword at column 0 followed by a blank. */
static bool keyword(const struct conf_line *l, const char *kw, size_t *pos)
{
	size_t n = strlen(kw);
	if (l->len <= n || memcmp(l->p, kw, n) != 0 ||
	    (l->p[n] != ' ' && l->p[n] != '\t'))
		return false;
	*pos = n;
	return true;
}

static void parse_line(struct resolv_build *b, const struct conf_line *l,
		       bool have_env)
{
	size_t pos;
	if (l->len == 0 || l->p[0] == '#' || l->p[0] == ';')
		return;
	if (l->has_nul) {
		conf_trace_skip(b->file, l->no, "nul_byte");
		return;
	}
	if (l->len > CONF_MAX_LINE) {
		conf_trace_skip(b->file, l->no, "line_too_long");
		return;
	}
	if (keyword(l, "nameserver", &pos)) {
		add_nameserver(b->r, l, pos, b->file);
	} else if (keyword(l, "search", &pos) || keyword(l, "domain", &pos)) {
		const char *tok;
		size_t tl, p2 = pos;
		if (have_env) {
			conf_trace_skip(b->file, l->no, "overridden_by_LOCALDOMAIN");
		} else if (!conf_token(l, &p2, &tok, &tl) || tok[0] == '#' ||
			   tok[0] == ';') {
			/* glibc: an empty search/domain line changes nothing */
			conf_trace_skip(b->file, l->no, "empty");
		} else {
			search_set(b, l, pos, l->p[0] == 'd');
		}
	} else if (keyword(l, "options", &pos)) {
		conf_resolv_options(b->r, l->p + pos, l->len - pos, b->file,
				    l->no);
	} else if (l->len == 7 && memcmp(l->p, "options", 7) == 0) {
		/* "options" with nothing after it: glibc's MATCH() wants a
		 * blank after the keyword, so the line is ignored; there is
		 * nothing to set either, so no trace event */
	} else if (keyword(l, "sortlist", &pos)) {
		/* RFC 6724 sorting (gai.conf) replaces sortlist */
		conf_trace_skip(b->file, l->no, "sortlist_unsupported");
	} else {
		size_t p0 = 0;
		const char *tok;
		size_t tl;
		if (conf_token(l, &p0, &tok, &tl))
			conf_trace_skip(b->file, l->no,
					conf_is_space(l->p[0]) ? "leading_blank"
							       : "unknown_keyword");
	}
}

static void localdomain(struct resolv_build *b, const char *ld)
{
	struct conf_line l = { .p = ld, .len = strlen(ld), .no = 0 };
	/* glibc stops at a newline in the variable */
	const char *nl = memchr(ld, '\n', l.len);
	if (nl)
		l.len = (size_t)(nl - ld);
	size_t pos = 0;
	const char *tok;
	size_t tl;
	search_clear(b);
	while (conf_token(&l, &pos, &tok, &tl))
		search_add(b, tok, tl, 0);
}

static void hostname_domain(struct resolv_build *b, const char *host)
{
	const char *dot = host ? strchr(host, '.') : NULL;
	if (dot && dot[1] != '\0')
		search_add(b, dot + 1, strlen(dot + 1), 0);
}

static void set_defaults(struct conf_resolv *r)
{
	struct in_addr lo4 = { .s_addr = htonl(INADDR_LOOPBACK) };
	server_v4(&r->ns[0], &lo4, 53);
	server_v6(&r->ns[1], &in6addr_loopback, 0, 53);
	r->nns = 2;
	r->ns_default = true;
}

struct conf_resolv *conf_resolv_parse(const char *text, size_t len,
				      bool present,
				      const struct conf_resolv_env *env)
{
	static const struct conf_resolv_env noenv = { .file = "resolv.conf" };
	if (!env)
		env = &noenv;
	struct conf_resolv *r = calloc(1, sizeof *r);
	char **search = calloc(CONF_MAXSEARCH + 1, sizeof *search);
	if (!r || !search) {
		free(r);
		free(search);
		return NULL;
	}
	struct resolv_build b = {
		.r = r, .file = env->file ? env->file : "resolv.conf",
		.search = search,
	};
	r->ndots = 1;
	r->timeout = 5;  /* glibc RES_TIMEOUT */
	r->attempts = 2; /* glibc RES_DFLRETRY */
	r->file_present = present;

	bool have_env = env->localdomain != NULL;
	if (have_env)
		localdomain(&b, env->localdomain);
	struct conf_lines it;
	struct conf_line l;
	conf_lines_init(&it, text, len);
	while (!b.oom && conf_lines_next(&it, &l))
		parse_line(&b, &l, have_env);
	if (r->nns == 0)
		set_defaults(r);
	if (b.nsearch == 0 && !have_env)
		hostname_domain(&b, env->hostname);
	if (env->res_options)
		conf_resolv_options(r, env->res_options,
				    strlen(env->res_options), "RES_OPTIONS", 0);
	if (b.oom) {
		search_clear(&b);
		free(search);
		free(r);
		return NULL;
	}
	r->search = search;
	r->nsearch = b.nsearch;
	r->search[b.nsearch] = NULL; /* room for MAXSEARCH + 1 */
	return r;
}

void conf_resolv_free(struct conf_resolv *r)
{
	if (!r)
		return;
	for (unsigned i = 0; r->search && r->search[i]; i++)
		free(r->search[i]);
	free(r->search);
	free(r);
}
