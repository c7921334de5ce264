/* sched_getaffinity, CPU_COUNT */
#define _GNU_SOURCE

#include "cli/cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/progress.h"
#include "event/stream.h"
#include "rules/prefilter.h"
#include "util/term.h"
#include "util/tmp.h"

#ifndef LOGWHY_RULES_DIR
#define LOGWHY_RULES_DIR "/usr/local/share/logwhy/rules"
#endif

void common_init(struct common *c)
{
	memset(c, 0, sizeof *c);
	c->color = -1;
	c->format = INPUT_AUTO;
}

/* "90s", "10m", "1h30m", "2d", "500ms": microseconds, -1 when not one. */
static int64_t parse_duration(const char *s)
{
	int64_t total = 0;

	if (!*s)
		return -1;
	while (*s) {
		char *end;
		unsigned long long v;
		int64_t unit;

		if (*s < '0' || *s > '9')
			return -1;
		errno = 0;
		v = strtoull(s, &end, 10);
		if (errno || v > 1000000000ull)
			return -1;
		if (!strncmp(end, "ms", 2)) {
			unit = 1000;
			end += 2;
		} else if (*end == 's') {
			unit = 1000000;
			end++;
		} else if (*end == 'm') {
			unit = 60 * (int64_t)1000000;
			end++;
		} else if (*end == 'h') {
			unit = 3600 * (int64_t)1000000;
			end++;
		} else if (*end == 'd') {
			unit = 86400 * (int64_t)1000000;
			end++;
		} else {
			return -1;
		}
		if ((int64_t)v > (INT64_MAX / 4 - total) / unit)
			return -1;
		total += (int64_t)v * unit;
		s = end;
	}
	return total;
}

static int parse_bound(struct cli_bound *b, const char *opt, const char *value)
{
	int64_t us;
	size_t n = strlen(value);

	if (n && event_time_parse(value, n, &us) == n) {
		b->set = 1;
		b->rel = 0;
		b->us = us;
		return 0;
	}
	us = parse_duration(value);
	if (us < 0) {
		cli_errorf("invalid --%s '%s' (an RFC 3339 time such as 2025-09-08T04:33:00Z, "
			   "or a duration such as 90s, 10m, 2h, 1d before the last record)", opt, value);
		return -1;
	}
	b->set = 1;
	b->rel = 1;
	b->us = us;
	return 0;
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
	case OPT_THREADS:
		if (cli_parse_threads(value, &c->threads) < 0) {
			cli_errorf("invalid --threads '%s' (a number from 1 to %d)", value, CLI_MAX_THREADS);
			return -1;
		}
		return 1;
	case OPT_OUTPUT_FILE:
		if (!*value) {
			cli_errorf("--output-file needs a path");
			return -1;
		}
		c->output_file = value;
		return 1;
	case OPT_SINCE:
		return parse_bound(&c->since, "since", value) < 0 ? -1 : 1;
	case OPT_UNTIL:
		return parse_bound(&c->until, "until", value) < 0 ? -1 : 1;
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

static dev_t out_dev;
static ino_t out_ino;
static int out_known;

int cli_output_open(struct common *c)
{
	struct stat st;
	int fd;

	if (!c->output_file)
		return 0;
	if (fflush(stdout) != 0)
		return 2;
	do
		fd = open(c->output_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		cli_errorf("cannot write '%s': %s", c->output_file, strerror(errno));
		return 2;
	}
	if (fstat(fd, &st) == 0) {
		/* a directory input must not read the report being written */
		out_dev = st.st_dev;
		out_ino = st.st_ino;
		out_known = 1;
	}
	if (dup2(fd, STDOUT_FILENO) < 0) {
		cli_errorf("cannot write '%s': %s", c->output_file, strerror(errno));
		close(fd);
		return 2;
	}
	close(fd);
	return 0;
}

int cli_output_close(struct common *c)
{
	if (fflush(stdout) == 0 && !ferror(stdout) &&
	    (!c->output_file || fsync(STDOUT_FILENO) == 0 || errno == EINVAL))
		return 0;
	cli_errorf("%s: %s", c->output_file ? c->output_file : "standard output",
		   strerror(errno ? errno : EIO));
	return -1;
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
	/* LOGWHY_NO_FASTPATH=1 tries every rule on every event too */
	if (cli_no_fastpath())
		ruleset_ungate(rs);
	return rs;
}

int cli_parse(const struct cmd_spec *spec, int argc, char **argv, int *npos,
	      int (*on_opt)(void *ctx, int id, const char *value), void *ctx,
	      const struct common *c, int *rc)
{
	struct diag d = { 0 };

	if ((*rc = opt_parse(spec, argc, argv, npos, on_opt, ctx, &d))) {
		*rc = opt_finish(spec, *rc, &d, stdout, stderr);
		return 1;
	}
	if (c->version) {
		*rc = cli_version(c);
		return 1;
	}
	return 0;
}

int cli_version(const struct common *c)
{
	char origin[PATH_MAX + 32];

	cli_rules_origin(c, origin, sizeof origin);
	printf("logwhy %s\nrules: %s\n", LOGWHY_VERSION, origin);
	return 0;
}

int cli_parse_threads(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 1 || v > CLI_MAX_THREADS)
		return -1;
	*out = (int)v;
	return 0;
}

