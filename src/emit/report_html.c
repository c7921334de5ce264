#include <stdlib.h>
#include <string.h>

#include "emit/report.h"
#include "util/buf.h"
#include "util/term.h"
#include "util/timefmt.h"

/*
 * triage's report as one self-contained HTML page: inline CSS and SVG, no
 * script and nothing fetched, so it reads the same attached to a ticket,
 * opened offline or printed. Every string that came from a log or a rule
 * goes through esc(): control bytes and invalid UTF-8 shown escaped (as
 * the terminal report does), then the five HTML specials as entities.
 */

#define SVG_W 1200
#define LABEL_W 330
#define PLOT_X (LABEL_W + 10)
#define PLOT_W (SVG_W - PLOT_X - 10)
#define ROW_H 18
#define AXIS_H 34

static void esc_n(FILE *out, const char *s, size_t n)
{
	struct buf b = BUF_INIT(0);
	size_t i;

	term_escape(&b, s, n);
	for (i = 0; i < b.len; i++) {
		switch (b.p[i]) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(b.p[i], out);
		}
	}
	buf_free(&b);
}

static void esc(FILE *out, const char *s)
{
	esc_n(out, s ? s : "", s ? strlen(s) : 0);
}

/* At most max bytes of s (cut on a UTF-8 boundary, "..." added), escaped:
 * labels in the SVG, which does not wrap. */
