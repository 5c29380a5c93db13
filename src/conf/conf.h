/*
 * Configuration snapshot: resolv.conf, gai.conf, hosts and nsswitch.conf (hosts line) parsed into one
 * immutable, reference-counted object (DESIGN "Config snapshot"); the
 * services file beside it, checked only when a service name is looked up.
 *
 * A lookup calls conf_acquire(), which stats every file the watcher
 * (conf_watch.h) cannot vouch for and compares the full identity (dev,
 * ino, size, mtime ns, ctime ns); a difference in any
 * file builds a new snapshot (re-parsing only the files that changed) for
 * this lookup and the next ones, while lookups in flight keep the old one.
 * Nothing a lookup learns can block a reload (seed 001, glibc BZ 31476).
 */
#ifndef RFCRES_CONF_H
#define RFCRES_CONF_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define CONF_MAXNS 3 /* glibc MAXNS: further nameserver lines are ignored */

/* resolv.conf "options" flags */
enum {
	CONF_OPT_ROTATE = 1u << 0,
	CONF_OPT_SINGLE_REQUEST = 1u << 1,
	CONF_OPT_SINGLE_REQUEST_REOPEN = 1u << 2,
	CONF_OPT_EDNS0 = 1u << 3,
	CONF_OPT_USE_VC = 1u << 4,
	CONF_OPT_NO_TLD_QUERY = 1u << 5,
	CONF_OPT_NO_AAAA = 1u << 6,
	CONF_OPT_TRUST_AD = 1u << 7,
};

struct conf_server {
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} addr; /* port already filled (53 unless "ip:port" given) */
	socklen_t addrlen;
};

struct conf_resolv {
	struct conf_server ns[CONF_MAXNS];
	unsigned nns;            /* >= 1 always (defaults when none given) */
	unsigned nns_ignored;    /* nameserver lines beyond CONF_MAXNS */
	char **search;           /* search list, in order; NULL-terminated */
	unsigned nsearch;
	unsigned ndots;          /* default 1, max 15 */
	unsigned timeout;        /* seconds, default 5, max 30 */
	unsigned attempts;       /* default 2, max 5 */
	unsigned opts;           /* CONF_OPT_* */
	bool file_present;       /* false: file missing, defaults used */
	bool ns_default;         /* no usable nameserver line: 127.0.0.1, ::1 */
};

/* One row of a policy table (RFC 6724 section 2.1 / gai.conf).  IPv4 is
 * represented as IPv4-mapped IPv6 (::ffff:0:0/96), as RFC 6724 does. */
struct conf_policy_row {
	struct in6_addr prefix;
	unsigned plen;
	int value; /* label, precedence or scope */
};

enum conf_rule9 {
	CONF_RULE9_ALL = 0, /* RFC 6724: both families (default) */
	CONF_RULE9_IPV6,    /* Go's choice: IPv6 only */
	CONF_RULE9_NONE,    /* plain DNS round robin after rules 1-8 */
};

struct conf_policy {
	/* rows sorted by plen descending: the first match is the longest */
	struct conf_policy_row *label;
	size_t nlabel;
	struct conf_policy_row *precedence;
	size_t nprecedence;
	struct conf_policy_row *scopev4; /* may be empty */
	size_t nscopev4;
	bool label_from_file;      /* a gai.conf "label" line replaced the table */
	bool precedence_from_file;
	bool file_present;
	enum conf_rule9 rule9;
};

/* Longest-prefix lookups (IPv4 passed as mapped).  scopev4 returns -1 when
 * no scopev4 row matches (the caller then applies RFC 6724 section 3.2). */
int conf_policy_label(const struct conf_policy *p, const struct in6_addr *a);
int conf_policy_precedence(const struct conf_policy *p, const struct in6_addr *a);
int conf_policy_scopev4(const struct conf_policy *p, const struct in6_addr *a);
const struct conf_policy *conf_policy_default(void);

struct conf_hosts_entry {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* 4 or 16 bytes used */
	uint32_t scope_id;      /* fe80::1%eth0 in hosts */
	char **names;           /* names[0] canonical, then aliases; NULL-terminated */
	unsigned nnames;
};

