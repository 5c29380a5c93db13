/*
 * Snapshot cache (conf_snapshot.c) on real temporary files: every kind of
 * change is caught, unchanged files are never re-parsed, old snapshots stay
 * valid, nothing leaks, fork and threads are safe.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf_snapshot.h"
#include "conf/conf_watch.h"
#include "rfcres.h"
#include "sys.h"

static char dir[64];
static struct conf_stats baseline; /* live counts before the test */
static char p_resolv[128], p_gai[128], p_hosts[128], p_services[128],
	p_nsswitch[128];

/* ---- trace capture ---------------------------------------------------- */

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned nloads, nerrors;
static char load_reason[16][32];

static void hook(const struct rfcres_trace_event *ev, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&ev_lock);
	if (strcmp(ev->name, "conf.load") == 0) {
		for (size_t i = 0; i < ev->nfields; i++)
			if (strcmp(ev->fields[i].key, "reason") == 0 &&
			    nloads < 16)
				snprintf(load_reason[nloads], 32, "%s",
					 ev->fields[i].value);
		nloads++;
	} else if (strcmp(ev->name, "conf.error") == 0) {
		nerrors++;
	}
	pthread_mutex_unlock(&ev_lock);
}

static void reset_events(void)
{
	pthread_mutex_lock(&ev_lock);
	nloads = nerrors = 0;
	memset(load_reason, 0, sizeof load_reason);
	pthread_mutex_unlock(&ev_lock);
}

/* ---- files ------------------------------------------------------------ */

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	size_t len = strlen(text);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* The way editors and config managers replace a file. */
static void rename_over(const char *path, const char *text)
{
	char tmp[160];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	write_file(tmp, text);
	assert_int_equal(rename(tmp, path), 0);
}

