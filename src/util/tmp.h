#ifndef LOGWHY_TMP_H
#define LOGWHY_TMP_H

#include <stdio.h>

/*
 * Temporary files where the user says: $TMPDIR when set and not empty,
 * else /tmp (tmpfile(3) ignores TMPDIR, and a small /tmp fills on a big
 * input). The file is unlinked at once, so nothing is left behind.
 */

/* The directory temporary files go to (static storage). */
const char *tmp_dir(void);

/* A new temporary file opened "w+b", already unlinked; NULL with errno set.
 * The caller fcloses it. */
FILE *tmp_file(void);

/* 1 when errno (as a failed write left it) means the disk or a quota is
 * full: such errors name tmp_dir() when they come from a temporary file. */
int tmp_full(int err);

#endif
