#ifndef LOGWHY_PROGRESS_H
#define LOGWHY_PROGRESS_H

#include <time.h>

#include "event/stream.h"

/*
 * A progress line on stderr for long runs: input name, bytes read, share
 * done (for files), records/s. Only when stderr is a terminal and not
 * quiet; it appears after a second and is erased when done.
 */
struct progress {
	int on;
	int shown;
	struct timespec start, last;
	long records;
};

void progress_init(struct progress *p, int quiet);
/* Call per record; cheap: looks at the clock every few thousand records. */
void progress_tick(struct progress *p, const struct evstream *s, const char *name);
void progress_done(struct progress *p);

#endif
