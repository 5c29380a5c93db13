#include "trace.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys.h"

atomic_int trace_active;

static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static rfcres_trace_fn hook_fn;
static void *hook_arg;
static bool debug_stderr;
static pthread_once_t debug_once = PTHREAD_ONCE_INIT;
static atomic_uint_fast64_t lookup_counter;

static _Thread_local uint64_t tl_start_ns;
static _Thread_local uint64_t tl_lookup_id;
static _Thread_local unsigned tl_depth;

static void update_active(void)
{
	atomic_store(&trace_active, (hook_fn != NULL || debug_stderr) ? 1 : 0);
}

/* fork() while another thread holds hook_lock (three loads in
 * trace_emit) would leave it locked for good in the child, whose next
 * traced lookup would then hang (tests/integration/test_faults.c t_fork).
 * The child runs one thread, so a fresh mutex is safe; glibc resets its
 * own locks in the child the same way.  Not a prepare/parent lock pair:
 * a traced reload takes hook_lock under conf_snapshot.c's cache_lock, and
 * the order of prepare handlers depends on which module registered first,
 * so locking both in prepare could deadlock the parent. */
static void trace_atfork_child(void)
{
	pthread_mutex_init(&hook_lock, NULL);
}

static void debug_init(void)
{
	/* every use of hook_lock comes after this (pthread_once) */
	pthread_atfork(NULL, NULL, trace_atfork_child);
	const char *v = rfcres_sys.getenv("RFCRES_DEBUG");
	pthread_mutex_lock(&hook_lock);
	debug_stderr = v && *v && strcmp(v, "0") != 0;
	update_active();
	pthread_mutex_unlock(&hook_lock);
}

RFCRES_API rfcres_trace_fn rfcres_set_trace(rfcres_trace_fn fn, void *arg)
{
	pthread_once(&debug_once, debug_init);
	pthread_mutex_lock(&hook_lock);
	rfcres_trace_fn old = hook_fn;
	hook_fn = fn;
	hook_arg = arg;
	update_active();
	pthread_mutex_unlock(&hook_lock);
	return old;
}

/* A new lookup's start time and id.  The clock only matters for traced
 * lookups: not read otherwise (elapsed then shows 0 if tracing is switched
 * on in the middle of this lookup).  Nor the shared counter (a locked add
 * per lookup): an untraced lookup gets its id from trace_emit, if ever. */
static uint64_t next_lookup_id(void)
{
	return atomic_fetch_add(&lookup_counter, 1) + 1;
}

static void lookup_stamp(uint64_t *start_ns, uint64_t *id)
{
	bool on = trace_on();
	*start_ns = on ? sys_now_ns() : 0;
	*id = on ? next_lookup_id() : 0;
}

void trace_lookup_begin(void)
{
	pthread_once(&debug_once, debug_init);
	if (tl_depth++ == 0)
		lookup_stamp(&tl_start_ns, &tl_lookup_id);
}

void trace_lookup_end(void)
{
	if (tl_depth > 0 && --tl_depth == 0) {
		tl_start_ns = 0;
		tl_lookup_id = 0;
	}
}

void trace_lookup_open(struct trace_lookup_ctx *c)
{
	pthread_once(&debug_once, debug_init);
	if (tl_depth > 0) {
		c->start_ns = tl_start_ns;
		c->lookup_id = tl_lookup_id;
	} else {
		lookup_stamp(&c->start_ns, &c->lookup_id);
	}
}

void trace_lookup_enter(struct trace_lookup_ctx *c)
{
	c->saved_start_ns = tl_start_ns;
	c->saved_id = tl_lookup_id;
	c->saved_depth = tl_depth;
	tl_start_ns = c->start_ns;
	tl_lookup_id = c->lookup_id;
	tl_depth = 1;
}

void trace_lookup_leave(struct trace_lookup_ctx *c)
{
	/* an id trace_emit gave this lookup while it ran stays its own */
	if (!c->lookup_id)
		c->lookup_id = tl_lookup_id;
	tl_start_ns = c->saved_start_ns;
	tl_lookup_id = c->saved_id;
	tl_depth = c->saved_depth;
}

RFCRES_API int rfcres_trace_format(const struct rfcres_trace_event *ev,
				   char *buf, size_t len)
{
	return snprintf(buf, len, "+%8.3fms %-18s %s",
			(double)ev->elapsed_ns / 1e6, ev->name,
			ev->text ? ev->text : "");
}

#define TRACE_MAX_FIELDS 32

void trace_emit(enum rfcres_trace_category cat, const char *name,
		const char *fmt, ...)
{
	char text[1024], split[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (n < 0)
		text[0] = '\0';

	struct rfcres_trace_field fields[TRACE_MAX_FIELDS];
	size_t nf = 0;
	memcpy(split, text, sizeof split);
	char *save = NULL;
	for (char *tok = strtok_r(split, " ", &save);
	     tok && nf < TRACE_MAX_FIELDS; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');
		if (eq) {
			*eq = '\0';
			fields[nf].key = tok;
			fields[nf].value = eq + 1;
		} else {
			fields[nf].key = tok;
			fields[nf].value = "";
		}
		nf++;
	}

	/* A lookup that began untraced gets its id with its first event
	 * (tracing was switched on meanwhile). */
	if (tl_depth > 0 && tl_lookup_id == 0)
		tl_lookup_id = next_lookup_id();

	struct rfcres_trace_event ev = {
		.category = cat,
		.name = name,
		.elapsed_ns = tl_start_ns ? sys_now_ns() - tl_start_ns : 0,
		.lookup_id = tl_lookup_id,
		.text = text,
		.nfields = nf,
		.fields = fields,
	};

	pthread_mutex_lock(&hook_lock);
	rfcres_trace_fn fn = hook_fn;
	void *arg = hook_arg;
	bool dbg = debug_stderr;
	pthread_mutex_unlock(&hook_lock);

	if (fn)
		fn(&ev, arg);
	if (dbg) {
		char line[1200];
		int m = rfcres_trace_format(&ev, line, sizeof line);
		if (m >= (int)sizeof line)
			m = (int)sizeof line - 1;
		char out[1300];
		int k = snprintf(out, sizeof out, "rfcres[%d] #%llu %.*s\n",
				 (int)getpid(), (unsigned long long)ev.lookup_id,
				 m, line);
		if (k > 0) {
			ssize_t w = write(2, out,
					  (size_t)k < sizeof out ? (size_t)k
								 : sizeof out - 1);
			(void)w;
		}
	}
}

const char *trace_safe(const char *s, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	if (len == 0)
		return "";
	if (!s)
		s = "(null)";
	for (; *s && o + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 0x20 || c >= 0x7f || c == '=' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o] = '\0';
	return buf;
}

const char *trace_sockaddr(const void *sap, char *buf, size_t len)
{
	const struct sockaddr *sa = sap;
	char a[INET6_ADDRSTRLEN];
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = sap;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof a);
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = sap;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
		if (s6->sin6_scope_id)
			snprintf(buf, len, "[%s%%%u]:%u", a,
				 (unsigned)s6->sin6_scope_id,
				 ntohs(s6->sin6_port));
		else
			snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		snprintf(buf, len, "family%d", sa->sa_family);
	}
	return buf;
}
