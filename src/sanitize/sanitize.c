#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "read/frame.h"
#include "rules/rule.h"
#include "sanitize/sanitize_impl.h"
#include "util/jpool.h"

/* Rewrites can grow a record (escapes, markers, renamed keys): an output
 * line may be this many times the record limit before it is refused. */
#define SANITIZE_GROWTH 8
/* Output vector pairs for the patterns: the rules loader allows at most
 * 99 groups in a pattern. */
#define SANITIZE_OVEC_PAIRS 100

static const char *const kind_names[SAN_NKINDS] = {
	"enum-repr", "datetime-repr", "uuid-repr", "decimal-repr", "bytes-repr",
	"object-repr", "python-literal", "nan", "invalid-utf8", "lone-surrogate",
	"control-char", "invalid-escape", "duplicate-key", "big-integer",
	"multiline-json", "wrapped", "yaml", "text-line", "invalid-json",
	"truncated", "redacted-jwt", "redacted-bearer", "redacted-field",
	"redacted-rule", "redacted-private-key", "incomplete",
};

const char *const sanitize_builtin_literals[] = { "eyJ", "bearer", "basic", NULL };

const char *sanitize_kind_name(enum sanitize_kind k)
{
	return (unsigned)k < SAN_NKINDS ? kind_names[k] : "?";
}

