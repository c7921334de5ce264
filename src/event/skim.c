#include "event/event.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "read/multiline.h"
#include "util/jscan.h"

/*
 * The skim: what event_from_record would make of a record the caller's
 * prefilter has ruled out, without building the JSON tree. Only the plain
 * shape is taken: a Cloud Run LogEntry of printable ASCII, without \u or
 * \/ escapes, that jansson would certainly accept; its time from
 * "timestamp"; a one-line message (textPayload, or jsonPayload's message)
 * that cannot take part in a multi-line block. Anything else, however
 * harmless, goes the full way: the skim may refuse, never guess.
 * Why a JSON scanner of its own: the skim exists to skip jansson's tree for
 * the records no rule can match (most of a large log); it reads a few
 * fields in place and never allocates. The same scanner builds the tree
 * of the records that are parsed, when they are of that plain shape
 * (event_skim_tree, at the end): jansson's lexer cost three times what
 * its values do.
 */

#define SKIM_DEPTH 32

struct sk {
	const char *p, *e;
};

struct span {
	const char *p;     /* a string's contents, or a value's first byte */
	size_t n;
	char type;         /* 's' string, 'o' object, 'a' array, 'v' other; 0 absent */
	int esc;           /* a string with escapes */
};

static void sk_ws(struct sk *s)
{
	while (s->p < s->e && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* At '"'. Escapes other than \" \\ \b \f \n \r \t, control bytes and bytes
 * past ASCII are refused. */
static int sk_string(struct sk *s, struct span *v)
{
	const char *p = ++s->p;

	v->esc = 0;
	for (;;) {
		unsigned char c;

		p = jscan_plain(p, s->e, JSCAN_ASCII);
		if (p >= s->e)
			return 0;
		c = (unsigned char)*p;
		if (c == '"') {
			v->p = s->p;
			v->n = (size_t)(p - s->p);
			v->type = 's';
			s->p = p + 1;
			return 1;
		}
		if (c != '\\' || p + 1 >= s->e || !strchr("\"\\bfnrt", p[1]) || !p[1])
			return 0;   /* a control byte or one past ASCII, a bad escape */
		v->esc = 1;
		p += 2;
	}
}

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Strict JSON numbers that cannot overflow jansson's integer or double:
 * 1 an integer, 2 a real (a fraction or an exponent), 0 not one. */
static int sk_number(struct sk *s)
{
	const char *p = s->p, *d;
	int real = 0;

	if (p < s->e && *p == '-')
		p++;
	d = p;
	if (p < s->e && *p == '0')
		p++;
	else
		while (p < s->e && digit(*p))
			p++;
	if (p == d)
		return 0;
	if (p < s->e && *p == '.') {
		real = 1;
		if (++p >= s->e || !digit(*p))
			return 0;
		while (p < s->e && digit(*p))
			p++;
	}
	if (p < s->e && (*p == 'e' || *p == 'E')) {
		const char *x;

		real = 1;
		p++;
		if (p < s->e && (*p == '+' || *p == '-'))
			p++;
		x = p;
		while (p < s->e && digit(*p))
			p++;
		if (p == x || p - x > 2)
			return 0;
	}
	if ((real ? p - d > 40 : p - d > 18))
		return 0;
	s->p = p;
	return 1 + real;
}

static int sk_value(struct sk *s, int depth, struct span *v);

/* At '{'. Records the values of the wanted keys (all absent first); a
 * wanted key twice, or a wanted key written with escapes, is refused. */
/* At a container's opening byte: step in; 1 when it closes at once. */
static int sk_open(struct sk *s, char close)
{
	s->p++;
	sk_ws(s);
	if (s->p < s->e && *s->p == close) {
		s->p++;
		return 1;
	}
	return 0;
}

/* After an element: 1 when another follows (past the comma), 0 when the
 * container closed, -1 when neither (not JSON). */
static int sk_more(struct sk *s, char close)
{
	sk_ws(s);
	if (s->p < s->e && *s->p == ',') {
		s->p++;
		sk_ws(s);
		return 1;
	}
	if (s->p < s->e && *s->p == close) {
		s->p++;
		return 0;
	}
	return -1;
}

/*
 * The keys an object is read for, found by a hash of a key's length and
 * first and last bytes: one probe and one compare a key of the record,
 * where comparing it with every name cost a fifth of the skim.
 */
#define KS_SLOTS 64
struct keyset {
	const char *const *name;          /* NULL-terminated, fewer than KS_SLOTS */
	size_t n;
	unsigned char len[KS_SLOTS];
	unsigned char slot[KS_SLOTS];     /* name index + 1; 0: empty */
};

static size_t ks_hash(const char *p, size_t n)
{
	return (n * 37 + (unsigned char)p[0] * 11u + (unsigned char)p[n - 1]) % KS_SLOTS;
}

static void ks_build(struct keyset *ks)
{
	size_t h;

	for (ks->n = 0; ks->name[ks->n]; ks->n++) {
		size_t n = strlen(ks->name[ks->n]);

		ks->len[ks->n] = (unsigned char)n;
		for (h = ks_hash(ks->name[ks->n], n); ks->slot[h]; h = (h + 1) % KS_SLOTS)
			;
		ks->slot[h] = (unsigned char)(ks->n + 1);
	}
}

/* Every key set's table, built once (ks_init, with the sets below). */
static pthread_once_t ks_once = PTHREAD_ONCE_INIT;
static void ks_init(void);

/* The index of the name p (n bytes) in ks; ks->n when it is none. */
static size_t ks_find(const struct keyset *ks, const char *p, size_t n)
{
	size_t h;

	if (!n)
		return ks->n;
	for (h = ks_hash(p, n); ks->slot[h]; h = (h + 1) % KS_SLOTS) {
		size_t i = ks->slot[h] - 1u;

		if (ks->len[i] == n && !memcmp(ks->name[i], p, n))
			return i;
	}
	return ks->n;
}

/* A wanted key whose object value is read in the same pass: its own
 * wanted keys into got (valid when the key's span has type 'o'), and
 * theirs. One walk over each byte, where reading the nested objects
 * again after the record's walk read most of a LogEntry twice. */
struct sub {
	const struct keyset *want;   /* NULL: no such key */
	struct span *got;
	const struct sub *sub;
};

static int sk_object(struct sk *s, int depth, const struct keyset *want, struct span *got,
		     const struct sub *sub)
{
	size_t i;

	for (i = 0; want && i < want->n; i++)
		got[i].type = 0;
	if (depth > SKIM_DEPTH)
		return 0;
	if (sk_open(s, '}'))
		return 1;
	for (;;) {
		struct span k, v;
		int more;

		if (s->p >= s->e || *s->p != '"' || !sk_string(s, &k))
			return 0;
		sk_ws(s);
		if (s->p >= s->e || *s->p != ':')
			return 0;
		s->p++;
		sk_ws(s);
		if (k.esc && want)
			return 0;   /* an escaped key could spell a wanted one */
		i = want ? ks_find(want, k.p, k.n) : 0;
		if (want && i < want->n && got[i].type)
			return 0;   /* twice */
		if (want && i < want->n && sub && sub[i].want && s->p < s->e && *s->p == '{') {
			v.p = s->p;
			v.esc = 0;
			v.type = 'o';
			if (!sk_object(s, depth + 1, sub[i].want, sub[i].got, sub[i].sub))
				return 0;
			v.n = (size_t)(s->p - v.p);
		} else if (!sk_value(s, depth + 1, &v)) {
			return 0;
		}
		if (want && i < want->n)
			got[i] = v;
		if ((more = sk_more(s, '}')) <= 0)
			return more == 0;
	}
}

static int sk_array(struct sk *s, int depth)
{
	struct span v;
	int more;

	if (depth > SKIM_DEPTH)
		return 0;
	if (sk_open(s, ']'))
		return 1;
	do {
		if (!sk_value(s, depth + 1, &v))
			return 0;
	} while ((more = sk_more(s, ']')) > 0);
	return more == 0;
}

static int sk_word(struct sk *s, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(s->e - s->p) < n || memcmp(s->p, w, n))
		return 0;
	s->p += n;
	return 1;
}

static int sk_value(struct sk *s, int depth, struct span *v)
{
	const char *start = s->p;
	int ok;

	if (s->p >= s->e)
		return 0;
	v->esc = 0;
	switch (*s->p) {
	case '"':
		return sk_string(s, v);
	case '{':
		ok = sk_object(s, depth, NULL, NULL, NULL);
		v->type = 'o';
		break;
	case '[':
		ok = sk_array(s, depth);
		v->type = 'a';
		break;
	case 't':
		ok = sk_word(s, "true");
		v->type = 'v';
		break;
	case 'f':
		ok = sk_word(s, "false");
		v->type = 'v';
		break;
	case 'n':
		ok = sk_word(s, "null");
		v->type = 'v';
		break;
	default:
		ok = sk_number(s) != 0;
		v->type = 'v';
	}
	v->p = start;
	v->n = (size_t)(s->p - start);
	return ok;
}

/* normalize.c's is_logentry, app_fields and message_with_trace read these */
enum { K_TS, K_TEXT, K_JSON, K_PROTO, K_LOGNAME, K_RESOURCE, K_INSERT, K_RECEIVE,
       K_CLOSE, K_TYPE, K_PROBE, K_LABELS, K_STREAM, K_SEV, K_COUNT };
static const char *const top_keys[] = {
	"timestamp", "textPayload", "jsonPayload", "protoPayload", "logName", "resource",
	"insertId", "receiveTimestamp", "close", "type", "probe", "labels", "stream", "severity",
	NULL,
};
/* keys_instance in normalize.c, in order */
static const char *const instance_keys[] = { "instanceId", "instance_id", "instance", NULL };
static struct keyset ks_top = { top_keys, 0, { 0 }, { 0 } };
static struct keyset ks_instance = { instance_keys, 0, { 0 }, { 0 } };

static int is_null(const struct span *v)
{
	return v->type == 'v' && v->n == 4 && !memcmp(v->p, "null", 4);
}

/* What the joiner compares: the instance as normalize's first choice
 * (LogEntry labels, read into lab) gives it, logName and stream as entry
 * strings. */
static void join_keys(const struct span *top, const struct span lab[3], struct skim_keys *k)
{
	int i;

	memset(k, 0, sizeof *k);
	if (top[K_LOGNAME].type == 's' && !top[K_LOGNAME].esc) {
		k->log = top[K_LOGNAME].p;
		k->nlog = top[K_LOGNAME].n;
	} else if (top[K_LOGNAME].type == 's') {
		return;
	}
	if (top[K_STREAM].type == 's' && !top[K_STREAM].esc) {
		k->stream = top[K_STREAM].p;
		k->nstream = top[K_STREAM].n;
	} else if (top[K_STREAM].type == 's') {
		return;
	}
	if (top[K_LABELS].type != 'o')
		return;
	for (i = 0; i < 3; i++) {
		if (!lab[i].type || is_null(&lab[i]))
			continue;
		if (lab[i].type == 's' && !lab[i].esc && lab[i].n) {
			k->instance = lab[i].p;
			k->ninstance = lab[i].n;
			k->known = 1;
		}
		return;
	}
}
/* keys_msg in normalize.c, in order, then its fallback and keys_exc */
enum { P_MSG_LAST = 4, P_TEXT, P_EXC0, P_SEV0 = P_EXC0 + 3, P_LEVEL, P_COUNT = P_SEV0 + 5 };
static const char *const payload_keys[] = {
	"message", "msg", "error", "event", "err", "textPayload",
	"exc_info", "stack_trace", "stacktrace",
	"severity", "level", "levelname", "lvl", "log.level", NULL,   /* keys_sev, in order */
};
static struct keyset ks_payload = { payload_keys, 0, { 0 }, { 0 } };

/*
 * normalize.c's json_sev on a skimmed value: the severity, 0 when the
 * value gives none, -1 when the skim cannot tell (the caller then treats
 * the record as severe).
 */
static int sk_sev(const struct span *v, int pino)
{
	long long x = 0;
	size_t i = 0;
	int neg = 0;

	if (v->type == 's') {
		int s;

		if (v->esc)
			return -1;
		s = sev_parse(v->p, v->n);
		return s > 0 ? s : 0;
	}
	if (v->type != 'v')
		return 0;
	if (i < v->n && v->p[i] == '-') {
		neg = 1;
		i++;
	}
	if (i == v->n || v->n - i > 9)
		return -1;
	for (; i < v->n; i++) {
		if (v->p[i] < '0' || v->p[i] > '9')
			return v->p[i] == '.' || v->p[i] == 'e' || v->p[i] == 'E' ? 0 : -1;
		x = x * 10 + (v->p[i] - '0');
	}
	if (neg)
		return 0;
	if (pino && x > 0 && x < 100)
		return x >= 60 ? SEV_CRITICAL : x >= 50 ? SEV_ERROR :
		       x >= 40 ? SEV_WARNING : x >= 30 ? SEV_INFO : SEV_DEBUG;
	if (x >= 100 && x <= 800 && x % 100 == 0)
		return (int)(x / 100);
	return 0;
}

/* The revision a LogEntry's resource labels name (the resource's labels
 * read into lab, theirs into r): 1 with *rev set (type 0 when none), 0
 * when the skim cannot read it with certainty. */
static const char *const res_keys[] = { "labels", NULL };
static const char *const rev_keys[] = { "revision_name", "version_id", NULL };
static struct keyset ks_res = { res_keys, 0, { 0 }, { 0 } };
static struct keyset ks_rev = { rev_keys, 0, { 0 }, { 0 } };

static int sk_revision(const struct span *res, const struct span lab[1], const struct span r[2],
		       struct span *rev)
{
	int i;

	memset(rev, 0, sizeof *rev);
	if (!res->type || is_null(res))
		return 1;
	if (res->type != 'o')
		return 0;
	if (!lab[0].type || is_null(&lab[0]))
		return 1;
	if (lab[0].type != 'o')
		return 0;
	for (i = 0; i < 2; i++) {
		if (!r[i].type || is_null(&r[i]))
			continue;
		if (r[i].type != 's' || r[i].esc)
			return 0;
		*rev = r[i];
		return 1;
	}
	return 1;
}

int event_skim(const struct record *rec, struct skim *sk)
{
	struct skim_keys *k = &sk->k;
	struct span rev;
	struct sk s = { rec->text, rec->text + rec->len };
	struct span top[K_COUNT], pay[P_COUNT], rlab[1], r[2], lab[3], *msg = NULL;
	const struct sub rsub[1] = { { &ks_rev, r, NULL } };
	struct sub sub[K_COUNT] = { { NULL, NULL, NULL } };
	int64_t ts;
	int i, sev;

	if (rec->kind != RECORD_JSON || rec->truncated)
		return 0;
	pthread_once(&ks_once, ks_init);
	sub[K_JSON] = (struct sub){ &ks_payload, pay, NULL };
	sub[K_RESOURCE] = (struct sub){ &ks_res, rlab, rsub };
	sub[K_LABELS] = (struct sub){ &ks_instance, lab, NULL };
	sk_ws(&s);
	if (s.p >= s.e || *s.p != '{' || !sk_object(&s, 1, &ks_top, top, sub))
		return 0;
	sk_ws(&s);
	if (s.p != s.e)
		return 0;
	/* a probe's close trace reads differently */
	if (top[K_CLOSE].type || top[K_TYPE].type || top[K_PROBE].type)
		return 0;
	if (!(top[K_TEXT].type || top[K_JSON].type || top[K_PROTO].type ||
	      (top[K_LOGNAME].type && (top[K_RESOURCE].type || top[K_INSERT].type)) ||
	      (top[K_INSERT].type && top[K_RECEIVE].type)))
		return 0;   /* not a LogEntry */
	if (top[K_TS].type != 's' || top[K_TS].esc ||
	    !event_time_parse(top[K_TS].p, top[K_TS].n, &ts))
		return 0;

	if (top[K_TEXT].type == 's') {
		msg = &top[K_TEXT];
	} else if (!top[K_TEXT].type && top[K_JSON].type == 'o') {
		for (i = P_EXC0; i < P_SEV0; i++)
			if (pay[i].type)
				return 0;   /* a traceback goes after the message */
		for (i = 0; i <= P_TEXT && !msg; i++)
			if (pay[i].type == 's')
				msg = &pay[i];
	}
	if (!msg || msg->esc || multiline_candidate(msg->p, msg->n))
		return 0;
	if (!sk_revision(&top[K_RESOURCE], rlab, r, &rev) ||
	    rev.n >= sizeof ((struct event *)NULL)->revision)
		return 0;
	join_keys(top, lab, k);
	k->msg = msg->p;
	k->nmsg = msg->n;

	/* the severity as normalize would read it: the entry's, else the
	 * payload's first severity key (a null one is skipped) */
	sev = top[K_SEV].type && !is_null(&top[K_SEV]) ? sk_sev(&top[K_SEV], 0) : 0;
	if (sev == 0 && !top[K_TEXT].type && top[K_JSON].type == 'o')
		for (i = P_SEV0; i < P_COUNT; i++)
			if (pay[i].type && !is_null(&pay[i])) {
				sev = sk_sev(&pay[i], i == P_LEVEL);
				break;
			}

	sk->sev = sev < 0 ? SEV_EMERGENCY : (enum sev)sev;   /* unsure: as severe as can be */
	sk->newlines = 0;
	for (s.p = rec->text; (s.p = memchr(s.p, '\n', (size_t)(s.e - s.p))); s.p++)
		sk->newlines++;
	sk->ts_us = ts;
	sk->skim_bytes = rec->len + msg->n;   /* msg has no escapes: decoded = raw */
	sk->rev.p = rev.type ? rev.p : NULL;
	sk->rev.n = rev.type ? rev.n : 0;
	sk->keyed = 0;
	return 1;
}

/* app_fields reads these in a jsonPayload (normalize.c's keys_trace,
 * keys_instance and keys_conn, in order): four trace keys, three
 * instance keys, four connection keys, and the labels the skim does not
 * follow */
enum { J_TRACE = 0, J_INSTANCE = 4, J_CONN = 7, J_LABELS = 11, J_COUNT };
static const char *const jp_keys[] = {
	"logging.googleapis.com/trace", "trace", "trace_id", "traceId",
	"instanceId", "instance_id", "instance",
	"connection_id", "connectionId", "conn_id", "connId",
	"logging.googleapis.com/labels", NULL,
};
/* the LogEntry's labels: three instance keys, four connection keys */
static const char *const label_keys[] = {
	"instanceId", "instance_id", "instance",
	"connection_id", "connectionId", "conn_id", "connId", NULL,
};
static const char *const keyed_keys[] = { "trace", "labels", "resource", "jsonPayload", NULL };
static struct keyset ks_jp = { jp_keys, 0, { 0 }, { 0 } };
static struct keyset ks_label = { label_keys, 0, { 0 }, { 0 } };
static struct keyset ks_keyed = { keyed_keys, 0, { 0 }, { 0 } };

static void ks_init(void)
{
	struct keyset *const all[] = { &ks_top, &ks_instance, &ks_payload, &ks_res, &ks_rev,
				       &ks_jp, &ks_label, &ks_keyed };
	size_t i;

	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		ks_build(all[i]);
}

/*
 * normalize's first_key and set_key over n candidate values: the first
 * that is there and not null decides (an empty string sets nothing). 1
 * with *out set, 0 when it sets nothing, -1 when the skim cannot be sure
 * (escapes, a number or another kind of value).
 */
static int first_plain(const struct span *v, size_t n, struct key_span *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!v[i].type || is_null(&v[i]))
			continue;
		if (v[i].type != 's' || v[i].esc)
			return -1;
		out->p = v[i].p;
		out->n = v[i].n;
		return out->n > 0;
	}
	return 0;
}

