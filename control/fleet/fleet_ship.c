/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The shipper thread of fleet mode (fleet.h): journal tail and node states
 * -> PostgreSQL, heartbeat, with backoff while the database is away.  It
 * only reads what the journal thread made durable and what the node-state
 * store saved; nothing here runs on the packet or the ACK path.
 */
#include "control/fleet/fleet.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/daemon/ctl.h"
#include "control/fleet/fleet_follow.h"
#include "control/fleet/fleet_pg.h"
#include "control/fleet/fleet_pure.h"
#include "control/fleet/fleet_ship.h"
#include "control/log.h"
#include "util/bs_file.h"

#define BACKOFF_MIN_MS 500u
#define BACKOFF_MAX_MS 30000u
#define BATCHES_PER_CYCLE 50u

static bool stopping(struct fleet *f);

/* ---- position file: <state_dir>/fleet.outbox, replaced atomically ---- */

static void
pos_load(struct fleet *f)
{
	char buf[128];
	int fd = open(f->pos_path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n > 0) {
		buf[n] = '\0';
		if (fleet_pos_parse(buf, &f->pos) < 0)
			LOG_WARN("fleet", "%s: unreadable, shipping the whole journal again", f->pos_path);
	}
}

static int
pos_save(struct fleet *f)
{
	char buf[128];
	int n = fleet_pos_format(&f->pos, buf, sizeof(buf));

	/* no directory fsync: a lost rename only ships a batch again */
	return bs_file_replace_flags(f->pos_path, buf, (size_t)n, 0644, BS_FILE_NO_DIRSYNC);
}

/* ---- errors ---- */

static void
set_error(struct fleet *f, const char *what, const char *msg)
{
	pthread_mutex_lock(&f->mu);
	snprintf(f->last_error, sizeof(f->last_error), "%s: %s", what, msg);
	pthread_mutex_unlock(&f->mu);
	atomic_fetch_add_explicit(&f->errors, 1, memory_order_relaxed);
	LOG_WARN("fleet", "%s: %s", what, msg);
}

static bool
exec_params(struct fleet *f, const char *what, const char *sql, int n, const char *const *v)
{
	PGresult *r = PQexecParams(f->db, sql, n, NULL, v, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok) {
		char m[256];

		fleet_pg_error(f->db, m, sizeof(m));
		set_error(f, what, m);
	}
	PQclear(r);
	return ok;
}

static bool
exec0(struct fleet *f, const char *what, const char *sql)
{
	return exec_params(f, what, sql, 0, NULL);
}

/* ---- heartbeat and segments ---- */

static bool
heartbeat(struct fleet *f)
{
	static const char sql[] =
		"INSERT INTO servers (name, heartbeat, started, version, pid) "
		"VALUES ($1, now(), to_timestamp($2::bigint / 1000.0), $3, $4) "
		"ON CONFLICT (name) DO UPDATE SET heartbeat = now(), started = excluded.started, "
		" version = excluded.version, pid = excluded.pid";
	char started[24], pid[16];
	const char *v[4] = { f->server, started, BS_VERSION, pid };

	snprintf(started, sizeof(started), "%" PRIu64, f->c->start_wall_ms);
	uint64_t sent = bs_mono_ms(); /* now() in the database is no earlier */

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (!exec_params(f, "heartbeat", sql, 4, v))
		return false;
	atomic_store_explicit(&f->hb_ok_ms, sent, memory_order_release);
	return true;
}

