#include "read/frame.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "read/lineprefix.h"
#include "read/multiline.h"
#include "read/yamldoc.h"
#include "util/buf.h"
#include "util/jscan.h"

/*
 * Why a JSON scanner of its own, beside jansson: framing must find where
 * a value ends before anything parses it, in bounded memory and across
 * reads (a 2 GiB array, a record past the size limit is cut, not held),
 * and must keep going where jansson stops: a broken value, text between
 * values, an array cut off mid-element are kept as text records with a
 * warning at their line:col. It only tracks brackets, strings and
 * escapes; jansson parses each record it frames.
 */

/* One read buffer of this size is all the input a framer holds. */
#define FRAME_READ_SIZE ((size_t)256 << 10)
/* Whitespace run before the first token of a line we look past when
 * classifying it; longer runs are text. */
#define FRAME_PEEK_MAX ((size_t)4096)

enum { REL_REC = 1, REL_BLK = 2 };

enum jtop { J_LINE_START, J_MID };

enum vkind { V_CONT, V_STR, V_BARE };

enum scan_rc { SCAN_ERR = -1, SCAN_DONE, SCAN_BROKEN_LINE, SCAN_BROKEN_EOF };

/* How a line (or the rest of one) starts, as far as JSON framing cares. */
enum lclass { L_EOF, L_BLANK, L_TEXT, L_OBJ, L_ARR, L_BAD_OBJ };

struct jvalue {
	int active;
	enum vkind kind;
	long long depth;        /* a 2 GiB run of '{' must not overflow it */
	int in_str, esc;
	int cut;
	size_t total;
	long line, col;
};

struct framer {
	struct source *src;
	const char *name;
	enum input_format fmt;
	int detected;
	size_t max;
	struct warn_sink warn;

	char *rb;
	size_t pos, end;
	int eof;
	long long abs;          /* input offset of rb[0] */
	char prev;              /* the byte before rb[0], for CRLF across refills */
	long line;              /* line of rb[pos] */
	long long line_off;     /* input offset where that line starts */
	long prev_line_len;
	int err;
	struct diag errd;

	struct buf rec;         /* a text line or a JSON value */
	struct buf blk;         /* an open text block, or a YAML document */
	struct buf lbuf;        /* YAML: the line being read */
	int release;
	struct record out;
	json_t *yjson;

	/* CRI partial lines ("P") being put back together */
	struct buf part;
	int part_open;          /* part holds a partial line and its pieces */
	int queued;             /* part holds a line read ahead, routed next */
	long part_line, queue_line;
	size_t part_cut, queue_cut;   /* bytes cut from them */
	size_t part_total;      /* bytes of the pieces, cut or not */
	char part_stream;       /* 'o' stdout, 'e' stderr */
	int cri_pieces;         /* text framing that may carry CRI lines */

	/* docker json-file lines in pieces: a line over 16 KiB is written as
	 * several entries whose "log" lacks the "\n" but the last one's */
	struct buf dlog;        /* the pieces' log strings so far, still escaped */
	struct buf dtail;       /* the first piece after its log string */
	struct buf djoin;       /* the put-together record handed out */
	struct buf dheld;       /* a record that ended the pieces, handed out next */
	struct record dheld_rec;
	int dopen, dheld_on, dcut;
	long dline;
	size_t dtotal;          /* bytes of the log strings, cut or not */

	struct multiline ml;
	int blk_open;
	long blk_line;
	long blk_lines;
	size_t blk_cut;
	int pend;               /* rec holds a line the block's end left over */
	enum ml_class pend_class;
	long pend_line;
	size_t pend_cut;

	enum jtop jtop;
	int jarr;               /* inside a top-level array */
	const char *wrap;       /* that array is a wrapper's ("events"), NULL none */
	int wrap_rest;          /* the value being scanned is the wrapper's rest */
	struct buf wbuf;        /* an element as the wrapper's own record */
	int keep_partial;       /* framer_opts.keep_partial */
	long jarr_kept;
	struct jvalue jv;

	long doc_line;          /* YAML: line of the document's first byte */
	int doc_cut;
	size_t doc_total;
	int ypend;              /* lbuf holds a "--- content" line for the next doc */
	long ypend_line;
	int done;
	int pause_ms;           /* framer_opts.pause_ms */
	int mid;                /* framer_opts.mid_input */
	int byte_scan;          /* framer_opts.byte_scan */
};

static const struct {
	const char *name;
	enum input_format f;
	enum input_format frame;   /* how it is framed */
	unsigned prefixes;         /* lineprefix kinds its lines may carry */
} format_names[] = {
	{ "auto", INPUT_AUTO, INPUT_AUTO, LP_ALL },
	{ "json", INPUT_JSON, INPUT_JSON, LP_ALL },
	{ "ndjson", INPUT_JSON, INPUT_JSON, LP_ALL },
	{ "jsonl", INPUT_JSON, INPUT_JSON, LP_ALL },
	{ "yaml", INPUT_YAML, INPUT_YAML, LP_ALL },
	{ "text", INPUT_TEXT, INPUT_TEXT, LP_ALL },
	{ "kubectl", INPUT_KUBECTL, INPUT_JSON, 0 },
	{ "docker", INPUT_DOCKER, INPUT_JSON, 0 },
	{ "cri", INPUT_CRI, INPUT_TEXT, LP_BIT(LP_CRI) },
	{ "compose", INPUT_COMPOSE, INPUT_JSON, LP_BIT(LP_COMPOSE) },
	{ "cloudfoundry", INPUT_CLOUDFOUNDRY, INPUT_JSON, LP_BIT(LP_CLOUDFOUNDRY) },
	{ "journald", INPUT_JOURNALD, INPUT_JSON, LP_BIT(LP_SYSLOG) | LP_BIT(LP_SYSLOG_ISO) },
	{ "syslog", INPUT_JOURNALD, INPUT_JSON, LP_BIT(LP_SYSLOG) | LP_BIT(LP_SYSLOG_ISO) },
	{ "gunicorn", INPUT_GUNICORN, INPUT_TEXT, LP_BIT(LP_GUNICORN) },
	{ "cloudwatch", INPUT_CLOUDWATCH, INPUT_JSON, LP_BIT(LP_AWS_TAIL) },
	{ "otlp", INPUT_OTLP, INPUT_JSON, 0 },
	{ "datadog", INPUT_DATADOG, INPUT_JSON, 0 },
	{ "azure", INPUT_AZURE, INPUT_JSON, 0 },
};

#define NFORMAT_NAMES (sizeof format_names / sizeof format_names[0])

const char *input_format_name(enum input_format f)
{
	size_t i;

	for (i = 0; i < NFORMAT_NAMES; i++)
		if (format_names[i].f == f)
			return format_names[i].name;
	return "?";
}

int input_format_parse(const char *s)
{
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < NFORMAT_NAMES; i++)
		if (strcmp(s, format_names[i].name) == 0)
			return (int)format_names[i].f;
	return -1;
}

unsigned input_format_prefixes(enum input_format f)
{
	size_t i;

	for (i = 0; i < NFORMAT_NAMES; i++)
		if (format_names[i].f == f)
			return format_names[i].prefixes;
	return LP_ALL;
}

int input_format_allows(enum input_format f, enum input_format kind)
{
	return f <= INPUT_TEXT || f == kind;
}

