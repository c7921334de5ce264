#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rules/rule.h"
#include "sanitize/sanitize.h"

#define K(x) SAN_##x
#define NONE SAN_NKINDS   /* no rewrite: the record passes byte for byte */

struct row {
	const char *name;
	enum record_kind kind;
	const char *in;
	const char *out;
	enum sanitize_kind k;   /* a kind the rewrite must count */
};

static const struct row rows[] = {
	{ "clean object", RECORD_JSON, "{\"a\": 1, \"b\": [true, null], \"c\": \"x\\n\\u00e9\"}", NULL, NONE },
	{ "clean nested", RECORD_JSON, "{\"m\":{\"k\":{\"x\":-1.5e3}},\"t\":\"caf\xc3\xa9\"}", NULL, NONE },
	{ "redacted already", RECORD_JSON, "{\"password\":\"[REDACTED:field]\",\"token\":\"\"}", NULL, NONE },
	{ "enum in string", RECORD_JSON, "{\"s\":\"state <WebSocketState.CONNECTED: 1>\"}", "{\"s\":\"state connected\"}", K(ENUM_REPR) },
	{ "enum value", RECORD_TEXT, "{'s': <WebSocketState.DISCONNECTED: 3>}", "{\"s\": \"disconnected\"}", K(ENUM_REPR) },
	{ "enum str value", RECORD_TEXT, "{'s': <Color.RED: 'red'>}", "{\"s\": \"red\"}", K(ENUM_REPR) },
	{ "datetime utc", RECORD_JSON, "{\"t\":\"datetime.datetime(2025, 9, 8, 4, 33, 37, 537294, tzinfo=datetime.timezone.utc)\"}",
	  "{\"t\":\"2025-09-08T04:33:37.537294+00:00\"}", K(DATETIME_REPR) },
	{ "datetime naive", RECORD_TEXT, "{'t': datetime.datetime(2025, 9, 8, 4, 33)}", "{\"t\": \"2025-09-08T04:33:00\"}", K(DATETIME_REPR) },
	{ "datetime offset", RECORD_TEXT, "{'t': datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(days=-1, seconds=68400)))}",
	  "{\"t\": \"2025-01-02T03:04:05-05:00\"}", K(DATETIME_REPR) },
	{ "date", RECORD_TEXT, "{'d': datetime.date(2025, 9, 8)}", "{\"d\": \"2025-09-08\"}", K(DATETIME_REPR) },
	{ "time", RECORD_TEXT, "{'d': datetime.time(4, 5, 6, 7)}", "{\"d\": \"04:05:06.000007\"}", K(DATETIME_REPR) },
	{ "timedelta", RECORD_TEXT, "{'d': datetime.timedelta(days=1, seconds=3723, microseconds=500000)}", "{\"d\": \"P1DT1H2M3.5S\"}", K(DATETIME_REPR) },
	{ "timedelta zero", RECORD_TEXT, "{'d': datetime.timedelta(0)}", "{\"d\": \"PT0S\"}", K(DATETIME_REPR) },
	{ "timedelta negative", RECORD_TEXT, "{'d': datetime.timedelta(days=-1, seconds=86399)}", "{\"d\": \"-PT1S\"}", K(DATETIME_REPR) },
	{ "uuid", RECORD_TEXT, "{'u': UUID('12345678-1234-5678-1234-567812345678')}", "{\"u\": \"12345678-1234-5678-1234-567812345678\"}", K(UUID_REPR) },
	{ "decimal", RECORD_TEXT, "{'p': Decimal('1.10')}", "{\"p\": 1.10}", K(DECIMAL_REPR) },
	{ "decimal nan", RECORD_TEXT, "{'p': Decimal('NaN')}", "{\"p\": null}", K(DECIMAL_REPR) },
	{ "bytes", RECORD_TEXT, "{'b': b'hi\\xff\\n'}", "{\"b\": \"hi\xef\xbf\xbd\\n\"}", K(BYTES_REPR) },
	{ "bytearray", RECORD_JSON, "{\"b\":\"got bytearray(b'ok')\"}", "{\"b\":\"got ok\"}", K(BYTES_REPR) },
	{ "object repr", RECORD_JSON, "{\"o\":\"<app.Conn object at 0x7f3a2b1c9d10>\"}", "{\"o\":\"<app.Conn object>\"}", K(OBJECT_REPR) },
	{ "object value", RECORD_TEXT, "{'o': <object object at 0x7f3a>}", "{\"o\": \"<object object>\"}", K(OBJECT_REPR) },
	{ "unknown call", RECORD_TEXT, "{'o': Point(x=1, y=2)}", "{\"o\": \"Point(x=1, y=2)\"}", K(OBJECT_REPR) },
	{ "python literals", RECORD_TEXT, "{'a': True, 'b': False, 'c': None, \"d\": 'it\\'s'}", "{\"a\": true, \"b\": false, \"c\": null, \"d\": \"it's\"}", K(PYTHON_LITERAL) },
	{ "set and tuple", RECORD_TEXT, "{'s': {'a', 'b'}, 't': (1, 2), 'one': (1,)}", "{\"s\": [\"a\", \"b\"], \"t\": [1, 2], \"one\": [1]}", K(PYTHON_LITERAL) },
	{ "ordereddict old", RECORD_TEXT, "OrderedDict([('a', 1), ('b', (2, 3))])", "{\"a\": 1, \"b\": [2, 3]}", K(PYTHON_LITERAL) },
	{ "ordereddict new", RECORD_TEXT, "OrderedDict({'a': 1})", "{\"a\": 1}", K(PYTHON_LITERAL) },
	{ "non-string keys", RECORD_TEXT, "{1: 'a', (1, 2): 'b', None: 'c'}", "{\"1\": \"a\", \"[1, 2]\": \"b\", \"null\": \"c\"}", K(PYTHON_LITERAL) },
	{ "nan", RECORD_JSON, "{\"a\":NaN,\"b\":Infinity,\"c\":-Infinity}", "{\"a\":null,\"b\":null,\"c\":null}", K(NAN) },
	{ "python nan", RECORD_TEXT, "{'a': nan, 'b': -inf}", "{\"a\": null, \"b\": null}", K(NAN) },
	{ "invalid utf8", RECORD_JSON, "{\"a\":\"x\xff\xc3(y\"}", "{\"a\":\"x\xef\xbf\xbd\xef\xbf\xbd(y\"}", K(INVALID_UTF8) },
	{ "overlong utf8", RECORD_JSON, "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xef\xbf\xbd\xef\xbf\xbd\"}", K(INVALID_UTF8) },
	{ "lone surrogate", RECORD_JSON, "{\"a\":\"\\ud800x\"}", "{\"a\":\"\xef\xbf\xbdx\"}", K(LONE_SURROGATE) },
	{ "lone low surrogate", RECORD_JSON, "{\"a\":\"\\udc00\"}", "{\"a\":\"\xef\xbf\xbd\"}", K(LONE_SURROGATE) },
	{ "surrogate pair kept", RECORD_JSON, "{\"a\":\"\\ud83d\\ude00\"}", NULL, NONE },
	{ "control chars", RECORD_JSON, "{\"a\":\"t\tn\x01\x1b[0m\x7f\xc2\x9b\"}", "{\"a\":\"t\\tn\\u0001\\u001b[0m\\u007f\\u009b\"}", K(CONTROL_CHAR) },
	{ "nul in string", RECORD_JSON, "{\"a\":\"x\\u0000y\"}", NULL, NONE },
	{ "invalid escape", RECORD_JSON, "{\"a\":\"c:\\q\"}", "{\"a\":\"c:\\\\q\"}", K(INVALID_ESCAPE) },
	{ "duplicate key", RECORD_JSON, "{\"a\":1,\"a\":2,\"a#2\":3}", "{\"a\":1,\"a#2\":2,\"a#2#2\":3}", K(DUPLICATE_KEY) },
	{ "duplicate escaped key", RECORD_JSON, "{\"a\":1,\"\\u0061\":2}", "{\"a\":1,\"a#2\":2}", K(DUPLICATE_KEY) },
	{ "same key other objects", RECORD_JSON, "{\"a\":{\"a\":1},\"b\":{\"a\":2}}", NULL, NONE },
	{ "big integer", RECORD_JSON, "{\"n\":123456789012345678901234567890,\"m\":-9223372036854775808}",
	  "{\"n\":\"123456789012345678901234567890\",\"m\":-9223372036854775808}", K(BIG_INTEGER) },
	{ "pretty json", RECORD_JSON, "{\n  \"a\": 1,\r\n  \"b\": [\n    2\n  ]\n}", "{\"a\": 1,\"b\": [2]}", K(MULTILINE) },
	{ "array wrapped", RECORD_JSON, "[1, \"x\"]", "{\"message\":[1, \"x\"]}", K(WRAPPED) },
	{ "text line", RECORD_TEXT, "plain \"text\"", "{\"message\":\"plain \\\"text\\\"\"}", K(TEXT_LINE) },
	{ "python logging", RECORD_TEXT, "2025-09-08 04:33:37,537 - app - ERROR - boom",
	  "{\"message\":\"2025-09-08 04:33:37,537 - app - ERROR - boom\",\"severity\":\"ERROR\",\"timestamp\":\"2025-09-08T04:33:37.537Z\"}", K(TEXT_LINE) },
	{ "iso prefix", RECORD_TEXT, "2025-09-08T04:33:37.537294Z WARNING slow",
	  "{\"message\":\"2025-09-08T04:33:37.537294Z WARNING slow\",\"severity\":\"WARNING\",\"timestamp\":\"2025-09-08T04:33:37.537294Z\"}", K(TEXT_LINE) },
	{ "uvicorn", RECORD_TEXT, "INFO:     127.0.0.1:1 - \"WebSocket /ws\" [accepted]",
	  "{\"message\":\"INFO:     127.0.0.1:1 - \\\"WebSocket /ws\\\" [accepted]\",\"severity\":\"INFO\"}", K(TEXT_LINE) },
	{ "traceback block", RECORD_TEXT, "Traceback (most recent call last):\n  File \"x.py\", line 1\nTypeError: boom",
	  "{\"message\":\"Traceback (most recent call last):\\n  File \\\"x.py\\\", line 1\\nTypeError: boom\"}", K(TEXT_LINE) },
	{ "text with reprs", RECORD_TEXT, "state=<S.OPEN: 1> at 0x", "{\"message\":\"state=open at 0x\"}", K(ENUM_REPR) },
	{ "broken json", RECORD_JSON, "{\"a\": ", "{\"message\":\"{\\\"a\\\": \"}", K(INVALID_JSON) },
	{ "trailing garbage", RECORD_JSON, "{\"a\":1} x", "{\"message\":\"{\\\"a\\\":1} x\"}", K(INVALID_JSON) },
	{ "number junk", RECORD_JSON, "{\"a\":01}", "{\"message\":\"{\\\"a\\\":01}\"}", K(INVALID_JSON) },
	{ "jwt", RECORD_JSON, "{\"m\":\"t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl end\"}",
	  "{\"m\":\"t=[REDACTED:jwt] end\"}", K(REDACTED_JWT) },
	{ "bearer", RECORD_JSON, "{\"h\":\"Authorization: Bearer abc123def456\"}", "{\"h\":\"Authorization: Bearer [REDACTED:bearer]\"}", K(REDACTED_BEARER) },
	{ "bearer prose", RECORD_JSON, "{\"h\":\"Bearer token missing, bearer authentication failed\"}", NULL, NONE },
	{ "secret fields", RECORD_JSON, "{\"password\":\"hunter2\",\"client_secret\":\"x\",\"apiKey\":\"k\",\"E2E_OAUTH_SIMULATION_KEY\":\"s\",\"idempotency_key\":\"i\",\"token_count\":\"3\"}",
	  "{\"password\":\"[REDACTED:field]\",\"client_secret\":\"[REDACTED:field]\",\"apiKey\":\"[REDACTED:field]\",\"E2E_OAUTH_SIMULATION_KEY\":\"[REDACTED:field]\",\"idempotency_key\":\"i\",\"token_count\":\"3\"}",
	  K(REDACTED_FIELD) },
	{ "secret in text line", RECORD_TEXT, "curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln'",
	  "{\"message\":\"curl -H 'Authorization: Bearer [REDACTED:bearer]'\"}", K(REDACTED_BEARER) },
	{ "deep nesting", RECORD_JSON, NULL /* built below */, NULL, K(INVALID_JSON) },
};

