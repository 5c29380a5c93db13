/*
 * fakedns zone store and zone-file parser (format: docs/fakedns.md).
 */
#include "fd_zone.h"
#include "fd_wire.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FDZ_RANGE_MAX 65536u	/* far beyond what one message can carry */
#define FDZ_DEFAULT_TTL 300u

static const struct {
	const char *name;
	enum fakedns_kind kind;
	int need_arg;
} kinds[] = {
	{ "normal", FAKEDNS_NORMAL, 0 },
	{ "truncate", FAKEDNS_TRUNCATE, 0 },
	{ "truncate-noedns", FAKEDNS_TRUNCATE_NOEDNS, 0 },
	{ "tcp-refused", FAKEDNS_TCP_REFUSED, 0 },
	{ "tcp-silent", FAKEDNS_TCP_SILENT, 0 },
	{ "tcp-drip", FAKEDNS_TCP_DRIP, 0 },
	{ "tcp-close-mid", FAKEDNS_TCP_CLOSE_MID, 0 },
	{ "tcp-len0", FAKEDNS_TCP_LEN0, 0 },
	{ "tcp-len65535", FAKEDNS_TCP_LEN65535, 0 },
	{ "delay", FAKEDNS_DELAY, 1 },
	{ "drop-aaaa", FAKEDNS_DROP_AAAA, 0 },
	{ "drop-all", FAKEDNS_DROP_ALL, 0 },
	{ "a-only-parallel", FAKEDNS_A_ONLY_PARALLEL, 0 },
	{ "wrong-id", FAKEDNS_WRONG_ID, 0 },
	{ "other-port", FAKEDNS_OTHER_PORT, 0 },
	{ "wrong-question", FAKEDNS_WRONG_QUESTION, 0 },
	{ "servfail", FAKEDNS_SERVFAIL, 0 },
	{ "refused", FAKEDNS_REFUSED, 0 },
	{ "nxdomain", FAKEDNS_NXDOMAIN, 0 },
	{ "nodata", FAKEDNS_NODATA, 0 },
	{ "formerr-edns", FAKEDNS_FORMERR_EDNS, 0 },
	{ "empty-first", FAKEDNS_EMPTY_FIRST, 0 },
	{ "junk-first", FAKEDNS_JUNK_FIRST, 0 },
	{ "oversized", FAKEDNS_OVERSIZED, 0 },
	{ "ptr-loop", FAKEDNS_PTR_LOOP, 0 },
	{ "rotate", FAKEDNS_ROTATE, 0 },
	{ "ttl", FAKEDNS_TTL, 1 },
	{ "short-rcode", FAKEDNS_SHORT_RCODE, 1 },
	{ "short-rcode-aaaa", FAKEDNS_SHORT_RCODE_AAAA, 1 },
	{ "nodata-no-ra", FAKEDNS_NODATA_NO_RA, 0 },
	{ "flood", FAKEDNS_FLOOD, 1 },
	{ "flood-mix", FAKEDNS_FLOOD_MIX, 1 },
	{ "tcp-junk", FAKEDNS_TCP_JUNK, 0 },
	{ "tcp-other-answer", FAKEDNS_TCP_OTHER_ANSWER, 0 },
	/* aliases */
	{ "compression-loop", FAKEDNS_PTR_LOOP, 0 },
	{ "tcp-reset", FAKEDNS_TCP_REFUSED, 0 },
	{ "silent", FAKEDNS_DROP_ALL, 0 },
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

const char *fdz_kind_name(enum fakedns_kind k)
{
	size_t i;

	for (i = 0; i < NKINDS; i++)
		if (kinds[i].kind == k)
			return kinds[i].name;
	return "?";
}

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

int fdz_init(struct fdz_zone *z)
{
	memset(z, 0, sizeof(*z));
	z->nbuckets = 256;
	z->tab = calloc(z->nbuckets, sizeof(*z->tab));
	z->ttl = FDZ_DEFAULT_TTL;
	return z->tab ? 0 : -1;
}

static void free_name(struct fdz_name *e)
{
	size_t i;

	for (i = 0; i < e->nptr; i++)
		free(e->ptr[i]);
	free(e->ptr);
	free(e->a);
	free(e->aaaa);
	free(e->cname);
	free(e->name);
	free(e);
}

void fdz_clear(struct fdz_zone *z)
{
	size_t i;

	for (i = 0; i < z->nbuckets; i++) {
		while (z->tab[i]) {
			struct fdz_name *e = z->tab[i];

			z->tab[i] = e->next;
			free_name(e);
		}
	}
	z->count = 0;
	z->ttl = FDZ_DEFAULT_TTL;
	memset(&z->global, 0, sizeof(z->global));
}

void fdz_free(struct fdz_zone *z)
{
	if (!z->tab)
		return;
	fdz_clear(z);
	free(z->tab);
	z->tab = NULL;
}

struct fdz_name *fdz_find(const struct fdz_zone *z, const char *canon)
{
	struct fdz_name *e = z->tab[hash(canon) & (z->nbuckets - 1)];

	while (e && strcmp(e->name, canon) != 0)
		e = e->next;
	return e;
}

int fdz_exists(const struct fdz_name *e)
{
	return e && (e->na || e->naaaa || e->cname || e->nptr);
}

static void grow_table(struct fdz_zone *z)
{
	size_t n = z->nbuckets * 4, i;
	struct fdz_name **t = calloc(n, sizeof(*t));

	if (!t)
		return;		/* keep the old table: slower, still right */
	for (i = 0; i < z->nbuckets; i++) {
		while (z->tab[i]) {
			struct fdz_name *e = z->tab[i];
			size_t h = hash(e->name) & (n - 1);

			z->tab[i] = e->next;
			e->next = t[h];
			t[h] = e;
		}
	}
	free(z->tab);
	z->tab = t;
	z->nbuckets = n;
}

/* Find or create the entry for a (not yet canonical) name. */
static struct fdz_name *get(struct fdz_zone *z, const char *name)
{
	char c[FDW_NAME_MAX];
	struct fdz_name *e;
	size_t h;

	if (fdw_canon(name, c, sizeof(c)) < 0) {
		errno = EINVAL;
		return NULL;
	}
	e = fdz_find(z, c);
	if (e)
		return e;
	if (z->count >= z->nbuckets * 2)
		grow_table(z);
	e = calloc(1, sizeof(*e));
	if (!e || !(e->name = strdup(c))) {
		free(e);
		errno = ENOMEM;
		return NULL;
	}
	h = hash(c) & (z->nbuckets - 1);
	e->next = z->tab[h];
	z->tab[h] = e;
	z->count++;
	return e;
}

static struct fdz_name *find_pres(const struct fdz_zone *z, const char *name)
{
	char c[FDW_NAME_MAX];

	if (fdw_canon(name, c, sizeof(c)) < 0)
		return NULL;
	return fdz_find(z, c);
}

static int reserve(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 4;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * elem);
	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	*arr = p;
	*cap = n;
	return 0;
}

