/*
 * The netlink part of the source probe: RTM_GETROUTE requests batched into
 * one sendmsg, answers read by recvmmsg, on the inventory's monitor socket
 * when there is one (its change check rides on the same exchange) or on a
 * socket of our own.
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/sys.h"
#include "net/ifaddr.h"
#include "select/sort_priv.h"

/* Kernel UAPI headers are absent from a bare musl toolchain: the batched
 * netlink query is then left out and the UDP probe does everything. */
#if defined(__has_include)
#if __has_include(<linux/rtnetlink.h>)
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#define SORT_HAVE_NETLINK 1
#endif
#endif

#ifdef SORT_HAVE_NETLINK

#define NL_BATCH 32             /* requests per sendmsg */
#define NL_SLOTS 16             /* replies per recvmmsg, on the stack */
#define NL_SLOTS_MAX (NL_BATCH + 4) /* with a heap buffer (many answers) */
#define NL_SLOT 512             /* one reply: route answers are 100-200 B */
#define NL_WAIT_NS 200000000ull /* own socket only: see nl_collect */

struct nl_req {
	struct nlmsghdr nh;
	struct rtmsg rt;
	unsigned char attrs[RTA_SPACE(16) + RTA_SPACE(4)];
};

/* One exchange: probes u[0..nu) not yet done; request for u[i] carries
 * sequence number seq0 + i + 1. */
struct nl_ctx {
	struct probe *u;
	size_t nu;
	uint32_t seq0;
	bool lent;          /* the inventory's monitor socket (see nl_collect) */
	uint64_t deadline;  /* own socket: how long replies may take */
	unsigned char (*rx)[NL_SLOT]; /* nslots receive buffers */
	unsigned nslots;
};

/* Distinct sequence ranges for successive exchanges on the long-lived
 * monitor socket, so a reply left over from an earlier exchange (one that
 * gave up early) can never answer a later one. */
static atomic_uint nl_seq;

static size_t nl_put_attr(unsigned char *at, unsigned short type,
			  const void *data, size_t len)
{
	struct rtattr rta = { .rta_len = (unsigned short)RTA_LENGTH(len),
			      .rta_type = type };
	memcpy(at, &rta, sizeof rta);
	memcpy(at + RTA_LENGTH(0), data, len);
	return RTA_SPACE(len);
}

static void nl_build(struct nl_req *q, const struct probe *pr, uint32_t seq)
{
	bool v4 = sort_is_v4(&pr->dst);
	memset(q, 0, sizeof *q);
	q->nh.nlmsg_type = RTM_GETROUTE;
	q->nh.nlmsg_flags = NLM_F_REQUEST;
	q->nh.nlmsg_seq = seq;
	q->rt.rtm_family = v4 ? AF_INET : AF_INET6;
	q->rt.rtm_dst_len = v4 ? 32 : 128;
	size_t off = nl_put_attr(q->attrs, RTA_DST,
				 v4 ? (const void *)&pr->dst.s6_addr[12]
				    : (const void *)pr->dst.s6_addr,
				 v4 ? 4 : 16);
	if (sort_needs_zone(&pr->dst)) {
		uint32_t oif = pr->scope_id;
		off += nl_put_attr(q->attrs + off, RTA_OIF, &oif, sizeof oif);
	}
	q->nh.nlmsg_len = (uint32_t)(NLMSG_SPACE(sizeof(struct rtmsg)) + off);
}

/* Route lookup failures that are final answers (connect() would fail the
 * same way); anything else goes to the UDP probe. */
static bool nl_final_error(int e)
{
	return e == ENETUNREACH || e == EHOSTUNREACH || e == EACCES ||
	       e == EADDRNOTAVAIL;
}

/* One reply; returns true when it answered its probe. */
static bool nl_take(const struct nlmsghdr *nh, struct probe *pr)
{
	bool v4 = sort_is_v4(&pr->dst);
	if (nh->nlmsg_type == NLMSG_ERROR) {
		if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
			return false;
		const struct nlmsgerr *er = NLMSG_DATA(nh);
		if (er->error < 0 && nl_final_error(-er->error)) {
			pr->done = true;
			pr->via = VIA_NETLINK;
		}
		return true;
	}
	if (nh->nlmsg_type != RTM_NEWROUTE ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg)))
		return false;
	const struct rtmsg *rt = NLMSG_DATA(nh);
	if (rt->rtm_family != (v4 ? AF_INET : AF_INET6))
		return false;
	size_t alen = v4 ? 4 : 16;
	const void *want = v4 ? (const void *)&pr->dst.s6_addr[12]
			      : (const void *)pr->dst.s6_addr;
	int left = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof *rt));
	const struct rtattr *a = RTM_RTA(rt);
	const void *pref = NULL;
	for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		if (RTA_PAYLOAD(a) != alen)
			continue;
		if (a->rta_type == RTA_DST && memcmp(RTA_DATA(a), want, alen))
			return false; /* not our destination: ignore */
		if (a->rta_type == RTA_PREFSRC)
			pref = RTA_DATA(a);
	}
	if (!pref)
		return true; /* no preferred source: UDP probe decides */
	memset(&pr->src, 0, sizeof pr->src);
	if (v4) {
		pr->src.s6_addr[10] = pr->src.s6_addr[11] = 0xff;
		memcpy(&pr->src.s6_addr[12], pref, 4);
		pr->has = sort_v4_host(&pr->src) != 0;
	} else {
		memcpy(pr->src.s6_addr, pref, 16);
		pr->has = !IN6_IS_ADDR_UNSPECIFIED(&pr->src);
	}
	pr->done = pr->has;
	if (pr->has)
		pr->via = VIA_NETLINK;
	return true;
}

