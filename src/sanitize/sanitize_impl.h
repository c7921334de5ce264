#ifndef LOGWHY_SANITIZE_IMPL_H
#define LOGWHY_SANITIZE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "sanitize/sanitize.h"
#include "util/buf.h"

/*
 * Private to src/sanitize: the pieces the driver (sanitize.c) wires
 * together. Every function appends to buffers the caller owns and counts
 * rewrites into cnt (an array of SAN_NKINDS counters).
 */

/* jsonfix.c: string contents and numbers */
enum {
	JF_JSON = 0,        /* JSON escapes */
	JF_PY = 1u << 0,    /* also Python escapes (\x, \', \a, octal, \U) */
	JF_BYTES = 1u << 1, /* \xNN is a byte, not U+00NN (b'' literals) */
	JF_RAW = 1u << 2,   /* no escapes at all: a text line */
};

/* 1 when the raw content of a JSON string (between the quotes) is strict
 * JSON that needs no fix: valid UTF-8, no raw control character (C0, DEL,
 * C1), only valid escapes, no lone surrogate. *has_esc: a backslash seen. */
int jsonfix_clean(const char *s, size_t n, int *has_esc);
/* Decode string content into out as valid UTF-8 (invalid bytes and lone
 * surrogates become U+FFFD). *fixed is set when the content needed a fix
 * that forces re-encoding. -1 when out is full. */
int jsonfix_decode(const char *s, size_t n, unsigned flags, struct buf *out,
		   unsigned long *cnt, int *fixed);
/* Append s (valid UTF-8) as a quoted JSON string, escaping '"', '\\' and
 * every control character (C0, DEL, C1). -1 when out is full. */
int jsonfix_encode(struct buf *out, const char *s, size_t n);
/* Length of a strict JSON number at s[0..n), 0 when there is none. */
size_t jsonfix_number(const char *s, size_t n, int *is_int);
/* 1 when the integer text (optional '-', digits) fits in int64. */
int jsonfix_int64(const char *s, size_t n);
/* Replace invalid UTF-8 in place-free fashion: append s to out with every
 * invalid byte as U+FFFD; returns how many were replaced (-1: out full). */
long jsonfix_utf8(struct buf *out, const char *s, size_t n);

/* keyset.c: the keys seen in each object of one record */
struct keyset {
	struct keyslot *slot;
	size_t cap, used;
	uint32_t gen;
	struct buf arena;
};
void keyset_init(struct keyset *k, size_t max_bytes);
void keyset_reset(struct keyset *k);          /* forget every key: next record */
/* 1 added, 0 already in object obj, -1 out of memory */
int keyset_add(struct keyset *k, uint32_t obj, const char *key, size_t len);
/* The suffix a duplicate of key should try first (2, then what follows the
 * last one given out), so n duplicates cost O(n), not O(n^2). */
unsigned long keyset_next(struct keyset *k, uint32_t obj, const char *key, size_t len);
void keyset_free(struct keyset *k);

/* pyrepr.c: Python reprs */
enum pyatom_type { PYATOM_STR, PYATOM_NUM, PYATOM_NULL };

struct pyatom {
	enum sanitize_kind kind;
	enum pyatom_type type;
	struct buf *text;     /* caller's: UTF-8 string content, number text, or
				 for NULL the text form ("NaN") */
};

/* A repr at s[i] (enum or object <...>, datetime/date/time/timedelta,
 * UUID, Decimal, bytearray call, b'' literal): the index after it, or 0.
 * in_text: inside a string, only well-formed reprs count and
 * SAN_ENUM_KEEP leaves enums alone; as a value every <...> is one. */
size_t pyrepr_atom(const char *s, size_t n, size_t i, enum sanitize_enum style,
		   int in_text, struct pyatom *a);
/* End of the Python value starting at s[i] (balanced brackets, quotes), or
 * 0 when it does not end before n. Stops at ',', ':' or a closer. */
