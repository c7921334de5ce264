/*
 * Close traces: the wordings that WebSocket clients, servers, proxies and
 * debug scripts use when a connection ends, parsed into struct close_trace.
 *
 * This runs on every log message, so close_parse first checks for a few
 * anchor substrings that every supported wording contains and leaves at once
 * when none is there. Past that, each family is tried in the order below;
 * the first that recognizes the text wins, because some texts carry the
 * markers of several (a CloseEvent also has "code:" and "reason:").
 *
 * wording (real text, abridged)                         fields set
 * ----------------------------------------------------  --------------------------------------
 * websockets 10+ (ConnectionClosed.__str__, Close.__str__), client "websockets":
 *   received 1011 (internal error) R; then sent 1011 ..   code 1011, reason R, RECEIVED, clean 1
 *   sent 1000 (OK); then received 1000 (OK)               code 1000, reason "", SENT, clean 1
 *   received 1001 (going away); no close frame sent       code 1001, RECEIVED, clean 0
 *   sent 1011 (internal error) keepalive ping timeout;    code 1011, reason "keepalive ping
 *     no close frame received                               timeout", SENT, clean 0
 *   no close frame received or sent                       code 1006, clean 0
 *   ... cut short ("...; then se")                        what was there, clean -1
 *   code/reason are those of the frame that began the closing handshake
 *   (direction says which side); prefixes such as "ConnectionClosedError: "
 *   or "WebSocket error: " are ignored.
 * websockets before 10 (format_close):
 *   code = 1006 (connection closed abnormally [internal]), no reason
 *                                                         code 1006, reason "", clean 0
 *   code = 1011 (unexpected error), reason = Internal error
 *                                                         code 1011, reason "Internal error"
 * websockets CLI (python3 -m websockets), client "websockets":
 *   Connection closed: 1011 (unexpected error) Service unavailable.
 *                                                         code 1011, reason "Service unavailable"
 *   Connection closed: 1006 (connection closed abnormally [internal]).
 *                                                         code 1006, reason "", clean 0
 * websockets handshake:
 *   server rejected WebSocket connection: HTTP 500        http_status 500, code 0, clean 0
 *   (InvalidStatus / InvalidStatusCode prefixes alike)
 *   connection rejected (403 Forbidden)  [server log]     http_status 403 when >= 400; a 2xx/3xx
 *                                                         there is an intentional HTTP answer
 *                                                         (health check), not a close
 * wscat, client "wscat":
 *   Disconnected (code: 1011, reason: "Internal error")   code 1011, reason (wscat does not
 *                                                         escape quotes: the last `")` ends it)
 * node ws library errors, client "ws":
 *   Invalid WebSocket frame: RSV1 must be clear           code 1002 (1007 for "invalid UTF-8
 *                                                         sequence"), reason = the message
 *   Unsupported WebSocket frame: payload length > ...     code 1009, reason = the message
 *   Unexpected server response: 500                       http_status 500, clean 0
 *   WebSocket was closed before the connection was established
 *                                                         code 1006, clean 0
 * browser, client "browser":
 *   CloseEvent {isTrusted: true, wasClean: false, code: 1006, reason: '', ...}
 *                                                         code, reason, clean from wasClean
 *   WebSocket connection to 'wss://h/ws' failed: T        code 1006, clean 0, reason T;
 *     T = Error during WebSocket handshake: Unexpected      with "Unexpected response code: N"
 *         response code: 500                                http_status N and code 0 instead
 * gorilla (CloseError.Error()), client "gorilla":
 *   websocket: close 1011 (internal server error): R      code 1011, reason R, RECEIVED (gorilla
 *                                                         builds CloseError from a received frame)
 *   websocket: close 1006 (abnormal closure): unexpected EOF
 *                                                         code 1006, UNKNOWN, clean 0 (synthesized)
 *   websocket: close sent  (ErrCloseSent)                 code 0, SENT
 * a connection debug script, client "debug-script"; lines alone or joined:
 *   Close code: 1011 / Close reason: Internal error /     code, reason, elapsed_ms 63: each line
 *   [ERROR] CONNECTION CLOSED after 0.063s                is a close carrying what it has
 * uvicorn, client "uvicorn":
 *   127.0.0.1:5123 - "WebSocket /ws" 403                  http_status 403 (handshake refused)
 *   127.0.0.1:5123 - "WebSocket /ws" [accepted]           not a close
 *   INFO:     connection closed                           present, code 0: the close happened,
 *                                                         nothing more is known
 * application lines, client "server":
 *   WebSocket closed code=1011 reason=Internal error      a code key (code, close_code, closeCode,
 *   closing connection_id=abc code=1011 reason="..."      "close code"; = or :, JSON quotes ok)
 *   safe_websocket_close(websocket, code=1011, reason=..) with a close word within 80 bytes or a
 *   WebSocket closed: code=1006 reason=""                 reason key right after it; or a reason
 *   close code 1011, closed with code 1006                key with a close word near it (code 0)
 *
 * websockets debug log (frames and failures), client "websockets":
 *   > CLOSE 1011 (internal error) keepalive ping timeout [24 bytes]
 *                                                         code 1011, reason, SENT ('<' RECEIVED)
 *   ! failing connection with code 1009                   code 1009, SENT
 *   ! failing WebSocket connection in the OPEN state: 1009 [no reason]
 *                                                         code 1009, SENT (websockets < 10)
 * Starlette / FastAPI, client "starlette":
 *   starlette.websockets.WebSocketDisconnect: 1006        code 1006
 *   WebSocketDisconnect: (1008, '')                       code 1008, reason ""
 *   WebSocketDisconnect: (<CloseCode.NO_STATUS_RCVD: 1005>, '')
 *                                                         code 1005
 * Spring, client "spring":
 *   CloseStatus[code=1011, reason=Service unavailable]    code 1011, reason ("null" is no reason)
 * Jakarta/JSR-356 (Tyrus, Jetty, Tomcat), client "jsr356":
 *   CloseReason: code [1009], reason [The decoded ...]    code 1009, reason
 *   CloseReason[1009,Message too big]                     code 1009, reason
 * socket.io debug log, client "socketio":
 *   socket.io:socket closing socket - reason ping timeout +6s
 *   socket.io:client client close with reason transport close
 *                                                         code 0, reason "ping timeout" (the
 *                                                         debug module's "+6s" is not reason)
 * SignalR JavaScript client, client "signalr":
 *   Error: Connection disconnected with error 'Error: Server timeout elapsed ...'.
 *                                                         code 0, clean 0, reason = the error
 * Django Channels / daphne, client "daphne":
 *   WebSocket DISCONNECT /ws/ [127.0.0.1:38682]           present, code 0 (daphne logs no code)
 *   WebSocket REJECT /ws/ [127.0.0.1:38682]               http_status 403 (daphne refuses with 403)
 * A browser CloseEvent expanded over several lines of one record (the
 * console's property list: "code: 1006", "reason: ''", "wasClean: false"
 * each on a line) is one close; a lone "wasClean: false" line, without a
 * code or the word CloseEvent, is none.
 *
 * A Python traceback's source line ("    raise WebSocketDisconnect(code=1006)"
 * under a "  File ..., line N" line) is code, not a close: its key is not
 * read. The exception line of the same traceback is.
 *
 * Elapsed time, for any family: elapsed_ms=63, duration_ms=63, elapsed=63ms,
 * "after 0.063s", "after 63ms", "(63 ms)". "Connected in 0.809s" is the
 * connect time, not open→close, so "in" is not read.
 *
 * Codes must be 1000..4999; a number outside is not a code and is not
 * reported (the structured wordings are then not closes at all). Code 1006
 * always means no close frame, so it makes clean 0 when nothing else said.
 * Reasons are unescaped (\" \' \\ in quoted values), cut at
 * CLOSE_REASON_MAX - 1 bytes on a UTF-8 boundary, and control bytes other
 * than tab become U+FFFD so the string never holds a NUL or an escape
 * sequence.
 *
 * Not covered: Firefox's "can't establish a connection to the server at"
 * (no anchor worth its cost), ws "Max payload size exceeded" (too generic
 * without a prefix), gorilla "bad handshake" (the status is not in the text).
 */
#include "event/close.h"

#include <string.h>