/* How a format is framed: JSON, YAML, text (or auto: detect). */
static enum input_format framing(enum input_format f)
{
	size_t i;

	for (i = 0; i < NFORMAT_NAMES; i++)
		if (format_names[i].f == f)
			return format_names[i].frame;
	return INPUT_AUTO;
}

/* f zeroed: set up as o says. */
static void framer_init(struct framer *f, const struct framer_opts *o)
{
	f->fmt = o ? o->format : INPUT_AUTO;
	f->max = o && o->max_record ? o->max_record : FRAME_MAX_RECORD;
	if (o)
		f->pause_ms = o->pause_ms;
	if (o && o->warn)
		f->warn = *o->warn;
	f->keep_partial = o && o->keep_partial;
	f->mid = o && o->mid_input;
	f->byte_scan = o && o->byte_scan;
	f->line = 1;
	f->rec.max = f->max;
	f->blk.max = f->max;
	f->lbuf.max = f->max;
	f->part.max = f->max;
	f->dlog.max = f->max;
	f->dtail.max = f->max;
	f->djoin.max = f->max;
	f->dheld.max = f->max;
	f->wbuf.max = f->max + 64;
	multiline_init(&f->ml);
}

static struct framer *framer_new(const struct framer_opts *o)
{
	struct framer *f = calloc(1, sizeof *f);

	if (f)
		framer_init(f, o);
	return f;
}

struct framer *framer_open(struct source *src, const struct framer_opts *o)
{
	struct framer *f = framer_new(o);

	if (!f || !(f->rb = malloc(FRAME_READ_SIZE))) {
		free(f);
		source_close(src);
		return NULL;
	}
	f->src = src;
	f->name = o && o->name ? o->name : source_name(src);
	return f;
}

struct framer *framer_reopen(struct framer *f, struct source *src, const struct framer_opts *o)
{
	struct buf keep[9];
	struct buf *bufs[9];
	char *rb;
	size_t i;

	if (!f)
		return framer_open(src, o);
	bufs[0] = &f->rec, bufs[1] = &f->blk, bufs[2] = &f->lbuf, bufs[3] = &f->part;
	bufs[4] = &f->dlog, bufs[5] = &f->dtail, bufs[6] = &f->djoin, bufs[7] = &f->dheld;
	bufs[8] = &f->wbuf;
	json_decref(f->yjson);
	source_close(f->src);
	rb = f->rb;
	for (i = 0; i < 9; i++)
		keep[i] = *bufs[i];
	memset(f, 0, sizeof *f);
	framer_init(f, o);
	for (i = 0; i < 9; i++) {
		bufs[i]->p = keep[i].p;
		bufs[i]->cap = keep[i].cap;
		buf_reset(bufs[i]);
	}
	f->rb = rb;
	f->src = src;
	f->name = o && o->name ? o->name : source_name(src);
	return f;
}

void framer_close(struct framer *f)
{
	if (!f)
		return;
	json_decref(f->yjson);
	buf_free(&f->rec);
	buf_free(&f->blk);
	buf_free(&f->lbuf);
	buf_free(&f->part);
	buf_free(&f->dlog);
	buf_free(&f->dtail);
	buf_free(&f->djoin);
	buf_free(&f->dheld);
	buf_free(&f->wbuf);
	source_close(f->src);
	free(f->rb);
	free(f);
}

enum input_format framer_format(const struct framer *f)
{
	return f->fmt;
}

const struct source *framer_source(const struct framer *f)
{
	return f->src;
}

/* ---- input ---- */

/* Make at least k bytes available at rb[pos] unless the input ends first.
 * Returns the bytes available (may be < k), -1 on a read error. Moves the
 * unread bytes to the front, so pointers into rb do not survive it. */
static long want(struct framer *f, size_t k)
{
	if (k > FRAME_READ_SIZE)
		k = FRAME_READ_SIZE;
	if (f->end - f->pos >= k)
		return (long)(f->end - f->pos);
	if (f->pos > 0) {
		f->prev = f->rb[f->pos - 1];
		memmove(f->rb, f->rb + f->pos, f->end - f->pos);
		f->abs += (long long)f->pos;
		f->end -= f->pos;
		f->pos = 0;
	}
	while (f->end < k && !f->eof) {
		long n = source_read(f->src, f->rb + f->end, FRAME_READ_SIZE - f->end,
				     &f->errd);

		if (n < 0) {
			f->err = 1;
			return -1;
		}
		if (n == 0)
			f->eof = 1;
		f->end += (size_t)n;
	}
	return (long)(f->end - f->pos);
}

/* Following: nothing unread, and the input has paused (framer_opts.pause_ms). */
static int paused(struct framer *f)
{
	return f->pause_ms > 0 && f->pos == f->end && !f->eof &&
	       !source_ready(f->src, f->pause_ms);
}

static char byte_before(const struct framer *f, size_t i)
{
	return i > 0 ? f->rb[i - 1] : f->prev;
}

/* The line terminator at rb[i] has been consumed (pos is past it). */
static void count_newline(struct framer *f, size_t i)
{
	if (f->rb[i] == '\n' && byte_before(f, i) == '\r') {
		f->line_off = f->abs + (long long)i + 1;  /* second half of CRLF */
		return;
	}
	f->prev_line_len = (long)(f->abs + (long long)i - f->line_off);
	f->line++;
	f->line_off = f->abs + (long long)i + 1;
}

static long col_at(const struct framer *f, size_t i)
{
	return (long)(f->abs + (long long)i - f->line_off) + 1;
}

/* At a line start, the LF of a CRLF whose CR ended the last line. */
static int skip_crlf_tail(struct framer *f)
{
	long n = want(f, 1);

	if (n < 0)
		return -1;
	if (n > 0 && f->rb[f->pos] == '\n' && byte_before(f, f->pos) == '\r') {
		f->pos++;
		count_newline(f, f->pos - 1);
	}
	return 0;
}

/* Append the rest of the current line (LF, CRLF or lone CR ends it) to b,
 * up to its max; the terminator is consumed, not stored. 1: a line (maybe
 * empty) was read; 0: the input had ended; -1: read error. */
static int read_line(struct framer *f, struct buf *b, int *cut, size_t *total)
{
	int got = 0;

	*cut = 0;
	*total = 0;
	if (skip_crlf_tail(f) < 0)
		return -1;
	for (;;) {
		const char *p, *nl, *cr;
		size_t n, lim;

		if (f->pos == f->end) {
			long r = want(f, 1);

			if (r < 0)
				return -1;
			if (r == 0)
				return got;
		}
		got = 1;
		p = f->rb + f->pos;
		n = f->end - f->pos;
		nl = memchr(p, '\n', n);
		lim = nl ? (size_t)(nl - p) : n;
		cr = lim ? memchr(p, '\r', lim) : NULL;
		if (cr) {
			lim = (size_t)(cr - p);
			nl = cr;
		}
		if (buf_add_upto(b, p, lim) < lim)
			*cut = 1;
		*total += lim;
		f->pos += lim;
		if (nl) {
			f->pos++;
			count_newline(f, f->pos - 1);
			if (f->rb[f->pos - 1] == '\r' && f->pos < f->end &&
			    f->rb[f->pos] == '\n') {
				f->pos++;
				count_newline(f, f->pos - 1);
			}
			return 1;
		}
	}
}

/* ---- output ---- */

