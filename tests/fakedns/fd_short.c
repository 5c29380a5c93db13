/*
 * Header-only replies: what glibc's resolver tests call a "short response"
 * (tst-resolv-short-response, tst-resolv-semi-failure, glibc bug 31890):
 * 12 bytes, the query's ID, QR set, RD copied, the rcode asked for, every
 * count 0 -- no question echoed.  Servers send these for SERVFAIL, NOTIMP
 * and REFUSED; a client that insists on the question must still not wait
 * out its timeout on them.
 */
#include <string.h>

#include "fd_answer.h"

size_t fda_short(const struct fdw_query *q, const struct fdz_behav *b,
		 uint8_t *out, size_t cap, struct fda_info *info)
{
	unsigned rcode, flags;

	if (fdz_has(b, FAKEDNS_SHORT_RCODE))
		rcode = b->arg[FAKEDNS_SHORT_RCODE];
	else if (fdz_has(b, FAKEDNS_SHORT_RCODE_AAAA) &&
		 q->qtype == FDW_T_AAAA)
		rcode = b->arg[FAKEDNS_SHORT_RCODE_AAAA];
	else
		return 0;
	if (cap < FDW_HDR)
		return 0;
	flags = FDW_F_QR | FDW_F_RA | (q->flags & FDW_F_RD) | (rcode & 0xfu);
	memset(out, 0, FDW_HDR);
	out[0] = (uint8_t)(q->id >> 8);
	out[1] = (uint8_t)q->id;
	out[2] = (uint8_t)(flags >> 8);
	out[3] = (uint8_t)flags;
	if (info) {
		info->rcode = (int)(rcode & 0xfu);
		info->tc = 0;
		info->ancount = 0;
	}
	return FDW_HDR;
}