#define NPOS ((size_t)-1)
#define EXPL_MAX 48     /* longest websockets/gorilla explanation is ~30 */
#define NEAR 80         /* how far a close word may be from a code key */

/* What anchors() saw; each family runs only when one of its own is set. */
enum {
	A_CLOS = 1 << 0,         /* a close word: close, Closed, CLOSED, closing,
				    disconnect */
	A_CODE = 1 << 1,         /* code, Code */
	A_THEN = 1 << 2,         /* "; then " */
	A_FRAME = 1 << 3,        /* "received 1011 (" / "sent 1011 (" */
	A_NO_FRAME = 1 << 4,     /* "no close frame" */
	A_LEGACY = 1 << 5,       /* "code = " */
	A_HTTP_REJECT = 1 << 6,  /* "server rejected WebSocket connection: HTTP " */
	A_REJECTED = 1 << 7,     /* "connection rejected (" */
	A_WSCAT = 1 << 8,        /* "isconnected (code: " */
	A_GORILLA = 1 << 9,      /* "websocket: close " */
	A_WASCLEAN = 1 << 10,
	A_CONN_TO = 1 << 11,     /* "WebSocket connection to '" */
	A_WS_LIB = 1 << 12,      /* "Invalid WebSocket frame: ", "Unsupported WebSocket
				    frame: ", "Unexpected server response: ",
				    "WebSocket was closed before" */
	A_DEBUG = 1 << 13,       /* "Close code: ", "Close reason: ", "CONNECTION CLOSED" */
	A_UVICORN = 1 << 14,     /* "\"WebSocket /", "connection closed" */
	A_WSDEBUG = 1 << 15,     /* "> CLOSE ", "< CLOSE ", "failing connection with code ",
				    "failing WebSocket connection" */
	A_STARLETTE = 1 << 16,   /* "WebSocketDisconnect: " */
	A_SPRING = 1 << 17,      /* "CloseStatus[code=" */
	A_JSR = 1 << 18,         /* "CloseReason: code [", "CloseReason[" */
	A_SOCKETIO = 1 << 19,    /* "closing socket - reason ", "close with reason " */
	A_SIGNALR = 1 << 20,     /* "disconnected with error '" */
	A_DAPHNE = 1 << 21,      /* "WebSocket DISCONNECT /", "WebSocket REJECT /" */
};

struct hints {
	unsigned seen;           /* A_* */
	size_t code_at;          /* first "code" in any case, or NPOS */
};

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static int is_ident(int c) { return is_alpha(c) || is_digit(c) || c == '_'; }
static int is_blank(int c) { return c == ' ' || c == '\t'; }
static int lower(int c) { return is_upper(c) ? c + 32 : c; }

/*
 * How common a byte is in log text: memchr for a common byte returns every
 * few bytes and each return costs a call, so find() looks for the needle's
 * rarest byte instead of its first.
 */
static int byte_rank(unsigned char c)
{
	static const unsigned char rank[256] = {
		[' '] = 2, ['0'] = 2, ['1'] = 2, ['2'] = 2, ['3'] = 2, ['4'] = 2, ['5'] = 2,
		['6'] = 2, ['7'] = 2, ['8'] = 2, ['9'] = 2,
		['e'] = 2, ['t'] = 2, ['a'] = 2, ['o'] = 2, ['i'] = 2, ['n'] = 2, ['s'] = 2,
		['r'] = 2, ['h'] = 2, ['l'] = 2, ['d'] = 2, ['c'] = 2, ['u'] = 2,
		['m'] = 1, ['f'] = 1, ['p'] = 1, ['g'] = 1, ['w'] = 1, ['y'] = 1, ['b'] = 1,
		['v'] = 1, ['k'] = 1,
	};

	return rank[c];
}

static size_t find(const char *s, size_t n, size_t from, const char *needle, size_t m)
{
	size_t r = 0, i, last;

	if (from > n || n - from < m)
		return NPOS;
	for (size_t k = 1; k < m && byte_rank((unsigned char)needle[r]) > 0; k++)
		if (byte_rank((unsigned char)needle[k]) < byte_rank((unsigned char)needle[r]))
			r = k;
	i = from + r;
	last = n - m + r;
	while (i <= last) {
		const char *p = memchr(s + i, needle[r], last - i + 1);
		size_t at;

		if (!p)
			return NPOS;
		at = (size_t)(p - s) - r;
		if (memcmp(s + at, needle, m) == 0)
			return at;
		i = (size_t)(p - s) + 1;
	}
	return NPOS;
}

#define FIND(s, n, from, lit) find((s), (n), (from), (lit), sizeof(lit) - 1)

/* needle is lower case ASCII. Two memchr streams, one per case of the
 * needle's rarest byte, each stopping at its first real match. */
static size_t find_ci(const char *s, size_t n, size_t from, const char *needle, size_t m)
{
	size_t r = 0, best = NPOS;
	char cases[2];

	if (from > n || n - from < m)
		return NPOS;
	for (size_t k = 1; k < m && byte_rank((unsigned char)needle[r]) > 0; k++)
		if (byte_rank((unsigned char)needle[k]) < byte_rank((unsigned char)needle[r]))
			r = k;
	cases[0] = needle[r];
	cases[1] = needle[r] >= 'a' && needle[r] <= 'z' ? (char)(needle[r] - 32) : needle[r];
	for (int c = 0; c < (cases[1] != cases[0] ? 2 : 1); c++) {
		size_t i = from + r, last = n - m + r;

		if (best != NPOS && best + r < last)
			last = best + r;
		while (i <= last) {
			const char *p = memchr(s + i, cases[c], last - i + 1);
			size_t at, j = 0;

			if (!p)
				break;
			at = (size_t)(p - s) - r;
			while (j < m && lower((unsigned char)s[at + j]) == needle[j])
				j++;
			if (j == m) {
				if (at < best)
					best = at;
				break;
			}
			i = (size_t)(p - s) + 1;
		}
	}
	return best;
}

#define FIND_CI(s, n, from, lit) find_ci((s), (n), (from), (lit), sizeof(lit) - 1)

static int at(const char *s, size_t n, size_t i, const char *lit, size_t m)
{
	return i <= n && n - i >= m && memcmp(s + i, lit, m) == 0;
}

#define AT(s, n, i, lit) at((s), (n), (i), (lit), sizeof(lit) - 1)

static size_t min_pos(size_t a, size_t b) { return a < b ? a : b; }

static size_t line_end(const char *s, size_t n, size_t i)
{
	while (i < n && s[i] != '\n' && s[i] != '\r')
		i++;
	return i;
}

static size_t line_start(const char *s, size_t i)
{
	while (i > 0 && s[i - 1] != '\n')
		i--;
	return i;
}

static int word_start(const char *s, size_t i)
{
	return i == 0 || !is_ident((unsigned char)s[i - 1]);
}

static size_t skip_blanks(const char *s, size_t n, size_t i)
{
	while (i < n && is_blank((unsigned char)s[i]))
		i++;
	return i;
}

static size_t trim_end(const char *s, size_t b, size_t e)
{
	while (e > b && (is_blank((unsigned char)s[e - 1]) || s[e - 1] == '\r'))
		e--;
	return e;
}

/*
 * Decimal digits at s[*i], at most maxd of them: a longer run is a number
 * we do not want (a huge value is no code or status), so it fails, and
 * *i still moves past the whole run so callers do not re-read its tail.
 */
static int parse_num(const char *s, size_t n, size_t *i, long *v, int maxd)
{
	size_t j = *i;
	long x = 0;
	int d = 0;

	while (j < n && is_digit((unsigned char)s[j])) {
		if (d < maxd)
			x = x * 10 + (s[j] - '0');
		d++;
		j++;
	}
	*i = j;
	if (d == 0 || d > maxd)
		return 0;
	*v = x;
	return 1;
}

static int valid_code(long v) { return v >= 1000 && v <= 4999; }
static int valid_status(long v) { return v >= 100 && v <= 599; }

/* A close code at s[*i] that is a whole number (not "1011.5", not "10110"). */
static int parse_code(const char *s, size_t n, size_t *i, int *code)
{
	long v;

	if (!parse_num(s, n, i, &v, 4) || !valid_code(v))
		return 0;
	if (*i + 1 < n && s[*i] == '.' && is_digit((unsigned char)s[*i + 1]))
		return 0;
	*code = (int)v;
	return 1;
}

