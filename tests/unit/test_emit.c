#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emit/emit.h"
#include "emit/emit_impl.h"       /* emit_json_quote */
#include "rules/ruleset_impl.h"   /* a ruleset of rules made here */
#include "util/buf.h"

/*
 * Rules, events and matches are filled in by hand: the emitters only read
 * struct fields, and these tests must not depend on rules/ or event/.
 */
static struct rule rule_err = { .d = {
	.id = "ws-close-1011", .title = "Server closed with 1011",
	.category = "websocket", .role = ROLE_SYMPTOM, .level = LEVEL_ERROR,
	.message = "closed {code}", .fix = "Fix the server", .index = 0,
} };
static struct rule rule_warn = { .d = {
	.id = "enum-not-serializable", .title = "Enum in a JSON log call",
	.category = "logging", .role = ROLE_CAUSE, .level = LEVEL_WARNING,
	.index = 1,
} };
static struct rule rule_info = { .d = {
	.id = "startup-wait", .title = "Startup wait", .category = "startup",
	.role = ROLE_CONTEXT, .level = LEVEL_INFO, .index = 2,
} };
static char *why_chain[] = { "the client saw 1011", "the handler raised" };
static struct rule *all_rules[3] = { &rule_err, &rule_warn, &rule_info };
static struct ruleset rules = { .rules = all_rules, .n = 3 };

static void make_event(struct event *ev, const char *source, long line, const char *text)
{
	memset(ev, 0, sizeof *ev);
	ev->source = source;
	ev->line = ev->last_line = line;
	ev->msg = text;
	ev->msg_len = strlen(text);
	ev->text = text;
	ev->text_len = strlen(text);
	ev->close.clean = -1;
	ev->close.elapsed_ms = -1;
}

static struct finding make_finding(const struct rule *r, const struct event *ev,
				   const struct match *m, const char *msg)
{
	struct finding f = { rule_desc(r), ev, m, msg };
	return f;
}

/* Emit n findings and return everything written (malloc'd, NUL-terminated). */
static char *emit_all(enum emit_format fmt, const struct emit_opts *o,
		      const struct finding *fs, size_t n, size_t *len)
{
	char *p = NULL;
	size_t sz = 0;
	FILE *out = open_memstream(&p, &sz);
	struct emitter *e;
	size_t i;

	cr_assert_not_null(out);
	e = emitter_open(fmt, out, o);
	cr_assert_not_null(e);
	for (i = 0; i < n; i++)
		cr_assert_eq(emitter_finding(e, &fs[i]), 0, "finding %zu", i);
	cr_assert_eq(emitter_close(e, NULL), 0);
	fclose(out);
	if (len)
		*len = sz;
	return p;
}

static const struct emit_opts plain = { 0, &rules, "0.1.0", NULL, 0, 0, 0 };

/* Write s to a temporary file and run cmd on it ("%s" is the path). */
static int run_on(const char *s, size_t n, const char *cmd)
{
	char path[] = "/tmp/test_emit_XXXXXX";
	char line[512];
	int fd = mkstemp(path), rc;

	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, s, n), (ssize_t)n);
	close(fd);
	snprintf(line, sizeof line, cmd, path);
	rc = system(line);
	unlink(path);
	return rc;
}

static int sarif_check(const char *s, size_t n, int quiet)
{
	cr_assert_eq(access("tests/validate_sarif.py", R_OK), 0,
		     "run the tests from the repository root");
	return run_on(s, n, quiet ? "/usr/bin/python3 tests/validate_sarif.py %s 2>/dev/null"
				  : "/usr/bin/python3 tests/validate_sarif.py %s");
}

static int sarif_valid(const char *s, size_t n)
{
	return sarif_check(s, n, 0);
}

static int xml_well_formed(const char *s, size_t n)
{
	return run_on(s, n, "/usr/bin/python3 -c 'import xml.dom.minidom,sys; "
			    "xml.dom.minidom.parse(sys.argv[1])' %s");
}