static void esc_cut(FILE *out, const char *s, size_t max)
{
	size_t n = strlen(s), k = n;

	if (n > max) {
		k = max;
		while (k && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
	}
	esc_n(out, s, k);
	if (k < n)
		fputs("...", out);
}

/* Multi-line text (an example record): each line escaped on its own. */
static void esc_lines(FILE *out, const char *s)
{
	const char *nl;

	for (;;) {
		nl = strchr(s, '\n');
		esc_n(out, s, nl ? (size_t)(nl - s) : strlen(s));
		if (!nl)
			break;
		fputc('\n', out);
		s = nl + 1;
	}
}

static const char css[] =
	"*{box-sizing:border-box}\n"
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
	"color:#1d232a;background:#fff;margin:0 auto;padding:16px 24px;max-width:1280px}\n"
	"h1{font-size:20px;margin:0 0 8px}h2{font-size:17px;margin:22px 0 8px}"
	"h3{font-size:15px;margin:14px 0 6px}\n"
	"code,pre{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:12.5px}\n"
	"pre{background:#f4f6f8;border:1px solid #d9dee3;padding:8px 10px;white-space:pre-wrap;"
	"overflow-wrap:anywhere;margin:6px 0}\n"
	".verdict{border-left:6px solid #c62828;background:#fdecea;padding:10px 14px;margin:8px 0}\n"
	".verdict.none{border-color:#8a939c;background:#f1f3f5}\n"
	".verdict p{margin:4px 0;font-size:16px}\n"
	".meta{color:#4b5560}\n"
	"table{border-collapse:collapse;margin:6px 0 10px}"
	"th,td{border:1px solid #d9dee3;padding:3px 8px;text-align:left;vertical-align:top}\n"
	"th{background:#f1f3f5}td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	"td code{overflow-wrap:anywhere}td.t{white-space:nowrap}caption{text-align:left;color:#4b5560}\n"
	".cause{border-top:2px solid #d9dee3;margin-top:18px}\n"
	".cause.root h2{color:#b71c1c}\n"
	".gone{color:#2e7d32;font-weight:600}\n"
	"svg{display:block;max-width:100%;height:auto}\n"
	"svg text{font:12px system-ui,'DejaVu Sans',sans-serif;fill:#1d232a}\n"
	"svg .tick{font-size:11px;fill:#4b5560}svg .sub{font-size:11px;fill:#4b5560}\n"
	".c{fill:#c62828}.s{fill:#1565c0}.u{fill:#ef6c00}.grid{stroke:#e3e7eb}\n"
	".lanebg{fill:#f7f8fa}.node{fill:#fff;stroke:#5c6770}.node.cause{stroke:#c62828;stroke-width:2}"
	".node.symptom{stroke:#1565c0}.node.context{stroke-dasharray:4 3}\n"
	".edge{stroke:#5c6770;stroke-width:1.5;fill:none}.rev{stroke:#2e7d32;stroke-width:1.5;"
	"stroke-dasharray:5 3}svg .revl{fill:#2e7d32;font-size:11px}\n"
	".legend span{display:inline-block;margin-right:14px}"
	".sw{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px}\n"
	"@media print{body{max-width:none;padding:0;font-size:10pt}"
	".cause,table,svg,pre{break-inside:avoid}a{color:inherit;text-decoration:none}"
	"h2{break-after:avoid}}\n";

static size_t rank_of(const struct triage_report *r, const struct triage_group *g)
{
	size_t i;

	for (i = 0; i < r->ncauses; i++)
		if (r->causes[i] == g)
			return i + 1;
	return 0;
}

/* One row of bars: bucket counts scaled to the row's own maximum. */
static void bars(FILE *out, const struct triage_report *r, const long *hist, int y,
		 const char *cls, const char *what)
{
	double cw = (double)PLOT_W / r->nbuckets;
	long max = 0;
	int i;
	char a[40], w[16];

	for (i = 0; i < r->nbuckets; i++)
		if (hist[i] > max)
			max = hist[i];
	report_width(r->bucket_us, w, sizeof w);
	for (i = 0; i < r->nbuckets; i++) {
		double h;

		if (!hist[i])
			continue;
		h = 3 + (double)(ROW_H - 6) * hist[i] / max;
		report_tick(r, i, a, sizeof a);
		fprintf(out, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
			"<title>%ld %s, %s + %s</title></rect>\n", cls, PLOT_X + i * cw + 0.5,
			y + ROW_H - 1 - h, cw > 2 ? cw - 1 : cw, h, hist[i], what, a, w);
	}
}

static void row_label(FILE *out, int y, const char *text, const char *cls)
{
	fprintf(out, "<text%s x=\"%d\" y=\"%d\">", cls, LABEL_W, y + ROW_H - 5);
	fputs("", out);
	esc_cut(out, text, 52);
	fputs("</text>\n", out);
}

static int has_unexplained(const struct triage_report *r)
{
	size_t i;

	for (i = 0; i < r->nsymptoms; i++)
		if (r->symptoms[i]->unexplained)
			return 1;
	return 0;
}

/* Where each revision of the input started, when there are several: did
 * the deploy stop the cause? */
static void revisions(FILE *out, const struct triage_report *r, int bottom)
{
	double cw = (double)PLOT_W / r->nbuckets;
	size_t i;

	if (r->nrevisions < 2)
		return;
	for (i = 0; i < r->nrevisions; i++) {
		const struct where_revision *v = &r->revisions[i];
		double x;
		char a[40];

		if (v->first_us == INT64_MAX)
			continue;
		x = PLOT_X + (double)(v->first_us - r->bucket0_us) / (double)r->bucket_us * cw;
		report_when(a, sizeof a, 1, v->first_us);
		fprintf(out, "<g class=\"revision\"><title>revision ");
		esc(out, v->name);
		fprintf(out, " started %s</title><line class=\"rev\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
			"y2=\"%d\"/><text class=\"revl\" x=\"%.1f\" y=\"%d\">", a, x, AXIS_H - 4, x,
			bottom, x + 3, bottom + 12 + (int)(i % 2) * 12);
		esc_cut(out, v->name, 40);
		fputs("</text></g>\n", out);
	}
}

/*
 * The timeline: one lane per cause (its findings, then the symptoms it
 * explains), then a lane of the unexplained symptoms, on the shared axis
 * of the report's buckets.
 */
static void timeline(FILE *out, const struct triage_report *r)
{
	int rows = 0, y, i, every;
	size_t c;
	double cw;
	char a[40], axis[128];

	if (!r->nbuckets)
		return;
	for (c = 0; c < r->ncauses; c++)
		rows += 1 + (r->causes[c]->explained_symptoms ? 1 : 0);
	if (r->nsymptoms)
		rows += (int)r->nsymptoms;
	y = AXIS_H + rows * ROW_H + (int)(r->ncauses + (r->nsymptoms ? 1 : 0)) * 8 + 8 +
	    (r->nrevisions > 1 ? 28 : 0);
	cw = (double)PLOT_W / r->nbuckets;
	report_axis(r, axis, sizeof axis);
	fputs("<section id=\"timeline\"><h2>Timeline</h2>\n<p class=\"meta\">", out);
	esc(out, axis);
	fputs(". <span class=\"legend\"><span><i class=\"sw c\" style=\"background:#c62828\"></i>"
	      "a cause's findings</span><span><i class=\"sw\" style=\"background:#1565c0\"></i>"
	      "symptoms it explains</span><span><i class=\"sw\" style=\"background:#ef6c00\"></i>"
	      "unexplained symptoms</span></span></p>\n", out);
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
		"height=\"%d\" role=\"img\" aria-label=\"timeline of causes and symptoms\">\n",
		SVG_W, y, SVG_W, y);
	/* the axis: a tick at every bucket, a label where it fits */
	every = (int)(78 / cw) + 1;
	for (i = 0; i <= r->nbuckets; i++) {
		double x = PLOT_X + i * cw;

		fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n", x,
			AXIS_H - 6, x, y - 4);
		if (i % every == 0 && (i + every <= r->nbuckets || i == 0)) {
			report_tick(r, i, a, sizeof a);
			fprintf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%d\">%s</text>\n", x + 2,
				AXIS_H - 12, a);
		}
	}
	y = AXIS_H;
	for (c = 0; c < r->ncauses; c++) {
		const struct triage_group *g = r->causes[c];
		int h = ROW_H * (g->explained_symptoms ? 2 : 1);
		char label[300];

		fprintf(out, "<g class=\"lane\" data-rule=\"%s\" id=\"lane-%zu\">\n", g->rule->id, c + 1);
		fprintf(out, "<rect class=\"lanebg\" x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\"/>\n",
			y - 2, SVG_W, h + 4);
		snprintf(label, sizeof label, "%zu. %s", c + 1, g->rule->id);
		fprintf(out, "<text x=\"6\" y=\"%d\"><title>", y + ROW_H - 5);
		esc(out, g->message);
		fputs("</title>", out);
		esc_cut(out, label, 46);
		fputs("</text>\n", out);
		row_label(out, y, "findings", " class=\"sub\" text-anchor=\"end\"");
		bars(out, r, g->hist, y, "c", "findings");
		y += ROW_H;
		if (g->explained_symptoms) {
			row_label(out, y, "symptoms it explains", " class=\"sub\" text-anchor=\"end\"");
			bars(out, r, g->shist, y, "s", "symptoms explained");
			y += ROW_H;
		}
		fputs("</g>\n", out);
		y += 8;
	}
	if (r->nsymptoms) {
		int h = ROW_H * (int)r->nsymptoms;

		fputs("<g class=\"lane\" data-rule=\"(unexplained)\" id=\"lane-unexplained\">\n", out);
		fprintf(out, "<rect class=\"lanebg\" x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\"/>\n",
			y - 2, SVG_W, h + 4);
		fprintf(out, "<text x=\"6\" y=\"%d\">unexplained symptoms%s</text>\n", y + ROW_H - 5,
			has_unexplained(r) ? "" : " (none)");
		for (c = 0; c < r->nsymptoms; c++) {
			const struct triage_group *g = r->symptoms[c];

			row_label(out, y, g->rule->id, " class=\"sub\" text-anchor=\"end\"");
			bars(out, r, g->uhist, y, "u", "unexplained");
			y += ROW_H;
		}
		fputs("</g>\n", out);
	}
	revisions(out, r, y);
	fputs("</svg>\n</section>\n", out);
}

