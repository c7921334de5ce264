#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emit/emit_impl.h"

#define SARIF_SCHEMA \
	"https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
#define SARIF_INFO_URI "https://github.com/logwhy/logwhy"
/* one page per rule, generated from the rule files by scripts/gen-rule-docs.sh */
#define SARIF_RULE_URI SARIF_INFO_URI "/blob/main/docs/rules/"
#define SARIF_SRCROOT "%SRCROOT%"

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
static int uri_encode(struct buf *b, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)path; *p; p++) {
		int keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			   (*p >= '0' && *p <= '9') || strchr("-._~/", *p);

		if (keep ? buf_addc(b, (char)*p) < 0
			 : buf_addf(b, "%%%c%c", hex[*p >> 4], hex[*p & 15]) < 0)
			return -1;
	}
	return 0;
}

/* The working directory, as the file:// URI %SRCROOT% stands for. */
static char *sarif_srcroot(void)
{
	struct buf b = BUF_INIT(0);
	char cwd[PATH_MAX];

	if (!getcwd(cwd, sizeof cwd))
		return NULL;
	if (buf_adds(&b, "file://") < 0 || uri_encode(&b, cwd) < 0 ||
	    (b.p[b.len - 1] != '/' && buf_addc(&b, '/') < 0)) {
		buf_free(&b);
		return NULL;
	}
	return b.p;
}

/* An absolute path under the working directory, as a relative one. */
static const char *under_cwd(const char *path)
{
	char cwd[PATH_MAX];
	size_t n;

	if (path[0] != '/' || !getcwd(cwd, sizeof cwd))
		return NULL;
	n = strlen(cwd);
	if (n > 1 && strncmp(path, cwd, n) == 0 && path[n] == '/' && path[n + 1])
		return path + n + 1;
	return NULL;
}

/*
 * An input as an artifactLocation: "stdin" for standard input; a path
 * relative to the working directory (also an absolute one under it) as a
 * relative URI with uriBaseId %SRCROOT%, which code scanning resolves
 * against the checkout; any other absolute path as a file:// URI. Bytes
 * outside RFC 3986's unreserved set and '/' are percent-encoded, so
 * spaces, '%', '#', '?' and non-ASCII survive. New reference, NULL on
 * allocation failure.
 */
static json_t *sarif_location(const char *path)
{
	struct buf b = BUF_INIT(0);
	const char *rel;
	json_t *v;
	int based;

	if (is_stdin(path))
		return json_pack("{s:s}", "uri", "stdin");
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	if ((rel = under_cwd(path)))
		path = rel;
	based = path[0] != '/';
	if ((!based && buf_adds(&b, "file://") < 0) || uri_encode(&b, path) < 0)
		goto fail;
	v = json_pack("{s:s%}", "uri", b.p ? b.p : "", b.len);
	if (v && based && json_object_set_new(v, "uriBaseId", json_string(SARIF_SRCROOT)) < 0) {
		json_decref(v);
		v = NULL;
	}
	buf_free(&b);
	return v;
fail:
	buf_free(&b);
	return NULL;
}

static json_t *sarif_message(const char *s)
{
	return json_pack("{s:o}", "text", utf8_json_string(s ? s : ""));
}

