#include <ctype.h>
#include <string.h>

#include "sanitize/sanitize_impl.h"
#include "util/jscan.h"

/*
 * Why a JSON scanner of its own: sanitize's input is JSON as applications
 * really print it, Python reprs, single quotes, NaN, duplicate keys and
 * invalid UTF-8 included, which jansson refuses; and a clean record must
 * come out as its own bytes, which a parse and re-serialization would not
 * give. It rewrites only what it must, in place.
 */

/*
 * Copy-on-write over the record: nothing is written while the input is
 * clean. The first change flushes the clean bytes before it into out, and
 * every later change flushes up to itself, so changes must come in input
 * order and never overlap. A muted stretch (a value about to be replaced
 * as a whole) records nothing.
 */
struct rw {
	struct sanitizer *z;
	const char *s;
	size_t n, i;
	struct buf *out;
	size_t flushed;
	int dirty, mute, depth, err, compacted;
};

static int fail(struct rw *p)
{
	if (!p->err)
		p->err = REWRITE_FAIL;
	return -1;
}

static int put(struct rw *p, size_t from, size_t to, const char *rep, size_t n)
{
	if (p->mute)
		return 0;
	if (buf_add(p->out, p->s + p->flushed, from - p->flushed) < 0 ||
	    (n && buf_add(p->out, rep, n) < 0)) {
		p->err = REWRITE_FULL;
		return -1;
	}
	p->flushed = to;
	p->dirty = 1;
	return 0;
}

static int puts_(struct rw *p, size_t from, size_t to, const char *rep)
{
	return put(p, from, to, rep, strlen(rep));
}

static void count(struct rw *p, enum sanitize_kind k)
{
	if (!p->mute)
		p->z->cnt[k]++;
}

/* Where raw byte pos will sit in out once flushed (pos >= flushed). */
static size_t mark(const struct rw *p, size_t pos)
{
	return p->out->len + (pos - p->flushed);
}

/* Change the single byte at pos, flushed or not. */
static int patch(struct rw *p, size_t pos, size_t mk, char c)
{
	if (p->mute)
		return 0;
	if (p->flushed <= pos)
		return put(p, pos, pos + 1, &c, 1);
	p->out->p[mk] = c;
	return 0;
}

static size_t skip_ws(const struct rw *p, size_t i)
{
	while (i < p->n && (p->s[i] == ' ' || p->s[i] == '\t' || p->s[i] == '\n' ||
			    p->s[i] == '\r'))
		i++;
	return i;
}

/* Blanks between tokens; a run with a line break goes (one line out). */
static int ws(struct rw *p)
{
	size_t st = p->i, e = skip_ws(p, p->i);

	p->i = e;
	if (e > st && (memchr(p->s + st, '\n', e - st) || memchr(p->s + st, '\r', e - st))) {
		if (!p->compacted && !p->mute) {
			p->compacted = 1;
			count(p, SAN_MULTILINE);
		}
		return put(p, st, e, "", 0);
	}
	return 0;
}

static int ident_char(int c)
{
	return isalnum(c) || c == '_';
}

static int value(struct rw *p);

int rewrite_text(struct sanitizer *z, const char *s, size_t n, const char **res,
		 size_t *rlen)
{
	int any = 0, r;

	*res = s;
	*rlen = n;
	if (pyrepr_suspect(s, n)) {
		buf_reset(&z->rw1);
		r = pyrepr_rewrite(s, n, z->o.enum_style, &z->rw1, &z->atom, z->cnt);
		if (r < 0)
			return -1;
		if (r) {
			*res = z->rw1.p;
			*rlen = z->rw1.len;
			any = 1;
		}
	}
	if (z->cand && (z->o.npatterns || redact_suspect(*res, *rlen))) {
		r = redact_text(z, *res, *rlen, &z->rw2, &z->rw3);
		if (r < 0)
			return -1;
		if (r) {
			*res = z->rw2.p ? z->rw2.p : "";
			*rlen = z->rw2.len;
			any = 1;
		}
	}
	return any;
}

/* A key's final text is in t: make it unique in its object (renaming
 * "k" to "k#2", "k#3", ...), leave it in z->key. 1 when renamed. */