/* Big-endian add: addresses in a range carry into higher octets. */
static void addr_add(uint8_t *a, size_t len, unsigned v)
{
	size_t i = len;

	while (v && i > 0) {
		unsigned s = a[i - 1] + (v & 0xffu);

		a[--i] = (uint8_t)s;
		v = (v >> 8) + (s >> 8);
	}
}

/* "10.0.0.1" or "10.0.0.1-256" (end of the last octet, decimal, may pass
 * 255 and carry) / "2001:db8::1-ff" (end of the last group, hex).  When
 * count is non-zero the text must not carry a range. */
static int parse_addr_range(int af, const char *text, uint8_t *out,
			    unsigned *count)
{
	char buf[INET6_ADDRSTRLEN + 16];
	char *dash, *end;
	unsigned long last, first;

	if (strlen(text) >= sizeof(buf))
		return -1;
	strcpy(buf, text);
	dash = strrchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (inet_pton(af, buf, out) != 1)
		return -1;
	if (!dash)
		return 0;
	if (*count != 0 || dash[1] == '\0')
		return -1;
	errno = 0;
	last = strtoul(dash + 1, &end, af == AF_INET ? 10 : 16);
	if (errno || *end != '\0')
		return -1;
	if (af == AF_INET)
		first = out[3];
	else
		first = ((unsigned long)out[14] << 8) | out[15];
	if (last < first || last - first + 1 > FDZ_RANGE_MAX)
		return -1;
	*count = (unsigned)(last - first + 1);
	return 0;
}

