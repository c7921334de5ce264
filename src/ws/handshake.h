#ifndef LOGWHY_WS_HANDSHAKE_H
#define LOGWHY_WS_HANDSHAKE_H

#include <stddef.h>

#include "util/buf.h"
#include "util/diag.h"

/*
 * The HTTP/1.1 side of RFC 6455 §4: parsing and checking an upgrade
 * request (server), building and checking one (client), and the
 * Sec-WebSocket-Accept computation both sides share. Parsing works on a
 * caller-owned buffer that fills as bytes arrive: call again with more
 * until it stops returning 0. Nothing here allocates except appending to
 * a caller's struct buf.
 */

#define WS_HS_MAX 8192           /* header block limit; past it: 431 */
#define WS_HS_MAX_FIELDS 100
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_ACCEPT_LEN 28         /* base64 of a SHA-1 */
#define WS_KEY_LEN 24            /* base64 of 16 bytes */

struct ws_hs_request {
	char method[16];
	char path[1024];          /* request-target as sent */
	int http_minor;           /* HTTP/1.<minor> */
	int has_host;
	int upgrade_websocket;    /* Upgrade lists "websocket" */
	int connection_upgrade;   /* Connection lists "upgrade" */
	int has_key;
	int key_ok;               /* key decodes to exactly 16 bytes */
	char key[WS_KEY_LEN + 1];
	int version;              /* Sec-WebSocket-Version, -1 when absent or not a number */
	int e2e_header;           /* X-E2E-Testing: true (an E2E bypass header) */
	/* Sec-WebSocket-Protocol values in the order sent, repeated fields
	 * joined with ", "; truncated at a token boundary (protocols_cut) */
	char protocols[256];
	int protocols_cut;
	char user_agent[128];     /* truncated */
	size_t head_len;          /* bytes of request line + fields + CRLFCRLF */
};

/*
 * Parse the request in buf[0..len). Returns 1 when the header block is
 * complete (req filled, req->head_len set: bytes after it are the peer's
 * first frames), 0 when more bytes are needed, -1 with *status (400 for
 * malformed, 431 when no end is found within max bytes or there are too
 * many fields) and d filled.
 */
int ws_hs_request_parse(const char *buf, size_t len, size_t max,
			struct ws_hs_request *req, int *status, struct diag *d);

/*
 * Check a parsed request is a valid WebSocket upgrade. Returns 0, or -1 with
 * *status: 405 not GET, 400 (HTTP/1.0, no Host, no Upgrade/Connection
 * tokens, no or bad key, no version), 426 for a version other than 13 (the
 * response must then carry "Sec-WebSocket-Version: 13").
 */
int ws_hs_request_check(const struct ws_hs_request *req, int *status, struct diag *d);

/* Sec-WebSocket-Accept for a key: out gets WS_ACCEPT_LEN chars + NUL. */
void ws_hs_accept(const char *key, size_t key_len, char out[WS_ACCEPT_LEN + 1]);

/* Append the 101 response for req's key. -1 when b is full. */
int ws_hs_response_build(struct buf *b, const char *key);
/* The same with "Sec-WebSocket-Protocol: protocol" when protocol is not NULL. */
int ws_hs_response_build_proto(struct buf *b, const char *key, const char *protocol);

/*
 * RFC 6455 §4.2.2: the subprotocol to answer, the first of the client's
 * offered list (a comma-separated Sec-WebSocket-Protocol value) that is one
 * of supported[0..n) (exact, case-sensitive match). Returns its index in
 * supported, or -1 when none matches or nothing was offered.
 */
int ws_hs_subprotocol_pick(const char *offered, const char *const *supported, size_t n);

/* Append a small "Connection: close" HTTP error response with a text body;
 * 426 gets "Sec-WebSocket-Version: 13". -1 when b is full. */
int ws_hs_error_build(struct buf *b, int status, const char *body);

/* "Bad Request" etc. for the status codes used here. */
const char *ws_hs_status_text(int status);

/* Client side: the key for 16 random bytes (caller supplies the nonce). */
void ws_hs_client_key(const unsigned char nonce[16], char key[WS_KEY_LEN + 1]);

/*
 * Client side: append a GET upgrade request. extra is NULL or a
 * NULL-terminated list of "Name: value" lines without CRLF; a line with CR
 * or LF is refused (-1, d filled) so callers cannot smuggle headers.
 */
int ws_hs_client_request_build(struct buf *b, const char *host, const char *path,
			       const char *key, const char *const *extra, struct diag *d);

/*
 * Client side: parse the response in buf[0..len) to a request made with
 * key. Returns 1 when complete and a valid 101 (Upgrade, Connection and
 * Accept checked; *head_len set), 0 when more bytes are needed, -1 with
 * *status (the HTTP status, or 0 when the response is malformed) and d
 * filled.
 */
int ws_hs_client_response_parse(const char *buf, size_t len, size_t max, const char *key,
				int *status, size_t *head_len, struct diag *d);

/*
 * Find field name (case-insensitive) in a complete header block; *val and
 * *vlen get its value with surrounding whitespace trimmed. 1 found, 0 not.
 */
int ws_hs_field(const char *head, size_t len, const char *name,
		const char **val, size_t *vlen);

#endif
