/* SPDX-License-Identifier: BSD-3-Clause
 * Flattening a validated struct cfg into a snapshot (shm/snap.h). */
#ifndef BS_CONF_SNAP_BUILD_H
#define BS_CONF_SNAP_BUILD_H

#include <stdbool.h>
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
/* Fleet load balancing (shm/snap.h lb_*): the RFC 3074 buckets server
 * `self` of n_peers serves when alive[i] says which peers are alive (NULL:
 * all).  Bucket b belongs to peer b % n_peers; a dead peer's buckets are
 * dealt out over the alive ones (b / n_peers modulo their count), so a
 * survivor set always covers all 256 and the split is the same on every
 * server that sees the same liveness.  Returns how many buckets are ours. */
unsigned snap_lb_assign(uint32_t n_peers, const bool *alive, uint32_t self,
			uint8_t out[SNAP_LB_BUCKETS / 8]);
/* This server's index in cfg's sorted fleet.peers, or -1 (no fleet, a
 * single peer, or not listed). */
int snap_lb_self(const struct cfg *c);

/* A copy of base (malloc'd, into *out) with the bucket set replaced and
 * the adopted-lease table replaced by a[0..n) (sorted here by MAC; a MAC
 * listed twice keeps the later expiry).  base's gen and crc are kept: the
 * caller seals (snap_seal).  0 or -errno. */
int snap_with_lb(const struct snap_hdr *base, const uint8_t buckets[SNAP_LB_BUCKETS / 8],
		 struct snap_lease *a, uint32_t n, struct snap_hdr **out, size_t *len);

int snap_node_set_boot(struct snap_hdr *s, const char *name, const struct snap_node_boot *b);
void snap_seal(struct snap_hdr *s, uint64_t gen);

#endif
