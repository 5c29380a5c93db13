/*
 * Shared set-up for the libFuzzer harnesses: a deterministic rfcres_sys
 * (no environment, fixed interface names, fixed randomness) and a trace hook
 * that consumes every event so that the trace formatting of hostile input
 * (trace_safe, field splitting) is fuzzed along with the parsers.
 */
#ifndef RFCRES_FUZZ_COMMON_H
#define RFCRES_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sys.h"
#include "core/trace.h"
#include "rfcres.h"

/* A harness aborts when the library breaks one of its own documented
 * invariants: libFuzzer reports that as a crash with the input. */
#define FUZZ_CHECK(cond)                  \
	do {                              \
		if (!(cond))              \
			abort();          \
	} while (0)

static inline char *fuzz_getenv_none(const char *name)
{
	(void)name;
	return NULL;
}

static inline unsigned fuzz_if_nametoindex(const char *name)
{
	if (strcmp(name, "lo") == 0)
		return 1;
	if (strcmp(name, "eth0") == 0)
		return 2;
	return 0;
}

static inline char *fuzz_if_indextoname(unsigned idx, char *name)
{
	if (idx == 1)
		return strcpy(name, "lo");
	if (idx == 2)
		return strcpy(name, "eth0");
	return NULL;
}

static inline ssize_t fuzz_getrandom(void *buf, size_t len, unsigned flags)
{
	(void)flags;
	unsigned char *p = buf;
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(0x5a + i * 17);
	return (ssize_t)len;
}

/* Every event is rendered and each field walked: catches fields that are
 * not NUL-terminated or a formatter reading past its buffer. */
static int fuzz_trace_print; /* RFCRES_FUZZ_TRACE=1: events to stderr */

static inline void fuzz_trace_hook(const struct rfcres_trace_event *ev,
				   void *arg)
{
	unsigned long *sum = arg;
	char line[1400];
	int n = rfcres_trace_format(ev, line, sizeof line);
	FUZZ_CHECK(n >= 0);
	if (fuzz_trace_print)
		fprintf(stderr, "%s\n", line);
	for (size_t i = 0; i < ev->nfields; i++)
		*sum += strlen(ev->fields[i].key) + strlen(ev->fields[i].value);
}

static unsigned long fuzz_trace_sum;

static inline void fuzz_sys_init(void)
{
	sys_reset();
	const char *p = getenv("RFCRES_FUZZ_TRACE");
	fuzz_trace_print = p && *p == '1';
	rfcres_sys.getenv = fuzz_getenv_none;
	rfcres_sys.if_nametoindex = fuzz_if_nametoindex;
	rfcres_sys.if_indextoname = fuzz_if_indextoname;
	rfcres_sys.getrandom = fuzz_getrandom;
	rfcres_set_trace(fuzz_trace_hook, &fuzz_trace_sum);
}

/* An exact-size copy (no NUL after it) so ASan sees any over-read. */
static inline char *fuzz_dup(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);
	if (p && size)
		memcpy(p, data, size);
	return p;
}

/* A NUL-terminated copy cut at the first NUL (for C-string inputs). */
static inline char *fuzz_strdup(const uint8_t *data, size_t size, size_t max)
{
	size_t n = 0;
	while (n < size && n < max && data[n] != 0)
		n++;
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, data, n);
		p[n] = '\0';
	}
	return p;
}

#endif
