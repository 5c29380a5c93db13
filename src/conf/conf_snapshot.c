/*
 * Configuration snapshot cache (DESIGN "Config snapshot", seed 001).
 *
 * Every conf_acquire() asks the watcher (conf_watch.c) which files may have
 * changed, stats those, and compares their full identity (presence, dev,
 * ino, size, mtime ns, ctime ns) and the paths and environment they were
 * parsed under with the current snapshot.  Equal: the current snapshot
 * gets one more reference (with inotify and nothing changed: one poll(),
 * no stat, a lock, no allocation; where inotify cannot see a file's every
 * change, a stat of that file).  Different: a new snapshot is built that
 * shares every unchanged parsed file with the old one ("parts", refcounted
 * on their own) and re-parses only what changed; lookups holding the old
 * snapshot keep it.  Nothing a lookup learns is part of the identity, so
 * nothing can prevent a reload (glibc BZ 31476: RES_SNGLKUP set by send_dg
 * made the cached configuration never match again).
 *
 * A part -- one parsed file, its identity, and how a lookup looks at it
 * -- is conf_part.c.
 *
 * The services file is a part of its own, checked the same way but only by
 * conf_services_acquire(), i.e. only when a service name must be resolved:
 * a NULL or numeric service (nearly every getaddrinfo call) costs no stat()
 * of /etc/services.
 */
#include "conf/conf_snapshot.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf_part.h"
#include "conf/conf_resolv.h"
#include "conf/conf_watch.h"
#include "rfcres.h"
#include "sys.h"
#include "trace.h"