Test(emit, format_names)
{
	static const char *names[] = { "text", "json", "sarif", "junit", "github" };
	int i;

	for (i = 0; i < 5; i++) {
		cr_assert_str_eq(emit_format_name((enum emit_format)i), names[i]);
		cr_assert_eq(emit_format_parse(names[i]), i);
	}
	cr_assert_eq(emit_format_parse("xml"), -1);
	cr_assert_eq(emit_format_parse("TEXT"), -1);
	cr_assert_eq(emit_format_parse(""), -1);
	cr_assert_eq(emit_format_parse(NULL), -1);
	cr_assert_null(emit_format_name((enum emit_format)99));
}

Test(emit, text_lines)
{
	struct event a, b, c;
	struct finding fs[3];
	char *out;

	make_event(&a, "app.log", 12, "x");
	make_event(&b, "app.log", 13, "y");
	make_event(&c, NULL, 1, "z");
	fs[0] = make_finding(&rule_err, &a, NULL, "closed 1011");
	fs[1] = make_finding(&rule_warn, &b, NULL, "state is an enum");
	fs[2] = make_finding(&rule_info, &c, NULL, NULL);
	out = emit_all(EMIT_TEXT, &plain, fs, 3, NULL);
	cr_assert_str_eq(out,
			 "app.log:12: error: ws-close-1011: closed 1011\n"
			 "app.log:13: warning: enum-not-serializable: state is an enum\n"
			 "<stdin>:1: info: startup-wait: Startup wait\n");
	cr_assert_null(strchr(out, '\033'));
	free(out);
}

Test(emit, text_color)
{
	struct emit_opts o = plain;
	struct event a, b, c;
	struct finding fs[3];
	char *out;

	o.color = 1;
	make_event(&a, "f", 1, "x");
	make_event(&b, "f", 2, "x");
	make_event(&c, "f", 3, "x");
	fs[0] = make_finding(&rule_err, &a, NULL, "m");
	fs[1] = make_finding(&rule_warn, &b, NULL, "m");
	fs[2] = make_finding(&rule_info, &c, NULL, "m");
	out = emit_all(EMIT_TEXT, &o, fs, 3, NULL);
	cr_assert_str_eq(out,
			 "f:1: \033[1;31merror\033[0m: \033[2mws-close-1011\033[0m: m\n"
			 "f:2: \033[33mwarning\033[0m: \033[2menum-not-serializable\033[0m: m\n"
			 "f:3: \033[36minfo\033[0m: \033[2mstartup-wait\033[0m: m\n");
	free(out);
}

Test(emit, text_escapes_log_bytes)
{
	struct emit_opts o = plain;
	struct event a;
	struct finding f;
	char *out;

	o.color = 1;   /* our own SGR codes only, none from the log */
	make_event(&a, "evil\033[2J.log", 7, "x");
	f = make_finding(&rule_err, &a, NULL, "a\033]0;pwned\007b\nc\r\xff\xc2\x9b");
	out = emit_all(EMIT_TEXT, &o, &f, 1, NULL);
	cr_assert_str_eq(out,
			 "evil\\x1b[2J.log:7: \033[1;31merror\033[0m: "
			 "\033[2mws-close-1011\033[0m: a\\x1b]0;pwned\\x07b\\nc\\x0d\\xff\\u009b\n");
	free(out);

	o.color = 0;
	out = emit_all(EMIT_TEXT, &o, &f, 1, NULL);
	cr_assert_null(strchr(out, '\033'));
	cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "one line: %s", out);
	free(out);
}

Test(emit, github_commands)
{
	struct event a, b, c;
	struct finding fs[3];
	char *out;

	make_event(&a, "logs/app.log", 12, "x");
	make_event(&b, "logs/app.log", 13, "x");
	make_event(&c, "<stdin>", 14, "x");
	fs[0] = make_finding(&rule_err, &a, NULL, "closed 1011");
	fs[1] = make_finding(&rule_warn, &b, NULL, "enum");
	fs[2] = make_finding(&rule_info, &c, NULL, "waiting");
	out = emit_all(EMIT_GITHUB, &plain, fs, 3, NULL);
	cr_assert_str_eq(out,
			 "::error file=logs/app.log,line=12,title=ws-close-1011::closed 1011\n"
			 "::warning file=logs/app.log,line=13,title=enum-not-serializable::enum\n"
			 "::notice title=startup-wait::waiting\n");
	free(out);
}

