#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/report_out.h"
#include "triage/triage.h"

enum { OPT_LABEL = OPT_REPORT_NEXT, OPT_FIRST_LINE, OPT_FAIL_ON, OPT_NO_SUSPECTS };

static const struct opt triage_opts[] = {
	{ "output", 'o', "FORMAT", "text|json|markdown|html",
	  "report as text (the on-call view), json (one object), markdown (with mermaid chains) or html (one self-contained page with SVG timelines)", OPT_REPORT_OUTPUT },
	{ "shard", 0, NULL, NULL,
	  "add to the JSON report the findings 'logwhy merge' needs to combine shards into one report (implies --output json)", OPT_REPORT_SHARD },
	{ "label", 0, "NAME", NULL,
	  "name the input NAME in examples and warnings (one input; e.g. the file a shard was cut from)", OPT_LABEL },
	{ "first-line", 0, "N", NULL,
	  "number the input's lines from N (one input; the line a shard starts at in the whole file)", OPT_FIRST_LINE },
	OPT_COMMON_THREADS,
	{ "fail-on", 0, "LEVEL", "error|warning|info|never",
	  "exit 1 when the verdict's cause is at or above LEVEL (default never: a report is not a failure)", OPT_FAIL_ON },
	{ "follow", 'f', NULL, NULL,
	  "keep reading a growing file or a pipe (gcloud logging tail) and keep a live ranked view: redrawn in place on a terminal, a new report on a pipe when the verdict or the ranking changes", OPT_FOLLOW },
	{ "no-suspects", 0, NULL, NULL,
	  "do not look for suspects (errors no rule knows that precede the unexplained symptoms): faster on large inputs", OPT_NO_SUSPECTS },
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
	"first), then down to the deepest cause, at most " CLI_STR(TRIAGE_MAX_DEPTH) " links. Context rules are\n"
	"evidence, never the verdict. A symptom nothing explains is counted as\n"
	"unexplained. At most " CLI_STR(TRIAGE_MAX_GROUPS) " distinct causes are kept; past that, new ones\n"
	"are counted under their rule.\n"
	"Suspects: the patterns of warnings and errors no rule matched that precede\n"
	"the symptoms no rule explained (same connection, trace or instance within\n"
	"5s; time alone when one side has no key), ranked by symptoms preceded and\n"
	"lift over their base rate. They are never the verdict.\n"
	"Shards: cut the input at record boundaries, run 'triage --shard' on each\n"
	"(with --label and --first-line to name the whole file), and 'logwhy merge'\n"
	"the outputs in input order: the report is that of one run over the whole.\n"
	"With -f the report is live: on a terminal it is redrawn in place as\n"
	"findings arrive (at most once a second, and whenever the input pauses);\n"
	"written to a pipe or file, a new report follows each change of the verdict\n"
	"or of the causes' ranking, and the final one when the input ends.\n"
	"Exit status: 0 report written, 1 the verdict's cause is at or above\n"
	"--fail-on, 2 usage, input or rule error.\n",
	triage_opts,
	NULL,
};

struct triage_args {
	struct common c;
	struct report_out out;
	const char *label;
	long line_offset;
	const char *input_name;    /* as the stream names it, for --label */
	enum level fail_on;
	/* -f: the live view */
	int live_tty, live_dirty, live_shown;
	char *live_sig;            /* verdict and ranking last written (pipe) */
	struct timespec live_at;   /* last redraw */
	int no_suspects;
};

/* What a new report on a pipe waits for: the verdict and the causes in
 * their order. NULL when out of memory. */
static char *live_signature(const struct triage_report *r)
{
	struct buf b = BUF_INIT(0);
	size_t i;

	buf_adds(&b, r->verdict ? r->verdict->rule->id : "-");
	for (i = 0; i < r->ncauses; i++) {
		buf_addc(&b, '\n');
		buf_adds(&b, r->causes[i]->rule->id);
		buf_addc(&b, '\x1f');
		buf_adds(&b, r->causes[i]->key ? r->causes[i]->key : "");
	}
	if (buf_addc(&b, '\0') < 0) {
		buf_free(&b);
		return NULL;
	}
	return b.p;
}

/*
 * The report as the terminal can show it at once: each line cut to the
 * width (colour sequences take no room), at most rows - 2 lines, the top
 * of the report (the verdict and the first causes) kept.
 */
