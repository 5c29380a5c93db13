/*
 * fakedns flood: the datagrams an off-path forger or a broken middlebox
 * sends around a genuine answer (RFC 5452 §3, §9.1), and the TCP variants
 * of the same bad input.  Every junk message is built from the genuine
 * answer so that it looks as close to it as possible while staying
 * rejectable by a correct client: wrong ID, wrong question, wrong source
 * port, a compression loop, lying counts, or random bytes.  A forged
 * record always carries FDF_FORGED_A / FDF_FORGED_AAAA.
 */
#ifndef FAKEDNS_FLOOD_H
#define FAKEDNS_FLOOD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "fd_zone.h"

struct event_base;

/* The kinds of junk (FAKEDNS_FLOOD_MIX arg is a mask of these; 0 = all
 * six).  FDF_ENDLESS is not a kind: the flood then never stops (for
 * FDF_ENDLESS_MS) and the genuine UDP answer is never sent. */
#define FDF_ID          0x01u	/* forged answer, ID != the query's */
#define FDF_QUESTION    0x02u	/* right ID, another qname */
#define FDF_PORT        0x04u	/* perfect forgery from another source port */
#define FDF_COMPRESSION 0x08u	/* right ID and question, owner name loops */
#define FDF_COUNTS      0x10u	/* right ID and question, ANCOUNT 50, one RR */
#define FDF_RANDOM      0x20u	/* 1..300 random bytes (never our ID) */
#define FDF_ALL_KINDS   0x3fu
#define FDF_ENDLESS     0x40u

#define FDF_FLOOD_MAX 100000u	/* junk datagrams per answer */
#define FDF_TCP_JUNK_MAX 1000u	/* framed junk messages per TCP answer */
#define FDF_ENDLESS_MS 5000u	/* how long an endless flood lasts */
#define FDF_JUNK_CAP 512u	/* room one junk message needs */

/* 203.0.113.66 and 2001:db8:bad::66 (documentation prefixes) */
extern const uint8_t FDF_FORGED_A[4];
extern const uint8_t FDF_FORGED_AAAA[16];

/* Junk message number i for the genuine answer ans (which echoes the
 * question), of the i-th kind of mix in turn (mix 0 = all kinds; over TCP
 * the port kind is skipped: a stream has one).  *other_port says it must
 * go out of another socket.  Returns its length (<= cap, cap >=
 * FDF_JUNK_CAP). */
size_t fdf_junk(const uint8_t *ans, size_t alen, unsigned mix, unsigned i,
		int tcp, uint8_t *out, size_t cap, int *other_port);

/* TCP answers that differ from the UDP ones: the last byte of every A and
 * AAAA rdata in the message is inverted, in place. */
void fdf_other_answer(uint8_t *msg, size_t len);

/* How fd_flood sends a UDP datagram to peer: from the listener's socket,
 * or from its other-port socket (l is the server's listener). */
typedef void fdf_send_fn(void *l, const struct sockaddr_storage *peer,
			 socklen_t plen, int other_port, const void *msg,
			 size_t len);

/* Floods in progress: sent in bursts from timers on the server's loop,
 * which meanwhile goes on serving (TCP, other queries). */
struct fdf_stream;

/* b's UDP flood for the genuine answer ans to peer: FAKEDNS_FLOOD's
 * count of junk datagrams, of FAKEDNS_FLOOD_MIX's kinds, then the answer
 * (from the other-port socket if answer_other).  Returns 1 when the flood
 * took over the answer -- it follows the last junk datagram, or never
 * comes (endless) -- and 0 when the caller sends it now. */
int fdf_udp_flood(struct fdf_stream **streams, struct event_base *base,
		  const struct fdz_behav *b, fdf_send_fn *send, void *l,
		  const struct sockaddr_storage *peer, socklen_t plen,
		  int answer_other, const uint8_t *ans, size_t alen);
/* Stops every flood of listener l (NULL: all of them). */
void fdf_streams_free(struct fdf_stream **streams, void *l);

/* b's TCP junk (FAKEDNS_TCP_JUNK): framed junk messages, written with
 * write(conn, ...), to go before the genuine answer. */
typedef void fdf_write_fn(void *conn, const void *d, size_t n);
void fdf_tcp_junk(const struct fdz_behav *b, fdf_write_fn *write, void *conn,
		  const uint8_t *ans, size_t alen);

#endif