Test(emit, github_escaping)
{
	struct event a;
	struct finding f;
	char *out;

	make_event(&a, "C:\\logs,x%y.log", 3, "x");
	f = make_finding(&rule_err, &a, NULL,
			 "100% done\r\n::set-env name=X::1\n\033[31mred, a:b");
	out = emit_all(EMIT_GITHUB, &plain, &f, 1, NULL);
	cr_assert_str_eq(out,
			 "::error file=C%3A\\logs%2Cx%25y.log,line=3,title=ws-close-1011::"
			 "100%25 done%0D%0A::set-env name=X::1%0A\\x1b[31mred, a:b\n");
	free(out);
}

static json_t *parse_line(const char *s, size_t n)
{
	json_error_t err;
	json_t *v = json_loadb(s, n, JSON_ALLOW_NUL, &err);

	cr_assert_not_null(v, "invalid JSON: %s: %.*s", err.text, (int)n, s);
	return v;
}

Test(emit, json_fields)
{
	struct event a;
	struct match m;
	struct finding f;
	json_t *v, *c;
	char *out;
	size_t len;

	make_event(&a, "app.log", 42, "{\"message\":\"closed\"}");
	a.has_ts = 1;
	a.ts_us = 1700000000123456LL;
	a.close.present = 1;
	a.close.code = 1011;
	strcpy(a.close.reason, "Internal error");
	a.close.direction = CLOSE_DIR_RECEIVED;
	a.close.clean = 1;
	a.close.elapsed_ms = 63;
	memset(&m, 0, sizeof m);
	m.caps[0].name = "code";
	m.caps[0].value = "1011";
	m.caps[1].name = "reason";
	m.caps[1].value = "Internal error";
	m.ncaps = 2;
	f = make_finding(&rule_err, &a, &m, "closed 1011");
	out = emit_all(EMIT_JSON, &plain, &f, 1, &len);
	cr_assert_eq(out[len - 1], '\n');
	cr_assert_null(memchr(out, '\n', len - 1), "one line");
	v = parse_line(out, len);
	cr_assert_str_eq(json_string_value(json_object_get(v, "source")), "app.log");
	cr_assert_eq(json_integer_value(json_object_get(v, "line")), 42);
	cr_assert_str_eq(json_string_value(json_object_get(v, "rule")), "ws-close-1011");
	cr_assert_str_eq(json_string_value(json_object_get(v, "category")), "websocket");
	cr_assert_str_eq(json_string_value(json_object_get(v, "role")), "symptom");
	cr_assert_str_eq(json_string_value(json_object_get(v, "severity")), "error");
	cr_assert_str_eq(json_string_value(json_object_get(v, "message")), "closed 1011");
	cr_assert_str_eq(json_string_value(json_object_get(v, "timestamp")),
			 "2023-11-14T22:13:20.123456Z");
	cr_assert_str_eq(json_string_value(json_object_get(v, "text")),
			 "{\"message\":\"closed\"}");
	c = json_object_get(v, "captures");
	cr_assert_eq(json_object_size(c), 2);
	cr_assert_str_eq(json_string_value(json_object_get(c, "code")), "1011");
	cr_assert_str_eq(json_string_value(json_object_get(c, "reason")), "Internal error");
	c = json_object_get(v, "close");
	cr_assert(json_is_object(c));
	cr_assert_eq(json_integer_value(json_object_get(c, "code")), 1011);
	cr_assert_str_eq(json_string_value(json_object_get(c, "reason")), "Internal error");
	cr_assert_str_eq(json_string_value(json_object_get(c, "direction")), "received");
	cr_assert(json_is_true(json_object_get(c, "clean")));
	cr_assert_eq(json_integer_value(json_object_get(c, "elapsed_ms")), 63);
	cr_assert(json_is_null(json_object_get(c, "http_status")));
	cr_assert_eq(json_object_size(v), 11);
	/* Key order is part of the output's stability. */
	cr_assert_eq(strncmp(out, "{\"source\":\"app.log\",\"line\":42,\"rule\":", 37), 0,
		     "%s", out);
	json_decref(v);
	free(out);
}

