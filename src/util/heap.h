#ifndef LOGWHY_HEAP_H
#define LOGWHY_HEAP_H

#include <stddef.h>

/*
 * The process's heap on transparent huge pages, called once at the start
 * of main, before threads. Each fresh page a process writes costs a page
 * fault; a 2 MiB huge page costs one fault for what would be 512. malloc's
 * main heap is made to grow 64 MiB at a time (address space only: a page
 * becomes memory where it is written) and that span is marked for huge
 * pages (madvise); buffers up to 32 MiB come from it instead of mappings
 * of their own, and every thread allocates from it. Nothing changes where
 * the kernel has huge pages off, under a sanitizer's allocator, without
 * glibc, or with LOGWHY_NO_HUGEPAGES set in the environment.
 */
void heap_huge_pages(void);

/*
 * n bytes of zeroed memory of their own, on huge pages where the heap is
 * (2 MiB aligned, marked MADV_HUGEPAGE): for a large array filled from its
 * start, whose memory is then taken 2 MiB at a time as it fills, never
 * copied. NULL when out of memory. heap_unmap(p, n) with the same n.
 */
void *heap_map(size_t n);
void heap_unmap(void *p, size_t n);   /* NULL-safe */

#endif