/* An answer to a request (ours or an earlier exchange's), as opposed to
 * what a monitor socket also receives: address and link notifications. */
static bool nl_is_answer(const struct nlmsghdr *nh, uint32_t portid)
{
	return (nh->nlmsg_type == RTM_NEWROUTE ||
		nh->nlmsg_type == NLMSG_ERROR) &&
	       (portid == 0 || nh->nlmsg_pid == portid);
}

/* The messages of one datagram; returns how many probes it answered. */
static size_t nl_datagram(struct nl_ctx *c, const unsigned char *rx,
			  size_t len, bool trunc, size_t first, size_t cnt,
			  uint32_t portid, bool *notified)
{
	size_t answered = 0, off = 0;
	if (trunc) {
		/* Cut: unreadable.  One of our answers (its destination goes
		 * to the UDP probe), or a notification that must not be
		 * lost (a big RTM_NEWLINK). */
		if (len < sizeof(struct nlmsghdr) ||
		    !nl_is_answer((const void *)rx, portid))
			*notified = true;
		return 0;
	}
	/* NLMSG_OK by hand: the macro mixes signedness */
	while (len - off >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nh = (const void *)(rx + off);
		if (nh->nlmsg_len < sizeof *nh || nh->nlmsg_len > len - off) {
			*notified = true; /* malformed: assume a change */
			break;
		}
		off += NLMSG_ALIGN(nh->nlmsg_len);
		if (off > len)
			off = len; /* last message unpadded */
		if (!nl_is_answer(nh, portid)) {
			*notified = true;
			continue;
		}
		uint32_t rel = nh->nlmsg_seq - c->seq0 - 1u;
		if (rel < first || rel - first >= cnt)
			continue; /* another exchange's, or not ours */
		struct probe *pr = &c->u[rel];
		if (pr->nl_answered)
			continue;
		if (nl_take(nh, pr)) {
			pr->nl_answered = true;
			answered++;
		}
	}
	return answered;
}

/* Reads the answers to probes [first, first + cnt), expect of which were
 * asked, into c->nslots datagrams per recvmmsg.  The kernel answers
 * RTM_GETROUTE inside sendmsg() (rtnetlink runs in the sender's context),
 * so everything is normally queued already and one recvmmsg takes it; the
 * loop covers a batch larger than the slots and, on our own socket only,
 * an unusual kernel that answers later (poll, bounded by c->deadline).  On
 * the lent monitor socket we never wait -- the inventory lock is held --
 * and an EAGAIN leaves the rest to the UDP probe.  Stops on overrun or
 * error (the rest falls back too).  Returns true when it read until every
 * answer was in or the socket was empty: then it has also read everything
 * queued before the requests (see ifaddr_acquire_exchange). */
static bool nl_collect(int fd, uint32_t portid, struct nl_ctx *c, size_t first,
		       size_t cnt, size_t expect, bool *notified)
{
	unsigned char (*rx)[NL_SLOT] = c->rx;
	struct sockaddr_nl from[NL_SLOTS_MAX];
	struct iovec iov[NL_SLOTS_MAX];
	struct mmsghdr mv[NL_SLOTS_MAX];
	size_t outstanding = expect;
	for (unsigned guard = 0; outstanding > 0 && guard < 2 * cnt + 8;
	     guard++) {
		/* Room for what is outstanding, and for a few notifications
		 * queued ahead of it on the monitor socket. */
		unsigned nslots = outstanding + 2 < c->nslots
					  ? (unsigned)outstanding + 2
					  : c->nslots;
		for (unsigned k = 0; k < nslots; k++)
			sys_mmsg_slot(&mv[k], &iov[k], rx[k], NL_SLOT, &from[k],
				      sizeof from[k]);
		int r = sys_recvmmsg(fd, mv, nslots, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS && c->lent) {
				/* The monitor overflowed with notifications:
				 * lost changes (rebuild); our answers may
				 * still be queued behind. */
				*notified = true;
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return false; /* ENOBUFS: answers lost */
			uint64_t now = sys_now_ns();
			if (c->lent || now >= c->deadline)
				return true; /* empty */
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			rfcres_sys.poll(&pfd, 1,
					(int)((c->deadline - now) / 1000000u) + 1);
			continue;
		}
		for (int k = 0; k < r; k++) {
			const struct msghdr *h = &mv[k].msg_hdr;
			if (h->msg_namelen < sizeof from[k] ||
			    from[k].nl_pid != 0) {
				/* not the kernel: not an answer */
				if (c->lent)
					*notified = true;
				continue;
			}
			size_t got = nl_datagram(
				c, rx[k], mv[k].msg_len > NL_SLOT ? NL_SLOT
								  : mv[k].msg_len,
				(h->msg_flags & MSG_TRUNC) != 0, first, cnt,
				c->lent ? portid : 0, notified);
			outstanding -= got < outstanding ? got : outstanding;
		}
	}
	return outstanding == 0;
}

