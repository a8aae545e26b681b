/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What the shipper shows (fleet.h): the "fleet" object of /api/status, the
 * fleet lines of /metrics, and GET /api/fleet.
 */
#include "control/fleet/fleet.h"

#include <stdlib.h>
#include <string.h>

#include "control/daemon/ctl.h"
#include "control/fleet/fleet_follow.h"
#include "control/fleet/fleet_pg.h"
#include "control/fleet/fleet_ship.h"

static uint64_t
backlog(struct fleet *f)
{
	/* the journal's own gauge: current even while the shipper waits */
	uint64_t d = atomic_load_explicit(&f->c->journal.st.durable_seq, memory_order_relaxed);
	uint64_t s = atomic_load_explicit(&f->shipped_seq, memory_order_relaxed);

	/* journal seqs are consecutive: the difference counts events */
	return d > s ? d - s : 0;
}

#define J(v) json_integer((json_int_t)atomic_load_explicit(&(v), memory_order_relaxed))

/* "live": listening, the snapshot follows the database; "stale": the
 * database is unreachable, the last snapshot is served as it is. */
static json_t *
follow_json(struct fleet_follow *w)
{
	json_t *o = json_object();
	bool up = atomic_load_explicit(&w->db_ok, memory_order_relaxed);

	json_object_set_new(o, "state", json_string(up ? "live" : "stale"));
	json_object_set_new(o, "inventory", json_boolean(w->inv_path[0] != '\0'));
	json_object_set_new(o, "change_seq", J(w->seq));
	json_object_set_new(o, "nodes", J(w->inv_nodes));
	json_object_set_new(o, "queries", J(w->queries));
	json_object_set_new(o, "notifications", J(w->notifies));
	json_object_set_new(o, "batches", J(w->batches));
	json_object_set_new(o, "resyncs", J(w->resyncs));
	json_object_set_new(o, "states_applied", J(w->states_applied));
	json_object_set_new(o, "inventory_changes", J(w->inv_changes));
	json_object_set_new(o, "last_sync_ms", J(w->last_sync_ms));
	json_object_set_new(o, "last_apply_us", J(w->last_apply_us));
	json_object_set_new(o, "last_published_ms", J(w->last_published_ms));
	json_object_set_new(o, "last_notify_publish_us", J(w->last_notify_publish_us));
	json_object_set_new(o, "last_files_us", J(w->last_files_us));
	json_object_set_new(o, "last_publish_us", J(w->last_publish_us));
	pthread_mutex_lock(&w->mu);
	json_object_set_new(o, "last_error", json_string(w->last_error));
	pthread_mutex_unlock(&w->mu);
	return o;
}

void
fleet_status_json(struct ctl *c, json_t *status)
{
	struct fleet *f = c->fleet;
	json_t *o = json_object();
	uint64_t last;

	json_object_set_new(o, "enabled", json_boolean(f != NULL));
	if (f) {
		bool up = atomic_load_explicit(&f->db_ok, memory_order_relaxed);

		json_object_set_new(o, "server", json_string(f->server));
		json_object_set_new(o, "database", json_string(up ? "reachable" : "unreachable"));
		json_object_set_new(o, "database_ok", json_boolean(up));
		json_object_set_new(o, "backlog", json_integer((json_int_t)backlog(f)));
		json_object_set_new(o, "shipped_seq", json_integer((json_int_t)atomic_load(&f->shipped_seq)));
		json_object_set_new(o, "shipped", json_integer((json_int_t)atomic_load(&f->shipped)));
		json_object_set_new(o, "transactions", json_integer((json_int_t)atomic_load(&f->txns)));
		json_object_set_new(o, "node_states_shipped",
				    json_integer((json_int_t)atomic_load(&f->ns_shipped_total)));
		json_object_set_new(o, "errors", json_integer((json_int_t)atomic_load(&f->errors)));
		last = atomic_load(&f->last_ship_ms);
		json_object_set_new(o, "last_shipped_ms", json_integer((json_int_t)last));
		pthread_mutex_lock(&f->mu);
		json_object_set_new(o, "last_error", json_string(f->last_error));
		pthread_mutex_unlock(&f->mu);
		if (f->follow)
			json_object_set_new(o, "follow", follow_json(f->follow));
	}
	json_object_set_new(status, "fleet", o);
}

