#include "emit/patterns.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit_impl.h"
#include "util/buf.h"
#include "util/term.h"
#include "util/timefmt.h"

/* "ERROR 30, WARNING 2": the severities of a pattern's records, most first
 * (ties in severity order, highest first) */
static void sev_mix(const struct pattern *p, struct buf *out)
{
	int done[SEV_EMERGENCY + 1] = { 0 }, k, s, best;

	for (k = 0; k <= SEV_EMERGENCY; k++) {
		best = -1;
		for (s = SEV_EMERGENCY; s >= 0; s--)
			if (!done[s] && p->sev[s] && (best < 0 || p->sev[s] > p->sev[best]))
				best = s;
		if (best < 0)
			break;
		done[best] = 1;
		buf_addf(out, "%s%s %ld", out->len ? ", " : "", event_sev_name((enum sev)best), p->sev[best]);
	}
	if (!out->p)
		buf_adds(out, "");
}

static json_t *jtime(int has, int64_t us)
{
	char s[40];

	if (!has || timefmt_rfc3339(us, s, sizeof s) < 0)
		return json_null();
	return json_string(s);
}

static int write_json(FILE *out, const struct pattern_set *ps, const struct pattern **r, size_t n)
{
	json_t *root = json_object(), *arr = json_array();
	struct buf b = BUF_INIT(0);
	size_t i;
	int s, rc;

	json_object_set_new(root, "records", json_integer(pattern_records(ps)));
	json_object_set_new(root, "overflow", json_integer(pattern_overflow(ps)));
	for (i = 0; i < n; i++) {
		const struct pattern *p = r[i];
		json_t *o = json_object(), *sev = json_object(), *ex = json_object();

		buf_reset(&b);
		pattern_render(p, &b);
		json_object_set_new(o, "id", json_string(p->id));
		json_object_set_new(o, "pattern", utf8_json_stringn(b.p, b.len, b.len));
		json_object_set_new(o, "count", json_integer(p->count));
		for (s = SEV_EMERGENCY; s >= 0; s--)
			if (p->sev[s])
				json_object_set_new(sev, event_sev_name((enum sev)s), json_integer(p->sev[s]));
		json_object_set_new(o, "severity", sev);
		json_object_set_new(o, "first_seen", jtime(p->has_ts, p->first_us));
		json_object_set_new(o, "last_seen", jtime(p->has_ts, p->last_us));
		if (p->nex) {
			json_object_set_new(ex, "source", utf8_json_string(p->ex[0].source));
			json_object_set_new(ex, "line", json_integer(p->ex[0].line));
			json_object_set_new(ex, "text", utf8_json_string(p->ex[0].text));
		}
		json_object_set_new(o, "example", ex);
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "patterns", arr);
	rc = json_dumpf(root, out, JSON_COMPACT | JSON_ENSURE_ASCII) == 0 && fputc('\n', out) != EOF
	     ? 0 : -1;
	json_decref(root);
	buf_free(&b);
	return rc;
}

static void when(char *out, size_t n, int has, int64_t us)
{
	if (!has || timefmt_rfc3339(us, out, n) < 0)
		snprintf(out, n, "-");
}