/* One node of a chain: a box with the rule's id and a line of its message. */
static void node(FILE *out, double x, int y, double w, const struct rule_desc *rule, const char *msg)
{
	size_t fit = (size_t)(w / 7.2);

	fprintf(out, "<g><title>");
	esc(out, rule->id);
	fputs(": ", out);
	esc(out, msg);
	fprintf(out, "</title><rect class=\"node %s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
		"height=\"44\" rx=\"6\"/>\n<text x=\"%.1f\" y=\"%d\">", rule_role_name(rule->role), x, y, w,
		x + 8, y + 18);
	esc_cut(out, rule->id, fit);
	fprintf(out, "</text><text class=\"sub\" x=\"%.1f\" y=\"%d\">", x + 8, y + 35);
	esc_cut(out, msg, fit + 4);
	fputs("</text></g>\n", out);
}

static const char *msg_of(const struct triage_report *r, const struct triage_group *g,
			  const struct rule_desc *rule, const struct triage_group *on)
{
	size_t i;

	if (on && on->rule == rule)
		return on->message;
	for (i = 0; i < r->ncauses; i++)
		if (r->causes[i]->rule == rule)
			return r->causes[i]->message;
	return g->rule == rule ? g->message : rule->title;
}

/* A cause's top chain as a graph, deepest cause on the left, the symptom
 * on the right, its evidence (context rules) hanging below the cause. */
