#include "util/heap.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#define HUGE_PAGE ((uintptr_t)2 << 20)
#define HEAP_STEP (64 << 20)         /* the heap grows this much past a need */
#define HEAP_BUFFERS (4 << 20)       /* larger blocks are mappings of their
					own, which grow in place (mremap) */
#define HEAP_MOST (32 << 20)         /* glibc's largest mmap threshold */
#define HEAP_ROOM ((size_t)1 << 30)  /* a memory limit below this: small steps */

/*
 * Measured on the machine `make bench` runs on (a virtual machine with
 * shadow paging): touching 2 MiB of fresh small pages took 5.5 ms, of one
 * huge page 0.2 ms. `triage` of 50 MB made 2105 page faults before and
 * about 310 after (an empty input: 395 and 206), and ran in 90-95 ms
 * instead of 107-113. Peak RSS of `triage` on 1 GB: 47.6 MiB before,
 * 53.8 MiB after (huge pages round up).
 */
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
/* held for good (mark_heap); volatile, or the compiler may drop the
 * malloc of a block that is never read */
static void *volatile heap_below;

/* Grow the heap by HEAP_STEP and mark it. */
static void mark_heap(void)
{
	uintptr_t top0 = (uintptr_t)sbrk(0), top, from;
	void *volatile p;

	/* more than the heap has free, so that it grows now; freed, it is
	 * the start of the heap's free top */
	if (!(p = malloc((size_t)HUGE_PAGE)))
		return;
	free(p);
	top = (uintptr_t)sbrk(0);
	/* Growing, malloc wrote the header of the free top just past p's
	 * block, before the madvise: that page is a small one, and so is
	 * every page of its huge page's span. Huge pages start past it. */
	from = ((uintptr_t)p + HUGE_PAGE + 64 + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	/* the heap did not grow in place (sbrk refused, malloc mapped
	 * instead): leave it be */
	if (top0 == (uintptr_t)-1 || (uintptr_t)p < top0 || top < from + HUGE_PAGE ||
	    madvise((void *)from, (size_t)(top - from) & ~(HUGE_PAGE - 1), MADV_HUGEPAGE) < 0)
		return;
	/* What lies below stays on small pages: one block takes it (address
	 * space, never written) so that what is allocated next starts at
	 * the boundary, on huge pages. */
	heap_below = malloc(from - (uintptr_t)p);
}

/* A limit on memory the 64 MiB steps could run into: the heap grows by
 * HEAP_STEP whatever it needs, so under a low limit it would fail where
 * small steps fit (triage of 50 MB under `ulimit -d 80000` did). */
static int tight(int resource)
{
	struct rlimit r;

	return getrlimit(resource, &r) == 0 && r.rlim_cur != RLIM_INFINITY &&
	       r.rlim_cur < (rlim_t)HEAP_ROOM;
}
#endif

void heap_huge_pages(void)
{
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
	if (getenv("LOGWHY_NO_HUGEPAGES") || tight(RLIMIT_DATA) || tight(RLIMIT_AS))
		return;
	/* one arena: the threads' buffers share the heap's huge pages rather
	 * than each thread's arena faulting in small pages of its own */
	if (!mallopt(M_ARENA_MAX, 1) || !mallopt(M_TOP_PAD, HEAP_STEP) ||
	    !mallopt(M_MMAP_THRESHOLD, HEAP_MOST))
		return;
	mark_heap();
	mallopt(M_MMAP_THRESHOLD, HEAP_BUFFERS);
#endif
}
