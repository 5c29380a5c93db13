/*
 * nsswitch.conf, as glibc 2.36 reads it (nss/nss_database.c process_line,
 * nss/nss_action_parse.c):
 *  - a line is "<database> [:]* <sources>"; leading white space is skipped;
 *    the database name ends at white space or ':' and is compared exactly
 *    (case-sensitive); names glibc does not know are ignored;
 *  - there is no comment syntax inside a line: glibc reads "files # dns"
 *    as three sources, "#" among them (it then fails to load libnss_#.so.2;
 *    checked with strace on Debian 12).  A line starting with '#' names no
 *    known database and is ignored like any other;
 *  - a source name ends at white space or '['; its criteria
 *    "[ !?STATUS = action ... ]" are case-insensitive; statuses SUCCESS,
 *    NOTFOUND, UNAVAIL, TRYAGAIN; actions return, continue, merge; "!S=a"
 *    sets every status but S to a.  Defaults: SUCCESS=return, the others
 *    continue.  An item that starts with '[' without a source ends the line;
 *  - a syntax error (unknown status or action, a missing '=' or ']') in the
 *    line of ANY known database makes glibc reject the whole file: every
 *    hosts lookup then fails with EAI_NONAME (measured with getent and
 *    python3 on glibc 2.36).  librfcres does the same (CONF_NSS_INVALID);
 *  - the last hosts line wins; no hosts line, or no file, selects the
 *    built-in default CONF_NSS_DEFAULT_HOSTS.
 *  - an empty "hosts:" line is an empty list: glibc 2.36 then reads past
 *    the end of its list (python3 segfaults); librfcres answers NOTFOUND.
 */
#include "conf/conf_nsswitch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf_util.h"
#include "rfcres.h"
#include "trace.h"

/* glibc nss/databases.def: a syntax error in any of these lines rejects
 * the file. */
static const char *const known_db[] = {
	"aliases",   "ethers",    "group",         "group_compat",
	"gshadow",   "hosts",     "initgroups",    "netgroup",
	"networks",  "passwd",    "passwd_compat", "protocols",
	"publickey", "rpc",       "services",      "shadow",
	"shadow_compat",
};

struct nsw_build {
	struct conf_nss_source *src;
	size_t n, cap;
	bool oom;
};

static bool is_known_db(const char *p, size_t n)
{
	for (size_t i = 0; i < sizeof known_db / sizeof known_db[0]; i++)
		if (strlen(known_db[i]) == n && memcmp(known_db[i], p, n) == 0)
			return true;
	return false;
}

static bool word_is(const char *p, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(p, w, n) == 0;
}

static void set_all(struct conf_nss_source *s, enum conf_nss_action a)
{
	for (int i = 0; i < CONF_NSS_NSTATUS; i++)
		s->action[i] = (unsigned char)a;
}

static void build_free(struct nsw_build *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->src[i].name);
	free(b->src);
	b->src = NULL;
	b->n = b->cap = 0;
}

static struct conf_nss_source *build_add(struct nsw_build *b, const char *name,
					 size_t len)
{
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 8;
		struct conf_nss_source *ns = realloc(b->src, ncap * sizeof *ns);
		if (!ns) {
			b->oom = true;
			return NULL;
		}
		b->src = ns;
		b->cap = ncap;
	}
	struct conf_nss_source *s = &b->src[b->n];
	memset(s, 0, sizeof *s);
	s->name = malloc(len + 1);
	if (!s->name) {
		b->oom = true;
		return NULL;
	}
	memcpy(s->name, name, len);
	s->name[len] = '\0';
	/* module names are case-sensitive (libnss_files.so.2) */
	s->kind = strcmp(s->name, "files") == 0 ? CONF_NSS_FILES
		  : strcmp(s->name, "dns") == 0 ? CONF_NSS_DNS
						: CONF_NSS_MODULE;
	set_all(s, CONF_NSS_CONTINUE);
	s->action[CONF_NSS_SUCCESS] = CONF_NSS_RETURN;
	b->n++;
	return s;
}