static void chain_svg(FILE *out, const struct triage_report *r, const struct triage_group *g)
{
	const struct triage_chain *ch = g->linked;
	int hgt = g->nevidence ? 130 : 64;
	double gap = 34, w;
	size_t i, k;

	if (!ch)
		return;
	w = (SVG_W - 20 - gap * (double)(ch->len - 1)) / (double)ch->len;
	if (w > 300)
		w = 300;
	fprintf(out, "<svg class=\"chain\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		"width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"why-chain of %s\">\n"
		"<defs><marker id=\"arrow%zu\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
		"markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" "
		"fill=\"#5c6770\"/></marker></defs>\n", SVG_W, hgt, SVG_W, hgt, g->rule->id,
		rank_of(r, g));
	for (k = 0, i = ch->len; i-- > 0; k++) {
		double x = 10 + k * (w + gap);

		node(out, x, 10, w, ch->rule[i], msg_of(r, g, ch->rule[i], ch->grp[i]));
		if (i)
			fprintf(out, "<path class=\"edge\" d=\"M%.1f,32 L%.1f,32\" "
				"marker-end=\"url(#arrow%zu)\"/>\n", x + w, x + w + gap - 2, rank_of(r, g));
	}
	for (i = 0; i < g->nevidence; i++) {
		double x = 10 + (double)i * (w + gap);

		fprintf(out, "<path class=\"edge\" stroke-dasharray=\"4 3\" d=\"M%.1f,76 L40,54\"/>\n",
			x + 30);
		node(out, x, 76, w, g->evidence[i].rule, g->evidence[i].rule->title);
	}
	fputs("</svg>\n", out);
}

static void when(FILE *out, int has, int64_t us)
{
	char a[40];

	report_when(a, sizeof a, has, us);
	fputs(a, out);
}

/* Every value kept of each kind, with the rest as "elsewhere". */
static void where_table(FILE *out, const struct triage_group *g)
{
	size_t i;
	int k;

	if (!g->where)
		return;
	fputs("<table class=\"where\"><caption>where it was seen</caption>\n"
	      "<tr><th>kind</th><th>value</th><th>count</th></tr>\n", out);
	for (k = 0; k < WHERE_KINDS; k++) {
		const struct where *w = g->where;

		for (i = 0; i < w->n[k]; i++) {
			fprintf(out, "<tr><td>%s</td><td><code>", where_kind_name(k));
			esc(out, w->top[k][i].value);
			fprintf(out, "</code></td><td class=\"n\">%ld</td></tr>\n", w->top[k][i].n);
		}
		if (w->other[k])
			fprintf(out, "<tr><td>%s</td><td>elsewhere (past the %d kept)</td>"
				"<td class=\"n\">%ld</td></tr>\n", where_kind_name(k), WHERE_MAX,
				w->other[k]);
	}
	fputs("</table>\n", out);
	if (g->gone_after) {
		fputs("<p class=\"gone\">not seen after revision <code>", out);
		esc(out, g->gone_after);
		fputs("</code> started</p>\n", out);
	}
}

