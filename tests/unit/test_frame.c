#include <criterion/criterion.h>

#include "gzip_member.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "read/frame.h"
#include "util/jscan.h"

/* Data files are found from the repository root, where tests/run.sh runs. */
#define DATA "tests/data/read/"

struct rec {
	long line;
	enum record_kind kind;
	char *text;
	size_t len;
	int truncated, joined;
	json_t *json;   /* copy of a YAML record's tree */
};

struct run {
	enum input_format fmt;
	int n;
	struct rec *r;
	int nw;
	char w[16][1200];
	int rc;
	char err[1200];
};

static void sink(void *ctx, const struct diag *d)
{
	struct run *g = ctx;

	if (g->nw < 16)
		diag_format(d, g->w[g->nw], sizeof g->w[0]);
	g->nw++;
}

static void run_source(struct run *g, struct source *s, enum input_format fmt,
		       size_t max)
{
	struct warn_sink ws = { sink, g };
	struct framer_opts o = { .format = fmt, .max_record = max, .warn = &ws };
	struct framer *f;
	const struct record *r;
	struct diag d;
	int cap = 0;

	cr_assert_not_null(s);
	/* the sink must see warnings raised by the source too */
	f = framer_open(s, &o);
	cr_assert_not_null(f);
	while ((g->rc = framer_next(f, &r, &d)) == 1) {
		struct rec *x;

		if (g->n == cap) {
			cap = cap ? cap * 2 : 16;
			g->r = realloc(g->r, (size_t)cap * sizeof *g->r);
		}
		x = &g->r[g->n++];
		cr_assert_eq(r->text[r->len], '\0', "record text is NUL-terminated");
		cr_assert_str_eq(r->source, source_name(framer_source(f)));
		x->line = r->line;
		x->kind = r->kind;
		x->len = r->len;
		x->text = malloc(r->len + 1);
		memcpy(x->text, r->text, r->len + 1);
		x->truncated = r->truncated;
		x->joined = r->joined;
		x->json = r->json ? json_deep_copy(r->json) : NULL;
		cr_assert_eq(r->kind == RECORD_YAML, r->json != NULL);
	}
	if (g->rc < 0)
		diag_format(&d, g->err, sizeof g->err);
	g->fmt = framer_format(f);
	framer_close(f);
}

static struct run *frame_mem_n(const char *data, size_t len, enum input_format fmt,
			       size_t max)
{
	struct run *g = calloc(1, sizeof *g);
	struct warn_sink ws = { sink, g };

	run_source(g, source_open_mem("t", data, len, &ws), fmt, max);
	return g;
}

static struct run *frame_mem(const char *data, enum input_format fmt)
{
	return frame_mem_n(data, strlen(data), fmt, 0);
}

static struct run *frame_file(const char *path, enum input_format fmt)
{
	struct run *g = calloc(1, sizeof *g);
	struct warn_sink ws = { sink, g };
	struct diag d;
	struct source *s = source_open(path, &ws, &d);

	cr_assert_not_null(s, "%s", d.msg);
	run_source(g, s, fmt, 0);
	return g;
}

static void run_free(struct run *g)
{
	int i;

	for (i = 0; i < g->n; i++) {
		free(g->r[i].text);
		json_decref(g->r[i].json);
	}
	free(g->r);
	free(g);
}

static json_t *parse(const struct rec *r)
{
	json_error_t e;
	json_t *j = json_loadb(r->text, r->len, 0, &e);

	cr_assert_not_null(j, "line %ld: %s: %s", r->line, e.text, r->text);
	return j;
}

static const char *path_str(json_t *j, const char *a, const char *b, const char *c)
{
	json_t *v = json_object_get(j, a);

	if (b)
		v = json_object_get(v, b);
	if (c)
		v = json_object_get(v, c);
	return json_string_value(v);
}

static void expect_lines(const struct run *g, const long *lines, int n)
{
	int i;

	cr_assert_eq(g->n, n, "%d records, expected %d", g->n, n);
	for (i = 0; i < n; i++)
		cr_assert_eq(g->r[i].line, lines[i], "record %d at line %ld, expected %ld",
			     i, g->r[i].line, lines[i]);
}

static void expect_no_warnings(const struct run *g)
{
	cr_assert_eq(g->nw, 0, "unexpected warning: %s", g->w[0]);
}

/* ---- names ---- */

Test(format, names_round_trip)
{
	cr_assert_str_eq(input_format_name(INPUT_AUTO), "auto");
	cr_assert_str_eq(input_format_name(INPUT_JSON), "json");
	cr_assert_str_eq(input_format_name(INPUT_YAML), "yaml");
	cr_assert_str_eq(input_format_name(INPUT_TEXT), "text");
	cr_assert_eq(input_format_parse("auto"), INPUT_AUTO);
	cr_assert_eq(input_format_parse("json"), INPUT_JSON);
	cr_assert_eq(input_format_parse("ndjson"), INPUT_JSON);
	cr_assert_eq(input_format_parse("jsonl"), INPUT_JSON);
	cr_assert_eq(input_format_parse("yaml"), INPUT_YAML);
	cr_assert_eq(input_format_parse("text"), INPUT_TEXT);
	cr_assert_eq(input_format_parse("xml"), -1);
	cr_assert_eq(input_format_parse(NULL), -1);
}

/* ---- gcloud --format=json ---- */

Test(json, gcloud_array_file)
{
	struct run *g = frame_file(DATA "gcloud_array.json", INPUT_AUTO);
	static const long lines[] = { 2, 24, 47 };
	json_t *j;

	cr_assert_eq(g->rc, 0, "%s", g->err);
	cr_assert_eq(g->fmt, INPUT_JSON);
	expect_no_warnings(g);
	expect_lines(g, lines, 3);
	cr_assert_eq(g->r[0].kind, RECORD_JSON);
	cr_assert_eq(g->r[0].text[0], '{');
	cr_assert_eq(g->r[0].text[g->r[0].len - 1], '}', "element without its comma");
	cr_assert(strncmp(g->r[0].text, "{\n    \"insertId\"", 16) == 0);

	j = parse(&g->r[0]);
	cr_assert_str_eq(path_str(j, "resource", "labels", "service_name"),
			 "netra-backend-staging");
	cr_assert_str_eq(path_str(j, "labels", "instanceId", NULL),
			 "00f46b9285a1c2d3e4f5a6b7c8d9e0f1");
	cr_assert_str_eq(path_str(j, "textPayload", NULL, NULL),
			 "WebSocket error: Object of type WebSocketState is not JSON serializable");
	cr_assert_str_eq(path_str(j, "trace", NULL, NULL),
			 "projects/netra-staging/traces/4bf92f3577b34da6a3ce929d0e0e4736");
	json_decref(j);

	j = parse(&g->r[1]);
	cr_assert_str_eq(path_str(j, "jsonPayload", "connection_id", NULL), "conn_12345");
	cr_assert(strstr(path_str(j, "jsonPayload", "message", NULL), "{\"x\": [1]}"));
	json_decref(j);

	j = parse(&g->r[2]);
	cr_assert_str_eq(path_str(j, "severity", NULL, NULL), "INFO");
	json_decref(j);
	run_free(g);
}

