/*
 * librfcres-event: the core's asynchronous request (rfcres_req_*) on a
 * libevent event_base.  Uses only the public API of librfcres and of
 * libevent_core.
 *
 * One handle = one rfcres_req + one non-persistent struct event per
 * descriptor the request waits on + one timer.  Before every step all of
 * them are removed from the loop, and afterwards re-added from a fresh
 * rfcres_req_pollfds: a step may close a socket and open a new one that
 * reuses the number, and an epoll registration does not survive the close
 * (the kernel drops it with the last reference to the old socket), so a
 * "same fd, keep the event" shortcut would wait forever on the new socket.
 *
 * The timer doubles as the delivery event for results known before any
 * I/O: it is made active (event_active) so that the callback runs from the
 * loop, never inside rfcres_event_getaddrinfo.  event_del/event_free take
 * an event off libevent's active queue as well, which is what makes
 * cancelling a request whose completion is queued safe.
 */
#include "rfcres-event.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

enum h_state {
	H_RUNNING,      /* waiting on descriptors or the timer */
	H_COMPLETE,     /* result collected, delivery queued on the timer */
	H_CALLBACK,     /* user callback running; freed when it returns */
};

struct rfcres_event_req {
	struct event_base *base;
	struct rfcres_req *req;         /* NULL once the result is collected */
	struct event *timer;
	struct event *fdev[RFCRES_REQ_MAXFDS];
	int nfd;                        /* fdev[0..nfd) are added */
	rfcres_event_cb cb;
	void *arg;
	int err;
	struct addrinfo *res;
	enum h_state state;
};

static void on_fd(evutil_socket_t fd, short what, void *arg);
static void on_timer(evutil_socket_t fd, short what, void *arg);

static void disarm(struct rfcres_event_req *h)
{
	for (int i = 0; i < h->nfd; i++)
		event_del(h->fdev[i]);
	h->nfd = 0;
	event_del(h->timer);
}

static void destroy(struct rfcres_event_req *h)
{
	for (int i = 0; i < RFCRES_REQ_MAXFDS; i++)
		if (h->fdev[i])
			event_free(h->fdev[i]);
	event_free(h->timer);
	rfcres_req_cancel(h->req);
	rfcres_freeaddrinfo(h->res);
	free(h);
}

/* Registers the request's current descriptors and deadline.  0 or -1
 * (event_new/event_add failed; nothing left registered). */
static int arm(struct rfcres_event_req *h)
{
	struct pollfd fds[RFCRES_REQ_MAXFDS];
	int ms, n = rfcres_req_pollfds(h->req, fds, RFCRES_REQ_MAXFDS, &ms);
	/* libevent measures timeouts from the time cached at the start of
	 * this loop iteration; refresh it so a long iteration (many
	 * requests) does not make the timer fire early. */
	event_base_update_cache_time(h->base);
	for (int i = 0; i < n; i++) {
		short what = (short)(((fds[i].events & POLLIN) ? EV_READ : 0) |
				     ((fds[i].events & POLLOUT) ? EV_WRITE : 0));
		if (!h->fdev[i])
			h->fdev[i] = event_new(h->base, fds[i].fd, what, on_fd, h);
		else if (event_assign(h->fdev[i], h->base, fds[i].fd, what,
				      on_fd, h) < 0)
			goto fail;
		if (!h->fdev[i] || event_add(h->fdev[i], NULL) < 0)
			goto fail;
		h->nfd = i + 1;
	}
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };
	if (event_add(h->timer, &tv) < 0)
		goto fail;
	return 0;
fail:
	disarm(h);
	return -1;
}

static void deliver(struct rfcres_event_req *h)
{
	disarm(h);
	h->state = H_CALLBACK;
	struct addrinfo *res = h->res;
	h->res = NULL;
	h->cb(h->err, res, h->arg);
	destroy(h);
}

static void collect(struct rfcres_event_req *h)
{
	h->err = rfcres_req_result(h->req, &h->res);
	h->req = NULL;
	h->state = H_COMPLETE;
}

/* One step with the readiness of one descriptor (or none: the timer). */
static void drive(struct rfcres_event_req *h, const struct pollfd *p, int n)
{
	disarm(h);
	if (rfcres_req_process(h->req, p, n)) {
		collect(h);
		deliver(h);
		return;
	}
	if (arm(h) == 0)
		return;
	/* cannot wait any more: fail the lookup rather than hang it */
	rfcres_req_cancel(h->req);
	h->req = NULL;
	h->err = EAI_MEMORY;
	h->state = H_COMPLETE;
	deliver(h);
}

static void on_fd(evutil_socket_t fd, short what, void *arg)
{
	struct pollfd p = {
		.fd = fd,
		.revents = (short)(((what & EV_READ) ? POLLIN : 0) |
				   ((what & EV_WRITE) ? POLLOUT : 0)),
	};
	drive(arg, &p, 1);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct rfcres_event_req *h = arg;
	(void)fd;
	(void)what;
	if (h->state == H_COMPLETE)
		deliver(h);
	else
		drive(h, NULL, 0);
}

RFCRES_EVENT_API struct rfcres_event_req *
rfcres_event_getaddrinfo(struct event_base *base, const char *node,
			 const char *service, const struct addrinfo *hints,
			 rfcres_event_cb cb, void *arg)
{
	if (!base || !cb) {
		errno = EINVAL;
		return NULL;
	}
	struct rfcres_event_req *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->base = base;
	h->cb = cb;
	h->arg = arg;
	h->timer = evtimer_new(base, on_timer, h);
	if (!h->timer) {
		free(h);
		errno = ENOMEM;
		return NULL;
	}
	h->req = rfcres_req_start(node, service, hints, &h->err);
	if (!h->req || rfcres_req_done(h->req)) {
		if (h->req)
			collect(h);
		h->state = H_COMPLETE;
		event_active(h->timer, EV_TIMEOUT, 1);
		return h;
	}
	if (arm(h) < 0) {
		destroy(h);
		errno = ENOMEM;
		return NULL;
	}
	return h;
}

RFCRES_EVENT_API void rfcres_event_cancel(struct rfcres_event_req *h)
{
	if (!h || h->state == H_CALLBACK)
		return;
	destroy(h);
}
