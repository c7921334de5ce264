#include "ws/frame.h"

#include <string.h>

#include "util/utf8.h"

static int is_control(unsigned op)
{
	return (op & 0x8) != 0;
}

/* Set the close code to send and fill d; evaluates to -1. */
#define FAIL(code, ...) (*close_code = (code), diag_set(d, NULL, 0, 0, __VA_ARGS__))

int ws_frame_header_parse(const unsigned char *p, size_t n, enum ws_role role,
			  struct ws_frame_hdr *h, int *close_code, struct diag *d)
{
	unsigned len7;
	size_t ext, need, i;

	if (n < 1)
		return 0;
	/* Check byte 0 before waiting for the rest: a peer sending garbage
	 * is failed at its first byte, not after a stall. */
	h->fin = p[0] >> 7;
	h->rsv = (p[0] >> 4) & 7u;
	h->opcode = p[0] & 0xfu;
	if (h->rsv)
		return FAIL(WS_CLOSE_PROTOCOL,
			    "reserved bits 0x%lx set without a negotiated extension", (unsigned long)h->rsv);
	if (h->opcode > WS_OP_BINARY && h->opcode != WS_OP_CLOSE && h->opcode != WS_OP_PING &&
	    h->opcode != WS_OP_PONG)
		return FAIL(WS_CLOSE_PROTOCOL, "reserved opcode 0x%lx", (unsigned long)h->opcode);
	if (is_control(h->opcode) && !h->fin)
		return FAIL(WS_CLOSE_PROTOCOL,
			    "fragmented control frame (opcode 0x%lx)", (unsigned long)h->opcode);
	if (n < 2)
		return 0;
	h->masked = p[1] >> 7;
	len7 = p[1] & 0x7fu;
	if (role == WS_ROLE_SERVER && !h->masked)
		return FAIL(WS_CLOSE_PROTOCOL, "client frame is not masked");
	if (role == WS_ROLE_CLIENT && h->masked)
		return FAIL(WS_CLOSE_PROTOCOL, "server frame is masked");
	if (is_control(h->opcode) && len7 > WS_CONTROL_MAX)
		return FAIL(WS_CLOSE_PROTOCOL,
			    "control frame payload over 125 bytes (length code %lu)", (unsigned long)len7);
	ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
	need = 2 + ext + (h->masked ? 4 : 0);
	if (n < need)
		return 0;
	if (len7 == 126) {
		h->len = (uint64_t)p[2] << 8 | p[3];
		if (h->len < 126)
			return FAIL(WS_CLOSE_PROTOCOL,
				    "non-minimal 16-bit length %lu", (unsigned long)h->len);
	} else if (len7 == 127) {
		h->len = 0;
		for (i = 0; i < 8; i++)
			h->len = h->len << 8 | p[2 + i];
		if (h->len >> 63)
			return FAIL(WS_CLOSE_PROTOCOL,
				    "64-bit length with the most significant bit set");
		if (h->len < 65536)
			return FAIL(WS_CLOSE_PROTOCOL,
				    "non-minimal 64-bit length %lu", (unsigned long)h->len);
	} else {
		h->len = len7;
	}
	if (h->masked)
		memcpy(h->mask, p + 2 + ext, 4);
	else
		memset(h->mask, 0, 4);
	h->hdr_len = need;
	return 1;
}

void ws_parser_init(struct ws_parser *p, enum ws_role role, uint64_t max_message)
{
	memset(p, 0, sizeof *p);
	p->role = role;
	p->max_message = max_message;
}

static size_t parser_error(struct ws_parser *p, struct ws_event *ev, int code, size_t used)
{
	p->failed = code;
	ev->type = WS_EV_ERROR;
	ev->close_code = code;
	return used;
}

/* How many header bytes the frame needs, knowing hdr_have of them. */
static size_t header_need(const struct ws_parser *p)
{
	unsigned len7;

	if (p->hdr_have < 2)
		return 2;
	len7 = p->hdr[1] & 0x7fu;
	return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((p->hdr[1] & 0x80) ? 4 : 0);
}

