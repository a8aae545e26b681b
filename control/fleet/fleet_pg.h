/* SPDX-License-Identifier: BSD-3-Clause
 *
 * libpq helpers shared by the fleet files that talk to PostgreSQL (only
 * built when meson finds libpq).
 */
#ifndef BS_CONTROL_FLEET_PG_H
#define BS_CONTROL_FLEET_PG_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/cfg.h"

/* A connection to cfg's database (connect_timeout 5 s unless the conninfo
 * says otherwise), or NULL with the reason in err. */
PGconn *fleet_connect(const struct cfg *cfg, char *err, size_t err_cap);
/* The same from a conninfo of fleet_conninfo(), which it wipes and frees. */
PGconn *fleet_connect_ci(char *ci, char *err, size_t err_cap);
/* The API's own short connection (the fleet threads' sessions are theirs
 * alone): cfg's database read under cfg_lock, its heartbeat deadline into
 * *deadline_s (may be NULL).  NULL with the reason in msg (fleet_db.c). */
struct ctl;
PGconn *fleet_api_connect(struct ctl *c, unsigned *deadline_s, char *msg, size_t cap);
/* o[k] when it is a string, else dflt (the text views of fleet_view.c and
 * fleet_node_db.c). */
const char *fleet_jstr_or(json_t *o, const char *k, const char *dflt);
/* Sleeps ms in 50 ms steps, returning early once *stop is set (the fleet
 * threads' waits between rounds and reconnections). */
void fleet_nap(_Atomic bool *stop, uint32_t ms);
/* db's last error message, its first line only, into err (returned). */
const char *fleet_pg_error(PGconn *db, char *err, size_t err_cap);
/* Runs sql (no parameters); true when it succeeded, else the server's
 * message in err. */
bool fleet_exec(PGconn *db, const char *sql, char *err, size_t err_cap);
/* Applies the missing migrations (fleet_schema.c).  Returns how many were
 * applied (0: already current), or -1 with err set. */
int fleet_migrate_conn(PGconn *db, char *err, size_t err_cap);
/* The schema version of the database (0: not initialised), -1 on error. */
int fleet_schema_version(PGconn *db);
/* The fleet view (fleet_view.c): servers with liveness (heartbeat younger
 * than deadline_s), their lease counts and node states.  NULL + err. */
json_t *fleet_view_json(PGconn *db, unsigned deadline_s, char *err, size_t err_cap);

#endif