Test(emit, json_nulls_and_many_lines)
{
	struct event ev[3];
	struct finding fs[3];
	char *out, *p, *nl;
	int i;

	for (i = 0; i < 3; i++) {
		make_event(&ev[i], "a.log", i + 1, "t");
		fs[i] = make_finding(&rule_info, &ev[i], NULL, "m");
	}
	ev[1].text = NULL;
	ev[2].has_ts = 1;
	ev[2].ts_us = -1;   /* floor, not truncation, before the epoch */
	ev[2].close.present = 1;
	ev[2].close.code = 1006;
	ev[2].close.clean = 0;
	ev[2].close.http_status = 403;
	out = emit_all(EMIT_JSON, &plain, fs, 3, NULL);
	for (p = out, i = 0; (nl = strchr(p, '\n')); p = nl + 1, i++) {
		json_t *v = parse_line(p, (size_t)(nl - p)), *c;

		cr_assert_eq(json_integer_value(json_object_get(v, "line")), i + 1);
		cr_assert_str_eq(json_string_value(json_object_get(v, "category")), "startup");
		cr_assert_str_eq(json_string_value(json_object_get(v, "role")), "context");
		cr_assert_str_eq(json_string_value(json_object_get(v, "severity")), "info");
		cr_assert_eq(json_object_size(json_object_get(v, "captures")), 0);
		if (i == 1)
			cr_assert(json_is_null(json_object_get(v, "text")));
		if (i < 2) {
			cr_assert(json_is_null(json_object_get(v, "timestamp")));
			cr_assert(json_is_null(json_object_get(v, "close")));
		} else {
			cr_assert_str_eq(json_string_value(json_object_get(v, "timestamp")),
					 "1969-12-31T23:59:59.999999Z");
			c = json_object_get(v, "close");
			cr_assert_str_eq(json_string_value(json_object_get(c, "reason")), "");
			cr_assert_str_eq(json_string_value(json_object_get(c, "direction")),
					 "unknown");
			cr_assert(json_is_false(json_object_get(c, "clean")));
			cr_assert(json_is_null(json_object_get(c, "elapsed_ms")));
			cr_assert_eq(json_integer_value(json_object_get(c, "http_status")), 403);
		}
		json_decref(v);
	}
	cr_assert_eq(i, 3);
	free(out);
}

Test(emit, json_invalid_utf8_and_truncation)
{
	static char big[5000];
	struct event a;
	struct match m;
	struct finding f;
	json_t *v;
	const char *t;
	char *out;
	size_t len;

	/* 4095 ASCII bytes then "é": the 4096-byte cut falls inside it. */
	memset(big, 'a', sizeof big - 1);
	memcpy(big + 4095, "\xc3\xa9", 2);
	make_event(&a, "bad\xff.log", 1, big);
	memset(&m, 0, sizeof m);
	m.caps[0].name = "v";
	m.caps[0].value = "\xc0\x80x\xed\xa0\x80";   /* overlong NUL, surrogate */
	m.ncaps = 1;
	f = make_finding(&rule_err, &a, &m, "bad \xfe byte\033");
	out = emit_all(EMIT_JSON, &plain, &f, 1, &len);
	v = parse_line(out, len);
	cr_assert_str_eq(json_string_value(json_object_get(v, "source")), "bad\xef\xbf\xbd.log");
	cr_assert_str_eq(json_string_value(json_object_get(v, "message")),
			 "bad \xef\xbf\xbd byte\033");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(v, "captures"), "v")),
			 "\xef\xbf\xbd\xef\xbf\xbdx\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	t = json_string_value(json_object_get(v, "text"));
	cr_assert_eq(strlen(t), 4095, "cut back to a whole code point");
	cr_assert_null(memchr(out, 0x1b, len), "controls escaped by jansson");

	/* Text with embedded NUL stays one JSON string. */
	json_decref(v);
	free(out);
	a.text = "a\0b";
	a.text_len = 3;
	out = emit_all(EMIT_JSON, &plain, &f, 1, &len);
	v = parse_line(out, len);
	cr_assert_eq(json_string_length(json_object_get(v, "text")), 3);
	json_decref(v);
	free(out);
}

