/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The per-node fleet view (issue 20 "one view ... per node"): `bootstorm
 * fleet node NAME|MAC`, `bootstorm fleet nodes [filters]`, GET
 * /api/fleet/nodes/NAME and GET /api/fleet/nodes?server=&state=&campaign=
 * &limit=.  One round trip each: one statement whose subqueries gather
 * what an admin asks about a machine (inventory row, owning server, node
 * state and who shipped it, its leases on every server, its campaigns
 * with the claimant's heartbeat, the liveness of fleet.peers); the BMC
 * reference is shown without credentials and the server answering its
 * DHCP now is computed here from the MAC's RFC 3074 bucket
 * (fleet_node.h).  Like `bootstorm fleet`, these read the database and
 * work while every server is down.
 */
#include "control/fleet/fleet.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "control/daemon/ctl.h"
#include "control/exit.h"
#include "control/fleet/fleet_node.h"
#include "control/fleet/fleet_pg.h"
#include "control/fleet/fleet_pure.h"

#define TS(x)	 "to_char((" x ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define FRESH(h) "COALESCE(now() - " h " < make_interval(secs => $3::int), false)"
#define SEGMENT_OWNER                                                                  \
	"(SELECT g.server FROM segments g WHERE n.ip <<= g.network "                  \
	" ORDER BY masklen(g.network) DESC, g.server LIMIT 1)"

/* $1 name, $2 MAC (NULL: the key is no MAC), $3 heartbeat deadline (s),
 * $4 fleet.peers as text[] */
static const char node_sql[] =
	"SELECT json_build_object("
	" 'name', n.name, 'mac', n.mac::text, 'ip', host(n.ip), 'profile', n.profile,"
	" 'bmc', n.bmc, 'server', NULLIF(n.server, ''), 'segment_server', " SEGMENT_OWNER ","
	" 'updated', " TS("n.updated") ","
	" 'node_state', (SELECT json_build_object('state', s.state, 'profile', s.profile,"
	"   'reason', s.reason, 'since_ms', s.since_ms, 'server', s.server,"
	"   'shipped', " TS("s.shipped") ") FROM node_state s WHERE s.name = n.name),"
	" 'leases', COALESCE((SELECT json_agg(json_build_object('server', l.server,"
	"   'ip', host(l.ip), 'state', l.state, 'expires', " TS("l.expires") ","
	"   'hostname', l.hostname, 'active', l.state = 'bound' AND"
	"   (l.expires IS NULL OR l.expires > now())) ORDER BY l.server, l.ip)"
	"   FROM leases l WHERE l.mac = n.mac), '[]'::json),"
	" 'campaigns', COALESCE((SELECT json_agg(json_build_object('campaign', c.name,"
	"   'campaign_state', c.state, 'stage', cn.state, 'reason', cn.reason,"
	"   'attempts', cn.attempts, 'server', cn.server, 'server_alive',"
	"   CASE WHEN cn.server IS NULL THEN NULL ELSE " FRESH("v.heartbeat") " END,"
	"   'updated', " TS("cn.updated") ") ORDER BY c.id DESC)"
	"   FROM campaign_nodes cn JOIN campaigns c ON c.id = cn.campaign"
	"   LEFT JOIN servers v ON v.name = cn.server WHERE cn.node = n.name), '[]'::json),"
	" 'peers_alive', COALESCE((SELECT json_agg(" FRESH("v.heartbeat") " ORDER BY u.o)"
	"   FROM unnest($4::text[]) WITH ORDINALITY AS u(p, o)"
	"   LEFT JOIN servers v ON v.name = u.p), '[]'::json))::text "
	"FROM nodes n WHERE n.name = $1 OR n.mac = $2::macaddr "
	"ORDER BY n.name = $1 DESC, n.name LIMIT 1";

/* $1 owner, $2 node state or campaign stage, $3 campaign (NULL: any; the
 * node's newest campaign is shown), $4 limit, $5 deadline (s) */
static const char nodes_sql[] =
	"SELECT count(*) OVER (), x.* FROM (SELECT n.name, n.mac::text, host(n.ip),"
	"  COALESCE(NULLIF(n.server, ''), " SEGMENT_OWNER ") AS owner,"
	"  s.state AS node_state, s.server AS shipped_by, k.name AS campaign, k.state AS stage,"
	"  k.server AS claimant, CASE WHEN k.server IS NULL THEN NULL"
	"   ELSE COALESCE(now() - v.heartbeat < make_interval(secs => $5::int), false) END,"
	"  k.reason, k.attempts"
	" FROM nodes n LEFT JOIN node_state s ON s.name = n.name"
	" LEFT JOIN LATERAL (SELECT c.name, cn.state, cn.server, cn.reason, cn.attempts"
	"   FROM campaign_nodes cn JOIN campaigns c ON c.id = cn.campaign"
	"   WHERE cn.node = n.name AND ($3::text IS NULL OR c.name = $3::text)"
	"   ORDER BY c.id DESC LIMIT 1) k ON true"
	" LEFT JOIN servers v ON v.name = k.server) x "
	"WHERE ($1::text IS NULL OR x.owner = $1::text)"
	" AND ($2::text IS NULL OR x.node_state = $2::text OR x.stage = $2::text)"
	" AND ($3::text IS NULL OR x.campaign IS NOT NULL) "
	"ORDER BY x.name LIMIT $4::int";

/* What a lookup needs of the config, copied out of its lock. */
struct node_args {
	unsigned deadline_s;
	uint32_t n_peers;
	char *peers[CFG_MAX_PEERS];
};

static void
args_of(const struct cfg *cfg, struct node_args *a)
{
	memset(a, 0, sizeof(*a));
	a->deadline_s = cfg->fleet_deadline_s;
	/* fleet.peers splits DHCP only with two or more (snap_lb_self) */
	if (cfg->n_fleet_peers >= 2)
		for (uint32_t i = 0; i < cfg->n_fleet_peers; i++)
			if ((a->peers[a->n_peers] = strdup(cfg->fleet_peers[i])))
				a->n_peers++;
}

static void
args_free(struct node_args *a)
{
	for (uint32_t i = 0; i < a->n_peers; i++)
		free(a->peers[i]);
}

/* The BMC without credentials; who answers its DHCP now. */
static void
finish_node(json_t *o, const struct node_args *a)
{
	const char *bmc = json_string_value(json_object_get(o, "bmc"));
	const char *srv = json_string_value(json_object_get(o, "server"));
	const char *seg = json_string_value(json_object_get(o, "segment_server"));
	json_t *alive = json_object_get(o, "peers_alive"), *d = json_object(), *peers = json_array();
	bool live[CFG_MAX_PEERS] = { 0 };
	int b = fleet_camp_bucket(json_string_value(json_object_get(o, "mac")));
	int who;

	if (bmc) {
		char clean[512];
		bool cut = fleet_bmc_redact(bmc, clean, sizeof(clean));

		json_object_set_new(o, "bmc_credentials_hidden", json_boolean(cut));
		json_object_set_new(o, "bmc", json_string(clean));
	}
	json_object_set_new(o, "owner", srv ? json_string(srv) : seg ? json_string(seg) : json_null());
	json_object_set_new(o, "owner_by", json_string(srv ? "nodes.server" : seg ? "segment" : "none"));
	for (uint32_t i = 0; i < a->n_peers; i++) {
		live[i] = json_is_true(json_array_get(alive, i));
		json_array_append_new(peers, json_pack("{s:s,s:b}", "name", a->peers[i], "alive", live[i]));
	}
	who = a->n_peers ? fleet_node_answerer(b, a->n_peers, live) : -1;
	json_object_set_new(d, "bucket", json_integer(b));
	json_object_set_new(d, "peers", peers);
	json_object_set_new(d, "server", who >= 0 ? json_string(a->peers[who]) : json_null());
	json_object_set_new(d, "static_owner", a->n_peers && b >= 0
		? json_string(a->peers[(uint32_t)b % a->n_peers]) : json_null());
	json_object_set_new(o, "dhcp", d);
	json_object_del(o, "peers_alive");
}

static json_t *
node_json(PGconn *db, const char *key, const struct node_args *a, bool *missing, char *err,
	  size_t err_cap)
{
	char mac[18], dl[16];
	struct fleet_arr arr = { 0 };
	const char *v[4];
	PGresult *r;
	json_t *o = NULL;

	*missing = false;
	for (uint32_t i = 0; i < a->n_peers; i++)
		fleet_arr_add(&arr, a->peers[i]);
	snprintf(dl, sizeof(dl), "%u", a->deadline_s);
	v[0] = key;
	v[1] = fleet_node_key_mac(key, mac) ? mac : NULL;
	v[2] = dl;
	v[3] = a->n_peers ? fleet_arr_done(&arr) : "{}";
	if (!v[3]) {
		snprintf(err, err_cap, "out of memory");
		fleet_arr_free(&arr);
		return NULL;
	}
	r = PQexecParams(db, node_sql, 4, NULL, v, NULL, NULL, 0);
	fleet_arr_free(&arr);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fleet_pg_error(db, err, err_cap);
	} else if (PQntuples(r) == 0) {
		snprintf(err, err_cap, "no node '%s' in the fleet inventory (by name or MAC)", key);
		*missing = true;
	} else if (!(o = json_loads(PQgetvalue(r, 0, 0), 0, NULL))) {
		snprintf(err, err_cap, "unreadable answer from the database");
	} else {
		finish_node(o, a);
	}
	PQclear(r);
	return o;
}

