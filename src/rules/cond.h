#ifndef LOGWHY_COND_H
#define LOGWHY_COND_H

#include <stddef.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rules/ruleset.h"

/*
 * Private to src/rules: the compiled condition tree behind rule->match.
 * Built by the loader (ruleset.c), evaluated by rule_match (rule.c).
 */
enum cond_kind {
	COND_ALL,        /* every kid */
	COND_ANY,        /* some kid */
	COND_NOT,        /* kid[0] does not match */
	COND_MESSAGE,    /* re on ev->msg */
	COND_TEXT,       /* re on ev->text */
	COND_FIELD,      /* re on event_field(path) */
	COND_CLOSE,      /* ev->close.present and every given part */
	COND_SEVERITY,   /* ev->sev >= sev */
	COND_REDACT,     /* one of the rule's redact patterns matches ev->text */
};

/* Conditions nest at most this deep (any/not inside any/not ...). */
#define COND_MAX_DEPTH 16
/* Capture groups per pattern: the match data is sized for this many. */
#define COND_MAX_GROUPS 99

struct cond_re {
	pcre2_code *code;
	PCRE2_SPTR names;        /* name table, borrowed from code */
	uint32_t nnames, name_size;
	char *src;               /* the pattern as written (the prefilter reads it) */
	_Atomic int jit;         /* 0: not tried yet (cond_re_jit), RE_JIT:
				    matched with pcre2_jit_match, RE_INTERP */
	size_t srclen;
};

struct cond {
	enum cond_kind kind;
	struct cond **kid;       /* ALL, ANY, NOT (owned) */
	size_t nkid;
	struct cond_re re;       /* MESSAGE, TEXT, FIELD, CLOSE reason (code may be NULL) */
	char *path;              /* FIELD */
	int *codes;              /* CLOSE: allowed codes, NULL = any */
	size_t ncodes;
	int *statuses;           /* CLOSE: allowed http_status, NULL = any */
	size_t nstatuses;
	int direction;           /* CLOSE: enum close_dir, CLOSE_DIR_UNKNOWN = any */
	int clean;               /* CLOSE: 0/1, -1 = any */
	int sev;                 /* SEVERITY: minimum enum sev */
	const struct rule_redact *redact;   /* REDACT: the rule's patterns, borrowed */
	size_t nredact;
	long line, col;          /* REDACT: where it stands, for the load error */
	struct prefilter *pf;    /* REDACT: the patterns' literals (owned, may be NULL) */
};

struct cond *cond_new(enum cond_kind kind);
int cond_add(struct cond *parent, struct cond *kid);   /* -1 on ENOMEM */
void cond_free(struct cond *c);                          /* NULL-safe */

/* Compile pat (UTF-8, invalid subjects tolerated) into re (JIT comes at its
 * first match, cond_re_jit). On error returns -1 with PCRE2's message in err and the
 * byte offset of the problem in *erroff. */
int cond_re_compile(struct cond_re *re, const char *pat, size_t len,
		    char *err, size_t errsize, size_t *erroff);

/* JIT-compile re the first time (thread-safe); 1 when it is JIT code. */
enum { RE_JIT = 1, RE_INTERP = 2 };
int cond_re_jit(const struct cond_re *re);
/* The same for a pattern whose state is *jit (a redact pattern's). */
int cond_code_jit(pcre2_code *code, _Atomic int *jit);

/* Put cheap conditions first in every ALL so regexes run only when needed. */
void cond_optimize(struct cond *c);

/* 1 match, 0 no match, -1 a regex gave up (limit): *why names the limit.
 * m must be ready (match data allocated). */
int cond_eval(const struct cond *c, const struct event *ev, struct match *m,
	      const char **why);

/* Free one rule and everything it owns (NULL-safe); ruleset_free uses it. */
void rule_free(struct rule *r);

#endif
