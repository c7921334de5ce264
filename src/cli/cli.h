#ifndef LOGWHY_CLI_H
#define LOGWHY_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "util/opt.h"
#include "read/frame.h"
#include "rules/ruleset.h"
#include "util/diag.h"

/* A limit's number in a help text, from the constant the code enforces */
#define CLI_STR(n) CLI_STR_(n)
#define CLI_STR_(n) #n

/* Option ids shared by every command's table (commands use ids >= 100). */
enum {
	OPT_RULES = 1,
	OPT_COLOR,
	OPT_INPUT_FORMAT,
	OPT_QUIET,
	OPT_VERBOSE,
	OPT_VERSION,
	OPT_MAX_RECORD,
	OPT_FOLLOW,
	OPT_THREADS,
	OPT_OUTPUT_FILE,
	OPT_SINCE,
	OPT_UNTIL,
};

#define OPT_COMMON_RULES \
	{ "rules", 0, "PATH", NULL, "load rules from PATH (file or directory; repeatable; replaces the shipped rules)", OPT_RULES }
#define OPT_COMMON_COLOR \
	{ "color", 0, "WHEN", "auto|always|never", "colour output: auto (a terminal, unless NO_COLOR is set), always, never", OPT_COLOR }
#define OPT_COMMON_INPUT \
	{ "input-format", 0, "FORMAT", "auto|json|ndjson|jsonl|yaml|text|kubectl|docker|cri|compose|cloudfoundry|journald|syslog|gunicorn|cloudwatch|otlp|datadog|azure", "input format or source (default auto: detected per input)", OPT_INPUT_FORMAT }
#define OPT_COMMON_QUIET \
	{ "quiet", 'q', NULL, NULL, "no warnings or summary on stderr", OPT_QUIET }
#define OPT_COMMON_VERSION \
	{ "version", 'V', NULL, NULL, "print the version and where rules load from", OPT_VERSION }
#define OPT_COMMON_FOLLOW \
	{ "follow", 'f', NULL, NULL, "keep reading a growing file (or a pipe such as gcloud logging tail) and write each finding as it is made", OPT_FOLLOW }
#define OPT_COMMON_MAX_RECORD \
	{ "max-record", 0, "BYTES", NULL, "cut records longer than BYTES (default 8 MiB; a warning names each)", OPT_MAX_RECORD }

#define OPT_COMMON_THREADS \
	{ "threads", 0, "N", NULL, "read with N threads (default: $LOGWHY_THREADS, else the cores this process may run on; 1: one thread)", OPT_THREADS }
#define OPT_COMMON_OUTPUT_FILE \
	{ "output-file", 0, "PATH", NULL, "write the output to PATH instead of standard output", OPT_OUTPUT_FILE }
#define OPT_COMMON_SINCE \
	{ "since", 0, "TIME", NULL, "only records at or after TIME: RFC 3339, or a duration (90s, 10m, 2h, 1d) before the last record", OPT_SINCE }
#define OPT_COMMON_UNTIL \
	{ "until", 0, "TIME", NULL, "only records at or before TIME: RFC 3339, or a duration before the last record", OPT_UNTIL }

/* what every command that reads logs takes */
#define OPT_COMMON_READING \
	OPT_COMMON_RULES, OPT_COMMON_INPUT, OPT_COMMON_COLOR, OPT_COMMON_MAX_RECORD, \
	OPT_COMMON_SINCE, OPT_COMMON_UNTIL, OPT_COMMON_OUTPUT_FILE, \
	OPT_COMMON_QUIET, OPT_COMMON_VERSION

struct common {
	const char *rules[64];
	int nrules;
	int color;                 /* -1 auto, 0 never, 1 always */
	enum input_format format;
	size_t max_record;
	int quiet;
	int verbose;
	int version;
	int follow;
	int threads;               /* --threads, 0: not given */
	long warnings;
	int parse_severe;          /* set by a command: warnings or worse come with
				      their message and keys (never only skimmed) */
	int skim_messages;         /* set by a command that needs only messages,
				      times and severities (patterns) */
	const char *output_file;   /* --output-file, NULL: standard output */
	/* --since/--until: an absolute time, or a duration before the latest
	 * record (rel set; resolved by cli_read_inputs) */
	struct cli_bound { int set, rel; int64_t us; } since, until;
	/* following: called when the reader has caught up with a live input */
	void (*idle)(void *ctx);
	void *idle_ctx;
};

