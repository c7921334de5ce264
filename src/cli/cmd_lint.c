#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "emit/emit.h"
#include "rules/prefilter.h"
#include "sanitize/sanitize.h"

enum { OPT_OUTPUT = 100, OPT_FAIL_ON, OPT_SEVERITY };

#define LINT_MAX_SEVERITY 64   /* --severity options */

static const struct opt lint_opts[] = {
	{ "output", 'o', "FORMAT", "text|json|sarif|junit|github",
	  "findings as text (file:line: severity: rule-id: message), json (one object per line), sarif, junit or github", OPT_OUTPUT },
	{ "fail-on", 0, "LEVEL", "error|warning|info|never",
	  "exit 1 when a finding is at or above LEVEL (default error)", OPT_FAIL_ON },
	{ "severity", 0, "RULE=LEVEL", NULL,
	  "report RULE's findings at LEVEL (error, warning, info; never: not at all), e.g. security.secret-in-log=error; repeatable", OPT_SEVERITY },
	OPT_COMMON_FOLLOW,
	OPT_COMMON_THREADS,
	OPT_COMMON_READING,
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
	NULL,
};

struct lint_args {
	struct common c;
	enum emit_format format;
	enum level fail_on;
	const struct ruleset *rs;
	struct emitter *em;
	struct emit_stats st;
	struct match m;
	struct buf msg;
	struct warn_sink warn;     /* lint_warn */
	struct warn_sink print;    /* stderr */
	struct sanitizer *redactor;   /* the reports show records with their secrets redacted */
	struct event *ev;          /* the event lint_finding reports on */
	const char *severity[LINT_MAX_SEVERITY];   /* --severity RULE=LEVEL, borrowed from argv */
	int nseverity;
};

/* A warning goes to stderr and into the report (SARIF keeps them). */
static void lint_warn(void *ctx, const struct diag *d)
{
	struct lint_args *a = ctx;

	emitter_warning(a->em, d);
	a->print.fn(a->print.ctx, d);
}

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
		a->fail_on = (enum level)rule_level_parse(value);
		return 0;
	case OPT_SEVERITY: {
		const char *eq = strchr(value, '=');

		if (!eq || eq == value || rule_level_parse(eq + 1) < 0) {
			cli_errorf("--severity: expected RULE=LEVEL (error, warning, info or never), not '%s'", value);
			return 1;
		}
		if (a->nseverity == LINT_MAX_SEVERITY) {
			cli_errorf("--severity: at most %d", LINT_MAX_SEVERITY);
			return 1;
		}
		a->severity[a->nseverity++] = value;
		return 0;
	}
	}
	return 1;
}

/* --severity: the rules' levels as asked. -1 (printed) for an unknown rule. */
static int set_severity(struct lint_args *a, struct ruleset *rs)
{
	int i;

	for (i = 0; i < a->nseverity; i++) {
		const char *v = a->severity[i], *eq = strchr(v, '=');
		char id[256];

		if ((size_t)(eq - v) >= sizeof id) {
			cli_errorf("--severity: no rule '%.*s'", (int)(eq - v), v);
			return -1;
		}
		memcpy(id, v, (size_t)(eq - v));
		id[eq - v] = '\0';
		if (ruleset_set_level(rs, id, (enum level)rule_level_parse(eq + 1)) < 0) {
			cli_errorf("--severity: no rule '%s'", id);
			return -1;
		}
	}
	return 0;
}

/* The finding of one rule that matched a's event. */
static int lint_finding(void *ctx, const struct rule_desc *r, struct match *m)
{
	struct lint_args *a = ctx;
	struct event *ev = a->ev;
	struct finding f;
	struct event shown;

	if (r->level == LEVEL_NEVER)
		return 0;
	buf_reset(&a->msg);
	rule_render(r->message, ev, m, &a->msg);
	f.rule = r;
	f.ev = ev;
	if (a->redactor && ev->text) {
		const char *t;
		size_t tn;
		int red = sanitize_redact_text(a->redactor, ev->text, ev->text_len, &t, &tn);

		if (red < 0)
			return -1;
		if (red) {
			/* a shallow copy that shows the redacted text
			 * (the emitters print text, not msg) */
			shown = *ev;
			shown.text = t;
			shown.text_len = tn;
			f.ev = &shown;
		}
	}
	f.m = m;
	f.message = a->msg.p ? a->msg.p : "";
	if (emitter_finding(a->em, &f) < 0)
		return -1;
	a->st.findings++;
	a->st.by_level[r->level]++;
	if (a->c.follow && fflush(stdout) != 0)
		return -1;
	return 0;
}

