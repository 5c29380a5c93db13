/*
 * nsswitch.conf parser: the "hosts:" line in glibc's syntax (sources in
 * order, each with optional "[!?STATUS=action ...]" criteria), as glibc
 * 2.33+ nss/nss_action_parse.c and nss/nss_database.c read it.  Pure: text
 * in, struct out; loading and calling modules is src/nss.
 */
#ifndef RFCRES_CONF_NSSWITCH_H
#define RFCRES_CONF_NSSWITCH_H

#include <stdbool.h>
#include <stddef.h>

/* enum nss_status values a module returns, in the order used as an index
 * into conf_nss_source.action (not glibc's numeric values). */
enum conf_nss_status {
	CONF_NSS_SUCCESS,
	CONF_NSS_NOTFOUND,
	CONF_NSS_UNAVAIL,
	CONF_NSS_TRYAGAIN,
	CONF_NSS_NSTATUS
};

enum conf_nss_action {
	CONF_NSS_CONTINUE,
	CONF_NSS_RETURN,
	CONF_NSS_MERGE, /* accepted by the parser; hosts does not support it */
};

enum conf_nss_kind {
	CONF_NSS_FILES,  /* librfcres's own hosts file code */
	CONF_NSS_DNS,    /* librfcres's own transport */
	CONF_NSS_MODULE, /* libnss_NAME.so.2 */
};

struct conf_nss_source {
	char *name;
	enum conf_nss_kind kind;
	unsigned char action[CONF_NSS_NSTATUS]; /* enum conf_nss_action */
};

enum conf_nss_origin {
	CONF_NSS_FROM_FILE,       /* the file's hosts line (last one wins) */
	CONF_NSS_DEFAULT_MISSING, /* no file: glibc's built-in default */
	CONF_NSS_DEFAULT_NOLINE,  /* no hosts line: the same default */
	CONF_NSS_INVALID,         /* a syntax error: no source at all */
};

/* glibc >= 2.35 (bug 28700; Debian 12 has 2.36): "files dns".  Older
 * glibc used "dns [!UNAVAIL=return] files". */
#define CONF_NSS_DEFAULT_HOSTS "files dns"

struct conf_nsswitch {
	struct conf_nss_source *src;
	size_t nsrc;                /* 0: every lookup is NOTFOUND */
	enum conf_nss_origin origin;
	unsigned line;              /* hosts line, or the line in error */
	char *text;                 /* the sources as written (for conf) */
};

/* text may be NULL (file missing).  NULL only on ENOMEM. */
struct conf_nsswitch *conf_nsswitch_parse(const char *text, size_t len,
					  bool present, const char *file);
void conf_nsswitch_free(struct conf_nsswitch *n);

const char *conf_nss_status_name(enum conf_nss_status s);
const char *conf_nss_action_name(enum conf_nss_action a);
/* "[NOTFOUND=return]"-style criteria that differ from the defaults
 * (SUCCESS=return, others continue), or "" -- for display. */
void conf_nss_criteria(const struct conf_nss_source *s, char *buf,
		       size_t len);

#endif
