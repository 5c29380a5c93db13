/* addrinfo chains with glibc's memory layout: each node one allocation
 * with its sockaddr inline right after it, ai_canonname a separate string
 * on the first node only, so libc's freeaddrinfo could free them too. */
#ifndef RFCRES_GAI_RESULT_H
#define RFCRES_GAI_RESULT_H

#include <netdb.h>
#include <stddef.h>
#include <stdint.h>

#include "gai/gai_service.h"

struct gai_addr {
	int family;             /* AF_INET / AF_INET6 */
	unsigned char addr[16];
	uint32_t scope_id;
};

/* Builds addresses × services in order.  canon (may be NULL) is copied to
 * the first node.  Every node's ai_flags is flags, the request's flags
 * (glibc copies them into each result; the default hints' without hints).
 * Returns 0 or EAI_MEMORY (nothing allocated then). */
int gai_result_build(const struct gai_addr *addrs, size_t naddrs,
		     const struct gai_serv *servs, size_t nservs,
		     const char *canon, int flags, struct addrinfo **res);

#endif
