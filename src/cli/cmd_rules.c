#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "event/stream.h"
#include "pattern/pattern.h"
#include "rules/ruletest.h"
#include "rules/suggest.h"
#include "triage/triage.h"
#include "util/term.h"

enum { OPT_PATTERN = 100, OPT_CATEGORY, OPT_ROLE, OPT_ID };

static const struct opt rules_opts[] = {
	{ "pattern", 0, "ID", NULL,
	  "suggest: the pattern to turn into a rule (an id 'logwhy patterns' prints; default: the top suspect)", OPT_PATTERN },
	{ "category", 0, "CATEGORY", NULL,
	  "suggest: the rule's category (required; lower-case letters, digits and '-')", OPT_CATEGORY },
	{ "role", 0, "ROLE", "cause|symptom|context", "suggest: the rule's role (default cause)", OPT_ROLE },
	{ "id", 0, "ID", NULL, "suggest: the rule's id (default CATEGORY and the pattern's first words)", OPT_ID },
	OPT_COMMON_RULES,
	OPT_COMMON_INPUT,
	OPT_COMMON_MAX_RECORD,
	OPT_COMMON_COLOR,
	OPT_COMMON_OUTPUT_FILE,
	OPT_COMMON_QUIET,
	OPT_COMMON_VERSION,
	{ NULL, 0, NULL, NULL, NULL, 0 },
};

static const struct cmd_spec rules_spec = {
	"rules", "list | show ID | check [PATH...] | test [PATH...] | suggest [FILE...]",
	"Inspect the rules: list them, show one, check files load, run every\n"
	"rule's examples (each 'match' example must match, each 'nomatch' must not),\n"
	"or suggest a rule for a cause no rule knows.",
	"check and test take rule files or directories; without PATH they use the\n"
	"rules logwhy would load (--rules, LOGWHY_RULES, or the shipped rules).\n"
	"test ends with 'N passed, N failed' and exits 1 when an example fails.\n"
	"suggest reads logs like triage and prints a YAML rule for --pattern ID, or\n"
	"for the top suspect: a regex with named captures from the pattern, what it\n"
	"explains and how it correlates from how the suspect was linked, examples\n"
	"from real records (nomatch from neighbouring patterns). The rule is loaded\n"
	"with the others and its examples run before it is printed; one that fails\n"
	"is an error (exit 2), not output.\n",
	rules_opts,
	NULL,
};

struct rules_args {
	struct common c;
	const char *pattern, *category, *id;
	int role;
};

static int rules_option(void *ctx, int id, const char *value)
{
	struct rules_args *a = ctx;
	int r = common_option(&a->c, id, value);

	if (r)
		return r < 0;
	switch (id) {
	case OPT_PATTERN:
		a->pattern = value;
		return 0;
	case OPT_CATEGORY:
		a->category = value;
		return 0;
	case OPT_ID:
		a->id = value;
		return 0;
	case OPT_ROLE:
		a->role = !strcmp(value, "symptom") ? ROLE_SYMPTOM : !strcmp(value, "context") ? ROLE_CONTEXT
												: ROLE_CAUSE;
		return 0;
	}
	return 1;
}

static void put(const char *s)
{
	term_put(stdout, s, strlen(s));
}

static int rules_list(const struct ruleset *rs)
{
	size_t i, w = 2;

	for (i = 0; i < ruleset_count(rs); i++)
		if (strlen(rule_desc(ruleset_rule(rs, i))->id) > w)
			w = strlen(rule_desc(ruleset_rule(rs, i))->id);
	for (i = 0; i < ruleset_count(rs); i++) {
		const struct rule_desc *r = rule_desc(ruleset_rule(rs, i));

		printf("%-*s  %-16s %-8s %-8s ", (int)w, r->id, r->category, rule_role_name(r->role),
		       rule_level_name(r->level));
		put(r->title);
		putchar('\n');
	}
	return 0;
}

static void show_list(const char *label, char **items, size_t n)
{
	size_t i;

	if (!n)
		return;
	printf("%s:\n", label);
	for (i = 0; i < n; i++) {
		fputs("  - ", stdout);
		put(items[i]);
		putchar('\n');
	}
}

static void show_examples(const char *label, const struct rule_example *ex, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		printf("%s: ", label);
		put(ex[i].text);
		putchar('\n');
	}
}

