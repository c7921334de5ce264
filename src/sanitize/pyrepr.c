#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sanitize/sanitize_impl.h"
#include "util/jscan.h"

/* A repr nests at most this deep before pyrepr_skip gives up. */
#define PYREPR_MAX_DEPTH 64
/* How far an object repr's '>' may be from its '<'. */
#define PYREPR_MAX_ANGLE 512

static int ident_char(int c)
{
	return isalnum(c) || c == '_';
}

static int sp(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

size_t pyrepr_string_end(const char *s, size_t n, size_t i)
{
	char q = s[i];
	size_t j = i + 1;

	while (j < n) {
		/* a double-quoted string (every JSON one) skips its plain runs
		 * 16 bytes at a time */
		if (q == '"' && (j = (size_t)(jscan_plain(s + j, s + n, 0) - s)) >= n)
			break;
		if (s[j] == '\\')
			j += 2;
		else if (s[j] == q)
			return j + 1;
		else
			j++;
	}
	return 0;
}

size_t pyrepr_skip(const char *s, size_t n, size_t i)
{
	char stack[PYREPR_MAX_DEPTH];
	size_t depth = 0, j = i;

	while (j < n) {
		char c = s[j];
		const char *o;

		if (c == '\'' || c == '"') {
			size_t e = pyrepr_string_end(s, n, j);

			if (!e)
				return 0;
			j = e;
			continue;
		}
		if ((o = strchr("([{<", c)) && c) {
			if (depth == PYREPR_MAX_DEPTH)
				return 0;
			stack[depth++] = ")]}>"[o - "([{<"];
			j++;
			continue;
		}
		if (c && strchr(")]}>", c)) {
			if (!depth)
				return j;
			if (stack[depth - 1] != c)
				return 0;
			depth--;
			j++;
			continue;
		}
		if (!depth && (c == ',' || c == ':'))
			return j;
		j++;
	}
	return depth ? 0 : j;
}

int pyrepr_suspect(const char *s, size_t n)
{
	return jscan_any4(s, s + n, '<', '(', '\'', '"') != s + n;
}

static int name_is(const char *s, size_t n, const char *const *names)
{
	for (; *names; names++)
		if (strlen(*names) == n && memcmp(*names, s, n) == 0)
			return 1;
	return 0;
}

static size_t skip_sp(const char *s, size_t n, size_t i)
{
	while (i < n && sp((unsigned char)s[i]))
		i++;
	return i;
}

/* ---- call arguments: ints, keywords, one tzinfo expression ---- */

struct args {
	long long v[8];
	int nv;
	long long kw[4];        /* days, seconds, microseconds, fold */
	unsigned kwset;
	size_t tz, tze;         /* tzinfo= expression span */
	int has_tz;
	size_t str, stre;       /* a single string argument: content span */
	int has_str;
	char strq;
};

static size_t parse_int(const char *s, size_t n, size_t i, long long *v)
{
	size_t j = i, d = 0;
	int neg = 0;
	long long x = 0;

	if (j < n && s[j] == '-') {
		neg = 1;
		j++;
	}
	while (j < n && s[j] >= '0' && s[j] <= '9' && d < 15) {
		x = x * 10 + (s[j++] - '0');
		d++;
	}
	if (!d || (j < n && (ident_char((unsigned char)s[j]) || s[j] == '.')))
		return 0;
	*v = neg ? -x : x;
	return j;
}

/* s[i] is just after '('. Returns the index after ')' or 0. */
static size_t parse_args(const char *s, size_t n, size_t i, struct args *a)
{
	static const char *const kws[] = { "days", "seconds", "microseconds", "fold" };

	memset(a, 0, sizeof *a);
	for (;;) {
		size_t j, k;

		i = skip_sp(s, n, i);
		if (i >= n)
			return 0;
		if (s[i] == ')')
			return i + 1;
		for (j = i; j < n && ident_char((unsigned char)s[j]); j++)
			;
		if (j > i && j < n && s[j] == '=' && !isdigit((unsigned char)s[i])) {
			if (j - i == 6 && !memcmp(s + i, "tzinfo", 6)) {
				a->tz = j + 1;
				a->tze = pyrepr_skip(s, n, j + 1);
				if (!a->tze)
					return 0;
				a->has_tz = 1;
				i = a->tze;
			} else {
				for (k = 0; k < 4; k++)
					if (strlen(kws[k]) == j - i && !memcmp(s + i, kws[k], j - i))
						break;
				if (k == 4 || !(i = parse_int(s, n, j + 1, &a->kw[k])))
					return 0;
				a->kwset |= 1u << k;
			}
		} else if (s[i] == '\'' || s[i] == '"') {
			size_t e = pyrepr_string_end(s, n, i);

			if (!e || a->has_str || a->nv)
				return 0;
			a->has_str = 1;
			a->strq = s[i];
			a->str = i + 1;
			a->stre = e - 1;
			i = e;
		} else {
			if (a->nv == 8 || !(i = parse_int(s, n, i, &a->v[a->nv])))
				return 0;
			a->nv++;
		}
		i = skip_sp(s, n, i);
		if (i < n && s[i] == ',')
			i++;
		else if (i >= n || s[i] != ')')
			return 0;
	}
}

static int timedelta_us(const struct args *a, long long *us)
{
	long long d = 0, sec = 0, u = 0;

	if (a->has_str || a->has_tz || a->nv > 3 || (a->nv && a->kwset))
		return -1;
	if (a->nv) {
		d = a->v[0];
		sec = a->nv > 1 ? a->v[1] : 0;
		u = a->nv > 2 ? a->v[2] : 0;
	} else {
		d = a->kw[0];
		sec = a->kw[1];
		u = a->kw[2];
	}
	if (d > 999999999LL || d < -999999999LL)
		return -1;
	*us = (d * 86400LL + sec) * 1000000LL + u;
	return 0;
}

/* Offset in seconds of a tzinfo expression Python prints; -1 unknown. */
static int tz_offset(const char *s, size_t n, long *off)
{
	static const char *const utc[] = {
		"datetime.timezone.utc", "timezone.utc", "tzutc()", "<UTC>", "UTC",
		"pytz.UTC", "zoneinfo.ZoneInfo(key='UTC')", "ZoneInfo(key='UTC')",
		"tzlocal()" /* not UTC, but dateutil prints naive-local; refused below */,
		NULL,
	};
	static const char *const pre[] = { "datetime.timezone(", "timezone(", NULL };
	const char *const *p;
	struct args a;
	size_t i, e;
	long long us;

	while (n && sp((unsigned char)s[n - 1]))
		n--;
	if (n == 9 && !memcmp(s, "tzlocal()", 9))
		return -1;
	if (name_is(s, n, utc)) {
		*off = 0;
		return 0;
	}
	for (p = pre; *p; p++)
		if (n > strlen(*p) && !memcmp(s, *p, strlen(*p)))
			break;
	if (!*p)
		return -1;
	i = strlen(*p);
	if (n - i > 19 && !memcmp(s + i, "datetime.timedelta(", 19))
		i += 19;
	else if (n - i > 10 && !memcmp(s + i, "timedelta(", 10))
		i += 10;
	else
		return -1;
	e = parse_args(s, n, i, &a);
	if (!e || timedelta_us(&a, &us) < 0 || us % 1000000 || us <= -86400000000LL ||
	    us >= 86400000000LL)
		return -1;
	e = skip_sp(s, n, e);
	if (e < n && s[e] == ',') {
		/* the zone's name: timezone(timedelta(hours=1), 'CET') */
		e = skip_sp(s, n, e + 1);
		if (e >= n || (s[e] != '\'' && s[e] != '"') || !(e = pyrepr_string_end(s, n, e)))
			return -1;
		e = skip_sp(s, n, e);
	}
	if (e + 1 != n || s[e] != ')')
		return -1;
	*off = (long)(us / 1000000);
	return 0;
}

static int put_offset(struct buf *b, long off)
{
	char sign = off < 0 ? '-' : '+';

	if (off < 0)
		off = -off;
	if (off % 60)
		return buf_addf(b, "%c%02ld:%02ld:%02ld", sign, off / 3600, off / 60 % 60, off % 60);
	return buf_addf(b, "%c%02ld:%02ld", sign, off / 3600, off / 60 % 60);
}

static int put_time(struct buf *b, const long long *v, int nv)
{
	long long h = nv > 0 ? v[0] : 0, m = nv > 1 ? v[1] : 0, sec = nv > 2 ? v[2] : 0,
		  us = nv > 3 ? v[3] : 0;

	if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59 || us < 0 || us > 999999)
		return -1;
	if (buf_addf(b, "%02lld:%02lld:%02lld", h, m, sec) < 0)
		return -1;
	return us ? buf_addf(b, ".%06lld", us) : 0;
}

