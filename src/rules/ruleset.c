#include "rules/ruleset_impl.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rules/cond.h"
#include "rules/prefilter.h"
#include "rules/ryaml.h"

/* Hard limits: a rule file is hand-written data, never a log. */
#define RULE_MAX_EXAMPLES 1000
#define RULE_WITHIN_MAX_MS (24L * 3600 * 1000)

/* Loading state for one file. */
struct ld {
	struct ruleset *rs;
	const char *name;
	struct diag *d;
};

static int err_at(const struct ld *l, const struct rule_ynode *n, const char *fmt, ...)
	DIAG_PRINTF(3, 4);

static int err_at(const struct ld *l, const struct rule_ynode *n, const char *fmt, ...)
{
	char msg[sizeof l->d->msg];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return diag_set(l->d, l->name, n ? n->line : 0, n ? n->col : 0, "%s", msg);
}

static int oom(const struct ld *l)
{
	return diag_set(l->d, l->name, 0, 0, "out of memory");
}

/* Optimal string alignment distance, for "did you mean". Keys are short. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t d[34][34];

	if (la > 32 || lb > 32)
		return 99;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			size_t c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < c)
				c = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < c)
				c = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < c)
				c = d[i - 2][j - 2] + 1;
			d[i][j] = c;
		}
	}
	return d[la][lb];
}

static int unknown_key(const struct ld *l, const struct rule_ynode *k,
		       const char *const *known, const char *where)
{
	const char *best = NULL;
	size_t bd = 3, i;
	char in[300] = "";

	for (i = 0; known[i]; i++) {
		size_t dist = edit_distance(k->s, known[i]);

		if (dist < bd) {
			bd = dist;
			best = known[i];
		}
	}
	/* "x" is two edits from "id": only suggest when the guess is credible */
	if (best && bd >= k->len)
		best = NULL;
	if (where)
		snprintf(in, sizeof in, " in '%s'", where);
	if (best)
		return err_at(l, k, "unknown key '%s'%s (did you mean '%s'?)", k->s, in, best);
	return err_at(l, k, "unknown key '%s'%s", k->s, in);
}

static int key_index(const char *key, const char *const *known)
{
	int i;

	for (i = 0; known[i]; i++)
		if (!strcmp(key, known[i]))
			return i;
	return -1;
}

/*
 * Walk a mapping's keys: each must be a known string key, at most once.
 * seen[] has one slot per known key and receives the value node.
 */
static int map_keys(const struct ld *l, const struct rule_ynode *map,
		    const char *const *known, const char *where,
		    const struct rule_ynode **seen)
{
	size_t i;

	for (i = 0; i + 1 < map->nkid; i += 2) {
		const struct rule_ynode *k = map->kid[i];
		int ki;

		if (k->kind != RULE_YSCALAR)
			return err_at(l, k, "expected a string key%s%s%s",
				      where ? " in '" : "", where ? where : "", where ? "'" : "");
		ki = key_index(k->s, known);
		if (ki < 0)
			return unknown_key(l, k, known, where);
		if (seen[ki])
			return err_at(l, k, "duplicate key '%s'", k->s);
		seen[ki] = map->kid[i + 1];
	}
	return 0;
}

/* Subject names like "match.any[1].message" for messages; cut when long. */
#define SUBJECT_MAX 256

static void subject(char *out, const char *parent, const char *key, long idx)
{
	size_t n = SUBJECT_MAX;
	int w;

	if (idx >= 0)
		w = snprintf(out, n, "%s[%ld]", parent, idx);
	else
		w = snprintf(out, n, "%s.%s", parent, key);
	if (w < 0 || (size_t)w >= n)
		memcpy(out + n - 4, "...", 4);
}

static int is_str(const struct rule_ynode *n)
{
	return n->kind == RULE_YSCALAR && !rule_ynode_is_null(n);
}

/* A non-empty string value, copied. */
static int get_str(const struct ld *l, const struct rule_ynode *n, const char *what, char **out)
{
	if (n->kind != RULE_YSCALAR || rule_ynode_is_null(n))
		return err_at(l, n, "expected a string for '%s'", what);
	if (n->len == 0)
		return err_at(l, n, "'%s' must not be empty", what);
	if (strlen(n->s) != n->len)
		return err_at(l, n, "'%s' must not contain NUL characters", what);
	if (!(*out = strdup(n->s)))
		return oom(l);
	return 0;
}

static int one_of(const char *s, const char *const *names)
{
	int i;

	for (i = 0; names[i]; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

/* ^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$ */
static int id_ok(const char *s)
{
	int dots = 0, at_start = 1;

	for (; *s; s++) {
		if (*s == '.') {
			if (at_start)
				return 0;
			dots++;
			at_start = 1;
		} else if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')) {
			at_start = 0;
		} else if (*s == '-' && !at_start) {
			continue;
		} else {
			return 0;
		}
	}
	return dots > 0 && !at_start;
}

static int word_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return 0;
	return 1;
}

static int parse_uint(const char *s, long max, long *out)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

