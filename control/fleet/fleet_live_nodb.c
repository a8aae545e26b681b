/* SPDX-License-Identifier: BSD-3-Clause
 *
 * fleet_live.h in a build without libpq: no liveness, no takeover; the
 * snapshot keeps the static split of fleet.peers (conf/snap_build.c).
 */
#include "control/fleet/fleet_live.h"

int
fleet_live_start(struct ctl *c)
{
	(void)c;
	return 0;
}

void
fleet_live_stop(struct ctl *c)
{
	(void)c;
}

int
fleet_live_decorate(struct ctl *c, struct snap_hdr **s, size_t *len)
{
	(void)c, (void)s, (void)len;
	return 0;
}

void
fleet_live_status_json(struct ctl *c, json_t *status)
{
	(void)c, (void)status;
}

bool
fleet_live_buckets(struct ctl *c, uint8_t set[SNAP_LB_BUCKETS / 8])
{
	(void)c, (void)set;
	return false;
}
