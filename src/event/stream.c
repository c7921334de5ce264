#include "event/stream.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event/unwrap.h"
#include "read/source.h"
#include "util/jpool.h"

/*
 * Parsing in parallel (opts.threads > 1): the calling thread frames records
 * ahead into batches (copies), parse threads turn each record into an event
 * (skimmed, or parsed and normalized) the way one thread would, and the
 * calling thread takes the batches back in order to join and hand out;
 * while it waits for one, it parses a batch no thread took yet.
 * What depends on the stream's history stays in the calling thread: the
 * joiner, and so the choice between a skimmed and a parsed event, which
 * needs the joiner's open runs (a record the parse thread skimmed is parsed
 * there again when an open run would take it). Warnings made while framing
 * ahead or parsing are kept with their record and given out when it is
 * reached, so they come in the order one thread gives them.
 *
 * A regular file framed as JSON lines is not framed by the calling thread
 * at all: it is cut into chunks where a line "}" is followed by a
 * line "{" (chunk_cut), and the thread that takes a chunk frames it too,
 * with a framer of its own reading the file from the chunk's start
 * (pread: each thread's bytes are copied into its own buffer, as one
 * thread's are). The cut is only
 * taken where the framer before it, reading on past it, is at rest
 * (framer_rest: nothing held for what follows), which is what makes the
 * records the same as one framer's; where it is not (a pretty-printed
 * value, a text block, docker pieces across the cut), that framer reads
 * on to the next cut where it is, and the chunks it passed are dropped.
 * Lines are counted from each chunk's start and made the input's when the
 * calling thread reaches them.
 */
#define PB_RECORDS 256               /* records per batch (small: it stays in cache) */
#define PB_BYTES ((size_t)1 << 18)   /* record bytes per batch (one record may pass) */
#define PB_MAX_THREADS 64
#define PB_CHUNK ((long long)1 << 18)     /* input bytes per chunk, about */
#define PB_CUT_LOOK ((long long)1 << 20)  /* how far past that a cut is looked for */
#define PB_HOLD ((size_t)2 << 20)         /* a chunk holding more (no rest for that
					     long) gives the rest of the input
					     back to the calling thread to frame */

enum { PS_SERIAL, PS_SKIMMED, PS_FILLED, PS_FILL };   /* PS_FILL: the caller parses it */

struct pslot {
	struct record rec;     /* text: offset into the batch's bytes until queued */
	int state;
	struct skim sk;        /* PS_SKIMMED: what the skim read (spans into
				  rec.text); the calling thread makes the event */
	struct event *ev;      /* PS_FILLED: made by a parse thread, traded with
				  the joiner's slot (evjoin_trade); NULL until
				  one is */
	int ok;                /* PS_FILLED: normalized (not kept as text) */
	size_t fw0, fw1;       /* framing warnings before this record: fw[fw0..fw1) */
	size_t pw0, pw1;       /* parsing warnings: pw[pw0..pw1) */
};

struct dvec {
	struct diag *v;
	size_t n, cap;
};

struct pbatch {
	struct pslot *slot;
	size_t n, cap;
	struct buf bytes;
	struct dvec fw, pw;
	int done;              /* parsed; guarded by the stream's lock */
	int last;              /* framing ended after these records */
	int end_rc;            /* last: framer_next's 0 or -1 */
	struct diag end_err;
	size_t end_fw0;        /* last: warnings of the final framer_next */
	struct warn_sink pwarn;
	/* a chunk of a regular file: its input offsets [start, end), end as
	 * far as its framer read on to rest, and its lines */
	long long start, end;
	long lines;
	struct warn_sink fwarn;   /* its framer's warnings, kept in fw */
	struct framer *fr;        /* its framer, kept for the next chunk */
	int chunk;                /* a chunk (else framed by the calling thread) */
	int hold;                 /* the chunk held more than PB_HOLD: dropped */
};

struct ppar {
	pthread_t th[PB_MAX_THREADS];
	int want, nth;         /* parse threads wanted, started */
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct pbatch *b;      /* ring of nb batches, by sequence number */
	size_t nb;
	size_t framed;         /* batches framed and queued */
	size_t taken;          /* batches a parse thread took */
	size_t used;           /* batches the caller finished with */
	size_t pos;            /* next slot of batch `used` */
	int stop;
	int framing_over;
	struct pbatch *filling;   /* where framing warnings go, NULL: pass on */
	struct warn_sink cap;     /* the framer's and source's sink */
	const struct warn_sink *user;
	struct evstream *s;
	/* chunks of a regular file (fd -1: the calling thread frames) */
	int fd;
	long long size;
	enum input_format fmt;    /* as given (chunk 0), and as detected */
	enum input_format detected;
	long long cut;            /* the next chunk's start */
	long long next;           /* where the chunk to use next starts */
	long line0;               /* lines of the input before the chunk in use */
	struct framer *sfr;       /* past a chunk that held too much, the calling
				     thread frames the rest with this one */
};
#include "util/timeparse.h"