size_t pyrepr_skip(const char *s, size_t n, size_t i);
/* End of the quoted string whose quote is s[i], or 0. */
size_t pyrepr_string_end(const char *s, size_t n, size_t i);
/* 1 when text could hold a repr (cheap). */
int pyrepr_suspect(const char *s, size_t n);
/* Rewrite the reprs inside text into out: 1 when any, 0 when none (out
 * untouched), -1 when out is full. tmp is scratch. */
int pyrepr_rewrite(const char *s, size_t n, enum sanitize_enum style,
		   struct buf *out, struct buf *tmp, unsigned long *cnt);

/* redact.c: secrets */
/* 1 when a field of this name holds a secret (password, *_secret, ...). */
int redact_field(const char *name, size_t n);
/* 1 when text could hold a JWT or a Bearer/Basic credential (cheap). */
int redact_suspect(const char *s, size_t n);
struct sanitizer;
/* Redact JWTs, Bearer/Basic credentials and (when the record is a
 * candidate, z->cand) the rule patterns in text into out: 1 when anything
 * was redacted, 0 when not, -1 when out is full. Counts into z->cnt and
 * z->kcnt. */
int redact_text(struct sanitizer *z, const char *s, size_t n, struct buf *out,
		struct buf *tmp);
/* A text record inside a PEM private key that began in an earlier record
 * (multi-line keys in text logs): its redacted form into out. 0 when the
 * record holds nothing of the key body (the key is over); else bit 0: out
 * holds the redacted text, bit 1: the key goes on after it. -1 full. */
int redact_pem_line(struct sanitizer *z, const char *s, size_t n, struct buf *out);
/* After a text record: 1 when it opens a PEM private key it does not close. */
int redact_pem_opens(const char *s, size_t n);

/* rewrite.c: one value, JSON or Python literal, rewritten copy-on-write */
struct sanitizer {
	struct sanitize_opts o;
	size_t max_out;
	struct buf out;         /* the rewritten line */
	struct buf dec, rw1, rw2, rw3, enc, key;   /* string scratch */
	struct buf atom;        /* pyrepr scratch inside texts */
	struct buf atomv;       /* a repr read as a value */
	struct buf yaml;        /* a YAML record dumped as JSON */
	struct buf wrap;        /* {"message": value} around a non-object */
	struct keyset keys;
	uint32_t next_obj;
	struct event ev;        /* text lines: severity and timestamp */
	void *md, *mctx;        /* pcre2 match data and context for patterns */
	unsigned long *cnt;     /* the current record's counters */
	int cand;               /* the record may hold a pattern's match */
	size_t *kind_of;        /* pattern i counts into kcnt[kind_of[i]] */
	const char **kinds;     /* distinct kinds (borrowed strings) */
	size_t nkinds;
	unsigned long *kcnt;    /* the current record's counts by kind */
	int pem;                /* inside a multi-line PEM key (text records) */
	const char *pem_src;    /* ... of this input, */
	long pem_next;          /* ... which goes on at this line */
	size_t pem_kind;        /* kcnt slot of "private-key" (nkinds: none) */
};

enum { REWRITE_OK = 0, REWRITE_FAIL = -1, REWRITE_FULL = -2 };

/*
 * Parse the value at s[i] (after blanks) to the end of s. On REWRITE_OK:
 * *end is where it ended (only blanks may follow), *is_obj whether it is
 * an object, and out holds the rewritten bytes of s[0..n) when *dirty, else
 * out is untouched (the input was clean). REWRITE_FAIL: not a value;
 * REWRITE_FULL: out reached its limit.
 */
int rewrite_value(struct sanitizer *z, const char *s, size_t n, struct buf *out,
		  int *dirty, int *is_obj);
/* Sanitize a text (string contents: decoded UTF-8) through the repr and
 * redaction passes; *res points at the result (text itself, or a scratch
 * buffer). 1 when changed, 0 not, -1 full. */
int rewrite_text(struct sanitizer *z, const char *s, size_t n,
		 const char **res, size_t *rlen);

#endif
