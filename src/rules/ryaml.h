#ifndef LOGWHY_RYAML_H
#define LOGWHY_RYAML_H

#include <stddef.h>
#include <yaml.h>

#include "util/diag.h"

/*
 * Private to src/rules: one YAML document as a small tree whose every node
 * knows where it stands (1-based line/col), built from libyaml's event API
 * so aliases and anchors can be refused before anything is expanded.
 */
enum rule_ykind { RULE_YSCALAR, RULE_YSEQ, RULE_YMAP };

struct rule_ynode {
	enum rule_ykind kind;
	char *s;                    /* scalar value, NUL-terminated (owned) */
	size_t len;
	yaml_scalar_style_t style;
	long line, col;             /* start, 1-based */
	long eline, ecol;           /* end, 1-based */
	struct rule_ynode **kid;    /* seq: items; map: key, value, key, value... */
	size_t nkid;
};

/* Bounds: a rule file is small; these only stop hostile input early. */
#define RULE_YAML_MAX_DEPTH 64
#define RULE_YAML_MAX_NODES 200000

struct rule_yaml {
	yaml_parser_t p;
	const char *name;            /* borrowed, for messages */
	const unsigned char *buf;    /* borrowed input */
	size_t len;
	int started;
	size_t nodes;                /* in the current document */
};

/* The parser borrows name and buf until rule_yaml_close. -1 with d on
 * allocation failure. */
int rule_yaml_open(struct rule_yaml *y, const char *name, const char *buf,
		   size_t len, struct diag *d);
/* Next document: 1 with *root (caller frees with rule_ynode_free) and the
 * document's start; 0 at the end of the stream; -1 with d. */
int rule_yaml_next(struct rule_yaml *y, struct rule_ynode **root,
		   long *dline, long *dcol, struct diag *d);
void rule_yaml_close(struct rule_yaml *y);
void rule_ynode_free(struct rule_ynode *n);   /* NULL-safe, recursive */

/* Is n a plain scalar that YAML reads as null (empty, "~", "null")? */
int rule_ynode_is_null(const struct rule_ynode *n);

#endif
