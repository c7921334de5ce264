#include "triage/shard.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "triage/triage_impl.h"
#include "util/buf.h"
#include "util/jpool.h"
#include "util/utf8.h"

#define FINDING_MAX 4096   /* a finding's bytes: far more than one needs */

static json_t *jus(int has, int64_t us)
{
	return has ? json_integer((json_int_t)us) : json_null();
}

/* A group's where-counts, as the JSON report writes them. */
static json_t *jwhere(const struct where *w)
{
	json_t *o = json_object(), *other = json_object();
	size_t i;
	int k;

	for (k = 0; k < WHERE_KINDS; k++) {
		json_t *a = json_array();

		for (i = 0; i < w->n[k]; i++)
			json_array_append_new(a, json_pack("{s:o,s:I}", "value",
							   utf8_json_string(w->top[k][i].value),
							   "count", (json_int_t)w->top[k][i].n));
		json_object_set_new(o, where_kind_name(k), a);
		json_object_set_new(other, where_kind_name(k), json_integer(w->other[k]));
	}
	json_object_set_new(o, "elsewhere", other);
	return o;
}

static json_t *jgroup(const struct triage_group *g, int overflow)
{
	json_t *o = json_object(), *caps = json_array(), *why = json_array(), *ex = json_array();
	size_t i;

	json_object_set_new(o, "rule", json_string(g->rule->id));
	json_object_set_new(o, "key", utf8_json_string(g->key));
	for (i = 0; i < g->ncaps; i++)
		json_array_append_new(caps, json_pack("[oo]", utf8_json_string(g->caps[i].name),
						      utf8_json_string(g->caps[i].value)));
	json_object_set_new(o, "captures", caps);
	json_object_set_new(o, "message", utf8_json_string(g->message));
	json_object_set_new(o, "fix", g->fix ? utf8_json_string(g->fix) : json_null());
	for (i = 0; i < g->nwhy; i++)
		json_array_append_new(why, utf8_json_string(g->why[i]));
	json_object_set_new(o, "why", why);
	json_array_append_new(ex, utf8_json_string(g->ex_source));
	json_array_append_new(ex, json_integer(g->ex_line));
	json_array_append_new(ex, utf8_json_string(g->ex_text));
	json_object_set_new(o, "example", ex);
	json_object_set_new(o, "count", json_integer(g->count));
	if (g->where)
		json_object_set_new(o, "where", jwhere(g->where));
	if (overflow)
		json_object_set_new(o, "overflow", json_true());
	return o;
}

static void digest_of(const struct ruleset *rs, char out[24])
{
	snprintf(out, 24, "%016llx", (unsigned long long)triage_rules_digest(rs));
}

/* The "shard" section but its findings, which stream after it. */
static json_t *jhead(const struct triage_report *r, const struct triage *t,
		     const struct ruleset *rs)
{
	json_t *o = json_object(), *span = json_array(), *in = json_array(),
	       *warnings = json_array(), *groups = json_array();
	char digest[24];
	size_t i;

	json_object_set_new(o, "format", json_integer(SHARD_FORMAT));
	digest_of(rs, digest);
	json_object_set_new(o, "rules", json_string(digest));
	json_object_set_new(o, "records", json_integer(r->records));
	json_array_append_new(span, jus(r->has_span, r->first_us));
	json_array_append_new(span, jus(r->has_span, r->last_us));
	json_object_set_new(o, "span", span);
	json_object_set_new(o, "overflow", json_integer(r->overflow));
	for (i = 0; i < triage_ninputs(t); i++) {
		int has;
		int64_t last;
		const char *name = triage_input_at(t, i, &has, &last);

		json_array_append_new(in, json_pack("[oo]", name ? utf8_json_string(name) : json_null(),
						    jus(has, last)));
	}
	json_object_set_new(o, "inputs", in);
	/* the cap warning is triage's own: a merge raises it again where it applies */
	for (i = 0; i < r->nwarnings; i++)
		if ((long)i != r->overflow_warning)
			json_array_append_new(warnings, utf8_json_string(r->warnings[i]));
	json_object_set_new(o, "warnings", warnings);
	for (i = 0; i < triage_ngroups(t); i++) {
		int ov;
		const struct triage_group *g = triage_group_at(t, i, &ov);

		json_array_append_new(groups, jgroup(g, ov));
	}
	json_object_set_new(o, "groups", groups);
	{
		json_t *revs = json_array();

		for (i = 0; i < r->nrevisions; i++)
			json_array_append_new(revs, json_pack("[oo]", utf8_json_string(r->revisions[i].name),
							      jus(r->revisions[i].first_us != INT64_MAX,
								  r->revisions[i].first_us)));
		json_object_set_new(o, "revisions", revs);
	}
	return o;
}

