/*
 * Parsed configuration files and how a lookup looks at them, shared by the
 * snapshot cache (conf_snapshot.c) and the parts themselves (conf_part.c).
 */
#ifndef RFCRES_CONF_PART_H
#define RFCRES_CONF_PART_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf/conf_snapshot.h"
#include "conf/conf_watch.h"

enum { ENV_LOCALDOMAIN, ENV_RES_OPTIONS, NENV };

/* One parsed file, shared by every snapshot built while it did not change. */
struct conf_part {
	atomic_uint refs;
	enum conf_file kind;
	struct conf_file_id id;
	char *path;
	char *env[NENV]; /* resolv only: LOCALDOMAIN, RES_OPTIONS at parse */
	void *obj;
};

/* What the files look like now (filled without the lock).  A file the
 * watcher vouches for is not stat'ed: unchanged since it was confirmed. */
struct probe {
	const char *path[CONF_NFILES];
	struct conf_file_id id[CONF_NFILES];
	bool stated[CONF_NFILES]; /* false: vouched for by the watcher */
	const char *env[NENV];
	struct conf_watch_ticket ticket;
	unsigned look;            /* the watcher's answer (bit = index) */
};

/* Where resolv.conf's search domain comes from without one (gethostname
 * when NULL); set under the cache lock (conf_set_hostname_fn). */
extern int (*conf_part_hostname_fn)(char *, size_t);
/* conf_stats: parses per file, parts alive. */
extern atomic_uint_fast64_t conf_part_parses[CONF_NFILES];
extern atomic_uint_fast64_t conf_part_live;

/* Files first..first+n-1 of pr: paths now, the watcher's answer, stats of
 * what it cannot vouch for. */
void conf_probe_range(struct probe *pr, int first, int n);
/* The snapshot's files and the resolver environment variables. */
void conf_probe_files(struct probe *pr);
/* p still describes the file as pr sees it. */
bool conf_part_matches(const struct conf_part *p, const struct probe *pr);
/* Reads and parses file f (NULL: out of memory or descriptors, traced). */
struct conf_part *conf_part_load(enum conf_file f, const struct probe *pr,
				 const char *reason);
void conf_part_release(struct conf_part *p);

#endif
