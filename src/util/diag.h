#ifndef LOGWHY_DIAG_H
#define LOGWHY_DIAG_H

/*
 * A located problem: library code fills one and returns -1; only cli/
 * prints it, as "file:line:col: message" (line/col omitted when 0).
 */
struct diag {
	char file[512];
	long line;   /* 1-based, 0 = unknown */
	long col;    /* 1-based, 0 = unknown */
	char msg[512];
};

#if defined(__GNUC__)
#define DIAG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DIAG_PRINTF(a, b)
#endif

/* Fill d (when non-NULL); file may be NULL. Always returns -1 so callers can
 * write "return diag_set(...)". */
int diag_set(struct diag *d, const char *file, long line, long col,
	     const char *fmt, ...) DIAG_PRINTF(5, 6);

/* Render "file:line:col: msg" into out (NUL-terminated, truncated to n). */
void diag_format(const struct diag *d, char *out, unsigned long n);

/*
 * Where warnings go: a stage that can keep going after a problem (a cut
 * array, a truncated gzip member, a regex that hit its limit) reports the
 * diag through this callback and carries on. fn may be NULL (warnings are
 * then dropped: only for tests).
 */
struct warn_sink {
	void (*fn)(void *ctx, const struct diag *d);
	void *ctx;
};

void warn_emit(const struct warn_sink *w, const char *file, long line, long col,
	       const char *fmt, ...) DIAG_PRINTF(5, 6);

#endif
