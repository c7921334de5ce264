#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "event/stream.h"
#include "rules/ruleset.h"
#include "triage/spool.h"
#include "triage/triage.h"

Test(spool, sorts_in_memory_and_after_spilling)
{
	size_t sizes[] = { 1000, SPOOL_RUN * 2 + 77 };
	size_t k, i;

	for (k = 0; k < 2; k++) {
		struct spool *s = spool_new();
		struct spot f, prev;

		cr_assert(s);
		srand(7);
		for (i = 0; i < sizes[k]; i++) {
			memset(&f, 0, sizeof f);
			f.ts = rand() % 100000;
			f.group = (uint32_t)i;
			f.explainer = -1;
			cr_assert_eq(spool_add(s, &f), 0);
		}
		cr_assert_eq(spool_sort(s), 0);
		cr_assert_eq(spool_count(s), sizes[k]);
		for (i = 0; i < sizes[k]; i++) {
			cr_assert_eq(spool_get(s, i, &f), 0);
			if (i) {
				cr_assert(prev.ts < f.ts || (prev.ts == f.ts && prev.seq < f.seq));
			}
			prev = f;
		}
		/* write back through the block cache, far apart, then read again */
		for (i = 0; i < sizes[k]; i += 997) {
			spool_get(s, i, &f);
			f.explainer = (int32_t)i;
			cr_assert_eq(spool_put(s, i, &f), 0);
		}
		for (i = 0; i < sizes[k]; i += 997) {
			spool_get(s, i, &f);
			cr_assert_eq(f.explainer, (int32_t)i);
		}
		spool_free(s);
	}
}

static const char rules_yaml[] =
	"id: ws.close-1011\ntitle: t\ncategory: websocket\nrole: symptom\nseverity: error\n"
	"match: { close: { code: 1011 } }\nmessage: closed\nwhy: [the endpoint closed with 1011]\n"
	"---\n"
	"id: cause.handler\ntitle: t\ncategory: cause\nrole: cause\nseverity: error\n"
	"match: { message: 'handler failed: (?<what>\\w+)' }\nmessage: 'handler {what}'\n"
	"why: ['the handler failed with {what}']\n"
	"explains: [ws.close-1011]\ncorrelate: { within: 5s, by: [connection] }\n"
	"---\n"
	"id: cause.deeper\ntitle: t\ncategory: cause\nrole: cause\nseverity: warning\n"
	"match: { message: 'config missing' }\nmessage: deeper\nwhy: [a setting was missing]\n"
	"explains: [cause.handler]\ncorrelate: { within: 5s, by: [connection] }\n"
	"---\n"
	"id: context.trigger\ntitle: t\ncategory: context\nrole: context\nseverity: info\n"
	"match: { message: 'state check' }\nmessage: trigger\nwhy: [a state check ran]\n"
	"explains: [cause.deeper, cause.handler]\ncorrelate: { within: 5s, by: [connection] }\n";

static struct ruleset *load(void)
{
	struct ruleset *rs = ruleset_new();
	struct diag d;

	cr_assert_eq(ruleset_load_mem(rs, "t.yml", rules_yaml, strlen(rules_yaml), &d), 0, "%s", d.msg);
	cr_assert_eq(ruleset_finish(rs, &d), 0, "%s", d.msg);
	return rs;
}

static const struct triage_report *run(struct triage **t, struct ruleset *rs, const char *text)
{
	struct evstream_opts o = { .format = INPUT_AUTO };
	struct evstream *s = evstream_open_mem("in.log", text, strlen(text), &o);
	struct event *ev;
	struct diag d;

	*t = triage_new(rs, NULL);
	cr_assert(*t);
	while (evstream_next(s, &ev, &d) == 1)
		cr_assert_eq(triage_feed(*t, ev, 0), 0);
	evstream_close(s);
	return triage_finish(*t);
}

static const struct triage_group *cause(const struct triage_report *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->ncauses; i++)
		if (!strcmp(r->causes[i]->rule->id, id))
			return r->causes[i];
	return NULL;
}

