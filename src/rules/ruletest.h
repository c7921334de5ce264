#ifndef LOGWHY_RULETEST_H
#define LOGWHY_RULETEST_H

#include "rules/ruleset.h"

/*
 * The examples runner behind `logwhy rules test`. The caller decides how an
 * example string becomes an event (the CLI frames it as a record and
 * normalizes it), so this stays independent of the input formats.
 *
 * to_event fills ev (already initialised; the runner clears it after each
 * example) and returns 0, or -1 when the text cannot be made an event.
 * report (may be NULL) is called once per example, in file order, match
 * examples first: want_match is 1 for 'match', 0 for 'nomatch'; got_match
 * is 1 or 0, or -1 when to_event failed (always a failure).
 * Returns the number of failed examples. rs is the ruleset r belongs to.
 */
int rule_test_examples(const struct ruleset *rs, const struct rule *r,
		       int (*to_event)(void *ctx, const char *text, struct event *ev),
		       void *ctx,
		       void (*report)(void *rctx, const struct rule_desc *r,
				      const struct rule_example *ex, int want_match,
				      int got_match),
		       void *rctx);

#endif
