#include "util/timeparse.h"

#include <string.h>

/* Hinnant's algorithm: no timegm, no TZ, same answer everywhere. */
int64_t timeparse_days(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int timeparse_year(int64_t us)
{
	int64_t z = (us >= 0 ? us : us - 86399999999LL) / 86400000000LL + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;

	return (int)((int64_t)yoe + era * 400 + (m <= 2));
}

static int digits(const char *s, size_t n, size_t at, size_t k, int *out)
{
	int v = 0;
	size_t i;

	if (at + k > n)
		return 0;
	for (i = 0; i < k; i++) {
		if (s[at + i] < '0' || s[at + i] > '9')
			return 0;
		v = v * 10 + (s[at + i] - '0');
	}
	*out = v;
	return 1;
}

/* ".537294" or ",537": the fraction as microseconds; i moves past it. */
static int64_t fraction(const char *s, size_t n, size_t *i)
{
	int64_t frac = 0, scale = 1000000;
	size_t j = *i;

	if (j + 1 < n && (s[j] == '.' || s[j] == ',') && s[j + 1] >= '0' && s[j + 1] <= '9') {
		for (j++; j < n && s[j] >= '0' && s[j] <= '9'; j++) {
			if (scale > 1) {
				scale /= 10;
				frac += (s[j] - '0') * scale;
			}
		}
		*i = j;
	}
	return frac;
}

/* "Z", "+02:00", "+0200"; with a space first when allow_space
 * ("... +0000"). The offset in seconds east of UTC; i moves past it when
 * there is one. */
static int offset(const char *s, size_t n, size_t *i, int allow_space, int64_t *east)
{
	size_t j = *i;
	int oh, om, sign;

	*east = 0;
	if (j < n && (s[j] == 'Z' || s[j] == 'z')) {
		*i = j + 1;
		return 1;
	}
	if (allow_space && j + 1 < n && s[j] == ' ' && (s[j + 1] == '+' || s[j + 1] == '-'))
		j++;
	if (j >= n || (s[j] != '+' && s[j] != '-') || !digits(s, n, j + 1, 2, &oh))
		return 0;
	sign = s[j] == '-' ? -1 : 1;
	j += 3;
	if (j < n && s[j] == ':')
		j++;
	if (!digits(s, n, j, 2, &om) || oh > 23 || om > 59)
		return 0;
	*east = sign * (int64_t)(oh * 3600 + om * 60);
	*i = j + 2;
	return 1;
}

size_t timeparse_rfc3339(const char *s, size_t n, int64_t *us)
{
	int y, mo, d, h, mi, sec;
	int64_t frac, t, east;
	size_t i;

	if (n < 19 || !digits(s, n, 0, 4, &y) || s[4] != '-' ||
	    !digits(s, n, 5, 2, &mo) || s[7] != '-' || !digits(s, n, 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    !digits(s, n, 11, 2, &h) || s[13] != ':' || !digits(s, n, 14, 2, &mi) ||
	    s[16] != ':' || !digits(s, n, 17, 2, &sec))
		return 0;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return 0;
	i = 19;
	frac = fraction(s, n, &i);
	t = (timeparse_days(y, (unsigned)mo, (unsigned)d) * 86400 +
	     h * 3600 + mi * 60 + sec) * 1000000 + frac;
	/* a space before the offset only where a digit follows the sign:
	 * "2025-09-08 04:33:03 +0000" but not "... - logger - INFO" */
	if (offset(s, n, &i, s[10] == ' ', &east))
		t -= east * 1000000;
	*us = t;
	return i;
}

static int month(const char *s, size_t n, size_t at)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int m;

	if (at + 3 > n)
		return 0;
	for (m = 0; m < 12; m++)
		if (!memcmp(s + at, names + 3 * m, 3))
			return m + 1;
	return 0;
}

size_t timeparse_syslog(const char *s, size_t n, int year, int64_t *us)
{
	int mo, d, h, mi, sec;
	size_t i = 4;
	int64_t frac;

	if (n < 15 || !(mo = month(s, n, 0)) || s[3] != ' ')
		return 0;
	if (s[4] == ' ')
		i = 5;   /* "Sep  8" */
	if (digits(s, n, i, 2, &d))
		i += 2;
	else if (digits(s, n, i, 1, &d))
		i += 1;
	else
		return 0;
	if (i + 9 > n || s[i] != ' ' || !digits(s, n, i + 1, 2, &h) || s[i + 3] != ':' ||
	    !digits(s, n, i + 4, 2, &mi) || s[i + 6] != ':' || !digits(s, n, i + 7, 2, &sec))
		return 0;
	if (d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return 0;
	i += 9;
	frac = fraction(s, n, &i);
	*us = (timeparse_days(year, (unsigned)mo, (unsigned)d) * 86400 +
	       h * 3600 + mi * 60 + sec) * 1000000 + frac;
	return i;
}

size_t timeparse_clf(const char *s, size_t n, int64_t *us)
{
	int d, mo, y, h, mi, sec;
	int64_t east, frac;
	size_t i;

	if (n < 20 || !digits(s, n, 0, 2, &d) || s[2] != '/' || !(mo = month(s, n, 3)) ||
	    s[6] != '/' || !digits(s, n, 7, 4, &y) || s[11] != ':' ||
	    !digits(s, n, 12, 2, &h) || s[14] != ':' || !digits(s, n, 15, 2, &mi) ||
	    s[17] != ':' || !digits(s, n, 18, 2, &sec))
		return 0;
	if (d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return 0;
	i = 20;
	frac = fraction(s, n, &i);
	*us = (timeparse_days(y, (unsigned)mo, (unsigned)d) * 86400 +
	       h * 3600 + mi * 60 + sec) * 1000000 + frac;
	if (offset(s, n, &i, 1, &east))
		*us -= east * 1000000;
	return i;
}
