#ifndef LOGWHY_REPORT_H
#define LOGWHY_REPORT_H

#include <stdio.h>
#include <jansson.h>

#include "triage/triage.h"

/*
 * triage's reports: the on-call text view, markdown for tickets and
 * postmortems (chains as mermaid graphs), and the JSON summary whose
 * schema product.md fixes, and a self-contained HTML page with SVG
 * timelines. All log-derived text is escaped for its medium.
 */
enum report_format { REPORT_TEXT = 0, REPORT_JSON, REPORT_MARKDOWN, REPORT_HTML };

int report_format_parse(const char *s);   /* -1 if unknown */

struct report_opts {
	int color;   /* text: ANSI colour */
};

/* 0, or -1 on a write error (errno). */
int report_write(enum report_format f, FILE *out, const struct triage_report *r,
		 const struct report_opts *o);

int report_text(FILE *out, const struct triage_report *r, const struct report_opts *o);
int report_json(FILE *out, const struct triage_report *r);
int report_markdown(FILE *out, const struct triage_report *r);
/* One self-contained HTML page: inline CSS and SVG, no script, no network. */
int report_html(FILE *out, const struct triage_report *r);

/* The JSON report as a tree (new reference; NULL on allocation failure),
 * for a writer that adds to it (src/triage/shard.h). */
json_t *report_json_object(const struct triage_report *r);

/* A time for a human report ("-" when unknown), and the report's span:
 * "<first><sep><last> (<length>)", or "" without timestamps. */
void report_when(char *out, size_t n, int has, int64_t us);
/* Where group g was first (last: last) seen: its time; with none, its
 * record's position "file:line" (records with no time are correlated by
 * their order); "-" when neither is known (a merge of shards). */
void report_seen(char *out, size_t n, const struct triage_report *r,
		 const struct triage_group *g, int last);
void report_span(const struct triage_report *r, const char *sep, char *out, size_t n);

/* The sparkline of a histogram: the report's nbuckets cells of
 * U+2581..U+2588, a space for an empty bucket. out needs
 * 3 * TRIAGE_BUCKETS + 1 bytes. */
void report_sparkline(const struct triage_report *r, const long *hist, char *out);

/* The buckets' width for humans: "500ms", "5s", "15m", "1h", "7d". */
void report_width(int64_t us, char *out, size_t n);
/* The time axis under a sparkline: "<start> .. <end>, <width> a cell",
 * times as HH:MM:SS(.mmm) when the axis stays in one day, else RFC 3339. */
void report_axis(const struct triage_report *r, char *out, size_t n);
/* The start of bucket i: a time of day ("04:33:05", ".mmm" added for
 * widths under a second), or RFC 3339 when the axis crosses a day. */
void report_tick(const struct triage_report *r, int i, char *out, size_t n);

/* A where value for a human report: at most REPORT_SHORT bytes of it (cut
 * on a UTF-8 boundary, "..." added when cut). out needs REPORT_SHORT + 4. */
#define REPORT_SHORT 32
void report_short(const char *v, char *out, size_t n);
/* How many where values of a kind text and markdown show. */
#define REPORT_WHERE_TOP 3

#endif