/* One "[...]" block starting after '['.  Returns false on a syntax error. */
static bool parse_criteria(struct conf_nss_source *s, const char *p, size_t n,
			   size_t *pos)
{
	size_t i = *pos;
#define SKIP_WS() while (i < n && conf_is_space(p[i])) i++
	SKIP_WS();
	do {
		bool neg = i < n && p[i] == '!';
		if (neg)
			i++;
		size_t w = i;
		while (i < n && !conf_is_space(p[i]) && p[i] != '=' &&
		       p[i] != ']')
			i++;
		int st;
		if (word_is(p + w, i - w, "SUCCESS"))
			st = CONF_NSS_SUCCESS;
		else if (word_is(p + w, i - w, "NOTFOUND"))
			st = CONF_NSS_NOTFOUND;
		else if (word_is(p + w, i - w, "UNAVAIL"))
			st = CONF_NSS_UNAVAIL;
		else if (word_is(p + w, i - w, "TRYAGAIN"))
			st = CONF_NSS_TRYAGAIN;
		else
			return false;
		SKIP_WS();
		if (i >= n || p[i] != '=')
			return false;
		i++;
		SKIP_WS();
		w = i;
		while (i < n && !conf_is_space(p[i]) && p[i] != '=' &&
		       p[i] != ']')
			i++;
		enum conf_nss_action a;
		if (word_is(p + w, i - w, "return"))
			a = CONF_NSS_RETURN;
		else if (word_is(p + w, i - w, "continue"))
			a = CONF_NSS_CONTINUE;
		else if (word_is(p + w, i - w, "merge"))
			a = CONF_NSS_MERGE;
		else
			return false;
		if (neg) {
			unsigned char keep = s->action[st];
			set_all(s, a);
			s->action[st] = keep;
		} else {
			s->action[st] = (unsigned char)a;
		}
		SKIP_WS();
	} while (i < n && p[i] != ']');
	if (i >= n)
		return false; /* glibc: the next status name is empty */
	*pos = i + 1;
#undef SKIP_WS
	return true;
}

/* The sources of one line (glibc nss_action_parse).  false: syntax. */
static bool parse_sources(struct nsw_build *b, const char *p, size_t n)
{
	size_t i = 0;
	for (;;) {
		while (i < n && conf_is_space(p[i]))
			i++;
		if (i >= n)
			return true;
		size_t w = i;
		while (i < n && !conf_is_space(p[i]) && p[i] != '[')
			i++;
		if (w == i)
			return true; /* "[" without a source: the line ends */
		struct conf_nss_source *s = build_add(b, p + w, i - w);
		if (!s)
			return true; /* b->oom */
		while (i < n && conf_is_space(p[i]))
			i++;
		if (i < n && p[i] == '[') {
			i++;
			if (!parse_criteria(s, p, n, &i))
				return false;
		}
	}
}

static char *dup_text(const char *p, size_t n)
{
	while (n && conf_is_space(p[n - 1]))
		n--;
	char *t = malloc(n + 1);
	if (t) {
		memcpy(t, p, n);
		t[n] = '\0';
	}
	return t;
}

static struct conf_nsswitch *finish(struct nsw_build *b,
				    enum conf_nss_origin origin, unsigned line,
				    const char *text, size_t tlen)
{
	struct conf_nsswitch *n = calloc(1, sizeof *n);
	if (!n || b->oom || !(n->text = dup_text(text, tlen))) {
		build_free(b);
		if (n)
			free(n->text);
		free(n);
		return NULL;
	}
	n->src = b->src;
	n->nsrc = b->n;
	n->origin = origin;
	n->line = line;
	return n;
}

