#ifndef LOGWHY_TIMEPARSE_H
#define LOGWHY_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The times logs write, read into microseconds since the epoch (UTC),
 * without timegm or the TZ. Each returns the bytes it read from s, 0 when
 * s does not start with that kind of time.
 */

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t timeparse_days(int64_t y, unsigned m, unsigned d);

/* "2025-09-08T04:33:37.537294Z", "2025-09-08 04:33:37,537",
 * "2025-09-08T04:33:37+02:00", "...+0200", "... +0000" (a space before
 * the offset, as gunicorn and the journal write it); any number of
 * fraction digits; no offset means UTC. */
size_t timeparse_rfc3339(const char *s, size_t n, int64_t *us);

/* Syslog's "Sep 08 04:33:03" (also "Sep  8", with a fraction): no year,
 * so year gives it (e.g. from a dated line before it). */
size_t timeparse_syslog(const char *s, size_t n, int year, int64_t *us);

/* Common log format: "08/Sep/2025:04:33:03 +0000". */
size_t timeparse_clf(const char *s, size_t n, int64_t *us);

/* The year of a time (for timeparse_syslog's context). */
int timeparse_year(int64_t us);

#endif