static int unique_key(struct rw *p, uint32_t obj, const char *t, size_t tn)
{
	struct sanitizer *z = p->z;
	unsigned long k;
	int r;

	buf_reset(&z->key);
	if (buf_add(&z->key, t, tn) < 0)
		return p->err = REWRITE_FULL, -1;
	r = keyset_add(&z->keys, obj, t, tn);
	if (r < 0)
		return p->err = REWRITE_FULL, -1;
	if (r)
		return 0;
	for (k = keyset_next(&z->keys, obj, t, tn);; k++) {
		z->key.len = tn;
		if (buf_addf(&z->key, "#%lu", k) < 0)
			return p->err = REWRITE_FULL, -1;
		r = keyset_add(&z->keys, obj, z->key.p, z->key.len);
		if (r < 0)
			return p->err = REWRITE_FULL, -1;
		if (r)
			break;
	}
	count(p, SAN_DUPLICATE_KEY);
	return 1;
}

/* Write text t as the JSON string replacing s[from..to). */
static int put_string(struct rw *p, size_t from, size_t to, const char *t, size_t tn)
{
	struct buf *enc = &p->z->enc;

	buf_reset(enc);
	if (jsonfix_encode(enc, t, tn) < 0)
		return p->err = REWRITE_FULL, -1;
	return put(p, from, to, enc->p, enc->len);
}

/*
 * The string token s[tok..] whose quote is at q (a prefix such as u or b
 * stands between). key: it is a key of object obj (made unique).
 */
static int string(struct rw *p, size_t tok, size_t q, int key, uint32_t obj)
{
	struct sanitizer *z = p->z;
	const char *c = p->s + q + 1, *t, *x;
	size_t e = 0, cn, tn;
	int need, has_esc = 0, fixed = 0, r, plain = 0;
	unsigned flags = JF_JSON;

	/* Most strings are printable ASCII without an escape: one scan finds
	 * the closing quote and says so (jsonfix_clean need not look again) */
	if (p->s[q] == '"' && (x = jscan_plain(c, p->s + p->n, JSCAN_ASCII)) < p->s + p->n &&
	    *x == '"') {
		e = (size_t)(x - p->s) + 1;
		plain = 1;
	} else if (!(e = pyrepr_string_end(p->s, p->n, q))) {
		return fail(p);
	}
	cn = e - q - 2;
	p->i = e;
	if (p->mute)
		return 0;
	need = p->s[q] != '"' || tok != q;
	if (need) {
		count(p, SAN_PYTHON_LITERAL);
		flags = JF_PY;
	}
	t = c;
	tn = cn;
	if (need || (!plain && (!jsonfix_clean(c, cn, &has_esc) || has_esc))) {
		buf_reset(&z->dec);
		if (jsonfix_decode(c, cn, flags, &z->dec, z->cnt, &fixed) < 0)
			return p->err = REWRITE_FULL, -1;
		need |= fixed;
		t = z->dec.p ? z->dec.p : "";
		tn = z->dec.len;
	}
	r = rewrite_text(z, t, tn, &t, &tn);
	if (r < 0)
		return p->err = REWRITE_FULL, -1;
	need |= r;
	if (key) {
		r = unique_key(p, obj, t, tn);
		if (r < 0)
			return -1;
		if (r) {
			need = 1;
			t = z->key.p;
			tn = z->key.len;
		}
	}
	return need ? put_string(p, tok, e, t, tn) : 0;
}

/* A key that is not a string ((1, 2), 3, None, an enum): rendered as JSON
 * on its own, then used as the key's text, as json.dumps would. */