/* Dump v compactly without its closing brace. */
static int dump_open(FILE *out, const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
	size_t n = s ? strlen(s) : 0;
	int rc;

	if (!n) {
		jpool_str_free(s);
		return -1;
	}
	rc = fwrite(s, 1, n - 1, out) == n - 1 ? 0 : -1;
	jpool_str_free(s);
	return rc;
}

int shard_write(FILE *out, const json_t *report, const struct triage_report *r, struct triage *t,
		const struct ruleset *rs)
{
	json_t *head = jhead(r, t, rs);
	size_t i, n = triage_nfindings(t);
	int rc = -1;

	if (dump_open(out, report) < 0 || fputs(",\"shard\":", out) == EOF ||
	    dump_open(out, head) < 0 || fputs(",\"findings\":[", out) == EOF)
		goto out;
	for (i = 0; i < n; i++) {
		struct triage_finding f;
		int j;

		if (triage_finding_at(t, i, &f) < 0)
			goto out;
		if (fputs(i ? ",[" : "[", out) == EOF ||
		    (f.ts == INT64_MIN ? fputs("null", out) == EOF
				       : fprintf(out, "%lld", (long long)f.ts) < 0) ||
		    fprintf(out, ",%zu,%u", f.group, f.input) < 0)
			goto out;
		for (j = 0; j < SPOOL_KEYS; j++)
			if ((f.key[j] ? fprintf(out, ",\"%llx\"", (unsigned long long)f.key[j])
				      : fprintf(out, ",\"\"")) < 0)
				goto out;
		if (fputc(']', out) == EOF)
			goto out;
	}
	rc = fputs("]}}\n", out) == EOF ? -1 : 0;
out:
	json_decref(head);
	return rc;
}

/*
 * Reading. jansson has no streaming parser, and a shard's findings may not
 * fit in memory: the bytes of the shard up to its "findings" array are kept
 * and parsed by jansson once closed with "]}}", then each finding's bytes
 * are, one at a time. The scanner below only finds where a JSON value ends
 * (brackets outside strings) and counts lines and columns for messages;
 * jansson does all the parsing.
 */

/* The input being read, with the position of the next byte. */
struct rd {
	FILE *f;
	const char *name;
	long line, col;       /* 1-based; col counts characters, as jansson does */
	struct diag *d;
};

/* One shard's tables while its findings are read. */
struct shard {
	struct triage *t;
	const struct ruleset *rs;
	const char *digest;
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

static int get(struct rd *r)
{
	int c = getc(r->f);

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

static int fail_at(struct rd *r, const char *msg)
{
	if (ferror(r->f))
		return diag_set(r->d, r->name, 0, 0, "read error: %s", strerror(errno));
	if (feof(r->f))
		msg = "the input ends inside a shard (cut off?)";
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
static int add_where(struct rd *r, struct shard *s, size_t i, const json_t *o)
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
			if (triage_add_where(s->t, s->gid[i], k, json_string_value(v),
					     (long)json_integer_value(c)) < 0)
				return diag_set(r->d, r->name, 0, 0, "out of memory");
		}
		if (triage_add_where(s->t, s->gid[i], k, NULL, (long)json_integer_value(n)) < 0)
			return diag_set(r->d, r->name, 0, 0, "out of memory");
	}
	return 0;
}