/* Follow "a.0.b": object keys, and array indexes for arrays. Borrowed. */
static json_t *jpath(json_t *v, const char *path)
{
	char key[128];

	while (v && *path) {
		size_t n = strcspn(path, ".");

		snprintf(key, sizeof key, "%.*s", (int)n, path);
		v = json_is_array(v) ? json_array_get(v, strtoul(key, NULL, 10))
				     : json_object_get(v, key);
		path += n + (path[n] == '.');
	}
	return v;
}

Test(emit, sarif_zero_findings)
{
	char *out;
	size_t len;
	json_t *v, *run;

	out = emit_all(EMIT_SARIF, &plain, NULL, 0, &len);
	cr_assert_eq(sarif_valid(out, len), 0, "%s", out);
	v = parse_line(out, len);
	cr_assert_str_eq(json_string_value(json_object_get(v, "version")), "2.1.0");
	run = json_array_get(json_object_get(v, "runs"), 0);
	cr_assert_eq(json_array_size(json_object_get(run, "results")), 0);
	cr_assert_eq(json_array_size(json_object_get(json_object_get(json_object_get(run, "tool"),
								      "driver"), "rules")), 3);
	json_decref(v);
	free(out);

	/* No ruleset, no version: still a valid log. */
	{
		struct emit_opts o = { 0, NULL, NULL, NULL, 0, 0, 0 };

		out = emit_all(EMIT_SARIF, &o, NULL, 0, &len);
		cr_assert_eq(sarif_valid(out, len), 0, "%s", out);
		free(out);
	}
}

Test(emit, sarif_one_finding)
{
	static const char *inputs[] = { "-", "logs/my app.log" };
	struct emit_opts o = { 0, &rules, "0.1.0", inputs, 2, 0, 0 };
	struct event a;
	struct match m;
	struct finding f;
	json_t *v, *run, *drv, *r, *res, *loc;
	char *out;
	size_t len;

	rule_err.d.why = why_chain;
	rule_err.d.nwhy = 2;
	make_event(&a, "<stdin>", 9, "close 1011 \xff");
	memset(&m, 0, sizeof m);
	m.caps[0].name = "code";
	m.caps[0].value = "1011";
	m.ncaps = 1;
	f = make_finding(&rule_err, &a, &m, "closed 1011");
	out = emit_all(EMIT_SARIF, &o, &f, 1, &len);
	rule_err.d.why = NULL;
	rule_err.d.nwhy = 0;
	cr_assert_eq(sarif_valid(out, len), 0, "%s", out);
	v = parse_line(out, len);
	run = json_array_get(json_object_get(v, "runs"), 0);
	drv = json_object_get(json_object_get(run, "tool"), "driver");
	cr_assert_str_eq(json_string_value(json_object_get(drv, "name")), "logwhy");
	cr_assert_str_eq(json_string_value(json_object_get(drv, "version")), "0.1.0");
	cr_assert_str_eq(json_string_value(json_object_get(drv, "semanticVersion")), "0.1.0");
	cr_assert_str_eq(json_string_value(json_object_get(drv, "informationUri")),
			 "https://github.com/logwhy/logwhy");
	r = json_array_get(json_object_get(drv, "rules"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(r, "id")), "ws-close-1011");
	cr_assert_str_eq(json_string_value(json_object_get(r, "name")), "Server closed with 1011");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "fullDescription"),
							   "text")),
			 "the client saw 1011; the handler raised");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "help"), "text")),
			 "Fix the server");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(
				 r, "defaultConfiguration"), "level")), "error");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(
				 json_array_get(json_object_get(drv, "rules"), 2),
				 "defaultConfiguration"), "level")), "note");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "properties"),
							   "role")), "symptom");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(
				 json_array_get(json_object_get(run, "artifacts"), 1),
				 "location"), "uri")), "logs/my%20app.log");

	res = json_array_get(json_object_get(run, "results"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(res, "ruleId")), "ws-close-1011");
	cr_assert_eq(json_integer_value(json_object_get(res, "ruleIndex")), 0);
	cr_assert_str_eq(json_string_value(json_object_get(res, "level")), "error");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(res, "message"),
							   "text")), "closed 1011");
	loc = json_object_get(json_array_get(json_object_get(res, "locations"), 0),
			      "physicalLocation");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(loc, "artifactLocation"),
							   "uri")), "stdin");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(loc, "artifactLocation"),
							"index")), 0);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(loc, "region"),
							"startLine")), 9);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(
				 res, "properties"), "captures"), "code")), "1011");
	cr_assert_eq(json_object_size(json_object_get(res, "partialFingerprints")), 1);
	json_decref(v);
	free(out);
}