/* Sets *key (when not yet set) from the candidates; -1: unsure. */
static int take(const struct span *v, size_t n, struct key_span *key, int trace)
{
	struct key_span s;
	int rc;

	if (key->p)
		return 0;
	rc = first_plain(v, n, &s);
	if (rc <= 0)
		return rc;
	if (trace)
		event_trace_id(&s.p, &s.n);
	if (s.n)
		*key = s;
	return 0;
}

/* The wanted keys of v when it is an object (all absent when it is not);
 * 0 when the skim cannot read it. */
static int sk_sub(const struct span *v, int depth, const struct keyset *want, struct span *got)
{
	size_t i;

	if (v->type == 'o') {
		struct sk s = { v->p, v->p + v->n };

		return sk_object(&s, depth, want, got, NULL);
	}
	for (i = 0; i < want->n; i++)
		got[i].type = 0;
	return 1;
}

int event_skim_keys(const struct record *rec, struct skim *sk)
{
	struct sk s = { rec->text, rec->text + rec->len };
	struct span top[4], lab[7], res[1], rlab[3], jp[J_COUNT];
	struct key_span *key = sk->key, m[EV_KEYS];
	size_t i;
	unsigned need = 0;

	memset(sk->key, 0, sizeof sk->key);
	pthread_once(&ks_once, ks_init);
	sk_ws(&s);
	if (!sk_object(&s, 1, &ks_keyed, top, NULL) || !sk_sub(&top[1], 2, &ks_label, lab) ||
	    !sk_sub(&top[2], 2, &ks_res, res) || !sk_sub(&res[0], 3, &ks_instance, rlab) ||
	    !sk_sub(&top[3], 2, &ks_jp, jp) || jp[J_LABELS].type)
		return 0;
	/* logentry_fields' order, app_fields' inside it */
	if (take(&top[0], 1, &key[EV_KEY_TRACE], 1) < 0 ||
	    take(lab, 3, &key[EV_KEY_INSTANCE], 0) < 0 ||
	    take(rlab, 3, &key[EV_KEY_INSTANCE], 0) < 0 ||
	    take(jp + J_TRACE, 4, &key[EV_KEY_TRACE], 1) < 0 ||
	    take(jp + J_INSTANCE, 3, &key[EV_KEY_INSTANCE], 0) < 0 ||
	    take(jp + J_CONN, 4, &key[EV_KEY_CONN], 0) < 0 ||
	    take(lab + 3, 4, &key[EV_KEY_CONN], 0) < 0)
		return 0;
	/* then the message's own words, for the keys still unknown */
	for (i = 0; i < EV_KEYS; i++)
		if (!key[i].p)
			need |= 1u << i;
	if (need) {
		event_msg_keys(sk->k.msg, sk->k.nmsg, need, m);
		for (i = 0; i < EV_KEYS; i++)
			if (!key[i].p && m[i].p)
				key[i] = m[i];
	}
	sk->keyed = 1;
	return 1;
}

