#include <criterion/criterion.h>
#include <string.h>

#include "pattern/pattern.h"

static char *masked(const char *line)
{
	static struct buf b;

	buf_reset(&b);
	cr_assert_eq(pattern_mask_text(line, strlen(line), &b), 0);
	return b.p;
}

Test(pattern, masks_variable_shapes)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "Error 111 connecting to 10.0.0.3:6379. Connection refused.",
		  "Error <NUM> connecting to <IP>. Connection refused." },
		{ "conn ws_3b9f2c closed after 50ms", "conn <ID> closed after <DUR>" },
		{ "request 123e4567-e89b-12d3-a456-426614174000 failed",
		  "request <UUID> failed" },
		{ "GET https://api.example.com/v1/users?id=3 returned 502",
		  "GET <URL> returned <NUM>" },
		{ "cannot open /var/lib/app/data.db: permission denied",
		  "cannot open <PATH>: permission denied" },
		{ "mail to ops@example.com bounced", "mail to <EMAIL> bounced" },
		{ "KeyError: 'DATABASE_URL'", "KeyError: '<STR>'" },
		{ "user=\"Jane Doe\" logged in", "user=\"<STR>\" logged in" },
		{ "started at 2025-09-08T04:33:03.141200Z", "started at <TIME>" },
		{ "at 04:33:03,141 tick", "at <TIME> tick" },
		{ "object at 0x7f3a2c1d9e80 leaked", "object at <HEX> leaked" },
		{ "commit 3b9f2c1ad deployed", "commit <HEX> deployed" },
		{ "listening on [::1]:8080", "listening on <IP>" },
		{ "upstream redis-master:6379 down", "upstream <IP> down" },
		{ "took 1m30.5s (limit 2h)", "took <DUR> (limit <DUR>)" },
		{ "code=1011 reason=internal", "code=<NUM> reason=internal" },
		{ "memory 512MiB of 1.5GB", "memory <NUM> of <NUM>" },
		{ "sha256 utf-8 http2 e2e k8s stay", "sha256 utf-8 http2 e2e k8s stay" },
		{ "pod-7d9f8b-x2kq9 restarted", "<ID> restarted" },
		{ "Slow client ws_3bbcef: send", "Slow client <ID>: send" },
		{ "don't split that's", "don't split that's" },
		{ "", "" },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof *cases; i++)
		cr_expect_str_eq(masked(cases[i].in), cases[i].want, "input: %s", cases[i].in);
}

static void line_of(const char *msg, const char *want)
{
	size_t s, n;

	pattern_line(msg, strlen(msg), &s, &n);
	cr_expect(strlen(want) == n && !memcmp(msg + s, want, n), "got '%.*s' want '%s'",
		  (int)n, msg + s, want);
}

Test(pattern, tracebacks_take_the_exception_line)
{
	line_of("Traceback (most recent call last):\n  File \"/app/x.py\", line 3, in f\n"
		"    raise ValueError('x')\nValueError: x", "ValueError: x");
	line_of("--- Logging error ---\nTraceback (most recent call last):\n"
		"  File \"/usr/lib/python3.11/logging/__init__.py\", line 1110, in emit\n"
		"    msg = self.format(record)\n"
		"TypeError: Object of type WebSocketState is not JSON serializable\n"
		"Call stack:\n  File \"/app/main.py\", line 9, in <module>\n",
		"TypeError: Object of type WebSocketState is not JSON serializable");
	/* chained: the last exception is the one raised */
	line_of("Traceback (most recent call last):\n  File \"a\", line 1\nKeyError: 'k'\n\n"
		"During handling of the above exception, another exception occurred:\n\n"
		"Traceback (most recent call last):\n  File \"b\", line 2\n"
		"FluxCapacitorError: flux 7 out of range", "FluxCapacitorError: flux 7 out of range");
	line_of("java.lang.IllegalStateException: boom\n\tat a.B.c(B.java:1)",
		"java.lang.IllegalStateException: boom");
	line_of("\n\n  first words\nsecond", "first words");
	/* a block cut before its exception line */
	line_of("Traceback (most recent call last):\n  File \"a\", line 1\n",
		"Traceback (most recent call last):");
	line_of("Traceback (most recent call last):", "Traceback (most recent call last):");
}

static long add(struct pattern_set *ps, const char *msg, enum sev sev, int64_t ts)
{
	struct event ev;
	long id;

	event_init(&ev);
	ev.msg = msg;
	ev.msg_len = strlen(msg);
	ev.sev = sev;
	ev.has_ts = ts != 0;
	ev.ts_us = ts;
	ev.source = "t.log";
	ev.line = 1;
	id = pattern_add(ps, &ev);
	cr_assert(id >= -1);
	return id;
}

static const char *tmpl(const struct pattern *p)
{
	static struct buf b;

	buf_reset(&b);
	pattern_render(p, &b);
	return b.p;
}

