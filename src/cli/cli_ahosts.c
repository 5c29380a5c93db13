/*
 * rfcres ahosts: getaddrinfo through librfcres, printed like
 * `getent ahosts`; --explain renders every decision, --json gives results
 * and trace to machines.  See rfcres(1).
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/cli_trace.h"
#include "rfcres.h"

static const struct {
	const char *name;
	int value;
} socktypes[] = {
	{"STREAM", SOCK_STREAM}, {"DGRAM", SOCK_DGRAM}, {"RAW", SOCK_RAW},
	{"SEQPACKET", SOCK_SEQPACKET}, {"DCCP", SOCK_DCCP},
};

static const struct {
	const char *name;
	int value;
} aiflags[] = {
	{"AI_PASSIVE", AI_PASSIVE}, {"AI_CANONNAME", AI_CANONNAME},
	{"AI_NUMERICHOST", AI_NUMERICHOST}, {"AI_V4MAPPED", AI_V4MAPPED},
	{"AI_ALL", AI_ALL}, {"AI_ADDRCONFIG", AI_ADDRCONFIG},
	{"AI_NUMERICSERV", AI_NUMERICSERV},
};

#define N(a) (sizeof a / sizeof a[0])

static const char *socktype_name(int t)
{
	for (size_t i = 0; i < N(socktypes); i++)
		if (socktypes[i].value == t)
			return socktypes[i].name;
	return "UNKNOWN";
}

static int parse_socktype(const char *s, int *out)
{
	for (size_t i = 0; i < N(socktypes); i++)
		if (strcasecmp(s, socktypes[i].name) == 0) {
			*out = socktypes[i].value;
			return 0;
		}
	char *end;
	long v = strtol(s, &end, 0);
	if (*s && !*end && v >= 0 && v < 1000) {
		*out = (int)v;
		return 0;
	}
	return -1;
}

/* --flags AI_PASSIVE,AI_V4MAPPED (with or without the AI_ prefix) or a
 * number */
static int parse_flags(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 0);
	if (*s && !*end) {
		*out |= (int)v;
		return 0;
	}
	char buf[256];
	snprintf(buf, sizeof buf, "%s", s);
	char *save = NULL;
	for (char *tok = strtok_r(buf, ",|", &save); tok;
	     tok = strtok_r(NULL, ",|", &save)) {
		size_t i;
		for (i = 0; i < N(aiflags); i++)
			if (strcasecmp(tok, aiflags[i].name) == 0 ||
			    strcasecmp(tok, aiflags[i].name + 3) == 0)
				break;
		if (i == N(aiflags))
			return -1;
		*out |= aiflags[i].value;
	}
	return 0;
}

static int ahosts_usage(FILE *f)
{
	fprintf(f,
		"usage: rfcres ahosts [options] NAME [SERVICE]\n"
		"  -4, -6              only IPv4 / IPv6 (ai_family)\n"
		"  --addrconfig        AI_ADDRCONFIG\n"
		"  --canonname         AI_CANONNAME\n"
		"  --socktype TYPE     STREAM, DGRAM, RAW, SEQPACKET or a number\n"
		"  --flags LIST        AI_* names separated by commas, or a number\n"
		"  --explain           show every decision, then the sorted table\n"
		"  --json              results and trace as one JSON object\n"
		"  --resolv-conf FILE  --gai-conf FILE  --hosts FILE\n"
		"  --nsswitch-conf FILE                overrides\n");
	return f == stderr ? 2 : 0;
}

static void addr_of(const struct addrinfo *ai, char *buf, size_t len,
		    unsigned *port, unsigned *scope)
{
	*scope = 0;
	if (ai->ai_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)ai->ai_addr;
		inet_ntop(AF_INET6, &s->sin6_addr, buf, (socklen_t)len);
		*port = ntohs(s->sin6_port);
		*scope = s->sin6_scope_id;
	} else {
		const struct sockaddr_in *s = (const void *)ai->ai_addr;
		inet_ntop(AF_INET, &s->sin_addr, buf, (socklen_t)len);
		*port = ntohs(s->sin_port);
	}
}

