#ifndef LOGWHY_MULTILINE_H
#define LOGWHY_MULTILINE_H

#include <stddef.h>

/*
 * Python's multi-line blocks: a "Traceback (most recent call last):"
 * block (with chained exceptions) and the stdlib's "--- Logging error ---"
 * block (traceback, "Call stack:", "Message:", "Arguments:"). Lines are
 * fed in order; each is classified relative to what came before. Used on
 * raw text lines by the text framer and on per-line LogEntries by the
 * event joiner.
 */
enum ml_class {
	ML_NONE = 0,   /* not part of a block; an open block ended before it */
	ML_START,      /* opens a new block record */
	ML_CONT,       /* continues the open block */
};

struct multiline {
	int state;
	int logerr;    /* the open block is a "--- Logging error ---" block */
};

void multiline_init(struct multiline *m);
enum ml_class multiline_feed(struct multiline *m, const char *line, size_t len);
/* 1 when the open block is complete (nothing more can continue it). */
int multiline_done(const struct multiline *m);
/* 1 in the state multiline_init leaves it in: no block, nothing carried. */
int multiline_idle(const struct multiline *m);
/* 1 when the open block cannot be complete yet: a line that must follow
 * (a frame's source, the exception, "Message:", "Arguments:") has not. */
int multiline_open(const struct multiline *m);
/* 1 when the line opens a block (a header): read newest first, a block
 * is complete once its header has come. */
int multiline_header(const char *line, size_t len);
/* 1 when the line can only be inside a block: a frame (indented),
 * "Call stack:", "Message: ", "Arguments: ". */
int multiline_body(const char *line, size_t len);
/* 1 when the line could belong to some block in some position: used to
 * collect runs of per-line entries that arrive newest first. */
int multiline_candidate(const char *line, size_t len);

#endif
