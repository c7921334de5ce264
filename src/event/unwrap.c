#include "event/unwrap.h"

#include <stdio.h>
#include <string.h>

#include "read/frame.h"

static json_t *get2(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	return v ? v : json_object_get(o, b);
}

static int array_of_objects(json_t *a)
{
	return json_is_array(a) && (json_array_size(a) == 0 ||
				    json_is_object(json_array_get(a, 0)));
}

enum unwrap_kind unwrap_kind_of(json_t *root, int format)
{
	enum input_format f = (enum input_format)format;
	json_t *v;

	if (!json_is_object(root))
		return UNWRAP_NONE;
	v = json_object_get(root, "events");
	if (array_of_objects(v) && input_format_allows(f, INPUT_CLOUDWATCH) &&
	    (json_array_size(v) == 0 || json_object_get(json_array_get(v, 0), "message")))
		return UNWRAP_CLOUDWATCH;
	v = json_object_get(root, "resourceLogs");
	if (array_of_objects(v) && input_format_allows(f, INPUT_OTLP))
		return UNWRAP_OTLP;
	v = json_object_get(root, "data");
	if (array_of_objects(v) && input_format_allows(f, INPUT_DATADOG) &&
	    (json_array_size(v) == 0 ||
	     json_is_object(json_object_get(json_array_get(v, 0), "attributes"))))
		return UNWRAP_DATADOG;
	v = get2(root, "tables", "Tables");
	if (array_of_objects(v) && input_format_allows(f, INPUT_AZURE) &&
	    (json_array_size(v) == 0 ||
	     json_is_array(get2(json_array_get(v, 0), "columns", "Columns"))))
		return UNWRAP_AZURE;
	return UNWRAP_NONE;
}

void unwrap_begin(struct unwrap *u, json_t *root, enum unwrap_kind kind)
{
	memset(u, 0, sizeof *u);
	u->kind = kind;
	u->root = json_incref(root);
}

void unwrap_end(struct unwrap *u)
{
	json_decref(u->root);
	memset(u, 0, sizeof *u);
}

/* Copy the keys of src that dst lacks. */
static void merge(json_t *dst, json_t *src)
{
	const char *k;
	json_t *v;

	json_object_foreach(src, k, v)
		if (!json_object_get(dst, k))
			json_object_set(dst, k, v);
}

/* Set key to v (when v is there) unless dst has it. */
static void canon(json_t *dst, const char *key, json_t *v)
{
	if (v && !json_is_null(v) && !json_object_get(dst, key))
		json_object_set(dst, key, v);
}

static json_t *first_of(json_t *o, const char *const *keys)
{
	json_t *v;

	for (; *keys; keys++)
		if ((v = json_object_get(o, *keys)) && !json_is_null(v) &&
		    !(json_is_string(v) && !json_string_length(v)))
			return v;
	return NULL;
}

static json_t *cloudwatch_next(struct unwrap *u)
{
	json_t *ev = json_array_get(json_object_get(u->root, "events"), u->i++), *o;

	if (!ev)
		return NULL;
	if (!json_is_object(ev))
		return json_object();
	o = json_deep_copy(ev);
	canon(o, "instance", json_object_get(ev, "logStreamName"));
	return o;
}

/* An OTLP AnyValue: the string, number or bool it holds, a kvlist as an
 * object, an array as an array (new reference). */
