#ifndef LOGWHY_EVENT_H
#define LOGWHY_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "event/close.h"
#include "read/record.h"
#include "util/buf.h"

/* Cloud Logging's LogSeverity, in its order; text levels map onto it. */
enum sev {
	SEV_DEFAULT = 0,
	SEV_DEBUG,
	SEV_INFO,
	SEV_NOTICE,
	SEV_WARNING,
	SEV_ERROR,
	SEV_CRITICAL,
	SEV_ALERT,
	SEV_EMERGENCY,
};

const char *event_sev_name(enum sev s);          /* "DEFAULT", "DEBUG", ... */
int sev_parse(const char *s, size_t n);    /* case-insensitive, also WARN,
					      FATAL, EXCEPTION; -1 if unknown */

/*
 * One normalized event: what rules see, whatever the input format.
 * An event owns its storage (strings live in its own buffer, payload is a
 * reference it holds); event_clear releases it and leaves it reusable.
 */
struct event {
	const char *source;      /* borrowed from the record (input name) */
	long line;               /* first line of the record */
	long last_line;          /* last line when several records were joined */

	int has_ts;
	int64_t ts_us;           /* microseconds since the epoch, UTC */
	enum sev sev;

	const char *msg;         /* the message text (never NULL, may be "") */
	size_t msg_len;

	json_t *entry;           /* the whole parsed record (own reference), or NULL */
	json_t *payload;         /* borrowed from entry: the app's fields
				    (jsonPayload, or the Cloud Run object), or NULL */

	/* correlation keys; NULL when unknown */
	const char *trace;
	const char *span;
	const char *instance;
	const char *conn;        /* connection id */
	const char *user;
	/* what keeps apart lines written to one place that are not one
	 * output: stdout/stderr, a journal unit, a JSON entry's "stream" */
	const char *stream;
	/* a skimmed LogEntry's revision (resource.labels.revision_name or
	 * version_id), so the input's revisions are known whatever was
	 * skimmed; "" otherwise (a parsed event has it in its entry). Held
	 * here, not in store, which grows after the skim */
	char revision[128];

	struct close_trace close;   /* close.present when the message is a close trace */

	const char *text;        /* the raw record text, for examples */
	size_t text_len;
	unsigned joined : 1;     /* built from several records (multi-line block) */
	unsigned truncated : 1;
	unsigned perline : 1;    /* a text line under a per-line prefix (a time,
				    a runtime's or collector's prefix): a line
				    the joiner may join into a block */
	unsigned yearless : 1;   /* the time was written without a year */
	unsigned skimmed : 1;    /* only position and time are known: the
				    stream's prefilter proved that no rule of
				    its ruleset matches (event_skim) */
	unsigned keyed : 1;      /* skimmed, yet its message, severity and
				    connection, trace and instance keys are
				    known too (event_skim_keys) */
	size_t skim_bytes;       /* skimmed: text_len + msg_len of the parsed
				    event (what the joiner's bounds count) */

	struct buf store;        /* owns msg/keys/text copies */
};

void event_init(struct event *ev);
/* event_clear drops what the event refers to but keeps its storage for
 * reuse; event_free also releases the storage. Both NULL-safe. */
void event_clear(struct event *ev);
void event_free(struct event *ev);
/* Deep copy: dst owns copies of every string and a new reference to the
 * entry, so it outlives src's stream. -1 on allocation failure. */
int event_copy(struct event *dst, const struct event *src);

/*
 * Normalize one record into ev (cleared first). Returns 0; -1 with d set
 * only when the record is unusable (invalid JSON in a JSON record: d names
 * the line and column). The event copies everything it keeps.
 */
struct diag;
int event_from_record(struct event *ev, const struct record *rec, struct diag *d);

/*
 * One record a wrapper held (src/event/unwrap.h): item is the plain object
 * unwrap_next made, and the event takes that reference (also on failure).
 * Position from rec; the message's own level ("ERROR:app:...", a Python
 * logging line) counts when the item states none. Returns 0.
 */
