#include "pattern/mask.h"

#include <string.h>

/*
 * Masking: which tokens of a line are variable, by their shape alone. A
 * shape is masked when it is almost never part of what a message says
 * (a number, an address, a quoted value) and kept when it usually is
 * (a word, "sha256", "HTTP/1.1"'s neighbours). What masking misses, the
 * merge in pattern.c catches as a position where messages differ.
 */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static size_t digits(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && is_digit(p[i]))
		i++;
	return i;
}

static int has_digit(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (is_digit(p[i]))
			return 1;
	return 0;
}

static int has_substr(const char *p, size_t n, const char *s)
{
	size_t m = strlen(s), i;

	for (i = 0; i + m <= n; i++)
		if (!memcmp(p + i, s, m))
			return 1;
	return 0;
}

static int is_uuid(const char *p, size_t n)
{
	size_t i;

	if (n != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (p[i] != '-')
				return 0;
		} else if (!is_hex(p[i])) {
			return 0;
		}
	}
	return 1;
}

static int is_email(const char *p, size_t n)
{
	const char *at = memchr(p, '@', n);
	size_t i, a;

	if (!at || at == p)
		return 0;
	a = (size_t)(at - p);
	if (!memchr(at + 1, '.', n - a - 1) || memchr(at + 1, '@', n - a - 1))
		return 0;
	for (i = 0; i < n; i++)
		if (!(is_alpha(p[i]) || is_digit(p[i]) || strchr("._%+-@", p[i])))
			return 0;
	return p[n - 1] != '.';
}

/* d{4}-d{2}-d{2}..., d{4}/d{2}/d{2}..., d{1,2}:d{2}...: the rest in the
 * characters times are written with */
static int is_time(const char *p, size_t n)
{
	size_t i, d = digits(p, n);

	if (d == 4 && n >= 10 && (p[4] == '-' || p[4] == '/') && digits(p + 5, n - 5) == 2 &&
	    p[7] == p[4] && digits(p + 8, n - 8) == 2)
		i = 10;
	else if ((d == 1 || d == 2) && n > d + 2 && p[d] == ':' && digits(p + d + 1, n - d - 1) == 2)
		i = d + 3;
	else
		return 0;
	for (; i < n; i++)
		if (!(is_digit(p[i]) || strchr(":.,+-TZ", p[i])))
			return 0;
	return 1;
}

static int is_ipv4(const char *p, size_t n, size_t *used)
{
	size_t i = 0, part, d;

	for (part = 0; part < 4; part++) {
		d = digits(p + i, n - i);
		if (d < 1 || d > 3)
			return 0;
		i += d;
		if (part < 3) {
			if (i >= n || p[i] != '.')
				return 0;
			i++;
		}
	}
	*used = i;
	return 1;
}

static int is_port(const char *p, size_t n)
{
	return n >= 1 && n <= 5 && digits(p, n) == n;
}

static int is_addr(const char *p, size_t n)
{
	size_t used, i, colons = 0, hexl = 0;
	const char *c;

	if (is_ipv4(p, n, &used))
		return used == n || (p[used] == ':' && is_port(p + used + 1, n - used - 1));
	if (n > 2 && p[0] == '[' && (c = memchr(p, ']', n))) {
		/* [v6]:port */
		size_t e = (size_t)(c - p);

		return e + 1 == n || (p[e + 1] == ':' && is_port(p + e + 2, n - e - 2));
	}
	for (i = 0; i < n; i++) {
		if (p[i] == ':')
			colons++;
		else if (!is_hex(p[i]) && p[i] != '.')
			break;
		else if (!is_digit(p[i]) && p[i] != '.')
			hexl++;
	}
	if (i == n && colons >= 2 && (hexl || has_substr(p, n, "::")))
		return 1;
	/* host:port, the host a name with a letter */
	c = memchr(p, ':', n);
	if (c && c > p && is_port(c + 1, n - (size_t)(c - p) - 1)) {
		int letter = 0;

		for (i = 0; p + i < c; i++) {
			if (!(is_alpha(p[i]) || is_digit(p[i]) || p[i] == '.' || p[i] == '-' ||
			      p[i] == '_'))
				return 0;
			letter |= is_alpha(p[i]);
		}
		return letter;
	}
	return 0;
}