static int parse_status(const char *s, size_t n, size_t *i, int *status)
{
	long v;

	if (!parse_num(s, n, i, &v, 3) || !valid_status(v))
		return 0;
	*status = (int)v;
	return 1;
}

/* Length of the UTF-8 sequence a lead byte announces (1 for anything else). */
static size_t utf8_len(unsigned char c)
{
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	if (c >= 0xe0)
		return c <= 0xef ? 3 : 1;
	if (c >= 0xc2)
		return 2;
	return 1;
}

/*
 * Store a reason. quote is the quote character that delimited it in the
 * text (0 when bare): only then are \<quote> and \\ unescaped, since a
 * bare reason is exactly as sent.
 */
static void set_reason(struct close_trace *o, const char *p, size_t n, char quote)
{
	static const char repl[] = "\xef\xbf\xbd";
	const size_t cap = CLOSE_REASON_MAX - 1;
	size_t k = 0, i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)p[i];
		size_t len;

		if (quote && c == '\\' && i + 1 < n && (p[i + 1] == quote || p[i + 1] == '\\')) {
			c = (unsigned char)p[i + 1];
			i++;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			if (k + 3 > cap)
				break;
			memcpy(o->reason + k, repl, 3);
			k += 3;
			i++;
			continue;
		}
		len = utf8_len(c);
		if (len > 1) {
			size_t avail = n - i, j = 1;

			/* copy the sequence whole or not at all; stray or cut
			 * sequences are copied as logged, byte by byte */
			while (j < len && j < avail && ((unsigned char)p[i + j] & 0xc0) == 0x80)
				j++;
			if (j == len) {
				if (k + len > cap)
					break;
				memcpy(o->reason + k, p + i, len);
				k += len;
				i += len;
				continue;
			}
		}
		if (k + 1 > cap)
			break;
		o->reason[k++] = (char)c;
		i++;
	}
	o->reason[k] = '\0';
}

/*
 * The value that starts at s[i] (a key's separator already skipped):
 * quoted with ' or " (backslash escapes skipped, ends at the line's end
 * when the quote is never closed), or bare up to the end of the line or
 * to the next " key=" / ", key=".
 */
static void value_span(const char *s, size_t n, size_t i, size_t *vs, size_t *ve, char *quote)
{
	size_t le = line_end(s, n, i);

	if (i < le && (s[i] == '"' || s[i] == '\'')) {
		char q = s[i];
		size_t j = i + 1;

		while (j < le && s[j] != q)
			j += (s[j] == '\\' && j + 1 < le) ? 2 : 1;
		*vs = i + 1;
		*ve = j < le ? j : le;
		*quote = q;
		return;
	}
	*quote = 0;
	*vs = i;
	for (size_t j = i; j < le; j++) {
		size_t k;

		if (s[j] != ' ' && s[j] != ',' && s[j] != ';')
			continue;
		k = j;
		while (k < le && (s[k] == ' ' || s[k] == ',' || s[k] == ';'))
			k++;
		if (k < le && (is_alpha((unsigned char)s[k]) || s[k] == '_')) {
			while (k < le && (is_ident((unsigned char)s[k]) || s[k] == '.'))
				k++;
			if (k < le && s[k] == '=') {
				*ve = trim_end(s, i, j);
				return;
			}
		}
		/* what k passed over holds no other key start */
		j = k - 1;
	}
	*ve = trim_end(s, i, le);
}

static void set_value_reason(struct close_trace *o, const char *s, size_t n, size_t i)
{
	size_t vs, ve;
	char q;

	value_span(s, n, i, &vs, &ve, &q);
	set_reason(o, s + vs, ve - vs, q);
}

/* Rest of the line from i, blanks trimmed, as the reason. */
static void set_line_reason(struct close_trace *o, const char *s, size_t n, size_t i)
{
	size_t e;

	i = skip_blanks(s, n, i);
	e = trim_end(s, i, line_end(s, n, i));
	set_reason(o, s + i, e - i, 0);
}

/* websockets: "NNNN (explanation)", explanations are words and [internal] */
static int expl_char(int c)
{
	return is_alpha(c) || c == ' ' || c == '[' || c == ']' || c == '-';
}

struct frame_str {
	int code;
	size_t rs, re;   /* reason span */
	int cut;         /* the text ended inside this frame */
};

/* Does the text from i to le look like the start of a websockets suffix
 * that was cut off ("; th", "; no close fr")? */
static int cut_suffix(const char *s, size_t i, size_t le)
{
	static const char *const tails[] = {
		"then sent ", "then received ", "no close frame received", "no close frame sent",
	};
	size_t m = le - i;

	for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++)
		if (m < strlen(tails[t]) && memcmp(s + i, tails[t], m) == 0)
			return 1;
	return 0;
}

/*
 * websockets' Close.__str__ at s[i]: "1011 (internal error) Internal error".
 * The reason runs to "; then " or "; no close frame" or the end of the line.
 * Returns where the frame text ends, or NPOS when this is not one.
 */
static size_t ws_frame(const char *s, size_t n, size_t i, struct frame_str *f)
{
	size_t e, le, stop;

	f->cut = 0;
	f->rs = f->re = 0;
	/* without " (" after the number this is no websockets close
	 * ("received 1024 bytes") */
	if (!parse_code(s, n, &i, &f->code) || i + 2 > n)
		return NPOS;
	if (s[i] != ' ' || s[i + 1] != '(')
		return NPOS;
	i += 2;
	for (e = i; e < n && s[e] != ')'; e++)
		if (!expl_char((unsigned char)s[e]) || e - i > EXPL_MAX)
			return NPOS;
	if (e == n || e == i) {
		if (e == i && e < n)
			return NPOS;
		f->cut = 1;
		return n;
	}
	i = e + 1;
	le = line_end(s, n, i);
	if (i < le && s[i] == ' ')
		i++;
	stop = min_pos(FIND(s, le, i, "; then "), FIND(s, le, i, "; no close frame"));
	if (stop == NPOS) {
		size_t semi = NPOS;

		for (size_t j = i; j < le; j++)
			if (s[j] == ';')
				semi = j;
		stop = le;
		if (semi != NPOS) {
			size_t t = semi + 1;

			if (t < le && s[t] == ' ')
				t++;
			if (cut_suffix(s, t, le)) {
				stop = semi;
				f->cut = 1;
			}
		}
	}
	f->rs = i;
	f->re = trim_end(s, i, stop);
	return stop;
}

static int try_websockets(const char *s, size_t n, struct close_trace *o)
{
	struct frame_str f1;
	size_t r, t, e, p;
	int rcvd;

	if (FIND(s, n, 0, "no close frame received or sent") != NPOS) {
		o->code = 1006;
		o->clean = 0;
		o->client = "websockets";
		return 1;
	}
	/* each search resumes past its own last hit, so a line full of
	 * "sent " is read once, not once per hit */
	r = FIND(s, n, 0, "received ");
	t = FIND(s, n, 0, "sent ");
	for (;;) {
		p = min_pos(r, t);
		if (p == NPOS)
			return 0;
		rcvd = p == r;
		if (word_start(s, p) && (e = ws_frame(s, n, p + (rcvd ? 9 : 5), &f1)) != NPOS)
			break;
		if (rcvd)
			r = FIND(s, n, p + 1, "received ");
		else
			t = FIND(s, n, p + 1, "sent ");
	}
	o->client = "websockets";
	o->direction = rcvd ? CLOSE_DIR_RECEIVED : CLOSE_DIR_SENT;
	o->code = f1.code;
	set_reason(o, s + f1.rs, f1.re - f1.rs, 0);
	if (f1.cut)
		return 1;
	/* both frames went across: the closing handshake completed, even if
	 * the text of the second one was cut */
	if (rcvd ? AT(s, n, e, "; then sent ") : AT(s, n, e, "; then received ")) {
		o->clean = 1;
	} else if (AT(s, n, e, "; no close frame")) {
		o->clean = 0;
	}
	return 1;
}

