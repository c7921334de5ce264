#include "event/stream.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "read/multiline.h"

/*
 * The window is a deque of slots in input order (absolute sequence numbers,
 * head..tail). A slot is held while its event sits in an open run; events
 * go out from the head as soon as the head is not held, so an instance that
 * is not in the middle of a block never waits for one that is.
 */
enum slot_state { SLOT_READY, SLOT_HELD, SLOT_EMPTY };

struct slot {
	struct event *ev;
	size_t bytes;
	unsigned char state;
};

struct run {
	int open;
	size_t *seq;          /* slots of the run, in input order */
	size_t n, cap;
	size_t bytes;
	int64_t last_ts;      /* of the last entry added */
	int has_ts;
	int between;          /* other entries of its source since its last line */
};

/* Other entries of a run's source that may come between two lines of an
 * unfinished block (concurrent requests writing to one stderr; gcloud
 * printing an entry of the same time inside a block) without ending it. */
#define RUN_MAX_BETWEEN 32
/* ... and only when written that close to its last line: a block is
 * written at once, so what comes later is not inside it. */
#define RUN_BETWEEN_US ((int64_t)100000)

/* Freed events are kept for reuse, with their buffers, up to these (the
 * window can let thousands go at once when a run ends, and would otherwise
 * allocate them again one by one). */
#define POOL_KEEP_BYTES ((size_t)4 << 20)
#define POOL_KEEP_BUF ((size_t)1 << 20)

struct evjoin {
	struct slot *slots;
	size_t cap;           /* power of two */
	size_t head, tail;    /* sequence numbers */
	size_t bytes;         /* record bytes held in the window */

	struct run runs[EVJOIN_MAX_RUNS];
	int nopen;            /* runs open: none, and no loop over them runs */

	struct event *spare;  /* handed out by evjoin_slot */
	struct event *out;    /* last popped, recycled on the next pop */
	struct event **pool;
	size_t npool, pool_cap;
	size_t pool_bytes;    /* events and buffers kept in the pool */

	struct order *ord;    /* run_close's scratch, kept */
	size_t ord_cap;

	/* steps between consecutive timestamps: which way the input runs */
	long asc, desc;
	int64_t prev_ts;
	int have_prev;
};

static struct slot *slot_at(struct evjoin *j, size_t seq)
{
	return &j->slots[seq & (j->cap - 1)];
}

static size_t ev_cost(const struct event *ev)
{
	return sizeof *ev + ev->store.cap;
}

static struct event *ev_get(struct evjoin *j)
{
	struct event *ev;

	if (j->npool) {
		ev = j->pool[--j->npool];
		j->pool_bytes -= ev_cost(ev);
		return ev;
	}
	ev = malloc(sizeof *ev);
	if (ev)
		event_init(ev);
	return ev;
}

static int pool_room(struct evjoin *j, const struct event *ev)
{
	struct event **p;
	size_t cap;

	/* a joined block can leave a buffer of megabytes: do not hoard it */
	if (ev->store.cap > POOL_KEEP_BUF || j->pool_bytes + ev_cost(ev) > POOL_KEEP_BYTES)
		return 0;
	if (j->npool < j->pool_cap)
		return 1;
	cap = j->pool_cap ? j->pool_cap * 2 : 64;
	if (!(p = realloc(j->pool, cap * sizeof *p)))
		return 0;
	j->pool = p;
	j->pool_cap = cap;
	return 1;
}

static void ev_destroy(struct event *ev);

/* An event is cleared as it is pooled: what it refers to (its entry,
 * which a joined block may share) is let go here, in the joiner's thread,
 * never in a parse thread the event goes on to (evjoin_trade). */
static void ev_put(struct evjoin *j, struct event *ev)
{
	if (!ev)
		return;
	event_clear(ev);
	if (pool_room(j, ev)) {
		j->pool[j->npool++] = ev;
		j->pool_bytes += ev_cost(ev);
		return;
	}
	ev_destroy(ev);
}

struct evjoin *evjoin_new(void)
{
	struct evjoin *j = calloc(1, sizeof *j);

	return j;
}

