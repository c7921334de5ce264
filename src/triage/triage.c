#include "triage/triage_impl.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>


#define MAX_WARNINGS 100

struct triage {
	const struct ruleset *rs;
	const struct warn_sink *warn;
	struct match m;
	struct buf scratch;
	struct spool *spool;
	struct triage_group **groups;
	size_t ngroups, capgroups;
	size_t *table;              /* open addressing: group index + 1, 0 empty */
	size_t tcap;
	struct triage_group **overflow;   /* one per rule, after the cap */
	size_t *ovorder;            /* rules whose overflow group exists, in the order made */
	size_t nov;
	size_t *ovpos;              /* rule -> position in ovorder */
	unsigned char *rel;         /* rel[e * n + t]: rule e explains rule t */
	size_t nuntimed;            /* findings with no time so far: they sort first, in order */
	long *recgid;               /* one untimed record's matches: group per rule, -1 none */
	struct input {
		char *name;         /* the events' source, NULL until one came */
		int64_t last_ts;    /* for records without a time, INT64_MIN none */
		uint32_t nrec;      /* its records so far: the order clock */
	} *inputs;
	size_t ninputs, capinputs;
	struct close_match *cm;     /* NULL until a symptom finding is a close */
	struct triage_report rep;
	struct suspect_set *sus;    /* causes no rule knows; NULL: not looked for */
	struct where_pool *where;   /* revisions, services, instances seen */
	long fed;                   /* events through triage_feed */
};

/*
 * Closes with no time and no correlation key (a wscat line, a browser
 * CloseEvent) cannot be correlated; close_link() lets each share the
 * explanation of the earliest explained timed close of the same symptom
 * rule, code and reason. Bounded: CLOSE_KEYS distinct (rule, code,
 * reason), the CLOSE_TWINS earliest timed closes of each, CLOSE_UNTIMED
 * untimed closes; past them a close is simply not matched.
 */
#define CLOSE_KEYS 1024
#define CLOSE_TWINS 32
#define CLOSE_UNTIMED 65536

struct close_key {
	uint64_t h;                 /* 0: empty slot */
	size_t ntwins;
	struct { uint32_t seq; int64_t ts; } twins[CLOSE_TWINS];
};

struct close_match {
	struct close_key keys[CLOSE_KEYS];   /* open addressing by h */
	size_t nkeys;
	struct { uint32_t seq; uint32_t key; } *untimed;
	size_t nuntimed, capuntimed;
};

static uint64_t fnv(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h ? h : 1;
}

static uint64_t key_hash(const char *s)
{
	return s && *s ? fnv(s, strlen(s)) : 0;
}

static const struct rule_desc *rule_at(const struct triage *t, size_t i)
{
	return rule_desc(ruleset_rule(t->rs, i));
}

struct triage *triage_new(const struct ruleset *rs, const struct warn_sink *w)
{
	struct triage *t = calloc(1, sizeof *t);
	size_t i, j, n = ruleset_count(rs);

	if (!t)
		return NULL;
	t->rs = rs;
	t->warn = w;
	rule_match_init(&t->m);
	t->scratch.max = 64 << 10;
	t->spool = spool_new();
	t->rel = calloc(n ? n * n : 1, 1);
	t->overflow = calloc(n ? n : 1, sizeof *t->overflow);
	t->ovorder = calloc(n ? n : 1, sizeof *t->ovorder);
	t->ovpos = calloc(n ? n : 1, sizeof *t->ovpos);
	t->recgid = calloc(n ? n : 1, sizeof *t->recgid);
	t->tcap = 1024;
	t->table = calloc(t->tcap, sizeof *t->table);
	t->rep.overflow_warning = -1;
	t->sus = suspect_new(w);
	t->where = where_pool_new();
	if (!t->sus || !t->where || !t->spool || !t->rel || !t->overflow || !t->ovorder || !t->ovpos || !t->recgid ||
	    !t->table) {
		triage_free(t);
		return NULL;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < rule_at(t, i)->nexplains; j++)
			t->rel[i * n + rule_desc(rule_at(t, i)->explains_rule[j])->index] = 1;
	return t;
}

static char *dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static char *render(struct triage *t, const char *tmpl, const struct event *ev)
{
	buf_reset(&t->scratch);
	if (!tmpl)
		return NULL;
	rule_render(tmpl, ev, &t->m, &t->scratch);
	return dup_n(t->scratch.p ? t->scratch.p : "", t->scratch.len);
}

static void group_free(struct triage_group *g)
{
	size_t i;

	if (!g)
		return;
	for (i = 0; i < g->ncaps; i++) {
		free((char *)g->caps[i].name);
		free((char *)g->caps[i].value);
	}
	for (i = 0; i < g->nwhy; i++)
		free(g->why[i]);
	free(g->caps);
	free(g->why);
	free(g->key);
	free(g->message);
	free(g->fix);
	free(g->ex_source);
	free(g->ex_text);
	free(g->where);
	free(g);
}

static struct triage_group *group_new(struct triage *t, const struct rule_desc *r,
				      const struct event *ev, const char *key)
{
	struct triage_group *g = calloc(1, sizeof *g);
	size_t i;

	if (!g)
		return NULL;
	g->rule = r;
	g->key = strdup(key);
	g->caps = calloc(t->m.ncaps ? t->m.ncaps : 1, sizeof *g->caps);
	g->why = calloc(r->nwhy ? r->nwhy : 1, sizeof *g->why);
	if (!g->key || !g->caps || !g->why)
		goto fail;
	for (i = 0; i < t->m.ncaps; i++) {
		g->caps[i].name = strdup(t->m.caps[i].name);
		g->caps[i].value = strdup(t->m.caps[i].value);
		g->ncaps++;
		if (!g->caps[i].name || !g->caps[i].value)
			goto fail;
	}
	g->message = render(t, r->message, ev);
	g->fix = render(t, r->fix, ev);
	for (i = 0; i < r->nwhy; i++, g->nwhy++)
		if (!(g->why[i] = render(t, r->why[i], ev)))
			goto fail;
	g->ex_source = strdup(ev->source ? ev->source : "");
	g->ex_line = ev->line;
	{
		/* the log line as its writer wrote it: a JSON entry's message,
		 * a text record's own bytes */
		int raw = !ev->entry && ev->text;
		const char *ex = raw ? ev->text : ev->msg;
		size_t n = raw ? ev->text_len : ev->msg_len;

		g->ex_text = dup_n(ex, n > TRIAGE_EXAMPLE_MAX ? TRIAGE_EXAMPLE_MAX : n);
	}
	if (!g->message || !g->ex_source || !g->ex_text)
		goto fail;
	return g;
fail:
	group_free(g);
	return NULL;
}

static int table_grow(struct triage *t)
{
	size_t cap = t->tcap * 2, i;
	size_t *tab = calloc(cap, sizeof *tab);

	if (!tab)
		return -1;
	for (i = 0; i < t->ngroups; i++) {
		const struct triage_group *g = t->groups[i];
		size_t h = (size_t)(fnv(g->key, strlen(g->key)) ^ g->rule->index) & (cap - 1);

		while (tab[h])
			h = (h + 1) & (cap - 1);
		tab[h] = i + 1;
	}
	free(t->table);
	t->table = tab;
	t->tcap = cap;
	return 0;
}

#define GROUP_NEW LONG_MIN

/* The id of group (r, key): an existing group, the rule's overflow group
 * when past the cap, or GROUP_NEW with *slot where a new one goes. */
static long group_find(struct triage *t, const struct rule_desc *r, const char *key, size_t len,
		       size_t *slot)
{
	size_t h = (size_t)(fnv(key, len) ^ r->index) & (t->tcap - 1);

	while (t->table[h]) {
		const struct triage_group *g = t->groups[t->table[h] - 1];

		if (g->rule == r && !strcmp(g->key, key))
			return (long)(t->table[h] - 1);
		h = (h + 1) & (t->tcap - 1);
	}
	*slot = h;
	if (t->ngroups >= TRIAGE_MAX_GROUPS && t->overflow[r->index])
		return -2 - (long)r->index;
	return GROUP_NEW;
}

