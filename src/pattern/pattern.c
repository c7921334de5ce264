#include "pattern/pattern.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern/mask.h"

#define CACHE_BITS 16        /* exact masked lines seen: 64 Ki entries */
#define LEAF_MAX_SCAN 512    /* patterns of one leaf compared, newest last */

static const char *const kind_names[PATTERN_NKINDS] = {
	"", "NUM", "HEX", "UUID", "IP", "URL", "PATH", "EMAIL", "STR", "DUR", "TIME", "ID", "*",
};

const char *pattern_kind_name(enum pattern_kind k)
{
	return k < PATTERN_NKINDS ? kind_names[k] : "*";
}

/* Drain's first levels: token count, then the first token (a masked first
 * token goes to the wildcard child). */
struct leaf {
	uint64_t h;
	size_t ntok;
	char *first;
	size_t *pat;
	size_t n, cap;
};

struct cache_slot {
	uint64_t h;     /* 0: empty */
	long idx;
};

struct pattern_set {
	size_t cap;
	const struct warn_sink *warn;
	struct pattern **pat;
	size_t n, capp;
	struct leaf *leaves;
	size_t nleaves, capleaves;
	size_t *ltab;            /* open addressing: leaf index + 1 */
	size_t ltcap;
	struct cache_slot *cache;
	long overflow, records;
	struct mask_tok tok[PATTERN_MAX_TOKENS];
};

static uint64_t fnv_add(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ull;
	}
	return h;
}

#define FNV0 1469598103934665603ull

struct pattern_set *pattern_set_new(size_t cap, const struct warn_sink *w)
{
	struct pattern_set *ps = calloc(1, sizeof *ps);

	if (!ps)
		return NULL;
	ps->cap = cap ? cap : PATTERN_MAX;
	ps->warn = w;
	ps->ltcap = 256;
	ps->ltab = calloc(ps->ltcap, sizeof *ps->ltab);
	ps->cache = calloc((size_t)1 << CACHE_BITS, sizeof *ps->cache);
	if (!ps->ltab || !ps->cache) {
		pattern_set_free(ps);
		return NULL;
	}
	return ps;
}

static void pattern_free(struct pattern *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nex; i++) {
		free(p->ex[i].source);
		free(p->ex[i].text);
	}
	free(p->tok);
	free(p->store);
	free(p);
}

void pattern_set_free(struct pattern_set *ps)
{
	size_t i;

	if (!ps)
		return;
	for (i = 0; i < ps->n; i++)
		pattern_free(ps->pat[i]);
	for (i = 0; i < ps->nleaves; i++) {
		free(ps->leaves[i].first);
		free(ps->leaves[i].pat);
	}
	free(ps->pat);
	free(ps->leaves);
	free(ps->ltab);
	free(ps->cache);
	free(ps);
}

