/*
 * One configuration file as the snapshot cache sees it (conf_snapshot.c):
 * its path and identity (presence, dev, ino, size, mtime ns, ctime ns),
 * how a lookup looks at it now (the watcher first, stat where needed), and
 * its parse, shared by every snapshot built while it did not change.
 */
#include "conf/conf_part.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf_gai.h"
#include "conf/conf_hosts.h"
#include "conf/conf_nsswitch.h"
#include "conf/conf_resolv.h"
#include "conf/conf_services.h"
#include "sys.h"
#include "trace.h"

static const char *const env_names[NENV] = { "LOCALDOMAIN", "RES_OPTIONS" };

static const struct {
	const char *env, *dflt;
	size_t max;
} files[CONF_NFILES] = {
	[CONF_FILE_RESOLV] = { CONF_ENV_RESOLV, CONF_PATH_RESOLV, CONF_MAX_FILE },
	[CONF_FILE_GAI] = { CONF_ENV_GAI, CONF_PATH_GAI, CONF_MAX_FILE },
	[CONF_FILE_HOSTS] = { CONF_ENV_HOSTS, CONF_PATH_HOSTS,
			      CONF_MAX_HOSTS_FILE },
	[CONF_FILE_NSSWITCH] = { CONF_ENV_NSSWITCH, CONF_PATH_NSSWITCH,
				 CONF_MAX_FILE },
	[CONF_FILE_SERVICES] = { CONF_ENV_SERVICES, CONF_PATH_SERVICES,
				 CONF_MAX_FILE },
};

int (*conf_part_hostname_fn)(char *, size_t);
atomic_uint_fast64_t conf_part_parses[CONF_NFILES];
atomic_uint_fast64_t conf_part_live;

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
void conf_probe_range(struct probe *pr, int first, int n)
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

void conf_probe_files(struct probe *pr)
{
	conf_probe_range(pr, 0, CONF_NSNAPFILES);
	for (int e = 0; e < NENV; e++)
		pr->env[e] = rfcres_sys.getenv(env_names[e]);
}

bool conf_part_matches(const struct conf_part *p, const struct probe *pr)
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
	case CONF_FILE_NSSWITCH:
		conf_nsswitch_free(p->obj);
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
	atomic_fetch_sub(&conf_part_live, 1);
}

void conf_part_release(struct conf_part *p)
{
	if (p && atomic_fetch_sub_explicit(&p->refs, 1,
					   memory_order_acq_rel) == 1)
		part_free(p);
}

static void *parse_text(enum conf_file f, const char *text, size_t len,
			bool present, const char *path, char *const *env)
{
	atomic_fetch_add(&conf_part_parses[f], 1);
	switch (f) {
	case CONF_FILE_RESOLV: {
		char host[256];
		int (*fn)(char *, size_t) = conf_part_hostname_fn ? conf_part_hostname_fn
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
	case CONF_FILE_NSSWITCH:
		return conf_nsswitch_parse(text, len, present, path);
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
struct conf_part *conf_part_load(enum conf_file f, const struct probe *pr,
				 const char *reason)
{
	struct conf_part *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	atomic_fetch_add(&conf_part_live, 1);
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
	conf_part_release(p);
	return NULL;
}