static int store_key(struct event *ev, const struct key_span *k, size_t *off)
{
	*off = ev->store.len;
	return buf_add(&ev->store, k->p, k->n) < 0 || buf_addc(&ev->store, '\0') < 0 ? -1 : 0;
}

int event_from_skim(struct event *ev, const struct record *rec, const struct skim *sk, int with_msg)
{
	size_t off[EV_KEYS + 1], i;

	event_clear(ev);
	ev->sev = sk->sev;
	ev->source = rec->source;
	ev->line = rec->line;
	ev->last_line = rec->line + sk->newlines;
	ev->has_ts = 1;
	ev->ts_us = sk->ts_us;
	ev->skimmed = 1;
	ev->skim_bytes = sk->skim_bytes;
	if (sk->rev.p) {
		memcpy(ev->revision, sk->rev.p, sk->rev.n);
		ev->revision[sk->rev.n] = '\0';
	}
	if (!sk->keyed) {
		if (with_msg) {
			off[EV_KEYS] = ev->store.len;
			if (buf_add(&ev->store, sk->k.msg, sk->k.nmsg) < 0)
				return -1;
			ev->msg = ev->store.p + off[EV_KEYS];
			ev->msg_len = sk->k.nmsg;
		}
		return 0;
	}
	off[EV_KEYS] = ev->store.len;
	if (buf_add(&ev->store, sk->k.msg, sk->k.nmsg) < 0 || buf_addc(&ev->store, '\0') < 0)
		return -1;
	for (i = 0; i < EV_KEYS; i++)
		if (sk->key[i].p && store_key(ev, &sk->key[i], &off[i]) < 0)
			return -1;
	/* pointers only now: the store may have moved while growing */
	ev->msg = ev->store.p + off[EV_KEYS];
	ev->msg_len = sk->k.nmsg;
	ev->conn = sk->key[EV_KEY_CONN].p ? ev->store.p + off[EV_KEY_CONN] : NULL;
	ev->trace = sk->key[EV_KEY_TRACE].p ? ev->store.p + off[EV_KEY_TRACE] : NULL;
	ev->instance = sk->key[EV_KEY_INSTANCE].p ? ev->store.p + off[EV_KEY_INSTANCE] : NULL;
	ev->keyed = 1;
	return 0;
}