static struct sanitizer *mk(enum sanitize_enum e, int no_redact)
{
	struct sanitize_opts o;
	struct sanitizer *z;

	memset(&o, 0, sizeof o);
	o.enum_style = e;
	o.no_redact = no_redact;
	z = sanitizer_new(&o);
	cr_assert(z);
	return z;
}

static void run(struct sanitizer *z, enum record_kind kind, const char *in, size_t n,
		const char **line, size_t *len, struct sanitize_result *res)
{
	struct record r;
	struct diag d;

	memset(&r, 0, sizeof r);
	r.source = "t";
	r.line = 1;
	r.kind = kind;
	r.text = in;
	r.len = n;
	cr_assert_eq(sanitize_record(z, &r, line, len, res, &d), 0);
	cr_assert(!memchr(*line, '\n', *len));
}

Test(sanitize, table)
{
	struct sanitizer *z = mk(SAN_ENUM_LOWER, 0);
	size_t i;
	static char deep[2000];

	memset(deep, '[', 600);
	strcpy(deep + 600, "1");
	memset(deep + 601, ']', 600);
	for (i = 0; i < sizeof rows / sizeof *rows; i++) {
		const struct row *t = &rows[i];
		const char *in = t->in ? t->in : deep, *line;
		size_t len;
		struct sanitize_result res;

		run(z, t->kind, in, strlen(in), &line, &len, &res);
		if (t->k == NONE) {
			cr_expect(!res.changed && line == in && len == strlen(in),
				  "%s: changed: %.*s", t->name, (int)len, line);
			continue;
		}
		cr_expect(res.changed, "%s: not changed", t->name);
		cr_expect(res.count[t->k] > 0, "%s: %s not counted", t->name, sanitize_kind_name(t->k));
		if (t->out)
			cr_expect(len == strlen(t->out) && !memcmp(line, t->out, len),
				  "%s:\n got  %.*s\n want %s", t->name, (int)len, line, t->out);
	}
	sanitizer_free(z);
}