struct evstream {
	struct framer *fr;
	struct evjoin *join;
	struct evstream_opts o;
	long records;
	int eof;
	int failed;           /* a read error waits until held events are out */
	int paused;           /* following: the pause since the last record is handled */
	int idle_due;         /* following: call o.idle once the held events are out */
	struct diag err;
	struct ppar *par;     /* NULL: one thread */
	struct unwrap uw;     /* a wrapper whose records are coming out */
	struct record uw_rec; /* its record (valid: the framer waits) */
	int year;             /* of the last record with a full date */
	long wrappers, items;
	struct close_trace prev; /* the close of the event handed out last, if any */
	int prev_tb;          /* that event holds a Python traceback */
};

static int dvec_add(struct dvec *v, const struct diag *d)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 4;
		struct diag *p = realloc(v->v, cap * sizeof *p);

		if (!p)
			return -1;
		v->v = p;
		v->cap = cap;
	}
	v->v[v->n++] = *d;
	return 0;
}

/* The framer's and the source's warnings: kept with the batch being framed
 * (given out when its next record is reached), else passed on. */
static void cap_warning(void *ctx, const struct diag *d)
{
	struct ppar *p = ctx;

	if (!p->filling || dvec_add(&p->filling->fw, d) < 0) {
		if (p->user && p->user->fn)
			p->user->fn(p->user->ctx, d);
	}
}

static void parse_warning(void *ctx, const struct diag *d)
{
	struct pbatch *b = ctx;

	dvec_add(&b->pw, d);   /* out of memory: the warning is lost, not the record */
}

static void chunk_warning(void *ctx, const struct diag *d)
{
	struct pbatch *b = ctx;

	dvec_add(&b->fw, d);
}

static struct ppar *ppar_new(const struct evstream_opts *o)
{
	struct ppar *p = calloc(1, sizeof *p);
	size_t i;

	if (!p)
		return NULL;
	p->want = o->threads - 1 > PB_MAX_THREADS ? PB_MAX_THREADS : o->threads - 1;
	p->nb = (size_t)p->want * 2 + 2;
	p->b = calloc(p->nb, sizeof *p->b);
	if (!p->b) {
		free(p);
		return NULL;
	}
	for (i = 0; i < p->nb; i++) {
		p->b[i].bytes.max = (size_t)-1;
		p->b[i].pwarn.fn = parse_warning;
		p->b[i].pwarn.ctx = &p->b[i];
		p->b[i].fwarn.fn = chunk_warning;
		p->b[i].fwarn.ctx = &p->b[i];
	}
	p->user = o->warn;
	p->fd = -1;
	p->cap.fn = cap_warning;
	p->cap.ctx = p;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	return p;
}

static void *ppar_main(void *arg);

/* The parse threads end (after the batch each is on). */
static void ppar_stop(struct ppar *p)
{
	int t;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (t = 0; t < p->nth; t++)
		pthread_join(p->th[t], NULL);
	p->nth = 0;
}

