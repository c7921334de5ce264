#include "rules/cond.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/prefilter.h"

/* A capture longer than this is cut (at a UTF-8 boundary): captures end up
 * in one-line messages, never as data. */
#define MATCH_CAP_MAX 4096

struct cond *cond_new(enum cond_kind kind)
{
	struct cond *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->kind = kind;
	c->clean = -1;
	return c;
}

int cond_add(struct cond *parent, struct cond *kid)
{
	struct cond **p = realloc(parent->kid, (parent->nkid + 1) * sizeof *p);

	if (!p)
		return -1;
	parent->kid = p;
	parent->kid[parent->nkid++] = kid;
	return 0;
}

void cond_free(struct cond *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nkid; i++)
		cond_free(c->kid[i]);
	free(c->kid);
	pcre2_code_free(c->re.code);
	free(c->re.src);
	free(c->path);
	free(c->codes);
	free(c->statuses);
	prefilter_free(c->pf);
	free(c);
}

int cond_re_compile(struct cond_re *re, const char *pat, size_t len,
		    char *err, size_t errsize, size_t *erroff)
{
	/*
	 * Logs are not guaranteed UTF-8: MATCH_INVALID_UTF makes invalid bytes
	 * simply unmatchable instead of an error for the whole record. \C could
	 * split a character, so it is refused.
	 */
	const uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C;
	uint32_t ncap = 0;
	PCRE2_SIZE off = 0;
	int code = 0;

	memset(re, 0, sizeof *re);
	re->code = pcre2_compile((PCRE2_SPTR)pat, len, opts, &code, &off, NULL);
	if (!re->code) {
		if (pcre2_get_error_message(code, (PCRE2_UCHAR *)err, errsize) < 0 && errsize)
			snprintf(err, errsize, "error %d", code);
		*erroff = off;
		return -1;
	}
	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &ncap);
	if (ncap > COND_MAX_GROUPS) {
		snprintf(err, errsize, "more than %d capture groups", COND_MAX_GROUPS);
		*erroff = 0;
		pcre2_code_free(re->code);
		re->code = NULL;
		return -1;
	}
	if (!(re->src = malloc(len + 1))) {
		snprintf(err, errsize, "out of memory");
		*erroff = 0;
		pcre2_code_free(re->code);
		re->code = NULL;
		return -1;
	}
	memcpy(re->src, pat, len);
	re->src[len] = '\0';
	re->srclen = len;
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &re->nnames);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &re->name_size);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &re->names);
	return 0;
}

/* Patterns are JIT-compiled when first matched: most of a pack's never run
 * on a given input (the prefilter rules their rules out), and compiling
 * them all took a third of the start-up. Matching may come from several
 * threads: the first compiles under the lock, the rest see its state. */
static pthread_mutex_t jit_lock = PTHREAD_MUTEX_INITIALIZER;

int cond_code_jit(pcre2_code *code, _Atomic int *jit)
{
	int st = atomic_load_explicit(jit, memory_order_acquire);

	if (st)
		return st == RE_JIT;
	pthread_mutex_lock(&jit_lock);
	if (!(st = atomic_load_explicit(jit, memory_order_relaxed))) {
		size_t jsize = 0;

		/* No JIT (unsupported CPU, SELinux execmem): the interpreter
		 * still works, under the same limits. */
		st = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0 &&
		     pcre2_pattern_info(code, PCRE2_INFO_JITSIZE, &jsize) == 0 && jsize > 0
			     ? RE_JIT : RE_INTERP;
		atomic_store_explicit(jit, st, memory_order_release);
	}
	pthread_mutex_unlock(&jit_lock);
	return st == RE_JIT;
}

int cond_re_jit(const struct cond_re *cre)
{
	struct cond_re *re = (struct cond_re *)cre;   /* its JIT state only, behind the lock */

	return cond_code_jit(re->code, &re->jit);
}

/* Cheapest first; regexes keep their written order among themselves so the
 * first-capture-wins rule stays predictable. */
static int cost(const struct cond *c)
{
	switch (c->kind) {
	case COND_SEVERITY:
		return 0;
	case COND_CLOSE:
		return 1;
	default:
		return 2;
	}
}

void cond_optimize(struct cond *c)
{
	size_t i, j;

	for (i = 0; i < c->nkid; i++)
		cond_optimize(c->kid[i]);
	if (c->kind != COND_ALL)
		return;
	/* insertion sort: stable, and n is tiny */
	for (i = 1; i < c->nkid; i++) {
		struct cond *k = c->kid[i];

		for (j = i; j > 0 && cost(c->kid[j - 1]) > cost(k); j--)
			c->kid[j] = c->kid[j - 1];
		c->kid[j] = k;
	}
}

static const char *limit_name(int rc)
{
	switch (rc) {
	case PCRE2_ERROR_MATCHLIMIT:
		return "match limit exceeded";
	case PCRE2_ERROR_DEPTHLIMIT:
		return "depth limit exceeded";
	case PCRE2_ERROR_HEAPLIMIT:
		return "heap limit exceeded";
	case PCRE2_ERROR_JIT_STACKLIMIT:
		return "JIT stack limit exceeded";
	case PCRE2_ERROR_NOMEMORY:
		return "out of memory";
	default:
		return "regex error";
	}
}

static int cap_known(const struct match *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->ncaps; i++)
		if (!strcmp(m->caps[i].name, name))
			return 1;
	return 0;
}

