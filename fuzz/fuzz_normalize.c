/*
 * Event normalization (event/normalize.c): one record of each kind into a
 * struct event, then every normalized field looked up (event_field) on the
 * event and on a deep copy (event_copy), which must agree.
 *
 * Selector byte: bits 0-1 the record kind (JSON, YAML, text, text), bit 2
 * truncated, bit 3 joined, bit 4: the input's first line is one more field
 * path to look up and the rest is the record. A JSON record's tree from
 * the skim (event_skim_tree), where it builds one, must be json_loadb's.
 */
#include "fuzz.h"

#include "event/event.h"
#include "read/yamldoc.h"
#include "util/buf.h"

static const char *const paths[] = {
	"severity", "message", "trace", "span", "instance", "connection_id",
	"user_id", "close.code", "close.reason", "jsonPayload.state",
	"jsonPayload.message", "labels.instanceId", "httpRequest.status",
	"logging.googleapis.com/trace", "a.b.c", "", ".", "..", "a..b",
	"timestamp", "textPayload", "0", "jsonPayload.0",
};

static void lookup(const struct event *ev, const struct event *copy, const char *path)
{
	struct buf a = BUF_INIT(0), b = BUF_INIT(0);
	int ra = event_field(ev, path, &a), rb = event_field(copy, path, &b);

	FUZZ_ASSERT(ra == rb);
	FUZZ_ASSERT(a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0));
	buf_free(&a);
	buf_free(&b);
}

/* The skim's tree, where it builds one, is json_loadb's: the same values
 * in the same key order, as compact JSON with exact reals. */
static void same_tree(const char *text, size_t size)
{
	const size_t fl = JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17);
	json_t *t = event_skim_tree(text, size), *j;
	char *a, *b;

	if (!t)
		return;
	j = json_loadb(text, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	FUZZ_ASSERT(j != NULL);
	a = json_dumps(t, fl);
	b = json_dumps(j, fl);
	FUZZ_ASSERT(a && b && strcmp(a, b) == 0);
	free(a);
	free(b);
	json_decref(t);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char sel = fuzz_selector(&data, &size);
	char *path = NULL, *text;
	struct record rec;
	struct event ev, copy;
	struct diag d = { 0 };
	json_t *yaml = NULL;
	size_t i;

	if (sel & 16) {
		const uint8_t *nl = memchr(data, '\n', size);
		size_t n = nl ? (size_t)(nl - data) : size;

		path = fuzz_strdup(data, n);
		if (!path)
			return 0;
		data += nl ? n + 1 : n;
		size -= nl ? n + 1 : n;
	}
	text = fuzz_strdup(data, size);
	if (!text) {
		free(path);
		return 0;
	}
	memset(&rec, 0, sizeof rec);
	rec.source = "fuzz";
	rec.line = 1;
	rec.text = text;
	rec.len = size;
	rec.truncated = (sel & 4) != 0;
	rec.joined = (sel & 8) != 0;
	switch (sel & 3) {
	case 0:
		rec.kind = RECORD_JSON;
		break;
	case 1:
		/* as the YAML framer makes them: only documents that convert */
		if (yamldoc_parse(text, size, &yaml, &d) != 1)
			goto out;
		rec.kind = RECORD_YAML;
		rec.json = yaml;
		break;
	default:
		rec.kind = RECORD_TEXT;
		break;
	}

	event_init(&ev);
	event_init(&copy);
	if (event_from_record(&ev, &rec, &d) == 0) {
		FUZZ_ASSERT(ev.msg != NULL);
		FUZZ_ASSERT(ev.line == 1 && ev.last_line >= ev.line);
		FUZZ_ASSERT(ev.sev >= SEV_DEFAULT && ev.sev <= SEV_EMERGENCY);
		FUZZ_ASSERT(rec.kind == RECORD_TEXT || ev.entry != NULL);
		if (event_copy(&copy, &ev) == 0) {
			FUZZ_ASSERT(copy.msg_len == ev.msg_len &&
				    memcmp(copy.msg, ev.msg, ev.msg_len) == 0);
			for (i = 0; i < sizeof paths / sizeof *paths; i++)
				lookup(&ev, &copy, paths[i]);
			if (path)
				lookup(&ev, &copy, path);
		}
	} else {
		/* only JSON records can be unusable, and then d says where */
		FUZZ_ASSERT(rec.kind == RECORD_JSON);
		FUZZ_ASSERT(d.line >= 1 && d.msg[0] != '\0');
	}
	event_free(&copy);
	event_free(&ev);
	if (rec.kind == RECORD_JSON)
		same_tree(text, size);
out:
	json_decref(yaml);
	free(text);
	free(path);
	return 0;
}
