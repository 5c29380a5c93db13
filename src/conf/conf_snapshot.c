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

#include "conf/conf_gai.h"
#include "conf/conf_hosts.h"
#include "conf/conf_resolv.h"
#include "conf/conf_services.h"
#include "conf/conf_watch.h"
#include "rfcres.h"
#include "sys.h"
#include "trace.h"

enum { ENV_LOCALDOMAIN, ENV_RES_OPTIONS, NENV };

static const char *const env_names[NENV] = { "LOCALDOMAIN", "RES_OPTIONS" };

static const struct {
	const char *env, *dflt;
	size_t max;
} files[CONF_NFILES] = {
	[CONF_FILE_RESOLV] = { CONF_ENV_RESOLV, CONF_PATH_RESOLV, CONF_MAX_FILE },
	[CONF_FILE_GAI] = { CONF_ENV_GAI, CONF_PATH_GAI, CONF_MAX_FILE },
	[CONF_FILE_HOSTS] = { CONF_ENV_HOSTS, CONF_PATH_HOSTS,
			      CONF_MAX_HOSTS_FILE },
	[CONF_FILE_SERVICES] = { CONF_ENV_SERVICES, CONF_PATH_SERVICES,
				 CONF_MAX_FILE },
};

/* One parsed file, shared by every snapshot built while it did not change. */
struct conf_part {
	atomic_uint refs;
	enum conf_file kind;
	struct conf_file_id id;
	char *path;
	char *env[NENV]; /* resolv only: LOCALDOMAIN, RES_OPTIONS at parse */
	void *obj;
};

