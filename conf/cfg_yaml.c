/* SPDX-License-Identifier: BSD-3-Clause
 *
 * libyaml event stream -> struct ynode tree with 1-based marks.
 *
 * Why events and not yaml_parser_load(): the document API resolves aliases
 * to shared nodes, so a walker would expand a "billion laughs" document
 * exponentially; with events we see every alias and refuse it, and we cap
 * the nesting depth ourselves.  The tree holds only what the schema walker
 * needs (type, text, marks).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "conf/cfg_yaml.h"

static struct ynode *
ynode_new(uint8_t type, const yaml_mark_t *m)
{
	struct ynode *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->type = type;
	/* libyaml marks are 0-based; editors count from 1. */
	n->line = (uint32_t)m->line + 1;
	n->col = (uint32_t)m->column + 1;
	return n;
}

void
ynode_free(struct ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		ynode_free(n->kids[i]);
	free(n->kids);
	free(n->s);
	free(n);
}

static int
ynode_add(struct ynode *parent, struct ynode *kid)
{
	if (parent->n == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 8;
		struct ynode **k = realloc(parent->kids, cap * sizeof(*k));
		if (!k)
			return -ENOMEM;
		parent->kids = k;
		parent->cap = cap;
	}
	parent->kids[parent->n++] = kid;
	return 0;
}

bool
ynode_is_null(const struct ynode *n)
{
	if (!n)
		return true;
	if (n->type != Y_SCALAR || !n->plain)
		return false;
	return n->len == 0 || !strcmp(n->s, "~") || !strcmp(n->s, "null") ||
	       !strcmp(n->s, "Null") || !strcmp(n->s, "NULL");
}

const char *
ytype_name(const struct ynode *n)
{
	if (!n)
		return "nothing";
	switch (n->type) {
	case Y_SCALAR: return ynode_is_null(n) ? "null" : "a scalar";
	case Y_SEQ: return "a list";
	case Y_MAP: return "a mapping";
	default: return "?";
	}
}

struct ybuild {
	const char *file;
	struct cfg_errs *errs;
	struct ynode *stack[CFG_MAX_DEPTH + 1];
	unsigned depth;
	struct ynode *root;
	unsigned docs;
	bool failed;
};

static void
yb_err(struct ybuild *b, const yaml_mark_t *m, const char *fmt, const char *arg)
{
	struct cfg_loc loc = {
		.file = b->file,
		.line = (uint32_t)m->line + 1,
		.col = (uint32_t)m->column + 1,
	};
	cfg_err_add(b->errs, &loc, fmt, arg);
	b->failed = true;
}

/* Attaches a finished node to the open collection (or makes it the root).
 * Mapping keys must be scalars: the schema is keyed by names. */
static int
yb_attach(struct ybuild *b, struct ynode *n, const yaml_mark_t *m)
{
	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	struct ynode *p = b->stack[b->depth - 1];
	if (p->type == Y_MAP && p->n % 2 == 0 && n->type != Y_SCALAR) {
		yb_err(b, m, "mapping keys must be plain scalars%s", "");
		ynode_free(n);
		return -EINVAL;
	}
	if (ynode_add(p, n) < 0) {
		yb_err(b, m, "out of memory%s", "");
		ynode_free(n);
		return -ENOMEM;
	}
	return 0;
}

static int
yb_scalar(struct ybuild *b, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;
	size_t len = ev->data.scalar.length;
	if (memchr(ev->data.scalar.value, 0, len)) {
		yb_err(b, m, "NUL character in a scalar%s", "");
		return -EINVAL;
	}
	struct ynode *n = ynode_new(Y_SCALAR, m);
	if (!n || !(n->s = malloc(len + 1))) {
		ynode_free(n);
		yb_err(b, m, "out of memory%s", "");
		return -ENOMEM;
	}
	memcpy(n->s, ev->data.scalar.value, len);
	n->s[len] = 0;
	n->len = len;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	return yb_attach(b, n, m);
}

