/*
 * nsswitch.conf parser: any input gives a line (or NULL only on ENOMEM)
 * whose sources all have a non-empty name without white space or '[',
 * actions within the enum, and a consistent kind.
 */
#include <string.h>

#include "conf/conf_nsswitch.h"
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_nsswitch *n =
		conf_nsswitch_parse((const char *)data, size, true, "fuzz");
	if (!n)
		return 0;
	FUZZ_CHECK(n->text != NULL);
	FUZZ_CHECK(n->origin != CONF_NSS_INVALID || n->nsrc == 0);
	for (size_t i = 0; i < n->nsrc; i++) {
		const struct conf_nss_source *s = &n->src[i];
		size_t len = strlen(s->name);
		FUZZ_CHECK(len > 0);
		FUZZ_CHECK(strpbrk(s->name, " \t[") == NULL);
		for (int k = 0; k < CONF_NSS_NSTATUS; k++)
			FUZZ_CHECK(s->action[k] <= CONF_NSS_MERGE);
		FUZZ_CHECK((s->kind == CONF_NSS_FILES) ==
			   (strcmp(s->name, "files") == 0));
		FUZZ_CHECK((s->kind == CONF_NSS_DNS) ==
			   (strcmp(s->name, "dns") == 0));
		char crit[128];
		conf_nss_criteria(s, crit, sizeof crit);
	}
	conf_nsswitch_free(n);
	return 0;
}
