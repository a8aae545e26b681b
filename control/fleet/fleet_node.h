/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The per-node fleet view, its pure parts (no libpq, no I/O): what
 * `bootstorm fleet node NAME|MAC` and `bootstorm fleet nodes [filters]`
 * (and GET /api/fleet/nodes[/NAME]) turn into SQL parameters, the BMC
 * reference shown without its credentials, and which of fleet.peers
 * answers a MAC's DHCP now (the RFC 3074 bucket dealt out as
 * snap_lb_assign deals it).  The database side is fleet_node_db.c;
 * unit-tested in tests/unit/control/test_fleet_node.c.
 */
#ifndef BS_CONTROL_FLEET_NODE_H
#define BS_CONTROL_FLEET_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLEET_NODES_LIMIT_DEFAULT 100
#define FLEET_NODES_LIMIT_MAX	  10000

/* "aa:bb:cc:dd:ee:ff" (lower case) into mac when key is a MAC written
 * with ':' or '-' separators in any case; false (mac "") otherwise: the
 * key is then a node name. */
bool fleet_node_key_mac(const char *key, char mac[18]);

/* url without credentials: the userinfo of scheme://user:pass@host... and
 * the query string (a password may travel there) are dropped.  Returns
 * true when something was dropped.  out is always NUL-terminated. */
bool fleet_bmc_redact(const char *url, char *out, size_t cap);

/* The filters of `fleet nodes` as text parameters of one statement
 * ($1 server, $2 state, $3 campaign: NULL = any; $4 limit). */
enum fleet_nodes_param { FNP_SERVER = 0, FNP_STATE, FNP_CAMPAIGN, FNP_LIMIT, FNP_MAX };

struct fleet_nodes_q {
	const char *v[FNP_MAX]; /* NULL = SQL NULL (no filter) */
	char limit[12];
};

/* Checks the filters as typed (NULL or "" = none) into q.  0, or -EINVAL
 * with the reason in err: a filter longer than 128 bytes or with a
 * control character, a limit that is not 1..FLEET_NODES_LIMIT_MAX (NULL:
 * FLEET_NODES_LIMIT_DEFAULT). */
int fleet_nodes_q_fill(struct fleet_nodes_q *q, const char *server, const char *state,
		       const char *campaign, const char *limit, char *err, size_t err_cap);

/* Which of n_peers servers (fleet.peers, in their configured order)
 * answers DHCP for bucket now, alive[i] saying whether peer i's heartbeat
 * is fresh: the bucket's static owner (bucket % n) when alive, else the
 * survivor snap_lb_assign gives it.  -1 when no peer is alive, bucket is
 * out of 0..255 or n_peers is 0. */
int fleet_node_answerer(int bucket, uint32_t n_peers, const bool *alive);

#endif