/* The header is complete: apply the rules that need message state. */
static int parser_start_frame(struct ws_parser *p, int *close_code, struct diag *d)
{
	struct ws_frame_hdr *h = &p->cur;

	if (is_control(h->opcode))
		return 0;
	if (h->opcode == WS_OP_CONT) {
		if (!p->msg_active)
			return FAIL(WS_CLOSE_PROTOCOL,
				    "continuation frame with no message started");
	} else {
		if (p->msg_active)
			return FAIL(WS_CLOSE_PROTOCOL,
				    "new data frame (opcode 0x%lx) inside a fragmented message",
				    (unsigned long)h->opcode);
		p->msg_active = 1;
		p->msg_opcode = h->opcode;
		p->msg_len = 0;
		p->utf8 = 0;
		p->msg_first_pending = 1;
	}
	/* Refuse from the header, before reading a byte of the payload. */
	if (p->max_message && h->len > p->max_message - p->msg_len)
		return FAIL(WS_CLOSE_TOO_BIG, "message over the %lu-byte limit",
			    (unsigned long)p->max_message);
	p->msg_len += h->len;
	return 0;
}

static void parser_end_frame(struct ws_parser *p)
{
	p->in_payload = 0;
	p->hdr_have = 0;
	p->done = 0;
	if (!is_control(p->cur.opcode) && p->cur.fin)
		p->msg_active = 0;
}

static void emit_data(struct ws_parser *p, struct ws_event *ev, const unsigned char *data,
		      size_t len)
{
	ev->type = WS_EV_DATA;
	ev->opcode = p->msg_opcode;
	ev->data = data;
	ev->len = len;
	ev->msg_first = p->msg_first_pending;
	p->msg_first_pending = 0;
	ev->msg_done = p->done == p->cur.len && p->cur.fin;
}

size_t ws_parser_feed(struct ws_parser *p, unsigned char *in, size_t n,
		      struct ws_event *ev, struct diag *d)
{
	size_t used = 0;
	int code = 0;

	memset(ev, 0, sizeof *ev);
	if (p->failed) {
		/* Still an error: WS_EV_NONE would say the input was consumed. */
		diag_set(d, NULL, 0, 0, "the connection already failed");
		return parser_error(p, ev, p->failed, 0);
	}
	while (used < n || (p->in_payload && p->done == p->cur.len)) {
		if (!p->in_payload) {
			size_t need = header_need(p), take = need - p->hdr_have;
			int r;

			if (take > n - used)
				take = n - used;
			memcpy(p->hdr + p->hdr_have, in + used, take);
			p->hdr_have += take;
			used += take;
			r = ws_frame_header_parse(p->hdr, p->hdr_have, p->role, &p->cur, &code, d);
			if (r < 0)
				return parser_error(p, ev, code, used);
			if (r == 0) {
				/* The length code may have just arrived and grown need. */
				if (p->hdr_have < header_need(p) && used < n)
					continue;
				return used;
			}
			if (parser_start_frame(p, &code, d) < 0)
				return parser_error(p, ev, code, used);
			p->in_payload = 1;
			p->done = 0;
			continue;
		}
		{
			uint64_t left = p->cur.len - p->done;
			size_t take = (size_t)(left < (uint64_t)(n - used) ? left : (uint64_t)(n - used));
			unsigned char *chunk = in + used;

			if (is_control(p->cur.opcode)) {
				memcpy(p->ctrl + p->done, chunk, take);
				if (p->cur.masked)
					ws_mask(p->ctrl + p->done, take, p->cur.mask, p->done);
				p->done += take;
				used += take;
				if (p->done < p->cur.len)
					return used;
				ev->type = WS_EV_CONTROL;
				ev->opcode = p->cur.opcode;
				ev->data = p->ctrl;
				ev->len = (size_t)p->cur.len;
				parser_end_frame(p);
				return used;
			}
			if (p->cur.masked)
				ws_mask(chunk, take, p->cur.mask, p->done);
			if (p->msg_opcode == WS_OP_TEXT && utf8_feed(&p->utf8, chunk, take) < 0) {
				diag_set(d, NULL, 0, 0, "invalid UTF-8 in text message");
				return parser_error(p, ev, WS_CLOSE_BAD_DATA, used + take);
			}
			p->done += take;
			used += take;
			if (take == 0 && p->done < p->cur.len)
				return used;
			if (p->done == p->cur.len && p->cur.fin && p->msg_opcode == WS_OP_TEXT &&
			    p->utf8 != 0) {
				diag_set(d, NULL, 0, 0, "text message ends inside a UTF-8 sequence");
				return parser_error(p, ev, WS_CLOSE_BAD_DATA, used);
			}
			emit_data(p, ev, chunk, take);
			if (p->done == p->cur.len)
				parser_end_frame(p);
			/* An empty non-final fragment is no news to the caller;
			 * the message's first chunk is still to come. */
			if (take == 0 && !ev->msg_done) {
				p->msg_first_pending |= ev->msg_first;
				memset(ev, 0, sizeof *ev);
				continue;
			}
			return used;
		}
	}
	return used;
}

