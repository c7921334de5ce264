#ifndef LOGWHY_RULE_IMPL_H
#define LOGWHY_RULE_IMPL_H

#include "rules/rule.h"

/* Private to rules/ (and white-box unit tests): what a rule holds. */
struct cond;   /* the condition tree, rules/cond.h */

struct rule_loc {
	long line, col;
};

struct rule {
	struct rule_desc d;      /* first: rule_desc() is a cast */
	struct cond *match;
	struct rule_loc *explains_loc; /* where each explains entry stands */
	struct rule_redact *redact;   /* NULL when the rule has no redact: */
	size_t nredact;
	long col;                /* with d.file, d.line */
};

#endif
