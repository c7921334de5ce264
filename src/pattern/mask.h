#ifndef LOGWHY_PATTERN_MASK_H
#define LOGWHY_PATTERN_MASK_H

/* Private to src/pattern: the masking pass under pattern.c. */

#include <stddef.h>

#include "pattern/pattern.h"

/* One whitespace token of a line: p/n span it; a mask keeps its first pre
 * and last post bytes as literal text around the masked part. */
struct mask_tok {
	const char *p;
	size_t n;
	enum pattern_kind kind;
	size_t pre, post;
};

/* The kind of a bare word ("3b9f2c", "10.0.0.3:6379"), PATTERN_LITERAL
 * when it is not variable. */
enum pattern_kind mask_classify(const char *p, size_t n);
/* Cut s into at most max tokens and mask them; when there are more, the
 * last token becomes PATTERN_WILD. Returns the count. */
size_t mask_tokens(const char *s, size_t n, struct mask_tok *out, size_t max);

#endif