/* This server's subnets, set-based: the segments table says exactly them. */
static bool
sync_segments(struct fleet *f)
{
	static const char del[] = "DELETE FROM segments WHERE server = $1 AND NOT network = ANY($2::cidr[])";
	static const char ins[] = "INSERT INTO segments (server, network) SELECT $1, unnest($2::cidr[]) "
				  "ON CONFLICT DO NOTHING";
	struct fleet_arr a = { 0 };
	const char *v[2] = { f->server, NULL };
	bool ok;

	pthread_rwlock_rdlock(&f->c->cfg_lock);
	for (size_t i = 0; i < f->c->cfg->n_subnets; i++) {
		const struct cfg_subnet *s = &f->c->cfg->subnets[i];
		char net[24];

		snprintf(net, sizeof(net), "%u.%u.%u.%u/%u", s->net >> 24, (s->net >> 16) & 255,
			 (s->net >> 8) & 255, s->net & 255, s->prefix);
		fleet_arr_add(&a, net);
	}
	pthread_rwlock_unlock(&f->c->cfg_lock);
	v[1] = fleet_arr_done(&a);
	ok = v[1] && exec0(f, "segments", "BEGIN") && exec_params(f, "segments", del, 2, v) &&
	     exec_params(f, "segments", ins, 2, v) && exec0(f, "segments", "COMMIT");
	if (!ok)
		PQclear(PQexec(f->db, "ROLLBACK"));
	fleet_arr_free(&a);
	return ok;
}

/* ---- leases: the journal's acknowledged tail ---- */

static bool
ship_batch(struct fleet *f, const struct lease_event *ev, size_t n)
{
	static const char outbox[] =
		"INSERT INTO outbox (server, stream, position, shipped) VALUES ($1, 'leases', $2, $3) "
		"ON CONFLICT (server, stream) DO UPDATE SET position = excluded.position, "
		" shipped = outbox.shipped + excluded.shipped, updated = now()";
	struct fleet_lease_batch b = { 0 };
	const char *cols[FL_COL_MAX], *v[1 + FL_COL_MAX] = { f->server };
	char pos[128], cnt[24];
	const char *ov[3] = { f->server, pos, cnt };
	bool ok;

	for (size_t i = 0; i < n; i++)
		fleet_lease_batch_add(&b, &ev[i]);
	ok = fleet_lease_batch_done(&b, cols);
	for (unsigned i = 0; i < FL_COL_MAX; i++)
		v[1 + i] = cols[i];
	fleet_pos_format(&f->next, pos, sizeof(pos));
	pos[strcspn(pos, "\n")] = '\0';
	snprintf(cnt, sizeof(cnt), "%zu", n);
	/* one transaction per batch: the rows and the position move together */
	ok = ok && exec0(f, "leases", "BEGIN") &&
	     exec_params(f, "leases", fleet_lease_upsert_sql, 1 + FL_COL_MAX, v) &&
	     exec_params(f, "leases", outbox, 3, ov) && exec0(f, "leases", "COMMIT");
	if (!ok)
		PQclear(PQexec(f->db, "ROLLBACK"));
	fleet_lease_batch_free(&b);
	return ok;
}

/* After a compaction the new file holds a record for every lease that was
 * live then; a lease the database still has as bound or declined whose
 * address the file does not name at all ended before the compaction (its
 * release or expiry record was compacted away, maybe before it shipped).
 * Called once the new file is shipped to its end. */
static bool
reconcile_compacted(struct fleet *f, const uint8_t *img, size_t size, uint64_t durable)
{
	static const char sql[] =
		"UPDATE leases SET state = 'ended', shipped = now() WHERE server = $1 "
		"AND state IN ('bound', 'declined') AND NOT ip = ANY($2::inet[])";
	struct fleet_arr ips = { 0 };
	const char *v[2] = { f->server, NULL };
	uint64_t off = 0;
	size_t n;
	bool ok;

	do {
		n = fleet_tail_walk(img, size, off, durable, 0, f->evs, f->batch, &off);
		for (size_t k = 0; k < n; k++) {
			char ip[16];
			uint32_t a = f->evs[k].ip;

			snprintf(ip, sizeof(ip), "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
				 a & 255);
			fleet_arr_add(&ips, ip);
		}
	} while (n == f->batch);
	v[1] = fleet_arr_done(&ips);
	ok = v[1] && exec_params(f, "reconcile", sql, 2, v);
	fleet_arr_free(&ips);
	if (ok)
		LOG_INFO("fleet", "journal compacted: leases it no longer names marked ended");
	return ok;
}