void common_init(struct common *c);
/* Handle a shared option; 1 when id was one, 0 when not, -1 on a bad value
 * (message printed). */
int common_option(struct common *c, int id, const char *value);
/* After parsing: with --output-file, standard output goes to that file
 * from now on (created or truncated). 0, or 2 after printing why. */
int cli_output_open(struct common *c);
/* At the end: flush standard output; a failed write names the file. 0, or
 * -1 after printing why. */
int cli_output_close(struct common *c);

/* Directories among inputs: every file under them, recursively, in byte
 * order of their paths, hidden entries skipped; a file that is not a log
 * (binary data, a socket, a device) is skipped with a note on stderr.
 * Other inputs are kept as given. *out (a NULL-terminated array of new
 * strings) is freed with cli_inputs_free. 0, or -1 after printing why
 * (nothing to free then). An unreadable directory is reported, counted
 * in *bad, and skipped. */
int cli_inputs_expand(struct common *c, char **in, int n, char ***out, int *nout, int *bad);
void cli_inputs_free(char **v);

/* Resolve colour for a stream. */
int common_color(const struct common *c, FILE *stream);

/* Load the ruleset: --rules, else $LOGWHY_RULES (':'-separated), else the
 * source tree next to the binary, else the installed directory. NULL after
 * printing the located error. */
struct ruleset *cli_load_rules(const struct common *c);
/* Where rules would be loaded from (for --version). */
void cli_rules_origin(const struct common *c, char *out, size_t n);

/* Printing, the only place the program writes diagnostics. */
void cli_error(const struct diag *d);
void cli_errorf(const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2)))
#endif
	;
/* A warn_sink that prints "logwhy: file:line:col: warning: ..." unless quiet. */
struct warn_sink cli_warn_sink(struct common *c);

int cli_version(const struct common *c);
/*
 * A command's options (opt_parse with c's command), --help, --options and
 * --version answered: 0 to go on, else 1 with *rc the exit status.
 */
int cli_parse(const struct cmd_spec *spec, int argc, char **argv, int *npos,
	      int (*on_opt)(void *ctx, int id, const char *value), void *ctx,
	      const struct common *c, int *rc);

struct event;
struct evstream;

/*
 * Read every input ("-" is stdin; as cli_inputs_expand gives them) and
 * call fn on each event in --since/--until, in input order. An input that cannot be opened or read is
 * reported and skipped; the rest are still read. fn returns 0 to go on, -1
 * to stop (errno says why; it is reported). The progress line runs when
 * progress is set and stderr is a terminal. Records no rule of rs can
 * match are only skimmed (rs NULL, or LOGWHY_NO_FASTPATH=1 set: every
 * record is parsed). Returns 0, or -1 when anything failed.
 */
int cli_read_inputs(char **inputs, int n, struct common *c, const struct warn_sink *w,
		    const struct ruleset *rs, int progress,
		    int (*fn)(void *ctx, struct event *ev, int input), void *ctx);
/* Threads for reading: --threads, else $LOGWHY_THREADS, else the CPUs this
 * process may run on (sched_getaffinity); at most CLI_MAX_THREADS; -1 when
 * $LOGWHY_THREADS is not a number from 1 to CLI_MAX_THREADS. */
#define CLI_MAX_THREADS 64
int cli_threads(const struct common *c);
/* "1".."64" into *out; -1 when s is not one. */
int cli_parse_threads(const char *s, int *out);
/* The progress line is erased before a warning is printed. */
void cli_progress_pause(void);
/* LOGWHY_NO_FASTPATH=1: parse every record and inflate gzip in the reading
 * thread; output must not change (tests/fastpath.test.sh). */
int cli_no_fastpath(void);

/*
 * The redactions of a ruleset for a sanitizer: its `redact:` patterns in
 * rule order, and their prefilter (with the built-ins' literals; NULL with
 * LOGWHY_NO_FASTPATH=1 or when a pattern has no literal). Fills o->patterns,
 * o->prefilter and o->may_match; cli_redact_free releases them. -1 out of
 * memory (printed).
 */
struct sanitize_opts;
struct prefilter;
int cli_redact_init(struct sanitize_opts *o, const struct ruleset *rs, struct prefilter **pf);
void cli_redact_free(struct sanitize_opts *o, struct prefilter *pf);

int cmd_triage(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_patterns(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_sanitize(int argc, char **argv);
int cmd_probe(int argc, char **argv);

#endif
