#include "util/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void diag_vset(struct diag *d, const char *file, long line, long col,
		      const char *fmt, va_list ap)
{
	snprintf(d->file, sizeof d->file, "%s", file ? file : "");
	d->line = line;
	d->col = col;
	vsnprintf(d->msg, sizeof d->msg, fmt, ap);
}

int diag_set(struct diag *d, const char *file, long line, long col,
	     const char *fmt, ...)
{
	va_list ap;

	if (!d)
		return -1;
	va_start(ap, fmt);
	diag_vset(d, file, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

void diag_format(const struct diag *d, char *out, unsigned long n)
{
	if (!d->file[0])
		snprintf(out, n, "%s", d->msg);
	else if (d->line > 0 && d->col > 0)
		snprintf(out, n, "%s:%ld:%ld: %s", d->file, d->line, d->col, d->msg);
	else if (d->line > 0)
		snprintf(out, n, "%s:%ld: %s", d->file, d->line, d->msg);
	else
		snprintf(out, n, "%s: %s", d->file, d->msg);
}

void warn_emit(const struct warn_sink *w, const char *file, long line, long col,
	       const char *fmt, ...)
{
	struct diag d;
	va_list ap;

	if (!w || !w->fn)
		return;
	va_start(ap, fmt);
	diag_vset(&d, file, line, col, fmt, ap);
	va_end(ap);
	w->fn(w->ctx, &d);
}
