/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fleet failover (issue 20): servers sharing a segment (fleet.peers) split
 * its DHCP clients by RFC 3074 hash bucket and its dynamic pools by slice
 * (dataplane/dhcp/dhcp_lb.h).  A thread of control reads the peers'
 * heartbeats (servers.heartbeat, written by the shipper) from PostgreSQL;
 * a peer whose heartbeat is older than fleet.heartbeat_deadline is dead:
 * its bound leases are loaded from the leases table and its buckets dealt
 * out to the survivors (conf/snap_build.h snap_lb_assign), both published
 * in one snapshot generation, so a survivor knows a client's lease before
 * it answers its first packet.  When the peer's heartbeat is fresh again
 * its buckets go back to it.  The database is only read here, off every
 * packet and ACK path; while it is unreachable the last bucket set stays.
 */
#ifndef BS_CONTROL_FLEET_LIVE_H
#define BS_CONTROL_FLEET_LIVE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/snap.h"

struct ctl;

/* Starts the liveness thread when fleet mode has peers (0 and nothing
 * otherwise; 0 and nothing in a build without libpq). */
int fleet_live_start(struct ctl *c);
void fleet_live_stop(struct ctl *c);
/* Called by control's snapshot builder (reload.c) under its publish lock:
 * replaces *s by a copy carrying the current bucket set and adopted
 * leases when the liveness thread changed them; 0 or -errno. */
int fleet_live_decorate(struct ctl *c, struct snap_hdr **s, size_t *len);
/* The RFC 3074 buckets this server serves now: its own and those it took
 * over from dead peers (what the dataplane's split answers), into set.
 * false: no split (no liveness thread: every client of its segments is
 * this server's). */
bool fleet_live_buckets(struct ctl *c, uint8_t set[SNAP_LB_BUCKETS / 8]);
/* "fleet_lb": {peers: [{name, alive}], buckets, adopted} into a status. */
void fleet_live_status_json(struct ctl *c, json_t *status);
/* Monotonic ms at which this thread's last successful heartbeat write was
 * sent (0: none yet, or no failover): the campaign fence reads it. */
uint64_t fleet_live_heartbeat_ms(struct ctl *c);

#endif
