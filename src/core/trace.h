/*
 * Decision trace (DESIGN "Explainable").  Modules report each decision with
 *   TRACE(RFCRES_TRACE_DNS, "dns.send", "server=%s id=%u qtype=%s", ...);
 * The format must produce space-separated key=value pairs whose values have
 * no spaces (use trace_safe() for untrusted strings).  Nothing is formatted
 * unless a hook is installed or RFCRES_DEBUG=1.
 */
#ifndef RFCRES_TRACE_H
#define RFCRES_TRACE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rfcres.h"

extern atomic_int trace_active;

/* RFCRES_NO_TRACE (cmake -DRFCRES_NO_TRACE=ON): a build for small static
 * resolvers, in which no decision is ever traced, so the compiler drops
 * every trace string and formatting call (rfcres_set_trace and
 * RFCRES_DEBUG are accepted and have no effect). */
static inline bool trace_on(void)
{
#ifdef RFCRES_NO_TRACE
	return false;
#else
	return atomic_load_explicit(&trace_active, memory_order_relaxed) != 0;
#endif
}

void trace_emit(enum rfcres_trace_category cat, const char *name,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define TRACE(cat, name, ...)                                  \
	do {                                                   \
		if (trace_on())                                \
			trace_emit((cat), (name), __VA_ARGS__); \
	} while (0)

/* Marks the start and end of a lookup on this thread: elapsed times and
 * the lookup id in events are relative to it.  Also reads RFCRES_DEBUG the
 * first time.  Nested begin/end pairs (getnameinfo inside getaddrinfo) keep
 * the outer lookup. */
void trace_lookup_begin(void);
void trace_lookup_end(void);

/* A lookup that outlives one call (the asynchronous API, rfcres_req_*):
 * its id and start time live in the request, and every step installs them
 * on the thread that runs it, so events keep one id and elapsed times from
 * the request's start whichever thread or event loop drives it.
 * trace_lookup_open inherits the thread's current lookup when one is
 * active (the synchronous getaddrinfo wrapping the async machine), else
 * starts a new one.  enter/leave nest and restore what they replaced. */
struct trace_lookup_ctx {
	uint64_t start_ns, lookup_id;
	uint64_t saved_start_ns, saved_id;
	unsigned saved_depth;
};
void trace_lookup_open(struct trace_lookup_ctx *c);
void trace_lookup_enter(struct trace_lookup_ctx *c);
void trace_lookup_leave(struct trace_lookup_ctx *c);

/* Copies s into buf (size len) replacing spaces, '=' and non-printable
 * bytes by \xHH so that hostile names cannot forge fields. */
const char *trace_safe(const char *s, char *buf, size_t len);

/* Renders a socket address as "1.2.3.4:53" or "[::1]:53" or "[fe80::1%2]:53". */
const char *trace_sockaddr(const void *sa, char *buf, size_t len);

#endif
