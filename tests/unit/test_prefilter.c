#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdlib.h>
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

/* Where the caller knows the message (the skim's), a message condition's
 * literals count only there; a field's key counts anywhere in the record. */
Test(prefilter, message_literals_are_looked_for_in_the_message)
{
	struct ruleset *rs = load(
		"id: t.msg\nrole: cause\nseverity: error\ntitle: t\ncategory: t\n"
		"match: { message: 'upstream timed out' }\n"
		"message: m\nwhy: [w]\nfix: f\n"
		"---\n"
		"id: t.field\nrole: cause\nseverity: error\ntitle: t\ncategory: t\n"
		"match: { field: { jsonPayload.quota_kind_reason: 'daily' } }\n"
		"message: m\nwhy: [w]\nfix: f\n");
	struct prefilter *pf = prefilter_build(rs, NULL);
	const char *elsewhere = "{\"jsonPayload\":{\"logger\":\"upstream timed out\",\"message\":\"all good\"}}";
	const char *in_msg = "{\"jsonPayload\":{\"message\":\"Upstream TIMED OUT\"}}";
	const char *key = "{\"jsonPayload\":{\"quota_kind_reason\":\"daily\",\"message\":\"all good\"}}";

	cr_assert_not_null(pf);
	cr_expect(prefilter_may_match(pf, elsewhere, strlen(elsewhere)));
	cr_expect(!prefilter_may_match_msg(pf, elsewhere, strlen(elsewhere), "all good", 8));
	cr_expect(prefilter_may_match_msg(pf, in_msg, strlen(in_msg), "Upstream TIMED OUT", 18));
	cr_expect(prefilter_may_match_msg(pf, key, strlen(key), "all good", 8));
	prefilter_free(pf);
	ruleset_free(rs);
}

/* The per-rule gate of one event: a message regex's literals count in the
 * message alone (also when the message lies inside the text), a text
 * regex's in the text; a rule that requires nothing is always there. */
Test(prefilter, rules_gate_reads_each_condition_where_it_looks)
{
	struct ruleset *rs = load(
		"id: t.a\nrole: cause\nseverity: error\ntitle: t\ncategory: t\n"
		"match: { message: 'upstream timed out' }\nmessage: m\nwhy: [w]\nfix: f\n"
		"---\n"
		"id: t.b\nrole: cause\nseverity: error\ntitle: t\ncategory: t\n"
		"match: { text: 'quota exceeded' }\nmessage: m\nwhy: [w]\nfix: f\n"
		"---\n"
		"id: t.c\nrole: cause\nseverity: error\ntitle: t\ncategory: t\n"
		"match: { severity: error }\nmessage: m\nwhy: [w]\nfix: f\n");
	struct prefilter *pf = prefilter_build_rules(rs);
	const char *text = "{\"logger\":\"upstream timed out\",\"message\":\"quota exceeded\"}";
	const char *msg = strstr(text, "quota exceeded");
	uint64_t mask[1];

	cr_assert_not_null(pf);
	/* rules sort by id: t.a is 0, t.b 1, t.c 2 */
	prefilter_rules(pf, msg, 14, text, strlen(text), 0, mask);
	cr_expect_eq(mask[0], 6u, "message inside the text: %#llx", (unsigned long long)mask[0]);
	prefilter_rules(pf, "Upstream timed out", 18, text, strlen(text), 0, mask);
	cr_expect_eq(mask[0], 7u, "message apart: %#llx", (unsigned long long)mask[0]);
	prefilter_rules(pf, "all good", 8, "all good", 8, 0, mask);
	cr_expect_eq(mask[0], 4u, "neither: %#llx", (unsigned long long)mask[0]);
	prefilter_free(pf);
	ruleset_free(rs);
}

/* A close condition needs the event to have a close trace, wherever the
 * trace came from: the caller says whether it has one. A rule whose close
 * condition is one alternative among message regexes is a candidate for
 * either; one whose close is required with a message regex needs both. */
