/*
 * rfcres sort: RFC 6724 destination sort simulation (no network access).
 *
 *   rfcres sort [--gai-conf FILE] [--explain]
 *               [--src DEST=SRC[/PLEN][,FLAG...]]... DEST...
 *
 * Each DEST gets the source given with --src (none: the destination is
 * unusable, rule 1); the sorted destinations are printed one per line and,
 * with --explain, the rule that ordered each adjacent pair.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "conf/conf_gai.h"
#include "core/sys.h"
#include "select/sort.h"

#define SORT_MAX_GAI_CONF (1u << 20)

static const char usage_text[] =
	"usage: rfcres sort [--gai-conf FILE] [--explain] "
	"[--src DEST=SRC[/PLEN][,FLAG...]]... DEST...\n"
	"  DEST, SRC  IPv4 or IPv6 address (fe80::1%eth0 for a zone)\n"
	"  PLEN       source prefix length (default 32 for IPv4, 64 for IPv6)\n"
	"  FLAG       deprecated, temporary, home or tunnel\n"
	"A DEST without --src has no usable source address.\n";

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("rfcres sort: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage_text, stderr);
	return 2;
}

/* "192.0.2.1", "2001:db8::1", "fe80::1%eth0" / "fe80::1%2" */
static bool parse_addr(const char *s, size_t len, struct in6_addr *a,
		       uint32_t *zone)
{
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	if (len == 0 || len >= sizeof buf)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	*zone = 0;
	char *pct = strchr(buf, '%');
	if (pct) {
		*pct++ = '\0';
		if (*pct == '\0')
			return false;
	}
	struct in_addr v4;
	if (inet_pton(AF_INET, buf, &v4) == 1) {
		if (pct)
			return false;
		memset(a, 0, sizeof *a);
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &v4, 4);
		return true;
	}
	if (inet_pton(AF_INET6, buf, a) != 1)
		return false;
	if (pct) {
		char *end;
		errno = 0;
		unsigned long z = strtoul(pct, &end, 10);
		if (*pct >= '0' && *pct <= '9' && *end == '\0' && errno == 0 &&
		    z <= UINT32_MAX)
			*zone = (uint32_t)z;
		else
			*zone = rfcres_sys.if_nametoindex(pct);
		if (*zone == 0)
			return false;
	}
	return true;
}

static bool parse_uint(const char *s, size_t len, unsigned max, unsigned *out)
{
	unsigned v = 0;
	if (len == 0 || len > 3)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_flag(const char *s, size_t len, unsigned *flags)
{
	static const struct {
		const char *name;
		unsigned flag;
	} names[] = {
		{ "deprecated", SORT_SRC_DEPRECATED },
		{ "temporary", SORT_SRC_TEMPORARY },
		{ "home", SORT_SRC_HOME },
		{ "tunnel", SORT_SRC_TUNNEL },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i].name) == len &&
		    memcmp(names[i].name, s, len) == 0) {
			*flags |= names[i].flag;
			return true;
		}
	return false;
}

struct src_spec {
	const char *arg;
	struct in6_addr dst;
	uint32_t dst_zone;
	struct in6_addr src;
	unsigned plen, flags;
	bool used;
};

/* DEST=SRC[/PLEN][,FLAG...] */
static int parse_src(const char *arg, struct src_spec *sp)
{
	memset(sp, 0, sizeof *sp);
	sp->arg = arg;
	const char *eq = strchr(arg, '=');
	if (!eq)
		return usage_error("--src '%s': expected DEST=SRC[/PLEN]", arg);
	if (!parse_addr(arg, (size_t)(eq - arg), &sp->dst, &sp->dst_zone))
		return usage_error("--src '%s': bad destination address", arg);
	const char *s = eq + 1;
	size_t slen = strcspn(s, ",");
	const char *slash = memchr(s, '/', slen);
	size_t alen = slash ? (size_t)(slash - s) : slen;
	uint32_t szone;
	if (!parse_addr(s, alen, &sp->src, &szone))
		return usage_error("--src '%s': bad source address", arg);
	bool v4 = IN6_IS_ADDR_V4MAPPED(&sp->dst);
	if (v4 != (bool)IN6_IS_ADDR_V4MAPPED(&sp->src))
		return usage_error("--src '%s': source and destination are of "
				   "different address families", arg);
	sp->plen = v4 ? 32 : 64;
	if (slash && !parse_uint(slash + 1, slen - alen - 1, v4 ? 32 : 128,
				 &sp->plen))
		return usage_error("--src '%s': bad prefix length", arg);
	for (const char *f = s + slen; *f == ',';) {
		f++;
		size_t flen = strcspn(f, ",");
		if (!parse_flag(f, flen, &sp->flags))
			return usage_error("--src '%s': unknown flag (deprecated, "
					   "temporary, home, tunnel)", arg);
		f += flen;
	}
	return 0;
}

static int load_gai_conf(const char *path, struct conf_policy **out)
{
	*out = NULL;
	char *text;
	size_t len;
	struct stat st;
	int rc = sys_read_file(path, SORT_MAX_GAI_CONF, &text, &len, &st);
	if (rc < 0) {
		fprintf(stderr, "rfcres sort: %s: %s\n", path, strerror(-rc));
		return 2;
	}
	*out = conf_policy_parse(text, len, true, path);
	free(text);
	if (!*out) {
		fprintf(stderr, "rfcres sort: %s: out of memory\n", path);
		return 1;
	}
	return 0;
}

