#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rules/ruleset_impl.h"   /* its files and order are checked */
#include "rules/ruletest.h"

/*
 * Events are built by hand (event_init + fields): the normalizer is tested
 * on its own, and rules must not depend on any input format.
 */

#define HEAD "id: a.b\ntitle: T\ncategory: a\nrole: cause\nseverity: error\n"

static struct ruleset *load_ok(const char *yaml)
{
	struct ruleset *rs = ruleset_new();
	struct diag d;
	char msg[1200];

	memset(&d, 0, sizeof d);
	if (ruleset_load_mem(rs, "t.yml", yaml, strlen(yaml), &d) < 0 ||
	    ruleset_finish(rs, &d) < 0) {
		diag_format(&d, msg, sizeof msg);
		cr_assert_fail("unexpected load error: %s", msg);
	}
	return rs;
}

/* The formatted diag of a load that must fail ("" when it loads). */
static const char *load_err(const char *yaml, size_t len)
{
	static char out[1200];
	struct ruleset *rs = ruleset_new();
	struct diag d;

	memset(&d, 0, sizeof d);
	out[0] = '\0';
	if (ruleset_load_mem(rs, "t.yml", yaml, len, &d) < 0 || ruleset_finish(rs, &d) < 0)
		diag_format(&d, out, sizeof out);
	ruleset_free(rs);
	return out;
}

static void ev_msg(struct event *ev, const char *msg)
{
	event_init(ev);
	ev->source = "in.log";
	ev->line = 7;
	ev->msg = msg;
	ev->msg_len = strlen(msg);
	ev->text = msg;
	ev->text_len = strlen(msg);
}

static void ev_json(struct event *ev, const char *msg, const char *json)
{
	ev_msg(ev, msg);
	ev->entry = json_loads(json, 0, NULL);
	cr_assert_not_null(ev->entry);
	ev->payload = ev->entry;
}

static void ev_free(struct event *ev)
{
	event_clear(ev);
	buf_free(&ev->store);
}

struct warns {
	int n;
	char last[1200];
};

static void on_warn(void *ctx, const struct diag *d)
{
	struct warns *w = ctx;

	w->n++;
	diag_format(d, w->last, sizeof w->last);
}

static int match1(const struct ruleset *rs, const char *id, const struct event *ev,
		  struct match *m)
{
	const struct rule *r = ruleset_find(rs, id);

	cr_assert_not_null(r, "no rule %s", id);
	return rule_match(r, ev, m, NULL);
}

static const char *cap(const struct match *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->ncaps; i++)
		if (!strcmp(m->caps[i].name, name))
			return m->caps[i].value;
	return NULL;
}

static const char *good_rules =
	"# a comment before the first document\n"
	"id: serialization.enum-in-json-log\n"
	"title: Enum value reached a JSON log formatter\n"
	"category: serialization\n"
	"role: cause\n"
	"severity: error\n"
	"match:\n"
	"  message: 'Object of type (?<type>\\w+) is not JSON serializable'\n"
	"  field: { severity: '^(ERROR|CRITICAL)$' }\n"
	"message: '{type} value reached a JSON log formatter'\n"
	"why:\n"
	"  - the WebSocket endpoint closed with 1011 because its exception handler raised\n"
	"  - structured logging could not serialize {type}\n"
	"fix: log {type}.name (a string)\n"
	"explains: [ws.close-1011]\n"
	"correlate: { within: 5s, by: [connection, trace, instance] }\n"
	"examples:\n"
	"  match:   ['WebSocket error: Object of type WebSocketState is not JSON serializable']\n"
	"  nomatch: ['WebSocket error: connection reset by peer']\n"
	"---\n"
	"id: ws.close-1011\n"
	"title: closed 1011\n"
	"category: websocket\n"
	"role: symptom\n"
	"severity: warning\n"
	"match:\n"
	"  close: { code: [1011, 1012], reason: '(?<reason>.+)', direction: received, clean: false }\n"
	"message: 'closed: {reason}'\n"
	"---\n"
	"id: startup.trigger\n"
	"title: t\n"
	"category: startup\n"
	"role: context\n"
	"severity: info\n"
	"match:\n"
	"  severity: WARNING\n"
	"  text: 'state check'\n"
	"  any:\n"
	"    - message: 'not in (?<state>CONNECTED) state'\n"
	"    - field: { logging.googleapis.com/trace: 'traces/(?<tid>[0-9a-f]+)' }\n"
	"  not: { message: 'ignore me' }\n"
	"message: m\n"
	"explains: [serialization.enum-in-json-log]\n"
	"correlate: { within: 500ms }\n"
	"---\n"
	"id: auth.http\n"
	"title: t\n"
	"category: auth\n"
	"role: cause\n"
	"severity: error\n"
	"match:\n"
	"  close: { http_status: 500 }\n"
	"message: m\n"
	"---\n";

