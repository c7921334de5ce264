#ifndef LOGWHY_WSD_H
#define LOGWHY_WSD_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "ws/frame.h"
#include "ws/handshake.h"

/*
 * logwhy-wsd: the WebSocket server under test. One epoll loop (server.c),
 * the application protocol and each --fault (app.c), Cloud Run style
 * logging (log.c), options (main.c). Connections are owned by server.c.
 */

enum wsd_fault {
	WSD_FAULT_NONE = 0,
	WSD_FAULT_ENUM_LOG,
	WSD_FAULT_MISSING_SERVICE,
	WSD_FAULT_STARTUP_INCOMPLETE,
	WSD_FAULT_E2E_ENV,
	WSD_FAULT_ABORT,
};

#define WSD_SUBPROTOCOLS_MAX 16
#define WSD_SUBPROTOCOL_LEN 64        /* longest name, with its NUL */

enum wsd_log_format {
	WSD_LOG_JSON = 0,   /* Cloud Run structured JSON on stdout */
	WSD_LOG_GCLOUD,     /* gcloud LogEntry objects, one per line */
	WSD_LOG_TEXT,       /* Python logging text lines */
};

struct wsd_config {
	char listen[64];
	int port;
	const char *port_file;
	enum wsd_fault fault;
	int safe_logging;
	enum wsd_log_format log_format;
	uint64_t max_message;
	long startup_wait_ms;
	long handshake_timeout_ms;
	long idle_timeout_ms;         /* 0 = never */
	long write_timeout_ms;        /* drop a peer whose unsent output stalls this long */
	long max_connections;         /* past it: evict the oldest handshake, else 503 */
	const char *subprotocols[WSD_SUBPROTOCOLS_MAX];   /* --subprotocol, in order */
	size_t n_subprotocols;
	int require_subprotocol;      /* refuse (400) a client offering none of them */
	int e2e_env;                  /* E2E variables found in our environment */
	char e2e_env_desc[256];       /* which variables, for the detection log */
};

enum wsd_state {
	WSD_ST_HANDSHAKE = 0,   /* reading the HTTP request */
	WSD_ST_OPEN,            /* WebSocket open */
	WSD_ST_CLOSING,         /* we sent a close, waiting for the peer's */
	WSD_ST_DRAIN,           /* failed: FIN after flush, discard until EOF */
	WSD_ST_FLUSH_CLOSE,     /* close TCP once the output is flushed */
};

struct wsd_conn;

/* A connection's place in one of the server's lists (server.c). */
struct wsd_link {
	struct wsd_conn *prev, *next;
	int on;
};

struct wsd_conn {
	uint64_t id;                  /* numeric client id, from 1 */
	int fd;
	char conn_id[32];             /* "conn_<id>" in logs and the welcome */
	char trace[80];               /* "projects/.../traces/<32 hex>" */
	char peer[64];                /* "127.0.0.1:54321" */
	enum wsd_state state;
	int dead;                     /* destroy at the end of this event */
	char *hs;                     /* request bytes, WS_HS_MAX, only while handshaking */
	size_t hs_len;
	int e2e_header;
	char path[128];
	char subprotocol[WSD_SUBPROTOCOL_LEN];   /* answered in the 101, "" for none */
	struct buf out;               /* bytes not yet sent, from out_off */
	size_t out_off;
	unsigned events;              /* epoll events registered */
	int paused;                   /* not reading: too much output pending */
	struct ws_parser parser;
	struct buf msg;               /* the message being assembled */
	int64_t opened_ms;
	int64_t last_rx_ms;
	int64_t t_handshake;          /* deadlines in monotonic ms, 0 = none */
	int64_t t_fault;
	int64_t t_close;
	int64_t t_write;              /* output pending and not moving: drop at this time */
	struct wsd_link links[2];     /* unfinished handshakes; input left from a turn */
	struct buf in;                /* read, not yet parsed (from in_off): a turn's rest */
	size_t in_off;
	uint64_t turn;                /* the loop pass of its last turn */
	int fault_step;
	int close_sent;
	int shut_wr;
	unsigned long long runs;      /* chat runs, for run ids */
	/* for the end record (server.c), one per connection */
	int64_t accepted_ms;
	uint64_t bytes_in, bytes_out;
	int http_status;              /* what we answered: 101, 200, 4xx, 503; 0 none */
	int code_sent, code_received; /* close frames: their codes (1005 empty); 0 none */
	const char *end_how;          /* the first reason given for the end, NULL yet */
	const char *end_during;       /* "read", "write" or NULL */
};

extern struct wsd_config wsd_cfg;
extern const char *const wsd_fault_names[];   /* by enum wsd_fault, for logs */

/* server.c */
int64_t wsd_now_ms(void);
int wsd_serve(void);                        /* runs until SIGTERM/SIGINT; exit status */
void wsd_send_text(struct wsd_conn *c, const char *s, size_t n);
void wsd_send_frame(struct wsd_conn *c, unsigned opcode, const void *p, size_t n);
void wsd_close(struct wsd_conn *c, int code, const char *reason);
void wsd_abort(struct wsd_conn *c);         /* TCP close, no close frame */
void wsd_set_timer(struct wsd_conn *c, int64_t *slot, int64_t at);
size_t wsd_conn_count(void);

/* app.c */
void wsd_app_open(struct wsd_conn *c);
void wsd_app_message(struct wsd_conn *c, unsigned opcode, const char *p, size_t n);
void wsd_app_fault_step(struct wsd_conn *c);
/* Body of GET /health into b. */
void wsd_app_health(struct buf *b);

/* log.c */
enum wsd_sev { WSD_DEBUG, WSD_INFO, WSD_WARNING, WSD_ERROR, WSD_CRITICAL };
void wsd_log_init(void);
/* One log record; c may be NULL for server-wide lines. The message may hold
 * newlines (a logger.exception traceback): one record all the same. */
void wsd_log(const struct wsd_conn *c, enum wsd_sev sev, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
/* A raw stderr line (the stdlib "--- Logging error ---" block): a textPayload
 * entry in gcloud format, a bare line in text format. */
void wsd_log_stderr(const struct wsd_conn *c, const char *line);
/* Random lower-case hex, for trace and instance ids. */
void wsd_random_hex(char *out, size_t nhex);

#endif
