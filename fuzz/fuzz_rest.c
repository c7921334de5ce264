/*
 * framer_rest's promise, which lets threads share one input
 * (src/event/stream.c cuts a file where a framer is at rest): wherever a
 * framer says it is at rest at an offset, a framer opened with mid_input
 * at that offset (the same format, the bytes from there on) frames the
 * rest exactly as the first one goes on to: the same records (kind, text,
 * flags, lines counted from the offset's line) and the same warnings.
 *
 * Selector byte: bits 0-1 the format (auto, json, docker, text), bit 2 a
 * 512-byte record limit.
 */
#include "fuzz.h"

#include "read/frame.h"
#include "read/source.h"

#define MAX_RECS 4096
#define MAX_CHECKS 8

struct rec {
	long line;
	int kind, truncated, joined, incomplete;
	size_t len, cut;
	char *text;
};

struct got {
	struct rec r[MAX_RECS];
	size_t n;
	char *warns;   /* every warning, its line shifted, one per line */
	size_t nwarns, cap;
	long shift;    /* lines to add to make this framer's lines the input's */
	size_t wat[MAX_RECS + 1];   /* bytes of warnings once record i was framed */
};

static void add_warn(void *ctx, const struct diag *d)
{
	struct got *g = ctx;
	char line[1400];
	struct diag c = *d;
	size_t n;

	if (c.line > 0)
		c.line += g->shift;
	snprintf(c.file, sizeof c.file, "fuzz");
	diag_format(&c, line, sizeof line);
	n = strlen(line);
	if (g->nwarns + n + 2 > g->cap) {
		size_t cap = (g->cap + n + 2) * 2;
		char *p = realloc(g->warns, cap);

		if (!p)
			abort();
		g->warns = p;
		g->cap = cap;
	}
	memcpy(g->warns + g->nwarns, line, n);
	g->nwarns += n;
	g->warns[g->nwarns++] = '\n';
	g->warns[g->nwarns] = '\0';
}

static void got_free(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		free(g->r[i].text);
	free(g->warns);
}

/* Frame data[0..size) to the end into g; with rests, note after each
 * record where the framer is at rest (offset, line; -1 not at rest). */
static enum input_format frame(const char *data, size_t size, const struct framer_opts *base,
			       int mid, struct got *g, long long *rest_off, long *rest_line)
{
	struct warn_sink w = { add_warn, g };
	struct framer_opts fo = *base;
	struct source *src = source_open_mem("fuzz", data, size, NULL);
	struct framer *f;
	const struct record *rec;
	struct diag d = { 0 };
	enum input_format fmt;
	int rc;

	fo.warn = &w;
	fo.mid_input = mid;
	FUZZ_ASSERT(src != NULL);
	f = framer_open(src, &fo);
	FUZZ_ASSERT(f != NULL);
	while ((rc = framer_next(f, &rec, &d)) == 1 && g->n < MAX_RECS) {
		struct rec *r = &g->r[g->n];

		g->wat[g->n] = g->nwarns;   /* the warnings of the call that framed it too */
		r->line = rec->line + g->shift;
		r->kind = rec->kind;
		r->truncated = rec->truncated;
		r->joined = rec->joined;
		r->incomplete = rec->incomplete;
		r->len = rec->len;
		r->cut = rec->cut;
		r->text = malloc(rec->len + 1);
		FUZZ_ASSERT(r->text != NULL);
		memcpy(r->text, rec->text, rec->len + 1);
		if (rest_off && !framer_rest(f, &rest_off[g->n], &rest_line[g->n]))
			rest_off[g->n] = -1;
		g->n++;
	}
	g->wat[g->n] = g->nwarns;
	fmt = framer_format(f);
	framer_close(f);
	return fmt;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum input_format fmts[4] = { INPUT_AUTO, INPUT_JSON, INPUT_DOCKER, INPUT_TEXT };
	static struct got whole, part;
	static long long off[MAX_RECS];
	static long line[MAX_RECS];
	unsigned char sel = fuzz_selector(&data, &size);
	struct framer_opts fo = { 0 };
	const char *text = (const char *)data;
	enum input_format fmt;
	size_t i, k, checks = 0;

	/* offsets are the bytes' own: gzip is never cut (the reader inflates it) */
	if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
		return 0;
	fo.format = fmts[sel & 3];
	fo.max_record = sel & 4 ? 512 : 0;
	memset(&whole, 0, sizeof whole);
	fmt = frame(text, size, &fo, 0, &whole, off, line);
	if (whole.n == MAX_RECS) {
		got_free(&whole);
		return 0;   /* the tail would not be compared in full */
	}
	/* a framer at rest is one that frames JSON */
	for (i = 0; i < whole.n; i++)
		FUZZ_ASSERT(off[i] < 0 || input_format_json_framed(fmt));
	fo.format = fmt;
	for (i = 0; i + 1 < whole.n && checks < MAX_CHECKS; i++) {
		if (off[i] < 0)
			continue;
		FUZZ_ASSERT(off[i] > 0 && (size_t)off[i] <= size);
		FUZZ_ASSERT(line[i] >= whole.r[i].line);
		checks++;
		memset(&part, 0, sizeof part);
		part.shift = line[i] - 1;
		frame(text + off[i], size - (size_t)off[i], &fo, 1, &part, NULL, NULL);
		/* the same records as the whole framer gives after record i */
		FUZZ_ASSERT(part.n == whole.n - i - 1);
		for (k = 0; k < part.n; k++) {
			const struct rec *a = &whole.r[i + 1 + k], *b = &part.r[k];

			FUZZ_ASSERT(a->line == b->line && a->kind == b->kind && a->len == b->len &&
				    a->truncated == b->truncated && a->joined == b->joined &&
				    a->incomplete == b->incomplete && a->cut == b->cut);
			FUZZ_ASSERT(!memcmp(a->text, b->text, a->len));
		}
		/* and the same warnings, from where record i ended */
		FUZZ_ASSERT(whole.nwarns - whole.wat[i] == part.nwarns);
		FUZZ_ASSERT(!part.nwarns ||
			    !memcmp(whole.warns + whole.wat[i], part.warns, part.nwarns));
		got_free(&part);
	}
	got_free(&whole);
	return 0;
}