void pattern_line(const char *msg, size_t len, size_t *start, size_t *n)
{
	static const char tb[] = "Traceback (most recent call last):";
	const char *p = msg, *e = msg + len, *last_tb = NULL, *nl;

	/* the last traceback header: chained exceptions end with the one raised */
	while (p < e) {
		const char *q = p;

		nl = memchr(p, '\n', (size_t)(e - p));
		while (q < (nl ? nl : e) && (*q == ' ' || *q == '\t'))
			q++;
		if ((size_t)((nl ? nl : e) - q) >= sizeof tb - 1 && !memcmp(q, tb, sizeof tb - 1))
			last_tb = nl ? nl + 1 : e;
		p = nl ? nl + 1 : e;
	}
	p = last_tb ? last_tb : msg;
again:
	while (p < e) {
		const char *end;

		nl = memchr(p, '\n', (size_t)(e - p));
		end = nl ? nl : e;
		while (end > p && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
			end--;
		/* after a header: the first line that is not indented (the
		 * frames are); otherwise the first line with text */
		if (end > p && (!last_tb || (*p != ' ' && *p != '\t'))) {
			const char *q = p;

			while (q < end && (*q == ' ' || *q == '\t'))
				q++;
			if (q < end) {
				*start = (size_t)(q - msg);
				*n = (size_t)(end - q);
				return;
			}
		}
		p = nl ? nl + 1 : e;
	}
	if (last_tb) {
		/* a header and frames only: the message's first line */
		last_tb = NULL;
		p = msg;
		goto again;
	}
	*start = 0;
	*n = 0;
}

/* Tokens equal for merging: the same literal, or the same mask with the
 * same text around it. */
static int tok_same_masked(const struct mask_tok *m, const struct pattern_tok *t)
{
	if (t->kind == PATTERN_WILD || m->kind != t->kind)
		return 0;
	if (m->kind == PATTERN_LITERAL)
		return strlen(t->text) == m->n && !memcmp(t->text, m->p, m->n);
	return strlen(t->pre) == m->pre && !memcmp(t->pre, m->p, m->pre) &&
	       strlen(t->post) == m->post && !memcmp(t->post, m->p + m->n - m->post, m->post);
}

static uint64_t tok_hash(uint64_t h, const struct mask_tok *m)
{
	unsigned char k = (unsigned char)m->kind;

	h = fnv_add(h, &k, 1);
	if (m->kind == PATTERN_LITERAL)
		return fnv_add(fnv_add(h, m->p, m->n), "\x1f", 1);
	if (m->kind == PATTERN_WILD)
		return h;
	h = fnv_add(h, m->p, m->pre);
	h = fnv_add(h, "\x1e", 1);
	return fnv_add(fnv_add(h, m->p + m->n - m->post, m->post), "\x1f", 1);
}

static int leaf_grow_table(struct pattern_set *ps)
{
	size_t cap = ps->ltcap * 2, i;
	size_t *tab = calloc(cap, sizeof *tab);

	if (!tab)
		return -1;
	for (i = 0; i < ps->nleaves; i++) {
		size_t h = (size_t)ps->leaves[i].h & (cap - 1);

		while (tab[h])
			h = (h + 1) & (cap - 1);
		tab[h] = i + 1;
	}
	free(ps->ltab);
	ps->ltab = tab;
	ps->ltcap = cap;
	return 0;
}

/* The leaf for (ntok, first); created when create is set. NULL: none, or
 * out of memory (*oom set). */
static struct leaf *leaf_get(struct pattern_set *ps, size_t ntok, const char *first, size_t fn,
			     int create, int *oom)
{
	uint64_t h = fnv_add(fnv_add(FNV0, &ntok, sizeof ntok), first, fn);
	size_t slot = (size_t)h & (ps->ltcap - 1);
	struct leaf *l;

	while (ps->ltab[slot]) {
		l = &ps->leaves[ps->ltab[slot] - 1];
		if (l->h == h && l->ntok == ntok && strlen(l->first) == fn && !memcmp(l->first, first, fn))
			return l;
		slot = (slot + 1) & (ps->ltcap - 1);
	}
	if (!create)
		return NULL;
	if (ps->nleaves == ps->capleaves) {
		size_t cap = ps->capleaves ? ps->capleaves * 2 : 64;
		struct leaf *p = realloc(ps->leaves, cap * sizeof *p);

		if (!p)
			goto oom;
		ps->leaves = p;
		ps->capleaves = cap;
	}
	l = &ps->leaves[ps->nleaves];
	memset(l, 0, sizeof *l);
	l->h = h;
	l->ntok = ntok;
	if (!(l->first = malloc(fn + 1)))
		goto oom;
	memcpy(l->first, first, fn);
	l->first[fn] = '\0';
	ps->nleaves++;
	ps->ltab[slot] = ps->nleaves;
	if (ps->nleaves * 2 > ps->ltcap && leaf_grow_table(ps) < 0)
		goto oom;
	return &ps->leaves[ps->nleaves - 1];
oom:
	*oom = 1;
	return NULL;
}

static int leaf_add(struct leaf *l, size_t idx)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		size_t *p = realloc(l->pat, cap * sizeof *p);

		if (!p)
			return -1;
		l->pat = p;
		l->cap = cap;
	}
	l->pat[l->n++] = idx;
	return 0;
}

/* Drain's similarity: the share of positions where the pattern's token
 * equals the message's (wildcards do not count), and the wildcards. */
static double similarity(const struct pattern *p, const struct mask_tok *m, size_t n,
			 size_t *wild)
{
	size_t i, eq = 0;

	*wild = 0;
	for (i = 0; i < n; i++) {
		if (p->tok[i].kind == PATTERN_WILD)
			(*wild)++;
		else if (tok_same_masked(&m[i], &p->tok[i]))
			eq++;
	}
	return n ? (double)eq / (double)n : 1.0;
}

static struct pattern *pattern_make(const struct mask_tok *m, size_t n, size_t index)
{
	struct pattern *p = calloc(1, sizeof *p);
	size_t i, len = 0, off = 0;

