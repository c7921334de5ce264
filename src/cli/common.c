#include "cli/cli.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/progress.h"
#include "event/stream.h"
#include "rules/prefilter.h"
#include "util/term.h"

#ifndef LOGWHY_RULES_DIR
#define LOGWHY_RULES_DIR "/usr/local/share/logwhy/rules"
#endif

void common_init(struct common *c)
{
	memset(c, 0, sizeof *c);
	c->color = -1;
	c->format = INPUT_AUTO;
}

int common_option(struct common *c, int id, const char *value)
{
	char *end;
	unsigned long long v;

	switch (id) {
	case OPT_RULES:
		if (c->nrules == (int)(sizeof c->rules / sizeof *c->rules)) {
			cli_errorf("too many --rules (at most %zu)", sizeof c->rules / sizeof *c->rules);
			return -1;
		}
		c->rules[c->nrules++] = value;
		return 1;
	case OPT_COLOR:
		c->color = !strcmp(value, "always") ? 1 : !strcmp(value, "never") ? 0 : -1;
		return 1;
	case OPT_INPUT_FORMAT:
		c->format = (enum input_format)input_format_parse(value);
		return 1;
	case OPT_QUIET:
		c->quiet = 1;
		return 1;
	case OPT_VERBOSE:
		c->verbose++;
		return 1;
	case OPT_VERSION:
		c->version = 1;
		return 1;
	case OPT_FOLLOW:
		c->follow = 1;
		return 1;
	case OPT_MAX_RECORD:
		errno = 0;
		v = strtoull(value, &end, 10);
		if (errno || *end || v < 1024 || v > ((size_t)1 << 30)) {
			cli_errorf("invalid --max-record '%s' (a byte count from 1024 to 1073741824)", value);
			return -1;
		}
		c->max_record = (size_t)v;
		return 1;
	default:
		return 0;
	}
}

int common_color(const struct common *c, FILE *stream)
{
	const char *term;

	if (c->color >= 0)
		return c->color;
	if (getenv("NO_COLOR") && *getenv("NO_COLOR"))
		return 0;
	term = getenv("TERM");
	if (term && !strcmp(term, "dumb"))
		return 0;
	return isatty(fileno(stream));
}

static void print_escaped(FILE *out, const char *s)
{
	term_put(out, s, strlen(s));
}

void cli_error(const struct diag *d)
{
	char line[2048];

	diag_format(d, line, sizeof line);
	fputs("logwhy: ", stderr);
	print_escaped(stderr, line);
	fputc('\n', stderr);
}

void cli_errorf(const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fputs("logwhy: ", stderr);
	print_escaped(stderr, line);
	fputc('\n', stderr);
}

static void warn_print(void *ctx, const struct diag *d)
{
	struct common *c = ctx;
	struct diag w = *d;
	char line[2048];

	c->warnings++;
	if (c->quiet)
		return;
	cli_progress_pause();
	/* "file:line:col: warning: message", as compilers put it */
	w.msg[0] = '\0';
	diag_format(&w, line, sizeof line - sizeof d->msg - 16);
	strcat(line, "warning: ");
	strcat(line, d->msg);
	fputs("logwhy: ", stderr);
	print_escaped(stderr, line);
	fputc('\n', stderr);
}

struct warn_sink cli_warn_sink(struct common *c)
{
	struct warn_sink w = { warn_print, c };

	return w;
}

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Rules next to the binary: the source tree's rules/ when it was built
 * there (build/logwhy, build/san/logwhy), else PREFIX/share/logwhy/rules
 * relative to PREFIX/bin, so an installed copy finds its rules whatever
 * PREFIX or DESTDIR it went to.
 */
static int local_rules(char *out, size_t n)
{
	static const char *const up[] = { "/../rules", "/../../rules", "/../share/logwhy/rules" };
	char exe[PATH_MAX];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
	size_t i;
	char *slash;

	if (k <= 0)
		return 0;
	exe[k] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	for (i = 0; i < sizeof up / sizeof *up; i++) {
		char cand[PATH_MAX + 32], mk[PATH_MAX + 48];

		snprintf(cand, sizeof cand, "%s%s", exe, up[i]);
		snprintf(mk, sizeof mk, "%s/../Makefile", cand);
		if (!is_dir(cand) || (i < 2 && access(mk, R_OK) != 0))
			continue;
		{
			char *real = realpath(cand, NULL);

			snprintf(out, n, "%s", real ? real : cand);
			free(real);
		}
		return 1;
	}
	return 0;
}

