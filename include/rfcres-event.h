/*
 * librfcres-event — rfcres_getaddrinfo on a libevent event_base.
 *
 * A separate library (-lrfcres-event, pkg-config rfcres-event) so that
 * librfcres itself stays libc-only.  It drives the core's asynchronous
 * requests (rfcres_req_*, see rfcres.h and docs/async.md): one struct event
 * per socket the request waits on, plus one timer, re-armed after every
 * step because the sockets change (UDP -> TCP, next server).
 *
 * Rules:
 *  - The callback runs from the event loop, never inside
 *    rfcres_event_getaddrinfo (answers known at once -- numeric, hosts,
 *    argument errors -- are delivered on the next loop iteration).
 *  - It runs exactly once per handle unless the handle was cancelled first;
 *    it owns res (free with rfcres_freeaddrinfo; NULL when err != 0) and
 *    the handle is gone once it returns.
 *  - rfcres_event_cancel may be called from any callback of the same loop,
 *    including for a request whose completion is already queued; that
 *    request's callback then never runs.  Cancelling a handle from inside
 *    its own callback is a no-op.
 *  - All calls for one event_base come from the thread running its loop.
 *    Cancel every outstanding handle before event_base_free().
 *  - Do not use EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST: a request may close a
 *    socket and open another with the same number inside one step, which
 *    libevent's changelist cannot tell apart.
 */
#ifndef RFCRES_EVENT_H
#define RFCRES_EVENT_H

#include "rfcres.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(RFCRES_EVENT_BUILDING)
#define RFCRES_EVENT_API __attribute__((visibility("default")))
#else
#define RFCRES_EVENT_API
#endif

struct event_base;
struct rfcres_event_req;

/* err: 0 or EAI_* exactly as rfcres_getaddrinfo would return it. */
typedef void (*rfcres_event_cb)(int err, struct addrinfo *res, void *arg);

/* Starts a lookup on base.  Returns a handle for rfcres_event_cancel, or
 * NULL when the request could not be set up at all (out of memory; errno
 * set) -- the callback then never runs. */
RFCRES_EVENT_API struct rfcres_event_req *
rfcres_event_getaddrinfo(struct event_base *base, const char *node,
			 const char *service, const struct addrinfo *hints,
			 rfcres_event_cb cb, void *arg);

/* Abandons the lookup: sockets closed, memory freed, callback never runs.
 * NULL is a no-op. */
RFCRES_EVENT_API void rfcres_event_cancel(struct rfcres_event_req *h);

#ifdef __cplusplus
}
#endif
#endif