	if (!p)
		return NULL;
	for (i = 0; i < n; i++)
		len += m[i].kind == PATTERN_LITERAL ? m[i].n + 1 : m[i].pre + m[i].post + 2;
	p->store = malloc(len + 1);
	p->tok = calloc(n ? n : 1, sizeof *p->tok);
	if (!p->store || !p->tok) {
		pattern_free(p);
		return NULL;
	}
	p->store[len] = '\0';
	for (i = 0; i < n; i++) {
		struct pattern_tok *t = &p->tok[i];

		t->kind = m[i].kind;
		t->pre = t->post = t->text = "";
		if (m[i].kind == PATTERN_LITERAL) {
			t->text = p->store + off;
			memcpy(p->store + off, m[i].p, m[i].n);
			off += m[i].n;
			p->store[off++] = '\0';
		} else if (m[i].kind != PATTERN_WILD) {
			t->pre = p->store + off;
			memcpy(p->store + off, m[i].p, m[i].pre);
			off += m[i].pre;
			p->store[off++] = '\0';
			t->post = p->store + off;
			memcpy(p->store + off, m[i].p + m[i].n - m[i].post, m[i].post);
			off += m[i].post;
			p->store[off++] = '\0';
		}
	}
	p->ntok = n;
	p->index = index;
	return p;
}

/* A stable id: the hash of the masked tokens the pattern began with,
 * unique within the set (a clash moves to the next value). */
static void pattern_name(struct pattern_set *ps, struct pattern *p, uint64_t h)
{
	uint32_t v = (uint32_t)(h ^ (h >> 32));
	size_t i;

again:
	snprintf(p->id, sizeof p->id, "p%08x", v);
	for (i = 0; i < ps->n; i++)
		if (!strcmp(ps->pat[i]->id, p->id)) {
			v++;
			goto again;
		}
}

static void note_record(struct pattern *p, const struct event *ev, const char *line, size_t n)
{
	size_t i;

	p->count++;
	if ((unsigned)ev->sev <= SEV_EMERGENCY)
		p->sev[ev->sev]++;
	if (ev->has_ts) {
		if (!p->has_ts || ev->ts_us < p->first_us)
			p->first_us = ev->ts_us;
		if (!p->has_ts || ev->ts_us > p->last_us)
			p->last_us = ev->ts_us;
		p->has_ts = 1;
	}
	if (p->nex >= PATTERN_EXAMPLES)
		return;
	if (n > PATTERN_EXAMPLE_MAX)
		n = PATTERN_EXAMPLE_MAX;
	for (i = 0; i < p->nex; i++)
		if (strlen(p->ex[i].text) == n && !memcmp(p->ex[i].text, line, n))
			return;
	{
		struct pattern_example *x = &p->ex[p->nex];

		x->text = malloc(n + 1);
		x->source = strdup(ev->source ? ev->source : "");
		if (!x->text || !x->source) {
			free(x->text);
			free(x->source);
			return;   /* an example is a nicety: the count stands */
		}
		memcpy(x->text, line, n);
		x->text[n] = '\0';
		x->line = ev->line;
		p->nex++;
	}
}

long pattern_add(struct pattern_set *ps, const struct event *ev)
{
	size_t start, n, nt, i, best_wild = 0;
	const char *line;
	struct mask_tok *m = ps->tok;
	struct cache_slot *cs;
	struct leaf *l;
	struct pattern *best = NULL;
	double best_sim = -1;
	uint64_t h = FNV0;
	int oom = 0;
	const char *first = "<*>";
	size_t fn = 3;

	ps->records++;
	pattern_line(ev->msg, ev->msg_len, &start, &n);
	line = ev->msg + start;
	if (n > PATTERN_LINE_MAX)
		n = PATTERN_LINE_MAX;
	nt = mask_tokens(line, n, m, PATTERN_MAX_TOKENS);
	for (i = 0; i < nt; i++)
		h = tok_hash(h, &m[i]);
	h = fnv_add(h, &nt, sizeof nt);
	if (!h)
		h = 1;
	cs = &ps->cache[h & (((uint64_t)1 << CACHE_BITS) - 1)];
	if (cs->h == h) {
		note_record(ps->pat[cs->idx], ev, line, n);
		return cs->idx;
	}

	if (nt && m[0].kind == PATTERN_LITERAL) {
		first = m[0].p;
		fn = m[0].n;
	}
	l = leaf_get(ps, nt, first, fn, 0, &oom);
	if (l) {
		/* the newest patterns are the likeliest: look at them first */
		size_t k, from = l->n > LEAF_MAX_SCAN ? l->n - LEAF_MAX_SCAN : 0;

		for (k = l->n; k-- > from;) {
			struct pattern *p = ps->pat[l->pat[k]];
			size_t wild;
			double sim = similarity(p, m, nt, &wild);

			if (sim > best_sim || (sim == best_sim && wild > best_wild)) {
				best = p;
				best_sim = sim;
				best_wild = wild;
			}
		}
	}
	if (best && best_sim >= PATTERN_SIM) {
		for (i = 0; i < nt; i++)
			if (best->tok[i].kind != PATTERN_WILD && !tok_same_masked(&m[i], &best->tok[i])) {
				best->tok[i].kind = PATTERN_WILD;
				best->tok[i].pre = best->tok[i].post = best->tok[i].text = "";
			}
	} else if (ps->n >= ps->cap) {
		if (!ps->overflow++)
			warn_emit(ps->warn, ev->source, ev->line, 0,
				  "more than %zu distinct message patterns; further ones are counted as overflow only",
				  ps->cap);
		return -1;
	} else {
		if (!l && !(l = leaf_get(ps, nt, first, fn, 1, &oom)))
			return -2;
		if (ps->n == ps->capp) {
			size_t cap = ps->capp ? ps->capp * 2 : 64;
			struct pattern **p = realloc(ps->pat, cap * sizeof *p);

			if (!p)
				return -2;
			ps->pat = p;
			ps->capp = cap;
		}
		if (!(best = pattern_make(m, nt, ps->n)))
			return -2;
		if (leaf_add(l, ps->n) < 0) {
			pattern_free(best);
			return -2;
		}
		pattern_name(ps, best, h);
		ps->pat[ps->n++] = best;
	}
	cs->h = h;
	cs->idx = (long)best->index;
	note_record(best, ev, line, n);
	return (long)best->index;
}

