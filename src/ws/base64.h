#ifndef LOGWHY_WS_BASE64_H
#define LOGWHY_WS_BASE64_H

#include <stddef.h>

/* Standard base64 (RFC 4648 §4, with '=' padding), as the WebSocket key and
 * accept headers use it. */

/* Encoded length of n bytes, without the NUL. */
#define WS_BASE64_LEN(n) ((((n) + 2) / 3) * 4)

/* Encode n bytes into out (room for WS_BASE64_LEN(n) + 1); NUL-terminates.
 * Returns the encoded length. */
size_t ws_base64_encode(const unsigned char *in, size_t n, char *out);

/* Decode exactly one canonical padded encoding of len chars into out (room
 * for len / 4 * 3 bytes). Returns the decoded length, or -1 when the text
 * is not canonical base64 (bad char, bad padding, non-zero pad bits). */
long ws_base64_decode(const char *in, size_t len, unsigned char *out);

#endif
