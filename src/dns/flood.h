/*
 * Is a UDP exchange under a forged-reply flood?  (RFC 5452 §9.3: a
 * resolver that sees many datagrams fail the matching rules of §9.1 MAY
 * abandon the UDP query and ask again over TCP.)
 *
 * One dns_flood per server socket of a lookup, reset for every search
 * candidate and whenever the socket is (re)opened.  Two signs, either of
 * which moves the unanswered questions to TCP (docs/security.md
 * "Forged-reply floods"):
 *  - threshold: DNS_FLOOD_THRESHOLD datagrams from the server's address
 *    and port rejected (dns.drop) -- a forger's guesses, each a chance to
 *    hit the ID, so they are not allowed to go on;
 *  - overflow: the kernel dropped datagrams for the socket because its
 *    receive buffer was full (SO_MEMINFO) -- the genuine answer may be
 *    among them, so waiting for it is pointless.  Probed only after a
 *    read round that rejected something: no cost without junk.
 */
#ifndef RFCRES_DNS_FLOOD_H
#define RFCRES_DNS_FLOOD_H

#include <stdbool.h>

/* Rejected datagrams per server socket and candidate name.  Above what a
 * sound exchange produces (a duplicated reply, the stale replies to the
 * EDNS queries a FORMERR replaced, an earlier candidate's late answer:
 * three at most), low enough that a forger gets 7 guesses per name and
 * server instead of every datagram until the deadline.  Unbound's
 * unwanted-reply-threshold (10 million, process-wide, flushes the cache)
 * and PowerDNS's spoof-nearmiss-max (per query: 20 until 4.5, now 1;
 * the answer is then distrusted) are the prior art; BIND moves to TCP on
 * the first mismatched ID. */
#define DNS_FLOOD_THRESHOLD 8u

enum dns_flood_sign { DNS_FLOOD_NONE, DNS_FLOOD_SIGN_THRESHOLD,
		      DNS_FLOOD_SIGN_OVERFLOW };

struct dns_flood {
	unsigned drops;        /* rejected on this socket, this name */
	unsigned round_drops;  /* ... in the current read round */
	unsigned kernel_drops; /* the kernel's count when it was probed */
};

static inline void dns_flood_reset(struct dns_flood *f)
{
	f->drops = f->round_drops = f->kernel_drops = 0;
}

/* Counts one rejected datagram; true when that reaches the threshold
 * (the caller stops reading the socket). */
static inline bool dns_flood_drop(struct dns_flood *f)
{
	f->drops++;
	f->round_drops++;
	return f->drops >= DNS_FLOOD_THRESHOLD;
}

/* The end of a read round on socket fd: the threshold, or -- when the
 * round rejected something -- an overflow seen in the kernel's drop
 * counter (one getsockopt through rfcres_sys). */
enum dns_flood_sign dns_flood_judge(struct dns_flood *f, int fd);

/* "threshold" / "overflow" for the trace. */
const char *dns_flood_sign_str(enum dns_flood_sign s);

#endif
