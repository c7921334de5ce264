#include "wsd/opt.h"

#include <string.h>

static const struct wsd_opt *find(const struct wsd_opt *opts, const char *name, size_t n)
{
	for (; opts->name; opts++)
		if (strlen(opts->name) == n && strncmp(opts->name, name, n) == 0)
			return opts;
	return NULL;
}

int wsd_opt_parse(const struct wsd_opt *opts, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq, *val = NULL;
		const struct wsd_opt *o;

		if (strncmp(a, "--", 2) != 0) {
			fprintf(stderr, "logwhy-wsd: unexpected argument '%s'\n", a);
			return -1;
		}
		a += 2;
		eq = strchr(a, '=');
		o = find(opts, a, eq ? (size_t)(eq - a) : strlen(a));
		if (!o) {
			fprintf(stderr, "logwhy-wsd: unknown option '%s' (see --help)\n", argv[i]);
			return -1;
		}
		if (o->arg) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else {
				fprintf(stderr, "logwhy-wsd: option '--%s' needs %s\n", o->name, o->arg);
				return -1;
			}
		} else if (eq) {
			fprintf(stderr, "logwhy-wsd: option '--%s' takes no value\n", o->name);
			return -1;
		}
		if (o->set(val) < 0) {
			fprintf(stderr, "logwhy-wsd: invalid value '%s' for '--%s' (%s)\n", val,
				o->name, o->help);
			return -1;
		}
	}
	return 0;
}

void wsd_opt_help(const struct wsd_opt *opts, FILE *out)
{
	for (; opts->name; opts++) {
		char lhs[64];

		snprintf(lhs, sizeof lhs, "--%s%s%s", opts->name, opts->arg ? " " : "",
			 opts->arg ? opts->arg : "");
		fprintf(out, "  %-26s %s\n", lhs, opts->help);
	}
}

void wsd_opt_dump(const struct wsd_opt *opts, FILE *out,
		  const char *const *(*values_of)(const char *name))
{
	for (; opts->name; opts++) {
		const char *const *v = values_of(opts->name);

		fprintf(out, "option\tlogwhy-wsd\t--%s\t-\t%s\t", opts->name,
			opts->arg ? opts->arg : "-");
		if (!v || !*v)
			fputc('-', out);
		for (; v && *v; v++)
			fprintf(out, "%s%s", *v, v[1] ? "|" : "");
		fputc('\n', out);
	}
}
