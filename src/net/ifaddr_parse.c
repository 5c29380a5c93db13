/*
 * The two sources of an inventory, as pure functions over a builder: the
 * rtnetlink RTM_GETLINK/RTM_GETADDR dump parser (the IPv6 address flags
 * and the link type of RFC 6724 rules 3, 7 and 4; the 32-bit IFA_FLAGS
 * attribute when present), and the getifaddrs() list of the fallback.
 */
#include "ifaddr_priv.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

#include "sys.h"

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
	return ifaddr_build_push_link(b, &l);
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
	size_t alen = ifaddr_family_len(ifa.family);
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
	return ifaddr_build_push_entry(b, &e);
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
	size_t alen = ifaddr_family_len(family);
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
	int rc = ifaddr_build_push_entry(b, &e);
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
	return ifaddr_build_push_link(b, &l);
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