/* websockets < 10: "code = 1011 (unexpected error), reason = Internal error" */
static int try_websockets_legacy(const char *s, size_t n, struct close_trace *o)
{
	for (size_t p = 0; (p = FIND(s, n, p, "code = ")) != NPOS; p++) {
		size_t i = p + 7, e;
		int code;

		if (!word_start(s, p) || !parse_code(s, n, &i, &code))
			continue;
		if (!AT(s, n, i, " ("))
			continue;
		i += 2;
		for (e = i; e < n && s[e] != ')'; e++)
			if (!expl_char((unsigned char)s[e]) || e - i > EXPL_MAX)
				break;
		if (e < n && s[e] != ')')
			continue;
		o->client = "websockets";
		o->code = code;
		if (e < n && AT(s, n, e + 1, ", reason = "))
			set_line_reason(o, s, n, e + 12);
		return 1;
	}
	return 0;
}

/* The websockets CLI (python3 -m websockets): "Connection closed: " then
 * Close.__str__ and a full stop, often behind terminal escapes. */
static int try_websockets_cli(const char *s, size_t n, struct close_trace *o)
{
	for (size_t p = 0; (p = FIND(s, n, p, "Connection closed: ")) != NPOS; p++) {
		size_t i = p + 19, e, le;
		int code;

		if (!parse_code(s, n, &i, &code) || !AT(s, n, i, " ("))
			continue;
		i += 2;
		for (e = i; e < n && s[e] != ')'; e++)
			if (!expl_char((unsigned char)s[e]) || e - i > EXPL_MAX)
				break;
		if (e >= n || s[e] != ')')
			continue;
		le = trim_end(s, e + 1, line_end(s, n, e + 1));
		if (le == e + 1 || s[le - 1] != '.')
			continue;
		o->client = "websockets";
		o->code = code;
		if (le - 1 > e + 1) {
			size_t re;

			i = skip_blanks(s, le - 1, e + 1);
			re = trim_end(s, i, le - 1);
			set_reason(o, s + i, re - i, 0);
		}
		return 1;
	}
	return 0;
}

static int try_handshake(const char *s, size_t n, struct close_trace *o)
{
	static const char rej[] = "server rejected WebSocket connection: HTTP ";
	size_t p = FIND(s, n, 0, rej);
	int st;

	if (p != NPOS) {
		size_t i = p + sizeof(rej) - 1;

		if (parse_status(s, n, &i, &st)) {
			o->http_status = st;
			o->clean = 0;
			o->client = "websockets";
			return 1;
		}
	}
	/* websockets' server log for a refused upgrade */
	for (p = 0; (p = FIND(s, n, p, "connection rejected (")) != NPOS; p++) {
		size_t i = p + 21;

		if (parse_status(s, n, &i, &st) && st >= 400 && i < n && s[i] == ' ') {
			o->http_status = st;
			o->clean = 0;
			o->client = "websockets";
			return 1;
		}
	}
	return 0;
}

/* wscat: Disconnected (code: 1011, reason: "Internal error") */
static int try_wscat(const char *s, size_t n, struct close_trace *o)
{
	size_t p = FIND(s, n, 0, "isconnected (code: ");
	size_t i, le, rs, re;
	int code = 0;

	if (p == NPOS || p == 0 || (s[p - 1] != 'D' && s[p - 1] != 'd') || !word_start(s, p - 1))
		return 0;
	i = p + 19;
	if (!parse_code(s, n, &i, &code)) {
		long v;

		/* an out-of-range number is dropped, the line is still a close */
		i = p + 19;
		if (!parse_num(s, n, &i, &v, 9))
			return 0;
		code = 0;
	}
	o->client = "wscat";
	o->code = code;
	if (!AT(s, n, i, ", reason: \""))
		return 1;
	rs = i + 11;
	le = line_end(s, n, rs);
	/* wscat prints the reason raw, quotes and all: the closing quote is
	 * the last one followed by ")" or by ", clean)" / ", dirty)" */
	re = le;
	for (size_t j = le; j > rs; j--) {
		size_t q = j - 1;

		if (s[q] != '"')
			continue;
		if (AT(s, le, q + 1, ")")) {
			re = q;
			break;
		}
		if (AT(s, le, q + 1, ", clean)") || AT(s, le, q + 1, ", dirty)")) {
			re = q;
			o->clean = s[q + 3] == 'c';
			break;
		}
	}
	set_reason(o, s + rs, re - rs, 0);
	return 1;
}

static int try_ws_lib(const char *s, size_t n, struct close_trace *o)
{
	size_t p;
	int st;

	if ((p = FIND(s, n, 0, "Invalid WebSocket frame: ")) != NPOS) {
		o->code = AT(s, n, p + 25, "invalid UTF-8 sequence") ? 1007 : 1002;
		o->client = "ws";
		set_line_reason(o, s, n, p);
		return 1;
	}
	if ((p = FIND(s, n, 0, "Unsupported WebSocket frame: ")) != NPOS) {
		o->code = 1009;
		o->client = "ws";
		set_line_reason(o, s, n, p);
		return 1;
	}
	if ((p = FIND(s, n, 0, "Unexpected server response: ")) != NPOS) {
		size_t i = p + 28;

		if (parse_status(s, n, &i, &st)) {
			o->http_status = st;
			o->clean = 0;
			o->client = "ws";
			return 1;
		}
	}
	if (FIND(s, n, 0, "WebSocket was closed before the connection was established") != NPOS) {
		o->code = 1006;
		o->clean = 0;
		o->client = "ws";
		return 1;
	}
	return 0;
}

/* gorilla: websocket: close 1011 (internal server error): Internal error */
static int try_gorilla(const char *s, size_t n, struct close_trace *o)
{
	for (size_t p = 0; (p = FIND(s, n, p, "websocket: close ")) != NPOS; p++) {
		size_t i = p + 17;
		int code;

		if (!word_start(s, p))
			continue;
		if (AT(s, n, i, "sent") && (i + 4 == n || !is_ident((unsigned char)s[i + 4]))) {
			o->direction = CLOSE_DIR_SENT;
			o->client = "gorilla";
			return 1;
		}
		if (!parse_code(s, n, &i, &code))
			continue;
		if (i < n && s[i] != ' ' && s[i] != ':' && s[i] != '\n' && s[i] != '\r')
			continue;
		o->code = code;
		o->client = "gorilla";
		/* gorilla synthesizes 1006 on EOF; every other code came in a
		 * close frame it read */
		o->direction = code == 1006 ? CLOSE_DIR_UNKNOWN : CLOSE_DIR_RECEIVED;
		if (AT(s, n, i, " (")) {
			size_t e;

			for (e = i + 2; e < n && s[e] != ')'; e++)
				if (!expl_char((unsigned char)s[e]) || e - i > EXPL_MAX)
					break;
			if (e >= n || s[e] != ')')
				return 1;
			i = e + 1;
		}
		if (AT(s, n, i, ": "))
			set_line_reason(o, s, n, i + 2);
		return 1;
	}
	return 0;
}

/*
 * Whether the word at s[k] can be a key: not glued to a longer identifier
 * ("status_code", "e.code"), except when that identifier is "close"
 * ("close_code", "closeCode", "close code"), which *closey reports.
 */
static int key_start(const char *s, size_t k, int *closey)
{
	size_t b = k;

	*closey = 0;
	if (b > 0 && (s[b - 1] == '_' || s[b - 1] == ' '))
		b--;
	if (b >= 5 && lower((unsigned char)s[b - 5]) == 'c' && lower((unsigned char)s[b - 4]) == 'l' &&
	    lower((unsigned char)s[b - 3]) == 'o' && lower((unsigned char)s[b - 2]) == 's' &&
	    lower((unsigned char)s[b - 1]) == 'e' && word_start(s, b - 5)) {
		*closey = 1;
		return 1;
	}
	if (k == 0)
		return 1;
	if (s[k - 1] == '.')
		return 0;
	return !is_ident((unsigned char)s[k - 1]);
}

/* Where the value of the key s[k..k+m) starts, or NPOS when no key
 * separator follows: an optional closing quote, blanks, "=" (not "==") or
 * ":", blanks, an opening quote left in place. A bare blank separates only
 * for "close code 1011". */
static size_t key_value(const char *s, size_t n, size_t k, size_t m, int blank_ok)
{
	size_t i = k + m, j;

	if (i < n && (s[i] == '"' || s[i] == '\''))
		i++;
	j = skip_blanks(s, n, i);
	if (j < n && (s[j] == '=' || s[j] == ':')) {
		if (j + 1 < n && s[j] == '=' && s[j + 1] == '=')
			return NPOS;
		return skip_blanks(s, n, j + 1);
	}
	if (blank_ok && j > i && j < n && is_digit((unsigned char)s[j]))
		return j;
	return NPOS;
}