/*
 * Place a new group g (owned from here) at slot: a group of its own, or,
 * past the cap (or when overflow is asked), its rule's overflow group.
 * Returns the id, or GROUP_NEW on allocation error.
 */
static long group_place(struct triage *t, struct triage_group *g, size_t slot, int overflow)
{
	const struct rule_desc *r = g->rule;

	if (t->ngroups >= TRIAGE_MAX_GROUPS || overflow) {
		char *key;

		if (t->overflow[r->index]) {
			group_free(g);
			return -2 - (long)r->index;
		}
		/* past the cap, new capture values of a rule share one group */
		if (!(key = strdup("(overflow)"))) {
			group_free(g);
			return GROUP_NEW;
		}
		free(g->key);
		g->key = key;
		if (!t->nov) {
			size_t before = t->rep.nwarnings;

			warn_emit(t->warn, g->ex_source, g->ex_line, 0,
				  "more than %d distinct causes; further ones are counted under their rule only",
				  TRIAGE_MAX_GROUPS);
			if (t->rep.nwarnings > before)
				t->rep.overflow_warning = (long)before;
		}
		t->overflow[r->index] = g;
		t->ovpos[r->index] = t->nov;
		t->ovorder[t->nov++] = r->index;
		return -2 - (long)r->index;
	}
	if (t->ngroups == t->capgroups) {
		size_t cap = t->capgroups ? t->capgroups * 2 : 64;
		struct triage_group **p = realloc(t->groups, cap * sizeof *p);

		if (!p) {
			group_free(g);
			return GROUP_NEW;
		}
		t->groups = p;
		t->capgroups = cap;
	}
	t->groups[t->ngroups++] = g;
	t->table[slot] = t->ngroups;
	if (t->ngroups * 2 > t->tcap && table_grow(t) < 0)
		return GROUP_NEW;
	return (long)t->ngroups - 1;
}

/* The group of this finding: its rule and its captures' values. Symptoms
 * group per rule only: a symptom is counted, its cause is what varies. */
static long group_of(struct triage *t, const struct rule_desc *r, const struct event *ev)
{
	struct buf *k = &t->scratch;
	struct triage_group *g;
	size_t i, slot = 0;
	long gid;
	char *key;

	buf_reset(k);
	if (r->role != ROLE_SYMPTOM)
		for (i = 0; i < t->m.ncaps; i++) {
			buf_adds(k, t->m.caps[i].name);
			buf_addc(k, '=');
			buf_add(k, t->m.caps[i].value, strnlen(t->m.caps[i].value, 200));
			buf_addc(k, '\x1f');
		}
	if (!k->p)
		buf_adds(k, "");
	gid = group_find(t, r, k->p, k->len, &slot);
	if (gid != GROUP_NEW)
		return gid;
	if (!(key = dup_n(k->p, k->len)))
		return GROUP_NEW;
	g = group_new(t, r, ev, key);
	free(key);
	if (!g)
		return GROUP_NEW;
	return group_place(t, g, slot, 0);
}

static struct triage_group *group_at(struct triage *t, uint32_t id)
{
	/* ids past ngroups address the per-rule overflow groups */
	return id < TRIAGE_MAX_GROUPS ? t->groups[id] : t->overflow[id - TRIAGE_MAX_GROUPS];
}

static int input_grow(struct triage *t, size_t input)
{
	size_t i, n;
	struct input *p;

	if (input < t->capinputs)
		return 0;
	n = input + 8;
	if (!(p = realloc(t->inputs, n * sizeof *p)))
		return -1;
	for (i = t->capinputs; i < n; i++) {
		p[i].name = NULL;
		p[i].last_ts = INT64_MIN;
		p[i].nrec = 0;
	}
	t->inputs = p;
	t->capinputs = n;
	return 0;
}

/* One finding into its group and the spool: the one path for triage_feed
 * and for rebuilding from shards. */
static int finding_add(struct triage *t, long gid, int64_t ts, uint32_t ord, unsigned input,
		       const uint64_t key[SPOOL_KEYS], int32_t explainer)
{
	struct triage_group *g = gid >= 0 ? t->groups[gid] : t->overflow[-2 - gid];
	struct spot s;

	if (gid < 0)
		t->rep.overflow++;
	g->count++;
	if (ts != INT64_MIN) {
		if (!g->has_ts || ts < g->first_us)
			g->first_us = ts;
		if (!g->has_ts || ts > g->last_us)
			g->last_us = ts;
		g->has_ts = 1;
	}
	memset(&s, 0, sizeof s);
	s.ts = ts;
	s.ord = ord;
	s.rule = (uint16_t)g->rule->index;
	s.group = gid >= 0 ? (uint32_t)gid : (uint32_t)(TRIAGE_MAX_GROUPS + g->rule->index);
	s.input = (uint16_t)(input > UINT16_MAX ? UINT16_MAX : input);
	s.explainer = explainer;
	memcpy(s.key, key, sizeof s.key);
	if (ts == INT64_MIN)
		t->nuntimed++;
	return spool_add(t->spool, &s);
}

/*
 * A record with no time anywhere in its input cannot be correlated by time,
 * but the findings of one record belong together: a close whose reason
 * names its cause ("keepalive ping timeout") is both the symptom and the
 * cause. Each finding of the record is linked to the best explainer among
 * the others (a cause before a context, then rule order). Untimed findings
 * sort first in arrival order, so their final spool index is known now.
 */
static int feed_untimed(struct triage *t, int input, uint32_t ord, const uint64_t key[SPOOL_KEYS])
{
	size_t n = ruleset_count(t->rs), base = t->nuntimed, i, j, k;

	for (i = 0; i < n; i++) {
		int32_t who = -1;
		int best = 3;

		if (t->recgid[i] == GROUP_NEW)
			continue;
		for (j = 0, k = 0; j < n; j++) {
			int role;

			if (t->recgid[j] == GROUP_NEW)
				continue;
			role = rule_at(t, j)->role == ROLE_CAUSE ? 0 : rule_at(t, j)->role == ROLE_CONTEXT ? 1 : 2;
			if (j != i && t->rel[j * n + i] && !t->rel[i * n + j] && role < best) {
				best = role;
				who = (int32_t)(base + k);
			}
			k++;
		}
		if (finding_add(t, t->recgid[i], INT64_MIN, ord, (unsigned)input, key, who) < 0)
			return -1;
	}
	return 0;
}

static struct close_key *close_key_of(struct close_match *cm, uint64_t h)
{
	size_t i = (size_t)(h % CLOSE_KEYS), k;

	for (k = 0; k < CLOSE_KEYS; k++, i = (i + 1) % CLOSE_KEYS) {
		if (cm->keys[i].h == h)
			return &cm->keys[i];
		if (!cm->keys[i].h) {
			if (cm->nkeys >= CLOSE_KEYS / 2)
				return NULL;    /* keep probes short */
			cm->nkeys++;
			cm->keys[i].h = h;
			return &cm->keys[i];
		}
	}
	return NULL;
}

/* Note a symptom finding that is a close; seq is the arrival number
 * finding_add will give it. -1 on allocation error. */
