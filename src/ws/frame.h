#ifndef LOGWHY_WS_FRAME_H
#define LOGWHY_WS_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

/*
 * RFC 6455 framing shared by logwhy-wsd (server role) and `logwhy probe`
 * (client role): an incremental parser that turns bytes into message
 * chunks and control frames, a frame builder, and close-payload rules.
 * No allocation anywhere: message bytes are handed to the caller as they
 * arrive, so the caller decides how much of a message it keeps.
 */

enum ws_opcode {
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xa,
};

enum ws_role {
	WS_ROLE_SERVER = 0,   /* peer frames must be masked; ours are not */
	WS_ROLE_CLIENT,       /* peer frames must not be masked; ours are */
};

#define WS_CLOSE_NORMAL 1000
#define WS_CLOSE_GOING_AWAY 1001
#define WS_CLOSE_PROTOCOL 1002
#define WS_CLOSE_UNSUPPORTED 1003
#define WS_CLOSE_NO_STATUS 1005      /* never on the wire */
#define WS_CLOSE_ABNORMAL 1006       /* never on the wire */
#define WS_CLOSE_BAD_DATA 1007
#define WS_CLOSE_POLICY 1008
#define WS_CLOSE_TOO_BIG 1009
#define WS_CLOSE_INTERNAL 1011
#define WS_CLOSE_TLS 1015            /* never on the wire */

#define WS_CONTROL_MAX 125
#define WS_FRAME_HEADER_MAX 14
#define WS_CLOSE_REASON_MAX 123

struct ws_frame_hdr {
	int fin;
	unsigned rsv;          /* RSV1-3 as bits 2..0 */
	unsigned opcode;
	int masked;
	unsigned char mask[4];
	uint64_t len;          /* payload length */
	size_t hdr_len;        /* bytes of header, 2..14 */
};

/*
 * Decode one frame header from p[0..n). Returns 1 when complete (h filled),
 * 0 when more bytes are needed, -1 when the header itself breaks RFC 6455
 * (*close_code = 1002 and d filled). Checks that need no state: reserved
 * bits and opcodes, masking for role, minimal length encoding, the 64-bit
 * top bit, control frames fragmented or over 125 bytes.
 */
int ws_frame_header_parse(const unsigned char *p, size_t n, enum ws_role role,
			  struct ws_frame_hdr *h, int *close_code, struct diag *d);

enum ws_event_type {
	WS_EV_NONE = 0,   /* all input consumed, nothing complete yet */
	WS_EV_DATA,       /* a chunk of a text/binary message */
	WS_EV_CONTROL,    /* a whole ping, pong or close frame */
	WS_EV_ERROR,      /* the peer broke the protocol; fail the connection */
};

struct ws_event {
	enum ws_event_type type;
	unsigned opcode;             /* message opcode (TEXT/BINARY) or control opcode */
	const unsigned char *data;   /* DATA: into the caller's input (unmasked in place);
					CONTROL: into the parser; valid until the next feed */
	size_t len;
	int msg_first;               /* DATA: first chunk of the message */
	int msg_done;                /* DATA: last chunk; the message is complete and,
					when text, valid UTF-8 */
	int close_code;              /* ERROR: 1002, 1007 or 1009 to send */
};

/*
 * Per-connection parser state. Text is UTF-8 checked as it arrives, across
 * frames, so invalid text fails before its FIN. Message size is checked
 * against max_message from each frame header, before any payload is read.
 */
struct ws_parser {
	enum ws_role role;
	uint64_t max_message;          /* 0 = no limit beyond 2^63 */
	unsigned char hdr[WS_FRAME_HEADER_MAX];
	size_t hdr_have;
	int in_payload;                /* header done, payload bytes pending */
	struct ws_frame_hdr cur;
	uint64_t done;                 /* payload bytes of cur consumed */
	int msg_active;                /* a fragmented message is in progress */
	unsigned msg_opcode;
	uint64_t msg_len;
	int msg_first_pending;         /* next DATA chunk is the message's first */
	unsigned utf8;                 /* utf8_feed state for the text message */
	unsigned char ctrl[WS_CONTROL_MAX];
	int failed;                    /* sticky after an error: its close code */
};

void ws_parser_init(struct ws_parser *p, enum ws_role role, uint64_t max_message);

/*
 * Consume bytes from in[0..n) (masked payload is unmasked in place, hence
 * non-const) until one event is complete or the input runs out. Returns the
 * bytes consumed; ev says what happened. Call again with the rest. After
 * WS_EV_ERROR (d filled) the parser stays failed: every later call consumes
 * nothing and reports WS_EV_ERROR with the same close code again.
 */
size_t ws_parser_feed(struct ws_parser *p, unsigned char *in, size_t n,
		      struct ws_event *ev, struct diag *d);

/*
 * Write a frame header into out (room for WS_FRAME_HEADER_MAX). mask NULL
 * for server frames; for client frames a 4-byte key the caller then applies
 * to the payload with ws_mask. Returns the header length.
 */
size_t ws_frame_header_build(unsigned char *out, int fin, unsigned opcode,
			     uint64_t len, const unsigned char *mask);

/* XOR p[0..n) with the mask, as if these bytes started at payload offset off. */
void ws_mask(unsigned char *p, size_t n, const unsigned char mask[4], uint64_t off);

/* 1 when a peer may send this code in a close frame (RFC 6455 §7.4):
 * 1000-1003, 1007-1014, 3000-4999. */
int ws_close_code_valid(int code);

/*
 * Check a received close payload. Returns 0 with *code (1005 when the
 * payload is empty: no status) and reason/reason_len pointing into p; or -1
 * with *fail_code (1002 for a 1-byte payload or a bad code, 1007 for a
 * reason that is not UTF-8) and d filled.
 */
int ws_close_parse(const unsigned char *p, size_t n, int *code, const char **reason,
		   size_t *reason_len, int *fail_code, struct diag *d);

/*
 * Build a close payload into out (room for WS_CONTROL_MAX). The reason is
 * cut to 123 bytes on a UTF-8 boundary. Returns the payload length, or -1
 * when code is not one we may send (1005/1006/1015 and invalid codes) or
 * reason is not UTF-8.
 */
long ws_close_build(unsigned char *out, int code, const char *reason, struct diag *d);

/* "protocol error" for 1002 etc., "" when unknown: for log wording. */
const char *ws_close_code_name(int code);

#endif
