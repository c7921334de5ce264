#ifndef LOGWHY_RULE_H
#define LOGWHY_RULE_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "util/buf.h"
#include "util/diag.h"

/*
 * Rules: YAML data, validated completely when loaded (rules/NAME.yml, one rule
 * per document). A ruleset (rules/ruleset.h) owns its rules.
 */
enum rule_role { ROLE_CAUSE = 0, ROLE_SYMPTOM, ROLE_CONTEXT };

/* A rule's severity, and the threshold of lint --fail-on. */
enum level { LEVEL_NEVER = 0, LEVEL_INFO, LEVEL_WARNING, LEVEL_ERROR };

const char *rule_level_name(enum level l);        /* "info", "warning", "error" */
int rule_level_parse(const char *s);              /* -1 if unknown; "never" ok */
const char *rule_role_name(enum rule_role r);     /* "cause", "symptom", "context" */

/* correlate.by keys */
enum {
	CORR_CONNECTION = 1u << 0,
	CORR_TRACE = 1u << 1,
	CORR_INSTANCE = 1u << 2,
	CORR_USER = 1u << 3,
	CORR_SPAN = 1u << 4,
};
extern const char *const rule_corr_names[];   /* theirs by bit, NULL-terminated */

struct rule_example {
	char *text;
	long line;   /* where it stands in the rule file */
};

/* A redaction pattern (the rule's `redact:` action, used by sanitize):
 * every match inside a string value becomes "[REDACTED:kind]"; when the
 * pattern has a group named `secret`, only what that group matched does
 * (postgres://app:[REDACTED:url-password]@db). It applies to every record
 * sanitize sees, whatever `match` says. A `match` of `redact: true` holds
 * when one of the rule's own patterns matches the record's raw text. */
#define RULE_MAX_REDACT 64
#define RULE_REDACT_KIND_MAX 32

struct rule_redact {
	char *kind;              /* lower-case word, owned */
	void *code;              /* pcre2_code_8 *, owned, JIT-compiled by rule_redact_jit */
	char *src;               /* the pattern as written, owned (the prefilter reads it) */
	size_t srclen;
	int secret_group;        /* number of the group named 'secret', or 0: the whole match */
	long line, col;          /* where the pattern stands */
	_Atomic int jit;         /* 0: not JIT-compiled yet */
};

/* JIT-compile rd's pattern, once (thread-safe): before the first match, by
 * whoever matches it. A `redact: true` condition does so itself. */
void rule_redact_jit(const struct rule_redact *rd);

/*
 * A rule. Its insides are private to rules/ (rules/rule_impl.h: the
 * condition tree, the redactions, where each part stands). Other modules
 * hold and read its description: one read-only record rather than an
 * accessor per field, so callers stay as short as a field read; the rule
 * holds it first, so rule_desc is a cast and costs nothing where triage
 * reads it per pair of findings. ruleset_match and the examples runner
 * hand it out; rule_desc(NULL) is NULL. It is the rule's, freed with it
 * (ruleset_free).
 */
struct rule;

struct rule_desc {
	char *id;
	char *title;
	char *category;
	enum rule_role role;
	enum level level;
	char *message;           /* template: {capture}, {field.path} */
	char **why;              /* templates, symptom first */
	size_t nwhy;
	char *fix;               /* template, or NULL */
	char **explains;         /* rule ids */
	size_t nexplains;
	struct rule **explains_rule;   /* resolved by ruleset_finish */
	long within_ms;          /* correlate.within; 0 when no correlate */
	unsigned correlate_by;   /* CORR_* mask */
	struct rule_example *ex_match, *ex_nomatch;
	size_t nex_match, nex_nomatch;
	char *file;              /* where the rule was defined */
	long line;
	size_t index;            /* position in the ruleset (sorted by id) */
};

static inline const struct rule_desc *rule_desc(const struct rule *r)
{
	return (const struct rule_desc *)(const void *)r;
}

/*
 * Matching. A struct match holds the per-caller scratch (PCRE2 match data,
 * captured values), so one ruleset can be matched from several threads,
 * each with its own struct match. Captures are valid until the next
 * rule_match on the same struct match.
 */
#define MATCH_MAX_CAPS 32

struct match_cap {
	const char *name;    /* borrowed from the compiled pattern */
	const char *value;   /* into m->store */
	size_t voff;         /* private: value's offset while matching */
};

struct match {
	void *md;            /* pcre2_match_data_8 * */
	struct match_cap caps[MATCH_MAX_CAPS];
	size_t ncaps;
	struct buf store;
	struct buf scratch;
	void *mctx;          /* pcre2_match_context_8 *, with the limits */
	void *jit_stack;     /* pcre2_jit_stack_8 *, bounded */
	uint64_t *cand;      /* ruleset_match: a bit per rule that may match */
	size_t ncand;        /* its words */
};

void rule_match_init(struct match *m);
void rule_match_clear(struct match *m);           /* frees; NULL-safe */

/* Regex limits: a pattern that runs past them counts as no match, and the
 * sink gets one warning naming the rule and the event's source:line. */
#define RULE_MATCH_LIMIT 1000000u
#define RULE_DEPTH_LIMIT 10000u
#define RULE_HEAP_LIMIT_KIB 20480u
#define RULE_FILE_MAX ((size_t)1 << 20)   /* bytes of a rule file */
#define RULESET_MAX_RULES 10000

/* 1 when ev matches r (captures in m), 0 when not. */
int rule_match(const struct rule *r, const struct event *ev, struct match *m,
	       const struct warn_sink *w);

/* Expand a template: "{name}" is a capture, "{a.b}" an event field
 * (event_field); "{{" / "}}" are literal braces; an unknown name stays as
 * written. Appends to out. */
int rule_render(const char *tmpl, const struct event *ev,
		const struct match *m, struct buf *out);

#endif