static void print_json(const char *name, const char *service,
		       const struct addrinfo *hints, int rc,
		       const struct addrinfo *res, const struct cli_trace *t)
{
	printf("{\n  \"version\": 1,\n  \"library\": ");
	cli_json_string(stdout, rfcres_version());
	printf(",\n  \"query\": {\"name\": ");
	cli_json_string(stdout, name);
	printf(", \"service\": ");
	if (service)
		cli_json_string(stdout, service);
	else
		printf("null");
	printf(", \"family\": %d, \"socktype\": %d, \"protocol\": %d, "
	       "\"flags\": %d},\n",
	       hints->ai_family, hints->ai_socktype, hints->ai_protocol,
	       hints->ai_flags);
	printf("  \"status\": {\"code\": %d, \"message\": ", rc);
	cli_json_string(stdout, rc ? rfcres_gai_strerror(rc) : "ok");
	printf("},\n  \"results\": [");
	int i = 0;
	for (const struct addrinfo *ai = rc ? NULL : res; ai; ai = ai->ai_next) {
		char a[INET6_ADDRSTRLEN];
		unsigned port, scope;
		addr_of(ai, a, sizeof a, &port, &scope);
		printf("%s\n    {\"family\": \"%s\", \"socktype\": \"%s\", "
		       "\"protocol\": %d, \"address\": \"%s\", \"port\": %u, "
		       "\"scope_id\": %u, \"canonname\": ",
		       i++ ? "," : "", ai->ai_family == AF_INET6 ? "inet6" : "inet",
		       socktype_name(ai->ai_socktype), ai->ai_protocol, a, port,
		       scope);
		if (ai->ai_canonname)
			cli_json_string(stdout, ai->ai_canonname);
		else
			printf("null");
		printf("}");
	}
	printf("%s],\n  \"trace\": ", i ? "\n  " : "");
	cli_trace_json(t, stdout);
	printf("\n}\n");
}

/* The nsswitch.conf hosts line as the lookup walked it (nss.source
 * events): each source consulted, its status and the action taken, and
 * why the walk ended where it did. */
static void print_hosts_line(const struct cli_trace *t)
{
	const char *line = NULL, *last_name = NULL, *last_next = NULL;
	const char *last_status = NULL, *last_action = NULL;
	for (size_t i = 0; i < t->n; i++) {
		const struct cli_event *e = &t->v[i];
		if (strcmp(e->name, "nss.line") == 0 && !line) {
			line = cli_event_get(e, "line");
			printf("hosts line (nsswitch.conf, %s): %s\n",
			       cli_event_get(e, "origin") ? cli_event_get(e, "origin") : "?",
			       line ? line : "?");
		}
		if (strcmp(e->name, "nss.source") != 0)
			continue;
		const char *name = cli_event_get(e, "name");
		const char *st = cli_event_get(e, "status");
		const char *act = cli_event_get(e, "action");
		const char *found = cli_event_get(e, "found");
		const char *skipped = cli_event_get(e, "skipped");
		const char *why = cli_event_get(e, "reason");
		char row[256];
		int w = snprintf(row, sizeof row, "  %-16s %-8s -> %-8s %s%s%s%s",
				 name ? name : "?", st ? st : "?",
				 act ? act : "?",
				 skipped ? "skipped (no function)"
				 : found && strcmp(found, "0") != 0 ? "found "
								     : "",
				 skipped ? ""
				 : found && strcmp(found, "0") != 0 ? found
								     : "",
				 why ? ", " : "", why ? why : "");
		size_t n = w < 0 ? 0 : (size_t)w < sizeof row ? (size_t)w
							       : sizeof row - 1;
		while (n && row[n - 1] == ' ')
			n--;
		printf("%.*s\n", (int)n, row);
		last_name = name;
		last_status = st;
		last_action = act;
		last_next = cli_event_get(e, "next");
	}
	if (!line)
		return;
	if (!last_name)
		printf("  (no source consulted)\n");
	else if (last_next && strcmp(last_next, "(stop)") == 0)
		printf("  stopped at %s: %s with action %s\n", last_name,
		       last_status ? last_status : "?",
		       last_action ? last_action : "?");
	else if (last_next && strcmp(last_next, "(end)") == 0)
		printf("  end of the line after %s\n", last_name);
	printf("\n");
}

/* The sorted table: each distinct address with the rule that put it
 * ahead of the next one (from the sort.pair events). */
