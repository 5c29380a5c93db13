/*
 * hosts file parser (glibc nss_files files-hosts.c syntax) with a hash
 * index by name and by address, so large hosts files cost O(1) per lookup.
 */
#ifndef RFCRES_CONF_HOSTS_H
#define RFCRES_CONF_HOSTS_H

#include "conf/conf.h"

#define CONF_HOSTS_MAXNAME 255 /* longer names are skipped */

/* text may be NULL (file missing: empty table).  NULL only on ENOMEM. */
struct conf_hosts *conf_hosts_parse(const char *text, size_t len,
				    const char *file);
void conf_hosts_free(struct conf_hosts *h);

/* All entries in file order (for the CLI and tests). */
size_t conf_hosts_count(const struct conf_hosts *h);
const struct conf_hosts_entry *conf_hosts_at(const struct conf_hosts *h,
					     size_t i);

#endif