static int other_key(struct rw *p, uint32_t obj)
{
	struct sanitizer *z = p->z;
	size_t ks = p->i, ke;
	struct buf tmp = BUF_INIT(z->max_out), txt = BUF_INIT(z->max_out);
	struct rw c;
	const char *t;
	size_t tn;
	int r = -1;

	p->mute++;
	r = value(p);
	p->mute--;
	if (r < 0)
		return -1;
	ke = p->i;
	if (p->mute)
		return 0;
	memset(&c, 0, sizeof c);
	c.z = z;
	c.s = p->s;
	c.n = ke;
	c.i = ks;
	c.flushed = ks;
	c.out = &tmp;
	c.depth = p->depth;
	r = -1;
	if (value(&c) < 0) {
		p->err = c.err;
		goto out;
	}
	if (c.dirty) {
		if (buf_add(&tmp, p->s + c.flushed, ke - c.flushed) < 0)
			goto full;
		t = tmp.p;
		tn = tmp.len;
	} else {
		t = p->s + ks;
		tn = ke - ks;
	}
	if (tn >= 2 && t[0] == '"') {
		int fixed = 0;

		if (jsonfix_decode(t + 1, tn - 2, JF_JSON, &txt, z->cnt, &fixed) < 0)
			goto full;
		t = txt.p ? txt.p : "";
		tn = txt.len;
	}
	count(p, SAN_PYTHON_LITERAL);
	if (unique_key(p, obj, t, tn) < 0)
		goto out;
	r = put_string(p, ks, ke, z->key.p ? z->key.p : "", z->key.len);
	goto out;
full:
	p->err = REWRITE_FULL;
out:
	buf_free(&tmp);
	buf_free(&txt);
	return r;
}

/* Where the quote of a (maybe prefixed: u'', b'', r'') string at i is;
 * 0 when no string starts there. */
static size_t quote_at(const struct rw *p, size_t i, int *bytes)
{
	const char *s = p->s;
	size_t j = i;

	*bytes = 0;
	while (j < p->n && j - i < 2 && strchr("uUbBrR", s[j]) && s[j]) {
		if (s[j] == 'b' || s[j] == 'B')
			*bytes = 1;
		j++;
	}
	if (j < p->n && (s[j] == '"' || s[j] == '\''))
		return j;
	return (size_t)-1;
}

static int key(struct rw *p, uint32_t obj)
{
	int bytes;
	size_t q = quote_at(p, p->i, &bytes);

	if (q != (size_t)-1 && !bytes)
		return string(p, p->i, q, 1, obj);
	return other_key(p, obj);
}

/* A string value of a field named like a secret. */
static int secret_value(struct rw *p)
{
	int bytes;
	size_t q = quote_at(p, p->i, &bytes), e;

	if (q == (size_t)-1)
		return value(p);
	e = pyrepr_string_end(p->s, p->n, q);
	if (!e)
		return fail(p);
	/* nothing to hide, or hidden already: an ordinary string */
	if (e - q == 2 || (e - q > 11 && !memcmp(p->s + q + 1, "[REDACTED:", 10)))
		return value(p);
	count(p, SAN_REDACTED_FIELD);
	if (puts_(p, p->i, e, "\"[REDACTED:field]\"") < 0)
		return -1;
	p->i = e;
	return 0;
}

/* key SEP value; SEP ',' (a pair in OrderedDict's old repr) becomes ':'. */
static int member(struct rw *p, uint32_t obj, char sep)
{
	int secret;

	if (key(p, obj) < 0 || ws(p) < 0)
		return -1;
	if (p->i >= p->n || p->s[p->i] != sep)
		return fail(p);
	if (sep != ':' && puts_(p, p->i, p->i + 1, ":") < 0)
		return -1;
	p->i++;
	secret = !p->z->o.no_redact && !p->mute && redact_field(p->z->key.p, p->z->key.len);
	if (ws(p) < 0)
		return -1;
	return secret ? secret_value(p) : value(p);
}

/*
 * After an element: ',' or the closer. A trailing comma before the closer
 * goes. 1: the closer is at p->i; 0: another element follows.
 */
static int next(struct rw *p, char close)
{
	size_t j;

	if (ws(p) < 0)
		return -1;
	if (p->i >= p->n)
		return fail(p);
	if (p->s[p->i] == close)
		return 1;
	if (p->s[p->i] != ',')
		return fail(p);
	j = skip_ws(p, p->i + 1);
	if (j < p->n && p->s[j] == close) {
		count(p, SAN_PYTHON_LITERAL);
		if (put(p, p->i, j, "", 0) < 0)
			return -1;
		p->i = j;
		return 1;
	}
	p->i++;
	return ws(p) < 0 ? -1 : 0;
}

