#ifndef LOGWHY_FUZZ_H
#define LOGWHY_FUZZ_H

/*
 * Shared by the fuzz harnesses (fuzz/fuzz_*.c). Each harness defines
 * LLVMFuzzerTestOneInput; libFuzzer supplies main, or fuzz/afl_main.c does
 * for AFL++ and for replaying files. A harness frees everything it makes
 * (leak detection is on) and writes no files.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A harness checks a documented promise with this: a broken one is a bug
 * even when no sanitizer notices, so it aborts and the input is kept. */
#define FUZZ_ASSERT(c)                                                        \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "%s:%d: promise broken: %s\n", __FILE__, \
				__LINE__, #c);                                \
			abort();                                              \
		}                                                             \
	} while (0)

/* A warn sink that formats every warning, as the CLI's does, so the
 * formatting of located messages runs on fuzzed names and text. */
static inline void fuzz_warn_fn(void *ctx, const struct diag *d)
{
	char line[1200];

	(void)ctx;
	FUZZ_ASSERT(memchr(d->file, '\0', sizeof d->file) != NULL);
	FUZZ_ASSERT(memchr(d->msg, '\0', sizeof d->msg) != NULL);
	diag_format(d, line, sizeof line);
	FUZZ_ASSERT(strlen(line) < sizeof line);
}

static inline const struct warn_sink *fuzz_warn(void)
{
	static const struct warn_sink w = { fuzz_warn_fn, NULL };

	return &w;
}

/*
 * Option bits from a leading selector byte: harnesses whose behaviour has
 * switches take the first input byte as them and fuzz the rest, so the
 * fuzzer explores options and input together. Seeds get '@' (0x40) in
 * front: every switch at its default. Empty input: selector 0x40.
 */
static inline unsigned char fuzz_selector(const uint8_t **data, size_t *size)
{
	unsigned char sel = 0x40;

	if (*size > 0) {
		sel = (*data)[0];
		(*data)++;
		(*size)--;
	}
	return sel;
}

/* A NUL-terminated heap copy of the input (the fuzzer's buffer is exactly
 * size bytes: reading one past it is caught by ASan). NULL: out of memory. */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		for (size_t i = 0; i < size; i++)
			s[i] = (char)data[i];
		s[size] = '\0';
	}
	return s;
}

#endif
