#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "util/term.h"
#include "util/timefmt.h"
#include "util/jpool.h"
#include "ws/client.h"
#include "ws/frame.h"

#define PROBE_MAX_SENDS 256
#define PROBE_MAX_HEADERS 64
#define PROBE_MAX_TIMEOUT_MS 600000
#define PROBE_HEALTH_TIMEOUT_MS 5000
#define PROBE_SHOW_MAX 200          /* bytes of the first message in a trace */

enum { OPT_SEND = 100, OPT_HEADER, OPT_TIMEOUT, OPT_HUMAN, OPT_INSECURE, OPT_CACERT };

static const struct opt probe_opts[] = {
	{ "send", 0, "MSG", NULL, "send MSG as a text message after the first (welcome) message (repeatable)", OPT_SEND },
	{ "header", 0, "K:V", NULL, "add a header to the upgrade request, e.g. 'X-E2E-Testing: true' (repeatable)", OPT_HEADER },
	{ "timeout", 0, "MS", NULL, "bound on connect+handshake, and on the open connection: then the probe closes with 1000 (default 10000)", OPT_TIMEOUT },
	{ "human", 'H', NULL, NULL, "print a WebSocket debug script's text report (health check, connection test, close) instead of the JSON trace", OPT_HUMAN },
	{ "insecure", 'k', NULL, NULL, "wss://: do not verify the server's certificate or that it names the host", OPT_INSECURE },
	{ "cacert", 0, "FILE", NULL, "wss://: trust the CA certificates in FILE (PEM) instead of the system's store", OPT_CACERT },
	OPT_COMMON_COLOR,
	OPT_COMMON_RULES,
	OPT_COMMON_OUTPUT_FILE,
	OPT_COMMON_QUIET,
	OPT_COMMON_VERSION,
	{ NULL, 0, NULL, NULL, NULL, 0 },
};

static const struct cmd_spec probe_spec = {
	"probe", "[OPTIONS] URL",
	"Connect to a WebSocket endpoint the way a staging debug script does and\n"
	"record what happened: GET /health on the same host and port (status,\n"
	"e2e_testing.enabled), TCP connect time, handshake status, time to the first\n"
	"message and the message, then the close: code, reason, who closed first,\n"
	"whether both close frames were exchanged, ms from open to close (1006 when\n"
	"TCP ended with no close frame). URL is ws://HOST[:PORT][/PATH] or\n"
	"wss://...: TLS 1.2 or later, the certificate verified against the system's\n"
	"CA store (or --cacert; SSL_CERT_FILE and SSL_CERT_DIR are honoured) and\n"
	"checked to name the host, which is sent as SNI.",
	"Output is one JSON line (a close trace that 'logwhy triage' and 'lint' read\n"
	"with the server's logs; it carries the close time and the welcome's\n"
	"connection_id to correlate by), or with -H the debug script's text. At most\n"
	"256 --send and 64 --header; the first message is kept up to 1 KiB (200 bytes\n"
	"shown), messages over 16 MiB are refused with 1009. A failed TLS handshake\n"
	"(a refused certificate, a server that does not speak TLS) is a close trace\n"
	"with code 1015 and the reason in words.\n"
	"Exit status: 0 healthy (welcome received, closed with 1000/1001 or by the\n"
	"probe at --timeout), 1 failed (another close code, 1006, 1015, refused handshake),\n"
	"2 usage error or the host could not be reached.\n",
	probe_opts,
	NULL,
};

struct probe_args {
	struct common c;
	const char *sends[PROBE_MAX_SENDS + 1];
	size_t nsends;
	const char *headers[PROBE_MAX_HEADERS + 1];
	size_t nheaders;
	long timeout_ms;
	int human;
	struct ws_tls_opts tls;
};

