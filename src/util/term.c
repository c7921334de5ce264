#include "util/term.h"

#include "util/utf8.h"

int term_escape(struct buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned char c = p[i];
		size_t k;
		unsigned cp;

		if (c == '\n') {
			if (buf_add(out, "\\n", 2) < 0)
				return -1;
			i++;
			continue;
		}
		if (c == '\t') {
			if (buf_add(out, "\\t", 2) < 0)
				return -1;
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			if (buf_addf(out, "\\x%02x", c) < 0)
				return -1;
			i++;
			continue;
		}
		if (c < 0x80) {
			if (buf_addc(out, (char)c) < 0)
				return -1;
			i++;
			continue;
		}
		k = utf8_decode(p + i, n - i, &cp);
		if (k == 0) {
			if (buf_addf(out, "\\x%02x", c) < 0)
				return -1;
			i++;
			continue;
		}
		if (cp >= 0x80 && cp <= 0x9f) {
			if (buf_addf(out, "\\u%04x", cp) < 0)
				return -1;
		} else if (buf_add(out, s + i, k) < 0) {
			return -1;
		}
		i += k;
	}
	return 0;
}

void term_put(FILE *out, const char *s, size_t n)
{
	struct buf b = BUF_INIT(0);

	if (term_escape(&b, s, n) == 0 && b.len)
		fwrite(b.p, 1, b.len, out);
	buf_free(&b);
}
