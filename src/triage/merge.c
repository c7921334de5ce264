#include "triage/merge.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "emit/report.h"
#include "util/buf.h"

struct merge {
	struct triage *t;
	const struct ruleset *rs;
	char digest[24];
	long shards;
};

/* The input being read, with the position of the next byte. */
struct rd {
	FILE *f;
	const char *name;
	long line, col;       /* 1-based; col counts characters, as jansson does */
	int peek;             /* a byte read ahead, or -2 */
	struct diag *d;
};

/* One shard's tables while its findings are read. */
struct shard {
	long *gid;            /* local group -> the triage's id */
	long *want, *got;     /* counts: what the group says, what came */
	size_t ng;
	long *input;          /* local input -> the triage's */
	size_t nin;
	int fused;            /* input 0 continues the previous shard's last */
	int64_t carry;        /* that input's latest time, INT64_MIN none */
	long line, col;       /* where the shard starts */
	long fline, fcol;     /* where the finding being read starts */
};

struct merge *merge_new(struct triage *t, const struct ruleset *rs)
{
	struct merge *m = calloc(1, sizeof *m);

	if (!m)
		return NULL;
	m->t = t;
	m->rs = rs;
	snprintf(m->digest, sizeof m->digest, "%016llx", (unsigned long long)triage_rules_digest(rs));
	return m;
}

long merge_shards(const struct merge *m)
{
	return m->shards;
}

void merge_free(struct merge *m)
{
	free(m);
}

static int get(struct rd *r)
{
	int c;

	if (r->peek != -2) {
		c = r->peek;
		r->peek = -2;
	} else {
		c = getc(r->f);
	}
	if (c == '\n') {
		r->line++;
		r->col = 0;
	} else if (c != EOF && (c & 0xc0) != 0x80) {
		r->col++;
	}
	return c;
}

static int is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Next byte that is not JSON whitespace. */
static int get_nows(struct rd *r)
{
	int c;

	while ((c = get(r)) != EOF && is_ws(c))
		;
	return c;
}

static int fail_at(struct rd *r, const char *fmt, const char *what)
{
	char msg[400];

	snprintf(msg, sizeof msg, fmt, what);
	if (ferror(r->f))
		return diag_set(r->d, r->name, 0, 0, "read error: %s", strerror(errno));
	if (feof(r->f))
		snprintf(msg, sizeof msg, "the input ends inside a shard (cut off?)");
	return diag_set(r->d, r->name, r->line, r->col > 0 ? r->col : 1, "%s", msg);
}

static int fail_shard(struct rd *r, const struct shard *s, const char *fmt, const char *what)
{
	char msg[400];

	snprintf(msg, sizeof msg, fmt, what);
	return diag_set(r->d, r->name, s->line, s->col, "%s", msg);
}

static void shard_free(struct shard *s)
{
	free(s->gid);
	free(s->want);
	free(s->got);
	free(s->input);
}

static int is_str(const json_t *v)
{
	return json_is_string(v);
}

/* A JSON time in µs, or null. 0: ok; -1: not one. */
static int get_us(const json_t *v, int64_t *us)
{
	if (json_is_null(v)) {
		*us = INT64_MIN;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) == INT64_MIN)
		return -1;
	*us = (int64_t)json_integer_value(v);
	return 0;
}

/* A group's where-counts, as the report's "where" object writes them
 * (absent when none of its records named one). */
