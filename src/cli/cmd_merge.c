#include <errno.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/report_out.h"
#include "triage/shard.h"

static const struct opt merge_opts[] = {
	{ "output", 'o', "FORMAT", "text|json|markdown",
	  "report as text (the on-call view), json (one object) or markdown (with mermaid chains)", OPT_REPORT_OUTPUT },
	{ "shard", 0, NULL, NULL,
	  "write a shard again (JSON with findings), to merge further: a tree of merges (implies --output json)", OPT_REPORT_SHARD },
	OPT_COMMON_RULES,
	OPT_COMMON_COLOR,
	OPT_COMMON_OUTPUT_FILE,
	OPT_COMMON_QUIET,
	OPT_COMMON_VERSION,
	{ NULL, 0, NULL, NULL, NULL, 0 },
};

static const struct cmd_spec merge_spec = {
	"merge", "[OPTIONS] [SHARD...]",
	"Combine the outputs of 'logwhy triage --output json --shard' run on parts\n"
	"of an input into the report one triage over the whole input gives: the\n"
	"same verdict, counts, chains and ranking. The reduce step after a map\n"
	"over shards (GNU parallel, Spark RDD.pipe, Hadoop Streaming).\n"
	"Give the shards in input order; a SHARD file or standard input ('-', or\n"
	"no SHARD) may hold several, one after another.",
	"Symptoms and causes are correlated across shards, as in one run. Cut the\n"
	"input at record boundaries: a multi-line block (a Python traceback, a\n"
	"'--- Logging error ---' block) split between two shards is read as two\n"
	"records. Examples name the shard's input: name it as the whole with\n"
	"triage --label and --first-line. An input whose name is the previous\n"
	"shard's last input's continues it (records without a time take its\n"
	"latest). Use the rules the shards were made with (--rules).\n"
	"Exit status: 0 report written, 2 usage, a shard that is not valid, or\n"
	"rules other than the shards'.\n",
	merge_opts,
	NULL,
};

struct merge_args {
	struct common c;
	struct report_out out;
};

static int merge_option(void *ctx, int id, const char *value)
{
	struct merge_args *a = ctx;
	int r = common_option(&a->c, id, value);

	if (r)
		return r < 0;
	return report_out_option(&a->out, id, value);
}

static void keep_warning(void *ctx, const struct diag *d)
{
	report_out_warning(&((struct merge_args *)ctx)->out, d);
}

static int read_all(struct triage *t, const struct ruleset *rs, char **inputs, int n)
{
	static char *stdin_only[] = { "-" };
	int i;

	if (n == 0) {
		inputs = stdin_only;
		n = 1;
	}
	for (i = 0; i < n; i++) {
		int is_stdin = !strcmp(inputs[i], "-");
		const char *name = is_stdin ? "<stdin>" : inputs[i];
		FILE *f = is_stdin ? stdin : fopen(inputs[i], "rb");
		struct diag d = { 0 };
		int rc;

		if (!f) {
			cli_errorf("%s: %s", inputs[i], strerror(errno));
			return -1;
		}
		rc = shard_read(t, rs, f, name, &d);
		if (!is_stdin)
			fclose(f);
		if (rc < 0) {
			cli_error(&d);
			return -1;
		}
	}
	return 0;
}

int cmd_merge(int argc, char **argv)
{
	struct merge_args a;
	struct ruleset *rs;
	struct warn_sink warn;
	int npos, rc, bad = 0;

	memset(&a, 0, sizeof a);
	common_init(&a.c);
	report_out_init(&a.out);
	if (cli_parse(&merge_spec, argc, argv, &npos, merge_option, &a, &a.c, &rc))
		return rc;
	if ((rc = report_out_ready(&a.out, &a.c)) || (rc = cli_output_open(&a.c)))
		return rc;
	rs = cli_load_rules(&a.c);
	if (!rs)
		return 2;
	warn.fn = keep_warning;
	warn.ctx = &a;
	a.out.t = triage_new(rs, &warn);
	if (!a.out.t) {
		cli_errorf("out of memory");
		ruleset_free(rs);
		return 2;
	}
	/* a report from some of the shards would look complete: all or none */
	if (read_all(a.out.t, rs, argv + 1, npos) < 0 || report_out_finish(&a.out, &a.c, rs) < 0 ||
	    cli_output_close(&a.c) < 0)
		bad = 1;
	triage_free(a.out.t);
	ruleset_free(rs);
	return bad ? 2 : 0;
}