Test(triage, follows_the_chain_to_the_deepest_cause)
{
	struct ruleset *rs = load();
	struct triage *t;
	const struct triage_report *r = run(&t, rs,
		"2025-09-08T04:33:03.100Z INFO state check connection_id=a\n"
		"2025-09-08T04:33:03.110Z ERROR config missing connection_id=a\n"
		"2025-09-08T04:33:03.120Z ERROR handler failed: Boom connection_id=a\n"
		"2025-09-08T04:33:03.130Z WARNING closing connection_id=a code=1011 reason=\"Internal error\"\n");
	const struct triage_group *deep = cause(r, "cause.deeper");

	cr_assert(r->verdict);
	cr_assert_str_eq(r->verdict->rule->id, "cause.deeper");
	cr_assert_eq(r->nsymptoms, 1);
	cr_assert_eq(r->symptoms[0]->explained, 1);
	cr_assert(deep);
	cr_assert_eq(deep->nchains, 1);
	cr_assert_eq(deep->chains[0].len, 3);
	cr_assert_str_eq(deep->chains[0].rule[1]->id, "cause.handler");
	cr_assert_eq(deep->nevidence, 1);
	cr_assert_str_eq(deep->evidence[0].rule->id, "context.trigger");
	triage_free(t);
	ruleset_free(rs);
}

Test(triage, why_chain_has_the_symptom_step_only_when_one_is_linked)
{
	struct ruleset *rs = load();
	struct triage *t;
	const struct triage_report *r = run(&t, rs,
		"2025-09-08T04:33:03.100Z INFO state check connection_id=a\n"
		"2025-09-08T04:33:03.110Z ERROR config missing connection_id=a\n"
		"2025-09-08T04:33:03.120Z ERROR handler failed: Boom connection_id=a\n"
		"2025-09-08T04:33:03.130Z WARNING closing connection_id=a code=1011 reason=\"x\"\n");
	const struct triage_group *deep = cause(r, "cause.deeper");

	/* symptom, the cause between (no context step), then its own */
	cr_assert(deep);
	cr_assert_eq(triage_why_count(deep), 3);
	cr_assert_str_eq(triage_why_at(deep, 0), "the endpoint closed with 1011");
	cr_assert_str_eq(triage_why_at(deep, 1), "the handler failed with Boom");
	cr_assert_str_eq(triage_why_at(deep, 2), "a setting was missing");
	triage_free(t);

	/* the same causes with no close: only their own steps */
	r = run(&t, rs,
		"2025-09-08T04:33:03.110Z ERROR config missing connection_id=a\n"
		"2025-09-08T04:33:03.120Z ERROR handler failed: Boom connection_id=a\n");
	cr_assert(r->verdict);
	deep = cause(r, "cause.deeper");
	cr_assert(deep);
	cr_assert_eq(triage_why_count(deep), 1);
	cr_assert_str_eq(triage_why_at(deep, 0), "a setting was missing");
	cr_assert_eq(triage_why_count(cause(r, "cause.handler")), 1);
	cr_assert_str_eq(triage_why_at(cause(r, "cause.handler"), 0), "the handler failed with Boom");
	triage_free(t);
	ruleset_free(rs);
}

Test(triage, another_connection_explains_nothing)
{
	struct ruleset *rs = load();
	struct triage *t;
	const struct triage_report *r = run(&t, rs,
		"2025-09-08T04:33:03.120Z ERROR handler failed: Boom connection_id=a\n"
		"2025-09-08T04:33:03.130Z WARNING closing connection_id=b code=1011 reason=\"Internal error\"\n");

	cr_assert_null(r->verdict);
	cr_assert_eq(r->symptoms[0]->unexplained, 1);
	triage_free(t);
	ruleset_free(rs);
}

Test(triage, out_of_window_explains_nothing_and_order_does_not_matter)
{
	struct ruleset *rs = load();
	struct triage *t;
	/* newest first, as gcloud prints: the cause comes after the close */
	const struct triage_report *r = run(&t, rs,
		"2025-09-08T04:40:00.000Z WARNING closing connection_id=c code=1011 reason=x\n"
		"2025-09-08T04:33:03.130Z WARNING closing connection_id=a code=1011 reason=x\n"
		"2025-09-08T04:33:03.120Z ERROR handler failed: Boom connection_id=a\n"
		"2025-09-08T04:33:00.000Z ERROR handler failed: Bang connection_id=c\n");

	cr_assert(r->verdict);
	cr_assert_eq(r->symptoms[0]->explained, 1);
	cr_assert_eq(r->symptoms[0]->unexplained, 1);
	/* grouped by capture: Boom and Bang are two causes */
	cr_assert_eq(r->ncauses, 2);
	cr_assert_str_eq(r->causes[0]->caps[0].value, "Boom");
	cr_assert_eq(r->causes[0]->explained_symptoms, 1);
	triage_free(t);
	ruleset_free(rs);
}