static int add_addrs(struct fdz_zone *z, int af, const char *name,
		     const char *addr, unsigned count)
{
	size_t alen = af == AF_INET ? 4 : 16;
	uint8_t base[16];
	struct fdz_name *e;
	unsigned n = count, i;
	uint8_t *arr;

	if (count > FDZ_RANGE_MAX ||
	    parse_addr_range(af, addr, base, &n) < 0) {
		errno = EINVAL;
		return -1;
	}
	if (n == 0)
		n = 1;
	e = get(z, name);
	if (!e)
		return -1;
	if (af == AF_INET) {
		if (reserve((void **)&e->a, &e->cap_a, e->na + n, 4) < 0)
			return -1;
		arr = e->a[e->na];
		e->na += n;
	} else {
		if (reserve((void **)&e->aaaa, &e->cap_aaaa, e->naaaa + n,
			    16) < 0)
			return -1;
		arr = e->aaaa[e->naaaa];
		e->naaaa += n;
	}
	for (i = 0; i < n; i++) {
		memcpy(arr + i * alen, base, alen);
		addr_add(arr + i * alen, alen, i);
	}
	return 0;
}

int fdz_add_a(struct fdz_zone *z, const char *name, const char *addr,
	      unsigned count)
{
	return add_addrs(z, AF_INET, name, addr, count);
}

int fdz_add_aaaa(struct fdz_zone *z, const char *name, const char *addr,
		 unsigned count)
{
	return add_addrs(z, AF_INET6, name, addr, count);
}

static char *canon_dup(const char *name)
{
	char c[FDW_NAME_MAX];
	char *d;

	if (fdw_canon(name, c, sizeof(c)) < 0) {
		errno = EINVAL;
		return NULL;
	}
	d = strdup(c);
	if (!d)
		errno = ENOMEM;
	return d;
}

int fdz_add_cname(struct fdz_zone *z, const char *name, const char *target)
{
	char *t = canon_dup(target);
	struct fdz_name *e;

	if (!t)
		return -1;
	e = get(z, name);
	if (!e) {
		free(t);
		return -1;
	}
	free(e->cname);	/* RFC 2181 §10.1: one CNAME per name */
	e->cname = t;
	return 0;
}

int fdz_add_ptr(struct fdz_zone *z, const char *name, const char *target)
{
	char *t = canon_dup(target);
	struct fdz_name *e;

	if (!t)
		return -1;
	e = get(z, name);
	if (!e || reserve((void **)&e->ptr, &e->cap_ptr, e->nptr + 1,
			  sizeof(char *)) < 0) {
		free(t);
		return -1;
	}
	e->ptr[e->nptr++] = t;
	return 0;
}

int fdz_remove(struct fdz_zone *z, const char *name)
{
	struct fdz_name *e = find_pres(z, name);
	size_t i;

	if (!e)
		return 0;
	for (i = 0; i < e->nptr; i++)
		free(e->ptr[i]);
	free(e->cname);
	e->cname = NULL;
	e->na = e->naaaa = e->nptr = 0;
	memset(e->ttl, 0, sizeof(e->ttl));
	return 0;
}

size_t fdz_count(const struct fdz_zone *z, const char *name, int qtype)
{
	const struct fdz_name *e = find_pres(z, name);

	if (!e)
		return 0;
	switch (qtype) {
	case FDW_T_A:
		return e->na;
	case FDW_T_AAAA:
		return e->naaaa;
	case FDW_T_CNAME:
		return e->cname ? 1 : 0;
	case FDW_T_PTR:
		return e->nptr;
	case 0:
		return e->na + e->naaaa + e->nptr + (e->cname ? 1 : 0);
	default:
		return 0;
	}
}

static int is_global(const char *name)
{
	return !name || strcmp(name, "*") == 0;
}

static struct fdz_behav *behav_of(struct fdz_zone *z, const char *name)
{
	struct fdz_name *e;

	if (is_global(name))
		return &z->global;
	e = get(z, name);
	return e ? &e->b : NULL;
}