Test(json, empty_arrays)
{
	static const char *const cases[] = { "[]", "[]\n", "[\n]\n", "  [ ]  \n", "[]\n[]\n" };
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct run *g = frame_mem(cases[i], INPUT_AUTO);

		cr_assert_eq(g->rc, 0);
		cr_assert_eq(g->n, 0, "case %zu", i);
		cr_assert_eq(g->fmt, INPUT_JSON, "case %zu", i);
		expect_no_warnings(g);
		run_free(g);
	}
}

Test(json, array_cut_mid_record)
{
	const char *data =
		"[\n"
		"  {\n"
		"    \"severity\": \"ERROR\",\n"
		"    \"textPayload\": \"one\"\n"
		"  },\n"
		"  {\n"
		"    \"severity\": \"INFO\",\n"
		"    \"textPayload\": \"tw";
	struct run *g = frame_mem(data, INPUT_AUTO);

	cr_assert_eq(g->rc, 0);
	cr_assert_eq(g->n, 1);
	cr_assert_eq(g->r[0].line, 2);
	json_decref(parse(&g->r[0]));
	cr_assert_eq(g->nw, 1);
	cr_assert_str_eq(g->w[0],
			 "t:8:23: input ends inside a JSON array (interrupted?); kept 1 records");
	run_free(g);
}

Test(json, array_cut_between_records)
{
	const char *data = "[\n  {\"a\": 1},\n  {\"b\": 2},\n";
	struct run *g = frame_mem(data, INPUT_AUTO);

	cr_assert_eq(g->n, 2);
	cr_assert_eq(g->nw, 1);
	cr_assert_str_eq(g->w[0],
			 "t:3:12: input ends inside a JSON array (interrupted?); kept 2 records");
	run_free(g);
}

Test(json, array_cut_then_text)
{
	/* gcloud interrupted, then its error message on the same stream */
	const char *data =
		"[\n"
		"  {\n"
		"    \"textPayload\": \"kept\"\n"
		"  },\n"
		"  {\n"
		"    \"textPayload\": \"lost\",\n"
		"ERROR: (gcloud.logging.read) interrupted\n"
		"{\"after\": true}\n";
	struct run *g = frame_mem(data, INPUT_AUTO);
	static const long lines[] = { 2, 7, 8 };

	expect_lines(g, lines, 3);
	cr_assert_eq(g->r[0].kind, RECORD_JSON);
	cr_assert_eq(g->r[1].kind, RECORD_TEXT);
	cr_assert_str_eq(g->r[1].text, "ERROR: (gcloud.logging.read) interrupted");
	cr_assert_eq(g->r[2].kind, RECORD_JSON);
	cr_assert_eq(g->nw, 1);
	cr_assert(strstr(g->w[0], "t:7:1: JSON array cut off"), "%s", g->w[0]);
	cr_assert(strstr(g->w[0], "kept 1 records"));
	run_free(g);
}

Test(json, arrays_back_to_back_and_compact)
{
	const char *data =
		"[\n  {\"n\": 1}\n]\n"
		"[{\"n\": 2},{\"n\": \"x,]}\\\"{\"}, {\"n\": [3, {\"m\": 4}]}]\n"
		"[\n]\n"
		"[{\"n\": 5}]";
	struct run *g = frame_mem(data, INPUT_AUTO);
	static const long lines[] = { 2, 4, 4, 4, 7 };

	expect_no_warnings(g);
	expect_lines(g, lines, 5);
	cr_assert_str_eq(g->r[1].text, "{\"n\": 2}");
	cr_assert_str_eq(g->r[2].text, "{\"n\": \"x,]}\\\"{\"}");
	cr_assert_str_eq(g->r[3].text, "{\"n\": [3, {\"m\": 4}]}");
	run_free(g);
}

Test(json, garbage_in_array_kept_as_text)
{
	/* found by fuzzing: a stray '}' between elements once looped forever */
	const char *data = "[{\"b\":2}, \"s\", 12, true x}\n{\"c\":3}\n";
	struct run *g = frame_mem(data, INPUT_JSON);
	static const long lines[] = { 1, 1, 1, 1, 1, 2 };

	expect_lines(g, lines, 6);
	cr_assert_str_eq(g->r[1].text, "\"s\"");
	cr_assert_str_eq(g->r[2].text, "12");
	cr_assert_str_eq(g->r[3].text, "true");
	cr_assert_eq(g->r[4].kind, RECORD_TEXT);
	cr_assert_str_eq(g->r[4].text, "x}");
	cr_assert_str_eq(g->r[5].text, "{\"c\":3}");
	cr_assert_eq(g->nw, 1);
	cr_assert_str_eq(g->w[0], "t:1:25: invalid JSON array, rest of the line kept as text; kept 4 records");
	run_free(g);
}

/* ---- NDJSON and concatenated objects ---- */

Test(json, ndjson)
{
	const char *data =
		"{\"severity\":\"INFO\",\"message\":\"a\"}\n"
		"{\"severity\":\"ERROR\",\"message\":\"b {\\\"nested\\\": [}\"}\n"
		"\n"
		"   {\"severity\":\"INFO\",\"message\":\"c\"}\n";
	struct run *g = frame_mem(data, INPUT_AUTO);
	static const long lines[] = { 1, 2, 4 };
	int i;

	cr_assert_eq(g->fmt, INPUT_JSON);
	expect_no_warnings(g);
	expect_lines(g, lines, 3);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(g->r[i].kind, RECORD_JSON);
		json_decref(parse(&g->r[i]));
	}
	cr_assert_str_eq(g->r[2].text, "{\"severity\":\"INFO\",\"message\":\"c\"}");
	run_free(g);
}

