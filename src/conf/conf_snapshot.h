/*
 * Snapshot cache internals visible to tests and the CLI (the contract is
 * conf.h: conf_acquire / conf_release / conf_invalidate).
 */
#ifndef RFCRES_CONF_SNAPSHOT_H
#define RFCRES_CONF_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

enum conf_file {
	CONF_FILE_RESOLV,
	CONF_FILE_GAI,
	CONF_FILE_HOSTS,
	CONF_FILE_NSSWITCH,
	CONF_FILE_SERVICES, /* not in the snapshot: conf_services_acquire() */
	CONF_NFILES
};

/* The files every conf_acquire() stats: those before CONF_FILE_SERVICES. */
#define CONF_NSNAPFILES CONF_FILE_SERVICES

/* Files larger than this are not parsed (traced, treated as absent).
 * hosts gets more room: ad-blocking hosts files run to several MiB. */
#define CONF_MAX_FILE ((size_t)1 << 20)
#define CONF_MAX_HOSTS_FILE ((size_t)64 << 20)

#define CONF_PATH_RESOLV "/etc/resolv.conf"
#define CONF_PATH_GAI "/etc/gai.conf"
#define CONF_PATH_HOSTS "/etc/hosts"
#define CONF_PATH_NSSWITCH "/etc/nsswitch.conf"
#define CONF_PATH_SERVICES "/etc/services"

struct conf_stats {
	uint64_t parses[CONF_NFILES]; /* times each file was parsed */
	uint64_t snapshots_built;
	uint64_t snapshots_live;      /* built and not yet destroyed */
	uint64_t parts_live;          /* parsed files still referenced */
	uint64_t generation;          /* of the current snapshot */
};

void conf_stats(struct conf_stats *out);

/* Drops the cache's own reference to the current snapshot; the next
 * conf_acquire() loads everything again ("first").  For tests and leak
 * checkers; lookups in flight keep their snapshot. */
void conf_cache_clear(void);

/* Where the search domain comes from when resolv.conf has none (glibc:
 * gethostname()).  NULL restores gethostname; tests install a fixed one. */
void conf_set_hostname_fn(int (*fn)(char *name, size_t len));

/* The file's path as conf_acquire() would use it now (env or default). */
const char *conf_file_path(enum conf_file f);

#endif