int fdz_set(struct fdz_zone *z, const char *name, enum fakedns_kind k,
	    unsigned arg)
{
	struct fdz_behav *b;

	if ((unsigned)k >= FAKEDNS_KIND_MAX) {
		errno = EINVAL;
		return -1;
	}
	b = behav_of(z, name);
	if (!b)
		return -1;
	if (k == FAKEDNS_NORMAL) {
		/* Globally: back to a well-behaved server.  Per name: also
		 * shield the name from global behaviours. */
		memset(b, 0, sizeof(*b));
		if (is_global(name))
			return 0;
	}
	b->set |= 1ull << k;
	b->arg[k] = arg;
	return 0;
}

int fdz_unset(struct fdz_zone *z, const char *name, enum fakedns_kind k)
{
	struct fdz_behav *b;

	if ((unsigned)k >= FAKEDNS_KIND_MAX) {
		errno = EINVAL;
		return -1;
	}
	b = behav_of(z, name);
	if (!b)
		return -1;
	b->set &= ~(1ull << k);
	b->arg[k] = 0;
	return 0;
}

int fdz_clear_behav(struct fdz_zone *z, const char *name)
{
	struct fdz_name *e;

	if (is_global(name)) {
		memset(&z->global, 0, sizeof(z->global));
		return 0;
	}
	e = find_pres(z, name);
	if (e)
		memset(&e->b, 0, sizeof(e->b));
	return 0;
}

void fdz_effective(const struct fdz_zone *z, const struct fdz_name *e,
		   struct fdz_behav *out)
{
	unsigned k;

	if (e && fdz_has(&e->b, FAKEDNS_NORMAL)) {
		*out = e->b;
		return;
	}
	*out = z->global;
	if (!e)
		return;
	for (k = 0; k < FAKEDNS_KIND_MAX; k++) {
		if (!((e->b.set >> k) & 1u))
			continue;
		out->set |= 1ull << k;
		out->arg[k] = e->b.arg[k];
	}
}

/* Split s in place into at most max whitespace-separated tokens. */
static int tokenize(char *s, char **tok, int max)
{
	int n = 0;

	for (;;) {
		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#' || *s == ';')
			return n;
		if (n == max)
			return -1;
		tok[n++] = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (*s)
			*s++ = '\0';
	}
}

static int parse_uint(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 0xffffffffUL)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int behav_tokens(char **tok, int n, enum fakedns_kind *k,
			unsigned *arg)
{
	size_t i;

	if (n < 1 || n > 2)
		return -1;
	for (i = 0; i < NKINDS; i++) {
		if (strcasecmp(tok[0], kinds[i].name) != 0)
			continue;
		*k = kinds[i].kind;
		*arg = 0;
		if (n == 2)
			return parse_uint(tok[1], arg);
		return kinds[i].need_arg ? -1 : 0;
	}
	return -1;
}

int fdz_parse_behav(const char *spec, enum fakedns_kind *k, unsigned *arg)
{
	char buf[256];
	char *tok[4];
	int n;

	if (strlen(spec) >= sizeof(buf))
		return -1;
	strcpy(buf, spec);
	n = tokenize(buf, tok, 4);
	return behav_tokens(tok, n, k, arg);
}

static void seterr(char *err, size_t len, unsigned line, const char *fmt,
		   ...) __attribute__((format(printf, 4, 5)));

