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
	/* A named source: framed as JSON (which keeps text lines as text)
	 * or text, and read only the way that source writes (its line
	 * prefix, its wrapper). */
	INPUT_KUBECTL,      /* kubectl logs, plain or --timestamps */
	INPUT_DOCKER,       /* docker logs (-t), json-file driver lines */
	INPUT_CRI,          /* CRI/containerd "TS stdout|stderr F|P line" */
	INPUT_COMPOSE,      /* docker-compose "web_1  | line" */
	INPUT_CLOUDFOUNDRY, /* cf logs "TS [APP/PROC/WEB/0] OUT line" */
	INPUT_JOURNALD,     /* journalctl -o json, short, short-iso; syslog */
	INPUT_GUNICORN,     /* gunicorn's "[TS] [pid] [LEVEL] line" */
	INPUT_CLOUDWATCH,   /* aws logs filter-log-events, aws logs tail */
	INPUT_OTLP,         /* OpenTelemetry OTLP JSON logs */
	INPUT_DATADOG,      /* Datadog Logs API search response */
	INPUT_AZURE,        /* Azure Log Analytics query results */
	INPUT_FORMAT_COUNT
};

const char *input_format_name(enum input_format f);     /* "auto", "json", ... */
int input_format_parse(const char *s);                   /* -1 if unknown */
/* The lineprefix kinds (LP_BIT mask) a text line of this format may carry. */
unsigned input_format_prefixes(enum input_format f);
/* 1 when records of format f may be read as the source named by kind
 * (an INPUT_* source name): auto and the generic formats allow all. */
int input_format_allows(enum input_format f, enum input_format kind);

#define FRAME_MAX_RECORD ((size_t)8 << 20)   /* larger records are cut, flagged */
#define FRAME_MAX_BLOCK_LINES 10000          /* text lines joined into one record */
/* JSON nested deeper is kept as text: jansson's parser depth
 * (JSON_PARSER_MAX_DEPTH), stated here for --help and the docs */
#define FRAME_JSON_MAX_DEPTH 2048

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
	int keep_partial;                /* 1: the element a cut array ends in is
					    handed out too, as a RECORD_TEXT with
					    incomplete set (else only warned) */
	const char *name;                /* records and warnings name the input
					    so (borrowed, must outlive the
					    framer); NULL: the source's name */
	int mid_input;                   /* 1: the source starts inside an input,
					    at a line start framer_rest gave (no
					    byte order mark is looked for); the
					    format must be given */
	int byte_scan;                   /* 1: JSON values are scanned byte by
					    byte only, not 64 bytes at a time
					    where they allow (LOGWHY_NO_FASTPATH:
					    the reference the fast way is tested
					    against) */
};

struct framer;

/* Takes ownership of src (closed by framer_close, also on failure). */
struct framer *framer_open(struct source *src, const struct framer_opts *o);

/* framer_open, reusing f's buffers (f is done with: its source is
 * closed). f NULL: framer_open. */
struct framer *framer_reopen(struct framer *f, struct source *src, const struct framer_opts *o);

/* 1: *out is the next record (valid until the next call); 0: end of input;
 * -1: read error, d set. */
int framer_next(struct framer *f, const struct record **out, struct diag *d);

/* 1 when every byte read so far is used, but blanks (and a JSON array's
 * ','): nothing is half-read. */
int framer_drained(const struct framer *f);

enum input_format framer_format(const struct framer *f);  /* after detection */

/* The format framer_next would detect at the start of an input whose
 * first n bytes (all of it, or at least 4 KiB) are p. */
enum input_format framer_detect(const char *p, size_t n);
/* 1 when records of format f are framed as JSON (JSON, docker, ...). */
int input_format_json_framed(enum input_format f);

/*
 * Between two framer_next calls of a JSON-framed input: 1 when the framer
 * is at rest, holding nothing it read for what follows (no open value,
 * array, text block, pending line or docker pieces), so that a framer
 * opened with mid_input at *off frames the rest of the input exactly as
 * this one goes on to: *off is that input offset, the start of the line
 * *line, counted from this framer's start (its first byte is offset 0,
 * line 1). 0 when it is not, or cannot tell yet; *off is then the offset
 * of the first byte it has not taken. How a reader splits one input
 * between threads and proves each split changed nothing.
 */
int framer_rest(const struct framer *f, long long *off, long *line);
const struct source *framer_source(const struct framer *f);
void framer_close(struct framer *f);                       /* NULL-safe */

#endif