static void ppar_free(struct ppar *p)
{
	size_t i, j;

	if (!p)
		return;
	ppar_stop(p);
	framer_close(p->sfr);
	for (i = 0; i < p->nb; i++) {
		struct pbatch *b = &p->b[i];

		for (j = 0; j < b->n; j++)
			if (b->slot[j].rec.json)
				json_decref(b->slot[j].rec.json);
		for (j = 0; j < b->cap; j++) {
			event_free(b->slot[j].ev);
			free(b->slot[j].ev);
		}
		free(b->slot);
		framer_close(b->fr);
		buf_free(&b->bytes);
		free(b->fw.v);
		free(b->pw.v);
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	if (p->fd >= 0)
		close(p->fd);
	free(p->b);
	free(p);
}

static int ppar_start(struct ppar *p)
{
	int t;

	for (t = 0; t < p->want; t++) {
		if (pthread_create(&p->th[t], NULL, ppar_main, p) != 0)
			break;
		p->nth++;
	}
	return p->nth ? 0 : -1;
}

static struct evstream *stream_new(struct source *src, const struct evstream_opts *o,
				   struct ppar *par)
{
	struct evstream *s;
	struct framer_opts fo;

	s = calloc(1, sizeof *s);
	if (!s) {
		source_close(src);
		ppar_free(par);
		return NULL;
	}
	if (o)
		s->o = *o;
	s->par = par;
	memset(&fo, 0, sizeof fo);
	fo.format = par && par->fd >= 0 ? par->detected : s->o.format;
	fo.max_record = s->o.max_record;
	fo.warn = par ? &par->cap : s->o.warn;
	fo.byte_scan = s->o.byte_scan;
	fo.pause_ms = s->o.follow ? EVSTREAM_PAUSE_MS : 0;
	s->fr = framer_open(src, &fo);   /* owns src from here, also on failure */
	s->join = evjoin_new();
	if (!s->fr || !s->join || (par && (par->s = s, ppar_start(par) < 0))) {
		evstream_close(s);
		return NULL;
	}
	return s;
}

/*
 * Does the head of a file read as JSON lines, each record whole on its
 * line? Every line it ends is blank or an object from "{" to "}", and none
 * is a docker json-file line (whose long lines come in pieces, one line
 * each, that no cut may part). Other shapes (a wrapper of a cloud export,
 * a pretty-printed value, text) are framed by one thread: their chunks
 * would find no cut, or lose one at every line, and hold what they read.
 */
static long long chunk_cut(const struct ppar *p, long long from);

static int lines_of_json(const char *p, size_t n)
{
	const char *end = p + n, *nl;

	for (; (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1) {
		const char *e = nl;

		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (p == e)
			continue;
		if (*p != '{' || e[-1] != '}' ||
		    (e - p >= 8 && !memcmp(p, "{\"log\":\"", 8)))
			return 0;
	}
	return 1;
}

/*
 * Read path in chunks when that is sure to give the same records, in
 * bounded memory: a regular file, not gzip, framed as JSON, whose head
 * reads as JSON lines (lines_of_json), large enough for two chunks, with
 * a first cut. Else p->fd stays -1.
 */
static void chunk_open(struct ppar *p, const char *path, enum input_format given)
{
	size_t n = (size_t)1 << 18, i = 0;   /* what framer_detect reads */
	struct stat st;
	char *head;
	ssize_t got;
	int fd;

	if (!strcmp(path, "-") || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 2 * PB_CHUNK ||
	    !(head = malloc(n))) {
		close(fd);
		return;
	}
	got = pread(fd, head, n, 0);
	if (got == (ssize_t)n) {
		p->detected = given != INPUT_AUTO ? given : framer_detect(head, n);
		if (given == INPUT_AUTO && !memcmp(head, "\xEF\xBB\xBF", 3))
			i = 3;
		while (i < n && strchr(" \t\r\n", head[i]))
			i++;
	}
	if (got != (ssize_t)n || (unsigned char)head[0] == 0x1f ||
	    !input_format_json_framed(p->detected) || i >= n || head[i] != '{' ||
	    !lines_of_json(head + i, n - i)) {
		free(head);
		close(fd);
		return;
	}
	free(head);
	p->fd = fd;
	p->size = st.st_size;
	p->fmt = given;
	if (chunk_cut(p, 0) >= p->size) {
		close(fd);   /* no cut where one was looked for */
		p->fd = -1;
	}
}

struct evstream *evstream_open(const char *path, const struct evstream_opts *o,
			       struct diag *d)
{
	struct ppar *par = NULL;
	struct source *src;
	struct evstream *s;

	/* following a file hands each event out as it comes: no batches */
	if (o && o->threads > 1 && !o->follow && !(par = ppar_new(o))) {
		diag_set(d, path, 0, 0, "out of memory");
		return NULL;
	}
	src = source_open(path, par ? &par->cap : o ? o->warn : NULL, d);
	if (!src) {
		ppar_free(par);
		return NULL;
	}
	if (o && o->follow)
		source_follow(src, 1);
	if (o && o->readahead)
		source_readahead(src, 1);
	if (par)
		chunk_open(par, path, o->format);
	s = stream_new(src, o, par);
	if (!s)
		diag_set(d, path, 0, 0, "out of memory");
	return s;
}

struct evstream *evstream_open_mem(const char *name, const char *data, size_t len,
				   const struct evstream_opts *o)
{
	struct source *src = source_open_mem(name, data, len, o ? o->warn : NULL);

	struct evstream_opts one;

	if (o && o->threads > 1) {
		one = *o;
		one.threads = 1;
		o = &one;
	}
	return src ? stream_new(src, o, NULL) : NULL;
}

/* A record that did not normalize is kept as a text event of its bytes. */
/* What a normalized record tells the stream: the year of its time (for the
 * next times written without one), and whether it wraps records of its own. */
static void filled(struct evstream *s, struct event *ev, const struct record *rec)
{
	enum unwrap_kind k;

	if (ev->has_ts && !ev->yearless)
		s->year = timeparse_year(ev->ts_us);
	if (rec->kind == RECORD_JSON &&
	    (k = unwrap_kind_of(ev->entry, rec->format)) != UNWRAP_NONE) {
		unwrap_begin(&s->uw, ev->entry, k);
		s->uw_rec = *rec;
		s->wrappers++;
	}
}

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
		filled(s, ev, rec);
		return;
	}
	warn_emit(s->o.warn, d.file, d.line, d.col, "%s; record kept as text", d.msg);
	text = *rec;
	text.kind = RECORD_TEXT;
	text.json = NULL;
	event_from_record(ev, &text, NULL);
}