static json_t *sarif_rule(const struct rule_desc *r)
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
		      "id", utf8_json_string(r->id ? r->id : ""),
		      "name", utf8_json_string(title ? title : ""),
		      "shortDescription", sarif_message(title),
		      "fullDescription", full,
		      "defaultConfiguration", "level", sarif_level(r->level),
		      "properties", "category", utf8_json_string(r->category),
		      "role", rule_role_name(r->role));
	if (o && r->fix && json_object_set_new(o, "help", sarif_message(r->fix)) < 0) {
		json_decref(o);
		return NULL;
	}
	if (o && r->id) {
		struct buf u = BUF_INIT(0);

		/* the page scripts/gen-rule-docs.sh writes for the rule */
		if (buf_adds(&u, SARIF_RULE_URI) < 0 || uri_encode(&u, r->id) < 0 ||
		    buf_adds(&u, ".md") < 0 ||
		    json_object_set_new(o, "helpUri", json_stringn(u.p, u.len)) < 0) {
			buf_free(&u);
			json_decref(o);
			return NULL;
		}
		buf_free(&u);
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
	for (i = 0; rs && i < ruleset_count(rs); i++)
		if (json_array_append_new(rules, sarif_rule(rule_desc(ruleset_rule(rs, i)))) < 0) {
			json_decref(rules);
			return NULL;
		}
	d = json_pack("{s:s, s:s, s:o}", "name", "logwhy",
		      "informationUri", SARIF_INFO_URI, "rules", rules);
	if (d && e->opts.version &&
	    (json_object_set_new(d, "version", utf8_json_string(e->opts.version)) < 0 ||
	     json_object_set_new(d, "semanticVersion",
				 utf8_json_string(e->opts.version)) < 0)) {
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
		if (json_array_append_new(a, json_pack("{s:o}", "location",
						       sarif_location(e->opts.inputs[i]))) < 0) {
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
	json_t *base = NULL;
	int rc = -1;

	if (!tool || !arts)
		goto out;
	/* where %SRCROOT% is, for consumers that do not know the checkout */
	e->srcroot = sarif_srcroot();
	if (e->srcroot &&
	    !(base = json_pack("{s:{s:s}}", SARIF_SRCROOT, "uri", e->srcroot)))
		goto out;
	if (!(e->notes = json_array()))
		goto out;
	if (fputs("{\"$schema\":\"" SARIF_SCHEMA "\",\"version\":\"2.1.0\","
		  "\"runs\":[{\"tool\":", e->out) == EOF ||
	    emit_json_write(e->out, tool) < 0 ||
	    (base && (fputs(",\"originalUriBaseIds\":", e->out) == EOF ||
		      emit_json_write(e->out, base) < 0)) ||
	    fputs(",\"artifacts\":", e->out) == EOF ||
	    emit_json_write(e->out, arts) < 0 ||
	    fputs(",\"results\":[", e->out) == EOF)
		goto out;
	rc = 0;
out:
	json_decref(tool);
	json_decref(arts);
	json_decref(base);
	return rc;
}

static long rule_index(const struct emitter *e, const struct rule_desc *r)
{
	const struct ruleset *rs = e->opts.rules;
	size_t i;

	if (!rs)
		return -1;
	if (r->index < ruleset_count(rs) && rule_desc(ruleset_rule(rs, r->index)) == r)
		return (long)r->index;
	for (i = 0; i < ruleset_count(rs); i++) {
		const struct rule_desc *d = rule_desc(ruleset_rule(rs, i));

		if (d == r || (r->id && d->id && strcmp(d->id, r->id) == 0))
			return (long)i;
	}
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

#define FP_MAX ((size_t)1 << 20)   /* distinct hashes counted (16 MiB) */

/* How many results before this one had hash h: 0 for the first. -1 past
 * FP_MAX distinct hashes, or out of memory. */
static long fp_seen(struct emitter *e, uint64_t h)
{
	size_t i;

	if (e->fp_used * 2 >= e->nfp) {
		size_t n = e->nfp ? e->nfp * 2 : 1024, j;
		struct fp_count *t;

		if (n > FP_MAX * 2 || !(t = calloc(n, sizeof *t)))
			goto lookup;
		for (j = 0; j < e->nfp; j++) {
			if (!e->fp[j].n)
				continue;
			for (i = (size_t)e->fp[j].h & (n - 1); t[i].n; i = (i + 1) & (n - 1))
				;
			t[i] = e->fp[j];
		}
		free(e->fp);
		e->fp = t;
		e->nfp = n;
	}
lookup:
	if (!e->nfp)
		return -1;
	for (i = (size_t)h & (e->nfp - 1); e->fp[i].n; i = (i + 1) & (e->nfp - 1))
		if (e->fp[i].h == h)
			return e->fp[i].n++;
	if (e->fp_used * 2 >= e->nfp)
		return -1;
	e->fp[i].h = h;
	e->fp[i].n = 1;
	e->fp_used++;
	return 0;
}

/*
 * Code scanning folds results that share a fingerprint into one alert, so
 * each result gets its own: a hash of the rule, the input and the record
 * (its time included, so the same words logged at two moments differ),
 * then ":N" for the N-th earlier result with that hash, as GitHub's own
 * primaryLocationLineHash does. No line number: an alert survives lines
 * added above it. Past FP_MAX distinct hashes the line stands in for N.
 */
static json_t *sarif_fingerprint(struct emitter *e, const struct finding *f)
{
	const char *id = f->rule->id ? f->rule->id : "";
	const char *src = emit_source(f);
	const char *text = f->ev->text ? f->ev->text : f->ev->msg;
	size_t len = f->ev->text ? f->ev->text_len : f->ev->msg_len;
	uint64_t h = 0xcbf29ce484222325ull;
	char v[48];
	long n;

	h = fnv1a(h, id, strlen(id) + 1);
	h = fnv1a(h, src, strlen(src) + 1);
	if (f->ev->has_ts)
		h = fnv1a(h, &f->ev->ts_us, sizeof f->ev->ts_us);
	if (text)
		h = fnv1a(h, text, len);
	n = fp_seen(e, h);
	if (n >= 0)
		snprintf(v, sizeof v, "%016llx:%ld", (unsigned long long)h, n);
	else
		snprintf(v, sizeof v, "%016llx:L%ld", (unsigned long long)h, f->ev->line);
	return json_pack("{s:s}", "logwhyRecordHash/v2", v);
}

static int sarif_finding(struct emitter *e, const struct finding *f)
{
	const char *src = f->ev->source;
	json_t *res, *loc, *art;
	long ri = rule_index(e, f->rule), ai = artifact_index(e, src);
	int rc;

	art = sarif_location(src);
	if (art && ai >= 0 && json_object_set_new(art, "index", json_integer(ai)) < 0) {
		json_decref(art);
		art = NULL;
	}
	loc = json_pack("{s:o}", "artifactLocation", art);
	if (loc && f->ev->line > 0) {
		/* a multi-line record (a traceback, a pretty JSON entry) spans
		 * its lines */
		json_t *region = f->ev->last_line > f->ev->line
			? json_pack("{s:I, s:I}", "startLine", (json_int_t)f->ev->line,
				    "endLine", (json_int_t)f->ev->last_line)
			: json_pack("{s:I}", "startLine", (json_int_t)f->ev->line);

		if (json_object_set_new(loc, "region", region) < 0) {
			json_decref(loc);
			loc = NULL;
		}
	}
	res = json_pack("{s:o, s:s, s:o, s:[{s:o}], s:o, s:{s:o}}",
			"ruleId", utf8_json_string(f->rule->id ? f->rule->id : ""),
			"level", sarif_level(f->rule->level),
			"message", sarif_message(emit_message(f)),
			"locations", "physicalLocation", loc,
			"partialFingerprints", sarif_fingerprint(e, f),
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

/* Warnings about the run (a cut array, a record kept as text) are not
 * results: SARIF has toolExecutionNotifications for them. */
static void sarif_warning(struct emitter *e, const struct diag *d)
{
	json_t *n, *loc;

	if (!e->notes)
		return;
	if (json_array_size(e->notes) >= EMIT_MAX_NOTES) {
		e->nnotes_dropped++;
		return;
	}
	n = json_pack("{s:s, s:o}", "level", "warning", "message", sarif_message(d->msg));
	if (n && d->file[0]) {
		loc = json_pack("{s:o}", "artifactLocation", sarif_location(d->file));
		if (loc && d->line > 0) {
			json_t *region = json_pack("{s:I}", "startLine", (json_int_t)d->line);

			if (region && d->col > 0)
				json_object_set_new(region, "startColumn", json_integer(d->col));
			json_object_set_new(loc, "region", region);
		}
		if (!loc || json_object_set_new(n, "locations",
						json_pack("[{s:o}]", "physicalLocation", loc)) < 0) {
			json_decref(n);
			n = NULL;
		}
	}
	if (n)
		json_array_append_new(e->notes, n);
}

static int sarif_close(struct emitter *e, const struct emit_stats *s)
{
	json_t *inv;
	int rc;

	if (e->nnotes_dropped) {
		char msg[128];

		snprintf(msg, sizeof msg, "%ld more warnings not listed", e->nnotes_dropped);
		json_array_append_new(e->notes, json_pack("{s:s, s:o}", "level", "warning",
							  "message", sarif_message(msg)));
	}
	if (!e->notes && !(e->notes = json_array()))
		return -1;
	inv = json_pack("[{s:b, s:O}]", "executionSuccessful", !(s && s->incomplete),
			"toolExecutionNotifications", e->notes);
	if (!inv)
		return -1;
	rc = fputs("],\"invocations\":", e->out) == EOF || emit_json_write(e->out, inv) < 0 ||
	     fputs("}]}\n", e->out) == EOF ? -1 : 0;
	json_decref(inv);
	return rc;
}

const struct emitter_ops emit_sarif_ops = { sarif_open, sarif_finding, sarif_close, sarif_warning };
