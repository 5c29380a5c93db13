/*
 * Smallest useful resolver program, for the static binary size comparison:
 * resolve argv[1] and print the first address.
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	struct addrinfo hints, *res;
	char host[NI_MAXHOST];
	int rc;

	if (argc < 2)
		return 2;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(argv[1], NULL, &hints, &res);
	if (rc) {
		fprintf(stderr, "%s\n", gai_strerror(rc));
		return 1;
	}
	rc = getnameinfo(res->ai_addr, res->ai_addrlen, host, sizeof(host),
			 NULL, 0, NI_NUMERICHOST);
	if (rc == 0)
		puts(host);
	freeaddrinfo(res);
	return rc ? 1 : 0;
}