Test(json, ndjson_broken_line_kept_as_text)
{
	const char *data =
		"{\"a\":1}\n"
		"{\"severity\":\"ERROR\",\"message\":\"cut\n"
		"{\"b\":2}\n"
		"{\"c\":3\n"
		"{\"d\":4}\n";
	struct run *g = frame_mem(data, INPUT_JSON);
	static const long lines[] = { 1, 2, 3, 4, 5 };

	expect_lines(g, lines, 5);
	cr_assert_eq(g->r[1].kind, RECORD_TEXT);
	cr_assert_str_eq(g->r[1].text, "{\"severity\":\"ERROR\",\"message\":\"cut");
	cr_assert_eq(g->r[2].kind, RECORD_JSON);
	cr_assert_eq(g->r[3].kind, RECORD_TEXT);
	cr_assert_str_eq(g->r[3].text, "{\"c\":3");
	cr_assert_eq(g->r[4].kind, RECORD_JSON);
	cr_assert_eq(g->nw, 2);
	cr_assert_str_eq(g->w[0], "t:2:1: invalid JSON, kept as text");
	cr_assert_str_eq(g->w[1], "t:4:1: invalid JSON, kept as text");
	run_free(g);
}

Test(json, last_line_cut_at_eof)
{
	struct run *g = frame_mem("{\"a\":1}\n{\"b\":[1,", INPUT_JSON);

	cr_assert_eq(g->n, 2);
	cr_assert_eq(g->r[1].kind, RECORD_TEXT);
	cr_assert_str_eq(g->r[1].text, "{\"b\":[1,");
	cr_assert_eq(g->nw, 1);
	cr_assert(strstr(g->w[0], "t:2:1: input ends inside a JSON value"), "%s", g->w[0]);
	run_free(g);
}

Test(json, python_repr_and_bracket_text)
{
	const char *data =
		"{'event': 'connect', 'state': <WebSocketState.CONNECTED: 1>}\n"
		"[INFO] worker started\n"
		"[2025-09-08 12:00:00] websocket accepted\n"
		"{\"ok\":true}\n";
	struct run *g = frame_mem(data, INPUT_JSON);
	static const long lines[] = { 1, 2, 3, 4 };

	expect_lines(g, lines, 4);
	cr_assert_eq(g->r[0].kind, RECORD_TEXT);
	cr_assert_eq(g->r[1].kind, RECORD_TEXT);
	cr_assert_str_eq(g->r[1].text, "[INFO] worker started");
	cr_assert_eq(g->r[2].kind, RECORD_TEXT);
	cr_assert_eq(g->r[3].kind, RECORD_JSON);
	cr_assert_eq(g->nw, 1, "only the '{' line is a JSON attempt");
	cr_assert_str_eq(g->w[0], "t:1:1: invalid JSON, kept as text");
	run_free(g);
}

Test(json, concatenated_pretty_objects)
{
	const char *data =
		"{\n"
		"  \"severity\": \"ERROR\",\n"
		"  \"message\": \"one\",\n"
		"  \"labels\": {\n"
		"    \"k\": \"}\"\n"
		"  }\n"
		"}\n"
		"{\n"
		"  \"severity\": \"INFO\"\n"
		"}{\"same\": \"line\"} {\"and\": 3}\n"
		"\t{\n"
		"\t\t\"tabs\": 1\n"
		"\t}\n";
	struct run *g = frame_mem(data, INPUT_AUTO);
	static const long lines[] = { 1, 8, 10, 10, 11 };
	int i;

	expect_no_warnings(g);
	expect_lines(g, lines, 5);
	for (i = 0; i < 5; i++) {
		cr_assert_eq(g->r[i].kind, RECORD_JSON);
		json_decref(parse(&g->r[i]));
	}
	cr_assert_str_eq(g->r[1].text, "{\n  \"severity\": \"INFO\"\n}");
	cr_assert_str_eq(g->r[3].text, "{\"and\": 3}");
	run_free(g);
}

Test(json, crlf_lines)
{
	const char *data = "{\"a\":1}\r\n{\r\n  \"b\": 2\r\n}\r\nplain text\r\n{\"c\":3}";
	struct run *g = frame_mem(data, INPUT_AUTO);
	static const long lines[] = { 1, 2, 5, 6 };

	expect_no_warnings(g);
	expect_lines(g, lines, 4);
	cr_assert_str_eq(g->r[0].text, "{\"a\":1}");
	json_decref(parse(&g->r[1]));
	cr_assert_str_eq(g->r[2].text, "plain text");
	cr_assert_str_eq(g->r[3].text, "{\"c\":3}");
	run_free(g);
}

Test(json, mixed_cloud_run_capture)
{
	struct run *g = frame_file(DATA "cloudrun_mixed.log", INPUT_AUTO);
	static const long lines[] = { 1, 2, 3, 22, 23, 24, 25 };
	const struct rec *b;

	cr_assert_eq(g->fmt, INPUT_JSON);
	expect_lines(g, lines, 7);
	cr_assert_eq(g->r[0].kind, RECORD_JSON);
	cr_assert_eq(g->r[1].kind, RECORD_JSON);
	b = &g->r[2];
	cr_assert_eq(b->kind, RECORD_TEXT);
	cr_assert(b->joined);
	cr_assert(strncmp(b->text, "--- Logging error ---\nTraceback (most recent call last):\n", 57) == 0);
	cr_assert(strstr(b->text, "\nTypeError: Object of type WebSocketState is not JSON serializable\nCall stack:\n"));
	cr_assert(strstr(b->text, "\nMessage: 'WebSocket error: %s'\nArguments: (TypeError("));
	cr_assert_eq(b->text[b->len - 1], ')');
	cr_assert_eq(g->r[3].kind, RECORD_JSON);
	cr_assert_eq(g->r[4].kind, RECORD_TEXT);
	cr_assert_not(g->r[4].joined);
	cr_assert_eq(g->r[5].kind, RECORD_TEXT);
	cr_assert_eq(g->r[6].kind, RECORD_TEXT);
	cr_assert_str_eq(g->r[6].text, "INFO:     connection closed");
	cr_assert_eq(g->nw, 1);
	cr_assert(strstr(g->w[0], DATA "cloudrun_mixed.log:24:1: invalid JSON, kept as text"),
		  "%s", g->w[0]);
	run_free(g);
}

Test(json, traceback_ended_by_json_line)
{
	const char *data =
		"Traceback (most recent call last):\n"
		"  File \"app.py\", line 3, in handler\n"
		"    {\"indented\": \"json in a frame stays in the block\"}\n"
		"KeyError: 'agent_supervisor'\n"
		"{\"severity\":\"ERROR\",\"message\":\"Service unavailable\"}\n";
	struct run *g = frame_mem(data, INPUT_JSON);
	static const long lines[] = { 1, 5 };

	expect_no_warnings(g);
	expect_lines(g, lines, 2);
	cr_assert_eq(g->r[0].kind, RECORD_TEXT);
	cr_assert(g->r[0].joined);
	cr_assert(strstr(g->r[0].text, "\nKeyError: 'agent_supervisor'"));
	cr_assert_eq(g->r[1].kind, RECORD_JSON);
	run_free(g);
}

