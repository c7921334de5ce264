#include "emit/report.h"

#include <errno.h>
#include <string.h>

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