/* A close word (close, closed, closing, closure, disconnect...) within
 * s[lo, hi). "disclosed" is not one; "onClose" is. */
static int close_word_in(const char *s, size_t lo, size_t hi)
{
	for (size_t p = lo; (p = find_ci(s, hi, p, "clos", 4)) != NPOS; p++)
		if (word_start(s, p) || is_upper((unsigned char)s[p]) || s[p - 1] == '_')
			return 1;
	for (size_t p = lo; (p = find_ci(s, hi, p, "disconnect", 10)) != NPOS; p++)
		if (word_start(s, p) || is_upper((unsigned char)s[p]))
			return 1;
	return 0;
}

static int close_word_near(const char *s, size_t n, size_t k)
{
	size_t lo = k > NEAR ? k - NEAR : 0;
	size_t hi = n - k > NEAR ? k + NEAR : n;

	return close_word_in(s, lo, hi);
}

/* The first "reason" key from from on; *vi gets where its value starts. */
static size_t find_reason_key(const char *s, size_t n, size_t from, size_t *vi)
{
	for (size_t k = from; (k = FIND_CI(s, n, k, "reason")) != NPOS; k++) {
		int closey;
		size_t v;

		if (!key_start(s, k, &closey))
			continue;
		v = key_value(s, n, k, 6, 0);
		if (v != NPOS) {
			*vi = v;
			return k;
		}
	}
	return NPOS;
}

/* Is the line starting at b a Python traceback's source line, the line
 * under '  File "x.py", line 12, in f'? Such a line is code, not a report.
 * The line above is looked at within SOURCE_LINE_MAX bytes. */
#define SOURCE_LINE_MAX 1024
static int source_line_at(const char *s, size_t b)
{
	size_t pb, i;

	if (b == 0)
		return 0;
	pb = b - 1;
	while (pb > 0 && s[pb - 1] != '\n' && b - pb < SOURCE_LINE_MAX)
		pb--;
	if (pb > 0 && s[pb - 1] != '\n')
		return 0;
	i = skip_blanks(s, b - 1, pb);
	return AT(s, b - 1, i, "File \"") && FIND(s, b - 1, i, "\", line ") != NPOS;
}

/* Whether the keys met at increasing positions lie on a traceback's source
 * line: each line is looked at once, however many keys it holds. */
struct srcline {
	size_t pos;      /* scanned for line starts up to here */
	int src;         /* the line at pos is a source line */
};

static int on_source_line(const char *s, struct srcline *sl, size_t k)
{
	if (k > sl->pos) {
		size_t j = k;

		while (j > sl->pos && s[j - 1] != '\n')
			j--;
		if (j > sl->pos || (j == sl->pos && j == 0))
			sl->src = source_line_at(s, j);
		sl->pos = k;
	}
	return sl->src;
}

static int try_server(const char *s, size_t n, const struct hints *h, struct close_trace *o)
{
	int any_close_word = (h->seen & A_CLOS) != 0;
	size_t rk = NPOS, rv = 0, rk_from = NPOS;
	struct srcline sl = { 0, 0 };

	for (size_t k = h->code_at; k != NPOS && (k = FIND_CI(s, n, k, "code")) != NPOS; k++) {
		int closey, code;
		size_t v, i;

		if (!key_start(s, k, &closey) || on_source_line(s, &sl, k))
			continue;
		/* "close code 1011", "closed with code 1011" need no = or : */
		v = key_value(s, n, k, 4, closey || (k >= 5 && memcmp(s + k - 5, "with ", 5) == 0));
		if (v == NPOS)
			continue;
		i = v;
		if (i < n && (s[i] == '"' || s[i] == '\''))
			i++;
		if (!parse_code(s, n, &i, &code))
			continue;
		/* the first reason key after an earlier code is still the first
		 * after this one unless it lies before it: searching again
		 * only then keeps many code keys from costing n each */
		if (rk_from == NPOS || (rk != NPOS && rk < i)) {
			rk = find_reason_key(s, n, i, &rv);
			rk_from = i;
		}
		if (!closey && !(any_close_word && close_word_near(s, n, k)) && (rk == NPOS || rk - i > 40))
			continue;
		o->code = code;
		o->client = "server";
		if (rk == NPOS)
			rk = find_reason_key(s, n, 0, &rv);
		if (rk != NPOS)
			set_value_reason(o, s, n, rv);
		return 1;
	}
	if (!any_close_word)
		return 0;
	rk = find_reason_key(s, n, 0, &rv);
	if (rk != NPOS && close_word_near(s, n, rk) && !source_line_at(s, line_start(s, rk))) {
		o->client = "server";
		set_value_reason(o, s, n, rv);
		return 1;
	}
	return 0;
}

/* A CloseEvent's properties, one per line ("code: 1006", "reason: \"\""),
 * as a console prints the expanded object: the first line-leading key of
 * each name counts. */
static void close_event_lines(const char *s, size_t n, struct close_trace *o)
{
	int have_reason = 0;

	for (size_t b = 0; b < n; b = line_end(s, n, b) + 1) {
		size_t i = skip_blanks(s, n, b), v;
		int code;

		if (o->code == 0 && AT(s, n, i, "code:")) {
			v = skip_blanks(s, n, i + 5);
			if (parse_code(s, n, &v, &code))
				o->code = code;
		} else if (!have_reason && AT(s, n, i, "reason:")) {
			v = skip_blanks(s, n, i + 7);
			have_reason = 1;
			if (v < n && (s[v] == '\'' || s[v] == '"'))
				set_value_reason(o, s, line_end(s, n, v), v);
		}
	}
}

/* CloseEvent as consoles print it: Chrome {wasClean: false, code: 1006,
 * reason: ''}, Firefox { wasClean: false, code: 1006, reason: "" } */
static int try_close_event(const char *s, size_t n, struct close_trace *o)
{
	size_t p = FIND(s, n, 0, "wasClean"), v, lo, hi;
	int closey;

	if (p == NPOS)
		return 0;
	v = key_value(s, n, p, 8, 0);
	if (v == NPOS)
		return 0;
	if (AT(s, n, v, "true"))
		o->clean = 1;
	else if (AT(s, n, v, "false"))
		o->clean = 0;
	else
		return 0;
	o->client = "browser";
	/* the other keys of the same object */
	lo = p;
	while (lo > 0 && s[lo - 1] != '{' && s[lo - 1] != '\n')
		lo--;
	hi = p;
	while (hi < n && s[hi] != '}' && s[hi] != '\n')
		hi++;
	for (size_t k = lo; (k = FIND(s, hi, k, "code")) != NPOS; k++) {
		size_t i;
		int code;

		if (!key_start(s, k, &closey) || closey || (i = key_value(s, hi, k, 4, 0)) == NPOS)
			continue;
		if (parse_code(s, hi, &i, &code))
			o->code = code;
		break;
	}
	for (size_t k = lo; (k = FIND(s, hi, k, "reason")) != NPOS; k++) {
		size_t i;

		if (!key_start(s, k, &closey) || closey || (i = key_value(s, hi, k, 6, 0)) == NPOS)
			continue;
		if (i < hi && (s[i] == '\'' || s[i] == '"'))
			set_value_reason(o, s, hi, i);
		break;
	}
	/* the console's expanded form: one property per line of the record */
	if (o->code == 0)
		close_event_lines(s, n, o);
	/* a lone "wasClean: false" is no close without a code or the name */
	return o->code != 0 || FIND(s, n, 0, "CloseEvent") != NPOS;
}

/* Chrome: WebSocket connection to 'wss://h/ws' failed: <why> */
static int try_browser_failed(const char *s, size_t n, struct close_trace *o)
{
	size_t p = FIND(s, n, 0, "WebSocket connection to '"), le, q, i, h;
	int st;

	if (p == NPOS)
		return 0;
	le = line_end(s, n, p);
	q = FIND(s, le, p + 25, "' failed");
	if (q == NPOS)
		return 0;
	i = q + 8;
	if (i < le && s[i] == ':')
		i++;
	o->client = "browser";
	o->clean = 0;
	set_line_reason(o, s, le, i);
	h = FIND(s, le, i, "Unexpected response code: ");
	if (h != NPOS) {
		size_t j = h + 26;

		if (parse_status(s, le, &j, &st)) {
			o->http_status = st;
			return 1;
		}
	}
	o->code = 1006;
	return 1;
}

