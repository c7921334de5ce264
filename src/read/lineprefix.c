#include "read/lineprefix.h"

#include <string.h>

#include "util/timeparse.h"

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Past one "ESC [ ... m" colour sequence at s[i], if there is one. */
static size_t skip_ansi(const char *s, size_t n, size_t i)
{
	size_t j;

	if (i + 2 >= n || s[i] != '\x1b' || s[i + 1] != '[')
		return i;
	for (j = i + 2; j < n && j < i + 16; j++) {
		if (s[j] == 'm')
			return j + 1;
		if (!is_digit(s[j]) && s[j] != ';')
			return i;
	}
	return i;
}

/* The message starts after exactly one space (or the line ends there). */
static int msg_at(const char *s, size_t n, size_t i, struct line_prefix *lp)
{
	if (i == n) {
		lp->msg = n;
		return 1;
	}
	if (s[i] != ' ')
		return 0;
	lp->msg = i + 1;
	return 1;
}

/* An RFC 3339 time with a 'T', as runtimes write them. */
static size_t iso_t(const char *s, size_t n, int64_t *us)
{
	size_t t = timeparse_rfc3339(s, n, us);

	return t && s[10] == 'T' ? t : 0;
}

/* "2016-10-06T00:17:09.669794202Z stdout F line" */
static int cri(const char *s, size_t n, struct line_prefix *lp)
{
	size_t t = iso_t(s, n, &lp->ts_us), i;

	if (!t || t + 9 > n || s[t] != ' ')
		return 0;
	i = t + 1;
	if (memcmp(s + i, "stdout ", 7) && memcmp(s + i, "stderr ", 7))
		return 0;
	lp->stream = s + i;
	lp->nstream = 6;
	i += 7;
	if (s[i] != 'F' && s[i] != 'P')
		return 0;
	lp->partial = s[i] == 'P';
	if (!msg_at(s, n, i + 1, lp))
		return 0;
	lp->has_ts = 1;
	return 1;
}

/* "web_1  | line", "web-1  | line", coloured or not; "docker compose
 * logs -t" adds a time after the bar. */
static int compose(const char *s, size_t n, struct line_prefix *lp)
{
	size_t i = skip_ansi(s, n, 0), start = i, end, t;
	int64_t us;

	while (i < n && (is_alnum(s[i]) || s[i] == '_' || s[i] == '-' || s[i] == '.'))
		i++;
	end = i;
	if (end == start || end - start > 64 || !is_alnum(s[start]))
		return 0;
	/* a replica number ("web_1", "web-1") or a padded name: not "ERROR |" */
	if (i >= n || s[i] != ' ')
		return 0;
	while (i < n && s[i] == ' ')
		i++;
	if (i >= n || s[i] != '|')
		return 0;
	if (!(is_digit(s[end - 1]) && end - start >= 3 &&
	      (s[end - 2] == '_' || s[end - 2] == '-')) && i - end < 2)
		return 0;
	i = skip_ansi(s, n, i + 1);
	lp->instance = s + start;
	lp->ninstance = end - start;
	if (!msg_at(s, n, i, lp))
		return 0;
	t = iso_t(s + lp->msg, n - lp->msg, &us);
	if (t && lp->msg + t < n && s[lp->msg + t] == ' ') {
		lp->has_ts = 1;
		lp->ts_us = us;
		lp->msg += t + 1;
	}
	return 1;
}

/* "   2025-09-08T04:33:03.14+0000 [APP/PROC/WEB/0] ERR line" */
static int cloudfoundry(const char *s, size_t n, struct line_prefix *lp)
{
	size_t i = 0, t, b;

	while (i < n && s[i] == ' ')
		i++;
	t = iso_t(s + i, n - i, &lp->ts_us);
	if (!t)
		return 0;
	i += t;
	if (i + 2 >= n || s[i] != ' ' || s[i + 1] != '[')
		return 0;
	b = i + 2;
	for (i = b; i < n && s[i] != ']' && s[i] != ' '; i++)
		;
	if (i >= n || s[i] != ']' || i == b || !memchr(s + b, '/', i - b))
		return 0;
	lp->instance = s + b;
	lp->ninstance = i - b;
	i++;
	if (i + 4 > n || s[i] != ' ' || (memcmp(s + i + 1, "OUT", 3) && memcmp(s + i + 1, "ERR", 3)))
		return 0;
	lp->stream = s + i + 1;
	lp->nstream = 3;
	if (!msg_at(s, n, i + 4, lp))
		return 0;
	lp->has_ts = 1;
	return 1;
}

/* "host ident[pid]: line" after a syslog time; need_pid for the ISO
 * form, which a plain "TS word word: text" line could look like. */
static int syslog_rest(const char *s, size_t n, size_t i, int need_pid,
		       struct line_prefix *lp)
{
	size_t h = i, id;

	while (i < n && (is_alnum(s[i]) || s[i] == '.' || s[i] == '-' || s[i] == '_'))
		i++;
	if (i == h || i >= n || s[i] != ' ')
		return 0;
	lp->instance = s + h;
	lp->ninstance = i - h;
	id = ++i;
	while (i < n && s[i] != '[' && s[i] != ':' && s[i] != ' ')
		i++;
	if (i == id || i >= n)
		return 0;
	lp->stream = s + id;
	lp->nstream = i - id;
	if (s[i] == '[') {
		size_t p = ++i;

		while (i < n && is_digit(s[i]))
			i++;
		if (i == p || i >= n || s[i] != ']')
			return 0;
		i++;
	} else if (need_pid) {
		return 0;
	}
	if (i >= n || s[i] != ':')
		return 0;
	if (!msg_at(s, n, i + 1, lp))
		return 0;
	lp->has_ts = 1;
	return 1;
}