struct conf_hosts;   /* opaque: entries plus a name index */
struct conf_nsswitch; /* conf_nsswitch.h: the hosts line */
struct conf_services; /* opaque */

/* Entries whose canonical name or alias equals name (ASCII case-insensitive),
 * in file order, family filter AF_UNSPEC/AF_INET/AF_INET6.  Fills out[] up to
 * max and returns the total number of matches. */
size_t conf_hosts_by_name(const struct conf_hosts *h, const char *name,
			  int family, const struct conf_hosts_entry **out,
			  size_t max);
/* First entry with this address (for getnameinfo), or NULL. */
const struct conf_hosts_entry *conf_hosts_by_addr(const struct conf_hosts *h,
						  int family, const void *addr);

/* Port (host order) of a named service for protocol "tcp", "udp", "sctp",
 * "dccp" ...; -1 when unknown. */
int conf_service_port(const struct conf_services *s, const char *name,
		      const char *proto);
/* Name of the service on port for proto, or NULL. */
const char *conf_service_name(const struct conf_services *s, int port,
			      const char *proto);

struct conf_file_id {
	bool present;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
};

/* Per-server state learned by lookups.  Lives in the snapshot, so a new
 * snapshot (any file change, or res_init) starts clean. */
enum {
	CONF_LEARN_SINGLE_REQUEST = 1u << 0, /* server drops parallel A+AAAA */
	CONF_LEARN_NO_EDNS = 1u << 1,        /* server answered FORMERR to EDNS */
};

struct conf_snapshot {
	atomic_uint refs;
	uint64_t generation; /* increases with every new snapshot */
	const struct conf_resolv *resolv;
	const struct conf_policy *policy;
	const struct conf_hosts *hosts;
	const struct conf_nsswitch *nsswitch; /* NULL: built-in default */
	struct conf_file_id id_resolv, id_gai, id_hosts, id_nsswitch;
	atomic_uint learned[CONF_MAXNS]; /* CONF_LEARN_* per resolv->ns[i] */
	atomic_uint rotate_next;         /* options rotate: next first server */
	void *priv; /* owned by conf_snapshot.c */
	/* Called by conf_release() when the last reference goes; NULL for
	 * snapshots that tests build on the stack. */
	void (*destroy)(struct conf_snapshot *s);
};

/* Takes another reference (a lookup in flight keeps its snapshot). */
struct conf_snapshot *conf_ref(struct conf_snapshot *s);

/* The current snapshot, reloading what changed.  Never NULL: on allocation
 * failure the previous snapshot is returned (and a trace event emitted). */
struct conf_snapshot *conf_acquire(void);
void conf_release(struct conf_snapshot *s);
/* res_init(): the next conf_acquire() and conf_services_acquire() re-read
 * every file. */
void conf_invalidate(void);

/* The services file is not part of the snapshot: most lookups have no
 * service or a numeric one (glibc's gaih_inet_serv never opens the services
 * database for those either), so conf_acquire() does not stat it.  A lookup
 * that must resolve a service NAME (or a port to a name) takes it here,
 * with the same stat-identity check and the same sharing of an unchanged
 * parse.  services is NULL only when the very first load ran out of
 * memory (every name is then unknown: EAI_SERVICE). */
struct conf_services_ref {
	const struct conf_services *services;
	struct conf_file_id id;
	void *priv; /* owned by conf_snapshot.c */
};
void conf_services_acquire(struct conf_services_ref *ref);
void conf_services_release(struct conf_services_ref *ref);

/* Environment / path overrides (secure_getenv through rfcres_sys) */
#define CONF_ENV_RESOLV "RFCRES_RESOLV_CONF"
#define CONF_ENV_GAI "RFCRES_GAI_CONF"
#define CONF_ENV_HOSTS "RFCRES_HOSTS"
#define CONF_ENV_SERVICES "RFCRES_SERVICES"
#define CONF_ENV_NSSWITCH "RFCRES_NSSWITCH_CONF"

#endif
