#include <ctype.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "sanitize/sanitize_impl.h"

/* Field names are compared in snake case: apiKey, API-KEY and api_key are
 * one name. Longer names are judged by their tail. */
#define REDACT_NAME_MAX 96

static const char *const secret_names[] = {
	"password", "passwd", "pwd", "secret", "token", "api_key", "apikey",
	"access_token", "refresh_token", "id_token", "auth_token", "session_token",
	"client_secret", "private_key", "secret_key", "authorization",
	"proxy_authorization", "cookie", "set_cookie", "jwt", "bearer",
	"credentials", "x_api_key", NULL,
};

static const char *const secret_suffixes[] = {
	"_password", "_passwd", "_pwd", "_secret", "_token", "_key", "_apikey",
	"_jwt", NULL,
};

/* *_key and *_token names that are identifiers, not credentials. */
static const char *const not_secret[] = {
	"idempotency_key", "cache_key", "partition_key", "sort_key", "primary_key",
	"foreign_key", "routing_key", "object_key", "s3_key", "dedup_key",
	"dedupe_key", "deduplication_key", "lookup_key", "row_key", "hash_key",
	"index_key", "public_key", "message_key", "event_key", "state_key",
	"storage_key", "group_key", "map_key", "redis_key", "bucket_key",
	"file_key", "task_key", "job_key", "cursor_key", "page_key", "lock_key",
	"shard_key", "correlation_key", "sorting_key", "api_key_id", "key_id",
	"next_page_token", "page_token", "continuation_token", "pagination_token",
	"cancellation_token", "sync_token", "max_token", NULL,
};

static size_t snake(const char *s, size_t n, char *out)
{
	size_t i, k = 0;

	if (n > REDACT_NAME_MAX) {
		s += n - REDACT_NAME_MAX;
		n = REDACT_NAME_MAX;
	}
	for (i = 0; i < n && k < 2 * REDACT_NAME_MAX - 1; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isupper(c) && i > 0 && islower((unsigned char)s[i - 1]))
			out[k++] = '_';
		if (c == '-' || c == '.' || c == ' ')
			c = '_';
		out[k++] = (char)tolower(c);
	}
	out[k] = '\0';
	return k;
}

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

/* Every secret name ends in one of these (case aside): most keys fail
 * this test, so the lists below are only read for candidates. */
#define E(s) { s, sizeof s - 1 }
static const struct { const char *s; size_t n; } endings[] = {
	E("password"), E("passwd"), E("pwd"), E("secret"), E("token"), E("key"),
	E("jwt"), E("authorization"), E("cookie"), E("bearer"), E("credentials"),
};
#undef E

static int candidate(const char *name, size_t n)
{
	size_t k;

	for (k = 0; k < sizeof endings / sizeof *endings; k++) {
		const char *e = endings[k].s;
		size_t l = endings[k].n, i;

		if (n < l || (name[n - 1] | 0x20) != e[l - 1])
			continue;
		for (i = 0; i < l && tolower((unsigned char)name[n - l + i]) == e[i]; i++)
			;
		if (i == l)
			return 1;
	}
	return 0;
}

int redact_field(const char *name, size_t n)
{
	char s[2 * REDACT_NAME_MAX];
	size_t k;
	const char *const *suf;

	if (!candidate(name, n))
		return 0;
	k = snake(name, n, s);

	if (in_list(s, secret_names))
		return 1;
	if (in_list(s, not_secret))
		return 0;
	for (suf = secret_suffixes; *suf; suf++) {
		size_t l = strlen(*suf);

		if (k > l && !strcmp(s + k - l, *suf))
			return 1;
	}
	return 0;
}

static int b64url(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_';
}

static int ci_word(const char *s, size_t n, size_t i, const char *w)
{
	size_t l = strlen(w), k;

	if (i + l > n || (i > 0 && isalnum((unsigned char)s[i - 1])))
		return 0;
	for (k = 0; k < l; k++)
		if (tolower((unsigned char)s[i + k]) != w[k])
			return 0;
	return 1;
}

/* Cheap and never missing a real one: a hit is confirmed later. Only the
 * bytes e, b and B can start a JWT or a Bearer/Basic credential. */
