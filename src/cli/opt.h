#ifndef LOGWHY_OPT_H
#define LOGWHY_OPT_H

#include <stdio.h>

/*
 * Options are data: each command has one table that drives parsing,
 * --help and (later) the completion scripts, so they cannot drift.
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
};

/*
 * Parse argv[1..] against spec. For each option, calls on_opt(ctx, id,
 * value) (value NULL for flags); a non-zero return stops with exit 2.
 * Positional arguments are compacted into argv[1..*npos]. "--" ends
 * options; "-" is positional. Returns 0, or 2 after printing a usage
 * error to stderr. --help is handled here (prints, returns -1: exit 0).
 */
int opt_parse(const struct cmd_spec *spec, int argc, char **argv, int *npos,
	      int (*on_opt)(void *ctx, int id, const char *value), void *ctx);

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