size_t ws_frame_header_build(unsigned char *out, int fin, unsigned opcode,
			     uint64_t len, const unsigned char *mask)
{
	size_t o = 2, i;

	out[0] = (unsigned char)((fin ? 0x80 : 0) | (opcode & 0xf));
	if (len < 126) {
		out[1] = (unsigned char)len;
	} else if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (unsigned char)(len >> 8);
		out[3] = (unsigned char)len;
		o = 4;
	} else {
		out[1] = 127;
		for (i = 0; i < 8; i++)
			out[2 + i] = (unsigned char)(len >> (56 - 8 * i));
		o = 10;
	}
	if (mask) {
		out[1] |= 0x80;
		memcpy(out + o, mask, 4);
		o += 4;
	}
	return o;
}

void ws_mask(unsigned char *p, size_t n, const unsigned char mask[4], uint64_t off)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] ^= mask[(off + i) & 3];
}

int ws_close_code_valid(int code)
{
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
	       (code >= 3000 && code <= 4999);
}

int ws_close_parse(const unsigned char *p, size_t n, int *code, const char **reason,
		   size_t *reason_len, int *fail_code, struct diag *d)
{
	*reason = "";
	*reason_len = 0;
	if (n == 0) {
		*code = WS_CLOSE_NO_STATUS;
		return 0;
	}
	if (n == 1) {
		*fail_code = WS_CLOSE_PROTOCOL;
		return diag_set(d, NULL, 0, 0, "close payload of 1 byte");
	}
	*code = p[0] << 8 | p[1];
	if (!ws_close_code_valid(*code)) {
		*fail_code = WS_CLOSE_PROTOCOL;
		return diag_set(d, NULL, 0, 0, "invalid close code %d", *code);
	}
	if (!utf8_valid(p + 2, n - 2)) {
		*fail_code = WS_CLOSE_BAD_DATA;
		return diag_set(d, NULL, 0, 0, "close reason is not valid UTF-8");
	}
	*reason = (const char *)p + 2;
	*reason_len = n - 2;
	return 0;
}

long ws_close_build(unsigned char *out, int code, const char *reason, struct diag *d)
{
	size_t n = reason ? strlen(reason) : 0;

	if (!ws_close_code_valid(code))
		return diag_set(d, NULL, 0, 0, "close code %d may not be sent", code);
	if (!utf8_valid((const unsigned char *)reason, n))
		return diag_set(d, NULL, 0, 0, "close reason is not valid UTF-8");
	if (n > WS_CLOSE_REASON_MAX) {
		n = WS_CLOSE_REASON_MAX;
		/* Cut before a continuation byte so the reason stays UTF-8. */
		while (n && ((unsigned char)reason[n] & 0xc0) == 0x80)
			n--;
	}
	out[0] = (unsigned char)(code >> 8);
	out[1] = (unsigned char)code;
	if (n)
		memcpy(out + 2, reason, n);
	return (long)(n + 2);
}

const char *ws_close_code_name(int code)
{
	switch (code) {
	case 1000: return "OK";
	case 1001: return "going away";
	case 1002: return "protocol error";
	case 1003: return "unsupported data";
	case 1005: return "no status received [internal]";
	case 1006: return "connection closed abnormally [internal]";
	case 1007: return "invalid frame payload data";
	case 1008: return "policy violation";
	case 1009: return "message too big";
	case 1010: return "mandatory extension";
	case 1011: return "internal error";
	case 1012: return "service restart";
	case 1013: return "try again later";
	case 1014: return "bad gateway";
	case 1015: return "TLS handshake failure [internal]";
	default: break;
	}
	if (code >= 3000 && code <= 3999)
		return "registered";
	if (code >= 4000 && code <= 4999)
		return "private use";
	return "unknown";
}
