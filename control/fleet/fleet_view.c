/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The fleet view (fleet_pg.h): one query over the whole fleet, shown by
 * `bootstorm fleet` and GET /api/fleet alike.
 */
#include "control/fleet/fleet.h"

#include <stdlib.h>
#include <string.h>

#include "control/exit.h"
#include "control/fleet/fleet_pg.h"

static const char view_sql[] =
	"SELECT s.name, s.version, s.pid,"
	" (now() - s.heartbeat) < make_interval(secs => $1::int) AS alive,"
	" extract(epoch FROM now() - s.heartbeat)::float8 AS age,"
	" (SELECT count(*) FROM leases l WHERE l.server = s.name AND l.state = 'bound'"
	"   AND (l.expires IS NULL OR l.expires > now())) AS bound,"
	" (SELECT count(*) FROM leases l WHERE l.server = s.name) AS leases,"
	" (SELECT COALESCE(json_object_agg(x.state, x.n), '{}') FROM"
	"   (SELECT state, count(*) AS n FROM node_state ns WHERE ns.server = s.name"
	"    GROUP BY state) x)::text AS states,"
	" (SELECT COALESCE(json_agg(g.network::text ORDER BY g.network), '[]')"
	"   FROM segments g WHERE g.server = s.name)::text AS segments,"
	" (SELECT count(*) FROM nodes n WHERE n.server = s.name) AS nodes "
	"FROM servers s ORDER BY s.name";

static json_t *
row_json(PGresult *r, int i)
{
	json_t *o = json_object();
	json_t *st = json_loads(PQgetvalue(r, i, 7), 0, NULL);
	json_t *seg = json_loads(PQgetvalue(r, i, 8), 0, NULL);

	json_object_set_new(o, "name", json_string(PQgetvalue(r, i, 0)));
	json_object_set_new(o, "version", json_string(PQgetvalue(r, i, 1)));
	json_object_set_new(o, "pid", json_integer(atoll(PQgetvalue(r, i, 2))));
	json_object_set_new(o, "alive", json_boolean(PQgetvalue(r, i, 3)[0] == 't'));
	json_object_set_new(o, "heartbeat_age_s", json_real(atof(PQgetvalue(r, i, 4))));
	json_object_set_new(o, "leases_bound", json_integer(atoll(PQgetvalue(r, i, 5))));
	json_object_set_new(o, "leases", json_integer(atoll(PQgetvalue(r, i, 6))));
	json_object_set_new(o, "node_states", st ? st : json_object());
	json_object_set_new(o, "segments", seg ? seg : json_array());
	json_object_set_new(o, "nodes", json_integer(atoll(PQgetvalue(r, i, 9))));
	return o;
}

json_t *
fleet_view_json(PGconn *db, unsigned deadline_s, char *err, size_t err_cap)
{
	char dl[16];
	const char *v[1] = { dl };
	PGresult *r, *t;
	json_t *j, *servers;
	int alive = 0;

	snprintf(dl, sizeof(dl), "%u", deadline_s);
	r = PQexecParams(db, view_sql, 1, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fleet_pg_error(db, err, err_cap);
		PQclear(r);
		return NULL;
	}
	j = json_object();
	servers = json_array();
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *o = row_json(r, i);

		alive += json_is_true(json_object_get(o, "alive"));
		json_array_append_new(servers, o);
	}
	PQclear(r);
	json_object_set_new(j, "servers", servers);
	json_object_set_new(j, "alive", json_integer(alive));
	json_object_set_new(j, "deadline_s", json_integer(deadline_s));
	t = PQexec(db, "SELECT (SELECT count(*) FROM nodes), (SELECT count(*) FROM leases"
		       " WHERE state = 'bound'), (SELECT count(*) FROM campaigns)");
	if (PQresultStatus(t) == PGRES_TUPLES_OK && PQntuples(t) == 1) {
		json_object_set_new(j, "nodes", json_integer(atoll(PQgetvalue(t, 0, 0))));
		json_object_set_new(j, "leases_bound", json_integer(atoll(PQgetvalue(t, 0, 1))));
		json_object_set_new(j, "campaigns", json_integer(atoll(PQgetvalue(t, 0, 2))));
	}
	PQclear(t);
	return j;
}

static void
print_text(json_t *j, FILE *out)
{
	size_t i;
	json_t *s;

	fprintf(out, "fleet: %lld server(s), %lld alive (heartbeat deadline %llds); %lld nodes, "
		     "%lld leases bound\n",
		(long long)json_array_size(json_object_get(j, "servers")),
		(long long)json_integer_value(json_object_get(j, "alive")),
		(long long)json_integer_value(json_object_get(j, "deadline_s")),
		(long long)json_integer_value(json_object_get(j, "nodes")),
		(long long)json_integer_value(json_object_get(j, "leases_bound")));
	fprintf(out, "%-20s %-5s %8s %7s %7s %6s  %s\n", "server", "alive", "hb age", "bound",
		"leases", "nodes", "node states");
	json_array_foreach(json_object_get(j, "servers"), i, s) {
		char *st = json_dumps(json_object_get(s, "node_states"), JSON_COMPACT | JSON_SORT_KEYS);

		fprintf(out, "%-20s %-5s %7.1fs %7lld %7lld %6lld  %s\n",
			json_string_value(json_object_get(s, "name")),
			json_is_true(json_object_get(s, "alive")) ? "yes" : "DOWN",
			json_real_value(json_object_get(s, "heartbeat_age_s")),
			(long long)json_integer_value(json_object_get(s, "leases_bound")),
			(long long)json_integer_value(json_object_get(s, "leases")),
			(long long)json_integer_value(json_object_get(s, "nodes")), st ? st : "{}");
		free(st);
	}
}

int
fleet_view_print(const struct cfg *cfg, bool json, FILE *out)
{
	char err[512];
	PGconn *db = fleet_connect(cfg, err, sizeof(err));
	json_t *j = db ? fleet_view_json(db, cfg->fleet_deadline_s, err, sizeof(err)) : NULL;

	if (db)
		PQfinish(db);
	if (!j) {
		fprintf(stderr, "bootstorm fleet: %s\n", err);
		return EXIT_RUNTIME;
	}
	if (json)
		json_dumpf(j, out, JSON_INDENT(2) | JSON_SORT_KEYS), fputc('\n', out);
	else
		print_text(j, out);
	json_decref(j);
	return EXIT_OK;
}