struct sort_args {
	const char *gai_conf;
	bool explain;
	struct src_spec *specs;
	size_t nspecs;
	struct sort_item *items;
	size_t n;
};

/* Returns 0, or the exit status. */
static int parse_args(int argc, char **argv, struct sort_args *a)
{
	bool opts = true;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *val = NULL;
		if (opts && strcmp(arg, "--") == 0) {
			opts = false;
			continue;
		}
		if (opts && (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)) {
			fputs(usage_text, stdout);
			return -1;
		}
		if (opts && strcmp(arg, "--explain") == 0) {
			a->explain = true;
			continue;
		}
		if (opts && (strncmp(arg, "--src", 5) == 0 ||
			     strncmp(arg, "--gai-conf", 10) == 0)) {
			bool src = arg[2] == 's';
			size_t kl = src ? 5 : 10;
			if (arg[kl] == '=')
				val = arg + kl + 1;
			else if (arg[kl] == '\0' && i + 1 < argc)
				val = argv[++i];
			else if (arg[kl] == '\0')
				return usage_error("%s needs a value", arg);
			else
				return usage_error("unknown option '%s'", arg);
			if (!src) {
				if (a->gai_conf)
					return usage_error("--gai-conf given "
							   "twice (%s)", val);
				a->gai_conf = val;
				continue;
			}
			int rc = parse_src(val, &a->specs[a->nspecs]);
			if (rc)
				return rc;
			a->nspecs++;
			continue;
		}
		if (opts && arg[0] == '-' && arg[1] == '-')
			return usage_error("unknown option '%s'", arg);
		struct sort_item *it = &a->items[a->n];
		memset(it, 0, sizeof *it);
		if (!parse_addr(arg, strlen(arg), &it->dst, &it->dst_scope_id))
			return usage_error("'%s' is not an IP address", arg);
		it->index = a->n++;
	}
	if (a->n == 0)
		return usage_error("%s", "no destination given");
	return 0;
}

static bool spec_matches(const struct src_spec *sp, const struct sort_item *it)
{
	if (memcmp(&sp->dst, &it->dst, sizeof it->dst) != 0)
		return false;
	return sp->dst_zone == 0 || sp->dst_zone == it->dst_scope_id;
}

static int apply_specs(struct sort_args *a)
{
	for (size_t s = 0; s < a->nspecs; s++) {
		const struct src_spec *sp = &a->specs[s];
		for (size_t t = 0; t < s; t++)
			if (memcmp(&a->specs[t].dst, &sp->dst,
				   sizeof sp->dst) == 0 &&
			    a->specs[t].dst_zone == sp->dst_zone)
				return usage_error("--src '%s': destination "
						   "given twice", sp->arg);
		bool used = false;
		for (size_t i = 0; i < a->n; i++) {
			struct sort_item *it = &a->items[i];
			if (!spec_matches(sp, it))
				continue;
			it->has_src = true;
			it->src = sp->src;
			it->src_plen = sp->plen;
			it->src_flags = sp->flags;
			used = true;
		}
		if (!used)
			return usage_error("--src '%s': DEST is not among the "
					   "destinations", sp->arg);
	}
	return 0;
}

static void print_result(const struct sort_args *a, const sort_rule *why,
			 const struct conf_policy *policy)
{
	char x[SORT_ADDRSTRLEN], y[SORT_ADDRSTRLEN], text[160];
	for (size_t i = 0; i < a->n; i++)
		printf("%s\n", sort_addr_str(&a->items[i].dst,
					     a->items[i].dst_scope_id, x,
					     sizeof x));
	if (!a->explain)
		return;
	for (size_t i = 0; i + 1 < a->n; i++) {
		const struct sort_item *p = &a->items[i], *q = &a->items[i + 1];
		printf("%s > %s: rule %u (%s)\n",
		       sort_addr_str(&p->dst, p->dst_scope_id, x, sizeof x),
		       sort_addr_str(&q->dst, q->dst_scope_id, y, sizeof y),
		       (unsigned)why[i],
		       sort_explain(p, q, why[i], policy, text, sizeof text));
	}
}

int cli_sort(int argc, char **argv)
{
	struct sort_args a = { 0 };
	size_t max = argc > 0 ? (size_t)argc : 1;
	a.specs = calloc(max, sizeof *a.specs);
	a.items = calloc(max, sizeof *a.items);
	sort_rule *why = calloc(max, sizeof *why);
	struct conf_policy *policy = NULL;
	int rc;
	if (!a.specs || !a.items || !why) {
		fputs("rfcres sort: out of memory\n", stderr);
		rc = 1;
		goto out;
	}
	rc = parse_args(argc, argv, &a);
	if (rc < 0) {
		rc = 0; /* --help */
		goto out;
	}
	if (rc == 0)
		rc = apply_specs(&a);
	if (rc == 0 && a.gai_conf)
		rc = load_gai_conf(a.gai_conf, &policy);
	if (rc != 0)
		goto out;
	sort_destinations(a.items, a.n, policy, why);
	sort_trace(a.items, a.n, why);
	print_result(&a, why, policy);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	if (policy)
		conf_policy_free(policy);
	free(a.specs);
	free(a.items);
	free(why);
	return rc;
}
