/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The liveness thread of fleet failover (fleet_live.h), on libpq.
 *
 * Liveness is servers.heartbeat (the database's clock, so no server clock
 * skew enters), which this thread refreshes every fleet.live_interval on
 * top of the shipper's: a peer is dead when its heartbeat is older than
 * fleet.heartbeat_deadline.  Not a session advisory lock: a lock dies with
 * the database connection, so restarting the database would declare every
 * server dead at once; a heartbeat survives it, and after any (re)connect
 * this thread waits one deadline before it believes a stale heartbeat
 * (every peer's thread reconnects within a live_interval, its shipper's
 * backoff does not matter).
 */
#include "control/fleet/fleet_live.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/snap_build.h"
#include "control/daemon/ctl.h"
#include "control/daemon/reload.h"
#include "control/fleet/fleet.h"
#include "control/fleet/fleet_pg.h"
#include "control/log.h"
#include "util/bs_time.h"

#define PEER_NAME_MAX 64

struct fleet_live {
	struct ctl *c;
	pthread_t thr;
	_Atomic bool stop;
	char peers[CFG_MAX_PEERS][PEER_NAME_MAX]; /* sorted: fleet.peers */
	uint32_t n, self;
	uint32_t deadline_s, every_ms;
	PGconn *db;		/* thread only */
	uint64_t connected_ms;	/* thread only: monotonic ms of the connect */
	_Atomic uint64_t hb_ok_ms; /* monotonic ms the last good heartbeat was sent */
	char peer_arr[CFG_MAX_PEERS * (PEER_NAME_MAX + 3) + 3]; /* text[] literal */

	pthread_mutex_t mu;	/* guards what follows (thread writes, the
				   snapshot builder and status read) */
	bool changed;		/* the split differs from the static one */
	bool alive[CFG_MAX_PEERS];
	uint8_t buckets[SNAP_LB_BUCKETS / 8];
	unsigned n_buckets;
	struct snap_lease *adopted;
	uint32_t n_adopted;
	uint64_t takeovers;
};

static bool
stopping(struct fleet_live *l)
{
	return atomic_load_explicit(&l->stop, memory_order_acquire);
}

static void
disconnect(struct fleet_live *l)
{
	if (l->db)
		PQfinish(l->db);
	l->db = NULL;
}

static bool
connect_db(struct fleet_live *l)
{
	char err[512];
	char *ci;

	pthread_rwlock_rdlock(&l->c->cfg_lock);
	ci = fleet_conninfo(l->c->cfg, err, sizeof(err));
	pthread_rwlock_unlock(&l->c->cfg_lock);
	l->db = ci ? fleet_connect_ci(ci, err, sizeof(err)) : NULL;
	if (!l->db)
		return false;
	l->connected_ms = bs_mono_ms();
	return true;
}

static PGresult *
query(struct fleet_live *l, const char *sql, int n, const char *const *v)
{
	PGresult *r = PQexecParams(l->db, sql, n, NULL, v, NULL, NULL, 0);

	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		return r;
	LOG_WARN("fleet", "liveness: %s", PQerrorMessage(l->db));
	PQclear(r);
	return NULL;
}

static bool
heartbeat(struct fleet_live *l)
{
	static const char sql[] = "UPDATE servers SET heartbeat = now() WHERE name = $1";
	const char *v[1] = { l->peers[l->self] };
	uint64_t sent = bs_mono_ms(); /* now() in the database is no earlier */
	PGresult *r = PQexecParams(l->db, sql, 1, NULL, v, NULL, NULL, 0);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;

	PQclear(r);
	if (ok)
		atomic_store_explicit(&l->hb_ok_ms, sent, memory_order_release);
	return ok;
}

uint64_t
fleet_live_heartbeat_ms(struct ctl *c)
{
	return c->live ? atomic_load_explicit(&c->live->hb_ok_ms, memory_order_acquire) : 0;
}

/* alive[i]: peer i's heartbeat is younger than the deadline (self: always). */
static bool
read_alive(struct fleet_live *l, bool alive[CFG_MAX_PEERS])
{
	static const char sql[] = "SELECT name FROM servers WHERE name = ANY($1::text[]) "
				  "AND heartbeat > now() - $2::int * interval '1 second'";
	char dl[16];
	const char *v[2] = { l->peer_arr, dl };
	PGresult *r;

	snprintf(dl, sizeof(dl), "%u", l->deadline_s);
	if (!(r = query(l, sql, 2, v)))
		return false;
	memset(alive, 0, CFG_MAX_PEERS * sizeof(bool));
	alive[l->self] = true;
	for (int i = 0; i < PQntuples(r); i++)
		for (uint32_t k = 0; k < l->n; k++)
			alive[k] |= strcmp(PQgetvalue(r, i, 0), l->peers[k]) == 0;
	PQclear(r);
	return true;
}

