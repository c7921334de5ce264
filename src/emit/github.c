#include <string.h>

#include "emit/emit_impl.h"
#include "util/term.h"

/*
 * GitHub Actions workflow commands. The runner only defines %, CR and LF
 * escapes (plus ':' and ',' inside properties); a raw newline would let a
 * log line start a command of its own. Other controls and invalid UTF-8 go
 * through term_escape so an ESC from the logs cannot reach the log viewer.
 */
static int gh_escape(struct buf *b, const char *s, int property)
{
	size_t i, start = 0, n = strlen(s);

	for (i = 0; i < n; i++) {
		const char *rep;

		switch (s[i]) {
		case '%':
			rep = "%25";
			break;
		case '\r':
			rep = "%0D";
			break;
		case '\n':
			rep = "%0A";
			break;
		case ':':
			rep = property ? "%3A" : NULL;
			break;
		case ',':
			rep = property ? "%2C" : NULL;
			break;
		default:
			rep = NULL;
		}
		if (!rep)
			continue;
		if (term_escape(b, s + start, i - start) < 0 || buf_adds(b, rep) < 0)
			return -1;
		start = i + 1;
	}
	return term_escape(b, s + start, n - start);
}

static const char *gh_command(int level)
{
	switch (level) {
	case LEVEL_ERROR:
		return "error";
	case LEVEL_WARNING:
		return "warning";
	default:
		return "notice";
	}
}

/*
 * GitHub shows at most 10 error, 10 warning and 10 notice annotations per
 * step (docs/problem-matchers.md in actions/toolkit; the rest are dropped
 * without a word). Past them a finding is a plain log line, and at the
 * end one notice counts what was not annotated: one notice slot is kept
 * for it.
 */
#define GH_PER_KIND 10

static int gh_budget(int level)
{
	return level == LEVEL_ERROR || level == LEVEL_WARNING ? GH_PER_KIND : GH_PER_KIND - 1;
}

static int gh_plain(struct emitter *e, const struct finding *f)
{
	struct buf *b = &e->b;

	if (buf_adds(b, "logwhy: ") < 0 || term_escape(b, emit_source(f), strlen(emit_source(f))) < 0 ||
	    buf_addf(b, ":%ld: %s: ", f->ev->line, rule_level_name(f->rule->level)) < 0 ||
	    term_escape(b, f->rule->id ? f->rule->id : "", f->rule->id ? strlen(f->rule->id) : 0) < 0 ||
	    buf_adds(b, ": ") < 0 || gh_escape(b, emit_message(f), 0) < 0 || buf_addc(b, '\n') < 0)
		return -1;
	return fwrite(b->p, 1, b->len, e->out) == b->len ? 0 : -1;
}

static int github_finding(struct emitter *e, const struct finding *f)
{
	struct buf *b = &e->b;
	int lv = f->rule->level >= LEVEL_INFO && f->rule->level <= LEVEL_ERROR ? f->rule->level : LEVEL_INFO;
	const char *id = f->rule->id ? f->rule->id : "";
	int has_file = f->ev->source && f->ev->source[0] &&
		       strcmp(f->ev->source, "<stdin>") != 0 &&
		       strcmp(f->ev->source, "-") != 0;

	if (e->shown[lv] >= gh_budget(lv)) {
		e->hidden[lv]++;
		return gh_plain(e, f);
	}
	e->shown[lv]++;
	if (buf_addf(b, "::%s ", gh_command(f->rule->level)) < 0)
		return -1;
	/* An annotation on a file that is not in the repository (stdin) is
	 * dropped by GitHub; without file= it still shows on the run. */
	if (has_file) {
		if (buf_adds(b, "file=") < 0 || gh_escape(b, f->ev->source, 1) < 0)
			return -1;
		if (f->ev->line > 0 && buf_addf(b, ",line=%ld", f->ev->line) < 0)
			return -1;
		if (buf_addc(b, ',') < 0)
			return -1;
	}
	if (buf_adds(b, "title=") < 0 || gh_escape(b, id, 1) < 0 ||
	    buf_add(b, "::", 2) < 0 || gh_escape(b, emit_message(f), 0) < 0 ||
	    buf_addc(b, '\n') < 0)
		return -1;
	return fwrite(b->p, 1, b->len, e->out) == b->len ? 0 : -1;
}

static int github_close(struct emitter *e, const struct emit_stats *s)
{
	long n = e->hidden[LEVEL_ERROR] + e->hidden[LEVEL_WARNING] + e->hidden[LEVEL_INFO];

	(void)s;
	if (!n)
		return 0;
	return fprintf(e->out,
		       "::notice title=logwhy::%ld more finding%s not annotated (%ld error, %ld warning,"
		       " %ld info): GitHub shows %d annotations of each kind per step; all are in"
		       " this step's log\n",
		       n, n == 1 ? "" : "s", e->hidden[LEVEL_ERROR], e->hidden[LEVEL_WARNING],
		       e->hidden[LEVEL_INFO], GH_PER_KIND) < 0 ? -1 : 0;
}

const struct emitter_ops emit_github_ops = { NULL, github_finding, github_close, NULL };
