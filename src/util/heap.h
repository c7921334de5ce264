#ifndef LOGWHY_HEAP_H
#define LOGWHY_HEAP_H

/*
 * The process's heap on transparent huge pages, called once at the start
 * of main, before threads. Each fresh page a process writes costs a page
 * fault; a 2 MiB huge page costs one fault for what would be 512. malloc's
 * main heap is made to grow 64 MiB at a time (address space only: a page
 * becomes memory where it is written) and that span is marked for huge
 * pages (madvise); blocks up to 4 MiB come from it, and every thread
 * allocates from it. Larger blocks are mappings of their own on small
 * pages, which an array filled from its start (triage's spool) takes
 * 4 KiB at a time: a huge page's first touch can cost 5 ms on a virtual
 * machine whose host has not backed that memory yet. Nothing changes where
 * the kernel has huge pages off, under a sanitizer's allocator, without
 * glibc, under a data or address-space limit below 1 GiB, or with
 * LOGWHY_NO_HUGEPAGES set in the environment.
 */
void heap_huge_pages(void);

#endif