int cli_threads(const struct common *c)
{
	const char *env = getenv("LOGWHY_THREADS");
	cpu_set_t set;
	int n;

	if (c->threads)
		return c->threads;
	if (env && *env)
		return cli_parse_threads(env, &n) == 0 ? n : -1;
	if (sched_getaffinity(0, sizeof set, &set) == 0 && (n = CPU_COUNT(&set)) > 0)
		return n > CLI_MAX_THREADS ? CLI_MAX_THREADS : n;
	return 1;
}

struct pathvec {
	char **v;
	int n, cap;
};

static int pathvec_add(struct pathvec *pv, char *p)
{
	if (!p)
		return -1;
	if (pv->n + 1 >= pv->cap) {
		int cap = pv->cap ? pv->cap * 2 : 16;
		char **v = realloc(pv->v, (size_t)cap * sizeof *v);

		if (!v) {
			free(p);
			return -1;
		}
		pv->v = v;
		pv->cap = cap;
	}
	pv->v[pv->n++] = p;
	pv->v[pv->n] = NULL;
	return 0;
}

void cli_inputs_free(char **v)
{
	char **p;

	for (p = v; p && *p; p++)
		free(*p);
	free(v);
}

/* Byte order, not the locale's: the same tree reads in the same order
 * everywhere. */