static int probe_option(void *ctx, int id, const char *value)
{
	struct probe_args *a = ctx;
	int r = common_option(&a->c, id, value);
	char *end;

	if (r)
		return r < 0;
	switch (id) {
	case OPT_SEND:
		if (a->nsends == PROBE_MAX_SENDS) {
			cli_errorf("too many --send (at most %d)", PROBE_MAX_SENDS);
			return 1;
		}
		a->sends[a->nsends++] = value;
		return 0;
	case OPT_HEADER:
		if (a->nheaders == PROBE_MAX_HEADERS) {
			cli_errorf("too many --header (at most %d)", PROBE_MAX_HEADERS);
			return 1;
		}
		if (!strchr(value, ':') || value[0] == ':') {
			cli_errorf("--header '%s' is not NAME:VALUE", value);
			return 1;
		}
		a->headers[a->nheaders++] = value;
		return 0;
	case OPT_TIMEOUT:
		errno = 0;
		a->timeout_ms = strtol(value, &end, 10);
		if (errno || end == value || *end || a->timeout_ms < 1 ||
		    a->timeout_ms > PROBE_MAX_TIMEOUT_MS) {
			cli_errorf("--timeout '%s' is not a number of ms from 1 to %d", value,
				   PROBE_MAX_TIMEOUT_MS);
			return 1;
		}
		return 0;
	case OPT_HUMAN:
		a->human = 1;
		return 0;
	case OPT_INSECURE:
		a->tls.insecure = 1;
		return 0;
	case OPT_CACERT:
		a->tls.cafile = value;
		return 0;
	}
	return 1;
}

/* healthy: the welcome came, and the close was a normal one or ours at --timeout */
static int probe_healthy(const struct ws_client_result *r)
{
	if (!r->open || !r->got_first)
		return 0;
	if (r->end == WS_END_SENT)
		return r->timed_out && r->close_code == WS_CLOSE_NORMAL;
	return r->end == WS_END_RECEIVED &&
	       (r->close_code == WS_CLOSE_NORMAL || r->close_code == WS_CLOSE_GOING_AWAY);
}

static json_t *ms_value(double ms)
{
	/* microsecond resolution is all a loopback measurement can claim */
	return json_real((double)(long long)(ms * 1000.0 + 0.5) / 1000.0);
}

static const char *code_name(int code)
{
	if (code == WS_CLOSE_ABNORMAL)
		return "no close frame received or sent";
	if (code == WS_CLOSE_NO_STATUS)
		return "no status code";
	return ws_close_code_name(code);
}

/* The trace's "message": one sentence, worded so the close rules read it right. */
static void probe_sentence(const struct ws_client_result *r, const char *err, char *out, size_t n)
{
	const char *welcome = r->got_first ? "after the welcome message" :
			      "no welcome message received";
	const char *name = code_name(r->close_code);

	if (err) {
		snprintf(out, n, "probe could not connect: %s", err);
	} else if (r->tls_failed) {
		snprintf(out, n, "WebSocket connection closed with 1015 (TLS handshake failure): %s",
			 r->error);
	} else if (!r->open && r->http_status) {
		snprintf(out, n, "server rejected WebSocket connection: HTTP %d", r->http_status);
	} else if (!r->open) {
		snprintf(out, n, "WebSocket handshake failed: %s", r->error);
	} else if (r->close_code == WS_CLOSE_ABNORMAL) {
		snprintf(out, n, "TCP connection closed without a close frame (1006) after %.0f ms, %s",
			 r->elapsed_ms, welcome);
	} else if (r->end == WS_END_SENT && r->timed_out) {
		snprintf(out, n, "probe closed the WebSocket with 1000 at its timeout, open %.0f ms, %s",
			 r->elapsed_ms, welcome);
	} else if (r->end == WS_END_SENT) {
		snprintf(out, n, "probe closed the WebSocket with %d (%s) after %.0f ms: %s",
			 r->close_code, name, r->elapsed_ms, r->error);
	} else {
		snprintf(out, n, "server closed the WebSocket with %d%s%s%s reason \"%s\" after %.0f ms, %s",
			 r->close_code, *name ? " (" : "", name, *name ? ")" : "", r->close_reason,
			 r->elapsed_ms, welcome);
	}
}

