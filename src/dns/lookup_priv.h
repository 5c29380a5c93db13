/*
 * The inside of one DNS lookup (lookup.h), shared by the files that each
 * hold one concept of it:
 *
 *   lookup.c         public API, result assembly, IDs and query messages
 *   lookup_names.c   search candidates and the per-name verdict
 *                    (glibc res_nsearch)
 *   lookup_steps.c   the state machine: steps over servers and attempts,
 *                    timers and retry policy (glibc res_send)
 *   lookup_udp.c     UDP exchange: sockets, sends, reads; abandoned
 *                    for TCP under a forged-reply flood (flood.h)
 *   lookup_tcp.c     TCP exchange: connect, pipelined writes, framed reads
 *   lookup_reply.c   reply acceptance: matching and what an RCODE means
 *   lookup_trace.c   trace strings (only called when tracing is on)
 *
 * A lookup walks the search candidates.  For each candidate name it runs
 * "steps": step = attempt * nns + position, the server of a step being the
 * position-th one after the rotation point, exactly glibc's res_send loop.
 * A step sends every query that has no final answer yet to its server over
 * the server's connected UDP socket (both queries at once unless
 * single-request), and ends when each query got a final answer or an error
 * RCODE from that server, when the server is unreachable, or when its
 * timer expires.  A TC reply turns the step into a TCP exchange with the
 * same server.  Replies from servers of earlier steps are still accepted:
 * their sockets stay open for the whole lookup, so a slow first server
 * still helps.
 */
#ifndef RFCRES_DNS_LOOKUP_PRIV_H
#define RFCRES_DNS_LOOKUP_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf/conf.h"
#include "core/sys.h"
#include "dns/flood.h"
#include "dns/lookup.h"
#include "dns/wire.h"

#define DNS_UDP_BUF 4096          /* we advertise 1232 (EDNS) or 512 */
#define DNS_DGRAMS_PER_STEP 64    /* junk floods cannot starve the clock */
#define DNS_TCP_READS_PER_STEP 64
#define DNS_TCP_MSG_MAX 65535
#define NS_PER_S 1000000000ull

enum q_outcome { O_NONE, O_ANSWER, O_NODATA, O_NXDOMAIN };

struct dns_query {
	uint16_t qtype;
	/* options no-aaaa with only AAAA wanted: an A query asked in the
	 * AAAA query's place, its records dropped (glibc res-noaaaa.c) */
	bool stand_in;
	bool edns;
	bool done;
	bool sent_step;     /* sent to the current step's server */
	bool answered_here; /* got its final answer from that server */
	bool in_tcp;        /* outstanding on the TCP connection */
	enum q_outcome outcome;
	unsigned udp_out;   /* bit s: outstanding over UDP at server s */
	unsigned idset;     /* bit s: udp_id[s] chosen */
	uint16_t udp_id[CONF_MAXNS];
	uint16_t tcp_id;
	size_t len;
	uint8_t msg[WIRE_QUERY_MAX];
	struct dns_addr *addrs; /* addrs_inline, or malloc'd when larger */
	size_t naddrs;
	struct dns_addr addrs_inline[4]; /* a typical answer: no allocation */
	bool has_ptr;
	uint8_t canon[WIRE_NAME_MAX];
	uint8_t ptr[WIRE_NAME_MAX];
};

struct dns_cand {
	uint8_t wire[WIRE_NAME_MAX];
	bool as_is_first; /* the name as given, tried before the search list */
};

enum tcp_state { TCP_IDLE, TCP_CONNECTING, TCP_IO };

struct dns_tcp {
	int fd;
	unsigned srv;
	enum tcp_state state;
	size_t olen, ooff;
	uint8_t out[2 * (2 + WIRE_QUERY_MAX)];
	uint8_t hdr[2];
	size_t hlen;
	size_t need, ilen;
	uint8_t *in; /* DNS_TCP_MSG_MAX bytes, allocated on first use */
};

enum name_status { N_ANSWER, N_NODATA, N_NXDOMAIN, N_SERVFAIL, N_TIMEOUT };

struct dns_lookup {
	struct conf_snapshot *snap;
	const struct conf_resolv *rc;
	unsigned opts;
	bool done;
	struct dns_result res;
	uint64_t deadline;      /* the whole lookup */
	uint64_t step_deadline; /* the current step */

	/* search list walk (glibc res_nsearch) */
	unsigned ncand, cand;
	bool have_saved;        /* the as-is-first try failed ... */
	int saved_eai;          /* ... with this error (glibc saved_herrno) */
	bool got_nodata, got_servfail;
	int last_eai;

	/* servers and steps */
	unsigned nns, first;
	int udp[CONF_MAXNS];
	struct dns_flood flood[CONF_MAXNS]; /* per UDP socket and name */
	unsigned step, nsteps, srv, pos;
	bool tcp_mode;          /* the current step talks TCP */
	bool sent_parallel;     /* the current step sent two queries at once */
	unsigned step_sends;    /* queries sent in the current step */
	unsigned single_retry;  /* servers given the single-request retry */
	unsigned tcp_failed;    /* servers whose TCP exchange failed */
	bool saw_timeout;       /* a server timed out / was unreachable */
	bool saw_servfail;      /* a server answered SERVFAIL for the name */

