/*
 * The asynchronous request behind rfcres_req_* and rfcres_getaddrinfo
 * (DESIGN "One lookup = one state machine"): a gai_req plus the trace
 * context and the finished result.  The synchronous call keeps one on its
 * stack (gai_async_begin/gai_async_take); rfcres_req_start puts one on the
 * heap.  Both run the same code.
 */
#ifndef RFCRES_GAI_ASYNC_H
#define RFCRES_GAI_ASYNC_H

#include <netdb.h>
#include <stdbool.h>

#include "core/trace.h"
#include "gai/gai.h"

struct rfcres_req {
	struct gai_req g;
	struct trace_lookup_ctx tctx;
	bool running;           /* g holds state (DNS may be in flight) */
	bool done;              /* eai/res final */
	int eai;
	int sys_errno;          /* errno to report with EAI_SYSTEM */
	struct addrinfo *res;
};

/* Starts q (caller-provided storage).  Returns 0 with q running or done,
 * or an EAI_* code (q then holds nothing). */
int gai_async_begin(struct rfcres_req *q, const char *node,
		    const char *service, const struct addrinfo *hints);
/* Advances a running DNS lookup; true when done. */
bool gai_async_step(struct rfcres_req *q, const struct pollfd *fds, int n);
/* Hands over the result of a done request (q then holds nothing). */
int gai_async_take(struct rfcres_req *q, struct addrinfo **res);
/* Releases whatever q holds, at any state. */
void gai_async_release(struct rfcres_req *q);

#endif