static json_t *probe_json(const char *url, const struct ws_health *h,
			  const struct ws_client_result *r, const char *err)
{
	json_t *o = json_object(), *v, *cl;
	char ts[40], sentence[1024];
	int64_t when = r->end_wall_us;

	if (!o)
		return NULL;
	if (!when) {
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		when = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
	}
	timefmt_rfc3339(when, ts, sizeof ts);
	json_object_set_new(o, "probe", json_string("logwhy"));
	json_object_set_new(o, "time", json_string(ts));
	json_object_set_new(o, "url", json_string(url));
	v = json_object();
	if (h->status)
		json_object_set_new(v, "http_status", json_integer(h->status));
	json_object_set_new(v, "ok", json_boolean(h->status >= 200 && h->status < 300));
	if (h->status)
		json_object_set_new(v, "ms", ms_value(h->ms));
	if (h->state[0])
		json_object_set_new(v, "status", json_string(h->state));
	if (h->e2e_enabled >= 0)
		json_object_set_new(v, "e2e_testing",
				    json_pack("{s:b}", "enabled", h->e2e_enabled));
	if (h->error[0])
		json_object_set_new(v, "error", json_string(h->error));
	json_object_set_new(o, "health", v);
	if (!err) {
		json_object_set_new(o, "connect_ms", ms_value(r->connect_ms));
		if (r->http_status)
			json_object_set_new(o, "http_status", json_integer(r->http_status));
	}
	if (r->got_first) {
		char shown[PROBE_SHOW_MAX + 8];
		size_t k = strlen(r->first);

		json_object_set_new(o, "first_message_ms", ms_value(r->first_ms));
		if (r->first_binary) {
			snprintf(shown, sizeof shown, "[binary message]");
		} else {
			/* cut on a UTF-8 boundary so the string stays valid */
			if (k > PROBE_SHOW_MAX) {
				k = PROBE_SHOW_MAX;
				while (k && ((unsigned char)r->first[k] & 0xc0) == 0x80)
					k--;
			}
			memcpy(shown, r->first, k);
			shown[k] = '\0';
		}
		json_object_set_new(o, "first_message", json_string(shown));
		json_object_set_new(o, "first_message_bytes", json_integer((json_int_t)r->first_len));
		json_object_set_new(o, "first_message_truncated",
				    json_boolean(r->first_len > strlen(shown) && !r->first_binary));
	}
	if (r->connection_id[0])
		json_object_set_new(o, "connection_id", json_string(r->connection_id));
	if (r->tls_version[0])
		json_object_set_new(o, "tls", json_string(r->tls_version));
	if (r->tls_failed) {
		/* 1015 is never sent on the wire; it reports exactly this */
		cl = json_object();
		json_object_set_new(cl, "code", json_integer(r->close_code));
		json_object_set_new(cl, "reason", json_string(r->close_reason));
		json_object_set_new(cl, "direction", json_string("sent"));
		json_object_set_new(cl, "clean", json_false());
		json_object_set_new(o, "close", cl);
	}
	if (r->open) {
		json_object_set_new(o, "sent", json_integer((json_int_t)r->sent));
		json_object_set_new(o, "received", json_integer((json_int_t)r->received));
		cl = json_object();
		json_object_set_new(cl, "code", json_integer(r->close_code));
		json_object_set_new(cl, "reason", json_string(r->close_reason));
		json_object_set_new(cl, "direction",
				    json_string(r->end == WS_END_SENT ? "sent" : "received"));
		json_object_set_new(cl, "clean", json_boolean(r->clean));
		json_object_set_new(o, "close", cl);
		json_object_set_new(o, "elapsed_ms", json_integer((json_int_t)(r->elapsed_ms + 0.5)));
		if (r->timed_out)
			json_object_set_new(o, "timed_out", json_true());
	}
	if (err)
		json_object_set_new(o, "error", json_string(err));
	else if (r->error[0])
		json_object_set_new(o, "error", json_string(r->error));
	probe_sentence(r, err, sentence, sizeof sentence);
	json_object_set_new(o, "message", json_string(sentence));
	json_object_set_new(o, "healthy", json_boolean(!err && probe_healthy(r)));
	return o;
}

