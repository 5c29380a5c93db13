/* rfcres ahosts: getaddrinfo through librfcres, printed like
 * `getent ahosts` (address, socket type, and the canonical name on the
 * first line). */
#include <arpa/inet.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rfcres.h"

static const char *socktype_name(int t)
{
	switch (t) {
	case SOCK_STREAM: return "STREAM";
	case SOCK_DGRAM: return "DGRAM";
	case SOCK_RAW: return "RAW";
	case SOCK_SEQPACKET: return "SEQPACKET";
	default: return "UNKNOWN";
	}
}

static int ahosts_usage(FILE *f)
{
	fprintf(f, "usage: rfcres ahosts [-4|-6] [--addrconfig] [--canonname] "
		   "NAME [SERVICE]\n");
	return f == stderr ? 2 : 0;
}

int cli_ahosts(int argc, char **argv)
{
	static const struct option opts[] = {
		{"addrconfig", no_argument, NULL, 'a'},
		{"canonname", no_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct addrinfo hints = {.ai_family = AF_UNSPEC};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "46h", opts, NULL)) != -1) {
		switch (c) {
		case '4': hints.ai_family = AF_INET; break;
		case '6': hints.ai_family = AF_INET6; break;
		case 'a': hints.ai_flags |= AI_ADDRCONFIG; break;
		case 'c': hints.ai_flags |= AI_CANONNAME; break;
		case 'h': return ahosts_usage(stdout);
		default: return ahosts_usage(stderr);
		}
	}
	if (optind >= argc || argc - optind > 2)
		return ahosts_usage(stderr);
	const char *name = argv[optind];
	const char *service = optind + 1 < argc ? argv[optind + 1] : NULL;
	/* getent ahosts lists every socket type unless told otherwise */
	struct addrinfo *res;
	int rc = rfcres_getaddrinfo(name, service, &hints, &res);
	if (rc) {
		fprintf(stderr, "rfcres: %s: %s\n", name,
			rfcres_gai_strerror(rc));
		return 2 + (rc != EAI_NONAME); /* getent: 2 = not found */
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		char a[INET6_ADDRSTRLEN];
		const void *p = ai->ai_family == AF_INET6
					? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
					: (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		inet_ntop(ai->ai_family, p, a, sizeof a);
		printf("%-15s %-6s %s\n", a, socktype_name(ai->ai_socktype),
		       ai == res && ai->ai_canonname ? ai->ai_canonname : "");
	}
	rfcres_freeaddrinfo(res);
	return 0;
}