static int close_note(struct triage *t, const struct rule_desc *r, const struct event *ev,
		      int64_t ts, const uint64_t key[SPOOL_KEYS], uint32_t seq)
{
	struct close_match *cm = t->cm;
	struct close_key *k;
	uint64_t h;
	int i, keyed = 0;

	if (r->role != ROLE_SYMPTOM || !ev->close.present ||
	    (!ev->close.code && !ev->close.http_status))
		return 0;
	if (!cm && !(cm = t->cm = calloc(1, sizeof *cm)))
		return -1;
	/* a refused handshake: its HTTP status stands for the code */
	h = fnv(ev->close.reason, strlen(ev->close.reason)) ^
	    ((uint64_t)r->index << 32 | (uint64_t)(unsigned)ev->close.code << 12 |
	     (uint64_t)(unsigned)ev->close.http_status) * 0x9e3779b97f4a7c15ull;
	if (!(k = close_key_of(cm, h ? h : 1)))
		return 0;
	for (i = 0; i < SPOOL_KEYS; i++)
		keyed |= key[i] != 0;
	if (ts == INT64_MIN && !keyed) {
		if (cm->nuntimed == cm->capuntimed) {
			size_t cap = cm->capuntimed ? cm->capuntimed * 2 : 16;
			void *p;

			if (cap > CLOSE_UNTIMED)
				return 0;
			if (!(p = realloc(cm->untimed, cap * sizeof *cm->untimed)))
				return -1;
			cm->untimed = p;
			cm->capuntimed = cap;
		}
		cm->untimed[cm->nuntimed].seq = seq;
		cm->untimed[cm->nuntimed++].key = (uint32_t)(k - cm->keys);
		return 0;
	}
	if (ts == INT64_MIN)
		return 0;
	/* keep the earliest CLOSE_TWINS: replace the latest when full */
	if (k->ntwins < CLOSE_TWINS) {
		i = (int)k->ntwins++;
	} else {
		int last = 0;

		for (i = 1; i < CLOSE_TWINS; i++)
			if (k->twins[i].ts > k->twins[last].ts)
				last = i;
		if (k->twins[last].ts <= ts)
			return 0;
		i = last;
	}
	k->twins[i].seq = seq;
	k->twins[i].ts = ts;
	return 0;
}

static void group_seen_at(struct triage_group *g, unsigned input, long line)
{
	if (!g->has_pos) {
		g->has_pos = 1;
		g->first_input = input;
		g->first_line = line;
	}
	g->last_input = input;
	g->last_line = line;
}

/* One event on its way through triage_feed's matching rules. */
struct feed {
	struct triage *t;
	const struct event *ev;
	int64_t ts;
	uint32_t ord;           /* the record's place in its input */
	int input;
	uint32_t seq;
	int matched;
	uint64_t key[SPOOL_KEYS];
	const char *where[WHERE_KINDS];   /* the record's revision, service, instance */
};

static int feed_rule(void *ctx, const struct rule_desc *r, struct match *m)
{
	struct feed *f = ctx;
	struct triage *t = f->t;
	const struct event *ev = f->ev;
	long gid;

	(void)m;   /* the same as t->m: group_of and close_note read it there */
	gid = group_of(t, r, ev);
	if (gid == GROUP_NEW)
		return -1;
	if (!f->matched++) {
		f->key[0] = key_hash(ev->conn);
		f->key[1] = key_hash(ev->trace);
		f->key[2] = key_hash(ev->instance);
		f->key[3] = key_hash(ev->user);
		f->key[4] = key_hash(ev->span);
		if (where_note(t->where, ev, f->ts, 0, f->where) < 0)
			return -1;
	}
	if (where_add(gid >= 0 ? &t->groups[gid]->where : &t->overflow[-2 - gid]->where,
		      f->where) < 0)
		return -1;
	if (close_note(t, r, ev, f->ts, f->key, f->seq++) < 0)
		return -1;
	group_seen_at(group_at(t, gid >= 0 ? (uint32_t)gid : TRIAGE_MAX_GROUPS + (uint32_t)r->index),
		      (unsigned)f->input, ev->line);
	if (f->ts == INT64_MIN)
		t->recgid[r->index] = gid;
	else if (finding_add(t, gid, f->ts, f->ord, (unsigned)f->input, f->key, -1) < 0)
		return -1;
	return 0;
}

int triage_feed(struct triage *t, const struct event *ev, int input)
{
	struct feed f = { .t = t, .ev = ev, .input = input };
	struct input *in;
	size_t i;

	t->rep.records++;
	t->fed++;
	if (input_grow(t, (size_t)input) < 0)
		return -1;
	if ((size_t)input >= t->ninputs)
		t->ninputs = (size_t)input + 1;
	in = &t->inputs[input];
	if (!in->name && !(in->name = strdup(ev->source ? ev->source : "")))
		return -1;
	if (in->nrec < UINT32_MAX)
		in->nrec++;
	if (ev->has_ts) {
		in->last_ts = ev->ts_us;
		if (!t->rep.has_span || ev->ts_us < t->rep.first_us)
			t->rep.first_us = ev->ts_us;
		if (!t->rep.has_span || ev->ts_us > t->rep.last_us)
			t->rep.last_us = ev->ts_us;
		t->rep.has_span = 1;
	}
	/* a record without a time (a joined text block) takes its input's latest */
	f.ts = ev->has_ts ? ev->ts_us : in->last_ts;
	if (f.ts == INT64_MIN)
		for (i = 0; i < ruleset_count(t->rs); i++)
			t->recgid[i] = GROUP_NEW;

	/* the arrival number of this record's next finding (untimed ones are
	 * added after the loop, in rule order: the same numbers) */
	f.seq = (uint32_t)spool_count(t->spool);
	f.ord = in->nrec;
	if (ruleset_match(t->rs, ev, &t->m, t->warn, feed_rule, &f) < 0)
		return -1;
	/* every record: when each revision started (a skimmed LogEntry keeps
	 * its revision for this) */
	if (!f.matched && where_note(t->where, ev, f.ts, 1, f.where) < 0)
		return -1;
	if (t->sus && suspect_feed(t->sus, ev, f.ts, f.matched) < 0)
		return -1;
	return f.ts == INT64_MIN && f.matched ? feed_untimed(t, input, f.ord, f.key) : 0;
}

void triage_no_suspects(struct triage *t)
{
	suspect_free(t->sus);
	t->sus = NULL;
}

void triage_warning(struct triage *t, const char *text)
{
	char **p;

	if (t->rep.nwarnings >= MAX_WARNINGS)
		return;
	p = realloc(t->rep.warnings, (t->rep.nwarnings + 1) * sizeof *p);
	if (!p)
		return;
	t->rep.warnings = p;
	if ((p[t->rep.nwarnings] = strdup(text)))
		t->rep.nwarnings++;
}

/* A rule's correlate.by and within, or the defaults: every key, 5 s. */
static unsigned corr_by(const struct rule_desc *r)
{
	return r->correlate_by ? r->correlate_by : 0x1f;
}

static int64_t within_us(const struct rule_desc *r)
{
	return (r->within_ms ? r->within_ms : 5000) * (int64_t)1000;
}

/*
 * How well e explains x: -1 when it cannot; otherwise a score where lower
 * is better. A cause beats a context rule (context is evidence: the chain
 * should go on through the cause, the context hangs below it). A key both carry with different values (another connection,
 * another instance) rules the pair out. Then the most specific shared key
 * wins (connection, trace, span, user, instance), time alone last (used
 * only when one side carries none of the rule's keys), then the nearer in
 * time, then an explainer logged before what it explains.
 */
static int key_rank(const struct rule_desc *er, const struct spot *e, const struct spot *x)
{
	static const int order[SPOOL_KEYS] = { 0, 1, 4, 3, 2 };   /* conn, trace, span, user, instance */
	unsigned by = corr_by(er);
	int rank = SPOOL_KEYS, e_has = 0, x_has = 0, i;

	for (i = 0; i < SPOOL_KEYS; i++) {
		int k = order[i];

		if (!(by & (1u << k)))
			continue;
		e_has |= e->key[k] != 0;
		x_has |= x->key[k] != 0;
		if (!e->key[k] || !x->key[k])
			continue;
		if (e->key[k] != x->key[k])
			return -1;
		if (i < rank)
			rank = i;
	}
	if (rank == SPOOL_KEYS && e_has && x_has)
		return -1;
	return rank;
}

static int64_t fit(const struct triage *t, const struct spot *e, const struct spot *x)
{
	const struct rule_desc *er = rule_at(t, e->rule);
	int64_t dt = e->ts - x->ts;
	int rank;

	if (!t->rel[(size_t)e->rule * ruleset_count(t->rs) + x->rule])
		return -1;
	if (e->ts == INT64_MIN || x->ts == INT64_MIN)
		return -1;
	if (dt < 0)
		dt = -dt;
	if (dt > within_us(er))
		return -1;
	if ((rank = key_rank(er, e, x)) < 0)
		return -1;
	return ((int64_t)(er->role == ROLE_CONTEXT) << 56) + ((int64_t)rank << 52) + dt * 2 +
	       (e->ts > x->ts);
}

