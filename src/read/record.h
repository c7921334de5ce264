#ifndef LOGWHY_RECORD_H
#define LOGWHY_RECORD_H

#include <stddef.h>
#include <jansson.h>

/*
 * One framed record: the bytes of one log entry, not yet interpreted.
 * Framers hand records out by pointer; everything a record points to is
 * owned by the framer and valid only until the next framer_next() call.
 */
enum record_kind {
	RECORD_JSON,   /* text is one JSON value (an object, normally) */
	RECORD_YAML,   /* text is one YAML document; json holds it converted */
	RECORD_TEXT,   /* text is one line, or several joined with '\n' */
};

struct record {
	const char *source;      /* display name of the input ("-" is "<stdin>") */
	long line;               /* line of the record's first byte, 1-based */
	enum record_kind kind;
	const char *text;        /* raw bytes, NUL-terminated, no trailing newline */
	size_t len;
	json_t *json;            /* borrowed; set for RECORD_YAML, else NULL */
	unsigned truncated : 1;  /* the record passed the size limit and was cut */
	size_t cut;              /* how many bytes that cut off, 0 when none */
	unsigned joined : 1;     /* text lines joined into one multi-line record */
	unsigned incomplete : 1; /* RECORD_TEXT: what was read of a JSON value the
				    input ended (or broke off) inside */
	int format;              /* the framer's enum input_format, once detected */
	int year;                /* for a time written without a year (syslog):
				    the year of the input's last dated record,
				    0 when unknown (set by the event stream) */
};

#endif
