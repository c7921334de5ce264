#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "read/frame.h"
#include "read/source.h"
#include "rules/prefilter.h"
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
	"  and the `redact:` patterns of the loaded rules, each with its KIND (the\n"
	"  shipped rules/secrets.yml: url-password, aws-access-key, github-token,\n"
	"  private-key, password, secret, ...); a pattern's 'secret' group limits the\n"
	"  redaction to that part (postgres://app:[REDACTED:url-password]@db/prod).\n"
	"  The body lines of a PEM private key that follow its BEGIN line in a text\n"
	"  log are redacted too. Records holding none of the patterns' literals are\n"
	"  not searched.\n"
	"Records over --max-record (default 8 MiB) are cut: the kept bytes become the\n"
	"message and \"logwhy_truncated\": N says how many bytes were cut. What was\n"
	"read of a JSON value the input ends inside (the last element of a cut\n"
	"array too) becomes the message, marked \"logwhy_incomplete\": true.\n"
	"Output is flushed per line when the input is a pipe or terminal.\n"
	"Exit status: 0 ok (or nothing to change with --check), 1 --check found\n"
	"records to change, 2 usage, input or rule error.\n",
	sanitize_opts,
	NULL,
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
	unsigned long long *kcount;       /* by sanitizer_kind */
	unsigned long long *kscratch;     /* one record's, for put_kinds */
};

/*
 * The kinds of one record (or of the run), as names: the fixed kinds, with
 * "redacted-rule" split into "redacted-KIND" per pattern kind. A pattern
 * kind named like a built-in one (jwt, bearer, private-key) is the same
 * name, listed once.
 */
static void put_kinds(FILE *fp, const struct sanitizer *z, const unsigned long long *count,
		      const unsigned long long *kcount, int table)
{
	const char *sep = "";
	size_t k, j;

	for (k = 0; k < SAN_NKINDS; k++) {
		const char *name = sanitize_kind_name((enum sanitize_kind)k);
		unsigned long long c = count[k];

		if (k == SAN_REDACTED_RULE)
			continue;
		for (j = 0; j < sanitizer_nkinds(z); j++)
			if (!strncmp(name, "redacted-", 9) && !strcmp(name + 9, sanitizer_kind(z, j)))
				c += kcount[j];
		if (!c)
			continue;
		if (table)
			fprintf(fp, "logwhy:   %-16s %llu\n", name, c);
		else
			fprintf(fp, "%s%s", sep, name);
		sep = ",";
	}
	for (j = 0; j < sanitizer_nkinds(z); j++) {
		const char *kind = sanitizer_kind(z, j);

		if (!kcount[j])
			continue;
		for (k = 0; k < SAN_NKINDS; k++) {
			const char *name = sanitize_kind_name((enum sanitize_kind)k);

			if (k != SAN_REDACTED_RULE && !strncmp(name, "redacted-", 9) &&
			    !strcmp(name + 9, kind))
				break;
		}
		if (k < SAN_NKINDS)
			continue;   /* listed with the built-in kind */
		if (table)
			fprintf(fp, "logwhy:   redacted-%-7s %llu\n", kind, kcount[j]);
		else
			fprintf(fp, "%sredacted-%s", sep, kind);
		sep = ",";
	}
	if (!table && !*sep)
		fputs("rewritten", fp);
}

/* -1: the input could not be read (error printed); -2: write error. */
static int sanitize_input(const char *path, struct sanitize_args *a, struct sanitizer *z,
			  struct totals *t)
{
	struct warn_sink warn = cli_warn_sink(&a->c);
	struct diag d = { 0 };
	struct framer_opts fo;
	struct source *src;
	struct framer *f;
	const struct record *rec;
	int rc, flush = !a->check && interactive(path);

	memset(&fo, 0, sizeof fo);
	fo.format = a->c.format;
	fo.max_record = a->c.max_record;
	fo.keep_partial = 1;   /* nothing read is lost: a cut array's last element too */
	fo.warn = &warn;
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
		size_t len, j;
		int k;

