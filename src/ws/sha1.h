#ifndef LOGWHY_WS_SHA1_H
#define LOGWHY_WS_SHA1_H

#include <stddef.h>
#include <stdint.h>

/*
 * SHA-1 (FIPS 180-4), only for Sec-WebSocket-Accept: RFC 6455 mandates it,
 * and a 100-line implementation is cheaper than a crypto library dependency.
 * Not for anything security-sensitive.
 */
#define WS_SHA1_LEN 20

struct ws_sha1 {
	uint32_t h[5];
	uint64_t total;            /* bytes fed so far */
	unsigned char block[64];
	size_t fill;               /* bytes pending in block */
};

void ws_sha1_init(struct ws_sha1 *s);
void ws_sha1_update(struct ws_sha1 *s, const void *data, size_t n);
void ws_sha1_final(struct ws_sha1 *s, unsigned char out[WS_SHA1_LEN]);
/* One-shot convenience. */
void ws_sha1(const void *data, size_t n, unsigned char out[WS_SHA1_LEN]);

#endif
