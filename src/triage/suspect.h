#ifndef LOGWHY_SUSPECT_H
#define LOGWHY_SUSPECT_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "pattern/pattern.h"
#include "rules/rule.h"
#include "triage/spool.h"

/*
 * Suspects: causes no rule knows. The records no rule matched that are
 * warnings or worse (or tracebacks) are reduced to their patterns; after
 * correlation, each symptom no rule explained looks back SUSPECT_WINDOW_US
 * for them, linked the way rules link (a shared connection, trace or
 * instance; time alone when one side carries none of those keys; another
 * value of a key both carry rules the pair out). A pattern is a suspect
 * when it precedes unexplained symptoms at least SUSPECT_MIN_LIFT times as
 * often as chance would: its base rate is its count in the whole input,
 * spread over the input's span and over the distinct values of the key it
 * is linked by. Suspects rank by symptoms preceded times log2(lift), then
 * median lead time, count and id: a rare error that is always right
 * before the symptoms outranks a frequent one that is everywhere.
 *
 * Memory: the pattern set's cap, plus the records in a spool (bounded
 * in memory, spilling to a temporary file).
 */
#define SUSPECT_WINDOW_US ((int64_t)5000000)
#define SUSPECT_MIN_LIFT 2.0
#define SUSPECT_MAX 10          /* suspects reported */
#define SUSPECT_SCAN 4096       /* records looked at behind each symptom */
#define SUSPECT_LEADS 256       /* lead times kept per pattern for the median */

enum suspect_link { SUSPECT_BY_CONNECTION = 0, SUSPECT_BY_TRACE, SUSPECT_BY_INSTANCE,
		    SUSPECT_BY_TIME, SUSPECT_NLINKS };

struct suspect {
	const struct pattern *pattern;   /* borrowed from the suspect set */
	long count;                      /* its warning-or-worse records */
	long symptoms;                   /* unexplained symptoms it precedes */
	long lead_ms;                    /* median lead before them */
	double lift;
	long linked[SUSPECT_NLINKS];     /* symptoms linked by each key, or by time */
	int has_ts;
	int64_t first_us, last_us;       /* of those records */
	const struct rule_desc *explains[8];  /* symptom rules it preceded, most first */
	long nexplained[8];
	size_t nexplains;
};

struct suspect_set;

/* w (borrowed) hears the pattern cap's warning. NULL: out of memory. */
struct suspect_set *suspect_new(const struct warn_sink *w);
void suspect_free(struct suspect_set *s);     /* NULL-safe */

/* A record at time ts (INT64_MIN: none); matched: some rule matched it
 * (then it is no suspect's). -1 on an I/O or allocation error. */
int suspect_feed(struct suspect_set *s, const struct event *ev, int64_t ts, int matched);
/* A symptom finding no rule explained; key as triage hashes them
 * (connection, trace, instance, user, span). -1 on an I/O error. */
int suspect_symptom(struct suspect_set *s, int64_t ts, const uint64_t key[SPOOL_KEYS],
		    const struct rule_desc *r);
/* Correlate and rank, once everything is in; span is the input's.
 * -1 on an I/O or allocation error. */
int suspect_finish(struct suspect_set *s, int has_span, int64_t first_us, int64_t last_us);
/* After suspect_finish: the suspects, ranked (borrowed). */
size_t suspect_count(const struct suspect_set *s);
const struct suspect *suspect_at(const struct suspect_set *s, size_t i);
/* The patterns of the candidate records (borrowed). */
const struct pattern_set *suspect_patterns(const struct suspect_set *s);
/* 1 when ev would be a candidate (a warning or worse, or a traceback). */
int suspect_candidate(const struct event *ev);

#endif
