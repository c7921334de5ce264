#include "ws/client.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/utf8.h"
#include "ws/frame.h"
#include "ws/handshake.h"
#include "ws/tls.h"

#define READ_CHUNK (64 * 1024)
#define SEND_CHUNK (16 * 1024)

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* poll's timeout for a deadline; 0 once it has passed */
static int left_ms(double deadline)
{
	double d = deadline - now_ms();

	if (d <= 0)
		return 0;
	return d > 2e9 ? 2000000000 : (int)d + 1;
}

int ws_url_parse(const char *url, struct ws_url *u, struct diag *d)
{
	const char *p, *host, *hend, *port = NULL, *path;
	size_t hlen, plen;

	memset(u, 0, sizeof *u);
	if (!strncasecmp(url, "ws://", 5)) {
		p = url + 5;
	} else if (!strncasecmp(url, "wss://", 6)) {
		p = url + 6;
		u->tls = 1;
	} else {
		return diag_set(d, NULL, 0, 0, "'%s' is not a ws:// or wss:// URL", url);
	}
	if (strpbrk(url, " \t\r\n"))
		return diag_set(d, NULL, 0, 0, "whitespace in URL '%s'", url);
	path = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(path - p)))
		return diag_set(d, NULL, 0, 0, "user information in URL '%s' is not supported", url);
	if (*p == '[') {
		host = p + 1;
		hend = memchr(host, ']', (size_t)(path - host));
		if (!hend)
			return diag_set(d, NULL, 0, 0, "unclosed '[' in URL '%s'", url);
		if (hend[1] == ':')
			port = hend + 2;
		else if (hend + 1 != path)
			return diag_set(d, NULL, 0, 0, "bad host in URL '%s'", url);
	} else {
		host = p;
		hend = memchr(p, ':', (size_t)(path - p));
		if (hend)
			port = hend + 1;
		else
			hend = path;
	}
	hlen = (size_t)(hend - host);
	if (hlen == 0 || hlen >= sizeof u->host)
		return diag_set(d, NULL, 0, 0, "no host, or a host too long, in URL '%s'", url);
	memcpy(u->host, host, hlen);
	if (port) {
		size_t n = (size_t)(path - port), i;
		long v = 0;

		if (n == 0 || n > 5)
			return diag_set(d, NULL, 0, 0, "bad port in URL '%s'", url);
		for (i = 0; i < n; i++) {
			if (port[i] < '0' || port[i] > '9')
				return diag_set(d, NULL, 0, 0, "bad port in URL '%s'", url);
			v = v * 10 + (port[i] - '0');
		}
		if (v < 1 || v > 65535)
			return diag_set(d, NULL, 0, 0, "port out of range in URL '%s'", url);
		snprintf(u->port, sizeof u->port, "%ld", v);
	} else {
		snprintf(u->port, sizeof u->port, "%s", u->tls ? "443" : "80");
	}
	if ((size_t)(path - p) >= sizeof u->authority)
		return diag_set(d, NULL, 0, 0, "host too long in URL '%s'", url);
	memcpy(u->authority, p, (size_t)(path - p));
	/* the fragment is never sent; a bare "?q" still needs a "/" before it */
	plen = strcspn(path, "#");
	if (plen + 2 > sizeof u->path)
		return diag_set(d, NULL, 0, 0, "path too long in URL '%s' (at most %zu bytes)",
				url, sizeof u->path - 2);
	if (*path != '/')
		u->path[0] = '/';
	memcpy(u->path + strlen(u->path), path, plen);
	return 0;
}

