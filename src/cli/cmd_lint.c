#include <errno.h>
#include <string.h>

#include "cli/cli.h"
#include "emit/emit.h"
#include "event/stream.h"

enum { OPT_OUTPUT = 100, OPT_FAIL_ON };

static const struct opt lint_opts[] = {
	{ "output", 'o', "FORMAT", "text|json|sarif|junit|github",
	  "findings as text (file:line: severity: rule-id: message), json (one object per line), sarif, junit or github", OPT_OUTPUT },
	{ "fail-on", 0, "LEVEL", "error|warning|info|never",
	  "exit 1 when a finding is at or above LEVEL (default error)", OPT_FAIL_ON },
	OPT_COMMON_RULES,
	OPT_COMMON_INPUT,
	OPT_COMMON_COLOR,
	OPT_COMMON_MAX_RECORD,
	OPT_COMMON_QUIET,
	OPT_COMMON_VERSION,
	{ NULL, 0, NULL, NULL, NULL, 0 },
};

static const struct cmd_spec lint_spec = {
	"lint", "[OPTIONS] [FILE...]",
	"Report every record a rule matches: one finding per rule and record.\n"
	"FILE may be gzip-compressed; no FILE or '-' reads standard input.",
	"Exit status: 0 no finding at or above --fail-on, 1 some, 2 usage, input or\n"
	"rule error. Warnings (a cut JSON array, a truncated gzip stream, a line\n"
	"kept as text) go to stderr with their location; every record is still read.\n",
	lint_opts,
};

struct lint_args {
	struct common c;
	enum emit_format format;
	enum level fail_on;
	int version;
};

static int lint_option(void *ctx, int id, const char *value)
{
	struct lint_args *a = ctx;
	int r = common_option(&a->c, id, value);

	if (r)
		return r < 0;
	switch (id) {
	case OPT_OUTPUT:
		a->format = (enum emit_format)emit_format_parse(value);
		return 0;
	case OPT_FAIL_ON:
		a->fail_on = (enum level)level_parse(value);
		return 0;
	case OPT_VERSION:
		a->version = 1;
		return 0;
	}
	return 1;
}

/* Lint one input; returns -1 when it could not be read (error printed). */
static int lint_input(const char *path, struct lint_args *a, const struct ruleset *rs,
		      struct emitter *em, struct emit_stats *st, struct match *m)
{
	struct warn_sink warn = cli_warn_sink(&a->c);
	struct evstream_opts eo = { a->c.format, a->c.max_record, &warn, 0 };
	struct diag d = { 0 };
	struct buf msg = BUF_INIT(64 << 10);
	struct evstream *s = evstream_open(path, &eo, &d);
	struct event *ev;
	int rc;

	if (!s) {
		cli_error(&d);
		return -1;
	}
	while ((rc = evstream_next(s, &ev, &d)) == 1) {
		size_t i;

		st->records++;
		for (i = 0; i < rs->n; i++) {
			const struct rule *r = rs->rules[i];
			struct finding f;

			if (!rule_match(r, ev, m, &warn))
				continue;
			buf_reset(&msg);
			rule_render(r->message, ev, m, &msg);
			f.rule = r;
			f.ev = ev;
			f.m = m;
			f.message = msg.p ? msg.p : "";
			if (emitter_finding(em, &f) < 0) {
				rc = -2;
				break;
			}
			st->findings++;
			st->by_level[r->level]++;
		}
		if (rc == -2)
			break;
	}
	if (rc == -1)
		cli_error(&d);
	else if (rc == -2)
		cli_errorf("write error: %s", strerror(errno));
	evstream_close(s);
	buf_free(&msg);
	return rc < 0 ? -1 : 0;
}

int cmd_lint(int argc, char **argv)
{
	static char *stdin_only[] = { "-" };
	struct lint_args a;
	struct ruleset *rs;
	struct emitter *em;
	struct emit_opts eo = { 0 };
	struct emit_stats st = { 0 };
	struct match m;
	char **inputs;
	int npos, rc, i, bad = 0;
	enum level worst = LEVEL_NEVER;

	memset(&a, 0, sizeof a);
	common_init(&a.c);
	a.format = EMIT_TEXT;
	a.fail_on = LEVEL_ERROR;
	rc = opt_parse(&lint_spec, argc, argv, &npos, lint_option, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (a.version)
		return cli_version(&a.c);
	rs = cli_load_rules(&a.c);
	if (!rs)
		return 2;

	inputs = npos ? argv + 1 : stdin_only;
	if (!npos)
		npos = 1;
	eo.color = common_color(&a.c, stdout);
	eo.rules = rs;
	eo.version = LOGWHY_VERSION;
	eo.inputs = (const char *const *)inputs;
	eo.ninputs = (size_t)npos;
	em = emitter_open(a.format, stdout, &eo);
	if (!em) {
		cli_errorf("out of memory");
		ruleset_free(rs);
		return 2;
	}
	match_init(&m);
	for (i = 0; i < npos; i++)
		if (lint_input(inputs[i], &a, rs, em, &st, &m) < 0)
			bad = 1;
	if (emitter_close(em, &st) < 0) {
		cli_errorf("write error: %s", strerror(errno));
		bad = 1;
	}
	match_clear(&m);
	ruleset_free(rs);

	for (i = LEVEL_INFO; i <= LEVEL_ERROR; i++)
		if (st.by_level[i])
			worst = (enum level)i;
	if (!a.c.quiet)
		fprintf(stderr, "logwhy: %ld records, %ld findings (%ld error, %ld warning, %ld info)\n",
			st.records, st.findings, st.by_level[LEVEL_ERROR],
			st.by_level[LEVEL_WARNING], st.by_level[LEVEL_INFO]);
	if (bad)
		return 2;
	return a.fail_on != LEVEL_NEVER && worst >= a.fail_on && worst != LEVEL_NEVER ? 1 : 0;
}
