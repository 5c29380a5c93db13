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

static inline bool trace_on(void)
{
	return atomic_load_explicit(&trace_active, memory_order_relaxed) != 0;
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

/* Copies s into buf (size len) replacing spaces, '=' and non-printable
 * bytes by \xHH so that hostile names cannot forge fields. */
const char *trace_safe(const char *s, char *buf, size_t len);

/* Renders a socket address as "1.2.3.4:53" or "[::1]:53" or "[fe80::1%2]:53". */
const char *trace_sockaddr(const void *sa, char *buf, size_t len);

#endif
