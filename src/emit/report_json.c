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

static json_t *jcause(const struct triage_group *g)
{
	json_t *o = json_object(), *caps = json_object(), *ex = json_object(), *why = json_array();
	size_t i;

	json_object_set_new(o, "rule", json_string(g->rule->id));
	json_object_set_new(o, "category", json_string(g->rule->category));
	json_object_set_new(o, "severity", json_string(level_name(g->rule->level)));
	json_object_set_new(o, "count", json_integer(g->count));
	json_object_set_new(o, "first_seen", jtime(g->has_ts, g->first_us));
	json_object_set_new(o, "last_seen", jtime(g->has_ts, g->last_us));
	for (i = 0; i < g->ncaps; i++)
		json_object_set_new(caps, g->caps[i].name, emit_json_string(g->caps[i].value));
	json_object_set_new(o, "captures", caps);
	json_object_set_new(o, "explains", jcounts(g->explains, g->nexplains));
	json_object_set_new(o, "chain", jchain(g));
	json_object_set_new(ex, "source", emit_json_string(g->ex_source));
	json_object_set_new(ex, "line", json_integer(g->ex_line));
	json_object_set_new(ex, "text", emit_json_string(g->ex_text));
	json_object_set_new(o, "example", ex);
	for (i = 0; i < g->nwhy; i++)
		json_array_append_new(why, emit_json_string(g->why[i]));
	json_object_set_new(o, "why", why);
	json_object_set_new(o, "fix", g->fix ? emit_json_string(g->fix) : json_null());
	/* beyond the fixed schema: what a reader of the JSON also needs */
	json_object_set_new(o, "message", emit_json_string(g->message));
	json_object_set_new(o, "root_of", json_integer(g->verdict_symptoms));
	json_object_set_new(o, "explained_symptoms", json_integer(g->explained_symptoms));
	json_object_set_new(o, "evidence", jcounts(g->evidence, g->nevidence));
	return o;
}

int report_json(FILE *out, const struct triage_report *r)
{
	json_t *root = json_object(), *span = json_object(), *causes = json_array(),
	       *symptoms = json_array(), *warnings = json_array();
	size_t i;
	int rc;

	json_object_set_new(root, "records", json_integer(r->records));
	json_object_set_new(span, "first", jtime(r->has_span, r->first_us));
	json_object_set_new(span, "last", jtime(r->has_span, r->last_us));
	json_object_set_new(root, "span", span);
	if (r->verdict) {
		json_t *v = json_object();

		json_object_set_new(v, "rule", json_string(r->verdict->rule->id));
		json_object_set_new(v, "category", json_string(r->verdict->rule->category));
		json_object_set_new(root, "verdict", v);
	} else {
		json_object_set_new(root, "verdict", json_null());
	}
	for (i = 0; i < r->ncauses; i++)
		json_array_append_new(causes, jcause(r->causes[i]));
	json_object_set_new(root, "causes", causes);
	for (i = 0; i < r->nsymptoms; i++) {
		const struct triage_group *g = r->symptoms[i];
		json_t *s = json_object();

		json_object_set_new(s, "rule", json_string(g->rule->id));
		json_object_set_new(s, "count", json_integer(g->count));
		json_object_set_new(s, "explained", json_integer(g->explained));
		json_object_set_new(s, "unexplained", json_integer(g->unexplained));
		json_array_append_new(symptoms, s);
	}
	json_object_set_new(root, "symptoms", symptoms);
	for (i = 0; i < r->nwarnings; i++)
		json_array_append_new(warnings, emit_json_string(r->warnings[i]));
	json_object_set_new(root, "warnings", warnings);
	rc = json_dumpf(root, out, JSON_COMPACT | JSON_ENSURE_ASCII) == 0 && fputc('\n', out) != EOF ? 0 : -1;
	json_decref(root);
	return rc;
}
