#include <errno.h>
#include <string.h>

#include "cli/cli.h"
#include "emit/report.h"
#include "triage/triage.h"

enum { OPT_OUTPUT = 100 };

static const struct opt triage_opts[] = {
	{ "output", 'o', "FORMAT", "text|json|markdown",
	  "report as text (the on-call view), json (one object) or markdown (with mermaid chains)", OPT_OUTPUT },
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
	"Exit status: 0 report written, 2 usage, input or rule error.\n",
	triage_opts,
};

struct triage_args {
	struct common c;
	enum report_format format;
	struct triage *t;
	struct warn_sink stderr_sink;
};

static int triage_option(void *ctx, int id, const char *value)
{
	struct triage_args *a = ctx;
	int r = common_option(&a->c, id, value);

	if (r)
		return r < 0;
	if (id == OPT_OUTPUT) {
		a->format = (enum report_format)report_format_parse(value);
		return 0;
	}
	return 1;
}

/* Warnings go to stderr as usual and into the report. */
static void keep_warning(void *ctx, const struct diag *d)
{
	struct triage_args *a = ctx;
	char line[2048];

	if (a->t) {
		diag_format(d, line, sizeof line);
		triage_warning(a->t, line);
	}
	a->stderr_sink.fn(a->stderr_sink.ctx, d);
}

static int triage_event(void *ctx, struct event *ev, int input)
{
	struct triage_args *a = ctx;

	return triage_feed(a->t, ev, input);
}

int cmd_triage(int argc, char **argv)
{
	struct triage_args a;
	struct report_opts ro;
	const struct triage_report *rep;
	struct ruleset *rs;
	struct warn_sink warn;
	int npos, rc, bad = 0;

	memset(&a, 0, sizeof a);
	common_init(&a.c);
	a.format = REPORT_TEXT;
	rc = opt_parse(&triage_spec, argc, argv, &npos, triage_option, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (a.c.version)
		return cli_version(&a.c);
	rs = cli_load_rules(&a.c);
	if (!rs)
		return 2;
	a.stderr_sink = cli_warn_sink(&a.c);
	warn.fn = keep_warning;
	warn.ctx = &a;
	a.t = triage_new(rs, &warn);
	if (!a.t) {
		cli_errorf("out of memory");
		ruleset_free(rs);
		return 2;
	}
	if (cli_read_inputs(argv + 1, npos, &a.c, &warn, 1, triage_event, &a) < 0)
		bad = 1;
	rep = triage_finish(a.t);
	if (!rep) {
		cli_errorf("cannot correlate findings: %s", strerror(errno));
		bad = 1;
	} else {
		ro.color = common_color(&a.c, stdout);
		if (report_write(a.format, stdout, rep, &ro) < 0) {
			cli_errorf("write error: %s", strerror(errno));
			bad = 1;
		}
	}
	triage_free(a.t);
	ruleset_free(rs);
	return bad ? 2 : 0;
}