static int tcp_connect(const struct ws_url *u, double deadline, int *out, struct diag *d)
{
	struct addrinfo hints, *res = NULL, *ai;
	int rc, fd = -1, err = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(u->host, u->port, &hints, &res);
	if (rc)
		return diag_set(d, NULL, 0, 0, "cannot resolve '%s': %s", u->host, gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		struct pollfd pfd;
		socklen_t len = sizeof err;

		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		/* non-blocking for the whole session: every wait is a poll with a deadline */
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
			err = errno;
			close(fd);
			fd = -1;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		if (err == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			do
				rc = poll(&pfd, 1, left_ms(deadline));
			while (rc < 0 && errno == EINTR);
			if (rc == 0)
				err = ETIMEDOUT;
			else if (rc < 0)
				err = errno;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
				err = errno;
			if (rc > 0 && err == 0)
				break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return diag_set(d, NULL, 0, 0, "cannot connect to %s port %s: %s", u->host, u->port,
				strerror(err ? err : ECONNREFUSED));
	*out = fd;
	return 0;
}

/* A connection: plain TCP, or TLS over it (wss://). */
struct conn {
	int fd;
	struct ws_tls *tls;
};

/* Wait for fd to be ready the way a TLS call asked; 0, or -1 (errno,
 * ETIMEDOUT at the deadline). */
static int tls_wait(int fd, long want, double deadline)
{
	struct pollfd pfd = { fd, want == WS_TLS_WANT_WRITE ? POLLOUT : POLLIN, 0 };
	int rc;

	if (now_ms() >= deadline) {
		errno = ETIMEDOUT;
		return -1;
	}
	rc = poll(&pfd, 1, left_ms(deadline));
	if (rc == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	return rc < 0 && errno != EINTR ? -1 : 0;
}

/* 0 when all written; -1 (errno set, ETIMEDOUT at the deadline) otherwise */
static int write_all(struct conn *c, const void *data, size_t n, double deadline)
{
	const char *p = data;
	int fd = c->fd;

	while (n) {
		ssize_t k;

		if (c->tls) {
			long w = ws_tls_write(c->tls, p, n);

			if (w > 0) {
				p += w;
				n -= (size_t)w;
			} else if (w == WS_TLS_ERROR || tls_wait(fd, w, deadline) < 0) {
				return -1;
			}
			continue;
		}
		k = send(fd, p, n, MSG_NOSIGNAL);

		if (k > 0) {
			p += k;
			n -= (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { fd, POLLOUT, 0 };
			int rc = poll(&pfd, 1, left_ms(deadline));

			if (rc == 0) {
				errno = ETIMEDOUT;
				return -1;
			}
			if (rc < 0 && errno != EINTR)
				return -1;
			continue;
		}
		return -1;
	}
	return 0;
}

/* bytes read, 0 at EOF, -1 on error (errno; ETIMEDOUT at the deadline) */
static ssize_t read_some(struct conn *c, void *p, size_t n, double deadline)
{
	int fd = c->fd;

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t k;
		int rc;

		/* a peer that never stops sending must not outlive the deadline either */
		if (now_ms() >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (c->tls) {
			long r = ws_tls_read(c->tls, p, n);

			if (r >= 0)
				return r;
			if (r == WS_TLS_ERROR || tls_wait(fd, r, deadline) < 0)
				return -1;
			continue;
		}
		k = recv(fd, p, n, 0);
		if (k >= 0)
			return k;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		rc = poll(&pfd, 1, left_ms(deadline));
		if (rc == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

static void health_body(struct ws_health *h, const char *body, size_t n)
{
	json_t *o = json_loadb(body, n, 0, NULL), *v;

	if (!json_is_object(o)) {
		json_decref(o);
		return;
	}
	h->json = 1;
	v = json_object_get(o, "status");
	if (json_is_string(v))
		snprintf(h->state, sizeof h->state, "%s", json_string_value(v));
	v = json_object_get(json_object_get(o, "e2e_testing"), "enabled");
	if (json_is_boolean(v))
		h->e2e_enabled = json_is_true(v);
	else if (json_is_integer(v))
		h->e2e_enabled = json_integer_value(v) != 0;
	json_decref(o);
}

/*
 * TCP, then for wss:// the TLS handshake, within the deadline. 0; -1 with
 * d filled when TCP failed; -2 when TLS failed (tls_err filled, c->fd
 * closed).
 */
static int conn_open(const struct ws_url *u, const struct ws_tls_opts *o, double deadline,
		     struct conn *c, struct diag *d, char *tls_err, size_t n)
{
	c->tls = NULL;
	if (tcp_connect(u, deadline, &c->fd, d) < 0)
		return -1;
	if (!u->tls)
		return 0;
	c->tls = ws_tls_new(c->fd, u->host, o, tls_err, n);
	if (!c->tls)
		goto fail;
	for (;;) {
		int r = ws_tls_handshake(c->tls);

		if (r == 1)
			return 0;
		if (r == WS_TLS_ERROR) {
			snprintf(tls_err, n, "%s", ws_tls_error(c->tls));
			goto fail;
		}
		if (tls_wait(c->fd, r, deadline) < 0) {
			snprintf(tls_err, n, "TLS handshake failed: %s", strerror(errno));
			goto fail;
		}
	}
fail:
	ws_tls_free(c->tls);
	c->tls = NULL;
	close(c->fd);
	c->fd = -1;
	return -2;
}

static void conn_close(struct conn *c)
{
	ws_tls_free(c->tls);
	c->tls = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int ws_health_check(const struct ws_url *u, const struct ws_tls_opts *tls, int timeout_ms,
		    struct ws_health *h)
{
	char resp[WS_CLIENT_HEALTH_MAX];
	char req[WS_URL_HOST_MAX + 256];
	double t0 = now_ms(), deadline = t0 + timeout_ms;
	size_t have = 0, head = 0, want = 0;
	int n, have_len = 0, rc;
	struct diag d;
	struct conn c;

	memset(h, 0, sizeof *h);
	h->e2e_enabled = -1;
	rc = conn_open(u, tls, deadline, &c, &d, h->error, sizeof h->error);
	if (rc == -1)
		snprintf(h->error, sizeof h->error, "%s", d.msg);
	if (rc < 0)
		return -1;
	n = snprintf(req, sizeof req, "GET /health HTTP/1.1\r\nHost: %s\r\n"
		     "Accept: application/json\r\nUser-Agent: logwhy-probe/%s\r\n"
		     "Connection: close\r\n\r\n", u->authority, LOGWHY_VERSION);
	if (write_all(&c, req, (size_t)n, deadline) < 0) {
		snprintf(h->error, sizeof h->error, "sending the request: %s", strerror(errno));
		conn_close(&c);
		return -1;
	}
	/* until EOF, or the Content-Length is in, or the buffer is full */
	while (have < sizeof resp - 1) {
		ssize_t k = read_some(&c, resp + have, sizeof resp - 1 - have, deadline);

		if (k < 0) {
			if (!head) {
				snprintf(h->error, sizeof h->error, "reading the response: %s",
					 strerror(errno));
				conn_close(&c);
				return -1;
			}
			break;
		}
		if (k == 0)
			break;
		have += (size_t)k;
		resp[have] = '\0';
		if (!head) {
			char *e = strstr(resp, "\r\n\r\n");
			const char *v;
			size_t vlen;

			if (e) {
				head = (size_t)(e - resp) + 4;
				if (ws_hs_field(resp, head, "Content-Length", &v, &vlen)) {
					want = (size_t)strtoul(v, NULL, 10);
					have_len = 1;
				}
			}
		}
		if (head && have_len && have - head >= want)
			break;
	}
	conn_close(&c);
	h->ms = now_ms() - t0;
	resp[have] = '\0';
	if (have < 12 || memcmp(resp, "HTTP/1.", 7) != 0 || resp[8] != ' ' ||
	    resp[9] < '1' || resp[9] > '5' || resp[10] < '0' || resp[10] > '9' ||
	    resp[11] < '0' || resp[11] > '9') {
		snprintf(h->error, sizeof h->error, have ? "malformed HTTP response" :
			 "the server closed the connection without answering");
		return -1;
	}
	h->status = (resp[9] - '0') * 100 + (resp[10] - '0') * 10 + (resp[11] - '0');
	if (head) {
		size_t blen = have - head;

		if (have_len && want < blen)
			blen = want;
		health_body(h, resp + head, blen);
	}
	return h->status >= 200 && h->status < 300 ? 0 : -1;
}

struct session {
	struct conn c;
	uint64_t rng;
	double open_ms;
	int close_sent;
	int close_received;
	int capturing;
	size_t kept;
};

static uint64_t rng_next(struct session *s)
{
	/* xorshift64*: masks only have to be unpredictable to proxies, not secret */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 0x2545f4914f6cdd1dull;
}

static void rng_stir(struct session *s)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	uint64_t entropy = 0;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	s->rng = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 40);
	if (fd >= 0) {
		if (read(fd, &entropy, sizeof entropy) == (ssize_t)sizeof entropy)
			s->rng ^= entropy;
		close(fd);
	}
	if (!s->rng)
		s->rng = 0x9e3779b97f4a7c15ull;
}

/* One masked frame: the header goes out with the first payload chunk (one
 * segment for a small frame), the rest is masked chunk by chunk so a big
 * --send needs no copy of its size. */
static int send_frame(struct session *s, unsigned opcode, const void *data, size_t n,
		      double deadline)
{
	unsigned char out[WS_FRAME_HEADER_MAX + SEND_CHUNK], mask[4];
	uint64_t m = rng_next(s);
	size_t off = 0, fill;

	memcpy(mask, &m, 4);
	fill = ws_frame_header_build(out, 1, opcode, n, mask);
	for (;;) {
		size_t k = n - off < sizeof out - fill ? n - off : sizeof out - fill;

		memcpy(out + fill, (const char *)data + off, k);
		ws_mask(out + fill, k, mask, off);
		if (write_all(&s->c, out, fill + k, deadline) < 0)
			return -1;
		off += k;
		fill = 0;
		if (off >= n)
			return 0;
	}
}

static int send_close(struct session *s, int code, const char *reason, double deadline)
{
	unsigned char payload[WS_CONTROL_MAX];
	long n = 0;

	/* 1005 (no status) is echoed as an empty close */
	if (code != WS_CLOSE_NO_STATUS)
		n = ws_close_build(payload, code, reason, NULL);
	if (n < 0)
		n = 0;
	s->close_sent = 1;
	return send_frame(s, WS_OP_CLOSE, payload, (size_t)n, deadline);
}

/* Cut s[0..*n) back to a whole UTF-8 sequence after a truncation. */
static void utf8_trim(char *s, size_t *n)
{
	size_t k = 0;

	while (k < 4 && k < *n && !utf8_valid((const unsigned char *)s, *n - k))
		k++;
	*n = utf8_valid((const unsigned char *)s, *n - k) ? *n - k : 0;
	s[*n] = '\0';
}

static void first_done(struct ws_client_result *r, struct session *s)
{
	json_t *o, *v;

	r->got_first = 1;
	r->first_ms = now_ms() - s->open_ms;
	s->capturing = 0;
	if (r->first_binary) {
		s->kept = 0;
		r->first[0] = '\0';
		return;
	}
	if (r->first_len > s->kept)
		utf8_trim(r->first, &s->kept);
	r->first[s->kept] = '\0';
	if (r->first_len != s->kept)
		return;
	o = json_loadb(r->first, s->kept, 0, NULL);
	v = json_object_get(o, "connection_id");
	if (json_is_string(v) && json_string_length(v) < sizeof r->connection_id)
		snprintf(r->connection_id, sizeof r->connection_id, "%s", json_string_value(v));
	json_decref(o);
}

static void set_error(struct ws_client_result *r, const char *what, int err)
{
	if (!r->error[0])
		snprintf(r->error, sizeof r->error, "%s: %s", what, strerror(err));
}

static void end_at(struct ws_client_result *r, const struct session *s, enum ws_client_end e,
		   int code)
{
	if (r->end != WS_END_NONE)
		return;
	r->end = e;
	r->close_code = code;
	r->elapsed_ms = now_ms() - s->open_ms;
	r->end_wall_us = wall_us();
}

/*
 * Handle one parser event. Returns 1 when the session is over (the close
 * handshake finished), 0 to go on.
 */
static int on_event(struct session *s, const struct ws_event *ev, const struct ws_client_opts *o,
		    struct ws_client_result *r, double *deadline)
{
	struct diag d;
	size_t i;

	switch (ev->type) {
	case WS_EV_DATA:
		if (ev->msg_first && !r->got_first && !s->capturing && r->received == 0) {
			s->capturing = 1;
			r->first_binary = ev->opcode == WS_OP_BINARY;
		}
		if (s->capturing) {
			size_t room = WS_CLIENT_MSG_KEEP - s->kept;
			size_t k = ev->len < room ? ev->len : room;

			if (!r->first_binary)
				memcpy(r->first + s->kept, ev->data, k);
			s->kept += k;
			r->first_len += ev->len;
		}
		if (!ev->msg_done)
			return 0;
		r->received++;
		if (s->capturing) {
			first_done(r, s);
			/* the --send messages go after the welcome, as a client would */
			for (i = 0; i < o->nsends && !s->close_sent; i++) {
				if (send_frame(s, WS_OP_TEXT, o->sends[i], strlen(o->sends[i]),
					       *deadline) < 0) {
					set_error(r, "sending a message", errno);
					break;
				}
				r->sent++;
			}
		}
		return 0;
	case WS_EV_CONTROL:
		if (ev->opcode == WS_OP_PING) {
			if (!s->close_sent && send_frame(s, WS_OP_PONG, ev->data, ev->len, *deadline) < 0)
				set_error(r, "sending a pong", errno);
			return 0;
		}
		if (ev->opcode != WS_OP_CLOSE)
			return 0;
		s->close_received = 1;
		if (s->close_sent) {
			/* the reply to our close: the handshake is complete */
			r->clean = 1;
			return 1;
		}
		{
			int code, fail;
			const char *reason;
			size_t rlen;

			if (ws_close_parse(ev->data, ev->len, &code, &reason, &rlen, &fail, &d) < 0) {
				snprintf(r->error, sizeof r->error, "bad close frame from the server: %s",
					 d.msg);
				end_at(r, s, WS_END_SENT, fail);
				send_close(s, fail, "", *deadline);
				*deadline = now_ms() + WS_CLIENT_CLOSE_WAIT_MS;
				return 0;
			}
			end_at(r, s, WS_END_RECEIVED, code);
			if (rlen >= sizeof r->close_reason)
				rlen = sizeof r->close_reason - 1;
			memcpy(r->close_reason, reason, rlen);
			r->close_reason[rlen] = '\0';
			/* echo the code, as RFC 6455 5.5.1 asks; then the server drops TCP */
			if (send_close(s, code, "", *deadline) < 0)
				set_error(r, "sending the close reply", errno);
			else
				r->clean = 1;
			*deadline = now_ms() + WS_CLIENT_CLOSE_WAIT_MS;
			return 0;
		}
	case WS_EV_ERROR:
		snprintf(r->error, sizeof r->error, "server broke the protocol");
		end_at(r, s, WS_END_SENT, ev->close_code);
		if (!s->close_sent)
			send_close(s, ev->close_code, "", *deadline);
		*deadline = now_ms() + WS_CLIENT_CLOSE_WAIT_MS;
		return 0;
	case WS_EV_NONE:
		break;
	}
	return 0;
}

static void session(struct session *s, unsigned char *in, size_t n, const struct ws_client_opts *o,
		    struct ws_client_result *r)
{
	unsigned char rbuf[READ_CHUNK];
	struct ws_parser p;
	struct ws_event ev;
	struct diag d;
	double deadline = s->open_ms + o->timeout_ms;

	ws_parser_init(&p, WS_ROLE_CLIENT, WS_CLIENT_MAX_MESSAGE);
	for (;;) {
		size_t off = 0;
		ssize_t k;

		/* nothing after the server's close frame is a frame (RFC 6455 5.5.1) */
		while (off < n && !p.failed && !s->close_received) {
			off += ws_parser_feed(&p, in + off, n - off, &ev, &d);
			if (ev.type == WS_EV_ERROR) {
				on_event(s, &ev, o, r, &deadline);
				snprintf(r->error, sizeof r->error, "server broke the protocol: %s",
					 d.msg);
				/* failing the connection (RFC 6455 7.1.7): our close is
				 * sent, its reply could not be read anyway */
				return;
			}
			if (ev.type == WS_EV_NONE)
				break;
			if (on_event(s, &ev, o, r, &deadline))
				return;
		}
		in = rbuf;
		k = read_some(&s->c, rbuf, sizeof rbuf, deadline);
		if (k > 0) {
			n = (size_t)k;
			if (s->close_received && s->close_sent)
				n = 0;   /* after the handshake only EOF matters */
			continue;
		}
		if (k < 0 && errno == ETIMEDOUT && !s->close_sent) {
			/* nothing ended the session within --timeout: we close it */
			r->timed_out = 1;
			end_at(r, s, WS_END_SENT, WS_CLOSE_NORMAL);
			if (send_close(s, WS_CLOSE_NORMAL, "", deadline + WS_CLIENT_CLOSE_WAIT_MS) < 0) {
				set_error(r, "sending close", errno);
				return;
			}
			deadline = now_ms() + WS_CLIENT_CLOSE_WAIT_MS;
			n = 0;
			continue;
		}
		if (k < 0 && errno != ETIMEDOUT)
			set_error(r, "reading", errno);
		/* EOF, a reset, or no reply in time: with no close frame it is a 1006 */
		if (!s->close_received && r->end == WS_END_NONE) {
			end_at(r, s, WS_END_RECEIVED, WS_CLOSE_ABNORMAL);
			r->clean = 0;
		} else if (!s->close_received) {
			r->clean = 0;
		}
		return;
	}
}

int ws_client_run(const struct ws_url *u, const struct ws_client_opts *o,
		  struct ws_client_result *r, struct diag *d)
{
	char resp[WS_HS_MAX];
	unsigned char nonce[16];
	char key[WS_KEY_LEN + 1];
	struct buf req = BUF_INIT(WS_HS_MAX * 2);
	struct session s;
	double t0 = now_ms(), deadline = t0 + o->timeout_ms;
	size_t have = 0, head = 0;
	int rc = 0, status = 0;
	struct diag hd;
	size_t i;

	memset(r, 0, sizeof *r);
	memset(&s, 0, sizeof s);
	rng_stir(&s);
	rc = conn_open(u, &o->tls, deadline, &s.c, d, r->error, sizeof r->error);
	if (rc == -1)
		return -1;
	r->connect_ms = now_ms() - t0;
	if (rc == -2) {
		/* reported the way RFC 6455 7.4.1 names it: 1015, never sent */
		r->tls_failed = 1;
		r->close_code = 1015;
		snprintf(r->close_reason, sizeof r->close_reason, "%.*s",
			 (int)sizeof r->close_reason - 1, r->error);
		r->end_wall_us = wall_us();
		buf_free(&req);
		return 0;
	}
	if (s.c.tls)
		snprintf(r->tls_version, sizeof r->tls_version, "%s", ws_tls_version(s.c.tls));
	rc = 0;
	for (i = 0; i < 16; i += 8) {
		uint64_t v = rng_next(&s);

		memcpy(nonce + i, &v, 8);
	}
	ws_hs_client_key(nonce, key);
	if (ws_hs_client_request_build(&req, u->authority, u->path, key, o->headers, d) < 0) {
		conn_close(&s.c);
		buf_free(&req);
		return -1;
	}
	t0 = now_ms();
	if (write_all(&s.c, req.p, req.len, deadline) < 0) {
		set_error(r, "sending the handshake", errno);
		r->end_wall_us = wall_us();
		goto out;
	}
	for (;;) {
		ssize_t k = read_some(&s.c, resp + have, sizeof resp - have, deadline);

		if (k <= 0) {
			if (k == 0)
				snprintf(r->error, sizeof r->error,
					 "the server closed the connection during the handshake");
			else
				set_error(r, "handshake", errno);
			r->end_wall_us = wall_us();
			goto out;
		}
		have += (size_t)k;
		rc = ws_hs_client_response_parse(resp, have, sizeof resp, key, &status, &head, &hd);
		if (rc)
			break;
		if (have == sizeof resp)
			break;
	}
	r->handshake_ms = now_ms() - t0;
	r->http_status = status;
	if (rc <= 0) {
		snprintf(r->error, sizeof r->error, "%s", rc < 0 ? hd.msg : "response header block too large");
		r->end_wall_us = wall_us();
		goto out;
	}
	r->open = 1;
	s.open_ms = now_ms();
	r->open_wall_us = wall_us();
	/* frames that came in the same read as the 101 */
	session(&s, (unsigned char *)resp + head, have - head, o, r);
	if (!r->end_wall_us)
		r->end_wall_us = wall_us();
out:
	conn_close(&s.c);
	buf_free(&req);
	return 0;
}