/* Sanitizing twice changes nothing the second time. */
Test(sanitize, idempotent)
{
	struct sanitizer *z = mk(SAN_ENUM_LOWER, 0), *z2 = mk(SAN_ENUM_LOWER, 0);
	size_t i;

	for (i = 0; i < sizeof rows / sizeof *rows; i++) {
		const char *line, *line2;
		size_t len, len2;
		struct sanitize_result res;

		if (!rows[i].in)
			continue;
		run(z, rows[i].kind, rows[i].in, strlen(rows[i].in), &line, &len, &res);
		run(z2, RECORD_JSON, line, len, &line2, &len2, &res);
		cr_expect(!res.changed, "%s: second pass changed %.*s -> %.*s", rows[i].name,
			  (int)len, line, (int)len2, line2);
	}
	sanitizer_free(z);
	sanitizer_free(z2);
}

Test(sanitize, enum_styles)
{
	static const char *const want[] = {
		"{\"s\": \"connected\", \"m\": \"is connected\"}",
		"{\"s\": \"CONNECTED\", \"m\": \"is CONNECTED\"}",
		"{\"s\": 1, \"m\": \"is 1\"}",
		"{\"s\": \"<WebSocketState.CONNECTED: 1>\", \"m\": \"is <WebSocketState.CONNECTED: 1>\"}",
	};
	const char *in = "{'s': <WebSocketState.CONNECTED: 1>, 'm': 'is <WebSocketState.CONNECTED: 1>'}";
	int e;

	for (e = SAN_ENUM_LOWER; e <= SAN_ENUM_KEEP; e++) {
		struct sanitizer *z = mk((enum sanitize_enum)e, 0);
		const char *line;
		size_t len;
		struct sanitize_result res;

		run(z, RECORD_TEXT, in, strlen(in), &line, &len, &res);
		cr_expect(len == strlen(want[e]) && !memcmp(line, want[e], len), "%d: %.*s", e, (int)len, line);
		sanitizer_free(z);
	}
	cr_expect_eq(sanitize_enum_parse("value"), SAN_ENUM_VALUE);
	cr_expect_eq(sanitize_enum_parse("x"), -1);
}