/* The journal restarted from seq 1 (state_dir wiped, region gone): the
 * rows this server shipped carry seqs the new journal will reuse, and the
 * seq guard would keep them over newer events.  The journal is the
 * authority for this server's leases: its copy starts again with it. */
static bool
reset_copy(struct fleet *f, uint64_t durable)
{
	static const char sql[] = "DELETE FROM leases WHERE server = $1";
	const char *v[1] = { f->server };

	LOG_WARN("fleet", "journal durable seq %" PRIu64 " is behind the shipped seq %" PRIu64
			  ": the journal was reset; replacing this server's leases in the database",
		 durable, f->pos.seq);
	if (!exec_params(f, "reset", sql, 1, v))
		return false;
	f->pos = (struct fleet_pos){ 0 };
	f->reconcile_ino = 0;
	atomic_store_explicit(&f->shipped_seq, 0, memory_order_relaxed);
	if (pos_save(f) < 0) /* lost: the same delete and re-ship next time */
		LOG_WARN("fleet", "%s: cannot save the position", f->pos_path);
	return true;
}

/* Ships what the journal made durable since the saved position.  false on
 * a database error (the position stays: the same events go again). */
static bool
ship_leases(struct fleet *f)
{
	uint64_t durable = atomic_load_explicit(&f->c->journal.st.durable_seq, memory_order_acquire);
	const uint8_t *img = NULL;
	size_t size = 0;
	struct stat st;
	bool ok = true, caught_up = false;
	int fd;

	if (durable < f->pos.seq && !reset_copy(f, durable))
		return false;
	if (durable <= f->pos.seq && f->pos.ino && !f->reconcile_ino)
		return true;
	fd = open(f->c->journal.path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || journal_map_file(fd, &img, &size) < 0) {
		if (fd >= 0)
			close(fd);
		return true; /* the journal thread reports its own file's trouble */
	}
	/* bounded per cycle, and stopped by shutdown, so the heartbeat goes
	 * on and serve's stop never waits for a long backlog to drain */
	for (unsigned i = 0; ok && i < BATCHES_PER_CYCLE && !stopping(f); i++) {
		bool same = f->pos.ino == (uint64_t)st.st_ino;
		uint64_t next_off, top = f->pos.seq;

		if (!same && f->pos.ino)
			f->reconcile_ino = (uint64_t)st.st_ino; /* a compaction happened */
		/* a new file (first start, compaction): walk it all, skipping
		 * what was shipped from the old one */
		size_t n = fleet_tail_walk(img, size, same ? f->pos.off : 0, durable,
					   same ? 0 : f->pos.seq, f->evs, f->batch, &next_off);

		if (n == 0 && same && next_off == f->pos.off) {
			caught_up = true;
			break;
		}
		for (size_t k = 0; k < n; k++)
			if (f->evs[k].seq > top)
				top = f->evs[k].seq;
		f->next = (struct fleet_pos){ .ino = (uint64_t)st.st_ino, .off = next_off, .seq = top };
		if (n && !(ok = ship_batch(f, f->evs, n)))
			break;
		f->pos = f->next;
		if (pos_save(f) < 0)
			LOG_WARN("fleet", "%s: cannot save the position", f->pos_path);
		atomic_fetch_add_explicit(&f->shipped, n, memory_order_relaxed);
		atomic_fetch_add_explicit(&f->txns, n ? 1 : 0, memory_order_relaxed);
		atomic_store_explicit(&f->shipped_seq, f->pos.seq, memory_order_relaxed);
		if (n)
			atomic_store_explicit(&f->last_ship_ms, bs_real_ms(), memory_order_relaxed);
		if (n < f->batch) {
			caught_up = true;
			break;
		}
	}
	/* caught up: everything durable in the new file is in the database */
	if (ok && caught_up && f->reconcile_ino == (uint64_t)st.st_ino &&
	    (ok = reconcile_compacted(f, img, size, durable)))
		f->reconcile_ino = 0;
	if (img)
		munmap((void *)img, size);
	close(fd);
	return ok;
}

