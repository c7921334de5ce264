#include "event/stream.h"

#include <stdlib.h>
#include <string.h>

#include "event/unwrap.h"
#include "read/source.h"
#include "util/timeparse.h"

struct evstream {
	struct framer *fr;
	struct evjoin *join;
	struct evstream_opts o;
	long records;
	int eof;
	int failed;           /* a read error waits until held events are out */
	struct diag err;
	struct unwrap uw;     /* a wrapper whose records are coming out */
	struct record uw_rec; /* its record (valid: the framer waits) */
	int year;             /* of the last record with a full date */
	long wrappers, items;
};

static struct evstream *stream_new(struct source *src, const struct evstream_opts *o)
{
	struct evstream *s;
	struct framer_opts fo;

	s = calloc(1, sizeof *s);
	if (!s) {
		source_close(src);
		return NULL;
	}
	if (o)
		s->o = *o;
	memset(&fo, 0, sizeof fo);
	fo.format = s->o.format;
	fo.max_record = s->o.max_record;
	fo.warn = s->o.warn;
	s->fr = framer_open(src, &fo);   /* owns src from here, also on failure */
	s->join = evjoin_new();
	if (!s->fr || !s->join) {
		evstream_close(s);
		return NULL;
	}
	return s;
}

struct evstream *evstream_open(const char *path, const struct evstream_opts *o,
			       struct diag *d)
{
	struct source *src = source_open(path, o ? o->warn : NULL, d);
	struct evstream *s;

	if (!src)
		return NULL;
	if (o && o->follow)
		source_follow(src, 1);
	if (o && o->readahead)
		source_readahead(src, 1);
	s = stream_new(src, o);
	if (!s)
		diag_set(d, path, 0, 0, "out of memory");
	return s;
}

struct evstream *evstream_open_mem(const char *name, const char *data, size_t len,
				   const struct evstream_opts *o)
{
	struct source *src = source_open_mem(name, data, len, o ? o->warn : NULL);

	return src ? stream_new(src, o) : NULL;
}

/* A record that did not normalize is kept as a text event of its bytes. */
static void fill(struct evstream *s, struct event *ev, const struct record *rec)
{
	struct record text;
	struct diag d;
	int rc;

	if (rec->kind == RECORD_TEXT && s->year) {
		text = *rec;
		text.year = s->year;
		rc = event_from_record(ev, &text, &d);
	} else {
		rc = event_from_record(ev, rec, &d);
	}
	if (rc == 0) {
		enum unwrap_kind k;

		if (ev->has_ts && !ev->yearless)
			s->year = timeparse_year(ev->ts_us);
		if (rec->kind == RECORD_JSON &&
		    (k = unwrap_kind_of(ev->entry, rec->format)) != UNWRAP_NONE) {
			unwrap_begin(&s->uw, ev->entry, k);
			s->uw_rec = *rec;
			s->wrappers++;
		}
		return;
	}
	warn_emit(s->o.warn, d.file, d.line, d.col, "%s; record kept as text", d.msg);
	text = *rec;
	text.kind = RECORD_TEXT;
	text.json = NULL;
	event_from_record(ev, &text, NULL);
}

/* A record the caller's prefilter rules out is only skimmed, when that
 * changes nothing: no open run of the joiner would take it. */
static int skim(struct evstream *s, struct event *ev, const struct record *rec)
{
	struct skim_keys k;

	if (!s->o.may_match || rec->kind != RECORD_JSON ||
	    s->o.may_match(s->o.may_match_ctx, rec->text, rec->len) ||
	    !event_skim(ev, rec, &k))
		return 0;
	return !evjoin_held(s->join) || (k.known && !evjoin_has_run(s->join, rec->source, &k));
}

int evstream_next(struct evstream *s, struct event **out, struct diag *d)
{
	const struct record *rec;
	struct event *ev;
	int rc;

	for (;;) {
		if ((ev = evjoin_pop(s->join))) {
			*out = ev;
			return 1;
		}
		if (s->failed) {
			if (d)
				*d = s->err;
			return -1;
		}
		if (s->uw.kind) {
			/* the next record of a wrapper */
			json_t *item = unwrap_next(&s->uw);

			if (!item) {
				unwrap_end(&s->uw);
				continue;
			}
			ev = evjoin_slot(s->join);
			if (!ev) {
				json_decref(item);
				return diag_set(d, s->uw_rec.source, s->uw_rec.line, 0, "out of memory");
			}
			event_from_item(ev, &s->uw_rec, item);
			s->items++;
			if (evjoin_push(s->join) < 0)
				return diag_set(d, s->uw_rec.source, s->uw_rec.line, 0, "out of memory");
			if (s->o.no_join)
				evjoin_end(s->join);
			continue;
		}
		if (s->eof)
			return 0;
		rc = framer_next(s->fr, &rec, &s->err);
		if (rc <= 0) {
			/* hand out what is held before the end or the error */
			evjoin_end(s->join);
			s->eof = 1;
			s->failed = rc < 0;
			continue;
		}
		s->records++;
		ev = evjoin_slot(s->join);
		if (!ev)
			return diag_set(d, rec->source, rec->line, 0, "out of memory");
		if (!skim(s, ev, rec))
			fill(s, ev, rec);
		if (s->uw.kind)
			continue;   /* the wrapper itself is no event: its records are */
		if (evjoin_push(s->join) < 0)
			return diag_set(d, rec->source, rec->line, 0, "out of memory");
		if (s->o.no_join)
			evjoin_end(s->join);   /* a run never outlives its entry */
	}
}

enum input_format evstream_format(const struct evstream *s)
{
	return framer_format(s->fr);
}

long evstream_records(const struct evstream *s)
{
	return s->records;
}

void evstream_wrapped(const struct evstream *s, long *wrappers, long *items)
{
	*wrappers = s->wrappers;
	*items = s->items;
}

void evstream_close(struct evstream *s)
{
	if (!s)
		return;
	unwrap_end(&s->uw);
	framer_close(s->fr);
	evjoin_free(s->join);
	free(s);
}

const struct source *evstream_source(const struct evstream *s)
{
	return framer_source(s->fr);
}

int evstream_example(void *ctx, const char *text, struct event *out)
{
	struct evstream_opts eo = { .format = INPUT_AUTO };
	struct evstream *s = evstream_open_mem("example", text, strlen(text), &eo);
	struct event *ev;
	struct diag d;
	int rc;

	(void)ctx;
	if (!s)
		return -1;
	rc = evstream_next(s, &ev, &d) == 1 ? event_copy(out, ev) : -1;
	evstream_close(s);
	return rc;
}
