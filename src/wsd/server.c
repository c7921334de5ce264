#include "wsd/wsd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/diag.h"

#define WSD_READ_CHUNK 65536
#define WSD_PAUSE_AT ((size_t)1 << 20)        /* stop reading past this much unsent */
#define WSD_RESUME_AT ((size_t)256 << 10)
#define WSD_CLOSE_TIMEOUT_MS 1000             /* peer's close reply, or EOF when draining */
#define WSD_SHUTDOWN_GRACE_MS 2000
#define WSD_MSG_KEEP ((size_t)64 << 10)       /* keep message memory up to this between messages */
/* One turn of a connection in the loop: one read, at most this many frames
 * handled; what is left waits for its next turn, after everyone else's. */
#define WSD_TURN_EVENTS 64

/* Tags for epoll data; connections are looked up by fd. */
#define TAG_LISTEN (-1)
#define TAG_SIGNAL (-2)
/* The fd table never fills to the last descriptor: logs, epoll, signalfd. */
#define WSD_FD_RESERVE 32

struct wsd_server {
	int ep, lfd, sfd;
	struct wsd_conn **conns;      /* by fd */
	size_t cap;                   /* size of conns: the fd limit */
	size_t count;
	int max_fd;
	uint64_t next_id;
	int64_t next_timer;           /* earliest deadline of any connection, 0 = none */
	int shutting_down;
	int64_t shutdown_at;
	int accept_paused;
	uint64_t pass;                /* loop passes, for one turn per connection per pass */
	size_t max_conns;             /* --max-connections, clamped to the fd table */
	/* L_HANDSHAKE: unfinished handshakes, oldest first (evicted at the
	 * cap); L_BACKLOG: connections with input left from their last turn. */
	struct { struct wsd_conn *head, *tail; } lists[2];
	unsigned char rbuf[WSD_READ_CHUNK];
};

static struct wsd_server srv;

int64_t wsd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t wsd_conn_count(void)
{
	return srv.count;
}

/* Make the loop wake by at; waking early is harmless (the scan finds nothing). */
static void arm(int64_t at)
{
	if (at && (!srv.next_timer || at < srv.next_timer))
		srv.next_timer = at;
}

void wsd_set_timer(struct wsd_conn *c, int64_t *slot, int64_t at)
{
	(void)c;
	*slot = at;
	arm(at);
}

static size_t pending(const struct wsd_conn *c)
{
	return c->out.len - c->out_off;
}

/*
 * epoll data: the fd in the low 32 bits and the connection's id in the
 * high ones. An eviction destroys a connection in the middle of an event
 * batch; an event queued for it must not be applied to a newcomer that
 * got the same fd number.
 */
static uint64_t ev_key(int fd, uint64_t id)
{
	return ((uint64_t)(uint32_t)id << 32) | (uint32_t)fd;
}

enum { L_HANDSHAKE, L_BACKLOG };

static void list_add(int l, struct wsd_conn *c)
{
	struct wsd_link *k = &c->links[l];

	if (k->on)
		return;
	k->prev = srv.lists[l].tail;
	k->next = NULL;
	if (srv.lists[l].tail)
		srv.lists[l].tail->links[l].next = c;
	else
		srv.lists[l].head = c;
	srv.lists[l].tail = c;
	k->on = 1;
}

static void list_del(int l, struct wsd_conn *c)
{
	struct wsd_link *k = &c->links[l];

	if (!k->on)
		return;
	if (k->prev)
		k->prev->links[l].next = k->next;
	else
		srv.lists[l].head = k->next;
	if (k->next)
		k->next->links[l].prev = k->prev;
	else
		srv.lists[l].tail = k->prev;
	k->prev = k->next = NULL;
	k->on = 0;
}

static void hs_unlink(struct wsd_conn *c)
{
	list_del(L_HANDSHAKE, c);
}

static size_t stashed(const struct wsd_conn *c)
{
	return c->in.len - c->in_off;
}

/* On the backlog while input is left and we may read: paused connections
 * wait for their output to drain first. */
static void conn_sched(struct wsd_conn *c)
{
	if (stashed(c) && !c->paused && !c->dead)
		list_add(L_BACKLOG, c);
	else
		list_del(L_BACKLOG, c);
}

/*
 * Mark c for destruction at the end of this event. how says why (the first
 * reason given wins: a 408 reply is a timeout even though it ends with a
 * flushed reply), during whether a read or a write failed.
 */
static void conn_end(struct wsd_conn *c, const char *how, const char *during)
{
	if (!c->end_how) {
		c->end_how = how;
		c->end_during = during;
	}
	c->dead = 1;
}

/* The reason a failed recv/send gives: the peer's RST, or its FIN (EPIPE:
 * it shut down and our write met the reset that followed). */
static const char *sock_error_how(int err)
{
	if (err == ECONNRESET)
		return "reset";
	if (err == EPIPE)
		return "eof";
	if (err == ETIMEDOUT)
		return "timeout";
	return "error";
}

/* What an EPOLLERR/EPOLLHUP without input means: the pending socket error. */
static const char *sock_error(struct wsd_conn *c)
{
	int err = 0;
	socklen_t len = sizeof err;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err)
		return sock_error_how(err);
	return "eof";
}