int sanitize_enum_parse(const char *s)
{
	static const char *const names[] = { "lower", "name", "value", "repr" };
	int i;

	for (i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

struct sanitizer *sanitizer_new(const struct sanitize_opts *o)
{
	struct sanitizer *z = calloc(1, sizeof *z);
	size_t max;
	struct buf *bufs[11];
	size_t i;

	if (!z)
		return NULL;
	z->o = *o;
	max = o->max_record ? o->max_record : FRAME_MAX_RECORD;
	z->max_out = max * SANITIZE_GROWTH + ((size_t)64 << 10);
	bufs[0] = &z->out;
	bufs[1] = &z->dec;
	bufs[2] = &z->rw1;
	bufs[3] = &z->rw2;
	bufs[4] = &z->rw3;
	bufs[5] = &z->enc;
	bufs[6] = &z->key;
	bufs[7] = &z->atom;
	bufs[8] = &z->atomv;
	bufs[9] = &z->yaml;
	bufs[10] = &z->wrap;
	for (i = 0; i < sizeof bufs / sizeof *bufs; i++)
		bufs[i]->max = z->max_out;
	keyset_init(&z->keys, z->max_out);
	event_init(&z->ev);
	z->kind_of = calloc(o->npatterns + 1, sizeof *z->kind_of);
	z->kinds = calloc(o->npatterns + 1, sizeof *z->kinds);
	z->kcnt = calloc(o->npatterns + 1, sizeof *z->kcnt);
	if (!z->kind_of || !z->kinds || !z->kcnt) {
		sanitizer_free(z);
		return NULL;
	}
	for (i = 0; i < o->npatterns; i++) {
		size_t k;

		for (k = 0; k < z->nkinds && strcmp(z->kinds[k], o->patterns[i].kind); k++)
			;
		if (k == z->nkinds)
			z->kinds[z->nkinds++] = o->patterns[i].kind;
		z->kind_of[i] = k;
	}
	if (o->npatterns) {
		/* room for every group a pattern may have (the secret group) */
		z->md = pcre2_match_data_create(SANITIZE_OVEC_PAIRS, NULL);
		z->mctx = pcre2_match_context_create(NULL);
		if (!z->md || !z->mctx) {
			sanitizer_free(z);
			return NULL;
		}
		pcre2_set_match_limit(z->mctx, RULE_MATCH_LIMIT);
		pcre2_set_depth_limit(z->mctx, RULE_DEPTH_LIMIT);
		pcre2_set_heap_limit(z->mctx, RULE_HEAP_LIMIT_KIB);
	}
	return z;
}

void sanitizer_free(struct sanitizer *z)
{
	if (!z)
		return;
	buf_free(&z->out);
	buf_free(&z->dec);
	buf_free(&z->rw1);
	buf_free(&z->rw2);
	buf_free(&z->rw3);
	buf_free(&z->enc);
	buf_free(&z->key);
	buf_free(&z->atom);
	buf_free(&z->atomv);
	buf_free(&z->yaml);
	buf_free(&z->wrap);
	keyset_free(&z->keys);
	event_free(&z->ev);
	pcre2_match_data_free(z->md);
	pcre2_match_context_free(z->mctx);
	free(z->kind_of);
	free(z->kinds);
	free(z->kcnt);
	free(z);
}

size_t sanitizer_nkinds(const struct sanitizer *z)
{
	return z->nkinds;
}

const char *sanitizer_kind(const struct sanitizer *z, size_t i)
{
	return i < z->nkinds ? z->kinds[i] : "?";
}

static int put_ts(struct buf *b, int64_t us)
{
	time_t t = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
	long frac = (long)(us - (int64_t)t * 1000000);
	struct tm tm;
	char s[40];

	if (!gmtime_r(&t, &tm) || !strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm))
		return -1;
	if (frac % 1000 == 0)
		return buf_addf(b, ",\"timestamp\":\"%s.%03ldZ\"", s, frac / 1000);
	return buf_addf(b, ",\"timestamp\":\"%s.%06ldZ\"", s, frac);
}

static long lines_in(const struct record *rec)
{
	long n = 1;
	const char *p = rec->text, *end = rec->text + rec->len;

	while ((p = memchr(p, '\n', (size_t)(end - p)))) {
		n++;
		p++;
	}
	return n;
}

/* A text record right after one that opened a PEM private key (or went
 * on with it), in the same input. */
static int pem_goes_on(struct sanitizer *z, const struct record *rec)
{
	if (!z->pem)
		return 0;
	if (rec->kind != RECORD_TEXT || rec->source != z->pem_src || rec->line != z->pem_next ||
	    z->o.no_redact) {
		z->pem = 0;
		return 0;
	}
	return 1;
}

/* The record as a message: {"message": "...", "severity", "timestamp",
 * "logwhy_truncated"}. The whole text is kept (prefix included): nothing
 * the line said is lost. */
static int text_record(struct sanitizer *z, const struct record *rec, enum sanitize_kind why)
{
	const char *t;
	size_t tn;
	int fixed = 0, r;

	z->cnt[why]++;
	buf_reset(&z->out);
	buf_reset(&z->dec);
	if (jsonfix_decode(rec->text, rec->len, JF_RAW, &z->dec, z->cnt, &fixed) < 0)
		return -1;
	t = z->dec.p ? z->dec.p : "";
	tn = z->dec.len;
	r = 0;
	if (pem_goes_on(z, rec)) {
		r = redact_pem_line(z, t, tn, &z->rw2);
		if (r < 0)
			return -1;
		z->pem = (r & 2) != 0;
		if (r & 1) {
			t = z->rw2.p;
			tn = z->rw2.len;
		}
	}
	if (!r) {
		r = rewrite_text(z, t, tn, &t, &tn);
		if (r < 0)
			return -1;
		if (rec->kind == RECORD_TEXT && !z->o.no_redact &&
		    redact_pem_opens(z->dec.p ? z->dec.p : "", z->dec.len)) {
			z->pem = 1;
			z->pem_src = rec->source;
		}
	}
	if (z->pem)
		z->pem_next = rec->line + lines_in(rec);
	if (buf_adds(&z->out, "{\"message\":") < 0 || jsonfix_encode(&z->out, t, tn) < 0)
		return -1;
	if (rec->kind == RECORD_TEXT && event_from_record(&z->ev, rec, NULL) == 0) {
		if (z->ev.sev != SEV_DEFAULT &&
		    buf_addf(&z->out, ",\"severity\":\"%s\"", event_sev_name(z->ev.sev)) < 0)
			return -1;
		if (z->ev.has_ts && put_ts(&z->out, z->ev.ts_us) < 0)
			return -1;
	}
	if (rec->truncated && buf_addf(&z->out, ",\"logwhy_truncated\":%zu", rec->cut) < 0)
		return -1;
	if (rec->incomplete && buf_adds(&z->out, ",\"logwhy_incomplete\":true") < 0)
		return -1;
	return buf_addc(&z->out, '}');
}

/* Last resort when even the message form is over the output limit. */
static void too_large(struct sanitizer *z, const struct record *rec)
{
	buf_reset(&z->out);
	z->cnt[SAN_TRUNCATED]++;
	buf_addf(&z->out, "{\"message\":\"[logwhy: record too large to rewrite]\","
		 "\"logwhy_truncated\":%zu}", rec->len);
}

static int wrap(struct sanitizer *z, const char *v, size_t n)
{
	z->cnt[SAN_WRAPPED]++;
	buf_reset(&z->wrap);
	if (buf_adds(&z->wrap, "{\"message\":") < 0 || buf_add(&z->wrap, v, n) < 0 ||
	    buf_addc(&z->wrap, '}') < 0)
		return -1;
	return 0;
}

/* Could this text line be a Python literal payload ({'a': 1}, [...],
 * OrderedDict(...))? Only then is it worth parsing as a value. */
static int literal_like(const char *s, size_t n)
{
	static const char *const calls[] = { "OrderedDict(", "defaultdict(", "Counter(", NULL };
	const char *const *c;
	size_t i = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < n && (s[i] == '{' || s[i] == '[' || s[i] == '('))
		return 1;
	for (c = calls; *c; c++)
		if (n - i > strlen(*c) && !memcmp(s + i, *c, strlen(*c)))
			return 1;
	return 0;
}

