#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit_impl.h"
#include "emit/report.h"
#include "util/timefmt.h"

static json_t *jtime(int has, int64_t us)
{
	char s[40];

	if (!has || timefmt_rfc3339(us, s, sizeof s) < 0)
		return json_null();
	return json_string(s);
}

static json_t *jcounts(const struct triage_count *c, size_t n)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_set_new(o, c[i].rule->id, json_integer(c[i].n));
	return o;
}

static json_t *jchain(const struct triage_group *g)
{
	json_t *a = json_array();
	size_t i;

	if (g->nchains)
		for (i = 0; i < g->chains[0].len; i++)
			json_array_append_new(a, json_string(g->chains[0].rule[i]->id));
	else
		json_array_append_new(a, json_string(g->rule->id));
	return a;
}

/* The counts per bucket of the report's time axis. */
static json_t *jbuckets(const struct triage_report *r, const long *hist)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < r->nbuckets; i++)
		json_array_append_new(a, json_integer(hist[i]));
	return a;
}

/* {"revision":[{"value","count"}],"service":[...],"instance":[...],
 *  "elsewhere":{"revision":N,...}}: every value kept, most seen first. */
static json_t *jwhere(const struct triage_group *g)
{
	json_t *o = json_object(), *other = json_object();
	size_t i;
	int k;

	for (k = 0; k < WHERE_KINDS; k++) {
		json_t *a = json_array();

		for (i = 0; g->where && i < g->where->n[k]; i++)
			json_array_append_new(a, json_pack("{s:o,s:I}", "value",
							   utf8_json_string(g->where->top[k][i].value),
							   "count", (json_int_t)g->where->top[k][i].n));
		json_object_set_new(o, where_kind_name(k), a);
		json_object_set_new(other, where_kind_name(k),
				    json_integer(g->where ? g->where->other[k] : 0));
	}
	json_object_set_new(o, "elsewhere", other);
	json_object_set_new(o, "not_seen_after_revision",
			    g->gone_after ? utf8_json_string(g->gone_after) : json_null());
	return o;
}

/* {"source","line"} of input in, or null when its name is unknown */
static json_t *jpos(const struct triage_report *r, unsigned in, long line)
{
	json_t *o;

	if (in >= r->ninputs || !r->inputs[in])
		return json_null();
	o = json_object();
	json_object_set_new(o, "source", utf8_json_string(r->inputs[in]));
	json_object_set_new(o, "line", json_integer(line));
	return o;
}

static json_t *jcause(const struct triage_report *r, const struct triage_group *g)
{
	json_t *o = json_object(), *caps = json_object(), *ex = json_object(), *why = json_array();
	size_t i;

	json_object_set_new(o, "rule", json_string(g->rule->id));
	json_object_set_new(o, "category", json_string(g->rule->category));
	json_object_set_new(o, "severity", json_string(rule_level_name(g->rule->level)));
	json_object_set_new(o, "count", json_integer(g->count));
	json_object_set_new(o, "first_seen", jtime(g->has_ts, g->first_us));
	json_object_set_new(o, "last_seen", jtime(g->has_ts, g->last_us));
	for (i = 0; i < g->ncaps; i++)
		json_object_set_new(caps, g->caps[i].name, utf8_json_string(g->caps[i].value));
	json_object_set_new(o, "captures", caps);
	json_object_set_new(o, "explains", jcounts(g->explains, g->nexplains));
	json_object_set_new(o, "chain", jchain(g));
	json_object_set_new(ex, "source", utf8_json_string(g->ex_source));
	json_object_set_new(ex, "line", json_integer(g->ex_line));
	json_object_set_new(ex, "text", utf8_json_string(g->ex_text));
	json_object_set_new(o, "example", ex);
	for (i = 0; i < triage_why_count(g); i++)
		json_array_append_new(why, utf8_json_string(triage_why_at(g, i)));
	json_object_set_new(o, "why", why);
	json_object_set_new(o, "fix", g->fix ? utf8_json_string(g->fix) : json_null());
	/* beyond the fixed schema: what a reader of the JSON also needs */
	json_object_set_new(o, "message", utf8_json_string(g->message));
	json_object_set_new(o, "root_of", json_integer(g->verdict_symptoms));
	json_object_set_new(o, "explained_symptoms", json_integer(g->explained_symptoms));
	json_object_set_new(o, "evidence", jcounts(g->evidence, g->nevidence));
	json_object_set_new(o, "buckets", jbuckets(r, g->hist));
	json_object_set_new(o, "explained_buckets", jbuckets(r, g->shist));
	json_object_set_new(o, "where", jwhere(g));
	if (!g->has_ts && g->has_pos) {
		/* no time: where it was seen, by record position */
		json_object_set_new(o, "first_record", jpos(r, g->first_input, g->first_line));
		json_object_set_new(o, "last_record", jpos(r, g->last_input, g->last_line));
	}
	return o;
}

static const char *const link_names[SUSPECT_NLINKS] = { "connection", "trace", "instance", "time" };

