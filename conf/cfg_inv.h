/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Shared by the inventory readers (conf/cfg_inventory.c and
 * conf/cfg_inv_*.c).  Internal to conf/.
 */
#ifndef BS_CONF_CFG_INV_H
#define BS_CONF_CFG_INV_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/cfg_priv.h"

/* Appends a zeroed node and its location slot (*nl); NULL after reporting
 * at where (inventory too large, out of memory). */
struct cfg_node *inv_node_add(struct ld *l, const struct cfg_loc *where, struct nloc **nl);
/* Names end up in URLs (/ks/<name>) and file names: 1-63 of [A-Za-z0-9._-],
 * starting alphanumeric. */
bool inv_name_ok(const char *s);
/* Variable names: [A-Za-z0-9_]+. */
bool inv_var_key_ok(const char *s);
/* Appends key[0..klen) = val; 0 or -ENOMEM. */
int inv_var_push(struct cfg_var **v, size_t *n, const char *key, size_t klen, const char *val);
/* Scalar value of key, NULL when absent or null. */
const struct ynode *inv_yval(const struct ynode *m, const char *key);
/* Fields shared by one-node and range entries (profile, overrides, vars). */
void inv_entry_common(struct ld *l, const struct ynode *m, struct cfg_node *n, struct nloc *nl);

/* The three entry forms; ctx is "nodes[i]" for messages. */
void inv_entry_one(struct ld *l, const struct ynode *m, const char *ctx);
void inv_entry_range(struct ld *l, const struct ynode *m, const char *ctx);
void inv_entry_csv(struct ld *l, const struct ynode *m, const char *ctx);

#endif
