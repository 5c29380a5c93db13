/*
 * fakedns zone: names, records, behaviours, and the text format of
 * the tests/data zone files (docs/fakedns.md).  Not locked: the server holds its
 * mutex around every call.
 */
#ifndef FAKEDNS_ZONE_H
#define FAKEDNS_ZONE_H

#include <stddef.h>
#include <stdint.h>

#include "fakedns.h"

enum { FDZ_RR_A, FDZ_RR_AAAA, FDZ_RR_CNAME, FDZ_RR_PTR };

struct fdz_behav {
	uint64_t set;			/* bit per enum fakedns_kind */
	uint32_t arg[FAKEDNS_KIND_MAX];
};

struct fdz_name {
	struct fdz_name *next;		/* hash chain */
	char *name;			/* canonical (fdw_canon) */
	uint8_t (*a)[4];
	size_t na, cap_a;
	uint8_t (*aaaa)[16];
	size_t naaaa, cap_aaaa;
	char *cname;
	char **ptr;
	size_t nptr, cap_ptr;
	uint32_t ttl[4];		/* per FDZ_RR_*; 0 = zone default */
	unsigned rot;			/* rotate behaviour position */
	struct fdz_behav b;
};

struct fdz_zone {
	struct fdz_name **tab;
	size_t nbuckets;
	size_t count;
	uint32_t ttl;			/* default TTL */
	struct fdz_behav global;
};

int fdz_init(struct fdz_zone *z);
void fdz_free(struct fdz_zone *z);
void fdz_clear(struct fdz_zone *z);

/* Lookup by canonical name; NULL if absent. */
struct fdz_name *fdz_find(const struct fdz_zone *z, const char *canon);
/* Does the name own any record? (absent or behaviour-only: NXDOMAIN) */
int fdz_exists(const struct fdz_name *e);

int fdz_add_a(struct fdz_zone *z, const char *name, const char *addr,
	      unsigned count);
int fdz_add_aaaa(struct fdz_zone *z, const char *name, const char *addr,
		 unsigned count);
int fdz_add_cname(struct fdz_zone *z, const char *name, const char *target);
int fdz_add_ptr(struct fdz_zone *z, const char *name, const char *target);
int fdz_remove(struct fdz_zone *z, const char *name);
size_t fdz_count(const struct fdz_zone *z, const char *name, int qtype);

/* Behaviours; name NULL or "*" = global. */
int fdz_set(struct fdz_zone *z, const char *name, enum fakedns_kind k,
	    unsigned arg);
int fdz_unset(struct fdz_zone *z, const char *name, enum fakedns_kind k);
int fdz_clear_behav(struct fdz_zone *z, const char *name);
/* Parse "truncate 512" etc. into kind + arg.  0 / -1. */
int fdz_parse_behav(const char *spec, enum fakedns_kind *k, unsigned *arg);
const char *fdz_kind_name(enum fakedns_kind k);
/* Global behaviours merged with the name's own (name may be NULL). */
void fdz_effective(const struct fdz_zone *z, const struct fdz_name *e,
		   struct fdz_behav *out);

static inline int fdz_has(const struct fdz_behav *b, enum fakedns_kind k)
{
	return (int)((b->set >> k) & 1u);
}

/* Zone text: one record or directive per line.  On error, "line N: why"
 * goes into err and -1 is returned; lines before it stay loaded. */
int fdz_load_text(struct fdz_zone *z, const char *text, char *err,
		  size_t errlen);
int fdz_load_file(struct fdz_zone *z, const char *path, char *err,
		  size_t errlen);

#endif
