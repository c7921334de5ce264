#include "emit/report.h"

#include <errno.h>
#include <string.h>

#include "util/timefmt.h"

int report_format_parse(const char *s)
{
	if (!strcmp(s, "text"))
		return REPORT_TEXT;
	if (!strcmp(s, "json"))
		return REPORT_JSON;
	if (!strcmp(s, "markdown") || !strcmp(s, "md"))
		return REPORT_MARKDOWN;
	return -1;
}

void report_sparkline(const long *hist, char *out)
{
	long max = 0;
	size_t i, k = 0;

	for (i = 0; i < TRIAGE_BUCKETS; i++)
		if (hist[i] > max)
			max = hist[i];
	for (i = 0; i < TRIAGE_BUCKETS; i++) {
		if (!hist[i]) {
			out[k++] = ' ';
			continue;
		}
		/* U+2581 + level: e2 96 81..88 */
		out[k++] = (char)0xe2;
		out[k++] = (char)0x96;
		out[k++] = (char)(0x81 + (max > 1 ? (hist[i] * 7 + max - 1) / max : 7));
	}
	out[k] = '\0';
}

int report_write(enum report_format f, FILE *out, const struct triage_report *r,
		 const struct report_opts *o)
{
	int rc;

	switch (f) {
	case REPORT_JSON:
		rc = report_json(out, r);
		break;
	case REPORT_MARKDOWN:
		rc = report_markdown(out, r);
		break;
	default:
		rc = report_text(out, r, o);
		break;
	}
	if (fflush(out) != 0 || ferror(out)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return rc;
}

void report_when(char *out, size_t n, int has, int64_t us)
{
	if (!has || timefmt_rfc3339(us, out, n) < 0)
		snprintf(out, n, "-");
}

void report_seen(char *out, size_t n, const struct triage_report *r,
		 const struct triage_group *g, int last)
{
	unsigned in = last ? g->last_input : g->first_input;

	if (g->has_ts || !g->has_pos || in >= r->ninputs || !r->inputs[in]) {
		report_when(out, n, g->has_ts, last ? g->last_us : g->first_us);
		return;
	}
	snprintf(out, n, "%s:%ld", r->inputs[in], last ? g->last_line : g->first_line);
}

void report_span(const struct triage_report *r, const char *sep, char *out, size_t n)
{
	char a[40], b[40], len[32];

	if (!r->has_span) {
		if (n)
			out[0] = '\0';
		return;
	}
	report_when(a, sizeof a, 1, r->first_us);
	report_when(b, sizeof b, 1, r->last_us);
	timefmt_span(r->last_us - r->first_us, len, sizeof len);
	snprintf(out, n, "%s%s%s (%s)", a, sep, b, len);
}
