/*
 * The source-address cache (issue 16): which source the kernel picks for a
 * destination (RFC 6724 section 6 needs Source(D)) is kept between lookups
 * while the route generation of the address inventory does not move.  The
 * inventory's netlink monitor subscribes to link, address, route and
 * policy-rule notifications, so any change that can make the kernel pick
 * another source -- and anything that may have hidden one: an overrun, a
 * fork, another network namespace, a lost monitor -- moves the generation,
 * and the next lookup probes again.  Without a monitor the generation is
 * 0 and nothing is kept.  The destination's own address is the key, with
 * its zone: a route is chosen per destination.
 */
#include <pthread.h>
#include <string.h>

#include "select/sort_priv.h"

#define SORT_CACHE_N 64

struct sc_entry {
	struct in6_addr dst;
	uint32_t scope_id;
	bool has;
	struct in6_addr src;
	uint64_t used; /* for replacement: least recently used goes */
};

static struct {
	pthread_mutex_t lock;
	uint64_t routes; /* generation the entries were learned under */
	uint64_t tick;
	unsigned n;
	struct sc_entry e[SORT_CACHE_N];
} sc = { .lock = PTHREAD_MUTEX_INITIALIZER };

static pthread_once_t sc_once = PTHREAD_ONCE_INIT;

static void sc_lock(void)
{
	pthread_mutex_lock(&sc.lock);
}

static void sc_unlock(void)
{
	pthread_mutex_unlock(&sc.lock);
}

static void sc_init(void)
{
	/* a fork while another thread holds the lock must not leave the
	 * child's copy locked */
	pthread_atfork(sc_lock, sc_unlock, sc_unlock);
}

static struct sc_entry *find(const struct probe *pr)
{
	for (unsigned i = 0; i < sc.n; i++)
		if (sc.e[i].scope_id == pr->scope_id &&
		    memcmp(&sc.e[i].dst, &pr->dst, sizeof pr->dst) == 0)
			return &sc.e[i];
	return NULL;
}

static bool wanted(const struct probe *pr)
{
	return !pr->done && !pr->lo;
}

bool sort_cache_covers(const struct probe *u, size_t nu)
{
	pthread_once(&sc_once, sc_init);
	bool all = true;
	sc_lock();
	for (size_t i = 0; i < nu && all; i++)
		if (wanted(&u[i]) && !find(&u[i]))
			all = false;
	sc_unlock();
	return all;
}

size_t sort_cache_get(struct probe *u, size_t nu, uint64_t routes)
{
	pthread_once(&sc_once, sc_init);
	size_t left = 0;
	sc_lock();
	bool valid = routes != 0 && routes == sc.routes;
	uint64_t tick = ++sc.tick;
	for (size_t i = 0; i < nu; i++) {
		if (!wanted(&u[i]))
			continue;
		struct sc_entry *e = valid ? find(&u[i]) : NULL;
		if (!e) {
			left++;
			continue;
		}
		e->used = tick;
		u[i].done = true;
		u[i].has = e->has;
		u[i].src = e->src;
		u[i].via = VIA_CACHE;
	}
	sc_unlock();
	return left;
}

void sort_cache_put(const struct probe *u, size_t nu, uint64_t routes)
{
	if (routes == 0)
		return;
	pthread_once(&sc_once, sc_init);
	sc_lock();
	if (sc.routes != routes) {
		/* learned under another routing state: all of it goes */
		sc.routes = routes;
		sc.n = 0;
	}
	uint64_t tick = ++sc.tick;
	for (size_t i = 0; i < nu; i++) {
		const struct probe *pr = &u[i];
		if (!pr->done || pr->lo ||
		    (pr->via != VIA_NETLINK && pr->via != VIA_UDP))
			continue;
		struct sc_entry *e = find(pr);
		if (!e && sc.n < SORT_CACHE_N) {
			e = &sc.e[sc.n++];
		} else if (!e) {
			e = &sc.e[0];
			for (unsigned k = 1; k < sc.n; k++)
				if (sc.e[k].used < e->used)
					e = &sc.e[k];
		}
		e->dst = pr->dst;
		e->scope_id = pr->scope_id;
		e->has = pr->has;
		e->src = pr->src;
		e->used = tick;
	}
	sc_unlock();
}

void sort_cache_clear(void)
{
	pthread_once(&sc_once, sc_init);
	sc_lock();
	sc.n = 0;
	sc.routes = 0;
	sc_unlock();
}
