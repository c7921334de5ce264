/*
 * The HTTP side of the WebSocket handshake (ws/handshake.c): the bytes as
 * logwhy-wsd sees a request (at most WS_HS_MAX, parsed again as more
 * arrive), as `logwhy probe` sees a response, and as extra request
 * headers a probe user passes.
 *
 * Promises checked: parsing a prefix never contradicts parsing the whole
 * (a complete request stays complete with the same length, a refused one
 * stays refused); a refusal is 400 or 431, a check failure 400, 405 or
 * 426; every field is NUL-terminated; our 101 answer to an accepted
 * request satisfies our client; a request our client builds is complete
 * for our server.
 */
#include "fuzz.h"

#include "util/buf.h"
#include "ws/handshake.h"

static const char key0[] = "dGhlIHNhbXBsZSBub25jZQ==";

static int parse(const char *p, size_t n, struct ws_hs_request *req, int *status)
{
	struct diag d;
	int r;

	memset(req, 0, sizeof *req);
	*status = 0;
	r = ws_hs_request_parse(p, n, WS_HS_MAX, req, status, &d);
	FUZZ_ASSERT(r >= -1 && r <= 1);
	if (r < 0)
		FUZZ_ASSERT(*status == 400 || *status == 431);
	if (r == 1) {
		FUZZ_ASSERT(req->head_len >= 4 && req->head_len <= n);
		FUZZ_ASSERT(memchr(req->method, '\0', sizeof req->method));
		FUZZ_ASSERT(memchr(req->path, '\0', sizeof req->path));
		FUZZ_ASSERT(memchr(req->key, '\0', sizeof req->key));
		FUZZ_ASSERT(memchr(req->user_agent, '\0', sizeof req->user_agent));
	}
	return r;
}

static void server_side(const char *p, size_t n)
{
	struct ws_hs_request req, half;
	struct buf out = BUF_INIT(WS_HS_MAX);
	struct diag d;
	int status, hstatus, r, rh;
	size_t hlen;

	if (n > WS_HS_MAX)
		n = WS_HS_MAX;
	r = parse(p, n, &req, &status);
	rh = parse(p, n / 2, &half, &hstatus);
	if (rh == 1)
		FUZZ_ASSERT(r == 1 && half.head_len == req.head_len);
	if (rh == -1)
		FUZZ_ASSERT(r == -1);
	if (r < 0) {
		FUZZ_ASSERT(ws_hs_error_build(&out, status, "bad request\n") == 0);
		buf_free(&out);
		return;
	}
	if (r == 0)
		return;
	if (ws_hs_request_check(&req, &status, &d) < 0) {
		FUZZ_ASSERT(status == 400 || status == 405 || status == 426);
		FUZZ_ASSERT(ws_hs_error_build(&out, status, d.msg) == 0);
		buf_free(&out);
		return;
	}
	FUZZ_ASSERT(req.key_ok && strlen(req.key) == WS_KEY_LEN);
	FUZZ_ASSERT(ws_hs_response_build(&out, req.key) == 0);
	FUZZ_ASSERT(ws_hs_client_response_parse(out.p, out.len, WS_HS_MAX, req.key,
						&status, &hlen, &d) == 1);
	FUZZ_ASSERT(hlen == out.len);
	buf_free(&out);
}

static void client_side(const char *p, size_t n)
{
	struct diag d;
	const char *val;
	size_t vlen, hlen = 0;
	int status = 0, r;

	r = ws_hs_client_response_parse(p, n, WS_HS_MAX, key0, &status, &hlen, &d);
	FUZZ_ASSERT(r >= -1 && r <= 1);
	if (r == 1)
		FUZZ_ASSERT(hlen <= n);
	if (ws_hs_field(p, n, "Sec-WebSocket-Accept", &val, &vlen))
		FUZZ_ASSERT(val >= p && val + vlen <= p + n);
}

/* Each input line an extra header for the client's request. */
static void client_request(const char *p, size_t n)
{
	char *lines[9] = { 0 }, *copy = fuzz_strdup((const uint8_t *)p, n), *s, *nl;
	struct buf out = BUF_INIT(WS_HS_MAX * 2);
	struct ws_hs_request req;
	struct diag d;
	int nl_count = 0, status;

	if (!copy)
		return;
	for (s = copy; nl_count < 8 && *s; s = nl + 1) {
		lines[nl_count++] = s;
		nl = strchr(s, '\n');
		if (!nl)
			break;
		*nl = '\0';
	}
	if (ws_hs_client_request_build(&out, "example.test:8080", "/ws", key0,
				       (const char *const *)lines, &d) == 0 &&
	    out.len <= WS_HS_MAX)
		FUZZ_ASSERT(parse(out.p, out.len, &req, &status) != 0);
	buf_free(&out);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);

	if (!p)
		return 0;
	memcpy(p, data, size);
	server_side(p, size);
	client_side(p, size);
	client_request(p, size);
	free(p);
	return 0;
}