static int rules_show(const struct ruleset *rs, const char *id)
{
	const struct rule_desc *r = rule_desc(ruleset_find(rs, id));

	if (!r) {
		cli_errorf("no rule '%s' (see 'logwhy rules list')", id);
		return 2;
	}
	printf("id: %s\ntitle: ", r->id);
	put(r->title);
	printf("\ncategory: %s\nrole: %s\nseverity: %s\ndefined: %s:%ld\nmessage: ",
	       r->category, rule_role_name(r->role), rule_level_name(r->level), r->file, r->line);
	put(r->message);
	putchar('\n');
	show_list("why", r->why, r->nwhy);
	if (r->fix) {
		fputs("fix: ", stdout);
		put(r->fix);
		putchar('\n');
	}
	show_list("explains", r->explains, r->nexplains);
	if (r->within_ms || r->correlate_by) {
		size_t i, first = 1;

		printf("correlate: within %ldms by", r->within_ms);
		for (i = 0; rule_corr_names[i]; i++)
			if (r->correlate_by & (1u << i)) {
				printf("%s%s", first ? " " : ", ", rule_corr_names[i]);
				first = 0;
			}
		putchar('\n');
	}
	show_examples("example match", r->ex_match, r->nex_match);
	show_examples("example nomatch", r->ex_nomatch, r->nex_nomatch);
	return 0;
}

struct test_report {
	long pass, fail;
};

static void test_result(void *ctx, const struct rule_desc *r, const struct rule_example *ex,
			int want, int got)
{
	struct test_report *t = ctx;

	if (want == got) {
		t->pass++;
		return;
	}
	t->fail++;
	printf("%s:%ld: %s: %s example %s: ", r->file, ex->line, r->id,
	       want ? "match" : "nomatch", want ? "did not match" : "matched");
	put(ex->text);
	putchar('\n');
}

static int rules_test(const struct ruleset *rs)
{
	struct test_report t = { 0, 0 };
	size_t i;

	for (i = 0; i < ruleset_count(rs); i++)
		rule_test_examples(rs, ruleset_rule(rs, i), evstream_example, NULL, test_result, &t);
	printf("%ld passed, %ld failed\n", t.pass, t.fail);
	return t.fail ? 1 : 0;
}

struct sg_read {
	struct triage *t;
	struct pattern_set *all;
};

static int sg_event(void *ctx, struct event *ev, int input)
{
	struct sg_read *r = ctx;

	if (pattern_add(r->all, ev) == -2) {
		errno = ENOMEM;
		return -1;
	}
	return triage_feed(r->t, ev, input);
}

/* A ruleset of rs's files plus the suggested rule; NULL after printing why. */
static struct ruleset *sg_load(const struct ruleset *rs, const struct buf *yaml, int quiet)
{
	struct ruleset *r = ruleset_new();
	struct diag d = { 0 };

	if (!r)
		return NULL;
	if (ruleset_load_same(r, rs, &d) < 0)
		goto fail;
	if (ruleset_load_mem(r, "<suggested rule>", yaml->p, yaml->len, &d) < 0 ||
	    ruleset_finish(r, &d) < 0)
		goto fail;
	return r;
fail:
	if (!quiet)
		cli_error(&d);
	ruleset_free(r);
	return NULL;
}

static const struct rule *sg_rule(const struct ruleset *r)
{
	size_t i;

	for (i = 0; i < ruleset_count(r); i++)
		if (!strcmp(rule_desc(ruleset_rule(r, i))->file, "<suggested rule>"))
			return ruleset_rule(r, i);
	return NULL;
}

static int sg_matches(const struct rule *rule, const char *text)
{
	struct event ev;
	struct match m;
	int hit = 0;

	event_init(&ev);
	rule_match_init(&m);
	if (evstream_example(NULL, text, &ev) == 0)
		hit = rule_match(rule, &ev, &m, NULL);
	event_free(&ev);
	rule_match_clear(&m);
	return hit;
}

static int sg_by_near(const void *a, const void *b, const struct pattern *p)
{
	const struct pattern *x = *(const struct pattern *const *)a, *y = *(const struct pattern *const *)b;
	int nx = x->ntok == p->ntok, ny = y->ntok == p->ntok;

	if (nx != ny)
		return ny - nx;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->id, y->id);
}