/* fit() with record order for the clock, for findings with no time: e must
 * be in x's input, 1 to TRIAGE_ORDER_WINDOW records before it (findings of
 * one record were linked when it came, feed_untimed). */
static int64_t fit_order(const struct triage *t, const struct spot *e, const struct spot *x)
{
	const struct rule_desc *er = rule_at(t, e->rule);
	int rank;

	if (!t->rel[(size_t)e->rule * ruleset_count(t->rs) + x->rule])
		return -1;
	if (e->ts != INT64_MIN || x->ts != INT64_MIN || !e->ord || !x->ord || e->input != x->input ||
	    e->ord >= x->ord || x->ord - e->ord > TRIAGE_ORDER_WINDOW)
		return -1;
	if ((rank = key_rank(er, e, x)) < 0)
		return -1;
	return ((int64_t)(er->role == ROLE_CONTEXT) << 56) + ((int64_t)rank << 52) + (x->ord - e->ord);
}

/*
 * The correlation index: a window of the explainer findings (rules with
 * `explains`) within the widest `within` of the finding being explained,
 * indexed by rule, then by (rule, key, value), each list in time order.
 * A finding's explainer is looked for only in the lists that can hold
 * one: for each rule that explains it, the list of that rule's findings
 * sharing its most specific key (then the next key when none fits), and
 * the rule's findings that carry none of its keys (time alone). Within a
 * list every fitting finding scores the same but for time, so the search
 * starts at the finding's own time and goes outwards until it is further
 * off than the best found. Cost: about log(window) per finding and list,
 * not the window itself; memory: the window.
 */
struct cq {                    /* window positions, oldest first */
	size_t *v;
	size_t cap, head, n;   /* cap a power of two */
};

struct cslot {
	uint64_t h;            /* key hash, 0: slot unused */
	uint32_t rule;
	uint32_t k;
	struct cq q;
};

struct cindex {
	struct spot *win;      /* ring of window findings by absolute position */
	size_t *wj;            /* their index in the spool */
	size_t wcap, lo, hi;   /* positions lo..hi-1 are in the window */
	struct cq *all;        /* per rule: every finding of it in the window */
	struct cq *bare;       /* per rule: those carrying none of its keys */
	struct cslot *tab;     /* (rule, key, value) -> list, open addressing */
	size_t tcap, tused, tlive;
};

static int cq_push(struct cq *q, size_t pos)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 8, i;
		size_t *v = malloc(cap * sizeof *v);

		if (!v)
			return -1;
		for (i = 0; i < q->n; i++)
			v[i] = q->v[(q->head + i) & (q->cap - 1)];
		free(q->v);
		q->v = v;
		q->cap = cap;
		q->head = 0;
	}
	q->v[(q->head + q->n++) & (q->cap - 1)] = pos;
	return 0;
}

static size_t cq_at(const struct cq *q, size_t i)
{
	return q->v[(q->head + i) & (q->cap - 1)];
}

/* Drop pos from the front, where the oldest position always is. */
static void cq_drop(struct cq *q, size_t pos)
{
	if (q->n && q->v[q->head] == pos) {
		q->head = (q->head + 1) & (q->cap - 1);
		q->n--;
	}
}

static size_t cslot_at(const struct cslot *tab, size_t cap, uint32_t rule, uint32_t k, uint64_t h)
{
	size_t i = (size_t)((h ^ ((uint64_t)rule * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)k << 59)) *
			    0xff51afd7ed558ccdull >> 17) & (cap - 1);

	while (tab[i].h && !(tab[i].h == h && tab[i].rule == rule && tab[i].k == k))
		i = (i + 1) & (cap - 1);
	return i;
}

/* Rebuild the table with room, keeping only the lists that hold findings. */
static int ctab_rebuild(struct cindex *c, size_t cap)
{
	struct cslot *tab = calloc(cap, sizeof *tab);
	size_t i;

	if (!tab)
		return -1;
	c->tused = 0;
	for (i = 0; i < c->tcap; i++) {
		struct cslot *o = &c->tab[i];

		if (!o->h)
			continue;
		if (!o->q.n) {
			free(o->q.v);
			continue;
		}
		tab[cslot_at(tab, cap, o->rule, o->k, o->h)] = *o;
		c->tused++;
	}
	free(c->tab);
	c->tab = tab;
	c->tcap = cap;
	return 0;
}

static struct cq *ctab_find(const struct cindex *c, uint32_t rule, uint32_t k, uint64_t h)
{
	struct cslot *s = &c->tab[cslot_at(c->tab, c->tcap, rule, k, h)];

	return s->h ? &s->q : NULL;
}

static struct cq *ctab_get(struct cindex *c, uint32_t rule, uint32_t k, uint64_t h)
{
	struct cslot *s;

	if ((c->tused + 1) * 2 > c->tcap &&
	    ctab_rebuild(c, c->tlive * 4 + 1 > c->tcap / 2 ? c->tcap * 2 : c->tcap) < 0)
		return NULL;
	s = &c->tab[cslot_at(c->tab, c->tcap, rule, k, h)];
	if (!s->h) {
		s->h = h;
		s->rule = rule;
		s->k = k;
		c->tused++;
	}
	return &s->q;
}

static void cindex_free(struct cindex *c, size_t nrules)
{
	size_t i;

	for (i = 0; c->all && i < nrules; i++)
		free(c->all[i].v);
	for (i = 0; c->bare && i < nrules; i++)
		free(c->bare[i].v);
	for (i = 0; c->tab && i < c->tcap; i++)
		free(c->tab[i].q.v);
	free(c->all);
	free(c->bare);
	free(c->tab);
	free(c->win);
	free(c->wj);
}

/* Window finding e (spool index j) joins the lists it belongs to. */
static int cindex_add(struct cindex *c, const struct triage *t, const struct spot *e, size_t j)
{
	unsigned by = corr_by(rule_at(t, e->rule));
	size_t pos = c->hi, k;
	int keyed = 0;

	if (c->hi - c->lo == c->wcap) {
		size_t cap = c->wcap ? c->wcap * 2 : 256, p;
		struct spot *w = malloc(cap * sizeof *w);
		size_t *wj = malloc(cap * sizeof *wj);

		if (!w || !wj) {
			free(w);
			free(wj);
			return -1;
		}
		for (p = c->lo; p < c->hi; p++) {
			w[p & (cap - 1)] = c->win[p & (c->wcap - 1)];
			wj[p & (cap - 1)] = c->wj[p & (c->wcap - 1)];
		}
		free(c->win);
		free(c->wj);
		c->win = w;
		c->wj = wj;
		c->wcap = cap;
	}
	c->win[pos & (c->wcap - 1)] = *e;
	c->wj[pos & (c->wcap - 1)] = j;
	c->hi++;
	if (cq_push(&c->all[e->rule], pos) < 0)
		return -1;
	for (k = 0; k < SPOOL_KEYS; k++) {
		struct cq *q;

		if (!(by & (1u << k)) || !e->key[k])
			continue;
		keyed = 1;
		if (!(q = ctab_get(c, e->rule, (uint32_t)k, e->key[k])))
			return -1;
		if (!q->n)
			c->tlive++;
		if (cq_push(q, pos) < 0)
			return -1;
	}
	return keyed ? 0 : cq_push(&c->bare[e->rule], pos);
}

/* The oldest window finding leaves every list it is in. */
static void cindex_drop(struct cindex *c, const struct triage *t)
{
	size_t pos = c->lo++, k;
	const struct spot *e = &c->win[pos & (c->wcap - 1)];
	unsigned by = corr_by(rule_at(t, e->rule));

	cq_drop(&c->all[e->rule], pos);
	cq_drop(&c->bare[e->rule], pos);
	for (k = 0; k < SPOOL_KEYS; k++) {
		struct cq *q;

		if (!(by & (1u << k)) || !e->key[k])
			continue;
		if ((q = ctab_find(c, e->rule, (uint32_t)k, e->key[k]))) {
			cq_drop(q, pos);
			if (!q->n)
				c->tlive--;
		}
	}
}

/* Whether (f, j) explains the finding at i better than (*bf, *bj): the lower
 * score, then, as a scan outwards from i would meet them, the one before i
 * nearest to it, then the one after nearest to it. */