Test(rules_load, good_file_all_fields)
{
	struct ruleset *rs = load_ok(good_rules);
	const struct rule *r, *s;

	cr_assert_eq(rs->n, 4);
	cr_assert_eq(rs->npaths, 1);
	cr_assert_str_eq(rs->paths[0], "t.yml");
	/* sorted by id, index follows */
	cr_assert_str_eq(rs->rules[0]->d.id, "auth.http");
	cr_assert_str_eq(rs->rules[3]->d.id, "ws.close-1011");
	cr_assert_eq(rs->rules[2]->d.index, 2);

	r = ruleset_find(rs, "serialization.enum-in-json-log");
	cr_assert_not_null(r);
	cr_assert_str_eq(r->d.title, "Enum value reached a JSON log formatter");
	cr_assert_str_eq(r->d.category, "serialization");
	cr_assert_eq(r->d.role, ROLE_CAUSE);
	cr_assert_eq(r->d.level, LEVEL_ERROR);
	cr_assert_str_eq(r->d.message, "{type} value reached a JSON log formatter");
	cr_assert_eq(r->d.nwhy, 2);
	cr_assert_str_eq(r->d.why[1], "structured logging could not serialize {type}");
	cr_assert_str_eq(r->d.fix, "log {type}.name (a string)");
	cr_assert_eq(r->d.nexplains, 1);
	s = ruleset_find(rs, "ws.close-1011");
	cr_assert_eq(r->d.explains_rule[0], s);
	cr_assert_eq(r->explains_loc[0].line, 15);
	cr_assert_eq(r->explains_loc[0].col, 12);
	cr_assert_eq(r->d.within_ms, 5000);
	cr_assert_eq(r->d.correlate_by, CORR_CONNECTION | CORR_TRACE | CORR_INSTANCE);
	cr_assert_eq(r->d.nex_match, 1);
	cr_assert_eq(r->d.nex_nomatch, 1);
	cr_assert_eq(r->d.ex_match[0].line, 18);
	cr_assert_eq(r->d.ex_nomatch[0].line, 19);
	cr_assert_str_eq(r->d.file, "t.yml");
	cr_assert_eq(r->d.line, 2);
	cr_assert_eq(r->col, 1);

	cr_assert_eq(s->d.role, ROLE_SYMPTOM);
	cr_assert_eq(s->d.level, LEVEL_WARNING);
	cr_assert_eq(s->d.line, 21);
	cr_assert_eq(s->d.within_ms, 0);
	r = ruleset_find(rs, "startup.trigger");
	cr_assert_eq(r->d.role, ROLE_CONTEXT);
	cr_assert_eq(r->d.level, LEVEL_INFO);
	cr_assert_eq(r->d.within_ms, 500);
	cr_assert_eq(r->d.correlate_by, 0);
	cr_assert_null(ruleset_find(rs, "nope.nope"));
	ruleset_free(rs);
}

Test(rules_load, names)
{
	cr_assert_str_eq(rule_level_name(LEVEL_ERROR), "error");
	cr_assert_str_eq(rule_level_name(LEVEL_WARNING), "warning");
	cr_assert_str_eq(rule_level_name(LEVEL_INFO), "info");
	cr_assert_str_eq(rule_level_name(LEVEL_NEVER), "never");
	cr_assert_eq(rule_level_parse("never"), LEVEL_NEVER);
	cr_assert_eq(rule_level_parse("error"), LEVEL_ERROR);
	cr_assert_eq(rule_level_parse("warning"), LEVEL_WARNING);
	cr_assert_eq(rule_level_parse("info"), LEVEL_INFO);
	cr_assert_eq(rule_level_parse("fatal"), -1);
	cr_assert_str_eq(rule_role_name(ROLE_CAUSE), "cause");
	cr_assert_str_eq(rule_role_name(ROLE_SYMPTOM), "symptom");
	cr_assert_str_eq(rule_role_name(ROLE_CONTEXT), "context");
}

struct bad {
	const char *yaml;
	const char *want;
};

