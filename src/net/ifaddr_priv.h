/*
 * Private part of the local address inventory: the rtnetlink wire subset we
 * speak, the pure dump parser (exposed for unit tests), and what the
 * inventory's files share:
 *
 *   ifaddr.c        the cache and its change monitor (the public calls)
 *   ifaddr_inv.c    inventory objects and the builder
 *   ifaddr_parse.c  rtnetlink dump parser, getifaddrs() conversion (pure)
 *   ifaddr_dump.c   the kernel dump: netlink, or getifaddrs()
 *
 * The netlink ABI is defined here rather than taken from the linux/ uapi headers: the
 * core must build with musl-gcc, whose include path has no kernel headers.
 * These values are kernel ABI (include/uapi/linux/{netlink,rtnetlink,
 * if_addr,if_arp}.h) and never change.
 */
#ifndef RFCRES_IFADDR_PRIV_H
#define RFCRES_IFADDR_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ifaddr.h"

struct ifaddrs;

/* --- rtnetlink ABI subset ----------------------------------------------- */
#define IFNL_ROUTE 0 /* NETLINK_ROUTE */

struct ifnl_sockaddr { /* struct sockaddr_nl */
	sa_family_t nl_family;
	unsigned short nl_pad;
	uint32_t nl_pid;
	uint32_t nl_groups;
};

struct ifnl_hdr { /* struct nlmsghdr */
	uint32_t len;
	uint16_t type;
	uint16_t flags;
	uint32_t seq;
	uint32_t pid;
};

struct ifnl_err { /* struct nlmsgerr */
	int32_t error;
	struct ifnl_hdr msg;
};

struct ifnl_ifaddrmsg {
	uint8_t family;
	uint8_t prefixlen;
	uint8_t flags;
	uint8_t scope;
	uint32_t index;
};

struct ifnl_ifinfomsg {
	uint8_t family;
	uint8_t pad;
	uint16_t type;
	int32_t index;
	uint32_t flags;
	uint32_t change;
};

struct ifnl_rtattr {
	uint16_t len;
	uint16_t type;
};

#define IFNL_ALIGN(n) (((n) + 3u) & ~(size_t)3u)
#define IFNL_HDRLEN IFNL_ALIGN(sizeof(struct ifnl_hdr))

enum {
	IFNL_NOOP = 1,
	IFNL_ERROR = 2,
	IFNL_DONE = 3,
	IFNL_OVERRUN = 4,
	IFNL_RTM_NEWLINK = 16,
	IFNL_RTM_DELLINK = 17,
	IFNL_RTM_GETLINK = 18,
	IFNL_RTM_NEWADDR = 20,
	IFNL_RTM_DELADDR = 21,
	IFNL_RTM_GETADDR = 22,
	IFNL_RTM_NEWROUTE = 24,
	IFNL_RTM_DELROUTE = 25,
	IFNL_RTM_NEWRULE = 32,
	IFNL_RTM_DELRULE = 33,
};

enum {
	IFNL_F_REQUEST = 0x01,
	IFNL_F_MULTI = 0x02,
	IFNL_F_DUMP_INTR = 0x10,
	IFNL_F_DUMP = 0x300, /* NLM_F_ROOT | NLM_F_MATCH */
};

enum {
	IFNL_GRP_LINK = 0x1,         /* RTMGRP_LINK */
	IFNL_GRP_IPV4_IFADDR = 0x10, /* RTMGRP_IPV4_IFADDR */
	IFNL_GRP_IPV6_IFADDR = 0x100,/* RTMGRP_IPV6_IFADDR */
	IFNL_GRP_IPV4_ROUTE = 0x40,  /* RTMGRP_IPV4_ROUTE */
	IFNL_GRP_IPV4_RULE = 0x80,   /* RTMGRP_IPV4_RULE */
	IFNL_GRP_IPV6_ROUTE = 0x400, /* RTMGRP_IPV6_ROUTE */
	IFNL_GRP_IPV6_RULE = 1u << (19 - 1), /* RTNLGRP_IPV6_RULE (no RTMGRP_) */
};

enum { /* IFA_* attribute types */
	IFNL_IFA_ADDRESS = 1,
	IFNL_IFA_LOCAL = 2,
	IFNL_IFA_FLAGS = 8,
};

