#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "read/frame.h"
#include "read/source.h"
#include "sanitize/sanitize.h"
#include "util/term.h"

enum { OPT_ENUM = 100, OPT_NO_REDACT, OPT_CHECK };

static const struct opt sanitize_opts[] = {
	{ "enum", 0, "STYLE", "lower|name|value|repr",
	  "what <WebSocketState.CONNECTED: 1> becomes: lower \"connected\" (default), name \"CONNECTED\", value 1, repr (kept, as a string)", OPT_ENUM },
	{ "no-redact", 0, NULL, NULL, "leave secrets alone (JWTs, Bearer/Basic credentials, secret-named fields, rule patterns)", OPT_NO_REDACT },
	{ "check", 0, NULL, NULL, "write nothing to stdout; list each record that would change as 'file:line: kinds' on stderr; exit 1 if any", OPT_CHECK },
	{ "verbose", 'v', NULL, NULL, "per-kind rewrite counts on stderr", OPT_VERBOSE },
	OPT_COMMON_RULES,
	OPT_COMMON_INPUT,
	OPT_COMMON_COLOR,
	OPT_COMMON_MAX_RECORD,
	OPT_COMMON_OUTPUT_FILE,
	OPT_COMMON_QUIET,
	OPT_COMMON_VERSION,
	{ NULL, 0, NULL, NULL, NULL, 0 },
};

static const struct cmd_spec sanitize_spec = {
	"sanitize", "[OPTIONS] [FILE...]",
	"Write every record as one line of strict JSON (an object), for a log agent.\n"
	"FILE may be gzip-compressed; no FILE or '-' reads standard input.",
	"One line out per record in (records as the framer sees them: a pretty JSON\n"
	"object is one record, '{..} {..}' on one line two). A record that is already a one-line strict JSON\n"
	"object, valid UTF-8, with no Python repr, secret or duplicate key, is written\n"
	"byte for byte. Otherwise, counted by kind (-v):\n"
	"  Python reprs in strings and in Python-literal lines: enums (--enum),\n"
	"  datetime/date/time -> ISO 8601, timedelta -> ISO 8601 duration, UUID('..')\n"
	"  -> its text, Decimal('..') -> the number, b'..'/bytearray -> text (bad bytes\n"
	"  U+FFFD), <x.Y object at 0x..> -> \"<x.Y object>\", other calls -> strings;\n"
	"  sets, tuples -> arrays, OrderedDict/defaultdict/Counter -> objects,\n"
	"  True/False/None, 'quotes', non-string keys -> JSON;\n"
	"  NaN, Infinity, -Infinity -> null; invalid UTF-8 and lone surrogates ->\n"
	"  U+FFFD; control characters (C0, DEL, C1) escaped; a bad escape \\q kept as\n"
	"  the two characters; pretty-printed JSON joined onto one line;\n"
	"  duplicate keys: none is dropped, the 2nd \"k\" becomes \"k#2\" (then k#3);\n"
	"  integers outside int64 become strings of the same digits;\n"
	"  an array or scalar record becomes {\"message\": value}; a YAML record its JSON;\n"
	"  a text record {\"message\": \"whole text\"} plus \"severity\" and \"timestamp\"\n"
	"  (UTC, RFC 3339) when its prefix shows them; a Python traceback or\n"
	"  '--- Logging error ---' block is one record: one message with '\\n' in it;\n"
	"  JSON that does not parse (or nests deeper than 256) is kept as a message.\n"
	"Redaction (unless --no-redact) writes \"[REDACTED:jwt|bearer|field|KIND]\":\n"
	"  JWTs in any string, the credential after Bearer/Basic, string values of\n"
	"  fields named like secrets (password, passwd, secret, token, api_key,\n"
	"  authorization, cookie, *_secret, *_token, *_key, *_password; not\n"
	"  identifiers such as idempotency_key, cache_key, public_key, page_token),\n"
	"  and the `redact:` patterns of the loaded rules.\n"
	"Records over --max-record (default 8 MiB) are cut: the kept bytes become the\n"
	"message and \"logwhy_truncated\": N says how many bytes were cut.\n"
	"Output is flushed per line when the input is a pipe or terminal.\n"
	"Exit status: 0 ok (or nothing to change with --check), 1 --check found\n"
	"records to change, 2 usage, input or rule error.\n",
	sanitize_opts,
};