static const char *fingerprint(const char *id_text, const struct rule *r)
{
	static char fp[64];
	struct event a;
	struct finding f;
	json_t *v, *res;
	const char *key;
	json_t *val;
	char *out;
	size_t len;

	make_event(&a, "x.log", 1, id_text);
	f = make_finding(r, &a, NULL, "m");
	out = emit_all(EMIT_SARIF, &plain, &f, 1, &len);
	v = parse_line(out, len);
	res = json_array_get(json_object_get(json_array_get(json_object_get(v, "runs"), 0),
					     "results"), 0);
	json_object_foreach(json_object_get(res, "partialFingerprints"), key, val)
		snprintf(fp, sizeof fp, "%s", json_string_value(val));
	json_decref(v);
	free(out);
	return fp;
}

Test(emit, sarif_fingerprint_stable)
{
	char a[64], b[64];

	snprintf(a, sizeof a, "%s", fingerprint("record one", &rule_err));
	snprintf(b, sizeof b, "%s", fingerprint("record one", &rule_err));
	cr_assert_str_eq(a, b);
	/* 16 hex digits, then ":N", N earlier results with the same hash */
	cr_assert_eq(strlen(a), 18);
	cr_assert_str_eq(a + 16, ":0");
	snprintf(b, sizeof b, "%s", fingerprint("record two", &rule_err));
	cr_assert_str_neq(a, b);
	snprintf(b, sizeof b, "%s", fingerprint("record one", &rule_warn));
	cr_assert_str_neq(a, b);
}

Test(emit, sarif_many_findings)
{
	enum { N = 500 };
	static const char *inputs[] = { "/var/log/app.log" };
	struct emit_opts o = { 0, &rules, "0.1.0", inputs, 1, 0, 0 };
	static struct event ev[N];
	static struct finding fs[N];
	struct rule orphan = rule_info;
	json_t *v, *results;
	char *out;
	size_t len;
	int i;

	orphan.d.id = "not-in-ruleset";
	orphan.d.index = 7;
	for (i = 0; i < N; i++) {
		make_event(&ev[i], i % 2 ? "/var/log/app.log" : "other.log", i + 1,
			   i % 3 ? "plain" : "hostile \033\x01\xff \"'<&>");
		fs[i] = make_finding(i % 7 == 6 ? &orphan : all_rules[i % 3], &ev[i], NULL,
				     i % 5 ? "m" : "msg\nwith\033esc");
	}
	ev[3].line = 0;   /* unknown line: no region */
	out = emit_all(EMIT_SARIF, &o, fs, N, &len);
	cr_assert_eq(sarif_valid(out, len), 0);
	v = parse_line(out, len);
	results = json_object_get(json_array_get(json_object_get(v, "runs"), 0), "results");
	cr_assert_eq(json_array_size(results), N);
	{
		/* identical records still get one fingerprint each: code
		 * scanning folds results that share one */
		json_t *seen = json_object();
		size_t k;
		json_t *r;

		json_array_foreach(results, k, r) {
			const char *fp = json_string_value(jpath(r, "partialFingerprints."
								    "logwhyRecordHash/v2"));

			cr_assert(fp);
			cr_assert_null(json_object_get(seen, fp), "fingerprint %s twice", fp);
			json_object_set_new(seen, fp, json_true());
		}
		json_decref(seen);
	}
	cr_assert_str_eq(json_string_value(jpath(results, "1.locations.0.physicalLocation."
							    "artifactLocation.uri")),
			 "file:///var/log/app.log");
	cr_assert_eq(json_integer_value(jpath(results, "1.locations.0.physicalLocation."
						  "artifactLocation.index")), 0);
	cr_assert_null(jpath(results, "0.locations.0.physicalLocation.artifactLocation.index"));
	cr_assert_null(jpath(results, "3.locations.0.physicalLocation.region"));
	cr_assert_null(json_object_get(json_array_get(results, 6), "ruleIndex"));
	json_decref(v);
	free(out);
}

