/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fleet-wide campaigns, the creator's database side (FLEETCAMP design,
 * fleet.h): `bootstorm reimage --fleet` inserts one campaigns row and its
 * campaign_nodes in one transaction (set-based, whatever the number of
 * nodes); `bootstorm fleet campaign NAME cancel|retry-failed` change rows
 * and move gen, so the campaigns trigger NOTIFYs bootstorm_campaign and
 * every server's agent looks at once; the detail view (CLI and GET
 * /api/fleet/campaigns/NAME) reads per-server counts, failed nodes and the
 * nodes of servers whose heartbeat is stale.  Like `db set-state`, these
 * talk to PostgreSQL directly and work while every server is down.
 */
#include "control/fleet/fleet.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "control/daemon/ctl.h"
#include "control/exit.h"
#include "control/fleet/fleet_cadmin.h"
#include "control/fleet/fleet_camp_pg.h"
#include "control/fleet/fleet_inv.h"
#include "control/fleet/fleet_pg.h"
#include "util/bs_time.h"

/* Taken by create and retry-failed: two admins making the same node busy
 * in two campaigns at once would each pass the other's check otherwise. */
#define CAMP_LOCK "SELECT pg_advisory_xact_lock(1651730030)"
#define FINAL	  "('done', 'failed', 'cancelled')"
#define NOW_MS	  "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

/* $1 every node, $2 names (as fleet_state.c) */
static const char missing_sql[] =
	"SELECT count(*), min(x) FROM unnest($2::text[]) x "
	"WHERE NOT $1::boolean AND NOT EXISTS (SELECT 1 FROM nodes n WHERE n.name = x)";
static const char busy_sql[] =
	"SELECT count(*) OVER (), cn.node, c.name FROM campaign_nodes cn "
	"JOIN campaigns c ON c.id = cn.campaign "
	"WHERE c.state = 'running' AND cn.state NOT IN " FINAL
	" AND ($1::boolean OR cn.node = ANY($2::text[])) ORDER BY cn.node, c.name LIMIT 1";
static const char nobmc_sql[] =
	"SELECT count(*), min(n.name) FROM nodes n "
	"WHERE ($1::boolean OR n.name = ANY($2::text[])) AND COALESCE(n.bmc, '') = ''";
/* $1 id, $2 created_by, $3.. the row (fleet_cadmin.h order) */
static const char camp_sql[] =
	"INSERT INTO campaigns (id, server, state, created_by, gen, finished, " FLEET_CAMP_COLS ") "
	"VALUES ($1::bigint, NULL, 'running', $2, 1, NULL, "
	" COALESCE(NULLIF($3, ''), 'fleet-' || $1::bigint::text), $4, $5::float8, $6::float8, "
	" $7::integer, $8::float8, $9::integer, $10::bigint, $11::integer, $12::bigint, "
	" $13::bigint, $14::boolean) RETURNING name";
static const char nodes_sql[] =
	"INSERT INTO campaign_nodes (campaign, node, server, state, reason, attempts, inst_stage, "
	" since_ms, updated) "
	"SELECT $1::bigint, n.name, NULL, 'queued', NULL, 0, NULL, " NOW_MS ", now() "
	"FROM nodes n WHERE $2::boolean OR n.name = ANY($3::text[])";
/* where the nodes of campaign $1 live: nodes.server, else the server
 * whose segment (the longest prefix) holds the node's address */
static const char owners_sql[] =
	"SELECT o.owner, count(*) FROM (SELECT COALESCE(NULLIF(n.server, ''), "
	"  (SELECT g.server FROM segments g WHERE n.ip <<= g.network "
	"   ORDER BY masklen(g.network) DESC, g.server LIMIT 1)) AS owner "
	" FROM campaign_nodes cn JOIN nodes n ON n.name = cn.node WHERE cn.campaign = $1::bigint) o "
	"GROUP BY o.owner ORDER BY o.owner NULLS LAST";

static int
fail(PGconn *db, const char *cmd, const char *what)
{
	char err[512];

	fprintf(stderr, "bootstorm %s: %s: %s\n", cmd, what, fleet_pg_error(db, err, sizeof(err)));
	PQclear(PQexec(db, "ROLLBACK"));
	PQfinish(db);
	return EXIT_RUNTIME;
}

/* A refusal: nothing written. */
static int
refuse(PGconn *db)
{
	PQclear(PQexec(db, "ROLLBACK"));
	PQfinish(db);
	return EXIT_USAGE;
}

