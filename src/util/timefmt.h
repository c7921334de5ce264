#ifndef LOGWHY_TIMEFMT_H
#define LOGWHY_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* RFC 3339 in UTC with microseconds ("2025-09-08T04:33:37.537294Z"),
 * without gmtime so it does not depend on time_t or the TZ. Returns 0, or
 * -1 (out = "") outside years 0000-9999. */
int timefmt_rfc3339(int64_t us, char *out, size_t n);

/* "1m10s", "3h02m", "850ms": a span for humans. */
void timefmt_span(int64_t us, char *out, size_t n);

#endif
