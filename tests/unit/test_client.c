#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ws/client.h"
#include "ws/frame.h"
#include "ws/handshake.h"

Test(ws_url, parses)
{
	struct ws_url u;
	struct diag d;

	cr_assert_eq(ws_url_parse("ws://127.0.0.1:8080/ws", &u, &d), 0);
	cr_expect_str_eq(u.host, "127.0.0.1");
	cr_expect_str_eq(u.port, "8080");
	cr_expect_str_eq(u.path, "/ws");
	cr_expect_str_eq(u.authority, "127.0.0.1:8080");
	cr_expect_eq(u.tls, 0);

	cr_assert_eq(ws_url_parse("WS://example.org", &u, &d), 0);
	cr_expect_str_eq(u.port, "80");
	cr_expect_str_eq(u.path, "/");

	cr_assert_eq(ws_url_parse("ws://h?token=x#frag", &u, &d), 0);
	cr_expect_str_eq(u.path, "/?token=x");

	cr_assert_eq(ws_url_parse("ws://[::1]:9000/a/b", &u, &d), 0);
	cr_expect_str_eq(u.host, "::1");
	cr_expect_str_eq(u.port, "9000");
	cr_expect_str_eq(u.authority, "[::1]:9000");

	cr_assert_eq(ws_url_parse("wss://api.staging.netrasystems.ai/ws", &u, &d), 0);
	cr_expect_eq(u.tls, 1);
	cr_expect_str_eq(u.port, "443");
}

Test(ws_url, refuses)
{
	static const char *const bad[] = {
		"http://h/ws", "ws://", "ws://:80/x", "ws://h:0/", "ws://h:65536/", "ws://h:8x/",
		"ws://user@h/", "ws://[::1/", "ws://h/a b", "ws://h/\r\nX: y",
	};
	struct ws_url u;
	struct diag d;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_expect_eq(ws_url_parse(bad[i], &u, &d), -1, "accepted '%s'", bad[i]);
}

/*
 * A scripted server in a child process: accept one connection, read the
 * request, answer, then play its part. Returns the URL's port.
 */
enum script {
	S_REFUSE,          /* HTTP 500 */
	S_WELCOME_1011,    /* welcome in the 101's write, close 1011 byte by byte */
	S_PING_FIRST,      /* ping before the welcome; close 1000 if the pong is right, else 4000 */
	S_MASKED,          /* a masked frame: a server must not mask */
	S_DROP,            /* welcome, then TCP closed with no close frame */
	S_SILENT,          /* welcome, then nothing until the client closes */
};

static size_t frame(unsigned char *out, unsigned op, const void *p, size_t n)
{
	size_t h = ws_frame_header_build(out, 1, op, n, NULL);

	memcpy(out + h, p, n);
	return h + n;
}

static void serve(int ls, enum script sc)
{
	char req[8192];
	unsigned char out[512], in[512];
	size_t have = 0, n = 0;
	const char *k, *e;
	char key[64], acc[WS_ACCEPT_LEN + 1];
	const char *welcome = "{\"type\":\"connection_established\",\"connection_id\":\"conn_7\"}";
	int fd = accept(ls, NULL, NULL), i;
	ssize_t got;

	if (fd < 0)
		_exit(1);
	while (have < sizeof req - 1 && !strstr(req, "\r\n\r\n")) {
		got = read(fd, req + have, sizeof req - 1 - have);
		if (got <= 0)
			_exit(1);
		have += (size_t)got;
		req[have] = '\0';
	}
	if (sc == S_REFUSE) {
		const char *r = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";

		(void)!write(fd, r, strlen(r));
		_exit(0);
	}
	k = strstr(req, "Sec-WebSocket-Key: ");
	if (!k)
		_exit(1);
	k += 19;
	e = strstr(k, "\r\n");
	snprintf(key, sizeof key, "%.*s", (int)(e - k), k);
	ws_hs_accept(key, strlen(key), acc);
	n = (size_t)snprintf((char *)out, sizeof out, "HTTP/1.1 101 Switching Protocols\r\n"
			     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
			     "Sec-WebSocket-Accept: %s\r\n\r\n", acc);
	if (sc != S_PING_FIRST && sc != S_MASKED)
		n += frame(out + n, WS_OP_TEXT, welcome, strlen(welcome));
	if (sc == S_PING_FIRST)
		n += frame(out + n, WS_OP_PING, "hi", 2);
	if (sc == S_MASKED) {
		out[n++] = 0x81;
		out[n++] = 0x80 | 2;
		memset(out + n, 0, 4);
		n += 4;
		out[n++] = 'h';
		out[n++] = 'i';
	}
	(void)!write(fd, out, n);
	if (sc == S_WELCOME_1011) {
		unsigned char cl[32];
		long m = ws_close_build(cl + 2, 1011, "Internal error", NULL);

		cl[0] = 0x88;
		cl[1] = (unsigned char)m;
		for (i = 0; i < m + 2; i++) {
			usleep(2000);
			(void)!write(fd, cl + i, 1);
		}
	}
	if (sc == S_PING_FIRST) {
		unsigned char c[2];
		long m;

		/* expect a masked pong carrying "hi" */
		got = 0;
		while (got < 8) {
			ssize_t r = read(fd, in + got, sizeof in - (size_t)got);

			if (r <= 0)
				break;
			got += r;
		}
		m = got == 8 && in[0] == 0x8a && in[1] == (0x80 | 2) &&
		    (in[6] ^ in[2]) == 'h' && (in[7] ^ in[3]) == 'i' ? 1000 : 4000;
		n = frame(out, WS_OP_TEXT, welcome, strlen(welcome));
		c[0] = (unsigned char)(m >> 8);
		c[1] = (unsigned char)(m & 0xff);
		n += frame(out + n, WS_OP_CLOSE, c, 2);
		(void)!write(fd, out, n);
	}
	if (sc == S_DROP)
		_exit(0);
	if (sc == S_SILENT || sc == S_MASKED) {
		/* answer the client's close with ours */
		got = read(fd, in, sizeof in);
		if (got > 0 && (in[0] & 0x0f) == WS_OP_CLOSE) {
			n = frame(out, WS_OP_CLOSE, "\x03\xe8", 2);
			(void)!write(fd, out, n);
		}
	}
	/* wait for the client to go */
	while (read(fd, in, sizeof in) > 0)
		;
	_exit(0);
}

