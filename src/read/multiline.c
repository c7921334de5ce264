#include "read/multiline.h"

#include <string.h>

enum {
	ST_OUT = 0,
	ST_LOGERR,     /* after "--- Logging error ---" */
	ST_TB,         /* inside traceback frames */
	ST_EXC,        /* after the exception line */
	ST_CHAIN,      /* after "During handling ..." / "The above exception ..." */
	ST_CALLSTACK,  /* after "Call stack:" */
	ST_MESSAGE,    /* after "Message: ..." */
	ST_DONE,       /* after "Arguments: ...": the logging error block is over */
};

static int has_prefix(const char *s, size_t n, const char *p)
{
	size_t k = strlen(p);

	return n >= k && memcmp(s, p, k) == 0;
}

static size_t trim_len(const char *s, size_t n)
{
	while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n;
}

static int is_indented(const char *s, size_t n)
{
	return n && (s[0] == ' ' || s[0] == '\t');
}

static int is_header_logerr(const char *s, size_t n)
{
	return n == 21 && memcmp(s, "--- Logging error ---", 21) == 0;
}

static int is_header_tb(const char *s, size_t n)
{
	return has_prefix(s, n, "Traceback (most recent call last):");
}

static int is_chain(const char *s, size_t n)
{
	return has_prefix(s, n, "During handling of the above exception") ||
	       has_prefix(s, n, "The above exception was the direct cause");
}

/* "ValueError", "json.decoder.JSONDecodeError: ...", "KeyError: 'x'",
 * "socket.gaierror: ...": an exception class is CamelCase, or named with
 * its module. A lower-case word alone ("tool_executing: search") is an
 * application's own "key: value" line, not the end of a traceback. */
static int is_exception_line(const char *s, size_t n)
{
	size_t i = 0;
	int dotted = 0;

	if (!n || !(s[0] == '_' || (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
		return 0;
	while (i < n && (s[i] == '_' || s[i] == '.' || (s[i] >= '0' && s[i] <= '9') ||
			 (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'))) {
		dotted |= s[i] == '.';
		i++;
	}
	if (!dotted && !(s[0] >= 'A' && s[0] <= 'Z') && !(s[0] == '_' && n > 1 && s[1] >= 'A' && s[1] <= 'Z'))
		return 0;
	return i == n || s[i] == ':';
}

void multiline_init(struct multiline *m)
{
	m->state = ST_OUT;
	m->logerr = 0;
}

int multiline_idle(const struct multiline *m)
{
	return m->state == ST_OUT && !m->logerr;
}

int multiline_open(const struct multiline *m)
{
	switch (m->state) {
	case ST_LOGERR:
	case ST_TB:
	case ST_CHAIN:
	case ST_CALLSTACK:
	case ST_MESSAGE:
		return 1;
	case ST_EXC:
		return m->logerr;
	default:
		return 0;
	}
}

int multiline_header(const char *line, size_t len)
{
	size_t n = trim_len(line, len);

	return is_header_logerr(line, n) || is_header_tb(line, n);
}

int multiline_done(const struct multiline *m)
{
	return m->state == ST_OUT || m->state == ST_DONE;
}

enum ml_class multiline_feed(struct multiline *m, const char *line, size_t len)
{
	size_t n = trim_len(line, len);

	if (is_header_logerr(line, n)) {
		m->state = ST_LOGERR;
		m->logerr = 1;
		return ML_START;
	}
	if (is_header_tb(line, n)) {
		int inside = m->state == ST_LOGERR || m->state == ST_CHAIN;

		if (!inside)
			m->logerr = 0;
		m->state = ST_TB;
		return inside ? ML_CONT : ML_START;
	}
	switch (m->state) {
	case ST_TB:
		if (is_indented(line, n))
			return ML_CONT;
		if (n && is_exception_line(line, n)) {
			m->state = ST_EXC;
			return ML_CONT;
		}
		break;
	case ST_EXC:
		if (n == 0) {
			m->state = ST_CHAIN;   /* a blank line may precede a chain */
			return ML_CONT;
		}
		if (is_chain(line, n)) {
			m->state = ST_CHAIN;
			return ML_CONT;
		}
		if (has_prefix(line, n, "Call stack:")) {
			m->state = ST_CALLSTACK;
			return ML_CONT;
		}
		break;
	case ST_CHAIN:
		if (n == 0 || is_chain(line, n))
			return ML_CONT;
		break;
	case ST_CALLSTACK:
		/* logging.Handler.handleError prints this instead of the
		 * frames when it cannot find the caller's frame */
		if (is_indented(line, n) || has_prefix(line, n, "Logged from file "))
			return ML_CONT;
		if (has_prefix(line, n, "Message: ")) {
			m->state = ST_MESSAGE;
			return ML_CONT;
		}
		break;
	case ST_MESSAGE:
		if (has_prefix(line, n, "Arguments: ")) {
			m->state = ST_DONE;
			return ML_CONT;
		}
		break;
	default:
		break;
	}
	m->state = ST_OUT;
	m->logerr = 0;
	return ML_NONE;
}

int multiline_candidate(const char *line, size_t len)
{
	size_t n = trim_len(line, len);

	return n == 0 || is_header_logerr(line, n) || is_header_tb(line, n) ||
	       is_indented(line, n) || is_chain(line, n) ||
	       has_prefix(line, n, "Call stack:") ||
	       has_prefix(line, n, "Message: ") ||
	       has_prefix(line, n, "Arguments: ") || is_exception_line(line, n);
}

int multiline_body(const char *line, size_t len)
{
	size_t n = trim_len(line, len);

	return is_indented(line, n) || has_prefix(line, n, "Call stack:") ||
	       has_prefix(line, n, "Message: ") || has_prefix(line, n, "Arguments: ");
}