static int put_date(struct buf *b, const long long *v)
{
	if (v[0] < 1 || v[0] > 9999 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31)
		return -1;
	return buf_addf(b, "%04lld-%02lld-%02lld", v[0], v[1], v[2]);
}

/* ISO 8601 duration: "P1DT2H3M4.5S", "-PT0.000001S", "PT0S". */
static int put_duration(struct buf *b, long long us)
{
	unsigned long long t = us < 0 ? (unsigned long long)(-(us + 1)) + 1 : (unsigned long long)us;
	unsigned long long d = t / 86400000000ULL, r = t % 86400000000ULL;
	unsigned long long h = r / 3600000000ULL, m = r / 60000000ULL % 60,
			   sec = r / 1000000ULL % 60, frac = r % 1000000ULL;
	int rc = buf_adds(b, us < 0 ? "-P" : "P");

	if (d)
		rc |= buf_addf(b, "%lluD", d);
	if (h || m || sec || frac || !d) {
		rc |= buf_addc(b, 'T');
		if (h)
			rc |= buf_addf(b, "%lluH", h);
		if (m)
			rc |= buf_addf(b, "%lluM", m);
		if (sec || frac || (!h && !m)) {
			rc |= buf_addf(b, "%llu", sec);
			if (frac) {
				char f[8];
				int k = 6;

				snprintf(f, sizeof f, "%06llu", frac);
				while (k > 1 && f[k - 1] == '0')
					k--;
				f[k] = '\0';
				rc |= buf_addf(b, ".%s", f);
			}
			rc |= buf_addc(b, 'S');
		}
	}
	return rc ? -1 : 0;
}

