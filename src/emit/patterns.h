#ifndef LOGWHY_EMIT_PATTERNS_H
#define LOGWHY_EMIT_PATTERNS_H

#include <stdio.h>

#include "emit/report.h"
#include "pattern/pattern.h"

/*
 * `logwhy patterns` output: the patterns ranked by count, each with its
 * severity mix, first and last seen, and an example, as text, one JSON
 * object, or markdown (the formats of triage's reports). All log-derived
 * text is escaped for its medium. 0, or -1 on a write error (errno).
 */
int patterns_write(enum report_format f, FILE *out, const struct pattern_set *ps, int color);

/* One --records line: {"source","line","pattern"} (pattern null for an
 * overflow record). 0, or -1 on a write error. */
int patterns_record(FILE *out, const char *source, long line, const struct pattern *p);

#endif