static const struct bad bad_rules[] = {
	{ HEAD "match: {message: x}\nmessage: m\nmach: 1\n",
	  "t.yml:8:1: unknown key 'mach' (did you mean 'match'?)" },
	{ HEAD "match: {message: x}\nmessage: m\nbanana: 1\n",
	  "t.yml:8:1: unknown key 'banana'" },
	{ "id: a.b\ntitle: T\ncategory: a\nrole: cause\nseverity: fatal\nmatch: {message: x}\nmessage: m\n",
	  "t.yml:5:11: 'severity' must be one of error, warning, info" },
	{ "id: a.b\ntitle: T\ncategory: a\nrole: boss\nseverity: error\nmatch: {message: x}\nmessage: m\n",
	  "t.yml:4:7: 'role' must be one of cause, symptom, context" },
	{ HEAD "match: {message: x}\nmessage: m\nexplains: ws.x\n",
	  "t.yml:8:11: 'explains' must be a list of rule ids" },
	{ HEAD "match: {message: x}\nmessage: m\nexplains: [ws.x, Bad]\n",
	  "t.yml:8:18: 'explains' must be a list of rule ids" },
	{ HEAD "match: x\nmessage: m\n",
	  "t.yml:6:8: expected a mapping for 'match'" },
	{ HEAD "match: {}\nmessage: m\n",
	  "t.yml:6:8: 'match' must have at least one condition" },
	{ HEAD "match:\n  message: 'Object (?<type>\\w+'\nmessage: m\n",
	  "t.yml:7:31: bad regex in 'match.message': missing closing parenthesis at offset 18" },
	{ HEAD "match:\n  message: a)b\nmessage: m\n",
	  "t.yml:7:13: bad regex in 'match.message': unmatched closing parenthesis at offset 1" },
	{ HEAD "match:\n  message: 'it''s )'\nmessage: m\n",
	  "t.yml:7:19: bad regex in 'match.message': unmatched closing parenthesis at offset 5" },
	{ HEAD "match:\n  any:\n    - text: x\n    - field: { a.b: 'x[' }\nmessage: m\n",
	  "t.yml:9:24: bad regex in 'match.any[1].field.a.b': missing terminating ] for character class at offset 2" },
	{ HEAD "match:\n  close: { reason: '(' }\nmessage: m\n",
	  "t.yml:7:22: bad regex in 'match.close.reason': missing closing parenthesis at offset 1" },
	/* double-quoted: escapes make columns unreliable, so the scalar's start */
	{ HEAD "match:\n  message: \"a\\\\)\\t)\"\nmessage: m\n",
	  "t.yml:7:12: bad regex in 'match.message': unmatched closing parenthesis at offset 4" },
	{ HEAD "match:\n  mesage: x\nmessage: m\n",
	  "t.yml:7:3: unknown key 'mesage' in 'match' (did you mean 'message'?)" },
	{ HEAD "match:\n  close: { code: 99 }\nmessage: m\n",
	  "t.yml:7:18: 'match.close.code' must be a number from 1000 to 4999, or a list of them" },
	{ HEAD "match:\n  close: { code: [1011, x] }\nmessage: m\n",
	  "t.yml:7:25: 'match.close.code' must be a number from 1000 to 4999, or a list of them" },
	{ HEAD "match:\n  close: { direction: up }\nmessage: m\n",
	  "t.yml:7:23: 'match.close.direction' must be one of received, sent" },
	{ HEAD "match:\n  close: { clean: maybe }\nmessage: m\n",
	  "t.yml:7:19: 'match.close.clean' must be true or false" },
	{ HEAD "match:\n  close: { reson: x }\nmessage: m\n",
	  "t.yml:7:12: unknown key 'reson' in 'match.close' (did you mean 'reason'?)" },
	{ HEAD "match:\n  severity: LOUD\nmessage: m\n",
	  "t.yml:7:13: 'match.severity' must be a severity name (DEBUG, INFO, NOTICE, WARNING, ERROR, CRITICAL, ALERT, EMERGENCY)" },
	{ HEAD "match:\n  any: []\nmessage: m\n",
	  "t.yml:7:8: 'match.any' must not be an empty list" },
	{ HEAD "match:\n  any: [x]\nmessage: m\n",
	  "t.yml:7:9: expected a mapping for 'match.any[0]'" },
	{ HEAD "match:\n  not: [x]\nmessage: m\n",
	  "t.yml:7:8: expected a mapping for 'match.not'" },
	{ HEAD "match:\n  field: x\nmessage: m\n",
	  "t.yml:7:10: expected a mapping of field paths to regexes for 'match.field'" },
	{ HEAD "match:\n  message: ''\nmessage: m\n",
	  "t.yml:7:12: 'match.message' must not be an empty regex" },
	{ HEAD "match:\n  message: [x]\nmessage: m\n",
	  "t.yml:7:12: expected a regex string for 'match.message'" },
	{ HEAD "match: {message: x}\nmessage: m\ncorrelate: { within: 5 s }\n",
	  "t.yml:8:22: 'correlate.within' must be a duration like 500ms, 5s or 2m (at most 24h)" },
	{ HEAD "match: {message: x}\nmessage: m\ncorrelate: { within: 0s }\n",
	  "t.yml:8:22: 'correlate.within' must be a duration like 500ms, 5s or 2m (at most 24h)" },
	{ HEAD "match: {message: x}\nmessage: m\ncorrelate: { by: [trace] }\n",
	  "t.yml:8:12: missing required key 'within' in 'correlate'" },
	{ HEAD "match: {message: x}\nmessage: m\ncorrelate: { within: 1s, by: [trace, host] }\n",
	  "t.yml:8:38: 'correlate.by' must be a list of connection, trace, instance, user, span" },
	{ HEAD "match: {message: x}\nmessage: m\ncorrelate: { within: 1s, bye: [] }\n",
	  "t.yml:8:26: unknown key 'bye' in 'correlate' (did you mean 'by'?)" },
	{ HEAD "match: {message: x}\nmessage: m\nwhy: because\n",
	  "t.yml:8:6: 'why' must be a list of strings" },
	{ HEAD "match: {message: x}\nmessage: m\nwhy: [a, [b]]\n",
	  "t.yml:8:10: 'why' must be a list of strings" },
	{ HEAD "match: {message: x}\nmessage: m\nexamples: { match: x }\n",
	  "t.yml:8:20: 'examples.match' must be a list of strings" },
	{ HEAD "match: {message: x}\nmessage: m\nexamples: { matches: [x] }\n",
	  "t.yml:8:13: unknown key 'matches' in 'examples' (did you mean 'match'?)" },
	{ HEAD "match: {message: x}\nmessage: [m]\n",
	  "t.yml:7:10: expected a string for 'message'" },
	{ HEAD "match: {message: x}\nmessage: ''\n",
	  "t.yml:7:10: 'message' must not be empty" },
	{ HEAD "match: {message: x}\nmessage: m\nmessage: n\n",
	  "t.yml:8:1: duplicate key 'message'" },
	{ "id: Foo.bar\ntitle: T\ncategory: a\nrole: cause\nseverity: error\nmatch: {message: x}\nmessage: m\n",
	  "t.yml:1:5: bad id 'Foo.bar': expected dotted lower-case words like 'category.name'" },
	{ "id: nodot\ntitle: T\ncategory: a\nrole: cause\nseverity: error\nmatch: {message: x}\nmessage: m\n",
	  "t.yml:1:5: bad id 'nodot': expected dotted lower-case words like 'category.name'" },
	{ "id: b.c\ntitle: T\ncategory: a\nrole: cause\nseverity: error\nmatch: {message: x}\nmessage: m\n",
	  "t.yml:1:5: id 'b.c' must start with its category 'a.'" },
	{ "id: a.b\ntitle: T\ncategory: A_B\nrole: cause\nseverity: error\nmatch: {message: x}\nmessage: m\n",
	  "t.yml:3:11: 'category' must be lower-case letters, digits and '-'" },
	{ "id: a.b\ntitle: T\n", "t.yml:1:1: missing required key 'category'" },
	{ HEAD "match: {message: x}\nmessage: m\n---\n# second\nid: a.c\ntitle: T\ncategory: a\nrole: cause\nseverity: error\nmatch: {message: x}\n",
	  "t.yml:8:1: missing required key 'message'" },
	{ "- a\n- b\n", "t.yml:1:1: expected a mapping for the rule" },
	{ "id: a.b\ntitle: [x\n",
	  "t.yml:3:1: did not find expected ',' or ']' (while parsing a flow sequence)" },
	{ "id: a.b\n  title: x\n",
	  "t.yml:2:8: mapping values are not allowed in this context" },
	{ "id: a.b\ntitle: \xff\n", "t.yml:2:8: invalid leading UTF-8 octet" },
	{ "id: &x a.b\ntitle: *x\n", "t.yml:2:8: aliases are not allowed in rule files" },
	{ HEAD "match: {message: x}\nmessage: m\nexplains: [ws.nope]\n",
	  "t.yml:8:12: 'explains' names no rule: 'ws.nope'" },
	{ HEAD "match: {message: x}\nmessage: m\nexplains: [a.b]\n",
	  "t.yml:8:12: rule 'a.b' explains itself" },
	{ HEAD "match: {message: x}\nmessage: m\nexplains: [a.c]\n---\n"
	  "id: a.c\ntitle: T\ncategory: a\nrole: cause\nseverity: error\nmatch: {message: x}\nmessage: m\nexplains: [a.b]\n",
	  "t.yml:17:12: 'explains' makes a loop: a.b -> a.c -> a.b" },
};