static void set_mtime(const char *path, time_t sec, long nsec)
{
	struct timespec ts[2] = { { sec, nsec }, { sec, nsec } };
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static int fixed_hostname(char *name, size_t len)
{
	snprintf(name, len, "testhost");
	return 0;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/rfcres-conf-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(p_resolv, sizeof p_resolv, "%s/resolv.conf", dir);
	snprintf(p_gai, sizeof p_gai, "%s/gai.conf", dir);
	snprintf(p_hosts, sizeof p_hosts, "%s/hosts", dir);
	snprintf(p_services, sizeof p_services, "%s/services", dir);
	snprintf(p_nsswitch, sizeof p_nsswitch, "%s/nsswitch.conf", dir);
	write_file(p_resolv, "nameserver 127.0.0.2\n");
	write_file(p_gai, "rfcres-rule9 none\n");
	write_file(p_hosts, "192.0.2.1 one.example\n");
	write_file(p_services, "http 80/tcp\n");
	write_file(p_nsswitch, "hosts: files dns\n");
	setenv(CONF_ENV_RESOLV, p_resolv, 1);
	setenv(CONF_ENV_GAI, p_gai, 1);
	setenv(CONF_ENV_HOSTS, p_hosts, 1);
	setenv(CONF_ENV_SERVICES, p_services, 1);
	setenv(CONF_ENV_NSSWITCH, p_nsswitch, 1);
	unsetenv("LOCALDOMAIN");
	unsetenv("RES_OPTIONS");
	conf_set_hostname_fn(fixed_hostname);
	conf_cache_clear();
	conf_stats(&baseline);
	reset_events();
	rfcres_set_trace(hook, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rfcres_set_trace(NULL, NULL);
	conf_cache_clear();
	sys_reset();
	conf_watch_reset();
	struct conf_stats st;
	conf_stats(&st);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	/* every snapshot and parsed file of this test was freed */
	assert_int_equal(st.snapshots_live, baseline.snapshots_live);
	assert_int_equal(st.parts_live, baseline.parts_live);
	return 0;
}

static unsigned ns_last_octet(const struct conf_snapshot *s, unsigned i)
{
	const struct conf_server *srv = &s->resolv->ns[i];
	assert_int_equal(srv->addr.sa.sa_family, AF_INET);
	return ntohl(srv->addr.sin.sin_addr.s_addr) & 255;
}

/* ---- tests ------------------------------------------------------------ */

static void test_first_and_unchanged(void **state)
{
	(void)state;
	struct conf_stats a, b;
	conf_stats(&a);
	struct conf_snapshot *s1 = conf_acquire();
	assert_non_null(s1);
	assert_int_equal(s1->resolv->nns, 1);
	assert_int_equal(ns_last_octet(s1, 0), 2);
	assert_int_equal(s1->policy->rule9, CONF_RULE9_NONE);
	assert_int_equal(conf_hosts_by_name(s1->hosts, "one.example",
					    AF_UNSPEC, NULL, 0), 1);
	assert_true(s1->id_resolv.present);
	/* the snapshot does not read the services file */
	assert_int_equal(nloads, 4);
	assert_string_equal(load_reason[0], "first");
	conf_stats(&b);
	for (int f = 0; f < CONF_NSNAPFILES; f++)
		assert_int_equal(b.parses[f], a.parses[f] + 1);
	assert_int_equal(b.parses[CONF_FILE_SERVICES],
			 a.parses[CONF_FILE_SERVICES]);
	/* ... until a service name is looked up */
	struct conf_services_ref sv;
	conf_services_acquire(&sv);
	assert_int_equal(conf_service_port(sv.services, "http", "tcp"), 80);
	assert_true(sv.id.present);
	conf_services_release(&sv);
	assert_int_equal(nloads, 5);
	assert_string_equal(load_reason[4], "first");
	conf_stats(&b);
	assert_int_equal(b.parses[CONF_FILE_SERVICES],
			 a.parses[CONF_FILE_SERVICES] + 1);

	/* nothing changed: same snapshot, nothing parsed */
	for (int i = 0; i < 100; i++) {
		struct conf_snapshot *s2 = conf_acquire();
		assert_ptr_equal(s2, s1);
		conf_release(s2);
		conf_services_acquire(&sv);
		assert_int_equal(conf_service_port(sv.services, "http", "tcp"),
				 80);
		conf_services_release(&sv);
	}
	conf_stats(&a);
	for (int f = 0; f < CONF_NFILES; f++)
		assert_int_equal(a.parses[f], b.parses[f]);
	assert_int_equal(a.snapshots_built, b.snapshots_built);
	assert_int_equal(nloads, 5);
	conf_release(s1);
}

static unsigned nstat, nopen;
static int count_stat(const char *p, struct stat *st)
{
	nstat++;
	return stat(p, st);
}
static int count_open(const char *p, int flags)
{
	nopen++;
	return open(p, flags | O_CLOEXEC);
}

static void test_fast_path_cost(void **state)
{
	(void)state;
	conf_release(conf_acquire());
	rfcres_sys.stat = count_stat;
	rfcres_sys.open = count_open;
	nstat = nopen = 0;
	conf_release(conf_acquire());
	/* the temporary directory is on a local file system: inotify
	 * vouches for all four files, nothing is stat'ed */
	bool watched = conf_watch_is_watched(p_resolv);
	assert_int_equal(nstat, watched ? 0 : 4);
	assert_int_equal(nopen, 0);
	struct conf_services_ref sv;
	conf_services_acquire(&sv);
	conf_services_release(&sv);
	nstat = nopen = 0;
	conf_services_acquire(&sv);
	conf_services_release(&sv);
	assert_int_equal(nstat, watched ? 0 : 1);
	assert_int_equal(nopen, 0);
}

/* Which files getaddrinfo stats: the services file only for a service
 * name (glibc does not open it for a number or no service either). */
static char stat_paths[16][160];
static unsigned nstat_paths;
static int record_stat(const char *p, struct stat *st)
{
	if (nstat_paths < 16)
		snprintf(stat_paths[nstat_paths], sizeof stat_paths[0], "%s", p);
	nstat_paths++;
	return stat(p, st);
}

static unsigned stats_of(const char *path)
{
	unsigned n = 0;
	for (unsigned i = 0; i < nstat_paths && i < 16; i++)
		n += strcmp(stat_paths[i], path) == 0;
	return n;
}

static unsigned gai_stats(const char *node, const char *service,
			  const char *path)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	nstat_paths = 0;
	assert_int_equal(rfcres_getaddrinfo(node, service, &hints, &res), 0);
	rfcres_freeaddrinfo(res);
	return stats_of(path);
}

static int no_inotify(int flags)
{
	(void)flags;
	errno = EMFILE;
	return -1;
}

static void test_services_stat_only_for_names(void **state)
{
	(void)state;
	write_file(p_hosts, "192.0.2.1 one.example\n");
	/* without inotify (EMFILE) every check is a stat: which files are
	 * checked shows in the stats */
	rfcres_sys.inotify_init1 = no_inotify;
	conf_watch_reset();
	rfcres_sys.stat = record_stat;
	/* warm both caches */
	assert_int_equal(gai_stats("one.example", "http", p_services), 1);
	assert_int_equal(gai_stats("one.example", NULL, p_services), 0);
	assert_int_equal(gai_stats("one.example", NULL, p_hosts), 1);
	assert_int_equal(gai_stats("one.example", "80", p_services), 0);
	assert_int_equal(gai_stats("localhost", "443", p_services), 0);
	/* a numeric host with a numeric service touches no file at all */
	assert_int_equal(gai_stats("192.0.2.7", "80", p_services), 0);
	assert_int_equal(nstat_paths, 0);
	/* a service name: the services file, and it is re-read on change */
	assert_int_equal(gai_stats("192.0.2.7", "http", p_services), 1);
	rename_over(p_services, "http 8080/tcp\n");
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	assert_int_equal(rfcres_getaddrinfo("192.0.2.7", "http", &hints, &res),
			 0);
	assert_int_equal(ntohs(((struct sockaddr_in *)(void *)res->ai_addr)
				       ->sin_port),
			 8080);
	rfcres_freeaddrinfo(res);
	/* getnameinfo's port -> name needs only the services file */
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(8080) };
	char serv[32];
	nstat_paths = 0;
	assert_int_equal(rfcres_getnameinfo((struct sockaddr *)(void *)&sin,
					    sizeof sin, NULL, 0, serv,
					    sizeof serv, 0),
			 0);
	assert_string_equal(serv, "http");
	assert_int_equal(nstat_paths, 1);
	assert_int_equal(stats_of(p_services), 1);
}