/* "500ms", "5s", "2m", "1h" -> milliseconds. */
static int parse_duration(const char *s, long *ms)
{
	static const struct { const char *unit; long mul; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	char num[16];
	size_t n = strspn(s, "0123456789"), i;
	long v;

	if (n == 0 || n >= sizeof num)
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	if (parse_uint(num, RULE_WITHIN_MAX_MS, &v) < 0)
		return -1;
	for (i = 0; i < sizeof units / sizeof *units; i++) {
		if (!strcmp(s + n, units[i].unit)) {
			if (v > RULE_WITHIN_MAX_MS / units[i].mul)
				return -1;
			*ms = v * units[i].mul;
			return *ms > 0 ? 0 : -1;
		}
	}
	return -1;
}

/* Chars (not bytes) in s[0..n): libyaml counts columns in characters. */
static long utf8_chars(const char *s, size_t n)
{
	long c = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			c++;
	return c;
}

/*
 * Where in the file is byte off of this scalar's value? Exact for one-line
 * plain and single-quoted scalars (the only escape is '' for '); other
 * styles are reported at the scalar's start.
 */
static long value_col(const struct rule_ynode *n, size_t off)
{
	size_t i, quotes = 0;

	if (n->line != n->eline || off > n->len)
		return n->col;
	if (n->style == YAML_PLAIN_SCALAR_STYLE)
		return n->col + utf8_chars(n->s, off);
	if (n->style == YAML_SINGLE_QUOTED_SCALAR_STYLE) {
		for (i = 0; i < off; i++)
			quotes += n->s[i] == '\'';
		return n->col + 1 + utf8_chars(n->s, off) + (long)quotes;
	}
	return n->col;
}

static int compile_re(const struct ld *l, const struct rule_ynode *n, const char *what,
		      struct cond_re *re)
{
	char err[256];
	size_t off = 0;

	if (n->kind != RULE_YSCALAR || rule_ynode_is_null(n))
		return err_at(l, n, "expected a regex string for '%s'", what);
	if (n->len == 0)
		return err_at(l, n, "'%s' must not be an empty regex", what);
	if (cond_re_compile(re, n->s, n->len, err, sizeof err, &off) < 0)
		return diag_set(l->d, l->name, n->line, value_col(n, off),
				"bad regex in '%s': %s at offset %zu", what, err, off);
	return 0;
}

static int add_kid(const struct ld *l, struct cond *parent, struct cond *kid)
{
	if (!kid)
		return oom(l);
	if (cond_add(parent, kid) < 0) {
		cond_free(kid);
		return oom(l);
	}
	return 0;
}

/* A close code or status: one integer, or a list of them, in [lo, hi]. */
static int int_list(const struct ld *l, const struct rule_ynode *n, const char *what,
		    long lo, long hi, int **out, size_t *nout)
{
	const struct rule_ynode *const *items = (const struct rule_ynode *const *)&n;
	size_t count = 1, i;

	if (n->kind == RULE_YSEQ) {
		items = (const struct rule_ynode *const *)n->kid;
		count = n->nkid;
		if (!count)
			return err_at(l, n, "'%s' must not be an empty list", what);
	} else if (n->kind != RULE_YSCALAR) {
		return err_at(l, n, "'%s' must be a number or a list of numbers", what);
	}
	if (!(*out = calloc(count, sizeof **out)))
		return oom(l);
	*nout = count;
	for (i = 0; i < count; i++) {
		long v;

		if (items[i]->kind != RULE_YSCALAR || parse_uint(items[i]->s, hi, &v) < 0 || v < lo)
			return err_at(l, items[i], "'%s' must be a number from %ld to %ld, or a list of them",
				      what, lo, hi);
		(*out)[i] = (int)v;
	}
	return 0;
}

static const char *const close_keys[] = { "code", "reason", "direction", "clean", "http_status", NULL };

static int load_close(const struct ld *l, const struct rule_ynode *n, const char *where,
		      struct cond *c)
{
	const struct rule_ynode *v[5] = { 0 };
	char what[SUBJECT_MAX];

	if (n->kind != RULE_YMAP)
		return err_at(l, n, "expected a mapping for '%s'", where);
	if (map_keys(l, n, close_keys, where, v) < 0)
		return -1;
	subject(what, where, "code", -1);
	if (v[0] && int_list(l, v[0], what, 1000, 4999, &c->codes, &c->ncodes) < 0)
		return -1;
	subject(what, where, "reason", -1);
	if (v[1] && compile_re(l, v[1], what, &c->re) < 0)
		return -1;
	if (v[2]) {
		static const char *const dirs[] = { "received", "sent", NULL };
		int i = is_str(v[2]) ? one_of(v[2]->s, dirs) : -1;

		if (i < 0)
			return err_at(l, v[2], "'%s.direction' must be one of received, sent", where);
		c->direction = i == 0 ? CLOSE_DIR_RECEIVED : CLOSE_DIR_SENT;
	}
	if (v[3]) {
		static const char *const bools[] = { "false", "true", NULL };
		int i = is_str(v[3]) && v[3]->style == YAML_PLAIN_SCALAR_STYLE ? one_of(v[3]->s, bools) : -1;

		if (i < 0)
			return err_at(l, v[3], "'%s.clean' must be true or false", where);
		c->clean = i;
	}
	subject(what, where, "http_status", -1);
	if (v[4] && int_list(l, v[4], what, 100, 599, &c->statuses, &c->nstatuses) < 0)
		return -1;
	return 0;
}

static const char *const cond_keys[] = { "message", "field", "close", "severity", "text", "any", "not", "redact", NULL };

/* A condition mapping: its keys AND together into one COND_ALL. */
static int load_cond(const struct ld *l, const struct rule_ynode *n, const char *where,
		     int depth, struct cond **out)
{
	const struct rule_ynode *v[8] = { 0 };
	struct cond *all, *c;
	char what[SUBJECT_MAX];
	size_t i;

	*out = NULL;
	if (depth > COND_MAX_DEPTH)
		return err_at(l, n, "conditions nested too deeply in '%s' (max %d)", where, COND_MAX_DEPTH);
	if (n->kind != RULE_YMAP)
		return err_at(l, n, "expected a mapping for '%s'", where);
	if (n->nkid == 0)
		return err_at(l, n, "'%s' must have at least one condition", where);
	if (map_keys(l, n, cond_keys, where, v) < 0)
		return -1;
	if (!(all = cond_new(COND_ALL)))
		return oom(l);
	*out = all;
	/* in the order written, so errors come out in file order */
	for (i = 0; i + 1 < n->nkid; i += 2) {
		const struct rule_ynode *key = n->kid[i], *val = n->kid[i + 1];
		int ki = key_index(key->s, cond_keys);

		subject(what, where, key->s, -1);
		switch (ki) {
		case 0: /* message */
		case 4: /* text */
			if (add_kid(l, all, c = cond_new(ki == 0 ? COND_MESSAGE : COND_TEXT)) < 0 ||
			    compile_re(l, val, what, &c->re) < 0)
				return -1;
			break;
		case 1: { /* field */
			size_t j;

			if (val->kind != RULE_YMAP)
				return err_at(l, val, "expected a mapping of field paths to regexes for '%s'", what);
			if (val->nkid == 0)
				return err_at(l, val, "'%s' must name at least one field", what);
			for (j = 0; j + 1 < val->nkid; j += 2) {
				const struct rule_ynode *pk = val->kid[j];
				char fwhat[SUBJECT_MAX];

				if (!is_str(pk) || pk->len == 0 || strlen(pk->s) != pk->len)
					return err_at(l, pk, "expected a field path in '%s'", what);
				subject(fwhat, what, pk->s, -1);
				if (add_kid(l, all, c = cond_new(COND_FIELD)) < 0)
					return -1;
				if (!(c->path = strdup(pk->s)))
					return oom(l);
				if (compile_re(l, val->kid[j + 1], fwhat, &c->re) < 0)
					return -1;
			}
			break;
		}
		case 2: /* close */
			if (add_kid(l, all, c = cond_new(COND_CLOSE)) < 0 ||
			    load_close(l, val, what, c) < 0)
				return -1;
			break;
		case 7: /* redact: the rule's own patterns (linked once they load) */
			if (!is_str(val) || strcmp(val->s, "true"))
				return err_at(l, val, "'%s' must be true (one of the rule's redact patterns matches)", what);
			if (add_kid(l, all, c = cond_new(COND_REDACT)) < 0)
				return -1;
			c->line = val->line;
			c->col = val->col;
			break;
		case 3: { /* severity */
			int s = is_str(val) ? sev_parse(val->s, val->len) : -1;

			if (s < 0)
				return err_at(l, val, "'%s' must be a severity name (DEBUG, INFO, NOTICE, WARNING, ERROR, CRITICAL, ALERT, EMERGENCY)", what);
			if (add_kid(l, all, c = cond_new(COND_SEVERITY)) < 0)
				return -1;
			c->sev = s;
			break;
		}
		case 5: { /* any */
			size_t j;

			if (val->kind != RULE_YSEQ)
				return err_at(l, val, "'%s' must be a list of conditions", what);
			if (val->nkid == 0)
				return err_at(l, val, "'%s' must not be an empty list", what);
			if (add_kid(l, all, c = cond_new(COND_ANY)) < 0)
				return -1;
			for (j = 0; j < val->nkid; j++) {
				struct cond *k;
				char iwhat[SUBJECT_MAX];

				subject(iwhat, what, "", (long)j);
				if (load_cond(l, val->kid[j], iwhat, depth + 1, &k) < 0) {
					cond_free(k);
					return -1;
				}
				if (add_kid(l, c, k) < 0)
					return -1;
			}
			break;
		}
		case 6: { /* not */
			struct cond *k;

			if (add_kid(l, all, c = cond_new(COND_NOT)) < 0)
				return -1;
			if (load_cond(l, val, what, depth + 1, &k) < 0) {
				cond_free(k);
				return -1;
			}
			if (add_kid(l, c, k) < 0)
				return -1;
			break;
		}
		}
	}
	return 0;
}

static int str_list(const struct ld *l, const struct rule_ynode *n, const char *what,
		    char ***out, size_t *nout)
{
	size_t i;

	if (n->kind != RULE_YSEQ)
		return err_at(l, n, "'%s' must be a list of strings", what);
	if (n->nkid && !(*out = calloc(n->nkid, sizeof **out)))
		return oom(l);
	for (i = 0; i < n->nkid; i++) {
		if (!is_str(n->kid[i]))
			return err_at(l, n->kid[i], "'%s' must be a list of strings", what);
		if (get_str(l, n->kid[i], what, &(*out)[i]) < 0)
			return -1;
		*nout = i + 1;
	}
	return 0;
}

static int load_explains(const struct ld *l, const struct rule_ynode *n, struct rule *r)
{
	size_t i;

	if (n->kind != RULE_YSEQ)
		return err_at(l, n, "'explains' must be a list of rule ids");
	if (!n->nkid)
		return 0;
	if (!(r->d.explains = calloc(n->nkid, sizeof *r->d.explains)) ||
	    !(r->explains_loc = calloc(n->nkid, sizeof *r->explains_loc)) ||
	    !(r->d.explains_rule = calloc(n->nkid, sizeof *r->d.explains_rule)))
		return oom(l);
	for (i = 0; i < n->nkid; i++) {
		const struct rule_ynode *e = n->kid[i];

		if (!is_str(e) || !id_ok(e->s))
			return err_at(l, e, "'explains' must be a list of rule ids");
		if (!(r->d.explains[i] = strdup(e->s)))
			return oom(l);
		r->explains_loc[i].line = e->line;
		r->explains_loc[i].col = e->col;
		r->d.nexplains = i + 1;
	}
	return 0;
}

static const char *const corr_keys[] = { "within", "by", NULL };

static int load_correlate(const struct ld *l, const struct rule_ynode *n, struct rule *r)
{
	const struct rule_ynode *v[2] = { 0 };
	size_t i;

	if (n->kind != RULE_YMAP)
		return err_at(l, n, "expected a mapping for 'correlate'");
	if (map_keys(l, n, corr_keys, "correlate", v) < 0)
		return -1;
	if (!v[0])
		return err_at(l, n, "missing required key 'within' in 'correlate'");
	if (!is_str(v[0]) || parse_duration(v[0]->s, &r->d.within_ms) < 0)
		return err_at(l, v[0], "'correlate.within' must be a duration like 500ms, 5s or 2m (at most 24h)");
	if (!v[1])
		return 0;
	if (v[1]->kind != RULE_YSEQ)
		return err_at(l, v[1], "'correlate.by' must be a list of connection, trace, instance, user, span");
	for (i = 0; i < v[1]->nkid; i++) {
		const struct rule_ynode *e = v[1]->kid[i];
		int k = is_str(e) ? one_of(e->s, rule_corr_names) : -1;

		if (k < 0)
			return err_at(l, e, "'correlate.by' must be a list of connection, trace, instance, user, span");
		r->d.correlate_by |= 1u << k;
	}
	return 0;
}

static const char *const example_keys[] = { "match", "nomatch", NULL };

static int load_examples(const struct ld *l, const struct rule_ynode *n, struct rule *r)
{
	const struct rule_ynode *v[2] = { 0 };
	int k;

	if (n->kind != RULE_YMAP)
		return err_at(l, n, "expected a mapping for 'examples'");
	if (map_keys(l, n, example_keys, "examples", v) < 0)
		return -1;
	for (k = 0; k < 2; k++) {
		struct rule_example **ex = k == 0 ? &r->d.ex_match : &r->d.ex_nomatch;
		size_t *nex = k == 0 ? &r->d.nex_match : &r->d.nex_nomatch;
		size_t i;

		if (!v[k])
			continue;
		if (v[k]->kind != RULE_YSEQ)
			return err_at(l, v[k], "'examples.%s' must be a list of strings", example_keys[k]);
		if (v[k]->nkid > RULE_MAX_EXAMPLES)
			return err_at(l, v[k], "too many examples in 'examples.%s' (max %d)", example_keys[k], RULE_MAX_EXAMPLES);
		if (v[k]->nkid && !(*ex = calloc(v[k]->nkid, sizeof **ex)))
			return oom(l);
		for (i = 0; i < v[k]->nkid; i++) {
			const struct rule_ynode *e = v[k]->kid[i];

			/* an example may be empty text, but it must be text */
			if (e->kind != RULE_YSCALAR || strlen(e->s) != e->len)
				return err_at(l, e, "'examples.%s' must be a list of strings", example_keys[k]);
			if (!((*ex)[i].text = strdup(e->s)))
				return oom(l);
			(*ex)[i].line = e->line;
			*nex = i + 1;
		}
	}
	return 0;
}

/* redact: { pattern: REGEX, kind: NAME }, or a list of them. */
static const char *const redact_keys[] = { "pattern", "kind", NULL };

static int load_redact_one(const struct ld *l, const struct rule_ynode *n,
			   struct rule_redact *rd)
{
	const struct rule_ynode *v[2] = { 0 };
	struct cond_re re;

	if (n->kind != RULE_YMAP)
		return err_at(l, n, "expected a mapping with 'pattern' and 'kind' in 'redact'");
	if (map_keys(l, n, redact_keys, "redact", v) < 0)
		return -1;
	if (!v[0] || !v[1])
		return err_at(l, n, "missing required key '%s' in 'redact'", v[0] ? "kind" : "pattern");
	if (get_str(l, v[1], "redact.kind", &rd->kind) < 0)
		return -1;
	if (!word_ok(rd->kind) || strlen(rd->kind) > RULE_REDACT_KIND_MAX)
		return err_at(l, v[1], "'redact.kind' must be lower-case letters, digits and '-' (at most %d)",
			      RULE_REDACT_KIND_MAX);
	memset(&re, 0, sizeof re);
	if (compile_re(l, v[0], "redact.pattern", &re) < 0)
		return -1;
	rd->code = re.code;
	rd->src = re.src;
	rd->srclen = re.srclen;
	{
		int g = pcre2_substring_number_from_name(re.code, (PCRE2_SPTR)"secret");

		rd->secret_group = g > 0 ? g : 0;
	}
	rd->line = v[0]->line;
	rd->col = v[0]->col;
	return 0;
}

static int load_redact(const struct ld *l, const struct rule_ynode *n, struct rule *r)
{
	size_t i, count = n->kind == RULE_YSEQ ? n->nkid : 1;

	if (n->kind == RULE_YSCALAR)
		return err_at(l, n, "expected a mapping or a list of mappings for 'redact'");
	if (!count)
		return err_at(l, n, "'redact' must not be empty");
	if (count > RULE_MAX_REDACT)
		return err_at(l, n, "too many 'redact' patterns (at most %d)", RULE_MAX_REDACT);
	if (!(r->redact = calloc(count, sizeof *r->redact)))
		return oom(l);
	for (i = 0; i < count; i++) {
		r->nredact = i + 1;   /* rule_free releases what was loaded */
		if (load_redact_one(l, n->kind == RULE_YSEQ ? n->kid[i] : n, &r->redact[i]) < 0)
			return -1;
	}
	return 0;
}

/* The patterns' literals, so most records skip the regexes. A pattern
 * without one leaves pf NULL: every record runs them. -1 out of memory. */
static int link_prefilter(struct cond *c)
{
	const char **pat = calloc(c->nredact, sizeof *pat);
	size_t *len = calloc(c->nredact, sizeof *len), i;

	if (!pat || !len) {
		free(pat);
		free(len);
		return -1;
	}
	for (i = 0; i < c->nredact; i++) {
		pat[i] = c->redact[i].src;
		len[i] = c->redact[i].srclen;
	}
	c->pf = prefilter_build_patterns(pat, len, c->nredact, NULL);
	free(pat);
	free(len);
	return 0;
}

/* `redact: true` conditions get the rule's patterns; without any, the
 * condition could never hold: refused, at its place. */
static int link_redact(const struct ld *l, struct cond *c, struct rule *r)
{
	size_t i;

	if (!c)
		return 0;
	if (c->kind == COND_REDACT) {
		if (!r->nredact)
			return diag_set(l->d, l->name, c->line, c->col,
					"'redact: true' in 'match' needs the rule's 'redact' patterns");
		c->redact = r->redact;
		c->nredact = r->nredact;
		if (!c->pf && link_prefilter(c) < 0)
			return oom(l);
	}
	for (i = 0; i < c->nkid; i++)
		if (link_redact(l, c->kid[i], r) < 0)
			return -1;
	return 0;
}

enum {
	K_ID, K_TITLE, K_CATEGORY, K_ROLE, K_SEVERITY, K_MATCH, K_MESSAGE,
	K_WHY, K_FIX, K_EXPLAINS, K_CORRELATE, K_EXAMPLES, K_REDACT, K_COUNT
};
static const char *const rule_keys[] = {
	"id", "title", "category", "role", "severity", "match", "message",
	"why", "fix", "explains", "correlate", "examples", "redact", NULL
};
#define K_REQUIRED K_WHY   /* keys before this one are required */

const char *const *ruleset_key_table(size_t i)
{
	static const char *const *const tables[] = { rule_keys, cond_keys, close_keys, corr_keys,
						     example_keys, redact_keys };

	return i < sizeof tables / sizeof *tables ? tables[i] : NULL;
}

static int load_rule(const struct ld *l, const struct rule_ynode *root,
		     long dline, long dcol, struct rule *r)
{
	static const char *const roles[] = { "cause", "symptom", "context", NULL };
	static const char *const levels[] = { "info", "warning", "error", NULL };
	const struct rule_ynode *v[K_COUNT] = { 0 };
	int i;

	if (root->kind != RULE_YMAP)
		return err_at(l, root, "expected a mapping for the rule");
	r->d.line = root->line;
	r->col = root->col;
	if (!(r->d.file = strdup(l->name)))
		return oom(l);
	if (map_keys(l, root, rule_keys, NULL, v) < 0)
		return -1;
	for (i = 0; i < K_REQUIRED; i++)
		if (!v[i])
			return diag_set(l->d, l->name, dline, dcol,
					"missing required key '%s'", rule_keys[i]);

	if (get_str(l, v[K_ID], "id", &r->d.id) < 0)
		return -1;
	if (!id_ok(r->d.id))
		return err_at(l, v[K_ID], "bad id '%s': expected dotted lower-case words like 'category.name'", r->d.id);
	if (get_str(l, v[K_TITLE], "title", &r->d.title) < 0 ||
	    get_str(l, v[K_CATEGORY], "category", &r->d.category) < 0)
		return -1;
	if (!word_ok(r->d.category))
		return err_at(l, v[K_CATEGORY], "'category' must be lower-case letters, digits and '-'");
	if (!is_str(v[K_ROLE]) || (i = one_of(v[K_ROLE]->s, roles)) < 0)
		return err_at(l, v[K_ROLE], "'role' must be one of cause, symptom, context");
	r->d.role = (enum rule_role)i;
	if (!is_str(v[K_SEVERITY]) || (i = one_of(v[K_SEVERITY]->s, levels)) < 0)
		return err_at(l, v[K_SEVERITY], "'severity' must be one of error, warning, info");
	r->d.level = (enum level)(LEVEL_INFO + i);
	/* symptoms are named for what is seen (ws.close-1011), the rest for their class */
	if (r->d.role != ROLE_SYMPTOM &&
	    (strncmp(r->d.id, r->d.category, strlen(r->d.category)) || r->d.id[strlen(r->d.category)] != '.'))
		return err_at(l, v[K_ID], "id '%s' must start with its category '%s.'", r->d.id, r->d.category);
	if (load_cond(l, v[K_MATCH], "match", 1, &r->match) < 0)
		return -1;
	cond_optimize(r->match);
	if (get_str(l, v[K_MESSAGE], "message", &r->d.message) < 0)
		return -1;
	if (v[K_WHY] && str_list(l, v[K_WHY], "why", &r->d.why, &r->d.nwhy) < 0)
		return -1;
	if (v[K_FIX] && get_str(l, v[K_FIX], "fix", &r->d.fix) < 0)
		return -1;
	if (v[K_EXPLAINS] && load_explains(l, v[K_EXPLAINS], r) < 0)
		return -1;
	if (v[K_CORRELATE] && load_correlate(l, v[K_CORRELATE], r) < 0)
		return -1;
	if (v[K_EXAMPLES] && load_examples(l, v[K_EXAMPLES], r) < 0)
		return -1;
	if (v[K_REDACT] && load_redact(l, v[K_REDACT], r) < 0)
		return -1;
	return link_redact(l, r->match, r);
}

static int add_path(struct ruleset *rs, const char *name)
{
	char **p = realloc(rs->paths, (rs->npaths + 1) * sizeof *p);

	if (!p)
		return -1;
	rs->paths = p;
	if (!(rs->paths[rs->npaths] = strdup(name)))
		return -1;
	rs->npaths++;
	return 0;
}

static int add_rule(struct ruleset *rs, struct rule *r)
{
	if ((rs->n & (rs->n - 1)) == 0) {
		size_t cap = rs->n ? rs->n * 2 : 16;
		struct rule **p = realloc(rs->rules, cap * sizeof *p);

		if (!p)
			return -1;
		rs->rules = p;
	}
	/* load order until ruleset_finish sorts: it breaks ties between duplicates */
	r->d.index = rs->n;
	rs->rules[rs->n++] = r;
	return 0;
}

struct ruleset *ruleset_new(void)
{
	return calloc(1, sizeof(struct ruleset));
}

void ruleset_free(struct ruleset *rs)
{
	size_t i;

	if (!rs)
		return;
	for (i = 0; i < rs->n; i++)
		rule_free(rs->rules[i]);
	free(rs->rules);
	for (i = 0; i < rs->npaths; i++)
		free(rs->paths[i]);
	free(rs->paths);
	prefilter_free(rs->gate);
	free(rs);
}

/* Located at the first byte past the limit, so the user sees how far over
 * the file runs. yaml holds at least RULE_FILE_MAX + 1 bytes. */
static int too_large(struct diag *d, const char *name, const char *yaml)
{
	long line = 1, col = 1;
	size_t i;

	for (i = 0; i < RULE_FILE_MAX; i++) {
		if (yaml[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	return diag_set(d, name, line, col, "rule file too large (max %zu bytes, 1 MiB)",
			RULE_FILE_MAX);
}

int ruleset_load_mem(struct ruleset *rs, const char *name, const char *yaml,
		     size_t len, struct diag *d)
{
	struct ld l = { rs, name, d };
	struct rule_yaml y;
	size_t first = rs->n;
	int rc;

	if (!name)
		l.name = name = "<memory>";
	if (len > RULE_FILE_MAX)
		return too_large(d, name, yaml);
	if (rule_yaml_open(&y, name, yaml, len, d) < 0)
		return -1;
	for (;;) {
		struct rule_ynode *root;
		struct rule *r;
		long dline = 0, dcol = 0;

		rc = rule_yaml_next(&y, &root, &dline, &dcol, d);
		if (rc <= 0)
			break;
		/* "---" at the end, or a document of only comments */
		if (rule_ynode_is_null(root)) {
			rule_ynode_free(root);
			continue;
		}
		if (rs->n >= RULESET_MAX_RULES) {
			rc = err_at(&l, root, "too many rules (max %d)", RULESET_MAX_RULES);
			rule_ynode_free(root);
			break;
		}
		r = calloc(1, sizeof *r);
		if (!r) {
			rc = oom(&l);
			rule_ynode_free(root);
			break;
		}
		rc = load_rule(&l, root, dline, dcol, r);
		rule_ynode_free(root);
		if (rc == 0 && add_rule(rs, r) < 0)
			rc = oom(&l);
		if (rc < 0) {
			rule_free(r);
			break;
		}
	}
	rule_yaml_close(&y);
	if (rc == 0 && add_path(rs, name) < 0)
		rc = oom(&l);
	if (rc < 0) {
		/* all or nothing per file */
		while (rs->n > first)
			rule_free(rs->rules[--rs->n]);
		return -1;
	}
	return 0;
}

static int load_file(struct ruleset *rs, const char *path, struct diag *d)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;
	int rc;

	if (!f)
		return diag_set(d, path, 0, 0, "cannot open: %s", strerror(errno));
	/* read one byte past the limit to tell "exactly 1 MiB" from "more" */
	buf = malloc(RULE_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		return diag_set(d, path, 0, 0, "out of memory");
	}
	n = fread(buf, 1, RULE_FILE_MAX + 1, f);
	if (ferror(f)) {
		rc = diag_set(d, path, 0, 0, "cannot read: %s", strerror(errno));
	} else if (n > RULE_FILE_MAX) {
		rc = too_large(d, path, buf);
	} else {
		rc = ruleset_load_mem(rs, path, buf, n, d);
	}
	free(buf);
	fclose(f);
	return rc;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && !strcmp(s + n - m, suf);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(struct ruleset *rs, const char *path, struct diag *d)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	int rc = 0;

	if (!dir)
		return diag_set(d, path, 0, 0, "cannot open: %s", strerror(errno));
	while ((de = readdir(dir))) {
		char **p;

		/* hidden files are editor droppings (.#x.yml), not rules */
		if (de->d_name[0] == '.' ||
		    !(has_suffix(de->d_name, ".yml") || has_suffix(de->d_name, ".yaml")))
			continue;
		if (n >= RULESET_MAX_RULES) {
			rc = diag_set(d, path, 0, 0, "too many rule files (max %d)", RULESET_MAX_RULES);
			break;
		}
		p = realloc(names, (n + 1) * sizeof *p);
		if (!p || !(p[n] = strdup(de->d_name))) {
			names = p ? p : names;
			rc = diag_set(d, path, 0, 0, "out of memory");
			break;
		}
		names = p;
		n++;
	}
	closedir(dir);
	if (rc == 0 && n)
		qsort(names, n, sizeof *names, cmp_str);
	for (i = 0; i < n; i++) {
		if (rc == 0) {
			size_t plen = strlen(path);
			char *full = malloc(plen + strlen(names[i]) + 2);

			struct stat st;

			if (!full) {
				rc = diag_set(d, path, 0, 0, "out of memory");
			} else {
				sprintf(full, "%s%s%s", path,
					plen && path[plen - 1] == '/' ? "" : "/", names[i]);
				/* not recursive: a directory named x.yml is skipped */
				if (stat(full, &st) < 0)
					rc = diag_set(d, full, 0, 0, "cannot open: %s", strerror(errno));
				else if (!S_ISDIR(st.st_mode))
					rc = load_file(rs, full, d);
				free(full);
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int ruleset_load(struct ruleset *rs, const char *path, struct diag *d)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return diag_set(d, path, 0, 0, "cannot open: %s", strerror(errno));
	if (S_ISDIR(st.st_mode))
		return load_dir(rs, path, d);
	return load_file(rs, path, d);
}

static int cmp_rule(const void *a, const void *b)
{
	const struct rule *x = *(const struct rule *const *)a;
	const struct rule *y = *(const struct rule *const *)b;
	int c = strcmp(x->d.id, y->d.id);

	if (c)
		return c;
	return x->d.index < y->d.index ? -1 : x->d.index > y->d.index;
}

/* Explains chains are followed to the deepest cause: a loop has no bottom. */
static int find_cycle(const struct rule *r, unsigned char *state, const struct rule **path,
		      size_t depth, size_t *len)
{
	size_t i;

	state[r->d.index] = 1;
	path[depth] = r;
	for (i = 0; i < r->d.nexplains; i++) {
		const struct rule *t = r->d.explains_rule[i];

		if (state[t->d.index] == 1) {
			path[depth + 1] = t;
			*len = depth + 2;
			return 1;
		}
		if (state[t->d.index] == 0 && find_cycle(t, state, path, depth + 1, len))
			return 1;
	}
	state[r->d.index] = 2;
	return 0;
}

static int check_cycles(struct ruleset *rs, struct diag *d)
{
	unsigned char *state = calloc(rs->n ? rs->n : 1, 1);
	const struct rule **path = calloc(rs->n + 1, sizeof *path);
	size_t i, j, len = 0;
	int rc = 0;

	if (!state || !path) {
		free(state);
		free(path);
		return diag_set(d, NULL, 0, 0, "out of memory");
	}
	for (i = 0; i < rs->n && rc == 0; i++) {
		if (state[i] || !find_cycle(rs->rules[i], state, path, 0, &len))
			continue;
		{
			const struct rule *last = path[len - 2], *first = path[len - 1];
			char chain[400] = "";
			size_t at = 0, k;

			/* the loop starts where its last edge points */
			for (j = 0; j < len - 1 && path[j] != first; j++)
				;
			for (k = j; k < len && at < sizeof chain; k++)
				at += (size_t)snprintf(chain + at, sizeof chain - at, "%s%s",
						       k > j ? " -> " : "", path[k]->d.id);
			for (k = 0; k < last->d.nexplains && last->d.explains_rule[k] != first; k++)
				;
			rc = diag_set(d, last->d.file, last->explains_loc[k].line,
				      last->explains_loc[k].col, "'explains' makes a loop: %s", chain);
		}
	}
	free(state);
	free(path);
	return rc;
}

int ruleset_finish(struct ruleset *rs, struct diag *d)
{
	struct rule **order;
	size_t i, j;
	int rc = 0;

	if (!rs->n)
		return 0;
	/* keep load order so explains errors come out in file order */
	order = malloc(rs->n * sizeof *order);
	if (!order)
		return diag_set(d, NULL, 0, 0, "out of memory");
	memcpy(order, rs->rules, rs->n * sizeof *order);
	qsort(rs->rules, rs->n, sizeof *rs->rules, cmp_rule);
	for (i = 1; i < rs->n && rc == 0; i++) {
		const struct rule *a = rs->rules[i - 1], *b = rs->rules[i];

		if (!strcmp(a->d.id, b->d.id))
			rc = diag_set(d, b->d.file, b->d.line, b->col,
				      "duplicate id '%s' (first defined at %s:%ld)",
				      b->d.id, a->d.file, a->d.line);
	}
	for (i = 0; i < rs->n; i++)
		rs->rules[i]->d.index = i;
	for (i = 0; i < rs->n && rc == 0; i++) {
		struct rule *r = order[i];

		for (j = 0; j < r->d.nexplains && rc == 0; j++) {
			struct rule *t = (struct rule *)ruleset_find(rs, r->d.explains[j]);

			if (!t)
				rc = diag_set(d, r->d.file, r->explains_loc[j].line,
					      r->explains_loc[j].col,
					      "'explains' names no rule: '%s'", r->d.explains[j]);
			else if (t == r)
				rc = diag_set(d, r->d.file, r->explains_loc[j].line,
					      r->explains_loc[j].col,
					      "rule '%s' explains itself", r->d.id);
			r->d.explains_rule[j] = t;
		}
	}
	free(order);
	if (!rc)
		rc = check_cycles(rs, d);
	/* without its gate (out of memory) every rule is tried on every event */
	if (!rc)
		rs->gate = prefilter_build_rules(rs);
	return rc;
}

size_t ruleset_count(const struct ruleset *rs)
{
	return rs->n;
}

const struct rule *ruleset_rule(const struct ruleset *rs, size_t i)
{
	return i < rs->n ? rs->rules[i] : NULL;
}

int ruleset_set_level(struct ruleset *rs, const char *id, enum level l)
{
	struct rule *r = (struct rule *)ruleset_find(rs, id);

	if (!r)
		return -1;
	r->d.level = l;
	return 0;
}

size_t ruleset_redactions(const struct ruleset *rs, const struct rule_redact **out, size_t max)
{
	size_t i, j, n = 0;

	for (i = 0; i < rs->n; i++)
		for (j = 0; j < rs->rules[i]->nredact; j++, n++)
			if (n < max)
				out[n] = &rs->rules[i]->redact[j];
	return n;
}

int ruleset_load_same(struct ruleset *rs, const struct ruleset *from, struct diag *d)
{
	size_t i;

	for (i = 0; i < from->npaths; i++)
		if (ruleset_load(rs, from->paths[i], d) < 0)
			return -1;
	return 0;
}

int ruleset_match(const struct ruleset *rs, const struct event *ev, struct match *m,
		  const struct warn_sink *w,
		  int (*fn)(void *ctx, const struct rule_desc *r, struct match *m), void *ctx)
{
	size_t i, words = rs->gate ? prefilter_rule_words(rs->gate) : 0;
	int rc;

	if (ev->skimmed)
		return 0;   /* the stream's prefilter ruled it out for every rule */
	if (words > m->ncand) {
		uint64_t *p = realloc(m->cand, words * sizeof *p);

		if (!p)
			return -1;
		m->cand = p;
		m->ncand = words;
	}
	if (rs->gate)
		prefilter_rules(rs->gate, ev->msg, ev->msg_len, ev->text, ev->text ? ev->text_len : 0,
				ev->close.present, m->cand);
	for (i = 0; i < rs->n; i++) {
		if (rs->gate && !(m->cand[i / 64] >> (i % 64) & 1))
			continue;
		if (rule_match(rs->rules[i], ev, m, w) && (rc = fn(ctx, &rs->rules[i]->d, m)))
			return rc;
	}
	return 0;
}

void ruleset_ungate(struct ruleset *rs)
{
	prefilter_free(rs->gate);
	rs->gate = NULL;
}

const struct rule *ruleset_find(const struct ruleset *rs, const char *id)
{
	size_t lo = 0, hi = rs->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(id, rs->rules[mid]->d.id);

		if (c == 0)
			return rs->rules[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}