static json_t *any_value(json_t *v)
{
	json_t *x;

	if (!json_is_object(v))
		return json_null();
	if ((x = json_object_get(v, "stringValue")))
		return json_incref(x);
	if ((x = json_object_get(v, "intValue"))) {
		if (json_is_string(x)) {
			long long n = 0;

			if (sscanf(json_string_value(x), "%lld", &n) == 1)
				return json_integer(n);
		}
		return json_incref(x);
	}
	if ((x = json_object_get(v, "doubleValue")) || (x = json_object_get(v, "boolValue")) ||
	    (x = json_object_get(v, "bytesValue")))
		return json_incref(x);
	if ((x = json_object_get(v, "kvlistValue"))) {
		json_t *o = json_object(), *kv;
		size_t i;

		json_array_foreach(json_object_get(x, "values"), i, kv)
			if (json_is_string(json_object_get(kv, "key")))
				json_object_set_new(o, json_string_value(json_object_get(kv, "key")),
						    any_value(json_object_get(kv, "value")));
		return o;
	}
	if ((x = json_object_get(v, "arrayValue"))) {
		json_t *a = json_array(), *e;
		size_t i;

		json_array_foreach(json_object_get(x, "values"), i, e)
			json_array_append_new(a, any_value(e));
		return a;
	}
	return json_null();
}

/* [{"key":K,"value":AnyValue}] into o as K: value. */
static void attributes(json_t *o, json_t *attrs)
{
	json_t *kv;
	size_t i;

	json_array_foreach(attrs, i, kv) {
		json_t *k = json_object_get(kv, "key");

		if (json_is_string(k) && !json_object_get(o, json_string_value(k)))
			json_object_set_new(o, json_string_value(k),
					    any_value(json_object_get(kv, "value")));
	}
}

/* OTLP's SeverityNumber: 1-4 TRACE, 5-8 DEBUG, 9-12 INFO, 13-16 WARN,
 * 17-20 ERROR, 21-24 FATAL. */
static const char *otlp_severity(json_t *num)
{
	static const char *const names[] = { "DEBUG", "DEBUG", "INFO", "WARNING",
					     "ERROR", "CRITICAL" };
	json_int_t n = json_is_integer(num) ? json_integer_value(num) : 0;

	return n >= 1 && n <= 24 ? names[(n - 1) / 4] : NULL;
}

static json_t *otlp_record(struct unwrap *u, json_t *rec)
{
	static const char *const inst[] = { "service.instance.id", "k8s.pod.name",
					    "container.id", "host.name", NULL };
	static const char *const stream[] = { "log.iostream", NULL };
	json_t *o = json_object(), *body, *v;
	const char *sev;

	body = any_value(json_object_get(rec, "body"));
	if (json_is_string(body))
		json_object_set(o, "message", body);
	else if (!json_is_null(body))
		json_object_set(o, "body", body);
	json_decref(body);
	attributes(o, json_object_get(rec, "attributes"));
	attributes(o, u->res_attrs);
	v = json_object_get(rec, "timeUnixNano");
	if (!v || (json_is_string(v) && !strcmp(json_string_value(v), "0")))
		v = json_object_get(rec, "observedTimeUnixNano");
	canon(o, "timestamp", v);
	v = json_object_get(rec, "severityText");
	if (json_is_string(v) && json_string_length(v))
		canon(o, "severity", v);
	else if ((sev = otlp_severity(json_object_get(rec, "severityNumber"))))
		json_object_set_new(o, "severity", json_string(sev));
	v = json_object_get(rec, "traceId");
	if (json_is_string(v) && json_string_length(v))
		canon(o, "trace_id", v);
	v = json_object_get(rec, "spanId");
	if (json_is_string(v) && json_string_length(v))
		canon(o, "span_id", v);
	canon(o, "instance", first_of(o, inst));
	canon(o, "stream", first_of(o, stream));
	return o;
}

static json_t *otlp_next(struct unwrap *u)
{
	json_t *rl = json_object_get(u->root, "resourceLogs");

	for (;;) {
		json_t *r = json_array_get(rl, u->i), *scopes, *sl, *recs, *rec;

		if (!r)
			return NULL;
		u->res_attrs = json_object_get(json_object_get(r, "resource"), "attributes");
		scopes = get2(r, "scopeLogs", "instrumentationLibraryLogs");
		sl = json_array_get(scopes, u->j);
		if (!sl) {
			u->i++;
			u->j = u->k = 0;
			continue;
		}
		recs = get2(sl, "logRecords", "logs");
		rec = json_array_get(recs, u->k);
		if (!rec) {
			u->j++;
			u->k = 0;
			continue;
		}
		u->k++;
		return otlp_record(u, rec);
	}
}

