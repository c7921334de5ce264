/*
 * Close-trace parsing (event/close.c): any log message, as the normalizer
 * hands it over (not NUL-terminated). Promises checked: present only when
 * it says so, the reason NUL-terminated inside its array and free of
 * control bytes but tab, codes and
 * statuses in range, direction and client well-formed.
 */
#include "fuzz.h"

#include "event/close.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy: a read past the message is an ASan report. */
	char *msg = malloc(size ? size : 1);
	struct close_trace c;
	int r;

	if (!msg)
		return 0;
	memcpy(msg, data, size);
	memset(&c, 0x5a, sizeof c);
	r = close_parse(msg, size, &c);
	FUZZ_ASSERT(r == 0 || r == 1);
	FUZZ_ASSERT(c.present == r);
	if (r == 1) {
		FUZZ_ASSERT(memchr(c.reason, '\0', sizeof c.reason) != NULL);
		/* "never holds a NUL or an escape sequence" (close.c) */
		for (const char *p = c.reason; *p; p++)
			FUZZ_ASSERT((unsigned char)*p >= 0x20 || *p == '\t');
		FUZZ_ASSERT(c.code == 0 || (c.code >= 1000 && c.code <= 4999));
		FUZZ_ASSERT(c.http_status == 0 || (c.http_status >= 100 && c.http_status <= 599));
		FUZZ_ASSERT(c.direction >= CLOSE_DIR_UNKNOWN && c.direction <= CLOSE_DIR_SENT);
		FUZZ_ASSERT(c.clean >= -1 && c.clean <= 1);
		FUZZ_ASSERT(c.elapsed_ms >= -1);
		FUZZ_ASSERT(c.client != NULL && strlen(c.client) > 0);
	}
	free(msg);
	return 0;
}
