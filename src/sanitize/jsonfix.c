#include <string.h>

#include "sanitize/sanitize_impl.h"
#include "util/jscan.h"
#include "util/utf8.h"

/*
 * String contents and numbers for rewrite.c's scanner (why it is not
 * jansson is said there): decoding escapes as Python reads them,
 * re-encoding strictly, repairing invalid UTF-8 and classifying numbers.
 */

static const char fffd[] = "\xEF\xBF\xBD";

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* k hex digits at s (n bytes available): the value, or -1. */
static long hexn(const char *s, size_t n, size_t k)
{
	long v = 0;
	size_t i;

	if (n < k)
		return -1;
	for (i = 0; i < k; i++) {
		int h = hexval((unsigned char)s[i]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static int is_c1(unsigned cp)
{
	return cp >= 0x80 && cp <= 0x9f;
}

int jsonfix_clean(const char *s, size_t n, int *has_esc)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	*has_esc = 0;
	while (i < n) {
		unsigned c = p[i];
		unsigned cp;
		size_t k;

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			i = (size_t)(jscan_plain(s + i + 1, s + n, JSCAN_ASCII) - s);
			continue;   /* a quote stops the scan, and is plain here */
		}
		if (c == '\\') {
			long u;

			*has_esc = 1;
			if (i + 1 >= n)
				return 0;
			if (p[i + 1] && strchr("\"\\/bfnrt", p[i + 1])) {
				i += 2;
				continue;
			}
			if (p[i + 1] != 'u' || (u = hexn(s + i + 2, n - i - 2, 4)) < 0)
				return 0;
			i += 6;
			if (u >= 0xDC00 && u <= 0xDFFF)
				return 0;
			if (u >= 0xD800 && u <= 0xDBFF) {
				long lo;

				if (i + 6 > n || p[i] != '\\' || p[i + 1] != 'u')
					return 0;
				lo = hexn(s + i + 2, n - i - 2, 4);
				if (lo < 0xDC00 || lo > 0xDFFF)
					return 0;
				i += 6;
			}
			continue;
		}
		if (c < 0x80)
			return 0;   /* C0 control or DEL */
		k = utf8_decode(p + i, n - i, &cp);
		if (!k || is_c1(cp))
			return 0;
		i += k;
	}
	return 1;
}

static int put_cp(struct buf *out, unsigned long cp)
{
	char b[4];
	size_t k;

	if (cp < 0x80) {
		b[0] = (char)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		k = 3;
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		k = 4;
	}
	return buf_add(out, b, k);
}

/* A code point from an escape: surrogates and out-of-range values are not
 * characters, so they become U+FFFD. */
static int put_escaped_cp(struct buf *out, unsigned long cp, unsigned long *cnt, int *fixed)
{
	if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
		cnt[SAN_LONE_SURROGATE]++;
		*fixed = 1;
		return buf_add(out, fffd, 3);
	}
	return put_cp(out, cp);
}

/* One escape at s[i] == '\\'; returns the bytes consumed, 0 when out is
 * full. Unknown escapes keep their backslash, as Python reads them. */
