#include <string.h>

#include "emit/report.h"
#include "util/buf.h"
#include "util/term.h"
#include "util/timefmt.h"

struct tctx {
	FILE *out;
	int color;
};

static void paint(struct tctx *c, const char *sgr, const char *s)
{
	if (c->color)
		fprintf(c->out, "\033[%sm", sgr);
	fputs(s, c->out);
	if (c->color)
		fputs("\033[0m", c->out);
}

/* log-derived or rule-rendered text: never raw */
static void safe(struct tctx *c, const char *s)
{
	term_put(c->out, s, strlen(s));
}


/* The example record: all of it up to 10 lines, else its first 3 and last
 * 6 lines, since a traceback's last lines say what went wrong. */
static void example(struct tctx *c, const struct triage_group *g)
{
	const char *starts[2048];
	size_t n = 0, i;
	const char *p = g->ex_text;

	fprintf(c->out, "   example   ");
	safe(c, g->ex_source);
	fprintf(c->out, ":%ld\n", g->ex_line);
	for (;;) {
		if (n < sizeof starts / sizeof *starts)
			starts[n++] = p;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	for (i = 0; i < n; i++) {
		const char *end;

		if (n > 10 && i == 3) {
			fprintf(c->out, "             ... (%zu lines)\n", n - 9);
			i = n - 6;
		}
		end = strchr(starts[i], '\n');
		fputs("             ", c->out);
		term_put(c->out, starts[i], end ? (size_t)(end - starts[i]) : strlen(starts[i]));
		fputc('\n', c->out);
	}
}

/* The top few revisions, services and instances, one kind a line. */
static void where(struct tctx *c, const char *lead, const struct triage_group *g)
{
	char v[REPORT_SHORT + 4];
	size_t i;
	int k, first = 1;

	if (!g->where)
		return;
	for (k = 0; k < WHERE_KINDS; k++) {
		const struct where *w = g->where;
		long more = w->other[k];

		if (!w->n[k] && !more)
			continue;
		fputs(first ? lead : "             ", c->out);
		fprintf(c->out, "%-9s", where_kind_name(k));
		first = 0;
		for (i = 0; i < w->n[k]; i++) {
			if (i >= REPORT_WHERE_TOP) {
				more += w->top[k][i].n;
				continue;
			}
			report_short(w->top[k][i].value, v, sizeof v);
			fputs(i ? ", " : " ", c->out);
			safe(c, v);
			fprintf(c->out, " (%ld)", w->top[k][i].n);
		}
		if (more)
			fprintf(c->out, "%s%ld more elsewhere", w->n[k] ? ", " : " ", more);
		fputc('\n', c->out);
	}
	if (g->gone_after) {
		fputs("             not seen after revision ", c->out);
		safe(c, g->gone_after);
		fputs(" started\n", c->out);
	}
}

static void cause(struct tctx *c, size_t rank, const struct triage_group *g,
		  const struct triage_report *r)
{
	char a[512], b[512], spark[3 * TRIAGE_BUCKETS + 1];
	size_t i, j;

	fprintf(c->out, "\n%zu. ", rank);
	paint(c, "1;36", g->rule->id);
	fprintf(c->out, "  [%s, %s]  x%ld", g->rule->category, rule_level_name(g->rule->level), g->count);
	if (g->verdict_symptoms)
		fprintf(c->out, ", root cause of %ld symptom%s", g->verdict_symptoms,
			g->verdict_symptoms == 1 ? "" : "s");
	else if (g->explained_symptoms)
		fprintf(c->out, ", a link behind %ld symptom%s", g->explained_symptoms,
			g->explained_symptoms == 1 ? "" : "s");
	fputs("\n   ", c->out);
	safe(c, g->message);
	fputc('\n', c->out);
	report_seen(a, sizeof a, r, g, 0);
	report_seen(b, sizeof b, r, g, 1);
	fputs("   seen      ", c->out);
	safe(c, a);
	fputs(" .. ", c->out);
	safe(c, b);
	fputc('\n', c->out);
	if (r->has_span && r->last_us > r->first_us) {
		char axis[128];

		report_sparkline(r, g->hist, spark);
		fprintf(c->out, "   timeline  |%s| this cause\n", spark);
		if (g->explained_symptoms) {
			report_sparkline(r, g->shist, spark);
			fprintf(c->out, "             |%s| symptoms it explains\n", spark);
		}
		report_axis(r, axis, sizeof axis);
		fprintf(c->out, "             %s\n", axis);
	}
	where(c, "   where     ", g);
	for (i = 0; i < g->nchains; i++) {
		fputs(i ? "             " : "   chain     ", c->out);
		for (j = 0; j < g->chains[i].len; j++) {
			if (j)
				fputs(" <- ", c->out);
			fputs(g->chains[i].rule[j]->id, c->out);
		}
		fprintf(c->out, "  (%ld)\n", g->chains[i].n);
	}
	for (i = 0; i < g->nevidence; i++)
		fprintf(c->out, "%s%s (%ld)\n", i ? "             " : "   evidence  ",
			g->evidence[i].rule->id, g->evidence[i].n);
	if (triage_why_count(g)) {
		fputs("   why\n", c->out);
		for (i = 0; i < triage_why_count(g); i++) {
			fprintf(c->out, "     %zu. ", i + 1);
			safe(c, triage_why_at(g, i));
			fputc('\n', c->out);
		}
	}
	if (g->fix) {
		fputs("   fix       ", c->out);
		safe(c, g->fix);
		fputc('\n', c->out);
	}
	example(c, g);
}

static void suspects(struct tctx *c, const struct triage_report *r)
{
	static const char *const by[SUSPECT_NLINKS] = { "connection", "trace", "instance", "time" };
	struct buf b = BUF_INIT(0);
	char a[40], z[40];
	size_t i, k;

	fputs("\nsuspects: no rule knows these; they precede the unexplained symptoms\n", c->out);
	for (i = 0; i < r->nsuspects; i++) {
		const struct suspect *x = &r->suspects[i];
		const char *sep = "";

		buf_reset(&b);
		pattern_render(x->pattern, &b);
		fprintf(c->out, "\nS%zu. ", i + 1);
		paint(c, "1;33", x->pattern->id);
		fprintf(c->out, "  x%ld, before %ld unexplained symptom%s, median lead %ldms, lift %.1f\n   ",
			x->count, x->symptoms, x->symptoms == 1 ? "" : "s", x->lead_ms, x->lift);
		term_put(c->out, b.p, b.len);
		fputs("\n   linked    ", c->out);
		for (k = 0; k < SUSPECT_NLINKS; k++)
			if (x->linked[k]) {
				fprintf(c->out, "%sby %s %ld", sep, by[k], x->linked[k]);
				sep = ", ";
			}
		fputs("\n   precedes  ", c->out);
		for (k = 0; k < x->nexplains; k++)
			fprintf(c->out, "%s%s (%ld)", k ? ", " : "", x->explains[k]->id, x->nexplained[k]);
		report_when(a, sizeof a, x->has_ts, x->first_us);
		report_when(z, sizeof z, x->has_ts, x->last_us);
		fprintf(c->out, "\n   seen      %s .. %s\n", a, z);
		if (x->pattern->nex) {
			fputs("   example   ", c->out);
			safe(c, x->pattern->ex[0].source);
			fprintf(c->out, ":%ld: ", x->pattern->ex[0].line);
			safe(c, x->pattern->ex[0].text);
			fputc('\n', c->out);
		}
	}
	buf_free(&b);
}

int report_text(FILE *out, const struct triage_report *r, const struct report_opts *o)
{
	struct tctx c = { out, o && o->color };
	char span[128];
	size_t i;

	fprintf(out, "logwhy triage: %ld record%s", r->records, r->records == 1 ? "" : "s");
	report_span(r, " .. ", span, sizeof span);
	if (span[0])
		fprintf(out, ", %s", span);
	fputc('\n', out);
	fputs("verdict: ", out);
	if (r->verdict) {
		paint(&c, "1;31", r->verdict->rule->id);
		fputs(": ", out);
		safe(&c, r->verdict->message);
		fputc('\n', out);
	} else {
		fputs(r->ncauses ? "none: no cause explains the symptoms\n" : "none: no known cause found\n", out);
	}
	if (r->nsymptoms) {
		fputs("\nsymptoms\n", out);
		for (i = 0; i < r->nsymptoms; i++) {
			const struct triage_group *g = r->symptoms[i];

			fprintf(out, "   %-28s x%ld  (%ld explained, %ld unexplained", g->rule->id,
				g->count, g->explained, g->unexplained);
			if (g->matched)
				fprintf(out, "; %ld with no time matched by code and reason", g->matched);
			if (g->ordered)
				fprintf(out, "; %ld with no time matched by record order", g->ordered);
			fputs(")\n", out);
			where(&c, "      where  ", g);
		}
	}
	for (i = 0; i < r->ncauses; i++)
		cause(&c, i + 1, r->causes[i], r);
	if (r->nsuspects)
		suspects(&c, r);
	if (r->nwarnings) {
		fprintf(out, "\n%zu warning%s (see stderr)\n", r->nwarnings, r->nwarnings == 1 ? "" : "s");
	}
	return 0;
}
