#include "wsd/wsd.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * The deployment it stands in for: a Cloud Run service in a staging
 * project. Names are fixed so fixtures recorded from this server look
 * like the incident's logs.
 */
#define WSD_PROJECT "netra-staging"
#define WSD_SERVICE "netra-backend-staging"
#define WSD_REVISION "netra-backend-staging-00154-2tw"
#define WSD_LOGGER "netra_backend.app.routes.websocket"

static char instance_id[97];
static unsigned long long insert_seq;
static uint64_t rng_state;

static uint64_t rng_next(void)
{
	/* xorshift64*: trace ids only need to be unique, not secret. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

void wsd_random_hex(char *out, size_t nhex)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < nhex; i++)
		out[i] = hex[(rng_next() >> 32) & 15];
	out[nhex] = '\0';
}

void wsd_log_init(void)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	rng_state = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid() << 40;
	if (fd >= 0) {
		uint64_t noise;

		if (read(fd, &noise, sizeof noise) == (ssize_t)sizeof noise)
			rng_state ^= noise;
		close(fd);
	}
	if (!rng_state)
		rng_state = 0x9e3779b97f4a7c15ull;
	/* Cloud Run instance ids are long lower-case hex strings. */
	wsd_random_hex(instance_id, 96);
}

static const char *event_sev_name(enum wsd_sev s)
{
	static const char *const names[] = { "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL" };

	return names[s];
}

/* RFC 3339 UTC with microseconds, as Cloud Run prints timestamps. */
static void fmt_time(const struct timespec *ts, char *out, size_t n)
{
	struct tm tm;
	char base[32];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%.20s.%06dZ", base, (int)(ts->tv_nsec / 1000) % 1000000);
}

static void emit_line(const char *s)
{
	/* One write per record so lines from a crash are never half-written. */
	fputs(s, stdout);
	fputc('\n', stdout);
	fflush(stdout);
}

static void emit_json(json_t *o, size_t flags)
{
	char *s = json_dumps(o, JSON_COMPACT | flags);

	if (s) {
		emit_line(s);
		free(s);
	}
	json_decref(o);
}

static json_t *resource(void)
{
	return json_pack("{s:{s:s,s:s,s:s,s:s,s:s},s:s}", "labels",
			 "configuration_name", WSD_SERVICE, "location", "us-central1",
			 "project_id", WSD_PROJECT, "revision_name", WSD_REVISION,
			 "service_name", WSD_SERVICE, "type", "cloud_run_revision");
}

/* A gcloud LogEntry skeleton; the caller adds the payload. */
static json_t *log_entry(const struct wsd_conn *c, const char *sev, const char *stream,
			 const struct timespec *ts)
{
	char t[40], id[40], logname[128];
	json_t *e, *labels;

	fmt_time(ts, t, sizeof t);
	snprintf(id, sizeof id, "%.8s%012llx", instance_id, ++insert_seq);
	snprintf(logname, sizeof logname, "projects/%s/logs/run.googleapis.com%%2F%s",
		 WSD_PROJECT, stream);
	labels = json_pack("{s:s}", "instanceId", instance_id);
	if (c)
		json_object_set_new(labels, "connection_id", json_string(c->conn_id));
	e = json_pack("{s:s,s:o,s:s,s:s,s:o,s:s,s:s}", "insertId", id, "labels", labels,
		      "logName", logname, "receiveTimestamp", t, "resource", resource(),
		      "severity", sev, "timestamp", t);
	if (c)
		json_object_set_new(e, "trace", json_string(c->trace));
	return e;
}

static void text_prefix(const struct timespec *ts, char *out, size_t n)
{
	struct tm tm;
	char base[32];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(base, sizeof base, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(out, n, "%.20s,%03d", base, (int)(ts->tv_nsec / 1000000) % 1000);
}

void wsd_log(const struct wsd_conn *c, enum wsd_sev sev, const char *fmt, ...)
{
	char msg[2048], t[40];
	struct timespec ts;
	va_list ap;
	json_t *o;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	switch (wsd_cfg.log_format) {
	case WSD_LOG_JSON:
		fmt_time(&ts, t, sizeof t);
		o = json_pack("{s:s,s:s,s:s,s:s}", "severity", event_sev_name(sev), "message", msg,
			      "time", t, "logger", WSD_LOGGER);
		if (c) {
			json_object_set_new(o, "logging.googleapis.com/trace", json_string(c->trace));
			json_object_set_new(o, "connection_id", json_string(c->conn_id));
		}
		json_object_set_new(o, "logging.googleapis.com/labels",
				    json_pack("{s:s}", "instanceId", instance_id));
		emit_json(o, JSON_PRESERVE_ORDER);
		break;
	case WSD_LOG_GCLOUD:
		o = log_entry(c, event_sev_name(sev), "stdout", &ts);
		{
			json_t *p = json_pack("{s:s,s:s}", "message", msg, "logger", WSD_LOGGER);

			if (c)
				json_object_set_new(p, "connection_id", json_string(c->conn_id));
			json_object_set_new(o, "jsonPayload", p);
		}
		emit_json(o, JSON_SORT_KEYS);
		break;
	case WSD_LOG_TEXT: {
		char line[2400];

		text_prefix(&ts, t, sizeof t);
		/* key=value, as the app's text logs carry it, so a reader can
		 * correlate the text shape by connection too */
		if (c && !strstr(msg, "connection_id="))
			snprintf(line, sizeof line, "%s - %s - %s - %s connection_id=%s", t, WSD_LOGGER,
				 event_sev_name(sev), msg, c->conn_id);
		else
			snprintf(line, sizeof line, "%s - %s - %s - %s", t, WSD_LOGGER,
				 event_sev_name(sev), msg);
		emit_line(line);
		break;
	}
	}
}

void wsd_log_stderr(const struct wsd_conn *c, const char *line)
{
	struct timespec ts;
	char t[40];
	json_t *o;

	clock_gettime(CLOCK_REALTIME, &ts);
	switch (wsd_cfg.log_format) {
	case WSD_LOG_JSON:
		/* Cloud Run would wrap a bare stderr line; keep it one JSON object
		 * per line, marked as stderr, still correlated. */
		fmt_time(&ts, t, sizeof t);
		o = json_pack("{s:s,s:s,s:s,s:s}", "severity", "ERROR", "message", line,
			      "time", t, "stream", "stderr");
		if (c) {
			json_object_set_new(o, "logging.googleapis.com/trace", json_string(c->trace));
			json_object_set_new(o, "connection_id", json_string(c->conn_id));
		}
		json_object_set_new(o, "logging.googleapis.com/labels",
				    json_pack("{s:s}", "instanceId", instance_id));
		emit_json(o, JSON_PRESERVE_ORDER);
		break;
	case WSD_LOG_GCLOUD:
		o = log_entry(c, "ERROR", "stderr", &ts);
		json_object_set_new(o, "textPayload", json_string(line));
		emit_json(o, JSON_SORT_KEYS);
		break;
	case WSD_LOG_TEXT:
		/* Bare, as the stdlib prints it: the multi-line framer keys on it. */
		emit_line(line);
		break;
	}
}