int redact_suspect(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 3 <= n; i++) {
		unsigned char c = (unsigned char)s[i], c1, c2;

		if (c != 'e' && (c | 0x20) != 'b')
			continue;
		c1 = (unsigned char)s[i + 1];
		c2 = (unsigned char)s[i + 2];
		if (c == 'e' && c1 == 'y' && c2 == 'J')
			return 1;
		if ((c | 0x20) == 'b' &&
		    ((((c1 | 0x20) == 'e') && ((c2 | 0x20) == 'a')) ||
		     (((c1 | 0x20) == 'a') && ((c2 | 0x20) == 's'))) &&
		    (ci_word(s, n, i, "bearer") || ci_word(s, n, i, "basic")))
			return 1;
	}
	return 0;
}

/* A JWT at s[i] ("eyJ", then three base64url segments): its end, or 0. */
static size_t jwt_at(const char *s, size_t n, size_t i)
{
	size_t j = i, seg;

	if (i > 0 && (b64url((unsigned char)s[i - 1]) || s[i - 1] == '.'))
		return 0;
	for (seg = 0; seg < 3; seg++) {
		size_t st = j;

		while (j < n && b64url((unsigned char)s[j]))
			j++;
		if ((seg == 0 && j - st < 10) || (seg == 1 && j - st < 2))
			return 0;
		if (seg < 2) {
			if (j >= n || s[j] != '.')
				return 0;
			j++;
		}
	}
	return j;
}

/* "Bearer <token>" / "Basic <token>" at s[i]: where the token starts and
 * ends. A credential is at least 8 characters and holds a digit or '=';
 * "Bearer token" and "bearer of bad news" are prose. */
static int cred_at(const char *s, size_t n, size_t i, size_t *ts, size_t *te)
{
	size_t j, k;
	int digit = 0;

	if (ci_word(s, n, i, "bearer"))
		j = i + 6;
	else if (ci_word(s, n, i, "basic"))
		j = i + 5;
	else
		return 0;
	if (j >= n || (s[j] != ' ' && s[j] != '\t'))
		return 0;
	while (j < n && (s[j] == ' ' || s[j] == '\t'))
		j++;
	for (k = j; k < n; k++) {
		unsigned char c = (unsigned char)s[k];

		if (!(isalnum(c) || strchr("-._~+/=", c)) || !c)
			break;
		if (isdigit(c) || c == '=')
			digit = 1;
	}
	if (k - j < 8 || !digit)
		return 0;
	*ts = j;
	*te = k;
	return 1;
}

static int put_marker(struct buf *out, const char *kind)
{
	return buf_adds(out, "[REDACTED:") < 0 || buf_adds(out, kind) < 0 ||
	       buf_addc(out, ']') < 0 ? -1 : 0;
}

/* The built-in pass: Bearer/Basic credentials first (a JWT used as a
 * bearer token is counted as bearer), then bare JWTs. */
static int builtin(const char *s, size_t n, struct buf *out, unsigned long *cnt)
{
	size_t i, last = 0, ts, te;
	int any = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if ((c == 'b' || c == 'B') && cred_at(s, n, i, &ts, &te)) {
			if (buf_add(out, s + last, ts - last) < 0 || put_marker(out, "bearer") < 0)
				return -1;
			cnt[SAN_REDACTED_BEARER]++;
			last = te;
			i = te - 1;
			any = 1;
		} else if (c == 'e' && i + 3 < n && s[i + 1] == 'y' && s[i + 2] == 'J' &&
			   (te = jwt_at(s, n, i))) {
			if (buf_add(out, s + last, i - last) < 0 || put_marker(out, "jwt") < 0)
				return -1;
			cnt[SAN_REDACTED_JWT]++;
			last = te;
			i = te - 1;
			any = 1;
		}
	}
	if (any && buf_add(out, s + last, n - last) < 0)
		return -1;
	return any;
}

/* One rule pattern over s into out: each match, or only its secret group,
 * becomes the marker (an empty group: the marker is inserted there). A pattern that hits its match limit redacts the
 * whole text: a secret must not leak because a regex gave up. */
static int pattern(struct sanitizer *z, size_t k, const char *s, size_t n,
		   struct buf *out)
{
	const struct sanitize_pattern *p = &z->o.patterns[k];
	int g = p->secret_group;
	size_t off = 0, last = 0;
	int any = 0;