static json_t *
str_or_null(PGresult *r, int i, int col)
{
	return PQgetisnull(r, i, col) ? json_null() : json_string(PQgetvalue(r, i, col));
}

static json_t *
nodes_json(PGconn *db, const struct fleet_nodes_q *q, unsigned deadline_s, char *err,
	   size_t err_cap)
{
	static const char *const cols[] = { "name", "mac", "ip", "owner", "node_state",
					    "shipped_by", "campaign", "stage", "claimant" };
	char dl[16];
	const char *v[5] = { q->v[0], q->v[1], q->v[2], q->v[3], dl };
	PGresult *r;
	json_t *j, *a, *f;
	long long total = 0;

	snprintf(dl, sizeof(dl), "%u", deadline_s);
	r = PQexecParams(db, nodes_sql, 5, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fleet_pg_error(db, err, err_cap);
		PQclear(r);
		return NULL;
	}
	a = json_array();
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *o = json_object();

		total = atoll(PQgetvalue(r, i, 0));
		for (int k = 0; k < 9; k++)
			json_object_set_new(o, cols[k], str_or_null(r, i, k + 1));
		json_object_set_new(o, "claimant_alive", PQgetisnull(r, i, 10) ? json_null()
			: json_boolean(PQgetvalue(r, i, 10)[0] == 't'));
		json_object_set_new(o, "reason", str_or_null(r, i, 11));
		json_object_set_new(o, "attempts", PQgetisnull(r, i, 12) ? json_null()
			: json_integer(atoll(PQgetvalue(r, i, 12))));
		json_array_append_new(a, o);
	}
	PQclear(r);
	f = json_object();
	json_object_set_new(f, "server", q->v[FNP_SERVER] ? json_string(q->v[FNP_SERVER]) : json_null());
	json_object_set_new(f, "state", q->v[FNP_STATE] ? json_string(q->v[FNP_STATE]) : json_null());
	json_object_set_new(f, "campaign", q->v[FNP_CAMPAIGN] ? json_string(q->v[FNP_CAMPAIGN]) : json_null());
	j = json_object();
	json_object_set_new(j, "filters", f);
	json_object_set_new(j, "limit", json_integer(atoll(q->limit)));
	json_object_set_new(j, "total", json_integer(total));
	json_object_set_new(j, "nodes", a);
	return j;
}

