#ifndef LOGWHY_SUGGEST_H
#define LOGWHY_SUGGEST_H

#include <stddef.h>

#include "pattern/pattern.h"
#include "rules/rule.h"
#include "util/buf.h"

/*
 * A rule, as YAML, for a message pattern (`logwhy rules suggest`): its
 * regex and message from pattern_regex, what it explains and how it
 * correlates from the evidence the caller found (a suspect), its examples
 * from real records. The caller checks and tests it before showing it.
 */
struct suggest {
	const struct pattern *p;
	const char *id;                 /* NULL: category + a slug of the pattern */
	const char *category;
	enum rule_role role;
	enum level level;
	const struct rule_desc *const *explains;   /* symptom rules it preceded */
	size_t nexplains;
	long within_ms;                 /* 0: no correlate */
	unsigned by;                    /* CORR_* keys it was linked by; 0: time alone */
	long symptoms, unexplained, lead_ms;   /* for why: N of M, median lead */
	const char *const *nomatch;     /* lines of neighbouring patterns */
	size_t nnomatch;
};

/* Append the rule document to out. -1 on allocation failure. */
int suggest_yaml(const struct suggest *s, struct buf *out);

#endif
