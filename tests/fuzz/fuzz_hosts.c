/*
 * hosts parser and its two indexes: every entry must be well formed, and
 * looking up any of its names or its address must find an entry (the index
 * and the entry list must agree).
 */
#include <sys/socket.h>

#include "conf/conf_hosts.h"
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

/* bounds the lookup work per input (many equal names chain in one bucket) */
#define CHECK_ENTRIES 64
#define CHECK_NAMES 8

static void check_entry(const struct conf_hosts *h,
			const struct conf_hosts_entry *e)
{
	FUZZ_CHECK(e->family == AF_INET || e->family == AF_INET6);
	FUZZ_CHECK(e->nnames >= 1 && e->names != NULL);
	for (unsigned j = 0; j < e->nnames; j++) {
		FUZZ_CHECK(e->names[j] != NULL);
		FUZZ_CHECK(strlen(e->names[j]) <= CONF_HOSTS_MAXNAME);
	}
	FUZZ_CHECK(e->names[e->nnames] == NULL);

	const struct conf_hosts_entry *out[4];
	for (unsigned j = 0; j < e->nnames && j < CHECK_NAMES; j++) {
		size_t n = conf_hosts_by_name(h, e->names[j], AF_UNSPEC, out, 4);
		FUZZ_CHECK(n >= 1);
		size_t m = conf_hosts_by_name(h, e->names[j], e->family, out, 4);
		FUZZ_CHECK(m >= 1 && m <= n);
		for (size_t k = 0; k < m && k < 4; k++)
			FUZZ_CHECK(out[k]->family == e->family);
	}
	const struct conf_hosts_entry *a = conf_hosts_by_addr(h, e->family, e->addr);
	FUZZ_CHECK(a != NULL && a->family == e->family);
	FUZZ_CHECK(memcmp(a->addr, e->addr, e->family == AF_INET ? 4 : 16) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_dup(data, size);
	if (!text)
		return 0;
	struct conf_hosts *h = conf_hosts_parse(text, size, "fuzz");
	free(text);
	if (!h)
		return 0;
	size_t n = conf_hosts_count(h);
	for (size_t i = 0; i < n && i < CHECK_ENTRIES; i++)
		check_entry(h, conf_hosts_at(h, i));

	/* lookups of names that are not (or are) there */
	const struct conf_hosts_entry *out[2];
	static const char *const names[] = { "localhost", "LOCALHOST", "",
					     "a.example", "ip6-localhost" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		fuzz_trace_sum += conf_hosts_by_name(h, names[i], AF_UNSPEC, out, 2);
	conf_hosts_free(h);
	return 0;
}
