#include "cli/cli_trace.h"

#include <stdlib.h>
#include <string.h>

static void collect(const struct rfcres_trace_event *ev, void *arg)
{
	struct cli_trace *t = arg;
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64;
		struct cli_event *nv = realloc(t->v, ncap * sizeof *nv);
		if (!nv)
			return;
		t->v = nv;
		t->cap = ncap;
	}
	struct cli_event *e = &t->v[t->n];
	memset(e, 0, sizeof *e);
	e->category = ev->category;
	e->name = strdup(ev->name);
	e->text = strdup(ev->text ? ev->text : "");
	e->ms = (double)ev->elapsed_ns / 1e6;
	e->keys = calloc(ev->nfields + 1, sizeof *e->keys);
	e->values = calloc(ev->nfields + 1, sizeof *e->values);
	if (!e->name || !e->text || !e->keys || !e->values) {
		free(e->name);
		free(e->text);
		free(e->keys);
		free(e->values);
		return;
	}
	for (size_t i = 0; i < ev->nfields; i++) {
		e->keys[i] = strdup(ev->fields[i].key);
		e->values[i] = strdup(ev->fields[i].value);
		if (!e->keys[i] || !e->values[i])
			break;
		e->nfields = i + 1;
	}
	t->n++;
}

void cli_trace_start(struct cli_trace *t)
{
	memset(t, 0, sizeof *t);
	rfcres_set_trace(collect, t);
}

void cli_trace_stop(void)
{
	rfcres_set_trace(NULL, NULL);
}

void cli_trace_free(struct cli_trace *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct cli_event *e = &t->v[i];
		for (size_t k = 0; k < e->nfields; k++) {
			free(e->keys[k]);
			free(e->values[k]);
		}
		free(e->keys);
		free(e->values);
		free(e->name);
		free(e->text);
	}
	free(t->v);
	memset(t, 0, sizeof *t);
}

const char *cli_event_get(const struct cli_event *e, const char *key)
{
	for (size_t i = 0; i < e->nfields; i++)
		if (strcmp(e->keys[i], key) == 0)
			return e->values[i];
	return NULL;
}

const char *cli_category_name(enum rfcres_trace_category c)
{
	switch (c) {
	case RFCRES_TRACE_LOOKUP: return "lookup";
	case RFCRES_TRACE_CONF: return "conf";
	case RFCRES_TRACE_DNS: return "dns";
	case RFCRES_TRACE_ADDRCONFIG: return "addrconfig";
	case RFCRES_TRACE_SORT: return "sort";
	case RFCRES_TRACE_NET: return "net";
	}
	return "other";
}

const char *cli_rule_text(unsigned rule)
{
	static const char *const text[] = {
		"equal: order kept (rule 10)",
		"rule 1: avoid unusable destinations",
		"rule 2: prefer matching scope",
		"rule 3: avoid deprecated addresses",
		"rule 4: prefer home addresses",
		"rule 5: prefer matching label",
		"rule 6: prefer higher precedence",
		"rule 7: prefer native transport",
		"rule 8: prefer smaller scope",
		"rule 9: use longest matching prefix",
		"rule 10: otherwise, leave the order unchanged",
	};
	return rule <= 10 ? text[rule] : "unknown rule";
}

void cli_trace_print(const struct cli_trace *t, FILE *f)
{
	size_t w = 0;
	for (size_t i = 0; i < t->n; i++)
		if (strlen(t->v[i].name) > w)
			w = strlen(t->v[i].name);
	for (size_t i = 0; i < t->n; i++)
		fprintf(f, "  %9.3f ms  %-*s  %s\n", t->v[i].ms, (int)w,
			t->v[i].name, t->v[i].text);
}

void cli_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void cli_trace_json(const struct cli_trace *t, FILE *f)
{
	fputs("[", f);
	for (size_t i = 0; i < t->n; i++) {
		const struct cli_event *e = &t->v[i];
		fprintf(f, "%s\n    {\"t_ms\": %.3f, \"category\": ",
			i ? "," : "", e->ms);
		cli_json_string(f, cli_category_name(e->category));
		fputs(", \"event\": ", f);
		cli_json_string(f, e->name);
		fputs(", \"fields\": {", f);
		for (size_t k = 0; k < e->nfields; k++) {
			fputs(k ? ", " : "", f);
			cli_json_string(f, e->keys[k]);
			fputs(": ", f);
			cli_json_string(f, e->values[k]);
		}
		fputs("}}", f);
	}
	fputs(t->n ? "\n  ]" : "]", f);
}
