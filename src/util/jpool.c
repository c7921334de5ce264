#include "util/jpool.h"

#include <pthread.h>
#include <stdatomic.h>
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
/* Each thread allocates from a pool of its own (no lock on the way); a
 * block freed by another thread goes back to the pool it came from through
 * that pool's `remote` list of its class, which the owner takes over whole
 * when the class runs dry. Pools outlive their threads: jpool_thread_end hands a pool back for
 * the next thread to take, with everything in it. */
struct jp_pool;

union jp_head {
	struct {
		size_t cls;             /* 0: from malloc */
		struct jp_pool *pool;   /* where it goes back to */
	} h;
	max_align_t align;
};

struct jp_free {
	struct jp_free *next;
};

struct jp_slab {
	struct jp_slab *next;
	union jp_head pad;   /* keeps the carved blocks aligned */
};

struct jp_pool {
	struct jp_free *free_list[JP_CLASSES + 1];
	char *slab_pos, *slab_end;
	_Atomic(struct jp_free *) remote[JP_CLASSES + 1];   /* freed elsewhere */
	struct jp_pool *next_idle;
};

static struct jp_pool main_pool;
static _Thread_local struct jp_pool *mine;
static pthread_mutex_t jp_mu = PTHREAD_MUTEX_INITIALIZER;
static struct jp_slab *slabs;        /* every slab, kept reachable; never freed */
static struct jp_pool *idle;         /* pools no thread holds */
static int main_taken;

static struct jp_pool *pool_get(void)
{
	struct jp_pool *p;

	if (mine)
		return mine;
	pthread_mutex_lock(&jp_mu);
	if (!main_taken) {
		/* the first thread to allocate: the main one, normally */
		main_taken = 1;
		p = &main_pool;
	} else if ((p = idle)) {
		idle = p->next_idle;
	} else if ((p = calloc(1, sizeof *p))) {
		p->next_idle = NULL;
	}
	pthread_mutex_unlock(&jp_mu);
	return mine = p;
}

static void *jp_malloc(size_t n)
{
	size_t cls = (n + JP_STEP - 1) / JP_STEP, size;
	struct jp_pool *p;
	union jp_head *h;
	struct jp_free *f;

	if (cls > JP_CLASSES) {
		if (n > (size_t)-1 - sizeof *h || !(h = malloc(sizeof *h + n)))
			return NULL;
		h->h.cls = 0;
		h->h.pool = NULL;
		return h + 1;
	}
	if (cls == 0)
		cls = 1;
	if (!(p = pool_get()))
		return NULL;
	if ((f = p->free_list[cls]) ||
	    (atomic_load_explicit(&p->remote[cls], memory_order_relaxed) &&
	     (f = atomic_exchange_explicit(&p->remote[cls], NULL, memory_order_acquire)))) {
		p->free_list[cls] = f->next;
		return f;
	}
	size = sizeof *h + cls * JP_STEP;
	if ((size_t)(p->slab_end - p->slab_pos) < size) {
		struct jp_slab *s = malloc(JP_SLAB);

		if (!s)
			return NULL;
		pthread_mutex_lock(&jp_mu);
		s->next = slabs;
		slabs = s;
		pthread_mutex_unlock(&jp_mu);
		p->slab_pos = (char *)(s + 1);
		p->slab_end = (char *)s + JP_SLAB;
	}
	h = (union jp_head *)(void *)p->slab_pos;
	p->slab_pos += size;
	h->h.cls = cls;
	h->h.pool = p;
	return h + 1;
}

static void jp_free(void *ptr)
{
	union jp_head *h = (union jp_head *)ptr - 1;
	struct jp_pool *p = h->h.pool;
	struct jp_free *f = ptr;

	if (h->h.cls == 0) {
		free(h);
		return;
	}
	if (p == mine) {
		f->next = p->free_list[h->h.cls];
		p->free_list[h->h.cls] = f;
		return;
	}
	f->next = atomic_load_explicit(&p->remote[h->h.cls], memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(&p->remote[h->h.cls], &f->next, f,
						      memory_order_release, memory_order_relaxed))
		;
}

#endif

void jpool_thread_end(void)
{
#ifndef JPOOL_OFF
	struct jp_pool *p = mine;

	if (!p)
		return;
	mine = NULL;
	pthread_mutex_lock(&jp_mu);
	if (p == &main_pool) {
		main_taken = 0;
	} else {
		p->next_idle = idle;
		idle = p;
	}
	pthread_mutex_unlock(&jp_mu);
#endif
}

int jpool_install(void)
{
#ifdef JPOOL_OFF
	return 0;
#else
	json_set_alloc_funcs(jp_malloc, jp_free);
	return 1;
#endif
}

void jpool_str_free(void *s)
{
	json_free_t f;

	if (!s)
		return;
	json_get_alloc_funcs(NULL, &f);
	f(s);
}
