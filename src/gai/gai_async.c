/*
 * rfcres_req_*: getaddrinfo as a request an event loop drives.  It is the
 * only implementation: rfcres_getaddrinfo (gai.c) runs the same request to
 * completion with poll().  The work is split where it can wait:
 *   begin   gai_req_start: arguments, services, numeric, the hosts line of
 *           nsswitch.conf up to a dns source, whose DNS machine sends its
 *           first queries (files and NSS modules answer synchronously:
 *           a module is foreign blocking code, as in glibc)
 *   step    dns_lookup_step with the caller's readiness and the clock;
 *           when DNS is done, the rest of the hosts line
 *   finish  gai_req_finish (AI_ADDRCONFIG, RFC 6724 sort, addrinfo chain)
 *           runs as soon as the DNS part is done, inside the step that
 *           completed it, so rfcres_req_done() is exact and the result is
 *           identical to the synchronous one.
 * Every entry point installs the request's trace context on the calling
 * thread (trace_lookup_enter), so an event loop that interleaves many
 * requests still reports one lookup id and elapsed times per request.
 */
#include "gai/gai_async.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/sys.h"
#include "dns/lookup.h"
#include "gai/gai_nss.h"
#include "gai/gai_quiet.h"

_Static_assert(DNS_LOOKUP_MAXFDS <= RFCRES_REQ_MAXFDS,
	       "RFCRES_REQ_MAXFDS must cover every descriptor of a lookup");

static void finish(struct rfcres_req *q)
{
	q->eai = gai_req_finish(&q->g, &q->res);
	q->sys_errno = q->g.sys_errno;
	q->running = false;
	q->done = true;
}

/* Steps the DNS lookup of the walk; when it ends, the walk goes on along
 * the hosts line (which may start another DNS lookup: a line such as
 * "dns mymod dns" -- its first decision is collected at once, without
 * readiness, as for the first lookup). */
static void advance(struct rfcres_req *q, const struct pollfd *fds, int n)
{
	while (dns_lookup_step(q->g.dns, fds, fds ? n : 0, sys_now_ns())) {
		if (gai_nss_dns_done(&q->g)) {
			finish(q);
			return;
		}
		fds = NULL;
		n = 0;
	}
}

int gai_async_begin(struct rfcres_req *q, const char *node,
		    const char *service, const struct addrinfo *hints)
{
	/* q->g is initialised by gai_req_start (not all of it: the inline
	 * address array is only read as far as it is written) */
	memset(&q->tctx, 0, sizeof q->tctx);
	q->running = q->done = false;
	q->eai = 0;
	q->sys_errno = 0;
	q->res = NULL;
	trace_lookup_open(&q->tctx);
	trace_lookup_enter(&q->tctx);
	q->g.sys_errno = 0;
	int rc = gai_req_start(&q->g, node, service, hints);
	if (rc) {
		q->sys_errno = q->g.sys_errno;
		TRACE(RFCRES_TRACE_LOOKUP, "lookup.done", "eai=%d naddrs=0",
		      rc);
	} else if (!q->g.dns_running) {
		finish(q);
	} else {
		q->running = true;
		/* The DNS machine may have decided already (no nameserver,
		 * an unencodable name): a step without readiness at the
		 * current time collects that, and nothing else. */
		advance(q, NULL, 0);
	}
	trace_lookup_leave(&q->tctx);
	/* EAI_SYSTEM decided at once (a module's errno): errno last, on
	 * the caller's thread, as gai_async_take does for a later one */
	if (rc == EAI_SYSTEM && q->sys_errno)
		errno = q->sys_errno;
	return rc;
}

bool gai_async_step(struct rfcres_req *q, const struct pollfd *fds, int n)
{
	if (!q->running)
		return q->done;
	trace_lookup_enter(&q->tctx);
	advance(q, fds, n);
	trace_lookup_leave(&q->tctx);
	return q->done;
}

int gai_async_take(struct rfcres_req *q, struct addrinfo **res)
{
	*res = q->res;
	q->res = NULL;
	q->done = false;
	/* EAI_SYSTEM means "see errno" (glibc): set it last, on the
	 * caller's thread, when the result is handed over */
	if (q->eai == EAI_SYSTEM && q->sys_errno)
		errno = q->sys_errno;
	return q->eai;
}

void gai_async_release(struct rfcres_req *q)
{
	if (!q->running && !q->done)
		return;
	trace_lookup_enter(&q->tctx);
	TRACE(RFCRES_TRACE_LOOKUP, "lookup.cancel", "state=%s",
	      q->running ? "dns" : "done");
	if (q->running)
		gai_req_cleanup(&q->g);
	rfcres_freeaddrinfo(q->res);
	q->res = NULL;
	q->running = q->done = false;
	trace_lookup_leave(&q->tctx);
}

RFCRES_API struct rfcres_req *rfcres_req_start(const char *node,
					       const char *service,
					       const struct addrinfo *hints,
					       int *err)
{
	struct rfcres_req *q = malloc(sizeof *q);
	int rc = q ? gai_async_begin(q, node, service, hints) : EAI_MEMORY;
	/* the rest of the request runs whenever (and on whichever thread)
	 * the caller drives it: this lookup's poll vouches for nothing then */
	gai_quiet_end();
	if (err)
		*err = rc;
	if (rc) {
		free(q);
		return NULL;
	}
	return q;
}

RFCRES_API int rfcres_req_done(const struct rfcres_req *q)
{
	return q->done;
}

/* The DNS machine's descriptors (when fds is given) and its deadline. */
static uint64_t req_deadline_ns(const struct rfcres_req *q, struct pollfd *fds,
				int max, int *n)
{
	struct pollfd scratch[RFCRES_REQ_MAXFDS];
	uint64_t dl = 0;
	*n = 0;
	if (!q->running)
		return 0;
	if (fds && max > 0)
		*n = dns_lookup_pollfds(q->g.dns, fds, max, &dl);
	else
		(void)dns_lookup_pollfds(q->g.dns, scratch, RFCRES_REQ_MAXFDS,
					 &dl);
	return dl;
}

RFCRES_API int rfcres_req_pollfds(struct rfcres_req *q, struct pollfd *fds,
				  int max, int *timeout_ms)
{
	int n;
	uint64_t dl = req_deadline_ns(q, fds, max, &n);
	if (timeout_ms) {
		uint64_t now = sys_now_ns();
		uint64_t ms = dl > now ? (dl - now + 999999) / 1000000 : 0;
		*timeout_ms = ms > INT_MAX ? INT_MAX : (int)ms;
	}
	return n;
}

RFCRES_API int rfcres_req_deadline(const struct rfcres_req *q,
				   struct timespec *ts)
{
	int n;
	uint64_t dl = req_deadline_ns(q, NULL, 0, &n);
	if (!q->running)
		return -1;
	ts->tv_sec = (time_t)(dl / 1000000000u);
	ts->tv_nsec = (long)(dl % 1000000000u);
	return 0;
}

RFCRES_API int rfcres_req_process(struct rfcres_req *q,
				  const struct pollfd *fds, int n)
{
	return gai_async_step(q, fds, n);
}

RFCRES_API int rfcres_req_result(struct rfcres_req *q, struct addrinfo **res)
{
	*res = NULL;
	if (!q->done) {
		errno = EINPROGRESS;
		return EAI_SYSTEM;
	}
	int rc = gai_async_take(q, res);
	free(q);
	return rc;
}

RFCRES_API void rfcres_req_cancel(struct rfcres_req *q)
{
	if (!q)
		return;
	gai_async_release(q);
	free(q);
}