/* One test walks the table: every row is checked and reported (cr_expect). */
Test(rules_errors, table)
{
	size_t i;

	for (i = 0; i < sizeof bad_rules / sizeof *bad_rules; i++) {
		const struct bad *b = &bad_rules[i];

		cr_expect_str_eq(load_err(b->yaml, strlen(b->yaml)), b->want,
				 "row %zu: got `%s`, for:\n%s", i, load_err(b->yaml, strlen(b->yaml)), b->yaml);
	}
}

Test(rules_errors, nesting_bounded)
{
	char yaml[4096];
	size_t n;
	int i;

	n = (size_t)snprintf(yaml, sizeof yaml, HEAD "message: m\nmatch:\n");
	for (i = 0; i < 17; i++)
		n += (size_t)snprintf(yaml + n, sizeof yaml - n, "%*snot:\n", 2 + 2 * i, "");
	snprintf(yaml + n, sizeof yaml - n, "%*smessage: x\n", 2 + 2 * i, "");
	cr_assert_str_eq(load_err(yaml, strlen(yaml)),
			 "t.yml:24:35: conditions nested too deeply in 'match.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not' (max 16)");
	/* 15 levels of not is fine */
	n = (size_t)snprintf(yaml, sizeof yaml, HEAD "message: m\nmatch:\n");
	for (i = 0; i < 15; i++)
		n += (size_t)snprintf(yaml + n, sizeof yaml - n, "%*snot:\n", 2 + 2 * i, "");
	snprintf(yaml + n, sizeof yaml - n, "%*smessage: x\n", 2 + 2 * i, "");
	cr_assert_str_eq(load_err(yaml, strlen(yaml)), "");
}

Test(rules_errors, alias_bomb_fails_fast)
{
	const char *bomb =
		"a: &a [x, x, x, x, x, x, x, x, x]\n"
		"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		"f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n";

	cr_assert_str_eq(load_err(bomb, strlen(bomb)),
			 "t.yml:2:8: aliases are not allowed in rule files");
}

Test(rules_errors, oversized_file)
{
	size_t n = ((size_t)1 << 20) + 1;
	char *big = malloc(n);

	cr_assert_not_null(big);
	memset(big, '#', n);
	cr_assert_str_eq(load_err(big, n), "t.yml:1:1048577: rule file too large (max 1048576 bytes, 1 MiB)");
	free(big);
}

Test(rules_errors, oversized_file_on_disk)
{
	char dir[] = "/tmp/test_rules_XXXXXX", path[64];
	struct ruleset *rs = ruleset_new();
	struct diag d;
	char out[1200];
	FILE *f;
	size_t i;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/big.yml", dir);
	f = fopen(path, "w");
	for (i = 0; i < ((size_t)1 << 20) + 10; i++)
		fputc('#', f);
	fclose(f);
	cr_assert_eq(ruleset_load(rs, path, &d), -1);
	diag_format(&d, out, sizeof out);
	cr_assert(strstr(out, "big.yml:1:1048577: rule file too large (max 1048576 bytes, 1 MiB)"), "%s", out);
	unlink(path);
	rmdir(dir);
	ruleset_free(rs);
}

Test(rules_errors, duplicate_id_across_files)
{
	const char *a = HEAD "match: {message: x}\nmessage: m\n";
	const char *b = "# b\n" HEAD "match: {message: y}\nmessage: m\n";
	struct ruleset *rs = ruleset_new();
	struct diag d;
	char out[1200];

	cr_assert_eq(ruleset_load_mem(rs, "a.yml", a, strlen(a), &d), 0);
	cr_assert_eq(ruleset_load_mem(rs, "b.yml", b, strlen(b), &d), 0);
	cr_assert_eq(ruleset_finish(rs, &d), -1);
	diag_format(&d, out, sizeof out);
	cr_assert_str_eq(out, "b.yml:2:1: duplicate id 'a.b' (first defined at a.yml:1)");
	ruleset_free(rs);
}

Test(rules_errors, file_is_all_or_nothing)
{
	const char *y = HEAD "match: {message: x}\nmessage: m\n---\nid: a.c\n";
	struct ruleset *rs = ruleset_new();
	struct diag d;

	cr_assert_eq(ruleset_load_mem(rs, "t.yml", y, strlen(y), &d), -1);
	cr_assert_eq(rs->n, 0);
	cr_assert_eq(rs->npaths, 0);
	ruleset_free(rs);
}

Test(rules_errors, missing_path)
{
	struct ruleset *rs = ruleset_new();
	struct diag d;
	char out[1200];

	cr_assert_eq(ruleset_load(rs, "/nonexistent/rules.yml", &d), -1);
	diag_format(&d, out, sizeof out);
	cr_assert_str_eq(out, "/nonexistent/rules.yml: cannot open: No such file or directory");
	ruleset_free(rs);
}

Test(rules_errors, too_many_rules)
{
	/* 10,001 rules over several files (each file stays under 1 MiB) */
	const size_t per = 2000;
	struct ruleset *rs = ruleset_new();
	struct buf b = BUF_INIT((size_t)1 << 20);
	struct diag d;
	char out[1200];
	size_t f, i;
	int rc = 0;

	for (f = 0; f < 6 && rc == 0; f++) {
		buf_reset(&b);
		for (i = 0; i < per; i++)
			cr_assert_eq(buf_addf(&b, "---\nid: a.r%zu\ntitle: t\ncategory: a\nrole: cause\n"
					      "severity: info\nmatch: {text: x}\nmessage: m\n",
					      f * per + i), 0);
		rc = ruleset_load_mem(rs, "many.yml", b.p, b.len, &d);
	}
	cr_assert_eq(rc, -1);
	diag_format(&d, out, sizeof out);
	cr_assert_str_eq(out, "many.yml:2:1: too many rules (max 10000)");
	cr_assert_eq(rs->n, 10000);
	buf_free(&b);
	ruleset_free(rs);
}

