/*
 * resolv.conf parser: the input is parsed as the file, then again with the
 * same bytes (cut at the first NUL) as LOCALDOMAIN, RES_OPTIONS and the
 * host name, so the environment paths see hostile text too.  The result's
 * documented bounds are checked.
 */
#include <netinet/in.h>

#include "conf/conf_resolv.h"
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

static void check(const struct conf_resolv *r)
{
	if (!r)
		return; /* ENOMEM only */
	FUZZ_CHECK(r->nns >= 1 && r->nns <= CONF_MAXNS);
	for (unsigned i = 0; i < r->nns; i++) {
		int fam = r->ns[i].addr.sa.sa_family;
		FUZZ_CHECK(fam == AF_INET || fam == AF_INET6);
		FUZZ_CHECK(r->ns[i].addrlen == (fam == AF_INET
				? sizeof(struct sockaddr_in)
				: sizeof(struct sockaddr_in6)));
	}
	FUZZ_CHECK(r->ndots <= CONF_NDOTS_MAX);
	FUZZ_CHECK(r->timeout <= CONF_TIMEOUT_MAX);
	FUZZ_CHECK(r->attempts <= CONF_ATTEMPTS_MAX);
	FUZZ_CHECK(r->nsearch <= CONF_MAXSEARCH);
	FUZZ_CHECK(r->search != NULL);
	for (unsigned i = 0; i < r->nsearch; i++) {
		FUZZ_CHECK(r->search[i] != NULL);
		/* a search domain is a DNS name: at most 255 octets */
		FUZZ_CHECK(strlen(r->search[i]) <= 255);
	}
	FUZZ_CHECK(r->search[r->nsearch] == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_dup(data, size);
	char *str = fuzz_strdup(data, size, 4096);
	if (!text || !str) {
		free(text);
		free(str);
		return 0;
	}

	struct conf_resolv *r = conf_resolv_parse(text, size, true, NULL);
	check(r);
	conf_resolv_free(r);

	struct conf_resolv_env env = {
		.localdomain = str,
		.res_options = str,
		.hostname = str,
		.file = "fuzz",
	};
	r = conf_resolv_parse(text, size, true, &env);
	check(r);
	conf_resolv_free(r);

	/* file missing, only the environment */
	env.localdomain = NULL;
	r = conf_resolv_parse(NULL, 0, false, &env);
	check(r);
	conf_resolv_free(r);

	free(text);
	free(str);
	return 0;
}
