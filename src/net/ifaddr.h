/*
 * Local address inventory (DESIGN "Local addresses"): a netlink RTM_GETADDR
 * dump, cached and refreshed only when the kernel reports an address change;
 * getifaddrs() fallback where netlink is unavailable.
 */
#ifndef RFCRES_IFADDR_H
#define RFCRES_IFADDR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	IFADDR_F_DEPRECATED = 1u << 0,
	IFADDR_F_TEMPORARY = 1u << 1,
	IFADDR_F_HOME = 1u << 2,
	IFADDR_F_TENTATIVE = 1u << 3,
	IFADDR_F_DADFAILED = 1u << 4,
	IFADDR_F_LOOPBACK_IF = 1u << 5, /* on a loopback interface */
	IFADDR_F_TUNNEL = 1u << 6,      /* link type is a tunnel (RFC 6724 rule 7) */
	IFADDR_F_IF_DOWN = 1u << 7,     /* interface administratively down */
};

struct ifaddr_entry {
	int family;             /* AF_INET / AF_INET6 */
	unsigned char addr[16];
	unsigned plen;
	unsigned char scope;    /* RT_SCOPE_* as the kernel reports it */
	unsigned ifindex;
	unsigned short link_type; /* ARPHRD_* */
	unsigned flags;         /* IFADDR_F_* */
};

struct ifaddr_inv {
	atomic_uint refs;
	uint64_t generation;
	size_t n;
	struct ifaddr_entry *v;
	bool from_netlink;      /* flags are known (netlink dump or explicit
				 * entries); false: getifaddrs fallback */
};

/* Current inventory (refreshed if the kernel signalled a change).  NULL only
 * when neither netlink nor getifaddrs work.  Thread-safe and fork-safe; the
 * reference stays valid until ifaddr_release(). */
struct ifaddr_inv *ifaddr_acquire(void);
void ifaddr_release(struct ifaddr_inv *inv);
/* Builds an inventory from explicit entries (tests, `rfcres sort`). */
struct ifaddr_inv *ifaddr_from_entries(const struct ifaddr_entry *v, size_t n);
/* The entry holding exactly this address, or NULL. */
const struct ifaddr_entry *ifaddr_find(const struct ifaddr_inv *inv, int family,
				       const void *addr);

/* Netlink request/response exchanges of other modules (the batched
 * RTM_GETROUTE source probe, select/sort.c) on the change-monitor socket,
 * which every ifaddr_acquire() validates anyway: no socket, bind or check
 * of their own.  fn(fd, portid, notified, arg) is called with the inventory
 * lock held, on the non-blocking socket bound to portid; it must not wait,
 * trace or call back into this module, and must set *notified when it read
 * anything but answers to its own requests (an address or link
 * notification, an overrun): the next acquire then rebuilds.  inv must be
 * the inventory this thread's ifaddr_acquire() returned; if it is no
 * longer current (an acquire since rebuilt it), or there is no monitor,
 * fn is not called and -ENOTCONN is returned.  Otherwise fn's result. */
typedef int (*ifaddr_nl_fn)(int fd, uint32_t portid, bool *notified,
			    void *arg);
int ifaddr_netlink_exchange(const struct ifaddr_inv *inv, ifaddr_nl_fn fn,
			    void *arg);

/* ifaddr_acquire() and an exchange in one: when the monitor is healthy and
 * nothing forces a rebuild, fn runs in place of the acquire's own read of
 * the monitor (one system call fewer), and a notification it reports makes
 * this very acquire rebuild.  For that fn returns 0 only when it read the
 * socket until its last answer arrived or it was empty (the kernel queues
 * answers behind every earlier notification); any other result makes the
 * acquire read the monitor itself as usual.  After a rebuild fn runs on
 * the new monitor.  *fn_rc gets fn's result, or -ENOTCONN when it could not
 * run on the monitor at all (no netlink: the caller asks the kernel its own
 * way).  The inventory is returned as by ifaddr_acquire. */
struct ifaddr_inv *ifaddr_acquire_exchange(ifaddr_nl_fn fn, void *arg,
					   int *fn_rc);

/* The same two, also returning the route generation: a number that
 * changes whenever the monitor reported a route or policy-rule change, the
 * inventory was rebuilt (addresses, links, overrun, fork, namespace, a
 * lost monitor), and that is 0 when there is no monitor (then nothing
 * derived from the routing table may be kept).  What a caller learns from
 * the kernel's routing after an acquire that gave generation g stays true
 * while acquires give g (the source-address cache in select/sort_probe.c).
 * ifaddr_acquire_exchange_routes gives the generation fn started under, or
 * 0 when fn did not run on the monitor. */
struct ifaddr_inv *ifaddr_acquire_routes(uint64_t *routes);
struct ifaddr_inv *ifaddr_acquire_exchange_routes(ifaddr_nl_fn fn, void *arg,
						  int *fn_rc,
						  uint64_t *routes);

/* One poll for a whole lookup (src/gai/gai_quiet.c): ifaddr_pollfd gives
 * the change monitor's descriptor (-1 if there is none to poll; *id names
 * the monitor) for the caller to poll with POLLIN and a zero timeout among
 * descriptors of its own; ifaddr_polled gets the revents.  If they were 0,
 * this thread's acquires until ifaddr_polled_end() (the caller's lookup
 * ends) skip the read of the monitor and its getsockname() check (the
 * latter still once a second).  A notification after the poll stays
 * queued for the next lookup, as if it had come after the acquire.  The
 * namespace and fork checks run as always. */
int ifaddr_pollfd(uint64_t *id);
void ifaddr_polled(uint64_t id, short revents);
void ifaddr_polled_end(void);

/* How many inventories were built (netlink dumps or getifaddrs calls) since
 * the process started: lets tests check that an unchanged host is served
 * from the cache. */
uint64_t ifaddr_rebuilds(void);
/* Drops the cached inventory and the change-monitor socket; the next
 * ifaddr_acquire() starts from scratch (tests; after setns()). */
void ifaddr_reset(void);

#endif
