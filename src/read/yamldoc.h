#ifndef LOGWHY_YAMLDOC_H
#define LOGWHY_YAMLDOC_H

#include <stddef.h>
#include <jansson.h>

#include "util/diag.h"

/*
 * One YAML document (libyaml) converted to a jansson tree: mappings become
 * objects, sequences arrays, quoted scalars strings; plain scalars that are
 * YAML core ints/floats/true/false/null become numbers/booleans/null. Aliases
 * are refused (no alias bombs), and so are non-scalar mapping keys, more than
 * one document, and nesting deeper than YAMLDOC_MAX_DEPTH.
 */
#define YAMLDOC_MAX_DEPTH 256

/* 1: *out is a new reference to the tree; 0: the text holds no document
 * (blank or comments only), *out NULL; -1: refused or invalid, d->msg says
 * why and d->line/d->col (1-based, relative to text; 0 if unknown) say
 * where. d->file is left empty. */
int yamldoc_parse(const char *text, size_t len, json_t **out, struct diag *d);

#endif
