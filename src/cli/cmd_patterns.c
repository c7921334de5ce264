#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "emit/patterns.h"
#include "pattern/pattern.h"

enum { OPT_OUTPUT = 100, OPT_RECORDS, OPT_MAX_PATTERNS };

static const struct opt patterns_opts[] = {
	{ "output", 'o', "FORMAT", "text|json|markdown",
	  "patterns as text, json (one object) or markdown (a table)", OPT_OUTPUT },
	{ "records", 0, NULL, NULL,
	  "instead of the summary, one JSON object per input record, in input order: its source, first line and pattern id", OPT_RECORDS },
	{ "max-patterns", 0, "N", NULL,
	  "keep at most N distinct patterns (default 4096); records past the cap are counted as overflow, with a warning", OPT_MAX_PATTERNS },
	OPT_COMMON_INPUT,
	OPT_COMMON_COLOR,
	OPT_COMMON_MAX_RECORD,
	OPT_COMMON_SINCE,
	OPT_COMMON_UNTIL,
	OPT_COMMON_OUTPUT_FILE,
	OPT_COMMON_QUIET,
	OPT_COMMON_VERSION,
	{ NULL, 0, NULL, NULL, NULL, 0 },
};

static const struct cmd_spec patterns_spec = {
	"patterns", "[OPTIONS] [FILE...]",
	"The input's message patterns (templates): every record's message with its\n"
	"variable parts masked (numbers, ids, hex, UUIDs, addresses, paths, quoted\n"
	"values, durations, times), similar ones merged, ranked by count, each with\n"
	"its severity mix, first and last seen, and an example.\n"
	"FILE may be gzip-compressed; no FILE or '-' reads standard input.",
	"A traceback takes its pattern from its exception line. Pattern ids are the\n"
	"same for the same input; 'logwhy rules suggest --pattern ID' turns one into\n"
	"a rule.\n"
	"Exit status: 0 report written, 2 usage or input error.\n",
	patterns_opts,
	NULL,
};

struct patterns_args {
	struct common c;
	enum report_format format;
	int records;
	size_t cap;
	struct pattern_set *ps;
};

static int patterns_option(void *ctx, int id, const char *value)
{
	struct patterns_args *a = ctx;
	int r = common_option(&a->c, id, value);

	if (r)
		return r < 0;
	switch (id) {
	case OPT_OUTPUT:
		a->format = (enum report_format)report_format_parse(value);
		return 0;
	case OPT_RECORDS:
		a->records = 1;
		return 0;
	case OPT_MAX_PATTERNS: {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(value, &end, 10);
		if (errno || *end || end == value || v < 1 || v > 1000000) {
			cli_errorf("invalid --max-patterns '%s' (a count from 1 to 1000000)", value);
			return 1;
		}
		a->cap = v;
		return 0;
	}
	}
	return 1;
}

static int patterns_event(void *ctx, struct event *ev, int input)
{
	struct patterns_args *a = ctx;
	long id = pattern_add(a->ps, ev);

	(void)input;
	if (id == -2) {
		errno = ENOMEM;
		return -1;
	}
	if (a->records &&
	    patterns_record(stdout, ev->source, ev->line, id >= 0 ? pattern_at(a->ps, (size_t)id) : NULL) < 0)
		return -1;
	return 0;
}

int cmd_patterns(int argc, char **argv)
{
	struct patterns_args a;
	struct warn_sink warn;
	char **in = NULL;
	int npos, rc, bad = 0, nin = 0;

	memset(&a, 0, sizeof a);
	common_init(&a.c);
	a.format = REPORT_TEXT;
	if (cli_parse(&patterns_spec, argc, argv, &npos, patterns_option, &a, &a.c, &rc))
		return rc;
	if ((rc = cli_output_open(&a.c)))
		return rc;
	warn = cli_warn_sink(&a.c);
	a.c.skim_messages = 1;   /* a plain LogEntry need not be parsed */
	if (cli_inputs_expand(&a.c, argv + 1, npos, &in, &nin, &bad) < 0)
		return 2;
	if (!(a.ps = pattern_set_new(a.cap, &warn))) {
		cli_errorf("out of memory");
		cli_inputs_free(in);
		return 2;
	}
	if (cli_read_inputs(in, nin, &a.c, &warn, NULL, 1, patterns_event, &a) < 0)
		bad = 1;
	if (!a.records && patterns_write(a.format, stdout, a.ps, common_color(&a.c, stdout)) < 0) {
		cli_errorf("write error: %s", strerror(errno));
		bad = 1;
	}
	if (cli_output_close(&a.c) < 0)
		bad = 1;
	pattern_set_free(a.ps);
	cli_inputs_free(in);
	return bad ? 2 : 0;
}
