/* Shared helpers of the configuration parsers (see conf_util.h). */
#include "conf/conf_util.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "rfcres.h"
#include "sys.h"
#include "trace.h"

void conf_lines_init(struct conf_lines *it, const char *text, size_t len)
{
	it->text = text ? text : "";
	it->len = text ? len : 0;
	it->pos = 0;
	it->no = 0;
}

bool conf_lines_next(struct conf_lines *it, struct conf_line *line)
{
	if (it->pos >= it->len)
		return false;
	const char *start = it->text + it->pos;
	size_t rest = it->len - it->pos;
	const char *nl = memchr(start, '\n', rest);
	size_t n = nl ? (size_t)(nl - start) : rest;
	it->pos += n + (nl ? 1 : 0);
	it->no++;
	line->p = start;
	line->len = n;
	line->no = it->no;
	line->has_nul = memchr(start, '\0', n) != NULL;
	return true;
}

void conf_line_strip_comment(struct conf_line *line, const char *chars)
{
	for (size_t i = 0; i < line->len; i++) {
		if (strchr(chars, line->p[i]) && line->p[i] != '\0') {
			line->len = i;
			return;
		}
	}
}

bool conf_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

bool conf_token(const struct conf_line *line, size_t *pos, const char **tok,
		size_t *toklen)
{
	size_t i = *pos;
	while (i < line->len && conf_is_space(line->p[i]))
		i++;
	if (i >= line->len) {
		*pos = i;
		return false;
	}
	size_t start = i;
	while (i < line->len && !conf_is_space(line->p[i]))
		i++;
	*tok = line->p + start;
	*toklen = i - start;
	*pos = i;
	return true;
}

bool conf_tokcpy(char *dst, size_t cap, const char *tok, size_t len)
{
	if (len >= cap || memchr(tok, '\0', len))
		return false;
	memcpy(dst, tok, len);
	dst[len] = '\0';
	return true;
}

bool conf_tokeq(const char *tok, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(tok, word, len) == 0;
}

bool conf_parse_uint(const char *s, size_t len, unsigned long max,
		     unsigned long *out)
{
	if (len == 0)
		return false;
	unsigned long v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

void conf_trace_skip(const char *file, unsigned line, const char *reason)
{
	if (!trace_on())
		return;
	char safe[256];
	trace_emit(RFCRES_TRACE_CONF, "conf.skip", "file=%s line=%u reason=%s",
		   trace_safe(file, safe, sizeof safe), line, reason);
}

bool conf_scope_id(const void *in6, const char *scope, uint32_t *out)
{
	const struct in6_addr *a = in6;
	if (*scope == '\0')
		return false;
	if (IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_MC_NODELOCAL(a) ||
	    IN6_IS_ADDR_MC_LINKLOCAL(a)) {
		unsigned idx = rfcres_sys.if_nametoindex(scope);
		if (idx != 0) {
			*out = idx;
			return true;
		}
	}
	unsigned long v;
	if (conf_parse_uint(scope, strlen(scope), UINT32_MAX, &v)) {
		*out = (uint32_t)v;
		return true;
	}
	return false;
}

uint32_t conf_hash_bytes(const void *p, size_t len, uint32_t seed)
{
	const unsigned char *b = p;
	uint32_t h = seed ? seed : 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

uint32_t conf_hash_name(const char *s, bool fold)
{
	uint32_t h = 2166136261u;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (fold && c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h ^= c;
		h *= 16777619u;
	}
	return h;
}

bool conf_index_init(struct conf_index *ix, size_t nitems)
{
	memset(ix, 0, sizeof *ix);
	size_t nb = 16;
	while (nb < nitems * 2 && nb < (1u << 30))
		nb <<= 1;
	ix->head = malloc(nb * sizeof *ix->head);
	ix->tail = malloc(nb * sizeof *ix->tail);
	if (!ix->head || !ix->tail) {
		conf_index_free(ix);
		return false;
	}
	memset(ix->head, 0xff, nb * sizeof *ix->head);
	ix->nbuckets = (uint32_t)nb;
	return true;
}

bool conf_index_add(struct conf_index *ix, uint32_t hash, uint32_t id)
{
	if (ix->nlinks == ix->caplinks) {
		if (ix->caplinks >= UINT32_MAX / 2)
			return false;
		uint32_t ncap = ix->caplinks ? ix->caplinks * 2 : 64;
		void *n = realloc(ix->link, (size_t)ncap * sizeof *ix->link);
		if (!n)
			return false;
		ix->link = n;
		ix->caplinks = ncap;
	}
	uint32_t pos = ix->nlinks++;
	uint32_t b = hash & (ix->nbuckets - 1);
	ix->link[pos].hash = hash;
	ix->link[pos].id = id;
	ix->link[pos].next = UINT32_MAX;
	if (ix->head[b] == UINT32_MAX)
		ix->head[b] = pos;
	else
		ix->link[ix->tail[b]].next = pos;
	ix->tail[b] = pos;
	return true;
}

void conf_index_done(struct conf_index *ix)
{
	free(ix->tail);
	ix->tail = NULL;
}

void conf_index_free(struct conf_index *ix)
{
	free(ix->head);
	free(ix->tail);
	free(ix->link);
	memset(ix, 0, sizeof *ix);
}

uint32_t conf_index_first(const struct conf_index *ix, uint32_t hash)
{
	if (!ix->head)
		return UINT32_MAX;
	uint32_t pos = ix->head[hash & (ix->nbuckets - 1)];
	while (pos != UINT32_MAX && ix->link[pos].hash != hash)
		pos = ix->link[pos].next;
	return pos;
}

uint32_t conf_index_next(const struct conf_index *ix, uint32_t pos,
			 uint32_t hash)
{
	pos = ix->link[pos].next;
	while (pos != UINT32_MAX && ix->link[pos].hash != hash)
		pos = ix->link[pos].next;
	return pos;
}
