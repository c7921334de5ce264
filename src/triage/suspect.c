#include "triage/suspect.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "triage/spool.h"

#define KEYSET_FIRST ((size_t)1 << 10)
#define KEYSET_MAX ((size_t)1 << 16)    /* distinct values counted; more saturate */
#define MAX_SYMPTOM_RULES 8             /* per suspect: the rules it explains */

struct keyset {
	uint64_t *slot;                     /* open addressing, 0: empty */
	size_t n, cap;                      /* cap: a power of two, over 2n */
};

struct suspect_set {
	const struct warn_sink *warn;
	struct pattern_set *ps;
	struct spool *cand, *sym;
	struct keyset keys[3];              /* connection, trace, instance */
	const struct rule_desc *rules[MAX_SYMPTOM_RULES];   /* symptom rules, in arrival order */
	size_t nrules;
	struct suspect *list;
	size_t nlist;
};

/* triage.c's key hash: the spool's keys compare with these */
static uint64_t key_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	if (!s || !*s)
		return 0;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h ? h : 1;
}

static size_t keyset_find(const uint64_t *slot, size_t cap, uint64_t h)
{
	size_t i;

	for (i = (size_t)h & (cap - 1); slot[i] && slot[i] != h; i = (i + 1) & (cap - 1))
		;
	return i;
}

/* The table grows with the values it holds (most inputs have a few
 * hundred): its memory is touched only as it fills. */
static int keyset_add(struct keyset *k, uint64_t h)
{
	size_t i;

	if (!h || k->n >= KEYSET_MAX)
		return 0;
	if (2 * (k->n + 1) > k->cap) {
		size_t cap = k->cap ? 2 * k->cap : KEYSET_FIRST;
		uint64_t *slot = calloc(cap, sizeof *slot);

		if (!slot)
			return -1;
		for (i = 0; i < k->cap; i++)
			if (k->slot[i])
				slot[keyset_find(slot, cap, k->slot[i])] = k->slot[i];
		free(k->slot);
		k->slot = slot;
		k->cap = cap;
	}
	i = keyset_find(k->slot, k->cap, h);
	if (!k->slot[i]) {
		k->slot[i] = h;
		k->n++;
	}
	return 0;
}

struct suspect_set *suspect_new(const struct warn_sink *w)
{
	struct suspect_set *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->warn = w;
	if (!(s->ps = pattern_set_new(0, w))) {
		free(s);
		return NULL;
	}
	return s;
}

void suspect_free(struct suspect_set *s)
{
	size_t i;

	if (!s)
		return;
	pattern_set_free(s->ps);
	spool_free(s->cand);
	spool_free(s->sym);
	for (i = 0; i < 3; i++)
		free(s->keys[i].slot);
	free(s->list);
	free(s);
}

static int has_traceback(const char *s, size_t n)
{
	static const char tb[] = "Traceback (most recent call last):";
	const char *p = s, *e = s + n;

	while ((size_t)(e - p) >= sizeof tb - 1 && (p = memchr(p, 'T', (size_t)(e - p)))) {
		if ((size_t)(e - p) >= sizeof tb - 1 && !memcmp(p, tb, sizeof tb - 1))
			return 1;
		p++;
	}
	return 0;
}

int suspect_candidate(const struct event *ev)
{
	if (ev->skimmed && !ev->keyed)
		return 0;
	if (ev->sev >= SEV_WARNING)
		return 1;
	/* a Python traceback on stderr carries no severity, and is an error */
	return ev->sev == SEV_DEFAULT && has_traceback(ev->msg, ev->msg_len);
}

static int add_keys(struct suspect_set *s, const uint64_t *key)
{
	size_t i;

	for (i = 0; i < 3; i++)
		if (keyset_add(&s->keys[i], key[i]) < 0)
			return -1;
	return 0;
}

