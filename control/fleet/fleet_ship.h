/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The shipper's state (fleet_ship.c), read by fleet_status.c.  The thread
 * owns everything but the atomics and what mu guards.
 */
#ifndef BS_CONTROL_FLEET_SHIP_H
#define BS_CONTROL_FLEET_SHIP_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "control/daemon/nodestate.h"
#include "control/fleet/fleet_pure.h"
#include "shm/shm.h"

struct ctl;
struct fleet_follow;

struct fleet {
	struct ctl *c;
	pthread_t thr;
	_Atomic bool stop;
	char server[64];
	char state_dir[4096];
	char pos_path[4200];
	uint32_t batch, ship_ms;

	/* thread only */
	PGconn *db;
	struct fleet_pos pos;	/* saved: everything before it is in the database */
	struct fleet_pos next;	/* the batch in flight */
	struct lease_event *evs; /* batch buffer */
	uint64_t reconcile_ino;	/* compacted file to reconcile once shipped */
	uint64_t ns_ino, ns_mtime_ns, ns_size; /* the nodestate file last seen */
	struct ns_rec *ns_shipped; /* the records as last shipped */
	size_t ns_n;

	/* read by status/metrics (relaxed: independent gauges) */
	_Atomic bool db_ok;
	_Atomic uint64_t shipped_seq;	/* highest lease seq in the database */
	_Atomic uint64_t shipped;	/* lease events shipped since start */
	_Atomic uint64_t txns;		/* lease transactions committed (batches) */
	_Atomic uint64_t ns_shipped_total; /* node-state rows shipped */
	_Atomic uint64_t errors;
	_Atomic uint64_t last_ship_ms;	/* wall clock of the last shipped batch */
	_Atomic uint64_t last_ok_ms;	/* wall clock of the last good cycle */
	_Atomic uint64_t hb_ok_ms;	/* monotonic ms at which the last successful
					   heartbeat write was sent (fleet_camp_fence) */
	pthread_mutex_t mu;
	char last_error[256];		/* under mu */

	struct fleet_follow *follow;	/* fleet.follow: fleet_follow.h, else NULL */
};

#endif