struct conf_nsswitch *conf_nsswitch_parse(const char *text, size_t len,
					  bool present, const char *file)
{
	struct nsw_build hosts = { 0 };
	const char *htext = NULL;
	size_t hlen = 0;
	unsigned hline = 0;
	bool have_hosts = false;
	struct conf_lines it;
	struct conf_line l;
	file = file ? file : "nsswitch.conf";
	conf_lines_init(&it, present ? text : NULL, len);
	while (conf_lines_next(&it, &l)) {
		if (l.has_nul || l.len > CONF_MAX_LINE) {
			/* getline would hand glibc the bytes up to the NUL;
			 * such a file was not written by hand: skip it */
			conf_trace_skip(file, l.no,
					l.has_nul ? "nul_byte" : "too_long");
			continue;
		}
		size_t i = 0;
		while (i < l.len && conf_is_space(l.p[i]))
			i++;
		size_t w = i;
		while (i < l.len && !conf_is_space(l.p[i]) && l.p[i] != ':')
			i++;
		if (i >= l.len || w == i)
			continue; /* glibc: "syntax error, skip this line" */
		size_t dbn = i - w;
		const char *db = l.p + w;
		while (i < l.len && (conf_is_space(l.p[i]) || l.p[i] == ':'))
			i++;
		if (!is_known_db(db, dbn))
			continue;
		bool is_hosts = dbn == 5 && memcmp(db, "hosts", 5) == 0;
		struct nsw_build one = { 0 };
		bool ok = parse_sources(&one, l.p + i, l.len - i);
		if (one.oom) {
			build_free(&one);
			build_free(&hosts);
			return NULL;
		}
		if (!ok) {
			build_free(&one);
			build_free(&hosts);
			TRACE(RFCRES_TRACE_CONF, "conf.error",
			      "file=nsswitch line=%u reason=syntax "
			      "effect=no_hosts_source",
			      l.no);
			return finish(&hosts, CONF_NSS_INVALID, l.no, "", 0);
		}
		if (!is_hosts) {
			build_free(&one);
			continue;
		}
		build_free(&hosts);
		hosts = one;
		htext = l.p + i;
		hlen = l.len - i;
		hline = l.no;
		have_hosts = true;
	}
	if (have_hosts)
		return finish(&hosts, CONF_NSS_FROM_FILE, hline, htext, hlen);
	static const char dflt[] = CONF_NSS_DEFAULT_HOSTS;
	parse_sources(&hosts, dflt, sizeof dflt - 1);
	return finish(&hosts,
		      present ? CONF_NSS_DEFAULT_NOLINE
			      : CONF_NSS_DEFAULT_MISSING,
		      0, dflt, sizeof dflt - 1);
}

void conf_nsswitch_free(struct conf_nsswitch *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nsrc; i++)
		free(n->src[i].name);
	free(n->src);
	free(n->text);
	free(n);
}

const char *conf_nss_status_name(enum conf_nss_status s)
{
	static const char *const names[CONF_NSS_NSTATUS] = {
		"SUCCESS", "NOTFOUND", "UNAVAIL", "TRYAGAIN"
	};
	return (unsigned)s < CONF_NSS_NSTATUS ? names[s] : "?";
}

const char *conf_nss_action_name(enum conf_nss_action a)
{
	return a == CONF_NSS_RETURN	? "return"
	       : a == CONF_NSS_MERGE ? "merge"
				     : "continue";
}

void conf_nss_criteria(const struct conf_nss_source *s, char *buf,
		       size_t len)
{
	size_t used = 0;
	if (len)
		buf[0] = '\0';
	for (int st = 0; st < CONF_NSS_NSTATUS; st++) {
		unsigned dflt = st == CONF_NSS_SUCCESS ? CONF_NSS_RETURN
						       : CONF_NSS_CONTINUE;
		if (s->action[st] == dflt)
			continue;
		int w = snprintf(buf + used, len - used, "%s%s=%s",
				 used ? " " : "[",
				 conf_nss_status_name((enum conf_nss_status)st),
				 conf_nss_action_name(s->action[st]));
		if (w < 0 || (size_t)w >= len - used)
			return;
		used += (size_t)w;
	}
	if (used && used + 1 < len) {
		buf[used++] = ']';
		buf[used] = '\0';
	}
}
