#ifndef LOGWHY_TERM_H
#define LOGWHY_TERM_H

#include <stddef.h>
#include <stdio.h>

#include "util/buf.h"

/*
 * Text from logs on its way to a human: C0/C1 controls, DEL and invalid
 * UTF-8 are shown escaped ("\x1b", "\n", "\u009b"), never written raw.
 * Valid UTF-8 text passes unchanged.
 */
void term_put(FILE *out, const char *s, size_t n);
int term_escape(struct buf *out, const char *s, size_t n);

#endif