Test(json, oversized_records_cut_and_in_sync)
{
	char big[600];
	char data[2048];
	struct run *g;

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	snprintf(data, sizeof data,
		 "{\"a\":\"%s\",\"tricky\":\"}{\"}\n{\"b\":1}\n"
		 "[{\"c\":\"%s\"},{\"d\":2}]\n",
		 big, big);
	g = frame_mem_n(data, strlen(data), INPUT_JSON, 100);
	cr_assert_eq(g->n, 4);
	cr_assert(g->r[0].truncated);
	cr_assert_eq(g->r[0].len, 100);
	cr_assert_eq(g->r[0].kind, RECORD_JSON);
	cr_assert_not(g->r[1].truncated);
	cr_assert_str_eq(g->r[1].text, "{\"b\":1}");
	cr_assert_eq(g->r[1].line, 2);
	cr_assert(g->r[2].truncated);
	cr_assert_str_eq(g->r[3].text, "{\"d\":2}");
	cr_assert_eq(g->nw, 2);
	cr_assert_str_eq(g->w[0], "t:1: record of 621 bytes cut to the 100-byte limit");
	run_free(g);
}

Test(json, many_records_across_read_buffers)
{
	size_t n = 3000, i, len = 0;
	char *data = malloc(n * 400);
	struct run *g;

	for (i = 0; i < n; i++) {
		if (i % 3 == 0)
			len += (size_t)sprintf(data + len,
				"{\r\n  \"i\": %zu,\r\n  \"pad\": \"%0300zu\"\r\n}\r\n", i, i);
		else
			len += (size_t)sprintf(data + len,
				"{\"i\": %zu, \"pad\": \"%0300zu\"}\n", i, i);
	}
	g = frame_mem_n(data, len, INPUT_AUTO, 0);
	expect_no_warnings(g);
	cr_assert_eq(g->n, (int)n);
	{
		long line = 1;

		for (i = 0; i < n; i++) {
			json_t *j = parse(&g->r[i]);

			cr_assert_eq(json_integer_value(json_object_get(j, "i")), (json_int_t)i);
			cr_assert_eq(g->r[i].line, line, "record %zu", i);
			line += i % 3 == 0 ? 4 : 1;
			json_decref(j);
		}
	}
	free(data);
	run_free(g);
}

/* ---- YAML ---- */

Test(yaml, gcloud_documents_file)
{
	struct run *g = frame_file(DATA "gcloud.yaml", INPUT_AUTO);
	static const long lines[] = { 2, 21 };
	json_t *j, *p;

	cr_assert_eq(g->fmt, INPUT_YAML);
	expect_no_warnings(g);
	expect_lines(g, lines, 2);
	cr_assert_eq(g->r[0].kind, RECORD_YAML);
	cr_assert(strncmp(g->r[0].text, "insertId: 68be1a2b000c3f5e9a1b2c3d\n", 35) == 0);
	j = g->r[0].json;
	cr_assert_str_eq(path_str(j, "resource", "labels", "service_name"),
			 "netra-backend-staging");
	cr_assert_str_eq(path_str(j, "labels", "instanceId", NULL),
			 "00f46b9285a1c2d3e4f5a6b7c8d9e0f1");
	cr_assert_str_eq(path_str(j, "textPayload", NULL, NULL),
			 "--- Logging error ---\n"
			 "Traceback (most recent call last):\n"
			 "  File \"/usr/local/lib/python3.11/logging/__init__.py\", line 1110, in emit\n"
			 "    msg = self.format(record)\n"
			 "TypeError: Object of type WebSocketState is not JSON serializable\n");
	cr_assert_str_eq(path_str(j, "timestamp", NULL, NULL), "2025-09-08T12:00:01.123456Z");

	j = g->r[1].json;
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "httpRequest"), "status")), 101);
	cr_assert_str_eq(path_str(j, "httpRequest", "latency", NULL), "0.063s");
	p = json_object_get(j, "jsonPayload");
	cr_assert(json_is_integer(json_object_get(p, "close_code")));
	cr_assert_eq(json_integer_value(json_object_get(p, "close_code")), 1011);
	cr_assert_str_eq(json_string_value(json_object_get(p, "close_reason")), "Internal error");
	cr_assert(json_is_false(json_object_get(json_object_get(p, "e2e_testing"), "enabled")));
	cr_assert(json_is_real(json_object_get(p, "elapsed_ms")));
	cr_assert(json_is_null(json_object_get(p, "retry")));
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(p, "tags"), 1)), "1011");
	run_free(g);
}

Test(yaml, scalars)
{
	const char *data =
		"a: 12\nb: -3\nc: 1.5e3\nd: .5\ne: 'true'\nf: True\ng: ~\nh:\n"
		"i: NO\nj: yes\nk: 0x1f\nl: 0o17\nm: .inf\nn: 1_000\no: \"null\"\n"
		"p: 99999999999999999999\nq: 2025-09-08\nr: 1.2.3\ns: +7\nt: -.5\n";
	struct run *g = frame_mem(data, INPUT_YAML);
	json_t *j;

	cr_assert_eq(g->n, 1);
	expect_no_warnings(g);
	j = g->r[0].json;
	cr_assert_eq(json_integer_value(json_object_get(j, "a")), 12);
	cr_assert_eq(json_integer_value(json_object_get(j, "b")), -3);
	cr_assert_float_eq(json_real_value(json_object_get(j, "c")), 1500.0, 1e-9);
	cr_assert_float_eq(json_real_value(json_object_get(j, "d")), 0.5, 1e-9);
	cr_assert_str_eq(json_string_value(json_object_get(j, "e")), "true");
	cr_assert(json_is_true(json_object_get(j, "f")));
	cr_assert(json_is_null(json_object_get(j, "g")));
	cr_assert(json_is_null(json_object_get(j, "h")));
	cr_assert_str_eq(json_string_value(json_object_get(j, "i")), "NO");
	cr_assert_str_eq(json_string_value(json_object_get(j, "j")), "yes");
	cr_assert_eq(json_integer_value(json_object_get(j, "k")), 31);
	cr_assert_eq(json_integer_value(json_object_get(j, "l")), 15);
	cr_assert_str_eq(json_string_value(json_object_get(j, "m")), ".inf");
	cr_assert_str_eq(json_string_value(json_object_get(j, "n")), "1_000");
	cr_assert_str_eq(json_string_value(json_object_get(j, "o")), "null");
	cr_assert(json_is_real(json_object_get(j, "p")));
	cr_assert_str_eq(json_string_value(json_object_get(j, "q")), "2025-09-08");
	cr_assert_str_eq(json_string_value(json_object_get(j, "r")), "1.2.3");
	cr_assert_eq(json_integer_value(json_object_get(j, "s")), 7);
	cr_assert_float_eq(json_real_value(json_object_get(j, "t")), -0.5, 1e-9);
	run_free(g);
}

