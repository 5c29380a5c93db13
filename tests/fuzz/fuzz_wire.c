/*
 * The reply decoder (src/dns/wire.h) on arbitrary bytes.
 *
 * Each input is decoded three ways:
 *  1. against the question the message itself carries (when its question
 *     name is a plain uncompressed name), so that mutations get past the
 *     question check and reach the record, CNAME and address code;
 *  2. against a fixed question (www.example.com A) with a tiny address
 *     array, for the mismatch and WIRE_E_TOO_MANY_ADDRS paths;
 *  3. the input cut at its first NUL as a text name: wire_name_from_text,
 *     then to text and back must give the same wire name.
 * Invariants of an accepted reply are checked (addresses within the
 * caller's capacity, names renderable, CNAME hops within the bound).
 */
#include <sys/socket.h>

#include "dns/wire.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_sys_init();
	return 0;
}

static void check_reply(enum wire_err e, const struct wire_reply *r,
			const struct dns_addr *addrs, size_t max)
{
	FUZZ_CHECK((unsigned)e < WIRE_E__COUNT);
	const char *s = wire_strerror(e);
	FUZZ_CHECK(s != NULL && strchr(s, ' ') == NULL);
	if (e != WIRE_OK)
		return;
	char text[WIRE_TEXT_MAX];
	FUZZ_CHECK(r->naddrs <= max);
	FUZZ_CHECK(r->cname_hops <= WIRE_CNAME_MAX);
	for (size_t i = 0; i < r->naddrs; i++)
		FUZZ_CHECK(addrs[i].family == AF_INET ||
			   addrs[i].family == AF_INET6);
	if (r->has_question && !r->tc)
		FUZZ_CHECK(wire_name_to_text(r->canon, text, sizeof text));
	if (r->has_ptr) {
		FUZZ_CHECK(wire_name_to_text(r->ptr, text, sizeof text));
		FUZZ_CHECK(strchr(text, ' ') == NULL);
	}
}

/* The question name at offset 12 when it is plain labels (no pointer). */
static bool own_question(const uint8_t *msg, size_t len, uint8_t *qname,
			 uint16_t *qtype)
{
	size_t p = WIRE_HDR_LEN;
	while (p < len && msg[p] != 0) {
		if (msg[p] > WIRE_LABEL_MAX)
			return false;
		p += 1u + msg[p];
	}
	if (p + 5 > len || p + 1 - WIRE_HDR_LEN > WIRE_NAME_MAX)
		return false;
	memcpy(qname, msg + WIRE_HDR_LEN, p + 1 - WIRE_HDR_LEN);
	*qtype = wire_get16(msg + p + 1);
	return true;
}

static void name_roundtrip(const uint8_t *data, size_t size)
{
	char *text = fuzz_strdup(data, size, 2048);
	if (!text)
		return;
	uint8_t w[WIRE_NAME_MAX], w2[WIRE_NAME_MAX];
	size_t wl, wl2;
	bool abs1, abs2;
	if (wire_name_from_text(text, w, &wl, &abs1) == WIRE_OK) {
		FUZZ_CHECK(wl >= 1 && wl <= WIRE_NAME_MAX);
		FUZZ_CHECK(wire_name_labels(w) <= 127);
		char back[WIRE_TEXT_MAX];
		FUZZ_CHECK(wire_name_to_text(w, back, sizeof back));
		FUZZ_CHECK(strchr(back, ' ') == NULL);
		FUZZ_CHECK(wire_name_from_text(back, w2, &wl2, &abs2) ==
			   WIRE_OK);
		FUZZ_CHECK(wl2 == wl && wire_name_equal(w, w2));
		/* concatenation with itself: either fits or NAME_LONG */
		uint8_t cat[WIRE_NAME_MAX];
		size_t cl;
		enum wire_err e = wire_name_concat(w, wl, w2, wl2, cat, &cl);
		FUZZ_CHECK(e == WIRE_OK || e == WIRE_E_NAME_LONG);
		if (e == WIRE_OK)
			FUZZ_CHECK(cl == wl + wl2 - 1);
		/* a query for it always builds */
		uint8_t q[WIRE_QUERY_MAX];
		FUZZ_CHECK(wire_build_query(q, sizeof q, 0x1234, w, WIRE_T_AAAA,
					    true, true) > 0);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *msg = (uint8_t *)fuzz_dup(data, size);
	if (!msg)
		return 0;
	struct wire_reply r;

	/* 1: the message's own question, the transport's capacity */
	uint8_t qname[WIRE_NAME_MAX];
	uint16_t qtype;
	if (own_question(msg, size, qname, &qtype)) {
		size_t max = wire_max_addrs(size);
		struct dns_addr *addrs = malloc(max * sizeof *addrs);
		if (addrs) {
			struct wire_question q = { .qname = qname,
						   .qtype = qtype,
						   .allow_formerr_noq = true };
			enum wire_err e =
				wire_decode_reply(msg, size, &q, &r, addrs, max);
			check_reply(e, &r, addrs, max);
			/* the bound is sufficient: never TOO_MANY_ADDRS */
			FUZZ_CHECK(e != WIRE_E_TOO_MANY_ADDRS);
			free(addrs);
		}
	}

	/* 2: a fixed question, two address slots */
	static const uint8_t www[] = "\3www\7example\3com";
	struct dns_addr two[2];
	struct wire_question fq = { .qname = www, .qtype = WIRE_T_A };
	enum wire_err e = wire_decode_reply(msg, size, &fq, &r, two, 2);
	check_reply(e, &r, two, 2);
	free(msg);

	/* 3: names */
	name_roundtrip(data, size);
	return 0;
}
