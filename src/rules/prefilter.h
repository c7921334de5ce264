#ifndef LOGWHY_PREFILTER_H
#define LOGWHY_PREFILTER_H

#include <stddef.h>
#include <stdint.h>

#include "rules/ruleset.h"

/*
 * The prefilter: a set of literals such that every record some rule of a
 * ruleset can match contains at least one of them in its raw bytes (ASCII
 * case ignored). A record that contains none of them need not be parsed
 * for matching; only its time still counts (see event_skim).
 *
 * Each rule contributes what its condition tree requires: an `all` the
 * best of its parts, an `any` every branch, a regex the literal runs every
 * match must contain (alternations give several), a field its key name,
 * a close condition the words the close-trace parser needs. A rule that
 * requires nothing the prefilter can see (a bare severity, a `not`, a
 * regex of runs shorter than
 * PREFILTER_MIN_LIT bytes) turns the prefilter off: prefilter_build then
 * returns NULL and every record is parsed.
 *
 * Conservative across JSON escapes: literals never hold '"', '\\', '/' or
 * control bytes, so in a record without \u escapes a decoded string that
 * contains a literal shows it verbatim in the raw bytes. Records with \u
 * escapes are never skipped (event_skim refuses them).
 */
struct prefilter;

#define PREFILTER_MIN_LIT 3   /* shorter literals hit nearly every record: not required */
#define PREFILTER_WORDS 16    /* at most 1024 distinct literals: a rule pack of
                                 every stack's wordings needs more than 256, and a
                                 message's literals count apart from the record's */

/* NULL when some rule cannot be prefiltered (or out of memory): no record
 * may be skipped. why (may be NULL) names the first such rule. */
struct prefilter *prefilter_build(const struct ruleset *rs, const char **why);
/*
 * Per rule, for one event (ruleset_match): bit i of the mask is set when
 * rule i of rs may match an event whose message and text are a and b (a
 * may lie inside b) and that has a close trace or not (has_close). A
 * message regex's literals count in a alone.
 * What a rule requires is what its message and text regexes require, and
 * a close condition a close trace (a joined event keeps its first part's
 * fields, so fields but the message require nothing); a rule that
 * requires nothing is always a candidate. Exact across escapes: the
 * event's message is decoded text, and its text is what a text condition
 * reads. NULL when out of memory.
 */
struct prefilter *prefilter_build_rules(const struct ruleset *rs);
size_t prefilter_rule_words(const struct prefilter *pf);   /* uint64_t words of a mask */
void prefilter_rules(const struct prefilter *pf, const char *a, size_t na,
		     const char *b, size_t nb, int has_close, uint64_t *mask);
/* The same over n regexes (pat[i] of len[i] bytes) and extra literals
 * (NULL-terminated list, may be NULL; each at least PREFILTER_MIN_LIT
 * bytes): 0 from prefilter_may_match means none of the regexes can match
 * these raw bytes and none of the literals is in them. Regexes run on
 * decoded text (sanitize) also need the caller to pass records whose
 * escapes could spell a literal (\u, \/, Python's \x). NULL when some
 * regex requires nothing the prefilter can see (or out of memory). */
struct prefilter *prefilter_build_patterns(const char *const *pat, const size_t *len, size_t n,
					   const char *const *extra);
/* 1 when some rule may match a record with these raw bytes; 0 when none. */
int prefilter_may_match(const void *pf, const char *raw, size_t len);
/* The same for a record whose message the caller knows: the exact text a
 * message condition would read, or its raw bytes with no escapes but
 * \" \\ \b \f \n \r \t (event_skim's). A message condition's literals
 * are looked for in it alone, the others in the record; far fewer bytes
 * to look through when most of a record is metadata. */
int prefilter_may_match_msg(const void *pf, const char *raw, size_t len,
			    const char *msg, size_t nmsg);
void prefilter_free(struct prefilter *pf);                /* NULL-safe */

/* Exposed for tests: what every match of a PCRE2 pattern must contain,
 * into out: one alternative a line, the literals it needs all of joined by
 * " & " (lower-cased; '#' is any digit), or "" when nothing is known.
 * Returns the number of alternatives (0: none). */
size_t prefilter_regex_need(const char *pat, size_t len, char *out, size_t outsize);
/* Exposed for tests: 1 looks through text one position at a time only,
 * also where the machine could take 64 (the result is the same). */
void prefilter_scan_plain(int on);

#endif
