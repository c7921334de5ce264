#ifndef LOGWHY_OPT_H
#define LOGWHY_OPT_H

#include <stdio.h>

#include "util/diag.h"

/*
 * Options are data: each command (of logwhy, and logwhy-wsd as a whole)
 * has one table that drives parsing, --help and the completion scripts
 * (scripts/gen-completions.sh reads opt_dump), so they cannot drift.
 */
struct opt {
	const char *name;     /* long name without "--"; NULL ends the table */
	char short_name;      /* 0 when none */
	const char *arg;      /* metavar ("FORMAT"), NULL for a flag */
	const char *values;   /* "text|json|sarif": allowed values, or NULL */
	const char *help;
	int id;               /* passed to the handler */
};

struct cmd_spec {
	const char *name;       /* "lint" */
	const char *usage;      /* "[OPTIONS] [FILE...]" */
	const char *summary;    /* one line */
	const char *details;    /* paragraph after the options, or NULL */
	const struct opt *opts;
	const char *program;    /* NULL: a command of logwhy ("logwhy NAME");
				   else a program of its own, named so */
};

/* What usage lines and messages call the command: "logwhy lint". */
const char *opt_who(const struct cmd_spec *spec, char *buf, size_t n);

/*
 * Parse argv[1..] against spec. For each option, calls on_opt(ctx, id,
 * value) (value NULL for flags); a non-zero return stops with OPT_STOP
 * (on_opt said why). Positional arguments are compacted into
 * argv[1..*npos]. "--" ends options; "-" is positional. Returns 0;
 * OPT_USAGE with d->msg the usage error; OPT_STOP; or OPT_HELP /
 * OPT_DUMP for --help / --options, which the caller answers with opt_help
 * / opt_dump.
 */
enum { OPT_USAGE = 1, OPT_STOP, OPT_HELP, OPT_DUMP };
int opt_parse(const struct cmd_spec *spec, int argc, char **argv, int *npos,
	      int (*on_opt)(void *ctx, int id, const char *value), void *ctx, struct diag *d);

/* The exit status for what opt_parse returned (not 0): --help and
 * --options answered on out (0), a usage error written on err (2),
 * OPT_STOP (2). */
int opt_finish(const struct cmd_spec *spec, int rc, const struct diag *d, FILE *out, FILE *err);

/* 1 when value is one of the opt's '|'-separated values. */
int opt_value_ok(const struct opt *o, const char *value);

void opt_help(const struct cmd_spec *spec, FILE *out);

/*
 * The table as data, for the completion scripts and the drift test
 * (tests/docs.test.sh): one tab-separated line per fact, '-' for an empty
 * field, so shells can read it without quoting:
 *   usage       CMD  USAGE
 *   subcommand  CMD  NAME  ARGS       (from a "a | b ARG | c" usage)
 *   option      CMD  --LONG  -S  METAVAR  VALUES
 * --help is listed too. Hidden: "logwhy CMD --options" prints it.
 */
void opt_dump(const struct cmd_spec *spec, FILE *out);

#endif