Test(sanitize, no_redact)
{
	struct sanitizer *z = mk(SAN_ENUM_LOWER, 1);
	const char *in = "{\"password\":\"hunter2\",\"h\":\"Bearer abc123def456\"}", *line;
	size_t len;
	struct sanitize_result res;

	run(z, RECORD_JSON, in, strlen(in), &line, &len, &res);
	cr_expect(!res.changed && line == in);
	sanitizer_free(z);
}

Test(sanitize, truncated_marker)
{
	struct sanitizer *z = mk(SAN_ENUM_LOWER, 0);
	struct record r;
	struct diag d;
	const char *line;
	size_t len;
	struct sanitize_result res;
	const char *want = "{\"message\":\"{\\\"a\\\": \\\"xx\",\"logwhy_truncated\":4096}";

	memset(&r, 0, sizeof r);
	r.source = "t";
	r.line = 1;
	r.kind = RECORD_JSON;
	r.text = "{\"a\": \"xx";
	r.len = strlen(r.text);
	r.truncated = 1;
	r.cut = 4096;
	cr_assert_eq(sanitize_record(z, &r, &line, &len, &res, &d), 0);
	cr_expect(res.count[SAN_TRUNCATED] == 1);
	cr_expect(len == strlen(want) && !memcmp(line, want, len), "%.*s", (int)len, line);
	sanitizer_free(z);
}

