#include "rules/prefilter.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "event/close.h"
#include "rules/cond.h"
#include "rules/ruleset_impl.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define SCAN_VBMI 1
static int vbmi = -1;   /* the machine has AVX-512 VBMI: set by lc_init */
#endif

/*
 * A requirement, in disjunctive form: the record contains every literal of
 * at least one term. none = 1 means nothing is required (anything may
 * match); no terms with none = 0 means nothing can match at all. Terms are
 * kept few and short: past the caps the requirement is weakened (a term
 * loses literals, or a conjunction keeps only its more selective side),
 * which is always sound.
 */
#define TERM_MAX_LITS 6
#define NEED_MAX_TERMS 64

struct term {
	char *lit[TERM_MAX_LITS];   /* lower-cased, NUL-terminated, owned */
	size_t n;
};

struct need {
	struct term *t;
	size_t n;
	int none;
};

static const struct need NEED_NONE = { NULL, 0, 1 };

static void term_free(struct term *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->lit[i]);
	t->n = 0;
}

static void need_free(struct need *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		term_free(&a->t[i]);
	free(a->t);
	*a = NEED_NONE;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* A byte that shows verbatim in the raw JSON whenever it is in a decoded
 * string of a record without \u or \/ escapes: printable ASCII but '"'
 * and '\\'. ('/' is one: the skim refuses records with \/ escapes, and
 * sanitize never skips them.) */
static int plain(int c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* In a literal: any ASCII digit (from \d, and the close parser's codes). */
#define ANY_DIGIT '\x01'
/* Before a literal's bytes: it is required in the event's message (a
 * message condition's), so where the caller knows the message it is
 * looked for there alone (prefilter_may_match_msg). */
#define IN_MESSAGE '\x02'
/* The literal "the event has a close trace" (prefilter_rules' has_close):
 * no text holds it, it is never looked for, only given. */
#define HAS_CLOSE "\x03"

/* Add a literal to a term, keeping the longest TERM_MAX_LITS (dropping a
 * literal from a conjunction only weakens it). -1: out of memory. */
static int term_add(struct term *t, const char *s, size_t n)
{
	size_t i, shortest = 0;
	char *c;

	for (i = 0; i < t->n; i++) {
		if (strlen(t->lit[i]) == n && !memcmp(t->lit[i], s, n))
			return 0;
		if (strlen(t->lit[i]) < strlen(t->lit[shortest]))
			shortest = i;
	}
	if (t->n == TERM_MAX_LITS && strlen(t->lit[shortest]) >= n)
		return 0;
	if (!(c = malloc(n + 1)))
		return -1;
	for (i = 0; i < n; i++)
		c[i] = (char)lower((unsigned char)s[i]);
	c[n] = '\0';
	if (t->n == TERM_MAX_LITS) {
		free(t->lit[shortest]);
		t->lit[shortest] = c;
	} else {
		t->lit[t->n++] = c;
	}
	return 0;
}

static int need_push(struct need *a, struct term *t)
{
	struct term *p = realloc(a->t, (a->n + 1) * sizeof *p);

	if (!p)
		return -1;
	a->t = p;
	a->t[a->n++] = *t;
	t->n = 0;
	return 0;
}

/* The requirement "holds the literal s", whatever its length (none when
 * out of memory). */
static struct need need_lit(const char *s, size_t n)
{
	struct need a = { NULL, 0, 0 };
	struct term t = { { 0 }, 0 };

	if (term_add(&t, s, n) < 0 || need_push(&a, &t) < 0) {
		term_free(&t);
		return NEED_NONE;
	}
	return a;
}

/* The requirement "contains s" (none when s is too short to look for). */
static struct need need_of(const char *s, size_t n)
{
	return n < PREFILTER_MIN_LIT ? NEED_NONE : need_lit(s, n);
}

/* Mark every literal of a as one of the message's (IN_MESSAGE). Out of
 * memory: a requires nothing, which is sound. */
static void need_in_message(struct need *a)
{
	size_t i, j;

	for (i = 0; i < a->n; i++)
		for (j = 0; j < a->t[i].n; j++) {
			size_t n = strlen(a->t[i].lit[j]);
			char *l = realloc(a->t[i].lit[j], n + 2);

			if (!l) {
				need_free(a);
				return;
			}
			memmove(l + 1, l, n + 1);
			l[0] = IN_MESSAGE;
			a->t[i].lit[j] = l;
		}
}

static int term_has(const struct term *t, const char *l)
{
	size_t i;

	/* the first byte rules most out without a call: unions of long
	 * alternations compare terms pairwise */
	for (i = 0; i < t->n; i++)
		if (t->lit[i][0] == l[0] && !strcmp(t->lit[i], l))
			return 1;
	return 0;
}

/* every literal of a is in b: wherever b holds, a does */
static int term_within(const struct term *a, const struct term *b)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (!term_has(b, a->lit[i]))
			return 0;
	return 1;
}

/* Too many alternatives: the literals every term shares still hold. */
static void need_collapse(struct need *a)
{
	struct term t = { { 0 }, 0 };
	size_t i, j;

	for (j = 0; a->n && j < a->t[0].n; j++) {
		for (i = 1; i < a->n && term_has(&a->t[i], a->t[0].lit[j]); i++)
			;
		if (i == a->n && term_add(&t, a->t[0].lit[j], strlen(a->t[0].lit[j])) < 0)
			break;
	}
	need_free(a);
	if (t.n) {
		a->none = 0;
		if (need_push(a, &t) < 0)
			need_free(a);
	}
	term_free(&t);
}

/* a := a or b; b is consumed. A term that holds wherever another one
 * holds adds nothing and is left out. */
static void need_union(struct need *a, struct need *b)
{
	size_t i, j;

	if (a->none || b->none) {
		need_free(a);
		need_free(b);
		return;
	}
	for (i = 0; i < b->n; i++) {
		for (j = 0; j < a->n && !term_within(&a->t[j], &b->t[i]); j++)
			;
		if (j < a->n)
			continue;   /* a weaker term is there already */
		for (j = 0; j < a->n; j++)
			if (term_within(&b->t[i], &a->t[j])) {
				term_free(&a->t[j]);
				a->t[j--] = a->t[--a->n];
			}
		if (need_push(a, &b->t[i]) < 0) {
			need_free(a);
			break;
		}
	}
	need_free(b);
	if (a->n > NEED_MAX_TERMS)
		need_collapse(a);
}

static double term_rank(const struct term *t)
{
	size_t i, sum = 0;

	for (i = 0; i < t->n; i++)
		sum += strlen(t->lit[i]);
	return (double)sum;
}

/* Rough selectivity: literals that must all be there count together, and
 * every alternative term adds chances to hit. */
static double need_rank(const struct need *a)
{
	size_t i, n = a->n, k = 0;
	double m = 1e9;

	if (a->none)
		return -1e9;
	for (i = 0; i < a->n; i++)
		if (term_rank(&a->t[i]) < m)
			m = term_rank(&a->t[i]);
	while (n > 1) {
		n >>= 1;
		k++;
	}
	return m - (double)k;
}

/* a := a and b; b is consumed. Distributes while the terms stay few;
 * otherwise keeps the more selective side alone. */
static void need_and(struct need *a, struct need *b)
{
	struct need r = { NULL, 0, 0 };
	size_t i, j, k;

	if (b->none) {
		need_free(b);
		return;
	}
	if (a->none || a->n * b->n > NEED_MAX_TERMS) {
		if (a->none || need_rank(b) > need_rank(a)) {
			struct need t = *a;

			*a = *b;
			*b = t;
		}
		need_free(b);
		return;
	}
	for (i = 0; i < a->n && !r.none; i++)
		for (j = 0; j < b->n && !r.none; j++) {
			struct term t = { { 0 }, 0 };
			int bad = 0;

			for (k = 0; k < a->t[i].n; k++)
				bad |= term_add(&t, a->t[i].lit[k], strlen(a->t[i].lit[k]));
			for (k = 0; k < b->t[j].n; k++)
				bad |= term_add(&t, b->t[j].lit[k], strlen(b->t[j].lit[k]));
			if (bad) {
				term_free(&t);
				need_free(&r);
			} else {
				struct need one = { NULL, 0, 0 };

				if (need_push(&one, &t) < 0) {
					term_free(&t);
					need_free(&r);
				} else {
					need_union(&r, &one);
				}
			}
		}
	need_free(a);
	need_free(b);
	*a = r;
}

/* ---- the literals a regex requires ---------------------------------- */

struct rx {
	const char *p;
	size_t i, n;
	int fail;      /* a construct this reader does not follow: require nothing */
	int depth;
};

enum atom { A_LIT, A_OTHER, A_ZERO, A_GROUP };

static struct need rx_alt(struct rx *r, int in_group);

static int rx_peek(const struct rx *r, size_t k)
{
	return r->i + k < r->n ? (unsigned char)r->p[r->i + k] : -1;
}

static void rx_skip_to(struct rx *r, char close)
{
	while (r->i < r->n && r->p[r->i] != close)
		r->i++;
	if (r->i >= r->n)
		r->fail = 1;
	else
		r->i++;
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* After "\\": the escape's atom; *lit gets the character of a quoted one. */
static enum atom rx_escape(struct rx *r, int *lit)
{
	int d = rx_peek(r, 0);

	if (d < 0) {
		r->fail = 1;
		return A_OTHER;
	}
	r->i++;
	if (d >= 0x80) {
		while (rx_peek(r, 0) >= 0x80 && rx_peek(r, 0) < 0xc0)
			r->i++;
		return A_OTHER;
	}
	if (!((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || is_digit(d))) {
		*lit = d;   /* \. \( \' \" ... */
		return A_LIT;
	}
	switch (d) {
	case 'd':
		*lit = ANY_DIGIT;
		return A_LIT;
	case 'Q':
		r->fail = 1;   /* \Q...\E quoting: not followed */
		return A_OTHER;
	case 'E':
	case 'b': case 'B': case 'A': case 'z': case 'Z': case 'G': case 'K':
		return A_ZERO;
	case 'x': case 'o': case 'p': case 'P': case 'N':
		if (rx_peek(r, 0) == '{') {
			rx_skip_to(r, '}');
		} else if (d == 'x') {
			/* \xhh: up to two hex digits belong to the escape */
			for (int k = 0; k < 2 && is_hex(rx_peek(r, 0)); k++)
				r->i++;
		} else if (d == 'p' || d == 'P') {
			r->i++;
		}
		return A_OTHER;
	case 'k': case 'g': {
		int o = rx_peek(r, 0);

		if (o == '{')
			rx_skip_to(r, '}');
		else if (o == '<')
			rx_skip_to(r, '>');
		else if (o == '\'') {
			r->i++;
			rx_skip_to(r, '\'');
		} else {
			if (o == '+' || o == '-')
				r->i++;
			while (is_digit(rx_peek(r, 0)))
				r->i++;
		}
		return A_OTHER;
	}
	case 'c':
		r->i++;
		return A_OTHER;
	default:
		while (is_digit(d) && is_digit(rx_peek(r, 0)))
			r->i++;
		return A_OTHER;   /* \d \w \s \n \t \1 ...: not a literal byte */
	}
}

/* After "[": skip the class. */
static void rx_class(struct rx *r)
{
	if (rx_peek(r, 0) == '^')
		r->i++;
	if (rx_peek(r, 0) == ']')
		r->i++;   /* a leading ']' is a member */
	while (r->i < r->n) {
		int c = rx_peek(r, 0);

		if (c == '\\') {
			r->i += 2;
		} else if (c == '[' && rx_peek(r, 1) == ':') {
			r->i += 2;
			while (r->i + 1 < r->n && !(r->p[r->i] == ':' && r->p[r->i + 1] == ']'))
				r->i++;
			r->i += 2;
		} else if (c == ']') {
			r->i++;
			return;
		} else {
			r->i++;
		}
	}
	r->fail = 1;
}

/* After "(": the group's atom; *g gets what a capturing or plain group
 * requires. Lookarounds, comments and option settings require nothing. */
static enum atom rx_group(struct rx *r, struct need *g)
{
	int e;

	if (r->depth > 64 || rx_peek(r, 0) == '*') {
		r->fail = 1;   /* too deep, or a (*VERB) */
		return A_OTHER;
	}
	if (rx_peek(r, 0) != '?') {
		*g = rx_alt(r, 1);
		return A_GROUP;
	}
	r->i++;
	e = rx_peek(r, 0);
	switch (e) {
	case '#':
		rx_skip_to(r, ')');
		return A_ZERO;
	case ':': case '|': case '>':
		r->i++;
		*g = rx_alt(r, 1);
		return A_GROUP;
	case '=': case '!':
		r->i++;
		*g = rx_alt(r, 1);
		need_free(g);
		return A_ZERO;
	case '<':
		if (rx_peek(r, 1) == '=' || rx_peek(r, 1) == '!') {
			r->i += 2;
			*g = rx_alt(r, 1);
			need_free(g);
			return A_ZERO;
		}
		rx_skip_to(r, '>');
		*g = rx_alt(r, 1);
		return A_GROUP;
	case '\'':
		r->i++;
		rx_skip_to(r, '\'');
		*g = rx_alt(r, 1);
		return A_GROUP;
	case 'P':
		if (rx_peek(r, 1) == '<') {
			rx_skip_to(r, '>');
			*g = rx_alt(r, 1);
			return A_GROUP;
		}
		rx_skip_to(r, ')');   /* (?P=name) (?P>name) */
		return A_OTHER;
	case 'R': case '&': case 'C':
		rx_skip_to(r, ')');
		return A_OTHER;
	case '(':
		r->fail = 1;   /* conditional */
		return A_OTHER;
	default:
		if (is_digit(e) || ((e == '+' || e == '-') && is_digit(rx_peek(r, 1)))) {
			rx_skip_to(r, ')');   /* (?1) (?-1): a subroutine call */
			return A_OTHER;
		}
		/* option letters: (?i) (?s-m) (?i:...) ; extended mode changes
		 * what a space means, so it is not followed */
		while ((e = rx_peek(r, 0)) >= 0 &&
		       ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || e == '-' || e == '^')) {
			if (e == 'x')
				r->fail = 1;
			r->i++;
		}
		if (e == ')') {
			r->i++;
			return A_ZERO;
		}
		if (e == ':') {
			r->i++;
			*g = rx_alt(r, 1);
			return A_GROUP;
		}
		r->fail = 1;
		return A_OTHER;
	}
}

/* After an atom: its quantifier's minimum (1 when there is none); *q says
 * whether there was one. */
static unsigned long rx_quant(struct rx *r, int *q)
{
	unsigned long min = 1;
	int c = rx_peek(r, 0);

	*q = 1;
	if (c == '?' || c == '*') {
		min = 0;
		r->i++;
	} else if (c == '+') {
		r->i++;
	} else if (c == '{') {
		size_t k = r->i + 1;
		unsigned long lo = 0;
		int have = 0;

		while (k < r->n && is_digit((unsigned char)r->p[k])) {
			lo = lo * 10 + (unsigned long)(r->p[k++] - '0');
			if (lo > 100000)
				lo = 100000;
			have = 1;
		}
		if (k < r->n && r->p[k] == ',') {
			k++;
			while (k < r->n && is_digit((unsigned char)r->p[k])) {
				k++;
				have = 1;
			}
		}
		if (!have || k >= r->n || r->p[k] != '}') {
			*q = 0;   /* not a quantifier: a literal '{' comes next */
			return 1;
		}
		r->i = k + 1;
		min = lo;
	} else {
		*q = 0;
		return 1;
	}
	c = rx_peek(r, 0);
	if (c == '?' || c == '+')
		r->i++;   /* lazy, possessive */
	return min;
}

/* One branch: the most selective of its literal runs and groups. */
static struct need rx_seq(struct rx *r)
{
	struct need best = NEED_NONE;
	char run[256];
	size_t rl = 0;

#define FLUSH() do { \
		if (rl) { struct need c_ = need_of(run, rl); need_and(&best, &c_); } \
		rl = 0; \
	} while (0)

	while (r->i < r->n && !r->fail) {
		struct need g = NEED_NONE;
		int c = rx_peek(r, 0), lit = 0, q;
		enum atom a;
		unsigned long min;

		if (c == '|' || c == ')')
			break;
		r->i++;
		switch (c) {
		case '\\':
			a = rx_escape(r, &lit);
			break;
		case '[':
			rx_class(r);
			a = A_OTHER;
			break;
		case '(':
			r->depth++;
			a = rx_group(r, &g);
			r->depth--;
			break;
		case '.':
			a = A_OTHER;
			break;
		case '^': case '$':
			a = A_ZERO;
			break;
		case '{':
			a = A_OTHER;   /* a literal '{': fine, just not used */
			break;
		case '*': case '+': case '?':
			r->fail = 1;   /* cannot happen in a pattern that compiled */
			a = A_OTHER;
			break;
		default:
			if (c >= 0x80) {
				while (rx_peek(r, 0) >= 0x80 && rx_peek(r, 0) < 0xc0)
					r->i++;
				a = A_OTHER;
			} else {
				lit = c;
				a = A_LIT;
			}
		}
		min = rx_quant(r, &q);
		if (a == A_LIT && (plain(lit) || lit == ANY_DIGIT) && min > 0) {
			if (rl == sizeof run)
				FLUSH();
			run[rl++] = (char)lit;
			if (q)
				FLUSH();   /* "ab+c" requires "ab", not "abc" */
			continue;
		}
		FLUSH();
		if (a == A_GROUP && min > 0)
			need_and(&best, &g);
		else
			need_free(&g);
	}
	FLUSH();
#undef FLUSH
	return best;
}

static struct need rx_alt(struct rx *r, int in_group)
{
	struct need all = rx_seq(r);

	while (!r->fail && rx_peek(r, 0) == '|') {
		struct need b;

		r->i++;
		b = rx_seq(r);
		need_union(&all, &b);
	}
	if (in_group) {
		if (rx_peek(r, 0) != ')')
			r->fail = 1;
		else
			r->i++;
	}
	return all;
}

static struct need regex_need(const char *pat, size_t len)
{
	struct rx r = { pat, 0, len, 0, 0 };
	struct need a;

	if (!pat)
		return NEED_NONE;
	a = rx_alt(&r, 0);
	if (r.fail || r.i != r.n)
		need_free(&a);
	return a;
}

/* One term a line, its literals joined by " & " (ANY_DIGIT shows as '#'). */
static void need_print(const struct need *a, char *out, size_t outsize)
{
	size_t i, j, k = 0;

	if (outsize)
		out[0] = '\0';
	for (i = 0; i < a->n; i++)
		for (j = 0; j < a->t[i].n; j++) {
			const char *l = a->t[i].lit[j];
			size_t n = strlen(l), c;

			if (k + n + 4 > outsize)
				return;
			for (c = 0; c < n; c++)
				out[k++] = l[c] == ANY_DIGIT ? '#' : l[c];
			if (j + 1 < a->t[i].n) {
				memcpy(out + k, " & ", 3);
				k += 3;
			} else {
				out[k++] = '\n';
			}
			out[k] = '\0';
		}
}

size_t prefilter_regex_need(const char *pat, size_t len, char *out, size_t outsize)
{
	struct need a = regex_need(pat, len);
	size_t n = a.none ? 0 : a.n;

	need_print(&a, out, outsize);
	need_free(&a);
	return n;
}

/* ---- what a condition requires --------------------------------------- */

/* A close trace holds one of close.h's anchor words ('#' any digit). */
static struct need close_need(void)
{
	struct need a = { NULL, 0, 0 };
	size_t i, j;

	for (i = 0; close_anchor_words[i] && !a.none; i++) {
		char w[64];
		size_t n = strlen(close_anchor_words[i]);
		struct need one;

		if (n >= sizeof w) {
			need_free(&a);
			break;
		}
		for (j = 0; j < n; j++)
			w[j] = close_anchor_words[i][j] == '#' ? ANY_DIGIT : close_anchor_words[i][j];
		one = need_of(w, n);
		need_union(&a, &one);
	}
	return a;
}

/*
 * What c requires of a record's raw bytes (NEED_RECORD), or of one event's
 * message and text (NEED_EVENT). An event may be several records joined,
 * keeping the first one's fields, and its close trace may come from a
 * part: in that scope a field other than the message, and a close
 * condition, require nothing.
 */
enum { NEED_RECORD, NEED_EVENT };

/* Field names the event fills in itself when the record has no such key. */
static int synthesized(const char *path)
{
	static const char *const names[] = {
		"severity", "trace", "span", "spanId", "instance", "connection_id",
		"connection", "user_id", "user", "source", NULL,
	};
	size_t i;

	for (i = 0; names[i]; i++)
		if (!strcmp(path, names[i]))
			return 1;
	return 0;
}

/* A field found in the record's JSON has every part of its path among the
 * record's keys: the longest plain run of the path's parts is required. */
static struct need field_need(const struct cond *c, int scope)
{
	const char *p = c->path, *best = NULL;
	size_t bl = 0, i, start = 0, n = strlen(p);
	struct need a;

	if (!strcmp(p, "message"))
		return regex_need(c->re.src, c->re.srclen);
	if (synthesized(p) || scope == NEED_EVENT)
		return NEED_NONE;
	for (i = 0; i <= n; i++) {
		if (i < n && plain((unsigned char)p[i]) && p[i] != '.')
			continue;
		if (i - start > bl) {
			bl = i - start;
			best = p + start;
		}
		start = i + 1;
	}
	if (!best)
		return NEED_NONE;
	a = need_of(best, bl);
	if (!strncmp(p, "close.", 6)) {
		struct need cl = close_need();

		need_union(&a, &cl);
	}
	return a;
}

static struct need cond_need(const struct cond *c, int scope)
{
	struct need a = NEED_NONE, k;
	size_t i;

	switch (c->kind) {
	case COND_ALL:
		for (i = 0; i < c->nkid; i++) {
			k = cond_need(c->kid[i], scope);
			need_and(&a, &k);
		}
		return a;
	case COND_ANY:
		a.none = 0;
		for (i = 0; i < c->nkid && !a.none; i++) {
			k = cond_need(c->kid[i], scope);
			need_union(&a, &k);
		}
		return a;
	case COND_MESSAGE:
		a = regex_need(c->re.src, c->re.srclen);
		need_in_message(&a);
		return a;
	case COND_TEXT:
		return regex_need(c->re.src, c->re.srclen);
	case COND_FIELD:
		return field_need(c, scope);
	case COND_CLOSE:
		/* for an event: its close trace, wherever it came from, which
		 * the caller says it has (HAS_CLOSE; close_eval reads it) */
		return scope == NEED_EVENT ? need_lit(HAS_CLOSE, 1) : close_need();
	case COND_REDACT:
		a.none = 0;
		for (i = 0; i < c->nredact && !a.none; i++) {
			k = regex_need(c->redact[i].src, c->redact[i].srclen);
			need_union(&a, &k);
		}
		return a;
	case COND_NOT:
	case COND_SEVERITY:
		break;
	}
	return NEED_NONE;
}

/* ---- the matcher ----------------------------------------------------- */

/*
 * Literals are found through a key of three bytes each: the pair at some
 * offset inside the literal and the byte after it, chosen to look rare in
 * log records (key_offset) so that few positions of a record send the scan
 * to compare anything. The pair marks a 64 KB table indexed by its two
 * raw bytes, once for every case and digit variant, so the scan needs no
 * lower-casing; a marked pair names a bucket, and the bucket's set of
 * bytes that may follow the pair. A position costs a 16-bit load, a table
 * load and a branch; one whose pair is marked and whose next byte is in the
 * set has the bucket's (literal, offset) candidates compared in full where
 * each would start. Every occurrence of a literal has its key at its
 * offset, so the literals found are exactly those in the record.
 */
#define PAIRS ((size_t)1 << 16)
#define NBUCKET 1023                /* bucket ids 1 .. NBUCKET; 0: none */

struct cand {
	const char *lit;             /* the literal, lower-cased */
	uint32_t len;
	uint32_t off;                /* where its key sits in it */
	uint32_t x;                  /* its index: bit x of the seen set */
	uint32_t k4, m4;             /* its four bytes from the key (cand_word), and
					which of them are known (not a digit wildcard,
					not past its end): one compare rules most out */
};

#define LIT_SLOTS (PREFILTER_WORDS * 64 * 2)

/* The literals looked for in one text: the record's raw bytes (LT_RECORD),
 * or, where the caller knows it, the message (LT_MESSAGE); HAS_CLOSE is
 * looked for in none (LT_NONE). */
enum { LT_RECORD, LT_MESSAGE, LT_NONE };

/* A table of at most SIMD_LITS literals is also looked through 64
 * positions at a time where the machine can (scan_vbmi). */
#define SIMD_LITS 128

struct lpages {
	/* byte c at offset j of a key: bit g when a literal of group g may
	 * have it there (its variants; bytes past ASCII never) */
	uint8_t grp[3][128];
	uint16_t bucket[PAIRS];      /* raw pair (pair_at): its bucket */
	uint64_t next[NBUCKET + 1][256 / 64];   /* bucket b: bit c when byte c may follow */
	uint32_t start[NBUCKET + 2]; /* bucket b: cand[start[b] .. start[b + 1]) */
};

struct ltable {
	struct lpages *pg;           /* mapped (lt_new) */
	struct cand *cand;           /* NULL: no literal of this table */
	int simd;                    /* pg->grp is filled */
};

/* A term of the prefilter: the indices of its literals. */
struct pterm {
	uint16_t x[TERM_MAX_LITS];
	uint16_t n;
};

struct prefilter {
	char **lit;                  /* every literal once */
	uint16_t slot[LIT_SLOTS];    /* lit_index's table: index + 1, 0 empty */
	size_t n;
	struct pterm *term;          /* per term: the literals it needs */
	uint32_t *owner;             /* per term: the rule it is of (prefilter_build_rules) */
	size_t nterm;
	size_t nrule;                /* rules: 0 but for prefilter_build_rules */
	uint32_t *always;            /* rules that require nothing, always candidates */
	size_t nalways;
	long close_x;                /* HAS_CLOSE's index, -1: no rule needs it */
	uint32_t *keyed;             /* literal x keys terms term[keyed[x] .. keyed[x + 1]) */
	struct ltable *lt[2];        /* the record's literals, the message's;
					NULL: none */
};

static unsigned char lc[256];

/* The two bytes at p as one 16-bit load, in the machine's byte order,
 * which the table is built in too. */
static unsigned pair_at(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof v);
	return v;
}

static int lit_eq(unsigned char s, char l)
{
	return l == ANY_DIGIT ? s >= '0' && s <= '9' : lc[s] == (unsigned char)l;
}

/*
 * How common pairs and bytes are in lower-cased log records, counted in
 * the fixtures (not the bench corpus, which measures the choice): the 64
 * most common pairs that a literal can hold, most common first, then bytes
 * from the most to the least common. Only the order matters, and only for
 * speed: whichever key a literal gets, it is found.
 */
static const char common_pairs[] =
	"  stin: xxettaonratrnetierngyyce"
	"meaglockgike-000esenacamecio-sa-"
	"sereidsoctroogcobana},ndisten_oc"
	"ou02atvibes/04eb0920a9b20af0je25";
static const char common_bytes[] =
	"\"ea tncsri0o:dgb2-,418fl3956p_m7u.yk/xv{}wjzh%^=()\\'[]q$*;<>@";

#define NPAIRS (sizeof common_pairs / 2)

/* The order of common_bytes and common_pairs as tables (lc_init):
 * byte_rank[c] is c's first place + 1, or past them all; pair_slot holds
 * each common pair (as pair_at reads it) with its place + 1, open
 * addressed. */
static uint8_t byte_rank[256];
#define PAIR_SLOTS 256
static struct {
	uint16_t pair;
	uint8_t rank;
} pair_slot[PAIR_SLOTS];

static size_t pair_hash(unsigned pair)
{
	return (pair * 40503u >> 8) % PAIR_SLOTS;
}

static void rank_init(void)
{
	size_t i, h;

	for (i = 0; i < 256; i++)
		byte_rank[i] = (uint8_t)sizeof common_bytes;
	for (i = sizeof common_bytes - 1; i-- > 0;)
		byte_rank[(unsigned char)common_bytes[i]] = (uint8_t)(i + 1);
	memset(pair_slot, 0, sizeof pair_slot);
	for (i = 0; i < NPAIRS; i++) {
		unsigned pair = pair_at((const unsigned char *)common_pairs + 2 * i);

		for (h = pair_hash(pair); pair_slot[h].rank; h = (h + 1) % PAIR_SLOTS)
			;
		pair_slot[h].pair = (uint16_t)pair;
		pair_slot[h].rank = (uint8_t)(i + 1);
	}
}

/* Higher is rarer. A digit wildcard stands for ten bytes: the most common. */
static size_t byte_rarity(char l)
{
	return l == ANY_DIGIT ? 0 : byte_rank[(unsigned char)l];
}

/* Higher is rarer. A pair with a digit wildcard stands for ten pairs, or
 * a hundred: the most common. A pair listed twice counts at its first
 * place, which the probe meets first. */
static size_t pair_rarity(const char *l)
{
	unsigned pair;
	size_t h;

	if (l[0] == ANY_DIGIT || l[1] == ANY_DIGIT)
		return (l[0] != ANY_DIGIT) + (l[1] != ANY_DIGIT);
	pair = pair_at((const unsigned char *)l);
	for (h = pair_hash(pair); pair_slot[h].rank; h = (h + 1) % PAIR_SLOTS)
		if (pair_slot[h].pair == pair)
			return 2 + pair_slot[h].rank - 1u;
	return 2 + NPAIRS + byte_rarity(l[0]) + byte_rarity(l[1]);
}

/* Where the literal's key starts: the rarest-looking pair with a byte
 * after it, that byte breaking ties (the first of equals). */
static size_t key_offset(const char *l, size_t n)
{
	size_t i, best = 0, most = 0;

	for (i = 0; i + 2 < n; i++) {
		size_t r = pair_rarity(l + i) * (sizeof common_bytes + 1) + byte_rarity(l[i + 2]);

		if (r > most) {
			most = r;
			best = i;
		}
	}
	return best;
}

static uint32_t lit_hash(const char *l)
{
	uint32_t h = 2166136261u;

	for (; *l; l++)
		h = (h ^ (unsigned char)*l) * 16777619u;
	return h;
}

/* l's slot: where the table has it, or the empty slot where it goes */
static size_t lit_slot(const struct prefilter *pf, const char *l)
{
	size_t i = lit_hash(l) % LIT_SLOTS;

	while (pf->slot[i] && strcmp(pf->lit[pf->slot[i] - 1], l))
		i = (i + 1) % LIT_SLOTS;
	return i;
}

/* The literal's index; -1 when it is not there. */
static long lit_find(const struct prefilter *pf, const char *l)
{
	return (long)pf->slot[lit_slot(pf, l)] - 1;
}

/* The literal's index, added when new; -1 when the table is full or out of
 * memory. Found through an open-addressing table of indices + 1 (LIT_SLOTS
 * is twice the most literals there can be, so a probe always ends). */
static long lit_index(struct prefilter *pf, const char *l)
{
	size_t i = lit_slot(pf, l);
	char **p;

	if (pf->slot[i])
		return (long)pf->slot[i] - 1;
	if (pf->n == PREFILTER_WORDS * 64 || !(p = realloc(pf->lit, (pf->n + 1) * sizeof *p)))
		return -1;
	pf->lit = p;
	if (!(pf->lit[pf->n] = strdup(l)))
		return -1;
	pf->slot[i] = (uint16_t)(pf->n + 1);
	return (long)pf->n++;
}

/* A term without literals would pass every record that has any: cannot
 * come from a requirement, and is refused rather than handled. */
static int add_terms(struct prefilter *pf, const struct need *k, uint32_t owner)
{
	size_t i, j;
	void *p = realloc(pf->term, (pf->nterm + k->n + 1) * sizeof *pf->term);
	void *o;

	if (!p)
		return -1;
	pf->term = p;
	if (!(o = realloc(pf->owner, (pf->nterm + k->n + 1) * sizeof *pf->owner)))
		return -1;
	pf->owner = o;
	for (i = 0; i < k->n; i++) {
		struct pterm *w = &pf->term[pf->nterm];

		pf->owner[pf->nterm++] = owner;

		if (!k->t[i].n)
			return -1;
		w->n = 0;
		for (j = 0; j < k->t[i].n; j++) {
			long x = lit_index(pf, k->t[i].lit[j]);

			if (x < 0)
				return -1;
			w->x[w->n++] = (uint16_t)x;
		}
	}
	return 0;
}

/*
 * Each term is checked only when its key literal was found: its longest,
 * the one least likely to be there. The terms are sorted by key so that
 * each literal's come together.
 */
static int key_terms(struct prefilter *pf)
{
	struct pterm *by = calloc(pf->nterm + 1, sizeof *by);
	uint32_t *owner = calloc(pf->nterm + 1, sizeof *owner);
	size_t *key = calloc(pf->nterm + 1, sizeof *key);
	size_t *len = calloc(pf->n + 1, sizeof *len);
	size_t t, x, j;

	if (!by || !owner || !key || !len || !(pf->keyed = calloc(pf->n + 2, sizeof *pf->keyed))) {
		free(by);
		free(owner);
		free(key);
		free(len);
		return -1;
	}
	for (x = 0; x < pf->n; x++)
		len[x] = strlen(pf->lit[x]);
	for (t = 0; t < pf->nterm; t++) {
		/* the longest, the first of equals (add_terms saw to it that
		 * every term has one) */
		key[t] = pf->term[t].x[0];
		for (j = 1; j < pf->term[t].n; j++) {
			x = pf->term[t].x[j];
			if (len[x] > len[key[t]] || (len[x] == len[key[t]] && x < key[t]))
				key[t] = x;
		}
		pf->keyed[key[t] + 1]++;
	}
	/* a counting sort by key, terms in order within each */
	for (x = 0; x < pf->n; x++)
		pf->keyed[x + 1] += pf->keyed[x];
	for (t = 0; t < pf->nterm; t++) {
		size_t k = pf->keyed[key[t]]++;

		owner[k] = pf->owner[t];
		by[k] = pf->term[t];
	}
	memmove(pf->keyed + 1, pf->keyed, pf->n * sizeof *pf->keyed);
	pf->keyed[0] = 0;
	free(pf->term);
	free(pf->owner);
	free(key);
	free(len);
	pf->term = by;
	pf->owner = owner;
	return 0;
}

/* The raw bytes that match literal byte l (lit_eq): the ten digits, or l
 * and its upper case. */
static size_t variants(char l, unsigned char out[10])
{
	size_t n = 0;
	int c;

	if (l == ANY_DIGIT) {
		for (c = '0'; c <= '9'; c++)
			out[n++] = (unsigned char)c;
		return n;
	}
	out[n++] = (unsigned char)l;
	if (l >= 'a' && l <= 'z')
		out[n++] = (unsigned char)(l - 'a' + 'A');
	return n;
}

/*
 * Buckets go by the lower-cased pair, so the case variants of a pair share
 * one. Past NBUCKET distinct pairs (a digit wildcard makes ten) pairs share
 * buckets round robin, which only lets through candidates that fail their
 * compare.
 */
struct bucket_of {
	uint16_t k;                  /* bucket */
	uint16_t x;                  /* literal */
};

/* The literal's bytes, and the table it is looked for with. */
static const char *lit_text(const char *l, int *table)
{
	*table = l[0] == IN_MESSAGE ? LT_MESSAGE : l[0] == HAS_CLOSE[0] ? LT_NONE : LT_RECORD;
	return l + (*table == LT_MESSAGE);
}

/*
 * A table's pages are 164 KB, of which a rule pack and the text scanned
 * touch a few (the pairs of printable bytes). Fresh anonymous pages read
 * as zero until written, so only the pages touched are ever faulted in;
 * calloc may clear the whole table first, which costs every page. What
 * holds a pointer stays on the heap, where leak checkers look.
 */
static struct ltable *lt_new(void)
{
	struct ltable *lt = calloc(1, sizeof *lt);
	void *p;

	if (!lt)
		return NULL;
	p = mmap(NULL, sizeof *lt->pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		free(lt);
		return NULL;
	}
	lt->pg = p;
	return lt;
}

static void lt_free(struct ltable *lt)
{
	if (lt) {
		free(lt->cand);
		munmap(lt->pg, sizeof *lt->pg);
		free(lt);
	}
}

/*
 * The SIMD filter's groups: the table's literals sorted by their keys and
 * cut into eight runs, so that the keys of a group start alike and a
 * position of text matches few groups' first bytes; the three bytes of a
 * key must all be in one group's sets for the position to be looked at.
 */
struct keyed_lit {
	const char *key;
	size_t x;
};

static int key_cmp(const void *a, const void *b)
{
	const struct keyed_lit *p = a, *q = b;
	int c = memcmp(p->key, q->key, 3);

	return c ? c : (p->x > q->x) - (p->x < q->x);
}

/* group[x] for each literal x of the table; -1: out of memory */
static int groups(const struct prefilter *pf, int table, const size_t *off, size_t nlit,
		  uint8_t *group)
{
	struct keyed_lit *kl = malloc(nlit * sizeof *kl);
	size_t i, n = 0;

	if (!kl)
		return -1;
	for (i = 0; i < pf->n; i++) {
		int in;
		const char *l = lit_text(pf->lit[i], &in);

		if (in == table)
			kl[n++] = (struct keyed_lit){ l + off[i], i };
	}
	qsort(kl, n, sizeof *kl, key_cmp);
	for (i = 0; i < n; i++)
		group[kl[i].x] = (uint8_t)(i * 8 / n);
	free(kl);
	return 0;
}

static void group_add(struct ltable *lt, unsigned g, const unsigned char *va, size_t na,
		      const unsigned char *vb, size_t nb, const unsigned char *vc, size_t nc)
{
	size_t k;

	for (k = 0; k < na; k++)
		lt->pg->grp[0][va[k] & 127] |= (uint8_t)(1u << g);
	for (k = 0; k < nb; k++)
		lt->pg->grp[1][vb[k] & 127] |= (uint8_t)(1u << g);
	for (k = 0; k < nc; k++)
		lt->pg->grp[2][vc[k] & 127] |= (uint8_t)(1u << g);
}

static int index_table(struct prefilter *pf, int table)
{
	struct ltable *lt = NULL;
	struct bucket_of *bo = NULL;                           /* each literal's buckets */
	size_t *off = calloc(pf->n + 1, sizeof *off);
	size_t i, j, nbo = 0, ids = 0, k, a, b, c, na, nb, nc, nlit = 0;
	unsigned char va[10], vb[10], vc[10];
	uint8_t *group = NULL;

	for (i = 0; i < pf->n; i++) {
		int in;

		lit_text(pf->lit[i], &in);
		nlit += in == table;
	}
	if (!nlit) {
		free(off);
		return 0;
	}
	/* at most 100 buckets a literal: two digit wildcards in its key */
	if (!off || !(lt = pf->lt[table] = lt_new()) ||
	    !(bo = malloc((nlit * 100 + 1) * sizeof *bo)))
		goto fail;
#ifdef SCAN_VBMI
	lt->simd = vbmi > 0 && nlit <= SIMD_LITS;   /* the group tables only serve scan_vbmi */
#endif
	for (i = 0; i < pf->n; i++) {
		int in;
		const char *l = lit_text(pf->lit[i], &in);

		if (in == table)
			off[i] = key_offset(l, strlen(l));
	}
	if (lt->simd && (!(group = calloc(pf->n + 1, 1)) || groups(pf, table, off, nlit, group) < 0))
		goto fail;
	for (i = 0; i < pf->n; i++) {
		int in;
		const char *l = lit_text(pf->lit[i], &in);
		size_t first = nbo;

		if (in != table)
			continue;

		na = variants(l[off[i]], va);
		nb = variants(l[off[i] + 1], vb);
		nc = variants(l[off[i] + 2], vc);
		if (lt->simd)
			group_add(lt, group[i], va, na, vb, nb, vc, nc);
		for (a = 0; a < na; a++)
			for (b = 0; b < nb; b++) {
				unsigned char raw[2] = { va[a], vb[b] };
				unsigned char low[2] = { lc[va[a]], lc[vb[b]] };

				/* the lower-cased pair's bucket: the first variant
				 * of a pair is its lower-cased one (variants) */
				if (!(k = lt->pg->bucket[pair_at(low)]))
					k = ids++ % NBUCKET + 1;
				lt->pg->bucket[pair_at(raw)] = (uint16_t)k;
				for (c = 0; c < nc; c++)
					lt->pg->next[k][vc[c] / 64] |= (uint64_t)1 << (vc[c] % 64);
				for (j = first; j < nbo && bo[j].k != k; j++)
					;
				if (j == nbo)
					bo[nbo++] = (struct bucket_of){ (uint16_t)k, (uint16_t)i };
			}
	}
	if (nbo && !(lt->cand = calloc(nbo + 1, sizeof *lt->cand)))
		goto fail;
	/* a counting sort by bucket, literals in order within each */
	for (j = 0; j < nbo; j++)
		lt->pg->start[bo[j].k + 1]++;
	for (k = 1; k <= NBUCKET + 1; k++)
		lt->pg->start[k] += lt->pg->start[k - 1];
	for (j = 0; j < nbo; j++) {
		const struct bucket_of *e = &bo[j];
		struct cand *cd = &lt->cand[lt->pg->start[e->k]++];
		int in;
		const char *l = lit_text(pf->lit[e->x], &in);

		*cd = (struct cand){ l, (uint32_t)strlen(l), (uint32_t)off[e->x], e->x, 0, 0 };
		for (c = 0; c < 4 && cd->off + c < cd->len; c++)
			if (l[cd->off + c] != ANY_DIGIT) {
				cd->k4 |= (uint32_t)(unsigned char)l[cd->off + c] << (8 * c);
				cd->m4 |= (uint32_t)0xff << (8 * c);
			}
	}
	for (k = NBUCKET + 1; k > 0; k--)
		lt->pg->start[k] = lt->pg->start[k - 1];
	lt->pg->start[0] = 0;
	free(group);
	free(bo);
	free(off);
	return 0;
fail:
	free(group);
	free(bo);
	free(off);
	return -1;
}

static void lc_init(void)
{
	size_t i;

	for (i = 0; i < 256; i++)
		lc[i] = (unsigned char)lower((int)i);
	rank_init();
#ifdef SCAN_VBMI
	if (vbmi < 0) {
		__builtin_cpu_init();
		vbmi = __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi");
	}
#endif
}

static struct prefilter *finish(struct prefilter *pf)
{
	pf->close_x = lit_find(pf, HAS_CLOSE);
	if (key_terms(pf) < 0 || index_table(pf, LT_RECORD) < 0 || index_table(pf, LT_MESSAGE) < 0) {
		prefilter_free(pf);
		return NULL;
	}
	return pf;
}

struct prefilter *prefilter_build(const struct ruleset *rs, const char **why)
{
	struct prefilter *pf;
	size_t i;

	if (why)
		*why = NULL;
	lc_init();
	if (!(pf = calloc(1, sizeof *pf)))
		return NULL;
	for (i = 0; i < rs->n; i++) {
		struct need k = cond_need(rs->rules[i]->match, NEED_RECORD);
		int bad = k.none;

		if (!bad && add_terms(pf, &k, 0) < 0)
			bad = 1;
		need_free(&k);
		if (bad) {
			if (why)
				*why = rs->rules[i]->d.id;
			prefilter_free(pf);
			return NULL;
		}
	}
	return finish(pf);
}

struct prefilter *prefilter_build_rules(const struct ruleset *rs)
{
	struct prefilter *pf;
	size_t i;

	lc_init();
	if (!(pf = calloc(1, sizeof *pf)) || !(pf->always = calloc(rs->n + 1, sizeof *pf->always))) {
		free(pf);
		return NULL;
	}
	pf->nrule = rs->n;
	for (i = 0; i < rs->n; i++) {
		struct need k = cond_need(rs->rules[i]->match, NEED_EVENT);
		int bad = 0;

		if (k.none)
			pf->always[pf->nalways++] = (uint32_t)i;
		else if (add_terms(pf, &k, (uint32_t)i) < 0)
			bad = 1;
		need_free(&k);
		if (bad) {
			prefilter_free(pf);
			return NULL;
		}
	}
	return finish(pf);
}

struct prefilter *prefilter_build_patterns(const char *const *pat, const size_t *len, size_t n,
					   const char *const *extra)
{
	struct prefilter *pf;
	size_t i;

	lc_init();
	if (!(pf = calloc(1, sizeof *pf)))
		return NULL;
	for (i = 0; i < n; i++) {
		struct need k = regex_need(pat[i], len[i]);
		int bad = k.none || add_terms(pf, &k, 0) < 0;

		need_free(&k);
		if (bad) {
			prefilter_free(pf);
			return NULL;
		}
	}
	for (; extra && *extra; extra++) {
		struct need k = need_of(*extra, strlen(*extra));
		int bad = k.none || add_terms(pf, &k, 0) < 0;

		need_free(&k);
		if (bad) {
			prefilter_free(pf);
			return NULL;
		}
	}
	return finish(pf);
}

/* The literals found in a record so far. */
struct seen {
	uint64_t bit[PREFILTER_WORDS];
	size_t n;
	uint16_t x[PREFILTER_WORDS * 64];    /* in the order found (lit_index keeps x below) */
};

/* The candidates c .. end, whose key may sit at s[i]: each one that is
 * not found yet and fits in the record is compared where it would start. */
static void probe(const struct cand *c, const struct cand *end,
		  const unsigned char *s, size_t len, size_t i, struct seen *sn)
{
	uint32_t w = 0;
	size_t k;

	/* the record's four bytes from i, lower-cased (0 past its end) */
	for (k = 0; k < 4 && i + k < len; k++)
		w |= (uint32_t)lc[s[i + k]] << (8 * k);
	for (; c < end; c++) {
		size_t at, j;

		if ((w & c->m4) != c->k4 || (sn->bit[c->x / 64] >> (c->x % 64) & 1) || c->off > i)
			continue;
		at = i - c->off;
		if (c->len > len - at)
			continue;
		for (j = 0; j < c->len && lit_eq(s[at + j], c->lit[j]); j++)
			;
		if (j == c->len) {
			sn->bit[c->x / 64] |= (uint64_t)1 << (c->x % 64);
			sn->x[sn->n++] = (uint16_t)c->x;
		}
	}
}

/* The key at s + i (bytes i .. i + 2), looked up; a bucket found is probed.
 * Uses scan's locals. */
#define AT(i) do { \
		unsigned b_ = bucket[pair_at(s + (i))], c_ = s[(i) + 2]; \
		if (b_ && (lt->pg->next[b_][c_ / 64] >> (c_ % 64) & 1)) \
			probe(lt->cand + lt->pg->start[b_], lt->cand + lt->pg->start[b_ + 1], s, len, i, sn); \
	} while (0)