static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_hidden(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* NULL when the file looks like a log (text, or gzip), else why not. */
static const char *not_a_log(const char *path, const struct stat *st)
{
	unsigned char head[4096];
	ssize_t k;
	int fd;

	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (out_known && st->st_dev == out_dev && st->st_ino == out_ino)
		return "the --output-file being written";
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;   /* reading it reports why */
	k = read(fd, head, sizeof head);
	close(fd);
	if (k >= 2 && head[0] == 0x1f && head[1] == 0x8b)
		return NULL;
	if (k > 0 && memchr(head, 0, (size_t)k))
		return "binary data";
	return NULL;
}

static int walk(struct common *c, const char *dir, struct pathvec *pv, int depth, int *bad)
{
	struct dirent **ents = NULL;
	int n, i, rc = 0;

	n = scandir(dir, &ents, skip_hidden, name_cmp);
	if (n < 0) {
		cli_errorf("cannot read directory '%s': %s", dir, strerror(errno));
		(*bad)++;
		return 0;
	}
	for (i = 0; i < n; i++) {
		size_t len = strlen(dir);
		char *p = malloc(len + strlen(ents[i]->d_name) + 2);
		struct stat st;
		const char *why;

		if (!p) {
			rc = -1;
			break;
		}
		sprintf(p, "%s%s%s", dir, len && dir[len - 1] == '/' ? "" : "/", ents[i]->d_name);
		/* symbolic links to directories are not followed: no loops */
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (depth >= 64) {
				cli_errorf("'%s': deeper than 64 directories, skipped", p);
				(*bad)++;
			} else if (walk(c, p, pv, depth + 1, bad) < 0) {
				free(p);
				rc = -1;
				break;
			}
			free(p);
			continue;
		}
		if (stat(p, &st) < 0) {
			cli_errorf("cannot open '%s': %s", p, strerror(errno));
			(*bad)++;
			free(p);
			continue;
		}
		if ((why = not_a_log(p, &st))) {
			if (!c->quiet) {
				fputs("logwhy: ", stderr);
				print_escaped(stderr, p);
				fprintf(stderr, ": note: skipped, not a log (%s)\n", why);
			}
			free(p);
			continue;
		}
		if (pathvec_add(pv, p) < 0) {
			rc = -1;
			break;
		}
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return rc;
}

int cli_inputs_expand(struct common *c, char **in, int n, char ***out, int *nout, int *bad)
{
	struct pathvec pv = { NULL, 0, 0 };
	int i;

	/* an empty list still needs its terminator */
	pv.v = calloc(1, sizeof *pv.v);
	pv.cap = 1;
	if (!pv.v)
		goto oom;
	if (n == 0 && pathvec_add(&pv, strdup("-")) < 0)
		goto oom;
	for (i = 0; i < n; i++) {
		if (strcmp(in[i], "-") && is_dir(in[i])) {
			if (walk(c, in[i], &pv, 0, bad) < 0)
				goto oom;
			continue;
		}
		if (pathvec_add(&pv, strdup(in[i])) < 0)
			goto oom;
	}
	*out = pv.v;
	*nout = pv.n;
	return 0;
oom:
	cli_errorf("out of memory");
	cli_inputs_free(pv.v);
	return -1;
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
static int no_rule(const void *ctx, const char *raw, size_t len, const char *msg, size_t nmsg)
{
	(void)ctx;
	(void)raw;
	(void)len;
	(void)msg;
	(void)nmsg;
	return 0;
}

/*
 * A duration in --since/--until counts back from the latest record of all
 * inputs, so that time is found first: one pass that only looks at times.
 * Standard input is read once into a temporary file (in $TMPDIR) that
 * becomes standard input for both passes. While following, the end of the
 * input is never reached: the duration counts back from now.
 */
static int resolve_bounds(char **inputs, int n, struct common *c)
{
	struct evstream_opts eo = { .format = c->format, .max_record = c->max_record };
	int64_t latest = INT64_MIN;
	int i;

	if (!(c->since.set && c->since.rel) && !(c->until.set && c->until.rel))
		return 0;
	if (c->follow) {
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		latest = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
	}
	for (i = 0; i < n && !c->follow; i++) {
		struct diag d = { 0 };
		struct evstream *s;
		struct event *ev;

		if (!strcmp(inputs[i], "-")) {
			FILE *t = tmp_file();
			char chunk[65536];
			ssize_t k;

			if (!t) {
				cli_errorf("cannot keep standard input in %s: %s", tmp_dir(), strerror(errno));
				return -1;
			}
			while ((k = read(STDIN_FILENO, chunk, sizeof chunk)) > 0 || (k < 0 && errno == EINTR))
				if (k > 0 && fwrite(chunk, 1, (size_t)k, t) != (size_t)k)
					break;
			if (k != 0 || fflush(t) != 0 || dup2(fileno(t), STDIN_FILENO) < 0) {
				cli_errorf("cannot keep standard input in %s: %s", tmp_dir(), strerror(errno));
				fclose(t);
				return -1;
			}
			fclose(t);
			lseek(STDIN_FILENO, 0, SEEK_SET);
		}
		if (!(s = evstream_open(inputs[i], &eo, &d)))
			continue;   /* the real pass reports it */
		while (evstream_next(s, &ev, &d) == 1)
			if (ev->has_ts && ev->ts_us > latest)
				latest = ev->ts_us;
		evstream_close(s);
		if (!strcmp(inputs[i], "-"))
			lseek(STDIN_FILENO, 0, SEEK_SET);
	}
	if (latest == INT64_MIN)
		latest = 0;   /* no time anywhere: nothing is before or after */
	if (c->since.set && c->since.rel) {
		c->since.us = latest - c->since.us;
		c->since.rel = 0;
	}
	if (c->until.set && c->until.rel) {
		c->until.us = latest - c->until.us;
		c->until.rel = 0;
	}
	return 0;
}

/* An event without a time goes with the timed one before it in its input
 * (a continuation line, a block), kept when there is none. */
static int in_window(const struct common *c, const struct event *ev, int *last)
{
	if (!c->since.set && !c->until.set)
		return 1;
	if (ev->has_ts)
		*last = !(c->since.set && ev->ts_us < c->since.us) &&
			!(c->until.set && ev->ts_us > c->until.us);
	return *last;
}

int cli_read_inputs(char **inputs, int n, struct common *c, const struct warn_sink *w,
		    const struct ruleset *rs, int progress,
		    int (*fn)(void *ctx, struct event *ev, int input), void *ctx)
{
	struct evstream_opts eo = { .format = c->format, .max_record = c->max_record,
				    .warn = w, .follow = c->follow, .idle = c->idle,
				    .idle_ctx = c->idle_ctx };
	struct prefilter *pf = NULL;
	struct progress pr;
	int i, bad = 0;

	if (resolve_bounds(inputs, n, c) < 0)
		return -1;
	/* LOGWHY_NO_FASTPATH=1 parses every record and reads in one thread
	 * (the equal-output test) */
	eo.readahead = !cli_no_fastpath();
	eo.byte_scan = !eo.readahead;
	eo.threads = eo.readahead ? cli_threads(c) : 1;
	if (eo.threads < 0) {
		cli_errorf("invalid LOGWHY_THREADS '%s' (a number from 1 to %d)", getenv("LOGWHY_THREADS"),
			   CLI_MAX_THREADS);
		return -1;
	}
	eo.parse_from = c->parse_severe ? SEV_WARNING : SEV_DEFAULT;
	if (c->skim_messages && eo.readahead && !rs) {
		eo.may_match = no_rule;
		eo.skim_msg = 1;
	}
	if (rs && eo.readahead && (pf = prefilter_build(rs, NULL))) {
		eo.may_match = prefilter_may_match_msg;
		eo.may_match_ctx = pf;
	}

	progress_init(&pr, c->quiet || !progress);
	active_progress = &pr;
	for (i = 0; i < n; i++) {
		struct diag d = { 0 };
		struct evstream *s = evstream_open(inputs[i], &eo, &d);
		struct event *ev;
		int rc, keep = 1;

		if (!s) {
			cli_progress_pause();
			cli_error(&d);
			bad = 1;
			continue;
		}
		while ((rc = evstream_next(s, &ev, &d)) == 1) {
			progress_tick(&pr, s, inputs[i]);
			if (!in_window(c, ev, &keep))
				continue;
			if (fn(ctx, ev, i) < 0) {
				rc = -2;
				break;
			}
		}
		cli_progress_pause();
		if (rc == -1)
			cli_error(&d);
		else if (rc == -2 && errno != ENOMEM)
			cli_errorf("%s: writing %s or a temporary file in %s: %s", inputs[i],
				   c->output_file ? c->output_file : "standard output", tmp_dir(),
				   strerror(errno));
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
