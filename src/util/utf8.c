#include "util/utf8.h"

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