/* PQexecParams that wants rows (or a command): the result, or NULL. */
static PGresult *
run(PGconn *db, const char *sql, int n, const char *const *v, bool rows)
{
	PGresult *r = PQexecParams(db, sql, n, NULL, v, NULL, NULL, 0);

	if (PQresultStatus(r) != (rows ? PGRES_TUPLES_OK : PGRES_COMMAND_OK)) {
		PQclear(r);
		return NULL;
	}
	return r;
}

/* The three refusals of create, each with the count and one name. */
static int
create_checks(PGconn *db, const char *const *sel, bool power)
{
	PGresult *r;
	long n;

	if (!(r = run(db, missing_sql, 2, sel, true)))
		return -1;
	if ((n = atol(PQgetvalue(r, 0, 0))) > 0)
		fprintf(stderr, "bootstorm reimage --fleet: %ld node%s not in the fleet inventory (%s%s); nothing written\n",
			n, n > 1 ? "s" : "", PQgetvalue(r, 0, 1), n > 1 ? ", ..." : "");
	PQclear(r);
	if (n > 0)
		return 1;
	if (!(r = run(db, busy_sql, 2, sel, true)))
		return -1;
	if (PQntuples(r) > 0) {
		n = atol(PQgetvalue(r, 0, 0));
		fprintf(stderr, "bootstorm reimage --fleet: node %s is busy in running campaign %s%s; nothing written\n",
			PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), n > 1 ? " (and others)" : "");
		PQclear(r);
		return 1;
	}
	PQclear(r);
	if (!power)
		return 0;
	if (!(r = run(db, nobmc_sql, 2, sel, true)))
		return -1;
	if ((n = atol(PQgetvalue(r, 0, 0))) > 0)
		fprintf(stderr, "bootstorm reimage --fleet: %ld node%s without a BMC (%s%s); give them one or use --no-power; nothing written\n",
			n, n > 1 ? "s" : "", PQgetvalue(r, 0, 1), n > 1 ? ", ..." : "");
	PQclear(r);
	return n > 0;
}

/* "a 3, b 2, unowned 1": where the nodes of campaign id live. */
static int
print_owners(PGconn *db, const char *id, char *line, size_t cap)
{
	PGresult *r = run(db, owners_sql, 1, &id, true);
	const char *names[256];
	long counts[256];
	size_t n;

	if (!r)
		return -1;
	n = (size_t)PQntuples(r) < 256 ? (size_t)PQntuples(r) : 256;
	for (size_t i = 0; i < n; i++) {
		names[i] = PQgetisnull(r, (int)i, 0) ? NULL : PQgetvalue(r, (int)i, 0);
		counts[i] = atol(PQgetvalue(r, (int)i, 1));
	}
	fleet_camp_counts_line(names, counts, n, line, cap);
	PQclear(r);
	return 0;
}

static void
print_params(const struct fleet_camp_row *row, FILE *out)
{
	fprintf(out, "  profile %s, power %s, fleet-wide %g/s and %u in flight, per server %s/s and %s in flight\n",
		row->null[FCC_PROFILE] ? "(each node's)" : row->buf[FCC_PROFILE],
		row->power ? "on (BMC)" : "off (reboot by hand)", row->p.power_on_rate,
		row->p.max_in_flight, row->null[FCC_SERVER_RATE] ? "-" : row->buf[FCC_SERVER_RATE],
		row->null[FCC_SERVER_IN_FLIGHT] ? "-" : row->buf[FCC_SERVER_IN_FLIGHT]);
}

