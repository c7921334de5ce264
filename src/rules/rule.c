#include "rules/rule.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/cond.h"
#include "rules/rule_impl.h"

/* Output vector pairs: every pattern has at most COND_MAX_GROUPS groups. */
#define MATCH_OVEC_PAIRS (COND_MAX_GROUPS + 1)
/* The JIT stack grows on demand up to this; past it the match gives up. */
#define MATCH_JIT_STACK_START (32u << 10)
#define MATCH_JIT_STACK_MAX (1u << 20)
/* Captures of one match, and field values being matched. */
#define MATCH_STORE_MAX ((size_t)256 << 10)
#define MATCH_SCRATCH_MAX ((size_t)4 << 20)
/* One rendered template adds at most this much. */
#define RULE_RENDER_MAX ((size_t)16 << 10)
/* Longest {name} a template may refer to. */
#define RULE_RENDER_NAME_MAX 256

static const char *const level_names[] = { "never", "info", "warning", "error" };
static const char *const role_names[] = { "cause", "symptom", "context" };
const char *const rule_corr_names[] = { "connection", "trace", "instance", "user", "span", NULL };

const char *rule_level_name(enum level l)
{
	return (unsigned)l < sizeof level_names / sizeof *level_names ? level_names[l] : "never";
}

int rule_level_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof level_names / sizeof *level_names; i++)
		if (!strcasecmp(s, level_names[i]))
			return (int)i;
	return -1;
}

const char *rule_role_name(enum rule_role r)
{
	return (unsigned)r < sizeof role_names / sizeof *role_names ? role_names[r] : "cause";
}

void rule_redact_jit(const struct rule_redact *rd)
{
	/* its JIT state only, behind cond's lock */
	cond_code_jit((pcre2_code *)rd->code, &((struct rule_redact *)rd)->jit);
}

void rule_free(struct rule *r)
{
	size_t i;

	if (!r)
		return;
	free(r->d.id);
	free(r->d.title);
	free(r->d.category);
	cond_free(r->match);
	free(r->d.message);
	for (i = 0; i < r->d.nwhy; i++)
		free(r->d.why[i]);
	free(r->d.why);
	free(r->d.fix);
	for (i = 0; i < r->d.nexplains; i++)
		free(r->d.explains[i]);
	free(r->d.explains);
	free(r->d.explains_rule);
	free(r->explains_loc);
	for (i = 0; i < r->d.nex_match; i++)
		free(r->d.ex_match[i].text);
	free(r->d.ex_match);
	for (i = 0; i < r->d.nex_nomatch; i++)
		free(r->d.ex_nomatch[i].text);
	free(r->d.ex_nomatch);
	for (i = 0; i < r->nredact; i++) {
		free(r->redact[i].kind);
		free(r->redact[i].src);
		pcre2_code_free((pcre2_code *)r->redact[i].code);
	}
	free(r->redact);
	free(r->d.file);
	free(r);
}

void rule_match_init(struct match *m)
{
	memset(m, 0, sizeof *m);
	m->store.max = MATCH_STORE_MAX;
	m->scratch.max = MATCH_SCRATCH_MAX;
}

void rule_match_clear(struct match *m)
{
	if (!m)
		return;
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mctx);
	pcre2_jit_stack_free(m->jit_stack);
	buf_free(&m->store);
	buf_free(&m->scratch);
	free(m->cand);
	rule_match_init(m);
}

/* rule_match_init cannot fail, so the PCRE2 scratch is made on first use. */
static int match_ready(struct match *m)
{
	if (m->md)
		return 0;
	m->mctx = pcre2_match_context_create(NULL);
	m->jit_stack = pcre2_jit_stack_create(MATCH_JIT_STACK_START, MATCH_JIT_STACK_MAX, NULL);
	m->md = pcre2_match_data_create(MATCH_OVEC_PAIRS, NULL);
	if (!m->mctx || !m->md) {
		pcre2_match_data_free(m->md);
		pcre2_match_context_free(m->mctx);
		pcre2_jit_stack_free(m->jit_stack);
		m->md = m->mctx = m->jit_stack = NULL;
		return -1;
	}
	pcre2_set_match_limit(m->mctx, RULE_MATCH_LIMIT);
	pcre2_set_depth_limit(m->mctx, RULE_DEPTH_LIMIT);
	pcre2_set_heap_limit(m->mctx, RULE_HEAP_LIMIT_KIB);
	/* without a stack of our own the JIT uses 32K on the machine stack */
	if (m->jit_stack)
		pcre2_jit_stack_assign(m->mctx, NULL, m->jit_stack);
	return 0;
}

