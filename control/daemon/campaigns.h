/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The daemon's campaign host: the reimage campaigns of a running control
 * process (control/campaign's pure engine, control/power's camp_bmc glue).
 *
 *   where     <state_dir>/campaigns/<id>, one camp_save file each (tmp,
 *             fsync, rename, dir fsync).  A new campaign is saved before
 *             the API answers; later stage changes are saved by the next
 *             tick (<= 100 ms), an installer's report at once.
 *   clock     one thread: BMC answers (camp_bmc_drain), then camp_tick,
 *             every 100 ms or when the next token is whole; no I/O: node
 *             states are staged, and the outbox thread (camp_out.c) saves
 *             them (before the BMC ops it then sends), writes boot files,
 *             starts SOL captures and saves the campaigns.
 *   inputs    DHCP DISCOVER of a campaign node's MAC (bootview's hook: a
 *             booting client discovers; a running one only renews) ->
 *             camp_on_dhcp; fetches -> camp_on_progress ("tftp", "http", or
 *             "kernel" for a kernel/initrd file, "kickstart"); done/failed
 *             (bootroutes_report) -> camp_on_report.
 *   outputs   set_boot -> nodestate install (with the campaign's profile),
 *             then the node's boot files; power -> camp_bmc (BMC threads).
 *   resume    at start every file is loaded; unfinished campaigns go on
 *             (their deadlines are wall-clock times).  A node whose
 *             nodestate moved to local/failed after its campaign stage
 *             (a report whose campaign save a crash lost) takes that result.
 *
 * Locks: cfg_lock (read) -> host mutex -> nodestate mutex, in that order,
 * everywhere.  The bootview hook takes the host mutex only.
 */
#ifndef BS_CONTROL_CAMPAIGNS_H
#define BS_CONTROL_CAMPAIGNS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "control/campaign/campaign.h"
#include "control/daemon/ctl.h"

/* Loads <state_dir>/campaigns and starts the tick thread.  0 or -errno. */
int camps_start(struct ctl *c);
void camps_stop(struct ctl *c);

/* bootview's hook (any thread): a boot event of the client with mac. */
void camps_on_boot(void *ctx, const uint8_t mac[6], uint8_t stage, const char *file);
/* The installer's report of node (caller holds cfg_lock for reading). */
void camps_on_report(struct ctl *c, const char *node, bool ok, const char *reason);

/* A new campaign over the node set expr (ns_select forms); profile ""/NULL
 * = each node's YAML profile.  Saved before it returns.  0 with id set,
 * or an HTTP status (400, 404, 409, 500) with msg set. */
int camps_create(struct ctl *c, const char *expr, const char *profile,
		 const struct camp_params *p, char *id, size_t id_cap, char *msg, size_t msg_cap);
/* cancel / retry-failed of campaign id: 0, 404 when there is none. */
int camps_cancel(struct ctl *c, const char *id);
int camps_retry(struct ctl *c, const char *id, uint32_t *n);

/* {"campaigns": [...]} without nodes, or one campaign with its nodes
 * (NULL: no such campaign). */
json_t *camps_list_json(struct ctl *c);
json_t *camps_one_json(struct ctl *c, const char *id);

/* ---- shares of fleet campaigns (control/fleet/fleet_camp.c) -------------
 * One hosted campaign per fleet campaign, id = the agent's local name for
 * it, its nodes the ones this server claimed.  All return -ENOENT when the
 * host or the campaign is missing. */
struct camps_fnode {
	char name[64];
	uint8_t stage;		/* enum camp_stage */
	uint32_t attempts;
	uint64_t since_ms;
	char inst_stage[24];
	char reason[160];
};

/* The share id: created (no nodes, p, profile ""/NULL = the YAML's) when
 * there is none, else its pace set to p's rate and in-flight.  *held: the
 * share waits for its claims to be re-read (loaded from disk at start).
 * 0 or -errno. */
int camps_fleet_open(struct ctl *c, const char *id, const struct camp_params *p,
		     const char *profile, bool *held);
/* Claimed nodes join (camp_add) or dropped nodes leave (camp_drop); the
 * MAC index is rebuilt and the file saved.  Returns how many changed. */
long camps_fleet_add(struct ctl *c, const char *id, const char *const *names, uint32_t n);
long camps_fleet_drop(struct ctl *c, const char *id, const char *const *names, uint32_t n);
/* Held shares start nothing (camp.hold). */
int camps_fleet_hold(struct ctl *c, const char *id, bool hold);
/* A copy of the share's nodes (not the dropped ones): *out malloc'd, the
 * caller frees it.  0 or -errno. */
int camps_fleet_read(struct ctl *c, const char *id, struct camps_fnode **out, uint32_t *n);
/* Ids of the hosted fleet shares that are unfinished or held (those
 * loaded from disk included): up to cap, returns the count; *held: how
 * many of them are held. */
uint32_t camps_fleet_ids(struct ctl *c, char (*ids)[32], uint32_t cap, uint32_t *held);

/* The campaign params of cfg's power: section (rate, in flight, deadlines). */
void camps_default_params(const struct cfg *cfg, struct camp_params *p);

#endif