/* ---- node states: the store's file changes -> the records that did ---- */

static bool
ns_changed(struct fleet *f)
{
	struct stat st;
	char path[4200];

	snprintf(path, sizeof(path), "%s/nodestate", f->state_dir);
	if (stat(path, &st) < 0)
		return false;
	if (f->ns_ino == st.st_ino && f->ns_mtime_ns == (uint64_t)st.st_mtim.tv_sec * 1000000000u +
							    (uint64_t)st.st_mtim.tv_nsec &&
	    f->ns_size == (uint64_t)st.st_size)
		return false;
	f->ns_ino = st.st_ino;
	f->ns_mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
	f->ns_size = (uint64_t)st.st_size;
	return true;
}

enum { NC_NAME, NC_STATE, NC_PROFILE, NC_REASON, NC_SINCE, NC_MAX };

/* Field by field: the store's records may carry unset padding and bytes
 * after each string's NUL. */
static bool
rec_same(const struct ns_rec *a, const struct ns_rec *b)
{
	return a->state == b->state && a->since_ms == b->since_ms && strcmp(a->name, b->name) == 0 &&
	       strcmp(a->profile, b->profile) == 0 && strcmp(a->reason, b->reason) == 0;
}

static bool
ship_node_states(struct fleet *f)
{
	static const char sql[] =
		"INSERT INTO node_state (name, state, profile, reason, since_ms, server) "
		"SELECT u.name, u.state, u.profile, u.reason, u.since, $1 "
		"FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) "
		" AS u(name, state, profile, reason, since) "
		"ON CONFLICT (name) DO UPDATE SET state = excluded.state, profile = excluded.profile, "
		" reason = excluded.reason, since_ms = excluded.since_ms, server = excluded.server, "
		" shipped = now() WHERE node_state.since_ms <= excluded.since_ms";
	struct fleet_arr col[NC_MAX] = { 0 };
	const char *v[1 + NC_MAX] = { f->server };
	struct ns_rec *copy;
	size_t n, changed = 0;
	bool ok = true;

	if (!ns_changed(f))
		return true;
	pthread_mutex_lock(&f->c->ns.mu);
	n = f->c->ns.n;
	copy = malloc((n ? n : 1) * sizeof(*copy));
	if (copy && n)
		memcpy(copy, f->c->ns.r, n * sizeof(*copy));
	pthread_mutex_unlock(&f->c->ns.mu);
	if (!copy)
		return true;
	for (size_t i = 0; i < n; i++) {
		char since[24];

		/* records are only ever appended: same index, same node */
		if (i < f->ns_n && rec_same(&copy[i], &f->ns_shipped[i]))
			continue;
		snprintf(since, sizeof(since), "%" PRIu64, copy[i].since_ms);
		fleet_arr_add(&col[NC_NAME], copy[i].name);
		fleet_arr_add(&col[NC_STATE], ns_state_name((enum ns_state)copy[i].state));
		fleet_arr_add(&col[NC_PROFILE], copy[i].profile[0] ? copy[i].profile : NULL);
		fleet_arr_add(&col[NC_REASON], copy[i].reason[0] ? copy[i].reason : NULL);
		fleet_arr_add(&col[NC_SINCE], since);
		changed++;
	}
	for (unsigned k = 0; k < NC_MAX; k++)
		ok &= (v[1 + k] = fleet_arr_done(&col[k])) != NULL;
	if (changed && ok)
		ok = exec_params(f, "node states", sql, 1 + NC_MAX, v);
	for (unsigned k = 0; k < NC_MAX; k++)
		fleet_arr_free(&col[k]);
	if (ok) {
		free(f->ns_shipped);
		f->ns_shipped = copy;
		f->ns_n = n;
		atomic_fetch_add_explicit(&f->ns_shipped_total, changed, memory_order_relaxed);
	} else {
		free(copy);
		f->ns_ino = 0; /* look again next cycle */
	}
	return ok;
}