static int add_where(struct merge *m, struct rd *r, struct shard *s, size_t i, const json_t *o)
{
	const json_t *other = json_object_get(o, "elsewhere");
	size_t j;
	int k;
	char at[24];

	if (!o)
		return 0;
	snprintf(at, sizeof at, "%zu", i);
	if (!json_is_object(o) || !json_is_object(other))
		return fail_shard(r, s, "shard group %s: malformed \"where\"", at);
	for (k = 0; k < WHERE_KINDS; k++) {
		const json_t *a = json_object_get(o, where_kind_name(k)),
			     *n = json_object_get(other, where_kind_name(k));

		if (!json_is_array(a) || !json_is_integer(n))
			return fail_shard(r, s, "shard group %s: malformed \"where\"", at);
		for (j = 0; j < json_array_size(a); j++) {
			const json_t *e = json_array_get(a, j);
			const json_t *v = json_object_get(e, "value"), *c = json_object_get(e, "count");

			if (!is_str(v) || !json_is_integer(c))
				return fail_shard(r, s, "shard group %s: malformed \"where\"", at);
			if (triage_add_where(m->t, s->gid[i], k, json_string_value(v),
					     (long)json_integer_value(c)) < 0)
				return diag_set(r->d, r->name, 0, 0, "out of memory");
		}
		if (triage_add_where(m->t, s->gid[i], k, NULL, (long)json_integer_value(n)) < 0)
			return diag_set(r->d, r->name, 0, 0, "out of memory");
	}
	return 0;
}

static int add_group(struct merge *m, struct rd *r, struct shard *s, size_t i, const json_t *o)
{
	const json_t *caps = json_object_get(o, "captures"), *why = json_object_get(o, "why"),
		     *ex = json_object_get(o, "example"), *fix = json_object_get(o, "fix"),
		     *count = json_object_get(o, "count");
	const char *id = json_string_value(json_object_get(o, "rule"));
	struct triage_group g;
	char where[24];
	size_t k;
	int rc = -1;

	memset(&g, 0, sizeof g);
	snprintf(where, sizeof where, "%zu", i);
	if (!json_is_object(o) || !id || !is_str(json_object_get(o, "key")) ||
	    !json_is_array(caps) || !is_str(json_object_get(o, "message")) ||
	    !(is_str(fix) || json_is_null(fix)) || !json_is_array(why) ||
	    !json_is_array(ex) || json_array_size(ex) != 3 || !is_str(json_array_get(ex, 0)) ||
	    !json_is_integer(json_array_get(ex, 1)) || !is_str(json_array_get(ex, 2)) ||
	    !json_is_integer(count) || json_integer_value(count) < 0)
		return fail_shard(r, s, "shard group %s: not a group as 'triage --shard' writes it", where);
	if (!(g.rule = ruleset_find(m->rs, id))) {
		char msg[300];

		snprintf(msg, sizeof msg, "shard group %s: no rule '%.200s' in the loaded rules", where, id);
		return fail_shard(r, s, "%s", msg);
	}
	g.key = (char *)json_string_value(json_object_get(o, "key"));
	g.message = (char *)json_string_value(json_object_get(o, "message"));
	g.fix = fix && is_str(fix) ? (char *)json_string_value(fix) : NULL;
	g.ex_source = (char *)json_string_value(json_array_get(ex, 0));
	g.ex_line = (long)json_integer_value(json_array_get(ex, 1));
	g.ex_text = (char *)json_string_value(json_array_get(ex, 2));
	g.ncaps = json_array_size(caps);
	g.nwhy = json_array_size(why);
	g.caps = calloc(g.ncaps ? g.ncaps : 1, sizeof *g.caps);
	g.why = calloc(g.nwhy ? g.nwhy : 1, sizeof *g.why);
	if (!g.caps || !g.why) {
		diag_set(r->d, r->name, 0, 0, "out of memory");
		goto out;
	}
	for (k = 0; k < g.ncaps; k++) {
		const json_t *c = json_array_get(caps, k);

		if (!json_is_array(c) || json_array_size(c) != 2 || !is_str(json_array_get(c, 0)) ||
		    !is_str(json_array_get(c, 1))) {
			fail_shard(r, s, "shard group %s: a capture is not [name, value]", where);
			goto out;
		}
		g.caps[k].name = json_string_value(json_array_get(c, 0));
		g.caps[k].value = json_string_value(json_array_get(c, 1));
	}
	for (k = 0; k < g.nwhy; k++)
		if (!(g.why[k] = (char *)json_string_value(json_array_get(why, k)))) {
			fail_shard(r, s, "shard group %s: a why entry is not a string", where);
			goto out;
		}
	s->gid[i] = triage_add_group(m->t, &g, json_is_true(json_object_get(o, "overflow")));
	if (s->gid[i] == LONG_MIN) {
		diag_set(r->d, r->name, 0, 0, "out of memory");
		goto out;
	}
	s->want[i] = (long)json_integer_value(count);
	if (add_where(m, r, s, i, json_object_get(o, "where")) < 0)
		goto out;
	rc = 0;
out:
	free(g.caps);
	free(g.why);
	return rc;
}