static const char *stage_name(const struct wsd_conn *c)
{
	switch (c->state) {
	case WSD_ST_HANDSHAKE: return "handshake";
	case WSD_ST_OPEN: return "open";
	case WSD_ST_CLOSING: return "ending";
	case WSD_ST_DRAIN: return "failing";
	case WSD_ST_FLUSH_CLOSE: return c->http_status == 101 ? "ending" : "http";
	}
	return "?";
}

static void fmt_code(char *out, size_t n, int code)
{
	if (code)
		snprintf(out, n, "%d", code);
	else
		snprintf(out, n, "-");
}

/*
 * The one end record of a connection, whatever ended it (worded with no
 * close word, so log readers do not take it for a second close), from the facts in
 * c; it is logged as c's line unless server_wide (a refused connection has
 * no id). code is the close code a client reports: the peer's close frame,
 * else ours, else 1006 (no close frame either way); "-" when it never
 * became a WebSocket.
 */
static void log_end(const struct wsd_conn *c, int server_wide, const char *how,
		    const char *during, const char *stage, int64_t ms)
{
	char code[16], sent[16], rcvd[16];
	int ws = c->http_status == 101;
	enum wsd_sev sev = WSD_INFO;

	if (!ws)
		snprintf(code, sizeof code, "-");
	else
		fmt_code(code, sizeof code, c->code_received ? c->code_received
				 : c->code_sent ? c->code_sent : 1006);
	fmt_code(sent, sizeof sent, c->code_sent);
	fmt_code(rcvd, sizeof rcvd, c->code_received);
	if (!strcmp(how, "reset") || !strcmp(how, "timeout") || !strcmp(how, "limit") ||
	    !strcmp(how, "abort") || !strcmp(how, "error"))
		sev = WSD_WARNING;
	wsd_log(server_wide ? NULL : c, sev, "connection end: how=%s%s%s stage=%s code=%s "
		"sent=%s received=%s duration_ms=%lld bytes_in=%llu bytes_out=%llu "
		"http_status=%d peer=%s", how, during ? " during=" : "", during ? during : "",
		stage, code, sent, rcvd, (long long)ms, (unsigned long long)c->bytes_in,
		(unsigned long long)c->bytes_out, c->http_status, c->peer);
}

static void conn_destroy(struct wsd_conn *c)
{
	log_end(c, 0, c->end_how ? c->end_how : "shutdown", c->end_during, stage_name(c),
		wsd_now_ms() - c->accepted_ms);
	hs_unlink(c);
	list_del(L_BACKLOG, c);
	srv.conns[c->fd] = NULL;
	srv.count--;
	close(c->fd);
	free(c->hs);
	buf_free(&c->out);
	buf_free(&c->msg);
	buf_free(&c->in);
	free(c);
}

