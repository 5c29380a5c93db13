/* nsswitch.conf parser (conf_nsswitch.c) against glibc 2.36's
 * nss_action_parse / process_line semantics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/conf_nsswitch.h"

enum { S = CONF_NSS_SUCCESS, N = CONF_NSS_NOTFOUND, U = CONF_NSS_UNAVAIL,
       T = CONF_NSS_TRYAGAIN };
enum { C = CONF_NSS_CONTINUE, R = CONF_NSS_RETURN, M = CONF_NSS_MERGE };

static struct conf_nsswitch *parse(const char *text)
{
	struct conf_nsswitch *n =
		conf_nsswitch_parse(text, text ? strlen(text) : 0,
				    text != NULL, "test");
	assert_non_null(n);
	return n;
}

/* "name:SNUT" (actions as letters c/r/m) for each source, space-joined */
static void render(const struct conf_nsswitch *n, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n->nsrc; i++) {
		const struct conf_nss_source *s = &n->src[i];
		char a[5];
		for (int k = 0; k < 4; k++)
			a[k] = "crm"[s->action[k]];
		a[4] = '\0';
		used += (size_t)snprintf(buf + used, len - used, "%s%s:%s",
					 i ? " " : "", s->name, a);
	}
}

static void t_lines(void **st)
{
	(void)st;
	static const struct {
		const char *text;
		int origin;
		const char *want;
	} cases[] = {
		{ "hosts: files dns\n", CONF_NSS_FROM_FILE,
		  "files:rccc dns:rccc" },
		{ "hosts: files mdns4_minimal [NOTFOUND=return] dns myhostname\n",
		  CONF_NSS_FROM_FILE,
		  "files:rccc mdns4_minimal:rrcc dns:rccc myhostname:rccc" },
		/* "!UNAVAIL=return": every status but UNAVAIL returns */
		{ "hosts: files mymachines resolve [!UNAVAIL=return] myhostname dns",
		  CONF_NSS_FROM_FILE,
		  "files:rccc mymachines:rccc resolve:rrcr myhostname:rccc dns:rccc" },
		/* case-insensitive criteria, spaces inside brackets, no
		 * space before '[' */
		{ "hosts:files[ notfound = Return  TRYAGAIN=continue ]dns",
		  CONF_NSS_FROM_FILE, "files:rrcc dns:rccc" },
		{ "hosts: files [SUCCESS=continue UNAVAIL=merge] dns",
		  CONF_NSS_FROM_FILE, "files:ccmc dns:rccc" },
		/* no colon needed, colons repeated, leading blanks */
		{ "  hosts files", CONF_NSS_FROM_FILE, "files:rccc" },
		{ "hosts::: dns", CONF_NSS_FROM_FILE, "dns:rccc" },
		/* the last hosts line wins; other databases ignored */
		{ "hosts: dns\npasswd: files\nhosts: files\n",
		  CONF_NSS_FROM_FILE, "files:rccc" },
		/* no comment syntax inside a line (glibc: "#" is a module) */
		{ "hosts: files # dns", CONF_NSS_FROM_FILE,
		  "files:rccc #:rccc dns:rccc" },
		/* '[' without a source ends the line */
		{ "hosts: files [NOTFOUND=return] [x] dns", CONF_NSS_FROM_FILE,
		  "files:rrcc" },
		/* comment lines, unknown databases, "Hosts" (case-sensitive) */
		{ "# hosts: dns\nsudoers: files\nHosts: dns\n",
		  CONF_NSS_DEFAULT_NOLINE, "files:rccc dns:rccc" },
		{ NULL, CONF_NSS_DEFAULT_MISSING, "files:rccc dns:rccc" },
		/* an empty line is an empty list, not the default */
		{ "hosts:\n", CONF_NSS_FROM_FILE, "" },
		/* syntax errors, in hosts or any known database: rejected */
		{ "hosts: files [NOTFOUND=retur] dns", CONF_NSS_INVALID, "" },
		{ "hosts: files [NOTFOUND] dns", CONF_NSS_INVALID, "" },
		{ "hosts: files [NOTFOUND=return dns", CONF_NSS_INVALID, "" },
		{ "hosts: files [BOGUS=return] dns", CONF_NSS_INVALID, "" },
		{ "hosts: files [] dns", CONF_NSS_INVALID, "" },
		{ "hosts: files\npasswd: files [x=y]\n", CONF_NSS_INVALID, "" },
		/* ... but not in an unknown database's line */
		{ "hosts: files\nautomount: files [x=y]\n", CONF_NSS_FROM_FILE,
		  "files:rccc" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct conf_nsswitch *n = parse(cases[i].text);
		char got[256];
		render(n, got, sizeof got);
		if (strcmp(got, cases[i].want) != 0 ||
		    (int)n->origin != cases[i].origin)
			fail_msg("case %zu '%s': got '%s' origin %d, want '%s' "
				 "origin %d",
				 i, cases[i].text ? cases[i].text : "(null)",
				 got, n->origin, cases[i].want, cases[i].origin);
		conf_nsswitch_free(n);
	}
}

static void t_kinds(void **st)
{
	(void)st;
	struct conf_nsswitch *n = parse("hosts: files dns DNS Files myhostname");
	assert_int_equal(n->nsrc, 5);
	assert_int_equal(n->src[0].kind, CONF_NSS_FILES);
	assert_int_equal(n->src[1].kind, CONF_NSS_DNS);
	/* module names are case-sensitive: libnss_DNS.so.2 */
	assert_int_equal(n->src[2].kind, CONF_NSS_MODULE);
	assert_int_equal(n->src[3].kind, CONF_NSS_MODULE);
	assert_int_equal(n->src[4].kind, CONF_NSS_MODULE);
	assert_string_equal(n->text, "files dns DNS Files myhostname");
	char crit[64];
	conf_nss_criteria(&n->src[0], crit, sizeof crit);
	assert_string_equal(crit, "");
	conf_nsswitch_free(n);
	n = parse("hosts: files [NOTFOUND=return UNAVAIL=return]\n");
	conf_nss_criteria(&n->src[0], crit, sizeof crit);
	assert_string_equal(crit, "[NOTFOUND=return UNAVAIL=return]");
	conf_nsswitch_free(n);
}

static void t_hostile(void **st)
{
	(void)st;
	/* NUL bytes, an over-long line, a huge number of sources, CRLF */
	static const char nul[] = "hosts: dns\0 x\nhosts: files\n";
	struct conf_nsswitch *n =
		conf_nsswitch_parse(nul, sizeof nul - 1, true, "t");
	assert_non_null(n);
	assert_int_equal(n->nsrc, 1);
	assert_string_equal(n->src[0].name, "files");
	conf_nsswitch_free(n);
	size_t big = 200000;
	char *t = malloc(big + 32);
	assert_non_null(t);
	memcpy(t, "hosts: ", 7);
	memset(t + 7, 'a', big);
	strcpy(t + 7 + big, "\nhosts: dns\r\n");
	n = conf_nsswitch_parse(t, strlen(t), true, "t");
	assert_non_null(n);
	assert_int_equal(n->nsrc, 1);
	assert_string_equal(n->src[0].name, "dns");
	conf_nsswitch_free(n);
	/* 10,000 sources on one line (under the line limit) */
	size_t pos = 7;
	memcpy(t, "hosts: ", 7);
	for (int i = 0; i < 10000; i++) {
		memcpy(t + pos, "x ", 2);
		pos += 2;
	}
	t[pos] = '\0';
	n = conf_nsswitch_parse(t, pos, true, "t");
	assert_non_null(n);
	assert_int_equal(n->nsrc, 10000);
	conf_nsswitch_free(n);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_lines),
		cmocka_unit_test(t_kinds),
		cmocka_unit_test(t_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