Test(sanitize, yaml_record)
{
	struct sanitizer *z = mk(SAN_ENUM_LOWER, 0);
	struct record r;
	struct diag d;
	const char *line;
	size_t len;
	struct sanitize_result res;
	json_t *j = json_pack("{s:s, s:i}", "textPayload", "state <S.OK: 1>", "n", 2);

	memset(&r, 0, sizeof r);
	r.source = "t";
	r.line = 1;
	r.kind = RECORD_YAML;
	r.text = "textPayload: x";
	r.len = strlen(r.text);
	r.json = j;
	cr_assert_eq(sanitize_record(z, &r, &line, &len, &res, &d), 0);
	cr_expect(res.count[SAN_YAML] == 1 && res.count[SAN_ENUM_REPR] == 1);
	/* the sanitizer's buffer is NUL-terminated */
	cr_expect(strstr(line, "\"textPayload\":\"state ok\"") != NULL, "%.*s", (int)len, line);
	json_decref(j);
	sanitizer_free(z);
}

Test(sanitize, rule_pattern)
{
	struct sanitize_opts o;
	struct sanitize_pattern p;
	struct sanitizer *z;
	int err;
	PCRE2_SIZE off;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR) "acct-[0-9]{4}", PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
	const char *in = "{\"m\":\"user acct-1234 and acct-9\"}", *line;
	const char *want = "{\"m\":\"user [REDACTED:account] and acct-9\"}";
	size_t len;
	struct sanitize_result res;

	cr_assert(code);
	memset(&p, 0, sizeof p);
	p.kind = "account";
	p.code = code;
	memset(&o, 0, sizeof o);
	o.patterns = &p;
	o.npatterns = 1;
	z = sanitizer_new(&o);
	cr_assert(z);
	run(z, RECORD_JSON, in, strlen(in), &line, &len, &res);
	cr_expect(res.count[SAN_REDACTED_RULE] == 1);
	cr_expect(len == strlen(want) && !memcmp(line, want, len), "%.*s", (int)len, line);
	sanitizer_free(z);
	pcre2_code_free(code);
}

static pcre2_code *compile(const char *pat)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);

	cr_assert(code, "%s", pat);
	return code;
}

static int never(const void *pf, const char *raw, size_t len)
{
	(void)pf;
	(void)raw;
	(void)len;
	return 0;
}

/* The secret group is all that goes; an empty one inserts the marker;
 * kinds are counted apart. */
Test(sanitize, secret_group)
{
	struct sanitize_opts o;
	struct sanitize_pattern p[2];
	struct sanitizer *z;
	const char *in = "{\"m\":\"postgres://app:S3cret@db:5432/x then -----BEGIN PRIVATE KEY-----\"}", *line;
	const char *want = "{\"m\":\"postgres://app:[REDACTED:url-password]@db:5432/x then "
			   "-----BEGIN PRIVATE KEY-----[REDACTED:private-key]\"}";
	size_t len;
	struct sanitize_result res;

	memset(p, 0, sizeof p);
	p[0].kind = "url-password";
	p[0].code = compile("://[^:@/]*:(?<secret>[^@/]+)@");
	p[0].secret_group = 1;
	p[1].kind = "private-key";
	p[1].code = compile("-----BEGIN PRIVATE KEY-----(?<secret>[\\s\\S]*?)(?=-----END|$)");
	p[1].secret_group = 1;
	memset(&o, 0, sizeof o);
	o.patterns = p;
	o.npatterns = 2;
	z = sanitizer_new(&o);
	cr_assert(z);
	cr_assert_eq(sanitizer_nkinds(z), 2);
	run(z, RECORD_JSON, in, strlen(in), &line, &len, &res);
	cr_expect(len == strlen(want) && !memcmp(line, want, len), "%.*s", (int)len, line);
	cr_expect(res.count[SAN_REDACTED_RULE] == 2);
	cr_expect(res.nkind == 2 && res.kind_count[0] == 1 && res.kind_count[1] == 1);
	cr_expect_str_eq(sanitizer_kind(z, 1), "private-key");
	sanitizer_free(z);
	pcre2_code_free((pcre2_code *)p[0].code);
	pcre2_code_free((pcre2_code *)p[1].code);
}