/* a number: [-+]d+([.,]d+)*([eE][-+]?d+)?; its length, 0 when none */
static size_t number(const char *p, size_t n)
{
	size_t i = 0, d;

	if (i < n && (p[i] == '-' || p[i] == '+'))
		i++;
	if (!(d = digits(p + i, n - i)))
		return 0;
	i += d;
	while (i + 1 < n && (p[i] == '.' || p[i] == ',') && is_digit(p[i + 1]))
		i += 1 + digits(p + i + 1, n - i - 1);
	if (i + 1 < n && (p[i] == 'e' || p[i] == 'E')) {
		size_t j = i + 1;

		if (j < n && (p[j] == '-' || p[j] == '+'))
			j++;
		if ((d = digits(p + j, n - j)))
			i = j + d;
	}
	return i;
}

static size_t unit_of(const char *p, size_t n, const char *const *units)
{
	size_t best = 0, i;

	for (i = 0; units[i]; i++) {
		size_t m = strlen(units[i]);

		if (m <= n && m > best && !strncmp(p, units[i], m) &&
		    (m == n || !is_alpha(p[m])))
			best = m;
	}
	return best;
}

static const char *const time_units[] = {
	"ns", "us", "\xc2\xb5s", "ms", "s", "m", "h", "d", "sec", "secs", "second", "seconds",
	"min", "mins", "minute", "minutes", "hr", "hrs", "hour", "hours", "day", "days", NULL,
};
static const char *const size_units[] = {
	"B", "b", "KB", "kB", "K", "k", "MB", "M", "GB", "G", "TB", "KiB", "MiB", "GiB", "TiB",
	"bytes", "%", "x", NULL,
};

/* 1m30.5s, 50ms, 2h: (number unit)+ */
static int is_duration(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t d = number(p + i, n - i), u;

		if (!d || p[i] == '-' || p[i] == '+')
			return 0;
		i += d;
		if (!(u = unit_of(p + i, n - i, time_units)))
			return 0;
		i += u;
	}
	return 1;
}

static int is_number(const char *p, size_t n)
{
	size_t d = number(p, n);

	if (!d)
		return 0;
	return d == n || unit_of(p + d, n - d, size_units) == n - d;
}

static int is_hexnum(const char *p, size_t n)
{
	size_t i, letters = 0;

	if (n > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		for (i = 2; i < n; i++)
			if (!is_hex(p[i]))
				return 0;
		return 1;
	}
	if (n < 6)
		return 0;
	for (i = 0; i < n; i++) {
		if (!is_hex(p[i]))
			return 0;
		letters += !is_digit(p[i]);
	}
	return letters && letters < n;
}

static int is_path(const char *p, size_t n)
{
	size_t i, slashes = 0;
	const char *dot;

	if (n >= 3 && is_alpha(p[0]) && p[1] == ':' && p[2] == '\\')
		return 1;
	if (n > 1 && p[0] == '/' && (is_alpha(p[1]) || is_digit(p[1]) || strchr("_.~-", p[1])))
		return 1;
	if ((n > 2 && !strncmp(p, "./", 2)) || (n > 3 && !strncmp(p, "../", 3)) ||
	    (n > 2 && !strncmp(p, "~/", 2)))
		return 1;
	for (i = 0; i < n; i++)
		slashes += p[i] == '/';
	if (slashes >= 2 && p[n - 1] != '/')
		return 1;
	/* dir/file.ext */
	dot = n ? memchr(p, '.', n) : NULL;
	if (slashes == 1 && dot && p[0] != '/' && dot > (const char *)memchr(p, '/', n)) {
		for (i = (size_t)(dot - p) + 1; i < n; i++)
			if (!is_alpha(p[i]))
				return 0;
		return (size_t)(dot - p) + 1 < n;
	}
	return 0;
}

/*
 * Words with a digit that are names, not values: letters then at most
 * three digits, maybe letters again (sha256, utf8, int64, http2, ipv4,
 * Int32Array), and short ones like e2e, k8s, log4j.
 */
static int is_name_with_digits(const char *p, size_t n)
{
	size_t i = 0, a, d;
	int sep = 0;

	while (i < n && is_alpha(p[i]))
		i++;
	a = i;
	if (i < n && (p[i] == '-' || p[i] == '_') && a >= 2) {
		i++;
		sep = 1;
	}
	d = digits(p + i, n - i);
	if (!a || !d || d > 3)
		return 0;
	i += d;
	/* after a separator only digits (utf-8, sha-256): ws_3bbcef is an id */
	while (!sep && i < n && is_alpha(p[i]))
		i++;
	if (i != n)
		return 0;
	return a >= 2 || n <= 5;
}