static void test_rename_over_only_changed_reparsed(void **state)
{
	(void)state;
	struct conf_snapshot *s1 = conf_acquire();
	struct conf_stats a, b;
	conf_stats(&a);
	rename_over(p_resolv, "nameserver 127.0.0.3\nnameserver 127.0.0.4\n");
	reset_events();
	struct conf_snapshot *s2 = conf_acquire();
	assert_ptr_not_equal(s2, s1);
	assert_true(s2->generation > s1->generation);
	assert_int_equal(s2->resolv->nns, 2);
	assert_int_equal(ns_last_octet(s2, 0), 3);
	conf_stats(&b);
	assert_int_equal(b.parses[CONF_FILE_RESOLV], a.parses[CONF_FILE_RESOLV] + 1);
	assert_int_equal(b.parses[CONF_FILE_GAI], a.parses[CONF_FILE_GAI]);
	assert_int_equal(b.parses[CONF_FILE_HOSTS], a.parses[CONF_FILE_HOSTS]);
	assert_int_equal(b.parses[CONF_FILE_SERVICES],
			 a.parses[CONF_FILE_SERVICES]);
	assert_int_equal(nloads, 1);
	assert_string_equal(load_reason[0], "changed");
	/* unchanged parts are shared */
	assert_ptr_equal(s2->policy, s1->policy);
	assert_ptr_equal(s2->hosts, s1->hosts);
	/* the lookup holding the old snapshot still sees the old servers */
	assert_int_equal(s1->resolv->nns, 1);
	assert_int_equal(ns_last_octet(s1, 0), 2);
	conf_release(s1);
	/* hosts change: only hosts re-parsed */
	rename_over(p_hosts, "192.0.2.2 two.example\n");
	struct conf_snapshot *s3 = conf_acquire();
	conf_stats(&a);
	assert_int_equal(a.parses[CONF_FILE_HOSTS], b.parses[CONF_FILE_HOSTS] + 1);
	assert_int_equal(a.parses[CONF_FILE_RESOLV], b.parses[CONF_FILE_RESOLV]);
	assert_ptr_equal(s3->resolv, s2->resolv);
	assert_int_equal(conf_hosts_by_name(s3->hosts, "two.example",
					    AF_UNSPEC, NULL, 0), 1);
	conf_release(s2);
	conf_release(s3);
}

