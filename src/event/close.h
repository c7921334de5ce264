#ifndef LOGWHY_CLOSE_H
#define LOGWHY_CLOSE_H

#include <stddef.h>

/*
 * A WebSocket close as some client or server reported it in a log line.
 * code 1006 is used for "no close frame" (abnormal closure), as clients do.
 */
enum close_dir {
	CLOSE_DIR_UNKNOWN = 0,
	CLOSE_DIR_RECEIVED,   /* the peer (usually the server) sent the close */
	CLOSE_DIR_SENT,       /* this side sent it first */
};

#define CLOSE_REASON_MAX 256

struct close_trace {
	int present;                     /* 1 when the text was a close trace */
	int code;                        /* close code, 0 when none was given */
	char reason[CLOSE_REASON_MAX];   /* as logged, unescaped, may be "" */
	enum close_dir direction;
	int clean;                       /* 1 clean, 0 unclean, -1 unknown */
	long elapsed_ms;                 /* open→close, -1 when not in the text */
	int http_status;                 /* handshake refused with this status, else 0 */
	const char *client;              /* static name of the wording matched:
					    "websockets", "wscat", "ws", "browser",
					    "gorilla", "debug-script", "uvicorn",
					    "server", "probe" */
};

/* No close trace: present 0, the unknowns -1, reason "" (its first byte
 * only). */
void close_trace_reset(struct close_trace *o);

/*
 * Parse a log message as a close trace. Returns 1 and fills out when the
 * message is one; 0 (out->present = 0) when it is not. Never allocates.
 * msg need not be NUL-terminated.
 */
int close_parse(const char *msg, size_t len, struct close_trace *out);

/* Words one of which every close trace contains (any case; '#' is any
 * digit): what close_parse anchors on, and the keys of a probe's JSON
 * trace. NULL-terminated. A prefilter may skip text holding none. */
extern const char *const close_anchor_words[];

#endif