/* a debug script's close report; its lines may come alone or joined in one record */
static int try_debug_script(const char *s, size_t n, struct close_trace *o)
{
	size_t c = FIND(s, n, 0, "Close code: ");
	size_t r = FIND(s, n, 0, "Close reason: ");
	size_t d = FIND(s, n, 0, "CONNECTION CLOSED");
	int any = 0;

	if (c != NPOS) {
		size_t i = c + 12;
		int code;

		if (parse_code(s, n, &i, &code)) {
			o->code = code;
			any = 1;
		}
	}
	if (r != NPOS) {
		set_line_reason(o, s, n, r + 14);
		any = 1;
	}
	if (d != NPOS && word_start(s, d))
		any = 1;
	if (any)
		o->client = "debug-script";
	return any;
}

/* The explanation in parentheses at s[i] ("(internal error)"), if any:
 * returns the index past it, or i when there is none. */
static size_t skip_expl(const char *s, size_t n, size_t i)
{
	size_t e;

	if (!AT(s, n, i, " ("))
		return i;
	for (e = i + 2; e < n && s[e] != ')'; e++)
		if (!expl_char((unsigned char)s[e]) || e - i > EXPL_MAX)
			return i;
	return e < n ? e + 1 : i;
}

/* Rest of the line from i as the reason, without a trailing "[N bytes]"
 * (websockets' frame log) or a bracketed "[no reason]". */
static void set_bracketed_tail_reason(struct close_trace *o, const char *s, size_t n, size_t i)
{
	size_t le = line_end(s, n, i), e;

	i = skip_blanks(s, le, i);
	e = trim_end(s, i, le);
	if (e > i && s[e - 1] == ']') {
		size_t b = e - 1;

		while (b > i && s[b] != '[')
			b--;
		if (s[b] == '[' && (AT(s, e, b, "[no reason]") || FIND(s, e, b, " bytes]") != NPOS))
			e = trim_end(s, i, b);
	}
	set_reason(o, s + i, e - i, 0);
}

/* websockets' debug log: "> CLOSE 1011 (internal error) keepalive ping
 * timeout [24 bytes]", "! failing connection with code 1009", and the
 * legacy "! failing WebSocket connection in the OPEN state: 1009 [no reason]" */
static int try_ws_debug(const char *s, size_t n, struct close_trace *o)
{
	size_t p, i;
	int code;

	for (p = 0; (p = FIND(s, n, p, " CLOSE ")) != NPOS; p++) {
		if (p == 0 || (s[p - 1] != '>' && s[p - 1] != '<'))
			continue;
		i = p + 7;
		if (!parse_code(s, n, &i, &code))
			continue;
		o->client = "websockets";
		o->code = code;
		o->direction = s[p - 1] == '>' ? CLOSE_DIR_SENT : CLOSE_DIR_RECEIVED;
		set_bracketed_tail_reason(o, s, n, skip_expl(s, n, i));
		return 1;
	}
	if ((p = FIND(s, n, 0, "failing connection with code ")) != NPOS) {
		i = p + 29;
		if (parse_code(s, n, &i, &code)) {
			o->client = "websockets";
			o->code = code;
			o->direction = CLOSE_DIR_SENT;
			return 1;
		}
	}
	if ((p = FIND(s, n, 0, "failing WebSocket connection")) != NPOS) {
		size_t le = line_end(s, n, p);

		i = p + 28;
		if (AT(s, le, i, " in the ")) {
			size_t c = FIND(s, le, i, " state");

			if (c == NPOS)
				return 0;
			i = c + 6;
		}
		if (!AT(s, le, i, ": "))
			return 0;
		i += 2;
		if (!parse_code(s, le, &i, &code))
			return 0;
		o->client = "websockets";
		o->code = code;
		o->direction = CLOSE_DIR_SENT;
		if (AT(s, le, i, " [") && !AT(s, le, i, " [no reason]")) {
			size_t e = FIND(s, le, i + 2, "]");

			set_reason(o, s + i + 2, (e == NPOS ? le : e) - (i + 2), 0);
		}
		return 1;
	}
	return 0;
}

/* Starlette's WebSocketDisconnect as a traceback prints it: "1006",
 * "(1000, '')", "(<CloseCode.NO_STATUS_RCVD: 1005>, '')" */
static int try_starlette(const char *s, size_t n, struct close_trace *o)
{
	for (size_t p = 0; (p = FIND(s, n, p, "WebSocketDisconnect: ")) != NPOS; p++) {
		/* the code sits within a few bytes: a bounded window keeps a line
		 * of many near-misses linear */
		size_t i = p + 21, le = n - i > 64 ? i + 64 : n;
		int code, paren = 0;

		if (i < le && s[i] == '(') {
			paren = 1;
			i++;
		}
		if (i < le && s[i] == '<') {
			size_t c = FIND(s, le, i, ": ");

			if (c == NPOS)
				continue;
			i = c + 2;
		}
		if (!parse_code(s, le, &i, &code))
			continue;
		if (i < le && s[i] == '>')
			i++;
		o->client = "starlette";
		o->code = code;
		le = line_end(s, n, i);
		if (paren && AT(s, le, i, ", ") && i + 2 < le && (s[i + 2] == '\'' || s[i + 2] == '"'))
			set_value_reason(o, s, le, i + 2);
		return 1;
	}
	return 0;
}

/* Spring: CloseStatus[code=1011, reason=Service unavailable] */
static int try_spring(const char *s, size_t n, struct close_trace *o)
{
	for (size_t p = 0; (p = FIND(s, n, p, "CloseStatus[code=")) != NPOS; p++) {
		size_t i = p + 17, le, e;
		int code;

		if (!parse_code(s, n, &i, &code))
			continue;
		le = line_end(s, n, i);
		o->client = "spring";
		o->code = code;
		if (AT(s, le, i, ", reason=")) {
			i += 9;
			e = FIND(s, le, i, "]");
			e = e == NPOS ? le : e;
			if (!(e - i == 4 && memcmp(s + i, "null", 4) == 0))
				set_reason(o, s + i, e - i, 0);
		}
		return 1;
	}
	return 0;
}

/* JSR-356 CloseReason: "CloseReason: code [1009], reason [R]" as clients
 * log it, Tyrus' "CloseReason[1009,R]" */
static int try_jsr356(const char *s, size_t n, struct close_trace *o)
{
	for (size_t p = 0; (p = FIND(s, n, p, "CloseReason")) != NPOS; p++) {
		size_t i = p + 11, le, e;
		int code, tyrus = AT(s, n, i, "[");

		if (tyrus)
			i += 1;
		else if (AT(s, n, i, ": code ["))
			i += 8;
		else
			continue;
		if (!parse_code(s, n, &i, &code))
			continue;
		le = line_end(s, n, i);
		o->client = "jsr356";
		o->code = code;
		if (tyrus ? AT(s, le, i, ",") : AT(s, le, i, "], reason [")) {
			i += tyrus ? 1 : 11;
			/* the reason may hold brackets: the last ']' ends it */
			for (e = le; e > i && s[e - 1] != ']'; e--)
				;
			set_reason(o, s + i, (e > i ? e - 1 : le) - i, 0);
		}
		return 1;
	}
	return 0;
}

/* socket.io's debug log: "closing socket - reason ping timeout +6s",
 * "client close with reason transport close"; the debug module appends
 * the time since its previous line ("+6s", "+0ms"), which is not reason. */
static int try_socketio(const char *s, size_t n, struct close_trace *o)
{
	size_t p = FIND(s, n, 0, "closing socket - reason "), i, le, e, t;

	if (p != NPOS)
		i = p + 24;
	else if ((p = FIND(s, n, 0, "close with reason ")) != NPOS)
		i = p + 18;
	else
		return 0;
	le = line_end(s, n, i);
	e = trim_end(s, i, le);
	t = e;
	while (t > i && is_alpha((unsigned char)s[t - 1]))
		t--;
	if (t < e && t > i && is_digit((unsigned char)s[t - 1])) {
		while (t > i && is_digit((unsigned char)s[t - 1]))
			t--;
		if (t > i + 1 && s[t - 1] == '+' && s[t - 2] == ' ')
			e = trim_end(s, i, t - 1);
	}
	if (e == i)
		return 0;
	o->client = "socketio";
	set_reason(o, s + i, e - i, 0);
	return 1;
}

