#ifndef LOGWHY_TRIAGE_IMPL_H
#define LOGWHY_TRIAGE_IMPL_H

#include "triage/spool.h"
#include "triage/triage.h"

/*
 * triage's inside, for src/triage/shard.c only. A shard is what a reduce
 * step needs to rebuild the triage of a larger input: the groups (in first-appearance order, the
 * per-rule overflow groups last, in the order they were made), the compact
 * findings, the inputs, the record count, span and warnings. Rebuilding
 * goes through the same grouping and finding code as triage_feed, so a
 * merge of shards taken in input order correlates exactly like one run.
 */
struct triage_finding {
	int64_t ts;                /* INT64_MIN: no time (yet) */
	size_t group;              /* index for triage_group_at */
	unsigned input;            /* index for triage_input_at */
	uint64_t key[SPOOL_KEYS];  /* correlation key hashes, 0 when absent */
};

/* Fingerprint of what correlation depends on in the rules (ids, roles,
 * levels, explains, correlate): shards from other rules cannot merge. */
uint64_t triage_rules_digest(const struct ruleset *rs);

size_t triage_ngroups(const struct triage *t);
/* Borrowed; *overflow set when it is a per-rule overflow group. */
const struct triage_group *triage_group_at(const struct triage *t, size_t i, int *overflow);
size_t triage_ninputs(const struct triage *t);
/* The input's name (borrowed, NULL when it gave no event) and its latest
 * time (0 when none). */
const char *triage_input_at(const struct triage *t, size_t i, int *has_last, int64_t *last_us);
/* After triage_finish: the findings in (time, arrival) order. */
size_t triage_nfindings(const struct triage *t);
int triage_finding_at(struct triage *t, size_t i, struct triage_finding *f);   /* -1: I/O */

/* Rebuilding: records and span of a shard. */
void triage_add_records(struct triage *t, long records, int has_span, int64_t first_us,
			int64_t last_us);
/* A new input (name copied, may be NULL); its index, -1 on allocation error. */
long triage_add_input(struct triage *t, const char *name);
void triage_set_input_last(struct triage *t, size_t input, int64_t last_us);
/*
 * A group made elsewhere, as its first finding rendered it: src and what it
 * points to are borrowed and copied (rule, key, caps, message, fix, why,
 * example; counts are not: findings bring them). The same identity (rule +
 * key) gives the same group; past TRIAGE_MAX_GROUPS, or when overflow is
 * set, the rule's overflow group. Returns the id for triage_add_finding,
 * or LONG_MIN on allocation error.
 */
long triage_add_group(struct triage *t, const struct triage_group *src, int overflow);
/* One finding of group gid; -1 on an I/O or allocation error. */
int triage_add_finding(struct triage *t, long gid, int64_t ts, unsigned input,
		       const uint64_t key[SPOOL_KEYS]);

#endif