static bool
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return true;
}

static bool
parse_ip(const char *s, uint32_t *ip)
{
	unsigned a, b, c, d;
	if (sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d) != 4 || a > 255 || b > 255 || c > 255 ||
	    d > 255)
		return false;
	*ip = a << 24 | b << 16 | c << 8 | d;
	return true;
}

/* Appends peer's bound, unexpired leases (the leases table the shipper
 * fills) to *a; false on a database error. */
static bool
load_leases(struct fleet_live *l, const char *peer, struct snap_lease **a, uint32_t *n)
{
	static const char sql[] =
		"SELECT mac::text, host(ip), (extract(epoch FROM expires) * 1000)::bigint "
		"FROM leases WHERE server = $1 AND state = 'bound' AND expires > now()";
	const char *v[1] = { peer };
	PGresult *r = query(l, sql, 1, v);

	if (!r)
		return false;
	int rows = PQntuples(r);
	struct snap_lease *grown = realloc(*a, ((size_t)*n + (size_t)rows + 1) * sizeof(**a));
	if (!grown) {
		PQclear(r);
		return false;
	}
	*a = grown;
	for (int i = 0; i < rows; i++) {
		struct snap_lease *e = &grown[*n];
		memset(e, 0, sizeof(*e));
		if (!parse_mac(PQgetvalue(r, i, 0), e->mac) || !parse_ip(PQgetvalue(r, i, 1), &e->ip))
			continue;
		e->expires_ms = strtoull(PQgetvalue(r, i, 2), NULL, 10);
		(*n)++;
	}
	PQclear(r);
	return true;
}

/* A new liveness: load the dead peers' leases, then swap the split in and
 * republish.  Nothing changes when a load fails (retried next round). */
static bool
apply(struct fleet_live *l, const bool alive[CFG_MAX_PEERS])
{
	struct snap_lease *a = NULL;
	uint32_t n = 0, dead = 0;
	uint8_t b[SNAP_LB_BUCKETS / 8];

	for (uint32_t i = 0; i < l->n; i++) {
		if (alive[i])
			continue;
		dead++;
		if (!load_leases(l, l->peers[i], &a, &n)) {
			free(a);
			return false;
		}
	}
	unsigned mine = snap_lb_assign(l->n, alive, l->self, b);
	pthread_mutex_lock(&l->mu);
	free(l->adopted);
	l->adopted = a;
	l->n_adopted = n;
	memcpy(l->alive, alive, sizeof(l->alive));
	memcpy(l->buckets, b, sizeof(b));
	l->n_buckets = mine;
	l->changed = true;
	l->takeovers += dead > 0;
	pthread_mutex_unlock(&l->mu);
	int rc = ctl_republish(l->c);
	LOG_INFO("fleet", "peers: %u of %u alive; serving %u of 256 buckets, %u leases of dead peers "
			  "taken over%s",
		 l->n - dead, l->n, mine, n, rc < 0 ? " (publish failed)" : "");
	return rc >= 0;
}

static void *
live_main(void *arg)
{
	struct fleet_live *l = arg;
	bool alive[CFG_MAX_PEERS];

	while (!stopping(l)) {
		if (!l->db && !connect_db(l)) {
			fleet_nap(&l->stop, l->every_ms); /* database away: keep the last split */
			continue;
		}
		if (!heartbeat(l) || !read_alive(l, alive)) {
			disconnect(l);
			continue;
		}
		/* after a (re)connect, give every peer's shipper one deadline to
		 * write a heartbeat: a database restart is not a fleet death */
		bool settled = bs_mono_ms() - l->connected_ms >= (uint64_t)l->deadline_s * 1000;
		pthread_mutex_lock(&l->mu);
		bool same = memcmp(alive, l->alive, sizeof(alive)) == 0;
		pthread_mutex_unlock(&l->mu);
		if (settled && !same && !apply(l, alive))
			disconnect(l);
		fleet_nap(&l->stop, l->every_ms);
	}
	disconnect(l);
	return NULL;
}

