/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The fleet-wide campaign views on one open connection (libpq builds only):
 * the summaries (fleet_view.c, also part of GET /api/fleet) and one
 * campaign's detail (fleet_camp_db.c).
 */
#ifndef BS_CONTROL_FLEET_CAMP_PG_H
#define BS_CONTROL_FLEET_CAMP_PG_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

/* [{name, state, profile, created, power_on_rate, max_in_flight,
 *   server_rate, server_in_flight, power, gen, nodes, states{}}...] of the
 * fleet's campaigns (server NULL), oldest first.  NULL + err. */
json_t *fleet_camps_json(PGconn *db, char *err, size_t err_cap);
/* One campaign: its summary plus servers[] (per claiming server: alive,
 * heartbeat age, counts by state), failed[] (node, server, attempts,
 * reason) and stale[] (unfinished nodes of a server whose heartbeat is
 * older than deadline_s).  NULL + err; *missing when no such campaign. */
json_t *fleet_camp_json(PGconn *db, const char *name, unsigned deadline_s, bool *missing,
			char *err, size_t err_cap);

#endif