struct sanitize_args {
	struct common c;
	int enum_style;
	int no_redact;
	int check;
};

static int sanitize_option(void *ctx, int id, const char *value)
{
	struct sanitize_args *a = ctx;
	int r = common_option(&a->c, id, value);

	if (r)
		return r < 0;
	switch (id) {
	case OPT_ENUM:
		a->enum_style = sanitize_enum_parse(value);
		return 0;
	case OPT_NO_REDACT:
		a->no_redact = 1;
		return 0;
	case OPT_CHECK:
		a->check = 1;
		return 0;
	}
	return 1;
}

/*
 * The framer says how much it cut only in its warning ("record of N bytes
 * cut to the M-byte limit" at the record's line). A small queue keeps
 * those numbers until the record comes out.
 */
#define CUT_QUEUE 64

struct cut_sink {
	struct warn_sink next;
	struct { long line; size_t cut; } q[CUT_QUEUE];
	int n;
};

static void cut_warn(void *ctx, const struct diag *d)
{
	struct cut_sink *cs = ctx;
	unsigned long long total, limit;

	if (sscanf(d->msg, "record of %llu bytes cut to the %llu-byte limit", &total, &limit) == 2 &&
	    total > limit) {
		if (cs->n == CUT_QUEUE) {
			memmove(cs->q, cs->q + 1, sizeof cs->q[0] * (CUT_QUEUE - 1));
			cs->n--;
		}
		cs->q[cs->n].line = d->line;
		cs->q[cs->n].cut = (size_t)(total - limit);
		cs->n++;
	}
	if (cs->next.fn)
		cs->next.fn(cs->next.ctx, d);
}

/* Bytes cut from the record on lines [first, last]; taken off the queue. */
static size_t cut_take(struct cut_sink *cs, long first, long last)
{
	size_t sum = 0;
	int i, k = 0;

	for (i = 0; i < cs->n; i++) {
		if (cs->q[i].line >= first && cs->q[i].line <= last)
			sum += cs->q[i].cut;
		else if (cs->q[i].line > last)
			cs->q[k++] = cs->q[i];
	}
	cs->n = k;
	return sum;
}

static long last_line(const struct record *r)
{
	long n = r->line;
	const char *p = r->text, *end = r->text + r->len;

	while ((p = memchr(p, '\n', (size_t)(end - p)))) {
		n++;
		p++;
	}
	return n;
}

static int interactive(const char *path)
{
	struct stat st;
	int fd = strcmp(path, "-") ? -1 : 0;

	if (fd < 0)
		return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
	return fstat(fd, &st) == 0 && !S_ISREG(st.st_mode);
}

struct totals {
	unsigned long long records, changed;
	unsigned long long count[SAN_NKINDS];
};

/* -1: the input could not be read (error printed); -2: write error. */
static int sanitize_input(const char *path, struct sanitize_args *a, struct sanitizer *z,
			  struct totals *t)
{
	struct cut_sink cs;
	struct diag d = { 0 };
	struct framer_opts fo;
	struct source *src;
	struct framer *f;
	const struct record *rec;
	int rc, flush = !a->check && interactive(path);