Test(rules_load, directory_in_name_order)
{
	char dir[] = "/tmp/test_rules_XXXXXX", path[128];
	const char *names[] = { "b.yml", "a.yaml", "c.txt", ".hidden.yml" };
	struct ruleset *rs = ruleset_new();
	struct diag d;
	size_t i;

	cr_assert_not_null(mkdtemp(dir));
	for (i = 0; i < 4; i++) {
		FILE *f;

		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		f = fopen(path, "w");
		fprintf(f, "id: a.r%zu\ntitle: t\ncategory: a\nrole: cause\nseverity: info\n"
			   "match: {text: x}\nmessage: m\n", i);
		fclose(f);
	}
	snprintf(path, sizeof path, "%s/sub.yml", dir);
	mkdir(path, 0700);   /* not recursive, and a directory is not a file */
	snprintf(path, sizeof path, "%s/sub.yml/x.yml", dir);
	fclose(fopen(path, "w"));

	cr_assert_eq(ruleset_load(rs, dir, &d), 0, "%s", d.msg);
	cr_assert_eq(ruleset_finish(rs, &d), 0);
	cr_assert_eq(rs->n, 2);
	cr_assert_eq(rs->npaths, 2);
	cr_assert(strstr(rs->paths[0], "/a.yaml"));
	cr_assert(strstr(rs->paths[1], "/b.yml"));
	cr_assert_not_null(ruleset_find(rs, "a.r0"));
	cr_assert_not_null(ruleset_find(rs, "a.r1"));
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/sub.yml/x.yml", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/sub.yml", dir);
	rmdir(path);
	rmdir(dir);
	ruleset_free(rs);
}

Test(rules_load, empty_and_comment_only)
{
	struct ruleset *rs = load_ok("# nothing here\n");

	cr_assert_eq(rs->n, 0);
	ruleset_free(rs);
	rs = load_ok("---\n---\n");
	cr_assert_eq(rs->n, 0);
	ruleset_free(rs);
	rs = load_ok("");
	cr_assert_eq(rs->n, 0);
	ruleset_free(rs);
}

Test(rules_load, shipped_rules)
{
	struct ruleset *rs = ruleset_new();
	struct diag d;
	char out[1200];

	/* the tests run from the repository root */
	if (access("rules", R_OK) != 0) {
		ruleset_free(rs);
		cr_skip_test("no rules/ here");
	}
	if (ruleset_load(rs, "rules", &d) < 0 || ruleset_finish(rs, &d) < 0) {
		diag_format(&d, out, sizeof out);
		cr_assert_fail("shipped rules: %s", out);
	}
	cr_assert_gt(rs->n, 0);
	ruleset_free(rs);
}

Test(rules_match, message_captures_and_field)
{
	struct ruleset *rs = load_ok(good_rules);
	struct event ev;
	struct match m;

	rule_match_init(&m);
	ev_json(&ev, "WebSocket error: Object of type WebSocketState is not JSON serializable",
		"{\"severity\": \"ERROR\", \"state\": \"CONNECTED\"}");
	cr_assert_eq(match1(rs, "serialization.enum-in-json-log", &ev, &m), 1);
	cr_assert_eq(m.ncaps, 1);
	cr_assert_str_eq(cap(&m, "type"), "WebSocketState");
	ev_free(&ev);

	/* payload severity is not ERROR|CRITICAL */
	ev_json(&ev, "Object of type X is not JSON serializable", "{\"severity\": \"INFO\"}");
	cr_assert_eq(match1(rs, "serialization.enum-in-json-log", &ev, &m), 0);
	cr_assert_eq(m.ncaps, 0);
	ev_free(&ev);

	/* no payload: 'severity' falls back to the event's own */
	ev_msg(&ev, "Object of type Y is not JSON serializable");
	ev.sev = SEV_CRITICAL;
	cr_assert_eq(match1(rs, "serialization.enum-in-json-log", &ev, &m), 1);
	cr_assert_str_eq(cap(&m, "type"), "Y");
	ev.sev = SEV_WARNING;
	cr_assert_eq(match1(rs, "serialization.enum-in-json-log", &ev, &m), 0);
	ev_free(&ev);
	rule_match_clear(&m);
	rule_match_clear(&m);   /* idempotent */
	ruleset_free(rs);
}

Test(rules_match, render)
{
	struct ruleset *rs = load_ok(good_rules);
	const struct rule *r = ruleset_find(rs, "serialization.enum-in-json-log");
	struct buf out = BUF_INIT(1 << 20);
	struct event ev;
	struct match m;

	rule_match_init(&m);
	ev_json(&ev, "Object of type WebSocketState is not JSON serializable",
		"{\"severity\": \"ERROR\", \"jsonPayload\": {\"state\": 1}, \"a.b\": {\"c\": \"dotted\"}}");
	cr_assert_eq(rule_match(r, &ev, &m, NULL), 1);
	cr_assert_eq(rule_render(r->d.message, &ev, &m, &out), 0);
	cr_assert_str_eq(out.p, "WebSocketState value reached a JSON log formatter");
	buf_reset(&out);
	rule_render(r->d.fix, &ev, &m, &out);
	cr_assert_str_eq(out.p, "log WebSocketState.name (a string)");
	buf_reset(&out);
	rule_render("{{type}} {type} {jsonPayload.state} {a.b.c} {nope} {severity} { } {} {unclosed", &ev, &m, &out);
	cr_assert_str_eq(out.p, "{type} WebSocketState 1 dotted {nope} ERROR { } {} {unclosed");
	buf_reset(&out);
	rule_render("}} } {{", &ev, NULL, &out);
	cr_assert_str_eq(out.p, "} } {");
	buf_reset(&out);
	/* a capture named like a field wins over the field */
	rule_render("{type}", &ev, &m, &out);
	cr_assert_str_eq(out.p, "WebSocketState");
	ev_free(&ev);

	/* bounded: a huge field is cut, never grows without limit */
	{
		struct buf big = BUF_INIT(0);
		size_t i;

		buf_adds(&big, "{\"huge\": \"");
		for (i = 0; i < 100000; i++)
			buf_addc(&big, 'x');
		buf_adds(&big, "\"}");
		ev_json(&ev, "m", big.p);
		buf_reset(&out);
		cr_assert_eq(rule_render("{huge}{huge}", &ev, NULL, &out), 0);
		cr_assert_leq(out.len, 16u << 10);
		cr_assert_gt(out.len, 1000);
		buf_free(&big);
		ev_free(&ev);
	}
	buf_free(&out);
	rule_match_clear(&m);
	ruleset_free(rs);
}

