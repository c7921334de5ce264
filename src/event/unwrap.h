#ifndef LOGWHY_UNWRAP_H
#define LOGWHY_UNWRAP_H

#include <stddef.h>
#include <jansson.h>

/*
 * Cloud exports that wrap many records in one JSON value: `aws logs
 * filter-log-events` / `get-log-events` ({"events":[...]}), OpenTelemetry
 * OTLP JSON logs (resourceLogs -> scopeLogs -> logRecords), the Datadog
 * Logs API search response (data[].attributes) and Azure Log Analytics
 * query results (tables[].columns/rows, and the older Tables/Columns/Rows).
 * Each record comes out as a plain object a JSON app could have written:
 * "message", "timestamp", "severity", "instance", "stream", "trace_id",
 * "span_id" where the source has them, beside the record's own keys
 * (logStreamName, resource and record attributes, Datadog attributes,
 * the row's columns).
 */
enum unwrap_kind { UNWRAP_NONE = 0, UNWRAP_CLOUDWATCH, UNWRAP_OTLP, UNWRAP_DATADOG, UNWRAP_AZURE };

struct unwrap {
	enum unwrap_kind kind;
	json_t *root;          /* own reference while unwrapping */
	size_t i, j, k;        /* positions in the nested arrays */
	json_t *res_attrs;     /* OTLP: the current resource's attributes (borrowed) */
	json_t *cols;          /* Azure: the current table's columns (borrowed) */
};

/* The kind of wrapper root is (allow: an enum input_format that names
 * one source, or a generic one), UNWRAP_NONE if it is none. */
enum unwrap_kind unwrap_kind_of(json_t *root, int format);

/* Start on root (a new reference is taken). */
void unwrap_begin(struct unwrap *u, json_t *root, enum unwrap_kind kind);
/* The next record as a new object (the caller owns the reference), or
 * NULL when there are no more. */
json_t *unwrap_next(struct unwrap *u);
void unwrap_end(struct unwrap *u);      /* drops root; safe to repeat */
/* A Log Analytics row as an object (the newer shape `az monitor
 * log-analytics query` prints): the canonical keys are added in place
 * when its columns have them. Returns row (borrowed). */
json_t *unwrap_azure_row(json_t *row);

#endif
