#include <stdint.h>
#include <string.h>

#include "emit/emit_impl.h"

#define SARIF_SCHEMA \
	"https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
#define SARIF_INFO_URI "https://github.com/logwhy/logwhy"

static const char *sarif_level(int level)
{
	switch (level) {
	case LEVEL_ERROR:
		return "error";
	case LEVEL_WARNING:
		return "warning";
	case LEVEL_INFO:
		return "note";
	default:
		return "none";
	}
}

static int is_stdin(const char *path)
{
	return !path || !path[0] || strcmp(path, "-") == 0 || strcmp(path, "<stdin>") == 0;
}

/*
 * An input name as a URI reference: "stdin" for standard input, file://
 * for an absolute path, else relative (what code scanning resolves
 * against the checkout). Bytes outside RFC 3986's unreserved set and '/'
 * are percent-encoded, so spaces, '%', '#', '?' and non-ASCII survive.
 */
static json_t *sarif_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = BUF_INIT(0);
	const unsigned char *p;
	json_t *v;

	if (is_stdin(path))
		return json_string("stdin");
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	if (path[0] == '/' && buf_adds(&b, "file://") < 0)
		goto fail;
	for (p = (const unsigned char *)path; *p; p++) {
		int keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			   (*p >= '0' && *p <= '9') || strchr("-._~/", *p);

		if (keep ? buf_addc(&b, (char)*p) < 0
			 : buf_addf(&b, "%%%c%c", hex[*p >> 4], hex[*p & 15]) < 0)
			goto fail;
	}
	v = json_stringn(b.p ? b.p : "", b.len);
	buf_free(&b);
	return v;
fail:
	buf_free(&b);
	return NULL;
}

static json_t *sarif_message(const char *s)
{
	return json_pack("{s:o}", "text", emit_json_string(s ? s : ""));
}