Test(yaml, separators_and_end_markers)
{
	const char *data =
		"severity: INFO\n"
		"textPayload: first\n"
		"---\n"
		"\n"
		"# a comment\n"
		"severity: ERROR\n"
		"...\n"
		"---\n"
		"# only a comment: no record\n"
		"---\n"
		"textPayload: |-\n"
		"  line one\n"
		"\n"
		"  line three\n";
	struct run *g = frame_mem(data, INPUT_AUTO);
	static const long lines[] = { 1, 5, 11 };

	cr_assert_eq(g->fmt, INPUT_YAML);
	expect_no_warnings(g);
	expect_lines(g, lines, 3);
	cr_assert_str_eq(g->r[0].text, "severity: INFO\ntextPayload: first");
	cr_assert_str_eq(path_str(g->r[1].json, "severity", NULL, NULL), "ERROR");
	cr_assert_str_eq(path_str(g->r[2].json, "textPayload", NULL, NULL),
			 "line one\n\nline three");
	run_free(g);
}

Test(yaml, alias_refused)
{
	const char *data =
		"---\n"
		"severity: INFO\n"
		"---\n"
		"a: &x [\"lol\", \"lol\"]\n"
		"b: [*x, *x, *x]\n"
		"---\n"
		"severity: ERROR\n";
	struct run *g = frame_mem(data, INPUT_YAML);
	static const long lines[] = { 2, 4, 7 };

	expect_lines(g, lines, 3);
	cr_assert_eq(g->r[1].kind, RECORD_TEXT);
	cr_assert_str_eq(g->r[1].text, "a: &x [\"lol\", \"lol\"]\nb: [*x, *x, *x]");
	cr_assert_eq(g->r[2].kind, RECORD_YAML);
	cr_assert_eq(g->nw, 1);
	cr_assert_str_eq(g->w[0], "t:5:5: YAML alias '*x' refused; kept as text");
	run_free(g);
}

Test(yaml, syntax_error_located)
{
	const char *data =
		"---\n"
		"severity: INFO\n"
		"---\n"
		"jsonPayload:\n"
		"  message: ok\n"
		"  bad: [1, 2\n"
		"severity: ERROR\n"
		"---\n"
		"key: value\n"
		"   other: x\n";
	struct run *g = frame_mem(data, INPUT_YAML);
	static const long lines[] = { 2, 4, 9 };

	expect_lines(g, lines, 3);
	cr_assert_eq(g->r[0].kind, RECORD_YAML);
	cr_assert_eq(g->r[1].kind, RECORD_TEXT);
	cr_assert_eq(g->r[2].kind, RECORD_TEXT);
	cr_assert_eq(g->nw, 2);
	cr_assert(strncmp(g->w[0], "t:7:", 4) == 0, "%s", g->w[0]);
	cr_assert(strstr(g->w[0], "invalid YAML: "), "%s", g->w[0]);
	cr_assert(strstr(g->w[0], "; kept as text"), "%s", g->w[0]);
	cr_assert(strncmp(g->w[1], "t:10:9: invalid YAML: mapping values are not allowed", 52) == 0,
		  "%s", g->w[1]);
	run_free(g);
}

Test(yaml, detected_from_logentry_key)
{
	static const char *const cases[] = {
		"insertId: abc\nseverity: INFO\n",
		"\n\nseverity: ERROR\ntextPayload: x\n",
		"textPayload: |\n  hi\n",
		"--- \nseverity: INFO\n",
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct run *g = frame_mem(cases[i], INPUT_AUTO);

		cr_assert_eq(g->fmt, INPUT_YAML, "case %zu", i);
		cr_assert_eq(g->n, 1, "case %zu", i);
		cr_assert_eq(g->r[0].kind, RECORD_YAML, "case %zu", i);
		run_free(g);
	}
}

Test(yaml, oversized_document_cut)
{
	char data[1024];
	struct run *g;

	snprintf(data, sizeof data, "---\na: 1\nb: %0200d\n---\nc: 2\n", 7);
	g = frame_mem_n(data, strlen(data), INPUT_YAML, 64);
	cr_assert_eq(g->n, 2);
	cr_assert_eq(g->r[0].kind, RECORD_TEXT);
	cr_assert(g->r[0].truncated);
	cr_assert_leq(g->r[0].len, 64);
	cr_assert_eq(g->r[1].kind, RECORD_YAML);
	cr_assert_eq(g->r[1].line, 5);
	cr_assert_eq(g->nw, 1);
	run_free(g);
}

/* ---- text ---- */

static const char logging_error_block[] =
	"--- Logging error ---\n"
	"Traceback (most recent call last):\n"
	"  File \"/usr/local/lib/python3.11/logging/__init__.py\", line 1110, in emit\n"
	"    msg = self.format(record)\n"
	"          ^^^^^^^^^^^^^^^^^^^\n"
	"  File \"/usr/local/lib/python3.11/json/encoder.py\", line 180, in default\n"
	"    raise TypeError(f'Object of type {o.__class__.__name__} '\n"
	"TypeError: Object of type WebSocketState is not JSON serializable\n"
	"Call stack:\n"
	"  File \"/usr/local/bin/uvicorn\", line 8, in <module>\n"
	"    sys.exit(main())\n"
	"  File \"/app/netra_backend/app/routes/websocket.py\", line 752, in websocket_endpoint\n"
	"    logger.error(f\"WebSocket error: {e}\", exc_info=True)\n"
	"Message: 'WebSocket error: %s'\n"
	"Arguments: (TypeError('Object of type WebSocketState is not JSON serializable'),)";

