#include <stdlib.h>
#include <string.h>

#include "emit/report.h"
#include "util/buf.h"
#include "util/term.h"
#include "util/timefmt.h"

/* Markdown-inline text: escaped for the terminal's sake first (no raw
 * control bytes), then for Markdown's special characters. */
static void md_inline(FILE *out, const char *s)
{
	struct buf b = BUF_INIT(0);
	size_t i;

	term_escape(&b, s, strlen(s));
	for (i = 0; i < b.len; i++) {
		if (strchr("\\`*_{}[]<>#|!", b.p[i]))
			fputc('\\', out);
		fputc(b.p[i], out);
	}
	buf_free(&b);
}

/* Text inside a code span: only control bytes are escaped, a backtick
 * becomes a quote so the span cannot close early, and in a table cell a
 * pipe is escaped (GFM reads it before the span). */
static int md_in_table;

static void md_code_n(FILE *out, const char *s, size_t n)
{
	struct buf b = BUF_INIT(0);
	size_t i;

	term_escape(&b, s, n);
	for (i = 0; i < b.len; i++) {
		if (b.p[i] == '|' && md_in_table)
			fputc('\\', out);
		fputc(b.p[i] == '`' ? '\'' : b.p[i], out);
	}
	buf_free(&b);
}

static void md_code(FILE *out, const char *s)
{
	md_code_n(out, s, strlen(s));
}

/* A mermaid node label: quotes and angle brackets become entities. */
static void mm_label(FILE *out, const char *s, size_t max)
{
	struct buf b = BUF_INIT(0);
	size_t i;

	term_escape(&b, s, strlen(s));
	for (i = 0; i < b.len && i < max; i++) {
		char ch = b.p[i];

		if (ch == '"')
			fputs("#quot;", out);
		else if (ch == '<')
			fputs("#lt;", out);
		else if (ch == '>')
			fputs("#gt;", out);
		else
			fputc(ch, out);
	}
	if (b.len > max)
		fputs("...", out);
	buf_free(&b);
}

static const char *title_of(const struct triage_report *r, const struct rule_desc *rule,
			    const struct triage_group *self)
{
	size_t i;

	if (self->rule == rule)
		return self->message;
	for (i = 0; i < r->ncauses; i++)
		if (r->causes[i]->rule == rule)
			return r->causes[i]->message;
	return rule->title;
}

/* The chain in causal order, deepest first, as incident write-ups draw
 * it: each node labelled where it first appears. */
static void mermaid(FILE *out, const struct triage_report *r, const struct triage_group *g,
		    const struct triage_chain *ch)
{
	size_t i, k = 0;

	fputs("```mermaid\ngraph TD\n", out);
	for (i = ch->len; i-- > 0; k++) {
		if (!k)
			continue;
		if (k == 1) {
			fprintf(out, "    N0[\"%s<br/>", ch->rule[ch->len - 1]->id);
			mm_label(out, title_of(r, ch->rule[ch->len - 1], g), 120);
			fputs("\"]", out);
		} else {
			fprintf(out, "    N%zu", k - 1);
		}
		fprintf(out, " --> N%zu[\"%s<br/>", k, ch->rule[i]->id);
		mm_label(out, title_of(r, ch->rule[i], g), 120);
		fputs("\"]\n", out);
	}
	for (i = 0; i < g->nevidence; i++) {
		fprintf(out, "    E%zu[\"%s<br/>", i, g->evidence[i].rule->id);
		mm_label(out, g->evidence[i].rule->title, 120);
		fprintf(out, "\"] -. evidence .-> N0\n");
	}
	fputs("```\n", out);
}

/* A fenced block longer than any backtick run inside, so log text cannot
 * close it early; each line escaped on its own so the lines stay lines. */
static void fenced(FILE *out, const char *text)
{
	size_t run = 0, longest = 0, i, fence;
	const char *p = text, *nl;

	for (i = 0; text[i]; i++) {
		if (text[i] == '`') {
			if (++run > longest)
				longest = run;
		} else {
			run = 0;
		}
	}
	fence = longest >= 3 ? longest + 1 : 3;
	for (i = 0; i < fence; i++)
		fputc('`', out);
	fputs("text\n", out);
	do {
		nl = strchr(p, '\n');
		term_put(out, p, nl ? (size_t)(nl - p) : strlen(p));
		fputc('\n', out);
		p = nl ? nl + 1 : NULL;
	} while (p);
	for (i = 0; i < fence; i++)
		fputc('`', out);
	fputc('\n', out);
}