enum pattern_kind mask_classify(const char *p, size_t n)
{
	if (!n)
		return PATTERN_LITERAL;
	if (has_substr(p, n, "://"))
		return PATTERN_URL;
	if (is_uuid(p, n))
		return PATTERN_UUID;
	if (is_email(p, n))
		return PATTERN_EMAIL;
	if (is_time(p, n))
		return PATTERN_TIME;
	if (is_addr(p, n))
		return PATTERN_IP;
	if (is_duration(p, n))
		return PATTERN_DUR;
	if (is_number(p, n))
		return PATTERN_NUM;
	if (is_hexnum(p, n))
		return PATTERN_HEX;
	if (is_path(p, n))
		return PATTERN_PATH;
	if (has_digit(p, n) && !is_name_with_digits(p, n))
		return PATTERN_ID;
	return PATTERN_LITERAL;
}

#define OPENERS "([{<"
#define CLOSERS ")]}>,;:.!?"

static int is_closer(char c)
{
	return strchr(CLOSERS, c) != NULL && c != '\0';
}

/* A closing quote q at or after i: one followed by the end, a space or
 * closing punctuation. Its index, or n when none. */
static size_t close_quote(const char *s, size_t n, size_t i, char q)
{
	for (; i < n; i++)
		if (s[i] == q && (i + 1 == n || is_space(s[i + 1]) || is_closer(s[i + 1]) ||
				  s[i + 1] == q))
			return i;
	return n;
}

static int ident(const char *p, size_t n)
{
	size_t i;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		if (!(is_alpha(p[i]) || is_digit(p[i]) || strchr("_.-", p[i])))
			return 0;
	return 1;
}

/* logfmt's message keys: msg="request done" is the message, not a value */
static int text_key(const char *p, size_t n)
{
	static const char *const keys[] = { "msg", "message", "error", "err", "event", NULL };
	size_t i;

	for (i = 0; keys[i]; i++)
		if (strlen(keys[i]) == n && !memcmp(keys[i], p, n))
			return 1;
	return 0;
}

size_t mask_tokens(const char *s, size_t n, struct mask_tok *out, size_t max)
{
	size_t i = 0, nt = 0;

	while (i < n && nt < max) {
		size_t start, e, a, b, k;
		struct mask_tok *t;

		while (i < n && is_space(s[i]))
			i++;
		if (i >= n)
			break;
		start = i;
		while (i < n && !is_space(s[i]))
			i++;
		e = i;
		t = &out[nt++];
		t->p = s + start;
		t->n = e - start;
		t->kind = PATTERN_LITERAL;
		t->pre = t->post = 0;

		/* a quoted value, which may hold spaces: after openers, or
		 * after key= / key: */
		for (a = start; a < e && strchr(OPENERS, s[a]); a++)
			;
		k = a;
		if (a < e && s[a] != '"' && s[a] != '\'' && s[a] != '`') {
			for (k = a; k < e && s[k] != '=' && s[k] != ':' && s[k] != '"' && s[k] != '\''; k++)
				;
			if (k < e && (s[k] == '=' || s[k] == ':') && ident(s + a, k - a) &&
			    !text_key(s + a, k - a))
				k++;
			else
				k = e;
		}
		if (k < e && (s[k] == '"' || s[k] == '\'' || s[k] == '`')) {
			size_t c = close_quote(s, n, k + 1, s[k]);

			if (c < n) {
				size_t post = c + 1;

				while (post < n && !is_space(s[post]))
					post++;
				t->n = post - start;
				t->kind = PATTERN_STR;
				t->pre = k + 1 - start;
				t->post = post - c;
				i = post;
				continue;
			}
		}

		/* a plain word: trim punctuation, then key=value */
		b = e;
		while (b > a && is_closer(s[b - 1]))
			b--;
		if (b <= a)
			continue;
		if (a > start && s[start] == '[' && is_addr(s + start, b - start))
			a = start;   /* [::1]:8080 */
		for (k = a; k < b && s[k] != '='; k++)
			;
		if (k < b && k > a && k + 1 < b && ident(s + a, k - a))
			a = k + 1;
		t->kind = mask_classify(s + a, b - a);
		if (t->kind != PATTERN_LITERAL) {
			t->pre = a - start;
			t->post = e - b;
		}
	}
	if (nt == max && i < n) {
		/* the rest of the line is one wildcard */
		while (i < n && is_space(s[i]))
			i++;
		if (i < n) {
			out[max - 1].kind = PATTERN_WILD;
			out[max - 1].pre = out[max - 1].post = 0;
		}
	}
	return nt;
}