Test(text, logging_error_block_joined)
{
	char data[4096];
	struct run *g;
	static const long lines[] = { 1, 2, 17, 18 };

	snprintf(data, sizeof data,
		 "2025-09-08 12:00:01,003 WARNING WebSocket not in CONNECTED state\n"
		 "%s\n"
		 "INFO:     169.254.169.126:41234 - \"WebSocket /ws\" [accepted]\n"
		 "Message: not part of any block\n",
		 logging_error_block);
	g = frame_mem(data, INPUT_AUTO);
	cr_assert_eq(g->fmt, INPUT_TEXT);
	expect_no_warnings(g);
	expect_lines(g, lines, 4);
	cr_assert_not(g->r[0].joined);
	cr_assert(g->r[1].joined);
	cr_assert_str_eq(g->r[1].text, logging_error_block);
	cr_assert_eq(g->r[1].len, strlen(logging_error_block));
	cr_assert_not(g->r[2].joined);
	run_free(g);
}

Test(text, logging_error_without_caller_frame)
{
	/* handleError prints "Logged from file" when it finds no caller */
	const char *block =
		"--- Logging error ---\n"
		"Traceback (most recent call last):\n"
		"  File \"/usr/lib/python3.11/logging/__init__.py\", line 1110, in emit\n"
		"TypeError: Object of type WebSocketState is not JSON serializable\n"
		"Call stack:\n"
		"Logged from file websocket.py, line 752\n"
		"Message: 'WebSocket error: %s'\n"
		"Arguments: (<WebSocketState.DISCONNECTED: 3>,)";
	char data[1024];
	struct run *g;

	snprintf(data, sizeof data, "%s\nafter\n", block);
	g = frame_mem(data, INPUT_TEXT);
	cr_assert_eq(g->n, 2);
	cr_assert_str_eq(g->r[0].text, block);
	cr_assert_str_eq(g->r[1].text, "after");
	cr_assert_eq(g->r[1].line, 9);
	run_free(g);
}

Test(text, traceback_with_chain)
{
	const char *tb =
		"Traceback (most recent call last):\n"
		"  File \"/app/ws.py\", line 10, in run\n"
		"    await ws.send_json(payload)\n"
		"KeyError: 'agent_supervisor'\n"
		"\n"
		"During handling of the above exception, another exception occurred:\n"
		"\n"
		"Traceback (most recent call last):\n"
		"  File \"/app/ws.py\", line 14, in run\n"
		"    await ws.close(code=1011)\n"
		"websockets.exceptions.ConnectionClosedError: received 1011 (internal error) Service unavailable";
	char data[2048];
	struct run *g;
	static const long lines[] = { 1, 13, 14 };

	snprintf(data, sizeof data, "%s\n\nnext\nTraceback (most recent call last):\n"
		 "  File \"x\", line 1, in <module>\nValueError\n", tb);
	g = frame_mem(data, INPUT_TEXT);
	expect_lines(g, lines, 3);
	cr_assert_str_eq(g->r[0].text, tb, "trailing blank line is not part of it");
	cr_assert_str_eq(g->r[1].text, "next");
	cr_assert(g->r[2].joined);
	cr_assert(strstr(g->r[2].text, "\nValueError"));
	run_free(g);
}

Test(text, two_blocks_back_to_back)
{
	const char *data =
		"--- Logging error ---\n"
		"Traceback (most recent call last):\n"
		"  File \"a\", line 1, in emit\n"
		"TypeError: x\n"
		"Traceback (most recent call last):\n"
		"  File \"b\", line 2, in f\n"
		"ValueError: y\n";
	struct run *g = frame_mem(data, INPUT_TEXT);
	static const long lines[] = { 1, 5 };

	expect_lines(g, lines, 2);
	cr_assert_str_eq(g->r[0].text,
			 "--- Logging error ---\nTraceback (most recent call last):\n"
			 "  File \"a\", line 1, in emit\nTypeError: x");
	cr_assert_str_eq(g->r[1].text,
			 "Traceback (most recent call last):\n  File \"b\", line 2, in f\nValueError: y");
	run_free(g);
}

Test(text, crlf_and_lone_cr)
{
	const char *data = "one\r\ntwo\rthree\n\r\nfive\r\rseven";
	struct run *g = frame_mem(data, INPUT_TEXT);
	static const long lines[] = { 1, 2, 3, 5, 7 };

	expect_lines(g, lines, 5);
	cr_assert_str_eq(g->r[0].text, "one");
	cr_assert_str_eq(g->r[1].text, "two");
	cr_assert_str_eq(g->r[2].text, "three");
	cr_assert_str_eq(g->r[3].text, "five");
	cr_assert_str_eq(g->r[4].text, "seven");
	run_free(g);
}

Test(text, crlf_split_across_read_buffer)
{
	/* put a CR as the last byte of the first 256 KiB read, its LF first
	 * in the next one */
	size_t total = (256u << 10) + 1000, line = 64, i;
	char *data = malloc(total);
	struct run *g;

	memset(data, 'a', total);
	for (i = line - 1; i < total; i += line)
		data[i] = '\n';
	data[(256u << 10) - 1] = '\r';
	data[256u << 10] = '\n';
	g = frame_mem_n(data, total, INPUT_TEXT, 0);
	for (i = 0; i < (size_t)g->n; i++) {
		cr_assert_eq(g->r[i].line, (long)i + 1);
		cr_assert_eq(strchr(g->r[i].text, '\r'), NULL);
	}
	cr_assert_eq(g->n, 4112);
	free(data);
	run_free(g);
}

Test(text, nul_byte_kept)
{
	const char data[] = "a\0b\nc";
	struct run *g = frame_mem_n(data, sizeof data - 1, INPUT_TEXT, 0);

	cr_assert_eq(g->n, 2);
	cr_assert_eq(g->r[0].len, 3);
	cr_assert(memcmp(g->r[0].text, "a\0b", 3) == 0);
	cr_assert_str_eq(g->r[1].text, "c");
	run_free(g);
}

Test(text, blank_lines_skipped_line_numbers_kept)
{
	struct run *g = frame_mem("\n\nfirst\n   \n\t\nsecond\n\n", INPUT_AUTO);
	static const long lines[] = { 3, 6 };

	cr_assert_eq(g->fmt, INPUT_TEXT);
	expect_lines(g, lines, 2);
	run_free(g);
}

Test(text, long_line_cut)
{
	char data[300];
	struct run *g;

	memset(data, 'x', 200);
	strcpy(data + 200, "\nshort\n");
	g = frame_mem_n(data, strlen(data), INPUT_TEXT, 50);
	cr_assert_eq(g->n, 2);
	cr_assert(g->r[0].truncated);
	cr_assert_eq(g->r[0].len, 50);
	cr_assert_str_eq(g->r[1].text, "short");
	cr_assert_eq(g->r[1].line, 2);
	cr_assert_eq(g->nw, 1);
	cr_assert_str_eq(g->w[0], "t:1: record of 200 bytes cut to the 50-byte limit");
	run_free(g);
}