Test(pattern, merges_similar_messages_and_keeps_others_apart)
{
	struct pattern_set *ps = pattern_set_new(0, NULL);
	long a, b, c, d;

	cr_assert(ps);
	a = add(ps, "User alice logged in from web", SEV_INFO, 10);
	b = add(ps, "User bob logged in from web", SEV_INFO, 20);
	c = add(ps, "Disk quota exceeded on volume data", SEV_ERROR, 30);
	d = add(ps, "User carol logged in from web", SEV_WARNING, 5);
	cr_expect_eq(a, b);
	cr_expect_eq(a, d);
	cr_expect_neq(a, c);
	cr_expect_str_eq(tmpl(pattern_at(ps, (size_t)a)), "User <*> logged in from web");
	cr_expect_eq(pattern_at(ps, (size_t)a)->count, 3);
	cr_expect_eq(pattern_at(ps, (size_t)a)->sev[SEV_INFO], 2);
	cr_expect_eq(pattern_at(ps, (size_t)a)->sev[SEV_WARNING], 1);
	cr_expect_eq(pattern_at(ps, (size_t)a)->first_us, 5);
	cr_expect_eq(pattern_at(ps, (size_t)a)->last_us, 20);
	cr_expect_eq(pattern_at(ps, (size_t)a)->nex, 3);
	cr_expect_eq(pattern_count(ps), 2);
	pattern_set_free(ps);
}

Test(pattern, ids_are_deterministic_and_found)
{
	struct pattern_set *x = pattern_set_new(0, NULL), *y = pattern_set_new(0, NULL);
	const char *msgs[] = { "a 1 b", "c d e f", "a 2 b", "timeout after 3s" };
	size_t i;

	for (i = 0; i < 4; i++) {
		add(x, msgs[i], SEV_INFO, 0);
		add(y, msgs[i], SEV_INFO, 0);
	}
	cr_assert_eq(pattern_count(x), pattern_count(y));
	for (i = 0; i < pattern_count(x); i++) {
		cr_expect_str_eq(pattern_at(x, i)->id, pattern_at(y, i)->id);
		cr_expect_eq(pattern_find(x, pattern_at(x, i)->id), pattern_at(x, i));
		cr_expect_eq(strlen(pattern_at(x, i)->id), PATTERN_ID_LEN);
	}
	cr_expect_null(pattern_find(x, "p00000000x"));
	pattern_set_free(x);
	pattern_set_free(y);
}

static int warned;

static void on_warn(void *ctx, const struct diag *d)
{
	(void)ctx;
	(void)d;
	warned++;
}

Test(pattern, the_cap_bounds_patterns_and_counts_overflow)
{
	struct warn_sink w = { on_warn, NULL };
	struct pattern_set *ps = pattern_set_new(3, &w);
	const char *msgs[] = { "alpha beta", "gamma delta epsilon", "one two three four",
			       "five six seven eight nine", "ten", "alpha beta" };
	size_t i;
	long id = 0;

	for (i = 0; i < 6; i++)
		id = add(ps, msgs[i], SEV_INFO, 0);
	cr_expect_eq(pattern_count(ps), 3);
	cr_expect_eq(pattern_overflow(ps), 2);
	cr_expect_eq(warned, 1);
	cr_expect_eq(id, 0);   /* a known pattern still counts past the cap */
	cr_expect_eq(pattern_records(ps), 6);
	pattern_set_free(ps);
}

Test(pattern, ranked_by_count_then_id)
{
	struct pattern_set *ps = pattern_set_new(0, NULL);
	const struct pattern **r;
	size_t n;

	add(ps, "rare thing happened here", SEV_INFO, 0);
	add(ps, "common 1 event", SEV_INFO, 0);
	add(ps, "common 2 event", SEV_INFO, 0);
	r = pattern_ranked(ps, &n);
	cr_assert_eq(n, 2);
	cr_expect_eq(r[0]->count, 2);
	cr_expect_str_eq(tmpl(r[0]), "common <NUM> event");
	free(r);
	pattern_set_free(ps);
}

Test(pattern, long_lines_end_in_a_wildcard)
{
	struct pattern_set *ps = pattern_set_new(0, NULL);
	char line[4096];
	size_t i, n = 0;
	const struct pattern *p;

	for (i = 0; i < PATTERN_MAX_TOKENS + 10; i++)
		n += (size_t)snprintf(line + n, sizeof line - n, "w%c ", (char)('a' + i % 26));
	add(ps, line, SEV_INFO, 0);
	p = pattern_at(ps, 0);
	cr_assert_eq(p->ntok, PATTERN_MAX_TOKENS);
	cr_expect_eq(p->tok[PATTERN_MAX_TOKENS - 1].kind, PATTERN_WILD);
	pattern_set_free(ps);
}