/* Steps of create after BEGIN; an exit code (db finished on error). */
static int
create_tx(PGconn *db, const struct cfg *cfg, const char *const *sel,
	  const struct fleet_camp_row *row, FILE *out)
{
	const char *v[2 + FCC_MAX], *nv[3];
	char id[32], name[64], count[24], owners[4096];
	uint64_t t0 = bs_mono_ns();
	PGresult *r;
	int rc;

	if (!(r = run(db, CAMP_LOCK, 0, NULL, true)))
		return fail(db, "reimage --fleet", "lock");
	PQclear(r);
	if ((rc = create_checks(db, sel, row->power)) != 0)
		return rc < 0 ? fail(db, "reimage --fleet", "checking nodes") : refuse(db);
	if (row->buf[FCC_NAME][0]) {
		const char *nm = row->buf[FCC_NAME];

		if (!(r = run(db, "SELECT state FROM campaigns WHERE name = $1", 1, &nm, true)))
			return fail(db, "reimage --fleet", "checking the name");
		if (PQntuples(r) > 0) {
			fprintf(stderr, "bootstorm reimage --fleet: campaign %s exists (%s); nothing written\n",
				nm, PQgetvalue(r, 0, 0));
			PQclear(r);
			return refuse(db);
		}
		PQclear(r);
	}
	if (!(r = run(db, "SELECT nextval(pg_get_serial_sequence('campaigns', 'id'))", 0, NULL, true)))
		return fail(db, "reimage --fleet", "campaign id");
	snprintf(id, sizeof(id), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	v[0] = id;
	v[1] = fleet_server_name(cfg);
	fleet_camp_row_values(row, v + 2);
	if (!(r = run(db, camp_sql, 2 + FCC_MAX, v, true)))
		return fail(db, "reimage --fleet", "inserting the campaign");
	snprintf(name, sizeof(name), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	nv[0] = id, nv[1] = sel[0], nv[2] = sel[1];
	if (!(r = run(db, nodes_sql, 3, nv, false)))
		return fail(db, "reimage --fleet", "inserting its nodes");
	if (strcmp(PQcmdTuples(r), "0") == 0) {
		fprintf(stderr, "bootstorm reimage --fleet: no node in the fleet inventory; nothing written\n");
		PQclear(r);
		return refuse(db);
	}
	snprintf(count, sizeof(count), "%s", PQcmdTuples(r));
	PQclear(r);
	if (print_owners(db, id, owners, sizeof(owners)) < 0)
		return fail(db, "reimage --fleet", "counting owners");
	if (!(r = run(db, "COMMIT", 0, NULL, false)))
		return fail(db, "reimage --fleet", "commit");
	PQclear(r);
	/* said once committed: an acknowledged campaign is in the database */
	fprintf(out, "fleet campaign %s: %s node%s queued in %.3f s (one transaction)\n", name, count,
		strcmp(count, "1") ? "s" : "", (double)(bs_mono_ns() - t0) / 1e9);
	print_params(row, out);
	fprintf(out, "nodes by server: %s\n", owners);
	PQfinish(db);
	return EXIT_OK;
}

int
fleet_camp_create(const struct cfg *cfg, const char *expr, const struct fleet_camp_row *row,
		  FILE *out)
{
	struct fleet_arr names = { 0 };
	const char *bad = NULL, *sel[2];
	bool all = strcmp(expr, "*") == 0;
	char err[512];
	PGconn *db;
	PGresult *r;
	int rc;

	if (!all && fleet_nodeset_expand(expr, &names, &bad) < 0) {
		fprintf(stderr, "bootstorm reimage --fleet: bad node set at '%s'\n", bad);
		fleet_arr_free(&names);
		return EXIT_USAGE;
	}
	sel[0] = all ? "true" : "false";
	sel[1] = all ? "{}" : fleet_arr_done(&names);
	if (!sel[1]) {
		fleet_arr_free(&names);
		fprintf(stderr, "bootstorm reimage --fleet: out of memory\n");
		return EXIT_RUNTIME;
	}
	if (!(db = fleet_connect(cfg, err, sizeof(err)))) {
		fleet_arr_free(&names);
		fprintf(stderr, "bootstorm reimage --fleet: %s\n", err);
		return EXIT_RUNTIME;
	}
	if (!(r = run(db, "BEGIN", 0, NULL, false))) {
		fleet_arr_free(&names);
		return fail(db, "reimage --fleet", "begin");
	}
	PQclear(r);
	rc = create_tx(db, cfg, sel, row, out);
	fleet_arr_free(&names);
	return rc;
}

/* ---- the detail view ---- */

static const char one_sql[] =
	"SELECT c.id, c.name, c.state, c.profile, to_char(c.created AT TIME ZONE 'UTC', "
	" 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), c.power_on_rate, c.max_in_flight, c.server_rate, "
	" c.server_in_flight, c.power, c.gen, c.burst, c.dhcp_deadline_ms, c.max_repower, "
	" c.install_deadline_ms, c.verify_deadline_ms, COALESCE(c.created_by, ''), "
	" to_char(c.finished AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
	"FROM campaigns c WHERE c.name = $1 AND c.server IS NULL";
/* $1 id, $2 deadline: per claiming server (NULL: not claimed yet) */
static const char per_server_sql[] =
	"SELECT cn.server, s.heartbeat IS NOT NULL AND now() - s.heartbeat < make_interval(secs => $2::int), "
	" extract(epoch FROM now() - s.heartbeat)::float8, cn.state, count(*) "
	"FROM campaign_nodes cn LEFT JOIN servers s ON s.name = cn.server "
	"WHERE cn.campaign = $1::bigint GROUP BY 1, 2, 3, 4 ORDER BY 1 NULLS LAST, 4";
static const char failed_sql[] =
	"SELECT node, server, attempts, COALESCE(reason, '') FROM campaign_nodes "
	"WHERE campaign = $1::bigint AND state = 'failed' ORDER BY node LIMIT 10000";
static const char stale_sql[] =
	"SELECT cn.node, cn.server, cn.state, extract(epoch FROM now() - s.heartbeat)::float8 "
	"FROM campaign_nodes cn LEFT JOIN servers s ON s.name = cn.server "
	"WHERE cn.campaign = $1::bigint AND cn.server IS NOT NULL AND cn.state NOT IN " FINAL
	" AND (s.heartbeat IS NULL OR now() - s.heartbeat >= make_interval(secs => $2::int)) "
	"ORDER BY cn.node LIMIT 10000";

static json_t *
num_or_null(PGresult *r, int i, int col, bool real)
{
	if (PQgetisnull(r, i, col))
		return json_null();
	return real ? json_real(atof(PQgetvalue(r, i, col)))
		    : json_integer(atoll(PQgetvalue(r, i, col)));
}

static json_t *
summary(PGresult *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(PQgetvalue(r, 0, 1)));
	json_object_set_new(o, "state", json_string(PQgetvalue(r, 0, 2)));
	json_object_set_new(o, "profile", PQgetisnull(r, 0, 3) ? json_null()
							       : json_string(PQgetvalue(r, 0, 3)));
	json_object_set_new(o, "created", json_string(PQgetvalue(r, 0, 4)));
	json_object_set_new(o, "power_on_rate", num_or_null(r, 0, 5, true));
	json_object_set_new(o, "max_in_flight", num_or_null(r, 0, 6, false));
	json_object_set_new(o, "server_rate", num_or_null(r, 0, 7, true));
	json_object_set_new(o, "server_in_flight", num_or_null(r, 0, 8, false));
	json_object_set_new(o, "power", json_boolean(PQgetvalue(r, 0, 9)[0] == 't'));
	json_object_set_new(o, "gen", num_or_null(r, 0, 10, false));
	json_object_set_new(o, "burst", num_or_null(r, 0, 11, true));
	json_object_set_new(o, "dhcp_deadline_ms", num_or_null(r, 0, 12, false));
	json_object_set_new(o, "max_repower", num_or_null(r, 0, 13, false));
	json_object_set_new(o, "install_deadline_ms", num_or_null(r, 0, 14, false));
	json_object_set_new(o, "verify_deadline_ms", num_or_null(r, 0, 15, false));
	json_object_set_new(o, "created_by", json_string(PQgetvalue(r, 0, 16)));
	json_object_set_new(o, "finished", PQgetisnull(r, 0, 17) ? json_null()
								: json_string(PQgetvalue(r, 0, 17)));
	return o;
}

/* servers[] and the campaign's totals from per_server_sql's rows. */
static void
add_servers(json_t *o, PGresult *r)
{
	json_t *servers = json_array(), *states = json_object(), *cur = NULL;
	const char *last = NULL;
	long long total = 0;

	for (int i = 0; i < PQntuples(r); i++) {
		const char *srv = PQgetisnull(r, i, 0) ? NULL : PQgetvalue(r, i, 0);
		const char *st = PQgetvalue(r, i, 3);
		long long n = atoll(PQgetvalue(r, i, 4));

		if (!cur || (srv == NULL) != (last == NULL) || (srv && strcmp(srv, last) != 0)) {
			cur = json_object();
			json_object_set_new(cur, "server", srv ? json_string(srv) : json_null());
			json_object_set_new(cur, "alive", srv ? json_boolean(PQgetvalue(r, i, 1)[0] == 't')
							      : json_null());
			json_object_set_new(cur, "heartbeat_age_s", num_or_null(r, i, 2, true));
			json_object_set_new(cur, "states", json_object());
			json_object_set_new(cur, "nodes", json_integer(0));
			json_array_append_new(servers, cur);
			last = srv;
		}
		json_object_set_new(json_object_get(cur, "states"), st, json_integer(n));
		json_object_set_new(cur, "nodes",
				    json_integer(json_integer_value(json_object_get(cur, "nodes")) + n));
		json_object_set_new(states, st,
				    json_integer(json_integer_value(json_object_get(states, st)) + n));
		total += n;
	}
	json_object_set_new(o, "servers", servers);
	json_object_set_new(o, "states", states);
	json_object_set_new(o, "nodes", json_integer(total));
}

static json_t *
node_rows(PGresult *r, bool failed)
{
	json_t *a = json_array();

	for (int i = 0; i < PQntuples(r); i++) {
		json_t *x = json_object();

		json_object_set_new(x, "node", json_string(PQgetvalue(r, i, 0)));
		json_object_set_new(x, "server", PQgetisnull(r, i, 1) ? json_null()
								       : json_string(PQgetvalue(r, i, 1)));
		if (failed) {
			json_object_set_new(x, "attempts", json_integer(atoll(PQgetvalue(r, i, 2))));
			json_object_set_new(x, "reason", json_string(PQgetvalue(r, i, 3)));
		} else {
			json_object_set_new(x, "state", json_string(PQgetvalue(r, i, 2)));
			json_object_set_new(x, "heartbeat_age_s", num_or_null(r, i, 3, true));
		}
		json_array_append_new(a, x);
	}
	return a;
}

json_t *
fleet_camp_json(PGconn *db, const char *name, unsigned deadline_s, bool *missing, char *err,
		size_t err_cap)
{
	char dl[16], id[32];
	const char *v[2] = { id, dl };
	PGresult *r = run(db, one_sql, 1, &name, true), *s = NULL, *f = NULL, *t = NULL;
	json_t *o = NULL;

	*missing = false;
	if (r && PQntuples(r) == 0) {
		snprintf(err, err_cap, "no fleet campaign '%s'", name);
		*missing = true;
		PQclear(r);
		return NULL;
	}
	snprintf(dl, sizeof(dl), "%u", deadline_s);
	if (r) {
		snprintf(id, sizeof(id), "%s", PQgetvalue(r, 0, 0));
		s = run(db, per_server_sql, 2, v, true);
		f = s ? run(db, failed_sql, 1, v, true) : NULL;
		t = f ? run(db, stale_sql, 2, v, true) : NULL;
	}
	if (t) {
		o = summary(r);
		add_servers(o, s);
		json_object_set_new(o, "failed", node_rows(f, true));
		json_object_set_new(o, "stale", node_rows(t, false));
		json_object_set_new(o, "deadline_s", json_integer(deadline_s));
	} else {
		fleet_pg_error(db, err, err_cap);
	}
	PQclear(r);
	PQclear(s);
	PQclear(f);
	PQclear(t);
	return o;
}

json_t *
fleet_api_campaign(struct ctl *c, const char *name, int *status, const char **err)
{
	static _Thread_local char msg[512];
	unsigned deadline;
	bool missing = false;
	PGconn *db = fleet_api_connect(c, &deadline, msg, sizeof(msg));
	json_t *j;

	j = db ? fleet_camp_json(db, name, deadline, &missing, msg, sizeof(msg)) : NULL;
	if (db)
		PQfinish(db);
	*status = missing ? 404 : 503;
	*err = msg;
	return j;
}

/* ---- cancel, retry-failed ---- */

static const char cancel_nodes_sql[] =
	"UPDATE campaign_nodes SET state = 'cancelled', since_ms = " NOW_MS ", updated = now() "
	"WHERE campaign = $1::bigint AND state = 'queued'";
/* a failed node of $1 that is unfinished in another running campaign */
static const char retry_busy_sql[] =
	"SELECT count(*) OVER (), cn.node, c.name FROM campaign_nodes f "
	"JOIN campaign_nodes cn ON cn.node = f.node AND cn.campaign <> f.campaign "
	"JOIN campaigns c ON c.id = cn.campaign "
	"WHERE f.campaign = $1::bigint AND f.state = 'failed' AND c.state = 'running' "
	" AND cn.state NOT IN " FINAL " ORDER BY cn.node LIMIT 1";
static const char retry_nodes_sql[] =
	"UPDATE campaign_nodes SET state = 'queued', server = NULL, reason = NULL, attempts = 0, "
	" inst_stage = NULL, since_ms = " NOW_MS ", updated = now() "
	"WHERE campaign = $1::bigint AND state = 'failed'";

static int
cancel_tx(PGconn *db, const char *name, const char *id, const char *state, FILE *out)
{
	PGresult *r;
	long n;

	if (strcmp(state, "running") != 0) {
		fprintf(stderr, "bootstorm fleet campaign %s cancel: it is %s; nothing changed\n", name,
			state);
		return refuse(db);
	}
	if (!(r = run(db, cancel_nodes_sql, 1, &id, false)))
		return fail(db, "fleet campaign cancel", "nodes");
	n = atol(PQcmdTuples(r));
	PQclear(r);
	if (!(r = run(db, "UPDATE campaigns SET state = 'cancelled', gen = gen + 1 "
			  "WHERE id = $1::bigint RETURNING gen", 1, &id, true)))
		return fail(db, "fleet campaign cancel", "campaign");
	fprintf(out, "fleet campaign %s cancelled (gen %s): %ld queued node%s cancelled; nodes in "
		     "flight are stopped by their servers\n",
		name, PQgetvalue(r, 0, 0), n, n == 1 ? "" : "s");
	PQclear(r);
	return 0;
}

static int
retry_tx(PGconn *db, const char *name, const char *id, const char *state, FILE *out)
{
	PGresult *r;
	long n;

	if (strcmp(state, "cancelled") == 0) {
		fprintf(stderr, "bootstorm fleet campaign %s retry-failed: it is cancelled; nothing changed\n",
			name);
		return refuse(db);
	}
	if (!(r = run(db, CAMP_LOCK, 0, NULL, true)))
		return fail(db, "fleet campaign retry-failed", "lock");
	PQclear(r);
	if (!(r = run(db, retry_busy_sql, 1, &id, true)))
		return fail(db, "fleet campaign retry-failed", "checking nodes");
	if (PQntuples(r) > 0) {
		fprintf(stderr, "bootstorm fleet campaign %s retry-failed: node %s is busy in running campaign %s; nothing changed\n",
			name, PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
		PQclear(r);
		return refuse(db);
	}
	PQclear(r);
	if (!(r = run(db, retry_nodes_sql, 1, &id, false)))
		return fail(db, "fleet campaign retry-failed", "nodes");
	n = atol(PQcmdTuples(r));
	PQclear(r);
	if (n == 0) {
		/* nothing written: the commit moves no gen, NOTIFYs nothing */
		fprintf(out, "fleet campaign %s: no failed node; nothing changed\n", name);
		return 0;
	}
	if (!(r = run(db, "UPDATE campaigns SET state = 'running', finished = NULL, gen = gen + 1 "
			  "WHERE id = $1::bigint RETURNING gen", 1, &id, true)))
		return fail(db, "fleet campaign retry-failed", "campaign");
	fprintf(out, "fleet campaign %s (gen %s): %ld failed node%s queued again\n", name,
		PQgetvalue(r, 0, 0), n, n == 1 ? "" : "s");
	PQclear(r);
	return 0;
}

int
fleet_camp_admin(const struct cfg *cfg, const char *name, const char *action, FILE *out)
{
	bool cancel = strcmp(action, "cancel") == 0;
	char err[512], id[32], state[32];
	PGconn *db;
	PGresult *r;
	int rc;

	if (!cancel && strcmp(action, "retry-failed") != 0) {
		fprintf(stderr, "bootstorm fleet campaign NAME cancel|retry-failed\n");
		return EXIT_USAGE;
	}
	if (!(db = fleet_connect(cfg, err, sizeof(err)))) {
		fprintf(stderr, "bootstorm fleet campaign: %s\n", err);
		return EXIT_RUNTIME;
	}
	if (!(r = run(db, "BEGIN", 0, NULL, false)))
		return fail(db, "fleet campaign", "begin");
	PQclear(r);
	if (!(r = run(db, "SELECT id, state FROM campaigns WHERE name = $1 AND server IS NULL FOR UPDATE",
		      1, &name, true)))
		return fail(db, "fleet campaign", "reading the campaign");
	if (PQntuples(r) == 0) {
		fprintf(stderr, "bootstorm fleet campaign: no fleet campaign '%s'\n", name);
		PQclear(r);
		return refuse(db);
	}
	snprintf(id, sizeof(id), "%s", PQgetvalue(r, 0, 0));
	snprintf(state, sizeof(state), "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
	rc = cancel ? cancel_tx(db, name, id, state, out) : retry_tx(db, name, id, state, out);
	if (rc != 0)
		return rc; /* refused or failed: rolled back, db finished */
	if (!(r = run(db, "COMMIT", 0, NULL, false)))
		return fail(db, "fleet campaign", "commit");
	PQclear(r);
	PQfinish(db);
	return EXIT_OK;
}
