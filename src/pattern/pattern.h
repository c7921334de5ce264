#ifndef LOGWHY_PATTERN_H
#define LOGWHY_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "util/buf.h"
#include "util/diag.h"

/*
 * Patterns: the templates behind a log's messages, mined online.
 *
 * A message is reduced to one line (a traceback or a "--- Logging error ---"
 * block to its exception line, anything else to its first line), cut into
 * whitespace tokens, and the variable parts are masked by their shape
 * (numbers, hex, UUIDs, addresses and ports, URLs, paths, emails, quoted
 * values, durations, dates and times, ids such as ws_3b9f2c). Similar
 * masked messages merge Drain-style: a fixed-depth tree (token count, then
 * the first token) leads to a few candidate patterns, the most similar one
 * takes the message when at least PATTERN_SIM of its tokens agree, and the
 * positions where they differ become wildcards. The threshold is one
 * constant: nothing is tuned per input.
 *
 * Memory is bounded: at most the cap given to pattern_set_new patterns;
 * past it, a message that fits no pattern is counted as overflow (and the
 * warning sink hears of it once). Same input in the same order, same
 * patterns, ids and output.
 */
#define PATTERN_MAX 4096            /* default cap on distinct patterns */
#define PATTERN_MAX_TOKENS 48       /* tokens looked at; the rest become one wildcard */
#define PATTERN_LINE_MAX 1024       /* bytes of the message line looked at */
#define PATTERN_EXAMPLE_MAX 512     /* bytes of each kept example line */
#define PATTERN_EXAMPLES 3          /* distinct example lines kept per pattern */
#define PATTERN_SIM 0.5             /* share of tokens that must agree to merge */
#define PATTERN_ID_LEN 9            /* "p" + 8 hex digits */

/* What a masked token stood for. PATTERN_WILD is a position where the
 * messages of one pattern differ. */
enum pattern_kind {
	PATTERN_LITERAL = 0,
	PATTERN_NUM,
	PATTERN_HEX,
	PATTERN_UUID,
	PATTERN_IP,
	PATTERN_URL,
	PATTERN_PATH,
	PATTERN_EMAIL,
	PATTERN_STR,
	PATTERN_DUR,
	PATTERN_TIME,
	PATTERN_ID,
	PATTERN_WILD,
	PATTERN_NKINDS,
};

const char *pattern_kind_name(enum pattern_kind k);   /* "NUM", "HEX", ... "*" */

/*
 * One token of a template: a literal (text owned by the pattern), or a
 * mask with the literal text around it ("(" and ")," around "<NUM>").
 */
struct pattern_tok {
	enum pattern_kind kind;
	const char *pre, *post;     /* masks: literal prefix and suffix ("" none) */
	const char *text;           /* literals: the token */
};

struct pattern_example {
	char *source;
	long line;
	char *text;                 /* the message line, at most PATTERN_EXAMPLE_MAX bytes */
};

struct pattern {
	char id[PATTERN_ID_LEN + 1];
	size_t index;               /* creation order */
	struct pattern_tok *tok;
	size_t ntok;
	long count;
	long sev[SEV_EMERGENCY + 1];   /* records per severity */
	int has_ts;
	int64_t first_us, last_us;
	struct pattern_example ex[PATTERN_EXAMPLES];   /* first distinct lines */
	size_t nex;
	/* private */
	char *store;                /* the tokens' text */
	size_t first_leaf;
};

struct pattern_set;

/* cap 0 means PATTERN_MAX. w (borrowed, may be NULL) hears the overflow
 * warning once. NULL when out of memory. */
struct pattern_set *pattern_set_new(size_t cap, const struct warn_sink *w);
void pattern_set_free(struct pattern_set *ps);     /* NULL-safe */

/*
 * The pattern of ev's message: its index (creation order, stable for the
 * run), or -1 when the cap is reached and it fits no pattern (counted as
 * overflow), or -2 when out of memory.
 */
long pattern_add(struct pattern_set *ps, const struct event *ev);

size_t pattern_count(const struct pattern_set *ps);
const struct pattern *pattern_at(const struct pattern_set *ps, size_t i);   /* borrowed */
/* NULL when no pattern has that id. */
const struct pattern *pattern_find(const struct pattern_set *ps, const char *id);
long pattern_overflow(const struct pattern_set *ps);   /* records counted as overflow */
long pattern_records(const struct pattern_set *ps);    /* records added */

/* The patterns ranked: count (descending), then id. Caller frees the array
 * (the patterns stay the set's). NULL when out of memory (or none). */
const struct pattern **pattern_ranked(const struct pattern_set *ps, size_t *n);

/* The template as text: literals and "<KIND>" masks joined by spaces. */
int pattern_render(const struct pattern *p, struct buf *out);

/*
 * A PCRE2 regex for the pattern's lines: literals escaped, tokens apart by
 * \s+, each masked token a named capture (named after a "key=" before it,
 * else after its kind: num1, id2, ...), wildcards \S+ captures too. tmpl
 * (may be NULL) gets a rule message template with {name} for each capture.
 * -1 on allocation failure.
 */
int pattern_regex(const struct pattern *p, struct buf *re, struct buf *tmpl);
/* 1 when a message's line masks to tokens the pattern covers (same count;
 * every token not a wildcard equal), 0 when not. */
int pattern_fits(const struct pattern *p, const char *msg, size_t len);

/* Exposed for tests and for rules suggest: the line of a message that
 * names it (see above), as *start and *len into msg. */
void pattern_line(const char *msg, size_t len, size_t *start, size_t *n);
/* Mask one line and render it as pattern_render would ("<NUM>" etc.). */
int pattern_mask_text(const char *line, size_t len, struct buf *out);

#endif
