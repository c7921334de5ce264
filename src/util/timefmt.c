#include "util/timefmt.h"

#include <stdio.h>

/* Days since 1970-01-01 to a civil date (proleptic Gregorian). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	yoe = z - era * 146097;
	yoe = (yoe - yoe / 1460 + yoe / 36524 - yoe / 146096) / 365;
	*y = yoe + era * 400;
	doy = (z - era * 146097) - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	if (*m <= 2)
		(*y)++;
}

int timefmt_rfc3339(int64_t t, char *out, size_t n)
{
	int64_t sec, us, days, rem, y;
	unsigned mo, d;

	/* floor division: -1 us is 1969-12-31T23:59:59.999999Z */
	sec = t / 1000000;
	us = t % 1000000;
	if (us < 0) {
		us += 1000000;
		sec--;
	}
	days = sec / 86400;
	rem = sec % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &mo, &d);
	if (y < 0 || y > 9999) {
		if (n)
			out[0] = '\0';
		return -1;
	}
	snprintf(out, n, "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ", (int)y, mo, d,
		 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), (int)us);
	return 0;
}

void timefmt_span(int64_t us, char *out, size_t n)
{
	int64_t s = us / 1000000;

	if (us < 1000000)
		snprintf(out, n, "%dms", (int)(us / 1000));
	else if (s < 60)
		snprintf(out, n, "%d.%01ds", (int)s, (int)(us / 100000 % 10));
	else if (s < 3600)
		snprintf(out, n, "%dm%02ds", (int)(s / 60), (int)(s % 60));
	else if (s < 86400)
		snprintf(out, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60 % 60));
	else
		snprintf(out, n, "%dd%02dh", (int)(s / 86400), (int)(s / 3600 % 24));
}
