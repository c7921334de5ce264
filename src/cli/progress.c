#include "cli/progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "read/source.h"
#include "util/term.h"

static double secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void progress_init(struct progress *p, int quiet)
{
	memset(p, 0, sizeof *p);
	p->on = !quiet && isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
}

void progress_tick(struct progress *p, const struct evstream *s, const char *name)
{
	struct timespec now;
	long long done, size;
	double el;

	p->records++;
	if (!p->on || (p->records & 4095))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	el = secs(&p->start, &now);
	if (el < 1.0 || secs(&p->last, &now) < 0.2)
		return;
	p->last = now;
	evstream_progress(s, &done, &size);
	fputs("\r\033[K  ", stderr);
	term_put(stderr, name, strlen(name));
	fprintf(stderr, "  %.1f MB", (double)done / 1e6);
	if (size > 0)
		fprintf(stderr, " (%d%%)", (int)(done * 100 / size));
	fprintf(stderr, "  %.0fk records/s ", (double)p->records / el / 1000);
	fflush(stderr);
	p->shown = 1;
}

void progress_done(struct progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = 0;
}