/* One finding per rule that matches the event. */
static int lint_event(void *ctx, struct event *ev, int input)
{
	struct lint_args *a = ctx;

	(void)input;
	a->st.records++;
	a->ev = ev;
	return ruleset_match(a->rs, ev, &a->m, &a->warn, lint_finding, a);
}

int cmd_lint(int argc, char **argv)
{
	struct lint_args a;
	struct ruleset *rs;
	struct emit_opts eo = { 0 };
	struct sanitize_opts so;
	struct prefilter *pf = NULL;
	int npos, rc, i, bad = 0, nin;
	char **in;
	enum level worst = LEVEL_NEVER;

	memset(&a, 0, sizeof a);
	common_init(&a.c);
	a.format = EMIT_TEXT;
	a.fail_on = LEVEL_ERROR;
	a.msg.max = 64 << 10;
	if (cli_parse(&lint_spec, argc, argv, &npos, lint_option, &a, &a.c, &rc))
		return rc;
	if ((rc = cli_output_open(&a.c)))
		return rc;
	rs = cli_load_rules(&a.c);
	if (!rs)
		return 2;
	memset(&so, 0, sizeof so);
	if (set_severity(&a, rs) < 0 || cli_redact_init(&so, rs, &pf) < 0) {
		ruleset_free(rs);
		return 2;
	}
	if (!(a.redactor = sanitizer_new(&so))) {
		cli_errorf("out of memory");
		cli_redact_free(&so, pf);
		ruleset_free(rs);
		return 2;
	}
	if (cli_inputs_expand(&a.c, argv + 1, npos, &in, &nin, &bad) < 0) {
		sanitizer_free(a.redactor);
		cli_redact_free(&so, pf);
		ruleset_free(rs);
		return 2;
	}

	eo.color = common_color(&a.c, stdout);
	eo.rules = rs;
	eo.version = LOGWHY_VERSION;
	eo.inputs = (const char *const *)in;
	eo.ninputs = (size_t)nin;
	eo.fail_on_set = 1;
	eo.fail_on = a.fail_on;
	a.em = emitter_open(a.format, stdout, &eo);
	if (!a.em) {
		cli_errorf("out of memory");
		cli_inputs_free(in);
		sanitizer_free(a.redactor);
		cli_redact_free(&so, pf);
		ruleset_free(rs);
		return 2;
	}
	a.rs = rs;
	a.print = cli_warn_sink(&a.c);
	a.warn.fn = lint_warn;
	a.warn.ctx = &a;
	rule_match_init(&a.m);
	/* findings stream to stdout; a progress line only when that is not the terminal */
	if (cli_read_inputs(in, nin, &a.c, &a.warn, rs, !isatty(STDOUT_FILENO), lint_event, &a) < 0)
		bad = 1;
	a.st.incomplete = bad;
	if (emitter_close(a.em, &a.st) < 0) {
		cli_errorf("write error: %s", strerror(errno));
		bad = 1;
	}
	if (cli_output_close(&a.c) < 0)
		bad = 1;
	rule_match_clear(&a.m);
	buf_free(&a.msg);
	cli_inputs_free(in);
	sanitizer_free(a.redactor);
	cli_redact_free(&so, pf);
	ruleset_free(rs);

	for (i = LEVEL_INFO; i <= LEVEL_ERROR; i++)
		if (a.st.by_level[i])
			worst = (enum level)i;
	if (!a.c.quiet)
		fprintf(stderr, "logwhy: %ld records, %ld findings (%ld error, %ld warning, %ld info)\n",
			a.st.records, a.st.findings, a.st.by_level[LEVEL_ERROR],
			a.st.by_level[LEVEL_WARNING], a.st.by_level[LEVEL_INFO]);
	if (bad)
		return 2;
	return a.fail_on != LEVEL_NEVER && worst >= a.fail_on && worst != LEVEL_NEVER ? 1 : 0;
}
