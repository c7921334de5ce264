#include <errno.h>
#include <string.h>

#include "emit/emit_impl.h"
#include "util/tmp.h"
#include "util/utf8.h"

#define JUNIT_TEXT_MAX 4096

/*
 * XML 1.0 text or attribute value from arbitrary bytes, always
 * well-formed: markup characters become entities; controls that XML 1.0
 * forbids (everything below 0x20 but TAB, LF, CR) become a visible "\xNN",
 * C1 controls (which a terminal may obey) a visible "\u00NN";
 * invalid UTF-8 becomes U+FFFD; U+FFFE/U+FFFF (not XML characters either)
 * become U+FFFD. In attributes TAB, LF and CR are character references, or
 * attribute normalization would turn them into spaces. A code point cut by
 * limit is dropped rather than mangled.
 */
static int xml_escape(struct buf *b, const char *s, size_t n, size_t limit, int attr)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	if (limit > n)
		limit = n;
	while (i < limit) {
		unsigned c = p[i], cp;
		size_t k;
		int rc;

		if (c >= 0x80) {
			k = utf8_decode(p + i, n - i, &cp);
			if (k && i + k > limit)
				break;
			if (!k || cp == 0xfffe || cp == 0xffff) {
				rc = buf_add(b, "\xef\xbf\xbd", 3);
				i += k ? k : 1;
			} else if (cp <= 0x9f) {
				/* C1 (U+009B is CSI): visible, as C0 is */
				rc = buf_addf(b, "\\u%04x", cp);
				i += k;
			} else {
				rc = buf_add(b, s + i, k);
				i += k;
			}
			if (rc < 0)
				return -1;
			continue;
		}
		switch (c) {
		case '&':
			rc = buf_adds(b, "&amp;");
			break;
		case '<':
			rc = buf_adds(b, "&lt;");
			break;
		case '>':
			rc = buf_adds(b, "&gt;");
			break;
		case '"':
			rc = attr ? buf_adds(b, "&quot;") : buf_addc(b, '"');
			break;
		case '\t':
		case '\n':
			rc = attr ? buf_addf(b, "&#%u;", c) : buf_addc(b, (char)c);
			break;
		case '\r':
			/* A raw CR in text is normalized away by parsers. */
			rc = buf_adds(b, "&#13;");
			break;
		default:
			rc = c < 0x20 ? buf_addf(b, "\\x%02x", c) : buf_addc(b, (char)c);
		}
		if (rc < 0)
			return -1;
		i++;
	}
	return 0;
}

static int xml_escape_str(struct buf *b, const char *s, int attr)
{
	size_t n = s ? strlen(s) : 0;

	return xml_escape(b, s ? s : "", n, n, attr);
}

/* A finding below --fail-on passes: GitLab and Jenkins mark any <failure> red. */
static int junit_fails(const struct emitter *e, const struct finding *f)
{
	if (!e->opts.fail_on_set)
		return 1;
	return e->opts.fail_on != LEVEL_NEVER && (int)f->rule->level >= e->opts.fail_on;
}

static int junit_finding(struct emitter *e, const struct finding *f)
{
	struct buf *b = &e->b;
	const char *text = f->ev->text ? f->ev->text : f->ev->msg;
	size_t tlen = f->ev->text ? f->ev->text_len : f->ev->msg_len;
	int fails = junit_fails(e, f);

	/* Spool, since the counts go in attributes at the top. Opened on the
	 * first finding: a clean run needs no temporary file. */
	if (!e->spool && !(e->spool = tmp_file()))
		return -1;
	if (buf_adds(b, "    <testcase classname=\"") < 0 ||
	    xml_escape_str(b, f->rule->id, 1) < 0 ||
	    buf_adds(b, "\" name=\"") < 0 ||
	    xml_escape_str(b, emit_source(f), 1) < 0 ||
	    buf_addf(b, ":%ld\">\n", f->ev->line) < 0)
		return -1;
	if (fails) {
		if (buf_addf(b, "      <failure type=\"%s\" message=\"",
			     rule_level_name(f->rule->level)) < 0 ||
		    xml_escape_str(b, emit_message(f), 1) < 0 ||
		    buf_adds(b, "\">") < 0 ||
		    (text && xml_escape(b, text, tlen, JUNIT_TEXT_MAX, 0) < 0) ||
		    buf_adds(b, "</failure>\n    </testcase>\n") < 0)
			return -1;
		e->nfailures++;
	} else {
		/* shown, not failed: the finding and its record as output */
		if (buf_addf(b, "      <system-out>%s: ", rule_level_name(f->rule->level)) < 0 ||
		    xml_escape_str(b, emit_message(f), 0) < 0 ||
		    buf_addc(b, '\n') < 0 ||
		    (text && xml_escape(b, text, tlen, JUNIT_TEXT_MAX, 0) < 0) ||
		    buf_adds(b, "</system-out>\n    </testcase>\n") < 0)
			return -1;
	}
	return fwrite(b->p, 1, b->len, e->spool) == b->len ? 0 : -1;
}

static int junit_copy(FILE *from, FILE *to)
{
	char chunk[16384];
	size_t n;

	if (fflush(from) != 0 || fseek(from, 0, SEEK_SET) != 0)
		return -1;
	while ((n = fread(chunk, 1, sizeof chunk, from)) > 0)
		if (fwrite(chunk, 1, n, to) != n)
			return -1;
	if (ferror(from)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}

static int junit_close(struct emitter *e, const struct emit_stats *s)
{
	long n = e->nfindings, nf = e->nfailures;
	FILE *out = e->out;

	(void)s;
	/* A report with no testcase shows as "no tests" (or fails the job)
	 * in GitLab and Jenkins; one passing case shows the lint passed. */
	if (fprintf(out,
		    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<testsuites name=\"logwhy\" tests=\"%ld\" failures=\"%ld\" errors=\"0\">\n"
		    "  <testsuite name=\"logwhy lint\" tests=\"%ld\" failures=\"%ld\""
		    " errors=\"0\" skipped=\"0\">\n",
		    n ? n : 1, nf, n ? n : 1, nf) < 0)
		return -1;
	if (!n) {
		if (fputs("    <testcase classname=\"logwhy\" name=\"lint\"/>\n", out) == EOF)
			return -1;
	} else if (junit_copy(e->spool, out) < 0) {
		return -1;
	}
	return fputs("  </testsuite>\n</testsuites>\n", out) == EOF ? -1 : 0;
}

const struct emitter_ops emit_junit_ops = { NULL, junit_finding, junit_close, NULL };
