/*
 * DNS wire format (RFC 1035 section 4): query builder and a strict reply
 * decoder.  Pure functions over byte buffers; no I/O, no allocation.
 *
 * The decoder never reads outside [msg, msg + len), rejects anything that
 * does not add up (counts, rdlengths, compression pointers, name lengths)
 * and reports a precise reason so that the transport can trace why a
 * datagram was dropped.
 */
#ifndef RFCRES_DNS_WIRE_H
#define RFCRES_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/lookup.h"

#define WIRE_HDR_LEN 12
#define WIRE_NAME_MAX 255      /* RFC 1035 2.3.4: octets, wire form */
#define WIRE_LABEL_MAX 63
#define WIRE_EDNS_PAYLOAD 1232 /* DNS flag day 2020 */
/* header + longest name + qtype/qclass + OPT RR */
#define WIRE_QUERY_MAX (WIRE_HDR_LEN + WIRE_NAME_MAX + 4 + 11)
#define WIRE_PTR_HOPS 32       /* compression pointers followed per name */
#define WIRE_CNAME_MAX 16      /* CNAME links followed from the qname */
/* Text form of a name: every octet may need a 4-character \DDD escape. */
#define WIRE_TEXT_MAX 1024

enum wire_type {
	WIRE_T_A = 1,
	WIRE_T_CNAME = 5,
	WIRE_T_PTR = 12,
	WIRE_T_AAAA = 28,
	WIRE_T_OPT = 41,
};
#define WIRE_CLASS_IN 1

enum wire_rcode {
	WIRE_R_NOERROR = 0,
	WIRE_R_FORMERR = 1,
	WIRE_R_SERVFAIL = 2,
	WIRE_R_NXDOMAIN = 3,
	WIRE_R_NOTIMP = 4,
	WIRE_R_REFUSED = 5,
};

enum wire_err {
	WIRE_OK = 0,
	/* name encoding (text -> wire) */
	WIRE_E_EMPTY_NAME,
	WIRE_E_EMPTY_LABEL,
	WIRE_E_LABEL_LONG,
	WIRE_E_NAME_LONG,
	WIRE_E_BAD_ESCAPE,
	WIRE_E_BUFFER,
	/* decoding */
	WIRE_E_SHORT,          /* shorter than a header */
	WIRE_E_NOT_RESPONSE,   /* QR = 0 */
	WIRE_E_OPCODE,         /* not a standard query */
	WIRE_E_QDCOUNT,        /* QDCOUNT != 1 */
	WIRE_E_QUESTION,       /* question does not echo ours */
	WIRE_E_TRUNCATED_NAME, /* name runs past the end */
	WIRE_E_PTR_FORWARD,    /* compression pointer not strictly backwards */
	WIRE_E_PTR_HOPS,       /* too many compression pointers */
	WIRE_E_LABEL_TYPE,     /* 0x40/0x80 label types (RFC 6891 6.2) */
	WIRE_E_TRUNCATED_RR,   /* RR header or rdata past the end */
	WIRE_E_COUNTS,         /* section counts claim more than present */
	WIRE_E_A_RDLENGTH,
	WIRE_E_AAAA_RDLENGTH,
	WIRE_E_RDATA_NAME,     /* CNAME/PTR rdata is not exactly one name */
	WIRE_E_CNAME_LOOP,
	WIRE_E_CNAME_CHAIN,    /* more than WIRE_CNAME_MAX links */
	WIRE_E_TOO_MANY_ADDRS, /* caller's address array too small */
	WIRE_E__COUNT
};

/* Short stable token for traces, e.g. "ptr-forward". */
const char *wire_strerror(enum wire_err e);

/* Encodes a text name ("www.example.com", "example.com.", ".") into wire
 * form (labels plus the root label) in out[WIRE_NAME_MAX].  Accepts the
 * master-file escapes \X and \DDD (RFC 1035 5.1).  Empty labels are
 * rejected except for the root name "." itself; *absolute tells whether
 * the text ended with a dot (then no search list applies). */
