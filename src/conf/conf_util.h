/*
 * Helpers shared by the configuration parsers (private to src/conf):
 * line and token iteration over a length-delimited text (the text may hold
 * NUL bytes: a hostile file must not truncate or confuse the parser), the
 * skip trace, and a small chained hash index used by hosts and services.
 */
#ifndef RFCRES_CONF_UTIL_H
#define RFCRES_CONF_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest line any parser looks at; longer lines are skipped (traced).
 * Far above anything legitimate (a hosts line with 255-octet names). */
#define CONF_MAX_LINE 65536

struct conf_line {
	const char *p;  /* start of the line, not NUL-terminated */
	size_t len;     /* without the newline */
	unsigned no;    /* 1-based line number */
	bool has_nul;   /* the line contains a NUL byte */
};

struct conf_lines {
	const char *text;
	size_t len, pos;
	unsigned no;
};

void conf_lines_init(struct conf_lines *it, const char *text, size_t len);
bool conf_lines_next(struct conf_lines *it, struct conf_line *line);

/* Cuts the line at the first occurrence of any character in chars. */
void conf_line_strip_comment(struct conf_line *line, const char *chars);

/* Next whitespace-separated token of line starting at *pos.  Whitespace is
 * space, tab, CR, VT and FF (CR so that files written on Windows parse). */
bool conf_token(const struct conf_line *line, size_t *pos, const char **tok,
		size_t *toklen);
bool conf_is_space(char c);

/* Copies a token into dst (NUL-terminated); false if it does not fit. */
bool conf_tokcpy(char *dst, size_t cap, const char *tok, size_t len);
bool conf_tokeq(const char *tok, size_t len, const char *word);

/* Unsigned decimal, digits only, value <= max. */
bool conf_parse_uint(const char *s, size_t len, unsigned long max,
		     unsigned long *out);

/* TRACE(RFCRES_TRACE_CONF, "conf.skip", "file=.. line=N reason=..") */
void conf_trace_skip(const char *file, unsigned line, const char *reason);

/* IPv6 zone ("%eth0" or "%2") as glibc's __inet6_scopeid_pton: an interface
 * name is tried for link-local addresses, then a decimal number. */
bool conf_scope_id(const void *in6, const char *scope, uint32_t *out);

/* ASCII case-insensitive FNV-1a (the index key for host names). */
uint32_t conf_hash_name(const char *s, bool fold);
uint32_t conf_hash_bytes(const void *p, size_t len, uint32_t seed);

/*
 * Chained hash index: maps a 32-bit hash to item ids, each chain in
 * insertion order.  Build: conf_index_init(n) then conf_index_add() in
 * the order lookups must see; lookups walk conf_index_first/next and
 * compare the real key themselves.
 */
struct conf_index {
	uint32_t *head;   /* nbuckets, UINT32_MAX = empty */
	uint32_t *tail;   /* build-time only */
	struct conf_index_link {
		uint32_t hash, id, next;
	} *link;
	uint32_t nbuckets, nlinks, caplinks;
};

bool conf_index_init(struct conf_index *ix, size_t nitems);
bool conf_index_add(struct conf_index *ix, uint32_t hash, uint32_t id);
void conf_index_done(struct conf_index *ix); /* frees build-only memory */
void conf_index_free(struct conf_index *ix);
/* Returns the link position, UINT32_MAX at the end. */
uint32_t conf_index_first(const struct conf_index *ix, uint32_t hash);
uint32_t conf_index_next(const struct conf_index *ix, uint32_t pos,
			 uint32_t hash);

#endif