static pid_t server(enum script sc, char *url, size_t n)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(ls >= 0);
	cr_assert_eq(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
	cr_assert_eq(listen(ls, 4), 0);
	cr_assert_eq(getsockname(ls, (struct sockaddr *)&a, &len), 0);
	snprintf(url, n, "ws://127.0.0.1:%d/ws", ntohs(a.sin_port));
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		alarm(10);
		serve(ls, sc);
	}
	close(ls);
	return pid;
}

static void run(enum script sc, int timeout_ms, struct ws_client_result *r)
{
	char url[64];
	struct ws_url u;
	struct ws_client_opts o;
	struct diag d;
	pid_t pid = server(sc, url, sizeof url);
	int st;

	signal(SIGPIPE, SIG_IGN);
	memset(&o, 0, sizeof o);
	o.timeout_ms = timeout_ms;
	cr_assert_eq(ws_url_parse(url, &u, &d), 0);
	cr_assert_eq(ws_client_run(&u, &o, r, &d), 0, "%s", d.msg);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

Test(ws_client, refused_handshake)
{
	struct ws_client_result r;

	run(S_REFUSE, 3000, &r);
	cr_expect_eq(r.open, 0);
	cr_expect_eq(r.http_status, 500);
	cr_expect_eq(r.end, WS_END_NONE);
}

Test(ws_client, welcome_then_1011_byte_by_byte)
{
	struct ws_client_result r;

	run(S_WELCOME_1011, 5000, &r);
	cr_expect_eq(r.open, 1);
	cr_expect_eq(r.got_first, 1);
	cr_expect_str_eq(r.connection_id, "conn_7");
	cr_expect_eq(r.end, WS_END_RECEIVED);
	cr_expect_eq(r.close_code, 1011);
	cr_expect_str_eq(r.close_reason, "Internal error");
	cr_expect_eq(r.clean, 1);
	cr_expect_eq(r.timed_out, 0);
}

Test(ws_client, answers_a_ping_with_a_masked_pong)
{
	struct ws_client_result r;

	run(S_PING_FIRST, 5000, &r);
	cr_expect_eq(r.got_first, 1);
	cr_expect_eq(r.close_code, 1000, "server saw a wrong pong (4000): got %d", r.close_code);
}

Test(ws_client, masked_server_frame_is_a_protocol_error)
{
	struct ws_client_result r;

	run(S_MASKED, 5000, &r);
	cr_expect_eq(r.got_first, 0);
	cr_expect_eq(r.end, WS_END_SENT);
	cr_expect_eq(r.close_code, 1002);
	cr_expect_neq(r.error[0], '\0');
}

Test(ws_client, tcp_drop_is_1006)
{
	struct ws_client_result r;

	run(S_DROP, 5000, &r);
	cr_expect_eq(r.got_first, 1);
	cr_expect_eq(r.end, WS_END_RECEIVED);
	cr_expect_eq(r.close_code, 1006);
	cr_expect_eq(r.clean, 0);
}

Test(ws_client, timeout_closes_with_1000)
{
	struct ws_client_result r;

	run(S_SILENT, 200, &r);
	cr_expect_eq(r.got_first, 1);
	cr_expect_eq(r.timed_out, 1);
	cr_expect_eq(r.end, WS_END_SENT);
	cr_expect_eq(r.close_code, 1000);
	cr_expect_eq(r.clean, 1);
	cr_expect_geq(r.elapsed_ms, 150.0);
}