static void seterr(char *err, size_t len, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int o;

	if (!err || !len)
		return;
	o = snprintf(err, len, "line %u: ", line);
	if (o < 0 || (size_t)o >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(err + o, len - (size_t)o, fmt, ap);
	va_end(ap);
}

static int directive(struct fdz_zone *z, char **tok, int n, char *err,
		     size_t errlen, unsigned line)
{
	enum fakedns_kind k;
	unsigned arg;

	if (strcasecmp(tok[0], "@ttl") == 0 || strcmp(tok[0], "$TTL") == 0) {
		if (n != 2 || parse_uint(tok[1], &z->ttl) < 0) {
			seterr(err, errlen, line, "@ttl needs one number");
			return -1;
		}
		return 0;
	}
	if (strcasecmp(tok[0], "@behaviour") != 0 &&
	    strcasecmp(tok[0], "@behavior") != 0) {
		seterr(err, errlen, line, "unknown directive '%s'", tok[0]);
		return -1;
	}
	if (n < 3 || behav_tokens(tok + 2, n - 2, &k, &arg) < 0) {
		seterr(err, errlen, line, "bad behaviour (@behaviour NAME KIND [ARG])");
		return -1;
	}
	if (fdz_set(z, tok[1], k, arg) < 0) {
		seterr(err, errlen, line, "bad name '%s'", tok[1]);
		return -1;
	}
	return 0;
}

/* NAME [TTL] [IN] TYPE DATA */
static int record(struct fdz_zone *z, char **tok, int n, char *err,
		  size_t errlen, unsigned line)
{
	unsigned ttl = 0;
	int i = 1, rc, rr;
	struct fdz_name *e;

	if (i < n && parse_uint(tok[i], &ttl) == 0)
		i++;
	if (i < n && strcasecmp(tok[i], "IN") == 0)
		i++;
	if (n - i != 2) {
		seterr(err, errlen, line, "expected NAME [TTL] [IN] TYPE DATA");
		return -1;
	}
	if (strcasecmp(tok[i], "A") == 0) {
		rc = fdz_add_a(z, tok[0], tok[i + 1], 0);
		rr = FDZ_RR_A;
	} else if (strcasecmp(tok[i], "AAAA") == 0) {
		rc = fdz_add_aaaa(z, tok[0], tok[i + 1], 0);
		rr = FDZ_RR_AAAA;
	} else if (strcasecmp(tok[i], "CNAME") == 0) {
		rc = fdz_add_cname(z, tok[0], tok[i + 1]);
		rr = FDZ_RR_CNAME;
	} else if (strcasecmp(tok[i], "PTR") == 0) {
		rc = fdz_add_ptr(z, tok[0], tok[i + 1]);
		rr = FDZ_RR_PTR;
	} else {
		seterr(err, errlen, line, "unsupported type '%s'", tok[i]);
		return -1;
	}
	if (rc < 0) {
		seterr(err, errlen, line, "bad %s record '%s %s'", tok[i],
		       tok[0], tok[i + 1]);
		return -1;
	}
	/* RFC 2181 §5.2: one TTL per RRset; the last one given wins. */
	e = find_pres(z, tok[0]);
	if (e && ttl)
		e->ttl[rr] = ttl;
	return 0;
}

static int load_line(struct fdz_zone *z, char *s, char *err, size_t errlen,
		     unsigned line)
{
	char *tok[8];
	int n = tokenize(s, tok, 8);

	if (n < 0) {
		seterr(err, errlen, line, "too many fields");
		return -1;
	}
	if (n == 0)
		return 0;
	if (tok[0][0] == '@' || tok[0][0] == '$')
		return directive(z, tok, n, err, errlen, line);
	return record(z, tok, n, err, errlen, line);
}

int fdz_load_text(struct fdz_zone *z, const char *text, char *err,
		  size_t errlen)
{
	char buf[1024];
	unsigned line = 0;

	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t l = nl ? (size_t)(nl - text) : strlen(text);

		line++;
		if (l >= sizeof(buf)) {
			seterr(err, errlen, line, "line too long");
			return -1;
		}
		memcpy(buf, text, l);
		buf[l] = '\0';
		if (load_line(z, buf, err, errlen, line) < 0)
			return -1;
		text += l + (nl ? 1 : 0);
	}
	return 0;
}

int fdz_load_file(struct fdz_zone *z, const char *path, char *err,
		  size_t errlen)
{
	FILE *f = fopen(path, "re");
	char buf[1024];
	unsigned line = 0;
	int rc = 0;

	if (!f) {
		if (err && errlen)
			snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(buf, sizeof(buf), f)) {
		size_t l = strlen(buf);

		line++;
		if (l == sizeof(buf) - 1 && buf[l - 1] != '\n') {
			seterr(err, errlen, line, "line too long");
			rc = -1;
			break;
		}
		rc = load_line(z, buf, err, errlen, line);
	}
	fclose(f);
	return rc;
}