/* '{"a","b"}' for $1::text[]: names quoted, quotes and backslashes escaped. */
static void
build_peer_arr(struct fleet_live *l)
{
	char *p = l->peer_arr;
	*p++ = '{';
	for (uint32_t i = 0; i < l->n; i++) {
		if (i)
			*p++ = ',';
		*p++ = '"';
		for (const char *s = l->peers[i]; *s; s++) {
			if (*s == '"' || *s == '\\')
				*p++ = '\\';
			*p++ = *s;
		}
		*p++ = '"';
	}
	*p++ = '}';
	*p = '\0';
}

int
fleet_live_start(struct ctl *c)
{
	const struct cfg *cfg = c->cfg;
	int self = snap_lb_self(cfg);
	struct fleet_live *l;

	if (self < 0)
		return 0;
	for (uint32_t i = 0; i < cfg->n_fleet_peers; i++)
		if (strlen(cfg->fleet_peers[i]) >= PEER_NAME_MAX)
			return -ENAMETOOLONG;
	if (!(l = calloc(1, sizeof(*l))))
		return -ENOMEM;
	l->c = c;
	l->n = cfg->n_fleet_peers;
	l->self = (uint32_t)self;
	l->deadline_s = cfg->fleet_deadline_s;
	l->every_ms = cfg->fleet_live_ms;
	for (uint32_t i = 0; i < l->n; i++) {
		snprintf(l->peers[i], PEER_NAME_MAX, "%s", cfg->fleet_peers[i]);
		l->alive[i] = true; /* the static split of snap_build */
	}
	l->n_buckets = snap_lb_assign(l->n, NULL, l->self, l->buckets);
	build_peer_arr(l);
	pthread_mutex_init(&l->mu, NULL);
	c->live = l;
	c->snap_decorate = fleet_live_decorate;
	int rc = -pthread_create(&l->thr, NULL, live_main, l);
	if (rc) {
		c->snap_decorate = NULL;
		c->live = NULL;
		pthread_mutex_destroy(&l->mu);
		free(l);
		return rc;
	}
	LOG_INFO("fleet", "failover: peer %u of %u ('%s'), heartbeat deadline %u s", l->self, l->n,
		 l->peers[l->self], l->deadline_s);
	return 0;
}

void
fleet_live_stop(struct ctl *c)
{
	struct fleet_live *l = c->live;

	if (!l)
		return;
	atomic_store_explicit(&l->stop, true, memory_order_release);
	pthread_join(l->thr, NULL);
	pthread_mutex_lock(&c->pub_mu); /* no build is using it */
	c->snap_decorate = NULL;
	c->live = NULL;
	pthread_mutex_unlock(&c->pub_mu);
	free(l->adopted);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

int
fleet_live_decorate(struct ctl *c, struct snap_hdr **s, size_t *len)
{
	struct fleet_live *l = c->live;
	struct snap_hdr *out = NULL;
	int rc = 0;

	if (!l)
		return 0;
	pthread_mutex_lock(&l->mu);
	if (l->changed && (*s)->lb_slices > 1)
		rc = snap_with_lb(*s, l->buckets, l->adopted, l->n_adopted, &out, len);
	pthread_mutex_unlock(&l->mu);
	if (rc < 0 || !out)
		return rc;
	snap_seal(out, out->gen);
	free(*s);
	*s = out;
	return 0;
}

void
fleet_live_status_json(struct ctl *c, json_t *status)
{
	struct fleet_live *l = c->live;
	json_t *j, *peers;

	if (!l || !(j = json_object()))
		return;
	peers = json_array();
	pthread_mutex_lock(&l->mu);
	for (uint32_t i = 0; i < l->n; i++)
		json_array_append_new(peers, json_pack("{s:s,s:b}", "name", l->peers[i], "alive",
						       l->alive[i]));
	json_object_set_new(j, "peers", peers);
	json_object_set_new(j, "self", json_string(l->peers[l->self]));
	json_object_set_new(j, "buckets", json_integer(l->n_buckets));
	json_object_set_new(j, "adopted", json_integer(l->n_adopted));
	json_object_set_new(j, "takeovers", json_integer((json_int_t)l->takeovers));
	pthread_mutex_unlock(&l->mu);
	json_object_set_new(status, "fleet_lb", j);
}

bool
fleet_live_buckets(struct ctl *c, uint8_t set[SNAP_LB_BUCKETS / 8])
{
	struct fleet_live *l = c->live;

	if (!l)
		return false;
	pthread_mutex_lock(&l->mu);
	memcpy(set, l->buckets, sizeof(l->buckets));
	pthread_mutex_unlock(&l->mu);
	return true;
}