/* ---- text ---- */

static void
print_node(json_t *o, FILE *out)
{
	json_t *st = json_object_get(o, "node_state"), *d = json_object_get(o, "dhcp"), *x;
	size_t i;

	fprintf(out, "node %s  mac %s  ip %s  profile %s\n", fleet_jstr_or(o, "name", "?"), fleet_jstr_or(o, "mac", "?"),
		fleet_jstr_or(o, "ip", "-"), fleet_jstr_or(o, "profile", "-"));
	fprintf(out, "  owner     %s (by %s)\n", fleet_jstr_or(o, "owner", "(none)"), fleet_jstr_or(o, "owner_by", "?"));
	fprintf(out, "  bmc       %s%s\n", fleet_jstr_or(o, "bmc", "(none)"),
		json_is_true(json_object_get(o, "bmc_credentials_hidden")) ? " (credentials hidden)" : "");
	if (json_is_object(st))
		fprintf(out, "  state     %s, profile %s, reason %s, since_ms %lld, shipped by %s at %s\n",
			fleet_jstr_or(st, "state", "?"), fleet_jstr_or(st, "profile", "-"), fleet_jstr_or(st, "reason", "-"),
			(long long)json_integer_value(json_object_get(st, "since_ms")),
			fleet_jstr_or(st, "server", "?"), fleet_jstr_or(st, "shipped", "?"));
	else
		fprintf(out, "  state     (none shipped)\n");
	if (json_integer_value(json_object_get(d, "bucket")) >= 0 &&
	    json_array_size(json_object_get(d, "peers")))
		fprintf(out, "  dhcp      bucket %lld: answered now by %s (static owner %s)\n",
			(long long)json_integer_value(json_object_get(d, "bucket")),
			fleet_jstr_or(d, "server", "NOBODY (no peer alive)"), fleet_jstr_or(d, "static_owner", "?"));
	else
		fprintf(out, "  dhcp      bucket %lld (fleet.peers not set: its owner answers)\n",
			(long long)json_integer_value(json_object_get(d, "bucket")));
	json_array_foreach(json_object_get(o, "leases"), i, x)
		fprintf(out, "  lease     %s on %s: %s%s, expires %s\n", fleet_jstr_or(x, "ip", "?"),
			fleet_jstr_or(x, "server", "?"), fleet_jstr_or(x, "state", "?"),
			json_is_true(json_object_get(x, "active")) ? " (active)" : "",
			fleet_jstr_or(x, "expires", "never"));
	json_array_foreach(json_object_get(o, "campaigns"), i, x) {
		json_t *alive = json_object_get(x, "server_alive");

		fprintf(out, "  campaign  %s (%s): %s, %lld attempt(s), on %s%s%s%s\n",
			fleet_jstr_or(x, "campaign", "?"), fleet_jstr_or(x, "campaign_state", "?"), fleet_jstr_or(x, "stage", "?"),
			(long long)json_integer_value(json_object_get(x, "attempts")),
			fleet_jstr_or(x, "server", "(unclaimed)"),
			json_is_false(alive) ? " (STALE heartbeat)" : "",
			json_string_value(json_object_get(x, "reason")) ? ": " : "",
			fleet_jstr_or(x, "reason", ""));
	}
}