static void cause(FILE *out, const struct triage_report *r, size_t rank,
		  const struct triage_group *g)
{
	size_t i, j;

	fprintf(out, "<section class=\"cause%s\" id=\"cause-%zu\" data-rule=\"%s\">\n",
		g->verdict_symptoms ? " root" : "", rank, g->rule->id);
	fprintf(out, "<h2>%zu. <code>%s</code>: ", rank, g->rule->id);
	esc(out, g->message);
	fprintf(out, "</h2>\n<p class=\"meta\">%s, %s; %ld finding%s", g->rule->category,
		rule_level_name(g->rule->level), g->count, g->count == 1 ? "" : "s");
	if (g->verdict_symptoms)
		fprintf(out, "; root cause of %ld symptom%s", g->verdict_symptoms,
			g->verdict_symptoms == 1 ? "" : "s");
	if (g->explained_symptoms)
		fprintf(out, "; a link behind %ld", g->explained_symptoms);
	fputs("; seen ", out);
	when(out, g->has_ts, g->first_us);
	fputs(" to ", out);
	when(out, g->has_ts, g->last_us);
	fputs("</p>\n", out);
	if (g->nchains) {
		fputs("<h3>Chain</h3>\n", out);
		chain_svg(out, r, g);
		if (g->nchains > 1 || g->nevidence) {
			fputs("<ul class=\"chains\">\n", out);
			for (i = 0; i < g->nchains; i++) {
				fputs("<li>", out);
				for (j = 0; j < g->chains[i].len; j++)
					fprintf(out, "%s<code>%s</code>", j ? " &larr; " : "",
						g->chains[i].rule[j]->id);
				fprintf(out, " (%ld)</li>\n", g->chains[i].n);
			}
			for (i = 0; i < g->nevidence; i++)
				fprintf(out, "<li>evidence <code>%s</code> (%ld)</li>\n",
					g->evidence[i].rule->id, g->evidence[i].n);
			fputs("</ul>\n", out);
		}
	}
	if (triage_why_count(g)) {
		fputs("<h3>Why</h3>\n<ol class=\"why\">\n", out);
		for (i = 0; i < triage_why_count(g); i++) {
			fputs("<li>", out);
			esc(out, triage_why_at(g, i));
			fputs("</li>\n", out);
		}
		fputs("</ol>\n", out);
	}
	if (g->fix) {
		fputs("<h3>Fix</h3>\n<p class=\"fix\">", out);
		esc(out, g->fix);
		fputs("</p>\n", out);
	}
	fputs("<h3>Example</h3>\n<p class=\"meta\"><code>", out);
	esc(out, g->ex_source);
	fprintf(out, ":%ld</code></p>\n<pre class=\"example\">", g->ex_line);
	esc_lines(out, g->ex_text);
	fputs("</pre>\n", out);
	if (g->where) {
		fputs("<h3>Where</h3>\n", out);
		where_table(out, g);
	}
	fputs("</section>\n", out);
}

