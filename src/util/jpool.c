#include "util/jpool.h"

#include <stddef.h>
#include <stdlib.h>

#include <jansson.h>

#if defined(__SANITIZE_ADDRESS__)
#define JPOOL_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JPOOL_OFF 1
#endif
#endif

/* Requests up to JP_SMALL bytes are rounded up to a multiple of JP_STEP
 * and served from that class's free list; larger ones go to malloc. Each
 * block starts with a header naming its class (0: from malloc), one
 * max_align_t wide so the caller's bytes stay aligned. */
#define JP_STEP 16
#define JP_SMALL 1024
#define JP_CLASSES (JP_SMALL / JP_STEP)
#define JP_SLAB ((size_t)64 << 10)

#ifndef JPOOL_OFF
union jp_head {
	size_t cls;
	max_align_t align;
};

struct jp_free {
	struct jp_free *next;
};

struct jp_slab {
	struct jp_slab *next;
	union jp_head pad;   /* keeps the carved blocks aligned */
};

static struct jp_free *free_list[JP_CLASSES + 1];
static struct jp_slab *slabs;   /* kept reachable; never freed */
static char *slab_pos, *slab_end;

static void *jp_malloc(size_t n)
{
	size_t cls = (n + JP_STEP - 1) / JP_STEP, size;
	union jp_head *h;
	struct jp_free *f;

	if (cls > JP_CLASSES) {
		if (n > (size_t)-1 - sizeof *h || !(h = malloc(sizeof *h + n)))
			return NULL;
		h->cls = 0;
		return h + 1;
	}
	if (cls == 0)
		cls = 1;
	if ((f = free_list[cls])) {
		free_list[cls] = f->next;
		return f;
	}
	size = sizeof *h + cls * JP_STEP;
	if ((size_t)(slab_end - slab_pos) < size) {
		struct jp_slab *s = malloc(JP_SLAB);

		if (!s)
			return NULL;
		s->next = slabs;
		slabs = s;
		slab_pos = (char *)(s + 1);
		slab_end = (char *)s + JP_SLAB;
	}
	h = (union jp_head *)slab_pos;
	slab_pos += size;
	h->cls = cls;
	return h + 1;
}

static void jp_free(void *p)
{
	union jp_head *h = (union jp_head *)p - 1;
	struct jp_free *f = p;

	if (h->cls == 0) {
		free(h);
		return;
	}
	f->next = free_list[h->cls];
	free_list[h->cls] = f;
}

#endif

int jpool_install(void)
{
#ifdef JPOOL_OFF
	return 0;
#else
	json_set_alloc_funcs(jp_malloc, jp_free);
	return 1;
#endif
}

void json_str_free(void *s)
{
	json_free_t f;

	if (!s)
		return;
	json_get_alloc_funcs(NULL, &f);
	f(s);
}
