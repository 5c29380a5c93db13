/*
 * rfcres conf: the configuration librfcres would use right now — resolv.conf
 * after environment overrides, the RFC 6724 policy table and where it came
 * from, and the local address inventory with its flags.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "conf/conf_nsswitch.h"
#include "conf/conf_snapshot.h"
#include "core/trace.h"
#include "net/ifaddr.h"
#include "nss/nss_module.h"

static void print_prefix(const struct conf_policy_row *r)
{
	char a[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, &r->prefix, a, sizeof a);
	char p[INET6_ADDRSTRLEN + 8];
	snprintf(p, sizeof p, "%s/%u", a, r->plen);
	printf("    %-28s %d\n", p, r->value);
}

static void print_table(const char *title, const struct conf_policy_row *v,
			size_t n, bool from_file)
{
	printf("  %s (%s):\n", title,
	       from_file ? "from gai.conf" : "RFC 6724 section 2.1 default");
	for (size_t i = 0; i < n; i++)
		print_prefix(&v[i]);
}

static const char *opt_names[] = {
	"rotate", "single-request", "single-request-reopen", "edns0",
	"use-vc", "no-tld-query", "no-aaaa", "trust-ad",
};

static void print_resolv(const struct conf_snapshot *s)
{
	const struct conf_resolv *r = s->resolv;
	const char *path = getenv(CONF_ENV_RESOLV);
	printf("resolv.conf: %s%s\n", path ? path : "/etc/resolv.conf",
	       r->file_present ? "" : " (missing: defaults)");
	for (unsigned i = 0; i < r->nns; i++) {
		char b[96];
		printf("  nameserver %s%s\n",
		       trace_sockaddr(&r->ns[i].addr, b, sizeof b),
		       r->ns_default ? "   (default)" : "");
	}
	if (r->nns_ignored)
		printf("  (%u further nameserver lines ignored: at most %d are "
		       "used, as glibc)\n",
		       r->nns_ignored, CONF_MAXNS);
	printf("  search");
	for (unsigned i = 0; i < r->nsearch; i++)
		printf(" %s", r->search[i]);
	printf("%s\n", r->nsearch ? "" : " (none)");
	printf("  options ndots:%u timeout:%u attempts:%u", r->ndots,
	       r->timeout, r->attempts);
	for (unsigned i = 0; i < sizeof opt_names / sizeof opt_names[0]; i++)
		if (r->opts & (1u << i))
			printf(" %s", opt_names[i]);
	printf("\n");
}

static void print_policy(const struct conf_snapshot *s)
{
	const struct conf_policy *p = s->policy;
	const char *path = getenv(CONF_ENV_GAI);
	printf("\ngai.conf: %s%s\n", path ? path : "/etc/gai.conf",
	       p->file_present ? "" : " (missing: defaults)");
	print_table("precedence", p->precedence, p->nprecedence,
		    p->precedence_from_file);
	print_table("label", p->label, p->nlabel, p->label_from_file);
	if (p->nscopev4) {
		printf("  scopev4 (from gai.conf):\n");
		for (size_t i = 0; i < p->nscopev4; i++)
			print_prefix(&p->scopev4[i]);
	}
	static const char *r9[] = {"all (RFC 6724)", "ipv6 (Go's choice)",
				   "none (plain round robin)"};
	printf("  rfcres-rule9 %s\n", r9[p->rule9 <= 2 ? p->rule9 : 0]);
}

/* The hosts line as librfcres will walk it, and where it came from. */
static void print_nsswitch(const struct conf_snapshot *s)
{
	const struct conf_nsswitch *n = s->nsswitch;
	const char *path = conf_file_path(CONF_FILE_NSSWITCH);
	static const char *const origin[] = {
		[CONF_NSS_FROM_FILE] = "",
		[CONF_NSS_DEFAULT_MISSING] = " (missing: glibc's default)",
		[CONF_NSS_DEFAULT_NOLINE] = " (no hosts line: glibc's default)",
		[CONF_NSS_INVALID] = " (syntax error: glibc rejects the file)",
	};
	printf("\nnsswitch.conf: %s%s\n", path,
	       n ? origin[n->origin] : " (built-in default)");
	if (n && n->origin == CONF_NSS_INVALID) {
		printf("  line %u: no hosts source (every name NOTFOUND)\n",
		       n->line);
		return;
	}
	printf("  hosts: %s\n", n ? (n->nsrc ? n->text : "(empty: every "
						       "name NOTFOUND)")
				  : CONF_NSS_DEFAULT_HOSTS);
	for (size_t i = 0; n && i < n->nsrc; i++) {
		const struct conf_nss_source *src = &n->src[i];
		char crit[128], what[NSS_MODULE_MAXNAME + 32];
		conf_nss_criteria(src, crit, sizeof crit);
		if (src->kind == CONF_NSS_FILES)
			snprintf(what, sizeof what, "native (hosts file)");
		else if (src->kind == CONF_NSS_DNS)
			snprintf(what, sizeof what, "native (DNS transport)");
		else if (nss_module_name_ok(src->name))
			snprintf(what, sizeof what, "module libnss_%s.so.2",
				 src->name);
		else
			snprintf(what, sizeof what, "module name refused: UNAVAIL");
		printf("  %zu  %-16s %-36s %s\n", i + 1, src->name, what, crit);
	}
}