/* cut: the bytes the size limit cut off the record, 0 when none. */
static int emit(struct framer *f, struct buf *b, int rel, long line,
		enum record_kind kind, size_t cut, int joined)
{
	if (!b->p)
		buf_reserve(b, 0);
	f->out.source = f->name;
	f->out.line = line;
	f->out.kind = kind;
	f->out.text = b->p ? b->p : "";
	f->out.len = b->len;
	f->out.json = NULL;
	f->out.truncated = cut ? 1 : 0;
	f->out.cut = cut;
	f->out.joined = joined ? 1 : 0;
	f->out.incomplete = 0;
	f->out.format = (int)f->fmt;
	f->out.year = 0;
	f->release |= rel;
	return 1;
}

/* The bytes cut off a record of total bytes. */
static size_t warn_cut(struct framer *f, long line, size_t total)
{
	warn_emit(&f->warn, f->name, line, 0,
		  "record of %zu bytes cut to the %zu-byte limit", total, f->max);
	return total - f->max;
}

static int is_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* ---- text lines and Python blocks ---- */

static int emit_block(struct framer *f)
{
	struct buf *b = &f->blk;

	/* A blank line may continue a block (before a chained exception);
	 * when nothing follows it, it is not part of the record. */
	for (;;) {
		size_t i = b->len;

		while (i > 0 && b->p[i - 1] != '\n')
			i--;
		if (i == 0 || !is_blank(b->p + i, b->len - i))
			break;
		b->len = i - 1;
		b->p[b->len] = '\0';
	}
	f->blk_open = 0;
	return emit(f, b, REL_BLK, f->blk_line, RECORD_TEXT, f->blk_cut,
		    memchr(b->p, '\n', b->len) != NULL);
}

/* A line in rec, with no block open. */
static int text_fresh(struct framer *f, enum ml_class c, long line, size_t cut)
{
	if (c == ML_START) {
		buf_reset(&f->blk);
		buf_add(&f->blk, f->rec.p, f->rec.len);
		buf_reset(&f->rec);
		f->blk_open = 1;
		f->blk_line = line;
		f->blk_lines = 1;
		f->blk_cut = cut;
		return 0;
	}
	if (is_blank(f->rec.p, f->rec.len)) {
		buf_reset(&f->rec);
		return 0;
	}
	return emit(f, &f->rec, REL_REC, line, RECORD_TEXT, cut, 0);
}

/* A complete text line is in rec. 1: a record is ready; 0: the line was
 * absorbed (into a block, or blank). */
static int text_line(struct framer *f, long line, size_t cut)
{
	enum ml_class c = multiline_feed(&f->ml, f->rec.p ? f->rec.p : "",
					 f->rec.len);

	if (!f->blk_open)
		return text_fresh(f, c, line, cut);
	if (c == ML_CONT) {
		if (f->blk_lines < FRAME_MAX_BLOCK_LINES &&
		    buf_reserve(&f->blk, f->rec.len + 1) == 0) {
			buf_addc(&f->blk, '\n');
			buf_add(&f->blk, f->rec.p, f->rec.len);
			buf_reset(&f->rec);
			f->blk_lines++;
			f->blk_cut += cut;
			return multiline_done(&f->ml) ? emit_block(f) : 0;
		}
		/* the block is full: end it, this line stands alone */
		multiline_init(&f->ml);
		c = ML_NONE;
	}
	f->pend = 1;
	f->pend_class = c;
	f->pend_line = line;
	f->pend_cut = cut;
	return emit_block(f);
}

static int take_pending(struct framer *f)
{
	f->pend = 0;
	return text_fresh(f, f->pend_class, f->pend_line, f->pend_cut);
}

static void swap_part(struct framer *f)
{
	struct buf t = f->rec;

	f->rec = f->part;
	f->part = t;
}

/*
 * CRI writes a line longer than its buffer as "P" pieces ended by an "F"
 * piece, each with its own prefix. A line in rec: 1 when it is ready to
 * route (rec, *line and *cut may now be the whole put-together line, and a
 * line read ahead waits in part); 0 when it was taken as a piece.
 */
static int cri_piece(struct framer *f, long *line, size_t *cut)
{
	struct line_prefix lp;
	int is_cri = lineprefix_parse(f->rec.p ? f->rec.p : "", f->rec.len,
				      LP_BIT(LP_CRI), 0, &lp);
	char stream = is_cri ? lp.stream[3] == 'o' ? 'o' : 'e' : 0;

	if (f->part_open) {
		if (is_cri && stream == f->part_stream) {
			size_t kept = buf_add_upto(&f->part, f->rec.p + lp.msg, f->rec.len - lp.msg);

			if (kept < f->rec.len - lp.msg) {
				if (!f->part_cut)
					warn_emit(&f->warn, f->name, f->part_line, 0,
						  "line in CRI pieces cut to the %zu-byte limit", f->max);
				f->part_cut += f->rec.len - lp.msg - kept;
			}
			f->part_total += f->rec.len - lp.msg;
			if (lp.partial)
				return 0;
			swap_part(f);
			buf_reset(&f->part);
			f->part_open = 0;
			*line = f->part_line;
			*cut += f->part_cut;
			return 1;
		}
		/* something else came between: the pieces so far are a line */
		swap_part(f);
		f->part_open = 0;
		f->queued = 1;
		f->queue_line = *line;
		f->queue_cut = *cut;
		*line = f->part_line;
		*cut = f->part_cut;
		return 1;
	}
	if (is_cri && lp.partial) {
		swap_part(f);
		f->part_open = 1;
		f->part_line = *line;
		f->part_cut = *cut;
		f->part_total = f->part.len;
		f->part_stream = stream;
		return 0;
	}
	return 1;
}

/* Read one text line into rec and route it. */
static int text_read(struct framer *f)
{
	long line;
	size_t total, cut;
	int was_cut, r;

	for (;;) {
		buf_reset(&f->rec);
		if (f->queued) {
			swap_part(f);
			buf_reset(&f->part);
			f->queued = 0;
			line = f->queue_line;
			cut = f->queue_cut;
		} else {
			line = f->line;
			r = read_line(f, &f->rec, &was_cut, &total);
			if (r < 0)
				return -1;
			if (r == 0) {
				if (!f->part_open)
					return 0;
				/* the input ended inside a partial line */
				swap_part(f);
				buf_reset(&f->part);
				f->part_open = 0;
				line = f->part_line;
				cut = f->part_cut;
				return text_line(f, line, cut);
			}
			cut = was_cut ? warn_cut(f, line, total) : 0;
		}
		if (!f->cri_pieces || f->queued || cri_piece(f, &line, &cut))
			return text_line(f, line, cut);
	}
}

static int text_next(struct framer *f)
{
	for (;;) {
		int r;

		if (f->pend && take_pending(f))
			return 1;
		if (f->blk_open && paused(f)) {
			multiline_init(&f->ml);
			return emit_block(f);
		}
		if (f->done)
			return f->blk_open ? emit_block(f) : 0;
		if (want(f, 1) < 0)
			return -1;
		if (f->pos == f->end && f->eof && !f->queued && !f->part_open) {
			f->done = 1;
			continue;
		}
		r = text_read(f);
		if (r != 0)
			return r;
	}
}

/* ---- JSON ---- */

