#ifndef LOGWHY_FRAME_H
#define LOGWHY_FRAME_H

#include <stddef.h>

#include "read/record.h"
#include "read/source.h"
#include "util/diag.h"

/*
 * Framing: bytes -> records, streaming, never holding more than one record
 * (plus a read buffer). The format is detected per input unless forced.
 */
enum input_format {
	INPUT_AUTO = 0,
	INPUT_JSON,    /* gcloud --format=json array, NDJSON, concatenated JSON
			  objects; text lines among them stay text records */
	INPUT_YAML,    /* gcloud's default output: "---" separated documents */
	INPUT_TEXT,    /* lines, Python multi-line blocks joined */
};

const char *input_format_name(enum input_format f);     /* "auto", "json", ... */
int input_format_parse(const char *s);                   /* -1 if unknown */

#define FRAME_MAX_RECORD ((size_t)8 << 20)   /* larger records are cut, flagged */

struct framer_opts {
	enum input_format format;
	size_t max_record;               /* 0 = FRAME_MAX_RECORD */
	const struct warn_sink *warn;    /* located warnings: cut array, broken
					    JSON line kept as text, ... */
	/* Following a live input (tail -f, gcloud logging tail): a record
	 * held back only because more input could extend it (a text block
	 * more lines could continue, a YAML document before the next "---")
	 * goes out when the input pauses this long with no partial line
	 * read. 0: never (the end of input decides). */
	int pause_ms;
};

struct framer;

/* Takes ownership of src (closed by framer_close, also on failure). */
struct framer *framer_open(struct source *src, const struct framer_opts *o);

/* 1: *out is the next record (valid until the next call); 0: end of input;
 * -1: read error, d set. */
int framer_next(struct framer *f, const struct record **out, struct diag *d);

/* 1 when every byte read so far is used, but blanks (and a JSON array's
 * ','): nothing is half-read. */
int framer_drained(const struct framer *f);

enum input_format framer_format(const struct framer *f);  /* after detection */
const struct source *framer_source(const struct framer *f);
void framer_close(struct framer *f);                       /* NULL-safe */

#endif
