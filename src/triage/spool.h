#ifndef LOGWHY_SPOOL_H
#define LOGWHY_SPOOL_H

#include <stddef.h>
#include <stdint.h>

/*
 * The findings triage correlates, in a compact fixed-size form, stored so
 * memory stays bounded however many there are: up to SPOOL_RUN findings
 * live in memory; beyond that, sorted runs go to a temporary file and are
 * merged into one sorted file read through a small block cache.
 */
enum { SPOOL_KEYS = 5 };   /* connection, trace, instance, user, span */

struct spot {
	int64_t ts;                 /* µs since the epoch (inherited when the record had none) */
	uint32_t seq;               /* arrival order, a stable tie-break */
	uint32_t group;             /* triage group index */
	int32_t explainer;          /* index of the finding that explains this one, -1 none */
	uint16_t rule;              /* rule index in the ruleset */
	uint16_t input;             /* input it came from (capped at 65535): records
	                               without a time inherit from their input */
	uint32_t ord;               /* the record's place in its input (1, 2, ...):
	                               the clock of records with no time; 0 unknown */
	uint64_t key[SPOOL_KEYS];   /* FNV-1a of each correlation key, 0 when absent */
};

#define SPOOL_RUN ((size_t)1 << 18)   /* findings kept in memory: 18 MiB */

struct spool;

struct spool *spool_new(void);
int spool_add(struct spool *s, const struct spot *f);   /* -1: I/O error (errno) */
/* Before spool_sort: call fn on every finding added so far (spilled runs
 * first, then those in memory); fn returns 0 to go on. 0, or -1 on an I/O
 * error (errno) or when fn stopped. Adding may go on afterwards. */
int spool_each(struct spool *s, int (*fn)(void *ctx, const struct spot *f), void *ctx);
/* Sort everything by (ts, seq); afterwards spool_get/spool_put work by index. */
int spool_sort(struct spool *s);
size_t spool_count(const struct spool *s);
/* The finding at index i (copied into *out); -1 on an I/O error. */
int spool_get(struct spool *s, size_t i, struct spot *out);
/* Write back a finding (after changing its explainer). */
int spool_put(struct spool *s, size_t i, const struct spot *f);
void spool_free(struct spool *s);   /* NULL-safe; removes the temporary file */

#endif