enum { /* IFA_F_* */
	IFNL_IFA_F_TEMPORARY = 0x01,
	IFNL_IFA_F_OPTIMISTIC = 0x04,
	IFNL_IFA_F_DADFAILED = 0x08,
	IFNL_IFA_F_HOMEADDRESS = 0x10,
	IFNL_IFA_F_DEPRECATED = 0x20,
	IFNL_IFA_F_TENTATIVE = 0x40,
};

enum { /* ARPHRD_* */
	IFNL_ARPHRD_TUNNEL = 768,
	IFNL_ARPHRD_TUNNEL6 = 769,
	IFNL_ARPHRD_LOOPBACK = 772,
	IFNL_ARPHRD_SIT = 776,
	IFNL_ARPHRD_IPGRE = 778,
	IFNL_ARPHRD_IP6GRE = 823,
	IFNL_ARPHRD_NONE = 0xFFFE, /* wireguard, tun, ... */
	IFNL_ARPHRD_VOID = 0xFFFF, /* unknown (getifaddrs fallback) */
};

enum { /* RT_SCOPE_* */
	IFNL_SCOPE_UNIVERSE = 0,
	IFNL_SCOPE_LINK = 253,
	IFNL_SCOPE_HOST = 254,
};

/* --- pure dump parser ---------------------------------------------------- */

struct ifaddr_link {
	unsigned index;
	unsigned short type; /* ARPHRD_* */
	unsigned ifflags;    /* IFF_* */
};

/* Accumulates one RTM_GETLINK and one RTM_GETADDR dump. */
struct ifaddr_build {
	struct ifaddr_entry *v;
	size_t n, cap;
	struct ifaddr_link *links;
	size_t nlinks, linkcap;
	unsigned skipped; /* malformed or unsupported messages ignored */
};

/* Upper bounds: a dump larger than this is refused (-E2BIG), never
 * truncated into a partial inventory. */
#define IFADDR_MAX_ENTRIES 65536u
#define IFADDR_MAX_LINKS 65536u

/* Parses one datagram of a dump answer.  Messages whose seq or port id do
 * not match are ignored (stray notifications).  Returns 1 when NLMSG_DONE
 * was seen, 0 when more datagrams are expected, -EAGAIN when the kernel
 * flagged the dump inconsistent (NLM_F_DUMP_INTR: retry), -EBADMSG for a
 * malformed framing, -E2BIG past the limits, -ENOMEM, or the negated error
 * the kernel reported. */
int ifaddr_parse_dump(struct ifaddr_build *b, const void *buf, size_t len,
		      uint32_t seq, uint32_t portid);

/* Applies link types/flags to the entries and moves them into a new
 * inventory (refs = 1).  Frees b's arrays in every case.  NULL on ENOMEM. */
struct ifaddr_inv *ifaddr_build_finish(struct ifaddr_build *b,
				       bool from_netlink);
void ifaddr_build_free(struct ifaddr_build *b);

/* Converts a getifaddrs() list (no flags, scope derived from the address). */
int ifaddr_build_from_ifaddrs(struct ifaddr_build *b, const struct ifaddrs *ifa);

/* Classifies a link type: IFADDR_F_TUNNEL or 0. */
unsigned ifaddr_link_type_flags(unsigned short type);

/* --- shared between the inventory's files -------------------------------- */

/* Address length of a family: 4, 16, or 0 for anything else. */
size_t ifaddr_family_len(int family);
/* Append to the builder; 0, -ENOMEM or -E2BIG past the limits. */
int ifaddr_build_push_entry(struct ifaddr_build *b, const struct ifaddr_entry *e);
int ifaddr_build_push_link(struct ifaddr_build *b, const struct ifaddr_link *l);

/* A bound NETLINK_ROUTE socket (non-blocking, close-on-exec) subscribed to
 * groups; its port id in *portid.  The fd or -errno. */
int ifaddr_nl_open(uint32_t groups, uint32_t *portid);
/* Fills b from a netlink dump (0 or -errno) ... */
int ifaddr_dump_netlink(struct ifaddr_build *b);
/* ... or from getifaddrs(). */
int ifaddr_dump_getifaddrs(struct ifaddr_build *b);

#endif
