#include <string.h>

#include "emit/emit_impl.h"
#include "util/term.h"

#define SGR_RESET "\033[0m"
#define SGR_DIM "\033[2m"

static const char *level_sgr(int level)
{
	switch (level) {
	case LEVEL_ERROR:
		return "\033[1;31m";
	case LEVEL_WARNING:
		return "\033[33m";
	default:
		return "\033[36m";
	}
}

/* Everything but our own fixed strings goes through term_escape: file
 * names and rule ids are not log text, but they are not ours either. */
static int text_finding(struct emitter *e, const struct finding *f)
{
	struct buf *b = &e->b;
	const char *src = emit_source(f), *msg = emit_message(f);
	const char *id = f->rule->id ? f->rule->id : "";
	int color = e->opts.color;

	if (term_escape(b, src, strlen(src)) < 0 ||
	    buf_addf(b, ":%ld: ", f->ev->line) < 0 ||
	    (color && buf_adds(b, level_sgr(f->rule->level)) < 0) ||
	    buf_adds(b, rule_level_name(f->rule->level)) < 0 ||
	    (color && buf_adds(b, SGR_RESET) < 0) ||
	    buf_add(b, ": ", 2) < 0 ||
	    (color && buf_adds(b, SGR_DIM) < 0) ||
	    term_escape(b, id, strlen(id)) < 0 ||
	    (color && buf_adds(b, SGR_RESET) < 0) ||
	    buf_add(b, ": ", 2) < 0 ||
	    term_escape(b, msg, strlen(msg)) < 0 ||
	    buf_addc(b, '\n') < 0)
		return -1;
	return fwrite(b->p, 1, b->len, e->out) == b->len ? 0 : -1;
}

const struct emitter_ops emit_text_ops = { NULL, text_finding, NULL, NULL };