static json_t *datadog_next(struct unwrap *u)
{
	static const char *const inst[] = { "pod_name", "container_id", "host", NULL };
	json_t *item = json_array_get(json_object_get(u->root, "data"), u->i++);
	json_t *a, *o;

	if (!item)
		return NULL;
	a = json_object_get(item, "attributes");
	o = json_object();
	if (!json_is_object(a))
		return o;
	canon(o, "message", json_object_get(a, "message"));
	canon(o, "timestamp", json_object_get(a, "timestamp"));
	canon(o, "severity", json_object_get(a, "status"));
	merge(o, json_object_get(a, "attributes"));   /* the log's own fields */
	canon(o, "service", json_object_get(a, "service"));
	canon(o, "host", json_object_get(a, "host"));
	canon(o, "tags", json_object_get(a, "tags"));
	canon(o, "instance", first_of(o, inst));
	canon(o, "id", json_object_get(item, "id"));
	return o;
}

/* The usual Log Analytics tables' names for the message, time, level,
 * instance and stream (ContainerAppConsoleLogs, ContainerLog(V2),
 * AppTraces, Syslog). */
json_t *unwrap_azure_row(json_t *o)
{
	static const char *const msg[] = { "Log_s", "LogMessage", "LogEntry", "Message",
					   "SyslogMessage", "RenderedDescription", "msg_s", NULL };
	static const char *const ts[] = { "TimeGenerated", "TimeGenerated [UTC]", "timestamp",
					  "Timestamp", NULL };
	static const char *const lvl[] = { "SeverityLevel", "Level", "SeverityText",
					   "LogLevel", "level_s", NULL };
	static const char *const inst[] = { "ReplicaName_s", "PodName", "ContainerId",
					    "ContainerID", "ContainerName", "Computer", "HostName",
					    NULL };
	static const char *const stream[] = { "Stream_s", "LogSource", "LogEntrySource", NULL };
	json_t *v;

	canon(o, "message", first_of(o, msg));
	canon(o, "timestamp", first_of(o, ts));
	v = first_of(o, lvl);
	if (json_is_integer(v)) {
		/* Application Insights: 0 verbose .. 4 critical */
		static const char *const names[] = { "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL" };
		json_int_t n = json_integer_value(v);

		if (n >= 0 && n <= 4)
			json_object_set_new(o, "severity", json_string(names[n]));
	} else {
		canon(o, "severity", v);
	}
	canon(o, "instance", first_of(o, inst));
	canon(o, "stream", first_of(o, stream));
	return o;
}

static json_t *azure_next(struct unwrap *u)
{
	json_t *tables = get2(u->root, "tables", "Tables");

	for (;;) {
		json_t *t = json_array_get(tables, u->i), *rows, *row, *o, *c;
		size_t n;

		if (!t)
			return NULL;
		u->cols = get2(t, "columns", "Columns");
		rows = get2(t, "rows", "Rows");
		row = json_array_get(rows, u->j);
		if (!row) {
			u->i++;
			u->j = 0;
			continue;
		}
		u->j++;
		o = json_object();
		json_array_foreach(u->cols, n, c) {
			json_t *name = get2(c, "name", "ColumnName");
			json_t *v = json_array_get(row, n);

			if (json_is_string(name) && v)
				json_object_set(o, json_string_value(name), v);
		}
		return unwrap_azure_row(o);
	}
}

json_t *unwrap_next(struct unwrap *u)
{
	switch (u->kind) {
	case UNWRAP_CLOUDWATCH: return cloudwatch_next(u);
	case UNWRAP_OTLP: return otlp_next(u);
	case UNWRAP_DATADOG: return datadog_next(u);
	case UNWRAP_AZURE: return azure_next(u);
	case UNWRAP_NONE: break;
	}
	return NULL;
}