void cli_rules_origin(const struct common *c, char *out, size_t n)
{
	const char *env = getenv("LOGWHY_RULES");

	if (c->nrules)
		snprintf(out, n, "--rules");
	else if (env && *env)
		snprintf(out, n, "%s (LOGWHY_RULES)", env);
	else if (!local_rules(out, n))
		snprintf(out, n, "%s", LOGWHY_RULES_DIR);
}

static int load_one(struct ruleset *rs, const char *path)
{
	struct diag d = { 0 };

	if (ruleset_load(rs, path, &d) < 0) {
		cli_error(&d);
		return -1;
	}
	return 0;
}

struct ruleset *cli_load_rules(const struct common *c)
{
	struct ruleset *rs = ruleset_new();
	const char *env = getenv("LOGWHY_RULES");
	struct diag d = { 0 };
	char dir[PATH_MAX];
	int i, bad = 0;

	if (!rs) {
		cli_errorf("out of memory");
		return NULL;
	}
	if (c->nrules) {
		for (i = 0; i < c->nrules && !bad; i++)
			bad = load_one(rs, c->rules[i]) < 0;
	} else if (env && *env) {
		char *copy = strdup(env), *save = NULL, *p;

		for (p = strtok_r(copy, ":", &save); p && !bad; p = strtok_r(NULL, ":", &save))
			bad = load_one(rs, p) < 0;
		free(copy);
	} else {
		if (!local_rules(dir, sizeof dir))
			snprintf(dir, sizeof dir, "%s", LOGWHY_RULES_DIR);
		bad = load_one(rs, dir) < 0;
	}
	if (!bad && ruleset_finish(rs, &d) < 0) {
		cli_error(&d);
		bad = 1;
	}
	if (bad) {
		ruleset_free(rs);
		return NULL;
	}
	return rs;
}

int cli_version(const struct common *c)
{
	char origin[PATH_MAX + 32];

	cli_rules_origin(c, origin, sizeof origin);
	printf("logwhy %s\nrules: %s\n", LOGWHY_VERSION, origin);
	return 0;
}

static struct progress *active_progress;

int cli_no_fastpath(void)
{
	const char *v = getenv("LOGWHY_NO_FASTPATH");

	return v && *v && strcmp(v, "0") != 0;
}

void cli_progress_pause(void)
{
	if (active_progress)
		progress_done(active_progress);
}

/* For a reader with no rules: every record may be skimmed */
static int no_rule(const void *ctx, const char *raw, size_t len)
{
	(void)ctx;
	(void)raw;
	(void)len;
	return 0;
}

int cli_read_inputs(char **inputs, int n, struct common *c, const struct warn_sink *w,
		    const struct ruleset *rs, int progress,
		    int (*fn)(void *ctx, struct event *ev, int input), void *ctx)
{
	static char *stdin_only[] = { "-" };
	struct evstream_opts eo = { .format = c->format, .max_record = c->max_record,
				    .warn = w, .follow = c->follow };
	struct prefilter *pf = NULL;
	struct progress pr;
	int i, bad = 0;

	/* LOGWHY_NO_FASTPATH=1 parses every record and reads in one thread
	 * (the equal-output test) */
	eo.readahead = !cli_no_fastpath();
	eo.parse_from = c->parse_severe ? SEV_WARNING : SEV_DEFAULT;
	if (c->skim_messages && eo.readahead && !rs) {
		eo.may_match = no_rule;
		eo.skim_msg = 1;
	}
	if (rs && eo.readahead && (pf = prefilter_build(rs, NULL))) {
		eo.may_match = prefilter_may_match;
		eo.may_match_ctx = pf;
	}

	if (n == 0) {
		inputs = stdin_only;
		n = 1;
	}
	progress_init(&pr, c->quiet || !progress);
	active_progress = &pr;
	for (i = 0; i < n; i++) {
		struct diag d = { 0 };
		struct evstream *s = evstream_open(inputs[i], &eo, &d);
		struct event *ev;
		int rc;

		if (!s) {
			cli_progress_pause();
			cli_error(&d);
			bad = 1;
			continue;
		}
		while ((rc = evstream_next(s, &ev, &d)) == 1) {
			progress_tick(&pr, s, inputs[i]);
			if (fn(ctx, ev, i) < 0) {
				rc = -2;
				break;
			}
		}
		cli_progress_pause();
		if (rc == -1)
			cli_error(&d);
		else if (rc == -2)
			cli_errorf("%s: %s", inputs[i], strerror(errno));
		if (rc < 0)
			bad = 1;
		evstream_close(s);
		if (rc == -2)
			break;
	}
	active_progress = NULL;
	prefilter_free(pf);
	return bad ? -1 : 0;
}