static int better(int64_t f, size_t j, int64_t bf, long bj, size_t i)
{
	if (bj < 0 || f != bf)
		return bj < 0 || f < bf;
	if ((j < i) != ((size_t)bj < i))
		return j < i;
	return j < i ? j > (size_t)bj : j < (size_t)bj;
}

/* The best fitting explainer of x (spool index i) in list q: 1 when some
 * finding of q fits at all. */
static int cq_search(const struct cindex *c, const struct triage *t, const struct cq *q,
		      const struct spot *x, size_t i, int64_t *best, long *who)
{
	size_t a = 0, b = q->n, p;
	int64_t lim;        /* time distance of the first fit found on a side */
	int64_t far;        /* no finding further away fits (fit: within) */
	int found = 0, back;

	if (!q->n)
		return 0;
	far = within_us(rule_at(t, c->win[cq_at(q, 0) & (c->wcap - 1)].rule));
	while (a < b) {     /* the first finding at or after x's time */
		size_t m = a + (b - a) / 2;

		if (c->win[cq_at(q, m) & (c->wcap - 1)].ts < x->ts)
			a = m + 1;
		else
			b = m;
	}
	/* outwards: before x's time (a-1 down to 0, where p-- wraps past
	 * q->n), then from a on; each side stops past its first fit's time */
	for (back = 1; back >= 0; back--)
		for (lim = -1, p = a - (size_t)back; p < q->n; back ? p-- : p++) {
			size_t pos = cq_at(q, p);
			const struct spot *e = &c->win[pos & (c->wcap - 1)];
			size_t j = c->wj[pos & (c->wcap - 1)];
			int64_t f, d = back ? x->ts - e->ts : e->ts - x->ts;

			if ((lim >= 0 && d > lim) || d > far)
				break;
			if (j == i || (f = fit(t, e, x)) < 0)
				continue;
			if (lim < 0)
				lim = d;
			found = 1;
			if (better(f, j, *best, *who, i)) {
				*best = f;
				*who = (long)j;
			}
		}
	return found;
}

/*
 * The findings with no time sort first, in arrival order, so those of one
 * input are in record order: each one's explainer is the best fitting
 * (fit_order) among those just before it. Ones other inputs interleaved
 * are stepped over; at most ORDER_SCAN findings are looked at.
 */
#define ORDER_SCAN 4096

static int correlate_order(struct triage *t, const size_t *nexpl)
{
	size_t n = spool_count(t->spool), i, j;
	struct spot x, e;

	for (i = 0; i < n; i++) {
		int64_t best = -1, f;
		long who = -1;

		if (spool_get(t->spool, i, &x) < 0)
			return -1;
		if (x.ts != INT64_MIN)
			break;      /* the timed ones follow */
		if (!nexpl[x.rule] || x.explainer >= 0 || !x.ord)
			continue;
		for (j = i; j-- > 0 && i - j <= ORDER_SCAN;) {
			if (spool_get(t->spool, j, &e) < 0)
				return -1;
			if (e.input != x.input)
				continue;
			if (e.ord + TRIAGE_ORDER_WINDOW < x.ord)
				break;
			if ((f = fit_order(t, &e, &x)) >= 0 && (who < 0 || f < best)) {
				best = f;
				who = (long)j;
			}
		}
		if (who < 0)
			continue;
		x.explainer = (int32_t)who;
		if (spool_put(t->spool, i, &x) < 0)
			return -1;
		if (rule_at(t, x.rule)->role == ROLE_SYMPTOM) {
			group_at(t, x.group)->ordered++;
			t->rep.order_matched++;
		}
	}
	return 0;
}

/*
 * Pass over the time-sorted findings: each finding's explainer is the best
 * fitting one (fit) in the window of findings around it.
 */
static int correlate(struct triage *t)
{
	static const int order[SPOOL_KEYS] = { 0, 1, 4, 3, 2 };   /* as fit ranks them */
	size_t n = spool_count(t->spool), nr = ruleset_count(t->rs), i, r, next = 0;
	size_t *expl = NULL, *nexpl = NULL;   /* per rule: the rules that explain it */
	struct cindex c;
	int64_t maxw = 0;
	struct spot x, e;
	int rc = -1;

	memset(&c, 0, sizeof c);
	for (i = 0; i < nr; i++)
		if (rule_at(t, i)->nexplains && within_us(rule_at(t, i)) > maxw)
			maxw = within_us(rule_at(t, i));
	c.tcap = 64;
	c.all = calloc(nr ? nr : 1, sizeof *c.all);
	c.bare = calloc(nr ? nr : 1, sizeof *c.bare);
	c.tab = calloc(c.tcap, sizeof *c.tab);
	expl = calloc(nr * nr + 1, sizeof *expl);
	nexpl = calloc(nr + 1, sizeof *nexpl);
	if (!c.all || !c.bare || !c.tab || !expl || !nexpl)
		goto out;
	for (r = 0; r < nr; r++)
		for (i = 0; i < nr; i++)
			if (t->rel[i * nr + r])
				expl[r * nr + nexpl[r]++] = i;

	for (i = 0; i < n; i++) {
		int64_t best = -1;
		long who = -1;
		size_t k;

		if (spool_get(t->spool, i, &x) < 0)
			goto out;
		if (x.ts == INT64_MIN || !nexpl[x.rule])
			continue;
		/* the window: explainers no further than the widest `within` */
		while (c.lo < c.hi && c.win[c.lo & (c.wcap - 1)].ts < x.ts - maxw)
			cindex_drop(&c, t);
		for (; next < n; next++) {
			if (spool_get(t->spool, next, &e) < 0)
				goto out;
			if (e.ts != INT64_MIN && e.ts > x.ts + maxw)
				break;
			if (e.ts != INT64_MIN && rule_at(t, e.rule)->nexplains &&
			    e.ts >= x.ts - maxw && cindex_add(&c, t, &e, next) < 0)
				goto out;
		}
		for (r = 0; r < nexpl[x.rule]; r++) {
			size_t er = expl[x.rule * nr + r];
			unsigned by = corr_by(rule_at(t, er));
			int x_has = 0;

			for (k = 0; k < SPOOL_KEYS; k++)
				x_has |= (by & (1u << k)) && x.key[k];
			if (!x_has) {
				/* nothing to share: any finding of er, by time */
				cq_search(&c, t, &c.all[er], &x, i, &best, &who);
				continue;
			}
			/* the most specific shared key that fits; those that
			 * share a more specific key were in an earlier list */
			for (k = 0; k < SPOOL_KEYS; k++) {
				const struct cq *q;

				if (!(by & (1u << order[k])) || !x.key[order[k]])
					continue;
				q = ctab_find(&c, (uint32_t)er, (uint32_t)order[k], x.key[order[k]]);
				if (q && cq_search(&c, t, q, &x, i, &best, &who))
					break;
			}
			cq_search(&c, t, &c.bare[er], &x, i, &best, &who);
		}
		if (who >= 0) {
			x.explainer = (int32_t)who;
			if (spool_put(t->spool, i, &x) < 0)
				goto out;
		}
	}
	rc = correlate_order(t, nexpl);
out:
	cindex_free(&c, nr);
	free(expl);
	free(nexpl);
	return rc;
}

struct close_ref {
	uint32_t seq;
	uint32_t key;      /* index in keys */
	int untimed;
	size_t at;         /* spool index, once found */
	int32_t explainer;
	int64_t ts;
};

