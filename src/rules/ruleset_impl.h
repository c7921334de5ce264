#ifndef LOGWHY_RULESET_IMPL_H
#define LOGWHY_RULESET_IMPL_H

#include "rules/rule_impl.h"
#include "rules/ruleset.h"

/* Private to rules/: what a ruleset holds. */
struct prefilter;

struct ruleset {
	struct rule **rules;     /* sorted by id after ruleset_finish */
	size_t n;
	char **paths;            /* files loaded, in order */
	size_t npaths;
	struct prefilter *gate;  /* which rules an event may match (ruleset_match) */
};

#endif
