/*
 * AI_ADDRCONFIG decided per destination (seed 003): pure functions over an
 * inventory.
 */
#ifndef RFCRES_ADDRCFG_H
#define RFCRES_ADDRCFG_H

#include <stdbool.h>

struct ifaddr_inv;

struct addrcfg_caps {
	bool v4_loopback;  /* 127.0.0.0/8 configured (usually on lo) */
	bool v6_loopback;  /* ::1 configured */
	bool v4_usable;    /* a usable non-loopback IPv4 address */
	bool v6_global;    /* a usable IPv6 address of global scope (incl. ULA) */
	bool v6_linklocal; /* a usable fe80::/10 address */
};

void addrcfg_caps_of(const struct ifaddr_inv *inv, struct addrcfg_caps *caps);

/* Is a destination of this family/address kept?  addr is 4 or 16 bytes.
 * IPv4-mapped IPv6 follows the IPv4 rule. */
bool addrcfg_keep(const struct addrcfg_caps *caps, int family, const void *addr);

/* Could any destination of family (AF_INET/AF_INET6) be kept for a name
 * that is not localhost?  When false, that query type is not sent. */
bool addrcfg_want_family(const struct addrcfg_caps *caps, int family);

#endif