size_t pattern_count(const struct pattern_set *ps)
{
	return ps->n;
}

const struct pattern *pattern_at(const struct pattern_set *ps, size_t i)
{
	return i < ps->n ? ps->pat[i] : NULL;
}

const struct pattern *pattern_find(const struct pattern_set *ps, const char *id)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (!strcmp(ps->pat[i]->id, id))
			return ps->pat[i];
	return NULL;
}

long pattern_overflow(const struct pattern_set *ps)
{
	return ps->overflow;
}

long pattern_records(const struct pattern_set *ps)
{
	return ps->records;
}

static int rank_cmp(const void *a, const void *b)
{
	const struct pattern *x = *(const struct pattern *const *)a;
	const struct pattern *y = *(const struct pattern *const *)b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->id, y->id);
}

const struct pattern **pattern_ranked(const struct pattern_set *ps, size_t *n)
{
	const struct pattern **r = malloc((ps->n ? ps->n : 1) * sizeof *r);

	*n = 0;
	if (!r)
		return NULL;
	memcpy(r, ps->pat, ps->n * sizeof *r);
	qsort(r, ps->n, sizeof *r, rank_cmp);
	*n = ps->n;
	return r;
}

int pattern_render(const struct pattern *p, struct buf *out)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < p->ntok; i++) {
		const struct pattern_tok *t = &p->tok[i];

		if (i)
			rc |= buf_addc(out, ' ');
		if (t->kind == PATTERN_LITERAL) {
			rc |= buf_adds(out, t->text);
		} else {
			rc |= buf_adds(out, t->pre);
			rc |= buf_addf(out, "<%s>", pattern_kind_name(t->kind));
			rc |= buf_adds(out, t->post);
		}
	}
	if (!out->p)
		rc |= buf_adds(out, "");
	return rc ? -1 : 0;
}

int pattern_mask_text(const char *line, size_t len, struct buf *out)
{
	struct mask_tok m[PATTERN_MAX_TOKENS];
	size_t n = mask_tokens(line, len, m, PATTERN_MAX_TOKENS), i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		if (i)
			rc |= buf_addc(out, ' ');
		if (m[i].kind == PATTERN_LITERAL) {
			rc |= buf_add(out, m[i].p, m[i].n);
		} else if (m[i].kind == PATTERN_WILD) {
			rc |= buf_adds(out, "<*>");
		} else {
			rc |= buf_add(out, m[i].p, m[i].pre);
			rc |= buf_addf(out, "<%s>", pattern_kind_name(m[i].kind));
			rc |= buf_add(out, m[i].p + m[i].n - m[i].post, m[i].post);
		}
	}
	if (!out->p)
		rc |= buf_adds(out, "");
	return rc ? -1 : 0;
}

int pattern_fits(const struct pattern *p, const char *msg, size_t len)
{
	struct mask_tok m[PATTERN_MAX_TOKENS];
	size_t start, n, nt, i;

	pattern_line(msg, len, &start, &n);
	if (n > PATTERN_LINE_MAX)
		n = PATTERN_LINE_MAX;
	nt = mask_tokens(msg + start, n, m, PATTERN_MAX_TOKENS);
	if (nt != p->ntok)
		return 0;
	for (i = 0; i < nt; i++)
		if (p->tok[i].kind != PATTERN_WILD && !tok_same_masked(&m[i], &p->tok[i]))
			return 0;
	return 1;
}