/* The top few values of each kind: "revision `x` (3); instance `y` (3)". */
static void where(FILE *out, const struct triage_group *g)
{
	char v[REPORT_SHORT + 4];
	const char *sep = "";
	size_t i;
	int k;

	for (k = 0; g->where && k < WHERE_KINDS; k++) {
		const struct where *w = g->where;
		long more = w->other[k];

		if (!w->n[k] && !more)
			continue;
		fprintf(out, "%s%s", sep, where_kind_name(k));
		sep = "; ";
		for (i = 0; i < w->n[k]; i++) {
			if (i >= REPORT_WHERE_TOP) {
				more += w->top[k][i].n;
				continue;
			}
			report_short(w->top[k][i].value, v, sizeof v);
			fputs(i ? ", `" : " `", out);
			md_code(out, v);
			fprintf(out, "` (%ld)", w->top[k][i].n);
		}
		if (more)
			fprintf(out, "%s%ld more elsewhere", w->n[k] ? ", " : " ", more);
	}
	if (g->gone_after) {
		fprintf(out, "%snot seen after revision `", sep);
		md_code(out, g->gone_after);
		fputs("` started", out);
	}
}

static void example(FILE *out, const struct triage_group *g)
{
	fputs("\n**Example** (`", out);
	md_code(out, g->ex_source);
	fprintf(out, ":%ld`)\n", g->ex_line);
	fenced(out, g->ex_text);
}

/*
 * A cause a verdict's chain passes through is folded into the verdict's
 * section: its why lines are already in the verdict's why-chain, so it
 * keeps one line for its message, fix and example. The causes table has
 * its counts and times.
 */
static void link(FILE *out, const struct triage_report *r, const struct triage_group *l)
{
	const char *nl = strchr(l->ex_text, '\n');
	size_t rank;

	for (rank = 0; rank < r->ncauses && r->causes[rank] != l; rank++)
		;
	fprintf(out, "- %zu. `%s`: ", rank + 1, l->rule->id);
	md_inline(out, l->message);
	if (r->has_span && r->last_us > r->first_us) {
		char spark[3 * TRIAGE_BUCKETS + 1];

		report_sparkline(r, l->hist, spark);
		fprintf(out, "; **timeline** `|%s|`", spark);
	}
	if (l->fix) {
		fputs("; **fix:** ", out);
		md_inline(out, l->fix);
	}
	fputs("; **example** (`", out);
	md_code(out, l->ex_source);
	fprintf(out, ":%ld`): `", l->ex_line);
	md_code_n(out, l->ex_text, nl ? (size_t)(nl - l->ex_text) : strlen(l->ex_text));
	fputs("`\n", out);
}

static void cause(FILE *out, const struct triage_report *r, size_t rank,
		  const struct triage_group *g, const struct triage_group *const *links,
		  size_t nlinks)
{
	char spark[3 * TRIAGE_BUCKETS + 1], axis[128];
	size_t i;

	fprintf(out, "\n## %zu. `%s`: ", rank, g->rule->id);
	md_inline(out, g->message);
	fputc('\n', out);
	if (r->has_span && r->last_us > r->first_us) {
		report_sparkline(r, g->hist, spark);
		report_axis(r, axis, sizeof axis);
		fprintf(out, "- **timeline** (%s): `|%s|` this cause", axis, spark);
		if (g->explained_symptoms) {
			report_sparkline(r, g->shist, spark);
			fprintf(out, ", `|%s|` symptoms it explains", spark);
		}
		fputc('\n', out);
	}
	if (g->where) {
		fputs("- **where:** ", out);
		where(out, g);
		fputc('\n', out);
	}
	for (i = 0; i < g->nchains && i < 1; i++)
		mermaid(out, r, g, &g->chains[i]);
	if (triage_why_count(g)) {
		fputs("\n**Why**\n", out);
		for (i = 0; i < triage_why_count(g); i++) {
			fprintf(out, "%zu. ", i + 1);
			md_inline(out, triage_why_at(g, i));
			fputc('\n', out);
		}
	}
	if (g->fix) {
		fputs("\n**Fix:** ", out);
		md_inline(out, g->fix);
		fputc('\n', out);
	}
	example(out, g);
	if (nlinks) {
		fputs("\n**Links in its chain**\n", out);
		for (i = 0; i < nlinks; i++)
			link(out, r, links[i]);
	}
}

/* The causes of g's chains that are no verdict of their own, each once
 * over the report (folded[] marks them). */
static size_t links_of(const struct triage_report *r, const struct triage_group *g,
		       unsigned char *folded, const struct triage_group **out)
{
	size_t i, j, k, n = 0;

	for (i = 0; i < g->nchains; i++)
		for (j = 1; j + 1 < g->chains[i].len; j++) {
			const struct triage_group *l = g->chains[i].grp[j];

			if (!l || l->rule->role != ROLE_CAUSE || l->verdict_symptoms || l == g)
				continue;
			for (k = 0; k < r->ncauses && r->causes[k] != l; k++)
				;
			if (k == r->ncauses || folded[k])
				continue;
			folded[k] = 1;
			out[n++] = l;
		}
	return n;
}