static int
yb_open(struct ybuild *b, const yaml_event_t *ev, uint8_t type)
{
	if (b->depth >= CFG_MAX_DEPTH) {
		yb_err(b, &ev->start_mark, "nesting deeper than %s levels", "64");
		return -E2BIG;
	}
	struct ynode *n = ynode_new(type, &ev->start_mark);
	if (!n) {
		yb_err(b, &ev->start_mark, "out of memory%s", "");
		return -ENOMEM;
	}
	b->stack[b->depth++] = n;
	return 0;
}

static int
yb_close(struct ybuild *b, const yaml_event_t *ev)
{
	if (b->depth == 0)
		return -EINVAL; /* libyaml never does this; be safe */
	struct ynode *n = b->stack[--b->depth];
	if (n->type == Y_MAP && n->n % 2) {
		ynode_free(n); /* unreachable with libyaml: keys get values */
		return -EINVAL;
	}
	return yb_attach(b, n, &ev->start_mark);
}

static int
yb_event(struct ybuild *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->docs > 1) {
			yb_err(b, &ev->start_mark, "only one YAML document is allowed%s", "");
			return -EINVAL;
		}
		return 0;
	case YAML_ALIAS_EVENT:
		/* Refused outright: expansion bombs, and a config that reads
		 * the same everywhere is easier to review. */
		yb_err(b, &ev->start_mark, "YAML aliases (*%s) are not supported",
		       (const char *)ev->data.alias.anchor);
		return -EINVAL;
	case YAML_SCALAR_EVENT:
		return yb_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return yb_open(b, ev, Y_SEQ);
	case YAML_MAPPING_START_EVENT:
		return yb_open(b, ev, Y_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return yb_close(b, ev);
	default:
		return 0;
	}
}

static void
yb_parser_error(struct ybuild *b, const yaml_parser_t *p)
{
	const yaml_mark_t *m = &p->problem_mark;
	char msg[200];
	if (p->error == YAML_MEMORY_ERROR) {
		yb_err(b, m, "out of memory while parsing YAML%s", "");
		return;
	}
	if (p->context)
		snprintf(msg, sizeof(msg), "%s %s (started at line %zu, column %zu)",
			 p->problem ? p->problem : "syntax error", p->context,
			 p->context_mark.line + 1, p->context_mark.column + 1);
	else
		snprintf(msg, sizeof(msg), "%s", p->problem ? p->problem : "syntax error");
	/* Reader errors (bad UTF-8, control characters) carry an offset, not a
	 * line; problem_mark still holds the position reached. */
	yb_err(b, m, "invalid YAML: %s", msg);
}

struct ynode *
ynode_parse(const char *buf, size_t len, const char *file, struct cfg_errs *errs,
	    bool *failed)
{
	struct ybuild b = { .file = file, .errs = errs };
	yaml_parser_t p;

	*failed = false;
	if (!yaml_parser_initialize(&p)) {
		struct cfg_loc loc = { .file = file, .line = 1, .col = 1 };
		cfg_err_add(errs, &loc, "out of memory");
		*failed = true;
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			yb_parser_error(&b, &p);
			break;
		}
		int rc = yb_event(&b, &ev);
		bool end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		if (rc < 0 || end)
			break;
	}
	yaml_parser_delete(&p);
	while (b.depth)
		ynode_free(b.stack[--b.depth]);
	if (b.failed) {
		ynode_free(b.root);
		*failed = true;
		return NULL;
	}
	return b.root;
}

/* ------------------------------------------------------------------ */
/* Lookups in a mapping */

const struct ynode *
ygetkey(const struct ynode *map, const char *key)
{
	if (!map || map->type != Y_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (!strcmp(map->kids[i]->s, key))
			return map->kids[i];
	return NULL;
}

const struct ynode *
yget(const struct ynode *map, const char *key)
{
	if (!map || map->type != Y_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (!strcmp(map->kids[i]->s, key))
			return map->kids[i + 1];
	return NULL;
}

size_t
ynode_items(const struct ynode *const *vp, const struct ynode *const **items)
{
	if ((*vp)->type == Y_SEQ) {
		*items = (const struct ynode *const *)(*vp)->kids;
		return (*vp)->n;
	}
	*items = vp;
	return 1;
}