int rule_match(const struct rule *r, const struct event *ev, struct match *m,
	       const struct warn_sink *w)
{
	const char *why = "regex error";
	size_t i;
	int rc;

	m->ncaps = 0;
	if (ev->skimmed)
		return 0;   /* the prefilter ruled it out for every rule */
	buf_reset(&m->store);
	if (match_ready(m) < 0) {
		warn_emit(w, ev->source, ev->line, 0,
			  "rule '%s' gave up on this record: out of memory", r->d.id);
		return 0;
	}
	rc = cond_eval(r->match, ev, m, &why);
	if (rc < 0) {
		/* the record's place, then the rule's: the pattern to fix */
		warn_emit(w, ev->source, ev->line, 0,
			  "rule '%s' (%s:%ld:%ld) gave up on this record: %s",
			  r->d.id, r->d.file ? r->d.file : "?", r->d.line, r->col, why);
		m->ncaps = 0;
		return 0;
	}
	if (!rc) {
		m->ncaps = 0;
		return 0;
	}
	/* the store may have moved while it grew: point into it only now */
	for (i = 0; i < m->ncaps; i++)
		m->caps[i].value = m->store.p + m->caps[i].voff;
	return 1;
}

static const char *cap_get(const struct match *m, const char *name, size_t n)
{
	size_t i;

	if (!m)
		return NULL;
	for (i = 0; i < m->ncaps; i++)
		if (strlen(m->caps[i].name) == n && !memcmp(m->caps[i].name, name, n))
			return m->caps[i].value;
	return NULL;
}

/* Cut out back to start+max, at a UTF-8 boundary. */
static void clip(struct buf *out, size_t start)
{
	size_t n;

	if (out->len - start <= RULE_RENDER_MAX)
		return;
	n = start + RULE_RENDER_MAX;
	while (n > start && ((unsigned char)out->p[n] & 0xC0) == 0x80)
		n--;
	out->len = n;
	out->p[n] = '\0';
}

int rule_render(const char *tmpl, const struct event *ev,
		const struct match *m, struct buf *out)
{
	size_t start = out->len;
	const char *s = tmpl;

	if (!tmpl)
		return 0;
	while (*s && out->len - start < RULE_RENDER_MAX) {
		const char *close, *val;
		size_t n, mark;

		if ((s[0] == '{' && s[1] == '{') || (s[0] == '}' && s[1] == '}')) {
			if (buf_addc(out, s[0]) < 0)
				return -1;
			s += 2;
			continue;
		}
		if (*s != '{') {
			n = strcspn(s, "{}");
			if (n == 0)
				n = 1;   /* a lone '}' */
			if (buf_add(out, s, n) < 0)
				return -1;
			s += n;
			continue;
		}
		close = strchr(s + 1, '}');
		n = close ? (size_t)(close - s - 1) : 0;
		if (!close || n == 0 || n > RULE_RENDER_NAME_MAX || memchr(s + 1, '{', n)) {
			if (buf_addc(out, '{') < 0)
				return -1;
			s++;
			continue;
		}
		if ((val = cap_get(m, s + 1, n))) {
			if (buf_adds(out, val) < 0)
				return -1;
		} else if (ev) {
			char name[RULE_RENDER_NAME_MAX + 1];

			memcpy(name, s + 1, n);
			name[n] = '\0';
			mark = out->len;
			if (!event_field(ev, name, out)) {
				/* unknown: keep it as written so the gap is visible */
				out->len = mark;
				if (out->p)
					out->p[mark] = '\0';
				if (buf_add(out, s, n + 2) < 0)
					return -1;
			}
		} else if (buf_add(out, s, n + 2) < 0) {
			return -1;
		}
		s = close + 1;
	}
	clip(out, start);
	return 0;
}