int event_from_item(struct event *ev, const struct record *rec, json_t *item);

/* The skim's walk building the tree json_loadb would (JSON_DECODE_ANY) of
 * a record of its plain shape; NULL for any other (or out of memory): then
 * json_loadb parses it, and words its error. */
json_t *event_skim_tree(const char *text, size_t len);

/* Normalize's reading of correlation keys in a message's text
 * ("connection_id=ws_1", 'trace': 'T'), for the skim: for each key i with
 * bit i of need set, its value as a span into msg (n = 0: none). */
enum { EV_KEY_CONN, EV_KEY_TRACE, EV_KEY_INSTANCE, EV_KEYS };
struct key_span {
	const char *p;
	size_t n;
};
void event_msg_keys(const char *msg, size_t len, unsigned need, struct key_span out[EV_KEYS]);

/*
 * The skim: what event_from_record would make of a record, read without
 * parsing it into a tree, for records a prefilter has ruled out (see
 * src/rules/prefilter.h). event_skim returns 1 when the record is a plain
 * Cloud Run LogEntry it can read with certainty (valid JSON, printable
 * ASCII, no \u or \/ escapes, a timestamp, a one-line message that cannot
 * join a multi-line block); 0: parse it. It writes no event: sk holds
 * values and spans into the record's text, and event_from_skim makes the
 * event from them later, in whichever thread reads the events.
 * k gets what the joiner compares entries by (evjoin_has_run): the
 * instance, logName and stream the parsed event would have, as spans
 * into the record (NULL when it would have none); known = 0 when the skim
 * cannot tell.
 */
struct skim_keys {
	const char *instance, *log, *stream;
	size_t ninstance, nlog, nstream;
	int known;
	const char *msg;      /* the message as the parsed event would have it */
	size_t nmsg;          /* (no escapes in it: the raw bytes are the text) */
};
struct skim {
	struct skim_keys k;
	enum sev sev;
	int64_t ts_us;
	long newlines;            /* in the record: its last line is line + newlines */
	size_t skim_bytes;        /* the event's skim_bytes */
	struct key_span rev;      /* the revision; p NULL: none */
	int keyed;                /* key[] is known (event_skim_keys) */
	struct key_span key[EV_KEYS];   /* p NULL: none */
};
int event_skim(const struct record *rec, struct skim *sk);

/*
 * For a severe record the caller keeps though no rule can match it (triage
 * reads such records as suspects): after event_skim returned 1, the
 * connection, trace and instance keys the parsed event would have, into
 * sk (keyed). 1 when the skim is sure of them (a Cloud Run LogEntry whose
 * keys are plain strings where normalize looks), 0 when the record must be
 * parsed.
 */
int event_skim_keys(const struct record *rec, struct skim *sk);

/*
 * ev (cleared first) as the skim read rec: position, time, severity and
 * revision, skimmed set; the message and keys too when sk is keyed (keyed
 * set), the message alone when with_msg. Copies what it keeps. -1: out of
 * memory.
 */
int event_from_skim(struct event *ev, const struct record *rec, const struct skim *sk, int with_msg);
/* A trace key as normalize keeps it: "projects/P/traces/ID" becomes ID. */
void event_trace_id(const char **s, size_t *n);

/* The times normalization reads (RFC 3339 and the like): bytes parsed,
 * 0 when s does not start with a time. */
size_t event_time_parse(const char *s, size_t n, int64_t *us);

/* Look up a dotted path ("jsonPayload.state", "labels.instanceId").
 * Payload first, then the whole entry, then the normalized fields
 * (severity, message, trace, span, instance, connection_id, user_id,
 * close.code, close.reason). Writes a string form into out.
 * Returns 1 when found, 0 when not. */
int event_field(const struct event *ev, const char *path, struct buf *out);

#endif