struct event *evjoin_slot(struct evjoin *j)
{
	if (!j->spare)
		j->spare = ev_get(j);
	return j->spare;
}

int evjoin_trade(struct evjoin *j, struct event **ev)
{
	struct event *t = evjoin_slot(j);

	if (!t)
		return -1;
	j->spare = *ev;
	*ev = t;
	return 0;
}

static size_t ev_bytes(const struct event *ev)
{
	return (ev->skimmed ? ev->skim_bytes : ev->text_len + ev->msg_len) + 64;
}

static const char *entry_str(const struct event *ev, const char *key)
{
	json_t *v = json_object_get(ev->entry, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Same instance, same log (Cloud Run's logName says stdout or stderr). */
static int same_source(const struct event *a, const struct event *b)
{
	return str_eq(a->instance, b->instance) && str_eq(a->stream, b->stream) &&
	       str_eq(entry_str(a, "logName"), entry_str(b, "logName")) &&
	       str_eq(entry_str(a, "stream"), entry_str(b, "stream")) &&
	       str_eq(a->source, b->source);
}

/* A per-line entry: a JSON object, or a text line under a per-line
 * prefix, whose message is one line. */
static int joinable(const struct event *ev)
{
	return (json_is_object(ev->entry) || ev->perline) && !ev->joined &&
	       !memchr(ev->msg, '\n', ev->msg_len);
}

static struct event *run_first(struct evjoin *j, const struct run *r)
{
	return slot_at(j, r->seq[0])->ev;
}

struct order {
	int64_t ts;
	size_t pos;   /* tie-break: stable */
	size_t idx;   /* index into run->seq */
};

static int order_cmp(const void *pa, const void *pb)
{
	const struct order *a = pa, *b = pb;

	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

static int copy_key(struct buf *b, const char *s, size_t *off)
{
	if (!s)
		return 0;
	*off = b->len;
	return buf_adds(b, s) < 0 || buf_addc(b, '\0') < 0 ? -1 : 1;
}

/*
 * Replace the parts (run slots ord[0..n), in time order) with one event.
 * It goes in the slot of its oldest part, whose time it takes, so a stream
 * sorted by time (either way) stays sorted. On any failure the parts
 * simply stay separate events.
 */
static void join_block(struct evjoin *j, struct run *r, const struct order *ord, size_t n)
{
	enum { K_TRACE, K_SPAN, K_INSTANCE, K_CONN, K_USER, K_N };
	struct event *e = ev_get(j), *p;
	struct buf *b;
	size_t i, first = r->seq[ord[0].idx], key_off[K_N] = { 0 };
	int have[K_N] = { 0 };
	const char *key[K_N];
	struct close_trace c;
	int k, fail = 0;

	if (!e)
		return;
	event_clear(e);
	b = &e->store;
	p = slot_at(j, r->seq[ord[0].idx])->ev;
	e->source = p->source;
	e->line = p->line;
	e->last_line = p->last_line;
	e->has_ts = p->has_ts;
	e->ts_us = p->ts_us;
	e->sev = p->sev;
	e->entry = json_incref(p->entry);
	e->payload = p->payload;   /* borrowed from p->entry, which e now holds */
	e->joined = 1;

	for (i = 0; i < n && !fail; i++) {
		p = slot_at(j, r->seq[ord[i].idx])->ev;
		if (p->line < e->line)
			e->line = p->line;
		if (p->last_line > e->last_line)
			e->last_line = p->last_line;
		if (p->sev > e->sev)
			e->sev = p->sev;
		e->truncated |= p->truncated;
		if (!e->close.present && p->close.present)
			e->close = p->close;
		if ((i && buf_addc(b, '\n') < 0) || buf_add(b, p->msg, p->msg_len) < 0)
			fail = 1;
	}
	e->msg_len = b->len;
	if (!fail && buf_addc(b, '\0') < 0)
		fail = 1;
	/* correlation keys: the first part (in time) that has each */
	for (i = 0; i < n && !fail; i++) {
		p = slot_at(j, r->seq[ord[i].idx])->ev;
		key[K_TRACE] = p->trace;
		key[K_SPAN] = p->span;
		key[K_INSTANCE] = p->instance;
		key[K_CONN] = p->conn;
		key[K_USER] = p->user;
		for (k = 0; k < K_N; k++) {
			if (have[k])
				continue;
			have[k] = copy_key(b, key[k], &key_off[k]);
			if (have[k] < 0)
				fail = 1;
		}
	}
	if (fail) {
		ev_put(j, e);
		return;
	}
	/* pointers only now: the store may have moved while growing */
	e->msg = e->text = b->p;
	e->text_len = e->msg_len;
	e->trace = have[K_TRACE] ? b->p + key_off[K_TRACE] : NULL;
	e->span = have[K_SPAN] ? b->p + key_off[K_SPAN] : NULL;
	e->instance = have[K_INSTANCE] ? b->p + key_off[K_INSTANCE] : NULL;
	e->conn = have[K_CONN] ? b->p + key_off[K_CONN] : NULL;
	e->user = have[K_USER] ? b->p + key_off[K_USER] : NULL;
	if (close_parse(e->msg, e->msg_len, &c) == 1)
		e->close = c;

	for (i = 0; i < n; i++) {
		size_t seq = r->seq[ord[i].idx];
		struct slot *s = slot_at(j, seq);

		j->bytes -= s->bytes;
		ev_put(j, s->ev);
		s->ev = NULL;
		s->bytes = 0;
		s->state = SLOT_EMPTY;
	}
	{
		struct slot *s = slot_at(j, first);

		s->ev = e;
		s->bytes = ev_bytes(e);
		j->bytes += s->bytes;
		s->state = SLOT_HELD;   /* released with the rest of the run */
	}
}

/* Feed the run's lines in time order; each block of two or more lines
 * becomes one event. */
static void run_close(struct evjoin *j, struct run *r)
{
	struct order *ord = NULL;
	struct multiline m;
	size_t i, len = 0;
	int all_ts = 1, desc = j->desc > j->asc;

	/* ord holds the run in time order, part a block's lines */
	if (r->n >= 2 && 2 * r->n > j->ord_cap) {
		size_t cap = 2 * r->n > 2 * j->ord_cap ? 2 * r->n : 2 * j->ord_cap;
		struct order *p = realloc(j->ord, cap * sizeof *p);

		if (p) {
			j->ord = p;
			j->ord_cap = cap;
		}
	}
	if (r->n >= 2 && 2 * r->n <= j->ord_cap)
		ord = j->ord;
	if (ord) {
		struct order *part = ord + r->n;
		size_t skipped = 0;

		for (i = 0; i < r->n; i++) {
			/* newest first: reversing before the stable sort keeps
			 * lines with equal timestamps in their written order */
			size_t idx = desc ? r->n - 1 - i : i;
			struct event *ev = slot_at(j, r->seq[idx])->ev;

			ord[i].ts = ev->ts_us;
			ord[i].pos = i;
			ord[i].idx = idx;
			all_ts &= ev->has_ts;
		}
		if (all_ts)
			qsort(ord, r->n, sizeof *ord, order_cmp);
		multiline_init(&m);
		for (i = 0; i < r->n; i++) {
			struct event *ev = slot_at(j, r->seq[ord[i].idx])->ev;
			struct multiline before = m;
			enum ml_class cls = multiline_feed(&m, ev->msg, ev->msg_len);

			if (cls == ML_CONT && len) {
				part[len++] = ord[i];
				continue;
			}
			/* another writer's line inside an unfinished block
			 * ("INFO: ... 200 OK" between two frames) stays apart */
			if (cls == ML_NONE && len && multiline_open(&before) &&
			    skipped < RUN_MAX_BETWEEN) {
				m = before;
				skipped++;
				continue;
			}
			if (len >= 2)
				join_block(j, r, part, len);
			len = 0;
			skipped = 0;
			if (cls == ML_START)
				part[len++] = ord[i];
		}
		if (len >= 2)
			join_block(j, r, part, len);
	}
	for (i = 0; i < r->n; i++) {
		struct slot *s = slot_at(j, r->seq[i]);

		if (s->state == SLOT_HELD)
			s->state = SLOT_READY;
	}
	if (r->open)
		j->nopen--;
	r->open = 0;
	r->n = 0;
	r->bytes = 0;
	r->between = 0;
}

/* The run's block is unfinished: more of its lines must come. Oldest
 * first, the lines so far leave the block open; newest first, its header
 * (which comes last) has not come yet. */
static int run_unfinished(struct evjoin *j, const struct run *r)
{
	struct multiline m;
	size_t i;

	if (j->desc > j->asc) {
		const struct event *last = slot_at(j, r->seq[r->n - 1])->ev;

		if (multiline_header(last->msg, last->msg_len))
			return 0;
		/* only a run that holds a block's body waits for its header:
		 * a lone "INFO: ..." or blank line does not */
		for (i = 0; i < r->n; i++) {
			const struct event *ev = slot_at(j, r->seq[i])->ev;

			if (multiline_body(ev->msg, ev->msg_len))
				return 1;
		}
		return 0;
	}
	multiline_init(&m);
	for (i = 0; i < r->n; i++) {
		const struct event *ev = slot_at(j, r->seq[i])->ev;

		multiline_feed(&m, ev->msg, ev->msg_len);
	}
	return multiline_open(&m);
}

static void run_free(struct run *r)
{
	free(r->seq);
	r->seq = NULL;
	r->cap = 0;
}

static int window_grow(struct evjoin *j)
{
	size_t cap = j->cap ? j->cap * 2 : 64, seq;
	struct slot *s = malloc(cap * sizeof *s);

	if (!s)
		return -1;
	for (seq = j->head; seq != j->tail; seq++)
		s[seq & (cap - 1)] = *slot_at(j, seq);
	free(j->slots);
	j->slots = s;
	j->cap = cap;
	return 0;
}

static struct run *run_of(struct evjoin *j, const struct event *ev)
{
	int i;

	for (i = 0; i < EVJOIN_MAX_RUNS && j->nopen; i++)
		if (j->runs[i].open && same_source(run_first(j, &j->runs[i]), ev))
			return &j->runs[i];
	return NULL;
}

static struct run *run_open(struct evjoin *j)
{
	struct run *oldest = NULL;
	int i;

	for (i = 0; i < EVJOIN_MAX_RUNS; i++) {
		if (!j->runs[i].open)
			return &j->runs[i];
		if (!oldest || j->runs[i].seq[0] < oldest->seq[0])
			oldest = &j->runs[i];
	}
	run_close(j, oldest);
	return oldest;
}

static int run_add(struct evjoin *j, struct run *r, size_t seq, const struct event *ev,
		   size_t bytes)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		size_t *p = realloc(r->seq, cap * sizeof *p);

		if (!p)
			return -1;
		r->seq = p;
		r->cap = cap;
	}
	r->seq[r->n++] = seq;
	r->bytes += bytes;
	if (!r->open)
		j->nopen++;
	r->open = 1;
	r->has_ts = ev->has_ts;
	r->last_ts = ev->ts_us;
	return 0;
}

static int64_t gap(int64_t a, int64_t b)
{
	return a > b ? a - b : b - a;
}

int evjoin_push(struct evjoin *j)
{
	struct event *ev = j->spare;
	struct slot *s;
	struct run *r;
	size_t seq, bytes;
	int i;

	if (!ev)
		return -1;
	if (j->tail - j->head == j->cap && window_grow(j) < 0)
		return -1;
	j->spare = NULL;
	seq = j->tail++;
	s = slot_at(j, seq);
	s->ev = ev;
	s->bytes = bytes = ev_bytes(ev);
	s->state = SLOT_READY;
	j->bytes += bytes;

	if (ev->has_ts) {
		if (j->have_prev && ev->ts_us < j->prev_ts)
			j->desc++;
		else if (j->have_prev && ev->ts_us > j->prev_ts)
			j->asc++;
		j->prev_ts = ev->ts_us;
		j->have_prev = 1;
		/* runs that time has left behind end now, so a quiet block
		 * never holds the stream back (follow mode) */
		for (i = 0; i < EVJOIN_MAX_RUNS && j->nopen; i++) {
			r = &j->runs[i];
			if (r->open && r->has_ts && gap(ev->ts_us, r->last_ts) > EVJOIN_GAP_US)
				run_close(j, r);
		}
	}

	if (joinable(ev)) {
		r = run_of(j, ev);
		if (multiline_candidate(ev->msg, ev->msg_len)) {
			if (r && (r->n >= EVJOIN_MAX_ENTRIES || r->bytes + bytes > EVJOIN_MAX_BYTES))
				run_close(j, r);
			if (!r || !r->open)
				r = run_open(j);
			if (run_add(j, r, seq, ev, bytes) == 0)
				s->state = SLOT_HELD;
			else if (!r->n && r->open) {
				r->open = 0;
				j->nopen--;
			}
			r->between = 0;
		} else if (r) {
			if (r->between < RUN_MAX_BETWEEN &&
			    (!ev->has_ts || !r->has_ts || gap(ev->ts_us, r->last_ts) <= RUN_BETWEEN_US) &&
			    run_unfinished(j, r))
				r->between++;
			else
				run_close(j, r);
		}
	}

	/* bound what is held: end the run that holds the oldest event */
	while (j->tail - j->head > EVJOIN_MAX_ENTRIES || j->bytes > EVJOIN_MAX_BYTES) {
		struct run *oldest = NULL;

		for (i = 0; i < EVJOIN_MAX_RUNS; i++) {
			r = &j->runs[i];
			if (r->open && r->n && (!oldest || r->seq[0] < oldest->seq[0]))
				oldest = r;
		}
		if (!oldest)
			break;   /* nothing held: the caller pops to make room */
		run_close(j, oldest);
	}
	return 0;
}

void evjoin_end(struct evjoin *j)
{
	int i;

	for (i = 0; i < EVJOIN_MAX_RUNS && j->nopen; i++)
		if (j->runs[i].open)
			run_close(j, &j->runs[i]);
}

struct event *evjoin_pop(struct evjoin *j)
{
	if (j->out) {
		ev_put(j, j->out);
		j->out = NULL;
	}
	while (j->head != j->tail) {
		struct slot *s = slot_at(j, j->head);

		if (s->state == SLOT_HELD)
			return NULL;
		j->head++;
		j->bytes -= s->bytes;
		if (s->state == SLOT_EMPTY)
			continue;
		j->out = s->ev;
		s->ev = NULL;
		return j->out;
	}
	return NULL;
}

size_t evjoin_held(const struct evjoin *j)
{
	return j->tail - j->head;
}

static int span_eq(const char *a, const char *b, size_t n)
{
	return a == NULL ? b == NULL : b != NULL && strlen(a) == n && !memcmp(a, b, n);
}

int evjoin_has_run(const struct evjoin *j, const char *source, const struct skim_keys *k)
{
	int i;

	for (i = 0; i < EVJOIN_MAX_RUNS && j->nopen; i++) {
		const struct event *f;

		if (!j->runs[i].open)
			continue;
		f = slot_at((struct evjoin *)j, j->runs[i].seq[0])->ev;
		if (!f->stream && span_eq(f->instance, k->instance, k->ninstance) &&
		    span_eq(entry_str(f, "logName"), k->log, k->nlog) &&
		    span_eq(entry_str(f, "stream"), k->stream, k->nstream) &&
		    str_eq(f->source, source))
			return 1;
	}
	return 0;
}

static void ev_destroy(struct event *ev)
{
	if (!ev)
		return;
	event_clear(ev);
	buf_free(&ev->store);
	free(ev);
}

void evjoin_free(struct evjoin *j)
{
	size_t seq;
	int i;

	if (!j)
		return;
	for (seq = j->head; seq != j->tail; seq++)
		ev_destroy(slot_at(j, seq)->ev);
	for (i = 0; i < EVJOIN_MAX_RUNS; i++)
		run_free(&j->runs[i]);
	while (j->npool)
		ev_destroy(j->pool[--j->npool]);
	ev_destroy(j->spare);
	ev_destroy(j->out);
	free(j->pool);
	free(j->ord);
	free(j->slots);
	free(j);
}
