/* Service names and socket-type/protocol expansion, as glibc's gaih_inet. */
#ifndef RFCRES_GAI_SERVICE_H
#define RFCRES_GAI_SERVICE_H

#include <netdb.h>
#include <stddef.h>

struct conf_services;

struct gai_serv {
	int socktype;
	int protocol;
	int port; /* host order */
};

#define GAI_MAX_SERV 8

/* service: NULL for none; numeric is >= 0 when the service string was a
 * number (glibc: strtoul, truncated to 16 bits), -1 when it is a name.
 * Fills out[] (at most GAI_MAX_SERV) in glibc's order.  Returns 0 or an
 * EAI_* code (EAI_SOCKTYPE, EAI_SERVICE). */
int gai_services(const struct conf_services *svc, const char *service,
		 long numeric, int socktype, int protocol,
		 struct gai_serv *out, size_t *n);

#endif