struct snap {
	struct conf_snapshot s;
	struct conf_part *part[CONF_NSNAPFILES];
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

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static struct snap *current;   /* the cache's own reference */
static bool invalidated;       /* res_init(): reload everything */
static struct conf_part *cur_services; /* the cache's own reference */
static bool services_invalidated;      /* res_init() for services */
static uint64_t generation;
static int (*hostname_fn)(char *, size_t);

static atomic_uint_fast64_t stat_parses[CONF_NFILES];
static atomic_uint_fast64_t stat_built, stat_destroyed, stat_parts;

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

/* ---- identity --------------------------------------------------------- */

static void id_from_stat(struct conf_file_id *id, const struct stat *st)
{
	memset(id, 0, sizeof *id);
	id->present = true;
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtim = st->st_mtim;
	id->ctim = st->st_ctim;
}

static bool id_equal(const struct conf_file_id *a, const struct conf_file_id *b)
{
	if (a->present != b->present)
		return false;
	if (!a->present)
		return true;
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtim.tv_sec == b->mtim.tv_sec &&
	       a->mtim.tv_nsec == b->mtim.tv_nsec &&
	       a->ctim.tv_sec == b->ctim.tv_sec &&
	       a->ctim.tv_nsec == b->ctim.tv_nsec;
}

static bool str_equal(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static const char *path_of(enum conf_file f)
{
	const char *p = rfcres_sys.getenv(files[f].env);
	return p && *p ? p : files[f].dflt;
}

const char *conf_file_path(enum conf_file f)
{
	return f < CONF_NFILES ? path_of(f) : NULL;
}

static void stat_id(const char *path, struct conf_file_id *id)
{
	struct stat st;
	/* stat follows symlinks: a re-pointed link (Kubernetes ..data
	 * swap) shows up as a different dev/ino */
	if (rfcres_sys.stat(path, &st) == 0)
		id_from_stat(id, &st);
	else
		memset(id, 0, sizeof *id);
}

/* Files first..first+n-1: the watcher says which to stat. */
static void probe_range(struct probe *pr, int first, int n)
{
	for (int f = first; f < first + n; f++)
		pr->path[f] = path_of((enum conf_file)f);
	pr->look = conf_watch_check(pr->path + first, (unsigned)n,
				    &pr->ticket);
	for (int f = first; f < first + n; f++) {
		pr->stated[f] = (pr->look >> (f - first)) & 1u;
		if (pr->stated[f])
			stat_id(pr->path[f], &pr->id[f]);
		else
			memset(&pr->id[f], 0, sizeof pr->id[f]);
	}
}

static void probe_files(struct probe *pr)
{
	probe_range(pr, 0, CONF_NSNAPFILES);
	for (int e = 0; e < NENV; e++)
		pr->env[e] = rfcres_sys.getenv(env_names[e]);
}

static bool part_matches(const struct conf_part *p, const struct probe *pr)
{
	if (!str_equal(p->path, pr->path[p->kind]) ||
	    (pr->stated[p->kind] && !id_equal(&p->id, &pr->id[p->kind])))
		return false;
	if (p->kind == CONF_FILE_RESOLV)
		for (int e = 0; e < NENV; e++)
			if (!str_equal(p->env[e], pr->env[e]))
				return false;
	return true;
}

static bool snap_matches(const struct snap *s, const struct probe *pr)
{
	for (int f = 0; f < CONF_NSNAPFILES; f++)
		if (!part_matches(s->part[f], pr))
			return false;
	return true;
}

/* ---- parts ------------------------------------------------------------ */

static void part_free(struct conf_part *p)
{
	switch (p->kind) {
	case CONF_FILE_RESOLV:
		conf_resolv_free(p->obj);
		break;
	case CONF_FILE_GAI:
		conf_policy_free(p->obj);
		break;
	case CONF_FILE_HOSTS:
		conf_hosts_free(p->obj);
		break;
	case CONF_FILE_SERVICES:
		conf_services_free(p->obj);
		break;
	default:
		break;
	}
	free(p->path);
	for (int e = 0; e < NENV; e++)
		free(p->env[e]);
	free(p);
	atomic_fetch_sub(&stat_parts, 1);
}

static void part_release(struct conf_part *p)
{
	if (p && atomic_fetch_sub_explicit(&p->refs, 1,
					   memory_order_acq_rel) == 1)
		part_free(p);
}

static void *parse_text(enum conf_file f, const char *text, size_t len,
			bool present, const char *path, char *const *env)
{
	atomic_fetch_add(&stat_parses[f], 1);
	switch (f) {
	case CONF_FILE_RESOLV: {
		char host[256];
		int (*fn)(char *, size_t) = hostname_fn ? hostname_fn
							: gethostname;
		memset(host, 0, sizeof host);
		bool have_host = fn(host, sizeof host - 1) == 0;
		struct conf_resolv_env renv = {
			.localdomain = env[ENV_LOCALDOMAIN],
			.res_options = env[ENV_RES_OPTIONS],
			.hostname = have_host ? host : NULL,
			.file = path,
		};
		return conf_resolv_parse(text, len, present, &renv);
	}
	case CONF_FILE_GAI:
		return conf_policy_parse(text, len, present, path);
	case CONF_FILE_HOSTS:
		return conf_hosts_parse(text, len, path);
	default:
		return conf_services_parse(text, len, path);
	}
}

static void trace_load(const struct conf_part *p, const char *reason)
{
	if (!trace_on())
		return;
	char safe[512];
	trace_emit(RFCRES_TRACE_CONF, "conf.load",
		   "file=%s dev=%llu ino=%llu size=%lld mtime=%lld.%09ld "
		   "reason=%s",
		   trace_safe(p->path, safe, sizeof safe),
		   (unsigned long long)p->id.dev,
		   (unsigned long long)p->id.ino, (long long)p->id.size,
		   (long long)p->id.mtim.tv_sec, (long)p->id.mtim.tv_nsec,
		   reason);
}

static void trace_error(const char *path, int err)
{
	if (!trace_on())
		return;
	char safe[512];
	trace_emit(RFCRES_TRACE_CONF, "conf.error", "file=%s errno=%d reason=%s",
		   trace_safe(path, safe, sizeof safe), err,
		   err == EFBIG ? "too_large"
		   : err == ENOMEM || err == EMFILE || err == ENFILE
			   ? "no_resources"
			   : "unreadable");
}

/* Reads and parses one file.  The identity recorded is the one of the
 * file actually read (fstat of the open descriptor), so a change between
 * the stat and the open is not missed: the next stat will differ. */
static struct conf_part *part_load(enum conf_file f, const struct probe *pr,
				   const char *reason)
{
	struct conf_part *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	atomic_fetch_add(&stat_parts, 1);
	atomic_init(&p->refs, 1);
	p->kind = f;
	p->path = strdup(pr->path[f]);
	if (!p->path)
		goto fail;
	if (f == CONF_FILE_RESOLV) {
		for (int e = 0; e < NENV; e++) {
			if (pr->env[e] && !(p->env[e] = strdup(pr->env[e])))
				goto fail;
		}
	}
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	int rc = sys_read_file(p->path, files[f].max, &text, &len, &st);
	if (rc == 0) {
		id_from_stat(&p->id, &st);
	} else {
		/* Missing or unusable: parse as absent, but remember the
		 * stat identity so an unreadable or oversized file is not
		 * re-read by every lookup. */
		p->id = pr->id[f];
		if (!pr->stated[f])
			stat_id(p->path, &p->id);
		if (rc == -ENOENT) {
			memset(&p->id, 0, sizeof p->id);
		} else if (rc == -ENOMEM || rc == -EMFILE || rc == -ENFILE) {
			/* A state of the process, not of the file: caching
			 * "absent" under the file's identity would keep the
			 * built-in defaults (nameserver 127.0.0.1) after
			 * descriptors or memory come back, until the file
			 * changes.  Fail the build: the caller keeps the
			 * previous snapshot and the next lookup reads again
			 * (test_faults.c t_emfile). */
			trace_error(p->path, -rc);
			goto fail;
		} else {
			trace_error(p->path, -rc);
		}
	}
	p->obj = parse_text(f, text, len, rc == 0, p->path, p->env);
	free(text);
	if (!p->obj)
		goto fail;
	trace_load(p, p->id.present ? reason : "missing");
	return p;
fail:
	part_release(p);
	return NULL;
}

/* ---- snapshots -------------------------------------------------------- */

static void snap_destroy(struct conf_snapshot *s)
{
	struct snap *sn = s->priv;
	for (int f = 0; f < CONF_NSNAPFILES; f++)
		part_release(sn->part[f]);
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
		if (op && !all && part_matches(op, pr)) {
			atomic_fetch_add_explicit(&op->refs, 1,
						  memory_order_relaxed);
			sn->part[f] = op;
			continue;
		}
		sn->part[f] = part_load((enum conf_file)f, pr, reason);
		if (!sn->part[f]) {
			for (int g = 0; g < f; g++)
				part_release(sn->part[g]);
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
	sn->s.id_resolv = sn->part[CONF_FILE_RESOLV]->id;
	sn->s.id_gai = sn->part[CONF_FILE_GAI]->id;
	sn->s.id_hosts = sn->part[CONF_FILE_HOSTS]->id;
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
	probe_files(&pr);

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
		probe_files(&pr);
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
	probe_range(&pr, CONF_FILE_SERVICES, 1);

	pthread_mutex_lock(&cache_lock);
	struct conf_part *cur = cur_services;
	if (cur && !services_invalidated) {
		/* As in conf_acquire: a stat older than the part another
		 * thread just published must not cause a reload. */
		if (!part_matches(cur, &pr))
			probe_range(&pr, CONF_FILE_SERVICES, 1);
		if (part_matches(cur, &pr)) {
			services_ref(ref, cur);
			pthread_mutex_unlock(&cache_lock);
			if (pr.look)
				conf_watch_confirm(&pr.ticket, pr.look);
			return;
		}
	}
	const char *reason = !cur ? "first"
			     : services_invalidated ? "res_init" : "changed";
	struct conf_part *p = part_load(CONF_FILE_SERVICES, &pr, reason);
	if (!p) {
		/* out of memory or descriptors (part_load): keep serving
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
	part_release(cur);
}

void conf_services_release(struct conf_services_ref *ref)
{
	part_release(ref->priv);
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
	part_release(old_services);
}

void conf_set_hostname_fn(int (*fn)(char *name, size_t len))
{
	pthread_mutex_lock(&cache_lock);
	hostname_fn = fn;
	pthread_mutex_unlock(&cache_lock);
}

void conf_stats(struct conf_stats *out)
{
	memset(out, 0, sizeof *out);
	for (int f = 0; f < CONF_NFILES; f++)
		out->parses[f] = atomic_load(&stat_parses[f]);
	out->snapshots_built = atomic_load(&stat_built);
	out->snapshots_live = out->snapshots_built - atomic_load(&stat_destroyed);
	out->parts_live = atomic_load(&stat_parts);
	pthread_mutex_lock(&cache_lock);
	out->generation = current ? current->s.generation : 0;
	pthread_mutex_unlock(&cache_lock);
}