Test(prefilter, rules_gate_asks_for_a_close_where_a_rule_needs_one)
{
	struct ruleset *rs = load(
		"id: t.a\nrole: cause\nseverity: error\ntitle: t\ncategory: t\n"
		"match: { close: { code: 1011 } }\nmessage: m\nwhy: [w]\nfix: f\n"
		"---\n"
		"id: t.b\nrole: cause\nseverity: error\ntitle: t\ncategory: t\n"
		"match: { any: [ { close: { reason: 'ping timeout' } }, { message: 'keepalive ping timeout' } ] }\n"
		"message: m\nwhy: [w]\nfix: f\n"
		"---\n"
		"id: t.c\nrole: cause\nseverity: error\ntitle: t\ncategory: t\n"
		"match: { close: { code: 1009 }, message: 'too big' }\nmessage: m\nwhy: [w]\nfix: f\n"
		"---\n"
		"id: t.d\nrole: cause\nseverity: error\ntitle: t\ncategory: t\n"
		"match: { close: { code: 1000 }, not: { message: 'bye' } }\nmessage: m\nwhy: [w]\nfix: f\n");
	struct prefilter *pf = prefilter_build_rules(rs);
	uint64_t mask[1];

	cr_assert_not_null(pf);
	prefilter_rules(pf, "all good", 8, "all good", 8, 0, mask);
	cr_expect_eq(mask[0], 0u, "no close, no literal: %#llx", (unsigned long long)mask[0]);
	prefilter_rules(pf, "all good", 8, "all good", 8, 1, mask);
	cr_expect_eq(mask[0], 0xbu, "a close: %#llx", (unsigned long long)mask[0]);
	prefilter_rules(pf, "keepalive ping timeout", 22, NULL, 0, 0, mask);
	cr_expect_eq(mask[0], 0x2u, "the message alone: %#llx", (unsigned long long)mask[0]);
	prefilter_rules(pf, "message too big", 15, NULL, 0, 1, mask);
	cr_expect_eq(mask[0], 0xfu, "a close and the message: %#llx", (unsigned long long)mask[0]);
	prefilter_free(pf);
	ruleset_free(rs);
}

/* Past its literal limit the prefilter turns itself off (every record
 * parsed): the pack this ships must stay under it. */