/* Can rec be only skimmed? The skim reads it, the caller's prefilter
 * rules it out, and it is below the severity the caller always parses, or
 * the skim knows its keys. Safe in a parse thread: it reads nothing of the
 * joiner's and writes no event. */
static int skimmable(const struct evstream *s, const struct record *rec, struct skim *sk)
{
	if (!s->o.may_match || rec->kind != RECORD_JSON || !event_skim(rec, sk) ||
	    s->o.may_match(s->o.may_match_ctx, rec->text, rec->len, sk->k.msg, sk->k.nmsg))
		return 0;
	/* the caller reads these whatever the rules say: with their message
	 * and keys, or parsed */
	if (s->o.parse_from != SEV_DEFAULT && sk->sev >= s->o.parse_from)
		return event_skim_keys(rec, sk);
	return 1;
}

/* A skimmable record is only skimmed when that changes nothing: no open
 * run of the joiner would take it. */
static int skim_joins(const struct evstream *s, const struct record *rec, const struct skim *sk)
{
	return !evjoin_held(s->join) || (sk->k.known && !evjoin_has_run(s->join, rec->source, &sk->k));
}

/* ev skimmed from rec, when it can be (0: fill it). */
static int skim(struct evstream *s, struct event *ev, const struct record *rec)
{
	struct skim sk;

	return skimmable(s, rec, &sk) && skim_joins(s, rec, &sk) &&
	       event_from_skim(ev, rec, &sk, s->o.skim_msg) == 0;
}

static int has_traceback(const struct event *ev)
{
	static const char tb[] = "Traceback (most recent call last):";
	const size_t m = sizeof tb - 1;
	const char *p = ev->msg, *end = ev->msg + ev->msg_len;

	while (end - p >= (ptrdiff_t)m && (p = memchr(p, 'T', (size_t)(end - p - (ptrdiff_t)m) + 1))) {
		if (!memcmp(p, tb, m))
			return 1;
		p++;
	}
	return 0;
}

static int same_close(const struct close_trace *a, const struct close_trace *b)
{
	return a->code == b->code && a->direction == b->direction && a->http_status == b->http_status &&
	       !strcmp(a->reason, b->reason);
}

/*
 * One close printed twice, as the log line ("WebSocket error: sent 1011
 * ...") and again as the exception line of the traceback beside it (after
 * it, or before it when the log is newest first), is one close: the second
 * event keeps its text, not its close.
 */
static void close_once(struct evstream *s, struct event *ev)
{
	int tb;

	if (!ev->close.present) {
		s->prev.present = 0;
		return;
	}
	tb = has_traceback(ev);
	if (s->prev.present && (tb || s->prev_tb) && same_close(&s->prev, &ev->close)) {
		ev->close.present = 0;
		s->prev.present = 0;
		return;
	}
	s->prev = ev->close;
	s->prev_tb = tb;
}

/* A parse thread's first look at one record: whether the caller takes it
 * as it is (PS_SERIAL), skimmed (PS_SKIMMED), or parsed (PS_FILL, until
 * fill_one parses it here). */
static void parse_one(struct evstream *s, struct pslot *sl)
{
	struct record *rec = &sl->rec;

	sl->ok = 1;
	sl->pw0 = sl->pw1 = 0;
	if (rec->json || rec->kind == RECORD_TEXT)
		/* a text record's year is the stream's, known in order only */
		sl->state = PS_SERIAL;
	else if (skimmable(s, rec, &sl->sk))
		sl->state = PS_SKIMMED;
	else
		sl->state = PS_FILL;
}

/* A parse thread parses a PS_FILL record: what fill does, but for the
 * joiner's part, which the calling thread decides. */