		if (sanitize_record(z, rec, &line, &len, &res, &d) < 0) {
			cli_error(&d);
			rc = -1;
			break;
		}
		t->records++;
		if (res.changed)
			t->changed++;
		for (k = 0; k < SAN_NKINDS; k++)
			t->count[k] += res.count[k];
		for (j = 0; j < res.nkind; j++)
			t->kcount[j] += res.kind_count[j];
		if (a->check) {
			if (res.changed && !a->c.quiet) {
				unsigned long long c[SAN_NKINDS], *kc = t->kscratch;

				for (k = 0; k < SAN_NKINDS; k++)
					c[k] = res.count[k];
				for (j = 0; j < res.nkind; j++)
					kc[j] = res.kind_count[j];
				/* a file name can carry an escape sequence too */
				term_put(stderr, rec->source, strlen(rec->source));
				fprintf(stderr, ":%ld: ", rec->line);
				put_kinds(stderr, z, c, kc, 0);
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

static void print_counts(const struct totals *t, const struct sanitizer *z)
{
	fprintf(stderr, "logwhy: %llu records, %llu rewritten, %llu unchanged\n",
		t->records, t->changed, t->records - t->changed);
	put_kinds(stderr, z, t->count, t->kcount, 1);
}

/* NULL when some pattern has no literal to look for (or out of memory):
 * then every record is searched. */
static struct prefilter *redact_prefilter(const struct rule_redact **rd, size_t np)
{
	const char **pat = calloc(np + 1, sizeof *pat);
	size_t *len = calloc(np + 1, sizeof *len), i;
	struct prefilter *pf = NULL;

	if (pat && len) {
		for (i = 0; i < np; i++) {
			pat[i] = rd[i]->src;
			len[i] = rd[i]->srclen;
		}
		pf = prefilter_build_patterns(pat, len, np, sanitize_builtin_literals);
	}
	free(pat);
	free(len);
	return pf;
}

int cli_redact_init(struct sanitize_opts *o, const struct ruleset *rs, struct prefilter **pf)
{
	size_t np = ruleset_redactions(rs, NULL, 0), i;
	const struct rule_redact **rd = calloc(np + 1, sizeof *rd);
	struct sanitize_pattern *pats = calloc(np + 1, sizeof *pats);

	*pf = NULL;
	if (!rd || !pats) {
		free(rd);
		free(pats);
		cli_errorf("out of memory");
		return -1;
	}
	ruleset_redactions(rs, rd, np);
	for (i = 0; i < np; i++) {
		pats[i].kind = rd[i]->kind;
		pats[i].code = rd[i]->code;
		pats[i].secret_group = rd[i]->secret_group;
		rule_redact_jit(rd[i]);   /* every one runs on every record */
	}
	o->patterns = pats;
	o->npatterns = np;
	/* a record with none of the redactions' literals is not searched */
	if (!cli_no_fastpath() && (*pf = redact_prefilter(rd, np))) {
		o->prefilter = *pf;
		o->may_match = prefilter_may_match;
	}
	free(rd);
	return 0;
}

void cli_redact_free(struct sanitize_opts *o, struct prefilter *pf)
{
	prefilter_free(pf);
	free((void *)o->patterns);
	o->patterns = NULL;
	o->npatterns = 0;
}

int cmd_sanitize(int argc, char **argv)
{
	struct sanitize_args a;
	struct sanitize_opts so;
	struct prefilter *pf = NULL;
	struct totals t;
	struct ruleset *rs;
	struct sanitizer *z;
	char **inputs;
	int npos, rc, k, bad = 0;

	memset(&a, 0, sizeof a);
	memset(&t, 0, sizeof t);
	common_init(&a.c);
	if (cli_parse(&sanitize_spec, argc, argv, &npos, sanitize_option, &a, &a.c, &rc))
		return rc;
	if ((rc = cli_output_open(&a.c)))
		return rc;
	rs = cli_load_rules(&a.c);
	if (!rs)
		return 2;
	memset(&so, 0, sizeof so);
	so.enum_style = (enum sanitize_enum)a.enum_style;
	so.no_redact = a.no_redact;
	if (!a.no_redact && cli_redact_init(&so, rs, &pf) < 0) {
		ruleset_free(rs);
		return 2;
	}
	so.max_record = a.c.max_record;
	z = sanitizer_new(&so);
	if (!z) {
		cli_errorf("out of memory");
		cli_redact_free(&so, pf);
		ruleset_free(rs);
		return 2;
	}

	t.kcount = calloc(sanitizer_nkinds(z) + 1, sizeof *t.kcount);
	t.kscratch = calloc(sanitizer_nkinds(z) + 1, sizeof *t.kscratch);
	inputs = NULL;
	if (!t.kcount || !t.kscratch)
		cli_errorf("out of memory");
	else if (cli_inputs_expand(&a.c, argv + 1, npos, &inputs, &npos, &bad) < 0)
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
		print_counts(&t, z);
	free(t.kcount);
	free(t.kscratch);
	sanitizer_free(z);
	cli_redact_free(&so, pf);
	ruleset_free(rs);
	if (bad)
		return 2;
	return a.check && t.changed ? 1 : 0;
}
