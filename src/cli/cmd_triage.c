#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/report_out.h"
#include "triage/triage.h"

enum { OPT_LABEL = OPT_REPORT_NEXT, OPT_FIRST_LINE, OPT_FAIL_ON };

static const struct opt triage_opts[] = {
	{ "output", 'o', "FORMAT", "text|json|markdown",
	  "report as text (the on-call view), json (one object) or markdown (with mermaid chains)", OPT_REPORT_OUTPUT },
	{ "shard", 0, NULL, NULL,
	  "add to the JSON report the findings 'logwhy merge' needs to combine shards into one report (implies --output json)", OPT_REPORT_SHARD },
	{ "label", 0, "NAME", NULL,
	  "name the input NAME in examples and warnings (one input; e.g. the file a shard was cut from)", OPT_LABEL },
	{ "first-line", 0, "N", NULL,
	  "number the input's lines from N (one input; the line a shard starts at in the whole file)", OPT_FIRST_LINE },
	{ "fail-on", 0, "LEVEL", "error|warning|info|never",
	  "exit 1 when the verdict's cause is at or above LEVEL (default never: a report is not a failure)", OPT_FAIL_ON },
	OPT_COMMON_READING,
	{ NULL, 0, NULL, NULL, NULL, 0 },
};

static const struct cmd_spec triage_spec = {
	"triage", "[OPTIONS] [FILE...]",
	"Find the error behind the error: the few root causes behind the symptoms\n"
	"(WebSocket 1011/1006 closes, HTTP 500 before upgrade), ranked, each with\n"
	"its why-chain, counts, first and last seen, an example and the fix.\n"
	"Give server logs and client traces together; FILE may be gzip-compressed;\n"
	"no FILE or '-' reads standard input.",
	"Each symptom is linked to the cause that explains it (rule 'explains' and\n"
	"'correlate': same connection, trace or instance, within the window, nearest\n"
	"first), then down to the deepest cause, at most 8 links. Context rules are\n"
	"evidence, never the verdict. A symptom nothing explains is counted as\n"
	"unexplained. At most 10000 distinct causes are kept; past that, new ones\n"
	"are counted under their rule.\n"
	"Shards: cut the input at record boundaries, run 'triage --shard' on each\n"
	"(with --label and --first-line to name the whole file), and 'logwhy merge'\n"
	"the outputs in input order: the report is that of one run over the whole.\n"
	"Exit status: 0 report written, 1 the verdict's cause is at or above\n"
	"--fail-on, 2 usage, input or rule error.\n",
	triage_opts,
};

struct triage_args {
	struct common c;
	struct report_out out;
	const char *label;
	long line_offset;
	const char *input_name;    /* as the stream names it, for --label */
	enum level fail_on;
};

static int triage_option(void *ctx, int id, const char *value)
{
	struct triage_args *a = ctx;
	int r = common_option(&a->c, id, value);

	if (r)
		return r < 0;
	if (id == OPT_LABEL) {
		a->label = value;
		return 0;
	}
	if (id == OPT_FAIL_ON) {
		a->fail_on = (enum level)level_parse(value);
		return 0;
	}
	if (id == OPT_FIRST_LINE) {
		char *end;
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (errno || *end || end == value || v < 1 || v > LONG_MAX / 2) {
			cli_errorf("invalid --first-line '%s' (a line number from 1)", value);
			return 1;
		}
		a->line_offset = v - 1;
		return 0;
	}
	return report_out_option(&a->out, id, value);
}

/* Warnings go to stderr as usual and into the report. */
static void keep_warning(void *ctx, const struct diag *d)
{
	struct triage_args *a = ctx;

	if (a->input_name && !strcmp(d->file, a->input_name)) {
		/* the input as --label and --first-line name it */
		struct diag e = *d;

		snprintf(e.file, sizeof e.file, "%s", a->label ? a->label : d->file);
		if (e.line > 0)
			e.line += a->line_offset;
		report_out_warning(&a->out, &e);
		return;
	}
	report_out_warning(&a->out, d);
}

static int triage_event(void *ctx, struct event *ev, int input)
{
	struct triage_args *a = ctx;

	if (a->input_name) {
		if (a->label)
			ev->source = a->label;
		ev->line += a->line_offset;
		ev->last_line += a->line_offset;
	}
	return triage_feed(a->out.t, ev, input);
}

int cmd_triage(int argc, char **argv)
{
	struct triage_args a;
	struct ruleset *rs;
	struct warn_sink warn;
	int npos, rc, bad = 0, nin, failed;
	char **in;

	memset(&a, 0, sizeof a);
	common_init(&a.c);
	report_out_init(&a.out);
	rc = opt_parse(&triage_spec, argc, argv, &npos, triage_option, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (a.c.version)
		return cli_version(&a.c);
	if ((rc = report_out_ready(&a.out, &a.c)))
		return rc;
	if (a.label || a.line_offset) {
		if (npos > 1) {
			cli_errorf("--label and --first-line name one input, not %d", npos);
			return 2;
		}
		a.input_name = npos == 0 || !strcmp(argv[1], "-") ? "<stdin>" : argv[1];
	}
	if ((rc = cli_output_open(&a.c)))
		return rc;
	rs = cli_load_rules(&a.c);
	if (!rs)
		return 2;
	if (cli_inputs_expand(&a.c, argv + 1, npos, &in, &nin, &bad) < 0) {
		ruleset_free(rs);
		return 2;
	}
	warn.fn = keep_warning;
	warn.ctx = &a;
	a.out.t = triage_new(rs, &warn);
	if (!a.out.t) {
		cli_errorf("out of memory");
		cli_inputs_free(in);
		ruleset_free(rs);
		return 2;
	}
	if (cli_read_inputs(in, nin, &a.c, &warn, rs, 1, triage_event, &a) < 0)
		bad = 1;
	if (report_out_finish(&a.out, &a.c, rs) < 0)
		bad = 1;
	if (cli_output_close(&a.c) < 0)
		bad = 1;
	failed = report_out_verdict_at(&a.out, a.fail_on);
	triage_free(a.out.t);
	cli_inputs_free(in);
	ruleset_free(rs);
	return bad ? 2 : failed ? 1 : 0;
}
