#include "triage/where.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

const char WHERE_OTHER[] = "(other)";

struct entry {
	char *value;
	int kind;
	int64_t first_us;     /* first record naming it, INT64_MAX none timed */
};

struct where_pool {
	struct entry *e;
	size_t n;
	size_t *table;        /* open addressing: entry index + 1, 0 empty */
	size_t tcap;
	struct where_revision **old;   /* every array where_revisions made */
	size_t nold, capold;
	size_t last;                   /* index + 1 of the revision interned last, 0 none */
	struct buf scratch;
};

/* The keys a service is read from, in order: payload first, then the
 * whole entry (event_field). The revision is revision_of's, the instance
 * the event's own key. */
static const char *const service_paths[] = {
	"resource.labels.service_name", "resource.labels.module_id",
	"resource.labels.function_name", "resource.labels.container_name",
	"kubernetes.container_name", "_SYSTEMD_UNIT", "service.name", "service",
};

const char *where_kind_name(int kind)
{
	static const char *const names[WHERE_KINDS] = { "revision", "service", "instance" };

	return kind >= 0 && kind < WHERE_KINDS ? names[kind] : "?";
}

struct where_pool *where_pool_new(void)
{
	struct where_pool *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	p->tcap = 64;
	p->table = calloc(p->tcap, sizeof *p->table);
	p->scratch.max = WHERE_VALUE_MAX + 1;
	if (!p->table) {
		free(p);
		return NULL;
	}
	return p;
}

void where_pool_free(struct where_pool *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		free(p->e[i].value);
	free(p->e);
	free(p->table);
	for (i = 0; i < p->nold; i++)
		free(p->old[i]);
	free(p->old);
	buf_free(&p->scratch);
	free(p);
}

static size_t hash(int kind, const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)kind;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return (size_t)h;
}

static int grow(struct where_pool *p)
{
	size_t cap = p->tcap * 2, i;
	size_t *t = calloc(cap, sizeof *t);

	if (!t)
		return -1;
	for (i = 0; i < p->n; i++) {
		size_t h = hash(p->e[i].kind, p->e[i].value, strlen(p->e[i].value)) & (cap - 1);

		while (t[h])
			h = (h + 1) & (cap - 1);
		t[h] = i + 1;
	}
	free(p->table);
	p->table = t;
	p->tcap = cap;
	return 0;
}

/* The pool's copy of value s (n bytes) of kind, WHERE_OTHER when the pool
 * is full, NULL on allocation error. */
static const char *intern(struct where_pool *p, int kind, const char *s, size_t n, int64_t ts)
{
	size_t h = hash(kind, s, n) & (p->tcap - 1);
	struct entry *e;

	while (p->table[h]) {
		e = &p->e[p->table[h] - 1];
		if (e->kind == kind && !strncmp(e->value, s, n) && !e->value[n]) {
			if (ts != INT64_MIN && ts < e->first_us)
				e->first_us = ts;
			if (kind == WHERE_REVISION)
				p->last = p->table[h];
			return e->value;
		}
		h = (h + 1) & (p->tcap - 1);
	}
	if (p->n >= WHERE_POOL_MAX)
		return WHERE_OTHER;
	if (!(p->n & (p->n + 1)) || !p->e) {
		/* capacities 1, 3, 7, ...: grow at each power of two */
		struct entry *ne = realloc(p->e, (p->n * 2 + 2) * sizeof *ne);

		if (!ne)
			return NULL;
		p->e = ne;
	}
	e = &p->e[p->n];
	if (!(e->value = malloc(n + 1)))
		return NULL;
	memcpy(e->value, s, n);
	e->value[n] = '\0';
	e->kind = kind;
	e->first_us = ts != INT64_MIN ? ts : INT64_MAX;
	p->table[h] = ++p->n;
	if (kind == WHERE_REVISION)
		p->last = p->n;
	if (p->n * 2 > p->tcap && grow(p) < 0)
		return NULL;
	return e->value;
}