Test(triage, context_is_never_the_verdict)
{
	struct ruleset *rs = load();
	struct triage *t;
	const struct triage_report *r = run(&t, rs, "2025-09-08T04:33:03.100Z INFO state check connection_id=a\n");

	cr_assert_null(r->verdict);
	cr_assert_eq(r->ncauses, 0);
	triage_free(t);
	ruleset_free(rs);
}

/* n lines of "INFO tick N" (no rule matches them) */
static void ticks(char *out, size_t cap, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		size_t len = strlen(out);

		snprintf(out + len, cap - len, "INFO tick %d\n", i);
	}
}

Test(triage, no_time_links_by_record_order)
{
	struct ruleset *rs = load();
	struct triage *t;
	char in[4096] = "";
	const struct triage_report *r;

	/* the chain, by order, with keys where the lines carry them */
	r = run(&t, rs,
		"INFO state check connection_id=a\n"
		"ERROR config missing\n"
		"ERROR handler failed: Boom connection_id=a\n"
		"WARNING closing connection_id=a code=1011 reason=\"Internal error\"\n");
	cr_assert(r->verdict);
	cr_assert_str_eq(r->verdict->rule->id, "cause.deeper");
	cr_assert_eq(r->symptoms[0]->explained, 1);
	cr_assert_eq(r->symptoms[0]->ordered, 1);
	cr_assert_eq(r->order_matched, 1);
	cr_assert(r->verdict->has_pos && !r->verdict->has_ts);
	cr_assert_eq(r->verdict->first_line, 2);
	triage_free(t);

	/* a cause after its symptom did not cause it */
	r = run(&t, rs,
		"WARNING closing connection_id=a code=1011 reason=x\n"
		"ERROR handler failed: Boom connection_id=a\n");
	cr_assert_null(r->verdict);
	cr_assert_eq(r->symptoms[0]->unexplained, 1);
	triage_free(t);

	/* another connection's cause rules the pair out, as with times */
	r = run(&t, rs,
		"ERROR handler failed: Boom connection_id=a\n"
		"WARNING closing connection_id=b code=1011 reason=x\n");
	cr_assert_null(r->verdict);
	triage_free(t);

	/* the window: TRIAGE_ORDER_WINDOW records before, not one more */
	strcpy(in, "ERROR handler failed: Boom connection_id=a\n");
	ticks(in, sizeof in, TRIAGE_ORDER_WINDOW - 1);
	strcat(in, "WARNING closing connection_id=a code=1011 reason=x\n");
	r = run(&t, rs, in);
	cr_assert(r->verdict);
	triage_free(t);
	strcpy(in, "ERROR handler failed: Boom connection_id=a\n");
	ticks(in, sizeof in, TRIAGE_ORDER_WINDOW);
	strcat(in, "WARNING closing connection_id=a code=1011 reason=x\n");
	r = run(&t, rs, in);
	cr_assert_null(r->verdict);
	triage_free(t);
	ruleset_free(rs);
}

Test(triage, no_time_order_stays_within_its_input)
{
	struct ruleset *rs = load();
	struct triage *t = triage_new(rs, NULL);
	const char *in[2] = { "ERROR handler failed: Boom connection_id=a\n",
			      "WARNING closing connection_id=a code=1011 reason=x\n" };
	const struct triage_report *r;
	int k;

	cr_assert(t);
	for (k = 0; k < 2; k++) {
		struct evstream_opts o = { .format = INPUT_AUTO };
		struct evstream *s = evstream_open_mem(k ? "b.log" : "a.log", in[k], strlen(in[k]), &o);
		struct event *ev;
		struct diag d;

		while (evstream_next(s, &ev, &d) == 1)
			cr_assert_eq(triage_feed(t, ev, k), 0);
		evstream_close(s);
	}
	r = triage_finish(t);
	cr_assert(r);
	cr_assert_null(r->verdict);
	cr_assert_eq(r->symptoms[0]->unexplained, 1);
	triage_free(t);
	ruleset_free(rs);
}