/* ---- the tree, for the records that are parsed ------------------------
 *
 * The same walk builds jansson's tree for a record of the skim's plain
 * shape (printable ASCII, escapes but \u and \/, numbers that cannot
 * overflow, at most SKIM_DEPTH deep): what json_loadb would give, value
 * for value, key order and a repeated key's last value included, for a
 * fraction of its cost. Anything else is left to json_loadb, which also
 * words the error of a record that is not JSON.
 */
static json_t *tr_value(struct sk *s, int depth);

/* a string's contents with its escapes (only \" \\ \b \f \n \r \t: the
 * skim refuses the others) decoded */
#define TR_SMALL 256

/* v's contents decoded into small, or into memory of its own when longer
 * (to free when it is not small); NULL when out of memory. */
static char *tr_unescape(const struct span *v, char small[TR_SMALL], size_t *n)
{
	static const char from[] = "\"\\bfnrt", to[] = "\"\\\b\f\n\r\t";
	char *b = v->n <= TR_SMALL ? small : malloc(v->n);
	size_t i;

	if (!b)
		return NULL;
	for (i = 0, *n = 0; i < v->n; i++)
		b[(*n)++] = v->p[i] == '\\' ? to[strchr(from, v->p[++i]) - from] : v->p[i];
	return b;
}

