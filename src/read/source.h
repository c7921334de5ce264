#ifndef LOGWHY_SOURCE_H
#define LOGWHY_SOURCE_H

#include <stddef.h>

#include "util/diag.h"

/*
 * A byte stream: a file, stdin ("-"), or memory; gzip is recognised by its
 * magic bytes and inflated transparently (several members in a row are one
 * stream). A source owns its descriptor and buffers; source_close frees it.
 */
struct source;

/* path "-" is stdin (named "<stdin>"). NULL with d set on failure
 * (d->msg ends with ": strerror"). A directory is refused here. */
struct source *source_open(const char *path, const struct warn_sink *w,
			   struct diag *d);
/* Read from memory (not copied: data must outlive the source). */
struct source *source_open_mem(const char *name, const char *data, size_t len,
			       const struct warn_sink *w);

/* The bytes of a regular file of size bytes from offset off on, read
 * with pread(2) on fd (borrowed: not closed), as they are (the caller
 * knows they are not gzip): one input read in parts by several threads.
 * Reads stop short at offset soft until they reach it (a part's own
 * bytes are read, not the next part's, unless its reader goes on).
 * NULL when out of memory. */
struct source *source_open_part(const char *name, int fd, long long off, long long soft,
				long long size);

/* Read up to n bytes: >0 bytes read, 0 at end of input, -1 on a read error
 * (d set). A truncated or corrupt gzip stream is reported once through the
 * warn sink (with the file name), and the bytes inflated before it are
 * returned normally, then 0. */
long source_read(struct source *s, char *buf, size_t n, struct diag *d);

/* Follow: at the end of a regular file, wait for more instead of ending
 * (tail -F: by name, so when the path is renamed away and made again, as
 * log rotation does, the new file is read from its start, and a file
 * truncated in place is read again from its start; a warning says so). No
 * effect on pipes, whose end is final. */
void source_follow(struct source *s, int on);

/* 1 when a read would not wait (bytes buffered or arriving within ms, the
 * end of a pipe, a followed file that grew or was rotated), 0 when ms
 * passed with nothing new: the input has paused. */
int source_ready(struct source *s, int ms);

/* Read-ahead: inflate gzip in a second thread (a ring of four 256 KiB
 * blocks) while the caller works on what came before. Same bytes, errors
 * and warnings, in the same order, as without it. Not while following;
 * set before the first read. */
void source_readahead(struct source *s, int on);

const char *source_name(const struct source *s);
long long source_size(const struct source *s);      /* -1 unless a regular file */
long long source_consumed(const struct source *s);  /* raw (compressed) bytes read */
int source_is_gzip(const struct source *s);
void source_close(struct source *s);                 /* NULL-safe */

#endif