Test(text, block_bounded_by_lines)
{
	size_t n = 10050, i, len = 0;
	char *data = malloc(n * 24 + 100);
	struct run *g;

	len += (size_t)sprintf(data, "Traceback (most recent call last):\n");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(data + len, "  File \"f\", line %zu\n", i);
	g = frame_mem_n(data, len, INPUT_TEXT, 0);
	cr_assert_gt(g->n, 1);
	cr_assert(g->r[0].joined);
	{
		size_t lines = 1;
		const char *p = g->r[0].text;

		while ((p = strchr(p, '\n')))
			p++, lines++;
		cr_assert_eq(lines, 10000);
	}
	cr_assert_eq(g->r[1].line, 10001);
	cr_assert_eq(g->n, 1 + (int)(n + 1 - 10000));
	free(data);
	run_free(g);
}

Test(text, block_bounded_by_size)
{
	const char *data =
		"Traceback (most recent call last):\n"
		"  File \"a.py\", line 1, in f\n"
		"  File \"b.py\", line 2, in g\n"
		"KeyError: 1\n";
	struct run *g = frame_mem_n(data, strlen(data), INPUT_TEXT, 70);
	static const long lines[] = { 1, 3, 4 };

	expect_lines(g, lines, 3);
	cr_assert_str_eq(g->r[0].text,
			 "Traceback (most recent call last):\n  File \"a.py\", line 1, in f");
	cr_assert_not(g->r[1].truncated);
	run_free(g);
}

/* ---- detection and inputs ---- */

Test(detect, formats)
{
	static const struct { const char *in; enum input_format f; int n; } cases[] = {
		{ "", INPUT_TEXT, 0 },
		{ "   \n\n", INPUT_TEXT, 0 },
		{ "\xEF\xBB\xBF{\"a\":1}\n", INPUT_JSON, 1 },
		{ "\n  [\n  {\"a\":1}\n]", INPUT_JSON, 1 },
		{ "[INFO] hello\n", INPUT_TEXT, 1 },
		{ "[2025-09-08T12:00:00Z] hello\n", INPUT_TEXT, 1 },
		{ "---\nseverity: INFO\n", INPUT_YAML, 1 },
		{ "timestamp: '2025-09-08T12:00:00Z'\n", INPUT_YAML, 1 },
		{ "timestamps: many\n", INPUT_TEXT, 1 },
		{ "INFO:     127.0.0.1:5000 - \"WebSocket /ws\" [accepted]\n", INPUT_TEXT, 1 },
		{ "2025-09-08 12:00:00,123 ERROR boom\n", INPUT_TEXT, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct run *g = frame_mem(cases[i].in, INPUT_AUTO);

		cr_assert_eq(g->rc, 0);
		cr_assert_eq(g->fmt, cases[i].f, "case %zu: %s", i,
			     input_format_name(g->fmt));
		cr_assert_eq(g->n, cases[i].n, "case %zu", i);
		run_free(g);
	}
}

Test(detect, bom_not_in_record_and_column_one)
{
	struct run *g = frame_mem("\xEF\xBB\xBF{'x': 1}\n", INPUT_JSON);

	cr_assert_eq(g->n, 1);
	cr_assert_str_eq(g->r[0].text, "{'x': 1}");
	cr_assert_str_eq(g->w[0], "t:1:1: invalid JSON, kept as text");
	run_free(g);
}

Test(detect, forced_text_keeps_json_as_text)
{
	struct run *g = frame_mem("{\"a\":1}\n", INPUT_TEXT);

	cr_assert_eq(g->fmt, INPUT_TEXT);
	cr_assert_eq(g->n, 1);
	cr_assert_eq(g->r[0].kind, RECORD_TEXT);
	run_free(g);
}

Test(input, gzip_members_framed_and_truncation_reported)
{
	const char *a = "[\n  {\"n\": 1},\n", *b = "  {\"n\": 2}\n]\n";
	unsigned char z[512];
	size_t zn = 0;
	struct run *g;
	struct warn_sink ws;

	zn += gz_member(a, strlen(a), z + zn, sizeof z - zn);
	zn += gz_member(b, strlen(b), z + zn, sizeof z - zn);
	g = calloc(1, sizeof *g);
	ws.fn = sink;
	ws.ctx = g;
	run_source(g, source_open_mem("x.json.gz", (char *)z, zn, &ws), INPUT_AUTO, 0);
	cr_assert_eq(g->fmt, INPUT_JSON);
	cr_assert_eq(g->n, 2);
	cr_assert_eq(g->r[1].line, 3);
	expect_no_warnings(g);
	run_free(g);

	g = calloc(1, sizeof *g);
	ws.ctx = g;
	run_source(g, source_open_mem("x.json.gz", (char *)z, zn - 6, &ws), INPUT_AUTO, 0);
	cr_assert_eq(g->n, 2, "every byte before the cut is framed");
	cr_assert_eq(g->nw, 1);
	cr_assert(strncmp(g->w[0], "x.json.gz: gzip stream truncated after ", 39) == 0,
		  "%s", g->w[0]);
	run_free(g);
}

Test(input, framer_close_null)
{
	framer_close(NULL);
}

/*
 * framer_rest: after each record, where a framer opened mid-input would
 * take over (offset, line), or 0 where the framer holds something for
 * what follows. "rest" lists, per record, the offset and line, -1 for
 * not at rest.
 */
static void rests(const char *text, enum input_format fmt, const long long *want_off,
		  const long *want_line, int n)
{
	struct framer_opts o = { .format = fmt };
	struct source *s = source_open_mem("rest", text, strlen(text), NULL);
	struct framer *f = framer_open(s, &o);
	const struct record *r;
	struct diag d;
	long long off;
	long line;
	int i = 0;

	cr_assert_not_null(f);
	while (framer_next(f, &r, &d) == 1) {
		int at = framer_rest(f, &off, &line);

		cr_assert_lt(i, n, "more records than expected in %s", text);
		if (want_off[i] < 0) {
			cr_expect_eq(at, 0, "record %d of %s: at rest at %lld", i, text, off);
		} else {
			cr_expect_eq(at, 1, "record %d of %s: not at rest", i, text);
			cr_expect_eq(off, want_off[i], "record %d of %s: offset %lld", i, text, off);
			cr_expect_eq(line, want_line[i], "record %d of %s: line %ld", i, text, line);
		}
		i++;
	}
	cr_expect_eq(i, n, "%d records of %s", i, text);
	framer_close(f);
}

Test(frame, rest_between_json_lines)
{
	static const long long o1[] = { 8, 16 };
	static const long l1[] = { 2, 3 };
	static const long long o2[] = { 9, 18 };
	/* the last value's line has not ended: it cannot tell yet */
	static const long long o3[] = { 10, -1 };

	rests("{\"a\":1}\n{\"b\":2}\n", INPUT_AUTO, o1, l1, 2);
	/* CRLF is taken as one line end */
	rests("{\"a\":1}\r\n{\"b\":2}\r\n", INPUT_AUTO, o2, l1, 2);
	/* blanks and a comma after a value, on its line */
	rests("{\"a\":1} ,\n{\"b\":2}", INPUT_AUTO, o3, l1, 2);
}

Test(frame, rest_not_inside_an_array_or_on_a_shared_line)
{
	/* the elements of an array are not at rest; the array's end is */
	static const long long o1[] = { -1, -1 };
	static const long l1[] = { 0, 0 };
	/* two values on one line: not at rest after the first */
	static const long long o2[] = { -1, 15, -1 };
	static const long l2[] = { 0, 2, 0 };

	rests("[\n{\"a\":1}\n{\"b\":2}\n]\n", INPUT_AUTO, o1, l1, 2);
	rests("{\"a\":1}{\"b\":2}\n{\"c\":3}", INPUT_AUTO, o2, l2, 3);
}

Test(frame, rest_is_json_framing_only)
{
	static const long long o1[] = { -1, -1 };
	static const long l1[] = { 0, 0 };

	rests("one\ntwo\n", INPUT_TEXT, o1, l1, 2);
}

Test(frame, detect_from_memory)
{
	cr_expect_eq(framer_detect("{\"a\":1}\n", 8), INPUT_JSON);
	cr_expect_eq(framer_detect("\xEF\xBB\xBF[{\"a\":1}]", 12), INPUT_JSON);
	cr_expect_eq(framer_detect("---\na: 1\n", 9), INPUT_YAML);
	cr_expect_eq(framer_detect("plain text\n", 11), INPUT_TEXT);
	cr_expect(input_format_json_framed(INPUT_JSON));
	cr_expect(!input_format_json_framed(INPUT_TEXT));
}

#ifdef JSCAN_VALUE_END
/* scan_value's byte-by-byte count, the reference jscan_value_end must
 * agree with: the end of the value opened at p, NULL at a line break, a
 * backslash outside a string, or the end of the bytes */
static const char *value_end_ref(const char *p, const char *e)
{
	long depth = 0;
	int in_str = 0, esc = 0;

	for (; p < e; p++) {
		char c = *p;

		if (c == '\n' || c == '\r')
			return NULL;
		if (esc)
			esc = 0;
		else if (in_str)
			esc = c == '\\', in_str = c != '"';
		else if (c == '\\')
			return NULL;
		else if (c == '"')
			in_str = 1;
		else if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && --depth == 0)
			return p + 1;
	}
	return NULL;
}