/* Records, span, inputs, warnings and groups: everything but the findings. */
static int add_head(struct merge *m, struct rd *r, struct shard *s, const json_t *root)
{
	const json_t *sh = json_object_get(root, "shard"), *fmt, *span, *in, *w, *gr, *v;
	int64_t first, last;
	size_t i;
	long prev = (long)triage_ninputs(m->t) - 1;
	char num[32];

	if (!json_is_object(root) || !json_is_object(sh) || !(fmt = json_object_get(sh, "format")))
		return fail_shard(r, s, "%s",
				  "not a logwhy shard: no \"shard\" section (write shards with "
				  "'logwhy triage --output json --shard')");
	if (!json_is_integer(fmt) || json_integer_value(fmt) != REPORT_SHARD_FORMAT) {
		char msg[200];

		if (json_is_integer(fmt))
			snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(fmt));
		else
			snprintf(num, sizeof num, "?");
		snprintf(msg, sizeof msg,
			 "shard format %s, but this logwhy reads format %d: make the shards and the merge "
			 "with the same logwhy version", num, REPORT_SHARD_FORMAT);
		return fail_shard(r, s, "%s", msg);
	}
	v = json_object_get(sh, "rules");
	if (!is_str(v) || strcmp(json_string_value(v), m->digest)) {
		char msg[300];

		snprintf(msg, sizeof msg,
			 "shard made with other rules (digest %.40s, the loaded rules are %s): merge with "
			 "the --rules the shards were made with", is_str(v) ? json_string_value(v) : "none",
			 m->digest);
		return fail_shard(r, s, "%s", msg);
	}
	span = json_object_get(sh, "span");
	v = json_object_get(sh, "records");
	in = json_object_get(sh, "inputs");
	w = json_object_get(sh, "warnings");
	gr = json_object_get(sh, "groups");
	if (!json_is_integer(v) || json_integer_value(v) < 0 || !json_is_array(span) ||
	    json_array_size(span) != 2 || get_us(json_array_get(span, 0), &first) < 0 ||
	    get_us(json_array_get(span, 1), &last) < 0 || (first == INT64_MIN) != (last == INT64_MIN) ||
	    !json_is_array(in) || !json_is_array(w) || !json_is_array(gr))
		return fail_shard(r, s, "%s", "malformed shard: records, span, inputs, warnings or groups");
	triage_add_records(m->t, (long)json_integer_value(v), first != INT64_MIN, first, last);

	s->carry = INT64_MIN;
	s->nin = json_array_size(in);
	s->input = calloc(s->nin ? s->nin : 1, sizeof *s->input);
	if (!s->input)
		return diag_set(r->d, r->name, 0, 0, "out of memory");
	for (i = 0; i < s->nin; i++) {
		const json_t *e = json_array_get(in, i);
		const char *name = json_string_value(json_array_get(e, 0));
		int has = 0;
		int64_t prev_last = 0, lt;

		if (!json_is_array(e) || json_array_size(e) != 2 ||
		    !(name || json_is_null(json_array_get(e, 0))) || get_us(json_array_get(e, 1), &lt) < 0)
			return fail_shard(r, s, "%s", "malformed shard: an input is not [name, last time]");
		if (i == 0 && prev >= 0 && name) {
			const char *pn = triage_input_at(m->t, (size_t)prev, &has, &prev_last);

			s->fused = pn && !strcmp(pn, name);
		}
		if (i == 0 && s->fused) {
			/* the same input, cut in two: go on where it left off */
			s->input[0] = prev;
			s->carry = has ? prev_last : INT64_MIN;
		} else if ((s->input[i] = triage_add_input(m->t, name)) < 0) {
			return diag_set(r->d, r->name, 0, 0, "out of memory");
		}
		if (lt != INT64_MIN)
			triage_set_input_last(m->t, (size_t)s->input[i], lt);
	}
	for (i = 0; i < json_array_size(w); i++)
		if (is_str(json_array_get(w, i)))
			triage_warning(m->t, json_string_value(json_array_get(w, i)));
	v = json_object_get(sh, "revisions");
	for (i = 0; json_is_array(v) && i < json_array_size(v); i++) {
		const json_t *e = json_array_get(v, i);
		int64_t at;

		if (!json_is_array(e) || json_array_size(e) != 2 || !is_str(json_array_get(e, 0)) ||
		    get_us(json_array_get(e, 1), &at) < 0)
			return fail_shard(r, s, "%s", "malformed shard: a revision is not [name, first time]");
		if (triage_add_revision(m->t, json_string_value(json_array_get(e, 0)), at != INT64_MIN,
					at) < 0)
			return diag_set(r->d, r->name, 0, 0, "out of memory");
	}

	s->ng = json_array_size(gr);
	s->gid = calloc(s->ng ? s->ng : 1, sizeof *s->gid);
	s->want = calloc(s->ng ? s->ng : 1, sizeof *s->want);
	s->got = calloc(s->ng ? s->ng : 1, sizeof *s->got);
	if (!s->gid || !s->want || !s->got)
		return diag_set(r->d, r->name, 0, 0, "out of memory");
	for (i = 0; i < s->ng; i++)
		if (add_group(m, r, s, i, json_array_get(gr, i)) < 0)
			return -1;
	return 0;
}

