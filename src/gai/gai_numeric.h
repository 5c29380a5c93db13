/* Numeric host literals exactly as glibc's getaddrinfo accepts them. */
#ifndef RFCRES_GAI_NUMERIC_H
#define RFCRES_GAI_NUMERIC_H

#include <stdbool.h>
#include <stdint.h>

/* inet_aton forms without trailing garbage (glibc __inet_aton_exact):
 * a, a.b, a.b.c, a.b.c.d; each part decimal, 0octal or 0xhex. */
bool gai_inet_aton_exact(const char *s, unsigned char out[4]);

/* IPv6 literal with an optional %scope (interface name for link-local and
 * multicast link/node-local addresses, else a decimal number), as glibc's
 * __inet6_scopeid_pton.  Returns 1 parsed, 0 not an IPv6 literal,
 * -1 IPv6 literal with an invalid scope (glibc: EAI_NONAME). */
int gai_inet6_parse(const char *s, unsigned char out[16], uint32_t *scope_id);

#endif
