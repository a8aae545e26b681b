/* SPDX-License-Identifier: BSD-3-Clause
 *
 * `bootstorm db set-state NODES install|local|hold [--profile P]`: the
 * fleet-wide node state flip (fleet.h).  One set-based statement in one
 * transaction, whatever the number of nodes; every owning server picks the
 * change up through NOTIFY (fleet_follow.c) and publishes one snapshot
 * generation for it.  since_ms is the database's clock, so the followers
 * take it over any older local record, and the shipper's echo of it back
 * (same values) moves no change sequence.
 */
#include "control/fleet/fleet.h"

#include <errno.h>
#include <string.h>

#include "control/daemon/nodestate.h"
#include "control/exit.h"
#include "control/fleet/fleet_inv.h"
#include "control/fleet/fleet_pg.h"
#include "util/bs_time.h"

/* $1 every node, $2 names, $3 state, $4 profile.  A name the inventory
 * lacks refuses the whole set (as `bootstorm reimage` does), so the
 * statement checks first and changes nothing then. */
static const char missing_sql[] =
	"SELECT count(*), min(x) FROM unnest($1::text[]) x "
	"WHERE NOT EXISTS (SELECT 1 FROM nodes n WHERE n.name = x)";
static const char set_sql[] =
	"INSERT INTO node_state (name, state, profile, reason, since_ms, server) "
	"SELECT n.name, $3, NULLIF($4, ''), NULL, "
	" (extract(epoch FROM clock_timestamp()) * 1000)::bigint, COALESCE(n.server, '') "
	"FROM nodes n WHERE $1::boolean OR n.name = ANY($2::text[]) "
	"ON CONFLICT (name) DO UPDATE SET state = excluded.state, profile = excluded.profile, "
	" reason = NULL, since_ms = excluded.since_ms, shipped = now() "
	"WHERE (node_state.state, node_state.profile, node_state.reason) IS DISTINCT FROM "
	" (excluded.state, excluded.profile, NULL)";

static int
fail(PGconn *db, const char *what)
{
	fprintf(stderr, "bootstorm db set-state: %s: %s", what, PQerrorMessage(db));
	PQclear(PQexec(db, "ROLLBACK"));
	PQfinish(db);
	return EXIT_RUNTIME;
}

int
fleet_db_set_state(const struct cfg *cfg, const char *expr, const char *state,
		   const char *profile, FILE *out)
{
	struct fleet_arr names = { 0 };
	const char *bad = NULL, *v[4];
	bool all = strcmp(expr, "*") == 0;
	uint64_t t0 = bs_mono_ns();
	char err[512];
	long n = 0;
	PGconn *db;
	PGresult *r;
	int st = ns_state_parse(state);

	if (st != NS_INSTALL && st != NS_LOCAL && st != NS_HOLD) {
		fprintf(stderr, "bootstorm db set-state: state '%s': install, local or hold\n", state);
		return EXIT_USAGE;
	}
	if (profile && st != NS_INSTALL) {
		fprintf(stderr, "bootstorm db set-state: --profile goes with install\n");
		return EXIT_USAGE;
	}
	if (!all && (n = fleet_nodeset_expand(expr, &names, &bad)) < 0) {
		fprintf(stderr, "bootstorm db set-state: bad node set at '%s'\n", bad);
		fleet_arr_free(&names);
		return EXIT_USAGE;
	}
	v[0] = all ? "true" : "false";
	v[1] = all ? "{}" : fleet_arr_done(&names);
	v[2] = state;
	v[3] = profile ? profile : "";
	if (!v[1]) {
		fleet_arr_free(&names);
		fprintf(stderr, "bootstorm db set-state: out of memory\n");
		return EXIT_RUNTIME;
	}
	if (!(db = fleet_connect(cfg, err, sizeof(err)))) {
		fleet_arr_free(&names);
		fprintf(stderr, "bootstorm db: %s\n", err);
		return EXIT_RUNTIME;
	}
	PQclear(PQexec(db, "BEGIN"));
	r = PQexecParams(db, missing_sql, 1, NULL, &v[1], NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		fleet_arr_free(&names);
		return fail(db, "checking names");
	}
	if (strcmp(PQgetvalue(r, 0, 0), "0") != 0) {
		fprintf(stderr, "bootstorm db set-state: %s node%s not in the fleet inventory (%s%s); nothing changed\n",
			PQgetvalue(r, 0, 0), strcmp(PQgetvalue(r, 0, 0), "1") ? "s" : "",
			PQgetvalue(r, 0, 1), strcmp(PQgetvalue(r, 0, 0), "1") ? ", ..." : "");
		PQclear(r);
		fleet_arr_free(&names);
		PQclear(PQexec(db, "ROLLBACK"));
		PQfinish(db);
		return EXIT_USAGE;
	}
	PQclear(r);
	r = PQexecParams(db, set_sql, 4, NULL, v, NULL, NULL, 0);
	fleet_arr_free(&names);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		PQclear(r);
		return fail(db, "update");
	}
	fprintf(out, "%s: %s node%s changed of %s%ld named in %.3f s (one statement); the owning servers follow through NOTIFY\n",
		state, PQcmdTuples(r), strcmp(PQcmdTuples(r), "1") ? "s" : "", all ? "every node, " : "",
		n, (double)(bs_mono_ns() - t0) / 1e9);
	PQclear(r);
	r = PQexec(db, "COMMIT");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		PQclear(r);
		return fail(db, "commit");
	}
	PQclear(r);
	PQfinish(db);
	return EXIT_OK;
}
