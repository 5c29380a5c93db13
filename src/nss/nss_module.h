/*
 * The host's NSS modules (libnss_NAME.so.2) for the hosts database: loaded
 * on first use by soname from the system library path, kept for the life
 * of the process in one table (never dlclose'd: see nss_module.c), with
 * the entry points glibc's getaddrinfo, gethostbyname* and gethostbyaddr*
 * call.  The prototypes are declared here from the ABI glibc documents
 * (nss/nss.h, include/nss.h of glibc 2.36), not from glibc's headers.
 */
#ifndef RFCRES_NSS_MODULE_H
#define RFCRES_NSS_MODULE_H

#include <netdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* enum nss_status (glibc nss.h): the values modules return. */
enum nss_abi_status {
	NSS_ABI_TRYAGAIN = -2,
	NSS_ABI_UNAVAIL = -1,
	NSS_ABI_NOTFOUND = 0,
	NSS_ABI_SUCCESS = 1,
	NSS_ABI_RETURN = 2,
};

/* h_errno values (netdb.h); NETDB_INTERNAL is a glibc extension that
 * musl's netdb.h lacks. */
#define NSS_NETDB_INTERNAL (-1)
#define NSS_HOST_NOT_FOUND 1
#define NSS_TRY_AGAIN 2
#define NSS_NO_RECOVERY 3
#define NSS_NO_DATA 4

/* struct gaih_addrtuple (glibc nss.h), filled by gethostbyname4_r inside
 * the caller's buffer. */
struct nss_abi_addrtuple {
	struct nss_abi_addrtuple *next;
	char *name;
	int family;
	uint32_t addr[4];
	uint32_t scopeid;
};

typedef int nss_gethostbyname4_fn(const char *name,
				  struct nss_abi_addrtuple **pat, char *buf,
				  size_t buflen, int *errnop, int *h_errnop,
				  int32_t *ttlp);
typedef int nss_gethostbyname3_fn(const char *name, int af,
				  struct hostent *host, char *buf,
				  size_t buflen, int *errnop, int *h_errnop,
				  int32_t *ttlp, char **canonp);
typedef int nss_gethostbyname2_fn(const char *name, int af,
				  struct hostent *host, char *buf,
				  size_t buflen, int *errnop, int *h_errnop);
typedef int nss_gethostbyaddr2_fn(const void *addr, socklen_t len, int af,
				  struct hostent *host, char *buf,
				  size_t buflen, int *errnop, int *h_errnop,
				  int32_t *ttlp);
typedef int nss_gethostbyaddr_fn(const void *addr, socklen_t len, int af,
				 struct hostent *host, char *buf,
				 size_t buflen, int *errnop, int *h_errnop);

/* Longest module name accepted (glibc has none; a soname this long is not
 * a real module). */
#define NSS_MODULE_MAXNAME 64
/* Distinct modules one process loads at most (a real hosts line names a
 * handful); further names are UNAVAIL, traced. */
#define NSS_MODULE_MAX 32

struct nss_module {
	char name[NSS_MODULE_MAXNAME + 1];
	bool loaded;        /* false: every call is UNAVAIL (why says why) */
	const char *why;    /* "dlopen_failed" (not installed, or a static binary), "bad_name", "no_functions",
			     * "table_full", "reentered" */
	nss_gethostbyname4_fn *byname4;
	nss_gethostbyname3_fn *byname3;
	nss_gethostbyname2_fn *byname2;
	nss_gethostbyaddr2_fn *byaddr2;
	nss_gethostbyaddr_fn *byaddr;
};

/* The module called name, loading it the first time (the result, loaded
 * or not, is kept for the process, as glibc keeps a failed module failed).
 * Never NULL.  The returned object is never freed or changed. */
const struct nss_module *nss_module_get(const char *name);

/* True for a name that may become "libnss_<name>.so.2": 1..64 bytes, no
 * '/' (the soname must stay a soname, searched only on the system library
 * path), not "." or "..". */
bool nss_module_name_ok(const char *name);

/* Set while a module runs on this thread: a module that calls back into
 * the resolver (through an interposed gethostbyname, say) gets only the
 * native sources instead of recursing into modules. */
bool nss_module_in_call(void);
void nss_module_call_enter(void);
void nss_module_call_leave(void);

/* Tests: forget every module (they are never unloaded: only the table
 * entries go). */
void nss_module_reset_for_tests(void);

#endif