/* An escape that can spell a literal the prefilter looks for: \u, \/ in
 * JSON; \x, \U, \N, octal in Python literals and YAML. */
static int spelling_escape(const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	while ((p = memchr(p, '\\', (size_t)(end - p))) && p + 1 < end) {
		char c = p[1];

		if (c == 'u' || c == '/' || c == 'x' || c == 'U' || c == 'N' ||
		    (c >= '0' && c <= '7'))
			return 1;
		p += 2;
	}
	return 0;
}

/* May a redaction (a rule pattern or a built-in one) change this record? */
static int candidate(const struct sanitizer *z, const struct record *rec)
{
	if (z->o.no_redact)
		return 0;
	if (!z->o.may_match)
		return 1;
	return z->o.may_match(z->o.prefilter, rec->text, rec->len) ||
	       spelling_escape(rec->text, rec->len);
}

int sanitize_redact_text(struct sanitizer *z, const char *text, size_t n,
			 const char **out, size_t *len)
{
	unsigned long cnt[SAN_NKINDS];
	int r;

	*out = text;
	*len = n;
	if (z->o.no_redact)
		return 0;
	z->cnt = cnt;
	memset(z->kcnt, 0, (z->nkinds + 1) * sizeof *z->kcnt);
	z->cand = !z->o.may_match || z->o.may_match(z->o.prefilter, text, n) ||
		  spelling_escape(text, n);
	if (!z->cand)
		return 0;
	r = redact_text(z, text, n, &z->rw2, &z->rw3);
	if (r > 0) {
		*out = z->rw2.p ? z->rw2.p : "";
		*len = z->rw2.len;
	}
	return r;
}

int sanitize_record(struct sanitizer *z, const struct record *rec, const char **line, size_t *len,
		    struct sanitize_result *res, struct diag *d)
{
	const char *src = rec->text;
	size_t n = rec->len, i;
	int r = REWRITE_FAIL, dirty = 0, is_obj = 0;
	enum sanitize_kind why = SAN_TEXT_LINE;

	(void)d;
	memset(res, 0, sizeof *res);
	z->cnt = res->count;
	z->next_obj = 0;
	keyset_reset(&z->keys);
	buf_reset(&z->out);
	memset(z->kcnt, 0, (z->nkinds + 1) * sizeof *z->kcnt);
	res->kind_count = z->kcnt;
	res->nkind = z->nkinds;
	z->cand = candidate(z, rec);

	if (rec->truncated || rec->incomplete) {
		why = rec->truncated ? SAN_TRUNCATED : SAN_INCOMPLETE;
		goto text;
	}
	if (rec->kind == RECORD_YAML && rec->json) {
		char *t = json_dumps(rec->json, JSON_COMPACT | JSON_ENCODE_ANY);

		buf_reset(&z->yaml);
		if (t && buf_adds(&z->yaml, t) == 0) {
			jpool_str_free(t);
			src = z->yaml.p;
			n = z->yaml.len;
			z->cnt[SAN_YAML]++;
			r = rewrite_value(z, src, n, &z->out, &dirty, &is_obj);
		} else {
			jpool_str_free(t);
		}
	} else if (rec->kind == RECORD_JSON) {
		why = SAN_INVALID_JSON;
		r = rewrite_value(z, src, n, &z->out, &dirty, &is_obj);
	} else if (literal_like(src, n)) {
		r = rewrite_value(z, src, n, &z->out, &dirty, &is_obj);
	}
	if (r != REWRITE_OK) {
		/* a half-done rewrite may have counted kinds: start over */
		memset(res->count, 0, sizeof res->count);
		goto text;
	}
	{
		const char *v = z->out.p;
		size_t vn = z->out.len;

		if (!dirty) {
			v = src;
			vn = n;
		}
		if (!is_obj) {
			if (wrap(z, v, vn) < 0)
				goto large;
			v = z->wrap.p;
			vn = z->wrap.len;
		}
		*line = v;
		*len = vn;
	}
	goto done;
text:
	if (text_record(z, rec, why) < 0)
		goto large;
	*line = z->out.p;
	*len = z->out.len;
	goto done;
large:
	too_large(z, rec);
	*line = z->out.p;
	*len = z->out.len;
done:
	for (i = 0; i < SAN_NKINDS; i++)
		if (res->count[i])
			res->changed = 1;
	if (*line != rec->text || *len != rec->len)
		res->changed = 1;
	return 0;
}
