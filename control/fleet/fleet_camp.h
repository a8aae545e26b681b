/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The fleet campaign agent (fleet_camp.c; FLEETCAMP.md): a thread of each
 * server's control, in fleet mode with power.credentials_file, that runs
 * this server's share of every running fleet-wide campaign.
 *
 *   claim     a fleet campaign node is run by the server that answers its
 *             DHCP: a node of this server's inventory whose MAC's RFC 3074
 *             bucket it serves now (fleet_live_buckets: its own and those
 *             taken over from dead peers; every bucket without fleet.peers).
 *             Unclaimed or orphaned rows (claimant's heartbeat older than
 *             fleet.heartbeat_deadline) are claimed in one set-based UPDATE
 *             ... RETURNING; a taken-over node starts again from queued.
 *   run       one local hosted campaign per fleet campaign (campaigns.h
 *             camps_fleet_*), nodes added as they are claimed.
 *   release   a node not yet seen on the network (queued, powering,
 *             waiting-dhcp) whose bucket moved away (its peer returned)
 *             leaves the share and goes back to server NULL, queued: the
 *             server answering it now claims it.  A node past its DHCP
 *             stays: this server holds its lease and gets its report.
 *   write     every ~2 s (and at once on NOTIFY bootstorm_campaign) the
 *             share's stages are written in one UPDATE (WHERE server = me,
 *             changed rows only); a campaign with no unfinished node is
 *             marked finished.
 *   pace      rate and in-flight per server from fleet_camp_share(), n =
 *             live servers with unfinished claimed nodes, every round.
 *   local     with the database down the nodes in flight go on (their
 *   first     files are the durability point) and are written back when it
 *             returns; queued ones wait (the fence).
 *   fence     a server whose last successful heartbeat write was sent
 *             heartbeat_deadline / 2 ago holds its shares: no BMC operation
 *             (fleet_camp_fence.h); lifted after a round that re-read its
 *             claims with the heartbeat fresh again.
 *   resume    a share loaded from disk at start is held until its claims
 *             were re-read once: nodes a survivor took meanwhile are
 *             dropped first.
 */
#ifndef BS_CONTROL_FLEET_CAMP_H
#define BS_CONTROL_FLEET_CAMP_H

#include <jansson.h>

struct ctl;

/* Starts the agent when fleet mode is on and power.credentials_file is
 * set (0 and nothing otherwise, and in a build without libpq).  0/-errno. */
int fleet_camp_start(struct ctl *c);
void fleet_camp_stop(struct ctl *c);
/* "fleet_campaigns": {claimed, released, running, written_back, rounds,
 * last_round_ms, database, held, fenced, fence_reason, fences,
 * heartbeat_age_ms} into a status object. */
void fleet_camp_status_json(struct ctl *c, json_t *status);

#endif