	memset(&cs, 0, sizeof cs);
	cs.next = cli_warn_sink(&a->c);
	fo.format = a->c.format;
	fo.max_record = a->c.max_record;
	fo.warn = &(struct warn_sink){ cut_warn, &cs };
	src = source_open(path, fo.warn, &d);
	if (!src) {
		cli_error(&d);
		return -1;
	}
	source_readahead(src, !cli_no_fastpath());
	f = framer_open(src, &fo);
	if (!f) {
		cli_errorf("out of memory");
		return -1;
	}
	while ((rc = framer_next(f, &rec, &d)) == 1) {
		struct sanitize_result res;
		const char *line;
		size_t len, cut = 0;
		int k;

		if (rec->truncated)
			cut = cut_take(&cs, rec->line, last_line(rec));
		if (sanitize_record(z, rec, cut, &line, &len, &res, &d) < 0) {
			cli_error(&d);
			rc = -1;
			break;
		}
		t->records++;
		if (res.changed)
			t->changed++;
		for (k = 0; k < SAN_NKINDS; k++)
			t->count[k] += res.count[k];
		if (a->check) {
			if (res.changed && !a->c.quiet) {
				const char *sep = "";

				/* a file name can carry an escape sequence too */
				term_put(stderr, rec->source, strlen(rec->source));
				fprintf(stderr, ":%ld: ", rec->line);
				for (k = 0; k < SAN_NKINDS; k++)
					if (res.count[k]) {
						fprintf(stderr, "%s%s", sep, sanitize_kind_name((enum sanitize_kind)k));
						sep = ",";
					}
				if (!*sep)
					fputs("rewritten", stderr);
				fputc('\n', stderr);
			}
			continue;
		}
		if (fwrite(line, 1, len, stdout) != len || putchar('\n') == EOF ||
		    (flush && fflush(stdout) == EOF)) {
			rc = -2;
			break;
		}
	}
	if (rc == -1)
		cli_error(&d);
	framer_close(f);
	return rc < 0 ? rc : 0;
}

static void print_counts(const struct totals *t)
{
	int k;

	fprintf(stderr, "logwhy: %llu records, %llu rewritten, %llu unchanged\n",
		t->records, t->changed, t->records - t->changed);
	for (k = 0; k < SAN_NKINDS; k++)
		if (t->count[k])
			fprintf(stderr, "logwhy:   %-16s %llu\n",
				sanitize_kind_name((enum sanitize_kind)k), t->count[k]);
}

int cmd_sanitize(int argc, char **argv)
{
	struct sanitize_args a;
	struct sanitize_opts so;
	struct sanitize_pattern *pats = NULL;
	struct totals t;
	struct ruleset *rs;
	struct sanitizer *z;
	char **inputs;
	size_t np = 0, i, j;
	int npos, rc, k, bad = 0;

	memset(&a, 0, sizeof a);
	memset(&t, 0, sizeof t);
	common_init(&a.c);
	rc = opt_parse(&sanitize_spec, argc, argv, &npos, sanitize_option, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	/* common_option takes --version (and --color: NDJSON has none to give) */
	if (a.c.version)
		return cli_version(&a.c);
	if ((rc = cli_output_open(&a.c)))
		return rc;
	rs = cli_load_rules(&a.c);
	if (!rs)
		return 2;
	for (i = 0; i < rs->n; i++)
		np += rs->rules[i]->nredact;
	if (np && !(pats = calloc(np, sizeof *pats))) {
		cli_errorf("out of memory");
		ruleset_free(rs);
		return 2;
	}
	np = 0;
	for (i = 0; i < rs->n; i++)
		for (j = 0; j < rs->rules[i]->nredact; j++) {
			pats[np].kind = rs->rules[i]->redact[j].kind;
			pats[np].code = rs->rules[i]->redact[j].code;
			np++;
		}
	memset(&so, 0, sizeof so);
	so.enum_style = (enum sanitize_enum)a.enum_style;
	so.no_redact = a.no_redact;
	so.patterns = pats;
	so.npatterns = np;
	so.max_record = a.c.max_record;
	z = sanitizer_new(&so);
	if (!z) {
		cli_errorf("out of memory");
		free(pats);
		ruleset_free(rs);
		return 2;
	}

	if (cli_inputs_expand(&a.c, argv + 1, npos, &inputs, &npos, &bad) < 0)
		inputs = NULL;
	for (k = 0; inputs && k < npos; k++) {
		rc = sanitize_input(inputs[k], &a, z, &t);
		if (rc == -2) {
			cli_errorf("write error: %s", strerror(errno));
			bad = 1;
			break;
		}
		if (rc < 0)
			bad = 1;
	}
	if (!inputs || (cli_output_close(&a.c) < 0 && !bad))
		bad = 1;
	cli_inputs_free(inputs);
	if (a.c.verbose && !a.c.quiet)
		print_counts(&t);
	sanitizer_free(z);
	free(pats);
	ruleset_free(rs);
	if (bad)
		return 2;
	return a.check && t.changed ? 1 : 0;
}