static size_t escape(const char *s, size_t n, size_t i, unsigned flags,
		     struct buf *out, unsigned long *cnt, int *fixed)
{
	static const char simple[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
	int py = (flags & JF_PY) != 0;
	unsigned char e;
	const char *m;
	long v;

	if (i + 1 >= n) {
		cnt[SAN_INVALID_ESCAPE]++;
		*fixed = 1;
		return buf_addc(out, '\\') < 0 ? 0 : 1;
	}
	e = (unsigned char)s[i + 1];
	for (m = simple; *m; m += 2)
		if ((unsigned char)*m == e)
			return buf_addc(out, m[1]) < 0 ? 0 : 2;
	if (e == 'u' && (v = hexn(s + i + 2, n - i - 2, 4)) >= 0) {
		if (v >= 0xD800 && v <= 0xDBFF && i + 12 <= n && s[i + 6] == '\\' &&
		    s[i + 7] == 'u') {
			long lo = hexn(s + i + 8, n - i - 8, 4);

			if (lo >= 0xDC00 && lo <= 0xDFFF)
				return put_cp(out, 0x10000 + (((unsigned long)v - 0xD800) << 10) +
					      ((unsigned long)lo - 0xDC00)) < 0 ? 0 : 12;
		}
		return put_escaped_cp(out, (unsigned long)v, cnt, fixed) < 0 ? 0 : 6;
	}
	*fixed = 1;
	if (py) {
		if (e == 'x' && (v = hexn(s + i + 2, n - i - 2, 2)) >= 0) {
			if (flags & JF_BYTES)
				return buf_addc(out, (char)v) < 0 ? 0 : 4;
			return put_cp(out, (unsigned long)v) < 0 ? 0 : 4;
		}
		if (e == 'U' && (v = hexn(s + i + 2, n - i - 2, 8)) >= 0)
			return put_escaped_cp(out, (unsigned long)v, cnt, fixed) < 0 ? 0 : 10;
		if (e == '\'')
			return buf_addc(out, '\'') < 0 ? 0 : 2;
		if (e == 'a')
			return buf_addc(out, '\a') < 0 ? 0 : 2;
		if (e == 'v')
			return buf_addc(out, '\v') < 0 ? 0 : 2;
		if (e == '\n')
			return 2;   /* line continuation */
		if (e >= '0' && e <= '7') {
			size_t k = 1;
			unsigned o = 0;

			while (k <= 3 && i + k < n && s[i + k] >= '0' && s[i + k] <= '7')
				o = o * 8 + (unsigned)(s[i + k++] - '0');
			if (flags & JF_BYTES)
				return buf_addc(out, (char)(o & 0xFF)) < 0 ? 0 : k;
			return put_cp(out, o) < 0 ? 0 : k;
		}
		/* Python keeps unknown escapes as written */
		return buf_add(out, s + i, 2) < 0 ? 0 : 2;
	}
	if (e == '\'') {
		cnt[SAN_INVALID_ESCAPE]++;
		return buf_addc(out, '\'') < 0 ? 0 : 2;
	}
	cnt[SAN_INVALID_ESCAPE]++;
	/* "\q": the backslash and the character, both kept */
	return buf_add(out, s + i, 1) < 0 ? 0 : 1;
}

int jsonfix_decode(const char *s, size_t n, unsigned flags, struct buf *out,
		   unsigned long *cnt, int *fixed)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = out->len;

	while (i < n) {
		unsigned c = p[i];
		unsigned cp;
		size_t k, run = i;

		while ((run = (size_t)(jscan_plain(s + run, s + n, JSCAN_ASCII) - s)) < n && p[run] == '"')
			run++;   /* a quote is plain here */
		if (run > i) {
			if (buf_add(out, s + i, run - i) < 0)
				return -1;
			i = run;
			continue;
		}
		if (c == '\\' && !(flags & JF_RAW)) {
			k = escape(s, n, i, flags, out, cnt, fixed);
			if (!k)
				return -1;
			i += k;
			continue;
		}
		if (c < 0x80) {
			/* tabs and newlines in a text line are its own, not noise */
			if (c != '\\' && !((flags & JF_RAW) && (c == '\t' || c == '\n'))) {
				cnt[SAN_CONTROL_CHAR]++;
				*fixed = 1;
			}
			if (buf_addc(out, (char)c) < 0)
				return -1;
			i++;
			continue;
		}
		k = utf8_decode(p + i, n - i, &cp);
		if (!k) {
			if (!(flags & JF_BYTES))
				cnt[SAN_INVALID_UTF8]++;
			*fixed = 1;
			if (buf_add(out, fffd, 3) < 0)
				return -1;
			i++;
			continue;
		}
		if (is_c1(cp)) {
			cnt[SAN_CONTROL_CHAR]++;
			*fixed = 1;
		}
		if (buf_add(out, s + i, k) < 0)
			return -1;
		i += k;
	}
	if (flags & JF_BYTES) {
		/* \xNN bytes may not be UTF-8: check what was produced */
		size_t len = out->len - start;

		/* len 0 may mean out->p is still NULL: NULL + 0 is undefined */
		if (len > 0 && !utf8_valid((const unsigned char *)out->p + start, len)) {
			struct buf tmp = BUF_INIT(out->max);
			long r = jsonfix_utf8(&tmp, out->p + start, len);

			out->len = start;
			if (r < 0 || buf_add(out, tmp.p, tmp.len) < 0) {
				buf_free(&tmp);
				return -1;
			}
			buf_free(&tmp);
		}
	}
	return 0;
}