#ifdef SCAN_VBMI
/*
 * The positions i .. of s (while 66 bytes are left: a key's three bytes
 * for each of 64 positions) looked through 64 at a time: each byte's
 * groups at its offset in a key (grp, as a 128-byte table in two
 * registers), and a position is looked at as scan does only when one
 * group has all three of its bytes. Returns where it stopped.
 */
__attribute__((target("avx512f,avx512bw,avx512vbmi")))
static size_t scan_vbmi(const struct ltable *lt, const unsigned char *s, size_t len, struct seen *sn)
{
	const uint16_t *bucket = lt->pg->bucket;
	const __m512i t0a = _mm512_loadu_si512(lt->pg->grp[0]), t0b = _mm512_loadu_si512(lt->pg->grp[0] + 64);
	const __m512i t1a = _mm512_loadu_si512(lt->pg->grp[1]), t1b = _mm512_loadu_si512(lt->pg->grp[1] + 64);
	const __m512i t2a = _mm512_loadu_si512(lt->pg->grp[2]), t2b = _mm512_loadu_si512(lt->pg->grp[2] + 64);
	size_t i = 0;

	for (; i + 66 <= len; i += 64) {
		__m512i x0 = _mm512_loadu_si512(s + i), x1 = _mm512_loadu_si512(s + i + 1);
		__m512i x2 = _mm512_loadu_si512(s + i + 2);
		__m512i g = _mm512_and_si512(_mm512_permutex2var_epi8(t0a, x0, t0b),
					     _mm512_and_si512(_mm512_permutex2var_epi8(t1a, x1, t1b),
							      _mm512_permutex2var_epi8(t2a, x2, t2b)));
		/* a byte past ASCII is in no literal: its low bits indexed the
		 * table, and a false hit costs a look (never a miss) */
		uint64_t m = _mm512_test_epi8_mask(g, g) &
			     ~(_mm512_movepi8_mask(x0) | _mm512_movepi8_mask(x1) | _mm512_movepi8_mask(x2));

		for (; m; m &= m - 1)
			AT(i + (size_t)__builtin_ctzll(m));
	}
	return i;
}
#endif