static json_t *tr_string(const struct span *v)
{
	char small[TR_SMALL], *b;
	size_t n;
	json_t *j;

	if (!v->esc)
		return json_stringn_nocheck(v->p, v->n);
	if (!(b = tr_unescape(v, small, &n)))
		return NULL;
	j = json_stringn_nocheck(b, n);
	if (b != small)
		free(b);
	return j;
}

static json_t *tr_number(const struct span *v, int real)
{
	char b[48];

	if (v->n >= sizeof b)
		return NULL;
	memcpy(b, v->p, v->n);
	b[v->n] = '\0';
	/* sk_number allows 18 digits of an integer, a real of 40 bytes with a
	 * two-digit exponent: neither can overflow */
	if (real)
		return json_real(strtod(b, NULL));
	return json_integer(strtoll(b, NULL, 10));
}

static json_t *tr_object(struct sk *s, int depth)
{
	json_t *o = json_object();
	int more;

	if (!o || depth > SKIM_DEPTH)
		goto fail;
	if (sk_open(s, '}'))
		return o;
	do {
		struct span k;
		char small[TR_SMALL], *dec = NULL;
		const char *kp;
		size_t kn;
		json_t *v;
		int r;

		if (s->p >= s->e || *s->p != '"' || !sk_string(s, &k))
			goto fail;
		sk_ws(s);
		if (s->p >= s->e || *s->p != ':')
			goto fail;
		s->p++;
		sk_ws(s);
		if (!(v = tr_value(s, depth + 1)))
			goto fail;
		kp = k.p;
		kn = k.n;
		if (k.esc && !(kp = dec = tr_unescape(&k, small, &kn))) {
			json_decref(v);
			goto fail;
		}
		r = json_object_setn_new_nocheck(o, kp, kn, v);   /* takes v, also on failure */
		if (dec != small)
			free(dec);
		if (r < 0)
			goto fail;
	} while ((more = sk_more(s, '}')) > 0);
	if (more == 0)
		return o;
fail:
	json_decref(o);
	return NULL;
}

