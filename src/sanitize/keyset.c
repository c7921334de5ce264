#include <stdlib.h>
#include <string.h>

#include "sanitize/sanitize_impl.h"

/* One key of one object; valid only when gen is the set's generation, so a
 * new record forgets every key without clearing the table. */
struct keyslot {
	uint32_t gen;
	uint32_t obj;
	uint64_t hash;
	size_t off, len;
	unsigned long next;     /* the suffix its next duplicate tries first */
};

void keyset_init(struct keyset *k, size_t max_bytes)
{
	memset(k, 0, sizeof *k);
	k->gen = 1;
	k->arena.max = max_bytes;
}

void keyset_reset(struct keyset *k)
{
	k->used = 0;
	buf_reset(&k->arena);
	if (++k->gen == 0) {
		/* after 2^32 records: stale stamps could look current */
		if (k->slot)
			memset(k->slot, 0, k->cap * sizeof *k->slot);
		k->gen = 1;
	}
}

static uint64_t key_hash(uint32_t obj, const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull ^ obj;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h ^ (h >> 29);
}

static int grow(struct keyset *k)
{
	size_t ncap = k->cap ? k->cap * 2 : 64, i;
	struct keyslot *ns = calloc(ncap, sizeof *ns);

	if (!ns)
		return -1;
	for (i = 0; i < k->cap; i++) {
		struct keyslot *o = &k->slot[i];
		size_t j;

		if (o->gen != k->gen)
			continue;
		for (j = o->hash & (ncap - 1); ns[j].gen; j = (j + 1) & (ncap - 1))
			;
		ns[j] = *o;
	}
	free(k->slot);
	k->slot = ns;
	k->cap = ncap;
	return 0;
}

static struct keyslot *find(const struct keyset *k, uint32_t obj, const char *key,
			    size_t len, uint64_t h, size_t *at)
{
	size_t j;

	for (j = h & (k->cap - 1); k->slot[j].gen == k->gen; j = (j + 1) & (k->cap - 1)) {
		struct keyslot *s = &k->slot[j];

		if (s->hash == h && s->obj == obj && s->len == len &&
		    (len == 0 || memcmp(k->arena.p + s->off, key, len) == 0))
			return s;
	}
	*at = j;
	return NULL;
}

unsigned long keyset_next(struct keyset *k, uint32_t obj, const char *key, size_t len)
{
	size_t at;
	struct keyslot *s = k->cap ? find(k, obj, key, len, key_hash(obj, key, len), &at) : NULL;

	return s ? s->next++ : 2;
}

int keyset_add(struct keyset *k, uint32_t obj, const char *key, size_t len)
{
	uint64_t h = key_hash(obj, key, len);
	size_t j;

	if ((k->used + 1) * 2 > k->cap && grow(k) < 0)
		return -1;
	if (find(k, obj, key, len, h, &j))
		return 0;
	if (len && buf_add(&k->arena, key, len) < 0)
		return -1;
	k->slot[j].gen = k->gen;
	k->slot[j].obj = obj;
	k->slot[j].hash = h;
	k->slot[j].off = k->arena.len - len;
	k->slot[j].len = len;
	k->slot[j].next = 2;
	k->used++;
	return 1;
}

void keyset_free(struct keyset *k)
{
	if (!k)
		return;
	free(k->slot);
	buf_free(&k->arena);
	memset(k, 0, sizeof *k);
}
