/*
 * fakedns answer builder: a pure function from (query, zone, behaviour,
 * transport) to response bytes.  Transport-level faults (delays, junk
 * datagrams, TCP framing tricks) are the server's job, not this one's.
 */
#ifndef FAKEDNS_ANSWER_H
#define FAKEDNS_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "fd_wire.h"
#include "fd_zone.h"

#define FDA_EDNS_PAYLOAD 4096	/* what we advertise in our OPT */

struct fda_info {
	int rcode;
	int tc;
	unsigned ancount;
};

/* Returns the response length, 0 if it could not be built.  Advances the
 * rotate position of the names it answers from (hence non-const z). */
size_t fda_build(struct fdz_zone *z, const struct fdw_query *q,
		 const struct fdz_behav *b, int tcp, uint8_t *out, size_t cap,
		 struct fda_info *info);

/* Header-only reply (FORMERR, NOTIMP) to a query that did not parse;
 * 0 if the query is too short to echo an ID. */
size_t fda_error(const uint8_t *query, size_t qlen, unsigned rcode,
		 uint8_t *out, size_t cap);

/* fd_short.c: the 12-byte header-only reply (QDCOUNT 0) of the
 * short-rcode behaviours, or 0 when b asks for none for this query. */
size_t fda_short(const struct fdw_query *q, const struct fdz_behav *b,
		 uint8_t *out, size_t cap, struct fda_info *info);

/* The UDP size limit a query gets under b (RFC 1035 §4.2.1, RFC 6891). */
size_t fda_udp_limit(const struct fdw_query *q, const struct fdz_behav *b);

#endif
