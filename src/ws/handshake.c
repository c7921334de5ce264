#include "ws/handshake.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ws/base64.h"
#include "ws/sha1.h"

/* Index just past "\r\n\r\n", or 0 when the block is not complete. */
static size_t head_end(const char *buf, size_t len)
{
	size_t i;

	for (i = 3; i < len; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r')
			return i + 1;
	return 0;
}

/* Next CRLF-terminated line at *off (without the CRLF); 0 at the end. */
static int next_line(const char *buf, size_t len, size_t *off, const char **line, size_t *llen)
{
	size_t i;

	for (i = *off; i + 1 < len; i++) {
		if (buf[i] == '\r' && buf[i + 1] == '\n') {
			*line = buf + *off;
			*llen = i - *off;
			*off = i + 2;
			return 1;
		}
	}
	return 0;
}

static int is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* Split a field line into name and trimmed value; -1 when malformed. */
static int split_field(const char *line, size_t n, const char **name, size_t *nlen,
		       const char **val, size_t *vlen)
{
	size_t i = 0;

	while (i < n && is_tchar(line[i]))
		i++;
	if (i == 0 || i == n || line[i] != ':')
		return -1;
	*name = line;
	*nlen = i;
	*val = line + i + 1;
	*vlen = n - i - 1;
	trim(val, vlen);
	for (i = 0; i < *vlen; i++)
		if ((unsigned char)(*val)[i] < 0x20 && (*val)[i] != '\t')
			return -1;
	return 0;
}

static int name_is(const char *name, size_t nlen, const char *want)
{
	return strlen(want) == nlen && strncasecmp(name, want, nlen) == 0;
}

/* The next item of the comma-separated list v (n bytes) from *i, trimmed
 * (it may be empty); 0 when the list is done. */
static int list_next(const char *v, size_t n, size_t *i, const char **item, size_t *k)
{
	if (*i >= n)
		return 0;
	*item = v + *i;
	*k = 0;
	while (*i + *k < n && v[*i + *k] != ',')
		(*k)++;
	*i += *k + 1;
	trim(item, k);
	return 1;
}

/* 1 when the comma-separated list v contains token tok (case-insensitive). */
static int list_has(const char *v, size_t n, const char *tok)
{
	const char *item;
	size_t i = 0, k;

	while (list_next(v, n, &i, &item, &k))
		if (name_is(item, k, tok))
			return 1;
	return 0;
}

static void copy_bounded(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int ws_hs_field(const char *head, size_t len, const char *name,
		const char **val, size_t *vlen)
{
	size_t off = 0, llen, nlen;
	const char *line, *fname;

	if (!next_line(head, len, &off, &line, &llen))   /* request or status line */
		return 0;
	while (next_line(head, len, &off, &line, &llen) && llen) {
		if (split_field(line, llen, &fname, &nlen, val, vlen) == 0 &&
		    name_is(fname, nlen, name))
			return 1;
	}
	return 0;
}

/* Append a field's tokens to req->protocols, whole tokens only. */
static void add_protocols(struct ws_hs_request *req, const char *v, size_t n)
{
	size_t i = 0, k, have = strlen(req->protocols);
	const char *item;

	while (list_next(v, n, &i, &item, &k)) {
		if (!k)
			continue;
		if (have + (have ? 2 : 0) + k >= sizeof req->protocols) {
			req->protocols_cut = 1;
			return;
		}
		if (have) {
			memcpy(req->protocols + have, ", ", 2);
			have += 2;
		}
		memcpy(req->protocols + have, item, k);
		have += k;
		req->protocols[have] = '\0';
	}
}

int ws_hs_subprotocol_pick(const char *offered, const char *const *supported, size_t n)
{
	size_t len = offered ? strlen(offered) : 0, i = 0, j, k;
	const char *item;

	while (list_next(offered, len, &i, &item, &k)) {
		for (j = 0; k && j < n; j++)
			if (strlen(supported[j]) == k && memcmp(supported[j], item, k) == 0)
				return (int)j;
	}
	return -1;
}

static int bad(int *status, int code, struct diag *d, const char *msg)
{
	*status = code;
	return diag_set(d, NULL, 0, 0, "%s", msg);
}

int ws_hs_request_parse(const char *buf, size_t len, size_t max,
			struct ws_hs_request *req, int *status, struct diag *d)
{
	size_t end, off = 0, llen = 0, i, fields = 0;
	const char *line = buf, *sp1, *sp2;

	memset(req, 0, sizeof *req);
	req->version = -1;
	end = head_end(buf, len < max ? len : max);
	if (!end)
		return len >= max ? bad(status, 431, d, "request header block too large") : 0;
	req->head_len = end;
	next_line(buf, end, &off, &line, &llen);
	sp1 = memchr(line, ' ', llen);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', llen - (size_t)(sp1 + 1 - line)) : NULL;
	if (!sp1 || !sp2 || sp1 == line || sp2 == sp1 + 1)
		return bad(status, 400, d, "malformed request line");
	for (i = 0; line + i < sp1; i++)
		if (!is_tchar(line[i]))
			return bad(status, 400, d, "malformed request method");
	copy_bounded(req->method, sizeof req->method, line, (size_t)(sp1 - line));
	if ((size_t)(sp2 - sp1 - 1) >= sizeof req->path)
		return bad(status, 400, d, "request target too long");
	copy_bounded(req->path, sizeof req->path, sp1 + 1, (size_t)(sp2 - sp1 - 1));
	for (i = 0; req->path[i]; i++)
		if ((unsigned char)req->path[i] <= 0x20 || (unsigned char)req->path[i] >= 0x7f)
			return bad(status, 400, d, "malformed request target");
	if (line + llen - (sp2 + 1) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 ||
	    sp2[8] < '0' || sp2[8] > '9')
		return bad(status, 400, d, "not an HTTP/1.x request");
	req->http_minor = sp2[8] - '0';
	while (next_line(buf, end, &off, &line, &llen) && llen) {
		const char *name, *val;
		size_t nlen, vlen;

		if (++fields > WS_HS_MAX_FIELDS)
			return bad(status, 431, d, "too many header fields");
		if (line[0] == ' ' || line[0] == '\t')
			return bad(status, 400, d, "obsolete header line folding");
		if (split_field(line, llen, &name, &nlen, &val, &vlen) < 0)
			return bad(status, 400, d, "malformed header field");
		if (name_is(name, nlen, "Host")) {
			req->has_host = 1;
		} else if (name_is(name, nlen, "Upgrade")) {
			req->upgrade_websocket |= list_has(val, vlen, "websocket");
		} else if (name_is(name, nlen, "Connection")) {
			req->connection_upgrade |= list_has(val, vlen, "upgrade");
		} else if (name_is(name, nlen, "Sec-WebSocket-Key")) {
			unsigned char raw[WS_KEY_LEN];

			/* A repeated key is ambiguous: refuse it like a bad one. */
			req->key_ok = !req->has_key && vlen == WS_KEY_LEN &&
				      ws_base64_decode(val, vlen, raw) == 16;
			req->has_key = 1;
			copy_bounded(req->key, sizeof req->key, val, vlen);
		} else if (name_is(name, nlen, "Sec-WebSocket-Version")) {
			int v = 0;

			for (i = 0; i < vlen && i < 4 && val[i] >= '0' && val[i] <= '9'; i++)
				v = v * 10 + (val[i] - '0');
			req->version = (vlen && i == vlen) ? v : 0;
		} else if (name_is(name, nlen, "X-E2E-Testing")) {
			req->e2e_header = name_is(val, vlen, "true");
		} else if (name_is(name, nlen, "Sec-WebSocket-Protocol")) {
			add_protocols(req, val, vlen);
		} else if (name_is(name, nlen, "User-Agent")) {
			copy_bounded(req->user_agent, sizeof req->user_agent, val, vlen);
		}
	}
	return 1;
}

int ws_hs_request_check(const struct ws_hs_request *req, int *status, struct diag *d)
{
	if (strcmp(req->method, "GET") != 0)
		return bad(status, 405, d, "WebSocket upgrade must be a GET");
	if (req->http_minor < 1)
		return bad(status, 400, d, "WebSocket upgrade needs HTTP/1.1");
	if (!req->has_host)
		return bad(status, 400, d, "missing Host header");
	if (!req->upgrade_websocket)
		return bad(status, 400, d, "missing 'Upgrade: websocket'");
	if (!req->connection_upgrade)
		return bad(status, 400, d, "missing 'Connection: Upgrade'");
	if (!req->has_key)
		return bad(status, 400, d, "missing Sec-WebSocket-Key");
	if (!req->key_ok)
		return bad(status, 400, d, "invalid Sec-WebSocket-Key");
	if (req->version < 0)
		return bad(status, 400, d, "missing Sec-WebSocket-Version");
	if (req->version != 13)
		return bad(status, 426, d, "unsupported Sec-WebSocket-Version");
	return 0;
}

void ws_hs_accept(const char *key, size_t key_len, char out[WS_ACCEPT_LEN + 1])
{
	struct ws_sha1 s;
	unsigned char dig[WS_SHA1_LEN];

	ws_sha1_init(&s);
	ws_sha1_update(&s, key, key_len);
	ws_sha1_update(&s, WS_GUID, sizeof WS_GUID - 1);
	ws_sha1_final(&s, dig);
	ws_base64_encode(dig, sizeof dig, out);
}

int ws_hs_response_build_proto(struct buf *b, const char *key, const char *protocol)
{
	char acc[WS_ACCEPT_LEN + 1];

	ws_hs_accept(key, strlen(key), acc);
	return buf_addf(b, "HTTP/1.1 101 Switching Protocols\r\n"
			   "Upgrade: websocket\r\n"
			   "Connection: Upgrade\r\n"
			   "Sec-WebSocket-Accept: %s\r\n%s%s%s\r\n", acc,
			protocol ? "Sec-WebSocket-Protocol: " : "", protocol ? protocol : "",
			protocol ? "\r\n" : "");
}

int ws_hs_response_build(struct buf *b, const char *key)
{
	return ws_hs_response_build_proto(b, key, NULL);
}

const char *ws_hs_status_text(int status)
{
	switch (status) {
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 426: return "Upgrade Required";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

int ws_hs_error_build(struct buf *b, int status, const char *body)
{
	return buf_addf(b, "HTTP/1.1 %d %s\r\n"
			   "Content-Type: text/plain; charset=utf-8\r\n"
			   "Content-Length: %zu\r\n"
			   "%s%s"
			   "Connection: close\r\n\r\n%s\n",
			status, ws_hs_status_text(status), strlen(body) + 1,
			status == 426 ? "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" : "",
			status == 405 ? "Allow: GET\r\n" : "", body);
}

void ws_hs_client_key(const unsigned char nonce[16], char key[WS_KEY_LEN + 1])
{
	ws_base64_encode(nonce, 16, key);
}

static int has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

int ws_hs_client_request_build(struct buf *b, const char *host, const char *path,
			       const char *key, const char *const *extra, struct diag *d)
{
	size_t i;

	if (has_crlf(host) || has_crlf(path) || has_crlf(key))
		return diag_set(d, NULL, 0, 0, "CR or LF in request line or key");
	if (buf_addf(b, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
			"Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
			"Sec-WebSocket-Version: 13\r\n", path, host, key) < 0)
		return diag_set(d, NULL, 0, 0, "request too large");
	for (i = 0; extra && extra[i]; i++) {
		const char *name, *val;
		size_t nlen, vlen;

		if (has_crlf(extra[i]) ||
		    split_field(extra[i], strlen(extra[i]), &name, &nlen, &val, &vlen) < 0)
			return diag_set(d, NULL, 0, 0, "malformed header '%s'", extra[i]);
		if (buf_addf(b, "%s\r\n", extra[i]) < 0)
			return diag_set(d, NULL, 0, 0, "request too large");
	}
	if (buf_adds(b, "\r\n") < 0)
		return diag_set(d, NULL, 0, 0, "request too large");
	return 0;
}

int ws_hs_client_response_parse(const char *buf, size_t len, size_t max, const char *key,
				int *status, size_t *head_len, struct diag *d)
{
	size_t end, off = 0, llen = 0, i;
	const char *line = buf, *v;
	char want[WS_ACCEPT_LEN + 1];

	*status = 0;
	end = head_end(buf, len < max ? len : max);
	if (!end)
		return len >= max ? diag_set(d, NULL, 0, 0, "response header block too large") : 0;
	*head_len = end;
	next_line(buf, end, &off, &line, &llen);
	if (llen < 12 || memcmp(line, "HTTP/1.", 7) != 0 || line[8] != ' ')
		return diag_set(d, NULL, 0, 0, "malformed status line");
	for (i = 9; i < 12; i++) {
		if (line[i] < '0' || line[i] > '9')
			return diag_set(d, NULL, 0, 0, "malformed status code");
		*status = *status * 10 + (line[i] - '0');
	}
	if (*status != 101)
		return diag_set(d, NULL, 0, 0, "server rejected WebSocket connection: HTTP %d",
				*status);
	if (!ws_hs_field(buf, end, "Upgrade", &v, &llen) || !list_has(v, llen, "websocket"))
		return diag_set(d, NULL, 0, 0, "missing 'Upgrade: websocket' in response");
	if (!ws_hs_field(buf, end, "Connection", &v, &llen) || !list_has(v, llen, "upgrade"))
		return diag_set(d, NULL, 0, 0, "missing 'Connection: Upgrade' in response");
	ws_hs_accept(key, strlen(key), want);
	if (!ws_hs_field(buf, end, "Sec-WebSocket-Accept", &v, &llen) ||
	    llen != WS_ACCEPT_LEN || memcmp(v, want, WS_ACCEPT_LEN) != 0)
		return diag_set(d, NULL, 0, 0, "missing or wrong Sec-WebSocket-Accept");
	return 1;
}
