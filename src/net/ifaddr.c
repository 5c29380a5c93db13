/*
 * Local address inventory (DESIGN "Local addresses").
 *
 * Source: an rtnetlink RTM_GETLINK + RTM_GETADDR dump, which unlike
 * getifaddrs() reports the IPv6 address flags (tentative, deprecated,
 * temporary, home, dadfailed; the 32-bit IFA_FLAGS attribute when present)
 * and the link type needed for RFC 6724 rule 7.
 *
 * Cache: glibc's __check_pf re-dumps on every AI_ADDRCONFIG lookup unless
 * nscd tells it nothing changed.  We keep one netlink socket subscribed to
 * RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR; each acquire drains
 * it without blocking and rebuilds only if the kernel sent anything (or
 * reported ENOBUFS: notifications were lost).  The socket is opened BEFORE
 * the dump, so a change racing with the dump is either in the dump or
 * queued for the next acquire.
 *
 * Hostile hosts: in an LD_PRELOADed library the program may close our
 * descriptor (closefrom) and reuse the number, or fork.  Before touching
 * the descriptor we check that it still is our socket (getsockname gives
 * AF_NETLINK, our port id and our groups) and that we are the process that
 * opened it; otherwise it is forgotten (never closed unless verified ours)
 * and a fresh socket + dump is made.  Reading an inherited socket in a child
 * would steal the parent's notifications, so the process check comes first.
 *
 * The validated monitor also carries other modules' netlink requests
 * (ifaddr_netlink_exchange: the RTM_GETROUTE source probe), so they need
 * neither a socket nor a validation of their own.
 *
 * Fallback: where netlink is unavailable (seccomp EPERM, non-Linux kernels)
 * getifaddrs() is used; without a change monitor the inventory is rebuilt
 * when it is older than IFADDR_UNMONITORED_NS.
 */
#include "ifaddr_priv.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sys.h"
#include "trace.h"

#define IFADDR_GROUPS \
	(IFNL_GRP_LINK | IFNL_GRP_IPV4_IFADDR | IFNL_GRP_IPV6_IFADDR)
#define IFADDR_DUMP_TIMEOUT_NS 2000000000ull  /* a kernel dump never waits */
#define IFADDR_UNMONITORED_NS 1000000000ull   /* fallback cache lifetime */
#define IFADDR_RECV_BUF 65536u                /* > any rtnetlink dump skb */
#define IFADDR_MAX_READS (1u << 18)
#define IFADDR_DUMP_TRIES 3                   /* NLM_F_DUMP_INTR retries */
#define IFADDR_DRAIN_MAX 1024u

/* ---- inventory objects --------------------------------------------------- */

static struct ifaddr_inv *inv_new(struct ifaddr_entry *v, size_t n,
				  bool from_netlink)
{
	struct ifaddr_inv *inv = calloc(1, sizeof(*inv));
	if (!inv)
		return NULL;
	atomic_init(&inv->refs, 1);
	inv->v = v;
	inv->n = n;
	inv->from_netlink = from_netlink;
	return inv;
}

void ifaddr_release(struct ifaddr_inv *inv)
{
	if (!inv)
		return;
	if (atomic_fetch_sub_explicit(&inv->refs, 1, memory_order_acq_rel) == 1) {
		free(inv->v);
		free(inv);
	}
}

struct ifaddr_inv *ifaddr_from_entries(const struct ifaddr_entry *v, size_t n)
{
	struct ifaddr_entry *copy = NULL;
	if (n > IFADDR_MAX_ENTRIES || (n > 0 && !v))
		return NULL;
	if (n > 0) {
		copy = malloc(n * sizeof(*copy));
		if (!copy)
			return NULL;
		memcpy(copy, v, n * sizeof(*copy));
	}
	/* Explicit entries carry explicit flags: "from_netlink" means the
	 * flags are meaningful. */
	struct ifaddr_inv *inv = inv_new(copy, n, true);
	if (!inv)
		free(copy);
	return inv;
}

static size_t family_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

const struct ifaddr_entry *ifaddr_find(const struct ifaddr_inv *inv, int family,
				       const void *addr)
{
	size_t alen = family_len(family);
	if (!inv || !addr || alen == 0)
		return NULL;
	for (size_t i = 0; i < inv->n; i++) {
		const struct ifaddr_entry *e = &inv->v[i];
		if (e->family == family && memcmp(e->addr, addr, alen) == 0)
			return e;
	}
	return NULL;
}