int suspect_feed(struct suspect_set *s, const struct event *ev, int64_t ts, int matched)
{
	struct spot sp;
	long idx;

	if (matched || !suspect_candidate(ev))
		return 0;
	idx = pattern_add(s->ps, ev);
	if (idx == -2) {
		errno = ENOMEM;
		return -1;
	}
	if (idx < 0 || ts == INT64_MIN)
		return 0;   /* past the pattern cap (warned), or never placed in time */
	memset(&sp, 0, sizeof sp);
	sp.ts = ts;
	sp.group = (uint32_t)idx;
	sp.explainer = -1;
	sp.key[0] = key_hash(ev->conn);
	sp.key[1] = key_hash(ev->trace);
	sp.key[2] = key_hash(ev->instance);
	if (add_keys(s, sp.key) < 0)
		return -1;
	if (!s->cand && !(s->cand = spool_new()))
		return -1;
	return spool_add(s->cand, &sp);
}

int suspect_symptom(struct suspect_set *s, int64_t ts, const uint64_t key[SPOOL_KEYS],
		    const struct rule_desc *r)
{
	struct spot sp;
	size_t i;

	if (ts == INT64_MIN)
		return 0;
	for (i = 0; i < s->nrules && s->rules[i] != r; i++)
		;
	if (i == s->nrules && i < MAX_SYMPTOM_RULES)
		s->rules[s->nrules++] = r;
	memset(&sp, 0, sizeof sp);
	sp.ts = ts;
	sp.rule = (uint16_t)i;   /* MAX_SYMPTOM_RULES: not named in explains */
	sp.explainer = -1;
	memcpy(sp.key, key, 3 * sizeof *key);
	if (add_keys(s, sp.key) < 0)
		return -1;
	if (!s->sym && !(s->sym = spool_new()))
		return -1;
	return spool_add(s->sym, &sp);
}

/* How a record c can be linked to a symptom x: the most specific key both
 * carry with one value; time alone when one carries none; -1 when a key
 * both carry differs, or each carries only keys the other lacks. */
static int link_of(const struct spot *c, const struct spot *x)
{
	int k, best = -1, c_has = 0, x_has = 0;

	for (k = 0; k < 3; k++) {
		c_has |= c->key[k] != 0;
		x_has |= x->key[k] != 0;
		if (!c->key[k] || !x->key[k])
			continue;
		if (c->key[k] != x->key[k])
			return -1;
		if (best < 0)
			best = k;
	}
	if (best >= 0)
		return best;
	return c_has && x_has ? -1 : SUSPECT_BY_TIME;
}

struct work {
	long support;
	size_t stamp;             /* symptom number + 1 that last counted it */
	long linked[SUSPECT_NLINKS];
	long expl[MAX_SYMPTOM_RULES];
	int64_t *leads;
	size_t nleads;
};

static int lead_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int64_t median(int64_t *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof *v, lead_cmp);
	return v[(n - 1) / 2];
}

struct ranked {
	struct suspect s;
	double score;
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->s.lead_ms != y->s.lead_ms)
		return x->s.lead_ms < y->s.lead_ms ? -1 : 1;
	if (x->s.count != y->s.count)
		return x->s.count > y->s.count ? -1 : 1;
	return strcmp(x->s.pattern->id, y->s.pattern->id);
}

/* Look behind each symptom for the patterns before it. */
static int scan(struct suspect_set *s, struct work *w, size_t np)
{
	size_t ns = spool_count(s->sym), nc = spool_count(s->cand), i, j = 0, k, steps;
	struct spot x, c;

	for (i = 0; i < ns; i++) {
		if (spool_get(s->sym, i, &x) < 0)
			return -1;
		/* j: the first record after the symptom */
		while (j < nc) {
			if (spool_get(s->cand, j, &c) < 0)
				return -1;
			if (c.ts > x.ts)
				break;
			j++;
		}
		for (k = j, steps = 0; k-- > 0 && steps < SUSPECT_SCAN; steps++) {
			struct work *p;
			int link;

			if (spool_get(s->cand, k, &c) < 0)
				return -1;
			if (x.ts - c.ts > SUSPECT_WINDOW_US)
				break;
			if (c.group >= np || (link = link_of(&c, &x)) < 0)
				continue;
			p = &w[c.group];
			if (p->stamp == i + 1)
				continue;   /* nearest one only */
			p->stamp = i + 1;
			p->support++;
			p->linked[link]++;
			if (x.rule < MAX_SYMPTOM_RULES)
				p->expl[x.rule]++;
			if (!p->leads && !(p->leads = malloc(SUSPECT_LEADS * sizeof *p->leads)))
				return -1;
			if (p->nleads < SUSPECT_LEADS)
				p->leads[p->nleads++] = x.ts - c.ts;
		}
	}
	return 0;
}