Test(prefilter, the_shipped_pack_is_prefiltered)
{
	struct ruleset *rs = ruleset_new();
	struct diag d = { 0 };
	const char *why = NULL;
	struct prefilter *pf;

	cr_assert(ruleset_load(rs, "rules", &d) == 0 && ruleset_finish(rs, &d) == 0, "%s", d.msg);
	pf = prefilter_build(rs, &why);
	cr_expect_not_null(pf, "turned off at rule %s", why ? why : "?");
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

/* A shipped pack needs several hundred literals: the prefilter holds up
 * to PREFILTER_WORDS * 64 of them and finds the last one as the first. */
Test(prefilter, holds_hundreds_of_literals)
{
	size_t n = PREFILTER_WORDS * 64 - 8, i, len = 0, cap = n * 256;
	char *yaml = malloc(cap), rec[128];
	struct ruleset *rs;
	struct prefilter *pf;
	const char *why = NULL;

	cr_assert(yaml);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(yaml + len, cap - len,
			"%sid: t.r%zu\nrole: cause\nseverity: error\ntitle: t\ncategory: t\n"
			"match: { message: 'qz%zuxw failure' }\nmessage: m\nwhy: [w]\nfix: f\n",
			i ? "---\n" : "", i, i);
	rs = load(yaml);
	pf = prefilter_build(rs, &why);
	cr_assert_not_null(pf, "%s", why ? why : "?");
	snprintf(rec, sizeof rec, "{\"textPayload\":\"qz%zuxw failure\"}", n - 1);
	cr_expect(prefilter_may_match(pf, rec, strlen(rec)));
	snprintf(rec, sizeof rec, "{\"textPayload\":\"qz0xw failure\"}");
	cr_expect(prefilter_may_match(pf, rec, strlen(rec)));
	snprintf(rec, sizeof rec, "{\"textPayload\":\"qz%zuxw success\"}", n - 1);
	cr_expect(!prefilter_may_match(pf, rec, strlen(rec)));
	prefilter_free(pf);
	ruleset_free(rs);
	free(yaml);
}

/* A rule of a three-byte literal, a longer one and one with digit
 * wildcards, for the scan's edges. */
static const char edge_rules[] =
	"id: t.edge\nrole: cause\nseverity: error\ntitle: t\ncategory: t\n"
	"match:\n  any:\n"
	"    - message: 'jwt'\n"
	"    - message: 'Serializable'\n"
	"    - message: 'code \\d\\d\\d\\d'\n"
	"message: m\nwhy: [w]\nfix: f\n";

/* In a buffer of exactly len bytes, so that ASan sees a read past it. */
static int may_match(const struct prefilter *pf, const char *rec, size_t len)
{
	char *b = malloc(len ? len : 1);
	int r;

	cr_assert_not_null(b);
	memcpy(b, rec, len);
	r = prefilter_may_match(pf, b, len);
	free(b);
	return r;
}

static const struct {
	const char *rec;
	int yes;
} edges[] = {
	{ "jwt", 1 },                           /* the whole record */
	{ "jwt--------------------", 1 },       /* at offset 0 */
	{ "--------------------jwt", 1 },       /* at the very end */
	{ "-------------------jwt-", 1 },
	{ "JwT", 1 },                           /* any case */
	{ "{\"m\":\"BAD JWT\"}", 1 },
	{ "jw", 0 },                            /* shorter than any literal */
	{ "wt", 0 },
	{ "", 0 },
	{ "j-w-t jw t", 0 },
	{ "serializable", 1 },
	{ "not JSON SERIALIZABLE", 1 },
	{ "-------------serializabl", 0 },      /* cut at the end */
	{ "erializable-------------", 0 },      /* cut at the start */
	{ "code 1011", 1 },
	{ "close code 4001.", 1 },
	{ "CODE 0000", 1 },
	{ "code 10a1", 0 },                     /* a wildcard takes digits only */
	{ "code 101", 0 },
	{ "\x80\xff" "jwt\xc3\xa9", 1 },        /* bytes >= 0x80 around it */
	{ "\xea\xf7\xf4", 0 },                  /* 'jwt' with the high bit set */
};

Test(prefilter, scan_edges)
{
	struct ruleset *rs = load(edge_rules);
	struct prefilter *pf = prefilter_build(rs, NULL);
	size_t i;

	cr_assert_not_null(pf);
	for (i = 0; i < sizeof edges / sizeof edges[0]; i++)
		cr_expect_eq(may_match(pf, edges[i].rec, strlen(edges[i].rec)), edges[i].yes,
			     "record '%s'", edges[i].rec);
	prefilter_free(pf);
	ruleset_free(rs);
}

/* Every literal at every offset of records of every length up to past two
 * rounds of the unrolled scan: found whole, never when cut by one byte. */
Test(prefilter, finds_a_literal_at_every_position)
{
	static const char *const lits[] = { "jwt", "JWT", "serializable", "SeRiAlIzAbLe", "code 4711" };
	struct ruleset *rs = load(edge_rules);
	struct prefilter *pf = prefilter_build(rs, NULL);
	char rec[64];
	size_t i, len, at;

	cr_assert_not_null(pf);
	for (i = 0; i < sizeof lits / sizeof lits[0]; i++) {
		size_t n = strlen(lits[i]);

		for (len = n; len < n + 24; len++)
			for (at = 0; at + n <= len; at++) {
				memset(rec, '-', len);
				memcpy(rec + at, lits[i], n);
				cr_expect(may_match(pf, rec, len), "'%s' at %zu of %zu", lits[i], at, len);
				rec[at + n - 1] = '-';
				cr_expect(!may_match(pf, rec, len), "'%s' cut at %zu of %zu", lits[i], at, len);
				memcpy(rec + at, lits[i], n);
				rec[at] = '-';
				cr_expect(!may_match(pf, rec, len), "'%s' cut at %zu of %zu", lits[i], at, len);
			}
	}
	prefilter_free(pf);
	ruleset_free(rs);
}

/* A term needs all of its literals, wherever each one is. */
Test(prefilter, a_term_needs_all_its_literals)
{
	struct ruleset *rs = load(
		"id: t.both\nrole: cause\nseverity: error\ntitle: t\ncategory: t\n"
		"match: { message: 'alpha', text: 'omega' }\n"
		"message: m\nwhy: [w]\nfix: f\n");
	struct prefilter *pf = prefilter_build(rs, NULL);

	cr_assert_not_null(pf);
	cr_expect(may_match(pf, "alphaomega", 10));
	cr_expect(may_match(pf, "OMEGA then Alpha", 16));
	cr_expect(!may_match(pf, "alpha alone", 11));
	cr_expect(!may_match(pf, "omega, alph", 11));
	prefilter_free(pf);
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
	size_t i;

	for (i = 0; i < sizeof skims / sizeof skims[0]; i++) {
		struct record r = { .source = "t", .line = 1, .kind = RECORD_JSON, .text = skims[i].rec, .len = strlen(skims[i].rec) };
		struct skim sk;

		cr_expect_eq(event_skim(&r, &sk), skims[i].ok, "record %zu: %s", i, skims[i].rec);
	}
}

/*
 * Every byte that must stop the string scanner, at every position of
 * strings of every length past two eight-byte words: a control byte, DEL
 * or a byte past ASCII refuses the record; a plain escape is read past; a
 * printable byte in the same place is read through to the closing quote,
 * and the message after it is found.
 */
Test(prefilter, skim_string_scan_every_position)
{
	static const struct {
		const char *ins;
		int ok;
	} cases[] = {
		{ "\x01", 0 }, { "\x1f", 0 }, { "\x7f", 0 }, { "\x80", 0 }, { "\xff", 0 },
		{ "\\t", 1 }, { "\\\"", 1 }, { "\\\\", 1 }, { "\\u0041", 0 }, { "\\/", 0 },
		{ " ", 1 }, { "~", 1 },
	};
	struct event ev;
	size_t c, len, at;

	event_init(&ev);
	for (c = 0; c < sizeof cases / sizeof cases[0]; c++)
		for (len = 0; len <= 20; len++)
			for (at = 0; at <= len; at++) {
				char msg[64], rec[256];
				struct record r = { .source = "t", .line = 1, .kind = RECORD_JSON, .text = rec };
				struct skim sk;

				memset(msg, 'a', len);
				msg[len] = 0;
				snprintf(rec, sizeof rec,
					 "{\"insertId\":\"i\",\"note\":\"%.*s%s%s\",\"textPayload\":\"okay there\","
					 "\"timestamp\":\"2025-09-08T04:00:00Z\"}",
					 (int)at, msg, cases[c].ins, msg + at);
				r.len = strlen(rec);
				cr_assert_eq(event_skim(&r, &sk), cases[c].ok,
					     "case %zu, %zu bytes, at %zu: %s", c, len, at, rec);
				if (!cases[c].ok)
					continue;
				cr_assert_eq(sk.skim_bytes, r.len + 10,   /* the message found */
					     "case %zu, %zu bytes, at %zu", c, len, at);
				cr_assert_eq(event_from_skim(&ev, &r, &sk, 1), 0);
				cr_assert(ev.skimmed && ev.skim_bytes == r.len + 10 && ev.msg_len == 10 &&
					  !memcmp(ev.msg, "okay there", 10),
					  "case %zu, %zu bytes, at %zu", c, len, at);
			}
	event_free(&ev);
}

/*
 * The scan that looks through 64 positions at a time (where the machine
 * has AVX-512 VBMI) finds what the one-at-a-time scan finds: per rule of
 * 60 text literals (any case, digit wildcards, 3 to 11 bytes), over
 * records of 60 to 300 bytes built from pieces of them, their case
 * flipped or a byte changed, bytes past ASCII and plain filler.
 */
Test(prefilter, wide_scan_finds_what_the_plain_one_does)
{
	static const char *const words[] = {
		"jwt", "api_key", "passwd", "token", "bearer", "sk_live", "xoxb", "ghp_",
		"akia", "begin rsa", "secret", "cookie", "sid=", "auth", "pwd", "code \\d\\d",
		"x-api", "://", "ya29.", "glpat", "ssh-rsa", "client_id", "private", "zq9",
	};
	char *yaml = malloc(1 << 16), rec[320];
	size_t len = 0, i, w, trial, found = 0;
	unsigned seed = 99;
	struct ruleset *rs;
	struct prefilter *pf;
	uint64_t plain[4], wide[4];

	cr_assert_not_null(yaml);
	for (i = 0; i < 60; i++)
		len += (size_t)snprintf(yaml + len, (1 << 16) - len,
			"%sid: t.w%zu\nrole: cause\nseverity: error\ntitle: t\ncategory: t\n"
			"match: { text: '%s%s' }\nmessage: m\nwhy: [w]\nfix: f\n",
			i ? "---\n" : "", i, words[i % 24], i < 24 ? "" : i < 48 ? "q" : "-7");
	rs = load(yaml);
	pf = prefilter_build_rules(rs);
	cr_assert_not_null(pf);
	cr_assert_leq(prefilter_rule_words(pf), 4);
	for (trial = 0; trial < 30000; trial++) {
		size_t n = 60 + trial % 241, at = 0;

		while (at < n) {
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 3 == 0) {
				const char *p = words[(seed >> 8) % 24];

				for (w = 0; p[w] && at < n; w++, at++) {
					char c = p[w];

					if (c == '\\')   /* \d: a digit */
						c = (char)('0' + (seed >> (w + 1)) % 10), w++;
					rec[at] = (seed >> (w + 2)) & 1 && c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
				}
			} else {
				rec[at++] = (seed >> 16) % 17 == 0 ? (char)(0x80 | (seed >> 3)) : "-qz_ -7"[(seed >> 9) % 7];
			}
		}
		prefilter_scan_plain(1);
		prefilter_rules(pf, "", 0, rec, n, 0, plain);
		prefilter_scan_plain(0);
		prefilter_rules(pf, "", 0, rec, n, 0, wide);
		for (w = 0; w < prefilter_rule_words(pf); w++) {
			cr_assert_eq(wide[w], plain[w], "trial %zu, %zu bytes, word %zu: %.*s", trial, n, w,
				     (int)n, rec);
			found += (size_t)__builtin_popcountll(plain[w]);
		}
	}
	cr_assert_gt(found, 30000, "literals were found %zu times", found);
	prefilter_free(pf);
	ruleset_free(rs);
	free(yaml);
}