/* Tests: 1 makes every scan the plain one below. */
static int scan_plain_only;

void prefilter_scan_plain(int on)
{
	scan_plain_only = on;
}

/* One pass adds the table's literals in raw to sn. */
static void scan(const struct ltable *lt, const char *raw, size_t len, struct seen *sn)
{
	const uint16_t *bucket;
	const unsigned char *s = (const unsigned char *)raw;
	size_t i = 0;

	if (!lt || !lt->cand)
		return;
	bucket = lt->pg->bucket;
#ifdef SCAN_VBMI
	if (lt->simd && !scan_plain_only)
		i = scan_vbmi(lt, s, len, sn);
#endif
	/* Eight positions a round (reading bytes i .. i + 9): a loop test costs
	 * about what a position does. */
	for (; i + 9 < len; i += 8) {
		AT(i);
		AT(i + 1);
		AT(i + 2);
		AT(i + 3);
		AT(i + 4);
		AT(i + 5);
		AT(i + 6);
		AT(i + 7);
	}
	for (; i + 2 < len; i++)
		AT(i);
}

/* Does term t have all of its literals in sn? */
static int term_holds(const struct prefilter *pf, size_t t, const struct seen *sn)
{
	const struct pterm *w = &pf->term[t];
	size_t j;

	for (j = 0; j < w->n; j++)
		if (!(sn->bit[w->x[j] / 64] >> (w->x[j] % 64) & 1))
			return 0;
	return 1;
}