static int decode_into(struct buf *out, const char *s, size_t n, unsigned flags)
{
	unsigned long dummy[SAN_NKINDS] = { 0 };
	int fixed = 0;

	return jsonfix_decode(s, n, flags, out, dummy, &fixed);
}

/* b'...' at s[i]: index after it, or 0. */
static size_t bytes_lit(const char *s, size_t n, size_t i, struct pyatom *a)
{
	size_t e;

	if (i + 1 >= n || (s[i] != 'b' && s[i] != 'B') || (s[i + 1] != '\'' && s[i + 1] != '"'))
		return 0;
	e = pyrepr_string_end(s, n, i + 1);
	if (!e || decode_into(a->text, s + i + 2, e - i - 3, JF_PY | JF_BYTES) < 0)
		return 0;
	a->kind = SAN_BYTES_REPR;
	a->type = PYATOM_STR;
	return e;
}

static size_t call(const char *s, size_t n, size_t i, size_t j, struct pyatom *a)
{
	static const char *const dt[] = { "datetime.datetime", NULL };
	static const char *const d[] = { "datetime.date", NULL };
	static const char *const t[] = { "datetime.time", NULL };
	static const char *const td[] = { "datetime.timedelta", NULL };
	static const char *const uuid[] = { "UUID", "uuid.UUID", NULL };
	static const char *const dec[] = { "Decimal", "decimal.Decimal", NULL };
	const char *name = s + i;
	size_t nl = j - i, e;
	struct args g;
	struct buf *b = a->text;
	long off = 0;

	if (name_is(name, nl, (const char *const[]){ "bytearray", NULL })) {
		size_t k = skip_sp(s, n, j + 1), end;

		if (k < n && s[k] == ')') {
			a->kind = SAN_BYTES_REPR;
			a->type = PYATOM_STR;
			return k + 1;
		}
		end = bytes_lit(s, n, k, a);
		if (!end)
			return 0;
		end = skip_sp(s, n, end);
		return end < n && s[end] == ')' ? end + 1 : 0;
	}
	e = parse_args(s, n, j + 1, &g);
	if (!e)
		return 0;
	if (name_is(name, nl, uuid) || name_is(name, nl, dec)) {
		int is_int;
		size_t len;

		if (!g.has_str || g.nv || g.kwset || g.has_tz)
			return 0;
		if (decode_into(b, s + g.str, g.stre - g.str, JF_PY) < 0)
			return 0;
		a->type = PYATOM_STR;
		if (name_is(name, nl, uuid)) {
			a->kind = SAN_UUID_REPR;
			return e;
		}
		a->kind = SAN_DECIMAL_REPR;
		len = b->len;
		if (len && jsonfix_number(b->p, len, &is_int) == len)
			a->type = PYATOM_NUM;
		else if (len && (strstr(b->p, "NaN") || strstr(b->p, "Infinity") ||
				 strstr(b->p, "inf")))
			a->type = PYATOM_NULL;
		return e;
	}
	if (g.has_str)
		return 0;
	a->kind = SAN_DATETIME_REPR;
	a->type = PYATOM_STR;
	if (g.has_tz && tz_offset(s + g.tz, g.tze - g.tz, &off) < 0)
		return 0;
	if (name_is(name, nl, dt)) {
		if (g.nv < 3 || g.kwset & 7u || put_date(b, g.v) < 0 || buf_addc(b, 'T') < 0 ||
		    put_time(b, g.v + 3, g.nv - 3) < 0 || (g.has_tz && put_offset(b, off) < 0))
			return 0;
		return e;
	}
	if (name_is(name, nl, d))
		return g.nv == 3 && !g.kwset && !g.has_tz && put_date(b, g.v) == 0 ? e : 0;
	if (name_is(name, nl, t)) {
		if (g.nv > 4 || g.kwset & 7u || put_time(b, g.v, g.nv) < 0 ||
		    (g.has_tz && put_offset(b, off) < 0))
			return 0;
		return e;
	}
	if (name_is(name, nl, td)) {
		long long us;

		if (timedelta_us(&g, &us) < 0 || put_duration(b, us) < 0)
			return 0;
		return e;
	}
	return 0;
}