static void test_inplace_same_size_same_second(void **state)
{
	(void)state;
	write_file(p_resolv, "nameserver 127.0.0.5\n");
	set_mtime(p_resolv, 1000000000, 100);
	struct conf_snapshot *s1 = conf_acquire();
	assert_int_equal(ns_last_octet(s1, 0), 5);
	/* same inode, same size, same second: only nanoseconds differ */
	int fd = open(p_resolv, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "nameserver 127.0.0.6\n", 21, 0), 21);
	close(fd);
	set_mtime(p_resolv, 1000000000, 200);
	struct conf_snapshot *s2 = conf_acquire();
	assert_ptr_not_equal(s1, s2);
	assert_int_equal(s2->id_resolv.ino, s1->id_resolv.ino);
	assert_int_equal(s2->id_resolv.size, s1->id_resolv.size);
	assert_int_equal(s2->id_resolv.mtim.tv_sec, s1->id_resolv.mtim.tv_sec);
	assert_int_equal(ns_last_octet(s2, 0), 6);
	conf_release(s1);
	conf_release(s2);
}

static void test_symlink_repointed(void **state)
{
	(void)state;
	/* Kubernetes ConfigMap layout: resolv.conf -> ..data/resolv.conf,
	 * ..data -> ..2024_01 swapped atomically by renaming a new link */
	char d1[160], d2[160], f1[200], f2[200], data[160], tmp[160], link[160];
	snprintf(d1, sizeof d1, "%s/..v1", dir);
	snprintf(d2, sizeof d2, "%s/..v2", dir);
	assert_int_equal(mkdir(d1, 0755), 0);
	assert_int_equal(mkdir(d2, 0755), 0);
	snprintf(f1, sizeof f1, "%s/resolv.conf", d1);
	snprintf(f2, sizeof f2, "%s/resolv.conf", d2);
	write_file(f1, "nameserver 127.0.0.7\n");
	write_file(f2, "nameserver 127.0.0.8\n");
	set_mtime(f1, 1000000000, 0); /* identical size and mtime */
	set_mtime(f2, 1000000000, 0);
	snprintf(data, sizeof data, "%s/..data", dir);
	snprintf(tmp, sizeof tmp, "%s/..data_tmp", dir);
	snprintf(link, sizeof link, "%s/k8s-resolv.conf", dir);
	assert_int_equal(symlink("..v1", data), 0);
	assert_int_equal(symlink("..data/resolv.conf", link), 0);
	setenv(CONF_ENV_RESOLV, link, 1);
	struct conf_snapshot *s1 = conf_acquire();
	assert_int_equal(ns_last_octet(s1, 0), 7);
	assert_int_equal(symlink("..v2", tmp), 0);
	assert_int_equal(rename(tmp, data), 0);
	struct conf_snapshot *s2 = conf_acquire();
	assert_int_equal(ns_last_octet(s2, 0), 8);
	assert_int_equal(ns_last_octet(s1, 0), 7);
	conf_release(s1);
	conf_release(s2);
}