static int add_finding(struct merge *m, struct rd *r, struct shard *s, int64_t ts, long long g,
		       long long in, const uint64_t key[5])
{
	if (g < 0 || (size_t)g >= s->ng)
		return diag_set(r->d, r->name, s->fline, s->fcol, "finding of group %lld, which the shard does not have", g);
	if (in < 0 || (size_t)in >= s->nin)
		return diag_set(r->d, r->name, s->fline, s->fcol, "finding of input %lld, which the shard does not have", in);
	/* a record without a time took its input's latest; at the start of
	 * a shard that one is in the shard before */
	if (ts == INT64_MIN && in == 0 && s->fused)
		ts = s->carry;
	s->got[g]++;
	if (triage_add_finding(m->t, s->gid[g], ts, (unsigned)s->input[in], key) < 0)
		return diag_set(r->d, r->name, 0, 0, "cannot keep findings: %s", strerror(errno));
	return 0;
}

static int check_counts(struct rd *r, const struct shard *s)
{
	size_t i;

	for (i = 0; i < s->ng; i++)
		if (s->got[i] != s->want[i]) {
			char msg[200];

			snprintf(msg, sizeof msg, "shard group %zu counts %ld findings but %ld came: the shard is incomplete",
				 i, s->want[i], s->got[i]);
			return fail_shard(r, s, "%s", msg);
		}
	return 0;
}

/* Findings from a parsed tree (a shard whose "findings" did not come last). */
static int tree_findings(struct merge *m, struct rd *r, struct shard *s, const json_t *a)
{
	size_t i, k;

	if (!json_is_array(a))
		return fail_shard(r, s, "%s", "malformed shard: no findings array");
	s->fline = s->line;
	s->fcol = s->col;
	for (i = 0; i < json_array_size(a); i++) {
		const json_t *f = json_array_get(a, i);
		uint64_t key[5];
		int64_t ts;

		if (!json_is_array(f) || json_array_size(f) != 8 || get_us(json_array_get(f, 0), &ts) < 0 ||
		    !json_is_integer(json_array_get(f, 1)) || !json_is_integer(json_array_get(f, 2)))
			return fail_shard(r, s, "%s", "malformed shard: a finding is not [time, group, input, 5 keys]");
		for (k = 0; k < 5; k++) {
			const char *h = json_string_value(json_array_get(f, 3 + k));
			char *end;

			if (!h)
				return fail_shard(r, s, "%s", "malformed shard: a finding key is not a hex string");
			key[k] = *h ? strtoull(h, &end, 16) : 0;
			if (*h && *end)
				return fail_shard(r, s, "%s", "malformed shard: a finding key is not a hex string");
		}
		if (add_finding(m, r, s, ts, json_integer_value(json_array_get(f, 1)),
				json_integer_value(json_array_get(f, 2)), key) < 0)
			return -1;
	}
	return 0;
}