struct human {
	FILE *out;
	int color;
};

static void h_tag(const struct human *hu, int ok)
{
	if (hu->color)
		fprintf(hu->out, "   %s%s\033[0m ", ok ? "\033[32m" : "\033[31m",
			ok ? "[OK]" : "[ERROR]");
	else
		fprintf(hu->out, "   %s ", ok ? "[OK]" : "[ERROR]");
}

/* Server text is escaped always: a close reason must not break the report's lines. */
static void h_text(const struct human *hu, const char *s)
{
	term_put(hu->out, s, strlen(s));
}

static void probe_human(const struct human *hu, const struct ws_url *u, const char *url,
			const struct ws_health *h, const struct ws_client_result *r,
			const char *err, size_t nheaders)
{
	FILE *out = hu->out;
	const char *name;

	fprintf(out, "WEBSOCKET DEBUG - LOGWHY PROBE\n");
	fprintf(out, "Backend URL: %s://%s\n", u->tls ? "https" : "http", u->authority);
	fprintf(out, "WebSocket URL: ");
	h_text(hu, url);
	fprintf(out, "\n\n1. BACKEND HEALTH CHECK:\n");
	if (h->status)
		fprintf(out, "   Status: %d\n", h->status);
	if (h->status >= 200 && h->status < 300) {
		h_tag(hu, 1);
		fprintf(out, "Backend is healthy\n");
	} else {
		h_tag(hu, 0);
		fprintf(out, "Backend health check failed%s", h->error[0] ? ": " : "\n");
		if (h->error[0]) {
			h_text(hu, h->error);
			fputc('\n', out);
		}
	}
	if (h->e2e_enabled >= 0)
		fprintf(out, "   e2e_testing.enabled: %s\n", h->e2e_enabled ? "true" : "false");

	fprintf(out, "\n2. WEBSOCKET CONNECTION TEST:\n");
	fprintf(out, "   Extra headers: %zu headers\n", nheaders);
	fprintf(out, "   Connecting to WebSocket...\n");
	if (err) {
		h_tag(hu, 0);
		fprintf(out, "Connection failed: ");
		h_text(hu, err);
		fprintf(out, "\n\nResult: FAILED\n");
		return;
	}
	if (!r->open) {
		h_tag(hu, 0);
		if (r->http_status)
			fprintf(out, "server rejected WebSocket connection: HTTP %d\n", r->http_status);
		else {
			fprintf(out, "Handshake failed: ");
			h_text(hu, r->error);
			fputc('\n', out);
		}
		fprintf(out, "\nResult: FAILED\n");
		return;
	}
	h_tag(hu, 1);
	fprintf(out, "Connected in %.3fs\n", (r->connect_ms + r->handshake_ms) / 1000.0);
	fprintf(out, "   Waiting for welcome message...\n");
	if (r->got_first) {
		h_tag(hu, 1);
		fprintf(out, "First message after %.3fs: ", r->first_ms / 1000.0);
		if (r->first_binary)
			fprintf(out, "[binary, %llu bytes]", (unsigned long long)r->first_len);
		else
			h_text(hu, r->first);
		fputc('\n', out);
		if (r->connection_id[0]) {
			fprintf(out, "   Connection id: ");
			h_text(hu, r->connection_id);
			fputc('\n', out);
		}
		fprintf(out, "   Messages: %zu sent, %zu received\n", r->sent, r->received);
	}
	if (probe_healthy(r)) {
		h_tag(hu, 1);
		if (r->timed_out)
			fprintf(out, "Connection still open after %.3fs; probe closed it\n",
				r->elapsed_ms / 1000.0);
		else
			fprintf(out, "Connection closed by the server after %.3fs\n",
				r->elapsed_ms / 1000.0);
	} else {
		h_tag(hu, 0);
		fprintf(out, "CONNECTION CLOSED after %.3fs\n", r->elapsed_ms / 1000.0);
	}
	fprintf(out, "   Close code: %d\n", r->close_code);
	fprintf(out, "   Close reason: ");
	h_text(hu, r->close_reason);
	fputc('\n', out);
	fprintf(out, "   Close: %s, %s\n",
		r->end == WS_END_SENT ? "sent by the probe" : "received from the server",
		r->clean ? "clean (both close frames)" : "unclean");
	if (r->error[0]) {
		fprintf(out, "   Error: ");
		h_text(hu, r->error);
		fputc('\n', out);
	}
	name = r->close_code == WS_CLOSE_INTERNAL ? "Internal server error" : code_name(r->close_code);
	if (!probe_healthy(r))
		fprintf(out, "   Analysis: %d = %s\n", r->close_code, *name ? name : "unknown code");
	fprintf(out, "\nResult: %s\n", probe_healthy(r) ? "PASSED" : "FAILED");
}

