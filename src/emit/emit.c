#include "emit/emit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit_impl.h"
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

/* C1 controls (U+0080..U+009F; U+009B is CSI) leave as "\u00NN": valid
 * JSON either way, but a terminal showing the raw bytes may obey them.
 * jansson hands over string runs whole code points at a time, so the two
 * bytes of one never straddle two calls. */
static int write_cb(const char *buffer, size_t size, void *data)
{
	const unsigned char *p = (const unsigned char *)buffer;
	size_t i, start = 0;

	for (i = 0; i + 1 < size; i++) {
		if (p[i] != 0xc2 || p[i + 1] < 0x80 || p[i + 1] > 0x9f)
			continue;
		if (fwrite(buffer + start, 1, i - start, data) != i - start ||
		    fprintf(data, "\\u%04x", p[i + 1]) < 0)
			return -1;
		start = i + 2;
		i++;
	}
	return fwrite(buffer + start, 1, size - start, data) == size - start ? 0 : -1;
}

int emit_json_write(FILE *out, const json_t *v)
{
	/* json_dump_callback rather than json_dumpf: the same code path and
	 * an error we see, whatever the jansson version. */
	if (json_dump_callback(v, write_cb, out, JSON_COMPACT) < 0) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
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