static const struct pattern *near_to;

static int sg_near_cmp(const void *a, const void *b)
{
	return sg_by_near(a, b, near_to);
}

static int rules_suggest(struct rules_args *a, const struct ruleset *rs, char **inputs, int n)
{
	struct warn_sink warn = cli_warn_sink(&a->c);
	struct sg_read rd;
	const struct triage_report *rep;
	const struct pattern *p = NULL;
	const struct suspect *sus = NULL;
	const struct rule_desc *ex[8];
	const char *nomatch[3];
	const struct pattern **near = NULL;
	struct suggest sg;
	struct buf yaml = BUF_INIT(0);
	struct ruleset *rs2 = NULL;
	size_t i, nn = 0;
	long unexplained = 0;
	int rc = 2, nin = 0, bad = 0;
	char **in = NULL;

	if (!a->category) {
		cli_errorf("rules suggest: --category is required (the class of this cause, e.g. dependency)");
		return 2;
	}
	rd.t = triage_new(rs, &warn);
	rd.all = pattern_set_new(0, &warn);
	if (!rd.t || !rd.all) {
		cli_errorf("out of memory");
		goto out;
	}
	/* every record parsed, so pattern ids are those 'logwhy patterns' prints */
	if (cli_inputs_expand(&a->c, inputs, n, &in, &nin, &bad) < 0 ||
	    cli_read_inputs(in, nin, &a->c, &warn, NULL, 0, sg_event, &rd) < 0 || bad)
		goto out;
	if (!(rep = triage_finish(rd.t))) {
		cli_errorf("cannot correlate findings: %s", strerror(errno));
		goto out;
	}
	for (i = 0; i < rep->nsymptoms; i++)
		unexplained += rep->symptoms[i]->unexplained;
	if (a->pattern) {
		if (!(p = pattern_find(rd.all, a->pattern))) {
			cli_errorf("rules suggest: no pattern '%s' in the input (see 'logwhy patterns')", a->pattern);
			goto out;
		}
		/* the suspect it is, if any: its example is one of this pattern's lines */
		for (i = 0; i < rep->nsuspects && !sus; i++)
			if (rep->suspects[i].pattern->nex &&
			    pattern_fits(p, rep->suspects[i].pattern->ex[0].text,
					 strlen(rep->suspects[i].pattern->ex[0].text)))
				sus = &rep->suspects[i];
	} else {
		if (!rep->nsuspects) {
			cli_errorf("rules suggest: no suspect in the input (no error no rule knows precedes the "
				   "unexplained symptoms); name a pattern with --pattern");
			goto out;
		}
		sus = &rep->suspects[0];
		p = sus->pattern;
	}
	memset(&sg, 0, sizeof sg);
	sg.p = p;
	sg.id = a->id;
	sg.category = a->category;
	sg.role = (enum rule_role)a->role;
	sg.level = LEVEL_WARNING;
	for (i = SEV_ERROR; i <= SEV_EMERGENCY; i++)
		if (p->sev[i])
			sg.level = LEVEL_ERROR;
	if (sus) {
		sg.explains = sus->explains;
		sg.nexplains = sus->nexplains;
		sg.symptoms = sus->symptoms;
		sg.lead_ms = sus->lead_ms;
		sg.within_ms = SUSPECT_WINDOW_US / 1000;
		if (sus->linked[SUSPECT_BY_CONNECTION])
			sg.by |= CORR_CONNECTION;
		if (sus->linked[SUSPECT_BY_TRACE])
			sg.by |= CORR_TRACE;
		if (sus->linked[SUSPECT_BY_INSTANCE])
			sg.by |= CORR_INSTANCE;
	} else {
		/* not a suspect: it may explain the unexplained symptoms, if the
		 * user says so; correlate as rules usually do */
		for (i = 0; i < rep->nsymptoms && sg.nexplains < 8; i++)
			if (rep->symptoms[i]->unexplained)
				ex[sg.nexplains++] = rep->symptoms[i]->rule;
		sg.explains = ex;
		sg.within_ms = SUSPECT_WINDOW_US / 1000;
		sg.by = CORR_CONNECTION | CORR_TRACE | CORR_INSTANCE;
	}
	sg.unexplained = unexplained;

	/* first without nomatch examples, to pick neighbours the regex leaves */
	if (suggest_yaml(&sg, &yaml) < 0) {
		cli_errorf("out of memory");
		goto out;
	}
	if (!(rs2 = sg_load(rs, &yaml, 0))) {
		cli_errorf("rules suggest: the rule for pattern %s does not load", p->id);
		goto out;
	}
	{
		size_t np;

		near = pattern_ranked(rd.all, &np);
		near_to = p;
		if (near)
			qsort(near, np, sizeof *near, sg_near_cmp);
		for (i = 0; near && i < np && nn < 2; i++)
			if (near[i]->nex && strcmp(near[i]->id, p->id) &&
			    !pattern_fits(p, near[i]->ex[0].text, strlen(near[i]->ex[0].text)) &&
			    !sg_matches(sg_rule(rs2), near[i]->ex[0].text))
				nomatch[nn++] = near[i]->ex[0].text;
		for (i = 0; i < rep->nsymptoms && nn < 3; i++)
			if (!sg_matches(sg_rule(rs2), rep->symptoms[i]->ex_text) && !strchr(rep->symptoms[i]->ex_text, '\n'))
				nomatch[nn++] = rep->symptoms[i]->ex_text;
	}
	sg.nomatch = nomatch;
	sg.nnomatch = nn;
	buf_reset(&yaml);
	ruleset_free(rs2);
	if (suggest_yaml(&sg, &yaml) < 0 || !(rs2 = sg_load(rs, &yaml, 0))) {
		cli_errorf("rules suggest: the rule for pattern %s does not load", p->id);
		goto out;
	}
	{
		int fails = rule_test_examples(rs2, sg_rule(rs2), evstream_example, NULL, NULL, NULL);

		if (fails) {
			cli_errorf("rules suggest: the rule for pattern %s fails %d of its examples; not printed",
				   p->id, fails);
			goto out;
		}
	}
	fwrite(yaml.p, 1, yaml.len, stdout);
	rc = fflush(stdout) == 0 ? 0 : 2;
out:
	cli_inputs_free(in);
	free(near);
	ruleset_free(rs2);
	buf_free(&yaml);
	triage_free(rd.t);
	pattern_set_free(rd.all);
	return rc;
}

