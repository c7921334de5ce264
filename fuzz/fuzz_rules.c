/*
 * Rule loading (rules/ruleset.c, ryaml.c, rule.c, cond.c): a fuzzed YAML
 * rule file through load and finish, then, when it loads, what the CLI
 * does with a rule: run its examples (`rules test`: framed, normalized,
 * matched), match fixed events, and render its message, why and fix
 * templates with the captures.
 * Promises checked: a refused file says where (file name and a message);
 * a loaded rule has an id, a category and a location.
 */
#include "fuzz.h"

#include "event/stream.h"
#include "rules/ruleset.h"
#include "rules/ruletest.h"
#include "util/buf.h"

static const char *const lines[] = {
	"WebSocket error: Object of type WebSocketState is not JSON serializable",
	("{\"severity\":\"ERROR\",\"message\":\"received 1011 (internal error) Internal error; "
	 "then sent 1011 (internal error) Internal error\",\"connection_id\":\"c1\"}"),
	"2025-09-08 04:33:41,141 - ERROR - agent_supervisor is None",
};

static void render(const char *tmpl, const struct event *ev, const struct match *m)
{
	struct buf out = BUF_INIT(1 << 20);

	if (tmpl)
		rule_render(tmpl, ev, m, &out);
	buf_free(&out);
}

static void exercise(const struct ruleset *rs, const struct rule *r, struct event *evs,
		     size_t nev, struct match *m)
{
	const struct rule_desc *d = rule_desc(r);
	size_t i, j;

	FUZZ_ASSERT(d->id && *d->id && d->category && d->file && d->line >= 1);
	rule_test_examples(rs, r, evstream_example, NULL, NULL, NULL);
	for (i = 0; i < nev; i++) {
		if (rule_match(r, &evs[i], m, fuzz_warn()) != 1)
			continue;
		render(d->message, &evs[i], m);
		for (j = 0; j < d->nwhy; j++)
			render(d->why[j], &evs[i], m);
		render(d->fix, &evs[i], m);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ruleset *rs = ruleset_new();
	struct event evs[sizeof lines / sizeof *lines];
	struct match m;
	struct diag d = { 0 };
	size_t i, nev = 0;

	if (!rs)
		return 0;
	if (ruleset_load_mem(rs, "fuzz.yml", (const char *)data, size, &d) < 0 ||
	    ruleset_finish(rs, &d) < 0) {
		FUZZ_ASSERT(strcmp(d.file, "fuzz.yml") == 0 && d.msg[0] != '\0');
		ruleset_free(rs);
		return 0;
	}
	for (i = 0; i < sizeof lines / sizeof *lines; i++) {
		event_init(&evs[nev]);
		if (evstream_example(NULL, lines[i], &evs[nev]) == 0)
			nev++;
		else
			event_free(&evs[nev]);
	}
	rule_match_init(&m);
	for (i = 0; i < ruleset_count(rs); i++)
		exercise(rs, ruleset_rule(rs, i), evs, nev, &m);
	rule_match_clear(&m);
	for (i = 0; i < nev; i++)
		event_free(&evs[i]);
	ruleset_free(rs);
	return 0;
}
