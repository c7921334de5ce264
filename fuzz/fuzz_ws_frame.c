/*
 * The WebSocket frame parser (ws/frame.c), as logwhy-wsd (server role) and
 * `logwhy probe` (client role) drive it: bytes fed in chunks of a fuzzed
 * size, messages reassembled, close payloads checked and rebuilt.
 *
 * Selector byte: bit 0 the client role, bits 1-2 the message limit (none,
 * 16, 125, 4096 bytes), bits 3-5 the chunk size (whole input, 1, 2, 3, 7,
 * 64, 125, 126 bytes).
 * Promises checked: every call makes progress (a caller loop cannot
 * spin); message bytes point into the caller's input; a finished text
 * message is valid UTF-8 and no message passes the limit; control frames
 * are at most 125 bytes; errors carry 1002, 1007 or 1009 and stick;
 * a header that parses is rebuilt byte for byte by ws_frame_header_build.
 */
#include "fuzz.h"

#include "util/buf.h"
#include "util/utf8.h"
#include "ws/frame.h"

static const size_t chunks[8] = { 0, 1, 2, 3, 7, 64, 125, 126 };
static const uint64_t limits[4] = { 0, 16, 125, 4096 };

static void header_roundtrip(const unsigned char *p, size_t n, enum ws_role role)
{
	struct ws_frame_hdr h;
	unsigned char out[WS_FRAME_HEADER_MAX];
	struct diag d;
	int code = 0, r = ws_frame_header_parse(p, n, role, &h, &code, &d);

	if (r < 0) {
		FUZZ_ASSERT(code == WS_CLOSE_PROTOCOL);
		return;
	}
	if (r == 0 || h.rsv != 0)
		return;
	FUZZ_ASSERT(h.hdr_len >= 2 && h.hdr_len <= WS_FRAME_HEADER_MAX && h.hdr_len <= n);
	FUZZ_ASSERT(ws_frame_header_build(out, h.fin, h.opcode, h.len,
					  h.masked ? h.mask : NULL) == h.hdr_len);
	FUZZ_ASSERT(memcmp(out, p, h.hdr_len) == 0);
}

static void close_payload(const unsigned char *p, size_t n)
{
	unsigned char out[WS_CONTROL_MAX];
	char reason[WS_CONTROL_MAX + 1];
	const char *r;
	size_t rlen;
	struct diag d;
	int code = 0, fail = 0;
	long built;

	if (ws_close_parse(p, n, &code, &r, &rlen, &fail, &d) < 0) {
		FUZZ_ASSERT(fail == WS_CLOSE_PROTOCOL || fail == WS_CLOSE_BAD_DATA);
		return;
	}
	FUZZ_ASSERT(code == WS_CLOSE_NO_STATUS || ws_close_code_valid(code));
	FUZZ_ASSERT(rlen <= WS_CLOSE_REASON_MAX && utf8_valid((const unsigned char *)r, rlen));
	if (code == WS_CLOSE_NO_STATUS || memchr(r, '\0', rlen))
		return;
	memcpy(reason, r, rlen);
	reason[rlen] = '\0';
	built = ws_close_build(out, code, reason, &d);
	FUZZ_ASSERT(built == (long)n && memcmp(out, p, n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char sel = fuzz_selector(&data, &size);
	enum ws_role role = (sel & 1) ? WS_ROLE_CLIENT : WS_ROLE_SERVER;
	uint64_t limit = limits[(sel >> 1) & 3];
	size_t chunk = chunks[(sel >> 3) & 7], off = 0;
	unsigned char *in = malloc(size ? size : 1);
	struct ws_parser p;
	struct buf msg = BUF_INIT(0);
	int stuck = 0, failed = 0;

	if (!in)
		return 0;
	memcpy(in, data, size);
	header_roundtrip(in, size, role);
	if (!chunk)
		chunk = size;
	ws_parser_init(&p, role, limit);
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk, used;
		struct ws_event ev;
		struct diag d;

		memset(&ev, 0, sizeof ev);
		used = ws_parser_feed(&p, in + off, n, &ev, &d);
		FUZZ_ASSERT(used <= n);
		if (ev.type == WS_EV_ERROR) {
			FUZZ_ASSERT(ev.close_code == WS_CLOSE_PROTOCOL ||
				    ev.close_code == WS_CLOSE_BAD_DATA ||
				    ev.close_code == WS_CLOSE_TOO_BIG);
			FUZZ_ASSERT(!failed || used == 0);
			if (failed)
				break;
			failed = 1;
			continue;   /* once more: the failure must stick */
		}
		FUZZ_ASSERT(!failed);
		if (ev.type == WS_EV_NONE)
			FUZZ_ASSERT(used == n);
		stuck = used ? 0 : stuck + 1;
		FUZZ_ASSERT(stuck < 3);
		off += used;
		if (ev.type == WS_EV_DATA) {
			FUZZ_ASSERT(ev.opcode == WS_OP_TEXT || ev.opcode == WS_OP_BINARY);
			FUZZ_ASSERT(ev.len == 0 ||
				    (ev.data >= in && ev.data + ev.len <= in + off));
			if (ev.msg_first)
				buf_reset(&msg);
			FUZZ_ASSERT(ev.len == 0 || buf_add(&msg, ev.data, ev.len) == 0);
			FUZZ_ASSERT(!limit || msg.len <= limit);
			if (ev.msg_done && ev.opcode == WS_OP_TEXT)
				FUZZ_ASSERT(utf8_valid((const unsigned char *)msg.p, msg.len));
		} else if (ev.type == WS_EV_CONTROL) {
			FUZZ_ASSERT(ev.opcode == WS_OP_PING || ev.opcode == WS_OP_PONG ||
				    ev.opcode == WS_OP_CLOSE);
			FUZZ_ASSERT(ev.len <= WS_CONTROL_MAX);
			if (ev.opcode == WS_OP_CLOSE)
				close_payload(ev.data, ev.len);
		}
	}
	buf_free(&msg);
	free(in);
	return 0;
}
