#include "gai/gai_service.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/conf.h"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif

/* glibc's gaih_inet_typeproto table, in its order: entries with
 * defaultflag are what an unspecified socktype/protocol expands to
 * (STREAM/tcp, DGRAM/udp, RAW); "protoany" entries take the caller's
 * protocol; "noservice" entries refuse a service. */
static const struct typeproto {
	int socktype;
	int protocol;
	bool defaultflag, protoany, noservice;
	const char *name;
} typeproto[] = {
	{SOCK_STREAM, IPPROTO_TCP, true, false, false, "tcp"},
	{SOCK_DGRAM, IPPROTO_UDP, true, false, false, "udp"},
	{SOCK_DCCP, IPPROTO_DCCP, false, false, false, "dccp"},
	{SOCK_DGRAM, IPPROTO_UDPLITE, false, false, false, "udplite"},
	{SOCK_STREAM, IPPROTO_SCTP, false, false, false, "sctp"},
	{SOCK_SEQPACKET, IPPROTO_SCTP, false, false, false, "sctp"},
	{SOCK_RAW, 0, true, true, true, "raw"},
};
#define NTYPEPROTO (sizeof typeproto / sizeof typeproto[0])

static bool tp_matches(const struct typeproto *tp, int socktype, int protocol)
{
	if (socktype != 0 && socktype != tp->socktype)
		return false;
	if (protocol != 0 && !tp->protoany && protocol != tp->protocol)
		return false;
	return true;
}

static void put(struct gai_serv *out, size_t *n, const struct typeproto *tp,
		int protocol, int port)
{
	out[*n].socktype = tp->socktype;
	out[*n].protocol = tp->protoany ? protocol : tp->protocol;
	out[*n].port = port;
	(*n)++;
}

int gai_services(const struct conf_services *svc, const char *service,
		 long numeric, int socktype, int protocol,
		 struct gai_serv *out, size_t *n)
{
	*n = 0;
	const struct typeproto *tp = NULL;
	if (socktype || protocol) {
		for (size_t i = 0; i < NTYPEPROTO && !tp; i++)
			if (tp_matches(&typeproto[i], socktype, protocol))
				tp = &typeproto[i];
		if (!tp)
			return socktype ? EAI_SOCKTYPE : EAI_SERVICE;
	}

	if (service && numeric < 0) {
		if (tp) {
			if (tp->noservice)
				return EAI_SERVICE;
			int port = conf_service_port(svc, service, tp->name);
			if (port < 0)
				return EAI_SERVICE;
			put(out, n, tp, protocol, port);
			return 0;
		}
		/* No socktype/protocol: every protocol that has this service
		 * (glibc walks the whole table, not only the defaults). */
		for (size_t i = 0; i < NTYPEPROTO; i++) {
			const struct typeproto *t = &typeproto[i];
			if (t->noservice)
				continue;
			int port = conf_service_port(svc, service, t->name);
			if (port >= 0)
				put(out, n, t, protocol, port);
		}
		return *n ? 0 : EAI_SERVICE;
	}
	if (service && tp && tp->noservice)
		return EAI_SERVICE;

	/* numeric port, or no service at all (port 0) */
	int port = service ? (int)((unsigned long)numeric & 0xffff) : 0;
	if (tp) {
		put(out, n, tp, protocol, port);
		return 0;
	}
	for (size_t i = 0; i < NTYPEPROTO; i++)
		if (typeproto[i].defaultflag)
			put(out, n, &typeproto[i], protocol, port);
	return 0;
}