/* What starts at rb[pos] (not consumed): the first byte after blanks, and
 * for '{' / '[' the byte after that, on the same line. */
static enum lclass classify(struct framer *f, int at_line_start)
{
	size_t i = 0;
	long n;
	char c;

	for (;;) {
		n = want(f, i + 1);
		if (n < 0)
			return L_EOF;
		if ((size_t)n <= i)
			return i == 0 ? L_EOF : L_BLANK;
		c = f->rb[f->pos + i];
		if (c != ' ' && c != '\t')
			break;
		if (++i >= FRAME_PEEK_MAX)
			return L_TEXT;
	}
	if (c == '\n' || c == '\r')
		return L_BLANK;
	/* Inside a Python block an indented line is block text even when
	 * it holds a JSON-looking value. */
	if (at_line_start && i > 0 && f->blk_open)
		return L_TEXT;
	if (c != '{' && c != '[')
		return L_TEXT;
	for (i++;; i++) {
		char d;

		if (i >= FRAME_PEEK_MAX)
			return L_TEXT;
		n = want(f, i + 1);
		if (n < 0)
			return L_EOF;
		if ((size_t)n <= i)
			return c == '{' ? L_OBJ : L_ARR;
		d = f->rb[f->pos + i];
		if (d == ' ' || d == '\t')
			continue;
		if (d == '\n' || d == '\r')
			return c == '{' ? L_OBJ : L_ARR;
		if (c == '{')
			return d == '"' || d == '}' ? L_OBJ : L_BAD_OBJ;
		/* "[INFO] ..." and "[2025-09-08 ...]" are text, not arrays */
		return d == '{' || d == '[' || d == ']' || d == '"' ? L_ARR : L_TEXT;
	}
}

static void value_start(struct framer *f, enum vkind kind)
{
	memset(&f->jv, 0, sizeof f->jv);
	f->jv.active = 1;
	f->jv.kind = kind;
	f->jv.line = f->line;
	f->jv.col = col_at(f, f->pos);
	buf_reset(&f->rec);
}

static void value_add(struct framer *f, const char *p, size_t n)
{
	if (buf_add_upto(&f->rec, p, n) < n)
		f->jv.cut = 1;
	f->jv.total += n;
}

/* After a line break inside a value: does the next line carry on a
 * pretty-printed value? Indented lines and closers do; a line at column 0
 * starting anything else is a new record, so the value was broken. */
static int continues(char c, int between_elements)
{
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '}' ||
	    c == ']' || c == '"' || c == ',')
		return 1;
	return between_elements && (c == '{' || c == '[');
}

/* Bytes the value scanner must look at outside strings; everything else
 * is skipped in a tight loop (indentation, numbers, literals). String
 * contents are skipped by jscan_plain. */