	unsigned nq;
	struct dns_query q[2];
	struct dns_tcp tcp;

	uint16_t ids[32];
	unsigned nids;
	unsigned drops;
	struct dns_cand cands[]; /* ncand entries */
};

static inline const uint8_t *dns_cur_name(const struct dns_lookup *l)
{
	return l->cands[l->cand].wire;
}

static inline uint64_t dns_min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline void dns_close_fd(int *fd)
{
	if (*fd >= 0) {
		rfcres_sys.close(*fd);
		*fd = -1;
	}
}

/* ---- lookup.c ------------------------------------------------------------ */

/* A random query ID (RFC 5452 9.2). */
uint16_t dns_next_id(struct dns_lookup *l);
/* (Re)builds q's message for the current candidate, ID 0. */
void dns_build_msg(struct dns_lookup *l, struct dns_query *q);
/* Ends the lookup with eai (closing the TCP connection). */
void dns_finish(struct dns_lookup *l, int eai);
/* True (and the lookup ended with EAI_SYSTEM) when err is EMFILE/ENFILE. */
bool dns_out_of_fds(struct dns_lookup *l, int err);
/* Ends the lookup with the answers of the current candidate. */
void dns_build_result(struct dns_lookup *l);
void dns_free_addrs(struct dns_query *q);

/* ---- lookup_names.c ------------------------------------------------------ */

/* Fills l->cands in glibc res_nsearch order. */
enum wire_err dns_build_cands(struct dns_lookup *l, const char *name,
			      bool ptr);
/* Starts the current candidate at its first step. */
void dns_begin_name(struct dns_lookup *l, uint64_t now);
/* The current candidate is settled: next candidate, or the verdict. */
void dns_end_name(struct dns_lookup *l, uint64_t now);

/* ---- lookup_steps.c ------------------------------------------------------ */

/* The most one candidate can take: every slot of every attempt, plus one
 * TCP exchange per server. */
uint64_t dns_name_budget(const struct dns_lookup *l);
uint64_t dns_tcp_timeout_ns(const struct dns_lookup *l);
bool dns_all_done(const struct dns_lookup *l);
/* Starts l->step, or the first usable step after it. */
void dns_begin_step(struct dns_lookup *l, uint64_t now);
/* Leaves the current step for the next. */
void dns_next_step(struct dns_lookup *l, uint64_t now);
/* After a reply or a failure: the candidate, the step or the sends
 * move on as the queries' state says. */
void dns_step_progress(struct dns_lookup *l, uint64_t now);
/* The step timer fired. */
void dns_on_timeout(struct dns_lookup *l, uint64_t now);

/* ---- lookup_udp.c -------------------------------------------------------- */

/* Sends what the current step still has to send over UDP: 0, or -errno
 * when the server cannot be reached. */
int dns_udp_send_pending(struct dns_lookup *l);
/* Replaces server s's socket (single-request-reopen). */
void dns_udp_reopen(struct dns_lookup *l, unsigned s);
/* Server s's socket is readable: reads it, and under a forged-reply
 * flood (flood.h) abandons it for TCP. */
void dns_udp_on_readable(struct dns_lookup *l, unsigned s, uint64_t now);

/* ---- lookup_tcp.c -------------------------------------------------------- */

/* Moves the step to TCP with server s (q: the truncated query, or NULL). */
void dns_tcp_start(struct dns_lookup *l, unsigned s, struct dns_query *q,
		   uint64_t now);
/* The connection failed: trace why and move to the next step. */
void dns_tcp_fail(struct dns_lookup *l, const char *reason, uint64_t now);
bool dns_tcp_pending(const struct dns_lookup *l);
void dns_tcp_on_ready(struct dns_lookup *l, short revents, uint64_t now);

/* ---- lookup_reply.c ------------------------------------------------------ */

/* One whole message from server s: judged, then accepted or dropped. */
void dns_reply_handle(struct dns_lookup *l, unsigned s, bool tcp,
		      const uint8_t *buf, size_t n, uint64_t now);
/* Counts and traces a message that is not ours to believe. */
void dns_reply_drop(struct dns_lookup *l, unsigned s, bool tcp,
		    const char *reason, size_t len);

/* ---- lookup_trace.c ------------------------------------------------------ */

struct tbuf {
	char text[WIRE_TEXT_MAX];
	char safe[4 * WIRE_TEXT_MAX + 8];
	char addr[80];
};

const char *dns_qtype_str(uint16_t t);
const char *dns_eai_str(int eai);
const char *dns_rcode_str(unsigned r);
const char *dns_tname(struct tbuf *b, const uint8_t *w);
const char *dns_tsrv(struct tbuf *b, const struct dns_lookup *l, unsigned s);
void dns_trace_send(const struct dns_lookup *l, unsigned s, const char *tr,
		    unsigned id, const struct dns_query *q);
void dns_trace_srv(const struct dns_lookup *l, const char *ev, unsigned s,
		   const char *k, const char *v);
void dns_trace_drop(const struct dns_lookup *l, unsigned s, const char *tr,
		    const char *reason, size_t len);

#endif