static int add_lower(struct buf *b, const char *s, size_t n, int lower)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (buf_addc(b, lower ? (char)tolower((unsigned char)s[i]) : s[i]) < 0)
			return -1;
	return 0;
}

static size_t angle(const char *s, size_t n, size_t i, enum sanitize_enum style,
		    int in_text, struct pyatom *a)
{
	size_t j = i + 1, dot = 0, k;
	struct buf *b = a->text;

	while (j < n && (ident_char((unsigned char)s[j]) || s[j] == '.' || s[j] == '|')) {
		if (s[j] == '.')
			dot = j;
		j++;
	}
	if (dot && dot + 1 < j && j + 1 < n && s[j] == ':' && s[j + 1] == ' ' &&
	    ident_char((unsigned char)s[i + 1])) {
		size_t vs = j + 2, ve = pyrepr_skip(s, n, vs);

		if (ve && ve < n && s[ve] == '>') {
			a->kind = SAN_ENUM_REPR;
			a->type = PYATOM_STR;
			switch (style) {
			case SAN_ENUM_KEEP:
				if (in_text || buf_add(b, s + i, ve + 1 - i) < 0)
					return 0;
				break;
			case SAN_ENUM_LOWER:
			case SAN_ENUM_NAME:
				if (add_lower(b, s + dot + 1, j - dot - 1, style == SAN_ENUM_LOWER) < 0)
					return 0;
				break;
			case SAN_ENUM_VALUE: {
				int is_int;

				if ((s[vs] == '\'' || s[vs] == '"') && pyrepr_string_end(s, n, vs) == ve) {
					if (decode_into(b, s + vs + 1, ve - vs - 2, JF_PY) < 0)
						return 0;
				} else {
					if (jsonfix_number(s + vs, ve - vs, &is_int) == ve - vs)
						a->type = PYATOM_NUM;
					if (buf_add(b, s + vs, ve - vs) < 0)
						return 0;
				}
				break;
			}
			}
			return ve + 1;
		}
	}
	/* <pkg.Thing object at 0x7f3a...>: the address changes every run */
	for (k = i + 1; k < n && k - i < PYREPR_MAX_ANGLE && s[k] != '>' && s[k] != '<'; k++)
		;
	if (k < n && s[k] == '>') {
		size_t h = k;

		while (h > i && isxdigit((unsigned char)s[h - 1]))
			h--;
		if (h < k && h >= i + 7 && !memcmp(s + h - 6, " at 0x", 6) && h - 6 > i + 1) {
			a->kind = SAN_OBJECT_REPR;
			a->type = PYATOM_STR;
			if (buf_addc(b, '<') < 0 || buf_add(b, s + i + 1, h - 6 - i - 1) < 0 ||
			    buf_addc(b, '>') < 0)
				return 0;
			return k + 1;
		}
	}
	if (in_text)
		return 0;
	k = pyrepr_skip(s, n, i);
	if (!k || k == i)
		return 0;
	while (k > i && sp((unsigned char)s[k - 1]))
		k--;
	a->kind = SAN_OBJECT_REPR;
	a->type = PYATOM_STR;
	return buf_add(b, s + i, k - i) < 0 ? 0 : k;
}

