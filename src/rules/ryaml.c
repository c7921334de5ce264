#include "rules/ryaml.h"

#include <stdlib.h>
#include <string.h>

int rule_yaml_open(struct rule_yaml *y, const char *name, const char *buf,
		   size_t len, struct diag *d)
{
	memset(y, 0, sizeof *y);
	if (!yaml_parser_initialize(&y->p))
		return diag_set(d, name, 0, 0, "out of memory");
	y->name = name;
	y->buf = (const unsigned char *)buf;
	y->len = len;
	yaml_parser_set_input_string(&y->p, y->buf, len);
	yaml_parser_set_encoding(&y->p, YAML_UTF8_ENCODING);
	return 0;
}

void rule_yaml_close(struct rule_yaml *y)
{
	yaml_parser_delete(&y->p);
}

void rule_ynode_free(struct rule_ynode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->nkid; i++)
		rule_ynode_free(n->kid[i]);
	free(n->kid);
	free(n->s);
	free(n);
}

int rule_ynode_is_null(const struct rule_ynode *n)
{
	return n->kind == RULE_YSCALAR && n->style == YAML_PLAIN_SCALAR_STYLE &&
	       (n->len == 0 || !strcmp(n->s, "~") || !strcmp(n->s, "null") ||
		!strcmp(n->s, "Null") || !strcmp(n->s, "NULL"));
}

/* A reader error (bad UTF-8, control character) has only a byte offset. */
static void offset_to_mark(const struct rule_yaml *y, size_t off, long *line, long *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	if (off > y->len)
		off = y->len;
	for (i = 0; i < off; i++) {
		if (y->buf[i] == '\n') {
			++*line;
			*col = 1;
		} else if ((y->buf[i] & 0xC0) != 0x80) {
			++*col;
		}
	}
}

static int parser_error(struct rule_yaml *y, struct diag *d)
{
	const yaml_parser_t *p = &y->p;
	long line, col;

	if (p->error == YAML_MEMORY_ERROR)
		return diag_set(d, y->name, 0, 0, "out of memory");
	if (p->error == YAML_READER_ERROR) {
		offset_to_mark(y, p->problem_offset, &line, &col);
		return diag_set(d, y->name, line, col, "%s",
				p->problem ? p->problem : "cannot read YAML");
	}
	line = (long)p->problem_mark.line + 1;
	col = (long)p->problem_mark.column + 1;
	if (p->context)
		return diag_set(d, y->name, line, col, "%s (%s)",
				p->problem ? p->problem : "YAML syntax error", p->context);
	return diag_set(d, y->name, line, col, "%s",
			p->problem ? p->problem : "YAML syntax error");
}

static int next_event(struct rule_yaml *y, yaml_event_t *ev, struct diag *d)
{
	if (!yaml_parser_parse(&y->p, ev))
		return parser_error(y, d);
	return 0;
}

static int mark_err(struct rule_yaml *y, const yaml_mark_t *mk, struct diag *d,
		    const char *msg)
{
	return diag_set(d, y->name, (long)mk->line + 1, (long)mk->column + 1, "%s", msg);
}

static struct rule_ynode *node_new(enum rule_ykind kind, const yaml_event_t *ev)
{
	struct rule_ynode *n = calloc(1, sizeof *n);

	if (!n)
		return NULL;
	n->kind = kind;
	n->line = (long)ev->start_mark.line + 1;
	n->col = (long)ev->start_mark.column + 1;
	n->eline = (long)ev->end_mark.line + 1;
	n->ecol = (long)ev->end_mark.column + 1;
	return n;
}

static int node_add(struct rule_ynode *n, struct rule_ynode *k)
{
	if ((n->nkid & (n->nkid - 1)) == 0) {
		size_t cap = n->nkid ? n->nkid * 2 : 4;
		struct rule_ynode **p = realloc(n->kid, cap * sizeof *p);

		if (!p)
			return -1;
		n->kid = p;
	}
	n->kid[n->nkid++] = k;
	return 0;
}