static int enter(struct rw *p)
{
	if (++p->depth > SANITIZE_MAX_DEPTH)
		return fail(p);
	return 0;
}

/* [..], (..) -> [..], or a set's {..} -> [..]; s[p->i] is the opener. */
static int seq(struct rw *p, char close, const char *rclose)
{
	int r;

	if (enter(p) < 0)
		return -1;
	p->i++;
	if (ws(p) < 0)
		return -1;
	if (p->i < p->n && p->s[p->i] == close)
		goto end;
	for (;;) {
		if (value(p) < 0)
			return -1;
		r = next(p, close);
		if (r < 0)
			return -1;
		if (r)
			break;
	}
end:
	if (rclose && puts_(p, p->i, p->i + 1, rclose) < 0)
		return -1;
	p->i++;
	p->depth--;
	return 0;
}

/* {..}: a dict, or a Python set when its first element has no ':'. */
static int object(struct rw *p)
{
	size_t open = p->i, mk = mark(p, open), e, j;
	uint32_t obj = p->z->next_obj++;
	int r;

	if (enter(p) < 0)
		return -1;
	p->i++;
	if (ws(p) < 0)
		return -1;
	if (p->i < p->n && p->s[p->i] == '}') {
		p->i++;
		p->depth--;
		return 0;
	}
	e = pyrepr_skip(p->s, p->n, p->i);
	j = e ? skip_ws(p, e) : 0;
	if (!e || j >= p->n)
		return fail(p);
	if (p->s[j] != ':') {
		count(p, SAN_PYTHON_LITERAL);
		if (patch(p, open, mk, '[') < 0)
			return -1;
		for (;;) {
			if (value(p) < 0)
				return -1;
			r = next(p, '}');
			if (r < 0)
				return -1;
			if (r)
				break;
		}
		if (puts_(p, p->i, p->i + 1, "]") < 0)
			return -1;
		p->i++;
		p->depth--;
		return 0;
	}
	for (;;) {
		if (member(p, obj, ':') < 0)
			return -1;
		r = next(p, '}');
		if (r < 0)
			return -1;
		if (r)
			break;
	}
	p->i++;
	p->depth--;
	return 0;
}

/* OrderedDict's old repr: [('a', 1), ('b', 2)] -> {"a":1,"b":2}. */
static int pairs(struct rw *p)
{
	uint32_t obj = p->z->next_obj++;
	int r;

	if (enter(p) < 0 || puts_(p, p->i, p->i + 1, "{") < 0)
		return -1;
	p->i++;
	if (ws(p) < 0)
		return -1;
	if (p->i < p->n && p->s[p->i] == ']')
		goto end;
	for (;;) {
		if (p->i >= p->n || p->s[p->i] != '(' || put(p, p->i, p->i + 1, "", 0) < 0)
			return fail(p);
		p->i++;
		if (ws(p) < 0 || member(p, obj, ',') < 0 || ws(p) < 0)
			return -1;
		if (p->i >= p->n || p->s[p->i] != ')')
			return fail(p);
		if (put(p, p->i, p->i + 1, "", 0) < 0)
			return -1;
		p->i++;
		r = next(p, ']');
		if (r < 0)
			return -1;
		if (r)
			break;
	}
end:
	if (puts_(p, p->i, p->i + 1, "}") < 0)
		return -1;
	p->i++;
	p->depth--;
	return 0;
}

static int name_in(const char *s, size_t n, const char *const *names)
{
	for (; *names; names++)
		if (strlen(*names) == n && !memcmp(*names, s, n))
			return 1;
	return 0;
}

/* OrderedDict(...), defaultdict(f, {...}), Counter({...}), dict(...):
 * the call goes, the mapping stays. */