static void fill_one(struct pbatch *b, struct pslot *sl)
{
	struct record *rec = &sl->rec;
	struct diag d;

	sl->pw0 = b->pw.n;
	sl->state = PS_FILLED;
	if (!sl->ev) {
		if (!(sl->ev = malloc(sizeof *sl->ev))) {
			sl->state = PS_FILL;   /* the calling thread's to parse */
			return;
		}
		event_init(sl->ev);
	}
	if (event_from_record(sl->ev, rec, &d) != 0) {
		struct record text = *rec;

		sl->ok = 0;
		warn_emit(&b->pwarn, d.file, d.line, d.col, "%s; record kept as text", d.msg);
		text.kind = RECORD_TEXT;
		text.json = NULL;
		event_from_record(sl->ev, &text, NULL);
	}
	sl->pw1 = b->pw.n;
}

static int frame_chunk(struct ppar *p, struct pbatch *b);

/* Parse the batch that was taken next (called and returning with p->mu
 * held; it is let go while parsing); a chunk is framed first. */
static void parse_taken(struct ppar *p)
{
	struct pbatch *b = &p->b[p->taken++ % p->nb];
	size_t i, nfill = 0;

	pthread_mutex_unlock(&p->mu);
	if (b->chunk && frame_chunk(p, b) < 0) {
		b->last = 1;
		b->end_rc = -1;
		b->end_fw0 = b->fw.n;
		diag_set(&b->end_err, source_name(framer_source(p->s->fr)), 0, 0, "out of memory");
	}
	for (i = 0; i < b->n; i++) {
		parse_one(p->s, &b->slot[i]);
		nfill += b->slot[i].state == PS_FILL;
	}
	/*
	 * A tree built here is read and freed by the calling thread: its
	 * memory crosses between cores twice, which costs more than building
	 * it there (triage on 50 MB with one record in ten parsed: 148 ms
	 * against 166 ms on two threads). Where most records are parsed (a
	 * storm of incident lines) the threads' parsing pays: 1.27 s against
	 * 1.44 s.
	 */
	if (nfill * 2 > b->n)
		for (i = 0; i < b->n; i++)
			if (b->slot[i].state == PS_FILL)
				fill_one(b, &b->slot[i]);
	pthread_mutex_lock(&p->mu);
	b->done = 1;
	pthread_cond_broadcast(&p->done);
}

static void *ppar_main(void *arg)
{
	struct ppar *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->taken == p->framed)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stop)
			break;
		parse_taken(p);
	}
	pthread_mutex_unlock(&p->mu);
	jpool_thread_end();
	return NULL;
}

/* Empty b for the next records (its slots and their events kept). */
static void batch_reset(struct pbatch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->slot[i].rec.json) {
			json_decref(b->slot[i].rec.json);
			b->slot[i].rec.json = NULL;
		}
	b->n = 0;
	b->fw.n = b->pw.n = 0;
	b->last = 0;
	buf_reset(&b->bytes);
}

/* Copy a framed record into b's next slot (its text as an offset into
 * b's bytes until batch_fix). fw0: b's framing warnings before it. */
static int batch_add(struct pbatch *b, const struct record *rec, size_t fw0)
{
	struct pslot *sl;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : PB_RECORDS;

		if (!(sl = realloc(b->slot, cap * sizeof *sl)))
			return -1;
		memset(sl + b->cap, 0, (cap - b->cap) * sizeof *sl);
		b->slot = sl;
		b->cap = cap;
	}
	sl = &b->slot[b->n];
	sl->rec = *rec;
	sl->rec.text = (const char *)(uintptr_t)b->bytes.len;
	if (buf_add(&b->bytes, rec->text, rec->len) < 0 || buf_addc(&b->bytes, '\0') < 0)
		return -1;
	if (rec->json)
		json_incref(rec->json);
	sl->fw0 = fw0;
	sl->fw1 = b->fw.n;
	b->n++;
	return 0;
}

static void batch_fix(struct pbatch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		b->slot[i].rec.text = b->bytes.p + (uintptr_t)b->slot[i].rec.text;
}

/* Frame the next batch into b (the caller's thread). -1: out of memory. */
static int frame_batch(struct evstream *s, struct pbatch *b)
{
	struct ppar *p = s->par;
	struct framer *fr = p->sfr ? p->sfr : s->fr;

	batch_reset(b);
	b->done = 0;
	b->chunk = 0;
	p->filling = b;
	while (b->n < PB_RECORDS && b->bytes.len < PB_BYTES) {
		const struct record *rec;
		size_t fw0 = b->fw.n;
		int rc = framer_next(fr, &rec, &b->end_err);

		if (rc <= 0) {
			b->last = 1;
			b->end_rc = rc;
			b->end_fw0 = fw0;
			break;
		}
		if (batch_add(b, rec, fw0) < 0) {
			p->filling = NULL;
			return -1;
		}
	}
	p->filling = NULL;
	batch_fix(b);
	if (b->last)
		p->framing_over = 1;
	return 0;
}

