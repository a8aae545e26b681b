/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The fleet campaign agent (fleet_camp.h), on libpq: its own connection,
 * LISTEN bootstorm_campaign, a round every ROUND_MS or on a notification.
 * Every statement is set-based (one per campaign and step, node names as
 * text[] arrays); the database is off every packet and ACK path.
 */
#include "control/fleet/fleet_camp.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/daemon/campaigns.h"
#include "control/daemon/ctl.h"
#include "control/fleet/fleet.h"
#include "control/fleet/fleet_camp_fence.h"
#include "control/fleet/fleet_live.h"
#include "control/fleet/fleet_pg.h"
#include "control/fleet/fleet_pure.h"
#include "control/log.h"
#include "dataplane/dhcp/dhcp_lb.h"
#include "util/bs_time.h"

#define ROUND_MS 2000u
#define MAX_SHARES 64u
#define FINALS "('done','failed','cancelled')"
/* a server is live when its heartbeat is younger than the deadline ($3) */
#define LIVE(col)                                                                              \
	"EXISTS (SELECT 1 FROM servers s WHERE s.name = " col                                  \
	" AND s.heartbeat > now() - $3::int * interval '1 second')"

struct fleet_camp {
	struct ctl *c;
	pthread_t thr;
	_Atomic bool stop;
	char me[64];
	char deadline[16];
	PGconn *db;	/* thread only */
	struct fleet_fence *fence;
	bool fenced;	/* thread only: this round claims nothing, holds stay */
	/* status (relaxed: counters read by the API) */
	_Atomic uint64_t claimed, released, written, rounds, last_round_ms;
	_Atomic uint32_t running, held, shares;
	_Atomic bool db_ok;
};

/* One fleet campaign row as read this round. */
struct fc_row {
	char id[24];
	char local[32];
	bool running;
	struct camp_params p;
	double server_rate;
	uint32_t server_in_flight;
	char profile[64];
};

static bool
stopping(struct fleet_camp *f)
{
	return atomic_load_explicit(&f->stop, memory_order_acquire);
}