static void print_inventory(void)
{
	struct ifaddr_inv *inv = ifaddr_acquire();
	printf("\nlocal addresses");
	if (!inv) {
		printf(": unavailable (no netlink, no getifaddrs)\n");
		return;
	}
	printf(" (%s):\n", inv->from_netlink ? "netlink" : "getifaddrs");
	for (size_t i = 0; i < inv->n; i++) {
		const struct ifaddr_entry *e = &inv->v[i];
		char a[INET6_ADDRSTRLEN], ifn[32] = "?";
		inet_ntop(e->family, e->addr, a, sizeof a);
		if (!if_indextoname(e->ifindex, ifn))
			snprintf(ifn, sizeof ifn, "#%u", e->ifindex);
		char p[INET6_ADDRSTRLEN + 8];
		snprintf(p, sizeof p, "%s/%u", a, e->plen);
		printf("  %-8s %-44s scope %-3u", ifn, p, e->scope);
		static const char *fl[] = {"deprecated", "temporary", "home",
					   "tentative", "dadfailed", "loopback",
					   "tunnel"};
		for (unsigned b = 0; b < 7; b++)
			if (e->flags & (1u << b))
				printf(" %s", fl[b]);
		printf("\n");
	}
	ifaddr_release(inv);
}

int cli_conf(int argc, char **argv)
{
	static const struct option opts[] = {
		{"resolv-conf", required_argument, NULL, 'R'},
		{"gai-conf", required_argument, NULL, 'G'},
		{"hosts", required_argument, NULL, 'H'},
		{"nsswitch-conf", required_argument, NULL, 'N'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'R': setenv(CONF_ENV_RESOLV, optarg, 1); break;
		case 'G': setenv(CONF_ENV_GAI, optarg, 1); break;
		case 'H': setenv(CONF_ENV_HOSTS, optarg, 1); break;
		case 'N': setenv(CONF_ENV_NSSWITCH, optarg, 1); break;
		case 'h':
			printf("usage: rfcres conf [--resolv-conf FILE] "
			       "[--gai-conf FILE] [--hosts FILE] "
			       "[--nsswitch-conf FILE]\n");
			return 0;
		default:
			fprintf(stderr, "usage: rfcres conf [--resolv-conf FILE] "
					"[--gai-conf FILE] [--hosts FILE] "
					"[--nsswitch-conf FILE]\n");
			return 2;
		}
	}
	struct conf_snapshot *s = conf_acquire();
	print_resolv(s);
	print_policy(s);
	print_nsswitch(s);
	conf_release(s);
	print_inventory();
	return 0;
}