/* Batched RTM_GETROUTE on fd: one sendmsg per NL_BATCH destinations, their
 * answers by recvmmsg.  Returns 0 when the last batch read all its answers
 * (or found the socket empty), 1 when it stopped early or asked nothing,
 * -errno when netlink is unusable (the UDP probe then does everything not
 * done).  An ifaddr_nl_fn. */
static int nl_exchange(int fd, uint32_t portid, bool *notified, void *arg)
{
	struct nl_ctx *c = arg;
	struct nl_req reqs[NL_BATCH];
	struct iovec iov[NL_BATCH];
	bool drained = false;
	for (size_t first = 0; first < c->nu; first += NL_BATCH) {
		size_t cnt = c->nu - first < NL_BATCH ? c->nu - first
						       : NL_BATCH;
		size_t niov = 0;
		for (size_t i = 0; i < cnt; i++) {
			struct probe *pr = &c->u[first + i];
			if (pr->done || pr->lo)
				continue; /* answered, or from the inventory */
			if (sort_needs_zone(&pr->dst) && pr->scope_id == 0) {
				pr->done = true; /* connect() says EINVAL */
				continue;
			}
			nl_build(&reqs[niov], pr,
				 c->seq0 + (uint32_t)(first + i) + 1u);
			iov[niov].iov_base = &reqs[niov];
			iov[niov].iov_len = reqs[niov].nh.nlmsg_len;
			niov++;
		}
		if (niov == 0)
			continue;
		struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
		struct msghdr msg = { .msg_name = &kernel,
				      .msg_namelen = sizeof kernel,
				      .msg_iov = iov,
				      .msg_iovlen = niov };
		ssize_t s;
		do
			s = rfcres_sys.sendmsg(fd, &msg, 0);
		while (s < 0 && errno == EINTR);
		if (s < 0)
			return errno ? -errno : -EIO;
		/* some answers lost: they fall back, keep going */
		drained = nl_collect(fd, portid, c, first, cnt, niov, notified);
	}
	return drained ? 0 : 1;
}

/* The exchange on the inventory's monitor socket (no socket of our own, no
 * validation of our own): with live, inside the acquire of the inventory,
 * whose change check it then stands in for; else if inv is the live
 * inventory.  Otherwise on a socket of our own -- only worth it for two or
 * more requests: for one, connect + getsockname costs as much as socket +
 * sendmsg + recvmmsg + close. */
void sort_nl_probe(struct probe *u, size_t nu, size_t pending,
		   const struct ifaddr_inv *inv, struct ifaddr_inv **live,
		   uint64_t *routes)
{
	/* Answers land in 512-byte slots: 16 on the stack cover a typical
	 * answer in one recvmmsg; for more, a whole batch's worth from the
	 * heap (one recvmmsg per 32 destinations instead of two). */
	unsigned char stack_rx[NL_SLOTS][NL_SLOT];
	struct nl_ctx c = {
		.u = u,
		.nu = nu,
		.seq0 = atomic_fetch_add(&nl_seq, (unsigned)nu),
		.lent = true,
		.rx = stack_rx,
		.nslots = NL_SLOTS,
	};
	if (pending > NL_SLOTS) {
		unsigned char(*big)[NL_SLOT] = malloc(NL_SLOTS_MAX * NL_SLOT);
		if (big) {
			c.rx = big;
			c.nslots = NL_SLOTS_MAX;
		}
	}
	int rc;
	if (live)
		*live = ifaddr_acquire_exchange_routes(nl_exchange, &c, &rc,
						       routes);
	else
		rc = ifaddr_netlink_exchange(inv, nl_exchange, &c);
	if (rc == -ENOTCONN && pending >= 2) {
		int fd = rfcres_sys.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
					   NETLINK_ROUTE);
		if (fd >= 0) {
			bool ignored = false;
			c.lent = false;
			c.deadline = sys_now_ns() + NL_WAIT_NS;
			nl_exchange(fd, 0, &ignored, &c);
			rfcres_sys.close(fd);
		}
	}
	if (c.rx != stack_rx)
		free(c.rx);
}
#else
void sort_nl_probe(struct probe *u, size_t nu, size_t pending,
		   const struct ifaddr_inv *inv, struct ifaddr_inv **live,
		   uint64_t *routes)
{
	(void)u;
	(void)nu;
	(void)pending;
	(void)inv;
	if (live)
		*live = ifaddr_acquire_routes(routes);
}
#endif