static int ref_cmp(const void *a, const void *b)
{
	const struct close_ref *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static struct close_ref *ref_find(struct close_ref *refs, size_t n, uint32_t seq)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (refs[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && refs[lo].seq == seq ? &refs[lo] : NULL;
}

/* After correlate: each untimed close noted by close_note takes the
 * explainer of its key's earliest explained timed close. */
static int close_link(struct triage *t)
{
	struct close_match *cm = t->cm;
	struct close_ref *refs, *r;
	int32_t *best;
	int64_t *best_ts;
	size_t n = spool_count(t->spool), nref = 0, i, k;
	struct spot x;
	int rc = -1;

	if (!cm || !cm->nuntimed)
		return 0;
	refs = malloc((cm->nuntimed + CLOSE_KEYS * CLOSE_TWINS) * sizeof *refs);
	best = malloc(CLOSE_KEYS * sizeof *best);
	best_ts = malloc(CLOSE_KEYS * sizeof *best_ts);
	if (!refs || !best || !best_ts)
		goto out;
	for (i = 0; i < cm->nuntimed; i++)
		refs[nref++] = (struct close_ref){ cm->untimed[i].seq, cm->untimed[i].key, 1, 0, -1, 0 };
	for (k = 0; k < CLOSE_KEYS; k++) {
		best[k] = -1;
		for (i = 0; i < cm->keys[k].ntwins; i++)
			refs[nref++] = (struct close_ref){ cm->keys[k].twins[i].seq, (uint32_t)k, 0, 0,
							   -1, cm->keys[k].twins[i].ts };
	}
	qsort(refs, nref, sizeof *refs, ref_cmp);
	for (i = 0; i < n; i++) {
		if (spool_get(t->spool, i, &x) < 0)
			goto out;
		if (!(r = ref_find(refs, nref, x.seq)))
			continue;
		r->at = i;
		if (r->untimed || x.explainer < 0)
			continue;
		/* spool order is time order: the first explained twin is the earliest */
		if (best[r->key] < 0 || x.ts < best_ts[r->key]) {
			best[r->key] = x.explainer;
			best_ts[r->key] = x.ts;
		}
	}
	for (i = 0; i < nref; i++) {
		if (!refs[i].untimed || best[refs[i].key] < 0)
			continue;
		if (spool_get(t->spool, refs[i].at, &x) < 0)
			goto out;
		if (x.explainer >= 0)     /* explained within its own record */
			continue;
		x.explainer = best[refs[i].key];
		if (spool_put(t->spool, refs[i].at, &x) < 0)
			goto out;
		group_at(t, x.group)->matched++;
		t->rep.close_matched++;
	}
	rc = 0;
out:
	free(refs);
	free(best);
	free(best_ts);
	return rc;
}

static void count_add(struct triage_count *c, size_t *n, const struct rule_desc *r)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (c[i].rule == r) {
			c[i].n++;
			return;
		}
	if (*n < TRIAGE_MAX_LINKS) {
		c[*n].rule = r;
		c[*n].n = 1;
		(*n)++;
	}
}

static void chain_add(struct triage_group *g, const struct rule_desc *const *rules, size_t len,
		      struct triage_group *const *grp)
{
	size_t i;

	for (i = 0; i < g->nchains; i++)
		if (g->chains[i].len == len &&
		    !memcmp(g->chains[i].rule, rules, len * sizeof *rules)) {
			g->chains[i].n++;
			return;
		}
	if (g->nchains < TRIAGE_MAX_CHAINS) {
		memcpy(g->chains[g->nchains].rule, rules, len * sizeof *rules);
		g->chains[g->nchains].len = len;
		g->chains[g->nchains].n = 1;
		memcpy(g->chains[g->nchains].grp, grp, len * sizeof *grp);
		g->nchains++;
	}
}

/* The groups whose why lines lead to g's own: its top chain's links above
 * it, context rules left out. */
static const struct triage_group *why_link(const struct triage_group *g, size_t j)
{
	const struct triage_group *l;

	if (!g->linked || j + 1 >= g->linked->len)
		return NULL;
	l = g->linked->grp[j];
	return l && l->rule->role != ROLE_CONTEXT ? l : NULL;
}

size_t triage_why_count(const struct triage_group *g)
{
	size_t n = g->nwhy, j;

	for (j = 0; g->linked && j + 1 < g->linked->len; j++)
		if (why_link(g, j))
			n += why_link(g, j)->nwhy;
	return n;
}

const char *triage_why_at(const struct triage_group *g, size_t i)
{
	size_t j;

	for (j = 0; g->linked && j + 1 < g->linked->len; j++) {
		const struct triage_group *l = why_link(g, j);

		if (!l)
			continue;
		if (i < l->nwhy)
			return l->why[i];
		i -= l->nwhy;
	}
	return g->why[i];
}

int triage_bucket(const struct triage_report *r, int64_t us)
{
	int64_t b;

	if (!r->nbuckets || us == INT64_MIN)
		return 0;
	b = (us - r->bucket0_us) / r->bucket_us;
	return b < 0 ? 0 : b >= r->nbuckets ? r->nbuckets - 1 : (int)b;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

/*
 * The histograms' axis: the smallest round width (1 ms .. 1 day, then
 * weeks) at which the span, cut at multiples of the width, fits in
 * TRIAGE_BUCKETS buckets. Round widths on round boundaries read well on an
 * axis and plot without resampling.
 */
static void choose_buckets(struct triage_report *r)
{
	static const int64_t ms[] = {
		1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000,
		60000, 120000, 300000, 600000, 900000, 1800000, 3600000, 7200000, 10800000,
		21600000, 43200000, 86400000,
	};
	int64_t w = 0, b0 = 0, n = 0;
	size_t i;

	r->nbuckets = 0;
	if (!r->has_span)
		return;
	for (i = 0; i < sizeof ms / sizeof *ms; i++) {
		w = ms[i] * 1000;
		b0 = floor_div(r->first_us, w);
		n = floor_div(r->last_us, w) - b0 + 1;
		if (n <= TRIAGE_BUCKETS)
			break;
	}
	while (n > TRIAGE_BUCKETS) {
		w = w == 86400000000ll ? 7 * w : 2 * w;
		b0 = floor_div(r->first_us, w);
		n = floor_div(r->last_us, w) - b0 + 1;
	}
	r->bucket_us = w;
	r->bucket0_us = b0 * w;
	r->nbuckets = (int)n;
}

/* Follow each symptom down its chain; count links, chains, verdicts. */
static int aggregate(struct triage *t)
{
	size_t n = spool_count(t->spool), i;
	struct spot x, e;

	for (i = 0; i < n; i++) {
		const struct rule_desc *rules[TRIAGE_MAX_DEPTH + 1];
		struct triage_group *path[TRIAGE_MAX_DEPTH + 1];
		struct triage_group *g, *deepest = NULL;
		size_t len = 0, p;
		int32_t next;
		int b;

		if (spool_get(t->spool, i, &x) < 0)
			return -1;
		g = group_at(t, x.group);
		b = triage_bucket(&t->rep, x.ts);
		if (x.ts != INT64_MIN)   /* a finding with no time has no bucket */
			g->hist[b]++;
		if (x.explainer >= 0) {
			if (spool_get(t->spool, (size_t)x.explainer, &e) < 0)
				return -1;
			count_add(group_at(t, e.group)->explains, &group_at(t, e.group)->nexplains,
				  rule_at(t, x.rule));
		}
		if (rule_at(t, x.rule)->role != ROLE_SYMPTOM)
			continue;

		rules[len] = rule_at(t, x.rule);
		path[len++] = g;
		for (next = x.explainer; next >= 0 && len <= TRIAGE_MAX_DEPTH; next = e.explainer) {
			if (spool_get(t->spool, (size_t)next, &e) < 0)
				return -1;
			rules[len] = rule_at(t, e.rule);
			path[len++] = group_at(t, e.group);
		}
		for (p = 1; p < len; p++) {
			struct triage_group *c = path[p];
			size_t q;

			if (c->rule->role == ROLE_CONTEXT) {
				/* evidence for the nearest cause above it in the chain */
				for (q = p; q-- > 1;)
					if (path[q]->rule->role == ROLE_CAUSE) {
						count_add(path[q]->evidence, &path[q]->nevidence, c->rule);
						break;
					}
				continue;
			}
			if (c->rule->role != ROLE_CAUSE)
				continue;
			for (q = 1; q < p && path[q] != c; q++)
				;
			if (q < p)
				continue;   /* the same group twice in one chain counts once */
			c->explained_symptoms++;
			if (x.ts != INT64_MIN)   /* a close matched by code and reason has no time */
				c->shist[b]++;
			chain_add(c, rules, p + 1, path);
			deepest = c;
		}
		if (deepest) {
			deepest->verdict_symptoms++;
			g->explained++;
		} else {
			g->unexplained++;
			if (x.ts != INT64_MIN)
				g->uhist[b]++;
			if (t->sus && suspect_symptom(t->sus, x.ts, x.key, rule_at(t, x.rule)) < 0)
				return -1;
		}
	}
	return 0;
}

static int cause_cmp(const void *a, const void *b)
{
	const struct triage_group *x = *(struct triage_group *const *)a;
	const struct triage_group *y = *(struct triage_group *const *)b;
	int c;

	/* "explained" first in its strongest sense: the symptoms this cause is
	 * the deepest answer for, so the root ranks above the links that lead
	 * to it; then the symptoms whose chain passes through it */
	if (x->verdict_symptoms != y->verdict_symptoms)
		return x->verdict_symptoms > y->verdict_symptoms ? -1 : 1;
	if (x->explained_symptoms != y->explained_symptoms)
		return x->explained_symptoms > y->explained_symptoms ? -1 : 1;
	if (x->rule->level != y->rule->level)
		return x->rule->level > y->rule->level ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	c = strcmp(x->rule->id, y->rule->id);
	return c ? c : strcmp(x->key, y->key);
}

static int symptom_cmp(const void *a, const void *b)
{
	const struct triage_group *x = *(struct triage_group *const *)a;
	const struct triage_group *y = *(struct triage_group *const *)b;

	return strcmp(x->rule->id, y->rule->id);
}

static int chain_cmp(const void *a, const void *b)
{
	const struct triage_chain *x = a, *y = b;
	size_t i;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	for (i = 0; i < x->len && i < y->len; i++) {
		int c = strcmp(x->rule[i]->id, y->rule[i]->id);

		if (c)
			return c;
	}
	return x->len < y->len ? -1 : x->len > y->len;
}

/* Whether group c's findings explained a finding of rule x. */
static int linked(const struct triage_group *c, const struct rule_desc *x)
{
	size_t i;

	for (i = 0; i < c->nexplains; i++)
		if (c->explains[i].rule == x)
			return 1;
	return 0;
}

/*
 * With no symptom, the verdict is still the deepest cause: from the
 * top-ranked cause, step to a cause that explains it (the best ranked
 * first), as long as there is one. A step needs a correlated link, or, when
 * either side has no time to correlate by, the rules' own explains.
 */
static const struct triage_group *deepest_cause(const struct triage *t,
						const struct triage_group *v)
{
	const struct triage_report *r = &t->rep;
	size_t depth, i, n = ruleset_count(t->rs);

	for (depth = 0; depth < TRIAGE_MAX_DEPTH; depth++) {
		const struct triage_group *next = NULL;

		for (i = 0; i < r->ncauses && !next; i++) {
			const struct triage_group *c = r->causes[i];

			if (c == v || !t->rel[c->rule->index * n + v->rule->index])
				continue;
			if (linked(c, v->rule) || !c->has_ts || !v->has_ts)
				next = c;
		}
		if (!next)
			break;
		v = next;
	}
	return v;
}

static int collect(struct triage *t)
{
	size_t i, total = t->ngroups + ruleset_count(t->rs);
	struct triage_report *r = &t->rep;
	long best = 0;
	int any_symptom = 0;

	r->causes = calloc(total ? total : 1, sizeof *r->causes);
	r->symptoms = calloc(total ? total : 1, sizeof *r->symptoms);
	r->inputs = calloc(t->ninputs ? t->ninputs : 1, sizeof *r->inputs);
	if (!r->causes || !r->symptoms || !r->inputs)
		return -1;
	for (i = 0; i < t->ninputs; i++)
		r->inputs[i] = t->inputs[i].name;
	r->ninputs = t->ninputs;
	for (i = 0; i < total; i++) {
		struct triage_group *g = i < t->ngroups ? t->groups[i] : t->overflow[i - t->ngroups];

		if (!g)
			continue;
		qsort(g->chains, g->nchains, sizeof *g->chains, chain_cmp);
		g->linked = g->nchains ? &g->chains[0] : NULL;
		if (g->rule->role == ROLE_CAUSE)
			r->causes[r->ncauses++] = g;
		else if (g->rule->role == ROLE_SYMPTOM) {
			r->symptoms[r->nsymptoms++] = g;
			any_symptom = 1;
		}
	}
	qsort(r->causes, r->ncauses, sizeof *r->causes, cause_cmp);
	qsort(r->symptoms, r->nsymptoms, sizeof *r->symptoms, symptom_cmp);
	/* the verdict: the deepest cause of the most symptoms, ties in rank
	 * order; with no symptom at all, the top-ranked cause */
	for (i = 0; i < r->ncauses; i++)
		if (r->causes[i]->verdict_symptoms > best) {
			best = r->causes[i]->verdict_symptoms;
			r->verdict = r->causes[i];
		}
	if (!any_symptom && r->ncauses)
		r->verdict = deepest_cause(t, r->causes[0]);
	return 0;
}

/*
 * Sort each group's where-counts; a group seen on one revision only, when
 * a revision that started after that one (and after the group's last
 * finding) exists in the input, is not seen after that revision started.
 */
static void where_finish(struct triage *t)
{
	struct triage_report *r = &t->rep;
	size_t i, j, total = t->ngroups + ruleset_count(t->rs);

	r->nrevisions = where_revisions(t->where, &r->revisions);
	for (i = 0; i < total; i++) {
		struct triage_group *g = i < t->ngroups ? t->groups[i] : t->overflow[i - t->ngroups];
		const struct where_revision *own = NULL;

		if (!g || !g->where)
			continue;
		where_sort(g->where);
		g->gone_after = NULL;
		if (g->where->n[WHERE_REVISION] != 1 || g->where->other[WHERE_REVISION] || !g->has_ts)
			continue;
		for (j = 0; j < r->nrevisions; j++)
			if (r->revisions[j].name == g->where->top[WHERE_REVISION][0].value)
				own = &r->revisions[j];
		for (j = 0; own && j < r->nrevisions; j++)
			if (r->revisions[j].first_us > own->first_us &&
			    r->revisions[j].first_us != INT64_MAX &&
			    r->revisions[j].first_us > g->last_us) {
				g->gone_after = r->revisions[j].name;
				break;
			}
	}
}

const struct triage_report *triage_finish(struct triage *t)
{
	choose_buckets(&t->rep);
	where_finish(t);
	if (spool_sort(t->spool) < 0 || correlate(t) < 0 || close_link(t) < 0 || aggregate(t) < 0 ||
	    collect(t) < 0)
		return NULL;
	if (t->fed && t->sus) {
		if (suspect_finish(t->sus, t->rep.has_span, t->rep.first_us, t->rep.last_us) < 0)
			return NULL;
		t->rep.suspects = suspect_at(t->sus, 0);
		t->rep.nsuspects = suspect_count(t->sus);
		t->rep.suspects_known = 1;
	}
	return &t->rep;
}

void triage_free(struct triage *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->ngroups; i++)
		group_free(t->groups[i]);
	if (t->overflow)
		for (i = 0; i < ruleset_count(t->rs); i++)
			group_free(t->overflow[i]);
	for (i = 0; i < t->rep.nwarnings; i++)
		free(t->rep.warnings[i]);
	free(t->rep.warnings);
	free(t->rep.causes);
	free(t->rep.symptoms);
	free(t->rep.inputs);
	free(t->groups);
	free(t->table);
	free(t->overflow);
	free(t->rel);
	free(t->recgid);
	if (t->cm)
		free(t->cm->untimed);
	free(t->cm);
	for (i = 0; i < t->capinputs; i++)
		free(t->inputs[i].name);
	free(t->inputs);
	free(t->ovorder);
	free(t->ovpos);
	spool_free(t->spool);
	suspect_free(t->sus);
	where_pool_free(t->where);
	rule_match_clear(&t->m);
	buf_free(&t->scratch);
	free(t);
}

struct snap {
	struct triage *to;
	long *gid;          /* t's group index -> the copy's */
	long *ovgid;        /* rule index -> the copy's overflow group */
};

static int snap_finding(void *ctx, const struct spot *f)
{
	struct snap *s = ctx;
	long gid = f->group < TRIAGE_MAX_GROUPS ? s->gid[f->group]
						: s->ovgid[f->group - TRIAGE_MAX_GROUPS];

	/* an untimed finding names its explainer by its place among the
	 * untimed ones, which the copy keeps (they are added in arrival order) */
	return finding_add(s->to, gid, f->ts, f->ord, f->input, f->key, f->explainer) < 0;
}

struct triage *triage_snapshot(struct triage *t)
{
	struct snap s = { NULL, NULL, NULL };
	size_t i, n = triage_ngroups(t);

	s.to = triage_new(t->rs, t->warn);
	s.gid = calloc(t->ngroups ? t->ngroups : 1, sizeof *s.gid);
	s.ovgid = calloc(ruleset_count(t->rs) ? ruleset_count(t->rs) : 1, sizeof *s.ovgid);
	if (!s.to || !s.gid || !s.ovgid)
		goto fail;
	for (i = 0; i < n; i++) {
		int ov;
		const struct triage_group *g = triage_group_at(t, i, &ov);
		long id = triage_add_group(s.to, g, ov);

		if (id == GROUP_NEW)
			goto fail;
		if (ov)
			s.ovgid[g->rule->index] = id;
		else
			s.gid[i] = id;
		if (where_merge(s.to->where, id >= 0 ? &s.to->groups[id]->where
					       : &s.to->overflow[-2 - id]->where, g->where) < 0)
			goto fail;
	}
	if (where_pool_copy_revisions(s.to->where, t->where) < 0)
		goto fail;
	for (i = 0; i < t->ninputs; i++) {
		if (triage_add_input(s.to, t->inputs[i].name) < 0)
			goto fail;
		s.to->inputs[i].last_ts = t->inputs[i].last_ts;
		s.to->inputs[i].nrec = t->inputs[i].nrec;
	}
	triage_add_records(s.to, t->rep.records, t->rep.has_span, t->rep.first_us, t->rep.last_us);
	for (i = 0; i < t->rep.nwarnings; i++)
		triage_warning(s.to, t->rep.warnings[i]);
	if (spool_each(t->spool, snap_finding, &s) < 0)
		goto fail;
	free(s.gid);
	free(s.ovgid);
	return s.to;
fail:
	free(s.gid);
	free(s.ovgid);
	triage_free(s.to);
	return NULL;
}

uint64_t triage_rules_digest(const struct ruleset *rs)
{
	uint64_t h = 1469598103934665603ull;
	size_t i, j;
	char num[64];

#define MIX(p, n) do { size_t k_; for (k_ = 0; k_ < (n); k_++) { \
		h ^= (unsigned char)(p)[k_]; h *= 1099511628211ull; } } while (0)
	for (i = 0; i < ruleset_count(rs); i++) {
		const struct rule_desc *r = rule_desc(ruleset_rule(rs, i));

		MIX(r->id, strlen(r->id) + 1);
		snprintf(num, sizeof num, "%d:%d:%ld:%u", (int)r->role, (int)r->level,
			 r->within_ms, r->correlate_by);
		MIX(num, strlen(num) + 1);
		for (j = 0; j < r->nexplains; j++)
			MIX(r->explains[j], strlen(r->explains[j]) + 1);
		MIX("", 1);
	}