static void write_text(FILE *out, const struct pattern_set *ps, const struct pattern **r,
		       size_t n, int color)
{
	struct buf b = BUF_INIT(0), m = BUF_INIT(0);
	char a[40], z[40];
	size_t i;

	fprintf(out, "logwhy patterns: %ld record%s, %zu pattern%s", pattern_records(ps),
		pattern_records(ps) == 1 ? "" : "s", n, n == 1 ? "" : "s");
	if (pattern_overflow(ps))
		fprintf(out, ", %ld record%s past the cap of distinct patterns", pattern_overflow(ps),
			pattern_overflow(ps) == 1 ? "" : "s");
	fputc('\n', out);
	for (i = 0; i < n; i++) {
		const struct pattern *p = r[i];

		buf_reset(&b);
		buf_reset(&m);
		pattern_render(p, &b);
		sev_mix(p, &m);
		fprintf(out, "\n%zu. %s%s%s  x%ld  %s\n   ", i + 1, color ? "\033[1;36m" : "", p->id,
			color ? "\033[0m" : "", p->count, m.p);
		term_put(out, b.p, b.len);
		when(a, sizeof a, p->has_ts, p->first_us);
		when(z, sizeof z, p->has_ts, p->last_us);
		fprintf(out, "\n   seen      %s .. %s\n", a, z);
		if (p->nex) {
			fputs("   example   ", out);
			term_put(out, p->ex[0].source, strlen(p->ex[0].source));
			fprintf(out, ":%ld: ", p->ex[0].line);
			term_put(out, p->ex[0].text, strlen(p->ex[0].text));
			fputc('\n', out);
		}
	}
	buf_free(&b);
	buf_free(&m);
}

/* Markdown table cell: terminal-safe, then Markdown's specials escaped */
static void md_cell(FILE *out, const char *s, size_t len)
{
	struct buf b = BUF_INIT(0);
	size_t i;

	term_escape(&b, s, len);
	for (i = 0; i < b.len; i++) {
		if (strchr("\\`*_{}[]<>#|!", b.p[i]))
			fputc('\\', out);
		fputc(b.p[i], out);
	}
	buf_free(&b);
}

static void write_markdown(FILE *out, const struct pattern_set *ps, const struct pattern **r,
			   size_t n)
{
	struct buf b = BUF_INIT(0), m = BUF_INIT(0);
	char a[40], z[40];
	size_t i;

	fprintf(out, "# Message patterns\n\n%ld records, %zu patterns", pattern_records(ps), n);
	if (pattern_overflow(ps))
		fprintf(out, ", %ld records past the cap of distinct patterns", pattern_overflow(ps));
	fputs(".\n\n| # | id | count | severity | first seen | last seen | pattern | example |\n"
	      "|---|---|---|---|---|---|---|---|\n", out);
	for (i = 0; i < n; i++) {
		const struct pattern *p = r[i];

		buf_reset(&b);
		buf_reset(&m);
		pattern_render(p, &b);
		sev_mix(p, &m);
		when(a, sizeof a, p->has_ts, p->first_us);
		when(z, sizeof z, p->has_ts, p->last_us);
		fprintf(out, "| %zu | `%s` | %ld | %s | %s | %s | ", i + 1, p->id, p->count, m.p, a, z);
		md_cell(out, b.p, b.len);
		fputs(" | ", out);
		if (p->nex) {
			md_cell(out, p->ex[0].source, strlen(p->ex[0].source));
			fprintf(out, ":%ld: ", p->ex[0].line);
			md_cell(out, p->ex[0].text, strlen(p->ex[0].text));
		}
		fputs(" |\n", out);
	}
	buf_free(&b);
	buf_free(&m);
}

int patterns_write(enum report_format f, FILE *out, const struct pattern_set *ps, int color)
{
	size_t n;
	const struct pattern **r = pattern_ranked(ps, &n);
	int rc = 0;

	if (!r) {
		errno = ENOMEM;
		return -1;
	}
	if (f == REPORT_JSON)
		rc = write_json(out, ps, r, n);
	else if (f == REPORT_MARKDOWN)
		write_markdown(out, ps, r, n);
	else
		write_text(out, ps, r, n, color);
	free(r);
	if (fflush(out) != 0 || ferror(out)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return rc;
}

int patterns_record(FILE *out, const char *source, long line, const struct pattern *p)
{
	json_t *o = json_object();
	int rc;

	json_object_set_new(o, "source", utf8_json_string(source ? source : "<stdin>"));
	json_object_set_new(o, "line", json_integer(line));
	json_object_set_new(o, "pattern", p ? json_string(p->id) : json_null());
	rc = emit_json_write(out, o) == 0 && fputc('\n', out) != EOF ? 0 : -1;
	json_decref(o);
	return rc;
}