/* A JSON integer (or null, when allow_null) from the stream; c is its first byte. */
static int read_int(struct rd *r, int c, int allow_null, long long *v, int *is_null, int *next)
{
	int neg = 0, nd = 0;
	unsigned long long u = 0;

	*is_null = 0;
	if (c == 'n' && allow_null) {
		if (get(r) != 'u' || get(r) != 'l' || get(r) != 'l')
			return fail_at(r, "%s", "malformed finding: expected null");
		*is_null = 1;
		*next = get_nows(r);
		return 0;
	}
	if (c == '-') {
		neg = 1;
		c = get(r);
	}
	while (c >= '0' && c <= '9') {
		if (u > (unsigned long long)LLONG_MAX / 10)
			return fail_at(r, "%s", "malformed finding: number out of range");
		u = u * 10 + (unsigned)(c - '0');
		nd++;
		c = get(r);
	}
	if (!nd || u > (unsigned long long)LLONG_MAX)
		return fail_at(r, "%s", "malformed finding: expected an integer");
	*v = neg ? -(long long)u : (long long)u;
	if (is_ws(c))
		c = get_nows(r);
	*next = c;
	return 0;
}

static int read_key(struct rd *r, int c, uint64_t *key, int *next)
{
	int n = 0;

	*key = 0;
	if (c != '"')
		return fail_at(r, "%s", "malformed finding: expected a key hash (a hex string)");
	while ((c = get(r)) != '"') {
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (d < 0 || ++n > 16)
			return fail_at(r, "%s", "malformed finding: a key hash is up to 16 hex digits");
		*key = *key << 4 | (unsigned)d;
	}
	*next = get_nows(r);
	return 0;
}

/* The findings array, after its '[', to the end of the shard object. */
static int stream_findings(struct merge *m, struct rd *r, struct shard *s)
{
	int c = get_nows(r), k, isnull;

	if (c == ']')
		goto end;
	for (;;) {
		long long ts = 0, g, in;
		uint64_t key[5];

		if (c != '[')
			return fail_at(r, "%s", "malformed finding: expected '['");
		s->fline = r->line;
		s->fcol = r->col;
		if (read_int(r, get_nows(r), 1, &ts, &isnull, &c) < 0)
			return -1;
		if (!isnull && ts == INT64_MIN)
			return fail_at(r, "%s", "malformed finding: time out of range");
		if (c != ',')
			return fail_at(r, "%s", "malformed finding: expected [time, group, input, 5 keys]");
		if (read_int(r, get_nows(r), 0, &g, &k, &c) < 0)
			return -1;
		if (c != ',')
			return fail_at(r, "%s", "malformed finding: expected [time, group, input, 5 keys]");
		if (read_int(r, get_nows(r), 0, &in, &k, &c) < 0)
			return -1;
		for (k = 0; k < 5; k++) {
			if (c != ',')
				return fail_at(r, "%s", "malformed finding: expected [time, group, input, 5 keys]");
			if (read_key(r, get_nows(r), &key[k], &c) < 0)
				return -1;
		}
		if (c != ']')
			return fail_at(r, "%s", "malformed finding: expected ']' after 5 keys");
		if (add_finding(m, r, s, isnull ? INT64_MIN : (int64_t)ts, g, in, key) < 0)
			return -1;
		c = get_nows(r);
		if (c == ']')
			break;
		if (c != ',')
			return fail_at(r, "%s", "malformed findings: expected ',' or ']'");
		c = get_nows(r);
	}
end:
	if ((c = get_nows(r)) != '}' || (c = get_nows(r)) != '}')
		return fail_at(r, "%s", c == ',' ? "\"findings\" must come last in the shard, as logwhy writes it"
					   : "malformed shard: expected '}' after the findings");
	return 0;
}