static void conn_events(struct wsd_conn *c)
{
	struct epoll_event ev;
	unsigned want = 0;

	if (c->dead)
		return;
	if (!c->paused)
		want |= EPOLLIN;
	if (pending(c))
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	memset(&ev, 0, sizeof ev);
	ev.events = want;
	ev.data.u64 = ev_key(c->fd, c->id);
	if (epoll_ctl(srv.ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
		wsd_log(c, WSD_ERROR, "epoll_ctl: %s", strerror(errno));
		conn_end(c, "error", NULL);
		return;
	}
	c->events = want;
}

/* What to do once everything queued has reached the kernel. */
static void conn_flushed(struct wsd_conn *c)
{
	if (c->state == WSD_ST_FLUSH_CLOSE) {
		conn_end(c, c->http_status == 101 ? "clean" : "http", NULL);
	} else if (c->state == WSD_ST_DRAIN && !c->shut_wr) {
		/* FIN after our close frame; keep reading so unread input
		 * cannot turn our close() into a RST that eats the frame. */
		shutdown(c->fd, SHUT_WR);
		c->shut_wr = 1;
	}
}

static void conn_flush(struct wsd_conn *c)
{
	size_t before = pending(c);

	while (!c->dead && pending(c)) {
		ssize_t n = send(c->fd, c->out.p + c->out_off, pending(c), MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			/* The peer is gone: nothing left to say to it. */
			conn_end(c, sock_error_how(errno), "write");
			return;
		}
		c->out_off += (size_t)n;
		c->bytes_out += (uint64_t)n;
	}
	if (!pending(c)) {
		buf_reset(&c->out);
		c->out_off = 0;
		if (c->out.cap > WSD_MSG_KEEP)
			buf_free(&c->out);
		c->t_write = 0;
		conn_flushed(c);
	} else if (!c->dead && (!c->t_write || pending(c) < before)) {
		/* The clock runs from the last byte the peer took, so a slow
		 * reader is fine and one that reads nothing is dropped. */
		wsd_set_timer(c, &c->t_write, wsd_now_ms() + wsd_cfg.write_timeout_ms);
	}
	if (c->paused && pending(c) < WSD_RESUME_AT)
		c->paused = 0;
	else if (!c->paused && pending(c) > WSD_PAUSE_AT)
		c->paused = 1;
	conn_sched(c);
	conn_events(c);
}

static void conn_queue(struct wsd_conn *c, const void *p, size_t n)
{
	if (c->dead)
		return;
	if (buf_add(&c->out, p, n) < 0) {
		wsd_log(c, WSD_ERROR, "output buffer limit reached; dropping connection");
		conn_end(c, "limit", NULL);
	}
}

void wsd_send_frame(struct wsd_conn *c, unsigned opcode, const void *p, size_t n)
{
	unsigned char hdr[WS_FRAME_HEADER_MAX];
	size_t h = ws_frame_header_build(hdr, 1, opcode, n, NULL);

	if (c->state != WSD_ST_OPEN && opcode != WS_OP_CLOSE)
		return;
	conn_queue(c, hdr, h);
	conn_queue(c, p, n);
	conn_flush(c);
}

void wsd_send_text(struct wsd_conn *c, const char *s, size_t n)
{
	wsd_send_frame(c, WS_OP_TEXT, s, n);
}

static void log_close(struct wsd_conn *c, enum wsd_sev sev, const char *dir, int code,
		      const char *reason, size_t rlen)
{
	wsd_log(c, sev, "WebSocket close %s: code=%d (%s) reason=\"%.*s\" after %lldms", dir,
		code, ws_close_code_name(code), (int)rlen, reason,
		(long long)(wsd_now_ms() - c->opened_ms));
}

/* Send a close frame; next is the state to wait in. */
static void conn_send_close(struct wsd_conn *c, int code, const char *reason,
			    enum wsd_state next)
{
	unsigned char pl[WS_CONTROL_MAX];
	struct diag d;
	long n;

	if (c->close_sent || c->dead)
		return;
	n = ws_close_build(pl, code, reason, &d);
	if (n < 0) {
		/* Our own bug (a code we may not send): never put 1005/1006/1015
		 * on the wire, use 1011 instead. */
		wsd_log(c, WSD_ERROR, "refusing to send close: %s", d.msg);
		n = ws_close_build(pl, WS_CLOSE_INTERNAL, "Internal error", &d);
	}
	c->close_sent = 1;
	c->code_sent = n >= 2 ? ((pl[0] << 8) | pl[1]) : WS_CLOSE_NO_STATUS;
	c->state = next;
	wsd_send_frame(c, WS_OP_CLOSE, pl, (size_t)n);
	wsd_set_timer(c, &c->t_close, wsd_now_ms() + WSD_CLOSE_TIMEOUT_MS);
	c->t_fault = 0;
}

void wsd_close(struct wsd_conn *c, int code, const char *reason)
{
	if (c->state != WSD_ST_OPEN || c->dead)
		return;
	log_close(c, code == WS_CLOSE_INTERNAL ? WSD_ERROR : WSD_INFO, "sent", code, reason,
		  strlen(reason));
	conn_send_close(c, code, reason, WSD_ST_CLOSING);
}

void wsd_abort(struct wsd_conn *c)
{
	wsd_log(c, WSD_WARNING, "TCP connection closed without a close frame "
		"(peer sees 1006) after %lldms", (long long)(wsd_now_ms() - c->opened_ms));
	conn_end(c, "abort", NULL);
}

/* The peer broke the protocol: close frame with code, then FIN, then drop. */
static void conn_fail(struct wsd_conn *c, int code, const char *why)
{
	if (c->state == WSD_ST_OPEN) {
		wsd_log(c, WSD_WARNING, "WebSocket protocol error: %s; closing with %d (%s)",
			why, code, ws_close_code_name(code));
		conn_send_close(c, code, ws_close_code_name(code), WSD_ST_DRAIN);
	} else {
		c->state = WSD_ST_DRAIN;
	}
	if (!c->dead && !pending(c))
		conn_flushed(c);
	wsd_set_timer(c, &c->t_close, wsd_now_ms() + WSD_CLOSE_TIMEOUT_MS);
}

static void http_reply(struct wsd_conn *c, int status, const char *body, enum wsd_sev sev)
{
	hs_unlink(c);
	wsd_log(c, sev, "%s - \"%s\" %d %s", c->peer, c->path[0] ? c->path : "-", status,
		status == 101 ? "" : body);
	ws_hs_error_build(&c->out, status, body);
	c->http_status = status;
	c->state = WSD_ST_FLUSH_CLOSE;
	wsd_set_timer(c, &c->t_close, wsd_now_ms() + WSD_CLOSE_TIMEOUT_MS);
	conn_flush(c);
}

static void peer_close(struct wsd_conn *c, const unsigned char *p, size_t n)
{
	int code, fail_code;
	const char *reason;
	size_t rlen;
	struct diag d;

	if (ws_close_parse(p, n, &code, &reason, &rlen, &fail_code, &d) < 0) {
		conn_fail(c, fail_code, d.msg);
		return;
	}
	if (c->state == WSD_ST_CLOSING) {
		/* Handshake complete: the server closes TCP first (RFC 6455 §7.1.1). */
		log_close(c, WSD_INFO, "received (handshake complete)", code, reason, rlen);
		c->code_received = code;
		conn_end(c, "clean", NULL);
		return;
	}
	log_close(c, WSD_INFO, "received", code, reason, rlen);
	c->code_received = code;
	{
		unsigned char pl[WS_CONTROL_MAX];
		size_t k = 0;

		/* Echo the status; an empty close (1005) is answered empty. */
		if (code != WS_CLOSE_NO_STATUS) {
			pl[0] = p[0];
			pl[1] = p[1];
			memcpy(pl + 2, reason, rlen);
			k = 2 + rlen;
		}
		c->close_sent = 1;
		c->code_sent = code;
		c->state = WSD_ST_FLUSH_CLOSE;
		/* A peer that never reads our reply must not pin the connection. */
		wsd_set_timer(c, &c->t_close, wsd_now_ms() + WSD_CLOSE_TIMEOUT_MS);
		wsd_send_frame(c, WS_OP_CLOSE, pl, k);
	}
}

/*
 * Frames from p[0..n) until the input or the turn's budget runs out, or
 * the output is over its cap. Returns the bytes used; input past a failure
 * or a close is used up (discarded).
 */
static size_t ws_input(struct wsd_conn *c, unsigned char *p, size_t n, int *budget)
{
	size_t off = 0;

	while (off < n && !c->dead &&
	       (c->state == WSD_ST_OPEN || c->state == WSD_ST_CLOSING)) {
		struct ws_event ev;
		struct diag d;

		if (*budget <= 0 || c->paused)
			return off;
		off += ws_parser_feed(&c->parser, p + off, n - off, &ev, &d);
		switch (ev.type) {
		case WS_EV_NONE:
			return n;
		case WS_EV_ERROR:
			conn_fail(c, ev.close_code, d.msg);
			return n;
		case WS_EV_DATA:
			if (c->state != WSD_ST_OPEN)
				break;
			if (ev.msg_first)
				buf_reset(&c->msg);
			if (buf_add(&c->msg, ev.data, ev.len) < 0) {
				conn_fail(c, WS_CLOSE_TOO_BIG, "message over the size limit");
				return n;
			}
			if (ev.msg_done) {
				(*budget)--;
				wsd_app_message(c, ev.opcode, c->msg.p, c->msg.len);
				buf_reset(&c->msg);
				if (c->msg.cap > WSD_MSG_KEEP)
					buf_free(&c->msg);
			}
			break;
		case WS_EV_CONTROL:
			(*budget)--;
			if (ev.opcode == WS_OP_PING)
				wsd_send_frame(c, WS_OP_PONG, ev.data, ev.len);
			else if (ev.opcode == WS_OP_CLOSE)
				peer_close(c, ev.data, ev.len);
			break;
		}
	}
	return n;
}

/* The supported list as "a, b" for logs. */
static void supported_list(char *out, size_t cap)
{
	size_t i, k = 0;

	out[0] = '\0';
	for (i = 0; i < wsd_cfg.n_subprotocols && k < cap; i++)
		k += (size_t)snprintf(out + k, cap - k, "%s%s", i ? ", " : "",
				      wsd_cfg.subprotocols[i]);
}

/*
 * RFC 6455 §4.2.2: answer the first offered subprotocol we support; none
 * answered when none matches, unless one is required: then 400, with both
 * lists in the log. -1 when the request was refused.
 */
static int pick_subprotocol(struct wsd_conn *c, const struct ws_hs_request *req)
{
	char sup[WSD_SUBPROTOCOLS_MAX * (WSD_SUBPROTOCOL_LEN + 2)], why[1400];
	int i;

	if (!wsd_cfg.n_subprotocols)
		return 0;
	i = ws_hs_subprotocol_pick(req->protocols, wsd_cfg.subprotocols, wsd_cfg.n_subprotocols);
	if (i >= 0) {
		snprintf(c->subprotocol, sizeof c->subprotocol, "%s", wsd_cfg.subprotocols[i]);
		wsd_log(c, WSD_INFO, "WebSocket subprotocol %s chosen (offered: %s%s)",
			c->subprotocol, req->protocols, req->protocols_cut ? ", ..." : "");
		return 0;
	}
	if (!wsd_cfg.require_subprotocol)
		return 0;
	supported_list(sup, sizeof sup);
	snprintf(why, sizeof why, "no supported WebSocket subprotocol: offered [%s%s], "
		 "supported [%s]", req->protocols, req->protocols_cut ? ", ..." : "", sup);
	http_reply(c, 400, why, WSD_WARNING);
	return -1;
}

/* Request bytes; once upgraded, the bytes after the request (the client's
 * first frames, in c->hs and past it in p) are left in c->in. */
static void hs_input(struct wsd_conn *c, unsigned char *p, size_t n)
{
	struct ws_hs_request req;
	struct diag d;
	int status = 0, r;
	size_t take = WS_HS_MAX - c->hs_len;

	if (take > n)
		take = n;
	memcpy(c->hs + c->hs_len, p, take);
	c->hs_len += take;
	r = ws_hs_request_parse(c->hs, c->hs_len, WS_HS_MAX, &req, &status, &d);
	if (r == 0)
		return;
	if (r < 0) {
		snprintf(c->path, sizeof c->path, "-");
		http_reply(c, status, d.msg, WSD_WARNING);
		return;
	}
	snprintf(c->path, sizeof c->path, "%s %.100s HTTP/1.%d", req.method, req.path,
		 req.http_minor);
	c->t_handshake = 0;
	if (!req.upgrade_websocket && strcmp(req.method, "GET") == 0 &&
	    (strcmp(req.path, "/health") == 0 || strncmp(req.path, "/health?", 8) == 0)) {
		struct buf body = BUF_INIT(4096);

		hs_unlink(c);
		wsd_app_health(&body);
		wsd_log(c, WSD_INFO, "%s - \"%s\" 200", c->peer, c->path);
		buf_addf(&c->out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			 body.len, body.p ? body.p : "");
		buf_free(&body);
		c->http_status = 200;
		c->state = WSD_ST_FLUSH_CLOSE;
		wsd_set_timer(c, &c->t_close, wsd_now_ms() + WSD_CLOSE_TIMEOUT_MS);
		conn_flush(c);
		return;
	}
	if (ws_hs_request_check(&req, &status, &d) < 0) {
		http_reply(c, status, d.msg, WSD_WARNING);
		return;
	}
	if (pick_subprotocol(c, &req) < 0)
		return;
	hs_unlink(c);
	ws_hs_response_build_proto(&c->out, req.key, c->subprotocol[0] ? c->subprotocol : NULL);
	c->http_status = 101;
	c->e2e_header = req.e2e_header;
	c->state = WSD_ST_OPEN;
	c->opened_ms = c->last_rx_ms = wsd_now_ms();
	ws_parser_init(&c->parser, WS_ROLE_SERVER, wsd_cfg.max_message);
	if (wsd_cfg.idle_timeout_ms > 0)
		arm(c->opened_ms + wsd_cfg.idle_timeout_ms);
	conn_flush(c);
	/* Room is reserved at accept: these appends cannot fail. */
	buf_add(&c->in, c->hs + req.head_len, c->hs_len - req.head_len);
	buf_add(&c->in, p + take, n - take);
	free(c->hs);
	c->hs = NULL;
	wsd_log(c, WSD_INFO, "%s - \"WebSocket %.100s\" [accepted]", c->peer, req.path);
	wsd_app_open(c);
}

/* Parse what is stashed in c->in, within the turn's budget. */
static void conn_parse_stash(struct wsd_conn *c, int *budget)
{
	if (stashed(c) && (c->state == WSD_ST_OPEN || c->state == WSD_ST_CLOSING))
		c->in_off += ws_input(c, (unsigned char *)c->in.p + c->in_off, stashed(c), budget);
	else
		c->in_off = c->in.len;     /* draining or done: input is discarded */
	if (!stashed(c)) {
		buf_free(&c->in);
		c->in_off = 0;
	}
}

/*
 * One turn: parse the input left from the last turn, or else read once;
 * at most WSD_TURN_EVENTS frames are handled and the rest is kept for the
 * next turn, so a client that floods cannot hold the loop from the others.
 */
static void conn_readable(struct wsd_conn *c)
{
	int budget = WSD_TURN_EVENTS;
	ssize_t n;

	if (c->dead || c->paused)
		return;
	c->turn = srv.pass;
	if (stashed(c)) {
		conn_parse_stash(c, &budget);
		conn_sched(c);
		return;
	}
	do
		n = recv(c->fd, srv.rbuf, sizeof srv.rbuf, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			conn_end(c, sock_error_how(errno), "read");
		return;
	}
	if (n == 0) {
		if (c->state == WSD_ST_OPEN)
			wsd_log(c, WSD_INFO, "WebSocket client went away without a close "
				"frame (1006) after %lldms",
				(long long)(wsd_now_ms() - c->opened_ms));
		conn_end(c, "eof", "read");
		return;
	}
	c->bytes_in += (uint64_t)n;
	c->last_rx_ms = wsd_now_ms();
	switch (c->state) {
	case WSD_ST_HANDSHAKE:
		hs_input(c, srv.rbuf, (size_t)n);
		break;
	case WSD_ST_OPEN:
	case WSD_ST_CLOSING: {
		size_t used = ws_input(c, srv.rbuf, (size_t)n, &budget);

		/* The stash is empty here and holds a whole read. */
		buf_add(&c->in, srv.rbuf + used, (size_t)n - used);
		break;
	}
	default:
		break;   /* draining or done: input is discarded */
	}
	if (stashed(c) && !c->dead)
		conn_parse_stash(c, &budget);
	conn_sched(c);
}

static void conn_readable(struct wsd_conn *c);

static void conn_timers(struct wsd_conn *c, int64_t now)
{
	if (c->t_write && now >= c->t_write) {
		/* The loop may not have flushed yet: progress moves the deadline. */
		conn_flush(c);
		if (c->dead)
			return;
		if (c->t_write && now >= c->t_write) {
			wsd_log(c, WSD_WARNING, "client is not reading: %zu bytes unsent and none "
				"taken for %ldms; dropping the connection", pending(c),
				wsd_cfg.write_timeout_ms);
			conn_end(c, "timeout", "write");
			return;
		}
	}
	/* A busy loop may not have read bytes that arrived in time: read them
	 * before blaming the peer for a timeout. */
	if ((c->t_handshake && now >= c->t_handshake && c->state == WSD_ST_HANDSHAKE) ||
	    (wsd_cfg.idle_timeout_ms > 0 && c->state == WSD_ST_OPEN &&
	     now - c->last_rx_ms >= wsd_cfg.idle_timeout_ms)) {
		conn_readable(c);
		if (c->dead)
			return;
		if (pending(c) || c->paused)
			conn_events(c);
	}
	if (c->t_handshake && now >= c->t_handshake && c->state == WSD_ST_HANDSHAKE) {
		c->t_handshake = 0;
		snprintf(c->path, sizeof c->path, "-");
		c->end_how = "timeout";
		http_reply(c, 408, "handshake timed out", WSD_WARNING);
		return;
	}
	if (c->t_close && now >= c->t_close &&
	    (c->state == WSD_ST_CLOSING || c->state == WSD_ST_DRAIN ||
	     c->state == WSD_ST_FLUSH_CLOSE)) {
		wsd_log(c, WSD_WARNING, "close handshake timed out after %dms; closing TCP",
			WSD_CLOSE_TIMEOUT_MS);
		conn_end(c, "timeout", NULL);
		return;
	}
	if (c->t_fault && now >= c->t_fault && c->state == WSD_ST_OPEN) {
		c->t_fault = 0;
		wsd_app_fault_step(c);
		return;
	}
	if (wsd_cfg.idle_timeout_ms > 0 && c->state == WSD_ST_OPEN &&
	    now - c->last_rx_ms >= wsd_cfg.idle_timeout_ms) {
		wsd_log(c, WSD_INFO, "WebSocket idle for %ldms", wsd_cfg.idle_timeout_ms);
		wsd_close(c, WS_CLOSE_GOING_AWAY, "Idle timeout");
	}
}

static int64_t conn_deadline(const struct wsd_conn *c)
{
	int64_t t = 0, cand[5];
	int i;

	cand[0] = c->state == WSD_ST_HANDSHAKE ? c->t_handshake : 0;
	cand[1] = c->t_close;
	cand[2] = c->state == WSD_ST_OPEN ? c->t_fault : 0;
	cand[3] = (wsd_cfg.idle_timeout_ms > 0 && c->state == WSD_ST_OPEN)
			  ? c->last_rx_ms + wsd_cfg.idle_timeout_ms : 0;
	cand[4] = c->t_write;
	for (i = 0; i < 5; i++)
		if (cand[i] && (!t || cand[i] < t))
			t = cand[i];
	return t;
}

static void run_timers(void)
{
	int64_t now = wsd_now_ms();
	int fd;

	if (!srv.next_timer || now < srv.next_timer)
		return;
	srv.next_timer = 0;
	for (fd = 0; fd <= srv.max_fd; fd++) {
		struct wsd_conn *c = srv.conns[fd];
		int64_t t;

		if (!c)
			continue;
		conn_timers(c, now);
		if (c->dead) {
			conn_destroy(c);
			continue;
		}
		t = conn_deadline(c);
		if (t && (!srv.next_timer || t < srv.next_timer))
			srv.next_timer = t;
	}
}

/*
 * At the connection limit: the oldest unfinished handshake gets a 503 and
 * makes room, so clients that never finish their request cannot lock out
 * the ones that do. 0 when every connection is past its handshake.
 */
static int make_room(void)
{
	struct wsd_conn *old = srv.lists[L_HANDSHAKE].head;

	if (!old)
		return 0;
	snprintf(old->path, sizeof old->path, "-");
	old->end_how = "limit";
	http_reply(old, 503, "connection limit reached; unfinished request dropped for a "
		   "newer client", WSD_WARNING);
	conn_end(old, "limit", NULL);
	conn_destroy(old);
	return 1;
}

/* Every connection is a WebSocket already: the newcomer gets a 503. The
 * request is not read; its FIN goes first so the reply is not lost to a
 * reset in the common case. */
static void refuse(int fd, const char *peer)
{
	struct buf b = BUF_INIT(1024);
	uint64_t out = 0;
	ssize_t r;

	/* worded as websockets' server words a refused upgrade, so readers
	 * take it for the 503 it is */
	wsd_log(NULL, WSD_WARNING, "%s - connection rejected (503 Service Unavailable): "
		"connection limit (%zu) reached, all past their handshake", peer, srv.max_conns);
	if (ws_hs_error_build(&b, 503, "connection limit reached") == 0) {
		r = send(fd, b.p, b.len, MSG_NOSIGNAL);
		out = r > 0 ? (uint64_t)r : 0;
	}
	{
		struct wsd_conn facts;

		memset(&facts, 0, sizeof facts);
		facts.http_status = 503;
		facts.bytes_out = out;
		snprintf(facts.peer, sizeof facts.peer, "%s", peer);
		log_end(&facts, 1, "limit", NULL, "http", 0);
	}
	buf_free(&b);
	shutdown(fd, SHUT_WR);
	close(fd);
}

static void accept_clients(void)
{
	for (;;) {
		struct sockaddr_storage sa;
		socklen_t sl = sizeof sa;
		struct epoll_event ev;
		struct wsd_conn *c;
		char host[INET6_ADDRSTRLEN] = "?", peer[64];
		int port = 0, one = 1;
		int fd = accept(srv.lfd, (struct sockaddr *)&sa, &sl);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				wsd_log(NULL, WSD_ERROR, "accept: %s; pausing accepts", strerror(errno));
				srv.accept_paused = 1;
				memset(&ev, 0, sizeof ev);
				ev.data.u64 = ev_key(TAG_LISTEN, 0);
				epoll_ctl(srv.ep, EPOLL_CTL_MOD, srv.lfd, &ev);
			}
			return;
		}
		/* accept4 would need _GNU_SOURCE; two fcntl calls are cheap. */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		if (sa.ss_family == AF_INET) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;

			inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
			port = ntohs(s4->sin_port);
		} else if (sa.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;

			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
			port = ntohs(s6->sin6_port);
		}
		snprintf(peer, sizeof peer, "%s:%d", host, port);
		if (srv.count >= srv.max_conns && !make_room()) {
			refuse(fd, peer);
			continue;
		}
		if ((size_t)fd >= srv.cap || !(c = calloc(1, sizeof *c))) {
			close(fd);
			continue;
		}
		c->hs = malloc(WS_HS_MAX);
		if (!c->hs) {
			free(c);
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->fd = fd;
		c->id = ++srv.next_id;
		snprintf(c->conn_id, sizeof c->conn_id, "conn_%llu", (unsigned long long)c->id);
		{
			char hex[33];

			wsd_random_hex(hex, 32);
			snprintf(c->trace, sizeof c->trace, "projects/netra-staging/traces/%s", hex);
		}
		memcpy(c->peer, peer, sizeof c->peer);
		c->out.max = wsd_cfg.max_message + ((size_t)2 << 20);
		c->msg.max = wsd_cfg.max_message;
		/* a read, plus the request buffer's tail when the handshake ends */
		c->in.max = WSD_READ_CHUNK + WS_HS_MAX;
		c->accepted_ms = c->opened_ms = c->last_rx_ms = wsd_now_ms();
		memset(&ev, 0, sizeof ev);
		ev.events = EPOLLIN;
		ev.data.u64 = ev_key(fd, c->id);
		if (epoll_ctl(srv.ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			free(c->hs);
			free(c);
			close(fd);
			continue;
		}
		c->events = EPOLLIN;
		srv.conns[fd] = c;
		srv.count++;
		if (fd > srv.max_fd)
			srv.max_fd = fd;
		list_add(L_HANDSHAKE, c);
		wsd_set_timer(c, &c->t_handshake, c->opened_ms + wsd_cfg.handshake_timeout_ms);
	}
}

