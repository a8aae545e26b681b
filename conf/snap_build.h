/* SPDX-License-Identifier: BSD-3-Clause
 * Flattening a validated struct cfg into a snapshot (shm/snap.h). */
#ifndef BS_CONF_SNAP_BUILD_H
#define BS_CONF_SNAP_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "conf/cfg.h"
#include "shm/snap.h"

/* Builds the snapshot of c with generation gen into a malloc'd buffer
 * (*out, *len).  Returns 0 or -errno.  Every node boots as configured
 * (SNAP_BOOT_NET, its YAML profile). */
int snap_build(const struct cfg *c, uint64_t gen, struct snap_hdr **out, size_t *len);

/* A node's boot fields that control keeps outside the YAML: its boot state
 * and the profile a reimage named (control/daemon/nodestate.h). */
struct snap_node_boot {
	uint8_t boot;		/* enum snap_boot_state */
	const char *profile;	/* the node's effective profile; NULL = none
				   (the default profile) */
};
typedef void (*snap_node_boot_fn)(void *arg, const struct cfg_node *n, struct snap_node_boot *b);

/* snap_build with fn asked once per node for its boot fields (NULL = as
 * snap_build).  base_gen = gen. */
int snap_build_nodes(const struct cfg *c, uint64_t gen, snap_node_boot_fn fn, void *arg,
		     struct snap_hdr **out, size_t *len);

/* Cheap republish of node boot fields, for a snapshot the caller built and
 * owns (never the published copy in shm):
 *   snap_node_set_boot  finds node `name` (binary search: the table is by
 *                       name) and sets its fields; 1 changed, 0 already
 *                       so, -ENOENT no such node or profile in s;
 *   snap_seal           stamps gen (> s->gen) and the crc; base_gen stays,
 *                       telling readers the tables are the same. */
int snap_node_set_boot(struct snap_hdr *s, const char *name, const struct snap_node_boot *b);
void snap_seal(struct snap_hdr *s, uint64_t gen);

#endif
