#ifndef LOGWHY_WHERE_H
#define LOGWHY_WHERE_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"

/*
 * Where a finding happened: the revision, service and instance its record
 * names (whatever keys the source carries: a Cloud Run LogEntry's
 * resource.labels.revision_name and service_name, a pod, a host, a log
 * stream as the event's instance). Values are interned in one pool per
 * triage, bounded by WHERE_POOL_MAX; each group counts at most WHERE_MAX
 * values of a kind, and the rest as "other". Memory is bounded by the
 * number of groups, never by the records.
 */
enum where_kind { WHERE_REVISION = 0, WHERE_SERVICE, WHERE_INSTANCE, WHERE_KINDS };

#define WHERE_MAX 32
#define WHERE_POOL_MAX 4096
#define WHERE_VALUE_MAX 128

const char *where_kind_name(int kind);   /* "revision", "service", "instance" */

struct where_count {
	const char *value;    /* borrowed from the pool */
	long n;
};

struct where {
	struct where_count top[WHERE_KINDS][WHERE_MAX];
	size_t n[WHERE_KINDS];
	long other[WHERE_KINDS];   /* findings on values past the WHERE_MAX kept,
				      or past the pool's cap */
};

/* A revision of the input and when its first record was seen. */
struct where_revision {
	const char *name;     /* borrowed from the pool */
	int64_t first_us;
};

struct where_pool;

struct where_pool *where_pool_new(void);
void where_pool_free(struct where_pool *p);   /* NULL-safe */

/*
 * The values of ev, interned: vals[k] NULL when the record names none,
 * WHERE_OTHER when it names one the full pool could not keep. With
 * revision_only set only the revision is looked up (cheaper: every record
 * is noted for the revisions' start times). ts is the record's time
 * (INT64_MIN none). -1 on allocation error.
 */
extern const char WHERE_OTHER[];
int where_note(struct where_pool *p, const struct event *ev, int64_t ts, int revision_only,
	       const char *vals[WHERE_KINDS]);

/* Count one finding with values vals into *w (allocated on first need,
 * freed by the caller with free()). -1 on allocation error. */
int where_add(struct where **w, const char *const vals[WHERE_KINDS]);
/* Add all of src's counts into *w, its values interned in p (a copy of
 * a group's counts made from another triage). -1 on allocation error. */
int where_merge(struct where_pool *p, struct where **w, const struct where *src);
/* Copy src's revisions and their start times into p. */
int where_pool_copy_revisions(struct where_pool *p, struct where_pool *src);
/* Count n findings of one value of kind into *w (the value interned in p;
 * WHERE_OTHER counts as elsewhere): rebuilding counts from a shard. */
int where_add_value(struct where_pool *p, struct where **w, int kind, const char *value, long n);
/* A revision seen first at ts (INT64_MIN: no time): rebuilding from a shard. */
int where_add_revision(struct where_pool *p, const char *name, int64_t ts);
/* Sort each kind by count (most first), then value. */
void where_sort(struct where *w);

/* The input's revisions ordered by first record (borrowed, valid until
 * the pool is freed). */
size_t where_revisions(struct where_pool *p, const struct where_revision **out);

#endif