static void begin_shutdown(int sig)
{
	int fd;
	size_t open_n = 0;

	srv.shutting_down = 1;
	srv.shutdown_at = wsd_now_ms() + WSD_SHUTDOWN_GRACE_MS;
	epoll_ctl(srv.ep, EPOLL_CTL_DEL, srv.lfd, NULL);
	close(srv.lfd);
	srv.lfd = -1;
	for (fd = 0; fd <= srv.max_fd; fd++)
		if (srv.conns[fd] && srv.conns[fd]->state == WSD_ST_OPEN)
			open_n++;
	wsd_log(NULL, WSD_INFO, "Received %s: shutting down, closing %zu WebSocket connection(s) "
		"with 1001", sig == SIGINT ? "SIGINT" : "SIGTERM", open_n);
	for (fd = 0; fd <= srv.max_fd; fd++) {
		struct wsd_conn *c = srv.conns[fd];

		if (!c)
			continue;
		if (c->state == WSD_ST_OPEN)
			wsd_close(c, WS_CLOSE_GOING_AWAY, "Server shutting down");
		else if (c->state == WSD_ST_HANDSHAKE)
			conn_end(c, "shutdown", NULL);
		if (c->dead)
			conn_destroy(c);
	}
}

static int setup_listener(void)
{
	struct sockaddr_storage sa;
	socklen_t sl;
	int one = 1;

	memset(&sa, 0, sizeof sa);
	if (strchr(wsd_cfg.listen, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)wsd_cfg.port);
		if (inet_pton(AF_INET6, wsd_cfg.listen, &s6->sin6_addr) != 1)
			goto bad_addr;
		sl = sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)wsd_cfg.port);
		if (inet_pton(AF_INET, wsd_cfg.listen, &s4->sin_addr) != 1)
			goto bad_addr;
		sl = sizeof *s4;
	}
	srv.lfd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv.lfd < 0) {
		fprintf(stderr, "logwhy-wsd: socket: %s\n", strerror(errno));
		return -1;
	}
	setsockopt(srv.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(srv.lfd, (struct sockaddr *)&sa, sl) < 0 || listen(srv.lfd, 4096) < 0) {
		fprintf(stderr, "logwhy-wsd: cannot listen on '%s' port %d: %s\n", wsd_cfg.listen,
			wsd_cfg.port, strerror(errno));
		return -1;
	}
	sl = sizeof sa;
	getsockname(srv.lfd, (struct sockaddr *)&sa, &sl);
	wsd_cfg.port = ntohs(sa.ss_family == AF_INET ? ((struct sockaddr_in *)&sa)->sin_port
						    : ((struct sockaddr_in6 *)&sa)->sin6_port);
	return 0;