static int re_quote(struct buf *re, const char *s)
{
	int rc = 0;

	for (; *s; s++) {
		if (strchr("\\^$.|?*+()[]{}#-/", *s))
			rc |= buf_addc(re, '\\');
		rc |= buf_addc(re, *s);
	}
	return rc;
}

/* what a mask's capture matches: its shape, loosely (the rule must take
 * every line the pattern took) */
static const char *kind_re(const struct pattern_tok *t)
{
	char q = *t->post;

	switch (t->kind) {
	case PATTERN_NUM:
		return "[-+]?\\d[\\w.,%]*";
	case PATTERN_HEX:
		return "(?:0[xX])?[0-9a-fA-F]+";
	case PATTERN_UUID:
		return "[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}";
	case PATTERN_STR:
		return q == '"' ? "[^\"]*" : q == '`' ? "[^`]*" : q == '\'' ? "[^']*" : ".*?";
	default:
		return "\\S+?";
	}
}

int pattern_regex(const struct pattern *p, struct buf *re, struct buf *tmpl)
{
	int count[PATTERN_NKINDS] = { 0 }, rc = 0;
	char names[PATTERN_MAX_TOKENS][40];
	size_t i, k;

	for (i = 0; i < p->ntok; i++) {
		const struct pattern_tok *t = &p->tok[i];
		char *name = names[i];

		if (i) {
			rc |= buf_adds(re, "\\s+");
			if (tmpl)
				rc |= buf_addc(tmpl, ' ');
		}
		if (t->kind == PATTERN_LITERAL) {
			rc |= re_quote(re, t->text);
			if (tmpl) {
				/* braces are the template's: double them */
				const char *c;

				for (c = t->text; *c; c++)
					rc |= *c == '{' || *c == '}' ? buf_add(tmpl, c, 1) | buf_add(tmpl, c, 1)
								   : buf_addc(tmpl, *c);
			}
			continue;
		}
		/* key=<VALUE>: the key names it, if it is a plain word not used yet */
		name[0] = '\0';
		{
			size_t n = strlen(t->pre), a;

			if (n > 1 && (t->pre[n - 1] == '=' || t->pre[n - 1] == ':' ||
				      (n > 2 && (t->pre[n - 1] == '"' || t->pre[n - 1] == '\'') &&
				       (t->pre[n - 2] == '=' || t->pre[n - 2] == ':')))) {
				size_t e = t->pre[n - 1] == '=' || t->pre[n - 1] == ':' ? n - 1 : n - 2;

				for (a = e; a > 0 && (isalnum((unsigned char)t->pre[a - 1]) || t->pre[a - 1] == '_'); a--)
					;
				if (e > a && e - a < 24 && isalpha((unsigned char)t->pre[a])) {
					size_t j;

					for (j = 0; a + j < e; j++)
						name[j] = (char)tolower((unsigned char)t->pre[a + j]);
					name[j] = '\0';
				}
			}
		}
		for (k = 0; name[0] && k < i; k++)
			if (!strcmp(names[k], name))
				name[0] = '\0';
		if (!name[0]) {
			const char *kn = t->kind == PATTERN_WILD ? "var" : pattern_kind_name(t->kind);
			size_t j;

			for (j = 0; kn[j] && j < 10; j++)
				name[j] = (char)tolower((unsigned char)kn[j]);
			snprintf(name + j, sizeof names[i] - j, "%d", ++count[t->kind]);
		}
		rc |= re_quote(re, t->pre);
		rc |= buf_addf(re, "(?<%s>%s)", name, t->kind == PATTERN_WILD ? "\\S+?" : kind_re(t));
		rc |= re_quote(re, t->post);
		if (tmpl)
			rc |= buf_adds(tmpl, t->pre) | buf_addf(tmpl, "{%s}", name) | buf_adds(tmpl, t->post);
	}
	if (p->ntok && p->tok[p->ntok - 1].kind != PATTERN_LITERAL && !*p->tok[p->ntok - 1].post)
		rc |= buf_adds(re, "(?!\\S)");   /* a lazy last capture takes its whole token */
	if (!re->p)
		rc |= buf_adds(re, "");
	if (tmpl && !tmpl->p)
		rc |= buf_adds(tmpl, "");
	return rc ? -1 : 0;
}
