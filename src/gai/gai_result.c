#include "gai/gai_result.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "rfcres.h"

static struct addrinfo *node_new(const struct gai_addr *a,
				 const struct gai_serv *s, int flags)
{
	size_t salen = a->family == AF_INET6 ? sizeof(struct sockaddr_in6)
					     : sizeof(struct sockaddr_in);
	struct addrinfo *ai = calloc(1, sizeof *ai + salen);
	if (!ai)
		return NULL;
	ai->ai_flags = flags;
	ai->ai_family = a->family;
	ai->ai_socktype = s->socktype;
	ai->ai_protocol = s->protocol;
	ai->ai_addrlen = (socklen_t)salen;
	ai->ai_addr = (struct sockaddr *)(ai + 1);
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ai->ai_addr;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)s->port);
		memcpy(&s6->sin6_addr, a->addr, 16);
		s6->sin6_scope_id = a->scope_id;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ai->ai_addr;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)s->port);
		memcpy(&s4->sin_addr, a->addr, 4);
	}
	return ai;
}

int gai_result_build(const struct gai_addr *addrs, size_t naddrs,
		     const struct gai_serv *servs, size_t nservs,
		     const char *canon, int flags, struct addrinfo **res)
{
	struct addrinfo *head = NULL, **tail = &head;
	for (size_t i = 0; i < naddrs; i++) {
		for (size_t j = 0; j < nservs; j++) {
			struct addrinfo *ai = node_new(&addrs[i], &servs[j], flags);
			if (!ai)
				goto oom;
			*tail = ai;
			tail = &ai->ai_next;
		}
	}
	if (head && canon) {
		head->ai_canonname = strdup(canon);
		if (!head->ai_canonname)
			goto oom;
	}
	*res = head;
	return 0;
oom:
	rfcres_freeaddrinfo(head);
	return EAI_MEMORY;
}

RFCRES_API void rfcres_freeaddrinfo(struct addrinfo *ai)
{
	while (ai) {
		struct addrinfo *next = ai->ai_next;
		free(ai->ai_canonname);
		free(ai);
		ai = next;
	}
}