/*
 * A chunk held more than PB_HOLD without coming to rest: from its start
 * (where the chunk before came to rest), the calling thread frames the
 * rest of the input into batches, as for a pipe, in bounded memory; the
 * chunks queued after it are dropped. -1: out of memory.
 */
static int chunk_hold(struct evstream *s, long long at)
{
	struct ppar *p = s->par;
	struct framer_opts fo;
	struct source *src;

	memset(&fo, 0, sizeof fo);
	fo.format = at ? p->detected : p->fmt;
	fo.mid_input = at > 0;
	fo.max_record = s->o.max_record;
	fo.warn = &p->cap;
	fo.byte_scan = s->o.byte_scan;
	fo.name = source_name(framer_source(s->fr));
	src = source_open_part(fo.name, p->fd, at, p->size, p->size);
	if (!src || !(p->sfr = framer_open(src, &fo)))
		return -1;
	p->framing_over = 0;
	return 0;
}

/*
 * Where the chunk after the one at `from` starts: the first line start
 * PB_CHUNK or more bytes on where a line ending in "}" is followed by one
 * starting with "{" (NDJSON's records, where a framer is at rest), looked
 * for up to PB_CUT_LOOK further; else the end of the input. The calling
 * thread and a chunk's framer, reading on past a cut, find the same ones.
 */
static long long chunk_cut(const struct ppar *p, long long from)
{
	char w[16 << 10];
	long long at = from + PB_CHUNK - 3, stop;

	if (p->size - from <= PB_CHUNK + PB_CHUNK / 4)
		return p->size;   /* no small last chunk */
	stop = p->size - from - PB_CHUNK > PB_CUT_LOOK ? from + PB_CHUNK + PB_CUT_LOOK : p->size;
	/* windows overlapping by 3 bytes: "}\r\n" before the "{" */
	for (; at + 3 < stop; at += (long long)sizeof w - 3) {
		ssize_t n = pread(p->fd, w, sizeof w, (off_t)at), i;

		if (n < 4)
			break;
		for (i = 2; i + 1 < n; i++) {
			const char *q = memchr(w + i, '\n', (size_t)(n - 1 - i));

			if (!q)
				break;
			i = q - w;
			if (q[1] == '{' && (q[-1] == '}' || (q[-1] == '\r' && i >= 3 && q[-2] == '}')))
				return at + i + 1;
		}
	}
	return p->size;
}

/*
 * A parse thread frames the chunk taken into b: from its start on, until
 * its framer is at rest at a cut at or after b->end (b->end and b->lines
 * then say where and after how many lines), or the input ends (b->last).
 * -1: out of memory.
 */
static int frame_chunk(struct ppar *p, struct pbatch *b)
{
	struct framer_opts fo;
	const char *name = source_name(framer_source(p->s->fr));
	struct framer *fr;
	struct source *src;
	long long at, target = b->end;
	long line;
	int rc = 0;

	batch_reset(b);
	/* room for the chunk's bytes (and a NUL a record) at once: no copy
	 * as they grow */
	if (buf_reserve(&b->bytes, (size_t)(b->end - b->start) + PB_RECORDS) < 0)
		return -1;
	memset(&fo, 0, sizeof fo);
	fo.format = b->start ? p->detected : p->fmt;
	fo.mid_input = b->start > 0;
	fo.max_record = p->s->o.max_record;
	fo.warn = &b->fwarn;
	fo.byte_scan = p->s->o.byte_scan;
	fo.name = name;   /* the input's, not the part source's copy */
	/* the framer (its buffers) of the batch's last chunk, reused */
	if (!(src = source_open_part(name, p->fd, b->start, b->end + 4096, p->size)))
		return -1;
	if (!(fr = framer_reopen(b->fr, src, &fo))) {
		b->fr = NULL;
		return -1;
	}
	b->fr = fr;
	for (;;) {
		const struct record *rec;
		size_t fw0 = b->fw.n;

		/* the last chunk is read to the input's end, never to rest */
		if (target >= p->size)
			target = p->size + 1;

		rc = framer_next(fr, &rec, &b->end_err);
		if (rc <= 0) {
			b->last = 1;
			b->end_rc = rc;
			b->end_fw0 = fw0;
			b->end = p->size;
			rc = 0;
			break;
		}
		if ((rc = batch_add(b, rec, fw0)) < 0)
			break;
		if (b->bytes.len > PB_HOLD) {
			batch_reset(b);   /* what it framed is framed again */
			b->hold = 1;
			break;
		}
		if (framer_rest(fr, &at, &line) && at == target - b->start) {
			b->end = target;
			b->lines = line - 1;
			break;
		}
		while (target < b->start + at && target < p->size)
			target = chunk_cut(p, target);
	}
	batch_fix(b);
	return rc;
}

