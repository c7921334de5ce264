#include <criterion/criterion.h>

#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "util/jpool.h"

static int pooled;

static void setup(void)
{
	pooled = jpool_install();
}

/* Every size, small and large, comes back aligned and writable, and goes
 * back without complaint. */
Test(jpool, sizes_aligned_and_writable, .init = setup)
{
	json_malloc_t m;
	json_free_t f;
	size_t n;

	json_get_alloc_funcs(&m, &f);
	for (n = 1; n <= 5000; n += (n < 1100 ? 1 : 97)) {
		unsigned char *p = m(n);

		cr_assert_not_null(p);
		cr_assert_eq((uintptr_t)p % 16, 0, "size %zu", n);
		memset(p, 0xa5, n);
		f(p);
	}
}

/* A freed block is what the next request of its class gets: parsing one
 * record after another reuses the same memory instead of asking malloc. */
Test(jpool, freed_blocks_are_reused, .init = setup)
{
	json_malloc_t m;
	json_free_t f;
	void *a, *b, *big;

	if (!pooled)
		cr_skip_test("the pool is off under ASan");
	json_get_alloc_funcs(&m, &f);
	a = m(20);
	f(a);
	b = m(32);   /* the same 16-byte class (malloc would use another bin) */
	cr_assert_eq(a, b);
	f(b);
	big = m(4000);   /* past the classes: plain malloc, freed as such */
	cr_assert_not_null(big);
	f(big);
}

/* Values parsed, changed, dumped and freed through the pool, many times:
 * the text that comes back is right every time. */
Test(jpool, records_round_trip, .init = setup)
{
	const char *rec = "{\"severity\":\"ERROR\",\"jsonPayload\":{\"message\":"
			  "\"WebSocket closed code=1011\",\"n\":[1,2.5,true,null]},"
			  "\"timestamp\":\"2025-09-08T04:00:00.5Z\"}";
	int i;

	for (i = 0; i < 2000; i++) {
		json_error_t err;
		json_t *v = json_loads(rec, 0, &err);
		char *s;

		cr_assert_not_null(v, "%s", err.text);
		json_object_set_new(v, "i", json_integer(i));
		s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		cr_assert_not_null(s);
		cr_assert(strstr(s, "\"message\":\"WebSocket closed code=1011\""));
		cr_assert(strstr(s, "\"n\":[1,2.5,true,null]"));
		jpool_str_free(s);
		json_decref(v);
	}
	jpool_str_free(NULL);
}
