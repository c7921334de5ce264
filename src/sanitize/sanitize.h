#ifndef LOGWHY_SANITIZE_H
#define LOGWHY_SANITIZE_H

#include <stddef.h>

#include "read/record.h"
#include "util/diag.h"

/* Containers nest at most this deep; deeper records are kept as text. */
#define SANITIZE_MAX_DEPTH 256

/*
 * Sanitize: records in, one strict JSON object per record out. A record
 * that is already a strict JSON object on one line, valid UTF-8, with no
 * Python repr, secret or duplicate key in it is handed back as is (the
 * record's own bytes: no re-serialization). Anything else is rewritten,
 * and every rewrite is counted by kind.
 */
enum sanitize_kind {
	SAN_ENUM_REPR,        /* <WebSocketState.CONNECTED: 1> */
	SAN_DATETIME_REPR,    /* datetime.datetime/date/time/timedelta(...) */
	SAN_UUID_REPR,        /* UUID('...') */
	SAN_DECIMAL_REPR,     /* Decimal('...') */
	SAN_BYTES_REPR,       /* b'...', bytearray(b'...') */
	SAN_OBJECT_REPR,      /* <x.Y object at 0x...>, other <...> and calls */
	SAN_PYTHON_LITERAL,   /* 'quotes', True/False/None, tuples, sets,
				 OrderedDict, non-string keys, trailing commas */
	SAN_NAN,              /* NaN, Infinity, -Infinity (and nan, inf) */
	SAN_INVALID_UTF8,
	SAN_LONE_SURROGATE,   /* \ud800 without its pair */
	SAN_CONTROL_CHAR,     /* raw C0 controls, DEL, C1 controls */
	SAN_INVALID_ESCAPE,   /* "\q": kept as the two characters */
	SAN_DUPLICATE_KEY,    /* renamed "key#2", "key#3", ... */
	SAN_BIG_INTEGER,      /* outside int64: becomes a string */
	SAN_MULTILINE,        /* pretty-printed JSON joined onto one line */
	SAN_WRAPPED,          /* a JSON array or scalar: {"message": value} */
	SAN_YAML,             /* a YAML document converted to JSON */
	SAN_TEXT_LINE,        /* a text record: {"message": "..."} */
	SAN_INVALID_JSON,     /* JSON-looking but unparseable: kept as message */
	SAN_TRUNCATED,        /* over the size limit: cut, "logwhy_truncated" */
	SAN_REDACTED_JWT,
	SAN_REDACTED_BEARER,  /* Bearer/Basic credentials in text */
	SAN_REDACTED_FIELD,   /* a string field named like a secret */
	SAN_REDACTED_RULE,    /* a rule's redact pattern (by kind: sanitizer_kind) */
	SAN_REDACTED_KEY,     /* a PEM private key's body on the lines after its
				 BEGIN line (text records) */
	SAN_INCOMPLETE,       /* the input ended inside this JSON value: kept,
				 marked "logwhy_incomplete" */
	SAN_NKINDS
};

const char *sanitize_kind_name(enum sanitize_kind k);   /* "enum-repr", ... */

/* What an enum repr becomes (--enum). */
enum sanitize_enum {
	SAN_ENUM_LOWER = 0,   /* "connected" */
	SAN_ENUM_NAME,        /* "CONNECTED" */
	SAN_ENUM_VALUE,       /* 1 */
	SAN_ENUM_KEEP,        /* "<WebSocketState.CONNECTED: 1>" (a string) */
};

int sanitize_enum_parse(const char *s);   /* -1 if unknown */

/* Every text a built-in redaction (JWT, Bearer/Basic) changes holds one of
 * these, ASCII case ignored. NULL-terminated. */
extern const char *const sanitize_builtin_literals[];

/* A redaction pattern from a rule: every match inside a string value
 * becomes "[REDACTED:kind]" (only the part the group numbered
 * secret_group matched, when it is not 0). Both pointers are borrowed. */
struct sanitize_pattern {
	const char *kind;
	const void *code;     /* pcre2_code_8 *, compiled by the rules loader */
	int secret_group;
};

struct sanitize_opts {
	enum sanitize_enum enum_style;
	int no_redact;                       /* 1: leave secrets alone */
	const struct sanitize_pattern *patterns;   /* borrowed, may be NULL */
	size_t npatterns;
	/* The redactions' prefilter (borrowed, may be NULL: every record is
	 * a candidate): may_match(prefilter, raw, len) is 0 when no pattern
	 * can match inside a record with these raw bytes and none of
	 * sanitize_builtin_literals is in them (escapes that could spell a
	 * literal are the sanitizer's to check). Such records skip every
	 * redaction but the secret-named fields. */
	const void *prefilter;
	int (*may_match)(const void *prefilter, const char *raw, size_t len);
	size_t max_record;                   /* the framer's limit (0: 8 MiB);
						output lines stay under 8x it */
};

/* Per-record outcome: how many rewrites of each kind. */
struct sanitize_result {
	unsigned long count[SAN_NKINDS];
	/* count[SAN_REDACTED_RULE] split by pattern kind: kind_count[i] for
	 * sanitizer_kind(s, i); owned by the sanitizer, valid until the next
	 * record */
	const unsigned long *kind_count;
	size_t nkind;
	int changed;                         /* 0: the line is the record's bytes */
};

struct sanitizer;

/* NULL on allocation failure. Options are copied; patterns are borrowed. */
struct sanitizer *sanitizer_new(const struct sanitize_opts *o);
void sanitizer_free(struct sanitizer *s);    /* NULL-safe */
/* The distinct kinds of the patterns, in first-seen order: "aws-access-key". */
size_t sanitizer_nkinds(const struct sanitizer *s);
const char *sanitizer_kind(const struct sanitizer *s, size_t i);

/*
 * Sanitize one record. A rec->truncated record becomes a message marked
 * "logwhy_truncated" with rec->cut, a rec->incomplete one (the input ended
 * inside it) one marked "logwhy_incomplete". *line and *len: the output
 * line without its newline, never containing '\n', valid until the next
 * call (it points into the record or into the sanitizer). Returns 0, or -1
 * with d set on allocation failure.
 */
int sanitize_record(struct sanitizer *s, const struct record *rec, const char **line, size_t *len,
		    struct sanitize_result *res, struct diag *d);

/*
 * Redact the secrets in a text as a report shows it (a record's raw text):
 * the built-in JWT and Bearer/Basic passes and the patterns, not the
 * field names. *out and *len: the text itself, or its redacted copy in
 * the sanitizer (valid until the next call). 1 when something was
 * redacted, 0 when not, -1 out of memory.
 */
int sanitize_redact_text(struct sanitizer *s, const char *text, size_t n,
			 const char **out, size_t *len);

#endif