static json_t *sarif_rule(const struct rule *r)
{
	struct buf why = BUF_INIT(0);
	const char *title = r->title ? r->title : r->id;
	json_t *o, *full;
	size_t i;

	/* why is the chain symptom first; each step is the reason for the
	 * one before it. */
	for (i = 0; i < r->nwhy; i++)
		if ((i && buf_adds(&why, "; ") < 0) ||
		    buf_adds(&why, r->why[i] ? r->why[i] : "") < 0) {
			buf_free(&why);
			return NULL;
		}
	full = sarif_message(r->nwhy ? why.p : title);
	buf_free(&why);
	o = json_pack("{s:o, s:o, s:o, s:o, s:{s:s}, s:{s:o, s:s}}",
		      "id", emit_json_string(r->id ? r->id : ""),
		      "name", emit_json_string(title ? title : ""),
		      "shortDescription", sarif_message(title),
		      "fullDescription", full,
		      "defaultConfiguration", "level", sarif_level(r->level),
		      "properties", "category", emit_json_string(r->category),
		      "role", emit_role_name(r->role));
	if (o && r->fix && json_object_set_new(o, "help", sarif_message(r->fix)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *sarif_driver(const struct emitter *e)
{
	const struct ruleset *rs = e->opts.rules;
	json_t *d, *rules = json_array();
	size_t i;

	if (!rules)
		return NULL;
	for (i = 0; rs && i < rs->n; i++)
		if (json_array_append_new(rules, sarif_rule(rs->rules[i])) < 0) {
			json_decref(rules);
			return NULL;
		}
	d = json_pack("{s:s, s:s, s:o}", "name", "logwhy",
		      "informationUri", SARIF_INFO_URI, "rules", rules);
	if (d && e->opts.version &&
	    (json_object_set_new(d, "version", emit_json_string(e->opts.version)) < 0 ||
	     json_object_set_new(d, "semanticVersion",
				 emit_json_string(e->opts.version)) < 0)) {
		json_decref(d);
		return NULL;
	}
	return d;
}

static json_t *sarif_artifacts(const struct emitter *e)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < e->opts.ninputs; i++)
		if (json_array_append_new(a, json_pack("{s:{s:o}}", "location", "uri",
						       sarif_uri(e->opts.inputs[i]))) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/*
 * The document is written in three pieces so results stream: everything
 * up to "results":[ now, one object per finding, and the closing brackets
 * at the end. Member order does not matter in JSON, so nothing that comes
 * after the results needs to be known before them.
 */
static int sarif_open(struct emitter *e)
{
	json_t *tool = json_pack("{s:o}", "driver", sarif_driver(e));
	json_t *arts = sarif_artifacts(e);
	int rc = -1;

	if (!tool || !arts)
		goto out;
	if (fputs("{\"$schema\":\"" SARIF_SCHEMA "\",\"version\":\"2.1.0\","
		  "\"runs\":[{\"tool\":", e->out) == EOF ||
	    emit_json_write(e->out, tool) < 0 ||
	    fputs(",\"artifacts\":", e->out) == EOF ||
	    emit_json_write(e->out, arts) < 0 ||
	    fputs(",\"results\":[", e->out) == EOF)
		goto out;
	rc = 0;
out:
	json_decref(tool);
	json_decref(arts);
	return rc;
}

static long rule_index(const struct emitter *e, const struct rule *r)
{
	const struct ruleset *rs = e->opts.rules;
	size_t i;

	if (!rs)
		return -1;
	if (r->index < rs->n && rs->rules[r->index] == r)
		return (long)r->index;
	for (i = 0; i < rs->n; i++)
		if (rs->rules[i] == r ||
		    (r->id && rs->rules[i]->id && strcmp(rs->rules[i]->id, r->id) == 0))
			return (long)i;
	return -1;
}

static long artifact_index(const struct emitter *e, const char *src)
{
	size_t i;

	for (i = 0; i < e->opts.ninputs; i++) {
		const char *in = e->opts.inputs[i];

		if ((in && src && strcmp(in, src) == 0) || (is_stdin(in) && is_stdin(src)))
			return (long)i;
	}
	return -1;
}

/* FNV-1a, 64 bits: stable across runs, platforms and versions, which is
 * all a partial fingerprint needs; NUL separates the two parts. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

static json_t *sarif_fingerprint(const struct finding *f)
{
	const char *id = f->rule->id ? f->rule->id : "";
	const char *text = f->ev->text ? f->ev->text : f->ev->msg;
	size_t len = f->ev->text ? f->ev->text_len : f->ev->msg_len;
	uint64_t h = 0xcbf29ce484222325ull;
	char hex[17];

	h = fnv1a(h, id, strlen(id) + 1);
	if (text)
		h = fnv1a(h, text, len);
	snprintf(hex, sizeof hex, "%016llx", (unsigned long long)h);
	return json_pack("{s:s}", "logwhyRecordHash/v1", hex);
}

static int sarif_finding(struct emitter *e, const struct finding *f)
{
	const char *src = f->ev->source;
	json_t *res, *loc, *art;
	long ri = rule_index(e, f->rule), ai = artifact_index(e, src);
	int rc;

	art = json_pack("{s:o}", "uri", sarif_uri(src));
	if (art && ai >= 0 && json_object_set_new(art, "index", json_integer(ai)) < 0) {
		json_decref(art);
		art = NULL;
	}
	loc = json_pack("{s:o}", "artifactLocation", art);
	if (loc && f->ev->line > 0 &&
	    json_object_set_new(loc, "region",
				json_pack("{s:I}", "startLine",
					  (json_int_t)f->ev->line)) < 0) {
		json_decref(loc);
		loc = NULL;
	}
	res = json_pack("{s:o, s:s, s:o, s:[{s:o}], s:o, s:{s:o}}",
			"ruleId", emit_json_string(f->rule->id ? f->rule->id : ""),
			"level", sarif_level(f->rule->level),
			"message", sarif_message(emit_message(f)),
			"locations", "physicalLocation", loc,
			"partialFingerprints", sarif_fingerprint(f),
			"properties", "captures", emit_json_captures(f));
	if (res && ri >= 0 && json_object_set_new(res, "ruleIndex", json_integer(ri)) < 0) {
		json_decref(res);
		res = NULL;
	}
	if (!res)
		return -1;
	rc = (e->nfindings && fputc(',', e->out) == EOF) ? -1
							 : emit_json_write(e->out, res);
	json_decref(res);
	return rc;
}

static int sarif_close(struct emitter *e, const struct emit_stats *s)
{
	(void)s;
	return fputs("]}]}\n", e->out) == EOF ? -1 : 0;
}

const struct emitter_ops emit_sarif_ops = { sarif_open, sarif_finding, sarif_close };