/* Both tables' literals in one text. */
static void scan_all(const struct prefilter *pf, const char *s, size_t n, struct seen *sn)
{
	scan(pf->lt[LT_RECORD], s, n, sn);
	scan(pf->lt[LT_MESSAGE], s, n, sn);
}


/* A term whose literals are all there has its key among them. */
static int holds(const struct prefilter *pf, const struct seen *sn)
{
	size_t k, t;

	for (k = 0; k < sn->n; k++)
		for (t = pf->keyed[sn->x[k]]; t < pf->keyed[sn->x[k] + 1]; t++)
			if (term_holds(pf, t, sn))
				return 1;
	return 0;
}

int prefilter_may_match(const void *vpf, const char *raw, size_t len)
{
	const struct prefilter *pf = vpf;
	struct seen sn;

	memset(sn.bit, 0, sizeof sn.bit);
	sn.n = 0;
	scan_all(pf, raw, len, &sn);
	return holds(pf, &sn);
}

int prefilter_may_match_msg(const void *vpf, const char *raw, size_t len,
			    const char *msg, size_t nmsg)
{
	const struct prefilter *pf = vpf;
	struct seen sn;

	memset(sn.bit, 0, sizeof sn.bit);
	sn.n = 0;
	scan(pf->lt[LT_RECORD], raw, len, &sn);
	scan(pf->lt[LT_MESSAGE], msg, nmsg, &sn);
	return holds(pf, &sn);
}

