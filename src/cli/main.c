#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "read/yamldoc.h"
#include "rules/ryaml.h"
#include "sanitize/sanitize.h"
#include "triage/triage.h"
#include "util/heap.h"
#include "util/jpool.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "triage", cmd_triage, "ranked root causes with why-chains, counts and fixes" },
	{ "merge", cmd_merge, "combine triage shards (triage --shard) into one report" },
	{ "lint", cmd_lint, "one finding per matching record; a CI gate" },
	{ "patterns", cmd_patterns, "the input's message patterns, counted, with first/last seen and an example" },
	{ "rules", cmd_rules, "list, show, check and test rules; suggest one for a pattern" },
	{ "sanitize", cmd_sanitize, "every record as one line of strict JSON, secrets redacted" },
	{ "probe", cmd_probe, "connect to a WebSocket URL and record its close trace" },
};

/*
 * The limits the code enforces, as --help and LIMITS in logwhy(1) state
 * them: --help prints these values, the hidden --options dump lists them,
 * and tests/docs.test.sh checks the man page against the dump.
 */
enum { LIM_RECORD, LIM_BLOCK_LINES, LIM_JSON_DEPTH, LIM_SANITIZE_DEPTH, LIM_YAML_DEPTH,
       LIM_REGEX_STEPS, LIM_REGEX_DEPTH, LIM_REGEX_HEAP_KIB, LIM_CAUSES, LIM_CHAIN_LINKS,
       LIM_RULE_FILE, LIM_RULES, LIM_RULE_YAML_DEPTH, LIM_RULE_YAML_NODES, LIM_N };

static const struct {
	const char *name;
	unsigned long long value;
} limits[LIM_N] = {
	[LIM_RECORD] = { "record-bytes", FRAME_MAX_RECORD },
	[LIM_BLOCK_LINES] = { "block-lines", FRAME_MAX_BLOCK_LINES },
	[LIM_JSON_DEPTH] = { "json-depth", FRAME_JSON_MAX_DEPTH },
	[LIM_SANITIZE_DEPTH] = { "sanitize-depth", SANITIZE_MAX_DEPTH },
	[LIM_YAML_DEPTH] = { "yaml-depth", YAMLDOC_MAX_DEPTH },
	[LIM_REGEX_STEPS] = { "regex-match-limit", RULE_MATCH_LIMIT },
	[LIM_REGEX_DEPTH] = { "regex-depth-limit", RULE_DEPTH_LIMIT },
	[LIM_REGEX_HEAP_KIB] = { "regex-heap-kib", RULE_HEAP_LIMIT_KIB },
	[LIM_CAUSES] = { "triage-causes", TRIAGE_MAX_GROUPS },
	[LIM_CHAIN_LINKS] = { "chain-links", TRIAGE_MAX_DEPTH },
	[LIM_RULE_FILE] = { "rule-file-bytes", RULE_FILE_MAX },
	[LIM_RULES] = { "rules", RULESET_MAX_RULES },
	[LIM_RULE_YAML_DEPTH] = { "rule-yaml-depth", RULE_YAML_MAX_DEPTH },
	[LIM_RULE_YAML_NODES] = { "rule-yaml-nodes", RULE_YAML_MAX_NODES },
};
#define L(id) limits[LIM_##id].value

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: logwhy COMMAND [OPTIONS] [ARGS...]\n\n"
		     "logwhy finds the error behind the error in WebSocket service logs.\n\n"
		     "commands:\n");
	for (i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'logwhy help COMMAND' (or 'logwhy COMMAND --help') describes a command's\n"
		     "options; 'logwhy -V' prints the version.\n"
		     "Exit status: 0 ok, 1 findings at or above --fail-on (lint) or failed\n"
		     "rule examples (rules test), 2 usage, input or rule error.\n");
	fprintf(out, "\nLimits (LIMITS in logwhy(1)):\n"
		     "  record: %llu bytes (--max-record); a longer record or line is cut,\n"
		     "    flagged and warned about; a text block joins at most %llu lines\n"
		     "  nesting: JSON %llu levels (sanitize %llu), YAML input %llu levels, no\n"
		     "    YAML aliases; past them the record is kept as text, with a warning\n"
		     "  regex: %llu match steps, depth %llu, %llu KiB heap per match; past them\n"
		     "    the rule gives up on that record, with a warning\n"
		     "  triage: %llu distinct causes (more are counted under their rule),\n"
		     "    chains of at most %llu links\n"
		     "  rule files: %llu bytes each, %llu rules, YAML nesting %llu and\n"
		     "    %llu nodes, no aliases; past them exit 2 at file:line:col\n",
		L(RECORD), L(BLOCK_LINES), L(JSON_DEPTH), L(SANITIZE_DEPTH), L(YAML_DEPTH), L(REGEX_STEPS),
		L(REGEX_DEPTH), L(REGEX_HEAP_KIB), L(CAUSES), L(CHAIN_LINKS), L(RULE_FILE), L(RULES),
		L(RULE_YAML_DEPTH), L(RULE_YAML_NODES));
}

/*
 * Hidden: every command and its option table as tab-separated lines (see
 * opt_dump), the limits and the keys of rule files, so completions and man
 * pages can be checked against the code.
 */
static int dump_options(void)
{
	const char *const *keys;
	size_t i, j;

	for (i = 0; i < LIM_N; i++)
		printf("limit\t%s\t%llu\n", limits[i].name, limits[i].value);
	for (i = 0; (keys = ruleset_key_table(i)); i++)
		for (j = 0; keys[j]; j++)
			printf("rulekey\t%s\n", keys[j]);

	for (i = 0; i < sizeof commands / sizeof *commands; i++)
		printf("command\t%s\t%s\n", commands[i].name, commands[i].summary);
	printf("option\t-\t--help\t-h\t-\t-\noption\t-\t--version\t-V\t-\t-\n");
	for (i = 0; i < sizeof commands / sizeof *commands; i++) {
		char name[16], flag[] = "--options";
		char *av[] = { name, flag, NULL };

		snprintf(name, sizeof name, "%s", commands[i].name);
		fflush(stdout);
		if (commands[i].run(2, av) != 0)
			return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t i;

	heap_huge_pages();
	jpool_install();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "help") && argc > 2) {
		/* "logwhy help CMD" is "logwhy CMD --help", as git has it */
		char flag[] = "--help";
		char *av[] = { argv[2], flag, NULL };

		for (i = 0; i < sizeof commands / sizeof *commands; i++)
			if (!strcmp(argv[2], commands[i].name))
				return commands[i].run(2, av);
		fprintf(stderr, "logwhy: unknown command '%s'\n", argv[2]);
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--options"))
		return dump_options();
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		struct common c;

		common_init(&c);
		return cli_version(&c);
	}
	for (i = 0; i < sizeof commands / sizeof *commands; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "logwhy: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