static int dict_call(struct rw *p, size_t st, size_t paren)
{
	count(p, SAN_PYTHON_LITERAL);
	if (put(p, st, skip_ws(p, paren + 1), "", 0) < 0)
		return -1;
	p->i = skip_ws(p, paren + 1);
	for (;;) {
		size_t e;

		if (ws(p) < 0)
			return -1;
		if (p->i >= p->n)
			return fail(p);
		if (p->s[p->i] == ')')
			return puts_(p, p->i, p->i + 1, "{}") < 0 ? -1 : (p->i++, 0);
		if (p->s[p->i] == '{' || p->s[p->i] == '[') {
			if ((p->s[p->i] == '{' ? object(p) : pairs(p)) < 0 || ws(p) < 0)
				return -1;
			if (p->i >= p->n || p->s[p->i] != ')')
				return fail(p);
			if (put(p, p->i, p->i + 1, "", 0) < 0)
				return -1;
			p->i++;
			return 0;
		}
		/* defaultdict's factory, <class 'list'>: not data */
		e = pyrepr_skip(p->s, p->n, p->i);
		if (!e || e >= p->n || p->s[e] != ',')
			return fail(p);
		/* the blanks after it go too: the mapping must come out first */
		if (put(p, p->i, skip_ws(p, e + 1), "", 0) < 0)
			return -1;
		p->i = skip_ws(p, e + 1);
	}
}

/* set(), frozenset({1, 2}), tuple(...), list(...) -> an array. */
static int seq_call(struct rw *p, size_t st, size_t paren)
{
	size_t j = skip_ws(p, paren + 1);

	count(p, SAN_PYTHON_LITERAL);
	if (j < p->n && p->s[j] == ')') {
		if (puts_(p, st, j + 1, "[]") < 0)
			return -1;
		p->i = j + 1;
		return 0;
	}
	if (put(p, st, j, "", 0) < 0)
		return -1;
	p->i = j;
	if (value(p) < 0 || ws(p) < 0)
		return -1;
	if (p->i >= p->n || p->s[p->i] != ')')
		return fail(p);
	if (put(p, p->i, p->i + 1, "", 0) < 0)
		return -1;
	p->i++;
	return 0;
}

static int atom_value(struct rw *p, size_t st, size_t e, const struct pyatom *a)
{
	struct sanitizer *z = p->z;
	const char *t;
	size_t tn;
	int r;

	count(p, a->kind);
	p->i = e;
	if (p->mute)
		return 0;
	switch (a->type) {
	case PYATOM_NUM:
		return put(p, st, e, a->text->p, a->text->len);
	case PYATOM_NULL:
		return puts_(p, st, e, "null");
	case PYATOM_STR:
		break;
	}
	r = rewrite_text(z, a->text->p ? a->text->p : "", a->text->len, &t, &tn);
	if (r < 0)
		return p->err = REWRITE_FULL, -1;
	return put_string(p, st, e, t, tn);
}

static int word(struct rw *p)
{
	static const char *const dicts[] = {
		"OrderedDict", "collections.OrderedDict", "dict", "defaultdict",
		"collections.defaultdict", "Counter", "collections.Counter", NULL,
	};
	static const char *const seqs[] = { "set", "frozenset", "tuple", "list", NULL };
	static const char *const nans[] = { "NaN", "Infinity", "nan", "inf", NULL };
	const char *s = p->s;
	size_t st = p->i, j = st, e, q;
	struct pyatom a;
	int bytes;

	a.text = &p->z->atomv;
	q = quote_at(p, st, &bytes);
	if (q != (size_t)-1) {
		if (!bytes)
			return string(p, st, q, 0, 0);
		e = pyrepr_atom(s, p->n, st, p->z->o.enum_style, 0, &a);
		return e ? atom_value(p, st, e, &a) : fail(p);
	}
	while (j < p->n && (ident_char((unsigned char)s[j]) || s[j] == '.'))
		j++;
	if (j < p->n && s[j] == '(') {
		e = pyrepr_atom(s, p->n, st, p->z->o.enum_style, 0, &a);
		if (e)
			return atom_value(p, st, e, &a);
		if (name_in(s + st, j - st, dicts))
			return dict_call(p, st, j);
		if (name_in(s + st, j - st, seqs))
			return seq_call(p, st, j);
		/* Foo(a=1), an unknown object's repr: kept as a string */
		e = pyrepr_skip(s, p->n, st);
		if (!e)
			return fail(p);
		while (e > st && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n' ||
				  s[e - 1] == '\r'))
			e--;
		count(p, SAN_OBJECT_REPR);
		p->i = e;
		return p->mute ? 0 : put_string(p, st, e, s + st, e - st);
	}
	p->i = j;
	if (name_in(s + st, j - st, (const char *const[]){ "true", "false", "null", NULL }))
		return 0;
	if (j - st == 4 && !memcmp(s + st, "True", 4))
		return count(p, SAN_PYTHON_LITERAL), puts_(p, st, j, "true");
	if (j - st == 5 && !memcmp(s + st, "False", 5))
		return count(p, SAN_PYTHON_LITERAL), puts_(p, st, j, "false");
	if (j - st == 4 && !memcmp(s + st, "None", 4))
		return count(p, SAN_PYTHON_LITERAL), puts_(p, st, j, "null");
	if (name_in(s + st, j - st, nans))
		return count(p, SAN_NAN), puts_(p, st, j, "null");
	return fail(p);
}