static void test_delete_recreate(void **state)
{
	(void)state;
	struct conf_snapshot *s1 = conf_acquire();
	assert_true(s1->resolv->file_present);
	assert_int_equal(unlink(p_resolv), 0);
	reset_events();
	struct conf_snapshot *s2 = conf_acquire();
	assert_false(s2->resolv->file_present);
	assert_false(s2->id_resolv.present);
	assert_true(s2->resolv->ns_default);
	assert_int_equal(s2->resolv->nns, 2);
	assert_int_equal(nloads, 1);
	assert_string_equal(load_reason[0], "missing");
	/* still missing: nothing rebuilt */
	struct conf_snapshot *s3 = conf_acquire();
	assert_ptr_equal(s3, s2);
	conf_release(s3);
	write_file(p_resolv, "nameserver 127.0.0.9\nnameserver 127.0.0.10\n");
	s3 = conf_acquire();
	assert_true(s3->resolv->file_present);
	assert_int_equal(s3->resolv->nns, 2);
	assert_int_equal(ns_last_octet(s3, 0), 9);
	conf_release(s1);
	conf_release(s2);
	conf_release(s3);
}

static void test_res_init(void **state)
{
	(void)state;
	struct conf_snapshot *s1 = conf_acquire();
	struct conf_services_ref sv;
	conf_services_acquire(&sv);
	conf_services_release(&sv);
	/* lookups learned something about server 0 */
	atomic_store(&s1->learned[0], CONF_LEARN_SINGLE_REQUEST);
	atomic_store(&s1->rotate_next, 2);
	struct conf_stats a, b;
	conf_stats(&a);
	reset_events();
	conf_invalidate();
	struct conf_snapshot *s2 = conf_acquire();
	assert_ptr_not_equal(s1, s2);
	conf_services_acquire(&sv);
	conf_services_release(&sv);
	conf_stats(&b);
	for (int f = 0; f < CONF_NFILES; f++)
		assert_int_equal(b.parses[f], a.parses[f] + 1);
	assert_int_equal(nloads, 5);
	assert_string_equal(load_reason[0], "res_init");
	assert_string_equal(load_reason[3], "res_init");
	/* services too, only once */
	conf_services_acquire(&sv);
	conf_services_release(&sv);
	conf_stats(&a);
	assert_int_equal(a.parses[CONF_FILE_SERVICES],
			 b.parses[CONF_FILE_SERVICES]);
	assert_int_equal(atomic_load(&s2->learned[0]), 0);
	assert_int_equal(atomic_load(&s2->rotate_next), 0);
	/* and only once */
	struct conf_snapshot *s3 = conf_acquire();
	assert_ptr_equal(s2, s3);
	conf_release(s1);
	conf_release(s2);
	conf_release(s3);
}

static void test_learned_state_never_blocks_reload(void **state)
{
	(void)state;
	/* seed 001 / glibc BZ 31476: state learned by lookups must not
	 * make the cached configuration stick */
	struct conf_snapshot *s1 = conf_acquire();
	atomic_fetch_or(&s1->learned[0], CONF_LEARN_SINGLE_REQUEST |
						 CONF_LEARN_NO_EDNS);
	conf_release(s1);
	rename_over(p_resolv, "nameserver 127.0.0.11\n");
	struct conf_snapshot *s2 = conf_acquire();
	assert_int_equal(ns_last_octet(s2, 0), 11);
	assert_int_equal(atomic_load(&s2->learned[0]), 0);
	conf_release(s2);
}

static void test_env_changes(void **state)
{
	(void)state;
	struct conf_snapshot *s1 = conf_acquire();
	char other[160];
	snprintf(other, sizeof other, "%s/other.conf", dir);
	write_file(other, "nameserver 127.0.0.12\n");
	setenv(CONF_ENV_RESOLV, other, 1);
	struct conf_snapshot *s2 = conf_acquire();
	assert_int_equal(ns_last_octet(s2, 0), 12);
	assert_ptr_equal(s2->hosts, s1->hosts);
	assert_string_equal(conf_file_path(CONF_FILE_RESOLV), other);
	/* LOCALDOMAIN and RES_OPTIONS are part of resolv.conf's identity */
	setenv("LOCALDOMAIN", "a.example b.example", 1);
	setenv("RES_OPTIONS", "ndots:4", 1);
	struct conf_snapshot *s3 = conf_acquire();
	assert_int_equal(s3->resolv->nsearch, 2);
	assert_string_equal(s3->resolv->search[1], "b.example");
	assert_int_equal(s3->resolv->ndots, 4);
	unsetenv("LOCALDOMAIN");
	unsetenv("RES_OPTIONS");
	struct conf_snapshot *s4 = conf_acquire();
	assert_int_equal(s4->resolv->nsearch, 0); /* "testhost": no dot */
	assert_int_equal(s4->resolv->ndots, 1);
	/* missing gai.conf and services: defaults */
	unsetenv(CONF_ENV_GAI);
	setenv(CONF_ENV_GAI, "/nonexistent/rfcres-test/gai.conf", 1);
	setenv(CONF_ENV_SERVICES, "/nonexistent/rfcres-test/services", 1);
	struct conf_snapshot *s5 = conf_acquire();
	assert_false(s5->policy->file_present);
	assert_int_equal(s5->policy->rule9, CONF_RULE9_ALL);
	struct conf_services_ref sv;
	conf_services_acquire(&sv);
	assert_non_null(sv.services);
	assert_false(sv.id.present);
	assert_int_equal(conf_service_port(sv.services, "http", "tcp"), -1);
	conf_services_release(&sv);
	conf_release(s1);
	conf_release(s2);
	conf_release(s3);
	conf_release(s4);
	conf_release(s5);
}