long jsonfix_utf8(struct buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	long bad = 0;

	while (i < n) {
		unsigned cp;
		size_t k = p[i] < 0x80 ? 1 : utf8_decode(p + i, n - i, &cp);

		if (!k) {
			bad++;
			if (buf_add(out, fffd, 3) < 0)
				return -1;
			i++;
			continue;
		}
		if (buf_add(out, s + i, k) < 0)
			return -1;
		i += k;
	}
	return bad;
}

int jsonfix_encode(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	if (buf_reserve(out, n + 2) < 0 || buf_addc(out, '"') < 0)
		return -1;
	while (i < n) {
		unsigned c = p[i];
		unsigned cp;
		size_t run = i, k;
		char e[6];

		run = (size_t)(jscan_plain(s + run, s + n, JSCAN_ASCII) - s);
		if (run > i) {
			if (buf_add(out, s + i, run - i) < 0)
				return -1;
			i = run;
			continue;
		}
		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			k = 2;
		} else if (c == '\n' || c == '\t' || c == '\r' || c == '\b' || c == '\f') {
			e[0] = '\\';
			e[1] = c == '\n' ? 'n' : c == '\t' ? 't' : c == '\r' ? 'r' : c == '\b' ? 'b' : 'f';
			k = 2;
		} else if (c < 0x80) {
			cp = c;
			goto uesc;
		} else {
			k = utf8_decode(p + i, n - i, &cp);
			if (!k) {
				if (buf_add(out, fffd, 3) < 0)
					return -1;
				i++;
				continue;
			}
			if (is_c1(cp)) {
				i += k - 1;
				goto uesc;
			}
			if (buf_add(out, s + i, k) < 0)
				return -1;
			i += k;
			continue;
		}
		if (buf_add(out, e, k) < 0)
			return -1;
		i++;
		continue;
uesc:
		{
			char u[6] = { '\\', 'u', '0', '0', hex[(cp >> 4) & 0xF], hex[cp & 0xF] };

			if (buf_add(out, u, 6) < 0)
				return -1;
			i++;
		}
	}
	return buf_addc(out, '"');
}

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

size_t jsonfix_number(const char *s, size_t n, int *is_int)
{
	size_t i = 0;

	*is_int = 1;
	if (i < n && s[i] == '-')
		i++;
	if (i >= n || !digit(s[i]))
		return 0;
	if (s[i] == '0')
		i++;
	else
		while (i < n && digit(s[i]))
			i++;
	if (i < n && s[i] == '.') {
		*is_int = 0;
		if (++i >= n || !digit(s[i]))
			return 0;
		while (i < n && digit(s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		*is_int = 0;
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !digit(s[i]))
			return 0;
		while (i < n && digit(s[i]))
			i++;
	}
	return i;
}

int jsonfix_int64(const char *s, size_t n)
{
	const char *lim = "9223372036854775807";
	size_t d;

	if (n && s[0] == '-') {
		lim = "9223372036854775808";
		s++;
		n--;
	}
	d = strlen(lim);
	if (n != d)
		return n < d;
	return memcmp(s, lim, n) <= 0;
}