static int number(struct rw *p)
{
	static const char *const nans[] = { "-Infinity", "-inf", "-nan", "-NaN", NULL };
	const char *s = p->s;
	size_t st = p->i, len, j;
	int is_int;

	if (s[st] == '-') {
		for (j = st + 1; j < p->n && isalpha((unsigned char)s[j]); j++)
			;
		if (j > st + 1) {
			if (!name_in(s + st, j - st, nans))
				return fail(p);
			p->i = j;
			count(p, SAN_NAN);
			return puts_(p, st, j, "null");
		}
	}
	len = jsonfix_number(s + st, p->n - st, &is_int);
	if (!len)
		return fail(p);
	j = st + len;
	if (j < p->n && (ident_char((unsigned char)s[j]) || s[j] == '.'))
		return fail(p);   /* 1.2.3, 1j, 10L: not JSON, not a Python repr we know */
	p->i = j;
	if (is_int && !jsonfix_int64(s + st, len)) {
		count(p, SAN_BIG_INTEGER);
		if (p->mute)
			return 0;
		return put_string(p, st, j, s + st, len);
	}
	return 0;
}

static int value(struct rw *p)
{
	char c;

	if (p->i >= p->n)
		return fail(p);
	c = p->s[p->i];
	switch (c) {
	case '{':
		return object(p);
	case '[':
		return seq(p, ']', NULL);
	case '(':
		count(p, SAN_PYTHON_LITERAL);
		if (puts_(p, p->i, p->i + 1, "[") < 0)
			return -1;
		return seq(p, ')', "]");
	case '"':
	case '\'':
		return string(p, p->i, p->i, 0, 0);
	case '<': {
		struct pyatom a;
		size_t e;

		a.text = &p->z->atomv;
		e = pyrepr_atom(p->s, p->n, p->i, p->z->o.enum_style, 0, &a);
		return e ? atom_value(p, p->i, e, &a) : fail(p);
	}
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return number(p);
		if (isalpha((unsigned char)c) || c == '_')
			return word(p);
		return fail(p);
	}
}

int rewrite_value(struct sanitizer *z, const char *s, size_t n, struct buf *out,
		  int *dirty, int *is_obj)
{
	struct rw p;
	size_t first, len0 = out->len;

	memset(&p, 0, sizeof p);
	p.z = z;
	p.s = s;
	p.n = n;
	p.out = out;
	first = skip_ws(&p, 0);
	if (first && put(&p, 0, first, "", 0) < 0)
		goto bad;
	p.i = first;
	if (value(&p) < 0)
		goto bad;
	if (skip_ws(&p, p.i) != n)
		goto bad;
	if (p.i < n && put(&p, p.i, n, "", 0) < 0)
		goto bad;
	*dirty = p.dirty;
	if (p.dirty) {
		if (buf_add(out, s + p.flushed, n - p.flushed) < 0) {
			p.err = REWRITE_FULL;
			goto bad;
		}
		*is_obj = out->len > len0 && out->p[len0] == '{';
	} else {
		*is_obj = first < n && s[first] == '{';
	}
	return REWRITE_OK;
bad:
	out->len = len0;
	if (out->p)
		out->p[len0] = '\0';
	return p.err ? p.err : REWRITE_FAIL;
}
