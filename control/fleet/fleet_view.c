/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The fleet view (fleet_pg.h): one query over the whole fleet, shown by
 * `bootstorm fleet` and GET /api/fleet alike.
 */
#include "control/fleet/fleet.h"

#include <stdlib.h>
#include <string.h>

#include "control/exit.h"
#include "control/fleet/fleet_camp_pg.h"
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

static void print_camps(json_t *a, FILE *out);

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
	json_t *j, *servers, *c;
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
		json_object_set_new(j, "campaigns_total", json_integer(atoll(PQgetvalue(t, 0, 2))));
	}
	PQclear(t);
	/* the fleet campaigns' summaries (their detail: fleet_camp_json) */
	c = fleet_camps_json(db, err, err_cap);
	json_object_set_new(j, "campaigns", c ? c : json_array());
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
	else if (print_text(j, out), json_array_size(json_object_get(j, "campaigns")))
		print_camps(json_object_get(j, "campaigns"), out);
	json_decref(j);
	return EXIT_OK;
}

/* ---- fleet-wide campaigns: summaries, text of the views ---- */

static const char camps_sql[] =
	"SELECT c.name, c.state, c.profile, to_char(c.created AT TIME ZONE 'UTC', "
	" 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), c.power_on_rate, c.max_in_flight, c.server_rate, "
	" c.server_in_flight, c.power, c.gen,"
	" (SELECT count(*) FROM campaign_nodes cn WHERE cn.campaign = c.id),"
	" (SELECT COALESCE(json_object_agg(x.state, x.n), '{}') FROM (SELECT state, count(*) AS n"
	"   FROM campaign_nodes cn WHERE cn.campaign = c.id GROUP BY state) x)::text "
	"FROM campaigns c WHERE c.server IS NULL ORDER BY c.id";

static json_t *
opt_num(PGresult *r, int i, int col, bool real)
{
	if (PQgetisnull(r, i, col))
		return json_null();
	return real ? json_real(atof(PQgetvalue(r, i, col)))
		    : json_integer(atoll(PQgetvalue(r, i, col)));
}

json_t *
fleet_camps_json(PGconn *db, char *err, size_t err_cap)
{
	PGresult *r = PQexec(db, camps_sql);
	json_t *a;

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fleet_pg_error(db, err, err_cap);
		PQclear(r);
		return NULL;
	}
	a = json_array();
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *o = json_object(), *st = json_loads(PQgetvalue(r, i, 11), 0, NULL);

		json_object_set_new(o, "name", json_string(PQgetvalue(r, i, 0)));
		json_object_set_new(o, "state", json_string(PQgetvalue(r, i, 1)));
		json_object_set_new(o, "profile", PQgetisnull(r, i, 2) ? json_null()
								       : json_string(PQgetvalue(r, i, 2)));
		json_object_set_new(o, "created", json_string(PQgetvalue(r, i, 3)));
		json_object_set_new(o, "power_on_rate", opt_num(r, i, 4, true));
		json_object_set_new(o, "max_in_flight", opt_num(r, i, 5, false));
		json_object_set_new(o, "server_rate", opt_num(r, i, 6, true));
		json_object_set_new(o, "server_in_flight", opt_num(r, i, 7, false));
		json_object_set_new(o, "power", json_boolean(PQgetvalue(r, i, 8)[0] == 't'));
		json_object_set_new(o, "gen", opt_num(r, i, 9, false));
		json_object_set_new(o, "nodes", opt_num(r, i, 10, false));
		json_object_set_new(o, "states", st ? st : json_object());
		json_array_append_new(a, o);
	}
	PQclear(r);
	return a;
}

/* "done 3, failed 1, queued 4" from a states object, in stage order. */
static void
states_text(json_t *st, char *buf, size_t cap)
{
	static const char *const order[] = { "queued", "powering", "waiting-dhcp", "installing",
					     "verifying", "done", "failed", "cancelled" };
	size_t len = 0;
	const char *k;
	json_t *v;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		long long n = json_integer_value(json_object_get(st, order[i]));

		if (n && len < cap)
			len += (size_t)snprintf(buf + len, cap - len, "%s%s %lld", len ? ", " : "", order[i], n);
	}
	json_object_foreach(st, k, v) { /* a stage this binary does not know */
		bool known = false;

		for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
			known |= strcmp(k, order[i]) == 0;
		if (!known && len < cap)
			len += (size_t)snprintf(buf + len, cap - len, "%s%s %lld", len ? ", " : "", k,
						(long long)json_integer_value(v));
	}
	if (!len)
		snprintf(buf, cap, "-");
}

static void
rate_text(json_t *v, char *buf, size_t cap)
{
	if (json_is_null(v) || !v)
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, "%g", json_number_value(v));
}