Test(rules_match, close_conditions)
{
	struct ruleset *rs = load_ok(good_rules);
	struct event ev;
	struct match m;

	rule_match_init(&m);
	ev_msg(&ev, "received 1011 (internal error) Internal error; then sent 1011");
	/* not a close event: close conditions never match */
	cr_assert_eq(match1(rs, "ws.close-1011", &ev, &m), 0);
	ev.close.present = 1;
	ev.close.code = 1011;
	snprintf(ev.close.reason, sizeof ev.close.reason, "Internal error");
	ev.close.direction = CLOSE_DIR_RECEIVED;
	ev.close.clean = 0;
	cr_assert_eq(match1(rs, "ws.close-1011", &ev, &m), 1);
	cr_assert_str_eq(cap(&m, "reason"), "Internal error");
	ev.close.code = 1012;
	cr_assert_eq(match1(rs, "ws.close-1011", &ev, &m), 1);
	ev.close.code = 1006;
	cr_assert_eq(match1(rs, "ws.close-1011", &ev, &m), 0);
	ev.close.code = 1011;
	ev.close.direction = CLOSE_DIR_SENT;
	cr_assert_eq(match1(rs, "ws.close-1011", &ev, &m), 0);
	ev.close.direction = CLOSE_DIR_RECEIVED;
	ev.close.clean = -1;   /* unknown is neither clean nor unclean */
	cr_assert_eq(match1(rs, "ws.close-1011", &ev, &m), 0);
	ev.close.clean = 0;
	ev.close.reason[0] = '\0';   /* reason '.+' needs a reason */
	cr_assert_eq(match1(rs, "ws.close-1011", &ev, &m), 0);

	ev.close.code = 0;
	ev.close.http_status = 500;
	cr_assert_eq(match1(rs, "auth.http", &ev, &m), 1);
	ev.close.http_status = 403;
	cr_assert_eq(match1(rs, "auth.http", &ev, &m), 0);
	ev_free(&ev);
	rule_match_clear(&m);
	ruleset_free(rs);
}

Test(rules_match, close_any_and_scalar_code)
{
	struct ruleset *rs = load_ok(HEAD "match:\n  close: {}\nmessage: m\n---\n"
				     "id: a.c\ntitle: T\ncategory: a\nrole: cause\nseverity: error\n"
				     "match:\n  close: { code: 1006, direction: sent, clean: true }\nmessage: m\n");
	struct event ev;
	struct match m;

	rule_match_init(&m);
	ev_msg(&ev, "x");
	cr_assert_eq(match1(rs, "a.b", &ev, &m), 0);
	ev.close.present = 1;
	cr_assert_eq(match1(rs, "a.b", &ev, &m), 1);
	cr_assert_eq(match1(rs, "a.c", &ev, &m), 0);
	ev.close.code = 1006;
	ev.close.direction = CLOSE_DIR_SENT;
	ev.close.clean = 1;
	cr_assert_eq(match1(rs, "a.c", &ev, &m), 1);
	ev.close.clean = 0;
	cr_assert_eq(match1(rs, "a.c", &ev, &m), 0);
	ev_free(&ev);
	rule_match_clear(&m);
	ruleset_free(rs);
}

Test(rules_match, severity_minimum)
{
	struct ruleset *rs = load_ok(HEAD "match: {severity: warning}\nmessage: m\n");
	struct event ev;
	struct match m;

	rule_match_init(&m);
	ev_msg(&ev, "x");
	ev.sev = SEV_INFO;
	cr_assert_eq(match1(rs, "a.b", &ev, &m), 0);
	ev.sev = SEV_WARNING;
	cr_assert_eq(match1(rs, "a.b", &ev, &m), 1);
	ev.sev = SEV_EMERGENCY;
	cr_assert_eq(match1(rs, "a.b", &ev, &m), 1);
	ev.sev = SEV_DEFAULT;
	cr_assert_eq(match1(rs, "a.b", &ev, &m), 0);
	ev_free(&ev);
	rule_match_clear(&m);
	ruleset_free(rs);
}

Test(rules_match, any_not_nesting_and_dotted_keys)
{
	struct ruleset *rs = load_ok(good_rules);
	struct event ev;
	struct match m;

	rule_match_init(&m);
	/* startup.trigger: sev >= WARNING, text 'state check', any of two, not 'ignore me' */
	ev_msg(&ev, "state check: WebSocket not in CONNECTED state");
	ev.sev = SEV_WARNING;
	cr_assert_eq(match1(rs, "startup.trigger", &ev, &m), 1);
	cr_assert_str_eq(cap(&m, "state"), "CONNECTED");
	cr_assert_null(cap(&m, "tid"));
	ev.sev = SEV_INFO;
	cr_assert_eq(match1(rs, "startup.trigger", &ev, &m), 0);
	ev_free(&ev);

	ev_msg(&ev, "state check: ignore me, not in CONNECTED state");
	ev.sev = SEV_ERROR;
	cr_assert_eq(match1(rs, "startup.trigger", &ev, &m), 0);
	ev_free(&ev);

	/* second alternative: a key with dots and a slash */
	ev_json(&ev, "state check failed",
		"{\"logging.googleapis.com/trace\": \"projects/p/traces/0af7651916cd43dd\"}");
	ev.sev = SEV_ERROR;
	cr_assert_eq(match1(rs, "startup.trigger", &ev, &m), 1);
	cr_assert_str_eq(cap(&m, "tid"), "0af7651916cd43dd");
	ev_free(&ev);

	/* neither alternative */
	ev_msg(&ev, "state check failed");
	ev.sev = SEV_ERROR;
	cr_assert_eq(match1(rs, "startup.trigger", &ev, &m), 0);
	/* text is the raw record, not the message */
	ev.msg = "not in CONNECTED state";
	ev.msg_len = strlen(ev.msg);
	ev.text = "no such words";
	ev.text_len = strlen(ev.text);
	cr_assert_eq(match1(rs, "startup.trigger", &ev, &m), 0);
	ev.text = "state check";
	ev.text_len = strlen(ev.text);
	cr_assert_eq(match1(rs, "startup.trigger", &ev, &m), 1);
	ev_free(&ev);
	rule_match_clear(&m);
	ruleset_free(rs);
}

