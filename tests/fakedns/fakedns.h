/*
 * fakedns — a fault-injecting DNS server for librfcres tests.
 *
 * Test code, not part of the library.  It answers A/AAAA/CNAME/PTR from an
 * in-memory zone over UDP and TCP (IPv4 and/or IPv6) and can misbehave on
 * purpose, per name or globally, in the ways real servers and middleboxes
 * do (truncation, silent TCP, wrong IDs, compression loops, ...).
 *
 * One server = one libevent event_base running in its own thread.  Every
 * function below is thread-safe and may be called while the server runs.
 * See docs/fakedns.md for the zone format and the behaviour list.
 */
#ifndef RFCRES_FAKEDNS_H
#define RFCRES_FAKEDNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FAKEDNS_MAX_LISTEN 4

/* fakedns_opts.flags */
#define FAKEDNS_NO_UDP  0x1u	/* do not listen on UDP */
#define FAKEDNS_NO_TCP  0x2u	/* do not listen on TCP */
#define FAKEDNS_LOG     0x4u	/* one line per query on stderr */

struct fakedns_opts {
	/*
	 * "127.0.0.1:0", "[::1]:5353", "::1" ... up to FAKEDNS_MAX_LISTEN,
	 * unused slots NULL.  No address at all means "127.0.0.1:0".  Port 0
	 * lets the kernel pick; later port-0 listeners try the port the first
	 * one got, so one port number serves 127.0.0.1 and ::1 alike.
	 */
	const char *listen[FAKEDNS_MAX_LISTEN];
	const char *zone_file;	/* optional, loaded before the first query */
	unsigned flags;
};

/* Behaviours (docs/fakedns.md has the exact semantics). */
enum fakedns_kind {
	FAKEDNS_NORMAL,		/* per name: ignore global behaviours */
	FAKEDNS_TRUNCATE,	/* arg: UDP limit in bytes (0 = 512) */
	FAKEDNS_TRUNCATE_NOEDNS, /* same, EDNS payload size ignored */
	FAKEDNS_TCP_REFUSED,	/* global: close TCP listener; name: RST */
	FAKEDNS_TCP_SILENT,	/* accept, read, never answer */
	FAKEDNS_TCP_DRIP,	/* arg: ms between single bytes (0 = 100) */
	FAKEDNS_TCP_CLOSE_MID,	/* send half the framed answer, close */
	FAKEDNS_TCP_LEN0,	/* send length prefix 0 only */
	FAKEDNS_TCP_LEN65535,	/* length prefix 65535, then the answer */
	FAKEDNS_DELAY,		/* arg: ms before answering */
	FAKEDNS_DROP_AAAA,	/* never answer AAAA queries */
	FAKEDNS_DROP_ALL,	/* never answer anything */
	FAKEDNS_A_ONLY_PARALLEL, /* arg: hold window ms (0 = 50) */
	FAKEDNS_WRONG_ID,	/* answer with ID ^ 0x5a5a */
	FAKEDNS_OTHER_PORT,	/* UDP answer from a second socket */
	FAKEDNS_WRONG_QUESTION,	/* answer echoes a different qname */
	FAKEDNS_SERVFAIL,
	FAKEDNS_REFUSED,
	FAKEDNS_NXDOMAIN,
	FAKEDNS_NODATA,		/* NOERROR, empty answer */
	FAKEDNS_FORMERR_EDNS,	/* FORMERR to queries carrying OPT */
	FAKEDNS_EMPTY_FIRST,	/* zero-length datagram, then the answer */
	FAKEDNS_JUNK_FIRST,	/* arg: junk datagrams first (0 = 1) */
	FAKEDNS_OVERSIZED,	/* arg: pad untruncated UDP answer (0 = 4096) */
	FAKEDNS_PTR_LOOP,	/* answer RR name is a compression loop */
	FAKEDNS_ROTATE,		/* round-robin A/AAAA order per answer */
	FAKEDNS_TTL,		/* arg: TTL of every answer record */
	FAKEDNS_SHORT_RCODE,	/* arg: rcode of a 12-byte header-only reply */
	FAKEDNS_SHORT_RCODE_AAAA, /* the same, to AAAA queries only */
	FAKEDNS_NODATA_NO_RA,	/* replies without records have RA=0 */
	FAKEDNS_FLOOD,		/* arg: junk datagrams before the answer */
	FAKEDNS_FLOOD_MIX,	/* arg: FDF_* mask of junk kinds (0 = all) */
	FAKEDNS_TCP_JUNK,	/* arg: framed junk before a TCP answer (0 = 16) */
	FAKEDNS_TCP_OTHER_ANSWER, /* TCP answers differ from UDP ones */
	FAKEDNS_KIND_MAX
};

