/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Following the fleet database (fleet_follow.h).
 *
 * Why LISTEN/NOTIFY plus a change sequence: a notification says "look",
 * never "what"; what changed is read as a set (every row whose change_seq
 * is above the highest one applied here), so a burst of notifications is
 * one read, one batch and one snapshot generation, and notifications lost
 * while disconnected cost nothing: the next read after LISTEN (re)starts
 * from the watermark.  Writers take sequence numbers in commit order
 * (migration 3's statement lock), so the watermark never skips a late
 * commit.  The database is never on the packet path: the dataplane answers
 * from the published snapshot, whatever this thread is doing.
 */
#include "control/fleet/fleet_follow.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/daemon/ctl.h"
#include "control/daemon/reload.h"
#include "control/fleet/fleet.h"
#include "control/fleet/fleet_pg.h"
#include "control/log.h"
#include "util/bs_file.h"

#define CHANNEL "bootstorm_fleet"
#define BACKOFF_MIN_MS 500u
#define BACKOFF_MAX_MS 10000u
#define IDLE_CHECK_MS 10000u	/* a read even without notifications */
#define GEN_SLICE 64u		/* boot files written per hold of the config lock */

static bool
stopping(struct fleet_follow *f)
{
	return atomic_load_explicit(&f->stop, memory_order_acquire);
}

static void
set_error(struct fleet_follow *f, const char *what, const char *msg)
{
	pthread_mutex_lock(&f->mu);
	snprintf(f->last_error, sizeof(f->last_error), "%.60s: %.190s", what, msg);
	pthread_mutex_unlock(&f->mu);
	LOG_WARN("fleet", "follow: %s: %s", what, msg);
}

/* One query; NULL (error recorded) unless it returned rows. */
static PGresult *
query(struct fleet_follow *f, const char *what, const char *sql, int n, const char *const *v)
{
	PGresult *r = PQexecParams(f->db, sql, n, NULL, v, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);

	atomic_fetch_add_explicit(&f->queries, 1, memory_order_relaxed);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return r;
	char m[256];

	fleet_pg_error(f->db, m, sizeof(m));
	set_error(f, what, m);
	PQclear(r);
	return NULL;
}

static uint64_t
u64(const char *s)
{
	return strtoull(s, NULL, 10);
}

static void
copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

/* ---- inventory ---- */

/* This server's subnets, for rows that name no server. */
struct nets {
	uint32_t net[64];
	uint8_t prefix[64];
	size_t n;
};

static void
my_nets(struct fleet_follow *f, struct nets *o)
{
	const struct cfg *cfg;

	pthread_rwlock_rdlock(&f->c->cfg_lock);
	cfg = f->c->cfg;
	o->n = 0;
	for (size_t i = 0; i < cfg->n_subnets && o->n < 64; i++, o->n++) {
		o->net[o->n] = cfg->subnets[i].net;
		o->prefix[o->n] = cfg->subnets[i].prefix;
	}
	pthread_rwlock_unlock(&f->c->cfg_lock);
}

/* Writes fleet.inventory when its content changes; the config watch sees
 * the rename and the normal reload publishes it. */
static bool
same_content(const char *path, const char *p, size_t len)
{
	char *buf = malloc(len + 1);
	size_t got = 0;
	ssize_t n = 1;
	int fd = buf ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	bool same;

	/* one byte more than expected: a longer file differs */
	while (fd >= 0 && got < len + 1 && (n = read(fd, buf + got, len + 1 - got)) > 0)
		got += (size_t)n;
	if (fd >= 0)
		close(fd);
	same = fd >= 0 && n >= 0 && got == len && memcmp(buf, p, len) == 0;
	free(buf);
	return same;
}

static bool
write_inventory(struct fleet_follow *f)
{
	struct fleet_str s = { 0 };
	bool ok = true;

	if (!fleet_inv_csv(&f->inv, f->server, &s)) {
		fleet_str_free(&s);
		return false;
	}
	if (!same_content(f->inv_path, s.p, s.len)) {
		int rc = bs_file_replace(f->inv_path, s.p, s.len, 0644);

		if (rc < 0) {
			set_error(f, f->inv_path, strerror(-rc));
			ok = false;
		} else {
			LOG_INFO("fleet", "follow: %s: %zu nodes of server '%s' (config reload follows)",
				 f->inv_path, f->inv.n, f->server);
		}
	}
	fleet_str_free(&s);
	return ok;
}

static bool
sync_inventory(struct fleet_follow *f, bool full)
{
	static const char sql_full[] =
		"SELECT name, mac::text, COALESCE(host(ip), ''), COALESCE(profile, ''), "
		" COALESCE(server, ''), change_seq, false, COALESCE(bmc, '') FROM nodes";
	static const char sql_inc[] =
		"SELECT name, mac::text, COALESCE(host(ip), ''), COALESCE(profile, ''), "
		" COALESCE(server, ''), change_seq, false, COALESCE(bmc, '') FROM nodes "
		" WHERE change_seq > $1::bigint "
		"UNION ALL SELECT name, '', '', '', COALESCE(server, ''), change_seq, true, '' "
		" FROM nodes_gone WHERE change_seq > $1::bigint";
	char w[24];
	const char *v[1] = { w };
	struct fleet_inv_row *rows;
	struct nets nets;
	uint64_t top = full ? 0 : f->inv_seq;
	PGresult *r;
	long changed;
	int n;

	snprintf(w, sizeof(w), "%" PRIu64, f->inv_seq);
	r = query(f, "inventory", full ? sql_full : sql_inc, full ? 0 : 1, v);
	if (!r)
		return false;
	n = PQntuples(r);
	if (n == 0 && !full) {
		PQclear(r);
		return true;
	}
	rows = calloc((size_t)n + 1, sizeof(*rows));
	if (!rows) {
		PQclear(r);
		return false;
	}
	my_nets(f, &nets);
	for (int i = 0; i < n; i++) {
		struct fleet_inv_row *o = &rows[i];
		struct in_addr a = { 0 };

		copy(o->name, sizeof(o->name), PQgetvalue(r, i, 0));
		copy(o->mac, sizeof(o->mac), PQgetvalue(r, i, 1));
		copy(o->ip, sizeof(o->ip), PQgetvalue(r, i, 2));
		copy(o->profile, sizeof(o->profile), PQgetvalue(r, i, 3));
		copy(o->bmc, sizeof(o->bmc), PQgetvalue(r, i, 7));
		o->seq = u64(PQgetvalue(r, i, 5));
		o->gone = PQgetvalue(r, i, 6)[0] == 't';
		if (o->ip[0])
			inet_pton(AF_INET, o->ip, &a);
		o->mine = fleet_owns(PQgetvalue(r, i, 4), ntohl(a.s_addr), f->server, nets.net,
				     nets.prefix, nets.n);
		if (o->seq > top)
			top = o->seq;
	}
	PQclear(r);
	changed = fleet_inv_merge(&f->inv, rows, (size_t)n, full);
	free(rows);
	if (changed < 0)
		return false;
	/* a full read rewrites the file only when it differs (a restart
	 * with nothing new reloads nothing) */
	if ((changed || full) && !write_inventory(f))
		return false;
	f->inv_seq = top;
	atomic_store_explicit(&f->inv_nodes, f->inv.n, memory_order_relaxed);
	atomic_fetch_add_explicit(&f->inv_changes, (uint64_t)changed, memory_order_relaxed);
	return true;
}

/* ---- node states ---- */

static bool
in_inventory(struct fleet_follow *f, const char *name)
{
	size_t lo = 0, hi = f->inv.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(f->inv.r[mid].name, name);

		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* One patched snapshot generation (what DHCP hands out, shm/snap.h node
 * boot), then the changed nodes' boot files.  In between a node sees the
 * new DHCP answer with its old per-node file, which boots it the old way
 * (the file decides between installer and disk, the DHCP answer only
 * between "a boot file" and "none"): never a third behaviour, only the
 * flip arriving a little later for that node, and a 10,000-node flip is
 * not held back by 20,000 fsync'd file writes. */
static void
publish_states(struct fleet_follow *f, const struct ns_rec *recs, const bool *applied, size_t n)
{
	struct ctl *c = f->c;
	uint64_t t0 = bs_mono_ns(), t1;

	const char **names = malloc((n ? n : 1) * sizeof(*names));
	size_t k = 0;

	for (size_t i = 0; names && i < n; i++)
		if (applied[i])
			names[k++] = recs[i].name;
	/* only the changed nodes are looked up and patched (NULL: all) */
	if (names)
		ctl_publish_nodes(c, names, k);
	else
		ctl_publish_states(c);
	free(names);
	t1 = bs_mono_ns();
	atomic_store_explicit(&f->last_published_ms, bs_real_ms(), memory_order_relaxed);
	if (f->notified_ns)
		atomic_store_explicit(&f->last_notify_publish_us, (t1 - f->notified_ns) / 1000,
				      memory_order_relaxed);
	/* in slices, the config lock let go between them: a reload (a
	 * writer, which readers then queue behind) waits for a slice, not for
	 * thousands of fsync'd files; a stop does not wait for them at all
	 * (the next start generates every file) */
	for (size_t i = 0; i < n && !stopping(f);) {
		const struct cfg_node *v[GEN_SLICE];
		size_t nv = 0;

		pthread_rwlock_rdlock(&c->cfg_lock);
		for (size_t end = i + GEN_SLICE; i < n && i < end; i++) {
			const struct cfg_node *nd =
				applied[i] ? cfg_node_by_name(c->cfg, recs[i].name) : NULL;

			if (nd)
				v[nv++] = nd;
		}
		ctl_gen_nodes(c, c->cfg, v, nv); /* one batch: equal files linked */
		pthread_rwlock_unlock(&c->cfg_lock);
	}
	atomic_store_explicit(&f->last_publish_us, (t1 - t0) / 1000, memory_order_relaxed);
	atomic_store_explicit(&f->last_files_us, (bs_mono_ns() - t1) / 1000, memory_order_relaxed);
}

static bool
sync_states(struct fleet_follow *f, bool full)
{
	static const char sql[] =
		"SELECT name, state, COALESCE(profile, ''), COALESCE(reason, ''), since_ms, change_seq "
		"FROM node_state WHERE change_seq > $1::bigint";
	char w[24];
	const char *v[1] = { w };
	uint64_t top = full ? 0 : f->st_seq, t0 = bs_mono_ns(), t1;
	struct ns_rec *recs;
	bool *applied;
	size_t k = 0;
	PGresult *r;
	int n, changed;

	snprintf(w, sizeof(w), "%" PRId64, full ? (int64_t)-1 : (int64_t)f->st_seq);
	r = query(f, "node states", sql, 1, v);
	if (!r)
		return false;
	n = PQntuples(r);
	if (n == 0) {
		PQclear(r);
		return true;
	}
	recs = calloc((size_t)n, sizeof(*recs));
	applied = calloc((size_t)n, sizeof(*applied));
	if (!recs || !applied) {
		free(recs);
		free(applied);
		PQclear(r);
		return false;
	}
	pthread_rwlock_rdlock(&f->c->cfg_lock);
	for (int i = 0; i < n; i++) {
		const char *name = PQgetvalue(r, i, 0);
		int st = ns_state_parse(PQgetvalue(r, i, 1));
		uint64_t seq = u64(PQgetvalue(r, i, 5));

		if (seq > top)
			top = seq;
		/* this server's nodes only: its part of the fleet inventory
		 * (maybe not reloaded yet) or its YAML's */
		if (st <= NS_NONE || strlen(name) >= sizeof(recs[k].name) ||
		    !(in_inventory(f, name) || cfg_node_by_name(f->c->cfg, name)))
			continue;
		copy(recs[k].name, sizeof(recs[k].name), name);
		recs[k].state = (uint8_t)st;
		copy(recs[k].profile, sizeof(recs[k].profile), PQgetvalue(r, i, 2));
		copy(recs[k].reason, sizeof(recs[k].reason), PQgetvalue(r, i, 3));
		recs[k].since_ms = u64(PQgetvalue(r, i, 4));
		k++;
	}
	pthread_rwlock_unlock(&f->c->cfg_lock);
	PQclear(r);
	/* newer than the store's own record only: a `done` this server saw
	 * after the database's change wins until it is shipped */
	changed = ns_set_many(&f->c->ns, recs, k, applied);
	t1 = bs_mono_ns();
	if (changed > 0) {
		publish_states(f, recs, applied, k);
		atomic_store_explicit(&f->last_apply_us, (t1 - t0) / 1000, memory_order_relaxed);
		atomic_fetch_add_explicit(&f->states_applied, (uint64_t)changed, memory_order_relaxed);
		LOG_INFO("fleet", "follow: %d node states from the database: read+store %.1f ms, "
				  "snapshot patch+publish %.1f ms (generation %llu), boot files %.1f ms; "
				  "%.1f ms since the notification",
			 changed, (double)(t1 - t0) / 1e6, (double)atomic_load(&f->last_publish_us) / 1e3,
			 (unsigned long long)atomic_load(&f->c->gen),
			 (double)atomic_load(&f->last_files_us) / 1e3,
			 f->notified_ns ? (double)(bs_mono_ns() - f->notified_ns) / 1e6 : 0.0);
	}
	free(recs);
	free(applied);
	if (changed < 0)
		return false; /* memory has them; saved again with the next change */
	f->st_seq = top;
	return true;
}

/* Everything above the watermarks (full: everything), inventory first so
 * that a new node's state finds it. */
static bool
sync_all(struct fleet_follow *f, bool full)
{
	uint64_t inv0 = f->inv_seq, st0 = f->st_seq;
	bool ok = (!f->inv_path[0] || sync_inventory(f, full)) && sync_states(f, full);

	if (!ok)
		return false;
	if (full)
		atomic_fetch_add_explicit(&f->resyncs, 1, memory_order_relaxed);
	if (full || f->inv_seq != inv0 || f->st_seq != st0)
		atomic_fetch_add_explicit(&f->batches, 1, memory_order_relaxed);
	atomic_store_explicit(&f->seq, f->inv_seq > f->st_seq ? f->inv_seq : f->st_seq,
			      memory_order_relaxed);
	atomic_store_explicit(&f->last_sync_ms, bs_real_ms(), memory_order_relaxed);
	f->notified_ns = 0;
	return true;
}

/* ---- connection ---- */

static void
disconnect(struct fleet_follow *f)
{
	if (f->db)
		PQfinish(f->db);
	f->db = NULL;
	if (atomic_exchange_explicit(&f->db_ok, false, memory_order_relaxed))
		LOG_WARN("fleet", "follow: database lost; serving the last snapshot (generation %llu)",
			 (unsigned long long)atomic_load(&f->c->gen));
}

/* Connects, LISTENs, then reads what changed while away: LISTEN first,
 * so a change committed during the read is either in it or notified. */
static bool
connect_db(struct fleet_follow *f)
{
	char err[512];
	PGresult *r;
	bool full = !f->synced;
	char *ci;

	pthread_rwlock_rdlock(&f->c->cfg_lock);
	ci = fleet_conninfo(f->c->cfg, err, sizeof(err));
	pthread_rwlock_unlock(&f->c->cfg_lock);
	f->db = ci ? fleet_connect_ci(ci, err, sizeof(err)) : NULL;
	if (!f->db) {
		set_error(f, "connect", err);
		return false;
	}
	if (fleet_schema_version(f->db) < 3) {
		set_error(f, "schema", "older than 3: run `bootstorm db migrate`");
		goto fail;
	}
	r = query(f, "listen", "LISTEN " CHANNEL, 0, NULL);
	if (!r)
		goto fail;
	PQclear(r);
	/* a database restored or recreated: its sequence is behind what was
	 * applied here; compare everything again */
	r = query(f, "sequence", "SELECT last_value FROM fleet_change_seq", 0, NULL);
	if (!r)
		goto fail;
	if (PQntuples(r) == 1 && u64(PQgetvalue(r, 0, 0)) < atomic_load(&f->seq)) {
		LOG_WARN("fleet", "follow: the database's change sequence went back; full read");
		full = true;
	}
	PQclear(r);
	if (!sync_all(f, full))
		goto fail;
	f->synced = true;
	atomic_store_explicit(&f->db_ok, true, memory_order_relaxed);
	LOG_INFO("fleet", "follow: listening as server '%s' (change seq %" PRIu64 ", %zu nodes)",
		 f->server, atomic_load(&f->seq), f->inv.n);
	return true;
fail:
	PQfinish(f->db);
	f->db = NULL;
	return false;
}

/* Waits up to ms for notifications; true when one (or more) came.  A lost
 * connection disconnects. */
static bool
wait_notify(struct fleet_follow *f, uint32_t ms)
{
	struct pollfd pf = { .fd = PQsocket(f->db), .events = POLLIN };
	PGnotify *nt;
	bool got = false;

	if (pf.fd < 0 || (poll(&pf, 1, (int)ms) > 0 && !PQconsumeInput(f->db)) ||
	    PQstatus(f->db) != CONNECTION_OK) {
		set_error(f, "listen", f->db ? PQerrorMessage(f->db) : "no connection");
		disconnect(f);
		return false;
	}
	while ((nt = PQnotifies(f->db))) {
		if (!got)
			f->notified_ns = bs_mono_ns();
		got = true;
		atomic_fetch_add_explicit(&f->notifies, 1, memory_order_relaxed);
		PQfreemem(nt);
	}
	return got;
}

static void *
follow_main(void *arg)
{
	struct fleet_follow *f = arg;
	uint32_t backoff = BACKOFF_MIN_MS;
	uint64_t idle_since = bs_mono_ms();

	while (!stopping(f)) {
		if (!f->db) {
			if (!connect_db(f)) {
				/* booting goes on from the last snapshot */
				fleet_nap(&f->stop, backoff);
				backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
				continue;
			}
			backoff = BACKOFF_MIN_MS;
			idle_since = bs_mono_ms();
		}
		/* short waits: stop is seen within 200 ms */
		if (!wait_notify(f, 200)) {
			if (!f->db || bs_mono_ms() - idle_since < IDLE_CHECK_MS)
				continue;
		}
		idle_since = bs_mono_ms();
		if (!sync_all(f, false))
			disconnect(f);
	}
	disconnect(f);
	return NULL;
}

int
fleet_follow_start(struct ctl *c, struct fleet_follow **out)
{
	struct fleet_follow *f = calloc(1, sizeof(*f));
	int rc;

	if (!f)
		return -ENOMEM;
	f->c = c;
	snprintf(f->server, sizeof(f->server), "%s", fleet_server_name(c->cfg));
	snprintf(f->inv_path, sizeof(f->inv_path), "%s",
		 c->cfg->fleet_inventory ? c->cfg->fleet_inventory : "");
	pthread_mutex_init(&f->mu, NULL);
	rc = -pthread_create(&f->thr, NULL, follow_main, f);
	if (rc) {
		pthread_mutex_destroy(&f->mu);
		free(f);
		return rc;
	}
	*out = f;
	LOG_INFO("fleet", "following the fleet database as '%s'%s%s", f->server,
		 f->inv_path[0] ? ", inventory in " : " (node states only)", f->inv_path);
	return 0;
}

void
fleet_follow_stop(struct fleet_follow *f)
{
	if (!f)
		return;
	atomic_store_explicit(&f->stop, true, memory_order_release);
	pthread_join(f->thr, NULL);
	fleet_inv_free(&f->inv);
	pthread_mutex_destroy(&f->mu);
	free(f);
}
