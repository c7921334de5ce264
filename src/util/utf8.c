#include "util/utf8.h"

#include <string.h>

#include "util/buf.h"

size_t utf8_decode(const unsigned char *p, size_t n, unsigned *cp)
{
	unsigned c, min;
	size_t k, i;

	if (n == 0)
		return 0;
	c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		k = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		k = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < k)
		return 0;
	for (i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return k;
}

int utf8_valid(const unsigned char *p, size_t n)
{
	unsigned st = 0;

	return utf8_feed(&st, p, n) == 0 && st == 0;
}

/*
 * state packs what the pending sequence still needs: bits 0-2 the bytes
 * left, bits 8-15 the allowed range of the next byte (lo/hi nibble index),
 * enough to reject overlongs and surrogates at the second byte.
 */
int utf8_feed(unsigned *state, const unsigned char *p, size_t n)
{
	unsigned left = *state & 7u;
	unsigned lo = (*state >> 8) & 0xffu, hi = (*state >> 16) & 0xffu;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned c = p[i];

		if (left) {
			if (c < lo || c > hi)
				return -1;
			left--;
			lo = 0x80;
			hi = 0xbf;
			continue;
		}
		if (c < 0x80)
			continue;
		lo = 0x80;
		hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf) {
			left = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			left = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			left = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else {
			return -1;
		}
	}
	*state = left | (lo << 8) | (hi << 16);
	if (!left)
		*state = 0;
	return 0;
}

json_t *utf8_json_stringn(const char *s, size_t n, size_t limit)
{
	const unsigned char *p = (const unsigned char *)s;
	struct buf b = BUF_INIT(0);
	size_t i = 0, run = 0;
	json_t *v;

	if (!s)
		return json_null();
	if (limit > n)
		limit = n;
	if (utf8_valid(p, limit)) {
		/* The common case: no copy. A sequence cut by the limit is
		 * invalid within limit, so it never takes this path. */
		return json_stringn(s, limit);
	}
	while (i < limit) {
		unsigned cp;
		size_t k = utf8_decode(p + i, n - i, &cp);

		if (k && i + k > limit)
			break;   /* a whole code point the limit cuts: drop it */
		if (k) {
			i += k;
			run += k;
			continue;
		}
		if (buf_add(&b, s + i - run, run) < 0 ||
		    buf_add(&b, "\xef\xbf\xbd", 3) < 0)
			goto fail;
		run = 0;
		i++;
	}
	if (buf_add(&b, s + i - run, run) < 0)
		goto fail;
	v = json_stringn(b.p ? b.p : "", b.len);
	buf_free(&b);
	return v;
fail:
	buf_free(&b);
	return NULL;
}

json_t *utf8_json_string(const char *s)
{
	return utf8_json_stringn(s, s ? strlen(s) : 0, (size_t)-1);
}
