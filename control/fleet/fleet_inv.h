/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The pure parts of following the fleet database (fleet_follow.c): which
 * inventory rows a server owns, the server's part of the inventory as a
 * table that change batches are merged into, its CSV (fleet.inventory, read
 * by the config loader as inventory), and node-set expressions expanded
 * into names for `bootstorm db set-state`.  No libpq, no I/O; unit-tested
 * as they are (tests/unit/control/test_fleet_follow.c).
 */
#ifndef BS_CONTROL_FLEET_INV_H
#define BS_CONTROL_FLEET_INV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/fleet/fleet_pure.h"

/* One row of the nodes table as the follower sees it. */
struct fleet_inv_row {
	char name[64];
	char mac[18];		/* "aa:bb:cc:dd:ee:ff" */
	char ip[16];		/* "" = none */
	char profile[64];	/* "" = the default profile */
	char bmc[200];		/* nodes.bmc, "" = none (power needs one) */
	bool gone;		/* a tombstone (nodes_gone): deleted */
	bool mine;		/* owned by this server (fleet_owns) */
	uint64_t seq;		/* change_seq */
};

/* This server's part of the inventory, sorted by name, names unique. */
struct fleet_inv {
	struct fleet_inv_row *r;
	size_t n, cap;
};

/* Who owns a node: the server its row names; a row naming none belongs
 * to the server one of whose subnets holds its address (nets/prefixes:
 * this server's subnets, host order).  ip 0 = none. */
bool fleet_owns(const char *row_server, uint32_t ip, const char *me, const uint32_t *nets,
		const uint8_t *prefixes, size_t n_nets);

/* Merges a change batch into t: a row that is gone or not mine leaves the
 * table, any other is added or replaces the row of that name.  Inside the
 * batch the highest seq of a name wins (a full read and an incremental one
 * may overlap).  full: the batch is the whole nodes table, so a row of t
 * the batch does not name leaves too.  Returns how many rows of t changed
 * (added, replaced by different values, removed), or -ENOMEM (t is then
 * unchanged).  Sorts batch in place. */
long fleet_inv_merge(struct fleet_inv *t, struct fleet_inv_row *batch, size_t n, bool full);
void fleet_inv_free(struct fleet_inv *t);

/* The CSV of t for fleet.inventory: a comment line, the header, then
 * "name,mac,ip,profile" per row, ",bmc=URL" after it when the row has a
 * BMC (conf/cfg_inv_csv.c reads it into cfg_node.bmc).  A BMC URL with a
 * comma or newline (CSV has no quoting) is left out.  false when out of memory. */
bool fleet_inv_csv(const struct fleet_inv *t, const char *server, struct fleet_str *out);

/* A node set ("n1,n2", "node[0001-0100]", "rack1-[01-40]-a", mixed, comma
 * separated; conf's range syntax) expanded into names appended to out.
 * "*" is not a set here (the caller says "every node").  Returns the number
 * of names, or -EINVAL with *bad pointing into expr at the bad token. */
long fleet_nodeset_expand(const char *expr, struct fleet_arr *out, const char **bad);

#endif
