#ifndef LOGWHY_STREAM_H
#define LOGWHY_STREAM_H

#include <stddef.h>

#include "event/event.h"
#include "read/frame.h"
#include "util/diag.h"

/*
 * The event stream: one input, bytes -> records -> normalized events, in
 * constant memory. Composes source_open, framer_open, event_from_record and
 * the joiner below.
 *
 * A record that cannot be normalized (invalid JSON in a JSON stream, a cut
 * record) is never dropped: it is reported through opts->warn, located, and
 * becomes a text event of its raw bytes.
 */
struct evstream_opts {
	enum input_format format;        /* INPUT_AUTO: detected per input */
	size_t max_record;               /* 0 = FRAME_MAX_RECORD */
	const struct warn_sink *warn;    /* borrowed, must outlive the stream;
					    NULL drops warnings (tests only) */
	int no_join;                     /* 1: per-line entries stay apart */
	int follow;                      /* 1: wait at the end of a regular file;
					    when the input pauses for
					    EVSTREAM_PAUSE_MS, what is held
					    for more input goes out */
	/* The caller's prefilter (src/rules/prefilter.h), or NULL: a JSON
	 * record the skim reads (event_skim) and the prefilter rules out,
	 * given its raw bytes and the skim's message (skim_keys.msg), is
	 * only skimmed when that is certain to be the same for the caller,
	 * and the event comes out with skimmed set. */
	int (*may_match)(const void *ctx, const char *raw, size_t len, const char *msg,
			 size_t nmsg);
	const void *may_match_ctx;
	int readahead;                   /* 1: inflate gzip in a second thread
					    (source_readahead) */
	int byte_scan;                   /* framer_opts.byte_scan */
	int threads;                     /* > 1: frame ahead and parse records
					    in threads - 1 more threads (not
					    with follow); the events, warnings
					    and their order are those of one
					    thread */
	/* Following: called (from evstream_next, after the events before
	 * it are out) each time the input pauses, i.e. the reader has caught
	 * up with a live input. NULL: none. */
	void (*idle)(void *ctx);
	void *idle_ctx;
	int skim_msg;                    /* 1: a skimmed event has its message too */
	enum sev parse_from;             /* records of this severity or worse are
					    read in full: skimmed only with their
					    message and keys (event_skim_keys),
					    else parsed (SEV_DEFAULT: no floor) */
};

struct evstream;

#define EVSTREAM_PAUSE_MS 300

/* path "-" is stdin. NULL with d set when the input cannot be opened.
 * o may be NULL (all defaults). */
struct evstream *evstream_open(const char *path, const struct evstream_opts *o,
			       struct diag *d);
/* From memory (not copied: data must outlive the stream); rule examples and
 * tests. NULL only when out of memory. */
struct evstream *evstream_open_mem(const char *name, const char *data, size_t len,
				   const struct evstream_opts *o);

/*
 * 1: *ev is the next event, owned by the stream and valid until the next
 * evstream_next or evstream_close (the caller may read and modify it, not
 * free or keep it); 0: end of input; -1: fatal read error (d set), after
 * every event read before it has been returned.
 */
int evstream_next(struct evstream *s, struct event **ev, struct diag *d);

enum input_format evstream_format(const struct evstream *s);  /* once read */
long evstream_records(const struct evstream *s);   /* records framed so far */
/* Of those, the wrappers unwrapped (src/event/unwrap.h), and the events
 * their records became: each wrapper is items, not one event. */
void evstream_wrapped(const struct evstream *s, long *wrappers, long *items);
/* For progress: the input's bytes read so far, and its size (-1 unless a
 * regular file). */
void evstream_progress(const struct evstream *s, long long *done, long long *size);
void evstream_close(struct evstream *s);           /* NULL-safe */

/* A rule example (or any one text) as an event, the way a real input line
 * would become one: framed, so multi-line blocks join, and normalized. The
 * first event is copied into out (initialised by the caller). 0, or -1
 * when there is none. ctx is unused: the shape rule_test_examples takes. */
int evstream_example(void *ctx, const char *text, struct event *out);

/*
 * The joiner, under the stream (exposed for tests): Cloud Run writes each
 * stderr line of a Python traceback or "--- Logging error ---" block as
 * its own LogEntry. Entries from one instance and log (logName, "stream")
 * whose single-line message could belong to a block are collected in a
 * run; when the run ends (another kind of entry from the same instance and
 * log, a gap of more than EVJOIN_GAP_US, a limit, the end of input) its
 * lines are fed to the multi-line state machine in ascending time order,
 * and every block becomes one event (message: the lines joined with '\n';
 * time: its oldest line's; severity: the highest; line..last_line: the
 * span of its parts; joined = 1). That event takes the place in the stream
 * of its oldest line, whose time it carries, so a newest-first gcloud array
 * stays sorted newest first (and an oldest-first stream oldest first);
 * everything else passes through in input order.
 * Only events with a JSON object entry take part; text events pass through.
 */
#define EVJOIN_MAX_ENTRIES 10000              /* per run, and held at once */
#define EVJOIN_MAX_BYTES ((size_t)8 << 20)     /* idem, in record bytes */
#define EVJOIN_MAX_RUNS 64                     /* open runs (instance x log) */
#define EVJOIN_GAP_US ((long long)2000000)     /* lines of one block are close */

struct evjoin;

struct evjoin *evjoin_new(void);                    /* NULL: out of memory */
/* An empty event (owned by the joiner) to fill, then hand in with
 * evjoin_push. Filling it again without pushing is allowed. NULL: OOM. */
struct event *evjoin_slot(struct evjoin *j);
/* Make *ev (malloc'd and event_init'ed, filled elsewhere) the slot's
 * event, to hand in with evjoin_push; *ev becomes the joiner's empty one
 * (to fill next, or free). Events change hands, not bytes. -1: OOM. */
int evjoin_trade(struct evjoin *j, struct event **ev);
/* Hand in the event last returned by evjoin_slot. 0, or -1 when out of
 * memory (the event stays the slot's, not handed in). */
int evjoin_push(struct evjoin *j);
/* Input is over (or, following, has paused): every held event becomes
 * ready. Events pushed after it are joined as before. */
void evjoin_end(struct evjoin *j);
/* The next event ready to go out, or NULL when the next one in order is
 * still held (or nothing is left). Owned by the joiner, valid until the
 * next evjoin_pop or evjoin_free. */
struct event *evjoin_pop(struct evjoin *j);
size_t evjoin_held(const struct evjoin *j);         /* events held now */
/* 1 when an open run takes entries from this input and k's instance, log
 * and stream (event_skim): a one-line entry from there would end it. */
int evjoin_has_run(const struct evjoin *j, const char *source, const struct skim_keys *k);
void evjoin_free(struct evjoin *j);                 /* NULL-safe */

#endif