static void test_hostile_files(void **state)
{
	(void)state;
	/* larger than the cap: not parsed, defaults, not re-read */
	size_t big = CONF_MAX_FILE + 100;
	char *buf = malloc(big + 1);
	for (size_t i = 0; i < big; i++)
		buf[i] = (i % 64 == 63) ? '\n' : 'x';
	memcpy(buf, "nameserver 127.0.0.13\n", 22);
	buf[big] = '\0';
	rename_over(p_resolv, buf);
	free(buf);
	reset_events();
	struct conf_snapshot *s1 = conf_acquire();
	assert_true(s1->resolv->ns_default);
	assert_int_equal(nerrors, 1);
	struct conf_stats a, b;
	conf_stats(&a);
	struct conf_snapshot *s2 = conf_acquire();
	assert_ptr_equal(s1, s2);
	conf_stats(&b);
	assert_int_equal(a.parses[CONF_FILE_RESOLV], b.parses[CONF_FILE_RESOLV]);
	conf_release(s1);
	conf_release(s2);

	/* binary garbage in every file */
	unsigned char junk[65536];
	uint32_t x = 1;
	for (size_t i = 0; i < sizeof junk; i++) {
		x = x * 1103515245u + 12345u;
		junk[i] = (unsigned char)(x >> 16);
	}
	const char *paths[] = { p_resolv, p_gai, p_hosts, p_services };
	for (int f = 0; f < 4; f++) {
		int fd = open(paths[f], O_WRONLY | O_TRUNC | O_CLOEXEC);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, junk, sizeof junk),
				 (ssize_t)sizeof junk);
		close(fd);
	}
	struct conf_snapshot *s3 = conf_acquire();
	assert_true(s3->resolv->nns >= 1);
	conf_release(s3);
	struct conf_services_ref sv;
	conf_services_acquire(&sv);
	assert_non_null(sv.services);
	conf_services_release(&sv);

	/* a directory instead of a file: unreadable, defaults */
	assert_int_equal(unlink(p_resolv), 0);
	assert_int_equal(mkdir(p_resolv, 0755), 0);
	s3 = conf_acquire();
	assert_true(s3->resolv->ns_default);
	conf_release(s3);
	assert_int_equal(rmdir(p_resolv), 0);
}

static void test_stack_snapshot(void **state)
{
	(void)state;
	/* tests of other modules build snapshots by hand: destroy NULL */
	struct conf_snapshot s;
	memset(&s, 0, sizeof s);
	atomic_init(&s.refs, 1);
	conf_ref(&s);
	conf_release(&s);
	conf_release(&s);
	assert_int_equal(atomic_load(&s.refs), 0);
}

static void test_fork(void **state)
{
	(void)state;
	struct conf_snapshot *s1 = conf_acquire();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		rename_over(p_resolv, "nameserver 127.0.0.14\n");
		struct conf_snapshot *c = conf_acquire();
		int ok = c && ns_last_octet(c, 0) == 14;
		conf_release(c);
		_exit(ok ? 0 : 1);
	}
	int status = 0;
	for (int i = 0; i < 1000; i++) { /* hang bound: 10 s */
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		usleep(10000);
		if (i == 999) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fail_msg("child hung in conf_acquire after fork");
		}
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	conf_release(s1);
}