static void
print_nodes(json_t *j, FILE *out)
{
	json_t *x;
	size_t i;

	fprintf(out, "%-16s %-17s %-15s %-12s %-8s %-16s %-12s %s\n", "node", "mac", "ip", "owner",
		"state", "campaign", "stage", "on (reason)");
	json_array_foreach(json_object_get(j, "nodes"), i, x)
		fprintf(out, "%-16s %-17s %-15s %-12s %-8s %-16s %-12s %s%s%s%s\n",
			fleet_jstr_or(x, "name", "?"), fleet_jstr_or(x, "mac", "?"), fleet_jstr_or(x, "ip", "-"),
			fleet_jstr_or(x, "owner", "-"), fleet_jstr_or(x, "node_state", "-"), fleet_jstr_or(x, "campaign", "-"),
			fleet_jstr_or(x, "stage", "-"), fleet_jstr_or(x, "claimant", "-"),
			json_is_false(json_object_get(x, "claimant_alive")) ? " STALE" : "",
			json_string_value(json_object_get(x, "reason")) ? ": " : "", fleet_jstr_or(x, "reason", ""));
	fprintf(out, "%zu of %lld node(s) shown (--limit %lld)\n",
		json_array_size(json_object_get(j, "nodes")),
		(long long)json_integer_value(json_object_get(j, "total")),
		(long long)json_integer_value(json_object_get(j, "limit")));
}

