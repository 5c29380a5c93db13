/*
 * Trace strings of the lookup: names, servers and codes as text.  Only
 * called when tracing is on, so the hot path carries none of it.
 */
#include <netdb.h>

#include "core/trace.h"
#include "dns/lookup_priv.h"

const char *dns_qtype_str(uint16_t t)
{
	switch (t) {
	case WIRE_T_A:
		return "A";
	case WIRE_T_AAAA:
		return "AAAA";
	case WIRE_T_PTR:
		return "PTR";
	default:
		return "?";
	}
}

const char *dns_eai_str(int eai)
{
	switch (eai) {
	case 0:
		return "0";
	case EAI_NONAME:
		return "EAI_NONAME";
	case EAI_NODATA:
		return "EAI_NODATA";
	case EAI_AGAIN:
		return "EAI_AGAIN";
	case EAI_FAIL:
		return "EAI_FAIL";
	case EAI_MEMORY:
		return "EAI_MEMORY";
	case EAI_SYSTEM:
		return "EAI_SYSTEM";
	default:
		return "EAI_OTHER";
	}
}

const char *dns_rcode_str(unsigned r)
{
	static const char *const n[] = { "NOERROR", "FORMERR", "SERVFAIL",
					 "NXDOMAIN", "NOTIMP", "REFUSED" };
	return r < 6 ? n[r] : "OTHER";
}

const char *dns_tname(struct tbuf *b, const uint8_t *w)
{
	if (!wire_name_to_text(w, b->text, sizeof b->text))
		return "?";
	return trace_safe(b->text, b->safe, sizeof b->safe);
}

const char *dns_tsrv(struct tbuf *b, const struct dns_lookup *l, unsigned s)
{
	return trace_sockaddr(&l->rc->ns[s].addr.sa, b->addr, sizeof b->addr);
}

void dns_trace_send(const struct dns_lookup *l, unsigned s, const char *tr,
		    unsigned id, const struct dns_query *q)
{
	struct tbuf b;
	trace_emit(RFCRES_TRACE_DNS, "dns.send",
		   "server=%s transport=%s id=%u qtype=%s name=%s edns=%d",
		   dns_tsrv(&b, l, s), tr, id, dns_qtype_str(q->qtype),
		   dns_tname(&b, dns_cur_name(l)), q->edns ? 1 : 0);
}

void dns_trace_srv(const struct dns_lookup *l, const char *ev, unsigned s,
		   const char *k, const char *v)
{
	struct tbuf b;
	trace_emit(RFCRES_TRACE_DNS, ev, "server=%s %s=%s", dns_tsrv(&b, l, s),
		   k, v);
}

void dns_trace_drop(const struct dns_lookup *l, unsigned s, const char *tr,
		    const char *reason, size_t len)
{
	struct tbuf b;
	trace_emit(RFCRES_TRACE_DNS, "dns.drop",
		   "reason=%s server=%s transport=%s len=%zu drops=%u", reason,
		   dns_tsrv(&b, l, s), tr, len, l->drops);
}