size_t
fleet_metrics(struct ctl *c, char *buf, size_t cap)
{
	struct fleet *f = c->fleet;
	int n;

	if (!f || cap == 0) {
		if (cap)
			buf[0] = '\0';
		return 0;
	}
	n = snprintf(buf, cap,
		     "# HELP bootstorm_fleet_db_up 1 while the fleet database is reachable\n"
		     "# TYPE bootstorm_fleet_db_up gauge\n"
		     "bootstorm_fleet_db_up %d\n"
		     "# HELP bootstorm_fleet_outbox_backlog lease events durable here, not yet in the database\n"
		     "# TYPE bootstorm_fleet_outbox_backlog gauge\n"
		     "bootstorm_fleet_outbox_backlog %llu\n"
		     "# HELP bootstorm_fleet_shipped_total lease events shipped to the database\n"
		     "# TYPE bootstorm_fleet_shipped_total counter\n"
		     "bootstorm_fleet_shipped_total %llu\n"
		     "# HELP bootstorm_fleet_transactions_total lease batches committed (database round trips of the outbox)\n"
		     "# TYPE bootstorm_fleet_transactions_total counter\n"
		     "bootstorm_fleet_transactions_total %llu\n"
		     "# HELP bootstorm_fleet_errors_total database errors of the shipper\n"
		     "# TYPE bootstorm_fleet_errors_total counter\n"
		     "bootstorm_fleet_errors_total %llu\n"
		     "# HELP bootstorm_fleet_last_shipped_seconds wall clock of the last shipped batch\n"
		     "# TYPE bootstorm_fleet_last_shipped_seconds gauge\n"
		     "bootstorm_fleet_last_shipped_seconds %.3f\n",
		     atomic_load(&f->db_ok) ? 1 : 0, (unsigned long long)backlog(f),
		     (unsigned long long)atomic_load(&f->shipped),
		     (unsigned long long)atomic_load(&f->txns),
		     (unsigned long long)atomic_load(&f->errors),
		     (double)atomic_load(&f->last_ship_ms) / 1000.0);
	if (n < 0)
		return 0;
	if ((size_t)n < cap && f->follow) {
		struct fleet_follow *w = f->follow;
		int m = snprintf(buf + n, cap - (size_t)n,
				 "# HELP bootstorm_fleet_follow_live 1 while the snapshot follows the database (0: stale, last snapshot served)\n"
				 "# TYPE bootstorm_fleet_follow_live gauge\n"
				 "bootstorm_fleet_follow_live %d\n"
				 "# HELP bootstorm_fleet_follow_change_seq highest database change sequence applied here\n"
				 "# TYPE bootstorm_fleet_follow_change_seq gauge\n"
				 "bootstorm_fleet_follow_change_seq %llu\n"
				 "# HELP bootstorm_fleet_follow_queries_total database round trips of the follower (none per packet)\n"
				 "# TYPE bootstorm_fleet_follow_queries_total counter\n"
				 "bootstorm_fleet_follow_queries_total %llu\n"
				 "# HELP bootstorm_fleet_follow_states_applied_total node states taken from the database\n"
				 "# TYPE bootstorm_fleet_follow_states_applied_total counter\n"
				 "bootstorm_fleet_follow_states_applied_total %llu\n",
				 atomic_load(&w->db_ok) ? 1 : 0, (unsigned long long)atomic_load(&w->seq),
				 (unsigned long long)atomic_load(&w->queries),
				 (unsigned long long)atomic_load(&w->states_applied));
		if (m > 0)
			n += m;
	}
	return (size_t)n >= cap ? cap - 1 : (size_t)n;
}

json_t *
fleet_api_view(struct ctl *c, const char **err)
{
	static _Thread_local char msg[512];
	unsigned deadline;
	PGconn *db = fleet_api_connect(c, &deadline, msg, sizeof(msg));
	json_t *j = db ? fleet_view_json(db, deadline, msg, sizeof(msg)) : NULL;

	if (db)
		PQfinish(db);
	*err = msg;
	return j;
}