Test(rules_match, failed_branches_leave_no_captures)
{
	struct ruleset *rs = load_ok(HEAD
		"match:\n"
		"  any:\n"
		"    - { message: '(?<who>alpha)', text: 'never' }\n"
		"    - message: '(?<who>beta)|(?<other>gamma)'\n"
		"  not: { message: '(?<hidden>delta)' }\n"
		"message: m\n");
	struct event ev;
	struct match m;

	rule_match_init(&m);
	ev_msg(&ev, "alpha beta");
	cr_assert_eq(match1(rs, "a.b", &ev, &m), 1);
	cr_assert_eq(m.ncaps, 1);
	cr_assert_str_eq(cap(&m, "who"), "beta");
	ev_free(&ev);
	ev_msg(&ev, "alpha beta delta");
	cr_assert_eq(match1(rs, "a.b", &ev, &m), 0);
	cr_assert_eq(m.ncaps, 0);
	ev_free(&ev);
	rule_match_clear(&m);
	ruleset_free(rs);
}

Test(rules_match, not_of_missing_field)
{
	struct ruleset *rs = load_ok(HEAD "match:\n  not: { field: { user_id: . } }\nmessage: m\n");
	struct event ev;
	struct match m;

	rule_match_init(&m);
	ev_msg(&ev, "x");
	cr_assert_eq(match1(rs, "a.b", &ev, &m), 1);
	ev.user = "u1";
	cr_assert_eq(match1(rs, "a.b", &ev, &m), 0);
	ev_free(&ev);
	rule_match_clear(&m);
	ruleset_free(rs);
}