struct snap {
	struct conf_snapshot s;
	struct conf_part *part[CONF_NSNAPFILES];
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static struct snap *current;   /* the cache's own reference */
static bool invalidated;       /* res_init(): reload everything */
static struct conf_part *cur_services; /* the cache's own reference */
static bool services_invalidated;      /* res_init() for services */
static uint64_t generation;

static atomic_uint_fast64_t stat_built, stat_destroyed;

/* ---- fork safety ---------------------------------------------------- */

static void atfork_prepare(void)
{
	pthread_mutex_lock(&cache_lock);
}

static void atfork_release(void)
{
	pthread_mutex_unlock(&cache_lock);
}

static void cache_init(void)
{
	/* The child gets the lock in a known state and a consistent cache
	 * (no other thread was inside the critical section at fork).  The
	 * watcher's handlers first: at fork our lock is then taken before
	 * its lock, as conf_acquire takes them. */
	conf_watch_init();
	pthread_atfork(atfork_prepare, atfork_release, atfork_release);
}

static bool snap_matches(const struct snap *s, const struct probe *pr)
{
	for (int f = 0; f < CONF_NSNAPFILES; f++)
		if (!conf_part_matches(s->part[f], pr))
			return false;
	return true;
}

/* ---- snapshots -------------------------------------------------------- */

static void snap_destroy(struct conf_snapshot *s)
{
	struct snap *sn = s->priv;
	for (int f = 0; f < CONF_NSNAPFILES; f++)
		conf_part_release(sn->part[f]);
	free(sn);
	atomic_fetch_add(&stat_destroyed, 1);
}

static struct snap *snap_build(const struct snap *old, const struct probe *pr,
			       bool all)
{
	struct snap *sn = calloc(1, sizeof *sn);
	if (!sn)
		return NULL;
	const char *reason = !old ? "first" : all ? "res_init" : "changed";
	for (int f = 0; f < CONF_NSNAPFILES; f++) {
		struct conf_part *op = old ? old->part[f] : NULL;
		if (op && !all && conf_part_matches(op, pr)) {
			atomic_fetch_add_explicit(&op->refs, 1,
						  memory_order_relaxed);
			sn->part[f] = op;
			continue;
		}
		sn->part[f] = conf_part_load((enum conf_file)f, pr, reason);
		if (!sn->part[f]) {
			for (int g = 0; g < f; g++)
				conf_part_release(sn->part[g]);
			free(sn);
			return NULL;
		}
	}
	/* learned[] and rotate_next start at 0 (calloc): per-server state
	 * never survives a configuration change (seed 001). */
	atomic_init(&sn->s.refs, 1);
	sn->s.generation = ++generation;
	sn->s.resolv = sn->part[CONF_FILE_RESOLV]->obj;
	sn->s.policy = sn->part[CONF_FILE_GAI]->obj;
	sn->s.hosts = sn->part[CONF_FILE_HOSTS]->obj;
	sn->s.nsswitch = sn->part[CONF_FILE_NSSWITCH]->obj;
	sn->s.id_resolv = sn->part[CONF_FILE_RESOLV]->id;
	sn->s.id_gai = sn->part[CONF_FILE_GAI]->id;
	sn->s.id_hosts = sn->part[CONF_FILE_HOSTS]->id;
	sn->s.id_nsswitch = sn->part[CONF_FILE_NSSWITCH]->id;
	sn->s.priv = sn;
	sn->s.destroy = snap_destroy;
	atomic_fetch_add(&stat_built, 1);
	if (trace_on())
		trace_emit(RFCRES_TRACE_CONF, "conf.snapshot",
			   "generation=%llu nns=%u",
			   (unsigned long long)sn->s.generation,
			   sn->s.resolv->nns);
	return sn;
}

/* Last resort when the very first build runs out of memory: built-in
 * defaults, never freed. */
static struct conf_resolv fallback_resolv;
static char *fallback_search[1];
static struct conf_snapshot fallback;
static pthread_once_t fallback_once = PTHREAD_ONCE_INIT;

static void fallback_init(void)
{
	struct conf_resolv *r = conf_resolv_parse(NULL, 0, false, NULL);
	if (r) {
		fallback_resolv = *r;
		fallback_resolv.search = fallback_search;
		fallback_resolv.nsearch = 0;
		conf_resolv_free(r);
	} else {
		/* no memory even for that: one IPv4 loopback server */
		fallback_resolv.ns[0].addr.sin.sin_family = AF_INET;
		fallback_resolv.ns[0].addr.sin.sin_port = htons(53);
		fallback_resolv.ns[0].addr.sin.sin_addr.s_addr =
			htonl(INADDR_LOOPBACK);
		fallback_resolv.ns[0].addrlen = sizeof(struct sockaddr_in);
		fallback_resolv.nns = 1;
		fallback_resolv.ndots = 1;
		fallback_resolv.timeout = 5;
		fallback_resolv.attempts = 2;
		fallback_resolv.ns_default = true;
		fallback_resolv.search = fallback_search;
	}
	atomic_init(&fallback.refs, 1);
	fallback.resolv = &fallback_resolv;
	fallback.policy = conf_policy_default();
}

struct conf_snapshot *conf_acquire(void)
{
	pthread_once(&cache_once, cache_init);
	struct probe pr;
	conf_probe_files(&pr);

