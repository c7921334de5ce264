#include <criterion/criterion.h>
#include <string.h>

#include "event/event.h"
#include "read/record.h"
#include "rules/prefilter.h"

/* What every match of a pattern must contain: one alternative a line, the
 * literals it needs all of joined by " & ". "" = nothing known (the rule
 * then keeps the prefilter off). */
static const struct {
	const char *re, *need;
} needs[] = {
	{ "abc", "abc\n" },
	{ "abc+def", "abc & def\n" },
	{ "abcd?efg", "abc & efg\n" },
	{ "(?i)Not JSON serializable", "not json serializable\n" },
	{ "foo|barbaz", "foo\nbarbaz\n" },
	{ "xyz(?:foo|bar)?zzz", "xyz & zzz\n" },     /* an optional group adds nothing */
	{ "ab|cd", "" },                           /* two bytes hit nearly every record */
	{ "start(?:foo|bar)end", "start & foo & end\nstart & bar & end\n" },
	{ "a(?=lookahead)b", "" },
	{ "\\bapp\\.state\\.(?<s>\\w+) is None", "app.state. &  is none\n" },
	{ "\\x41BCD", "bcd\n" },                    /* \x41 is one character */
	{ "received \\d\\d\\d\\d \\(", "received #### (\n" },
	{ "say \"hello\"", "say  & hello\n" },    /* '"' is escaped in raw JSON */
	{ "[abc]def{2}ghi", "def & ghi\n" },
	{ "\\Qa.b\\E", "" },                        /* quoting is not followed */
	{ "(?x) a b c", "" },                       /* nor extended mode */
	{ "(abc)*def", "def\n" },
	{ "(abc){0,3}", "" },
	{ "abc{,3}cde", "cde\n" },
	{ "ab\\d+foo", "ab# & foo\n" },
};

Test(prefilter, regex_needs)
{
	size_t i;

	for (i = 0; i < sizeof needs / sizeof needs[0]; i++) {
		char out[1024];

		prefilter_regex_need(needs[i].re, strlen(needs[i].re), out, sizeof out);
		cr_expect_str_eq(out, needs[i].need, "pattern %s", needs[i].re);
	}
}

static struct ruleset *load(const char *yaml)
{
	struct ruleset *rs = ruleset_new();
	struct diag d;

	cr_assert(ruleset_load_mem(rs, "t.yml", yaml, strlen(yaml), &d) == 0, "%s", d.msg);
	cr_assert(ruleset_finish(rs, &d) == 0, "%s", d.msg);
	return rs;
}

Test(prefilter, matches_only_records_with_the_literals)
{
	struct ruleset *rs = load(
		"id: t.one\nrole: cause\nseverity: error\ntitle: t\ncategory: t\n"
		"match: { message: 'strict JWT (?:validation|verification) failed' }\n"
		"message: m\nwhy: [w]\nfix: f\n");
	const char *why = NULL;
	struct prefilter *pf = prefilter_build(rs, &why);
	const char *yes = "{\"textPayload\":\"STRICT jwt check: jwt VALIDATION FAILED\"}";
	const char *no = "{\"textPayload\":\"strict JWT verification ok\"}";

	cr_assert_not_null(pf, "%s", why ? why : "?");
	cr_expect(prefilter_may_match(pf, yes, strlen(yes)));
	cr_expect(!prefilter_may_match(pf, no, strlen(no)));
	prefilter_free(pf);
	ruleset_free(rs);
}

Test(prefilter, a_rule_without_literals_turns_it_off)
{
	struct ruleset *rs = load(
		"id: t.sev\nrole: cause\nseverity: error\ntitle: t\ncategory: t\n"
		"match: { severity: ERROR }\nmessage: m\nwhy: [w]\nfix: f\n");
	const char *why = NULL;

	cr_expect_null(prefilter_build(rs, &why));
	cr_expect_str_eq(why, "t.sev");
	ruleset_free(rs);
}

/* The skim takes only what it can read with certainty. */
static const struct {
	const char *rec;
	int ok;
} skims[] = {
	{ "{\"insertId\":\"a\",\"textPayload\":\"hello there\",\"timestamp\":\"2025-09-08T04:00:00Z\"}", 1 },
	{ "{\"insertId\":\"a\",\"jsonPayload\":{\"message\":\"hi there\"},\"timestamp\":\"2025-09-08T04:00:00Z\"}", 1 },
	{ "{\"insertId\":\"a\",\"textPayload\":\"h\\u0065llo\",\"timestamp\":\"2025-09-08T04:00:00Z\"}", 0 },
	{ "{\"insertId\":\"a\",\"textPayload\":\"a \\/ b\",\"timestamp\":\"2025-09-08T04:00:00Z\"}", 0 },
	{ "{\"insertId\":\"a\",\"textPayload\":\"caf\xc3\xa9 ok\",\"timestamp\":\"2025-09-08T04:00:00Z\"}", 0 },
	{ "{\"insertId\":\"a\",\"textPayload\":\"Traceback (most recent call last):\",\"timestamp\":\"2025-09-08T04:00:00Z\"}", 0 },
	{ "{\"insertId\":\"a\",\"textPayload\":\"ValueError: x\",\"timestamp\":\"2025-09-08T04:00:00Z\"}", 0 },
	{ "{\"insertId\":\"a\",\"textPayload\":\"hello there\",\"timestamp\":\"yesterday\"}", 0 },
	{ "{\"insertId\":\"a\",\"textPayload\":\"hello there\",\"timestamp\":\"2025-09-08T04:00:00Z\"} x", 0 },
	{ "{\"insertId\":\"a\",\"textPayload\":\"hello there\",\"timestamp\":\"2025-09-08T04:00:00Z\",}", 0 },
	{ "{\"insertId\":\"a\",\"n\":123456789012345678901,\"textPayload\":\"hello there\",\"timestamp\":\"2025-09-08T04:00:00Z\"}", 0 },
	{ "{\"insertId\":\"a\",\"n\":1e999,\"textPayload\":\"hello there\",\"timestamp\":\"2025-09-08T04:00:00Z\"}", 0 },
	{ "{\"insertId\":\"a\",\"textPayload\":\"hello there\",\"timestamp\":\"2025-09-08T04:00:00Z\",\"timestamp\":\"2025-09-08T04:00:01Z\"}", 0 },
	{ "{\"type\":\"close\",\"textPayload\":\"hello there\",\"timestamp\":\"2025-09-08T04:00:00Z\"}", 0 },
	{ "{\"message\":\"hello there\",\"timestamp\":\"2025-09-08T04:00:00Z\"}", 0 },   /* not a LogEntry */
	{ "{\"insertId\":\"a\",\"jsonPayload\":{\"message\":\"hi\",\"exc_info\":\"Traceback\"},\"timestamp\":\"2025-09-08T04:00:00Z\"}", 0 },
};

Test(prefilter, skim_refuses_what_it_cannot_read)
{
	struct event ev;
	size_t i;

	event_init(&ev);
	for (i = 0; i < sizeof skims / sizeof skims[0]; i++) {
		struct record r = { "t", 1, RECORD_JSON, skims[i].rec, strlen(skims[i].rec), NULL, 0, 0 };
		struct skim_keys k;

		cr_expect_eq(event_skim(&ev, &r, &k), skims[i].ok, "record %zu: %s", i, skims[i].rec);
	}
	event_free(&ev);
}