static const unsigned char stop_in_value[256] = {
	['"'] = 1, ['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1, ['\n'] = 1, ['\r'] = 1,
};

static enum scan_rc scan_value(struct framer *f)
{
	struct jvalue *v = &f->jv;

#ifdef JSCAN_VALUE_END
	/* an object or array on one line, in the buffer: found 64 bytes at a
	 * time; anything else, byte by byte below */
	if (v->kind == V_CONT && !v->depth && !v->total && !f->byte_scan && f->pos < f->end &&
	    (f->rb[f->pos] == '{' || f->rb[f->pos] == '[')) {
		const char *s = f->rb + f->pos, *q = jscan_value_end(s, f->rb + f->end);

		if (q) {
			value_add(f, s, (size_t)(q - s));
			f->pos = (size_t)(q - f->rb);
			v->active = 0;
			return SCAN_DONE;
		}
	}
#endif

	for (;;) {
		const char *s, *p, *e;
		int nl = 0;

		if (f->pos == f->end) {
			long r = want(f, 1);

			if (r < 0)
				return SCAN_ERR;
			if (r == 0)
				return v->kind == V_BARE ? SCAN_DONE : SCAN_BROKEN_EOF;
		}
		s = p = f->rb + f->pos;
		e = f->rb + f->end;
		while (p < e) {
			char c = *p;

			if (v->in_str) {
				if (v->esc) {
					if (c == '\n' || c == '\r')
						goto broken;
					v->esc = 0;
					p++;
					continue;
				}
				p = jscan_plain(p, e, 0);
				if (p == e)
					break;
				c = *p;
				if (c == '"') {
					v->in_str = 0;
					p++;
					if (v->kind == V_STR)
						goto done;
				} else if (c == '\\') {
					v->esc = 1;
					p++;
				} else if (c == '\n' || c == '\r') {
					goto broken;   /* raw line break in a string */
				} else {
					p++;   /* another control byte: not JSON, the parser says so */
				}
				continue;
			}
			if (v->kind == V_CONT) {
				while (p < e && !stop_in_value[(unsigned char)*p])
					p++;
				if (p == e)
					break;
				c = *p;
			}
			switch (c) {
			case '"':
				if (v->kind == V_BARE)
					goto done;
				v->in_str = 1;
				p++;
				break;
			case '{':
			case '[':
				if (v->kind == V_BARE)
					goto done;
				v->depth++;
				p++;
				break;
			case '}':
			case ']':
				if (v->kind == V_BARE)
					goto done;   /* the terminator is not part of it */
				p++;
				if (--v->depth <= 0)
					goto done;
				break;
			case '\n':
			case '\r':
				if (v->kind == V_BARE)
					goto done;   /* the terminator is not part of it */
				/* the common pretty-printed case, without leaving
				 * the loop: LF, then an indented line */
				if (c == '\n' && p + 1 < e &&
				    (p[1] == ' ' || p[1] == '\t' || p[1] == '}' || p[1] == ']')) {
					count_newline(f, (size_t)(p - f->rb));
					p++;
					break;
				}
				nl = 1;
				p++;
				goto line_end;
			case ',':
			case ' ':
			case '\t':
			case ':':
				if (v->kind == V_BARE)
					goto done;   /* the terminator is not part of it */
				p++;
				break;
			default:
				p++;
				break;
			}
		}
line_end:
		value_add(f, s, (size_t)(p - s));
		f->pos = (size_t)(p - f->rb);
		if (nl) {
			long n;

			count_newline(f, f->pos - 1);
			if (f->rb[f->pos - 1] == '\r') {
				n = want(f, 1);
				if (n < 0)
					return SCAN_ERR;
				if (n > 0 && f->rb[f->pos] == '\n') {
					value_add(f, "\n", 1);
					f->pos++;
					count_newline(f, f->pos - 1);
				}
			}
			n = want(f, 1);
			if (n < 0)
				return SCAN_ERR;
			if (n == 0)
				return SCAN_BROKEN_EOF;
			if (!continues(f->rb[f->pos], 0))
				return SCAN_BROKEN_LINE;
		}
		continue;
done:
		value_add(f, s, (size_t)(p - s));
		f->pos = (size_t)(p - f->rb);
		v->active = 0;
		return SCAN_DONE;
broken:
		/* stop before the line break: the next line is a new record */
		value_add(f, s, (size_t)(p - s));
		f->pos = (size_t)(p - f->rb);
		v->active = 0;
		return SCAN_BROKEN_LINE;
	}
}

static void strip_line_ends(struct buf *b)
{
	while (b->len && (b->p[b->len - 1] == '\n' || b->p[b->len - 1] == '\r'))
		b->len--;
	if (b->p)
		b->p[b->len] = '\0';
}

/* Where the input ended, as a place in the last line that has bytes. */
static void eof_place(const struct framer *f, long *line, long *col)
{
	*line = f->line;
	*col = col_at(f, f->pos);
	if (*col == 1 && f->line > 1) {
		*line = f->line - 1;
		*col = f->prev_line_len + 1;
	}
}

/* keep: the cut-off element is handed out next (framer_opts.keep_partial),
 * so f->rec is left alone. */
static void array_cut(struct framer *f, int at_eof, int keep)
{
	long line = f->line, col = col_at(f, f->pos);
	const char *also = keep ? " and the cut-off one, as text" : "";

	if (at_eof) {
		eof_place(f, &line, &col);
		warn_emit(&f->warn, f->name, line, col,
			  "input ends inside a JSON array (interrupted?); kept %ld records%s",
			  f->jarr_kept, also);
	} else {
		warn_emit(&f->warn, f->name, line, col,
			  "JSON array cut off (interrupted?); kept %ld records%s",
			  f->jarr_kept, also);
	}
	f->jarr = 0;
	f->wrap = NULL;
	f->jv.active = 0;
	if (!keep)
		buf_reset(&f->rec);
	f->jtop = J_LINE_START;
}

/*
 * A cloud export that wraps its records in one JSON object (CloudWatch's
 * {"events":[...]}, OTLP's resourceLogs, Datadog's data, Log Analytics'
 * tables) is one value, so one record: its key when p starts like one.
 */
static const char *wrapper_key(const char *p, size_t n)
{
	static const char *const keys[] = { "events", "resourceLogs", "data", "tables", "Tables", NULL };
	size_t i = 1, k, len;

	if (!n || p[0] != '{')
		return NULL;
	while (i < n && strchr(" \t\r\n", p[i]))
		i++;
	for (k = 0; keys[k]; k++) {
		len = strlen(keys[k]);
		if (i + len + 2 <= n && p[i] == '"' && !memcmp(p + i + 1, keys[k], len) &&
		    p[i + 1 + len] == '"') {
			size_t j = i + len + 2;

			while (j < n && strchr(" \t\r\n:", p[j]))
				j++;
			return j < n && p[j] == '[' ? keys[k] : NULL;
		}
	}
	return NULL;
}

/* A value cut at the limit; a wrapper's cut loses every record past it,
 * so the warning says so, where, and how to read it whole. */
static size_t value_cut(struct framer *f, const struct jvalue *v)
{
	const char *k = wrapper_key(f->rec.p, f->rec.len);

	if (!k)
		return warn_cut(f, v->line, v->total);
	warn_emit(&f->warn, f->name, v->line, v->col,
		  "record of %zu bytes cut to the %zu-byte limit: a {\"%s\":[...]} wrapper is "
		  "read as one record, so its records past the cut are lost; read it whole with "
		  "--max-record=%zu (at most 1 GiB)", v->total, f->max, k, v->total);
	return v->total - f->max;
}

static int value_finish(struct framer *f, enum scan_rc rc)
{
	struct jvalue *v = &f->jv;
	size_t cut;

	v->active = 0;
	if (f->wrap_rest) {
		/* the wrapper's keys after its array (nextToken, meta): no record */
		f->wrap_rest = 0;
		if (rc == SCAN_DONE) {
			f->jtop = J_MID;
			return 0;
		}
	}
	if (rc == SCAN_DONE) {
		if (f->jarr)
			f->jarr_kept++;
		cut = v->cut ? value_cut(f, v) : 0;
		f->jtop = J_MID;
		if (f->jarr && f->wrap) {
			/* an element of a wrapper's array: a wrapper of its own */
			buf_reset(&f->wbuf);
			buf_addf(&f->wbuf, "{\"%s\":[", f->wrap);
			buf_add(&f->wbuf, f->rec.p, f->rec.len);
			buf_add(&f->wbuf, "]}", 2);
			return emit(f, &f->wbuf, REL_REC, v->line, RECORD_JSON, cut, 0);
		}
		return emit(f, &f->rec, REL_REC, v->line, RECORD_JSON, cut, 0);
	}
	if (f->jarr) {
		int keep = f->keep_partial && !is_blank(f->rec.p, f->rec.len);

		array_cut(f, rc == SCAN_BROKEN_EOF, keep);
		if (!keep)
			return 0;
		strip_line_ends(&f->rec);
		cut = v->cut ? warn_cut(f, v->line, v->total) : 0;
		emit(f, &f->rec, REL_REC, v->line, RECORD_TEXT, cut,
		     memchr(f->rec.p, '\n', f->rec.len) != NULL);
		f->out.incomplete = 1;
		return 1;
	}
	/* Never drop it: what was read of the value is kept as text. */
	strip_line_ends(&f->rec);
	if (rc == SCAN_BROKEN_EOF)
		warn_emit(&f->warn, f->name, v->line, v->col,
			  "input ends inside a JSON value, kept as text");
	else
		warn_emit(&f->warn, f->name, v->line, v->col,
			  "invalid JSON, kept as text");
	cut = v->cut ? value_cut(f, v) : 0;
	f->jtop = J_LINE_START;
	emit(f, &f->rec, REL_REC, v->line, RECORD_TEXT, cut,
	     memchr(f->rec.p, '\n', f->rec.len) != NULL);
	f->out.incomplete = 1;
	return 1;
}

/* Between the elements of a top-level array. 1: an element or the end of
 * the array was found; 0: the array was cut off; -1: read error. */
static int array_gap(struct framer *f)
{
	for (;;) {
		long n = want(f, 1);
		char c;

		if (n < 0)
			return -1;
		if (n == 0) {
			array_cut(f, 1, 0);
			return 0;
		}
		c = f->rb[f->pos];
		if (c == ' ' || c == '\t' || c == ',') {
			f->pos++;
			continue;
		}
		if (c == '\n' || c == '\r') {
			f->pos++;
			count_newline(f, f->pos - 1);
			n = want(f, 1);
			if (n < 0)
				return -1;
			if (n > 0 && !continues(f->rb[f->pos], 1)) {
				array_cut(f, 0, 0);
				return 0;
			}
			continue;
		}
		if (c == ']') {
			f->pos++;
			f->jarr = 0;
			f->jtop = J_MID;
			if (f->wrap) {
				/* the rest of the wrapper object, scanned as a value
				 * that already opened its brace */
				f->wrap = NULL;
				value_start(f, V_CONT);
				value_add(f, "{", 1);
				f->jv.depth = 1;
				f->wrap_rest = 1;
			}
			return 1;
		}
		if (c == '{' || c == '[' || c == '"') {
			value_start(f, c == '"' ? V_STR : V_CONT);
			return 1;
		}
		if (c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' ||
		    c == 'n') {
			value_start(f, V_BARE);
			return 1;
		}
		/* Not JSON after all: what is left of the line is text. */
		warn_emit(&f->warn, f->name, f->line, col_at(f, f->pos),
			  "invalid JSON array, rest of the line kept as text; kept %ld records",
			  f->jarr_kept);
		f->jarr = 0;
		f->wrap = NULL;
		f->jtop = J_MID;
		return 1;
	}
}

/* A Python block must not swallow what follows a JSON record. */
static int close_block_for_json(struct framer *f)
{
	if (!f->blk_open)
		return 0;
	multiline_init(&f->ml);
	return emit_block(f);
}

static void skip_blanks(struct framer *f)
{
	while (f->pos < f->end && (f->rb[f->pos] == ' ' || f->rb[f->pos] == '\t'))
		f->pos++;
}

/*
 * A cloud export printed the way its CLI prints it ({ then "events": [
 * and a line break: aws logs filter-log-events, the Datadog search API,
 * OTLP) holds its records in one array under its first key: that array is
 * read element by element, as gcloud's, each element handed out as a
 * wrapper of its own ({"events":[element]}), so a wrapper of any size is
 * read in bounded memory and an interrupted one keeps what came before
 * the cut. At rb[pos] is the '{' of a value at a line's start. 1 when the
 * wrapper's head was consumed (f->jarr set), 0 when it is not one, -1 on
 * a read error.
 */
static int wrap_open(struct framer *f)
{
	static const char *const keys[] = { "events", "data", "resourceLogs", NULL };
	long n = want(f, 256);
	const char *p;
	size_t i = 1, j, k, len;

	if (n < 0)
		return -1;
	p = f->rb + f->pos;
	while (i < (size_t)n && strchr(" \t\r\n", p[i]))
		i++;
	for (k = 0; keys[k]; k++) {
		len = strlen(keys[k]);
		if (i + len + 2 <= (size_t)n && p[i] == '"' && !memcmp(p + i + 1, keys[k], len) &&
		    p[i + 1 + len] == '"')
			break;
	}
	if (!keys[k])
		return 0;
	for (j = i + len + 2; j < (size_t)n && strchr(" \t:", p[j]); j++)
		;
	if (j >= (size_t)n || p[j] != '[')
		return 0;
	for (i = j + 1; i < (size_t)n && (p[i] == ' ' || p[i] == '\t'); i++)
		;
	if (i >= (size_t)n || (p[i] != '\n' && p[i] != '\r'))
		return 0;   /* one line: a record of its own, not an export */
	for (i = 0; i <= j; i++)
		if (p[i] == '\n' || p[i] == '\r')
			count_newline(f, f->pos + i);
	f->pos += j + 1;
	f->wrap = keys[k];
	f->jarr = 1;
	f->jarr_kept = 0;
	return 1;
}

static int json_next(struct framer *f)
{
	for (;;) {
		enum lclass lc;
		int at_start;

		if (f->pend && take_pending(f))
			return 1;
		if (f->jv.active) {
			enum scan_rc rc = scan_value(f);

			if (rc == SCAN_ERR)
				return -1;
			if (value_finish(f, rc))
				return 1;
			continue;
		}
		if (f->jarr) {
			int r = array_gap(f);

			if (r < 0)
				return -1;
			continue;
		}
		at_start = f->jtop == J_LINE_START;
		if (at_start && skip_crlf_tail(f) < 0)
			return -1;
		if (!at_start) {
			/* after a value on the same line: "}{", "} {", "},", "}\n" */
			while (want(f, 1) > 0 &&
			       (f->rb[f->pos] == ' ' || f->rb[f->pos] == '\t' ||
				f->rb[f->pos] == ','))
				f->pos++;
			if (f->err)
				return -1;
			if (f->pos < f->end &&
			    (f->rb[f->pos] == '\n' || f->rb[f->pos] == '\r')) {
				f->pos++;
				count_newline(f, f->pos - 1);
				f->jtop = J_LINE_START;
				continue;
			}
		}
		lc = classify(f, at_start);
		if (f->err)
			return -1;
		switch (lc) {
		case L_EOF:
			f->jtop = J_LINE_START;
			return f->blk_open ? emit_block(f) : 0;
		case L_OBJ:
		case L_ARR:
			if (close_block_for_json(f))
				return 1;
			skip_blanks(f);
			if (lc == L_ARR) {
				f->pos++;
				f->jarr = 1;
				f->jarr_kept = 0;
			} else if (wrap_open(f) < 0) {
				return -1;
			} else if (!f->jarr) {
				value_start(f, V_CONT);
			}
			continue;
		case L_BAD_OBJ:
			if (close_block_for_json(f))
				return 1;
			{
				long line = f->line;
				size_t total, i = f->pos;
				int cut, r;
				long col;

				while (f->rb[i] == ' ' || f->rb[i] == '\t')
					i++;   /* classify saw the '{' */
				col = col_at(f, i);
				buf_reset(&f->rec);
				r = read_line(f, &f->rec, &cut, &total);
				if (r < 0)
					return -1;
				f->jtop = J_LINE_START;
				warn_emit(&f->warn, f->name, line, col,
					  "invalid JSON, kept as text");
				return emit(f, &f->rec, REL_REC, line, RECORD_TEXT,
					    cut ? warn_cut(f, line, total) : 0, 0);
			}
		case L_BLANK:
		case L_TEXT:
			f->jtop = J_LINE_START;
			if (at_start) {
				int r = text_read(f);

				if (r != 0)
					return r;
				continue;
			}
			/* the rest of a line after a JSON value: its own record */
			{
				long line = f->line;
				size_t total, lost;
				int cut, r;

				if (close_block_for_json(f))
					return 1;
				buf_reset(&f->rec);
				r = read_line(f, &f->rec, &cut, &total);
				if (r < 0)
					return -1;
				lost = cut ? warn_cut(f, line, total) : 0;
				if (is_blank(f->rec.p, f->rec.len))
					continue;
				return emit(f, &f->rec, REL_REC, line, RECORD_TEXT, lost, 0);
			}
		}
	}
}

/* ---- docker json-file pieces ---- */

/*
 * A docker json-file line, {"log":"...","stream":"stdout","time":"..."}
 * as the driver writes it (keys in that order, no blanks): 1 with the log
 * string's contents at s[*cs, *ce) (s[*ce] is its closing quote), the
 * stream name at s[*ss, *ss + *sn), and *whole set when the contents end
 * in an escaped newline (the last piece of a line, or a line in one).
 */
static int docker_shape(const char *s, size_t n, size_t *cs, size_t *ce, size_t *ss,
			size_t *sn, int *whole)
{
	static const char head[] = "{\"log\":\"", after[] = "\",\"stream\":\"";
	size_t i, esc = 0;
	const char *q;

	if (n < sizeof head || memcmp(s, head, sizeof head - 1))
		return 0;
	for (i = sizeof head - 1; i < n && s[i] != '"'; i++)
		if (s[i] == '\\')
			esc = i++;
	if (i + sizeof after - 1 > n || memcmp(s + i, after, sizeof after - 1))
		return 0;
	*cs = sizeof head - 1;
	*ce = i;
	*ss = i + sizeof after - 1;
	if (!(q = memchr(s + *ss, '"', n - *ss)))
		return 0;
	*sn = (size_t)(q - (s + *ss));
	*whole = esc && esc + 2 == i && s[i - 1] == 'n';
	return 1;
}

/* The longest start of escaped JSON string contents c[0, n) no longer than
 * lim that ends neither inside an escape nor inside a UTF-8 character. */
static size_t json_str_cut(const char *c, size_t n, size_t lim)
{
	size_t i = 0, k;

	while (i < n) {
		k = c[i] == '\\' ? (i + 1 < n && c[i + 1] == 'u' ? 6 : 2) : 1;
		if (i + k > lim)
			break;
		i += k;
	}
	while (i > 0 && i < n && ((unsigned char)c[i] & 0xc0) == 0x80)
		i--;
	return i;
}

/* The pieces so far as one record in djoin: the first piece with every
 * piece's log string. The cut (to the record limit) is warned about here. */
static void docker_join(struct framer *f)
{
	static const char head[] = "{\"log\":\"";
	size_t room = f->max > sizeof head - 1 + f->dtail.len ? f->max - (sizeof head - 1) - f->dtail.len : 0;
	size_t keep = f->dlog.len, total = sizeof head - 1 + f->dtotal + f->dtail.len;

	if (keep > room || f->dcut) {
		keep = json_str_cut(f->dlog.p, f->dlog.len, room);
		warn_emit(&f->warn, f->name, f->dline, 0,
			  "record of %zu bytes cut to the %zu-byte limit (a docker log line in pieces)",
			  total, f->max);
		f->dcut = 1;
	}
	buf_reset(&f->djoin);
	buf_add(&f->djoin, head, sizeof head - 1);
	buf_add(&f->djoin, f->dlog.p, keep);
	buf_add(&f->djoin, f->dtail.p, f->dtail.len);
	emit(f, &f->djoin, 0, f->dline, RECORD_JSON, f->dcut ? total - f->djoin.len : 0, 0);
	f->out.joined = 1;
	f->dopen = 0;
	buf_reset(&f->dlog);
	buf_reset(&f->dtail);
}

/* Add the log string of a piece; cut flags it when it did not all fit. */
static void docker_add(struct framer *f, const char *c, size_t n)
{
	if (buf_add_upto(&f->dlog, c, n) < n)
		f->dcut = 1;
	f->dtotal += n;
}

/* Keep f->out (a record that is no piece of the open line) to hand out next. */
static void docker_hold(struct framer *f)
{
	buf_reset(&f->dheld);
	buf_add(&f->dheld, f->out.text, f->out.len);
	f->dheld_rec = f->out;
	f->dheld_on = 1;
}

/*
 * json_next with docker's pieces put back together, like CRI's "P" lines:
 * a piece starts a line, the pieces of its stream that follow are added
 * until one ends in a newline; anything else that comes between (another
 * record, the input's end) ends the line with the pieces so far.
 */
static int docker_next(struct framer *f)
{
	for (;;) {
		size_t cs, ce, ss, sn;
		int whole, r;

		if (f->dheld_on) {
			/* what ended the last line: handed out now */
			f->dheld_on = 0;
			buf_reset(&f->djoin);
			buf_add(&f->djoin, f->dheld.p, f->dheld.len);
			f->out = f->dheld_rec;
			f->out.text = f->djoin.p ? f->djoin.p : "";
			f->out.len = f->djoin.len;
		} else {
			if (f->release & REL_REC)
				buf_reset(&f->rec);
			if (f->release & REL_BLK)
				buf_reset(&f->blk);
			f->release = 0;
			r = json_next(f);
			if (r < 0 || f->err)
				return -1;
			if (r == 0) {
				if (!f->dopen)
					return 0;
				docker_join(f);
				return 1;
			}
		}
		if (f->out.kind != RECORD_JSON || f->out.truncated ||
		    !docker_shape(f->out.text, f->out.len, &cs, &ce, &ss, &sn, &whole)) {
			if (!f->dopen)
				return 1;
			docker_hold(f);
			docker_join(f);
			return 1;
		}
		if (f->dopen) {
			const char *os = f->dtail.p + 12;   /* after "\",\"stream\":\"" */

			if (sn + 13 > f->dtail.len || memcmp(os, f->out.text + ss, sn) || os[sn] != '"') {
				docker_hold(f);
				docker_join(f);
				return 1;
			}
			docker_add(f, f->out.text + cs, ce - cs);
			if (whole) {
				docker_join(f);
				return 1;
			}
			continue;
		}
		if (whole)
			return 1;
		/* the first piece of a long line */
		f->dopen = 1;
		f->dcut = 0;
		f->dtotal = 0;
		f->dline = f->out.line;
		buf_reset(&f->dlog);
		buf_reset(&f->dtail);
		docker_add(f, f->out.text + cs, ce - cs);
		if (buf_add_upto(&f->dtail, f->out.text + ce, f->out.len - ce) < f->out.len - ce)
			f->dcut = 1;
	}
}

/* ---- YAML ---- */

static int yaml_is_sep(const char *s, size_t n, int *content)
{
	*content = 0;
	if (n < 3 || memcmp(s, "---", 3) != 0)
		return 0;
	if (n == 3 || is_blank(s + 3, n - 3))
		return 1;
	if (s[3] == ' ' || s[3] == '\t') {
		*content = 1;
		return 1;
	}
	return 0;
}

static int yaml_is_end(const char *s, size_t n)
{
	return n >= 3 && memcmp(s, "...", 3) == 0 && is_blank(s + 3, n - 3);
}

/* The document in blk is complete. 1: a record is ready; 0: it was empty. */
static int yaml_finish(struct framer *f)
{
	struct buf *b = &f->blk;
	struct diag yd;
	json_t *root = NULL;
	int r;

	while (b->len && (b->p[b->len - 1] == '\n' || b->p[b->len - 1] == '\r' ||
			  b->p[b->len - 1] == ' ' || b->p[b->len - 1] == '\t'))
		b->len--;
	if (b->p)
		b->p[b->len] = '\0';
	if (!b->len) {
		buf_reset(b);
		return 0;
	}
	if (f->doc_cut) {
		return emit(f, b, REL_BLK, f->doc_line, RECORD_TEXT,
			    warn_cut(f, f->doc_line, f->doc_total), 1);
	}
	memset(&yd, 0, sizeof yd);
	r = yamldoc_parse(b->p, b->len, &root, &yd);
	if (r == 0) {
		buf_reset(b);
		return 0;
	}
	if (r < 0) {
		long line = yd.line ? f->doc_line + yd.line - 1 : f->doc_line;

		warn_emit(&f->warn, f->name, line, yd.col, "%s; kept as text", yd.msg);
		return emit(f, b, REL_BLK, f->doc_line, RECORD_TEXT, 0,
			    memchr(b->p, '\n', b->len) != NULL);
	}
	emit(f, b, REL_BLK, f->doc_line, RECORD_YAML, 0, 0);
	f->yjson = root;
	f->out.json = root;
	return 1;
}

static void yaml_add_line(struct framer *f, long line, const struct buf *l,
			  int cut, size_t total)
{
	if (f->blk.len == 0) {
		if (is_blank(l->p, l->len))
			return;   /* the record starts at its first real line */
		f->doc_line = line;
		f->doc_cut = 0;
		f->doc_total = 0;
	}
	f->doc_total += total + 1;
	if (cut || buf_reserve(&f->blk, l->len + 1) < 0) {
		f->doc_cut = 1;
		buf_add_upto(&f->blk, l->p, l->len);
		buf_add_upto(&f->blk, "\n", 1);
		return;
	}
	buf_add(&f->blk, l->p, l->len);
	buf_addc(&f->blk, '\n');
}

static int yaml_next(struct framer *f)
{
	for (;;) {
		long line;
		size_t total;
		int cut, r, content;

		if (f->ypend) {
			f->ypend = 0;
			yaml_add_line(f, f->ypend_line, &f->lbuf, 0, f->lbuf.len);
		}
		if (f->done)
			return 0;
		if (f->blk.len && paused(f) && yaml_finish(f))
			return 1;
		buf_reset(&f->lbuf);
		line = f->line;
		r = read_line(f, &f->lbuf, &cut, &total);
		if (r < 0)
			return -1;
		if (r == 0) {
			f->done = 1;
			if (yaml_finish(f))
				return 1;
			continue;
		}
		if (!cut && yaml_is_sep(f->lbuf.p, f->lbuf.len, &content)) {
			if (content) {
				f->ypend = 1;
				f->ypend_line = line;
			}
			if (yaml_finish(f))
				return 1;
			continue;
		}
		if (!cut && yaml_is_end(f->lbuf.p, f->lbuf.len)) {
			if (yaml_finish(f))
				return 1;
			continue;
		}
		yaml_add_line(f, line, &f->lbuf, cut, total);
	}
}

/* ---- detection ---- */

static int has_key_prefix(const char *s, size_t n)
{
	static const char *const keys[] = {
		"insertId:", "httpRequest:", "jsonPayload:", "labels:", "logName:",
		"protoPayload:", "receiveTimestamp:", "resource:", "severity:",
		"textPayload:", "timestamp:", "trace:", "spanId:", NULL,
	};
	const char *const *k;

	for (k = keys; *k; k++) {
		size_t kl = strlen(*k);

		if (n >= kl && memcmp(s, *k, kl) == 0 &&
		    (n == kl || s[kl] == ' ' || s[kl] == '\t' || s[kl] == '\n' ||
		     s[kl] == '\r'))
			return 1;
	}
	return 0;
}

static int skip_bom(struct framer *f)
{
	long n = want(f, 3);

	if (n < 0)
		return -1;
	if (n >= 3 && memcmp(f->rb + f->pos, "\xEF\xBB\xBF", 3) == 0) {
		f->pos += 3;
		f->line_off = f->abs + (long long)f->pos;
	}
	return 0;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Decide from the n bytes at rb[pos]; INPUT_AUTO when more are needed. */
static enum input_format detect_from(const char *p, size_t n, int at_eof)
{
	size_t i = 0, j, ll;
	const char *nl;
	int dummy;

	while (i < n && is_ws(p[i]))
		i++;
	if (i == n)
		return at_eof ? INPUT_TEXT : INPUT_AUTO;
	if (p[i] == '{')
		return INPUT_JSON;
	if (p[i] == '[') {
		for (j = i + 1; j < n && is_ws(p[j]); j++)
			;
		if (j == n)
			return at_eof ? INPUT_JSON : INPUT_AUTO;
		return p[j] == '{' || p[j] == '[' || p[j] == ']' || p[j] == '"'
			? INPUT_JSON : INPUT_TEXT;
	}
	/* YAML keys and "---" count only at column 0 */
	if (i > 0 && p[i - 1] != '\n' && p[i - 1] != '\r')
		return INPUT_TEXT;
	nl = memchr(p + i, '\n', n - i);
	if (!nl && !at_eof)
		return INPUT_AUTO;
	ll = nl ? (size_t)(nl - (p + i)) : n - i;
	if (ll && p[i + ll - 1] == '\r')
		ll--;
	/* "--- Logging error ---" opens a Python block, not a YAML document */
	if (yaml_is_sep(p + i, ll, &dummy) &&
	    !(dummy && ll >= 7 && !memcmp(p + i + ll - 4, " ---", 4)))
		return INPUT_YAML;
	if (has_key_prefix(p + i, ll))
		return INPUT_YAML;
	return INPUT_TEXT;
}

/* Reads only as far as the first line that decides, so a slow pipe
 * (gcloud logging tail) is not held up waiting for a full buffer. */
static enum input_format detect(struct framer *f)
{
	size_t k = 1;

	for (;;) {
		long got = want(f, k);
		enum input_format r;

		if (got < 0)
			return INPUT_TEXT;
		r = detect_from(f->rb + f->pos, (size_t)got,
				(size_t)got < k || (size_t)got >= FRAME_PEEK_MAX);
		if (r != INPUT_AUTO)
			return r;
		k = (size_t)got + 1;
	}
}

enum input_format framer_detect(const char *p, size_t n)
{
	enum input_format r;
	size_t most = FRAME_READ_SIZE;   /* what detect() sees of it */

	if (n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) {
		p += 3;
		n -= 3;
		most -= 3;
	}
	if (n > most)
		n = most;
	r = detect_from(p, n, n >= FRAME_PEEK_MAX);
	return r != INPUT_AUTO ? r : detect_from(p, n, 1);
}

int input_format_json_framed(enum input_format f)
{
	return framing(f) == INPUT_JSON;
}

int framer_rest(const struct framer *f, long long *off, long *line)
{
	size_t i = f->pos;

	*off = f->abs + (long long)i;
	*line = f->line;
	if (!f->detected || framing(f->fmt) != INPUT_JSON || f->err || f->done || f->jv.active ||
	    f->jarr || f->blk_open || f->pend || f->dopen || f->dheld_on || f->part_open ||
	    f->queued || !multiline_idle(&f->ml))
		return 0;
	if (f->jtop == J_MID) {
		/* what json_next takes after a value: blanks and commas, then
		 * the line's end (CRLF as one) */
		while (i < f->end && (f->rb[i] == ' ' || f->rb[i] == '\t' || f->rb[i] == ','))
			i++;
		if (i >= f->end || (f->rb[i] != '\n' && f->rb[i] != '\r'))
			return 0;
		i++;
		(*line)++;
	}
	/* the LF of a CRLF is taken with it */
	if (byte_before(f, i) == '\r') {
		if (i >= f->end)
			return 0;
		if (f->rb[i] == '\n')
			i++;
	}
	*off = f->abs + (long long)i;
	return 1;
}

int framer_drained(const struct framer *f)
{
	size_t i;

	for (i = f->pos; i < f->end; i++)
		if (!strchr(" \t\r\n,", f->rb[i]))
			return 0;
	return 1;
}

int framer_next(struct framer *f, const struct record **out, struct diag *d)
{
	int r;

	if (f->release & REL_REC)
		buf_reset(&f->rec);
	if (f->release & REL_BLK)
		buf_reset(&f->blk);
	f->release = 0;
	json_decref(f->yjson);
	f->yjson = NULL;
	*out = NULL;
	if (f->err) {
		if (d)
			*d = f->errd;
		return -1;
	}
	if (!f->detected) {
		if (!f->mid && skip_bom(f) < 0)
			goto fail;
		if (f->fmt == INPUT_AUTO)
			f->fmt = detect(f);
		if (f->err)
			goto fail;
		f->detected = 1;
		/* the JSON framer's text lines never come in CRI pieces */
		f->cri_pieces = framing(f->fmt) == INPUT_TEXT &&
				(input_format_prefixes(f->fmt) & LP_BIT(LP_CRI));
	}
	switch (framing(f->fmt)) {
	case INPUT_JSON:
		r = docker_next(f);
		break;
	case INPUT_YAML:
		r = yaml_next(f);
		break;
	default:
		r = text_next(f);
		break;
	}
	if (r < 0 || f->err)
		goto fail;
	if (r > 0)
		*out = &f->out;
	return r;
fail:
	f->err = 1;
	if (d)
		*d = f->errd;
	return -1;
}
