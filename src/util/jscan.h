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

/*
 * The end of the JSON object or array whose opening byte is at p, when it
 * closes within [p, e) and no line break (CR or LF) comes before its end:
 * one past its closing byte. NULL otherwise, and where a backslash stands
 * outside a string: the caller then scans it byte by byte (the framer's
 * scan_value, whose count this is: '{' and '[' open, '}' and ']' close,
 * outside strings). Most of a JSON-lines input is such values; they are
 * read 64 bytes at a time, as masks: which bytes are quotes, backslashes,
 * brackets and line breaks; which quotes a backslash escapes (an odd run
 * of backslashes before them); and which bytes lie inside strings (the
 * running parity of the unescaped quotes). Only the brackets outside
 * strings are then looked at one by one.
 */
#if defined(__SSE2__) && defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define JSCAN_VALUE_END 1

static inline uint64_t jscan_mask64(const __m128i x[4], __m128i c)
{
	return (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x[0], c)) |
	       (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x[1], c)) << 16 |
	       (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x[2], c)) << 32 |
	       (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x[3], c)) << 48;
}

/* The bytes a backslash escapes, given where backslashes are; *carry says
 * whether the block before ended in an unfinished escape, and is set for
 * the next one (simdjson's branchless odd-run method). */
static inline uint64_t jscan_escaped(uint64_t bs, uint64_t *carry)
{
	const uint64_t even = 0x5555555555555555ULL;
	uint64_t follows, odd_starts, sum;

	bs &= ~*carry;
	follows = bs << 1 | *carry;
	odd_starts = bs & ~even & ~follows;
	*carry = __builtin_add_overflow(odd_starts, bs, &sum);
	return (even ^ (sum << 1)) & follows;
}

/* Bit i: the parity of bits 0..i of x. */
static inline uint64_t jscan_prefix_xor(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	x ^= x << 32;
	return x;
}

static inline const char *jscan_value_end(const char *p, const char *e)
{
	const __m128i q = _mm_set1_epi8('"'), bsl = _mm_set1_epi8('\\');
	const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
	/* '{' and '[', '}' and ']' differ in bit 5 alone */
	const __m128i b5 = _mm_set1_epi8(0x20), op = _mm_set1_epi8('{'), cl = _mm_set1_epi8('}');
	uint64_t carry = 0, inside = 0;
	long long depth = 0;
	int esc, in_str;

	for (; e - p >= 64; p += 64) {
		__m128i x[4], y[4];
		uint64_t bs, quotes, in, open, close, brk, s;
		int k;

		for (k = 0; k < 4; k++) {
			x[k] = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
			y[k] = _mm_or_si128(x[k], b5);
		}
		bs = jscan_mask64(x, bsl);
		quotes = jscan_mask64(x, q) & ~jscan_escaped(bs, &carry);
		in = jscan_prefix_xor(quotes) ^ inside;
		inside = (uint64_t)((int64_t)in >> 63);
		open = jscan_mask64(y, op) & ~in;
		close = jscan_mask64(y, cl) & ~in;
		/* what sends the caller to its byte scanner: a line break, a
		 * backslash outside a string */
		brk = jscan_mask64(x, lf) | jscan_mask64(x, cr) | (bs & ~in);
		for (s = open | close; s; s &= s - 1) {
			uint64_t bit = s & -s;

			depth += (open & bit) ? 1 : -1;
			if (depth == 0)
				return brk & ((bit << 1) - 1) ? NULL : p + __builtin_ctzll(bit) + 1;
		}
		if (brk)
			return NULL;
	}
	/* the rest, under 64 bytes, one by one from the same state */
	esc = carry != 0;
	in_str = inside != 0;
	for (; p < e; p++) {
		char c = *p;

		if (c == '\n' || c == '\r')
			return NULL;
		if (esc) {
			esc = 0;
		} else if (in_str) {
			if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
		} else if (c == '\\') {
			return NULL;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if ((c == '}' || c == ']') && --depth == 0) {
			return p + 1;
		}
	}
	return NULL;
}
#endif

#endif