/* Random values from the bytes that matter (quotes, backslash runs,
 * brackets, line breaks) at every length to 300 (blocks of 64 and the
 * tail after them), and every placement of the closing byte: the 64-byte
 * scan finds the same end as the byte scan, or none where it finds none. */
Test(json, value_end_masks)
{
	static const char alphabet[] = "\"\\\\\\{}[]a,:\n\r \x01\x80";
	char s[320];
	unsigned seed = 12345;
	size_t len, i, trial;

	for (len = 1; len <= 300; len++)
		for (trial = 0; trial < 200; trial++) {
			const char *want, *got;

			s[0] = trial & 1 ? '[' : '{';
			for (i = 1; i < len; i++) {
				seed = seed * 1103515245u + 12345u;
				/* mostly plain bytes, as in logs */
				s[i] = (seed >> 16) % 4 ? 'x' : alphabet[(seed >> 8) % (sizeof alphabet - 1)];
			}
			want = value_end_ref(s, s + len);
			got = jscan_value_end(s, s + len);
			cr_assert_eq(got, want, "length %zu, trial %zu: end %td, want %td", len, trial,
				     got ? got - s : -1, want ? want - s : -1);
		}
}

/* A value of the shape logs have: nested objects and arrays, strings
 * with escaped quotes and backslash runs of every length, some bytes
 * after it; then the same with one byte anywhere changed to one that
 * matters. Most of the first close where the byte scan says. */
static size_t gen_value(char *s, size_t cap, unsigned *seed, int depth)
{
	size_t n = 0, k, items;

	*seed = *seed * 1103515245u + 12345u;
	s[n++] = *seed >> 20 & 1 ? '[' : '{';
	items = (*seed >> 8) % 5;
	for (k = 0; k < items && n + 80 < cap; k++) {
		size_t j, runs;

		if (k)
			s[n++] = ',';
		s[n++] = '"';
		*seed = *seed * 1103515245u + 12345u;
		runs = (*seed >> 16) % 6;
		for (j = 0; j < runs; j++) {
			size_t b, nb = (*seed >> (j + 3)) % 4;

			memcpy(s + n, "ab", 2), n += 2;
			for (b = 0; b < 2 * nb; b++)
				s[n++] = '\\';   /* an even run: plain backslashes */
			if ((*seed >> j) & 1)
				s[n++] = '\\', s[n++] = '"';   /* an escaped quote */
			if ((*seed >> (j + 7)) & 1)
				s[n++] = '{', s[n++] = ']';   /* brackets inside a string */
		}
		s[n++] = '"';
		if (depth < 4 && ((*seed >> 12) & 3) == 0)
			s[n++] = ':', n += gen_value(s + n, cap - n, seed, depth + 1);
	}
	s[n++] = s[0] == '[' ? ']' : '}';
	return n;
}

Test(json, value_end_shapes)
{
	static const char matter[] = "\"\\{}[]\n\r";
	char s[4096];
	unsigned seed = 777;
	size_t trial, found = 0;

	for (trial = 0; trial < 20000; trial++) {
		size_t n = gen_value(s, sizeof s - 200, &seed, 0), tail = seed % 70;
		const char *want, *got;

		memset(s + n, 'z', tail);
		if (trial % 3 == 2)   /* one byte changed */
			s[1 + seed % (n + tail - 1)] = matter[(seed >> 9) % (sizeof matter - 1)];
		want = value_end_ref(s, s + n + tail);
		got = jscan_value_end(s, s + n + tail);
		found += want != NULL;
		cr_assert_eq(got, want, "trial %zu (%zu bytes): end %td, want %td", trial, n + tail,
			     got ? got - s : -1, want ? want - s : -1);
	}
	cr_assert_gt(found, 10000, "the values must mostly close (%zu did)", found);
}
#endif