static int syslog_month(const char *s, size_t n, int year, struct line_prefix *lp)
{
	size_t t = timeparse_syslog(s, n, year, &lp->ts_us);

	if (!t || t >= n || s[t] != ' ')
		return 0;
	lp->yearless = 1;
	return syslog_rest(s, n, t + 1, 0, lp);
}

static int syslog_iso(const char *s, size_t n, struct line_prefix *lp)
{
	size_t t = iso_t(s, n, &lp->ts_us);

	if (!t || t >= n || s[t] != ' ')
		return 0;
	return syslog_rest(s, n, t + 1, 1, lp);
}

/* "[2025-09-08 04:33:03 +0000] [7] [ERROR] line" */
static int gunicorn(const char *s, size_t n, struct line_prefix *lp)
{
	size_t t, i, p, l;

	if (n < 2 || s[0] != '[')
		return 0;
	t = timeparse_rfc3339(s + 1, n - 1, &lp->ts_us);
	if (!t || 1 + t >= n || s[1 + t] != ']')
		return 0;
	i = t + 2;
	if (i + 2 >= n || s[i] != ' ' || s[i + 1] != '[')
		return 0;
	for (p = i += 2; i < n && is_digit(s[i]); i++)
		;
	if (i == p || i + 2 >= n || s[i] != ']' || s[i + 1] != ' ' || s[i + 2] != '[')
		return 0;
	lp->stream = s + p;
	lp->nstream = i - p;
	for (l = i += 3; i < n && s[i] >= 'A' && s[i] <= 'Z'; i++)
		;
	if (i == l || i >= n || s[i] != ']')
		return 0;
	lp->level = s + l;
	lp->nlevel = i - l;
	if (!msg_at(s, n, i + 1, lp))
		return 0;
	lp->has_ts = 1;
	return 1;
}

/* "2025-09-08T04:33:03.141000+00:00 ecs/web/0a1b2c line": aws logs tail
 * names the log stream; stream names have a '/' ("ecs/web/ID",
 * "2025/09/08/[$LATEST]ID") and a message's first word rarely does. */
static int aws_tail(const char *s, size_t n, struct line_prefix *lp)
{
	size_t t = iso_t(s, n, &lp->ts_us), i, b;
	int slash = 0;

	if (!t || t >= n || s[t] != ' ')
		return 0;
	b = i = t + 1;
	if (i < n && (s[i] == '/' || s[i] == '[' || s[i] == '"'))
		return 0;
	for (; i < n && s[i] != ' '; i++) {
		if (s[i] == '/')
			slash = 1;
		else if (!is_alnum(s[i]) && !strchr("_.-$[]#=", s[i]))
			return 0;
	}
	if (!slash || i >= n || s[i - 1] == '/')
		return 0;
	lp->instance = s + b;
	lp->ninstance = i - b;
	if (!msg_at(s, n, i, lp))
		return 0;
	lp->has_ts = 1;
	return 1;
}

int lineprefix_parse(const char *s, size_t n, unsigned mask, int year,
		     struct line_prefix *lp)
{
	static const struct {
		enum lp_kind kind;
		char first;   /* 'd' a digit, ' ' blank or digit, 0 any */
	} order[] = {
		{ LP_CRI, 'd' }, { LP_CLOUDFOUNDRY, ' ' }, { LP_SYSLOG_ISO, 'd' },
		{ LP_AWS_TAIL, 'd' }, { LP_GUNICORN, '[' }, { LP_SYSLOG, 'A' },
		{ LP_COMPOSE, 0 },
	};
	size_t k;

	memset(lp, 0, sizeof *lp);
	if (!n)
		return 0;
	for (k = 0; k < sizeof order / sizeof *order; k++) {
		enum lp_kind kind = order[k].kind;
		char c = s[0];
		int ok = 0;

		if (!(mask & LP_BIT(kind)))
			continue;
		if ((order[k].first == 'd' && !is_digit(c)) ||
		    (order[k].first == ' ' && !is_digit(c) && c != ' ') ||
		    (order[k].first == '[' && c != '[') ||
		    (order[k].first == 'A' && !(c >= 'A' && c <= 'Z')))
			continue;
		memset(lp, 0, sizeof *lp);
		switch (kind) {
		case LP_CRI: ok = cri(s, n, lp); break;
		case LP_COMPOSE: ok = compose(s, n, lp); break;
		case LP_CLOUDFOUNDRY: ok = cloudfoundry(s, n, lp); break;
		case LP_SYSLOG: ok = syslog_month(s, n, year, lp); break;
		case LP_SYSLOG_ISO: ok = syslog_iso(s, n, lp); break;
		case LP_GUNICORN: ok = gunicorn(s, n, lp); break;
		case LP_AWS_TAIL: ok = aws_tail(s, n, lp); break;
		case LP_NONE: break;
		}
		if (ok) {
			lp->kind = kind;
			return 1;
		}
	}
	memset(lp, 0, sizeof *lp);
	return 0;
}

const char *lineprefix_name(enum lp_kind k)
{
	switch (k) {
	case LP_CRI: return "cri";
	case LP_COMPOSE: return "compose";
	case LP_CLOUDFOUNDRY: return "cloudfoundry";
	case LP_SYSLOG: return "syslog";
	case LP_SYSLOG_ISO: return "syslog";
	case LP_GUNICORN: return "gunicorn";
	case LP_AWS_TAIL: return "aws-tail";
	case LP_NONE: break;
	}
	return "none";
}
