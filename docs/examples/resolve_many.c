/*
 * resolve_many — resolve many names concurrently on one libevent loop and
 * print each answer as it arrives.
 *
 *   resolve_many [-4|-6] [-t SECONDS] name...      (or names on stdin)
 *
 * Build: cc resolve_many.c $(pkg-config --cflags --libs rfcres-event)
 *
 * Each lookup is exactly what rfcres_getaddrinfo would do (same sources,
 * AI_ADDRCONFIG, RFC 6724 order, errors); they just all run at once.  The
 * optional -t bounds the whole run: lookups still running are cancelled.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "rfcres-event.h"

struct lookup {
	char *name;
	struct rfcres_event_req *h;     /* NULL once answered */
	int *pending;
	struct event_base *base;
};

static void print_result(const char *name, int err, const struct addrinfo *res)
{
	if (err) {
		printf("%s: error: %s\n", name, rfcres_gai_strerror(err));
		return;
	}
	printf("%s:", name);
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		char host[NI_MAXHOST];
		if (rfcres_getnameinfo(ai->ai_addr, ai->ai_addrlen, host,
				       sizeof host, NULL, 0, NI_NUMERICHOST))
			snprintf(host, sizeof host, "?");
		printf(" %s", host);
	}
	printf("\n");
}

static void done(int err, struct addrinfo *res, void *arg)
{
	struct lookup *l = arg;
	print_result(l->name, err, res);
	fflush(stdout);
	rfcres_freeaddrinfo(res);
	l->h = NULL;
	if (--*l->pending == 0)
		event_base_loopexit(l->base, NULL);
}

static int read_names(int argc, char **argv, int first, char ***out)
{
	int n = 0, cap = 16;
	char **v = malloc((size_t)cap * sizeof *v);
	if (!v)
		return -1;
	if (first < argc) {
		for (int i = first; i < argc; i++, n++) {
			if (n == cap) {
				cap *= 2;
				char **nv = realloc(v, (size_t)cap * sizeof *v);
				if (!nv)
					return -1;
				v = nv;
			}
			v[n] = strdup(argv[i]);
		}
	} else {
		char line[1024];
		while (fgets(line, sizeof line, stdin)) {
			line[strcspn(line, " \t\r\n")] = '\0';
			if (!line[0] || line[0] == '#')
				continue;
			if (n == cap) {
				cap *= 2;
				char **nv = realloc(v, (size_t)cap * sizeof *v);
				if (!nv)
					return -1;
				v = nv;
			}
			v[n++] = strdup(line);
		}
	}
	*out = v;
	return n;
}

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_ADDRCONFIG };
	int opt, limit = 0;
	while ((opt = getopt(argc, argv, "46t:")) != -1) {
		switch (opt) {
		case '4': hints.ai_family = AF_INET; break;
		case '6': hints.ai_family = AF_INET6; break;
		case 't': limit = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-4|-6] [-t SECONDS] name...\n",
				argv[0]);
			return 2;
		}
	}
	char **names;
	int n = read_names(argc, argv, optind, &names);
	if (n < 0) {
		perror("resolve_many");
		return 1;
	}
	struct event_base *base = event_base_new();
	struct lookup *ls = calloc((size_t)n + 1, sizeof *ls);
	if (!base || !ls) {
		perror("resolve_many");
		return 1;
	}
	int pending = 0;
	for (int i = 0; i < n; i++) {
		ls[i] = (struct lookup){ .name = names[i], .pending = &pending,
					 .base = base };
		pending++;
		ls[i].h = rfcres_event_getaddrinfo(base, names[i], NULL, &hints,
						   done, &ls[i]);
		if (!ls[i].h) {
			pending--;
			printf("%s: error: cannot start\n", names[i]);
		}
	}
	if (pending > 0) {
		struct timeval tv = { .tv_sec = limit };
		if (limit > 0)
			event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		if (ls[i].h) {  /* -t expired */
			rfcres_event_cancel(ls[i].h);
			printf("%s: cancelled\n", names[i]);
			rc = 1;
		}
		free(names[i]);
	}
	free(names);
	free(ls);
	event_base_free(base);
	return rc;
}
