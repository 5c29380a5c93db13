/* Trace capture for the CLI: events are copied as they arrive so --explain
 * and --json can render them after the lookup. */
#ifndef RFCRES_CLI_TRACE_H
#define RFCRES_CLI_TRACE_H

#include <stdio.h>

#include "rfcres.h"

struct cli_event {
	enum rfcres_trace_category category;
	char *name;
	char *text;
	double ms;
	size_t nfields;
	char **keys, **values;
};

struct cli_trace {
	struct cli_event *v;
	size_t n, cap;
};

void cli_trace_start(struct cli_trace *t);
void cli_trace_stop(void);
void cli_trace_free(struct cli_trace *t);
/* Value of key in event e, or NULL. */
const char *cli_event_get(const struct cli_event *e, const char *key);
/* Human rendering: aligned "+   1.234 ms  name  fields". */
void cli_trace_print(const struct cli_trace *t, FILE *f);
/* JSON array of events (stable keys: t_ms, category, event, fields). */
void cli_trace_json(const struct cli_trace *t, FILE *f);
void cli_json_string(FILE *f, const char *s);
const char *cli_category_name(enum rfcres_trace_category c);
/* Text for an RFC 6724 destination rule number (section 6). */
const char *cli_rule_text(unsigned rule);

#endif
