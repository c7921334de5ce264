#include "wsd/wsd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wsd/opt.h"

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

static int show_help(const char *a);
static int show_version(const char *a);

static const struct wsd_opt options[] = {
	{ "listen", "ADDR", "numeric address to listen on (default 127.0.0.1)", set_listen },
	{ "port", "N", "TCP port, 0 for an ephemeral one (default 8080)", set_port },
	{ "port-file", "PATH", "write the bound port to PATH once listening", set_port_file },
	{ "fault", "MODE", "none|enum-log|missing-service|startup-incomplete|e2e-env|abort",
	  set_fault },
	{ "safe-logging", NULL, "log WebSocket state as a string (the fix for enum-log)", set_safe },
	{ "log", "FORMAT", "json (Cloud Run stdout), gcloud (LogEntry lines) or text", set_log },
	{ "max-message", "BYTES", "largest message accepted, else close 1009 (default 16777216)",
	  set_max_message },
	{ "startup-wait", "MS", "startup-incomplete: how long to wait before 1011 (default 2000)",
	  set_startup_wait },
	{ "handshake-timeout", "MS", "drop a client that has not finished its HTTP request "
	  "(default 10000)", set_hs_timeout },
	{ "idle-timeout", "MS", "close 1001 after MS without input, 0 = never (default 0)",
	  set_idle_timeout },
	{ "write-timeout", "MS", "drop a client that takes none of its pending output for MS "
	  "(default 10000)", set_write_timeout },
	{ "max-connections", "N", "past N, drop the oldest unfinished handshake, else answer 503 "
	  "(default 10000)", set_max_connections },
	{ "subprotocol", "NAME", "a subprotocol to accept (repeatable, up to 16): the first "
	  "the client offers that is listed is answered", set_subprotocol },
	{ "require-subprotocol", NULL, "refuse (400) a client that offers none of the "
	  "--subprotocol names", set_require_subprotocol },
	{ "help", NULL, "show this help and exit", show_help },
	{ "version", NULL, "show the version and exit", show_version },
	{ NULL, NULL, NULL, NULL },
};

static int show_help(const char *a)
{
	(void)a;
	printf("usage: logwhy-wsd [OPTIONS]\n\n"
	       "The WebSocket server under test: strict RFC 6455, reproduces the staging\n"
	       "1011 failures with --fault. GET /health answers JSON.\n\n");
	wsd_opt_help(options, stdout);
	printf("\nLimits (see LIMITS in logwhy-wsd(1)):\n"
	       "  request: 8192 bytes of header block and 100 fields, else 431; a target\n"
	       "    of 1024 bytes or more, 400; unfinished at --handshake-timeout, 408\n"
	       "  frames: control 125 bytes, else 1002; a frame or fragmented message past\n"
	       "    --max-message is refused from its header, 1009\n"
	       "  output: a client is not read while 1 MiB waits for it (resumed below\n"
	       "    256 KiB; hard cap --max-message + 2 MiB); none taken for\n"
	       "    --write-timeout, dropped (TCP close)\n"
	       "  input: one 64 KiB read and at most 64 frames per client per loop pass\n"
	       "  connections: --max-connections, at most the fd limit - 32; the peer's\n"
	       "    close reply is awaited 1 s\n");
	exit(0);
}

static int show_version(const char *a)
{
	(void)a;
	printf("logwhy-wsd %s\n", LOGWHY_VERSION);
	exit(0);
}

static const char *const *values_of(const char *name)
{
	if (strcmp(name, "fault") == 0)
		return wsd_fault_names;
	if (strcmp(name, "log") == 0)
		return log_names;
	return NULL;
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
	strcpy(wsd_cfg.listen, "127.0.0.1");
	wsd_cfg.port = 8080;
	wsd_cfg.max_message = (uint64_t)16 << 20;
	wsd_cfg.startup_wait_ms = 2000;
	wsd_cfg.handshake_timeout_ms = 10000;
	wsd_cfg.idle_timeout_ms = 0;
	wsd_cfg.write_timeout_ms = 10000;
	wsd_cfg.max_connections = 10000;
	/* Hidden, for the completion scripts and the drift test. */
	if (argc == 2 && strcmp(argv[1], "--options") == 0) {
		wsd_opt_dump(options, stdout, values_of);
		return 0;
	}
	if (wsd_opt_parse(options, argc, argv) < 0)
		return 2;
	if (wsd_cfg.require_subprotocol && !wsd_cfg.n_subprotocols) {
		fprintf(stderr, "logwhy-wsd: '--require-subprotocol' needs at least one "
			"'--subprotocol'\n");
		return 2;
	}
	detect_e2e_env();
	wsd_log_init();
	return wsd_serve();
}
