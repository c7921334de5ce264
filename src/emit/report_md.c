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

static const char *title_of(const struct triage_report *r, const struct rule *rule,
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

/* The chain in causal order, deepest first, as incident write-ups draw it. */
static void mermaid(FILE *out, const struct triage_report *r, const struct triage_group *g,
		    const struct triage_chain *ch)
{
	size_t i, k = 0;

	fputs("\n```mermaid\ngraph TD\n", out);
	for (i = ch->len; i-- > 0;) {
		fprintf(out, "    N%zu[\"%s<br/>", k, ch->rule[i]->id);
		mm_label(out, title_of(r, ch->rule[i], g), 120);
		fputs("\"]\n", out);
		if (k)
			fprintf(out, "    N%zu --> N%zu\n", k - 1, k);
		k++;
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


static void cause(FILE *out, const struct triage_report *r, size_t rank,
		  const struct triage_group *g)
{
	char a[512], b[512], spark[3 * TRIAGE_BUCKETS + 1];
	size_t i;

	fprintf(out, "\n## %zu. `%s`: ", rank, g->rule->id);
	md_inline(out, g->message);
	fprintf(out, "\n\n- **category:** %s, **severity:** %s\n", g->rule->category,
		rule_level_name(g->rule->level));
	fprintf(out, "- **count:** %ld, root cause of %ld symptom%s, a link behind %ld\n", g->count,
		g->verdict_symptoms, g->verdict_symptoms == 1 ? "" : "s", g->explained_symptoms);
	report_seen(a, sizeof a, r, g, 0);
	report_seen(b, sizeof b, r, g, 1);
	fputs("- **first seen:** ", out);
	md_inline(out, a);
	fputs(", **last seen:** ", out);
	md_inline(out, b);
	fputc('\n', out);
	if (r->has_span && r->last_us > r->first_us) {
		report_sparkline(g->hist, spark);
		fprintf(out, "- **timeline:** `|%s|` this cause", spark);
		if (g->explained_symptoms) {
			report_sparkline(g->shist, spark);
			fprintf(out, ", `|%s|` symptoms it explains", spark);
		}
		fputc('\n', out);
	}
	for (i = 0; i < g->nchains && i < 1; i++)
		mermaid(out, r, g, &g->chains[i]);
	if (triage_why_count(g)) {
		fputs("\n**Why**\n\n", out);
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
	fputs("\n**Example** (`", out);
	md_inline(out, g->ex_source);
	fprintf(out, ":%ld`)\n\n", g->ex_line);
	fenced(out, g->ex_text);
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
	char span[128];
	size_t i;

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
		fputs("\n| symptom | count | explained | unexplained |\n|---|---:|---:|---:|\n", out);
		for (i = 0; i < r->nsymptoms; i++)
			fprintf(out, "| `%s` | %ld | %ld | %ld |\n", r->symptoms[i]->rule->id,
				r->symptoms[i]->count, r->symptoms[i]->explained,
				r->symptoms[i]->unexplained);
	}
	for (i = 0; i < r->ncauses; i++)
		cause(out, r, i + 1, r->causes[i]);
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
	return 0;
}
