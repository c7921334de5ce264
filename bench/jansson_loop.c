/*
 * Baseline for `logwhy sanitize` throughput: the plain way to make every
 * NDJSON line valid JSON, a jansson parse and dump per line. Lines that do
 * not parse are skipped (the baseline does less than sanitize). With the
 * argument `parse` it only parses: the floor of any tool that parses every
 * record, which triage and lint are meant to beat by not doing so.
 *
 * Built by `make bench`. Run: build/jansson_loop [parse] < corpus.ndjson
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	int dump = !(argc > 1 && strcmp(argv[1], "parse") == 0);
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
		out = dump ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
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
