#ifndef LOGWHY_SHARD_H
#define LOGWHY_SHARD_H

#include <stdio.h>
#include <jansson.h>

#include "rules/ruleset.h"
#include "triage/triage.h"
#include "util/diag.h"

/*
 * Shards, for map and reduce: `logwhy triage --shard` writes the JSON report
 * with a "shard" section that holds what a reduce step needs to rebuild the
 * triage of a larger input; `logwhy merge` reads shards back, in the order
 * given, into a triage that triage_finish then correlates as if it had read
 * the whole input. The "shard" section:
 *   {"format":1, "rules":"<digest of the rules>", "records":N,
 *    "span":[first_us|null,last_us|null], "overflow":N,
 *    "inputs":[[name|null, last_us|null],...], "warnings":[text,...],
 *    "groups":[{"rule","key","captures":[[name,value],...],"message","fix",
 *               "why":[...],"example":[source,line,text],"count",
 *               "overflow":true (only for a rule's overflow group)},...],
 *    "findings":[[ts_us|null, group, input, "hex",... (SPOOL_KEYS key
 *                 hashes, "" when absent)],...]}
 * Groups come in first-appearance order (the per-rule overflow groups
 * last), findings in (time, arrival) order. "findings" comes last, so it is
 * read as a stream: memory holds the groups, never the findings (the
 * triage's spool spills them to disk). An input continues the previous
 * shard's last input when both have the same name: its findings without a
 * time take that input's latest time, as they would have in one run.
 */
#define SHARD_FORMAT 1
#define SHARD_MAX_HEAD ((size_t)512 << 20)   /* a shard's bytes before its findings */

/*
 * Write report (the JSON report of r, borrowed) with the "shard" section
 * of t added, on one line. Call after triage_finish; rs is the ruleset t
 * was made with. 0, or -1 on a write or I/O error (errno).
 */
int shard_write(FILE *out, const json_t *report, const struct triage_report *r, struct triage *t,
		const struct ruleset *rs);

/*
 * Add every shard in f (one or more, whitespace between) to t, which was
 * made with rs (both borrowed). name is for messages. 0, or -1 with d =
 * name:line:col of the problem.
 */
int shard_read(struct triage *t, const struct ruleset *rs, FILE *f, const char *name,
	       struct diag *d);

#endif
