#include "read/yamldoc.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static int all_of(const char *s, size_t n, const char *set)
{
	size_t i;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		if (!strchr(set, s[i]))
			return 0;
	return 1;
}

static int is_one_of(const char *s, size_t n, const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == n && memcmp(s, *words, n) == 0)
			return 1;
	return 0;
}

/* YAML 1.2 core schema, plus 1.1's reading of the same spellings; yes/no/
 * on/off stay strings on purpose (a country code "NO" must not turn false). */
static json_t *plain_scalar(const char *s, size_t n)
{
	static const char *const nulls[] = { "~", "null", "Null", "NULL", NULL };
	static const char *const trues[] = { "true", "True", "TRUE", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", NULL };
	char tmp[64];
	const char *digits = s;
	size_t nd = n;
	size_t i;
	int dot = 0, exp = 0;

	if (n == 0 || is_one_of(s, n, nulls))
		return json_null();
	if (is_one_of(s, n, trues))
		return json_true();
	if (is_one_of(s, n, falses))
		return json_false();
	if (n >= sizeof tmp)
		return NULL;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
		const char *set = s[1] == 'x' ? "0123456789abcdefABCDEF" : "01234567";
		unsigned long long v;

		if (!all_of(s + 2, n - 2, set))
			return NULL;
		errno = 0;
		v = strtoull(tmp + 2, NULL, s[1] == 'x' ? 16 : 8);
		if (errno || v > (unsigned long long)LLONG_MAX)
			return NULL;
		return json_integer((json_int_t)v);
	}
	if (nd && (digits[0] == '-' || digits[0] == '+')) {
		digits++;
		nd--;
	}
	if (!nd)
		return NULL;
	if (all_of(digits, nd, "0123456789")) {
		long long v;

		errno = 0;
		v = strtoll(tmp, NULL, 10);
		if (errno == 0)
			return json_integer((json_int_t)v);
		/* past int64: still a number, as a real */
	}
	/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
	for (i = 0; i < nd; i++) {
		char c = digits[i];

		if (c >= '0' && c <= '9')
			continue;
		if (c == '.' && !dot && !exp) {
			dot = 1;
			continue;
		}
		if ((c == 'e' || c == 'E') && !exp && i > 0 &&
		    !(i == 1 && digits[0] == '.')) {
			exp = 1;
			if (i + 1 < nd && (digits[i + 1] == '-' || digits[i + 1] == '+'))
				i++;
			if (i + 1 >= nd)
				return NULL;
			continue;
		}
		return NULL;
	}
	if (nd == 1 && digits[0] == '.')
		return NULL;
	{
		double v = strtod(tmp, NULL);

		/* .inf/.nan and overflow have no JSON spelling: stay strings */
		if (!isfinite(v))
			return NULL;
		return json_real(v);
	}
}

static json_t *scalar_value(const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;

	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    ev->data.scalar.plain_implicit && !ev->data.scalar.tag) {
		json_t *v = plain_scalar(s, n);

		if (v)
			return v;
	}
	return json_stringn(s, n);
}

struct conv {
	json_t *root;
	json_t *stack[YAMLDOC_MAX_DEPTH];
	int depth;
	char *key;          /* pending mapping key (malloc'd) */
	size_t key_len;
};

static int fail_at(struct diag *d, const yaml_mark_t *m, const char *fmt,
		   const char *arg)
{
	diag_set(d, NULL, (long)m->line + 1, (long)m->column + 1, fmt, arg);
	return -1;
}

/* Hand v (a new reference) to the open container, or make it the root. */
static int attach(struct conv *c, json_t *v)
{
	json_t *top;
	int rc;

	if (!v)
		return -1;
	if (c->depth == 0) {
		c->root = v;
		return 0;
	}
	top = c->stack[c->depth - 1];
	if (json_is_array(top))
		return json_array_append_new(top, v);
	rc = json_object_setn_new(top, c->key, c->key_len, v);
	free(c->key);
	c->key = NULL;
	return rc;
}

static int top_wants_key(const struct conv *c)
{
	return c->depth > 0 && json_is_object(c->stack[c->depth - 1]) && !c->key;
}

static int on_event(struct conv *c, const yaml_event_t *ev, int *docs,
		    struct diag *d)
{
	const yaml_mark_t *m = &ev->start_mark;
	json_t *v;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++*docs > 1)
			return fail_at(d, m, "%s", "more than one YAML document");
		return 0;
	case YAML_ALIAS_EVENT:
		return fail_at(d, m, "YAML alias '*%s' refused",
			       (const char *)ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		if (top_wants_key(c)) {
			c->key_len = ev->data.scalar.length;
			c->key = malloc(c->key_len + 1);
			if (!c->key)
				return fail_at(d, m, "%s", "out of memory");
			memcpy(c->key, ev->data.scalar.value, c->key_len);
			c->key[c->key_len] = '\0';
			return 0;
		}
		if (attach(c, scalar_value(ev)) < 0)
			return fail_at(d, m, "%s", "YAML scalar not representable as JSON");
		return 0;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		if (top_wants_key(c))
			return fail_at(d, m, "%s", "YAML mapping key is not a scalar");
		if (c->depth == YAMLDOC_MAX_DEPTH)
			return fail_at(d, m, "%s", "YAML nested too deeply");
		v = ev->type == YAML_MAPPING_START_EVENT ? json_object() : json_array();
		if (!v || json_incref(v) == NULL || attach(c, v) < 0) {
			json_decref(v);
			return fail_at(d, m, "%s", "out of memory");
		}
		/* the stack holds its own reference so the root can be freed
		 * in one place on failure */
		c->stack[c->depth++] = v;
		return 0;
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		if (c->depth > 0)
			json_decref(c->stack[--c->depth]);
		return 0;
	default:
		return 0;
	}
}

int yamldoc_parse(const char *text, size_t len, json_t **out, struct diag *d)
{
	yaml_parser_t p;
	struct conv c;
	int docs = 0;
	int rc = 0;

	*out = NULL;
	memset(&c, 0, sizeof c);
	if (!yaml_parser_initialize(&p))
		return diag_set(d, NULL, 0, 0, "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	for (;;) {
		yaml_event_t ev;
		int end;

		if (!yaml_parser_parse(&p, &ev)) {
			diag_set(d, NULL, (long)p.problem_mark.line + 1,
				 (long)p.problem_mark.column + 1,
				 "invalid YAML: %s%s%s",
				 p.problem ? p.problem : "syntax error",
				 p.context ? " " : "", p.context ? p.context : "");
			rc = -1;
			break;
		}
		end = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(&c, &ev, &docs, d);
		yaml_event_delete(&ev);
		if (rc < 0 || end)
			break;
	}
	yaml_parser_delete(&p);
	while (c.depth > 0)
		json_decref(c.stack[--c.depth]);
	free(c.key);
	if (rc < 0) {
		json_decref(c.root);
		return -1;
	}
	*out = c.root;
	return c.root ? 1 : 0;
}
