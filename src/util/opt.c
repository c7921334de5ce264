#include "util/opt.h"

#include <string.h>

int opt_value_ok(const struct opt *o, const char *value)
{
	const char *p = o->values;
	size_t n = strlen(value);

	if (!p)
		return 1;
	while (*p) {
		const char *bar = strchr(p, '|');
		size_t k = bar ? (size_t)(bar - p) : strlen(p);

		if (k == n && memcmp(p, value, n) == 0)
			return 1;
		p += k + (bar != NULL);
	}
	return 0;
}

static const struct opt *find_long(const struct opt *t, const char *name, size_t n)
{
	for (; t->name; t++)
		if (strlen(t->name) == n && memcmp(t->name, name, n) == 0)
			return t;
	return NULL;
}

static const struct opt *find_short(const struct opt *t, char c)
{
	for (; t->name; t++)
		if (t->short_name == c)
			return t;
	return NULL;
}

static int usage_error(struct diag *d, const char *fmt, const char *what)
{
	char msg[sizeof d->msg];

	snprintf(msg, sizeof msg, fmt, what);
	diag_set(d, NULL, 0, 0, "%s", msg);
	return OPT_USAGE;
}

const char *opt_who(const struct cmd_spec *spec, char *buf, size_t n)
{
	if (spec->program)
		return spec->program;
	snprintf(buf, n, "logwhy %s", spec->name);
	return buf;
}

static int apply(const struct opt *o, const char *value,
		 int (*on_opt)(void *, int, const char *), void *ctx, struct diag *d)
{
	if (o->arg && o->values && !opt_value_ok(o, value)) {
		diag_set(d, NULL, 0, 0, "invalid value '%s' for --%s (expected %s)", value, o->name,
			 o->values);
		return OPT_USAGE;
	}
	return on_opt(ctx, o->id, value) ? OPT_STOP : 0;
}

int opt_parse(const struct cmd_spec *spec, int argc, char **argv, int *npos,
	      int (*on_opt)(void *ctx, int id, const char *value), void *ctx, struct diag *d)
{
	int i, n = 0, only_pos = 0, rc;

	for (i = 1; i < argc; i++) {
		char *a = argv[i];

		if (only_pos || a[0] != '-' || a[1] == '\0') {
			argv[1 + n++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_pos = 1;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return OPT_HELP;
		if (!strcmp(a, "--options"))
			return OPT_DUMP;
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			const struct opt *o = find_long(spec->opts, name, len);
			const char *value = NULL;

			if (!o)
				return usage_error(d, "unknown option '%s'", a);
			if (o->arg) {
				if (eq)
					value = eq + 1;
				else if (i + 1 < argc)
					value = argv[++i];
				else
					return usage_error(d, "option '--%s' needs a value", o->name);
			} else if (eq) {
				return usage_error(d, "option '--%s' takes no value", o->name);
			}
			if ((rc = apply(o, value, on_opt, ctx, d)))
				return rc;
			continue;
		}
		/* bundled short options: -qv, -oJSON, -o json */
		for (a++; *a; a++) {
			const struct opt *o = find_short(spec->opts, *a);
			char flag[3] = { '-', *a, 0 };

			if (!o)
				return usage_error(d, "unknown option '%s'", flag);
			if (!o->arg) {
				if ((rc = apply(o, NULL, on_opt, ctx, d)))
					return rc;
				continue;
			}
			if (a[1]) {
				rc = apply(o, a + 1, on_opt, ctx, d);
			} else if (i + 1 < argc) {
				rc = apply(o, argv[++i], on_opt, ctx, d);
			} else {
				return usage_error(d, "option '%s' needs a value", flag);
			}
			if (rc)
				return rc;
			break;
		}
	}
	*npos = n;
	return 0;
}

int opt_finish(const struct cmd_spec *spec, int rc, const struct diag *d, FILE *out, FILE *err)
{
	char who[64];

	if (rc == OPT_HELP || rc == OPT_DUMP) {
		(rc == OPT_HELP ? opt_help : opt_dump)(spec, out);
		return 0;
	}
	if (rc == OPT_USAGE)
		fprintf(err, "%s: %s\nTry '%s --help'.\n", opt_who(spec, who, sizeof who), d->msg,
			opt_who(spec, who, sizeof who));
	return 2;
}

void opt_help(const struct cmd_spec *spec, FILE *out)
{
	const struct opt *o;
	char who[64];

	fprintf(out, "usage: %s %s\n\n%s\n\noptions:\n", opt_who(spec, who, sizeof who), spec->usage,
		spec->summary);
	for (o = spec->opts; o->name; o++) {
		char left[64];

		if (o->short_name)
			snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name,
				 o->arg ? "=" : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? "=" : "",
				 o->arg ? o->arg : "");
		fprintf(out, "  %-28s %s\n", left, o->help);
	}
	fprintf(out, "  %-28s %s\n", "-h, --help", "show this help and exit");
	if (spec->details)
		fprintf(out, "\n%s", spec->details);
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* "list | show ID | check [PATH...]": one line per alternative. */
static void dump_subcommands(const struct cmd_spec *spec, FILE *out)
{
	const char *p = spec->usage;

	if (!strstr(p, " | "))
		return;
	while (*p) {
		const char *bar = strstr(p, " | ");
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		size_t w = strcspn(p, " ");

		if (w > n)
			w = n;
		fprintf(out, "subcommand\t%s\t%.*s\t", spec->name, (int)w, p);
		if (n > w + 1)
			fprintf(out, "%.*s\n", (int)(n - w - 1), p + w + 1);
		else
			fputs("-\n", out);
		p += n + (bar ? 3 : 0);
	}
}

void opt_dump(const struct cmd_spec *spec, FILE *out)
{
	const struct opt *o;

	fprintf(out, "usage\t%s\t%s\n", spec->name, spec->usage);
	dump_subcommands(spec, out);
	for (o = spec->opts; o->name; o++) {
		char s[3] = { '-', o->short_name, 0 };

		fprintf(out, "option\t%s\t--%s\t%s\t%s\t%s\n", spec->name, o->name,
			o->short_name ? s : "-", or_dash(o->arg), or_dash(o->values));
	}
	fprintf(out, "option\t%s\t--help\t-h\t-\t-\n", spec->name);
}
