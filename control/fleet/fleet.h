/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fleet mode: many bootstorm servers sharing one PostgreSQL database
 * (issue 20).  Off by default; single-server mode needs no database and the
 * project builds without libpq (fleet_stub.c stands in).
 *
 * Local first: the lease journal stays the durability point of every ACK.
 * A shipper thread of control reads the journal's acknowledged tail (the
 * journal file is the outbox: fleet_pure.h) and the node-state store, and
 * writes them to PostgreSQL in batches, one transaction per batch, with
 * idempotent upserts; its position is saved in <state_dir>/fleet.outbox
 * after each commit.  The database is never on the packet path nor on the
 * ACK path: when it is down, booting goes on, the backlog grows, and the
 * shipper retries with backoff.
 */
#ifndef BS_CONTROL_FLEET_H
#define BS_CONTROL_FLEET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "conf/cfg.h"

struct ctl;

#define FLEET_POS_FILE "fleet.outbox"

/* ---- the daemon side (fleet_ship.c) ---- */

/* Starts the shipper when cfg->fleet_enabled (0 and nothing otherwise).
 * -ENOTSUP when fleet mode is asked of a build without libpq. */
int fleet_start(struct ctl *c);
/* Stops and joins the shipper; safe when none runs. */
void fleet_stop(struct ctl *c);
/* Adds "fleet": {...} to a status object (enabled, database reachable,
 * backlog, last shipped). */
void fleet_status_json(struct ctl *c, json_t *status);
/* Prometheus lines for /metrics into buf (NUL-terminated); bytes written. */
size_t fleet_metrics(struct ctl *c, char *buf, size_t cap);
/* GET /api/fleet: the fleet view as JSON (NULL with *err set on failure). */
json_t *fleet_api_view(struct ctl *c, const char **err);

/* ---- the database side (fleet_db.c), used by the CLI and the shipper ---- */

/* The conninfo of cfg: fleet.database itself, or the content of the
 * root-only file it names (util/bs_secret.h).  malloc'd, or NULL with a
 * message in err. */
char *fleet_conninfo(const struct cfg *cfg, char *err, size_t err_cap);

/* `bootstorm db init|migrate|status|import-inventory`, `bootstorm fleet`:
 * each opens its own connection, prints to out, returns an exit code. */
int fleet_db_migrate(const struct cfg *cfg, FILE *out);
int fleet_db_status(const struct cfg *cfg, FILE *out);
int fleet_db_import(const struct cfg *cfg, FILE *out);
int fleet_view_print(const struct cfg *cfg, bool json, FILE *out);
/* `bootstorm db set-state NODES install|local|hold [--profile P]`
 * (fleet_state.c): one set-based statement; expr as `reimage` takes it. */
int fleet_db_set_state(const struct cfg *cfg, const char *expr, const char *state,
		       const char *profile, FILE *out);

/* The name this server has in the fleet (fleet.server_name or server.name). */
const char *fleet_server_name(const struct cfg *cfg);

/* ---- fleet-wide campaigns, the creator's side (fleet_camp_db.c) ---- */

struct fleet_camp_row; /* fleet_cadmin.h */

/* `bootstorm reimage NODES|--all --fleet ...` once fleet_camp_prepare()
 * checked its flags into row: one transaction inserting
 * the campaigns row (every column) and its campaign_nodes (queued, no
 * server) in one set-based statement; refused with EXIT_USAGE and nothing
 * written when a name is not in `nodes`, a node is busy in another running
 * campaign, or (with power) a node has no BMC.  expr "*" = every node. */
int fleet_camp_create(const struct cfg *cfg, const char *expr, const struct fleet_camp_row *row,
		      FILE *out);
/* `bootstorm fleet campaigns` and `bootstorm fleet campaign NAME`. */
int fleet_camps_print(const struct cfg *cfg, bool json, FILE *out);
int fleet_camp_print(const struct cfg *cfg, const char *name, bool json, FILE *out);
/* `bootstorm fleet campaign NAME cancel|retry-failed` (gen + 1). */
int fleet_camp_admin(const struct cfg *cfg, const char *name, const char *action, FILE *out);
/* GET /api/fleet/campaigns/NAME: the detail, or NULL with *status (404,
 * 503) and *err. */
json_t *fleet_api_campaign(struct ctl *c, const char *name, int *status, const char **err);

/* ---- per node (fleet_node_db.c; pure parts fleet_node.h) ---- */

struct fleet_nodes_q; /* fleet_node.h */

/* `bootstorm fleet node NAME|MAC`: one statement; EXIT_USAGE for a node
 * not in `nodes`. */
int fleet_node_print(const struct cfg *cfg, const char *key, bool json, FILE *out);
/* `bootstorm fleet nodes [--server S] [--state X] [--campaign C]`. */
int fleet_nodes_print(const struct cfg *cfg, const struct fleet_nodes_q *q, bool json, FILE *out);
/* GET /api/fleet/nodes/KEY and GET /api/fleet/nodes?server=&state=&
 * campaign=&limit=: the JSON of the commands, or NULL with *status (400,
 * 404, 503) and *err. */
json_t *fleet_api_node(struct ctl *c, const char *key, int *status, const char **err);
json_t *fleet_api_nodes(struct ctl *c, const char *server, const char *state, const char *campaign,
			const char *limit, int *status, const char **err);

#endif
