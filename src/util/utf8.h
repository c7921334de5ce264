#ifndef LOGWHY_UTF8_H
#define LOGWHY_UTF8_H

#include <stddef.h>
#include <jansson.h>

/*
 * Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing past
 * U+10FFFF. Shared by the sanitizer, terminal output and the WebSocket
 * text-frame checks.
 */

/* Decode one code point at p: its length (1-4), or 0 when the bytes are
 * not valid UTF-8 (or the sequence is cut by n). */
size_t utf8_decode(const unsigned char *p, size_t n, unsigned *cp);

/* 1 when all n bytes are valid UTF-8. */
int utf8_valid(const unsigned char *p, size_t n);

/* Incremental validation across fragments: state starts at 0; feed bytes;
 * returns -1 as soon as a byte makes the text invalid, else 0. At the end,
 * the text is complete and valid when the state is back to 0. */
int utf8_feed(unsigned *state, const unsigned char *p, size_t n);

/*
 * A JSON string (new reference) from log-derived bytes: invalid UTF-8 is
 * replaced by U+FFFD so jansson accepts it. At most limit input bytes are
 * used, cut back to a whole code point. s may be NULL (gives JSON null).
 * NULL on allocation failure.
 */
json_t *utf8_json_stringn(const char *s, size_t n, size_t limit);
json_t *utf8_json_string(const char *s);

#endif
