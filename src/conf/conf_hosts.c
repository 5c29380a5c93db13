/*
 * hosts: "address name [aliases...]", '#' starts a comment anywhere
 * (glibc LINE_PARSER("#")).  The address is what inet_pton accepts (glibc
 * uses inet_pton for hosts, not inet_aton: "127.1" is not an address
 * here), plus the librfcres extension of an IPv6 zone ("fe80::1%eth0"),
 * which glibc rejects.  Names match ASCII case-insensitively (glibc
 * LOOKUP_NAME_CASE / strcasecmp).  Every entry is kept in file order; the
 * caller decides whether it wants the first or all (glibc "multi").
 */
#include "conf/conf_hosts.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf_util.h"

struct conf_hosts {
	struct conf_hosts_entry *e;
	size_t n;
	char **ptrs; /* names of every entry, each list NULL-terminated */
	char *strs;  /* the name strings */
	struct conf_index by_name, by_addr;
};

struct hosts_build {
	struct conf_hosts_entry *e;
	size_t n, cap_e;
	size_t *first; /* per entry: index of its first name in off[] */
	size_t cap_first;
	size_t *off;   /* per name: offset in strs */
	size_t noff, capoff;
	char *strs;
	size_t nstrs, capstrs;
	const char *file;
	bool oom;
};

/* Returns p resized for need elements (or p itself), NULL when out of
 * memory (p is then still valid). */
static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	size_t ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap *= 2;
	void *np = realloc(p, ncap * elem);
	if (np)
		*cap = ncap;
	return np;
}

/* The build arrays, each grown separately: */
static bool reserve_name(struct hosts_build *b, size_t tl)
{
	void *np = grow(b->off, &b->capoff, b->noff + 1, sizeof *b->off);
	if (!np)
		return false;
	b->off = np;
	np = grow(b->strs, &b->capstrs, b->nstrs + tl + 1, 1);
	if (!np)
		return false;
	b->strs = np;
	return true;
}

static bool reserve_entry(struct hosts_build *b)
{
	void *np = grow(b->e, &b->cap_e, b->n + 1, sizeof *b->e);
	if (!np)
		return false;
	b->e = np;
	np = grow(b->first, &b->cap_first, b->n + 1, sizeof *b->first);
	if (!np)
		return false;
	b->first = np;
	return true;
}

static bool add_name(struct hosts_build *b, const char *tok, size_t tl)
{
	if (!reserve_name(b, tl)) {
		b->oom = true;
		return false;
	}
	b->off[b->noff++] = b->nstrs;
	memcpy(b->strs + b->nstrs, tok, tl);
	b->strs[b->nstrs + tl] = '\0';
	b->nstrs += tl + 1;
	return true;
}

static bool parse_addr(const char *tok, size_t tl, struct conf_hosts_entry *e)
{
	char buf[INET6_ADDRSTRLEN + 64];
	if (!conf_tokcpy(buf, sizeof buf, tok, tl))
		return false;
	if (inet_pton(AF_INET, buf, e->addr) == 1) {
		e->family = AF_INET;
		return true;
	}
	char *pct = strchr(buf, '%');
	if (pct)
		*pct = '\0';
	if (inet_pton(AF_INET6, buf, e->addr) != 1)
		return false;
	e->family = AF_INET6;
	if (pct && !conf_scope_id(e->addr, pct + 1, &e->scope_id))
		return false;
	return true;
}

static void parse_line(struct hosts_build *b, struct conf_line *l)
{
	conf_line_strip_comment(l, "#");
	size_t pos = 0, tl;
	const char *tok;
	if (!conf_token(l, &pos, &tok, &tl))
		return;
	if (l->has_nul) {
		conf_trace_skip(b->file, l->no, "nul_byte");
		return;
	}
	struct conf_hosts_entry e;
	memset(&e, 0, sizeof e);
	if (!parse_addr(tok, tl, &e)) {
		conf_trace_skip(b->file, l->no, "bad_address");
		return;
	}
	size_t first = b->noff, save_strs = b->nstrs;
	while (conf_token(l, &pos, &tok, &tl)) {
		if (tl > CONF_HOSTS_MAXNAME) {
			conf_trace_skip(b->file, l->no, "name_too_long");
			continue;
		}
		if (!add_name(b, tok, tl))
			return;
		e.nnames++;
	}
	if (e.nnames == 0) {
		b->noff = first;
		b->nstrs = save_strs;
		conf_trace_skip(b->file, l->no, "no_name");
		return;
	}
	if (!reserve_entry(b)) {
		b->oom = true;
		return;
	}
	b->first[b->n] = first;
	b->e[b->n++] = e;
}

static uint32_t addr_hash(int family, const void *addr)
{
	return conf_hash_bytes(addr, family == AF_INET ? 4 : 16,
			       (uint32_t)family * 2654435761u);
}

