/*
 * librfcres — a drop-in stub resolver.
 *
 * The standard names (getaddrinfo, freeaddrinfo, gai_strerror, getnameinfo,
 * res_init) are exported by librfcres so that linking with -lrfcres or
 * LD_PRELOAD interposes them.  The rfcres_* names below are the same
 * functions under names that never clash with libc, for programs that want
 * both resolvers in one process.
 */
#ifndef RFCRES_H
#define RFCRES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netdb.h>
#include <poll.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RFCRES_VERSION_MAJOR 0
#define RFCRES_VERSION_MINOR 1
#define RFCRES_VERSION_PATCH 0
#define RFCRES_VERSION_STRING "0.1.0"
/* (major << 16) | (minor << 8) | patch, for compile-time comparisons. */
#define RFCRES_VERSION_NUMBER \
	((RFCRES_VERSION_MAJOR << 16) | (RFCRES_VERSION_MINOR << 8) | RFCRES_VERSION_PATCH)

#if defined(RFCRES_BUILDING)
#define RFCRES_API __attribute__((visibility("default")))
#else
#define RFCRES_API
#endif

/* Version of the library actually loaded (may differ from the header's). */
RFCRES_API const char *rfcres_version(void);
RFCRES_API unsigned rfcres_version_number(void);

RFCRES_API int rfcres_getaddrinfo(const char *node, const char *service,
				  const struct addrinfo *hints,
				  struct addrinfo **res);
RFCRES_API void rfcres_freeaddrinfo(struct addrinfo *res);
RFCRES_API const char *rfcres_gai_strerror(int errcode);
RFCRES_API int rfcres_getnameinfo(const struct sockaddr *sa, socklen_t salen,
				  char *host, socklen_t hostlen,
				  char *serv, socklen_t servlen, int flags);
/* The BSD 4.3 interface (gethostbyname and friends) on the same core,
 * with glibc's semantics: AF_INET only for gethostbyname, h_errno set, the
 * _r variants return ERANGE when buf is too small (retry with a larger
 * one); the others return a per-thread buffer valid until the thread's
 * next call.  See librfcres(3) and docs/preload.md. */
RFCRES_API struct hostent *rfcres_gethostbyname(const char *name);
RFCRES_API struct hostent *rfcres_gethostbyname2(const char *name, int af);
RFCRES_API struct hostent *rfcres_gethostbyaddr(const void *addr,
						socklen_t len, int type);
RFCRES_API int rfcres_gethostbyname_r(const char *name, struct hostent *ret,
				      char *buf, size_t buflen,
				      struct hostent **result, int *h_errnop);
RFCRES_API int rfcres_gethostbyname2_r(const char *name, int af,
				       struct hostent *ret, char *buf,
				       size_t buflen, struct hostent **result,
				       int *h_errnop);
RFCRES_API int rfcres_gethostbyaddr_r(const void *addr, socklen_t len,
				      int type, struct hostent *ret, char *buf,
				      size_t buflen, struct hostent **result,
				      int *h_errnop);

/* Forces every configuration file to be re-read by the next lookup.
 * Never needed for correctness (changes are detected by stat identity);
 * provided because programs call res_init() after editing resolv.conf. */
RFCRES_API int rfcres_res_init(void);

/*
 * Decision trace.
 *
 * Every decision the resolver takes is reported as an event: a stable dotted
 * name ("conf.load", "dns.send", "dns.drop", "sort.pair", ...) plus
 * key=value fields whose keys are stable too (see librfcres(3) for the list).
 * Values never contain spaces.  The event and everything it points to is only
 * valid during the callback.
 */
enum rfcres_trace_category {
	RFCRES_TRACE_LOOKUP = 1, /* lookup start/end, result, error codes   */
	RFCRES_TRACE_CONF = 2,   /* config files (re)loaded, lines skipped   */
	RFCRES_TRACE_DNS = 3,    /* queries, replies, drops, TC, timeouts    */
	RFCRES_TRACE_ADDRCONFIG = 4, /* AI_ADDRCONFIG keep/drop decisions   */
	RFCRES_TRACE_SORT = 5,   /* source chosen, RFC 6724 rule per pair    */
	RFCRES_TRACE_NET = 6,    /* local address inventory                  */
};

struct rfcres_trace_field {
	const char *key;
	const char *value;
};

struct rfcres_trace_event {
	enum rfcres_trace_category category;
	const char *name;        /* e.g. "dns.send" */
	uint64_t elapsed_ns;     /* since the current lookup started; 0 outside one */
	uint64_t lookup_id;      /* per-process counter, 0 outside a lookup */
	const char *text;        /* all fields as "k=v k=v" */
	size_t nfields;
	const struct rfcres_trace_field *fields;
};

