/*
 * Dumping the inventory from the kernel: a netlink socket of its own per
 * dump (RTM_GETLINK then RTM_GETADDR, retried when the kernel flags the
 * dump inconsistent), or getifaddrs() where netlink is unavailable.
 */
#include "ifaddr_priv.h"

#include <errno.h>
#include <ifaddrs.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "sys.h"

#define IFADDR_DUMP_TIMEOUT_NS 2000000000ull  /* a kernel dump never waits */
#define IFADDR_RECV_BUF 65536u                /* > any rtnetlink dump skb */
#define IFADDR_MAX_READS (1u << 18)
#define IFADDR_DUMP_TRIES 3                   /* NLM_F_DUMP_INTR retries */

static atomic_uint dump_seq;

int ifaddr_nl_open(uint32_t groups, uint32_t *portid)
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

int ifaddr_dump_netlink(struct ifaddr_build *b)
{
	unsigned char *buf = malloc(IFADDR_RECV_BUF);
	if (!buf)
		return -ENOMEM;
	uint32_t portid = 0;
	int fd = ifaddr_nl_open(0, &portid);
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

int ifaddr_dump_getifaddrs(struct ifaddr_build *b)
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
