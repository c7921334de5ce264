/*
 * A main for the libFuzzer harnesses when libFuzzer is not linked: AFL++
 * (afl-clang-fast, see fuzz/README.md) and plain replay. With no argument
 * it reads one input from stdin; with arguments it runs each file in turn.
 * Under afl-clang-fast (which defines __AFL_FUZZ_TESTCASE_LEN) it uses
 * AFL++'s shared-memory persistent mode instead: many inputs per process,
 * no stdin, no fork per input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
#endif

#define AFL_MAIN_MAX ((size_t)1 << 20)   /* larger inputs are cut, as -max_len does */

static int run_stream(FILE *in, const char *name)
{
	uint8_t *buf = malloc(AFL_MAIN_MAX);
	size_t n;

	if (!buf) {
		fprintf(stderr, "afl_main: out of memory\n");
		return 1;
	}
	n = fread(buf, 1, AFL_MAIN_MAX, in);
	if (ferror(in)) {
		fprintf(stderr, "afl_main: %s: read error\n", name);
		free(buf);
		return 1;
	}
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int i, rc = 0;

	if (argc < 2) {
#ifdef __AFL_FUZZ_TESTCASE_LEN
		unsigned char *buf;

		__AFL_INIT();
		buf = __AFL_FUZZ_TESTCASE_BUF;
		while (__AFL_LOOP(10000))
			LLVMFuzzerTestOneInput(buf, (size_t)__AFL_FUZZ_TESTCASE_LEN);
		return 0;
#else
		return run_stream(stdin, "<stdin>");
#endif
	}
	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");

		if (!f) {
			perror(argv[i]);
			rc = 1;
			continue;
		}
		rc |= run_stream(f, argv[i]);
		fclose(f);
	}
	return rc;
}
