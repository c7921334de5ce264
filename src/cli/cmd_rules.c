#include <string.h>

#include "cli/cli.h"
#include "event/stream.h"
#include "rules/ruletest.h"
#include "util/term.h"

static const struct opt rules_opts[] = {
	OPT_COMMON_RULES,
	OPT_COMMON_COLOR,
	OPT_COMMON_OUTPUT_FILE,
	OPT_COMMON_QUIET,
	OPT_COMMON_VERSION,
	{ NULL, 0, NULL, NULL, NULL, 0 },
};

static const struct cmd_spec rules_spec = {
	"rules", "list | show ID | check [PATH...] | test [PATH...]",
	"Inspect the rules: list them, show one, check files load, or run every\n"
	"rule's examples (each 'match' example must match, each 'nomatch' must not).",
	"check and test take rule files or directories; without PATH they use the\n"
	"rules logwhy would load (--rules, LOGWHY_RULES, or the shipped rules).\n"
	"test ends with 'N passed, N failed' and exits 1 when an example fails.\n",
	rules_opts,
};

struct rules_args {
	struct common c;
};

static int rules_option(void *ctx, int id, const char *value)
{
	struct rules_args *a = ctx;
	int r = common_option(&a->c, id, value);

	return r ? r < 0 : 1;
}

static void put(const char *s)
{
	term_put(stdout, s, strlen(s));
}

static int rules_list(const struct ruleset *rs)
{
	size_t i, w = 2;

	for (i = 0; i < rs->n; i++)
		if (strlen(rs->rules[i]->id) > w)
			w = strlen(rs->rules[i]->id);
	for (i = 0; i < rs->n; i++) {
		const struct rule *r = rs->rules[i];

		printf("%-*s  %-16s %-8s %-8s ", (int)w, r->id, r->category, role_name(r->role),
		       level_name(r->level));
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
	const struct rule *r = ruleset_find(rs, id);

	if (!r) {
		cli_errorf("no rule '%s' (see 'logwhy rules list')", id);
		return 2;
	}
	printf("id: %s\ntitle: ", r->id);
	put(r->title);
	printf("\ncategory: %s\nrole: %s\nseverity: %s\ndefined: %s:%ld\nmessage: ",
	       r->category, role_name(r->role), level_name(r->level), r->file, r->line);
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
		static const char *const by[] = { "connection", "trace", "instance", "user", "span" };
		size_t i, first = 1;

		printf("correlate: within %ldms by", r->within_ms);
		for (i = 0; i < sizeof by / sizeof *by; i++)
			if (r->correlate_by & (1u << i)) {
				printf("%s%s", first ? " " : ", ", by[i]);
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

static void test_result(void *ctx, const struct rule *r, const struct rule_example *ex,
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

	for (i = 0; i < rs->n; i++)
		rule_test_examples(rs, rs->rules[i], evstream_example, NULL, test_result, &t);
	printf("%ld passed, %ld failed\n", t.pass, t.fail);
	return t.fail ? 1 : 0;
}

int cmd_rules(int argc, char **argv)
{
	struct rules_args a;
	struct ruleset *rs;
	const char *sub;
	int npos, rc, i;

	memset(&a, 0, sizeof a);
	common_init(&a.c);
	rc = opt_parse(&rules_spec, argc, argv, &npos, rules_option, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (a.c.version)
		return cli_version(&a.c);
	if (npos < 1) {
		fprintf(stderr, "logwhy rules: missing subcommand (list, show, check, test)\n"
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
	else if (!strcmp(sub, "check")) {
		printf("%zu rules ok\n", rs->n);
		rc = 0;
	} else
		rc = rules_test(rs);
	if (cli_output_close(&a.c) < 0)
		rc = 2;
	ruleset_free(rs);
	return rc;
}
