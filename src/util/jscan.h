#ifndef LOGWHY_JSCAN_H
#define LOGWHY_JSCAN_H

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/*
 * Runs of plain bytes inside a JSON string. The scanners that read JSON
 * text without building it (read/frame.c, event/skim.c,
 * sanitize/jsonfix.c) spend most of their time in string contents, so the
 * run is found 16 bytes at a time (SSE2, every x86-64), then 8 (one 64-bit
 * word), then one by one.
 *
 * jscan_plain: the first byte in [p, e) that is a quote, a backslash or a
 * control byte (below 0x20); with JSCAN_ASCII also DEL or a byte past
 * ASCII (0x7f and above). e when there is none.
 */
#define JSCAN_ASCII 1

#define JSCAN_ONES 0x0101010101010101ULL
#define JSCAN_HIGH 0x8080808080808080ULL
/* bit 7 of each byte of x equal to c; a lane above one that is set may be
 * set wrongly (a borrow runs upwards), so only the lowest is exact */
#define JSCAN_EQ(x, c) ((((x) ^ (JSCAN_ONES * (c))) - JSCAN_ONES) & ~((x) ^ (JSCAN_ONES * (c))))

static inline const char *jscan_plain(const char *p, const char *e, int flags)
{
#if defined(__SSE2__)
	const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
	const __m128i del = _mm_set1_epi8(0x7f), sp = _mm_set1_epi8(0x20);
	const __m128i flip = _mm_set1_epi8((char)0x80), lim = _mm_set1_epi8((char)(0x20 ^ 0x80));

	while (e - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i m = _mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, bs));
		unsigned bits;

		if (flags & JSCAN_ASCII)   /* signed: bytes past ASCII are below 0x20 too */
			m = _mm_or_si128(m, _mm_or_si128(_mm_cmplt_epi8(x, sp), _mm_cmpeq_epi8(x, del)));
		else
			m = _mm_or_si128(m, _mm_cmplt_epi8(_mm_xor_si128(x, flip), lim));
		if ((bits = (unsigned)_mm_movemask_epi8(m)) != 0)
			return p + __builtin_ctz(bits);
		p += 16;
	}
#endif
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	while (e - p >= 8) {
		uint64_t x, m;

		memcpy(&x, p, 8);
		m = JSCAN_EQ(x, '"') | JSCAN_EQ(x, '\\') | ((x - JSCAN_ONES * 0x20) & ~x);
		if (flags & JSCAN_ASCII)
			m |= x | JSCAN_EQ(x, 0x7f);
		if ((m &= JSCAN_HIGH) != 0)
			return p + (__builtin_ctzll(m) >> 3);
		p += 8;
	}
#endif
	for (; p < e; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"' || c == '\\' || c < 0x20 || ((flags & JSCAN_ASCII) && c >= 0x7f))
			return p;
	}
	return e;
}

/* The first byte in [p, e) that is one of a, b, c, d; e when none. One
 * pass instead of four memchr calls, which cost more than the scan for
 * the short strings most values are. */
static inline const char *jscan_any4(const char *p, const char *e, char a, char b, char c, char d)
{
#if defined(__SSE2__)
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
	const __m128i vc = _mm_set1_epi8(c), vd = _mm_set1_epi8(d);

	while (e - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)),
					 _mm_or_si128(_mm_cmpeq_epi8(x, vc), _mm_cmpeq_epi8(x, vd)));
		unsigned bits = (unsigned)_mm_movemask_epi8(m);

		if (bits)
			return p + __builtin_ctz(bits);
		p += 16;
	}
#endif
	for (; p < e; p++)
		if (*p == a || *p == b || *p == c || *p == d)
			return p;
	return e;
}

#endif
