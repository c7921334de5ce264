#include "wsd/wsd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/opt.h"

struct wsd_config wsd_cfg;

const char *const wsd_fault_names[] = { "none", "enum-log", "missing-service",
					   "startup-incomplete", "e2e-env", "abort", NULL };
static const char *const log_names[] = { "json", "gcloud", "text", NULL };

static int pick(const char *arg, const char *const *names, int *out)
{
	int i;

	for (i = 0; names[i]; i++) {
		if (strcmp(arg, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

static int parse_num(const char *arg, long long min, long long max, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(arg, &end, 10);
	return (errno || end == arg || *end || *out < min || *out > max) ? -1 : 0;
}

static int set_listen(const char *a)
{
	if (strlen(a) >= sizeof wsd_cfg.listen)
		return -1;
	strcpy(wsd_cfg.listen, a);
	return 0;
}

static int set_port(const char *a)
{
	long long v;

	if (parse_num(a, 0, 65535, &v) < 0)
		return -1;
	wsd_cfg.port = (int)v;
	return 0;
}

static int set_port_file(const char *a)
{
	wsd_cfg.port_file = a;
	return 0;
}

static int set_fault(const char *a)
{
	int v;

	if (pick(a, wsd_fault_names, &v) < 0)
		return -1;
	wsd_cfg.fault = (enum wsd_fault)v;
	return 0;
}

static int set_safe(const char *a)
{
	(void)a;
	wsd_cfg.safe_logging = 1;
	return 0;
}

static int set_log(const char *a)
{
	int v;

	if (pick(a, log_names, &v) < 0)
		return -1;
	wsd_cfg.log_format = (enum wsd_log_format)v;
	return 0;
}

static int set_max_message(const char *a)
{
	long long v;

	/* 1 GiB cap: one message is buffered whole before it is answered. */
	if (parse_num(a, 1, 1LL << 30, &v) < 0)
		return -1;
	wsd_cfg.max_message = (uint64_t)v;
	return 0;
}

static int set_ms(const char *a, long *out, long long min)
{
	long long v;

	if (parse_num(a, min, 86400000LL, &v) < 0)
		return -1;
	*out = (long)v;
	return 0;
}

static int set_startup_wait(const char *a)
{
	return set_ms(a, &wsd_cfg.startup_wait_ms, 0);
}

static int set_hs_timeout(const char *a)
{
	return set_ms(a, &wsd_cfg.handshake_timeout_ms, 1);
}

static int set_idle_timeout(const char *a)
{
	return set_ms(a, &wsd_cfg.idle_timeout_ms, 0);
}

static int set_write_timeout(const char *a)
{
	return set_ms(a, &wsd_cfg.write_timeout_ms, 1);
}

static int set_max_connections(const char *a)
{
	long long v;

	if (parse_num(a, 1, 1000000, &v) < 0)
		return -1;
	wsd_cfg.max_connections = (long)v;
	return 0;
}

/* RFC 6455 §4.1: a subprotocol is a token (RFC 2616 separators excluded). */
static int set_subprotocol(const char *a)
{
	size_t i, n = strlen(a);

	if (!n || n >= WSD_SUBPROTOCOL_LEN || wsd_cfg.n_subprotocols >= WSD_SUBPROTOCOLS_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)a[i] <= 0x20 || (unsigned char)a[i] >= 0x7f ||
		    strchr("()<>@,;:\\\"/[]?={}", a[i]))
			return -1;
	for (i = 0; i < wsd_cfg.n_subprotocols; i++)
		if (strcmp(wsd_cfg.subprotocols[i], a) == 0)
			return 0;
	wsd_cfg.subprotocols[wsd_cfg.n_subprotocols++] = a;
	return 0;
}

static int set_require_subprotocol(const char *a)
{
	(void)a;
	wsd_cfg.require_subprotocol = 1;
	return 0;
}

enum {
	W_LISTEN, W_PORT, W_PORT_FILE, W_FAULT, W_SAFE, W_LOG, W_MAX_MESSAGE, W_STARTUP_WAIT,
	W_HS_TIMEOUT, W_IDLE_TIMEOUT, W_WRITE_TIMEOUT, W_MAX_CONNECTIONS, W_SUBPROTOCOL,
	W_REQUIRE_SUBPROTOCOL, W_VERSION
};

/* In W_* order: an option's id is its index. */
static const struct opt options[] = {
	{ "listen", 0, "ADDR", NULL, "numeric address to listen on (default 127.0.0.1)", W_LISTEN },
	{ "port", 0, "N", NULL, "TCP port, 0 for an ephemeral one (default 8080)", W_PORT },
	{ "port-file", 0, "PATH", NULL, "write the bound port to PATH once listening", W_PORT_FILE },
	{ "fault", 0, "MODE", "none|enum-log|missing-service|startup-incomplete|e2e-env|abort",
	  "none|enum-log|missing-service|startup-incomplete|e2e-env|abort", W_FAULT },
	{ "safe-logging", 0, NULL, NULL, "log WebSocket state as a string (the fix for enum-log)", W_SAFE },
	{ "log", 0, "FORMAT", "json|gcloud|text", "json (Cloud Run stdout), gcloud (LogEntry lines) or text",
	  W_LOG },
	{ "max-message", 0, "BYTES", NULL, "largest message accepted, else close 1009 (default 16777216)",
	  W_MAX_MESSAGE },
	{ "startup-wait", 0, "MS", NULL, "startup-incomplete: how long to wait before 1011 (default 2000)",
	  W_STARTUP_WAIT },
	{ "handshake-timeout", 0, "MS", NULL, "drop a client that has not finished its HTTP request "
	  "(default 10000)", W_HS_TIMEOUT },
	{ "idle-timeout", 0, "MS", NULL, "close 1001 after MS without input, 0 = never (default 0)",
	  W_IDLE_TIMEOUT },
	{ "write-timeout", 0, "MS", NULL, "drop a client that takes none of its pending output for MS "
	  "(default 10000)", W_WRITE_TIMEOUT },
	{ "max-connections", 0, "N", NULL, "past N, drop the oldest unfinished handshake, else answer 503 "
	  "(default 10000)", W_MAX_CONNECTIONS },
	{ "subprotocol", 0, "NAME", NULL, "a subprotocol to accept (repeatable, up to 16): the first "
	  "the client offers that is listed is answered", W_SUBPROTOCOL },
	{ "require-subprotocol", 0, NULL, NULL, "refuse (400) a client that offers none of the "
	  "--subprotocol names", W_REQUIRE_SUBPROTOCOL },
	{ "version", 0, NULL, NULL, "show the version and exit", W_VERSION },
	{ NULL, 0, NULL, NULL, NULL, 0 },
};

static int (*const setters[])(const char *value) = {
	set_listen, set_port, set_port_file, set_fault, set_safe, set_log, set_max_message,
	set_startup_wait, set_hs_timeout, set_idle_timeout, set_write_timeout, set_max_connections,
	set_subprotocol, set_require_subprotocol,
};

static const struct cmd_spec wsd_spec = {
	"logwhy-wsd", "[OPTIONS]",
	"The WebSocket server under test: strict RFC 6455, reproduces the staging\n"
	"1011 failures with --fault. GET /health answers JSON.",
	"Limits (see LIMITS in logwhy-wsd(1)):\n"
	"  request: 8192 bytes of header block and 100 fields, else 431; a target\n"
	"    of 1024 bytes or more, 400; unfinished at --handshake-timeout, 408\n"
	"  frames: control 125 bytes, else 1002; a frame or fragmented message past\n"
	"    --max-message is refused from its header, 1009\n"
	"  output: a client is not read while 1 MiB waits for it (resumed below\n"
	"    256 KiB; hard cap --max-message + 2 MiB); none taken for\n"
	"    --write-timeout, dropped (TCP close)\n"
	"  input: one 64 KiB read and at most 64 frames per client per loop pass\n"
	"  connections: --max-connections, at most the fd limit - 32; the peer's\n"
	"    close reply is awaited 1 s\n",
	options,
	"logwhy-wsd",
};

static int version;

static int wsd_option(void *ctx, int id, const char *value)
{
	(void)ctx;
	if (id == W_VERSION) {
		version = 1;
		return 0;
	}
	if (setters[id](value) == 0)
		return 0;
	fprintf(stderr, "logwhy-wsd: invalid value '%s' for --%s (%s)\n", value, options[id].name,
		options[id].help);
	return -1;
}

/* The E2E variables, as the staging service checked them. */
static void detect_e2e_env(void)
{
	const char *v[5] = { getenv("E2E_TESTING"), getenv("PYTEST_RUNNING"),
			     getenv("STAGING_E2E_TEST"), getenv("E2E_OAUTH_SIMULATION_KEY"),
			     getenv("E2E_TEST_ENV") };

	wsd_cfg.e2e_env = (v[0] && strcmp(v[0], "1") == 0) || (v[1] && strcmp(v[1], "1") == 0) ||
			  (v[2] && strcmp(v[2], "1") == 0) || v[3] ||
			  (v[4] && strcmp(v[4], "staging") == 0);
	/* Never log the simulation key itself: only whether it is set. */
	snprintf(wsd_cfg.e2e_env_desc, sizeof wsd_cfg.e2e_env_desc,
		 "E2E_TESTING=%.8s, PYTEST_RUNNING=%.8s, STAGING_E2E_TEST=%.8s, "
		 "E2E_OAUTH_SIMULATION_KEY=%s, E2E_TEST_ENV=%.16s",
		 v[0] ? v[0] : "None", v[1] ? v[1] : "None", v[2] ? v[2] : "None",
		 v[3] ? "<set>" : "None", v[4] ? v[4] : "None");
}

int main(int argc, char **argv)
{
	struct diag d = { 0 };
	int rc, npos;

	strcpy(wsd_cfg.listen, "127.0.0.1");
	wsd_cfg.port = 8080;
	wsd_cfg.max_message = (uint64_t)16 << 20;
	wsd_cfg.startup_wait_ms = 2000;
	wsd_cfg.handshake_timeout_ms = 10000;
	wsd_cfg.idle_timeout_ms = 0;
	wsd_cfg.write_timeout_ms = 10000;
	wsd_cfg.max_connections = 10000;
	if ((rc = opt_parse(&wsd_spec, argc, argv, &npos, wsd_option, NULL, &d)))
		return opt_finish(&wsd_spec, rc, &d, stdout, stderr);
	if (version) {
		printf("logwhy-wsd %s\n", LOGWHY_VERSION);
		return 0;
	}
	if (npos) {
		fprintf(stderr, "logwhy-wsd: unexpected argument '%s'\n", argv[1]);
		return 2;
	}
	if (wsd_cfg.require_subprotocol && !wsd_cfg.n_subprotocols) {
		fprintf(stderr, "logwhy-wsd: '--require-subprotocol' needs at least one "
			"'--subprotocol'\n");
		return 2;
	}
	detect_e2e_env();
	wsd_log_init();
	return wsd_serve();
}