Test(rules_match, many_captures_store_moves)
{
	/* enough capture text that m->store reallocates mid-match */
	struct ruleset *rs = load_ok(HEAD
		"match:\n"
		"  message: '(?<a>a+)'\n"
		"  text: '(?<b>b+)'\n"
		"  field: { x: '(?<c>c+)', y: '(?<a2>a+)' }\n"
		"message: '{a}/{b}/{c}'\n");
	char msg[3000], text[3000];
	char json[6100];
	struct event ev;
	struct match m;

	memset(msg, 'a', sizeof msg - 1);
	msg[sizeof msg - 1] = '\0';
	memset(text, 'b', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	snprintf(json, sizeof json, "{\"x\": \"%.2999s\", \"y\": \"aaa\"}", "cccccccccc");
	rule_match_init(&m);
	ev_json(&ev, msg, json);
	ev.text = text;
	ev.text_len = strlen(text);
	cr_assert_eq(match1(rs, "a.b", &ev, &m), 1);
	cr_assert_eq(m.ncaps, 4);
	cr_assert_eq(strlen(cap(&m, "a")), 2999);
	cr_assert_eq(strlen(cap(&m, "b")), 2999);
	cr_assert_str_eq(cap(&m, "c"), "cccccccccc");
	cr_assert_str_eq(cap(&m, "a2"), "aaa");
	ev_free(&ev);
	rule_match_clear(&m);
	ruleset_free(rs);
}

Test(rules_match, catastrophic_regex_bounded)
{
	struct ruleset *rs = load_ok(HEAD "match:\n  message: '(a+)+$'\nmessage: m\n");
	const size_t n = 100 * 1000;
	char *line = malloc(n + 2);
	struct warns w = { 0, "" };
	struct warn_sink sink = { on_warn, &w };
	struct timespec t0, t1;
	struct event ev;
	struct match m;
	double secs;
	int rc;

	memset(line, 'a', n);
	line[n] = '!';
	line[n + 1] = '\0';
	rule_match_init(&m);
	ev_msg(&ev, line);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = rule_match(rs->rules[0], &ev, &m, &sink);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_assert_eq(rc, 0);
	cr_assert_lt(secs, 1.0, "took %.3fs", secs);
	cr_assert_eq(w.n, 1);
	cr_assert_str_eq(w.last, "in.log:7: rule 'a.b' (t.yml:1:1) gave up on this record: match limit exceeded");
	/* the struct match is still good afterwards */
	ev_free(&ev);
	ev_msg(&ev, "aaa");
	cr_assert_eq(rule_match(rs->rules[0], &ev, &m, &sink), 1);
	cr_assert_eq(w.n, 1);
	ev_free(&ev);

	/* a limit inside 'not' is a give-up too, never a match */
	ruleset_free(rs);
	rs = load_ok(HEAD "match:\n  not: { message: '(a+)+$' }\nmessage: m\n");
	ev_msg(&ev, line);
	cr_assert_eq(rule_match(rs->rules[0], &ev, &m, &sink), 0);
	cr_assert_eq(w.n, 2);
	ev_free(&ev);
	free(line);
	rule_match_clear(&m);
	ruleset_free(rs);
}

Test(rules_match, invalid_utf8_subject)
{
	struct ruleset *rs = load_ok(HEAD
		"match:\n  message: 'caf\xc3\xa9 (?<w>\\w+)'\n  text: '(?<last>end)'\nmessage: m\n");
	struct warns w = { 0, "" };
	struct warn_sink sink = { on_warn, &w };
	struct event ev;
	struct match m;

	rule_match_init(&m);
	ev_msg(&ev, "\xff\xfe caf\xc3\xa9 word \xc3\x28\xa0\xa1 end \xed\xa0\x80");
	cr_assert_eq(rule_match(rs->rules[0], &ev, &m, &sink), 1);
	cr_assert_str_eq(cap(&m, "w"), "word");
	cr_assert_str_eq(cap(&m, "last"), "end");
	cr_assert_eq(w.n, 0);
	ev_free(&ev);
	ev_msg(&ev, "\xff\xff\xff");
	cr_assert_eq(rule_match(rs->rules[0], &ev, &m, &sink), 0);
	cr_assert_eq(w.n, 0);
	ev_free(&ev);
	rule_match_clear(&m);
	ruleset_free(rs);
}

static int text_event(void *ctx, const char *text, struct event *ev)
{
	(void)ctx;
	if (!strcmp(text, "unframeable"))
		return -1;
	ev->msg = text;
	ev->msg_len = strlen(text);
	ev->sev = SEV_ERROR;
	return 0;
}

struct results {
	int n, bad;
	long lines[8];
	int wants[8], gots[8];
};

static void record(void *rctx, const struct rule_desc *r, const struct rule_example *ex,
		   int want, int got)
{
	struct results *res = rctx;

	(void)r;
	if (res->n < 8) {
		res->lines[res->n] = ex->line;
		res->wants[res->n] = want;
		res->gots[res->n] = got;
	}
	res->n++;
	res->bad += want != got;
}

Test(rules_test, examples_runner)
{
	struct ruleset *rs = load_ok(HEAD
		"match: {message: 'boom'}\n"
		"message: m\n"
		"examples:\n"
		"  match:\n"
		"    - 'boom here'\n"
		"    - 'quiet'\n"
		"    - unframeable\n"
		"  nomatch: ['quiet', 'boom']\n");
	struct results res;

	memset(&res, 0, sizeof res);
	cr_assert_eq(rule_test_examples(rs, rs->rules[0], text_event, NULL, record, &res), 3);
	cr_assert_eq(res.n, 5);
	cr_assert_eq(res.bad, 3);
	cr_assert_eq(res.lines[0], 10);
	cr_assert_eq(res.gots[0], 1);
	cr_assert_eq(res.gots[1], 0);
	cr_assert_eq(res.gots[2], -1);
	cr_assert_eq(res.lines[3], 13);
	cr_assert_eq(res.wants[3], 0);
	cr_assert_eq(res.gots[4], 1);
	/* report may be NULL */
	cr_assert_eq(rule_test_examples(rs, rs->rules[0], text_event, NULL, NULL, NULL), 3);
	ruleset_free(rs);
}

Test(rules_test, good_rules_examples_pass)
{
	struct ruleset *rs = load_ok(good_rules);
	const struct rule *r = ruleset_find(rs, "serialization.enum-in-json-log");

	cr_assert_eq(rule_test_examples(rs, r, text_event, NULL, NULL, NULL), 0);
	ruleset_free(rs);
}

#define REDACT_HEAD HEAD "match: { message: 'x' }\nmessage: m\n"

Test(rules_redact, loads_map_and_list)
{
	struct ruleset *rs = load_ok(REDACT_HEAD "redact: { pattern: 'acct-\\d+', kind: account }\n");
	const struct rule *r = ruleset_find(rs, "a.b");

	cr_assert_not_null(r);
	cr_assert_eq(r->nredact, 1);
	cr_expect_str_eq(r->redact[0].kind, "account");
	cr_expect_not_null(r->redact[0].code);
	cr_expect_eq(r->redact[0].line, 8);
	ruleset_free(rs);

	rs = load_ok(REDACT_HEAD "redact:\n  - pattern: 'a+'\n    kind: aa\n  - { pattern: 'b', kind: b-2 }\n");
	r = ruleset_find(rs, "a.b");
	cr_assert_eq(r->nredact, 2);
	cr_expect_str_eq(r->redact[1].kind, "b-2");
	ruleset_free(rs);

	rs = load_ok(REDACT_HEAD);
	cr_expect_eq(ruleset_find(rs, "a.b")->nredact, 0);
	ruleset_free(rs);
}

Test(rules_redact, errors_are_located)
{
	static const struct { const char *yaml, *err; } t[] = {
		{ REDACT_HEAD "redact: 'x'\n", "t.yml:8:9: expected a mapping or a list of mappings for 'redact'" },
		{ REDACT_HEAD "redact: []\n", "t.yml:8:9: 'redact' must not be empty" },
		{ REDACT_HEAD "redact: { pattern: 'x' }\n", "t.yml:8:9: missing required key 'kind' in 'redact'" },
		{ REDACT_HEAD "redact: { kind: k }\n", "t.yml:8:9: missing required key 'pattern' in 'redact'" },
		{ REDACT_HEAD "redact: { pattern: 'x', kind: k, why: y }\n", "t.yml:8:34: unknown key 'why' in 'redact'" },
		{ REDACT_HEAD "redact: { pattern: '(x', kind: k }\n", "t.yml:8:23: bad regex in 'redact.pattern': missing closing parenthesis at offset 2" },
		{ REDACT_HEAD "redact: { pattern: 'x', kind: Big }\n", "t.yml:8:31: 'redact.kind' must be lower-case letters, digits and '-' (at most 32)" },
		{ REDACT_HEAD "redact:\n  - { pattern: 'x', kind: k }\n  - just-a-string\n", "t.yml:10:5: expected a mapping with 'pattern' and 'kind' in 'redact'" },
		{ REDACT_HEAD "redakt: { pattern: 'x', kind: k }\n", "t.yml:8:1: unknown key 'redakt' (did you mean 'redact'?)" },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof *t; i++) {
		const char *got = load_err(t[i].yaml, strlen(t[i].yaml));

		cr_expect_str_eq(got, t[i].err, "case %zu", i);
	}
}
