#ifndef LOGWHY_BUF_H
#define LOGWHY_BUF_H

#include <stddef.h>

/*
 * A growable byte buffer with a hard maximum. Contents are always
 * NUL-terminated (the NUL is not counted in len). The buffer owns p;
 * buf_free releases it and leaves an empty buffer that can be reused.
 */
struct buf {
	char *p;
	size_t len;
	size_t cap;
	size_t max;   /* hard limit on len; 0 means BUF_DEFAULT_MAX */
};

#define BUF_DEFAULT_MAX ((size_t)64 << 20)
#define BUF_INIT(maxlen) { NULL, 0, 0, (maxlen) }

/* Make room for len+extra bytes. Returns 0, or -1 when that would pass max
 * (or on allocation failure); the buffer is unchanged on failure. */
int buf_reserve(struct buf *b, size_t extra);
/* Append n bytes; -1 (nothing appended) when over max. */
int buf_add(struct buf *b, const void *data, size_t n);
int buf_addc(struct buf *b, char c);
int buf_adds(struct buf *b, const char *s);
int buf_addf(struct buf *b, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
/* Append as much of data as fits under max; returns bytes appended. */
size_t buf_add_upto(struct buf *b, const void *data, size_t n);
void buf_reset(struct buf *b);          /* len = 0, keeps memory */
void buf_free(struct buf *b);           /* releases memory; NULL-safe */
/* Hand the memory to the caller (malloc'd, NUL-terminated); buffer is reset. */
char *buf_detach(struct buf *b, size_t *len);

#endif