/* SignalR's JavaScript client: Connection disconnected with error 'Error: ...'. */
static int try_signalr(const char *s, size_t n, struct close_trace *o)
{
	size_t p = FIND(s, n, 0, "disconnected with error '"), i, le, e;

	if (p == NPOS || !word_start(s, p))
		return 0;
	i = p + 25;
	le = line_end(s, n, i);
	for (e = le; e > i && s[e - 1] != '\''; e--)
		;
	o->client = "signalr";
	o->clean = 0;
	set_reason(o, s + i, (e > i ? e - 1 : le) - i, 0);
	return 1;
}

/* daphne's access log: "WebSocket DISCONNECT /ws/ [addr]", "WebSocket REJECT /ws/ [addr]" */
static int try_daphne(const char *s, size_t n, struct close_trace *o)
{
	size_t p;

	if ((p = FIND(s, n, 0, "WebSocket REJECT /")) != NPOS) {
		o->client = "daphne";
		o->http_status = 403;
		o->clean = 0;
		return 1;
	}
	if ((p = FIND(s, n, 0, "WebSocket DISCONNECT /")) != NPOS) {
		o->client = "daphne";
		return 1;
	}
	return 0;
}

/* s[..b) ends with a whole log level word ("... INFO connection closed") */
static int level_word_before(const char *s, size_t b)
{
	static const char *const levels[] = { "INFO", "DEBUG", "WARNING", "ERROR" };

	for (size_t t = 0; t < sizeof(levels) / sizeof(levels[0]); t++) {
		size_t m = strlen(levels[t]);

		if (b >= m && memcmp(s + b - m, levels[t], m) == 0 && word_start(s, b - m))
			return 1;
	}
	return 0;
}

static int try_uvicorn(const char *s, size_t n, struct close_trace *o)
{
	size_t p = FIND(s, n, 0, "\"WebSocket /"), e, b;

	if (p != NPOS) {
		size_t le = line_end(s, n, p), i;
		int st;

		e = FIND(s, le, p + 11, "\" ");
		if (e == NPOS)
			return 0;
		i = e + 2;
		if (parse_status(s, le, &i, &st) && st >= 400) {
			o->http_status = st;
			o->clean = 0;
			o->client = "uvicorn";
			return 1;
		}
		return 0;
	}
	/* the bare "connection closed" its websockets layer logs; anything
	 * before it must be a level prefix ("INFO:     ", "INFO:uvicorn.error:") */
	e = trim_end(s, 0, n);
	if (e < 17 || memcmp(s + e - 17, "connection closed", 17) != 0)
		return 0;
	b = e - 17;
	while (b > 0 && is_blank((unsigned char)s[b - 1]))
		b--;
	if (b > 0 && s[b - 1] != ':' && s[b - 1] != '\n' && !level_word_before(s, b))
		return 0;
	o->client = "uvicorn";
	return 1;
}

/* Seconds or milliseconds at s[i]: "0.063s", "63ms", "63 ms", "1.5 seconds";
 * with unit_ms a bare number is milliseconds. -1 when not a duration;
 * *end gets the index past it. */
static long parse_duration(const char *s, size_t n, size_t i, int unit_ms, size_t *end)
{
	long whole, frac = 0, ms;
	int fd = 0, up = 0, secs;
	size_t u;

	if (!parse_num(s, n, &i, &whole, 9))
		return -1;
	if (i + 1 < n && s[i] == '.' && is_digit((unsigned char)s[i + 1])) {
		for (i++; i < n && is_digit((unsigned char)s[i]); i++) {
			if (fd < 3) {
				frac = frac * 10 + (s[i] - '0');
				fd++;
			} else if (fd == 3) {
				up = s[i] >= '5';
				fd++;
			}
		}
	}
	while (fd < 3) {
		frac *= 10;
		fd++;
	}
	u = skip_blanks(s, n, i);
	if (AT(s, n, u, "milliseconds")) {
		secs = 0;
		u += 12;
	} else if (AT(s, n, u, "ms") && (u + 2 == n || !is_alpha((unsigned char)s[u + 2]))) {
		secs = 0;
		u += 2;
	} else if (AT(s, n, u, "seconds")) {
		secs = 1;
		u += 7;
	} else if (AT(s, n, u, "sec") && (u + 3 == n || !is_alpha((unsigned char)s[u + 3]))) {
		secs = 1;
		u += 3;
	} else if (u < n && s[u] == 's' && (u + 1 == n || !is_alpha((unsigned char)s[u + 1]))) {
		secs = 1;
		u += 1;
	} else if (unit_ms && (i == n || !is_alpha((unsigned char)s[i]))) {
		/* a unit-less "_ms" value ends at the number: what follows a
		 * blank is the next key ("elapsed_ms=63 trace=abc") */
		secs = 0;
		u = i;
	} else {
		return -1;
	}
	if (secs) {
		/* a connection open for weeks is no reading we trust, and the
		 * product must fit a 32-bit long */
		if (whole > 2000000)
			return -1;
		ms = whole * 1000 + frac + up;
	} else {
		ms = whole + (frac >= 500);
	}
	*end = u;
	return ms;
}

static long find_elapsed(const char *s, size_t n)
{
	static const struct { const char *key; size_t len; } stems[] = {
		{ "elapsed", 7 }, { "duration", 8 },
	};
	size_t e;
	long v;

	/* elapsed_ms=63, elapsedMs: 63, elapsed=0.063s, duration_ms=63 */
	for (size_t t = 0; t < sizeof(stems) / sizeof(stems[0]); t++) {
		for (size_t k = 0; (k = find_ci(s, n, k, stems[t].key, stems[t].len)) != NPOS; k++) {
			size_t m = stems[t].len, i;
			int closey, ms = 0;

			if (!key_start(s, k, &closey))
				continue;
			if (k + m < n && s[k + m] == '_')
				m++;
			if (k + m + 2 <= n && lower((unsigned char)s[k + m]) == 'm' && lower((unsigned char)s[k + m + 1]) == 's') {
				m += 2;
				ms = 1;
			} else if (m != stems[t].len) {
				continue;
			}
			if ((i = key_value(s, n, k, m, 0)) == NPOS)
				continue;
			if (i < n && s[i] == '"')
				i++;
			if ((v = parse_duration(s, n, i, ms, &e)) >= 0)
				return v;
		}
	}
	for (size_t k = 0; (k = FIND(s, n, k, "after ")) != NPOS; k++)
		if (word_start(s, k) && (v = parse_duration(s, n, k + 6, 0, &e)) >= 0)
			return v;
	for (size_t k = 0; (k = FIND(s, n, k, "(")) != NPOS; k++) {
		if ((v = parse_duration(s, n, k + 1, 0, &e)) < 0)
			continue;
		e = skip_blanks(s, n, e);
		if (e < n && s[e] == ')')
			return v;
	}
	return -1;
}

/* "received NNNN (" / "sent NNNN (" ending at the '(' at s[p] */
static int frame_before(const char *s, size_t p)
{
	size_t d;

	if (p < 10 || s[p - 1] != ' ')
		return 0;
	for (d = p - 1; d > p - 6 && is_digit((unsigned char)s[d - 1]); d--)
		;
	if (p - 1 - d != 4)
		return 0;
	return (d >= 9 && memcmp(s + d - 9, "received ", 9) == 0) ||
	       (d >= 5 && memcmp(s + d - 5, "sent ", 5) == 0);
}

static int at_ci4(const char *s, size_t n, size_t i, const char *lit)
{
	return n - i >= 4 && lower((unsigned char)s[i]) == lit[0] &&
	       lower((unsigned char)s[i + 1]) == lit[1] && lower((unsigned char)s[i + 2]) == lit[2] &&
	       lower((unsigned char)s[i + 3]) == lit[3];
}