static bool build_index(struct conf_hosts *h)
{
	size_t nnames = 0;
	for (size_t i = 0; i < h->n; i++)
		nnames += h->e[i].nnames;
	if (!conf_index_init(&h->by_name, nnames) ||
	    !conf_index_init(&h->by_addr, h->n))
		return false;
	for (size_t i = 0; i < h->n; i++) {
		const struct conf_hosts_entry *e = &h->e[i];
		for (unsigned k = 0; k < e->nnames; k++)
			if (!conf_index_add(&h->by_name,
					    conf_hash_name(e->names[k], true),
					    (uint32_t)i))
				return false;
		if (!conf_index_add(&h->by_addr, addr_hash(e->family, e->addr),
				    (uint32_t)i))
			return false;
	}
	conf_index_done(&h->by_name);
	conf_index_done(&h->by_addr);
	return true;
}

static struct conf_hosts *finish(struct hosts_build *b)
{
	struct conf_hosts *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->e = b->e;
	h->n = b->n;
	h->strs = b->strs;
	b->e = NULL;
	b->strs = NULL;
	h->ptrs = malloc((b->noff + b->n + 1) * sizeof *h->ptrs);
	if (!h->ptrs) {
		conf_hosts_free(h);
		return NULL;
	}
	size_t k = 0;
	for (size_t i = 0; i < h->n; i++) {
		h->e[i].names = &h->ptrs[k];
		for (unsigned j = 0; j < h->e[i].nnames; j++)
			h->ptrs[k++] = h->strs + b->off[b->first[i] + j];
		h->ptrs[k++] = NULL;
	}
	if (!build_index(h)) {
		conf_hosts_free(h);
		return NULL;
	}
	return h;
}

struct conf_hosts *conf_hosts_parse(const char *text, size_t len,
				    const char *file)
{
	struct hosts_build b = { .file = file ? file : "hosts" };
	struct conf_lines it;
	struct conf_line l;
	conf_lines_init(&it, text, len);
	while (!b.oom && conf_lines_next(&it, &l))
		parse_line(&b, &l);
	struct conf_hosts *h = b.oom ? NULL : finish(&b);
	free(b.e);
	free(b.strs);
	free(b.first);
	free(b.off);
	return h;
}

void conf_hosts_free(struct conf_hosts *h)
{
	if (!h)
		return;
	conf_index_free(&h->by_name);
	conf_index_free(&h->by_addr);
	free(h->e);
	free(h->ptrs);
	free(h->strs);
	free(h);
}

size_t conf_hosts_count(const struct conf_hosts *h)
{
	return h ? h->n : 0;
}

const struct conf_hosts_entry *conf_hosts_at(const struct conf_hosts *h,
					     size_t i)
{
	return h && i < h->n ? &h->e[i] : NULL;
}

static bool entry_has_name(const struct conf_hosts_entry *e, const char *name)
{
	for (unsigned k = 0; k < e->nnames; k++)
		if (strcasecmp(e->names[k], name) == 0)
			return true;
	return false;
}

size_t conf_hosts_by_name(const struct conf_hosts *h, const char *name,
			  int family, const struct conf_hosts_entry **out,
			  size_t max)
{
	if (!h || !name || h->n == 0)
		return 0;
	uint32_t hash = conf_hash_name(name, true);
	size_t found = 0;
	uint32_t last = UINT32_MAX;
	for (uint32_t pos = conf_index_first(&h->by_name, hash);
	     pos != UINT32_MAX; pos = conf_index_next(&h->by_name, pos, hash)) {
		uint32_t id = h->by_name.link[pos].id;
		/* an entry listing the name twice appears twice in a row */
		if (id == last)
			continue;
		const struct conf_hosts_entry *e = &h->e[id];
		if (family != AF_UNSPEC && e->family != family)
			continue;
		if (!entry_has_name(e, name))
			continue;
		last = id;
		if (out && found < max)
			out[found] = e;
		found++;
	}
	return found;
}

const struct conf_hosts_entry *conf_hosts_by_addr(const struct conf_hosts *h,
						  int family, const void *addr)
{
	if (!h || !addr || h->n == 0 ||
	    (family != AF_INET && family != AF_INET6))
		return NULL;
	size_t alen = family == AF_INET ? 4 : 16;
	uint32_t hash = addr_hash(family, addr);
	for (uint32_t pos = conf_index_first(&h->by_addr, hash);
	     pos != UINT32_MAX; pos = conf_index_next(&h->by_addr, pos, hash)) {
		const struct conf_hosts_entry *e = &h->e[h->by_addr.link[pos].id];
		if (e->family == family && memcmp(e->addr, addr, alen) == 0)
			return e;
	}
	return NULL;
}