/* A record the prefilter rules out skips every text redaction (not the
 * field names), unless an escape could spell a literal. */
Test(sanitize, prefilter_gate)
{
	struct sanitize_opts o;
	struct sanitizer *z;
	const char *jwt = "{\"m\":\"t eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig\",\"password\":\"x\"}";
	const char *esc = "{\"m\":\"t \\u0065yJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig\"}";
	const char *line;
	size_t len;
	struct sanitize_result res;

	memset(&o, 0, sizeof o);
	o.may_match = never;
	z = sanitizer_new(&o);
	cr_assert(z);
	run(z, RECORD_JSON, jwt, strlen(jwt), &line, &len, &res);
	cr_expect(res.count[SAN_REDACTED_JWT] == 0 && res.count[SAN_REDACTED_FIELD] == 1);
	run(z, RECORD_JSON, esc, strlen(esc), &line, &len, &res);
	cr_expect(res.count[SAN_REDACTED_JWT] == 1, "%.*s", (int)len, line);
	sanitizer_free(z);
}

/* A PEM key over several text records: the body lines after BEGIN go,
 * until END; a gap in the lines ends it. */
Test(sanitize, pem_lines)
{
	static const char *const in[] = {
		"-----BEGIN RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEAfake+/=", "AbCd0123",
		"-----END RSA PRIVATE KEY-----", "MIIEnotakeyline",
	};
	static const char *const want[] = {
		"{\"message\":\"-----BEGIN RSA PRIVATE KEY-----\"}",
		"{\"message\":\"[REDACTED:private-key]\"}",
		"{\"message\":\"[REDACTED:private-key]\"}",
		"{\"message\":\"-----END RSA PRIVATE KEY-----\"}",
		"{\"message\":\"MIIEnotakeyline\"}",
	};
	struct sanitizer *z = mk(SAN_ENUM_LOWER, 0);
	struct sanitize_result res;
	struct record r;
	struct diag d;
	const char *line;
	size_t len, i;

	memset(&r, 0, sizeof r);
	r.source = "t";
	r.kind = RECORD_TEXT;
	for (i = 0; i < 5; i++) {
		r.line = (long)i + 1;
		r.text = in[i];
		r.len = strlen(in[i]);
		cr_assert_eq(sanitize_record(z, &r, &line, &len, &res, &d), 0);
		cr_expect(len == strlen(want[i]) && !memcmp(line, want[i], len), "%zu: %.*s", i, (int)len, line);
	}
	sanitizer_free(z);
}

/* What was read of a value the input ended inside: kept, marked, counted. */
Test(sanitize, incomplete_marker)
{
	struct sanitizer *z = mk(SAN_ENUM_LOWER, 0);
	struct sanitize_result res;
	struct record r;
	struct diag d;
	const char *line, *want = "{\"message\":\"{\\\"b\\\":2\",\"logwhy_incomplete\":true}";
	size_t len;

	memset(&r, 0, sizeof r);
	r.source = "t";
	r.line = 1;
	r.kind = RECORD_TEXT;
	r.text = "{\"b\":2";
	r.len = strlen(r.text);
	r.incomplete = 1;
	cr_assert_eq(sanitize_record(z, &r, &line, &len, &res, &d), 0);
	cr_expect(res.changed && res.count[SAN_INCOMPLETE] == 1);
	cr_expect(len == strlen(want) && !memcmp(line, want, len), "%.*s", (int)len, line);
	sanitizer_free(z);
}

Test(sanitize, kind_names)
{
	int k;

	for (k = 0; k < SAN_NKINDS; k++)
		cr_expect(strcmp(sanitize_kind_name((enum sanitize_kind)k), "?") != 0);
	cr_expect_str_eq(sanitize_kind_name(SAN_ENUM_REPR), "enum-repr");
}
