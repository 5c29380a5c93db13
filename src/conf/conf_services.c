/*
 * services: "name port/proto aliases..." as glibc's files backend parses
 * it.  Names and protocols compare case-sensitively (glibc LOOKUP_NAME uses
 * strcmp, unlike hosts); a NULL protocol matches any, as getservbyname.
 * The first matching line wins.
 */
#include "conf/conf_services.h"

#include <stdlib.h>
#include <string.h>

#include "conf/conf_util.h"

struct service {
	char **names; /* names[0] official, then aliases; NULL-terminated */
	unsigned nnames;
	int port;
	const char *proto;
	char *block; /* one allocation: pointer array then strings */
};

struct conf_services {
	struct service *v;
	size_t n;
	struct conf_index by_name, by_port;
};

struct svc_build {
	struct service *v;
	size_t n, cap;
	const char *file;
	bool oom;
};

#define SVC_MAXNAMES 64

static bool svc_make(struct service *s, const char *const *tok,
		     const size_t *tl, unsigned ntok, const char *proto,
		     size_t protolen)
{
	size_t bytes = (ntok + 1) * sizeof(char *) + protolen + 1;
	for (unsigned i = 0; i < ntok; i++)
		bytes += tl[i] + 1;
	char *block = malloc(bytes);
	if (!block)
		return false;
	char **names = (char **)(void *)block;
	char *p = block + (ntok + 1) * sizeof(char *);
	for (unsigned i = 0; i < ntok; i++) {
		memcpy(p, tok[i], tl[i]);
		p[tl[i]] = '\0';
		names[i] = p;
		p += tl[i] + 1;
	}
	names[ntok] = NULL;
	memcpy(p, proto, protolen);
	p[protolen] = '\0';
	s->names = names;
	s->nnames = ntok;
	s->proto = p;
	s->block = block;
	return true;
}

static void parse_line(struct svc_build *b, struct conf_line *l)
{
	conf_line_strip_comment(l, "#");
	const char *tok[SVC_MAXNAMES], *pp;
	size_t tl[SVC_MAXNAMES], pl, pos = 0;
	unsigned ntok = 0;
	if (!conf_token(l, &pos, &tok[0], &tl[0]))
		return;
	if (l->has_nul) {
		conf_trace_skip(b->file, l->no, "nul_byte");
		return;
	}
	ntok = 1;
	if (!conf_token(l, &pos, &pp, &pl)) {
		conf_trace_skip(b->file, l->no, "no_port");
		return;
	}
	const char *slash = memchr(pp, '/', pl);
	unsigned long port;
	if (!slash || slash == pp + pl - 1 ||
	    !conf_parse_uint(pp, (size_t)(slash - pp), 65535, &port)) {
		conf_trace_skip(b->file, l->no, "bad_port");
		return;
	}
	const char *t;
	size_t n;
	while (conf_token(l, &pos, &t, &n)) {
		if (ntok == SVC_MAXNAMES) {
			conf_trace_skip(b->file, l->no, "too_many_aliases");
			break;
		}
		tok[ntok] = t;
		tl[ntok++] = n;
	}
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 64;
		void *nv = realloc(b->v, ncap * sizeof *b->v);
		if (!nv) {
			b->oom = true;
			return;
		}
		b->v = nv;
		b->cap = ncap;
	}
	struct service *s = &b->v[b->n];
	s->port = (int)port;
	if (!svc_make(s, tok, tl, ntok, slash + 1,
		      (size_t)(pp + pl - slash - 1))) {
		b->oom = true;
		return;
	}
	b->n++;
}

static uint32_t port_hash(int port)
{
	return (uint32_t)port * 2654435761u;
}

static bool build_index(struct conf_services *s)
{
	size_t nnames = 0;
	for (size_t i = 0; i < s->n; i++)
		nnames += s->v[i].nnames;
	if (!conf_index_init(&s->by_name, nnames) ||
	    !conf_index_init(&s->by_port, s->n))
		return false;
	for (size_t i = 0; i < s->n; i++) {
		for (unsigned k = 0; k < s->v[i].nnames; k++)
			if (!conf_index_add(&s->by_name,
					    conf_hash_name(s->v[i].names[k],
							   false),
					    (uint32_t)i))
				return false;
		if (!conf_index_add(&s->by_port, port_hash(s->v[i].port),
				    (uint32_t)i))
			return false;
	}
	conf_index_done(&s->by_name);
	conf_index_done(&s->by_port);
	return true;
}

struct conf_services *conf_services_parse(const char *text, size_t len,
					  const char *file)
{
	struct svc_build b = { .file = file ? file : "services" };
	struct conf_lines it;
	struct conf_line l;
	conf_lines_init(&it, text, len);
	while (!b.oom && conf_lines_next(&it, &l))
		parse_line(&b, &l);
	struct conf_services *s = calloc(1, sizeof *s);
	if (!s) {
		for (size_t i = 0; i < b.n; i++)
			free(b.v[i].block);
		free(b.v);
		return NULL;
	}
	s->v = b.v;
	s->n = b.n;
	if (b.oom || !build_index(s)) {
		conf_services_free(s);
		return NULL;
	}
	return s;
}

void conf_services_free(struct conf_services *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].block);
	free(s->v);
	conf_index_free(&s->by_name);
	conf_index_free(&s->by_port);
	free(s);
}

size_t conf_services_count(const struct conf_services *s)
{
	return s ? s->n : 0;
}

static bool proto_ok(const struct service *v, const char *proto)
{
	return !proto || strcmp(v->proto, proto) == 0;
}

int conf_service_port(const struct conf_services *s, const char *name,
		      const char *proto)
{
	if (!s || !name || s->n == 0)
		return -1;
	uint32_t h = conf_hash_name(name, false);
	for (uint32_t pos = conf_index_first(&s->by_name, h); pos != UINT32_MAX;
	     pos = conf_index_next(&s->by_name, pos, h)) {
		const struct service *v = &s->v[s->by_name.link[pos].id];
		if (!proto_ok(v, proto))
			continue;
		for (unsigned k = 0; k < v->nnames; k++)
			if (strcmp(v->names[k], name) == 0)
				return v->port;
	}
	return -1;
}

const char *conf_service_name(const struct conf_services *s, int port,
			      const char *proto)
{
	if (!s || s->n == 0 || port < 0 || port > 65535)
		return NULL;
	uint32_t h = port_hash(port);
	for (uint32_t pos = conf_index_first(&s->by_port, h); pos != UINT32_MAX;
	     pos = conf_index_next(&s->by_port, pos, h)) {
		const struct service *v = &s->v[s->by_port.link[pos].id];
		if (v->port == port && proto_ok(v, proto))
			return v->names[0];
	}
	return NULL;
}
