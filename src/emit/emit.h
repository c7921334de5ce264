#ifndef LOGWHY_EMIT_H
#define LOGWHY_EMIT_H

#include <stdio.h>

#include "event/event.h"
#include "rules/ruleset.h"
#include "util/diag.h"

/*
 * lint's emitters: one finding at a time, in input order, with memory that
 * does not grow with the number of findings (formats that need totals up
 * front spool to a temporary file).
 */
enum emit_format { EMIT_TEXT = 0, EMIT_JSON, EMIT_SARIF, EMIT_JUNIT, EMIT_GITHUB };

const char *emit_format_name(enum emit_format f);
int emit_format_parse(const char *s);      /* -1 if unknown */

struct finding {
	const struct rule_desc *rule;
	const struct event *ev;
	const struct match *m;     /* captures */
	const char *message;       /* rendered rule message */
};

struct emit_opts {
	int color;                       /* text: ANSI colour */
	const struct ruleset *rules;     /* SARIF: tool.driver.rules */
	const char *version;             /* tool version string */
	const char *const *inputs;       /* input names (SARIF artifacts, JUnit suites) */
	size_t ninputs;
	/* JUnit: with fail_on_set, a finding below fail_on (enum level;
	 * LEVEL_NEVER: all of them) is a passing testcase, not a <failure>,
	 * as lint's exit status says. Unset: every finding fails. */
	int fail_on_set;
	int fail_on;
};

struct emit_stats {
	int incomplete;                  /* an input could not be read (SARIF
					    executionSuccessful false) */
	long records;
	long findings;
	long by_level[4];                /* indexed by enum level */
};

struct emitter;

/* NULL on allocation failure. out is borrowed. */
struct emitter *emitter_open(enum emit_format f, FILE *out, const struct emit_opts *o);
int emitter_finding(struct emitter *e, const struct finding *f);
/* A warning about the run (a cut array, a record kept as text), as the
 * warn sink gets it: SARIF keeps it (at most EMIT_MAX_NOTES) for the
 * run's toolExecutionNotifications; the other formats ignore it. */
#define EMIT_MAX_NOTES 1000
void emitter_warning(struct emitter *e, const struct diag *d);
/* Writes any trailer, flushes, frees e. -1 on a write error (errno set). */
int emitter_close(struct emitter *e, const struct emit_stats *s);

#endif
