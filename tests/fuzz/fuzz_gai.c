/*
 * gai.conf parser and the policy-table lookups: the tables must come out
 * sorted longest prefix first with valid prefix lengths, and each lookup
 * (for fixed addresses and for an address taken from the input) must
 * return without reading outside the table.
 */
#include <arpa/inet.h>

#include "conf/conf_gai.h"
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

static void check_table(const struct conf_policy_row *rows, size_t n)
{
	FUZZ_CHECK(n <= CONF_MAXPOLICY + 1);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(rows[i].plen <= 128);
		if (i > 0)
			FUZZ_CHECK(rows[i - 1].plen >= rows[i].plen);
	}
}

static const char *const probes[] = {
	"::1", "::", "::ffff:10.1.2.3", "::ffff:127.0.0.1", "::ffff:169.254.1.1",
	"2001:db8::1", "2002:c000:201::1", "fe80::1", "fc00::1", "ff02::1",
	"2001::1", "3ffe::1", "fec0::1", "64:ff9b::1",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_dup(data, size);
	if (!text)
		return 0;
	struct conf_policy *p = conf_policy_parse(text, size, true, "fuzz");
	free(text);
	if (!p)
		return 0;
	check_table(p->label, p->nlabel);
	check_table(p->precedence, p->nprecedence);
	check_table(p->scopev4, p->nscopev4);
	/* label and precedence always have a ::/0 row (RFC 6724 2.1) */
	FUZZ_CHECK(p->nlabel >= 1 && p->label[p->nlabel - 1].plen == 0);
	FUZZ_CHECK(p->nprecedence >= 1 &&
		   p->precedence[p->nprecedence - 1].plen == 0);
	FUZZ_CHECK(p->rule9 == CONF_RULE9_ALL || p->rule9 == CONF_RULE9_IPV6 ||
		   p->rule9 == CONF_RULE9_NONE);

	long sum = 0;
	struct in6_addr a;
	for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
		FUZZ_CHECK(inet_pton(AF_INET6, probes[i], &a) == 1);
		sum += conf_policy_label(p, &a) + conf_policy_precedence(p, &a) +
		       conf_policy_scopev4(p, &a);
	}
	if (size >= 16) {
		memcpy(&a, data + size - 16, 16);
		sum += conf_policy_label(p, &a) + conf_policy_precedence(p, &a) +
		       conf_policy_scopev4(p, &a);
	}
	fuzz_trace_sum += (unsigned long)sum;
	conf_policy_free(p);
	return 0;
}