static void put_fitted(const char *s, size_t n, int rows, int cols)
{
	const char *end = s + n;
	int row = 0;

	while (s < end && row < rows - 2) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *stop = nl ? nl : end, *p = s;
		int w = 0;

		while (p < stop) {
			if (*p == '\033') {
				const char *q = p + 1;

				while (q < stop && !((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z')))
					q++;
				p = q < stop ? q + 1 : stop;
				continue;
			}
			if (((unsigned char)*p & 0xc0) != 0x80) {
				if (w == cols)
					break;
				w++;
			}
			p++;
		}
		fwrite(s, 1, (size_t)(p - s), stdout);
		fputs("\033[0m\n", stdout);
		row++;
		s = nl ? nl + 1 : end;
	}
	if (s < end)
		fputs("...\n", stdout);
}

/*
 * The live view of triage -f, from a snapshot of what was fed so far: on
 * a terminal the screen is cleared and the report drawn again; elsewhere a
 * report is written only when the verdict or the ranking changed.
 */
static void live_show(struct triage_args *a)
{
	struct triage *snap = triage_snapshot(a->out.t);
	const struct triage_report *rep = snap ? triage_finish(snap) : NULL;
	struct report_opts ro;
	char *sig;

	clock_gettime(CLOCK_MONOTONIC, &a->live_at);
	a->live_dirty = 0;
	if (!rep) {
		triage_free(snap);
		return;   /* the final report says what went wrong */
	}
	ro.color = common_color(&a->c, stdout);
	if (a->live_tty) {
		struct winsize ws;
		char *text = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&text, &len);
		int rows = 24, cols = 80;

		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 2 && ws.ws_col > 10) {
			rows = ws.ws_row;
			cols = ws.ws_col;
		}
		int ok = mem && report_write(a->out.format, mem, rep, &ro) == 0;

		if (mem && fclose(mem) != 0)
			ok = 0;
		if (ok) {
			/* home, clear below: the view replaces itself */
			fputs("\033[H\033[J", stdout);
			put_fitted(text, len, rows, cols);
			fputs("(following: Ctrl-C to stop)", stdout);
			fflush(stdout);
			a->live_shown = 1;
		}
		free(text);
	} else if ((sig = live_signature(rep))) {
		if (!a->live_sig || strcmp(sig, a->live_sig)) {
			report_write(a->out.format, stdout, rep, &ro);
			fflush(stdout);
			free(a->live_sig);
			a->live_sig = sig;
			a->live_shown = 1;
		} else {
			free(sig);
		}
	}
	triage_free(snap);
}

/* The reader caught up with the live input: show what changed. */
static void live_idle(void *ctx)
{
	struct triage_args *a = ctx;

	if (a->live_dirty)
		live_show(a);
}

static int triage_option(void *ctx, int id, const char *value)
{
	struct triage_args *a = ctx;
	int r = common_option(&a->c, id, value);

	if (r)
		return r < 0;
	if (id == OPT_NO_SUSPECTS) {
		a->no_suspects = 1;
		return 0;
	}
	if (id == OPT_LABEL) {
		a->label = value;
		return 0;
	}
	if (id == OPT_FAIL_ON) {
		a->fail_on = (enum level)rule_level_parse(value);
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
	if (triage_feed(a->out.t, ev, input) < 0)
		return -1;
	if (a->c.follow) {
		struct timespec now;

		/* a steady stream never pauses: redraw at most once a second */
		a->live_dirty = 1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - a->live_at.tv_sec) * 1000 +
		    (now.tv_nsec - a->live_at.tv_nsec) / 1000000 >= 1000)
			live_show(a);
	}
	return 0;
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
	if (cli_parse(&triage_spec, argc, argv, &npos, triage_option, &a, &a.c, &rc))
		return rc;
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
	if (a.out.t && a.no_suspects)
		triage_no_suspects(a.out.t);
	a.c.parse_severe = !a.no_suspects;
	if (!a.out.t) {
		cli_errorf("out of memory");
		cli_inputs_free(in);
		ruleset_free(rs);
		return 2;
	}
	if (a.c.follow) {
		if (a.out.shard) {
			cli_errorf("--shard and -f do not go together: a shard is written once");
			triage_free(a.out.t);
			cli_inputs_free(in);
			ruleset_free(rs);
			return 2;
		}
		a.live_tty = isatty(STDOUT_FILENO);
		/* the first report comes with the first cause */
		a.live_sig = strdup("-");
		a.c.idle = live_idle;
		a.c.idle_ctx = &a;
		clock_gettime(CLOCK_MONOTONIC, &a.live_at);
	}
	if (cli_read_inputs(in, nin, &a.c, &warn, rs, !a.c.follow, triage_event, &a) < 0)
		bad = 1;
	if (a.live_tty && a.live_shown)
		fputs("\033[H\033[J", stdout);
	if (report_out_finish(&a.out, &a.c, rs) < 0)
		bad = 1;
	free(a.live_sig);
	if (cli_output_close(&a.c) < 0)
		bad = 1;
	failed = report_out_verdict_at(&a.out, a.fail_on);
	triage_free(a.out.t);
	cli_inputs_free(in);
	ruleset_free(rs);
	return bad ? 2 : failed ? 1 : 0;
}
