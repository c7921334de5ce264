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
	if (!strcmp(s, "html"))
		return REPORT_HTML;
	return -1;
}

void report_sparkline(const struct triage_report *r, const long *hist, char *out)
{
	long max = 0;
	int i, n = r->nbuckets;
	size_t k = 0;

	for (i = 0; i < n; i++)
		if (hist[i] > max)
			max = hist[i];
	for (i = 0; i < n; i++) {
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

void report_width(int64_t us, char *out, size_t n)
{
	int64_t ms = us / 1000;

	if (ms < 1000)
		snprintf(out, n, "%lldms", (long long)ms);
	else if (ms < 60000)
		snprintf(out, n, "%llds", (long long)(ms / 1000));
	else if (ms < 3600000)
		snprintf(out, n, "%lldm", (long long)(ms / 60000));
	else if (ms < 86400000)
		snprintf(out, n, "%lldh", (long long)(ms / 3600000));
	else
		snprintf(out, n, "%lldd", (long long)(ms / 86400000));
}

static int one_day(const struct triage_report *r)
{
	int64_t end = r->bucket0_us + r->nbuckets * r->bucket_us;
	int64_t day = 86400000000ll;

	return r->bucket0_us / day == (end - 1) / day;
}

static void tick_at(const struct triage_report *r, int64_t us, char *out, size_t n)
{
	char t[40];

	if (timefmt_rfc3339(us, t, sizeof t) < 0) {
		snprintf(out, n, "-");
		return;
	}
	if (!one_day(r))
		snprintf(out, n, "%.19sZ", t);
	else if (r->bucket_us < 1000000)
		snprintf(out, n, "%.12s", t + 11);
	else
		snprintf(out, n, "%.8s", t + 11);
}

void report_tick(const struct triage_report *r, int i, char *out, size_t n)
{
	tick_at(r, r->bucket0_us + i * r->bucket_us, out, n);
}

void report_axis(const struct triage_report *r, char *out, size_t n)
{
	char a[40], b[40], w[16];

	if (!r->nbuckets) {
		if (n)
			out[0] = '\0';
		return;
	}
	report_tick(r, 0, a, sizeof a);
	report_tick(r, r->nbuckets, b, sizeof b);
	report_width(r->bucket_us, w, sizeof w);
	snprintf(out, n, "%s .. %s%s, %s a cell", a, b, one_day(r) ? " UTC" : "", w);
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
	case REPORT_HTML:
		rc = report_html(out, r);
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

void report_short(const char *v, char *out, size_t n)
{
	size_t len = strlen(v), k = len;

	if (len > REPORT_SHORT) {
		k = REPORT_SHORT;
		while (k && ((unsigned char)v[k] & 0xc0) == 0x80)
			k--;
	}
	snprintf(out, n, "%.*s%s", (int)k, v, k < len ? "..." : "");
}
