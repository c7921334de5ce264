#ifndef LOGWHY_MERGE_H
#define LOGWHY_MERGE_H

#include <stdio.h>

#include "rules/rule.h"
#include "triage/triage.h"
#include "util/diag.h"

/*
 * The reduce step: shards written by `logwhy triage --output json --shard`
 * (or by a merge with --shard) are added, in the order given, to a triage
 * that triage_finish then correlates as if it had read the whole input.
 *
 * A shard is one JSON object, the report plus a "shard" section:
 *   {"format":1, "rules":"<digest of the rules>", "records":N,
 *    "span":[first_us|null,last_us|null], "overflow":N,
 *    "inputs":[[name|null, last_us|null],...], "warnings":[text,...],
 *    "groups":[{"rule","key","captures":[[name,value],...],"message","fix",
 *               "why":[...],"example":[source,line,text],"count",
 *               "overflow":true (only for a rule's overflow group)},...],
 *    "findings":[[ts_us|null, group, input, "hex",... (5 key hashes,
 *                 "" when absent)],...]}
 * Groups come in first-appearance order, findings in (time, arrival)
 * order. "findings" comes last, so it is read as a stream: memory holds the
 * groups, never the findings (the triage's spool spills them to disk).
 * An input continues the previous shard's last input when both have the
 * same name: its findings without a time take that input's latest time,
 * as they would have in one run.
 */
#define MERGE_MAX_HEAD ((size_t)512 << 20)   /* a shard's bytes before its findings */

struct merge;

/* t and rs are borrowed and must outlive m; rs is the ruleset t was made with. */
struct merge *merge_new(struct triage *t, const struct ruleset *rs);
/* Add every shard in f (one or more, whitespace between). name is for
 * messages. 0, or -1 with d = name:line:col of the problem. */
int merge_read(struct merge *m, FILE *f, const char *name, struct diag *d);
long merge_shards(const struct merge *m);   /* shards added so far */
void merge_free(struct merge *m);           /* NULL-safe */

#endif
