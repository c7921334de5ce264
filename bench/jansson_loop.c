/*
 * Baseline for `logwhy sanitize` throughput: the plain way to make every
 * NDJSON line valid JSON, a jansson parse and dump per line. Lines that do
 * not parse are skipped (the baseline does less than sanitize).
 *
 * Build (not part of the Makefile):
 *   gcc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -o build/jansson_loop \
 *       bench/jansson_loop.c $(pkg-config --cflags --libs jansson)
 * Run: build/jansson_loop < corpus.ndjson > /dev/null
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long ok = 0, bad = 0;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		json_error_t err;
		json_t *v = json_loadb(line, (size_t)n, JSON_DECODE_ANY, &err);
		char *out;

		if (!v) {
			bad++;
			continue;
		}
		out = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (out) {
			fputs(out, stdout);
			putchar('\n');
			free(out);
		}
		json_decref(v);
		ok++;
	}
	free(line);
	fprintf(stderr, "jansson_loop: %ld lines, %ld unparsed\n", ok, bad);
	return 0;
}