size_t prefilter_rule_words(const struct prefilter *pf)
{
	return (pf->nrule + 63) / 64;
}

void prefilter_rules(const struct prefilter *pf, const char *a, size_t na,
		     const char *b, size_t nb, int has_close, uint64_t *mask)
{
	uintptr_t ap = (uintptr_t)a, bp = (uintptr_t)b;
	int inside = b && ap >= bp && ap + na <= bp + nb;
	struct seen sn;
	size_t k, t;

	memset(mask, 0, prefilter_rule_words(pf) * sizeof *mask);
	for (k = 0; k < pf->nalways; k++)
		mask[pf->always[k] / 64] |= (uint64_t)1 << (pf->always[k] % 64);
	memset(sn.bit, 0, sizeof sn.bit);
	sn.n = 0;
	if (has_close && pf->close_x >= 0) {
		sn.bit[pf->close_x / 64] |= (uint64_t)1 << (pf->close_x % 64);
		sn.x[sn.n++] = (uint16_t)pf->close_x;
	}
	/* a message condition's literals in the message alone; the rest in
	 * the text and in the message, unless the text holds it already */
	scan(pf->lt[LT_MESSAGE], a, na, &sn);
	if (!inside)
		scan(pf->lt[LT_RECORD], a, na, &sn);
	if (b)
		scan(pf->lt[LT_RECORD], b, nb, &sn);
	for (k = 0; k < sn.n; k++)
		for (t = pf->keyed[sn.x[k]]; t < pf->keyed[sn.x[k] + 1]; t++) {
			uint32_t r = pf->owner[t];

			if (!(mask[r / 64] >> (r % 64) & 1) && term_holds(pf, t, &sn))
				mask[r / 64] |= (uint64_t)1 << (r % 64);
		}
}

void prefilter_free(struct prefilter *pf)
{
	size_t i;

	if (!pf)
		return;
	for (i = 0; i < pf->n; i++)
		free(pf->lit[i]);
	free(pf->lit);
	free(pf->term);
	free(pf->owner);
	free(pf->always);
	free(pf->keyed);
	lt_free(pf->lt[LT_RECORD]);
	lt_free(pf->lt[LT_MESSAGE]);
	free(pf);
}