typedef void (*rfcres_trace_fn)(const struct rfcres_trace_event *ev, void *arg);

/* Installs a process-wide trace hook (NULL removes it).  The hook may be
 * called from any thread that resolves; it must not call back into the
 * resolver.  Returns the previous hook. */
RFCRES_API rfcres_trace_fn rfcres_set_trace(rfcres_trace_fn fn, void *arg);

/* Renders one event as a single human-readable line (no newline) into buf;
 * returns the length it needed, like snprintf. */
RFCRES_API int rfcres_trace_format(const struct rfcres_trace_event *ev,
				   char *buf, size_t len);

/* ======================================================================
 * Asynchronous lookups (docs/async.md).
 *
 * The same lookup rfcres_getaddrinfo performs -- same sources, same
 * AI_ADDRCONFIG filter, same RFC 6724 order, same errors -- as a request an
 * event loop drives: the synchronous call is a loop over these functions.
 *
 *   int err;
 *   struct rfcres_req *q = rfcres_req_start(node, service, &hints, &err);
 *   if (!q) -> failed at once with err (EAI_*), nothing to free
 *   while (!rfcres_req_done(q)) {
 *           struct pollfd fds[RFCRES_REQ_MAXFDS];
 *           int ms, n = rfcres_req_pollfds(q, fds, RFCRES_REQ_MAXFDS, &ms);
 *           poll(fds, n, ms);                 (or your event loop)
 *           rfcres_req_process(q, fds, n);
 *   }
 *   err = rfcres_req_result(q, &res);         (frees q)
 *
 * The file descriptors change while a request runs (UDP to TCP after a
 * truncated answer, the next server, a fresh socket): ask
 * rfcres_req_pollfds again after EVERY rfcres_req_process call and forget
 * the previous set -- a descriptor number may even be closed and reused by
 * a new socket inside one call.  The request owns its descriptors; never
 * close them.  A request is used by one thread at a time (any thread);
 * distinct requests are independent.
 * ====================================================================== */
struct rfcres_req;

/* rfcres_req_pollfds never fills more entries than this. */
#define RFCRES_REQ_MAXFDS 8

/* Starts a lookup.  Answers that need no network (numeric addresses, the
 * hosts file, localhost, a NULL node) are complete on return; DNS lookups
 * have sent their first queries.  Returns NULL with *err set to the EAI_*
 * code when the lookup fails before any I/O (bad flags or family, unknown
 * service, invalid name, AI_ADDRCONFIG ruling out every family, memory). */
RFCRES_API struct rfcres_req *rfcres_req_start(const char *node,
					       const char *service,
					       const struct addrinfo *hints,
					       int *err);
/* 1 when the result is ready (rfcres_req_result will not block), else 0. */
RFCRES_API int rfcres_req_done(const struct rfcres_req *req);
/* Fills at most max entries (fd, events) to wait on and sets *timeout_ms
 * to the milliseconds after which rfcres_req_process must be called even
 * without readiness (rounded up; 0 when due or done).  Returns the number
 * of entries filled; 0 once done. */
RFCRES_API int rfcres_req_pollfds(struct rfcres_req *req, struct pollfd *fds,
				  int max, int *timeout_ms);
/* The same deadline as an absolute CLOCK_MONOTONIC time, for loops that
 * keep absolute timers.  Returns 0, or -1 when done (no deadline). */
RFCRES_API int rfcres_req_deadline(const struct rfcres_req *req,
				   struct timespec *ts);
/* Advances the request with the readiness in fds[0..n-1].revents (any
 * subset of what rfcres_req_pollfds returned; entries for other
 * descriptors are ignored) and with the clock: call it when a descriptor
 * is ready or the timeout expired (fds may be NULL, n 0).  Returns 1 when
 * done, else 0.  Re-query the descriptors afterwards. */
RFCRES_API int rfcres_req_process(struct rfcres_req *req,
				  const struct pollfd *fds, int n);
/* Hands over the result of a done request and frees the request: returns 0
 * with *res set (free with rfcres_freeaddrinfo) or an EAI_* code with *res
 * NULL, exactly as rfcres_getaddrinfo would have.  On a request that is not
 * done it returns EAI_SYSTEM with errno EINPROGRESS and keeps the request. */
RFCRES_API int rfcres_req_result(struct rfcres_req *req, struct addrinfo **res);
/* Abandons a request at any point (started, waiting on UDP or TCP, done
 * but not collected): closes its sockets and frees everything.  NULL is a
 * no-op. */
RFCRES_API void rfcres_req_cancel(struct rfcres_req *req);

#ifdef __cplusplus
}
#endif
#endif