/* Copy each set named group into m->store; first value of a name wins. */
static void collect(const struct cond_re *re, const char *subj, struct match *m)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer((pcre2_match_data *)m->md);
	uint32_t i;

	for (i = 0; i < re->nnames && m->ncaps < MATCH_MAX_CAPS; i++) {
		PCRE2_SPTR e = re->names + (size_t)i * re->name_size;
		unsigned g = ((unsigned)e[0] << 8) | e[1];
		const char *name = (const char *)e + 2;
		size_t a, n, off;

		if (ov[2 * g] == PCRE2_UNSET || cap_known(m, name))
			continue;
		a = ov[2 * g];
		n = ov[2 * g + 1] > a ? ov[2 * g + 1] - a : 0;
		if (n > MATCH_CAP_MAX) {
			n = MATCH_CAP_MAX;
			while (n > 0 && ((unsigned char)subj[a + n] & 0xC0) == 0x80)
				n--;
		}
		off = m->store.len;
		if (buf_reserve(&m->store, n + 1) < 0)
			continue;   /* store full: keep matching, lose this value */
		buf_add(&m->store, subj + a, n);
		buf_addc(&m->store, '\0');
		m->caps[m->ncaps].name = name;
		m->caps[m->ncaps].value = NULL;
		m->caps[m->ncaps].voff = off;
		m->ncaps++;
	}
}

static int re_eval(const struct cond_re *re, const char *subj, size_t len,
		   struct match *m, const char **why)
{
	int rc;

	if (!subj)
		subj = "";
	/* the JIT entry skips the interpreter's checks; the same limits hold */
	rc = cond_re_jit(re) ? pcre2_jit_match(re->code, (PCRE2_SPTR)subj, len, 0, 0,
				       (pcre2_match_data *)m->md, (pcre2_match_context *)m->mctx)
		     : pcre2_match(re->code, (PCRE2_SPTR)subj, len, 0, 0,
				   (pcre2_match_data *)m->md, (pcre2_match_context *)m->mctx);
	if (rc >= 0) {
		if (re->nnames)
			collect(re, subj, m);
		return 1;
	}
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	*why = limit_name(rc);
	return -1;
}

/* No captures: what a redact pattern matched is the secret itself, and
 * must not reach a rendered message. */
static int redact_eval(const struct cond *c, const struct event *ev,
		       struct match *m, const char **why)
{
	size_t i;

	/* most records hold none of the patterns' literals: no regex runs */
	if (c->pf && !prefilter_may_match(c->pf, ev->text ? ev->text : "",
					  ev->text ? ev->text_len : 0))
		return 0;
	for (i = 0; i < c->nredact; i++) {
		int rc;

		rule_redact_jit(&c->redact[i]);
		rc = pcre2_match((const pcre2_code *)c->redact[i].code,
				 (PCRE2_SPTR)(ev->text ? ev->text : ""),
				 ev->text ? ev->text_len : 0, 0, 0,
				 (pcre2_match_data *)m->md, (pcre2_match_context *)m->mctx);
		if (rc >= 0)
			return 1;
		if (rc != PCRE2_ERROR_NOMATCH) {
			*why = limit_name(rc);
			return -1;
		}
	}
	return 0;
}

static int in_list(const int *v, size_t n, int x)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

static int close_eval(const struct cond *c, const struct event *ev,
		      struct match *m, const char **why)
{
	const struct close_trace *cl = &ev->close;

	if (!cl->present)
		return 0;
	if (c->codes && !in_list(c->codes, c->ncodes, cl->code))
		return 0;
	if (c->statuses && !in_list(c->statuses, c->nstatuses, cl->http_status))
		return 0;
	if (c->direction != CLOSE_DIR_UNKNOWN && (int)cl->direction != c->direction)
		return 0;
	if (c->clean >= 0 && cl->clean != c->clean)
		return 0;
	if (c->re.code)
		return re_eval(&c->re, cl->reason, strnlen(cl->reason, sizeof cl->reason), m, why);
	return 1;
}

int cond_eval(const struct cond *c, const struct event *ev, struct match *m,
	      const char **why)
{
	size_t i, ncaps, slen;
	int rc;

	switch (c->kind) {
	case COND_ALL:
		/* A failed conjunction must not leave captures behind (an 'any'
		 * branch that half matched would otherwise win the name). */
		ncaps = m->ncaps;
		slen = m->store.len;
		for (i = 0; i < c->nkid; i++) {
			rc = cond_eval(c->kid[i], ev, m, why);
			if (rc != 1) {
				m->ncaps = ncaps;
				m->store.len = slen;
				return rc;
			}
		}
		return 1;
	case COND_ANY:
		for (i = 0; i < c->nkid; i++) {
			rc = cond_eval(c->kid[i], ev, m, why);
			if (rc != 0)
				return rc;
		}
		return 0;
	case COND_NOT:
		/* nothing inside a 'not' is evidence: drop its captures */
		ncaps = m->ncaps;
		slen = m->store.len;
		rc = cond_eval(c->kid[0], ev, m, why);
		m->ncaps = ncaps;
		m->store.len = slen;
		return rc < 0 ? rc : !rc;
	case COND_MESSAGE:
		return re_eval(&c->re, ev->msg, ev->msg_len, m, why);
	case COND_TEXT:
		return re_eval(&c->re, ev->text, ev->text ? ev->text_len : 0, m, why);
	case COND_FIELD:
		buf_reset(&m->scratch);
		if (!event_field(ev, c->path, &m->scratch))
			return 0;
		return re_eval(&c->re, m->scratch.p, m->scratch.len, m, why);
	case COND_CLOSE:
		return close_eval(c, ev, m, why);
	case COND_SEVERITY:
		return (int)ev->sev >= c->sev;
	case COND_REDACT:
		return redact_eval(c, ev, m, why);
	}
	return 0;
}