	for (;;) {
		int rc = pcre2_match((const pcre2_code *)p->code, (PCRE2_SPTR)s, n, off,
				     off ? PCRE2_NOTEMPTY_ATSTART : 0, z->md, z->mctx);
		PCRE2_SIZE *ov, a, b;

		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0) {
			buf_reset(out);
			z->cnt[SAN_REDACTED_RULE]++;
			z->kcnt[z->kind_of[k]]++;
			return put_marker(out, p->kind) < 0 ? -1 : 1;
		}
		ov = pcre2_get_ovector_pointer(z->md);
		a = ov[0];
		b = ov[1];
		if (g && g < rc && ov[2 * g] != PCRE2_UNSET) {
			a = ov[2 * g];
			b = ov[2 * g + 1];
		}
		/* an empty secret group marks where a secret was cut off (a PEM
		 * key's BEGIN line whose body follows in the next records) */
		if (ov[1] == ov[0] || a < last) {
			if (ov[1] >= n)
				break;
			off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
			continue;
		}
		if (buf_add(out, s + last, a - last) < 0 || put_marker(out, p->kind) < 0)
			return -1;
		z->cnt[SAN_REDACTED_RULE]++;
		z->kcnt[z->kind_of[k]]++;
		last = b;
		off = ov[1] > b ? ov[1] : b;
		any = 1;
		if (off >= n)
			break;
	}
	if (any && buf_add(out, s + last, n - last) < 0)
		return -1;
	return any;
}

int redact_text(struct sanitizer *z, const char *s, size_t n, struct buf *out,
		struct buf *tmp)
{
	int any = 0, r;
	size_t k, npat = z->cand ? z->o.npatterns : 0;

	/* ping-pong between out and tmp; the text lives in cur */
	buf_reset(out);
	if (redact_suspect(s, n)) {
		r = builtin(s, n, out, z->cnt);
		if (r < 0)
			return -1;
		any = r;
	}
	for (k = 0; k < npat; k++) {
		const char *cur = any ? out->p : s;
		size_t clen = any ? out->len : n;

		buf_reset(tmp);
		if (any && buf_add(tmp, cur, clen) < 0)
			return -1;
		if (any) {
			cur = tmp->p;
			buf_reset(out);
		}
		r = pattern(z, k, cur, clen, out);
		if (r < 0)
			return -1;
		if (r == 0 && any && buf_add(out, cur, clen) < 0)
			return -1;
		any |= r;
	}
	return any;
}

/* ---- PEM private keys over several text records ---------------------- */

static const char *find(const char *s, size_t n, const char *w)
{
	size_t l = strlen(w), i;

	for (i = 0; i + l <= n; i++)
		if (s[i] == w[0] && !memcmp(s + i, w, l))
			return s + i;
	return NULL;
}

/* "-----BEGIN <words> PRIVATE KEY-----" (or END) at p: its length, or 0. */
static size_t pem_marker(const char *p, const char *end, const char *what)
{
	const char *q = p + 5 + strlen(what);

	if (end - p < (long)(5 + strlen(what)) || memcmp(p, "-----", 5) ||
	    memcmp(p + 5, what, strlen(what)))
		return 0;
	while (q < end && (isupper((unsigned char)*q) || *q == ' '))
		q++;
	if (q - p < 16 || end - q < 5 || memcmp(q, "-----", 5) ||
	    memcmp(q - 12, " PRIVATE KEY", 12))
		return 0;
	return (size_t)(q + 5 - p);
}

static const char *pem_find(const char *s, size_t n, const char *what, size_t *len)
{
	const char *p = s, *end = s + n;

	while ((p = find(p, (size_t)(end - p), "-----"))) {
		if ((*len = pem_marker(p, end, what)))
			return p;
		p += 5;
	}
	return NULL;
}

int redact_pem_opens(const char *s, size_t n)
{
	size_t l;
	const char *b = pem_find(s, n, "BEGIN ", &l);

	return b && !pem_find(b + l, n - (size_t)(b + l - s), "END ", &l);
}

/* A line of a key's body: base64 and nothing else (blanks around). */
static int pem_body(const char *s, size_t n)
{
	size_t i = 0;

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == n)
		return 0;
	for (; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '/' && s[i] != '=')
			return 0;
	return 1;
}

int redact_pem_line(struct sanitizer *z, const char *s, size_t n, struct buf *out)
{
	size_t l;
	const char *e = pem_find(s, n, "END ", &l);
	size_t body = e ? (size_t)(e - s) : n;

	buf_reset(out);
	if (!body || !pem_body(s, body))
		return 0;   /* the END line alone, or not a key line: over */
	if (put_marker(out, "private-key") < 0 || (e && buf_add(out, e, n - body) < 0))
		return -1;
	z->cnt[SAN_REDACTED_KEY]++;
	return e ? 1 : 3;
}