#undef MIX
	return h;
}

size_t triage_ngroups(const struct triage *t)
{
	return t->ngroups + t->nov;
}

const struct triage_group *triage_group_at(const struct triage *t, size_t i, int *overflow)
{
	*overflow = i >= t->ngroups;
	return i < t->ngroups ? t->groups[i] : t->overflow[t->ovorder[i - t->ngroups]];
}

size_t triage_ninputs(const struct triage *t)
{
	return t->ninputs;
}

const char *triage_input_at(const struct triage *t, size_t i, int *has_last, int64_t *last_us)
{
	*has_last = t->inputs[i].last_ts != INT64_MIN;
	*last_us = *has_last ? t->inputs[i].last_ts : 0;
	return t->inputs[i].name;
}

size_t triage_nfindings(const struct triage *t)
{
	return spool_count(t->spool);
}

int triage_finding_at(struct triage *t, size_t i, struct triage_finding *f)
{
	struct spot s;

	if (spool_get(t->spool, i, &s) < 0)
		return -1;
	f->ts = s.ts;
	f->group = s.group < TRIAGE_MAX_GROUPS ? s.group
		   : t->ngroups + t->ovpos[s.group - TRIAGE_MAX_GROUPS];
	f->input = s.input;
	memcpy(f->key, s.key, sizeof f->key);
	return 0;
}