size_t pyrepr_atom(const char *s, size_t n, size_t i, enum sanitize_enum style,
		   int in_text, struct pyatom *a)
{
	size_t j, e;

	buf_reset(a->text);
	if (i >= n)
		return 0;
	if (s[i] == '<')
		return angle(s, n, i, style, in_text, a);
	if ((e = bytes_lit(s, n, i, a)))
		return e;
	for (j = i; j < n && (ident_char((unsigned char)s[j]) || s[j] == '.'); j++)
		;
	if (j == i || j >= n || s[j] != '(')
		return 0;
	e = call(s, n, i, j, a);
	if (!e)
		buf_reset(a->text);
	return e;
}

int pyrepr_rewrite(const char *s, size_t n, enum sanitize_enum style,
		   struct buf *out, struct buf *tmp, unsigned long *cnt)
{
	struct pyatom a;
	size_t i, last = 0;
	int any = 0;

	a.text = tmp;
	for (i = 0; i < n; i++) {
		char c = s[i];
		size_t e;

		if (c != '<' && !((c == 'd' || c == 'D' || c == 'U' || c == 'u' || c == 'b' ||
				   c == 'B') &&
				  (i == 0 || (!ident_char((unsigned char)s[i - 1]) && s[i - 1] != '.'))))
			continue;
		e = pyrepr_atom(s, n, i, style, 1, &a);
		if (!e)
			continue;
		if (buf_add(out, s + last, i - last) < 0 || buf_add(out, tmp->p ? tmp->p : "", tmp->len) < 0)
			return -1;
		cnt[a.kind]++;
		last = e;
		i = e - 1;
		any = 1;
	}
	if (any && buf_add(out, s + last, n - last) < 0)
		return -1;
	return any;
}
