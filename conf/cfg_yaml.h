/* SPDX-License-Identifier: BSD-3-Clause
 *
 * YAML as the loader sees it (conf/cfg_yaml.c): libyaml events -> a small
 * tree of struct ynode with 1-based marks.  Internal to conf/.
 */
#ifndef BS_CONF_CFG_YAML_H
#define BS_CONF_CFG_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/cfg.h"

enum ytype {
	Y_SCALAR = 0,
	Y_SEQ,
	Y_MAP,
	Y_TYPE_MAX
};

/* One YAML node.  A mapping keeps keys and values interleaved in kids
 * (key at 2i, value at 2i+1); keys are always scalars (the builder refuses
 * others).  Scalars are NUL terminated; embedded NULs are refused. */
struct ynode {
	uint8_t type;		/* enum ytype */
	bool plain;		/* scalar written without quotes */
	uint32_t line, col;	/* 1-based */
	char *s;		/* scalar text */
	size_t len;
	struct ynode **kids;
	size_t n, cap;
};

/* Parses one YAML document.  Returns its root (NULL for an empty document
 * or on error; errors go to errs at file).  Aliases are refused (no
 * expansion bombs), nesting is capped at CFG_MAX_DEPTH. */
struct ynode *ynode_parse(const char *buf, size_t len, const char *file,
			  struct cfg_errs *errs, bool *failed);
void ynode_free(struct ynode *n);
/* Plain "", "~", "null", "Null", "NULL": an explicitly empty value. */
bool ynode_is_null(const struct ynode *n);
const char *ytype_name(const struct ynode *n);
/* A key that takes a list or one value: *items = a sequence's children,
 * or the value itself (vp, the caller's own pointer to it) as a list of
 * one.  Returns how many. */
size_t ynode_items(const struct ynode *const *vp, const struct ynode *const **items);

/* Value of key in a mapping node, or NULL. */
const struct ynode *yget(const struct ynode *map, const char *key);
/* Key node of key in a mapping (for "unknown/missing" locations). */
const struct ynode *ygetkey(const struct ynode *map, const char *key);

#endif