/* Build the node that ev starts; ev is consumed (deleted) here. */
static int build(struct rule_yaml *y, yaml_event_t *ev, int depth,
		 struct rule_ynode **out, struct diag *d)
{
	struct rule_ynode *n = NULL;
	yaml_char_t *anchor = NULL;
	yaml_event_type_t end;
	int rc = -1;

	*out = NULL;
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		mark_err(y, &ev->start_mark, d, "aliases are not allowed in rule files");
		goto done;
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		break;
	default:
		mark_err(y, &ev->start_mark, d, "unexpected YAML event");
		goto done;
	}
	/* An anchor alone is harmless; only aliases could multiply the tree. */
	(void)anchor;
	if (++y->nodes > RULE_YAML_MAX_NODES) {
		mark_err(y, &ev->start_mark, d, "rule document too large");
		goto done;
	}
	if (ev->type == YAML_SCALAR_EVENT) {
		n = node_new(RULE_YSCALAR, ev);
		if (!n || !(n->s = malloc(ev->data.scalar.length + 1))) {
			diag_set(d, y->name, 0, 0, "out of memory");
			goto done;
		}
		memcpy(n->s, ev->data.scalar.value, ev->data.scalar.length);
		n->s[ev->data.scalar.length] = '\0';
		n->len = ev->data.scalar.length;
		n->style = ev->data.scalar.style;
		*out = n;
		n = NULL;
		rc = 0;
		goto done;
	}
	if (depth >= RULE_YAML_MAX_DEPTH) {
		mark_err(y, &ev->start_mark, d, "YAML nested too deeply");
		goto done;
	}
	end = ev->type == YAML_SEQUENCE_START_EVENT ? YAML_SEQUENCE_END_EVENT
						    : YAML_MAPPING_END_EVENT;
	n = node_new(ev->type == YAML_SEQUENCE_START_EVENT ? RULE_YSEQ : RULE_YMAP, ev);
	if (!n) {
		diag_set(d, y->name, 0, 0, "out of memory");
		goto done;
	}
	yaml_event_delete(ev);
	for (;;) {
		struct rule_ynode *k;

		if (next_event(y, ev, d) < 0)
			goto fail;
		if (ev->type == end) {
			n->eline = (long)ev->end_mark.line + 1;
			n->ecol = (long)ev->end_mark.column + 1;
			break;
		}
		if (build(y, ev, depth + 1, &k, d) < 0)
			goto fail;
		if (node_add(n, k) < 0) {
			rule_ynode_free(k);
			diag_set(d, y->name, 0, 0, "out of memory");
			goto fail;
		}
	}
	*out = n;
	n = NULL;
	rc = 0;
done:
	yaml_event_delete(ev);
	rule_ynode_free(n);
	return rc;
fail:
	rule_ynode_free(n);
	return -1;
}

int rule_yaml_next(struct rule_yaml *y, struct rule_ynode **root,
		   long *dline, long *dcol, struct diag *d)
{
	yaml_event_t ev;

	*root = NULL;
	if (next_event(y, &ev, d) < 0)
		return -1;
	if (ev.type == YAML_STREAM_START_EVENT) {
		yaml_event_delete(&ev);
		if (next_event(y, &ev, d) < 0)
			return -1;
	}
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		return 0;
	}
	if (ev.type != YAML_DOCUMENT_START_EVENT) {
		mark_err(y, &ev.start_mark, d, "unexpected YAML event");
		yaml_event_delete(&ev);
		return -1;
	}
	*dline = (long)ev.start_mark.line + 1;
	*dcol = (long)ev.start_mark.column + 1;
	yaml_event_delete(&ev);
	y->nodes = 0;
	if (next_event(y, &ev, d) < 0)
		return -1;
	if (build(y, &ev, 0, root, d) < 0)
		return -1;
	if (next_event(y, &ev, d) < 0) {
		rule_ynode_free(*root);
		*root = NULL;
		return -1;
	}
	yaml_event_delete(&ev);   /* DOCUMENT_END */
	return 1;
}
