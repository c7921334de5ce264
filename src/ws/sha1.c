#include "ws/sha1.h"

#include <string.h>

static uint32_t rol(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static void sha1_block(struct ws_sha1 *s, const unsigned char *p)
{
	uint32_t w[80], a, b, c, d, e, f, k, t;
	unsigned i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = s->h[0];
	b = s->h[1];
	c = s->h[2];
	d = s->h[3];
	e = s->h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999u;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1u;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdcu;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6u;
		}
		t = rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol(b, 30);
		b = a;
		a = t;
	}
	s->h[0] += a;
	s->h[1] += b;
	s->h[2] += c;
	s->h[3] += d;
	s->h[4] += e;
}

void ws_sha1_init(struct ws_sha1 *s)
{
	s->h[0] = 0x67452301u;
	s->h[1] = 0xefcdab89u;
	s->h[2] = 0x98badcfeu;
	s->h[3] = 0x10325476u;
	s->h[4] = 0xc3d2e1f0u;
	s->total = 0;
	s->fill = 0;
}

void ws_sha1_update(struct ws_sha1 *s, const void *data, size_t n)
{
	const unsigned char *p = data;

	s->total += n;
	while (n) {
		size_t take = 64 - s->fill;

		if (take > n)
			take = n;
		memcpy(s->block + s->fill, p, take);
		s->fill += take;
		p += take;
		n -= take;
		if (s->fill == 64) {
			sha1_block(s, s->block);
			s->fill = 0;
		}
	}
}

void ws_sha1_final(struct ws_sha1 *s, unsigned char out[WS_SHA1_LEN])
{
	uint64_t bits = s->total * 8;
	unsigned char pad = 0x80, len[8];
	unsigned i;

	ws_sha1_update(s, &pad, 1);
	pad = 0;
	while (s->fill != 56)
		ws_sha1_update(s, &pad, 1);
	for (i = 0; i < 8; i++)
		len[i] = (unsigned char)(bits >> (56 - 8 * i));
	ws_sha1_update(s, len, 8);
	for (i = 0; i < 20; i++)
		out[i] = (unsigned char)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

void ws_sha1(const void *data, size_t n, unsigned char out[WS_SHA1_LEN])
{
	struct ws_sha1 s;

	ws_sha1_init(&s);
	ws_sha1_update(&s, data, n);
	ws_sha1_final(&s, out);
}