	pthread_mutex_lock(&cache_lock);
	struct snap *cur = current;
	if (cur && !invalidated && snap_matches(cur, &pr)) {
		conf_ref(&cur->s);
		pthread_mutex_unlock(&cache_lock);
		if (pr.look)
			conf_watch_confirm(&pr.ticket, pr.look);
		return &cur->s;
	}
	if (cur && !invalidated) {
		/* Look again under the lock: another thread may have
		 * published the change since our stat, and a stat older
		 * than the current snapshot must not cause a rebuild. */
		conf_probe_files(&pr);
		if (snap_matches(cur, &pr)) {
			conf_ref(&cur->s);
			pthread_mutex_unlock(&cache_lock);
			if (pr.look)
				conf_watch_confirm(&pr.ticket, pr.look);
			return &cur->s;
		}
	}
	struct snap *sn = snap_build(cur, &pr, invalidated);
	if (!sn) {
		/* Keep the previous snapshot: take the caller's reference
		 * while the lock still guarantees the cache's own (after the
		 * unlock another thread may replace and release it). */
		if (cur)
			conf_ref(&cur->s);
		pthread_mutex_unlock(&cache_lock);
		TRACE(RFCRES_TRACE_CONF, "conf.error", "reason=no_resources kept=%s",
		      cur ? "previous" : "builtin");
		if (cur)
			return &cur->s;
		pthread_once(&fallback_once, fallback_init);
		return conf_ref(&fallback);
	}
	invalidated = false;
	current = sn;
	conf_ref(&sn->s); /* the caller's reference */
	pthread_mutex_unlock(&cache_lock);
	conf_watch_confirm(&pr.ticket, pr.look);
	if (cur)
		conf_release(&cur->s); /* the cache's reference to the old */
	return &sn->s;
}

/* ---- services, outside the snapshot ------------------------------------ */

static void services_ref(struct conf_services_ref *ref, struct conf_part *p)
{
	atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
	ref->services = p->obj;
	ref->id = p->id;
	ref->priv = p;
}

void conf_services_acquire(struct conf_services_ref *ref)
{
	pthread_once(&cache_once, cache_init);
	memset(ref, 0, sizeof *ref);
	struct probe pr;
	memset(&pr, 0, sizeof pr);
	conf_probe_range(&pr, CONF_FILE_SERVICES, 1);

	pthread_mutex_lock(&cache_lock);
	struct conf_part *cur = cur_services;
	if (cur && !services_invalidated) {
		/* As in conf_acquire: a stat older than the part another
		 * thread just published must not cause a reload. */
		if (!conf_part_matches(cur, &pr))
			conf_probe_range(&pr, CONF_FILE_SERVICES, 1);
		if (conf_part_matches(cur, &pr)) {
			services_ref(ref, cur);
			pthread_mutex_unlock(&cache_lock);
			if (pr.look)
				conf_watch_confirm(&pr.ticket, pr.look);
			return;
		}
	}
	const char *reason = !cur ? "first"
			     : services_invalidated ? "res_init" : "changed";
	struct conf_part *p = conf_part_load(CONF_FILE_SERVICES, &pr, reason);
	if (!p) {
		/* out of memory or descriptors (conf_part_load): keep serving
		 * the previous parse, if any */
		if (cur)
			services_ref(ref, cur);
		pthread_mutex_unlock(&cache_lock);
		TRACE(RFCRES_TRACE_CONF, "conf.error",
		      "file=services reason=no_resources kept=%s",
		      cur ? "previous" : "none");
		return;
	}
	services_invalidated = false;
	cur_services = p; /* the cache's reference (refs = 1 from the load) */
	services_ref(ref, p);
	pthread_mutex_unlock(&cache_lock);
	conf_watch_confirm(&pr.ticket, pr.look);
	conf_part_release(cur);
}

void conf_services_release(struct conf_services_ref *ref)
{
	conf_part_release(ref->priv);
	memset(ref, 0, sizeof *ref);
}

void conf_invalidate(void)
{
	pthread_once(&cache_once, cache_init);
	pthread_mutex_lock(&cache_lock);
	invalidated = true;
	services_invalidated = true;
	pthread_mutex_unlock(&cache_lock);
	TRACE(RFCRES_TRACE_CONF, "conf.invalidate", "reason=res_init");
}

void conf_cache_clear(void)
{
	pthread_once(&cache_once, cache_init);
	pthread_mutex_lock(&cache_lock);
	struct snap *old = current;
	struct conf_part *old_services = cur_services;
	current = NULL;
	cur_services = NULL;
	invalidated = false;
	services_invalidated = false;
	pthread_mutex_unlock(&cache_lock);
	if (old)
		conf_release(&old->s);
	conf_part_release(old_services);
}

void conf_set_hostname_fn(int (*fn)(char *name, size_t len))
{
	pthread_mutex_lock(&cache_lock);
	conf_part_hostname_fn = fn;
	pthread_mutex_unlock(&cache_lock);
}

void conf_stats(struct conf_stats *out)
{
	memset(out, 0, sizeof *out);
	for (int f = 0; f < CONF_NFILES; f++)
		out->parses[f] = atomic_load(&conf_part_parses[f]);
	out->snapshots_built = atomic_load(&stat_built);
	out->snapshots_live = out->snapshots_built - atomic_load(&stat_destroyed);
	out->parts_live = atomic_load(&conf_part_live);
	pthread_mutex_lock(&cache_lock);
	out->generation = current ? current->s.generation : 0;
	pthread_mutex_unlock(&cache_lock);
}