/* ---- building ------------------------------------------------------------ */

void ifaddr_build_free(struct ifaddr_build *b)
{
	free(b->v);
	free(b->links);
	memset(b, 0, sizeof(*b));
}

static int build_push_entry(struct ifaddr_build *b, const struct ifaddr_entry *e)
{
	if (b->n == b->cap) {
		if (b->cap >= IFADDR_MAX_ENTRIES)
			return -E2BIG;
		size_t ncap = b->cap ? b->cap * 2 : 16;
		if (ncap > IFADDR_MAX_ENTRIES)
			ncap = IFADDR_MAX_ENTRIES;
		struct ifaddr_entry *nv = realloc(b->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		b->v = nv;
		b->cap = ncap;
	}
	b->v[b->n++] = *e;
	return 0;
}

static int build_push_link(struct ifaddr_build *b, const struct ifaddr_link *l)
{
	if (b->nlinks == b->linkcap) {
		if (b->linkcap >= IFADDR_MAX_LINKS)
			return -E2BIG;
		size_t ncap = b->linkcap ? b->linkcap * 2 : 8;
		if (ncap > IFADDR_MAX_LINKS)
			ncap = IFADDR_MAX_LINKS;
		struct ifaddr_link *nl = realloc(b->links, ncap * sizeof(*nl));
		if (!nl)
			return -ENOMEM;
		b->links = nl;
		b->linkcap = ncap;
	}
	b->links[b->nlinks++] = *l;
	return 0;
}

unsigned ifaddr_link_type_flags(unsigned short type)
{
	switch (type) {
	case IFNL_ARPHRD_TUNNEL:
	case IFNL_ARPHRD_TUNNEL6:
	case IFNL_ARPHRD_SIT:
	case IFNL_ARPHRD_IPGRE:
	case IFNL_ARPHRD_IP6GRE:
	case IFNL_ARPHRD_NONE: /* wireguard, tun: layer-3 virtual links */
		return IFADDR_F_TUNNEL;
	default:
		return 0;
	}
}

static int link_cmp(const void *a, const void *b)
{
	const struct ifaddr_link *x = a, *y = b;
	return x->index < y->index ? -1 : x->index > y->index;
}

struct ifaddr_inv *ifaddr_build_finish(struct ifaddr_build *b,
				       bool from_netlink)
{
	if (b->nlinks > 1)
		qsort(b->links, b->nlinks, sizeof(*b->links), link_cmp);
	for (size_t i = 0; i < b->n; i++) {
		struct ifaddr_entry *e = &b->v[i];
		struct ifaddr_link key = { .index = e->ifindex };
		const struct ifaddr_link *l = NULL;
		if (b->nlinks > 0)
			l = bsearch(&key, b->links, b->nlinks, sizeof(*b->links),
				    link_cmp);
		if (!l) /* link appeared between the two dumps: unknown */
			continue;
		e->link_type = l->type;
		if (l->type == IFNL_ARPHRD_LOOPBACK || (l->ifflags & IFF_LOOPBACK))
			e->flags |= IFADDR_F_LOOPBACK_IF;
		e->flags |= ifaddr_link_type_flags(l->type);
		if (!(l->ifflags & IFF_UP))
			e->flags |= IFADDR_F_IF_DOWN;
	}
	struct ifaddr_inv *inv = inv_new(b->v, b->n, from_netlink);
	if (inv)
		b->v = NULL;
	ifaddr_build_free(b);
	return inv;
}

/* ---- pure rtnetlink parser ----------------------------------------------- */

static int parse_link(struct ifaddr_build *b, const unsigned char *p,
		      size_t plen)
{
	struct ifnl_ifinfomsg ifi;
	if (plen < sizeof(ifi)) {
		b->skipped++;
		return 0;
	}
	memcpy(&ifi, p, sizeof(ifi));
	if (ifi.index <= 0) {
		b->skipped++;
		return 0;
	}
	struct ifaddr_link l = {
		.index = (unsigned)ifi.index,
		.type = ifi.type,
		.ifflags = ifi.flags,
	};
	return build_push_link(b, &l);
}

static unsigned map_ifa_flags(int family, uint32_t f)
{
	unsigned out = 0;
	if (f & IFNL_IFA_F_DEPRECATED)
		out |= IFADDR_F_DEPRECATED;
	/* 0x01 is IFA_F_TEMPORARY for IPv6 but IFA_F_SECONDARY for IPv4. */
	if (family == AF_INET6 && (f & IFNL_IFA_F_TEMPORARY))
		out |= IFADDR_F_TEMPORARY;
	if (f & IFNL_IFA_F_HOMEADDRESS)
		out |= IFADDR_F_HOME;
	/* Optimistic DAD (RFC 4429): the kernel sets TENTATIVE too, yet
	 * already uses the address as a source; so do we. */
	if ((f & IFNL_IFA_F_TENTATIVE) && !(f & IFNL_IFA_F_OPTIMISTIC))
		out |= IFADDR_F_TENTATIVE;
	if (f & IFNL_IFA_F_DADFAILED)
		out |= IFADDR_F_DADFAILED;
	return out;
}

static int parse_addr(struct ifaddr_build *b, const unsigned char *p,
		      size_t plen)
{
	struct ifnl_ifaddrmsg ifa;
	if (plen < sizeof(ifa)) {
		b->skipped++;
		return 0;
	}
	memcpy(&ifa, p, sizeof(ifa));
	size_t alen = family_len(ifa.family);
	if (alen == 0)
		return 0; /* other address families are not ours */
	if (ifa.prefixlen > alen * 8) {
		b->skipped++;
		return 0;
	}
	const unsigned char *local = NULL, *address = NULL;
	uint32_t flags = ifa.flags;
	size_t off = IFNL_ALIGN(sizeof(ifa));
	while (off < plen && plen - off >= sizeof(struct ifnl_rtattr)) {
		struct ifnl_rtattr rta;
		memcpy(&rta, p + off, sizeof(rta));
		if (rta.len < sizeof(rta) || rta.len > plen - off) {
			b->skipped++;
			return 0;
		}
		const unsigned char *data = p + off + sizeof(rta);
		size_t dlen = rta.len - sizeof(rta);
		switch (rta.type & 0x3fff) { /* strip NLA_F_NESTED/BYTEORDER */
		case IFNL_IFA_ADDRESS:
		case IFNL_IFA_LOCAL:
			if (dlen != alen) {
				b->skipped++;
				return 0;
			}
			if ((rta.type & 0x3fff) == IFNL_IFA_LOCAL)
				local = data;
			else
				address = data;
			break;
		case IFNL_IFA_FLAGS:
			/* 32-bit flags supersede the 8-bit ifa_flags. */
			if (dlen >= sizeof(flags))
				memcpy(&flags, data, sizeof(flags));
			break;
		default:
			break;
		}
		off += IFNL_ALIGN(rta.len);
	}
	/* IFA_LOCAL is the local address; IFA_ADDRESS is the peer on
	 * point-to-point links and the local address otherwise. */
	const unsigned char *a = local ? local : address;
	if (!a) {
		b->skipped++;
		return 0;
	}
	struct ifaddr_entry e = {
		.family = ifa.family,
		.plen = ifa.prefixlen,
		.scope = ifa.scope,
		.ifindex = ifa.index,
		.link_type = IFNL_ARPHRD_VOID,
		.flags = map_ifa_flags(ifa.family, flags),
	};
	memcpy(e.addr, a, alen);
	return build_push_entry(b, &e);
}

static int parse_error(const unsigned char *p, size_t plen)
{
	int32_t err;
	if (plen < sizeof(err))
		return -EBADMSG;
	memcpy(&err, p, sizeof(err));
	if (err == 0)
		return 0; /* an ACK */
	if (err < 0 && err > -4096)
		return err;
	return -EBADMSG;
}

int ifaddr_parse_dump(struct ifaddr_build *b, const void *buf, size_t len,
		      uint32_t seq, uint32_t portid)
{
	const unsigned char *p = buf;
	size_t off = 0;
	if (!buf && len > 0)
		return -EINVAL;
	while (len - off >= sizeof(struct ifnl_hdr)) {
		struct ifnl_hdr h;
		memcpy(&h, p + off, sizeof(h));
		if (h.len < IFNL_HDRLEN || h.len > len - off)
			return -EBADMSG;
		const unsigned char *pl = p + off + IFNL_HDRLEN;
		size_t plen = h.len - IFNL_HDRLEN;
		size_t step = IFNL_ALIGN(h.len);
		off = step > len - off ? len : off + step;
		if (h.seq != seq || (portid != 0 && h.pid != portid))
			continue; /* not an answer to this request */
		if (h.flags & IFNL_F_DUMP_INTR)
			return -EAGAIN;
		int rc = 0;
		switch (h.type) {
		case IFNL_DONE:
			return 1;
		case IFNL_ERROR:
			rc = parse_error(pl, plen);
			break;
		case IFNL_OVERRUN:
			rc = -ENOBUFS;
			break;
		case IFNL_RTM_NEWLINK:
			rc = parse_link(b, pl, plen);
			break;
		case IFNL_RTM_NEWADDR:
			rc = parse_addr(b, pl, plen);
			break;
		default:
			break; /* NLMSG_NOOP and anything newer */
		}
		if (rc < 0)
			return rc;
	}
	if (off != len)
		return -EBADMSG; /* trailing bytes shorter than a header */
	return 0;
}

/* ---- getifaddrs fallback ------------------------------------------------- */

static unsigned mask_plen(const unsigned char *m, size_t alen)
{
	unsigned n = 0;
	for (size_t i = 0; i < alen; i++) {
		unsigned char c = m[i];
		while (c & 0x80) {
			n++;
			c = (unsigned char)(c << 1);
		}
		if (m[i] != 0xff)
			break;
	}
	return n;
}

/* Scope as the kernel would report it for a default configuration. */
static unsigned char derive_scope(int family, const unsigned char *a)
{
	if (family == AF_INET) {
		if (a[0] == 127)
			return IFNL_SCOPE_HOST;
		if (a[0] == 169 && a[1] == 254)
			return IFNL_SCOPE_LINK;
		return IFNL_SCOPE_UNIVERSE;
	}
	static const unsigned char lo6[16] = { [15] = 1 };
	if (memcmp(a, lo6, 16) == 0)
		return IFNL_SCOPE_HOST;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return IFNL_SCOPE_LINK;
	return IFNL_SCOPE_UNIVERSE;
}

static const unsigned char *sa_bytes(const struct sockaddr *sa, int *family)
{
	*family = sa->sa_family;
	if (sa->sa_family == AF_INET)
		return (const unsigned char *)&((const struct sockaddr_in *)
							(const void *)sa)->sin_addr;
	if (sa->sa_family == AF_INET6)
		return (const unsigned char *)&((const struct sockaddr_in6 *)
							(const void *)sa)->sin6_addr;
	return NULL;
}

static int push_ifaddrs_one(struct ifaddr_build *b, const struct ifaddrs *i)
{
	int family, mfamily;
	const unsigned char *a = sa_bytes(i->ifa_addr, &family);
	if (!a)
		return 0;
	size_t alen = family_len(family);
	unsigned plen = (unsigned)alen * 8;
	if (i->ifa_netmask) {
		const unsigned char *m = sa_bytes(i->ifa_netmask, &mfamily);
		if (m && mfamily == family)
			plen = mask_plen(m, alen);
	}
	unsigned idx = i->ifa_name ? rfcres_sys.if_nametoindex(i->ifa_name) : 0;
	struct ifaddr_entry e = {
		.family = family,
		.plen = plen,
		.scope = derive_scope(family, a),
		.ifindex = idx,
		.link_type = IFNL_ARPHRD_VOID,
	};
	memcpy(e.addr, a, alen);
	int rc = build_push_entry(b, &e);
	if (rc < 0 || idx == 0)
		return rc;
	if (b->nlinks > 0 && b->links[b->nlinks - 1].index == idx)
		return 0;
	struct ifaddr_link l = {
		.index = idx,
		.type = (i->ifa_flags & IFF_LOOPBACK) ? IFNL_ARPHRD_LOOPBACK
						      : IFNL_ARPHRD_VOID,
		.ifflags = i->ifa_flags,
	};
	return build_push_link(b, &l);
}

int ifaddr_build_from_ifaddrs(struct ifaddr_build *b, const struct ifaddrs *ifa)
{
	unsigned long seen = 0;
	for (const struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (++seen > 4ul * IFADDR_MAX_ENTRIES)
			return -E2BIG; /* a cyclic or absurd list */
		if (!i->ifa_addr)
			continue;
		int rc = push_ifaddrs_one(b, i);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- netlink I/O --------------------------------------------------------- */

static atomic_uint dump_seq;

static int nl_open(uint32_t groups, uint32_t *portid)
{
	int fd = rfcres_sys.socket(AF_NETLINK,
				   SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
				   IFNL_ROUTE);
	if (fd < 0)
		return errno ? -errno : -EIO;
	struct ifnl_sockaddr sa = { .nl_family = AF_NETLINK, .nl_groups = groups };
	socklen_t sl = sizeof(sa);
	int err;
	if (rfcres_sys.bind(fd, (struct sockaddr *)(void *)&sa, sizeof(sa)) != 0 ||
	    rfcres_sys.getsockname(fd, (struct sockaddr *)(void *)&sa, &sl) != 0) {
		err = errno ? errno : EIO;
		goto fail;
	}
	if (sl < sizeof(sa) || sa.nl_family != AF_NETLINK) {
		err = EPROTO;
		goto fail;
	}
	*portid = sa.nl_pid;
	return fd;
fail:
	rfcres_sys.close(fd);
	return -err;
}

static int nl_request(int fd, uint16_t type, uint32_t seq)
{
	struct {
		struct ifnl_hdr h;
		struct ifnl_ifinfomsg body; /* ifaddrmsg is a prefix of it */
	} req;
	memset(&req, 0, sizeof(req));
	req.h.len = (uint32_t)(IFNL_HDRLEN +
			       (type == IFNL_RTM_GETLINK
					? sizeof(struct ifnl_ifinfomsg)
					: sizeof(struct ifnl_ifaddrmsg)));
	req.h.type = type;
	req.h.flags = IFNL_F_REQUEST | IFNL_F_DUMP;
	req.h.seq = seq;
	req.body.family = AF_UNSPEC;
	struct ifnl_sockaddr to = { .nl_family = AF_NETLINK };
	struct iovec iov = { .iov_base = &req, .iov_len = req.h.len };
	struct msghdr m = {
		.msg_name = &to,
		.msg_namelen = sizeof(to),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	for (int i = 0; i < 16; i++) {
		ssize_t n = rfcres_sys.sendmsg(fd, &m, 0);
		if (n == (ssize_t)req.h.len)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? (errno ? -errno : -EIO) : -EIO;
	}
	return -EINTR;
}

static int nl_wait(int fd, uint64_t deadline)
{
	uint64_t now = sys_now_ns();
	if (now >= deadline)
		return -ETIMEDOUT;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ms = (int)((deadline - now) / 1000000u) + 1;
	if (rfcres_sys.poll(&pfd, 1, ms) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

/* Reads datagrams until the dump for seq is complete. */
static int nl_collect(int fd, uint32_t seq, uint32_t portid,
		      struct ifaddr_build *b, unsigned char *buf)
{
	uint64_t deadline = sys_now_ns() + IFADDR_DUMP_TIMEOUT_NS;
	for (unsigned i = 0; i < IFADDR_MAX_READS; i++) {
		struct ifnl_sockaddr from;
		memset(&from, 0, sizeof(from));
		struct iovec iov = { .iov_base = buf, .iov_len = IFADDR_RECV_BUF };
		struct msghdr m = {
			.msg_name = &from,
			.msg_namelen = sizeof(from),
			.msg_iov = &iov,
			.msg_iovlen = 1,
		};
		ssize_t n = rfcres_sys.recvmsg(fd, &m, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return errno ? -errno : -EIO;
			int rc = nl_wait(fd, deadline);
			if (rc < 0)
				return rc;
			continue;
		}
		if (m.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		if (m.msg_namelen >= sizeof(from) && from.nl_pid != 0)
			continue; /* only the kernel answers dumps */
		int rc = ifaddr_parse_dump(b, buf, (size_t)n, seq, portid);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
	return -ETIMEDOUT;
}

static int nl_dump_once(int fd, uint32_t portid, struct ifaddr_build *b,
			unsigned char *buf)
{
	static const uint16_t types[2] = { IFNL_RTM_GETLINK, IFNL_RTM_GETADDR };
	for (int t = 0; t < 2; t++) {
		uint32_t seq = atomic_fetch_add(&dump_seq, 1) + 1;
		int rc = nl_request(fd, types[t], seq);
		if (rc == 0)
			rc = nl_collect(fd, seq, portid, b, buf);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int dump_netlink(struct ifaddr_build *b)
{
	unsigned char *buf = malloc(IFADDR_RECV_BUF);
	if (!buf)
		return -ENOMEM;
	uint32_t portid = 0;
	int fd = nl_open(0, &portid);
	if (fd < 0) {
		free(buf);
		return fd;
	}
	int rc = -EAGAIN;
	for (int tries = 0; tries < IFADDR_DUMP_TRIES && rc == -EAGAIN; tries++) {
		ifaddr_build_free(b);
		rc = nl_dump_once(fd, portid, b, buf);
	}
	rfcres_sys.close(fd);
	free(buf);
	return rc;
}

static int dump_getifaddrs(struct ifaddr_build *b)
{
	struct ifaddrs *ifa = NULL;
	errno = 0;
	if (rfcres_sys.getifaddrs(&ifa) != 0)
		return errno ? -errno : -EIO;
	int rc = ifaddr_build_from_ifaddrs(b, ifa);
	if (ifa)
		rfcres_sys.freeifaddrs(ifa);
	return rc;
}

/* ---- cache and change monitor -------------------------------------------- */

static struct {
	pthread_mutex_t lock;
	struct ifaddr_inv *cur;
	int fd;            /* change monitor, -1 if none */
	uint32_t portid;
	uint64_t epoch;    /* sys_process_epoch() of the process that opened fd */
	bool forked;       /* set in the child by pthread_atfork */
	bool notified;     /* an exchange on fd read a change notification */
	bool retry;        /* last rebuild failed: the monitor was drained
			    * but the change is not in cur */
	uint64_t built_ns; /* when cur was built (unmonitored expiry) */
	uint64_t gen;
	dev_t ns_dev;      /* network namespace cur was built in, */
	ino_t ns_ino;      /* 0/0 if /proc is unavailable */
} st = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

static atomic_uint_fast64_t rebuild_count;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* What happened during one acquire; traced after the lock is dropped so a
 * trace hook may itself resolve names. */
struct ifaddr_note {
	const char *reason;   /* why rebuilt, NULL if served from cache */
	const char *monitor;  /* monitor event, or NULL */
	int monitor_err;
	int nl_err;           /* netlink dump error, 0 if none */
	int err;              /* final error (kept old inventory), 0 if ok */
	size_t n;
	bool from_netlink;
	uint64_t gen;
};

static void atfork_prepare(void)
{
	pthread_mutex_lock(&st.lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&st.lock);
}

static void atfork_child(void)
{
	st.forked = true;
	pthread_mutex_unlock(&st.lock);
}

static void register_atfork(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* The calling thread's network namespace (setns/unshare are per thread).
 *
 * Nothing cheaper can tell: setns() and unshare() leave no trace in our
 * sockets (they stay in the namespace they were made in), and a process
 * may call them directly or through syscall(), so only asking the kernel
 * about this thread works -- once per acquire.  readlink() of the ns link
 * ("net:[4026531993]") names the namespace by its nsfs inode, like stat()
 * would, for half the cost (measured 2.8 vs 5.0 us here): stat() also
 * follows the link into nsfs.  The device is nsfs's single one, so the
 * inode alone identifies the namespace (namespaces(7)).  Without /proc
 * (or before Linux 3.17, no thread-self) both are 0: no detection, as
 * before. */
static void netns_id(dev_t *dev, ino_t *ino)
{
	char link[64];
	*dev = 0;
	*ino = 0;
	ssize_t n = rfcres_sys.readlink("/proc/thread-self/ns/net", link,
					sizeof(link) - 1);
	if (n <= 0)
		return;
	link[n] = '\0';
	if (strncmp(link, "net:[", 5) != 0)
		return;
	unsigned long long v = 0;
	const char *p = link + 5;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (~0ull - 9) / 10)
			return;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (*p != ']' || p[1] != '\0' || v == 0)
		return;
	*ino = (ino_t)v;
}

static bool mon_is_ours(void)
{
	struct ifnl_sockaddr sa;
	memset(&sa, 0, sizeof(sa));
	socklen_t sl = sizeof(sa);
	if (rfcres_sys.getsockname(st.fd, (struct sockaddr *)(void *)&sa,
				   &sl) != 0)
		return false;
	return sl >= sizeof(sa) && sa.nl_family == AF_NETLINK &&
	       sa.nl_pid == st.portid && sa.nl_groups == IFADDR_GROUPS;
}

static void mon_open(struct ifaddr_note *note)
{
	uint32_t portid = 0;
	int fd = nl_open(IFADDR_GROUPS, &portid);
	if (fd < 0) {
		note->monitor = "unavailable";
		note->monitor_err = -fd;
		return;
	}
	st.fd = fd;
	st.portid = portid;
	st.epoch = sys_process_epoch();
}

/* 1: the kernel reported a change, 0: nothing, -ENOBUFS: notifications
 * were lost, other < 0: the socket is unusable. */
static int mon_drain(void)
{
	unsigned char buf[4096];
	bool changed = false, overrun = false;
	for (unsigned i = 0; i < IFADDR_DRAIN_MAX; i++) {
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = rfcres_sys.recvmsg(st.fd, &m, MSG_DONTWAIT);
		if (n >= 0) {
			changed = true; /* content is irrelevant: any event */
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == ENOBUFS) {
			overrun = true;
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return overrun ? -ENOBUFS : changed;
		return errno ? -errno : -EIO;
	}
	/* Still more queued: rebuild now; the rest triggers one more
	 * rebuild next time, which is harmless. */
	return overrun ? -ENOBUFS : 1;
}

static void mon_forget(bool close_it)
{
	if (close_it)
		rfcres_sys.close(st.fd);
	st.fd = -1;
}

/* A netlink exchange that rides on this acquire (ifaddr_acquire_exchange). */
struct exchange {
	ifaddr_nl_fn fn;
	void *arg;
	int rc; /* fn's result; -ENOTCONN while it has not run */
};

/* Decides whether the cached inventory must be rebuilt; NULL if not.  With
 * x, and a healthy monitor and nothing else due, x runs on the monitor in
 * place of the drain. */
static const char *refresh_reason(struct ifaddr_note *note, struct exchange *x)
{
	const char *reason = !st.cur ? "first" : st.retry ? "retry" : NULL;
	/* Two checks for "another process": the atfork handler (fork()),
	 * and the epoch, which a raw clone(), _Fork() or vfork-style child
	 * also changes (those run no atfork handlers; a child that resolves
	 * names before exec must not read the parent's socket).  The epoch
	 * is a memory read (sys_process_epoch): this used to be a getpid()
	 * syscall on every acquire. */
	if (st.fd >= 0 && (st.forked || st.epoch != sys_process_epoch())) {
		/* Inherited: the parent keeps reading it.  Close our copy
		 * only if the number still is that socket. */
		mon_forget(mon_is_ours());
		note->monitor = "inherited";
		reason = reason ? reason : "fork";
	}
	st.forked = false;
	dev_t dev;
	ino_t ino;
	netns_id(&dev, &ino);
	if (st.cur && (dev != st.ns_dev || ino != st.ns_ino)) {
		/* setns()/unshare(CLONE_NEWNET) since the last build: the
		 * monitor watches the old namespace. */
		if (st.fd >= 0)
			mon_forget(mon_is_ours());
		note->monitor = "netns";
		reason = reason ? reason : "netns";
	}
	if (st.fd >= 0 && !mon_is_ours()) {
		/* Closed (or replaced) behind our back: not ours to close. */
		mon_forget(false);
		note->monitor = "lost";
		reason = reason ? reason : "reopen";
	}
	/* A notification another exchange read on our socket counts as if
	 * the drain below had read it. */
	bool notified = st.notified;
	st.notified = false;
	if (st.fd >= 0) {
		int d = 0;
		if (x && !reason) {
			/* The exchange reads the monitor up to its last answer
			 * (or until it is empty), and the kernel queued those
			 * answers behind every notification sent before it:
			 * it has seen them all, as the drain would have.  An
			 * exchange that stopped early leaves the drain to do. */
			x->rc = x->fn(st.fd, st.portid, &notified, x->arg);
			if (x->rc != 0)
				d = mon_drain();
		} else {
			d = mon_drain();
		}
		if (d == -ENOBUFS)
			return reason ? reason : "overrun";
		if (d < 0) {
			mon_forget(true);
			note->monitor = "error";
			note->monitor_err = -d;
			return reason ? reason : "reopen";
		}
		return reason ? reason : (d > 0 || notified) ? "changed" : NULL;
	}
	/* No change monitor (netlink unavailable): a short-lived cache. */
	if (reason)
		return reason;
	if (sys_now_ns() - st.built_ns < IFADDR_UNMONITORED_NS)
		return NULL;
	return "expired";
}

static void rebuild(struct ifaddr_note *note)
{
	/* Monitor first: a change after this point is either in the dump
	 * or waiting in the monitor for the next acquire. */
	if (st.fd < 0)
		mon_open(note);
	struct ifaddr_build b = { 0 };
	bool from_netlink = true;
	int rc = dump_netlink(&b);
	if (rc < 0) {
		note->nl_err = -rc;
		ifaddr_build_free(&b);
		from_netlink = false;
		rc = dump_getifaddrs(&b);
	}
	atomic_fetch_add(&rebuild_count, 1);
	st.built_ns = sys_now_ns();
	struct ifaddr_inv *inv = NULL;
	if (rc == 0) {
		inv = ifaddr_build_finish(&b, from_netlink);
		if (!inv)
			rc = -ENOMEM;
	}
	if (!inv) {
		ifaddr_build_free(&b);
		note->err = -rc; /* the previous inventory (if any) stays */
		st.retry = true;
		return;
	}
	st.retry = false;
	inv->generation = ++st.gen;
	netns_id(&st.ns_dev, &st.ns_ino);
	struct ifaddr_inv *old = st.cur;
	st.cur = inv;
	ifaddr_release(old);
	note->n = inv->n;
	note->from_netlink = from_netlink;
	note->gen = inv->generation;
}

static void note_trace(const struct ifaddr_note *note)
{
	if (note->monitor)
		TRACE(RFCRES_TRACE_NET, "net.monitor", "state=%s errno=%d",
		      note->monitor, note->monitor_err);
	if (!note->reason)
		return;
	if (note->nl_err)
		TRACE(RFCRES_TRACE_NET, "net.netlink", "state=unavailable errno=%d",
		      note->nl_err);
	if (note->err)
		TRACE(RFCRES_TRACE_NET, "net.inventory",
		      "error=%d reason=%s kept=previous", note->err, note->reason);
	else
		TRACE(RFCRES_TRACE_NET, "net.inventory",
		      "n=%zu source=%s reason=%s generation=%llu", note->n,
		      note->from_netlink ? "netlink" : "getifaddrs",
		      note->reason, (unsigned long long)note->gen);
}

/* Runs fn on the monitor (lock held, st.fd valid); a notification it read
 * makes the next acquire rebuild. */
static int run_on_monitor(ifaddr_nl_fn fn, void *arg)
{
	bool notified = false;
	int rc = fn(st.fd, st.portid, &notified, arg);
	if (notified)
		st.notified = true;
	return rc;
}

static struct ifaddr_inv *acquire(struct exchange *x)
{
	struct ifaddr_note note = { 0 };
	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&st.lock);
	note.reason = refresh_reason(&note, x);
	if (note.reason)
		rebuild(&note);
	if (x && x->rc == -ENOTCONN && st.cur && st.fd >= 0) {
		/* Not run in place of the drain (a rebuild was due): on the
		 * monitor as it is now, as ifaddr_netlink_exchange would. */
		x->rc = run_on_monitor(x->fn, x->arg);
	}
	struct ifaddr_inv *inv = st.cur;
	if (inv)
		atomic_fetch_add_explicit(&inv->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&st.lock);
	note_trace(&note);
	return inv;
}

struct ifaddr_inv *ifaddr_acquire(void)
{
	return acquire(NULL);
}

struct ifaddr_inv *ifaddr_acquire_exchange(ifaddr_nl_fn fn, void *arg,
					   int *fn_rc)
{
	struct exchange x = { .fn = fn, .arg = arg, .rc = -ENOTCONN };
	struct ifaddr_inv *inv = acquire(&x);
	*fn_rc = x.rc;
	return inv;
}

int ifaddr_netlink_exchange(const struct ifaddr_inv *inv, ifaddr_nl_fn fn,
			    void *arg)
{
	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&st.lock);
	int rc = -ENOTCONN;
	/* inv still current: no acquire since the caller's found the monitor
	 * lost, inherited or in another namespace than the caller's thread
	 * (each of those rebuilds).  So the socket is ours, of this process,
	 * in the caller's namespace -- as validated by the caller's acquire. */
	if (inv && inv == st.cur && st.fd >= 0 && !st.forked)
		rc = run_on_monitor(fn, arg);
	pthread_mutex_unlock(&st.lock);
	return rc;
}

uint64_t ifaddr_rebuilds(void)
{
	return atomic_load(&rebuild_count);
}

void ifaddr_reset(void)
{
	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&st.lock);
	if (st.fd >= 0)
		mon_forget(!st.forked && st.epoch == sys_process_epoch() &&
			   mon_is_ours());
	st.forked = false;
	st.notified = false;
	st.retry = false;
	ifaddr_release(st.cur);
	st.cur = NULL;
	pthread_mutex_unlock(&st.lock);
}