enum wire_err wire_name_from_text(const char *text, uint8_t *out,
				  size_t *outlen, bool *absolute);

/* Concatenates two wire names: the labels of a (without its root label)
 * followed by b.  Fails with WIRE_E_NAME_LONG past 255 octets. */
enum wire_err wire_name_concat(const uint8_t *a, size_t alen,
			       const uint8_t *b, size_t blen, uint8_t *out,
			       size_t *outlen);

/* Number of labels of a wire name (0 for the root). */
unsigned wire_name_labels(const uint8_t *name);

/* Length of a well-formed uncompressed wire name, 0 if malformed. */
size_t wire_name_len(const uint8_t *name);

/* True when every label holds only letters, digits, '-' and '_' and the
 * name does not start with '-': a host name by glibc's res_hnok. */
bool wire_name_is_host(const uint8_t *name);

/* ASCII case-insensitive equality of two uncompressed wire names. */
bool wire_name_equal(const uint8_t *a, const uint8_t *b);

/* Renders an uncompressed wire name as text without the trailing dot
 * ("." for the root), escaping '.', '\\' and bytes outside 0x21..0x7e as
 * \DDD so that the result never contains spaces.  Returns false if buf is
 * too small (WIRE_TEXT_MAX always suffices). */
bool wire_name_to_text(const uint8_t *name, char *buf, size_t len);

/* Builds a standard query with RD set (and AD when ad is true, for
 * trust-ad) into buf (at least WIRE_QUERY_MAX bytes).  With edns, an OPT
 * RR advertising WIRE_EDNS_PAYLOAD is appended (RFC 6891).  Returns the
 * length, or 0 if the name is not a valid wire name. */
size_t wire_build_query(uint8_t *buf, size_t cap, uint16_t id,
			const uint8_t *qname, uint16_t qtype, bool edns,
			bool ad);

/* Sets the ID of an already built query. */
void wire_set_id(uint8_t *msg, uint16_t id);

static inline uint16_t wire_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* The question a reply must echo. */
struct wire_question {
	const uint8_t *qname; /* uncompressed wire form */
	uint16_t qtype;
	/* FORMERR replies often carry no question section (glibc res_send.c
	 * says so too): accept QDCOUNT = 0 for a FORMERR when set. */
	bool allow_formerr_noq;
};

struct wire_reply {
	uint16_t id;
	unsigned rcode;
	bool tc, aa, ra, ad;
	/* false only for an accepted FORMERR without, or a header-only
	 * SERVFAIL / NOTIMP / REFUSED (glibc bug 31890) */
	bool has_question;
	size_t naddrs;        /* addresses of the final name, answer order */
	unsigned cname_hops;
	/* the canonical name (wire form): the last name of the CNAME chain,
	 * query name included, that is a host name (wire_name_is_host), as
	 * glibc reports since bug 12154; the query name if none is */
	uint8_t canon[WIRE_NAME_MAX];
	uint8_t owner[WIRE_NAME_MAX]; /* final owner: where the records are */
	bool has_ptr;                 /* (set even on errors) */
	uint8_t ptr[WIRE_NAME_MAX];   /* first PTR of the final name */
};

/* Decodes and validates a reply to question q.  A and AAAA records of the
 * final owner name (after following CNAMEs from the qname, in order) are
 * stored into addrs (capacity max).  With TC set only the header and the
 * question are validated (the rest may legitimately be cut).  The header
 * fields of *r are filled as soon as they are read, so that a caller can
 * trace the ID and RCODE of a rejected message. */
enum wire_err wire_decode_reply(const uint8_t *msg, size_t len,
				const struct wire_question *q,
				struct wire_reply *r, struct dns_addr *addrs,
				size_t max);

/* Upper bound of address records a message of len bytes can hold (an A
 * record with a compressed owner takes at least 15 octets). */
static inline size_t wire_max_addrs(size_t len)
{
	return len / 15 + 1;
}

#endif
