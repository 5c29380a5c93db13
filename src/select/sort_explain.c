/*
 * Explanations of the destination sort: which rule put a before b and
 * with what values (rfcres sort --explain), and the "sort.pair" trace.
 */
#include <stdio.h>

#include "conf/conf.h"
#include "core/trace.h"
#include "select/sort_priv.h"

static const char *src_desc(const struct sort_item *it, char *buf, size_t len)
{
	return it->has_src ? sort_addr_str(&it->src, 0, buf, len) : "none";
}

const char *sort_explain(const struct sort_item *a, const struct sort_item *b,
			 sort_rule r, const struct conf_policy *policy,
			 char *buf, size_t len)
{
	const struct conf_policy *p = sort_pol(policy);
	struct sort_key ka, kb;
	char sa[SORT_ADDRSTRLEN], sb[SORT_ADDRSTRLEN];
	sort_make_key(a, p, &ka);
	sort_make_key(b, p, &kb);
	src_desc(a, sa, sizeof sa);
	src_desc(b, sb, sizeof sb);

	switch (r) {
	case 1:
		snprintf(buf, len, "avoid unusable destinations: no source "
			 "address for the second");
		break;
	case 2:
		snprintf(buf, len, "prefer matching scope: 0x%x vs source 0x%x, "
			 "0x%x vs source 0x%x", (unsigned)ka.dscope,
			 (unsigned)ka.sscope, (unsigned)kb.dscope,
			 (unsigned)kb.sscope);
		break;
	case 3:
		snprintf(buf, len, "avoid deprecated addresses: source %s is "
			 "deprecated", sb);
		break;
	case 4:
		snprintf(buf, len, "prefer home addresses: source %s is a home "
			 "address", sa);
		break;
	case 5:
		snprintf(buf, len, "prefer matching label: label %d vs source "
			 "%d, label %d vs source %d", ka.dlabel, ka.slabel,
			 kb.dlabel, kb.slabel);
		break;
	case 6:
		snprintf(buf, len, "prefer higher precedence: %d vs %d",
			 ka.prec, kb.prec);
		break;
	case 7:
		snprintf(buf, len, "prefer native transport: source %s is on a "
			 "tunnel", sb);
		break;
	case 8:
		snprintf(buf, len, "prefer smaller scope: 0x%x vs 0x%x",
			 (unsigned)ka.dscope, (unsigned)kb.dscope);
		break;
	case 9:
		if (sort_plen_cap(a) == sort_plen_cap(b))
			snprintf(buf, len, "longest matching prefix: %u vs %u "
				 "bits, capped at /%u", ka.cpl, kb.cpl,
				 sort_plen_cap(a));
		else
			snprintf(buf, len, "longest matching prefix: %u vs %u "
				 "bits, capped at /%u and /%u", ka.cpl, kb.cpl,
				 sort_plen_cap(a), sort_plen_cap(b));
		break;
	default:
		if (ka.usable && kb.usable && ka.v4 == kb.v4 &&
		    ka.cpl != kb.cpl && !sort_rule9_applies(&ka, &kb, p->rule9))
			snprintf(buf, len, "input order kept: rule 9 (%u vs %u "
				 "bits) disabled by rfcres-rule9 %s", ka.cpl,
				 kb.cpl, p->rule9 == CONF_RULE9_NONE ? "none"
								     : "ipv6");
		else
			snprintf(buf, len, "no rule applies: input order kept");
		break;
	}
	return buf;
}

void sort_trace(const struct sort_item *items, size_t n, const sort_rule *why)
{
	if (!trace_on() || !why)
		return;
	char a[SORT_ADDRSTRLEN], b[SORT_ADDRSTRLEN];
	for (size_t i = 0; i + 1 < n; i++)
		TRACE(RFCRES_TRACE_SORT, "sort.pair", "a=%s b=%s rule=%u",
		      sort_addr_str(&items[i].dst, items[i].dst_scope_id, a,
				    sizeof a),
		      sort_addr_str(&items[i + 1].dst, items[i + 1].dst_scope_id,
				    b, sizeof b),
		      (unsigned)why[i]);
}