static int add_group(struct rd *r, struct shard *s, size_t i, const json_t *o)
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
	if (!(g.rule = rule_desc(ruleset_find(s->rs, id)))) {
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
	s->gid[i] = triage_add_group(s->t, &g, json_is_true(json_object_get(o, "overflow")));
	if (s->gid[i] == LONG_MIN) {
		diag_set(r->d, r->name, 0, 0, "out of memory");
		goto out;
	}
	s->want[i] = (long)json_integer_value(count);
	if (add_where(r, s, i, json_object_get(o, "where")) < 0)
		goto out;
	rc = 0;
out:
	free(g.caps);
	free(g.why);
	return rc;
}

/* Records, span, inputs, warnings and groups: everything but the findings. */
static int add_head(struct rd *r, struct shard *s, const json_t *root)
{
	const json_t *sh = json_object_get(root, "shard"), *fmt, *span, *in, *w, *gr, *v;
	int64_t first, last;
	size_t i;
	long prev = (long)triage_ninputs(s->t) - 1;
	char num[32];

	if (!json_is_object(root) || !json_is_object(sh) || !(fmt = json_object_get(sh, "format")))
		return fail_shard(r, s, "%s",
				  "not a logwhy shard: no \"shard\" section (write shards with "
				  "'logwhy triage --output json --shard')");
	if (!json_is_integer(fmt) || json_integer_value(fmt) != SHARD_FORMAT) {
		char msg[200];

		if (json_is_integer(fmt))
			snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(fmt));
		else
			snprintf(num, sizeof num, "?");
		snprintf(msg, sizeof msg,
			 "shard format %s, but this logwhy reads format %d: make the shards and the merge "
			 "with the same logwhy version", num, SHARD_FORMAT);
		return fail_shard(r, s, "%s", msg);
	}
	v = json_object_get(sh, "rules");
	if (!is_str(v) || strcmp(json_string_value(v), s->digest)) {
		char msg[300];

		snprintf(msg, sizeof msg,
			 "shard made with other rules (digest %.40s, the loaded rules are %s): merge with "
			 "the --rules the shards were made with", is_str(v) ? json_string_value(v) : "none",
			 s->digest);
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
	triage_add_records(s->t, (long)json_integer_value(v), first != INT64_MIN, first, last);

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
			const char *pn = triage_input_at(s->t, (size_t)prev, &has, &prev_last);

			s->fused = pn && !strcmp(pn, name);
		}
		if (i == 0 && s->fused) {
			/* the same input, cut in two: go on where it left off */
			s->input[0] = prev;
			s->carry = has ? prev_last : INT64_MIN;
		} else if ((s->input[i] = triage_add_input(s->t, name)) < 0) {
			return diag_set(r->d, r->name, 0, 0, "out of memory");
		}
		if (lt != INT64_MIN)
			triage_set_input_last(s->t, (size_t)s->input[i], lt);
	}
	for (i = 0; i < json_array_size(w); i++)
		if (is_str(json_array_get(w, i)))
			triage_warning(s->t, json_string_value(json_array_get(w, i)));
	v = json_object_get(sh, "revisions");
	for (i = 0; json_is_array(v) && i < json_array_size(v); i++) {
		const json_t *e = json_array_get(v, i);
		int64_t at;

		if (!json_is_array(e) || json_array_size(e) != 2 || !is_str(json_array_get(e, 0)) ||
		    get_us(json_array_get(e, 1), &at) < 0)
			return fail_shard(r, s, "%s", "malformed shard: a revision is not [name, first time]");
		if (triage_add_revision(s->t, json_string_value(json_array_get(e, 0)), at != INT64_MIN,
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
		if (add_group(r, s, i, json_array_get(gr, i)) < 0)
			return -1;
	return 0;
}

/* A key hash: "" (absent) or up to 16 lower-case hex digits. */
static int get_key(const json_t *v, uint64_t *key)
{
	const char *h = json_string_value(v);
	size_t i;

	if (!h || strlen(h) > 16)
		return -1;
	for (*key = 0, i = 0; h[i]; i++) {
		int c = h[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (d < 0)
			return -1;
		*key = *key << 4 | (unsigned)d;
	}
	return 0;
}

/* One finding, [time, group, input, SPOOL_KEYS key hashes], located at
 * s->fline:s->fcol. */
static int add_finding(struct rd *r, struct shard *s, const json_t *f)
{
	uint64_t key[SPOOL_KEYS];
	int64_t ts;
	json_int_t g, in;
	size_t k;

	if (!json_is_array(f) || json_array_size(f) != 3 + SPOOL_KEYS ||
	    get_us(json_array_get(f, 0), &ts) < 0 || !json_is_integer(json_array_get(f, 1)) ||
	    !json_is_integer(json_array_get(f, 2)))
		return diag_set(r->d, r->name, s->fline, s->fcol,
				"malformed finding: expected [time, group, input, %d keys]", SPOOL_KEYS);
	for (k = 0; k < SPOOL_KEYS; k++)
		if (get_key(json_array_get(f, 3 + k), &key[k]) < 0)
			return diag_set(r->d, r->name, s->fline, s->fcol,
					"malformed finding: a key hash is \"\" or up to 16 hex digits");
	g = json_integer_value(json_array_get(f, 1));
	in = json_integer_value(json_array_get(f, 2));
	if (g < 0 || (size_t)g >= s->ng)
		return diag_set(r->d, r->name, s->fline, s->fcol,
				"finding of group %" JSON_INTEGER_FORMAT ", which the shard does not have", g);
	if (in < 0 || (size_t)in >= s->nin)
		return diag_set(r->d, r->name, s->fline, s->fcol,
				"finding of input %" JSON_INTEGER_FORMAT ", which the shard does not have", in);
	/* a record without a time took its input's latest; at the start of
	 * a shard that one is in the shard before */
	if (ts == INT64_MIN && in == 0 && s->fused)
		ts = s->carry;
	s->got[g]++;
	if (triage_add_finding(s->t, s->gid[g], ts, (unsigned)s->input[in], key) < 0)
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

static int parse_error(struct rd *r, const json_error_t *e, long line0, long col0)
{
	long line = line0 + (e->line > 0 ? e->line - 1 : 0);
	long col = e->line <= 1 ? col0 + (e->column > 0 ? e->column - 1 : 0) : e->column;

	return diag_set(r->d, r->name, line, col > 0 ? col : 1, "invalid JSON: %s", e->text);
}

/* The bytes in b parsed, as a value that starts at line0:col0; NULL with
 * r->d set when they are not JSON. */
static json_t *parse(struct rd *r, const struct buf *b, long line0, long col0)
{
	json_error_t err;
	json_t *v = json_loadb(b->p, b->len, 0, &err);

	if (!v)
		parse_error(r, &err, line0, col0);
	return v;
}

/*
 * The bytes of a JSON value whose first byte ('{' or '[') b already holds,
 * to its end. With findings set, stop instead where the "findings" array of
 * the top-level "shard" object opens, and set *findings. -1 with r->d set
 * at the end of the input or past b's maximum.
 */
static int take_value(struct rd *r, struct buf *b, int *findings)
{
	char cur[16], key1[16];
	size_t curlen = 0;
	int depth = 1, in_str = 0, esc = 0, armed = 0, c;

	cur[0] = key1[0] = '\0';
	while (depth > 0) {
		if ((c = get(r)) == EOF)
			return fail_at(r, "the input ends inside a shard (cut off?)");
		if (buf_addc(b, (char)c) < 0)
			return fail_at(r, findings ? "shard too large before its findings"
						   : "malformed finding: too long");
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
			*findings = 1;
			return 0;
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
			if (depth == 1)
				memcpy(key1, cur, sizeof key1);
			armed = findings && depth == 2 && !strcmp(key1, "shard") && !strcmp(cur, "findings");
			break;
		default:
			break;
		}
	}
	return 0;
}

/* The findings array, after its '[', to the end of the shard object. */
static int stream_findings(struct rd *r, struct shard *s, struct buf *b)
{
	int c = get_nows(r), rc;

	if (c == ']')
		goto end;
	for (;;) {
		json_t *f;

		if (c != '[')
			return fail_at(r, "malformed finding: expected '['");
		s->fline = r->line;
		s->fcol = r->col;
		buf_reset(b);
		if (buf_addc(b, '[') < 0 || take_value(r, b, NULL) < 0 ||
		    !(f = parse(r, b, s->fline, s->fcol)))
			return -1;
		rc = add_finding(r, s, f);
		json_decref(f);
		if (rc < 0)
			return -1;
		c = get_nows(r);
		if (c == ']')
			break;
		if (c != ',')
			return fail_at(r, "malformed findings: expected ',' or ']'");
		c = get_nows(r);
	}
end:
	if ((c = get_nows(r)) != '}' || (c = get_nows(r)) != '}')
		return fail_at(r, c == ',' ? "\"findings\" must come last in the shard, as logwhy writes it"
					   : "malformed shard: expected '}' after the findings");
	return 0;
}

/* Findings from the parsed shard (one whose "findings" did not come last). */
static int tree_findings(struct rd *r, struct shard *s, const json_t *a)
{
	size_t i;

	if (!json_is_array(a))
		return fail_shard(r, s, "%s", "malformed shard: no findings array");
	s->fline = s->line;
	s->fcol = s->col;
	for (i = 0; i < json_array_size(a); i++)
		if (add_finding(r, s, json_array_get(a, i)) < 0)
			return -1;
	return 0;
}

/* One shard, from its '{'. */
static int read_one(struct rd *r, struct shard *s, struct buf *head, struct buf *fb)
{
	int streaming = 0;
	json_t *root = NULL;
	int rc = -1;

	s->line = r->line;
	s->col = r->col;
	buf_reset(head);
	if (buf_addc(head, '{') < 0 || take_value(r, head, &streaming) < 0)
		return -1;
	if (streaming && buf_adds(head, "]}}") < 0)
		return fail_shard(r, s, "%s", "shard too large before its findings");
	if (!(root = parse(r, head, s->line, s->col)) || add_head(r, s, root) < 0)
		goto out;
	if (streaming ? stream_findings(r, s, fb) < 0
		      : tree_findings(r, s, json_object_get(json_object_get(root, "shard"), "findings")) < 0)
		goto out;
	rc = check_counts(r, s);
out:
	json_decref(root);
	return rc;
}

int shard_read(struct triage *t, const struct ruleset *rs, FILE *f, const char *name,
	       struct diag *d)
{
	struct rd r = { f, name, 1, 0, d };
	struct buf head = BUF_INIT(SHARD_MAX_HEAD), fb = BUF_INIT(FINDING_MAX);
	char digest[24];
	long n = 0;
	int c, rc = 0;

	digest_of(rs, digest);
	while ((c = get_nows(&r)) != EOF) {
		struct shard s;

		if (c != '{') {
			rc = fail_at(&r, "expected a shard (the JSON object 'logwhy triage --output json --shard' writes)");
			break;
		}
		memset(&s, 0, sizeof s);
		s.t = t;
		s.rs = rs;
		s.digest = digest;
		rc = read_one(&r, &s, &head, &fb);
		shard_free(&s);
		if (rc < 0)
			break;
		n++;
	}
	if (!rc && ferror(f))
		rc = diag_set(d, name, 0, 0, "read error: %s", strerror(errno));
	else if (!rc && !n)
		rc = diag_set(d, name, 0, 0,
			      "no shard (expected the output of 'logwhy triage --output json --shard')");
	buf_free(&head);
	buf_free(&fb);
	return rc;
}