struct fakedns_counters {
	unsigned long queries;		/* well-formed queries received */
	unsigned long udp_queries;
	unsigned long tcp_queries;
	unsigned long q_a, q_aaaa, q_cname, q_ptr, q_other;	/* by qtype */
	unsigned long edns_queries;	/* queries carrying an OPT RR */
	unsigned long tcp_connections;	/* accepted */
	unsigned long udp_sent;		/* every datagram sent (incl. junk) */
	unsigned long tcp_sent;		/* framed messages written */
	unsigned long truncated;	/* UDP answers sent with TC=1 */
	unsigned long dropped;		/* queries deliberately unanswered */
	unsigned long malformed;	/* queries that failed to parse */
};

struct fakedns;

/* Bind, load the zone, start the thread.  NULL + errno + stderr on error. */
struct fakedns *fakedns_start(const struct fakedns_opts *o);
/* Stop the thread, close every socket, free everything.  NULL is a no-op. */
void fakedns_stop(struct fakedns *fd);

/* Port of listener i (0 = the first); 0 if there is no such listener. */
unsigned short fakedns_port(const struct fakedns *fd);
unsigned short fakedns_port_n(const struct fakedns *fd, int i);
int fakedns_listen_count(const struct fakedns *fd);
/* "127.0.0.1:40001" / "[::1]:40001"; returns buf. */
char *fakedns_listen_str(const struct fakedns *fd, int i, char *buf, size_t n);
/* Write "nameserver ADDR:PORT" per listener, then `extra` (may be NULL). */
int fakedns_write_resolv_conf(const struct fakedns *fd, const char *path,
			      const char *extra);

/* Zone.  Names are case-insensitive, trailing dot optional. 0 / -1. */
int fakedns_load_zone(struct fakedns *fd, const char *path);
int fakedns_load_zone_text(struct fakedns *fd, const char *text);
int fakedns_add_a(struct fakedns *fd, const char *name, const char *addr);
int fakedns_add_aaaa(struct fakedns *fd, const char *name, const char *addr);
int fakedns_add_cname(struct fakedns *fd, const char *name, const char *target);
int fakedns_add_ptr(struct fakedns *fd, const char *name, const char *target);
/* `count` consecutive addresses starting at `first` (carrying over). */
int fakedns_add_a_range(struct fakedns *fd, const char *name,
			const char *first, unsigned count);
int fakedns_add_aaaa_range(struct fakedns *fd, const char *name,
			   const char *first, unsigned count);
int fakedns_remove(struct fakedns *fd, const char *name);	/* records */
void fakedns_clear_zone(struct fakedns *fd);	/* records + behaviours */
/* Records of qtype (1 A, 28 AAAA, 5 CNAME, 12 PTR; 0 = all) at name. */
size_t fakedns_record_count(struct fakedns *fd, const char *name, int qtype);

/* Behaviours.  name NULL or "*" = global; a name's own setting wins. */
int fakedns_set(struct fakedns *fd, const char *name, enum fakedns_kind k,
		unsigned arg);
int fakedns_unset(struct fakedns *fd, const char *name, enum fakedns_kind k);
int fakedns_clear(struct fakedns *fd, const char *name);
/* Text form as in zone files: "truncate 512", "delay 200", "servfail". */
int fakedns_behave(struct fakedns *fd, const char *name, const char *spec);
const char *fakedns_kind_name(enum fakedns_kind k);

/* Counters and query log. */
void fakedns_counters(struct fakedns *fd, struct fakedns_counters *out);
/* Zero the counters and the query log. */
void fakedns_reset_counters(struct fakedns *fd);
/* Queries seen for name (qtype 0 = any) since the last reset (last 4096). */
unsigned long fakedns_query_count(struct fakedns *fd, const char *name,
				  int qtype);
/* The same, counting only queries that came over TCP. */
unsigned long fakedns_tcp_query_count(struct fakedns *fd, const char *name,
				      int qtype);

/* One well-formed query as the server saw it: what the client put on the
 * wire (ID) and where it came from (source port), for tests of the
 * client's ID and port randomisation. */
struct fakedns_query_info {
	uint16_t id;		/* message ID as received */
	uint16_t qtype;
	uint16_t port;		/* client source port (UDP or TCP) */
	uint8_t tcp;		/* 1: came over TCP */
};
/* Copies the last min(max, logged) queries since the last reset (the log
 * keeps 4096), oldest first; returns how many. */
size_t fakedns_recent_queries(struct fakedns *fd,
			      struct fakedns_query_info *out, size_t max);

#ifdef __cplusplus
}
#endif
#endif
