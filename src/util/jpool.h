#ifndef LOGWHY_JPOOL_H
#define LOGWHY_JPOOL_H

/*
 * jansson's memory, from size-class free lists (json_set_alloc_funcs).
 * A parsed record's values are freed as soon as the record is done, so the
 * next record's values take the same blocks again: after the first records
 * of a run, parsing calls neither malloc nor free. Blocks are never given
 * back to malloc; the pool is as large as the most JSON alive at once.
 *
 * jpool_install runs once, before any JSON value exists. Under ASan it
 * does nothing, so that a use after free of a JSON value is still caught.
 * Strings jansson returns (json_dumps) come from the pool too: release
 * them with jpool_str_free, never free(3).
 */
int jpool_install(void);       /* 1: installed, 0: off (ASan) */
/* Threads: each thread allocates from a pool of its own; a value may be
 * freed on any thread (its blocks go back to their pool). A thread that
 * allocated JSON calls jpool_thread_end before it exits, so the next
 * thread takes its pool over instead of starting a new one. */
void jpool_thread_end(void);
void jpool_str_free(void *s);   /* NULL-safe */

#endif
