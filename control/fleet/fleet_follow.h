/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The follower of fleet mode (fleet_follow.c): a thread of control with its
 * own PostgreSQL session that LISTENs on bootstorm_fleet and keeps this
 * server's part of the inventory (fleet.inventory, a CSV the config loader
 * reads; the normal reload publishes it) and its nodes' boot states (the
 * node-state store; one patched snapshot generation per batch) equal to
 * the database.  Read by fleet_status.c.
 */
#ifndef BS_CONTROL_FLEET_FOLLOW_H
#define BS_CONTROL_FLEET_FOLLOW_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "control/fleet/fleet_inv.h"

struct ctl;

struct fleet_follow {
	struct ctl *c;
	pthread_t thr;
	_Atomic bool stop;
	char server[64];
	char inv_path[4096];	/* "" = node states only */

	/* thread only */
	PGconn *db;
	uint64_t inv_seq, st_seq; /* highest change_seq applied (watermarks) */
	bool synced;		/* a full read happened in this process */
	struct fleet_inv inv;
	uint64_t notified_ns;	/* when the last notification came (mono) */

	/* read by status/metrics */
	_Atomic bool db_ok;		/* connected and listening */
	_Atomic uint64_t queries;	/* database round trips of the follower */
	_Atomic uint64_t notifies;	/* notifications received */
	_Atomic uint64_t batches;	/* syncs that changed something here */
	_Atomic uint64_t states_applied; /* node-state rows taken */
	_Atomic uint64_t inv_changes;	/* inventory rows added/changed/removed */
	_Atomic uint64_t resyncs;	/* full reads (start, reset database) */
	_Atomic uint64_t seq;		/* max(inv_seq, st_seq) */
	_Atomic uint64_t inv_nodes;	/* rows of this server's part */
	_Atomic uint64_t last_sync_ms;	/* wall clock of the last good sync */
	_Atomic uint64_t last_apply_us;	/* last state batch: read + store */
	_Atomic uint64_t last_published_ms; /* wall clock of the last state batch's generation */
	_Atomic uint64_t last_notify_publish_us; /* notification -> generation published */
	_Atomic uint64_t last_files_us;	/* last state batch: boot files */
	_Atomic uint64_t last_publish_us; /* last state batch: snapshot patch + publish */
	pthread_mutex_t mu;
	char last_error[256];		/* under mu */
};

/* Started by fleet_start when fleet.follow; 0 or -errno. */
int fleet_follow_start(struct ctl *c, struct fleet_follow **out);
void fleet_follow_stop(struct fleet_follow *f);

#endif
