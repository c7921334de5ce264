#ifndef LOGWHY_RULESET_H
#define LOGWHY_RULESET_H

#include <stddef.h>

#include "rules/rule.h"

/*
 * A ruleset: the rules of one or more files, sorted by id, and the door to
 * them. Its insides are private to rules/ (rules/ruleset_impl.h); callers
 * load, look up, walk and match through these. ruleset_free releases every
 * rule.
 */
struct ruleset;

struct ruleset *ruleset_new(void);
/* Load a rule file, or every *.yml / *.yaml in a directory (sorted by
 * name). -1 with d = file:line:col of the first problem. */
int ruleset_load(struct ruleset *rs, const char *path, struct diag *d);
/* Load one rule file from memory (name is for messages). */
int ruleset_load_mem(struct ruleset *rs, const char *name, const char *yaml,
		     size_t len, struct diag *d);
/* Load into rs the files from has loaded, in its order. */
int ruleset_load_same(struct ruleset *rs, const struct ruleset *from, struct diag *d);
/* Check ids unique, resolve explains, sort. Call once after loading. */
int ruleset_finish(struct ruleset *rs, struct diag *d);
/* Drop the gate: ruleset_match then tries every rule on every event (the
 * equal-output test checks the gate against that). */
void ruleset_ungate(struct ruleset *rs);
void ruleset_free(struct ruleset *rs);      /* NULL-safe */
/* The keys a rule file may use: table i (rule, condition, close, correlate,
 * examples, redact), NULL-terminated; NULL past the last. */
const char *const *ruleset_key_table(size_t i);

/* Walking: the n rules in id order (rule i has index i). */
size_t ruleset_count(const struct ruleset *rs);
const struct rule *ruleset_rule(const struct ruleset *rs, size_t i);
/* Binary search: only after ruleset_finish. NULL when no such rule. */
const struct rule *ruleset_find(const struct ruleset *rs, const char *id);
/* A rule's level (lint --severity RULE=LEVEL); -1 when there is no such rule. */
int ruleset_set_level(struct ruleset *rs, const char *id, enum level l);
/* The redact: patterns of every rule, in rule order, into out (at most
 * max); returns how many there are (more than max: only max written). */
size_t ruleset_redactions(const struct ruleset *rs, const struct rule_redact **out, size_t max);

/*
 * Every rule of rs that matches ev, in rule order: fn(ctx, r, m) with the
 * rule's description in r and its captures in m. Only the rules the ruleset's gate leaves (those
 * whose message and text literals are in the event) are tried, so the
 * cost of an event grows with the rules that may match it, not with the
 * ruleset. A nonzero return of fn stops the walk and is returned; -1 when
 * out of memory.
 */
int ruleset_match(const struct ruleset *rs, const struct event *ev, struct match *m,
		  const struct warn_sink *w,
		  int (*fn)(void *ctx, const struct rule_desc *r, struct match *m), void *ctx);

#endif