Test(emit, junit_hostile_bytes)
{
	enum { N = 40 };
	static struct event ev[N];
	static struct finding fs[N];
	static char nasty[] = "\033[31m]]> <b a=\"x\" b='y'>&amp;\x01\x02\x0b\x0c\x1f\x7f"
			      "\xff\xfe\xc0\x80\xed\xa0\x80\xef\xbf\xbe\xef\xbf\xbf\r\n\ttab";
	char *out;
	size_t len;
	int i;

	for (i = 0; i < N; i++) {
		make_event(&ev[i], i % 2 ? "we\"ird&<name>\x01.log" : "ok.log", i + 1, "");
		ev[i].text = nasty;
		ev[i].text_len = sizeof nasty;   /* the NUL too */
		fs[i] = make_finding(all_rules[i % 3], &ev[i], NULL, nasty);
	}
	out = emit_all(EMIT_JUNIT, &plain, fs, N, &len);
	cr_assert_eq(xml_well_formed(out, len), 0, "%s", out);
	cr_assert_not_null(strstr(out, "<testsuite name=\"logwhy lint\" tests=\"40\" failures=\"40\""));
	cr_assert_not_null(strstr(out, "<testcase classname=\"ws-close-1011\" name=\"ok.log:1\">"));
	cr_assert_not_null(strstr(out, "<failure type=\"warning\" message=\"\\x1b[31m]]&gt; &lt;b"
				       " a=&quot;x&quot;"));
	cr_assert_not_null(strstr(out, "name=\"we&quot;ird&amp;&lt;name&gt;\\x01.log:2\""));
	cr_assert_null(memchr(out, '\033', len));
	cr_assert_null(memchr(out, '\0', len));
	free(out);
}

Test(emit, junit_zero_findings)
{
	char *out;
	size_t len;

	out = emit_all(EMIT_JUNIT, &plain, NULL, 0, &len);
	cr_assert_str_eq(out,
			 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			 "<testsuites name=\"logwhy\" tests=\"1\" failures=\"0\" errors=\"0\">\n"
			 "  <testsuite name=\"logwhy lint\" tests=\"1\" failures=\"0\""
			 " errors=\"0\" skipped=\"0\">\n"
			 "    <testcase classname=\"logwhy\" name=\"lint\"/>\n"
			 "  </testsuite>\n</testsuites>\n");
	cr_assert_eq(xml_well_formed(out, len), 0);
	free(out);
}

Test(emit, junit_one_finding_exact)
{
	struct event a;
	struct finding f;
	char *out;

	make_event(&a, "app.log", 5, "line one\nline & two");
	f = make_finding(&rule_err, &a, NULL, "closed 1011");
	out = emit_all(EMIT_JUNIT, &plain, &f, 1, NULL);
	cr_assert_str_eq(out,
			 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			 "<testsuites name=\"logwhy\" tests=\"1\" failures=\"1\" errors=\"0\">\n"
			 "  <testsuite name=\"logwhy lint\" tests=\"1\" failures=\"1\""
			 " errors=\"0\" skipped=\"0\">\n"
			 "    <testcase classname=\"ws-close-1011\" name=\"app.log:5\">\n"
			 "      <failure type=\"error\" message=\"closed 1011\">"
			 "line one\nline &amp; two</failure>\n"
			 "    </testcase>\n"
			 "  </testsuite>\n</testsuites>\n");
	free(out);
}

Test(emit, write_error_reported)
{
	FILE *out = fopen("/dev/full", "w");
	struct event a;
	struct finding f;
	struct emitter *e;
	int fmt, rc;

	cr_assert_not_null(out);
	make_event(&a, "a.log", 1, "x");
	f = make_finding(&rule_err, &a, NULL, "m");
	for (fmt = EMIT_TEXT; fmt <= EMIT_GITHUB; fmt++) {
		e = emitter_open((enum emit_format)fmt, out, &plain);
		cr_assert_not_null(e);
		emitter_finding(e, &f);   /* buffered: may not fail yet */
		rc = emitter_close(e, NULL);
		cr_assert_eq(rc, -1, "format %d", fmt);
		cr_assert_eq(errno, ENOSPC, "format %d: errno %d", fmt, errno);
		clearerr(out);
	}
	fclose(out);
}

