/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The table-driven walk of one YAML mapping (struct kdef rows, see
 * conf/cfg_walk.h): the generic part of the schema.  The tables themselves
 * and their per-key functions live in conf/cfg_schema.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cfg_walk.h"
#include "util/bs_assert.h"


bool
cfg_want_scalar(struct ld *l, const char *ctx, const char *key, const struct ynode *v)
{
	if (v->type == Y_SCALAR)
		return true;
	ld_err(l, v, "%s.%s: expected a scalar, got %s", ctx, key, ytype_name(v));
	return false;
}


static void
key_scalar(struct ld *l, const char *ctx, const struct kdef *d, const struct ynode *v,
	   void *obj)
{
	uint8_t *base = obj;
	const char *s = v->s;
	uint64_t ms;
	uint32_t u;
	bool b;

	switch (d->t) {
	case KT_STR:
		cfg_set_str((char **)(base + d->off), s);
		return;
	case KT_PATH:
		free(*(char **)(base + d->off));
		*(char **)(base + d->off) = cfg_abs_path(l->c, s);
		return;
	case KT_U32:
	case KT_U16:
		if (cfgp_u32(s, d->min, d->max, &u) < 0) {
			ld_err(l, v, "%s.%s: expected an integer in [%u, %u], got '%s'", ctx,
			       d->key, d->min, d->max, s);
			return;
		}
		if (d->t == KT_U32)
			*(uint32_t *)(base + d->off) = u;
		else
			*(uint16_t *)(base + d->off) = (uint16_t)u;
		return;
	case KT_BOOL:
		if (cfgp_bool(s, &b) < 0) {
			ld_err(l, v, "%s.%s: expected true or false, got '%s'", ctx, d->key, s);
			return;
		}
		*(bool *)(base + d->off) = b;
		return;
	case KT_DUR_S:
	case KT_DUR_MS:
		if (cfgp_duration_ms(s, &ms) < 0) {
			ld_err(l, v,
			       "%s.%s: bad duration '%s' (examples: 30s, 10m, 1h, 1d, 2ms, "
			       "or seconds)",
			       ctx, d->key, s);
			return;
		}
		if (d->t == KT_DUR_S && ms % 1000) {
			ld_err(l, v, "%s.%s: '%s' is not a whole number of seconds", ctx,
			       d->key, s);
			return;
		}
		u = (uint32_t)(d->t == KT_DUR_S ? ms / 1000 : (ms > UINT32_MAX ? 0 : ms));
		if ((d->t == KT_DUR_MS && ms > UINT32_MAX) || u < d->min || u > d->max) {
			ld_err(l, v, "%s.%s: duration '%s' out of range", ctx, d->key, s);
			return;
		}
		*(uint32_t *)(base + d->off) = u;
		return;
	case KT_IP:
		if (cfgp_ip(s, &u) < 0) {
			ld_err(l, v, "%s.%s: bad IPv4 address '%s'", ctx, d->key, s);
			return;
		}
		*(uint32_t *)(base + d->off) = u;
		return;
	default:
		BS_ASSERT(d->t < KT_MAX); /* a table row with an unknown type */
		return;
	}
}

/* Walks a mapping against a key table.  Unknown and duplicate keys are
 * errors (a typo like "lease_tme" must not silently keep a default). */
void
cfg_walk_map(struct ld *l, const struct ynode *map, void *obj, const struct kdef *defs,
	 size_t n_defs, const char *ctx)
{
	if (map->type != Y_MAP) {
		ld_err(l, map, "%s: expected a mapping, got %s", ctx, ytype_name(map));
		return;
	}
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *k = map->kids[i], *v = map->kids[i + 1];
		const struct kdef *d = NULL;
		for (size_t j = 0; j < n_defs; j++)
			if (!strcmp(defs[j].key, k->s))
				d = &defs[j];
		if (!d) {
			ld_err(l, k, "unknown key '%s' in %s", k->s, ctx);
			continue;
		}
		const struct ynode *first = ygetkey(map, k->s);
		if (first != k) {
			ld_err(l, k, "duplicate key '%s' in %s (first at line %u)", k->s, ctx,
			       first->line);
			continue;
		}
		if (ynode_is_null(v))
			continue; /* "key:" with no value keeps the default */
		if (d->t == KT_FN) {
			BS_ASSERT(d->fn != NULL);
			d->fn(l, v, obj);
			continue;
		}
		if (cfg_want_scalar(l, ctx, d->key, v))
			key_scalar(l, ctx, d, v, obj);
	}
}
