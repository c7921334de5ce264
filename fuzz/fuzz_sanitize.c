/*
 * Sanitizer rewriting (sanitize/): bytes framed as `logwhy sanitize` frames
 * them, every record sanitized, with a rule's redact patterns loaded once.
 *
 * Selector byte: bits 0-1 --enum style, bit 2 --no-redact, bits 3-4 the
 * input format (auto, json, yaml, text), bit 5 a 512-byte record limit.
 * Promises checked (product.md, `sanitize`): one line per record, no
 * newline in it, a strict JSON object with no duplicate keys, under 8x the
 * record limit; an unchanged record is its own bytes; and a line sanitize
 * wrote, sanitized again, is still all that.
 */
#include "fuzz.h"

#include <jansson.h>

#include "read/frame.h"
#include "read/source.h"
#include "rules/ruleset.h"
#include "sanitize/sanitize.h"

static const char redact_rule[] =
	"id: privacy.account-number\n"
	"title: Account numbers in logs\n"
	"category: privacy\n"
	"role: context\n"
	"severity: info\n"
	"match:\n"
	"  message: 'acct-\\d{6}'\n"
	"message: account number logged\n"
	"redact:\n"
	"  - { pattern: 'acct-\\d{6}', kind: account }\n"
	"  - pattern: '[\\w.+-]+@[\\w-]+\\.[\\w.]+'\n"
	"    kind: email\n"
	"  - pattern: '://[^\\s/@:]*:(?<secret>[^\\s/@]*)@'\n"
	"    kind: url-password\n";

static struct sanitize_pattern pats[RULE_MAX_REDACT];
static size_t npats;

/* The ruleset lives as long as the process: the patterns borrow from it. */
static void load_patterns(void)
{
	static struct ruleset *rs;
	const struct rule_redact *rd[RULE_MAX_REDACT];
	struct diag d;
	size_t i;

	if (rs)
		return;
	rs = ruleset_new();
	if (!rs || ruleset_load_mem(rs, "redact.yml", redact_rule, sizeof redact_rule - 1, &d) < 0 ||
	    ruleset_finish(rs, &d) < 0)
		abort();
	npats = ruleset_redactions(rs, rd, RULE_MAX_REDACT);
	if (npats > RULE_MAX_REDACT)
		npats = RULE_MAX_REDACT;
	for (i = 0; i < npats; i++) {
		pats[i].kind = rd[i]->kind;
		pats[i].code = rd[i]->code;
		rule_redact_jit(rd[i]);   /* as cli_redact_init does */
		pats[i].secret_group = rd[i]->secret_group;
	}
}

/* One output line: no newline, a strict JSON object with no duplicate
 * keys. */
static void check_line(const char *line, size_t len)
{
	json_error_t err;
	json_t *j;

	FUZZ_ASSERT(memchr(line, '\n', len) == NULL);
	j = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
	/* "\u0000" in a key is valid JSON that jansson cannot hold */
	if (!j && strstr(err.text, "NUL byte in object key"))
		j = json_object();
	if (!j)
		fprintf(stderr, "not JSON (%s at %d): %.*s\n", err.text, err.position,
			(int)len, line);
	FUZZ_ASSERT(j != NULL && json_is_object(j));
	json_decref(j);
}

/*
 * A line sanitize wrote, sanitized again (a pipeline with two sanitizers):
 * still one valid line. Not necessarily unchanged: text kept as a message
 * is not rewritten, but once it is a JSON string value, a repr in it is.
 */
static void again(struct sanitizer *z, const char *line, size_t len)
{
	char *copy = fuzz_strdup((const uint8_t *)line, len);
	struct record rec;
	struct sanitize_result res;
	struct diag d;
	const char *out;
	size_t olen;

	if (!copy)
		return;
	memset(&rec, 0, sizeof rec);
	rec.source = "again";
	rec.line = 1;
	rec.kind = RECORD_JSON;
	rec.text = copy;
	rec.len = len;
	FUZZ_ASSERT(sanitize_record(z, &rec, &out, &olen, &res, &d) == 0);
	check_line(out, olen);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char sel = fuzz_selector(&data, &size);
	struct sanitize_opts so = { 0 };
	struct framer_opts fo = { 0 };
	struct sanitizer *z, *z2;
	struct source *src;
	struct framer *f;
	const struct record *rec;
	struct diag d = { 0 };
	int rc;

	load_patterns();
	so.enum_style = (enum sanitize_enum)(sel & 3);
	so.no_redact = (sel & 4) != 0;
	so.patterns = pats;
	so.npatterns = npats;
	so.max_record = (sel & 32) ? 512 : 0;
	fo.format = (enum input_format)((sel >> 3) & 3);
	fo.keep_partial = (sel & 64) != 0;
	fo.max_record = so.max_record;
	fo.warn = fuzz_warn();

	z = sanitizer_new(&so);
	z2 = sanitizer_new(&so);
	src = source_open_mem("fuzz", (const char *)data, size, fo.warn);
	f = src ? framer_open(src, &fo) : NULL;
	if (!z || !z2 || !f)
		goto out;
	while ((rc = framer_next(f, &rec, &d)) == 1) {
		struct sanitize_result res;
		const char *line;
		size_t len;

		FUZZ_ASSERT(sanitize_record(z, rec, &line, &len, &res, &d) == 0);
		FUZZ_ASSERT(len < 8 * (so.max_record ? so.max_record : FRAME_MAX_RECORD));
		if (!res.changed)
			FUZZ_ASSERT(len == rec->len && memcmp(line, rec->text, len) == 0);
		check_line(line, len);
		again(z2, line, len);
	}
	FUZZ_ASSERT(rc == 0);
out:
	framer_close(f);
	sanitizer_free(z2);
	sanitizer_free(z);
	return 0;
}