static json_t *tr_array(struct sk *s, int depth)
{
	json_t *a = json_array();
	int more;

	if (!a || depth > SKIM_DEPTH)
		goto fail;
	if (sk_open(s, ']'))
		return a;
	do {
		json_t *v = tr_value(s, depth + 1);

		if (!v || json_array_append_new(a, v) < 0)
			goto fail;
	} while ((more = sk_more(s, ']')) > 0);
	if (more == 0)
		return a;
fail:
	json_decref(a);
	return NULL;
}

static json_t *tr_value(struct sk *s, int depth)
{
	struct span v;
	int num;

	if (s->p >= s->e)
		return NULL;
	switch (*s->p) {
	case '"':
		return sk_string(s, &v) ? tr_string(&v) : NULL;
	case '{':
		return tr_object(s, depth);
	case '[':
		return tr_array(s, depth);
	case 't':
		return sk_word(s, "true") ? json_true() : NULL;
	case 'f':
		return sk_word(s, "false") ? json_false() : NULL;
	case 'n':
		return sk_word(s, "null") ? json_null() : NULL;
	default:
		v.p = s->p;
		if (!(num = sk_number(s)))
			return NULL;
		v.n = (size_t)(s->p - v.p);
		return tr_number(&v, num == 2);
	}
}

json_t *event_skim_tree(const char *text, size_t len)
{
	struct sk s = { text, text + len };
	json_t *j;

	sk_ws(&s);
	if (!(j = tr_value(&s, 1)))
		return NULL;
	sk_ws(&s);
	if (s.p != s.e) {
		json_decref(j);
		return NULL;
	}
	return j;
}