/* ---- threads: 8 readers, 1 writer swapping resolv.conf 1000 times ------ */

#define NREADERS 8
#define NSWAPS 1000

static atomic_uint swaps_started, swaps_completed;
static atomic_bool swapping_done;
static atomic_uint checks, violations;

/* Different sizes on purpose: see docs/configuration.md (identity). */
static const char content_even[] = "nameserver 127.0.0.20\n";
static const char content_odd[] = "nameserver 127.0.0.21\noptions ndots:3\n";

static void *swapper(void *arg)
{
	(void)arg;
	for (unsigned i = 1; i <= NSWAPS; i++) {
		char tmp[160];
		snprintf(tmp, sizeof tmp, "%s.tmp", p_resolv);
		write_file(tmp, (i & 1) ? content_odd : content_even);
		atomic_store(&swaps_started, i);
		if (rename(tmp, p_resolv) != 0)
			atomic_fetch_add(&violations, 1);
		atomic_store(&swaps_completed, i);
	}
	atomic_store(&swapping_done, true);
	return NULL;
}

static void *reader(void *arg)
{
	(void)arg;
	for (unsigned long n = 0; n < 10000000ul; n++) { /* bounded */
		bool done = atomic_load(&swapping_done);
		unsigned c = atomic_load(&swaps_completed);
		struct conf_snapshot *s = conf_acquire();
		unsigned st = atomic_load(&swaps_started);
		if (st == c) {
			/* the file was stable in state c for the whole
			 * acquire: it must show state c */
			unsigned want = (c & 1) ? 21 : 20;
			const struct conf_server *srv = &s->resolv->ns[0];
			unsigned got = ntohl(srv->addr.sin.sin_addr.s_addr) & 255;
			if (got != want || s->resolv->ndots != ((c & 1) ? 3u : 1u))
				atomic_fetch_add(&violations, 1);
			atomic_fetch_add(&checks, 1);
		}
		conf_release(s);
		if (done)
			break;
	}
	return NULL;
}

static void test_threads_swap(void **state)
{
	(void)state;
	rfcres_set_trace(NULL, NULL);
	write_file(p_resolv, content_even);
	atomic_store(&swaps_started, 0);
	atomic_store(&swaps_completed, 0);
	atomic_store(&swapping_done, false);
	atomic_store(&checks, 0);
	atomic_store(&violations, 0);
	pthread_t r[NREADERS], w;
	for (int i = 0; i < NREADERS; i++)
		assert_int_equal(pthread_create(&r[i], NULL, reader, NULL), 0);
	assert_int_equal(pthread_create(&w, NULL, swapper, NULL), 0);
	pthread_join(w, NULL);
	for (int i = 0; i < NREADERS; i++)
		pthread_join(r[i], NULL);
	print_message("threads: %u checked acquires, %u violations\n",
		      atomic_load(&checks), atomic_load(&violations));
	assert_int_equal(atomic_load(&violations), 0);
	assert_true(atomic_load(&checks) > 0);
	/* after the last swap everyone sees the final content */
	struct conf_snapshot *s = conf_acquire();
	assert_int_equal(ns_last_octet(s, 0), (NSWAPS & 1) ? 21 : 20);
	conf_release(s);
	struct conf_stats st;
	conf_stats(&st);
	assert_int_equal(st.snapshots_live, baseline.snapshots_live + 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_first_and_unchanged),
		T(test_fast_path_cost),
		T(test_services_stat_only_for_names),
		T(test_rename_over_only_changed_reparsed),
		T(test_inplace_same_size_same_second),
		T(test_symlink_repointed),
		T(test_delete_recreate),
		T(test_res_init),
		T(test_learned_state_never_blocks_reload),
		T(test_env_changes),
		T(test_hostile_files),
		T(test_stack_snapshot),
		T(test_fork),
		T(test_threads_swap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