/* A value worth counting: a short scalar, not a JSON object or array. */
static int usable(const struct buf *b)
{
	return b->len && b->len <= WHERE_VALUE_MAX && b->p[0] != '{' && b->p[0] != '[' &&
	       !memchr(b->p, '\n', b->len);
}

static int where_note_all(struct where_pool *p, const struct event *ev, int64_t ts,
			  const char *vals[WHERE_KINDS]);

/* A string member of o, else NULL. */
static const char *str_at(json_t *o, const char *key, size_t *n)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		return NULL;
	*n = json_string_length(v);
	return json_string_value(v);
}

/*
 * The revision of every record, read the cheap way (a few hash lookups,
 * no dotted-path search): a LogEntry's resource.labels, an OpenTelemetry
 * record's service.version, a skimmed LogEntry's own copy. The same
 * values where_note's full lookup finds first for a LogEntry.
 */
static const char *revision_of(const struct event *ev, size_t *n)
{
	json_t *lab;
	const char *v;

	if (ev->skimmed) {
		*n = strlen(ev->revision);
		return *n ? ev->revision : NULL;
	}
	if (!ev->entry)
		return NULL;
	lab = json_object_get(json_object_get(ev->entry, "resource"), "labels");
	if (lab && ((v = str_at(lab, "revision_name", n)) || (v = str_at(lab, "version_id", n))))
		return v;
	return str_at(ev->entry, "service.version", n);
}

int where_note(struct where_pool *p, const struct event *ev, int64_t ts, int revision_only,
	       const char *vals[WHERE_KINDS])
{
	if (revision_only) {
		size_t n = 0;
		const char *v = revision_of(ev, &n);

		vals[WHERE_INSTANCE] = vals[WHERE_SERVICE] = vals[WHERE_REVISION] = NULL;
		/* records come in runs of one revision: the last one seen is
		 * the likely one, and only an earlier time changes it */
		if (!v || !n || n > WHERE_VALUE_MAX || memchr(v, '\n', n))
			return 0;
		if (p->last) {
			struct entry *e = &p->e[p->last - 1];

			if (!strncmp(e->value, v, n) && !e->value[n]) {
				if (ts != INT64_MIN && ts < e->first_us)
					e->first_us = ts;
				vals[WHERE_REVISION] = e->value;
				return 0;
			}
		}
		if (!(vals[WHERE_REVISION] = intern(p, WHERE_REVISION, v, n, ts)))
			return -1;
		return 0;
	}
	return where_note_all(p, ev, ts, vals);
}

static int where_note_all(struct where_pool *p, const struct event *ev, int64_t ts,
			  const char *vals[WHERE_KINDS])
{
	const char *v;
	size_t i, n = 0;

	vals[WHERE_REVISION] = vals[WHERE_SERVICE] = vals[WHERE_INSTANCE] = NULL;
	v = revision_of(ev, &n);
	if (v && n && n <= WHERE_VALUE_MAX && !memchr(v, '\n', n) &&
	    !(vals[WHERE_REVISION] = intern(p, WHERE_REVISION, v, n, ts)))
		return -1;
	n = ev->instance ? strlen(ev->instance) : 0;
	if (n && n <= WHERE_VALUE_MAX &&
	    !(vals[WHERE_INSTANCE] = intern(p, WHERE_INSTANCE, ev->instance, n, ts)))
		return -1;
	if (ev->skimmed || (!ev->entry && !ev->payload))
		return 0;
	for (i = 0; i < sizeof service_paths / sizeof *service_paths; i++) {
		buf_reset(&p->scratch);
		if (event_field(ev, service_paths[i], &p->scratch) != 1 || !usable(&p->scratch))
			continue;
		if (!(vals[WHERE_SERVICE] = intern(p, WHERE_SERVICE, p->scratch.p, p->scratch.len, ts)))
			return -1;
		break;
	}
	return 0;
}