static void give_warnings(const struct evstream *s, const struct dvec *v, size_t a, size_t b)
{
	for (; a < b; a++)
		if (s->o.warn && s->o.warn->fn)
			s->o.warn->fn(s->o.warn->ctx, &v->v[a]);
}

/* Lines counted from a chunk's start made the input's. */
static void lines_shift(struct dvec *v, size_t a, size_t b, long by)
{
	for (; a < b; a++)
		if (v->v[a].line > 0)
			v->v[a].line += by;
}

/* A chunk's record as the input's: its lines, and its warnings' lines. */
static void chunk_place(struct ppar *p, struct pbatch *b, struct pslot *sl)
{
	sl->rec.line += p->line0;
	if (sl->state == PS_FILLED) {
		sl->ev->line += p->line0;
		sl->ev->last_line += p->line0;
	}
	lines_shift(&b->fw, sl->fw0, sl->fw1, p->line0);
	lines_shift(&b->pw, sl->pw0, sl->pw1, p->line0);
}

/* The calling thread queues the next chunk: where it starts and where the
 * next is cut. */
static void chunk_queue(struct ppar *p, struct pbatch *b)
{
	b->start = p->cut;
	b->end = p->cut = chunk_cut(p, p->cut);
	b->lines = 0;
	b->done = b->last = 0;
	b->chunk = 1;
	b->hold = 0;
	if (p->cut >= p->size)
		p->framing_over = 1;
}

/*
 * The next record of a parallel stream: frame ahead into every free batch,
 * wait for the current one to be parsed. NULL at the end of the records
 * (b_out and the batch's end fields then say how it ended).
 */
static struct pslot *par_next(struct evstream *s, struct pbatch **b_out, int *oom)
{
	struct ppar *p = s->par;
	struct pbatch *b;

	for (;;) {
		while (!p->framing_over && p->framed < p->used + p->nb) {
			struct pbatch *nb = &p->b[p->framed % p->nb];

			if (p->fd >= 0 && !p->sfr)
				chunk_queue(p, nb);
			else if (frame_batch(s, nb) < 0) {
				*oom = 1;
				return NULL;
			}
			pthread_mutex_lock(&p->mu);
			p->framed++;
			pthread_cond_signal(&p->work);
			pthread_mutex_unlock(&p->mu);
		}
		b = &p->b[p->used % p->nb];
		*b_out = b;
		/* waiting for it, the caller parses a batch no thread took yet:
		 * framing is less work than parsing, so all threads stay busy */
		pthread_mutex_lock(&p->mu);
		while (!b->done) {
			if (p->taken < p->framed)
				parse_taken(p);
			else
				pthread_cond_wait(&p->done, &p->mu);
		}
		pthread_mutex_unlock(&p->mu);
		if (b->chunk && p->pos == 0 && (p->sfr || b->start != p->next)) {
			p->used++;   /* the chunk before read on past it */
			continue;
		}
		if (b->chunk && b->hold) {
			if (chunk_hold(s, b->start) < 0) {
				*oom = 1;
				return NULL;
			}
			p->used++;
			continue;
		}
		if (p->pos < b->n) {
			if (p->fd >= 0)
				chunk_place(p, b, &b->slot[p->pos]);
			return &b->slot[p->pos++];
		}
		if (b->last) {
			if (p->fd >= 0)
				lines_shift(&b->fw, b->end_fw0, b->fw.n, p->line0);
			return NULL;
		}
		if (b->chunk) {
			p->next = b->end;
			p->line0 += b->lines;
		}
		p->used++;
		p->pos = 0;
	}
}

/* The next record of the wrapper being unwrapped, into the joiner.
 * 1: one went in, or the wrapper ended (look again); 0: no wrapper is
 * open; -1: out of memory (d set). */
static int unwrap_step(struct evstream *s, struct diag *d)
{
	struct event *ev;
	json_t *item;

	if (!s->uw.kind)
		return 0;
	if (!(item = unwrap_next(&s->uw))) {
		unwrap_end(&s->uw);
		return 1;
	}
	if (!(ev = evjoin_slot(s->join))) {
		json_decref(item);
		diag_set(d, s->uw_rec.source, s->uw_rec.line, 0, "out of memory");
		return -1;
	}
	event_from_item(ev, &s->uw_rec, item);
	s->items++;
	if (evjoin_push(s->join) < 0) {
		diag_set(d, s->uw_rec.source, s->uw_rec.line, 0, "out of memory");
		return -1;
	}
	if (s->o.no_join)
		evjoin_end(s->join);
	return 1;
}