int cmd_probe(int argc, char **argv)
{
	struct probe_args a;
	struct ws_url u;
	struct ws_health h;
	struct ws_client_result *r;
	struct ws_client_opts o;
	struct diag d;
	const char *err = NULL;
	int npos, rc;

	memset(&a, 0, sizeof a);
	common_init(&a.c);
	a.timeout_ms = 10000;
	if (cli_parse(&probe_spec, argc, argv, &npos, probe_option, &a, &a.c, &rc))
		return rc;
	if (npos != 1) {
		fprintf(stderr, "logwhy probe: %s\nTry 'logwhy probe --help'.\n",
			npos ? "one URL only" : "missing URL");
		return 2;
	}
	if (ws_url_parse(argv[1], &u, &d) < 0) {
		cli_error(&d);
		return 2;
	}
	if ((rc = cli_output_open(&a.c)))
		return rc;
	r = calloc(1, sizeof *r);
	if (!r) {
		cli_errorf("out of memory");
		return 2;
	}
	if (ws_health_check(&u, &a.tls, a.timeout_ms < PROBE_HEALTH_TIMEOUT_MS ? (int)a.timeout_ms :
			    PROBE_HEALTH_TIMEOUT_MS, &h) < 0 && !a.c.quiet && !a.human) {
		if (h.status)
			cli_errorf("warning: health check: HTTP %d", h.status);
		else
			cli_errorf("warning: health check: %s", h.error);
	}
	o.headers = a.headers;
	o.sends = a.sends;
	o.nsends = a.nsends;
	o.timeout_ms = (int)a.timeout_ms;
	o.tls = a.tls;
	if (ws_client_run(&u, &o, r, &d) < 0) {
		err = d.msg;
		if (!a.human)
			cli_error(&d);
	}
	if (a.human) {
		struct human hu = { stdout, common_color(&a.c, stdout) };

		probe_human(&hu, &u, argv[1], &h, r, err, a.nheaders);
	} else {
		json_t *o2 = probe_json(argv[1], &h, r, err);
		char *s = o2 ? json_dumps(o2, JSON_COMPACT | JSON_PRESERVE_ORDER |
						  JSON_REAL_PRECISION(12)) : NULL;

		if (!s) {
			cli_errorf("out of memory");
			json_decref(o2);
			free(r);
			return 2;
		}
		puts(s);
		jpool_str_free(s);
		json_decref(o2);
	}
	rc = err ? 2 : probe_healthy(r) ? 0 : 1;
	if (cli_output_close(&a.c) < 0)
		rc = 2;
	free(r);
	return rc;
}
