/*
 * A temporary configuration directory for unit tests that go through the
 * public functions: a hosts file, a resolv.conf naming a loopback port
 * nothing serves (no test name is meant to reach DNS) and an empty
 * gai.conf and an nsswitch.conf "hosts: files dns" (never the host's own
 * line), with RFCRES_HOSTS / RFCRES_RESOLV_CONF / RFCRES_GAI_CONF /
 * RFCRES_NSSWITCH_CONF pointing at them.  Include after <cmocka.h>.
 */
#ifndef RFCRES_TEST_CONF_DIR_H
#define RFCRES_TEST_CONF_DIR_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *const conf_dir_files[] = { "hosts", "resolv.conf",
					      "gai.conf", "nsswitch.conf" };
static const char *const conf_dir_envs[] = { "RFCRES_HOSTS",
					     "RFCRES_RESOLV_CONF",
					     "RFCRES_GAI_CONF",
					     "RFCRES_NSSWITCH_CONF" };
#define CONF_DIR_NFILES (sizeof conf_dir_files / sizeof conf_dir_files[0])

/* Writes dir/name (replacing it). */
static inline void conf_dir_put(const char *dir, const char *name,
				const char *text)
{
	char p[128];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* mkdtemp(dir) (a "...XXXXXX" template), the four files, the variables.
 * Returns 0, or -1 when the directory cannot be made. */
static inline int conf_dir_setup(char *dir, const char *hosts)
{
	if (!mkdtemp(dir))
		return -1;
	conf_dir_put(dir, "hosts", hosts);
	conf_dir_put(dir, "resolv.conf",
		     "nameserver 127.0.0.1:9\noptions timeout:1 attempts:1\n");
	conf_dir_put(dir, "gai.conf", "");
	conf_dir_put(dir, "nsswitch.conf", "hosts: files dns\n");
	for (size_t i = 0; i < CONF_DIR_NFILES; i++) {
		char p[128];
		snprintf(p, sizeof p, "%s/%s", dir, conf_dir_files[i]);
		setenv(conf_dir_envs[i], p, 1);
	}
	return 0;
}

static inline void conf_dir_teardown(const char *dir)
{
	for (size_t i = 0; i < CONF_DIR_NFILES; i++) {
		char p[128];
		snprintf(p, sizeof p, "%s/%s", dir, conf_dir_files[i]);
		unlink(p);
	}
	rmdir(dir);
}

#endif
