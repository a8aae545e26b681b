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
	/* Following the database (fleet_follow.c): every row of nodes and
	 * node_state carries the change sequence of its last real change
	 * (a rewrite with the same values keeps it: the shipper echoing a
	 * state it got from here moves nothing), a deleted node leaves a
	 * tombstone in nodes_gone, and each statement NOTIFYs the channel
	 * bootstorm_fleet with the table and the sequence.  A statement lock
	 * (transaction-scoped advisory lock) makes writers take sequence
	 * numbers in commit order, so "everything above the highest number I
	 * saw" never skips a transaction that committed late: a follower
	 * that missed notifications (disconnected) loses nothing. */
	{ 3, "change sequence and NOTIFY on nodes and node_state",
	  "CREATE SEQUENCE fleet_change_seq;"
	  "ALTER TABLE nodes ADD COLUMN change_seq bigint NOT NULL DEFAULT 0;"
	  "ALTER TABLE node_state ADD COLUMN change_seq bigint NOT NULL DEFAULT 0;"
	  "CREATE TABLE nodes_gone ("
	  " name text PRIMARY KEY,"
	  " server text,"
	  " change_seq bigint NOT NULL);"
	  "CREATE INDEX nodes_change ON nodes (change_seq);"
	  "CREATE INDEX node_state_change ON node_state (change_seq);"
	  "CREATE INDEX nodes_gone_change ON nodes_gone (change_seq);"
	  "CREATE FUNCTION fleet_change_lock() RETURNS trigger LANGUAGE plpgsql AS $$"
	  " BEGIN PERFORM pg_advisory_xact_lock(1651730029); RETURN NULL; END $$;"
	  "CREATE FUNCTION fleet_change_notify() RETURNS trigger LANGUAGE plpgsql AS $$"
	  " BEGIN PERFORM pg_notify('bootstorm_fleet', TG_TABLE_NAME || ' ' ||"
	  " (SELECT last_value FROM fleet_change_seq)); RETURN NULL; END $$;"
	  "CREATE FUNCTION fleet_nodes_row() RETURNS trigger LANGUAGE plpgsql AS $$"
	  " BEGIN"
	  "  IF TG_OP = 'DELETE' THEN"
	  "   INSERT INTO nodes_gone (name, server, change_seq)"
	  "    VALUES (OLD.name, OLD.server, nextval('fleet_change_seq'))"
	  "    ON CONFLICT (name) DO UPDATE SET server = excluded.server, change_seq = excluded.change_seq;"
	  "   RETURN OLD;"
	  "  END IF;"
	  "  IF TG_OP = 'UPDATE' AND (OLD.mac, OLD.ip, OLD.profile, OLD.bmc, OLD.server)"
	  "     IS NOT DISTINCT FROM (NEW.mac, NEW.ip, NEW.profile, NEW.bmc, NEW.server) THEN"
	  "   NEW.change_seq := OLD.change_seq; RETURN NEW;"
	  "  END IF;"
	  "  IF TG_OP = 'INSERT' THEN DELETE FROM nodes_gone WHERE name = NEW.name; END IF;"
	  "  NEW.change_seq := nextval('fleet_change_seq'); RETURN NEW;"
	  " END $$;"
	  "CREATE FUNCTION fleet_state_row() RETURNS trigger LANGUAGE plpgsql AS $$"
	  " BEGIN"
	  "  IF TG_OP = 'UPDATE' AND (OLD.state, OLD.profile, OLD.reason, OLD.since_ms)"
	  "     IS NOT DISTINCT FROM (NEW.state, NEW.profile, NEW.reason, NEW.since_ms) THEN"
	  "   NEW.change_seq := OLD.change_seq; RETURN NEW;"
	  "  END IF;"
	  "  NEW.change_seq := nextval('fleet_change_seq'); RETURN NEW;"
	  " END $$;"
	  "CREATE TRIGGER nodes_lock BEFORE INSERT OR UPDATE OR DELETE ON nodes"
	  " FOR EACH STATEMENT EXECUTE FUNCTION fleet_change_lock();"
	  "CREATE TRIGGER nodes_row BEFORE INSERT OR UPDATE OR DELETE ON nodes"
	  " FOR EACH ROW EXECUTE FUNCTION fleet_nodes_row();"
	  "CREATE TRIGGER nodes_notify AFTER INSERT OR UPDATE OR DELETE ON nodes"
	  " FOR EACH STATEMENT EXECUTE FUNCTION fleet_change_notify();"
	  "CREATE TRIGGER node_state_lock BEFORE INSERT OR UPDATE OR DELETE ON node_state"
	  " FOR EACH STATEMENT EXECUTE FUNCTION fleet_change_lock();"
	  "CREATE TRIGGER node_state_row BEFORE INSERT OR UPDATE ON node_state"
	  " FOR EACH ROW EXECUTE FUNCTION fleet_state_row();"
	  "CREATE TRIGGER node_state_notify AFTER INSERT OR UPDATE OR DELETE ON node_state"
	  " FOR EACH STATEMENT EXECUTE FUNCTION fleet_change_notify();" },
	/* Fleet-wide campaigns (fleet_camp*.c).  A campaign row with server
	 * NULL belongs to the fleet: its rate and max_in_flight are fleet-wide
	 * (each server runs its share, server_rate/server_in_flight cap one
	 * server); campaign_nodes.server is the server running the node now
	 * (NULL: not claimed yet), state its engine stage (camp_stage_name:
	 * queued, powering, waiting-dhcp, installing, verifying, done, failed,
	 * cancelled), written back by that server in batches.  gen moves on
	 * every admin change of a campaign (create, cancel, retry-failed) and
	 * the statement NOTIFYs bootstorm_campaign, so servers look at once;
	 * they also look every few seconds without one. */
	{ 4, "fleet-wide campaigns: parameters, per-node stage and reason, NOTIFY",
	  "ALTER TABLE campaigns"
	  " ADD COLUMN power_on_rate double precision NOT NULL DEFAULT 1,"
	  " ADD COLUMN burst double precision NOT NULL DEFAULT 1,"
	  " ADD COLUMN server_rate double precision,"
	  " ADD COLUMN server_in_flight integer,"
	  " ADD COLUMN dhcp_deadline_ms bigint NOT NULL DEFAULT 300000,"
	  " ADD COLUMN max_repower integer NOT NULL DEFAULT 2,"
	  " ADD COLUMN install_deadline_ms bigint NOT NULL DEFAULT 3600000,"
	  " ADD COLUMN verify_deadline_ms bigint NOT NULL DEFAULT 0,"
	  " ADD COLUMN power boolean NOT NULL DEFAULT true,"
	  " ADD COLUMN created_by text,"
	  " ADD COLUMN finished timestamptz,"
	  " ADD COLUMN gen bigint NOT NULL DEFAULT 1;"
	  "ALTER TABLE campaign_nodes"
	  " ADD COLUMN reason text,"
	  " ADD COLUMN attempts integer NOT NULL DEFAULT 0,"
	  " ADD COLUMN inst_stage text,"
	  " ADD COLUMN since_ms bigint NOT NULL DEFAULT 0;"
	  "CREATE INDEX campaign_nodes_server ON campaign_nodes (server, state);"
	  "CREATE INDEX campaigns_state ON campaigns (state);"
	  "CREATE FUNCTION fleet_campaign_notify() RETURNS trigger LANGUAGE plpgsql AS $$"
	  " BEGIN PERFORM pg_notify('bootstorm_campaign', TG_OP); RETURN NULL; END $$;"
	  "CREATE TRIGGER campaigns_notify AFTER INSERT OR UPDATE OR DELETE ON campaigns"
	  " FOR EACH STATEMENT EXECUTE FUNCTION fleet_campaign_notify();" },
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
