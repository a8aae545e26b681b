/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The fleet schema as an ordered table of migrations (fleet_pure.h).
 * `bootstorm db migrate` applies each missing one in its own transaction
 * under an advisory lock, so two servers migrating at once apply each step
 * once.  Every table names the server a row came from: servers own their
 * segments and their leases; the inventory, node states and campaigns are
 * the fleet's.
 */
#include "control/fleet/fleet_pure.h"

const struct fleet_migration fleet_migrations[] = {
	{ 1, "servers, segments, inventory, node states, leases, campaigns, outbox",
	  "CREATE TABLE servers ("
	  " name text PRIMARY KEY,"
	  " heartbeat timestamptz NOT NULL DEFAULT now(),"
	  " started timestamptz NOT NULL DEFAULT now(),"
	  " version text NOT NULL DEFAULT '',"
	  " pid integer NOT NULL DEFAULT 0);"
	  "CREATE TABLE segments ("
	  " server text NOT NULL REFERENCES servers(name) ON DELETE CASCADE,"
	  " network cidr NOT NULL,"
	  " kind text NOT NULL DEFAULT 'subnet',"
	  " PRIMARY KEY (server, network));"
	  "CREATE TABLE nodes ("
	  " name text PRIMARY KEY,"
	  " mac macaddr NOT NULL,"
	  " ip inet,"
	  " profile text,"
	  " bmc text,"
	  " server text,"
	  " updated timestamptz NOT NULL DEFAULT now());"
	  "CREATE TABLE node_state ("
	  " name text PRIMARY KEY,"
	  " state text NOT NULL,"
	  " profile text,"
	  " reason text,"
	  " since_ms bigint NOT NULL,"
	  " server text NOT NULL,"
	  " shipped timestamptz NOT NULL DEFAULT now());"
	  "CREATE TABLE leases ("
	  " server text NOT NULL,"
	  " ip inet NOT NULL,"
	  " mac macaddr NOT NULL,"
	  " state text NOT NULL,"
	  " expires timestamptz,"
	  " seq bigint NOT NULL,"
	  " ts timestamptz,"
	  " hostname text,"
	  " shipped timestamptz NOT NULL DEFAULT now(),"
	  " PRIMARY KEY (server, ip));"
	  "CREATE TABLE campaigns ("
	  " id bigserial PRIMARY KEY,"
	  " name text UNIQUE NOT NULL,"
	  " server text,"
	  " state text NOT NULL DEFAULT 'running',"
	  " profile text,"
	  " max_in_flight integer,"
	  " created timestamptz NOT NULL DEFAULT now());"
	  "CREATE TABLE campaign_nodes ("
	  " campaign bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,"
	  " node text NOT NULL,"
	  " server text,"
	  " state text NOT NULL DEFAULT 'queued',"
	  " updated timestamptz NOT NULL DEFAULT now(),"
	  " PRIMARY KEY (campaign, node));"
	  "CREATE TABLE outbox ("
	  " server text NOT NULL,"
	  " stream text NOT NULL,"
	  " position text NOT NULL,"
	  " shipped bigint NOT NULL DEFAULT 0,"
	  " updated timestamptz NOT NULL DEFAULT now(),"
	  " PRIMARY KEY (server, stream));" },
	{ 2, "indexes for the fleet view and MAC lookups",
	  "CREATE INDEX leases_mac ON leases (mac);"
	  "CREATE INDEX leases_server_state ON leases (server, state);"
	  "CREATE INDEX node_state_server ON node_state (server, state);"
	  "CREATE INDEX nodes_mac ON nodes (mac);"
	  "CREATE INDEX campaign_nodes_node ON campaign_nodes (node);" },
};

const size_t fleet_n_migrations = sizeof(fleet_migrations) / sizeof(fleet_migrations[0]);

size_t
fleet_migrations_check(const struct fleet_migration *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].version != (int)i + 1 || !m[i].sql || !m[i].name)
			return i + 1;
	return 0;
}
