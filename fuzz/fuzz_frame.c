/*
 * Record framing: bytes -> records (gcloud JSON array, NDJSON, concatenated
 * JSON, YAML documents, text with Python multi-line blocks joined; gzip
 * recognised by its magic), then the same bytes through the event stream,
 * whose joiner folds per-line LogEntries back into blocks (event/join.c).
 *
 * Selector byte: bits 0-1 the format (auto, json, yaml, text), bit 2 a
 * 512-byte record limit (the cut paths), bit 3 no_join.
 * Promises checked: the 64-byte value scan frames what the byte scan
 * frames (framer_opts.byte_scan); a record is NUL-terminated at len, within the limit,
 * located at line >= 1; a YAML record carries its JSON; the stream yields
 * one event per framed record when joining is off, never more than records
 * when on; every event has a message.
 */
#include "fuzz.h"

#include "event/stream.h"
#include "read/frame.h"
#include "read/source.h"

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		h = (h ^ *b++) * 1099511628211ull;
	return h;
}

static long frame_all(const char *data, size_t size, const struct framer_opts *fo, uint64_t *h)
{
	struct source *src = source_open_mem("fuzz", data, size, fo->warn);
	struct framer *f;
	const struct record *rec;
	struct diag d = { 0 };
	size_t max = fo->max_record ? fo->max_record : FRAME_MAX_RECORD;
	long n = 0;
	int rc;

	if (!src)
		return -1;
	f = framer_open(src, fo);
	if (!f)
		return -1;
	while ((rc = framer_next(f, &rec, &d)) == 1) {
		FUZZ_ASSERT(rec->text != NULL);
		FUZZ_ASSERT(rec->text[rec->len] == '\0');
		FUZZ_ASSERT(rec->len <= max);
		FUZZ_ASSERT(rec->line >= 1);
		FUZZ_ASSERT(rec->kind != RECORD_YAML || rec->json != NULL);
		*h = mix(*h, &rec->kind, sizeof rec->kind);
		*h = mix(*h, &rec->line, sizeof rec->line);
		*h = mix(*h, &rec->cut, sizeof rec->cut);
		*h = mix(*h, rec->text, rec->len + 1);
		n++;
	}
	/* Memory never fails to be read: a mem source has no read errors. */
	FUZZ_ASSERT(rc == 0);
	framer_close(f);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char sel = fuzz_selector(&data, &size);
	struct framer_opts fo = { 0 };
	struct evstream_opts eo = { 0 };
	struct evstream *s;
	struct event *ev;
	struct diag d = { 0 };
	long records, events = 0, wrappers, items;
	uint64_t h = 14695981039346656037ull, h_bytes = h;
	int rc;

	/* bit 4: one of the named sources (bits 5-7 and 0-1 pick it) */
	fo.format = (sel & 16) ? (enum input_format)(INPUT_KUBECTL +
				  ((sel >> 5) * 4 + (sel & 3)) % (INPUT_FORMAT_COUNT - INPUT_KUBECTL))
			       : (enum input_format)(sel & 3);
	fo.max_record = (sel & 4) ? 512 : 0;
	fo.warn = fuzz_warn();
	records = frame_all((const char *)data, size, &fo, &h);
	if (records < 0)
		return 0;
	/* the byte scan alone (LOGWHY_NO_FASTPATH's) frames the same records */
	fo.byte_scan = 1;
	FUZZ_ASSERT(frame_all((const char *)data, size, &fo, &h_bytes) == records);
	FUZZ_ASSERT(h_bytes == h);
	fo.byte_scan = 0;

	eo.format = fo.format;
	eo.max_record = fo.max_record;
	eo.warn = fuzz_warn();
	eo.no_join = (sel & 8) != 0;
	s = evstream_open_mem("fuzz", (const char *)data, size, &eo);
	if (!s)
		return 0;
	while ((rc = evstream_next(s, &ev, &d)) == 1) {
		FUZZ_ASSERT(ev->msg != NULL);
		FUZZ_ASSERT(ev->line >= 1);
		events++;
	}
	FUZZ_ASSERT(rc == 0);
	FUZZ_ASSERT(evstream_records(s) == records);
	/* a wrapper is no event of its own: its records are */
	evstream_wrapped(s, &wrappers, &items);
	FUZZ_ASSERT(wrappers >= 0 && wrappers <= records && items >= 0);
	if (eo.no_join)
		FUZZ_ASSERT(events == records - wrappers + items);
	else
		FUZZ_ASSERT(events <= records - wrappers + items);
	evstream_close(s);
	return 0;
}
