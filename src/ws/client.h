#ifndef LOGWHY_WS_CLIENT_H
#define LOGWHY_WS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"
#include "ws/tls.h"

/*
 * The client side of `logwhy probe`: one health check over plain HTTP and
 * one WebSocket session, measured and recorded into caller-owned structs.
 * Blocking sockets driven by poll with a deadline on every step, so a
 * silent server cannot hold the probe past its timeout. Every buffer has a
 * fixed size; nothing here prints, and nothing here keeps memory after a
 * call returns.
 */

#define WS_URL_HOST_MAX 256
#define WS_URL_PATH_MAX 1024
#define WS_CLIENT_HEALTH_MAX (64 * 1024)        /* health response, headers + body */
#define WS_CLIENT_MSG_KEEP 1024                 /* bytes of the first message kept */
#define WS_CLIENT_MAX_MESSAGE ((uint64_t)16 << 20)  /* larger: we close with 1009 */
#define WS_CLIENT_CLOSE_WAIT_MS 2000            /* for the peer's half of a close */
#define WS_CLIENT_REASON_MAX 124                /* a close reason is at most 123 bytes */

struct ws_url {
	int tls;                          /* wss:// */
	char host[WS_URL_HOST_MAX];       /* without brackets for IPv6 */
	char port[8];
	char path[WS_URL_PATH_MAX];       /* request-target, "/" when none */
	char authority[WS_URL_HOST_MAX + 16];   /* Host header: host[:port] as given */
};

/* Parse ws://host[:port][/path] or wss://... Returns 0, or -1 with d filled. */
int ws_url_parse(const char *url, struct ws_url *u, struct diag *d);

struct ws_health {
	int status;              /* HTTP status, 0 when there was no answer */
	double ms;               /* request to full response */
	char error[640];         /* why there was no answer, or "" */
	char state[64];          /* the body's "status" string, or "" */
	int e2e_enabled;         /* body e2e_testing.enabled: 1, 0, or -1 absent */
	int json;                /* 1 when the body parsed as a JSON object */
};

/*
 * GET /health on the URL's host and port. Always fills h; returns 0 when a
 * 2xx came back, -1 otherwise (h->error or h->status says why).
 */
int ws_health_check(const struct ws_url *u, const struct ws_tls_opts *tls, int timeout_ms,
		    struct ws_health *h);

struct ws_client_opts {
	const char *const *headers;   /* NULL-terminated "Name: value" list, or NULL */
	const char *const *sends;     /* messages sent after the first message arrives */
	size_t nsends;
	int timeout_ms;               /* connect+handshake, and open→our own close */
	struct ws_tls_opts tls;       /* wss:// only */
};

enum ws_client_end {
	WS_END_NONE = 0,     /* the session did not get as far as a close */
	WS_END_RECEIVED,     /* the server closed first (a close frame, or TCP) */
	WS_END_SENT,         /* we closed first (timeout, or its protocol error) */
};

struct ws_client_result {
	double connect_ms;           /* TCP connect */
	double handshake_ms;         /* request sent to 101 parsed */
	int http_status;             /* 101, a refusal (e.g. 500), 0 when none */
	int open;                    /* the handshake succeeded */
	int64_t open_wall_us;        /* wall clock at open (RFC 3339 "time") */
	int64_t end_wall_us;         /* wall clock when the session ended */

	int got_first;               /* a first message arrived */
	double first_ms;             /* open → first message complete */
	int first_binary;
	uint64_t first_len;          /* its full length */
	char first[WS_CLIENT_MSG_KEEP + 1];   /* its start, cut on a UTF-8 boundary */
	char connection_id[128];     /* the welcome's "connection_id", or "" */

	size_t sent;                 /* --send messages written */
	size_t received;             /* messages received (first included) */

	enum ws_client_end end;
	int close_code;              /* 1006 when TCP ended with no close frame */
	char close_reason[WS_CLIENT_REASON_MAX];
	int clean;                   /* both close frames exchanged */
	int timed_out;               /* we sent 1000 because --timeout passed */
	double elapsed_ms;           /* open → close */
	char error[640];             /* a protocol or I/O problem on the way, or "" */
	int tls_failed;              /* wss:// and the TLS handshake failed: reported
					as close_code 1015 (RFC 6455 7.4.1), the
					reason in close_reason and error */
	char tls_version[32];        /* "TLSv1.3" once TLS is up, or "" */
};

/*
 * Connect, handshake, read the first message, send each of o->sends, then
 * wait for the close (or time out and close with 1000 ourselves). Returns
 * 0 when a session was attempted and r says how it went (a refused
 * handshake or a refused certificate included); -1 with d filled when the URL's host could not be
 * reached at all (resolve or TCP connect failed).
 */
int ws_client_run(const struct ws_url *u, const struct ws_client_opts *o,
		  struct ws_client_result *r, struct diag *d);

#endif