/* What the "WebSocket" at s[i] is part of. */
static unsigned websocket_anchor(const char *s, size_t n, size_t i)
{
	if (i > 0 && s[i - 1] == '"' && AT(s, n, i + 9, " /"))
		return A_UVICORN;
	if (AT(s, n, i + 9, " connection to '"))
		return A_CONN_TO;
	if (AT(s, n, i + 9, " frame: ") || AT(s, n, i + 9, " was closed before"))
		return A_WS_LIB;
	if (AT(s, n, i + 9, "Disconnect: "))
		return A_STARLETTE;
	if (AT(s, n, i + 9, " DISCONNECT /") || AT(s, n, i + 9, " REJECT /"))
		return A_DAPHNE;
	if (i >= 8 && AT(s, n, i - 8, "failing WebSocket connection"))
		return A_WSDEBUG;
	if (i >= 16 && AT(s, n, i - 16, "server rejected WebSocket connection: HTTP "))
		return A_HTTP_REJECT;
	return 0;
}

/* What the "clos" or "code" (any case), or the C of "wasClean", at s[i] is
 * part of. Most c's in log text are neither: one look at the next byte
 * tells. */
static unsigned c_anchor(const char *s, size_t n, size_t i)
{
	int next = i + 1 < n ? lower((unsigned char)s[i + 1]) : 0;

	if (next == 'l' && at_ci4(s, n, i, "clos")) {
		unsigned m = A_CLOS;

		if (i >= 3 && AT(s, n, i - 3, "no close frame"))
			m |= A_NO_FRAME;
		else if (i >= 11 && AT(s, n, i - 11, "websocket: close "))
			m |= A_GORILLA;
		else if (AT(s, n, i, "Close code: ") || AT(s, n, i, "Close reason: ") ||
			 (i >= 11 && AT(s, n, i - 11, "CONNECTION CLOSED")))
			m |= A_DEBUG;
		else if (i >= 11 && AT(s, n, i - 11, "connection closed"))
			m |= A_UVICORN;
		else if (AT(s, n, i, "CloseStatus[code="))
			m |= A_SPRING;
		else if (AT(s, n, i, "CloseReason"))
			m |= A_JSR;
		else if (i >= 2 && (AT(s, n, i - 2, "> CLOSE ") || AT(s, n, i - 2, "< CLOSE ")))
			m |= A_WSDEBUG;
		else if (AT(s, n, i, "closing socket - reason ") || AT(s, n, i, "close with reason "))
			m |= A_SOCKETIO;
		return m;
	}
	if (next == 'l' && i >= 3 && AT(s, n, i - 3, "wasClean"))
		return A_WASCLEAN;
	if (next == 'o' && at_ci4(s, n, i, "code")) {
		unsigned m = A_CODE;

		if (AT(s, n, i, "code = "))
			m |= A_LEGACY;
		else if (i >= 24 && AT(s, n, i - 24, "failing connection with code "))
			m |= A_WSDEBUG;
		else if (i >= 13 && AT(s, n, i - 13, "isconnected (code: "))
			m |= A_WSCAT;
		return m;
	}
	if (next == 'o' && AT(s, n, i, "connection rejected ("))
		return A_REJECTED;
	/* close_word_in() counts "disconnect" too */
	if (next == 'o' && i >= 3 && n - i >= 7 && find_ci(s, i + 7, i - 3, "disconnect", 10) == i - 3)
		return A_CLOS | (AT(s, n, i - 3, "disconnected with error '") ? A_SIGNALR : 0);
	return 0;
}

/*
 * Which anchors the message holds. Every wording has at least one, and each
 * family runs only when its own is there, so a line that merely says
 * "WebSocket" or "code" costs little. One memchr pass per trigger byte is
 * several times cheaper than a loop over the bytes; all triggers but 'c'
 * are rare in log text.
 */
/* Keep in step with anchors() below, and normalize.c's probe_close. */
const char *const close_anchor_words[] = {
	"clos", "code", "wasclean", "connection rejected (", "websocket connection to '",
	"websocket frame: ", "websocket was closed before", "websocket /",
	"rejected websocket connection: http ", "; then ", "unexpected server response: ",
	"received #### (", "sent #### (", "http_status", "websocketdisconnect: ",
	"websocket disconnect /", "websocket reject /", "disconnected with error '",
	"failing websocket connection", NULL,
};

static void anchors(const char *s, size_t n, struct hints *h)
{
	static const char trig[] = "cCW;U(";
	const char *e = s + n;
	unsigned m = 0;

	h->code_at = NPOS;

	for (const char *t = trig; *t; t++) {
		for (const char *p = s; p < e && (p = memchr(p, *t, (size_t)(e - p))); p++) {
			size_t i = (size_t)(p - s);

			switch (*t) {
			case 'c':
			case 'C': {
				unsigned c = c_anchor(s, n, i);

				if ((c & A_CODE) && i < h->code_at)
					h->code_at = i;
				m |= c;
				break;
			}
			case 'W':
				if (AT(s, n, i, "WebSocket"))
					m |= websocket_anchor(s, n, i);
				break;
			case ';':
				if (AT(s, n, i, "; then "))
					m |= A_THEN;
				break;
			case 'U':
				if (AT(s, n, i, "Unexpected server response: "))
					m |= A_WS_LIB;
				break;
			case '(':
				if (frame_before(s, i))
					m |= A_FRAME;
				break;
			}
		}
	}
	h->seen = m;
}

/* A family may have written fields before giving up. */
void close_trace_reset(struct close_trace *o)
{
	o->present = 0;
	o->code = 0;
	o->reason[0] = '\0';
	o->direction = CLOSE_DIR_UNKNOWN;
	o->clean = -1;
	o->elapsed_ms = -1;
	o->http_status = 0;
	o->client = NULL;
}

int close_parse(const char *msg, size_t len, struct close_trace *out)
{
	static const struct {
		int (*parse)(const char *, size_t, struct close_trace *);
		unsigned need;   /* any of these anchors */
	} families[] = {
		{ try_websockets, A_THEN | A_FRAME | A_NO_FRAME },
		{ try_handshake, A_HTTP_REJECT | A_REJECTED },
		{ try_websockets_legacy, A_LEGACY },
		{ try_wscat, A_WSCAT },
		{ try_gorilla, A_GORILLA },
		{ try_close_event, A_WASCLEAN },
		{ try_browser_failed, A_CONN_TO },
		{ try_ws_lib, A_WS_LIB },
		{ try_debug_script, A_DEBUG },
		{ try_websockets_cli, A_CLOS },
		{ try_uvicorn, A_UVICORN },
		{ try_ws_debug, A_WSDEBUG },
		{ try_starlette, A_STARLETTE },
		{ try_spring, A_SPRING },
		{ try_jsr356, A_JSR },
		{ try_socketio, A_SOCKETIO },
		{ try_signalr, A_SIGNALR },
		{ try_daphne, A_DAPHNE },
	};
	struct hints h;
	int found = 0;

	close_trace_reset(out);
	if (!msg || len == 0)
		return 0;
	anchors(msg, len, &h);
	if (!h.seen)
		return 0;
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]) && !found; f++) {
		if (!(families[f].need & h.seen))
			continue;
		found = families[f].parse(msg, len, out);
		if (!found)
			close_trace_reset(out);
	}
	/* the loosest family last, once every exact wording has had its turn */
	if (!found && (h.seen & (A_CODE | A_CLOS)) && !(found = try_server(msg, len, &h, out)))
		close_trace_reset(out);
	/* a server saying the TCP connection ended with no close frame: what
	 * its client reports as 1006 */
	if (!found && (h.seen & A_CLOS) &&
	    (FIND_CI(msg, len, 0, "without a close frame") != NPOS ||
	     FIND_CI(msg, len, 0, "without close frame") != NPOS)) {
		out->code = 1006;
		out->clean = 0;
		out->client = "server";
		found = 1;
	}
	if (!found)
		return 0;
	/* a server's own line saying which way the close frame went */
	if (out->direction == CLOSE_DIR_UNKNOWN && !strcmp(out->client, "server")) {
		if (FIND_CI(msg, len, 0, "close sent") != NPOS || FIND_CI(msg, len, 0, "sent close") != NPOS ||
		    FIND_CI(msg, len, 0, "sending close") != NPOS)
			out->direction = CLOSE_DIR_SENT;
		else if (FIND_CI(msg, len, 0, "close received") != NPOS ||
			 FIND_CI(msg, len, 0, "received close") != NPOS)
			out->direction = CLOSE_DIR_RECEIVED;
	}
	if (out->code == 1006 && out->clean < 0)
		out->clean = 0;
	out->elapsed_ms = find_elapsed(msg, len);
	out->present = 1;
	return 1;
}
