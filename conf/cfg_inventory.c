/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The `nodes:` section: each entry is one of three forms (one node, a name
 * range, a CSV file), told apart by its keys; this file checks the keys
 * per form and hands the entry to its reader (cfg_inv_node.c,
 * cfg_inv_range.c, cfg_inv_csv.c).  Lookups are in cfg_index.c.
 */
#include <stdio.h>
#include <string.h>

#include "conf/cfg_inv.h"

/* ------------------------------------------------------------------ */
/* YAML entries */

enum nform {
	NF_ONE = 0,	/* name: mac: ip: ... */
	NF_RANGE,	/* range: node[001-100] ... */
	NF_CSV,		/* csv: file */
	NF_MAX
};

/* Keys allowed per form, as a bitmask. */
static const struct {
	const char *key;
	uint8_t forms; /* 1 << enum nform */
} node_keys[] = {
	{ "name", 1 << NF_ONE },
	{ "range", 1 << NF_RANGE },
	{ "csv", 1 << NF_CSV },
	{ "mac", 1 << NF_ONE | 1 << NF_RANGE },
	{ "ip", 1 << NF_ONE | 1 << NF_RANGE },
	{ "profile", 1 << NF_ONE | 1 << NF_RANGE },
	{ "vars", 1 << NF_ONE | 1 << NF_RANGE },
	{ "boot_file", 1 << NF_ONE | 1 << NF_RANGE },
	{ "ipxe", 1 << NF_ONE | 1 << NF_RANGE },
	{ "client_id", 1 << NF_ONE },
	{ "bmc", 1 << NF_ONE | 1 << NF_RANGE },
};

static const char *const nform_name[NF_MAX] = { "a node", "a range entry", "a csv entry" };

/* Checks the keys of an entry: known, allowed in this form, once. */
static bool
entry_keys_ok(struct ld *l, const struct ynode *m, enum nform f, const char *ctx)
{
	bool ok = true;
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
		size_t j, nk = sizeof(node_keys) / sizeof(node_keys[0]);
		for (j = 0; j < nk; j++)
			if (!strcmp(node_keys[j].key, k->s))
				break;
		if (j == nk) {
			ld_err(l, k, "unknown key '%s' in %s", k->s, ctx);
			ok = false;
		} else if (!(node_keys[j].forms & (1 << f))) {
			ld_err(l, k, "%s: key '%s' is not allowed in %s", ctx, k->s, nform_name[f]);
			ok = false;
		} else if (ygetkey(m, k->s) != k) {
			ld_err(l, k, "duplicate key '%s' in %s (first at line %u)", k->s, ctx,
			       ygetkey(m, k->s)->line);
			ok = false;
		} else if (strcmp(k->s, "vars") && v->type != Y_SCALAR) {
			ld_err(l, v, "%s.%s: expected a scalar, got %s", ctx, k->s,
			       ytype_name(v));
			ok = false;
		}
	}
	return ok;
}

void
ld_nodes(struct ld *l, const struct ynode *seq)
{
	if (seq->type != Y_SEQ) {
		ld_err(l, seq, "nodes: expected a list, got %s", ytype_name(seq));
		return;
	}
	for (size_t i = 0; i < seq->n; i++) {
		const struct ynode *m = seq->kids[i];
		char ctx[32];
		snprintf(ctx, sizeof(ctx), "nodes[%zu]", i);
		if (m->type != Y_MAP) {
			ld_err(l, m, "%s: expected a mapping, got %s", ctx, ytype_name(m));
			continue;
		}
		enum nform f = ygetkey(m, "csv")     ? NF_CSV :
			       ygetkey(m, "range") ? NF_RANGE :
						     NF_ONE;
		if (!entry_keys_ok(l, m, f, ctx))
			continue;
		if (f == NF_CSV)
			inv_entry_csv(l, m, ctx);
		else if (f == NF_RANGE)
			inv_entry_range(l, m, ctx);
		else
			inv_entry_one(l, m, ctx);
		if (l->errs->n >= CFG_MAX_ERRS)
			return;
	}
}