int suspect_finish(struct suspect_set *s, int has_span, int64_t first_us, int64_t last_us)
{
	size_t np = pattern_count(s->ps), ns, i, j, nr = 0;
	struct work *w;
	struct ranked *r;
	double span;
	int rc = -1;

	if (!s->sym || !s->cand || !np)
		return 0;
	if (spool_sort(s->sym) < 0 || spool_sort(s->cand) < 0)
		return -1;
	ns = spool_count(s->sym);
	w = calloc(np, sizeof *w);
	r = calloc(np, sizeof *r);
	if (!w || !r)
		goto out;
	if (scan(s, w, np) < 0)
		goto out;
	span = has_span && last_us - first_us > SUSPECT_WINDOW_US ? (double)(last_us - first_us)
								  : (double)SUSPECT_WINDOW_US;
	for (i = 0; i < np; i++) {
		const struct pattern *p = pattern_at(s->ps, i);
		struct suspect *o = &r[nr].s;
		double keys = 1, rate, chance, lift;
		int link = SUSPECT_BY_TIME, l;

		if (!w[i].support)
			continue;
		/* the base rate: this pattern's records spread over the span
		 * and over the values of the key it is linked by */
		for (l = 0; l < SUSPECT_NLINKS; l++)
			if (w[i].linked[l] > w[i].linked[link] ||
			    (w[i].linked[l] == w[i].linked[link] && l < link))
				link = l;
		if (link != SUSPECT_BY_TIME && s->keys[link].n > 1)
			keys = (double)s->keys[link].n;
		rate = (double)p->count / keys * (double)SUSPECT_WINDOW_US / span;
		chance = -expm1(-rate);
		if (chance < 1e-9)
			chance = 1e-9;
		lift = ((double)w[i].support / (double)ns) / chance;
		if (lift < SUSPECT_MIN_LIFT)
			continue;
		o->pattern = p;
		o->count = p->count;
		o->symptoms = w[i].support;
		o->lead_ms = (long)(median(w[i].leads, w[i].nleads) / 1000);
		o->lift = lift;
		memcpy(o->linked, w[i].linked, sizeof o->linked);
		o->has_ts = p->has_ts;
		o->first_us = p->first_us;
		o->last_us = p->last_us;
		for (j = 0; j < s->nrules; j++) {
			size_t at;

			if (!w[i].expl[j])
				continue;
			/* most first, then rule id */
			for (at = o->nexplains; at > 0 &&
			     (o->nexplained[at - 1] < w[i].expl[j] ||
			      (o->nexplained[at - 1] == w[i].expl[j] &&
			       strcmp(o->explains[at - 1]->id, s->rules[j]->id) > 0)); at--) {
				o->explains[at] = o->explains[at - 1];
				o->nexplained[at] = o->nexplained[at - 1];
			}
			o->explains[at] = s->rules[j];
			o->nexplained[at] = w[i].expl[j];
			o->nexplains++;
		}
		r[nr].score = (double)w[i].support * log2(lift);
		nr++;
	}
	qsort(r, nr, sizeof *r, ranked_cmp);
	if (nr > SUSPECT_MAX)
		nr = SUSPECT_MAX;
	if (nr && !(s->list = malloc(nr * sizeof *s->list)))
		goto out;
	for (i = 0; i < nr; i++)
		s->list[i] = r[i].s;
	s->nlist = nr;
	rc = 0;
out:
	if (w)
		for (i = 0; i < np; i++)
			free(w[i].leads);
	free(w);
	free(r);
	return rc;
}

size_t suspect_count(const struct suspect_set *s)
{
	return s->nlist;
}

const struct suspect *suspect_at(const struct suspect_set *s, size_t i)
{
	return i < s->nlist ? &s->list[i] : NULL;
}

const struct pattern_set *suspect_patterns(const struct suspect_set *s)
{
	return s->ps;
}
