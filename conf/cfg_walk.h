/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Table-driven schema walk (conf/cfg_walk.c), used by the section tables in
 * conf/cfg_schema.c.  Internal to conf/.
 *
 * Each section is a table of keys (struct kdef): a type that says how to
 * read the scalar and where to store it, or a function for structured
 * values.  Unknown and duplicate keys are errors; "key:" with no value
 * keeps the default.
 */
#ifndef BS_CONF_CFG_WALK_H
#define BS_CONF_CFG_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/cfg_priv.h"

enum kt {
	KT_STR = 0,	/* char * */
	KT_PATH,	/* char *, made absolute against the config dir */
	KT_U32,		/* uint32_t in [min, max] */
	KT_U16,		/* uint16_t in [min, max] */
	KT_BOOL,	/* bool */
	KT_DUR_S,	/* uint32_t seconds */
	KT_DUR_MS,	/* uint32_t milliseconds */
	KT_IP,		/* uint32_t host order */
	KT_FN,		/* fn(l, value, obj) */
	KT_MAX
};

/* One key of a section.  For scalar types, off is the field's offset in
 * the object the walk fills; for KT_FN, fn reads the value itself. */
struct kdef {
	const char *key;
	uint8_t t;		/* enum kt */
	size_t off;
	uint32_t min, max;
	void (*fn)(struct ld *l, const struct ynode *v, void *obj);
};

#define K(key, t, st, field, min, max) { key, t, offsetof(st, field), min, max, NULL }
#define KF(key, f) { key, KT_FN, 0, 0, 0, f }

/* Reports "ctx.key: expected a scalar" unless v is one. */
bool cfg_want_scalar(struct ld *l, const char *ctx, const char *key, const struct ynode *v);
/* Walks a mapping against a key table (errors at each offending node). */
void cfg_walk_map(struct ld *l, const struct ynode *map, void *obj, const struct kdef *defs,
		  size_t n_defs, const char *ctx);

/* The operations sections' walkers (conf/cfg_schema_ops.c). */
void cfg_sec_power(struct ld *l, const struct ynode *v, void *obj);
void cfg_sec_discovery(struct ld *l, const struct ynode *v, void *obj);
void cfg_sec_fleet(struct ld *l, const struct ynode *v, void *obj);

#define WALK(l, map, obj, defs, ctx) \
	cfg_walk_map(l, map, obj, defs, sizeof(defs) / sizeof(defs[0]), ctx)

#endif