bad_addr:
	fprintf(stderr, "logwhy-wsd: '%s' is not a numeric IP address\n", wsd_cfg.listen);
	return -1;
}

static int write_port_file(void)
{
	char tmp[4096];
	FILE *f;

	/* Write then rename, so a test polling the file never reads half. */
	snprintf(tmp, sizeof tmp, "%s.tmp", wsd_cfg.port_file);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", wsd_cfg.port) < 0 || fclose(f) != 0 ||
	    rename(tmp, wsd_cfg.port_file) != 0) {
		fprintf(stderr, "logwhy-wsd: cannot write '%s': %s\n", wsd_cfg.port_file,
			strerror(errno));
		return -1;
	}
	return 0;
}

static size_t raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	/* The table is indexed by fd; cap it so an "unlimited" limit stays sane. */
	return rl.rlim_cur > 1048576 ? 1048576 : (size_t)rl.rlim_cur;
}

int wsd_serve(void)
{
	struct epoll_event ev, evs[256];
	struct wsd_conn *c, *next;
	sigset_t mask;
	int fd, rc = 0;

	srv.cap = raise_fd_limit();
	srv.conns = calloc(srv.cap, sizeof *srv.conns);
	srv.max_fd = -1;
	if (!srv.conns) {
		fprintf(stderr, "logwhy-wsd: out of memory\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	srv.sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	srv.ep = epoll_create1(EPOLL_CLOEXEC);
	if (srv.sfd < 0 || srv.ep < 0) {
		fprintf(stderr, "logwhy-wsd: signalfd/epoll: %s\n", strerror(errno));
		return 1;
	}
	if (setup_listener() < 0)
		return 1;
	srv.max_conns = srv.cap > 2 * WSD_FD_RESERVE ? srv.cap - WSD_FD_RESERVE : srv.cap / 2;
	if ((size_t)wsd_cfg.max_connections < srv.max_conns)
		srv.max_conns = (size_t)wsd_cfg.max_connections;
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	ev.data.u64 = ev_key(TAG_LISTEN, 0);
	epoll_ctl(srv.ep, EPOLL_CTL_ADD, srv.lfd, &ev);
	ev.data.u64 = ev_key(TAG_SIGNAL, 0);
	epoll_ctl(srv.ep, EPOLL_CTL_ADD, srv.sfd, &ev);
	wsd_log(NULL, WSD_INFO, "logwhy-wsd %s listening on http://%s:%d (fault=%s%s, "
		"max_message=%llu, max_connections=%zu, fd_limit=%zu)", LOGWHY_VERSION,
		wsd_cfg.listen, wsd_cfg.port, wsd_fault_names[wsd_cfg.fault],
		wsd_cfg.safe_logging ? ", safe-logging" : "",
		(unsigned long long)wsd_cfg.max_message, srv.max_conns, srv.cap);
	if (wsd_cfg.port_file && write_port_file() < 0)
		return 1;
	for (;;) {
		int64_t now = wsd_now_ms();
		int timeout = -1, n, i;

		if (srv.shutting_down && (srv.count == 0 || now >= srv.shutdown_at))
			break;
		if (srv.next_timer)
			timeout = srv.next_timer <= now ? 0 : (int)(srv.next_timer - now);
		if (srv.shutting_down) {
			int left = (int)(srv.shutdown_at - now);

			if (timeout < 0 || left < timeout)
				timeout = left;
		}
		if (srv.accept_paused && (timeout < 0 || timeout > 100))
			timeout = 100;
		if (srv.lists[L_BACKLOG].head)
			timeout = 0;
		srv.pass++;
		n = epoll_wait(srv.ep, evs, 256, timeout);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "logwhy-wsd: epoll_wait: %s\n", strerror(errno));
			rc = 1;
			break;
		}
		for (i = 0; i < n; i++) {
			struct wsd_conn *c;
			int efd = (int)(uint32_t)evs[i].data.u64;

			if (efd == TAG_LISTEN) {
				if (!srv.shutting_down)
					accept_clients();
				continue;
			}
			if (efd == TAG_SIGNAL) {
				struct signalfd_siginfo si;

				if (read(srv.sfd, &si, sizeof si) == (ssize_t)sizeof si &&
				    !srv.shutting_down)
					begin_shutdown((int)si.ssi_signo);
				continue;
			}
			c = srv.conns[efd];
			if (!c || (uint32_t)c->id != (uint32_t)(evs[i].data.u64 >> 32))
				continue;
			if (evs[i].events & (EPOLLERR | EPOLLHUP) && !(evs[i].events & EPOLLIN))
				conn_end(c, sock_error(c), NULL);
			if (!c->dead && (evs[i].events & EPOLLOUT))
				conn_flush(c);
			if (!c->dead && (evs[i].events & EPOLLIN))
				conn_readable(c);
			if (!c->dead)
				conn_events(c);
			if (c->dead)
				conn_destroy(c);
		}
		/* A turn for each connection with input left from its last one
		 * and no turn yet in this pass. A turn touches only its own
		 * connection, so next stays valid. */
		for (c = srv.lists[L_BACKLOG].head; c; c = next) {
			next = c->links[L_BACKLOG].next;
			if (c->turn == srv.pass)
				continue;
			conn_readable(c);
			if (!c->dead)
				conn_events(c);
			if (c->dead)
				conn_destroy(c);
		}
		if (srv.accept_paused && !srv.shutting_down && srv.count + 16 < srv.cap) {
			srv.accept_paused = 0;
			memset(&ev, 0, sizeof ev);
			ev.events = EPOLLIN;
			ev.data.u64 = ev_key(TAG_LISTEN, 0);
			epoll_ctl(srv.ep, EPOLL_CTL_MOD, srv.lfd, &ev);
		}
		run_timers();
	}
	for (fd = 0; fd <= srv.max_fd; fd++)
		if (srv.conns[fd])
			conn_destroy(srv.conns[fd]);
	if (srv.shutting_down)
		wsd_log(NULL, WSD_INFO, "Application shutdown complete.");
	if (srv.lfd >= 0)
		close(srv.lfd);
	close(srv.sfd);
	close(srv.ep);
	free(srv.conns);
	return rc;
}
