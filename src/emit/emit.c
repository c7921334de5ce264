#include "emit/emit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit_impl.h"
#include "util/buf.h"
#include "util/jscan.h"
#include "util/utf8.h"

static const char *const format_names[] = {
	[EMIT_TEXT] = "text",
	[EMIT_JSON] = "json",
	[EMIT_SARIF] = "sarif",
	[EMIT_JUNIT] = "junit",
	[EMIT_GITHUB] = "github",
};

#define NFORMATS (sizeof format_names / sizeof format_names[0])

const char *emit_format_name(enum emit_format f)
{
	if ((unsigned)f >= NFORMATS)
		return NULL;
	return format_names[f];
}

int emit_format_parse(const char *s)
{
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < NFORMATS; i++)
		if (strcmp(s, format_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *emit_message(const struct finding *f)
{
	if (f->message)
		return f->message;
	if (f->rule && f->rule->title)
		return f->rule->title;
	if (f->rule && f->rule->id)
		return f->rule->id;
	return "";
}

const char *emit_source(const struct finding *f)
{
	if (f->ev && f->ev->source && f->ev->source[0])
		return f->ev->source;
	return "<stdin>";
}

json_t *emit_json_captures(const struct finding *f)
{
	json_t *o = json_object();
	size_t i, n;

	if (!o || !f->m)
		return o;
	n = f->m->ncaps < MATCH_MAX_CAPS ? f->m->ncaps : MATCH_MAX_CAPS;
	for (i = 0; i < n; i++) {
		const struct match_cap *c = &f->m->caps[i];
		json_t *v, *key;

		if (!c->name)
			continue;
		v = utf8_json_string(c->value);
		if (!v)
			goto fail;
		/* jansson keys must be valid UTF-8 too; group names are
		 * ASCII in PCRE2, but do not bet the output on it. */
		if (utf8_valid((const unsigned char *)c->name, strlen(c->name))) {
			if (json_object_set_new(o, c->name, v) < 0)
				goto fail;
			continue;
		}
		key = utf8_json_string(c->name);
		if (!key) {
			json_decref(v);
			goto fail;
		}
		if (json_object_set_new(o, json_string_value(key), v) < 0) {
			json_decref(key);
			goto fail;
		}
		json_decref(key);
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* The dump, gathered: jansson hands over a string in pieces between its
 * escapes (a record's text quoted in a finding is a hundred of them), and
 * writing each to the stream cost more than the dump. */
static int gather_cb(const char *buffer, size_t size, void *data)
{
	return buf_add(data, buffer, size) < 0 ? -1 : 0;
}

/* C1 controls (U+0080..U+009F; U+009B is CSI) leave as "\u00NN": valid
 * JSON either way, but a terminal showing the raw bytes may obey them. */
static int write_c1_escaped(FILE *out, const char *buffer, size_t size)
{
	const unsigned char *p = (const unsigned char *)buffer;
	const char *c = buffer, *e = buffer + size;
	size_t start = 0, i;

	while ((c = memchr(c, 0xc2, (size_t)(e - c))) != NULL) {
		i = (size_t)(c - buffer);
		c++;
		if (i + 1 >= size || p[i + 1] < 0x80 || p[i + 1] > 0x9f)
			continue;
		if (fwrite(buffer + start, 1, i - start, out) != i - start ||
		    fprintf(out, "\\u%04x", p[i + 1]) < 0)
			return -1;
		start = i + 2;
		c++;
	}
	return fwrite(buffer + start, 1, size - start, out) == size - start ? 0 : -1;
}

int emit_json_dump(struct buf *b, const json_t *v)
{
	/* json_dump_callback rather than json_dumpb: the same code path and
	 * an error we see, whatever the jansson version. */
	if (json_dump_callback(v, gather_cb, b, JSON_COMPACT) < 0) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}

int emit_json_quote(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *p = s, *e = s + n;

	if (buf_addc(b, '"') < 0)
		return -1;
	for (;;) {
		const char *q = jscan_plain(p, e, 0);
		char esc[6] = { '\\', 0, '0', '0', 0, 0 };
		size_t k = 2;

		if (buf_add(b, p, (size_t)(q - p)) < 0)
			return -1;
		if (q == e)
			break;
		switch (*q) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[4] = hex[(unsigned char)*q >> 4];
			esc[5] = hex[(unsigned char)*q & 15];
			k = 6;
		}
		if (buf_add(b, esc, k) < 0)
			return -1;
		p = q + 1;
	}
	return buf_addc(b, '"');
}

int emit_json_quote_text(struct buf *b, const char *s, size_t n, size_t limit)
{
	size_t k = n < limit ? n : limit;
	json_t *v;
	int rc;

	if (!s)
		return buf_add(b, "null", 4);
	if (utf8_valid((const unsigned char *)s, k))
		return emit_json_quote(b, s, k);
	if (!(v = utf8_json_stringn(s, n, limit)))
		return -1;
	rc = emit_json_quote(b, json_string_value(v), json_string_length(v));
	json_decref(v);
	return rc;
}

int emit_json_flush(FILE *out, const struct buf *b)
{
	if (write_c1_escaped(out, b->p ? b->p : "", b->len) < 0) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}

int emit_json_write(FILE *out, const json_t *v)
{
	struct buf b = BUF_INIT(0);
	int rc = emit_json_dump(&b, v) < 0 ? -1 : emit_json_flush(out, &b);

	buf_free(&b);
	return rc;
}

int emit_check(FILE *out)
{
	if (ferror(out)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}

static const struct emitter_ops *const format_ops[] = {
	[EMIT_TEXT] = &emit_text_ops,
	[EMIT_JSON] = &emit_json_ops,
	[EMIT_SARIF] = &emit_sarif_ops,
	[EMIT_JUNIT] = &emit_junit_ops,
	[EMIT_GITHUB] = &emit_github_ops,
};

struct emitter *emitter_open(enum emit_format f, FILE *out, const struct emit_opts *o)
{
	struct emitter *e;

	if ((unsigned)f >= NFORMATS || !out) {
		errno = EINVAL;
		return NULL;
	}
	e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->ops = format_ops[f];
	e->fmt = f;
	e->out = out;
	if (o)
		e->opts = *o;
	e->b.max = BUF_DEFAULT_MAX;
	if (e->ops->open && e->ops->open(e) < 0) {
		buf_free(&e->b);
		free(e);
		return NULL;
	}
	return e;
}

int emitter_finding(struct emitter *e, const struct finding *f)
{
	int rc;

	if (!e || !f || !f->rule || !f->ev) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	buf_reset(&e->b);
	rc = e->ops->finding(e, f);
	if (rc < 0) {
		/* A format that failed without a system call failed to get
		 * memory (a scratch buffer at its maximum). */
		if (!errno)
			errno = ENOMEM;
		return -1;
	}
	e->nfindings++;
	return emit_check(e->out);
}

void emitter_warning(struct emitter *e, const struct diag *d)
{
	if (e && d && e->ops->warning)
		e->ops->warning(e, d);
}

int emitter_close(struct emitter *e, const struct emit_stats *s)
{
	int rc = 0, saved;

	if (!e)
		return 0;
	errno = 0;
	if (e->ops->close && e->ops->close(e, s) < 0)
		rc = -1;
	if (fflush(e->out) != 0 || emit_check(e->out) < 0)
		rc = -1;
	saved = errno;
	if (e->spool)
		fclose(e->spool);
	json_decref(e->notes);
	free(e->srcroot);
	free(e->fp);
	buf_free(&e->b);
	free(e);
	errno = saved;
	return rc;
}