static json_t *jsuspect(const struct suspect *x)
{
	json_t *o = json_object(), *ex = json_object(), *by = json_object(), *expl = json_object();
	struct buf b = BUF_INIT(0);
	size_t i;

	pattern_render(x->pattern, &b);
	json_object_set_new(o, "pattern", utf8_json_stringn(b.p, b.len, b.len));
	json_object_set_new(o, "count", json_integer(x->count));
	json_object_set_new(o, "symptoms", json_integer(x->symptoms));
	json_object_set_new(o, "lead_ms", json_integer(x->lead_ms));
	json_object_set_new(o, "first_seen", jtime(x->has_ts, x->first_us));
	json_object_set_new(o, "last_seen", jtime(x->has_ts, x->last_us));
	if (x->pattern->nex) {
		json_object_set_new(ex, "source", utf8_json_string(x->pattern->ex[0].source));
		json_object_set_new(ex, "line", json_integer(x->pattern->ex[0].line));
		json_object_set_new(ex, "text", utf8_json_string(x->pattern->ex[0].text));
	}
	json_object_set_new(o, "example", ex);
	/* beyond the fixed schema */
	json_object_set_new(o, "id", json_string(x->pattern->id));
	json_object_set_new(o, "lift", json_real(floor(x->lift * 100 + 0.5) / 100));
	for (i = 0; i < SUSPECT_NLINKS; i++)
		if (x->linked[i])
			json_object_set_new(by, link_names[i], json_integer(x->linked[i]));
	json_object_set_new(o, "linked_by", by);
	for (i = 0; i < x->nexplains; i++)
		json_object_set_new(expl, x->explains[i]->id, json_integer(x->nexplained[i]));
	json_object_set_new(o, "precedes", expl);
	buf_free(&b);
	return o;
}

json_t *report_json_object(const struct triage_report *r)
{
	json_t *root = json_object(), *span = json_object(), *causes = json_array(),
	       *symptoms = json_array(), *warnings = json_array();
	size_t i;

	json_object_set_new(root, "records", json_integer(r->records));
	json_object_set_new(span, "first", jtime(r->has_span, r->first_us));
	json_object_set_new(span, "last", jtime(r->has_span, r->last_us));
	json_object_set_new(root, "span", span);
	/* the time axis of every "buckets" array: null without timestamps */
	if (r->nbuckets) {
		char w[16];

		report_width(r->bucket_us, w, sizeof w);
		json_object_set_new(root, "buckets",
				    json_pack("{s:o,s:I,s:s,s:i}", "start", jtime(1, r->bucket0_us),
					      "width_ms", (json_int_t)(r->bucket_us / 1000), "width", w,
					      "count", r->nbuckets));
	} else {
		json_object_set_new(root, "buckets", json_null());
	}
	{
		json_t *revs = json_array();

		for (i = 0; i < r->nrevisions; i++)
			json_array_append_new(revs, json_pack("{s:o,s:o}", "name",
							      utf8_json_string(r->revisions[i].name),
							      "first_seen",
							      jtime(r->revisions[i].first_us != INT64_MAX,
								    r->revisions[i].first_us)));
		json_object_set_new(root, "revisions", revs);
	}
	if (r->verdict) {
		json_t *v = json_object();

		json_object_set_new(v, "rule", json_string(r->verdict->rule->id));
		json_object_set_new(v, "category", json_string(r->verdict->rule->category));
		json_object_set_new(root, "verdict", v);
	} else {
		json_object_set_new(root, "verdict", json_null());
	}
	for (i = 0; i < r->ncauses; i++)
		json_array_append_new(causes, jcause(r, r->causes[i]));
	json_object_set_new(root, "causes", causes);
	for (i = 0; i < r->nsymptoms; i++) {
		const struct triage_group *g = r->symptoms[i];
		json_t *s = json_object();

		json_object_set_new(s, "rule", json_string(g->rule->id));
		json_object_set_new(s, "count", json_integer(g->count));
		json_object_set_new(s, "explained", json_integer(g->explained));
		json_object_set_new(s, "unexplained", json_integer(g->unexplained));
		if (g->matched)
			json_object_set_new(s, "matched_by_code_and_reason", json_integer(g->matched));
		json_object_set_new(s, "first_seen", jtime(g->has_ts, g->first_us));
		json_object_set_new(s, "last_seen", jtime(g->has_ts, g->last_us));
		json_object_set_new(s, "buckets", jbuckets(r, g->hist));
		json_object_set_new(s, "unexplained_buckets", jbuckets(r, g->uhist));
		json_object_set_new(s, "where", jwhere(g));
		if (g->ordered)
			json_object_set_new(s, "matched_by_order", json_integer(g->ordered));
		json_array_append_new(symptoms, s);
	}
	json_object_set_new(root, "symptoms", symptoms);
	if (r->suspects_known) {
		json_t *sus = json_array();

		for (i = 0; i < r->nsuspects; i++)
			json_array_append_new(sus, jsuspect(&r->suspects[i]));
		json_object_set_new(root, "suspects", sus);
	}
	for (i = 0; i < r->nwarnings; i++)
		json_array_append_new(warnings, utf8_json_string(r->warnings[i]));
	json_object_set_new(root, "warnings", warnings);
	return root;
}

int report_json(FILE *out, const struct triage_report *r)
{
	json_t *root = report_json_object(r);
	int rc;

	rc = json_dumpf(root, out, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(10)) == 0 &&
	     fputc('\n', out) != EOF ? 0 : -1;
	json_decref(root);
	return rc;
}