void triage_add_records(struct triage *t, long records, int has_span, int64_t first_us,
			int64_t last_us)
{
	t->rep.records += records;
	if (!has_span)
		return;
	if (!t->rep.has_span || first_us < t->rep.first_us)
		t->rep.first_us = first_us;
	if (!t->rep.has_span || last_us > t->rep.last_us)
		t->rep.last_us = last_us;
	t->rep.has_span = 1;
}

long triage_add_input(struct triage *t, const char *name)
{
	size_t i = t->ninputs;

	if (input_grow(t, i) < 0)
		return -1;
	if (name && !(t->inputs[i].name = strdup(name)))
		return -1;
	t->ninputs++;
	return (long)i;
}

void triage_set_input_last(struct triage *t, size_t input, int64_t last_us)
{
	if (input < t->ninputs)
		t->inputs[input].last_ts = last_us;
}

static struct triage_group *group_copy(const struct triage_group *src)
{
	struct triage_group *g = calloc(1, sizeof *g);
	size_t i;

	if (!g)
		return NULL;
	g->rule = src->rule;
	g->key = strdup(src->key);
	g->caps = calloc(src->ncaps ? src->ncaps : 1, sizeof *g->caps);
	g->why = calloc(src->nwhy ? src->nwhy : 1, sizeof *g->why);
	if (!g->key || !g->caps || !g->why)
		goto fail;
	for (i = 0; i < src->ncaps; i++, g->ncaps++) {
		g->caps[i].name = strdup(src->caps[i].name);
		g->caps[i].value = strdup(src->caps[i].value);
		if (!g->caps[i].name || !g->caps[i].value) {
			g->ncaps++;
			goto fail;
		}
	}
	for (i = 0; i < src->nwhy; i++, g->nwhy++)
		if (!(g->why[i] = strdup(src->why[i])))
			goto fail;
	g->message = strdup(src->message);
	g->fix = src->fix ? strdup(src->fix) : NULL;
	g->ex_source = strdup(src->ex_source);
	g->ex_text = strdup(src->ex_text);
	g->ex_line = src->ex_line;
	g->has_pos = src->has_pos;
	g->first_input = src->first_input;
	g->last_input = src->last_input;
	g->first_line = src->first_line;
	g->last_line = src->last_line;
	if (!g->message || (src->fix && !g->fix) || !g->ex_source || !g->ex_text)
		goto fail;
	return g;
fail:
	group_free(g);
	return NULL;
}

long triage_add_group(struct triage *t, const struct triage_group *src, int overflow)
{
	struct triage_group *g;
	size_t slot = 0;
	long gid = GROUP_NEW;

	if (overflow) {
		if (t->overflow[src->rule->index])
			return -2 - (long)src->rule->index;
	} else {
		gid = group_find(t, src->rule, src->key, strlen(src->key), &slot);
		if (gid != GROUP_NEW)
			return gid;
	}
	if (!(g = group_copy(src)))
		return GROUP_NEW;
	return group_place(t, g, slot, overflow);
}

int triage_add_finding(struct triage *t, long gid, int64_t ts, unsigned input,
		       const uint64_t key[SPOOL_KEYS])
{
	return finding_add(t, gid, ts, 0, input, key, -1);
}

int triage_add_where(struct triage *t, long gid, int kind, const char *value, long n)
{
	struct triage_group *g = gid >= 0 ? t->groups[gid] : t->overflow[-2 - gid];

	if (kind < 0 || kind >= WHERE_KINDS || n <= 0)
		return 0;
	return where_add_value(t->where, &g->where, kind, value ? value : WHERE_OTHER, n);
}

int triage_add_revision(struct triage *t, const char *name, int has, int64_t first_us)
{
	return where_add_revision(t->where, name, has ? first_us : INT64_MIN);
}