static void
dump(json_t *j, FILE *out)
{
	json_dumpf(j, out, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', out);
}

int
fleet_node_print(const struct cfg *cfg, const char *key, bool json, FILE *out)
{
	char err[512];
	bool missing = false;
	struct node_args a;
	PGconn *db = fleet_connect(cfg, err, sizeof(err));
	json_t *o;

	args_of(cfg, &a);
	o = db ? node_json(db, key, &a, &missing, err, sizeof(err)) : NULL;
	args_free(&a);
	if (db)
		PQfinish(db);
	if (!o) {
		fprintf(stderr, "bootstorm fleet node: %s\n", err);
		return missing ? EXIT_USAGE : EXIT_RUNTIME;
	}
	if (json)
		dump(o, out);
	else
		print_node(o, out);
	json_decref(o);
	return EXIT_OK;
}

int
fleet_nodes_print(const struct cfg *cfg, const struct fleet_nodes_q *q, bool json, FILE *out)
{
	char err[512];
	PGconn *db = fleet_connect(cfg, err, sizeof(err));
	json_t *j = db ? nodes_json(db, q, cfg->fleet_deadline_s, err, sizeof(err)) : NULL;

	if (db)
		PQfinish(db);
	if (!j) {
		fprintf(stderr, "bootstorm fleet nodes: %s\n", err);
		return EXIT_RUNTIME;
	}
	if (json)
		dump(j, out);
	else
		print_nodes(j, out);
	json_decref(j);
	return EXIT_OK;
}

/* ---- the API: its own short connection, as GET /api/fleet ---- */

static PGconn *
api_db(struct ctl *c, struct node_args *a, char *msg, size_t cap)
{
	pthread_rwlock_rdlock(&c->cfg_lock);
	args_of(c->cfg, a);
	pthread_rwlock_unlock(&c->cfg_lock);
	return fleet_api_connect(c, NULL, msg, cap);
}

json_t *
fleet_api_node(struct ctl *c, const char *key, int *status, const char **err)
{
	static _Thread_local char msg[512];
	struct node_args a;
	bool missing = false;
	PGconn *db = api_db(c, &a, msg, sizeof(msg));
	json_t *j = db ? node_json(db, key, &a, &missing, msg, sizeof(msg)) : NULL;

	args_free(&a);
	if (db)
		PQfinish(db);
	*status = missing ? 404 : 503;
	*err = msg;
	return j;
}

json_t *
fleet_api_nodes(struct ctl *c, const char *server, const char *state, const char *campaign,
		const char *limit, int *status, const char **err)
{
	static _Thread_local char msg[512];
	struct fleet_nodes_q q;
	struct node_args a;
	PGconn *db;
	json_t *j;

	*err = msg;
	if (fleet_nodes_q_fill(&q, server, state, campaign, limit, msg, sizeof(msg)) < 0) {
		*status = 400;
		return NULL;
	}
	db = api_db(c, &a, msg, sizeof(msg));
	j = db ? nodes_json(db, &q, a.deadline_s, msg, sizeof(msg)) : NULL;
	args_free(&a);
	if (db)
		PQfinish(db);
	*status = 503;
	return j;
}