static void suspects(FILE *out, const struct triage_report *r)
{
	struct buf b = BUF_INIT(0);
	size_t i;

	fputs("<section id=\"suspects\"><h2>Suspects</h2>\n<p>No rule knows these; they precede "
	      "the unexplained symptoms.</p>\n<table><tr><th>#</th><th>pattern</th><th>count</th>"
	      "<th>symptoms preceded</th><th>median lead</th><th>lift</th><th>seen</th>"
	      "<th>example</th></tr>\n", out);
	for (i = 0; i < r->nsuspects; i++) {
		const struct suspect *x = &r->suspects[i];

		buf_reset(&b);
		pattern_render(x->pattern, &b);
		fprintf(out, "<tr><td>S%zu</td><td><code>", i + 1);
		esc(out, b.p ? b.p : "");
		fprintf(out, "</code></td><td class=\"n\">%ld</td><td class=\"n\">%ld</td>"
			"<td class=\"n\">%ld ms</td><td class=\"n\">%.1f</td><td>", x->count,
			x->symptoms, x->lead_ms, x->lift);
		when(out, x->has_ts, x->first_us);
		fputs(" to ", out);
		when(out, x->has_ts, x->last_us);
		fputs("</td><td>", out);
		if (x->pattern->nex) {
			fputs("<code>", out);
			esc(out, x->pattern->ex[0].source);
			fprintf(out, ":%ld</code> ", x->pattern->ex[0].line);
			esc(out, x->pattern->ex[0].text);
		}
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n</section>\n", out);
	buf_free(&b);
}

static void summary(FILE *out, const struct triage_report *r)
{
	size_t i;
	int k;

	if (r->nsymptoms) {
		fputs("<section id=\"symptoms\"><h2>Symptoms</h2>\n<table><tr><th>symptom</th>"
		      "<th>count</th><th>explained</th><th>unexplained</th><th>where</th></tr>\n", out);
		for (i = 0; i < r->nsymptoms; i++) {
			const struct triage_group *g = r->symptoms[i];

			fprintf(out, "<tr><td><code>%s</code></td><td class=\"n\">%ld</td>"
				"<td class=\"n\">%ld</td><td class=\"n\">%ld</td><td>", g->rule->id,
				g->count, g->explained, g->unexplained);
			for (k = 0; g->where && k < WHERE_KINDS; k++) {
				size_t j;

				for (j = 0; j < g->where->n[k] && j < REPORT_WHERE_TOP; j++) {
					char v[REPORT_SHORT + 4];

					report_short(g->where->top[k][j].value, v, sizeof v);
					fprintf(out, "%s %s <code>", where_kind_name(k), j ? "," : "");
					esc(out, v);
					fprintf(out, "</code> (%ld)<br>", g->where->top[k][j].n);
				}
			}
			fputs("</td></tr>\n", out);
		}
		fputs("</table>\n", out);
		for (i = 0; i < r->nsymptoms; i++)
			if (r->symptoms[i]->where) {
				fprintf(out, "<h3><code>%s</code></h3>\n", r->symptoms[i]->rule->id);
				where_table(out, r->symptoms[i]);
			}
		fputs("</section>\n", out);
	}
	if (!r->ncauses)
		return;
	fputs("<section id=\"causes\"><h2>Causes</h2>\n<table><tr><th>#</th><th>cause</th>"
	      "<th>category</th><th>severity</th><th>count</th><th>root of</th><th>a link behind</th>"
	      "<th>first seen</th><th>last seen</th></tr>\n", out);
	for (i = 0; i < r->ncauses; i++) {
		const struct triage_group *g = r->causes[i];

		fprintf(out, "<tr><td class=\"n\">%zu</td><td><a href=\"#cause-%zu\"><code>%s</code></a>"
			"</td><td>%s</td><td>%s</td><td class=\"n\">%ld</td><td class=\"n\">%ld</td>"
			"<td class=\"n\">%ld</td><td class=\"t\">", i + 1, i + 1, g->rule->id, g->rule->category,
			rule_level_name(g->rule->level), g->count, g->verdict_symptoms, g->explained_symptoms);
		when(out, g->has_ts, g->first_us);
		fputs("</td><td class=\"t\">", out);
		when(out, g->has_ts, g->last_us);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n</section>\n", out);
}

int report_html(FILE *out, const struct triage_report *r)
{
	char span[128];
	size_t i;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>logwhy triage", out);
	if (r->verdict)
		fprintf(out, ": %s", r->verdict->rule->id);
	fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n<h1>logwhy triage</h1>\n",
		css);
	if (r->verdict) {
		fprintf(out, "<section id=\"verdict\" class=\"verdict\"><strong>Verdict</strong>\n"
			"<p><code>%s</code> (%s): ", r->verdict->rule->id, r->verdict->rule->category);
		esc(out, r->verdict->message);
		fputs("</p>\n", out);
		if (r->verdict->fix) {
			fputs("<p class=\"meta\">fix: ", out);
			esc(out, r->verdict->fix);
			fputs("</p>\n", out);
		}
		fputs("</section>\n", out);
	} else {
		fprintf(out, "<section id=\"verdict\" class=\"verdict none\"><strong>Verdict</strong>\n"
			"<p>none: %s</p></section>\n",
			r->ncauses ? "no cause explains the symptoms" : "no known cause found");
	}
	fprintf(out, "<p class=\"meta\">%ld record%s", r->records, r->records == 1 ? "" : "s");
	report_span(r, " to ", span, sizeof span);
	if (span[0])
		fprintf(out, ", %s", span);
	fputs(".</p>\n</header>\n", out);
	timeline(out, r);
	summary(out, r);
	for (i = 0; i < r->ncauses; i++)
		cause(out, r, i + 1, r->causes[i]);
	if (r->nsuspects)
		suspects(out, r);
	if (r->nwarnings) {
		fputs("<section id=\"warnings\"><h2>Warnings</h2>\n<ul>\n", out);
		for (i = 0; i < r->nwarnings; i++) {
			fputs("<li>", out);
			esc(out, r->warnings[i]);
			fputs("</li>\n", out);
		}
		fputs("</ul>\n</section>\n", out);
	}
	fputs("</body>\n</html>\n", out);
	return 0;
}
