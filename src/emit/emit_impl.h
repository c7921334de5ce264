#ifndef LOGWHY_EMIT_IMPL_H
#define LOGWHY_EMIT_IMPL_H

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "emit/emit.h"
#include "util/buf.h"
#include "util/utf8.h"

/*
 * Private to src/emit/: the emitter object every format shares, the
 * per-format operations, and helpers more than one format needs.
 */
struct emitter_ops {
	int (*open)(struct emitter *e);
	int (*finding)(struct emitter *e, const struct finding *f);
	int (*close)(struct emitter *e, const struct emit_stats *s);
	void (*warning)(struct emitter *e, const struct diag *d);   /* may be NULL */
};

struct emitter {
	const struct emitter_ops *ops;
	enum emit_format fmt;
	FILE *out;                    /* borrowed */
	struct emit_opts opts;        /* copied; what it points to is borrowed */
	struct buf b;                 /* scratch, reset per finding */
	long nfindings;
	FILE *spool;                  /* junit: testcases until the counts are known */
	long nfailures;               /* junit: findings that are <failure> */
	long shown[4], hidden[4];     /* github: annotations per enum level */
	/* sarif */
	json_t *notes;                /* toolExecutionNotifications */
	long nnotes_dropped;
	char *srcroot;                /* the working directory as a file:// URI, with '/' */
	struct fp_count { uint64_t h; long n; } *fp;   /* open addressing, cap nfp */
	size_t nfp, fp_used;
};


extern const struct emitter_ops emit_text_ops, emit_json_ops, emit_sarif_ops,
	emit_junit_ops, emit_github_ops;

/* The finding's message: the rendered one, else the rule's title or id. */
const char *emit_message(const struct finding *f);
/* The event's input name; "<stdin>" when it has none. */
const char *emit_source(const struct finding *f);

/* The finding's captures as a JSON object (new reference), {} when none. */
json_t *emit_json_captures(const struct finding *f);

/* Write v compactly (no newline). -1 on a write or allocation error. */
int emit_json_write(FILE *out, const json_t *v);
/* The same in two steps, for a caller that adds to the text between
 * them: v appended to b, then b written (C1 controls escaped). */
struct buf;
int emit_json_dump(struct buf *b, const json_t *v);
int emit_json_flush(FILE *out, const struct buf *b);
/* The n bytes of valid UTF-8 at s appended as the JSON string jansson's
 * compact dump writes, for a string too long to copy into jansson first.
 * -1: out of memory. */
int emit_json_quote(struct buf *b, const char *s, size_t n);
/* Any n bytes at s as utf8_json_stringn(s, n, limit) would make them
 * (invalid sequences mended, cut at limit), quoted; null for NULL. */
int emit_json_quote_text(struct buf *b, const char *s, size_t n, size_t limit);

/* 0, or -1 with errno set when out has seen a write error. */
int emit_check(FILE *out);

#endif
