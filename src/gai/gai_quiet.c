/*
 * The one poll of a quiet lookup (gai_quiet.h).
 *
 * Why here: conf and net are siblings that must not know each other, and
 * a lookup is what both serve, so the layer that runs lookups owns the
 * poll; each module only exposes its descriptors and takes its revents
 * back (conf_watch_pollfds/conf_watch_polled, ifaddr_pollfd/
 * ifaddr_polled), keeping its own checks for anything the poll cannot
 * vouch for (an inherited or replaced descriptor, another network
 * namespace).  The vouch is scoped to the lookup, never to time: a change
 * made before a lookup starts is seen by that lookup, one made during it
 * either by it or by the next one -- the same as when each module polled
 * at its own moment.
 */
#include "gai/gai_quiet.h"

#include <poll.h>
#include <stdint.h>

#include "conf/conf_watch.h"
#include "net/ifaddr.h"
#include "core/sys.h"

void gai_quiet_poll(void)
{
	struct pollfd pf[3];
	uint64_t cid = 0, nid = 0;
	int nc = conf_watch_pollfds(pf, &cid);
	int nfd = ifaddr_pollfd(&nid);
	int n = nc;
	if (nfd >= 0)
		pf[n++] = (struct pollfd){ .fd = nfd, .events = POLLIN };
	if (n == 0)
		return; /* nothing to vouch for: each module asks itself */
	int r = rfcres_sys.poll(pf, (nfds_t)n, 0);
	if (nc)
		conf_watch_polled(pf, cid, r);
	if (nfd >= 0)
		/* EINTR: no vouch, the acquire reads as usual */
		ifaddr_polled(nid, r < 0 ? POLLERR : pf[nc].revents);
}

void gai_quiet_end(void)
{
	conf_watch_polled_end();
	ifaddr_polled_end();
}
