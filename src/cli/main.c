#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "read/yamldoc.h"
#include "rules/ryaml.h"
#include "triage/triage.h"
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
	{ "rules", cmd_rules, "list, show, check and test rules" },
	{ "sanitize", cmd_sanitize, "every record as one line of strict JSON, secrets redacted" },
	{ "probe", cmd_probe, "connect to a WebSocket URL and record its close trace" },
};

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
	/* printed from the constants the code enforces; LIMITS in logwhy(1)
	 * says the same (tests/hostile.test.sh checks both against the code) */
	fprintf(out, "\nLimits (LIMITS in logwhy(1)):\n"
		     "  record: %zu bytes (--max-record); a longer record or line is cut,\n"
		     "    flagged and warned about; a text block joins at most 10000 lines\n"
		     "  nesting: JSON 2048 levels (sanitize 256), YAML input %d levels, no\n"
		     "    YAML aliases; past them the record is kept as text, with a warning\n"
		     "  regex: %u match steps, depth %u, %u KiB heap per match; past them\n"
		     "    the rule gives up on that record, with a warning\n"
		     "  triage: %d distinct causes (more are counted under their rule),\n"
		     "    chains of at most %d links\n"
		     "  rule files: 1048576 bytes each, 10000 rules, YAML nesting %d and\n"
		     "    %d nodes, no aliases; past them exit 2 at file:line:col\n",
		FRAME_MAX_RECORD, YAMLDOC_MAX_DEPTH, RULE_MATCH_LIMIT, RULE_DEPTH_LIMIT,
		RULE_HEAP_LIMIT_KIB, TRIAGE_MAX_GROUPS, TRIAGE_MAX_DEPTH,
		RULE_YAML_MAX_DEPTH, RULE_YAML_MAX_NODES);
}

/*
 * Hidden: every command and its option table as tab-separated lines (see
 * opt_dump), so completions and man pages can be checked against the code.
 */
static int dump_options(void)
{
	size_t i;

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