/* ---- the thread ---- */

static bool
stopping(struct fleet *f)
{
	return atomic_load_explicit(&f->stop, memory_order_acquire);
}

static void
disconnect(struct fleet *f)
{
	if (f->db)
		PQfinish(f->db);
	f->db = NULL;
	atomic_store_explicit(&f->db_ok, false, memory_order_relaxed);
}

static bool
connect_db(struct fleet *f)
{
	char err[512];
	char *ci;

	pthread_rwlock_rdlock(&f->c->cfg_lock);
	ci = fleet_conninfo(f->c->cfg, err, sizeof(err));
	pthread_rwlock_unlock(&f->c->cfg_lock);
	f->db = ci ? fleet_connect_ci(ci, err, sizeof(err)) : NULL;
	if (!f->db) {
		set_error(f, "connect", err);
		return false;
	}
	if (fleet_schema_version(f->db) < (int)fleet_n_migrations) {
		set_error(f, "schema", "not current: run `bootstorm db migrate`");
		disconnect(f);
		return false;
	}
	f->ns_ino = 0; /* a new session: compare node states again */
	if (!heartbeat(f) || !sync_segments(f)) {
		disconnect(f);
		return false;
	}
	atomic_store_explicit(&f->db_ok, true, memory_order_relaxed);
	LOG_INFO("fleet", "database reachable; shipping as server '%s'", f->server);
	return true;
}

static void *
ship_main(void *arg)
{
	struct fleet *f = arg;
	uint32_t backoff = BACKOFF_MIN_MS;

	while (!stopping(f)) {
		if (!f->db && !connect_db(f)) {
			/* the database is away: booting goes on; try again later */
			fleet_nap(&f->stop, backoff);
			backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
			continue;
		}
		if (!heartbeat(f) || !ship_leases(f) || !ship_node_states(f)) {
			disconnect(f);
			continue;
		}
		backoff = BACKOFF_MIN_MS;
		atomic_store_explicit(&f->last_ok_ms, bs_real_ms(), memory_order_relaxed);
		fleet_nap(&f->stop, f->ship_ms);
	}
	disconnect(f);
	return NULL;
}

int
fleet_start(struct ctl *c)
{
	const struct cfg *cfg = c->cfg;
	struct fleet *f;
	int rc;

	if (!cfg->fleet_enabled)
		return 0;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->c = c;
	f->batch = cfg->fleet_batch;
	f->ship_ms = cfg->fleet_ship_ms;
	f->evs = calloc(f->batch, sizeof(*f->evs));
	snprintf(f->server, sizeof(f->server), "%s", fleet_server_name(cfg));
	snprintf(f->state_dir, sizeof(f->state_dir), "%s", cfg->state_dir);
	snprintf(f->pos_path, sizeof(f->pos_path), "%s/%s", cfg->state_dir, FLEET_POS_FILE);
	pthread_mutex_init(&f->mu, NULL);
	pos_load(f);
	atomic_store(&f->shipped_seq, f->pos.seq);
	rc = f->evs ? -pthread_create(&f->thr, NULL, ship_main, f) : -ENOMEM;
	if (rc != 0) {
		free(f->evs);
		free(f);
		return rc;
	}
	c->fleet = f;
	LOG_INFO("fleet", "fleet mode: server '%s', outbox at journal seq %" PRIu64, f->server,
		 f->pos.seq);
	if (cfg->fleet_follow && (rc = fleet_follow_start(c, &f->follow)) < 0) {
		fleet_stop(c);
		return rc;
	}
	return 0;
}

void
fleet_stop(struct ctl *c)
{
	struct fleet *f = c->fleet;

	if (!f)
		return;
	fleet_follow_stop(f->follow);
	atomic_store_explicit(&f->stop, true, memory_order_release);
	pthread_join(f->thr, NULL);
	c->fleet = NULL;
	free(f->ns_shipped);
	free(f->evs);
	pthread_mutex_destroy(&f->mu);
	free(f);
}