static void print_explained_table(const struct addrinfo *res,
				  const struct cli_trace *t)
{
	printf("\nresult (RFC 6724 order):\n");
	int pos = 0;
	char prev[INET6_ADDRSTRLEN + 16] = "";
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		char a[INET6_ADDRSTRLEN + 16];
		unsigned port, scope;
		addr_of(ai, a, sizeof a, &port, &scope);
		if (scope) {
			size_t n = strlen(a);
			snprintf(a + n, sizeof a - n, "%%%u", scope);
		}
		if (strcmp(a, prev) == 0)
			continue;
		snprintf(prev, sizeof prev, "%s", a);
		pos++;
		const char *reason = pos == 1 ? "first" : "";
		char buf[160] = "";
		for (size_t i = 0; i < t->n; i++) {
			const struct cli_event *e = &t->v[i];
			if (strcmp(e->name, "sort.pair") != 0)
				continue;
			const char *b = cli_event_get(e, "b");
			const char *rule = cli_event_get(e, "rule");
			if (b && rule && strcmp(b, a) == 0) {
				snprintf(buf, sizeof buf, "after %s: %s",
					 cli_event_get(e, "a"),
					 cli_rule_text((unsigned)atoi(rule)));
				reason = buf;
			}
		}
		if (pos == 1) {
			for (size_t i = 0; i < t->n; i++)
				if (strcmp(t->v[i].name, "sort.pair") == 0) {
					reason = "first: preferred by RFC 6724";
					break;
				}
			if (strcmp(reason, "first") == 0)
				reason = "only address (nothing to sort)";
		}
		printf("  %2d  %-40s %s\n", pos, a, reason);
	}
}

int cli_ahosts(int argc, char **argv)
{
	static const struct option opts[] = {
		{"addrconfig", no_argument, NULL, 'a'},
		{"canonname", no_argument, NULL, 'c'},
		{"socktype", required_argument, NULL, 't'},
		{"flags", required_argument, NULL, 'f'},
		{"explain", no_argument, NULL, 'e'},
		{"json", no_argument, NULL, 'j'},
		{"resolv-conf", required_argument, NULL, 'R'},
		{"gai-conf", required_argument, NULL, 'G'},
		{"hosts", required_argument, NULL, 'H'},
		{"nsswitch-conf", required_argument, NULL, 'N'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct addrinfo hints = {.ai_family = AF_UNSPEC};
	bool explain = false, json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "46h", opts, NULL)) != -1) {
		switch (c) {
		case '4': hints.ai_family = AF_INET; break;
		case '6': hints.ai_family = AF_INET6; break;
		case 'a': hints.ai_flags |= AI_ADDRCONFIG; break;
		case 'c': hints.ai_flags |= AI_CANONNAME; break;
		case 't':
			if (parse_socktype(optarg, &hints.ai_socktype)) {
				fprintf(stderr, "rfcres: bad --socktype '%s'\n", optarg);
				return 2;
			}
			break;
		case 'f':
			if (parse_flags(optarg, &hints.ai_flags)) {
				fprintf(stderr, "rfcres: bad --flags '%s'\n", optarg);
				return 2;
			}
			break;
		case 'e': explain = true; break;
		case 'j': json = true; break;
		case 'R': setenv("RFCRES_RESOLV_CONF", optarg, 1); break;
		case 'G': setenv("RFCRES_GAI_CONF", optarg, 1); break;
		case 'H': setenv("RFCRES_HOSTS", optarg, 1); break;
		case 'N': setenv("RFCRES_NSSWITCH_CONF", optarg, 1); break;
		case 'h': return ahosts_usage(stdout);
		default: return ahosts_usage(stderr);
		}
	}
	if (optind >= argc || argc - optind > 2)
		return ahosts_usage(stderr);
	const char *name = argv[optind];
	const char *service = optind + 1 < argc ? argv[optind + 1] : NULL;

	struct cli_trace t;
	if (explain || json)
		cli_trace_start(&t);
	struct addrinfo *res = NULL;
	int rc = rfcres_getaddrinfo(name, service, &hints, &res);
	if (explain || json)
		cli_trace_stop();

	if (json) {
		print_json(name, service, &hints, rc, res, &t);
	} else {
		if (explain) {
			printf("rfcres ahosts %s%s%s  (librfcres %s)\n\ntrace:\n",
			       name, service ? " " : "", service ? service : "",
			       rfcres_version());
			cli_trace_print(&t, stdout);
			printf("\n");
			print_hosts_line(&t);
		}
		if (rc) {
			fprintf(explain ? stdout : stderr, "rfcres: %s: %s\n",
				name, rfcres_gai_strerror(rc));
		} else {
			for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
				char a[INET6_ADDRSTRLEN];
				unsigned port, scope;
				addr_of(ai, a, sizeof a, &port, &scope);
				printf("%-15s %-6s %s\n", a,
				       socktype_name(ai->ai_socktype),
				       ai == res && ai->ai_canonname
					       ? ai->ai_canonname
					       : "");
			}
			if (explain)
				print_explained_table(res, &t);
		}
	}
	if (explain || json)
		cli_trace_free(&t);
	if (!rc)
		rfcres_freeaddrinfo(res);
	/* like getent: 0 found, 2 not found; 3 other failures */
	return rc == 0 ? 0 : (rc == EAI_NONAME || rc == EAI_NODATA) ? 2 : 3;
}