/* What both reading paths do before they take the next record: report a
 * read error that waited for the held events (-1, d set), put the
 * wrapper's next record into the joiner (2: look again), stop at the end
 * (0). 1: go on and read a record. */
static int before_record(struct evstream *s, struct diag *d)
{
	int uw;

	if (s->failed) {
		if (d)
			*d = s->err;
		return -1;
	}
	if ((uw = unwrap_step(s, d)) != 0)
		return uw < 0 ? -1 : 2;
	return s->eof ? 0 : 1;
}

static int evstream_next_par(struct evstream *s, struct event **out, struct diag *d)
{
	struct pbatch *b;
	struct pslot *sl;
	struct event *ev;
	int oom = 0, uw;

	for (;;) {
		if ((ev = evjoin_pop(s->join))) {
			close_once(s, ev);
			*out = ev;
			return 1;
		}
		if ((uw = before_record(s, d)) != 1) {
			if (uw == 2)
				continue;
			return uw;
		}
		sl = par_next(s, &b, &oom);
		if (oom)
			return diag_set(d, NULL, 0, 0, "out of memory");
		if (!sl) {
			give_warnings(s, &b->fw, b->end_fw0, b->fw.n);
			s->err = b->end_err;
			evjoin_end(s->join);
			s->eof = 1;
			s->failed = b->end_rc < 0;
			continue;
		}
		give_warnings(s, &b->fw, sl->fw0, sl->fw1);
		s->records++;
		if (sl->state == PS_SKIMMED && skim_joins(s, &sl->rec, &sl->sk)) {
			/* the event is made here, from what the parse thread
			 * read: neither thread writes memory the other wrote */
			if (!(ev = evjoin_slot(s->join)) ||
			    event_from_skim(ev, &sl->rec, &sl->sk, s->o.skim_msg) < 0)
				return diag_set(d, sl->rec.source, sl->rec.line, 0, "out of memory");
		} else if (sl->state == PS_FILLED) {
			give_warnings(s, &b->pw, sl->pw0, sl->pw1);
			if (evjoin_trade(s->join, &sl->ev) < 0)
				return diag_set(d, sl->rec.source, sl->rec.line, 0, "out of memory");
			if (sl->ok)
				filled(s, evjoin_slot(s->join), &sl->rec);
		} else if (!(ev = evjoin_slot(s->join))) {
			return diag_set(d, sl->rec.source, sl->rec.line, 0, "out of memory");
		} else if (sl->state != PS_SERIAL || !skim(s, ev, &sl->rec)) {
			/* PS_FILL, or skimmed where a run of the joiner may take it */
			fill(s, ev, &sl->rec);
		}
		if (s->uw.kind)
			continue;   /* the wrapper itself is no event: its records are */
		if (evjoin_push(s->join) < 0)
			return diag_set(d, sl->rec.source, sl->rec.line, 0, "out of memory");
		if (s->o.no_join)
			evjoin_end(s->join);
	}
}

int evstream_next(struct evstream *s, struct event **out, struct diag *d)
{
	const struct record *rec;
	struct event *ev;
	int rc, uw;

	if (s->par)
		return evstream_next_par(s, out, d);
	for (;;) {
		if ((ev = evjoin_pop(s->join))) {
			close_once(s, ev);
			*out = ev;
			return 1;
		}
		if (s->idle_due) {
			s->idle_due = 0;
			s->o.idle(s->o.idle_ctx);
		}
		if ((uw = before_record(s, d)) != 1) {
			if (uw == 2)
				continue;
			return uw;
		}
		/* Following a live input: when it pauses between records, a run
		 * of entries the joiner holds back waiting for more is as
		 * complete as it will get, so it goes out now rather than with
		 * the next record (the framer does the same for its blocks and
		 * YAML documents: framer_opts.pause_ms). */
		if (s->o.follow && !s->paused && (evjoin_held(s->join) || s->o.idle) &&
		    framer_drained(s->fr) &&
		    !source_ready((struct source *)framer_source(s->fr), EVSTREAM_PAUSE_MS)) {
			s->paused = 1;
			s->idle_due = s->o.idle != NULL;
			evjoin_end(s->join);
			continue;
		}
		rc = framer_next(s->fr, &rec, &s->err);
		s->paused = 0;
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
	/* a thread may still be on a chunk no one will use: it names its
	 * records after the framer's source */
	ppar_stop(s->par);
	framer_close(s->fr);
	ppar_free(s->par);   /* after: the framer's source warns through it */
	evjoin_free(s->join);
	free(s);
}

void evstream_progress(const struct evstream *s, long long *done, long long *size)
{
	const struct source *src = framer_source(s->fr);

	*done = s->par && s->par->fd >= 0 ? s->par->next : source_consumed(src);
	*size = source_size(src);
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