static void
print_camps(json_t *a, FILE *out)
{
	size_t i;
	json_t *c;

	if (!json_array_size(a)) {
		fprintf(out, "no fleet campaigns\n");
		return;
	}
	fprintf(out, "%-20s %-9s %6s %-20s %14s %13s  %s\n", "campaign", "state", "nodes", "created",
		"rate fleet/srv", "flight fl/srv", "by state");
	json_array_foreach(a, i, c) {
		char st[512], r1[24], r2[24], f1[24], f2[24], rate[48], flight[48];

		states_text(json_object_get(c, "states"), st, sizeof(st));
		rate_text(json_object_get(c, "power_on_rate"), r1, sizeof(r1));
		rate_text(json_object_get(c, "server_rate"), r2, sizeof(r2));
		rate_text(json_object_get(c, "max_in_flight"), f1, sizeof(f1));
		rate_text(json_object_get(c, "server_in_flight"), f2, sizeof(f2));
		snprintf(rate, sizeof(rate), "%s/%s", r1, r2);
		snprintf(flight, sizeof(flight), "%s/%s", f1, f2);
		fprintf(out, "%-20s %-9s %6lld %-20s %14s %13s  %s\n",
			json_string_value(json_object_get(c, "name")),
			json_string_value(json_object_get(c, "state")),
			(long long)json_integer_value(json_object_get(c, "nodes")),
			json_string_value(json_object_get(c, "created")), rate, flight, st);
	}
}

int
fleet_camps_print(const struct cfg *cfg, bool json, FILE *out)
{
	char err[512];
	PGconn *db = fleet_connect(cfg, err, sizeof(err));
	json_t *a = db ? fleet_camps_json(db, err, sizeof(err)) : NULL;

	if (db)
		PQfinish(db);
	if (!a) {
		fprintf(stderr, "bootstorm fleet campaigns: %s\n", err);
		return EXIT_RUNTIME;
	}
	if (json) {
		json_t *j = json_pack("{s:o}", "campaigns", a);

		json_dumpf(j, out, JSON_INDENT(2) | JSON_SORT_KEYS), fputc('\n', out);
		json_decref(j);
	} else {
		print_camps(a, out);
		json_decref(a);
	}
	return EXIT_OK;
}

static void
print_camp(json_t *c, FILE *out)
{
	char st[512], r1[24], r2[24], f1[24], f2[24];
	size_t i;
	json_t *x;

	states_text(json_object_get(c, "states"), st, sizeof(st));
	rate_text(json_object_get(c, "power_on_rate"), r1, sizeof(r1));
	rate_text(json_object_get(c, "server_rate"), r2, sizeof(r2));
	rate_text(json_object_get(c, "max_in_flight"), f1, sizeof(f1));
	rate_text(json_object_get(c, "server_in_flight"), f2, sizeof(f2));
	fprintf(out, "fleet campaign %s: %s, %lld nodes (%s); gen %lld, created %s by %s\n",
		fleet_jstr_or(c, "name", "?"), fleet_jstr_or(c, "state", "?"),
		(long long)json_integer_value(json_object_get(c, "nodes")), st,
		(long long)json_integer_value(json_object_get(c, "gen")), fleet_jstr_or(c, "created", "?"),
		fleet_jstr_or(c, "created_by", "?"));
	fprintf(out, "  profile %s, power %s; fleet-wide %s/s, %s in flight; per server %s/s, %s in flight\n",
		fleet_jstr_or(c, "profile", "(each node's)"),
		json_is_true(json_object_get(c, "power")) ? "on" : "off", r1, f1, r2, f2);
	fprintf(out, "%-20s %-5s %8s %6s  %s\n", "server", "alive", "hb age", "nodes", "by state");
	json_array_foreach(json_object_get(c, "servers"), i, x) {
		json_t *age = json_object_get(x, "heartbeat_age_s");
		char a[24];

		states_text(json_object_get(x, "states"), st, sizeof(st));
		if (json_is_number(age))
			snprintf(a, sizeof(a), "%.1fs", json_number_value(age));
		else
			snprintf(a, sizeof(a), "-");
		fprintf(out, "%-20s %-5s %8s %6lld  %s\n", fleet_jstr_or(x, "server", "(unclaimed)"),
			json_is_null(json_object_get(x, "alive")) ? "-"
			: json_is_true(json_object_get(x, "alive")) ? "yes" : "DOWN",
			a, (long long)json_integer_value(json_object_get(x, "nodes")), st);
	}
	json_array_foreach(json_object_get(c, "failed"), i, x)
		fprintf(out, "failed %s on %s after %lld attempt(s): %s\n", fleet_jstr_or(x, "node", "?"),
			fleet_jstr_or(x, "server", "(none)"),
			(long long)json_integer_value(json_object_get(x, "attempts")),
			fleet_jstr_or(x, "reason", ""));
	json_array_foreach(json_object_get(c, "stale"), i, x)
		fprintf(out, "STALE %s (%s) on %s: heartbeat older than %llds; a survivor takes it over\n",
			fleet_jstr_or(x, "node", "?"), fleet_jstr_or(x, "state", "?"), fleet_jstr_or(x, "server", "?"),
			(long long)json_integer_value(json_object_get(c, "deadline_s")));
}

int
fleet_camp_print(const struct cfg *cfg, const char *name, bool json, FILE *out)
{
	char err[512];
	bool missing = false;
	PGconn *db = fleet_connect(cfg, err, sizeof(err));
	json_t *c = db ? fleet_camp_json(db, name, cfg->fleet_deadline_s, &missing, err, sizeof(err))
		       : NULL;

	if (db)
		PQfinish(db);
	if (!c) {
		fprintf(stderr, "bootstorm fleet campaign: %s\n", err);
		return missing ? EXIT_USAGE : EXIT_RUNTIME;
	}
	if (json)
		json_dumpf(c, out, JSON_INDENT(2) | JSON_SORT_KEYS), fputc('\n', out);
	else
		print_camp(c, out);
	json_decref(c);
	return EXIT_OK;
}