static PGresult *
query(struct fleet_camp *f, const char *what, const char *sql, int n, const char *const *v)
{
	PGresult *r = PQexecParams(f->db, sql, n, NULL, v, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return r;
	LOG_WARN("fleet", "campaigns: %s: %s", what, PQerrorMessage(f->db));
	PQclear(r);
	return NULL;
}

static bool
is_final(const char *st)
{
	return !strcmp(st, "done") || !strcmp(st, "failed") || !strcmp(st, "cancelled");
}

/* ---- reading -------------------------------------------------------------- */

static size_t
read_campaigns(struct fleet_camp *f, struct fc_row **out)
{
	static const char sql[] =
		"SELECT id, name, state = 'running', power_on_rate, COALESCE(max_in_flight, 1), "
		" COALESCE(server_rate, 0), COALESCE(server_in_flight, 0), burst, "
		" dhcp_deadline_ms, max_repower, install_deadline_ms, verify_deadline_ms, power, "
		" COALESCE(profile, '') FROM campaigns WHERE server IS NULL AND finished IS NULL "
		" AND state IN ('running', 'cancelled') ORDER BY id";
	PGresult *r = query(f, "read", sql, 0, NULL);
	int n;

	*out = NULL;
	if (!r)
		return (size_t)-1;
	n = PQntuples(r);
	if (n && !(*out = calloc((size_t)n, sizeof(**out)))) {
		PQclear(r);
		return (size_t)-1;
	}
	for (int i = 0; i < n; i++) {
		struct fc_row *w = &(*out)[i];

		snprintf(w->id, sizeof(w->id), "%s", PQgetvalue(r, i, 0));
		fleet_camp_local_id(PQgetvalue(r, i, 1), strtoll(w->id, NULL, 10), w->local);
		w->running = PQgetvalue(r, i, 2)[0] == 't';
		w->p.power_on_rate = strtod(PQgetvalue(r, i, 3), NULL);
		w->p.max_in_flight = (uint32_t)strtoul(PQgetvalue(r, i, 4), NULL, 10);
		w->server_rate = strtod(PQgetvalue(r, i, 5), NULL);
		w->server_in_flight = (uint32_t)strtoul(PQgetvalue(r, i, 6), NULL, 10);
		w->p.burst = strtod(PQgetvalue(r, i, 7), NULL);
		w->p.dhcp_deadline_ms = strtoull(PQgetvalue(r, i, 8), NULL, 10);
		w->p.max_repower = (uint32_t)strtoul(PQgetvalue(r, i, 9), NULL, 10);
		w->p.install_deadline_ms = strtoull(PQgetvalue(r, i, 10), NULL, 10);
		w->p.verify_deadline_ms = strtoull(PQgetvalue(r, i, 11), NULL, 10);
		w->p.power = PQgetvalue(r, i, 12)[0] == 't';
		snprintf(w->profile, sizeof(w->profile), "%s", PQgetvalue(r, i, 13));
	}
	PQclear(r);
	return (size_t)n;
}

/* v[0..n) as a text[] literal built in a (NULL: out of memory). */
static const char *
names_arr(struct fleet_arr *a, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fleet_arr_add(a, v[i]);
	return fleet_arr_done(a);
}

/* ---- which nodes this server serves ---------------------------------------- */

/* A node of this server's inventory whose bucket it serves now (cfg_lock
 * held; set NULL: every bucket).  The key is the 6-byte chaddr: a client
 * sending a client identifier (RFC 3074 section 5) hashes differently. */
static bool
serves(const struct cfg *cfg, const char *node, const uint8_t *set)
{
	const struct cfg_node *n = cfg_node_by_name(cfg, node);

	if (!n)
		return false;
	return !set || dhcp_lb_bucket_in(set, dhcp_lb_hash(n->mac, 6));
}

/* ---- one campaign ------------------------------------------------------------ */

struct names {
	const char **v;
	size_t n;
	PGresult *keep[4];
};

static void
names_push(struct names *s, const char *name)
{
	const char **v = realloc(s->v, (s->n + 1) * sizeof(*v));

	if (!v)
		return; /* tried again next round */
	s->v = v;
	s->v[s->n++] = name;
}

static void
names_free(struct names *s)
{
	for (int i = 0; i < 4; i++)
		PQclear(s->keep[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Claims the unclaimed and orphaned unfinished nodes this server serves;
 * their names into out (kept alive by out->keep[1]). */
static bool
claim(struct fleet_camp *f, const struct fc_row *w, const uint8_t *set, struct names *out)
{
	static const char cand[] =
		"SELECT cn.node FROM campaign_nodes cn WHERE cn.campaign = $1::bigint "
		" AND cn.state NOT IN " FINALS " AND (cn.server IS NULL OR "
		" (cn.server <> $2 AND NOT " LIVE("cn.server") "))";
	static const char upd[] =
		"UPDATE campaign_nodes cn SET server = $2, state = 'queued', attempts = 0, "
		" reason = NULL, inst_stage = NULL, since_ms = $4::bigint, updated = now() "
		" WHERE cn.campaign = $1::bigint AND cn.node = ANY($5::text[]) "
		" AND cn.state NOT IN " FINALS " AND (cn.server IS NULL OR "
		" (cn.server <> $2 AND NOT " LIVE("cn.server") ")) RETURNING cn.node";
	struct fleet_arr a = { 0 };
	struct names want = { 0 };
	char now[24];
	const char *v[5] = { w->id, f->me, f->deadline, now, NULL };
	PGresult *r = query(f, "candidates", cand, 3, v);

	if (!r)
		return false;
	pthread_rwlock_rdlock(&f->c->cfg_lock);
	for (int i = 0; i < PQntuples(r); i++)
		if (serves(f->c->cfg, PQgetvalue(r, i, 0), set))
			names_push(&want, PQgetvalue(r, i, 0));
	pthread_rwlock_unlock(&f->c->cfg_lock);
	out->keep[0] = r;
	if (!want.n) {
		free(want.v);
		return true;
	}
	snprintf(now, sizeof(now), "%" PRIu64, bs_real_ms());
	v[4] = names_arr(&a, want.v, want.n);
	free(want.v);
	r = v[4] ? query(f, "claim", upd, 5, v) : NULL;
	fleet_arr_free(&a);
	if (!r)
		return false;
	out->keep[1] = r;
	for (int i = 0; i < PQntuples(r); i++)
		names_push(out, PQgetvalue(r, i, 0));
	if (out->n)
		LOG_INFO("fleet", "campaign %s: claimed %zu nodes", w->local, out->n);
	atomic_fetch_add_explicit(&f->claimed, out->n, memory_order_relaxed);
	return true;
}

/* The claims this server holds in the database: the share follows them
 * (a survivor may have taken some while this server was away, an admin's
 * retry-failed released some).  Nodes claimed here but missing from the
 * share (a claim whose share save a crash lost) join it. */
static bool
follow_claims(struct fleet_camp *f, const struct fc_row *w, struct camps_fnode *loc, uint32_t nl)
{
	static const char sql[] = "SELECT node, state FROM campaign_nodes "
				  "WHERE campaign = $1::bigint AND server = $2";
	const char *v[2] = { w->id, f->me };
	struct names drop = { 0 }, add = { 0 };
	PGresult *r = query(f, "claims", sql, 2, v);
	int n;

	if (!r)
		return false;
	n = PQntuples(r);
	const char **db = malloc(((size_t)n + 1) * sizeof(*db)), **ln = malloc((nl + 1u) * sizeof(*ln));

	if (!db || !ln) {
		free(db), free(ln), PQclear(r);
		return false;
	}
	for (int k = 0; k < n; k++)
		db[k] = PQgetvalue(r, k, 0);
	for (uint32_t i = 0; i < nl; i++)
		ln[i] = loc[i].name;
	fleet_names_sort(db, (size_t)n);
	fleet_names_sort(ln, nl);
	for (uint32_t i = 0; i < nl; i++)
		if (!fleet_names_has(db, (size_t)n, loc[i].name))
			names_push(&drop, loc[i].name);
	for (int k = 0; k < n; k++)
		if (!fleet_names_has(ln, nl, PQgetvalue(r, k, 0)) && !is_final(PQgetvalue(r, k, 1)))
			names_push(&add, PQgetvalue(r, k, 0));
	free(db);
	free(ln);
	if (drop.n && camps_fleet_drop(f->c, w->local, drop.v, (uint32_t)drop.n) > 0)
		LOG_INFO("fleet", "campaign %s: %zu nodes no longer claimed here (another "
				  "server's, or re-queued by the admin): left",
			 w->local, drop.n);
	if (add.n)
		camps_fleet_add(f->c, w->local, add.v, (uint32_t)add.n);
	free(drop.v);
	free(add.v);
	PQclear(r);
	return true;
}

/* Gives names back to the fleet (server NULL, queued) and drops from the
 * share those the database let go; returns how many. */
static size_t
unclaim(struct fleet_camp *f, const struct fc_row *w, const char *const *names, size_t n)
{
	static const char sql[] =
		"UPDATE campaign_nodes SET server = NULL, state = 'queued', attempts = 0, "
		" reason = NULL, inst_stage = NULL, updated = now() WHERE campaign = $1::bigint "
		" AND server = $2 AND node = ANY($3::text[]) RETURNING node";
	struct names done = { 0 };
	struct fleet_arr a = { 0 };
	const char *v[3] = { w->id, f->me, NULL };
	PGresult *r;
	size_t k;

	v[2] = names_arr(&a, names, n);
	r = v[2] ? query(f, "release", sql, 3, v) : NULL;
	fleet_arr_free(&a);
	if (!r)
		return 0;
	for (int i = 0; i < PQntuples(r); i++)
		names_push(&done, PQgetvalue(r, i, 0));
	if (done.n)
		camps_fleet_drop(f->c, w->local, done.v, (uint32_t)done.n);
	k = done.n;
	atomic_fetch_add_explicit(&f->released, k, memory_order_relaxed);
	free(done.v);
	PQclear(r);
	return k;
}

/* Nodes not yet seen on the network whose bucket this server no longer
 * serves (or that left its inventory) go back to the fleet.  A config
 * without nodes (an inventory not loaded yet) releases nothing. */
static void
release(struct fleet_camp *f, const struct fc_row *w, const uint8_t *set,
	const struct camps_fnode *loc, uint32_t nl)
{
	struct names gone = { 0 };
	size_t k;

	pthread_rwlock_rdlock(&f->c->cfg_lock);
	for (uint32_t i = 0; f->c->cfg->n_nodes && i < nl; i++)
		if ((loc[i].stage == CS_QUEUED || loc[i].stage == CS_POWERING ||
		     loc[i].stage == CS_WAIT_DHCP) &&
		    !serves(f->c->cfg, loc[i].name, set))
			names_push(&gone, loc[i].name);
	pthread_rwlock_unlock(&f->c->cfg_lock);
	if (gone.n && (k = unclaim(f, w, gone.v, gone.n)))
		LOG_INFO("fleet", "campaign %s: released %zu nodes (their bucket moved away)",
			 w->local, k);
	free(gone.v);
}

/* The share's stages into the database: one UPDATE, changed rows only. */
static bool
write_back(struct fleet_camp *f, const char *id, const struct camps_fnode *loc, uint32_t nl)
{
	static const char sql[] =
		"UPDATE campaign_nodes cn SET state = u.state, attempts = u.attempts, "
		" reason = NULLIF(u.reason, ''), inst_stage = NULLIF(u.inst, ''), "
		" since_ms = u.since, updated = now() "
		"FROM unnest($3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::bigint[]) "
		" AS u(node, state, attempts, reason, inst, since) "
		"WHERE cn.campaign = $1::bigint AND cn.server = $2 AND cn.node = u.node "
		" AND (cn.state, cn.attempts, cn.reason, cn.inst_stage, cn.since_ms) IS DISTINCT FROM "
		" (u.state, u.attempts, NULLIF(u.reason, ''), NULLIF(u.inst, ''), u.since)";
	struct fleet_arr col[6] = { 0 };
	const char *v[8] = { id, f->me };
	PGresult *r = NULL;
	char num[24];
	bool ok = true;

	if (!nl)
		return true;
	for (uint32_t i = 0; i < nl; i++) {
		fleet_arr_add(&col[0], loc[i].name);
		fleet_arr_add(&col[1], camp_stage_name((enum camp_stage)loc[i].stage));
		snprintf(num, sizeof(num), "%u", loc[i].attempts);
		fleet_arr_add(&col[2], num);
		fleet_arr_add(&col[3], loc[i].stage == CS_FAILED ? loc[i].reason : "");
		fleet_arr_add(&col[4], loc[i].inst_stage);
		snprintf(num, sizeof(num), "%" PRIu64, loc[i].since_ms);
		fleet_arr_add(&col[5], num);
	}
	for (int k = 0; k < 6; k++)
		ok &= (v[2 + k] = fleet_arr_done(&col[k])) != NULL;
	if (ok && (r = query(f, "write back", sql, 8, v)))
		atomic_fetch_add_explicit(&f->written, strtoull(PQcmdTuples(r), NULL, 10),
					  memory_order_relaxed);
	for (int k = 0; k < 6; k++)
		fleet_arr_free(&col[k]);
	PQclear(r);
	return r != NULL;
}

/* Live servers with unfinished claimed nodes in the campaign (this one
 * counted once it has any).  While unfinished nodes are unclaimed (a new
 * campaign, a dead server's nodes) every live server may be about to
 * claim some, so all of them count: the first server to claim does not
 * take the whole fleet rate for a round. */
static uint32_t
sharers(struct fleet_camp *f, const char *id)
{
	static const char sql[] =
		"SELECT GREATEST((SELECT count(DISTINCT cn.server) FROM campaign_nodes cn WHERE "
		" cn.campaign = $1::bigint AND cn.state NOT IN " FINALS " AND cn.server IS NOT NULL "
		" AND (cn.server = $2 OR " LIVE("cn.server") ")), "
		" CASE WHEN EXISTS (SELECT 1 FROM campaign_nodes cn WHERE cn.campaign = $1::bigint "
		"  AND cn.state NOT IN " FINALS " AND (cn.server IS NULL OR (cn.server <> $2 AND "
		"  NOT " LIVE("cn.server") "))) THEN (SELECT count(*) FROM servers s "
		"  WHERE s.heartbeat > now() - $3::int * interval '1 second') ELSE 0 END)";
	const char *v[3] = { id, f->me, f->deadline };
	PGresult *r = query(f, "sharers", sql, 3, v);
	uint32_t n = 1;

	if (r && PQntuples(r) == 1)
		n = (uint32_t)strtoul(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return n ? n : 1;
}

static void
finish_if_done(struct fleet_camp *f, const char *id)
{
	/* running -> finished; a cancelled one only gets its finished time */
	static const char sql[] =
		"UPDATE campaigns SET state = CASE state WHEN 'running' THEN 'finished' "
		" ELSE state END, finished = now() WHERE id = $1::bigint AND finished IS NULL "
		" AND NOT EXISTS (SELECT 1 FROM campaign_nodes WHERE campaign = $1::bigint "
		" AND state NOT IN " FINALS ") RETURNING name, state";
	/* asked first: an UPDATE statement NOTIFYs every agent even when it
	 * changes no row (a statement trigger), and they would wake each
	 * other round after round */
	static const char ask[] =
		"SELECT 1 FROM campaigns WHERE id = $1::bigint AND finished IS NULL AND NOT EXISTS "
		" (SELECT 1 FROM campaign_nodes WHERE campaign = $1::bigint AND state NOT IN " FINALS
		")";
	const char *v[1] = { id };
	PGresult *r = query(f, "finished?", ask, 1, v);
	bool due = r && PQntuples(r) == 1;

	PQclear(r);
	if (!due)
		return;
	r = query(f, "finish", sql, 1, v);
	if (r && PQntuples(r) == 1)
		LOG_INFO("fleet", "campaign %s %s: no node left unfinished", PQgetvalue(r, 0, 0),
			 PQgetvalue(r, 0, 1));
	PQclear(r);
}

/* One fleet campaign's step of a round; false: the connection failed. */
static bool
campaign_round(struct fleet_camp *f, const struct fc_row *w, const uint8_t *set)
{
	struct camps_fnode *loc = NULL;
	struct names got = { 0 };
	uint32_t nl = 0, unfinished = 0;
	bool have = camps_fleet_read(f->c, w->local, &loc, &nl) == 0, held = false, ok;

	if (!w->running) { /* cancelled: the share stops, its stages go back */
		for (uint32_t i = 0; have && i < nl && !unfinished; i++)
			unfinished += loc[i].stage != CS_DONE && loc[i].stage != CS_FAILED &&
				      loc[i].stage != CS_CANCELLED;
		if (unfinished) { /* cancelled before let go: no tick starts a node */
			camps_cancel(f->c, w->local);
			fleet_fence_release(f->fence, w->local);
			free(loc);
			loc = NULL;
			have = camps_fleet_read(f->c, w->local, &loc, &nl) == 0;
		}
		/* its last stages (cancelled, or done/failed not yet written) */
		ok = !have || write_back(f, w->id, loc, nl);
		free(loc);
		finish_if_done(f, w->id);
		return ok;
	}
	if ((have && !follow_claims(f, w, loc, nl)) || (!f->fenced && !claim(f, w, set, &got))) {
		free(loc);
		names_free(&got);
		return false;
	}
	if (got.n || have) {
		struct camp_params p = w->p;
		struct fleet_share s = fleet_camp_share(w->p.power_on_rate, w->p.max_in_flight,
							w->server_rate, w->server_in_flight,
							sharers(f, w->id));

		p.power_on_rate = s.rate;
		p.max_in_flight = s.in_flight;
		if (camps_fleet_open(f->c, w->local, &p, w->profile, &held) == 0 &&
		    (!got.n || camps_fleet_add(f->c, w->local, got.v, (uint32_t)got.n) >= 0)) {
			if (held) /* its claims were re-read above: resume it */
				fleet_fence_release(f->fence, w->local);
		} else if (got.n) { /* no share to run them in: the fleet's again */
			LOG_WARN("fleet", "campaign %s: cannot host a share; %zu claims given back",
				 w->local, got.n);
			unclaim(f, w, got.v, got.n);
		}
	}
	names_free(&got);
	free(loc);
	if (camps_fleet_read(f->c, w->local, &loc, &nl) == 0) {
		release(f, w, set, loc, nl);
		free(loc);
	}
	ok = true;
	if (camps_fleet_read(f->c, w->local, &loc, &nl) == 0) {
		ok = write_back(f, w->id, loc, nl);
		for (uint32_t i = 0; i < nl; i++)
			unfinished += loc[i].stage != CS_DONE && loc[i].stage != CS_FAILED &&
				      loc[i].stage != CS_CANCELLED;
		free(loc);
	}
	atomic_fetch_add_explicit(&f->running, unfinished, memory_order_relaxed);
	finish_if_done(f, w->id);
	return ok;
}

/* ---- the thread ---------------------------------------------------------------- */

static bool
connect_db(struct fleet_camp *f)
{
	char err[512];
	char *ci;
	PGresult *r;

	pthread_rwlock_rdlock(&f->c->cfg_lock);
	ci = fleet_conninfo(f->c->cfg, err, sizeof(err));
	pthread_rwlock_unlock(&f->c->cfg_lock);
	f->db = ci ? fleet_connect_ci(ci, err, sizeof(err)) : NULL;
	if (!f->db)
		return false;
	if (fleet_schema_version(f->db) < 4 || !(r = query(f, "listen", "LISTEN bootstorm_campaign",
							     0, NULL))) {
		LOG_WARN("fleet", "campaigns: schema older than 4 or LISTEN failed");
		PQfinish(f->db);
		f->db = NULL;
		return false;
	}
	PQclear(r);
	if (!atomic_exchange_explicit(&f->db_ok, true, memory_order_relaxed))
		LOG_INFO("fleet", "campaigns: agent of '%s' connected", f->me);
	return true;
}

static void
disconnect(struct fleet_camp *f)
{
	if (f->db)
		PQfinish(f->db);
	f->db = NULL;
	if (atomic_exchange_explicit(&f->db_ok, false, memory_order_relaxed))
		LOG_WARN("fleet", "campaigns: database lost; local shares go on, written back "
				  "when it returns");
}

static bool
round_all(struct fleet_camp *f)
{
	uint8_t setb[SNAP_LB_BUCKETS / 8];
	const uint8_t *set = fleet_live_buckets(f->c, setb) ? setb : NULL;
	struct fc_row *w;
	size_t n = read_campaigns(f, &w);
	char ids[MAX_SHARES][32];
	uint32_t ns, held = 0;
	bool ok = n != (size_t)-1;

	enum fleet_fence_state fs = fleet_fence_state(f->fence);

	f->fenced = fs != FENCE_OPEN; /* liftable: claims re-read first, then lifted */
	atomic_store_explicit(&f->running, 0, memory_order_relaxed);
	for (size_t i = 0; ok && i < n && !stopping(f); i++)
		ok = campaign_round(f, &w[i], set);
	/* a held share whose campaign is no longer running or cancelled
	 * (finished, deleted): nothing of it is the fleet's to run */
	ns = ok ? camps_fleet_ids(f->c, ids, MAX_SHARES, &held) : 0;
	for (uint32_t k = 0; k < ns; k++) {
		bool listed = false;

		for (size_t i = 0; i < n && !listed; i++)
			listed = !strcmp(w[i].local, ids[k]);
		if (!listed) { /* cancelled before let go: no tick starts a node */
			camps_cancel(f->c, ids[k]);
			fleet_fence_release(f->fence, ids[k]);
		}
	}
	free(w);
	if (ok && fs == FENCE_LIFTABLE)
		fleet_fence_lift(f->fence);
	ns = camps_fleet_ids(f->c, ids, MAX_SHARES, &held);
	atomic_store_explicit(&f->shares, ns, memory_order_relaxed);
	atomic_store_explicit(&f->held, held, memory_order_relaxed);
	atomic_fetch_add_explicit(&f->rounds, 1, memory_order_relaxed);
	if (ok)
		atomic_store_explicit(&f->last_round_ms, bs_real_ms(), memory_order_relaxed);
	return ok;
}

/* Waits up to ms for a notification on the channel; false: connection lost. */
static bool
wait_notify(struct fleet_camp *f, uint32_t ms)
{
	uint64_t end = bs_mono_ms() + ms;
	PGnotify *nt;
	bool got = false;

	while (!got && !stopping(f) && bs_mono_ms() < end) {
		struct pollfd pf = { .fd = PQsocket(f->db), .events = POLLIN };

		if (pf.fd < 0 || (poll(&pf, 1, 200) > 0 && !PQconsumeInput(f->db)) ||
		    PQstatus(f->db) != CONNECTION_OK)
			return false;
		while ((nt = PQnotifies(f->db))) {
			got = true;
			PQfreemem(nt);
		}
	}
	return true;
}

static void *
camp_main(void *arg)
{
	struct fleet_camp *f = arg;

	while (!stopping(f)) {
		if (!f->db && !connect_db(f)) {
			char ids[MAX_SHARES][32];
			uint32_t held, n = camps_fleet_ids(f->c, ids, MAX_SHARES, &held);

			/* the shares' status without a round: held ones wait */
			atomic_store_explicit(&f->shares, n, memory_order_relaxed);
			atomic_store_explicit(&f->held, held, memory_order_relaxed);
			fleet_nap(&f->stop, ROUND_MS);
			continue;
		}
		if (!round_all(f) || !wait_notify(f, ROUND_MS))
			disconnect(f);
	}
	disconnect(f);
	return NULL;
}

int
fleet_camp_start(struct ctl *c)
{
	struct fleet_camp *f;
	int rc;

	if (!c->cfg->fleet_enabled || !c->cfg->power_cred_file || !c->camps)
		return 0;
	if (!(f = calloc(1, sizeof(*f))))
		return -ENOMEM;
	f->c = c;
	snprintf(f->me, sizeof(f->me), "%s", fleet_server_name(c->cfg));
	snprintf(f->deadline, sizeof(f->deadline), "%u", c->cfg->fleet_deadline_s);
	if (!(f->fence = fleet_fence_start(c, c->cfg->fleet_deadline_s))) {
		free(f);
		return -ENOMEM;
	}
	rc = -pthread_create(&f->thr, NULL, camp_main, f);
	if (rc) {
		fleet_fence_stop(f->fence);
		free(f);
		return rc;
	}
	c->fcamp = f;
	LOG_INFO("fleet", "campaigns: agent of '%s' started", f->me);
	return 0;
}

void
fleet_camp_stop(struct ctl *c)
{
	struct fleet_camp *f = c->fcamp;

	if (!f)
		return;
	atomic_store_explicit(&f->stop, true, memory_order_release);
	pthread_join(f->thr, NULL);
	fleet_fence_stop(f->fence);
	c->fcamp = NULL;
	free(f);
}

void
fleet_camp_status_json(struct ctl *c, json_t *status)
{
	struct fleet_camp *f = c->fcamp;
	json_t *o;

	if (!f)
		return;
	o = json_pack("{s:b,s:I,s:I,s:i,s:i,s:i,s:I,s:I,s:I}", "database",
			  atomic_load_explicit(&f->db_ok, memory_order_relaxed), "claimed",
			  (json_int_t)atomic_load_explicit(&f->claimed, memory_order_relaxed),
			  "released",
			  (json_int_t)atomic_load_explicit(&f->released, memory_order_relaxed),
			  "running", (int)atomic_load_explicit(&f->running, memory_order_relaxed),
			  "shares", (int)atomic_load_explicit(&f->shares, memory_order_relaxed),
			  "held", (int)atomic_load_explicit(&f->held, memory_order_relaxed),
			  "written_back",
			  (json_int_t)atomic_load_explicit(&f->written, memory_order_relaxed),
			  "rounds", (json_int_t)atomic_load_explicit(&f->rounds, memory_order_relaxed),
			  "last_round_ms",
			  (json_int_t)atomic_load_explicit(&f->last_round_ms, memory_order_relaxed));
	if (!o)
		return;
	fleet_fence_json(f->fence, o);
	json_object_set_new(status, "fleet_campaigns", o);
}