Test(emit, sarif_validator_rejects)
{
	/* The validator must fail something, or every pass above is empty. */
	static const char bad_driver[] =
		"{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{}}}]}";
	static const char bad_index[] =
		"{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"x\","
		"\"rules\":[{\"id\":\"a\"}]}},\"results\":[{\"ruleId\":\"b\",\"ruleIndex\":0,"
		"\"message\":{\"text\":\"m\"}}]}]}";
	static const char cut[] = "{\"version\":\"2.1.0\",\"runs\":[";

	cr_assert_neq(sarif_check(bad_driver, sizeof bad_driver - 1, 1), 0);
	cr_assert_neq(sarif_check(bad_index, sizeof bad_index - 1, 1), 0);
	cr_assert_neq(sarif_check(cut, sizeof cut - 1, 1), 0);
}

Test(emit, sarif_streams)
{
	/* Header at open, each result as it comes, footer at close: what a
	 * reader of a pipe sees before the run ends. */
	char *p = NULL;
	size_t sz = 0;
	FILE *out = open_memstream(&p, &sz);
	struct emitter *e;
	struct event a;
	struct finding f;

	make_event(&a, "a.log", 1, "x");
	f = make_finding(&rule_err, &a, NULL, "first");
	e = emitter_open(EMIT_SARIF, out, &plain);
	cr_assert_not_null(e);
	fflush(out);
	cr_assert_not_null(strstr(p, "\"results\":["));
	cr_assert_eq(emitter_finding(e, &f), 0);
	fflush(out);
	cr_assert_not_null(strstr(p, "\"text\":\"first\""));
	cr_assert_null(strstr(p, "]}]}"));
	cr_assert_eq(emitter_close(e, NULL), 0);
	fclose(out);
	cr_assert_eq(strcmp(p + sz - 5, "]}]}\n"), 0);
	free(p);
}

Test(emit, text_memory_flat)
{
	/* Many findings through one emitter: nothing kept per finding (ASan
	 * would report what leaks; this checks nothing piles up in output). */
	FILE *out = fopen("/dev/null", "w");
	struct emitter *e;
	struct event a;
	struct finding f;
	int fmt;
	long i;

	cr_assert_not_null(out);
	make_event(&a, "a.log", 1, "x");
	f = make_finding(&rule_err, &a, NULL, "m");
	for (fmt = EMIT_TEXT; fmt <= EMIT_GITHUB; fmt++) {
		e = emitter_open((enum emit_format)fmt, out, &plain);
		for (i = 0; i < 20000; i++)
			cr_assert_eq(emitter_finding(e, &f), 0);
		cr_assert_eq(emitter_close(e, NULL), 0);
	}
	fclose(out);
}

/* emit_json_quote writes what jansson's compact dump writes, byte for
 * byte: every ASCII byte (controls, quote, backslash, DEL) and UTF-8
 * sequences, at every place of strings longer than the 16 bytes the
 * scanner takes at a time. */
Test(emit, json_quote_is_janssons)
{
	static const char *const extra[] = { "\xe2\x82\xac", "\xc2\x85", "\xf0\x9f\x98\x80", "/" };
	size_t len, at, c;

	for (len = 0; len <= 40; len += 5)
		for (at = 0; at <= len; at++)
			for (c = 0; c < 128 + sizeof extra / sizeof extra[0]; c++) {
				char s[64];
				const char *ins = c < 128 ? (char[]){ (char)c, 0 } : extra[c - 128];
				size_t n = c < 128 ? 1 : strlen(ins);
				struct buf b = BUF_INIT(0);
				json_t *v;
				char *want;

				memset(s, 'a', len);
				memcpy(s + at, ins, n);
				memset(s + at + n, 'z', len - at);
				v = json_stringn(s, len + n);
				cr_assert_not_null(v);
				want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
				cr_assert_eq(emit_json_quote(&b, s, len + n), 0);
				cr_assert(b.len == strlen(want) && !memcmp(b.p, want, b.len),
					  "byte %zu at %zu of %zu: %.*s, jansson %s", c, at, len,
					  (int)b.len, b.p, want);
				free(want);
				json_decref(v);
				buf_free(&b);
			}
}
