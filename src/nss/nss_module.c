/*
 * Process-wide table of the host's NSS modules for the hosts database.
 *
 * Loading: dlopen("libnss_NAME.so.2", RTLD_LAZY) by soname only, as glibc's
 * nss/nss_module.c does, so the dynamic loader searches the system library
 * path (ld.so.cache, /lib, /usr/lib) and, in a set-uid/AT_SECURE process,
 * ignores LD_LIBRARY_PATH itself; a name containing '/' is refused, so no
 * configuration can make librfcres load a file by path.  In a static
 * binary (musl has no dynamic loader there; glibc's static dlopen needs the
 * very libc it was built with) dlopen fails and the source is UNAVAIL,
 * traced with the loader's message: decided at run time, no build switch.
 *
 * Lifetime: a loaded module is never dlclose'd and its table entry never
 * freed.  A lookup in flight may be inside a module's code (or hold a
 * pointer it returned) while nsswitch.conf changes; unloading safely would
 * need a reference count around every call for a saving of a few pages.
 * glibc never unloads NSS modules either (only __libc_freeres does, at
 * exit under valgrind).  The table holds at most NSS_MODULE_MAX names, so
 * a process that rewrites nsswitch.conf in a loop cannot grow it.
 *
 * A module that failed to load stays failed for the process, as in glibc
 * 2.36 (nss_module_load: state nss_module_failed is final).
 *
 * fork: the table lock is taken around fork() (pthread_atfork), so the
 * child inherits a consistent table and a free lock.
 */
#include "nss/nss_module.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sys.h"
#include "core/trace.h"

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;
static struct nss_module *table[NSS_MODULE_MAX];
static size_t ntable;
static _Thread_local unsigned in_call;

static void atfork_prepare(void)
{
	pthread_mutex_lock(&table_lock);
}

static void atfork_release(void)
{
	pthread_mutex_unlock(&table_lock);
}

static void table_init(void)
{
	pthread_atfork(atfork_prepare, atfork_release, atfork_release);
}

bool nss_module_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > NSS_MODULE_MAXNAME || strchr(name, '/'))
		return false;
	return strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static void *sym(void *h, const char *name, const char *fn)
{
	char s[NSS_MODULE_MAXNAME + 32];
	snprintf(s, sizeof s, "_nss_%s_%s", name, fn);
	return rfcres_sys.dlsym(h, s);
}

static void load(struct nss_module *m)
{
	char soname[NSS_MODULE_MAXNAME + 16];
	snprintf(soname, sizeof soname, "libnss_%s.so.2", m->name);
	void *h = rfcres_sys.dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
	char sn[96];
	if (!h) {
		const char *e = rfcres_sys.dlerror ? rfcres_sys.dlerror() : NULL;
		char se[160];
		m->why = "dlopen_failed";
		TRACE(RFCRES_TRACE_LOOKUP, "nss.module",
		      "name=%s loaded=no reason=dlopen_failed error=%s",
		      trace_safe(m->name, sn, sizeof sn),
		      trace_safe(e ? e : "-", se, sizeof se));
		return;
	}
	m->byname4 = (nss_gethostbyname4_fn *)sym(h, m->name,
						  "gethostbyname4_r");
	m->byname3 = (nss_gethostbyname3_fn *)sym(h, m->name,
						  "gethostbyname3_r");
	m->byname2 = (nss_gethostbyname2_fn *)sym(h, m->name,
						  "gethostbyname2_r");
	m->byaddr2 = (nss_gethostbyaddr2_fn *)sym(h, m->name,
						  "gethostbyaddr2_r");
	m->byaddr = (nss_gethostbyaddr_fn *)sym(h, m->name, "gethostbyaddr_r");
	/* A module without any hosts function (libnss_systemd serves
	 * users and groups) loads, and every hosts call is then UNAVAIL
	 * with errno EBUSY, as glibc's getaddrinfo reports it. */
	m->loaded = true;
	if (!m->byname4 && !m->byname3 && !m->byname2 && !m->byaddr2 &&
	    !m->byaddr)
		m->why = "no_functions";
	TRACE(RFCRES_TRACE_LOOKUP, "nss.module",
	      "name=%s loaded=yes byname4=%d byname3=%d byname2=%d "
	      "byaddr2=%d byaddr=%d",
	      trace_safe(m->name, sn, sizeof sn), m->byname4 != NULL,
	      m->byname3 != NULL, m->byname2 != NULL, m->byaddr2 != NULL,
	      m->byaddr != NULL);
}

static const struct nss_module bad_name = { .why = "bad_name" };
static const struct nss_module table_full = { .why = "table_full" };

const struct nss_module *nss_module_get(const char *name)
{
	if (!nss_module_name_ok(name)) {
		char sn[96];
		TRACE(RFCRES_TRACE_LOOKUP, "nss.module",
		      "name=%s loaded=no reason=bad_name",
		      trace_safe(name, sn, sizeof sn));
		return &bad_name;
	}
	pthread_once(&table_once, table_init);
	pthread_mutex_lock(&table_lock);
	for (size_t i = 0; i < ntable; i++) {
		if (strcmp(table[i]->name, name) == 0) {
			struct nss_module *m = table[i];
			pthread_mutex_unlock(&table_lock);
			return m;
		}
	}
	struct nss_module *m = NULL;
	if (ntable < NSS_MODULE_MAX && (m = calloc(1, sizeof *m))) {
		memcpy(m->name, name, strlen(name) + 1);
		/* under the lock: two threads never load one module twice,
		 * and dlopen has its own lock anyway */
		load(m);
		table[ntable++] = m;
	}
	pthread_mutex_unlock(&table_lock);
	if (!m) {
		TRACE(RFCRES_TRACE_LOOKUP, "nss.module",
		      "loaded=no reason=table_full");
		return &table_full;
	}
	return m;
}

bool nss_module_in_call(void)
{
	return in_call != 0;
}

void nss_module_call_enter(void)
{
	in_call++;
}

void nss_module_call_leave(void)
{
	in_call--;
}

void nss_module_reset_for_tests(void)
{
	pthread_once(&table_once, table_init);
	pthread_mutex_lock(&table_lock);
	for (size_t i = 0; i < ntable; i++)
		free(table[i]);
	ntable = 0;
	pthread_mutex_unlock(&table_lock);
}
