/*
 * services file parser (glibc nss_files files-service.c syntax):
 * "name port/protocol [aliases...]", '#' comments.
 */
#ifndef RFCRES_CONF_SERVICES_H
#define RFCRES_CONF_SERVICES_H

#include "conf/conf.h"

/* text may be NULL (file missing: empty table).  NULL only on ENOMEM. */
struct conf_services *conf_services_parse(const char *text, size_t len,
					  const char *file);
void conf_services_free(struct conf_services *s);
size_t conf_services_count(const struct conf_services *s);

#endif