static void suspects(FILE *out, const struct triage_report *r)
{
	struct buf b = BUF_INIT(0);
	char a[40], z[40];
	size_t i;

	fputs("\n## Suspects\n\nNo rule knows these; they precede the unexplained symptoms.\n\n"
	      "| # | pattern | count | symptoms preceded | median lead | lift | seen | example |\n"
	      "|---|---|---:|---:|---:|---:|---|---|\n", out);
	for (i = 0; i < r->nsuspects; i++) {
		const struct suspect *x = &r->suspects[i];

		buf_reset(&b);
		pattern_render(x->pattern, &b);
		report_when(a, sizeof a, x->has_ts, x->first_us);
		report_when(z, sizeof z, x->has_ts, x->last_us);
		fprintf(out, "| S%zu `%s` | ", i + 1, x->pattern->id);
		md_inline(out, b.p);
		fprintf(out, " | %ld | %ld | %ld ms | %.1f | %s to %s | ", x->count, x->symptoms,
			x->lead_ms, x->lift, a, z);
		if (x->pattern->nex) {
			md_inline(out, x->pattern->ex[0].source);
			fprintf(out, ":%ld: ", x->pattern->ex[0].line);
			md_inline(out, x->pattern->ex[0].text);
		}
		fputs(" |\n", out);
	}
	buf_free(&b);
}

int report_markdown(FILE *out, const struct triage_report *r)
{
	char span[128], a[512], b[512];
	unsigned char *folded = calloc(r->ncauses ? r->ncauses : 1, 1);
	const struct triage_group **links = calloc(r->ncauses ? r->ncauses : 1, sizeof *links);
	size_t i, n;

	if (!folded || !links) {
		free(folded);
		free(links);
		return -1;
	}
	fputs("# logwhy triage\n\n", out);
	if (r->verdict) {
		fprintf(out, "**Verdict:** `%s` (%s): ", r->verdict->rule->id, r->verdict->rule->category);
		md_inline(out, r->verdict->message);
		fputs("\n\n", out);
	} else {
		fputs("**Verdict:** none: no cause explains the symptoms\n\n", out);
	}
	fprintf(out, "%ld records", r->records);
	report_span(r, " to ", span, sizeof span);
	if (span[0])
		fprintf(out, ", %s", span);
	fputs(".\n", out);
	if (r->nsymptoms) {
		fputs("\n| symptom | count | explained | unexplained | where |\n|---|---:|---:|---:|---|\n", out);
		for (i = 0; i < r->nsymptoms; i++) {
			fprintf(out, "| `%s` | %ld | %ld | %ld | ", r->symptoms[i]->rule->id,
				r->symptoms[i]->count, r->symptoms[i]->explained,
				r->symptoms[i]->unexplained);
			md_in_table = 1;
			where(out, r->symptoms[i]);
			md_in_table = 0;
			fputs(" |\n", out);
		}
	}
	if (r->ncauses)
		fputs("\n| # | cause | category | severity | count | root of | a link behind | first seen | last seen |\n"
		      "|---:|---|---|---|---:|---:|---:|---|---|\n", out);
	for (i = 0; i < r->ncauses; i++) {
		const struct triage_group *g = r->causes[i];

		report_seen(a, sizeof a, r, g, 0);
		report_seen(b, sizeof b, r, g, 1);
		fprintf(out, "| %zu | `%s` | %s | %s | %ld | %ld | %ld | ", i + 1, g->rule->id,
			g->rule->category, rule_level_name(g->rule->level), g->count, g->verdict_symptoms,
			g->explained_symptoms);
		md_inline(out, a);
		fputs(" | ", out);
		md_inline(out, b);
		fputs(" |\n", out);
	}
	/* the verdicts first mark the links they fold */
	for (i = 0; i < r->ncauses; i++)
		if (r->causes[i]->verdict_symptoms)
			folded[i] |= 2;
	for (i = 0; i < r->ncauses; i++) {
		const struct triage_group *g = r->causes[i];

		if (folded[i] & 1)
			continue;
		n = g->verdict_symptoms ? links_of(r, g, folded, links) : 0;
		cause(out, r, i + 1, g, links, n);
	}
	if (r->nsuspects)
		suspects(out, r);
	if (r->nwarnings) {
		fputs("\n## Warnings\n\n", out);
		for (i = 0; i < r->nwarnings; i++) {
			fputs("- ", out);
			md_inline(out, r->warnings[i]);
			fputc('\n', out);
		}
	}
	free(folded);
	free(links);
	return 0;
}