static int parse_error(struct rd *r, const json_error_t *e, long line0, long col0)
{
	long line = line0 + (e->line > 0 ? e->line - 1 : 0);
	long col = e->line <= 1 ? col0 + (e->column > 0 ? e->column - 1 : 0) : e->column;

	return diag_set(r->d, r->name, line, col > 0 ? col : 1, "invalid JSON: %s", e->text);
}

/*
 * One shard, from its '{'. Its bytes are kept until the "findings" array
 * of the "shard" section opens; the part before parses as JSON once closed
 * with "]}}", and the findings stream after it.
 */
static int read_shard(struct merge *m, struct rd *r, struct buf *b)
{
	struct shard s;
	char cur[16], key1[16];
	size_t curlen = 0;
	int depth = 1, in_str = 0, esc = 0, armed = 0, streaming = 0, c, rc = -1;
	json_error_t err;
	json_t *root = NULL;

	memset(&s, 0, sizeof s);
	s.line = r->line;
	s.col = r->col;
	cur[0] = key1[0] = '\0';
	buf_reset(b);
	buf_addc(b, '{');
	while (depth > 0) {
		if ((c = get(r)) == EOF) {
			fail_at(r, "%s", "the input ends inside a shard (cut off?)");
			goto out;
		}
		if (buf_addc(b, (char)c) < 0) {
			fail_shard(r, &s, "%s", "shard too large before its findings");
			goto out;
		}
		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
			if (in_str && curlen < sizeof cur - 1)
				cur[curlen++] = (char)c;
			else if (in_str)
				curlen = sizeof cur;   /* longer than any key we look for */
			continue;
		}
		if (is_ws(c))
			continue;
		if (c == '[' && armed && depth == 2) {
			streaming = 1;
			break;
		}
		armed = 0;
		switch (c) {
		case '"':
			in_str = 1;
			curlen = 0;
			break;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			depth--;
			break;
		case ':':
			cur[curlen < sizeof cur ? curlen : 0] = '\0';
			if (curlen >= sizeof cur)
				cur[0] = '\0';
			if (depth == 1)
				memcpy(key1, cur, sizeof key1);
			armed = depth == 2 && !strcmp(key1, "shard") && !strcmp(cur, "findings");
			break;
		default:
			break;
		}
	}
	if (streaming && buf_adds(b, "]}}") < 0) {
		fail_shard(r, &s, "%s", "shard too large before its findings");
		goto out;
	}
	if (!(root = json_loadb(b->p, b->len, 0, &err))) {
		parse_error(r, &err, s.line, s.col);
		goto out;
	}
	if (add_head(m, r, &s, root) < 0)
		goto out;
	if (streaming ? stream_findings(m, r, &s) < 0
		      : tree_findings(m, r, &s, json_object_get(json_object_get(root, "shard"), "findings")) < 0)
		goto out;
	if (check_counts(r, &s) < 0)
		goto out;
	m->shards++;
	rc = 0;
out:
	json_decref(root);
	shard_free(&s);
	return rc;
}

int merge_read(struct merge *m, FILE *f, const char *name, struct diag *d)
{
	struct rd r = { f, name, 1, 0, -2, d };
	struct buf b = BUF_INIT(MERGE_MAX_HEAD);
	long n = 0;
	int c, rc = 0;

	while ((c = get_nows(&r)) != EOF) {
		if (c != '{') {
			rc = fail_at(&r, "%s", "expected a shard (the JSON object 'logwhy triage --output json --shard' writes)");
			break;
		}
		if ((rc = read_shard(m, &r, &b)) < 0)
			break;
		n++;
	}
	if (!rc && ferror(f))
		rc = diag_set(d, name, 0, 0, "read error: %s", strerror(errno));
	else if (!rc && !n)
		rc = diag_set(d, name, 0, 0,
			      "no shard (expected the output of 'logwhy triage --output json --shard')");
	buf_free(&b);
	return rc;
}
