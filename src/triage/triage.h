#ifndef LOGWHY_TRIAGE_H
#define LOGWHY_TRIAGE_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "rules/ruleset.h"
#include "triage/suspect.h"
#include "triage/where.h"

/*
 * Triage: findings grouped by rule and captures, each symptom followed down
 * its chain of explanations (rule `explains` + `correlate`) to the deepest
 * cause. Feed events in any order from any number of inputs; triage_finish
 * sorts the findings by time and correlates them. Memory is bounded by the
 * number of groups (capped) plus a fixed spool buffer.
 */
#define TRIAGE_MAX_GROUPS 10000
#define TRIAGE_MAX_DEPTH 8
#define TRIAGE_BUCKETS 32
#define TRIAGE_MAX_CHAINS 4
#define TRIAGE_MAX_LINKS 16
#define TRIAGE_EXAMPLE_MAX 2048
/*
 * Records with no time (no record of their input had one before them) are
 * correlated by their order instead: a finding is explained by one at most
 * TRIAGE_ORDER_WINDOW records before it in the same input, with the same
 * rules, keys and ranking as a time window (a shared key beats order
 * alone, then the nearer). Only before: a log is written in order, and a
 * cause printed after its symptom did not cause it.
 */
#define TRIAGE_ORDER_WINDOW 10

struct triage_count {
	const struct rule_desc *rule;
	long n;
};

struct triage_chain {
	const struct rule_desc *rule[TRIAGE_MAX_DEPTH + 1];   /* symptom first */
	size_t len;
	long n;
	/* the groups of the first such chain seen, symptom first */
	const struct triage_group *grp[TRIAGE_MAX_DEPTH + 1];
};

struct triage_group {
	const struct rule_desc *rule;
	char *key;                 /* "name=value\x1f..." of the captures: the group's identity */
	struct match_cap *caps;    /* name/value pairs, owned (both strings) */
	size_t ncaps;
	char *message, *fix;       /* rendered from the first finding */
	char **why;
	size_t nwhy;
	long count;
	int has_ts;
	int64_t first_us, last_us;
	/* where its first and last findings are (input index for
	 * triage_report.inputs, and line): when it has no time, the report
	 * says where it was seen by position */
	int has_pos;
	unsigned first_input, last_input;
	long first_line, last_line;
	char *ex_source, *ex_text; /* one example record */
	long ex_line;
	/* filled by triage_finish */
	long explained_symptoms;   /* symptoms whose chain passes through this group */
	long verdict_symptoms;     /* symptoms whose deepest cause is this group */
	long explained, unexplained;   /* symptom groups: how many were explained */
	long matched;              /* closes with no time and no keys explained through a
				      timed close of the same code and reason */
	long ordered;              /* symptoms with no time explained by a cause
				      a few records before them (TRIAGE_ORDER_WINDOW) */
	struct triage_count explains[TRIAGE_MAX_LINKS];
	size_t nexplains;
	struct triage_count evidence[TRIAGE_MAX_LINKS];
	size_t nevidence;
	struct triage_chain chains[TRIAGE_MAX_CHAINS];
	size_t nchains;
	/* this cause's top chain (chains[0]), NULL when no symptom was
	 * linked to it: the why lines of the symptom and of the causes above
	 * this one in it come first in its why-chain (see triage_why_at) */
	const struct triage_chain *linked;
	long hist[TRIAGE_BUCKETS];      /* findings per time bucket (the report's
					   nbuckets of them are used) */
	long shist[TRIAGE_BUCKETS];     /* symptoms it explains, per bucket */
	long uhist[TRIAGE_BUCKETS];     /* symptom groups: the unexplained, per bucket */
	/* where its findings were seen (src/triage/where.h), NULL when no
	 * record of it named a revision, service or instance; sorted by
	 * triage_finish. Owned. */
	struct where *where;
	/* seen on one revision only, and a revision that started later (and
	 * after its last finding) has none of it: that revision's name
	 * (borrowed), else NULL */
	const char *gone_after;
};

struct triage_report {
	long records;
	int has_span;
	int64_t first_us, last_us;
	const struct triage_group *verdict;       /* NULL when nothing explains */
	struct triage_group **causes;             /* role cause, ranked */
	size_t ncauses;
	struct triage_group **symptoms;           /* one per symptom rule, by id */
	size_t nsymptoms;
	char **warnings;
	size_t nwarnings;
	/* the histograms' time axis: nbuckets buckets of bucket_us each from
	 * bucket0_us (a multiple of bucket_us), the width a round one chosen
	 * for the span; nbuckets 0 without a span */
	int64_t bucket0_us, bucket_us;
	int nbuckets;
	/* the input's revisions by their first record (borrowed) */
	const struct where_revision *revisions;
	size_t nrevisions;
	long overflow;                            /* findings that hit the group cap */
	long close_matched;                       /* closes matched by code and reason */
	long order_matched;                       /* symptoms matched by record order */
	const char **inputs;                      /* input names by index (borrowed
						     from t; NULL: no event came) */
	size_t ninputs;
	long overflow_warning;    /* index in warnings of triage's own cap warning, -1 none */
	/* causes no rule knows (src/triage/suspect.h), ranked; borrowed from
	 * t. suspects_known is 0 when the records were not read here (a
	 * merge of shards), which carry none */
	const struct suspect *suspects;
	size_t nsuspects;
	int suspects_known;
};

struct triage;

/* rs is borrowed and must outlive t. w receives match-limit warnings. */
struct triage *triage_new(const struct ruleset *rs, const struct warn_sink *w);
/* Look for no suspects (the report says none were looked for). */
void triage_no_suspects(struct triage *t);
/* Run every rule on ev; input numbers the input the event came from.
 * -1 on an I/O or allocation error (errno). */
int triage_feed(struct triage *t, const struct event *ev, int input);
/* Keep a warning for the report (copied; at most 100 kept). */
void triage_warning(struct triage *t, const char *text);
/* Correlate and rank. The report stays owned by t. NULL on I/O error. */
const struct triage_report *triage_finish(struct triage *t);
void triage_free(struct triage *t);   /* NULL-safe */

/*
 * A copy of what t has been fed so far (groups, findings, inputs, span,
 * warnings), to finish and report while t goes on being fed: triage -f's
 * live view. t must not be finished yet. NULL on an allocation or I/O
 * error (errno). Free with triage_free.
 */
struct triage *triage_snapshot(struct triage *t);

/*
 * The why-chain of a cause as a report prints it: the why lines of the
 * symptom actually linked to it and of each cause between them (none when
 * no symptom was linked), then the cause's own; context rules in the chain
 * are evidence and add none. A rule's why states only its own steps, so a
 * cause found with no symptom never claims one.
 */
size_t triage_why_count(const struct triage_group *g);
const char *triage_why_at(const struct triage_group *g, size_t i);

/* Bucket of a time for the report's histograms (0 .. nbuckets - 1). */
int triage_bucket(const struct triage_report *r, int64_t us);

#endif
