/*
 * The BSD 4.3 resolver entry points (gethostbyname, gethostbyname2,
 * gethostbyaddr and their _r variants) on top of the getaddrinfo core.
 * The decisions are pure functions here so unit tests can reach them;
 * src/gai/exports.c maps the libc names onto the rfcres_* functions.
 */
#ifndef RFCRES_GAI_LEGACY_H
#define RFCRES_GAI_LEGACY_H

#include <netdb.h>
#include <stddef.h>
#include <sys/socket.h>

/* glibc defines these two, musl does not (same values as glibc). */
#ifndef NETDB_INTERNAL
#define NETDB_INTERNAL (-1)
#endif
#ifndef NETDB_SUCCESS
#define NETDB_SUCCESS 0
#endif

/* One answer before it is laid out into a caller's buffer. */
struct legacy_host {
	const char *name;
	const char *const *aliases;
	size_t naliases;
	int family;                  /* AF_INET or AF_INET6 */
	size_t addrlen;              /* 4 or 16 */
	const unsigned char *addrs;  /* naddrs * addrlen bytes */
	size_t naddrs;
};

/* glibc's digits-and-dots rule (nss/digits_dots.c) for family af:
 *   1  name is a literal of af; the address is in out
 *  -1  name looks numeric but is not a valid literal of af: HOST_NOT_FOUND
 *      without any lookup
 *   0  not numeric: look it up */
int legacy_classify(const char *name, int af, unsigned char out[16]);

/* Bytes legacy_layout needs for h in a buffer starting at buf (alignment
 * padding included); 0 on arithmetic overflow. */
size_t legacy_size(const struct legacy_host *h, const char *buf);

/* Lays h out inside buf (pointer arrays aligned, everything the hostent
 * points to inside buf).  0, or ERANGE when buflen is too small (nothing
 * then points into buf). */
int legacy_layout(const struct legacy_host *h, struct hostent *he, char *buf,
		  size_t buflen);

/* h_errno for a getaddrinfo/getnameinfo error code (0 = NETDB_SUCCESS). */
int legacy_herrno_of_eai(int eai);

/* The return value of the _r functions for an outcome, as glibc's
 * nss/getXXbyYY_r.c computes it: 0 for found / not found, EAGAIN for
 * TRY_AGAIN, err (an errno value) for NETDB_INTERNAL. */
int legacy_r_return(int herr, int err);

#endif
