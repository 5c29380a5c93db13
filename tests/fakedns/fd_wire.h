/*
 * fakedns wire helpers: a small, strict query decoder and a response
 * encoder with name compression.  Test code; independent of src/dns on
 * purpose so a bug in the library's codec cannot hide in the server.
 */
#ifndef FAKEDNS_WIRE_H
#define FAKEDNS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define FDW_HDR 12
#define FDW_NAME_MAX 1024	/* presentation form, with \DDD escapes */

#define FDW_T_A 1
#define FDW_T_CNAME 5
#define FDW_T_PTR 12
#define FDW_T_AAAA 28
#define FDW_T_OPT 41
#define FDW_T_ANY 255

#define FDW_R_NOERROR 0
#define FDW_R_FORMERR 1
#define FDW_R_SERVFAIL 2
#define FDW_R_NXDOMAIN 3
#define FDW_R_NOTIMP 4
#define FDW_R_REFUSED 5

#define FDW_F_QR 0x8000u
#define FDW_F_AA 0x0400u
#define FDW_F_TC 0x0200u
#define FDW_F_RD 0x0100u
#define FDW_F_RA 0x0080u

enum fdw_verdict {
	FDW_OK,		/* well-formed query */
	FDW_DROP,	/* not worth an answer (too short, a response) */
	FDW_FORMERR,	/* header readable, rest malformed */
	FDW_NOTIMP,	/* opcode other than QUERY */
};

struct fdw_query {
	uint16_t id;
	uint16_t flags;
	uint16_t qtype;
	uint16_t qclass;
	char qname[FDW_NAME_MAX];	/* lower case, no trailing dot */
	uint8_t qwire[255 + 4];		/* question as received, uncompressed */
	size_t qwire_len;
	int edns;			/* OPT RR present */
	uint16_t edns_size;		/* its UDP payload size */
};

enum fdw_verdict fdw_parse_query(const uint8_t *p, size_t n,
				 struct fdw_query *q);

/* Canonical presentation: lower case, no trailing dot, labels <= 63,
 * wire length <= 255.  "" and "." are the root.  0 / -1. */
int fdw_canon(const char *in, char *out, size_t n);

/* Response builder over a caller's buffer.  Errors are sticky (err). */
#define FDW_COMP_MAX 64
struct fdw_buf {
	uint8_t *p;
	size_t cap;
	size_t len;
	int err;
	size_t ncomp;
	struct {
		uint16_t off;
		uint16_t arena;	/* suffix text offset in arena */
	} comp[FDW_COMP_MAX];
	char arena[4096];
	size_t arena_len;
};

void fdw_init(struct fdw_buf *b, uint8_t *p, size_t cap);
void fdw_u8(struct fdw_buf *b, unsigned v);
void fdw_u16(struct fdw_buf *b, unsigned v);
void fdw_u32(struct fdw_buf *b, uint32_t v);
void fdw_bytes(struct fdw_buf *b, const void *d, size_t n);
void fdw_set_u16(struct fdw_buf *b, size_t off, unsigned v);
/* Write a canonical presentation name, compressing against earlier ones. */
void fdw_name(struct fdw_buf *b, const char *name);
/* Make `name` (already written at off) a compression target. */
void fdw_comp_add(struct fdw_buf *b, const char *name, size_t off);

/* Save / restore the write position (undo a record that did not fit). */
struct fdw_mark {
	size_t len, ncomp, arena_len;
	int err;
};
void fdw_mark(const struct fdw_buf *b, struct fdw_mark *m);
void fdw_rewind(struct fdw_buf *b, const struct fdw_mark *m);

/* Presentation name -> uncompressed wire form.  Returns length or -1. */
int fdw_pres_to_wire(const char *in, uint8_t *wire, size_t cap);

#endif
