#ifndef LOGWHY_WSD_OPT_H
#define LOGWHY_WSD_OPT_H

#include <stdio.h>

/*
 * One table drives parsing and --help, so they cannot drift. An option
 * with arg == NULL is a flag; its setter gets NULL.
 */
struct wsd_opt {
	const char *name;        /* long name without "--" */
	const char *arg;         /* metavariable, NULL for a flag */
	const char *help;
	int (*set)(const char *value);   /* -1 when the value is invalid */
};

/* Parse argv ("--name VALUE" or "--name=VALUE"); prints the usage error on
 * stderr and returns -1 on a bad or unknown option or a stray argument. */
int wsd_opt_parse(const struct wsd_opt *opts, int argc, char **argv);
void wsd_opt_help(const struct wsd_opt *opts, FILE *out);
/*
 * The table as tab-separated lines, the format of "logwhy --options":
 *   option  logwhy-wsd  --LONG  -  METAVAR  VALUES
 * ('-' for an empty field); values_of(name) gives an option's allowed
 * values as a NULL-ended list, or NULL when any value goes.
 */
void wsd_opt_dump(const struct wsd_opt *opts, FILE *out,
		  const char *const *(*values_of)(const char *name));

#endif
