/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What the shipper shows (fleet.h): the "fleet" object of /api/status, the
 * fleet lines of /metrics, and GET /api/fleet.
 */
#include "control/fleet/fleet.h"

#include <stdlib.h>
#include <string.h>

#include "control/daemon/ctl.h"
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
	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

json_t *
fleet_api_view(struct ctl *c, const char **err)
{
	static _Thread_local char msg[512];
	unsigned deadline;
	PGconn *db;
	json_t *j;
	char *ci;

	pthread_rwlock_rdlock(&c->cfg_lock);
	ci = c->cfg->fleet_database ? fleet_conninfo(c->cfg, msg, sizeof(msg)) : NULL;
	if (!c->cfg->fleet_database)
		snprintf(msg, sizeof(msg), "fleet mode is not configured (fleet.database)");
	deadline = c->cfg->fleet_deadline_s;
	pthread_rwlock_unlock(&c->cfg_lock);
	/* its own short connection: the shipper's is its thread's alone */
	db = ci ? fleet_connect_ci(ci, msg, sizeof(msg)) : NULL;
	j = db ? fleet_view_json(db, deadline, msg, sizeof(msg)) : NULL;
	if (db)
		PQfinish(db);
	*err = msg;
	return j;
}