static int count(struct where **w, int kind, const char *v, long n)
{
	struct where *x = *w;
	size_t i;

	if (!x && !(x = *w = calloc(1, sizeof *x)))
		return -1;
	if (v == WHERE_OTHER) {
		x->other[kind] += n;
		return 0;
	}
	for (i = 0; i < x->n[kind]; i++)
		if (x->top[kind][i].value == v) {
			x->top[kind][i].n += n;
			return 0;
		}
	if (x->n[kind] < WHERE_MAX) {
		x->top[kind][x->n[kind]].value = v;
		x->top[kind][x->n[kind]++].n = n;
	} else {
		x->other[kind] += n;
	}
	return 0;
}

int where_add(struct where **w, const char *const vals[WHERE_KINDS])
{
	int k;

	for (k = 0; k < WHERE_KINDS; k++)
		if (vals[k] && count(w, k, vals[k], 1) < 0)
			return -1;
	return 0;
}

int where_merge(struct where_pool *p, struct where **w, const struct where *src)
{
	int k;
	size_t i;

	if (!src)
		return 0;
	for (k = 0; k < WHERE_KINDS; k++) {
		for (i = 0; i < src->n[k]; i++) {
			const char *v = intern(p, k, src->top[k][i].value,
					       strlen(src->top[k][i].value), INT64_MIN);

			if (!v || count(w, k, v, src->top[k][i].n) < 0)
				return -1;
		}
		if (src->other[k] && count(w, k, WHERE_OTHER, src->other[k]) < 0)
			return -1;
	}
	return 0;
}

int where_pool_copy_revisions(struct where_pool *p, struct where_pool *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		if (src->e[i].kind == WHERE_REVISION &&
		    !intern(p, WHERE_REVISION, src->e[i].value, strlen(src->e[i].value),
			    src->e[i].first_us == INT64_MAX ? INT64_MIN : src->e[i].first_us))
			return -1;
	return 0;
}

int where_add_value(struct where_pool *p, struct where **w, int kind, const char *value, long n)
{
	const char *v = value == WHERE_OTHER ? WHERE_OTHER
					     : intern(p, kind, value, strlen(value), INT64_MIN);

	return v ? count(w, kind, v, n) : -1;
}

int where_add_revision(struct where_pool *p, const char *name, int64_t ts)
{
	return intern(p, WHERE_REVISION, name, strlen(name), ts) ? 0 : -1;
}

static int count_cmp(const void *a, const void *b)
{
	const struct where_count *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->value, y->value);
}

void where_sort(struct where *w)
{
	int k;

	if (w)
		for (k = 0; k < WHERE_KINDS; k++)
			qsort(w->top[k], w->n[k], sizeof *w->top[k], count_cmp);
}

static int rev_cmp(const void *a, const void *b)
{
	const struct where_revision *x = a, *y = b;

	if (x->first_us != y->first_us)
		return x->first_us < y->first_us ? -1 : 1;
	return strcmp(x->name, y->name);
}

size_t where_revisions(struct where_pool *p, const struct where_revision **out)
{
	struct where_revision *revs;
	size_t i, n = 0;

	/* a new array each call: one handed out before stays valid (and
	 * unchanged) until the pool is freed */
	for (i = 0; i < p->n; i++)
		n += p->e[i].kind == WHERE_REVISION;
	*out = NULL;
	if (!n || !(revs = calloc(n, sizeof *revs)))
		return 0;
	for (n = 0, i = 0; i < p->n; i++)
		if (p->e[i].kind == WHERE_REVISION) {
			revs[n].name = p->e[i].value;
			revs[n++].first_us = p->e[i].first_us;
		}
	qsort(revs, n, sizeof *revs, rev_cmp);
	if (p->nold == p->capold) {
		size_t cap = p->capold ? 2 * p->capold : 4;
		struct where_revision **o = realloc(p->old, cap * sizeof *o);

		if (!o) {
			free(revs);
			return 0;
		}
		p->old = o;
		p->capold = cap;
	}
	p->old[p->nold++] = revs;
	*out = revs;
	return n;
}