int cmd_rules(int argc, char **argv)
{
	struct rules_args a;
	struct ruleset *rs;
	const char *sub;
	int npos, rc, i;

	memset(&a, 0, sizeof a);
	common_init(&a.c);
	if (cli_parse(&rules_spec, argc, argv, &npos, rules_option, &a, &a.c, &rc))
		return rc;
	if (npos < 1) {
		fprintf(stderr, "logwhy rules: missing subcommand (list, show, check, test, suggest)\n"
				"Try 'logwhy rules --help'.\n");
		return 2;
	}
	sub = argv[1];
	if (!strcmp(sub, "check") || !strcmp(sub, "test")) {
		for (i = 2; i <= npos; i++) {
			if (a.c.nrules == (int)(sizeof a.c.rules / sizeof *a.c.rules))
				break;
			a.c.rules[a.c.nrules++] = argv[i];
		}
	} else if (!strcmp(sub, "suggest")) {
	} else if (!strcmp(sub, "list") && npos == 1) {
	} else if (!strcmp(sub, "show") && npos == 2) {
	} else {
		fprintf(stderr, "logwhy rules: usage: logwhy rules %s\n", rules_spec.usage);
		return 2;
	}
	if ((rc = cli_output_open(&a.c)))
		return rc;
	rs = cli_load_rules(&a.c);
	if (!rs)
		return 2;
	if (!strcmp(sub, "list"))
		rc = rules_list(rs);
	else if (!strcmp(sub, "show"))
		rc = rules_show(rs, argv[2]);
	else if (!strcmp(sub, "suggest"))
		rc = rules_suggest(&a, rs, argv + 2, npos - 1);
	else if (!strcmp(sub, "check")) {
		printf("%zu rules ok\n", ruleset_count(rs));
		rc = 0;
	} else
		rc = rules_test(rs);
	if (cli_output_close(&a.c) < 0)
		rc = 2;
	ruleset_free(rs);
	return rc;
}
