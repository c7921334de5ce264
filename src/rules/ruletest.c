#include "rules/ruletest.h"

#include "rules/rule_impl.h"

int rule_test_examples(const struct ruleset *rs, const struct rule *r,
		       int (*to_event)(void *ctx, const char *text, struct event *ev),
		       void *ctx,
		       void (*report)(void *rctx, const struct rule_desc *r,
				      const struct rule_example *ex, int want_match,
				      int got_match),
		       void *rctx)
{
	struct event ev;
	struct match m;
	int fails = 0, want;

	(void)rs;
	event_init(&ev);
	rule_match_init(&m);
	for (want = 1; want >= 0; want--) {
		const struct rule_example *ex = want ? r->d.ex_match : r->d.ex_nomatch;
		size_t n = want ? r->d.nex_match : r->d.nex_nomatch, i;

		for (i = 0; i < n; i++) {
			int got = -1;

			/* no warning sink: a regex that gives up shows as a wrong answer */
			if (to_event(ctx, ex[i].text, &ev) == 0)
				got = rule_match(r, &ev, &m, NULL);
			if (got != want)
				fails++;
			if (report)
				report(rctx, &r->d, &ex[i], want, got);
			event_clear(&ev);
		}
	}
	rule_match_clear(&m);
	event_clear(&ev);
	buf_free(&ev.store);
	return fails;
}
