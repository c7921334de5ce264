#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "util/utf8.h"
#include "ws/base64.h"
#include "ws/frame.h"
#include "ws/handshake.h"
#include "ws/sha1.h"

static void hex(const unsigned char *d, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

Test(ws_sha1, fips_vectors)
{
	unsigned char d[20];
	char h[41];
	struct ws_sha1 s;
	int i;

	ws_sha1("abc", 3, d);
	hex(d, 20, h);
	cr_assert_str_eq(h, "a9993e364706816aba3e25717850c26c9cd0d89d");
	ws_sha1("", 0, d);
	hex(d, 20, h);
	cr_assert_str_eq(h, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	ws_sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
	hex(d, 20, h);
	cr_assert_str_eq(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	/* Fed in odd pieces across block boundaries. */
	ws_sha1_init(&s);
	for (i = 0; i < 1000; i++)
		ws_sha1_update(&s, "aaaaaaa", 7);
	ws_sha1_final(&s, d);
	hex(d, 20, h);
	{
		char big[7001];

		memset(big, 'a', 7000);
		unsigned char d2[20];
		char h2[41];

		ws_sha1(big, 7000, d2);
		hex(d2, 20, h2);
		cr_assert_str_eq(h, h2);
	}
}

Test(ws_base64, roundtrip_and_strict_decode)
{
	char out[64];
	unsigned char raw[64];

	cr_assert_eq(ws_base64_encode((const unsigned char *)"f", 1, out), 4);
	cr_assert_str_eq(out, "Zg==");
	ws_base64_encode((const unsigned char *)"fo", 2, out);
	cr_assert_str_eq(out, "Zm8=");
	ws_base64_encode((const unsigned char *)"foobar", 6, out);
	cr_assert_str_eq(out, "Zm9vYmFy");
	cr_assert_eq(ws_base64_decode("Zm9vYmFy", 8, raw), 6);
	cr_assert_eq(memcmp(raw, "foobar", 6), 0);
	cr_assert_eq(ws_base64_decode("Zg==", 4, raw), 1);
	cr_assert_eq(ws_base64_decode("Zh==", 4, raw), -1, "non-zero pad bits");
	cr_assert_eq(ws_base64_decode("Zg=a", 4, raw), -1);
	cr_assert_eq(ws_base64_decode("Z===", 4, raw), -1);
	cr_assert_eq(ws_base64_decode("Zm9", 3, raw), -1);
	cr_assert_eq(ws_base64_decode("Zm9v!mFy", 8, raw), -1);
	cr_assert_eq(ws_base64_decode("Zg==Zg==", 8, raw), -1, "padding in the middle");
}

Test(ws_handshake, rfc_accept_example)
{
	char acc[WS_ACCEPT_LEN + 1];

	ws_hs_accept("dGhlIHNhbXBsZSBub25jZQ==", 24, acc);
	cr_assert_str_eq(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static const char good_req[] =
	"GET /ws?x=1 HTTP/1.1\r\nHost: example\r\nUpgrade: WebSocket\r\n"
	"Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	"Sec-WebSocket-Version: 13\r\nX-E2E-Testing: true\r\n\r\n";

Test(ws_handshake, parse_incrementally)
{
	struct ws_hs_request req;
	struct diag d;
	int status = 0;
	size_t n = strlen(good_req), i;

	for (i = 0; i < n; i++)
		cr_assert_eq(ws_hs_request_parse(good_req, i, WS_HS_MAX, &req, &status, &d), 0,
			     "complete at %zu of %zu", i, n);
	cr_assert_eq(ws_hs_request_parse(good_req, n, WS_HS_MAX, &req, &status, &d), 1);
	cr_assert_eq(req.head_len, n);
	cr_assert_str_eq(req.method, "GET");
	cr_assert_str_eq(req.path, "/ws?x=1");
	cr_assert(req.upgrade_websocket && req.connection_upgrade && req.key_ok && req.e2e_header);
	cr_assert_eq(req.version, 13);
	cr_assert_eq(ws_hs_request_check(&req, &status, &d), 0);
}

static int check_status(const char *raw)
{
	struct ws_hs_request req;
	struct diag d;
	int status = 0, r = ws_hs_request_parse(raw, strlen(raw), WS_HS_MAX, &req, &status, &d);

	if (r < 0)
		return status;
	cr_assert_eq(r, 1, "incomplete: %s", raw);
	return ws_hs_request_check(&req, &status, &d) < 0 ? status : 101;
}

Test(ws_handshake, refusals)
{
	cr_assert_eq(check_status("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
				  "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n"), 400);
	cr_assert_eq(check_status("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n"
				  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				  "Sec-WebSocket-Version: 13\r\n\r\n"), 400);
	cr_assert_eq(check_status("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
				  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				  "Sec-WebSocket-Version: 8\r\n\r\n"), 426);
	cr_assert_eq(check_status("POST / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
				  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				  "Sec-WebSocket-Version: 13\r\n\r\n"), 405);
	cr_assert_eq(check_status("GET / HTTP/1.0\r\nHost: h\r\nUpgrade: websocket\r\n"
				  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				  "Sec-WebSocket-Version: 13\r\n\r\n"), 400);
	cr_assert_eq(check_status("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
				  "Connection: Upgrade\r\nSec-WebSocket-Key: c2hvcnQ=\r\n"
				  "Sec-WebSocket-Version: 13\r\n\r\n"), 400);
	cr_assert_eq(check_status("GET / HTTP/1.1\r\n folded\r\n\r\n"), 400);
	cr_assert_eq(check_status("GET /\r\n\r\n"), 400);
	cr_assert_eq(check_status("GET / HTTP/1.1\r\nNo colon here\r\n\r\n"), 400);
}

Test(ws_handshake, too_large_is_431)
{
	static char big[WS_HS_MAX + 100];
	struct ws_hs_request req;
	struct diag d;
	int status = 0;

	memset(big, 'a', sizeof big);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	cr_assert_eq(ws_hs_request_parse(big, WS_HS_MAX - 1, WS_HS_MAX, &req, &status, &d), 0);
	cr_assert_eq(ws_hs_request_parse(big, sizeof big, WS_HS_MAX, &req, &status, &d), -1);
	cr_assert_eq(status, 431);
}

Test(ws_handshake, subprotocols)
{
	/* RFC 6455 §4.2.2: the client's order decides; names are exact. */
	static const char raw[] = "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
				  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				  "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: x, graphql-ws\r\n"
				  "Sec-WebSocket-Protocol:  ,chat \r\n\r\n";
	const char *sup[] = { "chat", "graphql-ws" }, *caps[] = { "Chat" };
	struct buf resp = BUF_INIT(8192);
	struct ws_hs_request req;
	struct diag d;
	int status;

	cr_assert_eq(ws_hs_request_parse(raw, sizeof raw - 1, WS_HS_MAX, &req, &status, &d), 1);
	cr_assert_str_eq(req.protocols, "x, graphql-ws, chat");
	cr_assert_eq(ws_hs_subprotocol_pick(req.protocols, sup, 2), 1);
	cr_assert_eq(ws_hs_subprotocol_pick(req.protocols, caps, 1), -1);
	cr_assert_eq(ws_hs_subprotocol_pick("", sup, 2), -1);
	cr_assert_eq(ws_hs_subprotocol_pick("chatty, chat", sup, 2), 0);
	cr_assert_eq(ws_hs_response_build_proto(&resp, req.key, "graphql-ws"), 0);
	cr_assert(strstr(resp.p, "\r\nSec-WebSocket-Protocol: graphql-ws\r\n\r\n"));
	buf_free(&resp);
}

Test(ws_handshake, client_roundtrip)
{
	struct buf b = BUF_INIT(8192), resp = BUF_INIT(8192);
	const char *extra[] = { "X-E2E-Testing: true", NULL };
	const char *bad_extra[] = { "X: a\r\nInjected: 1", NULL };
	unsigned char nonce[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	char key[WS_KEY_LEN + 1];
	struct ws_hs_request req;
	struct diag d;
	int status;
	size_t head;

	ws_hs_client_key(nonce, key);
	cr_assert_eq(strlen(key), 24);
	cr_assert_eq(ws_hs_client_request_build(&b, "127.0.0.1:80", "/ws", key, extra, &d), 0);
	cr_assert_eq(ws_hs_request_parse(b.p, b.len, WS_HS_MAX, &req, &status, &d), 1);
	cr_assert_eq(ws_hs_request_check(&req, &status, &d), 0);
	cr_assert(req.e2e_header);
	cr_assert_eq(ws_hs_response_build(&resp, req.key), 0);
	cr_assert_eq(ws_hs_client_response_parse(resp.p, resp.len - 1, 8192, key, &status, &head, &d), 0);
	cr_assert_eq(ws_hs_client_response_parse(resp.p, resp.len, 8192, key, &status, &head, &d), 1);
	cr_assert_eq(head, resp.len);
	cr_assert_eq(ws_hs_client_response_parse(resp.p, resp.len, 8192, "AAAAAAAAAAAAAAAAAAAAAA==",
						 &status, &head, &d), -1, "wrong accept");
	buf_reset(&resp);
	ws_hs_error_build(&resp, 500, "boom");
	cr_assert_eq(ws_hs_client_response_parse(resp.p, resp.len, 8192, key, &status, &head, &d), -1);
	cr_assert_eq(status, 500);
	cr_assert(strstr(d.msg, "HTTP 500"));
	buf_reset(&b);
	cr_assert_eq(ws_hs_client_request_build(&b, "h", "/", key, bad_extra, &d), -1);
	buf_free(&b);
	buf_free(&resp);
}

static int header_code(const unsigned char *p, size_t n, enum ws_role role)
{
	struct ws_frame_hdr h;
	struct diag d;
	int code = 0, r = ws_frame_header_parse(p, n, role, &h, &code, &d);

	return r < 0 ? code : r;
}

Test(ws_frame, header_rules)
{
	const unsigned char masked_text[] = { 0x81, 0x85, 1, 2, 3, 4 };
	const unsigned char unmasked[] = { 0x81, 0x05 };
	const unsigned char rsv1[] = { 0xc1, 0x85 };
	const unsigned char op3[] = { 0x83, 0x80 };
	const unsigned char opb[] = { 0x8b, 0x80 };
	const unsigned char frag_ping[] = { 0x09, 0x80 };
	const unsigned char long_ping[] = { 0x89, 0xfe, 0x00, 0x7e };
	const unsigned char nonmin16[] = { 0x82, 0xfe, 0x00, 0x7d, 1, 2, 3, 4 };
	const unsigned char nonmin64[] = { 0x82, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4 };
	const unsigned char top64[] = { 0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4 };
	const unsigned char ok64[] = { 0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4 };

	cr_assert_eq(header_code(masked_text, 6, WS_ROLE_SERVER), 1);
	cr_assert_eq(header_code(masked_text, 5, WS_ROLE_SERVER), 0);
	cr_assert_eq(header_code(unmasked, 2, WS_ROLE_SERVER), 1002);
	cr_assert_eq(header_code(unmasked, 2, WS_ROLE_CLIENT), 1);
	cr_assert_eq(header_code(masked_text, 6, WS_ROLE_CLIENT), 1002);
	cr_assert_eq(header_code(rsv1, 1, WS_ROLE_SERVER), 1002, "fails at the first byte");
	cr_assert_eq(header_code(op3, 2, WS_ROLE_SERVER), 1002);
	cr_assert_eq(header_code(opb, 2, WS_ROLE_SERVER), 1002);
	cr_assert_eq(header_code(frag_ping, 2, WS_ROLE_SERVER), 1002);
	cr_assert_eq(header_code(long_ping, 4, WS_ROLE_SERVER), 1002);
	cr_assert_eq(header_code(nonmin16, 8, WS_ROLE_SERVER), 1002);
	cr_assert_eq(header_code(nonmin64, 14, WS_ROLE_SERVER), 1002);
	cr_assert_eq(header_code(top64, 14, WS_ROLE_SERVER), 1002);
	cr_assert_eq(header_code(ok64, 14, WS_ROLE_SERVER), 1);
}

Test(ws_frame, build_header_lengths)
{
	unsigned char h[WS_FRAME_HEADER_MAX], mask[4] = { 9, 9, 9, 9 };
	struct ws_frame_hdr fh;
	struct diag d;
	int code;
	uint64_t lens[] = { 0, 125, 126, 65535, 65536, (uint64_t)1 << 40 };
	size_t i;

	for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		size_t n = ws_frame_header_build(h, 1, WS_OP_BINARY, lens[i], NULL);

		cr_assert_eq(ws_frame_header_parse(h, n, WS_ROLE_CLIENT, &fh, &code, &d), 1);
		cr_assert_eq(fh.len, lens[i]);
		cr_assert_eq(fh.hdr_len, n);
		n = ws_frame_header_build(h, 0, WS_OP_TEXT, lens[i], mask);
		cr_assert_eq(ws_frame_header_parse(h, n, WS_ROLE_SERVER, &fh, &code, &d), 1);
		cr_assert(fh.masked && !fh.fin && fh.len == lens[i]);
	}
}

/* Build a masked client frame into out; returns its length. */
static size_t cframe(unsigned char *out, int fin, unsigned op, const void *p, size_t n)
{
	static const unsigned char mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
	size_t h = ws_frame_header_build(out, fin, op, n, mask);

	memcpy(out + h, p, n);
	ws_mask(out + h, n, mask, 0);
	return h + n;
}

/* Feed all of in (k bytes at a time) and collect what came out. */
struct collected {
	unsigned char msg[4096];
	size_t len;
	int msgs, pings, closes, error;
	unsigned char ctrl[WS_CONTROL_MAX];
	size_t ctrl_len;
};

static void feed_all(struct ws_parser *p, unsigned char *in, size_t n, size_t k,
		     struct collected *c)
{
	size_t off = 0;

	while (off < n && !c->error) {
		size_t lim = n - off < k ? n - off : k, used = 0;

		while (used < lim) {
			struct ws_event ev;
			struct diag d;
			size_t u = ws_parser_feed(p, in + off + used, lim - used, &ev, &d);

			used += u;
			if (ev.type == WS_EV_NONE)
				break;
			if (ev.type == WS_EV_ERROR) {
				c->error = ev.close_code;
				return;
			}
			if (ev.type == WS_EV_DATA) {
				if (ev.msg_first)
					c->len = 0;
				memcpy(c->msg + c->len, ev.data, ev.len);
				c->len += ev.len;
				c->msgs += ev.msg_done;
			} else {
				c->pings += ev.opcode == WS_OP_PING;
				c->closes += ev.opcode == WS_OP_CLOSE;
				memcpy(c->ctrl, ev.data, ev.len);
				c->ctrl_len = ev.len;
			}
		}
		off += lim;
	}
}

/* in (n bytes, at most 1024) fed k bytes at a time to a fresh server-side
 * parser with a max-byte message limit, into c */
static void feed_chunked(const unsigned char *in, size_t n, size_t k, uint64_t max,
			 struct collected *c)
{
	unsigned char copy[1024];
	struct ws_parser p;

	cr_assert_leq(n, sizeof copy);
	memset(c, 0, sizeof *c);
	memcpy(copy, in, n);
	ws_parser_init(&p, WS_ROLE_SERVER, max);
	feed_all(&p, copy, n, k, c);
}

Test(ws_parser, fragmented_with_ping_any_chunking)
{
	unsigned char in[512];
	size_t n = 0, k;

	n += cframe(in + n, 0, WS_OP_TEXT, "Hel", 3);
	n += cframe(in + n, 1, WS_OP_PING, "p!", 2);
	n += cframe(in + n, 0, WS_OP_CONT, "", 0);
	n += cframe(in + n, 1, WS_OP_CONT, "lo \xce\xba", 5);
	for (k = 1; k <= n; k++) {
		struct collected c;

		feed_chunked(in, n, k, 1024, &c);
		cr_assert_eq(c.error, 0, "chunk %zu", k);
		cr_assert_eq(c.msgs, 1);
		cr_assert_eq(c.pings, 1);
		cr_assert_eq(c.ctrl_len, 2);
		cr_assert_eq(c.len, 8);
		cr_assert_eq(memcmp(c.msg, "Hello \xce\xba", 8), 0);
	}
}

/* A message that starts with an empty fragment: its first chunk the
 * caller sees (here the final, empty one) is still marked first, so the
 * message before it is not taken for part of it. */
Test(ws_parser, empty_first_fragment_starts_the_message)
{
	unsigned char in[64];
	size_t n = 0, k;

	n += cframe(in + n, 1, WS_OP_BINARY, "\x01\x82\x03", 3);
	n += cframe(in + n, 0, WS_OP_TEXT, "", 0);
	n += cframe(in + n, 1, WS_OP_CONT, "", 0);
	n += cframe(in + n, 0, WS_OP_TEXT, "", 0);
	n += cframe(in + n, 1, WS_OP_CONT, "ok", 2);
	for (k = 1; k <= n; k++) {
		struct collected c;

		feed_chunked(in, n, k, 1024, &c);
		cr_assert_eq(c.error, 0, "chunk %zu", k);
		cr_assert_eq(c.msgs, 3, "chunk %zu", k);
		cr_assert(c.len == 2 && !memcmp(c.msg, "ok", 2), "chunk %zu: %zu bytes", k, c.len);
	}
}

static int parse_error(const unsigned char *src, size_t n, uint64_t max)
{
	struct collected c;

	feed_chunked(src, n, n, max, &c);
	return c.error;
}

Test(ws_parser, message_state_errors)
{
	unsigned char in[1024];
	size_t n;

	n = cframe(in, 1, WS_OP_CONT, "x", 1);
	cr_assert_eq(parse_error(in, n, 0), 1002, "continuation with nothing started");
	n = cframe(in, 0, WS_OP_TEXT, "a", 1);
	n += cframe(in + n, 1, WS_OP_BINARY, "b", 1);
	cr_assert_eq(parse_error(in, n, 0), 1002, "new message inside a fragmented one");
	n = cframe(in, 1, WS_OP_BINARY, "0123456789", 10);
	cr_assert_eq(parse_error(in, n, 9), 1009);
	cr_assert_eq(parse_error(in, 6, 9), 1009, "refused from the header alone");
	cr_assert_eq(parse_error(in, n, 10), 0);
	n = cframe(in, 0, WS_OP_BINARY, "01234", 5);
	n += cframe(in + n, 1, WS_OP_CONT, "56789", 5);
	cr_assert_eq(parse_error(in, n, 9), 1009, "limit is per message");
}

Test(ws_parser, utf8_fails_before_fin)
{
	unsigned char in[256];
	size_t n;

	n = cframe(in, 0, WS_OP_TEXT, "\xf0\x90", 2);
	n += cframe(in + n, 0, WS_OP_CONT, "\x28", 1);
	cr_assert_eq(parse_error(in, n, 0), 1007);
	n = cframe(in, 1, WS_OP_TEXT, "ok\xe2\x82", 4);
	cr_assert_eq(parse_error(in, n, 0), 1007, "ends inside a sequence");
	n = cframe(in, 1, WS_OP_BINARY, "\xff", 1);
	cr_assert_eq(parse_error(in, n, 0), 0, "binary is not UTF-8 checked");
	/* Only the header and the first 2 payload bytes of a 50-byte frame. */
	{
		char body[50];

		memset(body, 'a', sizeof body);
		body[1] = (char)0xff;
		n = cframe(in, 1, WS_OP_TEXT, body, sizeof body);
		cr_assert_eq(parse_error(in, 2 + 4 + 2, 0), 1007);
	}
}

/* Autobahn 6.x-style sequences: each must be judged the same whole, and
 * when split at every byte boundary. */
Test(ws_utf8, autobahn_cases_incremental)
{
	static const struct {
		const char *s;
		size_t n;
		int valid;
	} cases[] = {
		{ "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 11, 1 },
		{ "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64", 20, 0 },
		{ "\x00", 1, 1 },
		{ "\xc2\x80", 2, 1 },
		{ "\xe0\xa0\x80", 3, 1 },
		{ "\xf0\x90\x80\x80", 4, 1 },
		{ "\x7f", 1, 1 },
		{ "\xdf\xbf", 2, 1 },
		{ "\xef\xbf\xbf", 3, 1 },
		{ "\xf4\x8f\xbf\xbf", 4, 1 },
		{ "\xf4\x90\x80\x80", 4, 0 },
		{ "\xed\x9f\xbf", 3, 1 },
		{ "\xee\x80\x80", 3, 1 },
		{ "\xef\xbf\xbd", 3, 1 },
		{ "\x80", 1, 0 },
		{ "\xbf", 1, 0 },
		{ "\xc0\xaf", 2, 0 },
		{ "\xe0\x80\xaf", 3, 0 },
		{ "\xf0\x80\x80\xaf", 4, 0 },
		{ "\xf8\x80\x80\x80\xaf", 5, 0 },
		{ "\xc1\xbf", 2, 0 },
		{ "\xe0\x9f\xbf", 3, 0 },
		{ "\xf0\x8f\xbf\xbf", 4, 0 },
		{ "\xed\xa0\x80", 3, 0 },
		{ "\xed\xbf\xbf", 3, 0 },
		{ "\xed\xa0\x80\xed\xb0\x80", 6, 0 },
		{ "\xef\xbf\xbe", 3, 1 },   /* noncharacters are valid UTF-8 */
		{ "\xc0", 1, 0 },
		{ "\xe0\x80", 2, 0 },
		{ "\xfe", 1, 0 },
		{ "\xff", 1, 0 },
		{ "\xc2", 1, 0 },
		{ "\xe1\x80", 2, 0 },
		{ "\xf1\x80\x80", 3, 0 },
		{ "\xc2\x41", 2, 0 },
		{ "\x41\xc2\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10, 1 },
	};
	size_t i, cut;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const unsigned char *s = (const unsigned char *)cases[i].s;

		cr_assert_eq(utf8_valid(s, cases[i].n), cases[i].valid, "case %zu whole", i);
		for (cut = 0; cut <= cases[i].n; cut++) {
			unsigned st = 0;
			int ok = utf8_feed(&st, s, cut) == 0 &&
				 utf8_feed(&st, s + cut, cases[i].n - cut) == 0 && st == 0;

			cr_assert_eq(ok, cases[i].valid, "case %zu cut at %zu", i, cut);
		}
	}
}

Test(ws_close, parse_and_build)
{
	unsigned char p[WS_CONTROL_MAX + 10] = { 0 };
	const char *reason;
	size_t rlen;
	int code, fail = 0, bad[] = { 0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000 };
	int good[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
		       3000, 4999 };
	struct diag d;
	size_t i;
	char long_reason[200];

	cr_assert_eq(ws_close_parse(p, 0, &code, &reason, &rlen, &fail, &d), 0);
	cr_assert_eq(code, 1005);
	cr_assert_eq(ws_close_parse(p, 1, &code, &reason, &rlen, &fail, &d), -1);
	cr_assert_eq(fail, 1002);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		p[0] = (unsigned char)(bad[i] >> 8);
		p[1] = (unsigned char)bad[i];
		cr_assert_eq(ws_close_parse(p, 2, &code, &reason, &rlen, &fail, &d), -1, "%d", bad[i]);
		cr_assert_eq(fail, 1002);
		cr_assert_eq(ws_close_build(p, bad[i], "", &d), -1, "may not send %d", bad[i]);
	}
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		long n = ws_close_build(p, good[i], "bye", &d);

		cr_assert_eq(n, 5);
		cr_assert_eq(ws_close_parse(p, (size_t)n, &code, &reason, &rlen, &fail, &d), 0);
		cr_assert_eq(code, good[i]);
		cr_assert_eq(rlen, 3);
	}
	memcpy(p, "\x03\xe8\xff", 3);
	cr_assert_eq(ws_close_parse(p, 3, &code, &reason, &rlen, &fail, &d), -1);
	cr_assert_eq(fail, 1007);
	/* 200 bytes of two-byte characters: cut to <= 123 on a boundary. */
	for (i = 0; i + 1 < sizeof long_reason; i += 2)
		memcpy(long_reason + i, "\xc3\xa9", 2);
	long_reason[198] = '\0';
	{
		long n = ws_close_build(p, 1011, long_reason, &d);

		cr_assert(n >= 2 && n <= WS_CONTROL_MAX);
		cr_assert(utf8_valid(p + 2, (size_t)n - 2));
		cr_assert_eq(n - 2, 122);
	}
}
