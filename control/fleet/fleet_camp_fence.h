/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The fleet campaign fence (fleet_camp_fence.c; README "Fleet-wide
 * campaigns: the agent"): a thread that, every FENCE_EVERY_MS, compares
 * the time the last successful heartbeat write was sent (the shipper's
 * and failover's, whichever is newer) with fleet.heartbeat_deadline
 * (fleet_camp_fence()).  Fenced, it holds every fleet share (camp.hold:
 * no tick, so no power-on, PXE-once, re-power or deadline); nodes already
 * powered go on (DHCP, install and reports need no BMC).  It never lifts
 * the fence itself: the agent does, after a round that re-read its claims
 * with the heartbeat fresh again (fleet_fence_lift).
 */
#ifndef BS_CONTROL_FLEET_CAMP_FENCE_H
#define BS_CONTROL_FLEET_CAMP_FENCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct ctl;
struct fleet_fence;

enum fleet_fence_state {
	FENCE_OPEN,	/* not fenced */
	FENCE_HELD,	/* fenced, heartbeat still stale */
	FENCE_LIFTABLE, /* fenced, heartbeat fresh again: lift after a round */
};

/* NULL: out of memory or no thread. */
struct fleet_fence *fleet_fence_start(struct ctl *c, uint32_t deadline_s);
void fleet_fence_stop(struct fleet_fence *x);
enum fleet_fence_state fleet_fence_state(struct fleet_fence *x);
/* Lifts the fence (releases every share's hold) when the heartbeat is
 * still fresh; the caller has just re-read its claims. */
void fleet_fence_lift(struct fleet_fence *x);
/* Releases share id's hold unless fenced (then it stays held until the
 * lift). */
void fleet_fence_release(struct fleet_fence *x, const char *id);
/* fenced, fence_reason, fences, heartbeat_age_ms into obj. */
void fleet_fence_json(struct fleet_fence *x, json_t *obj);

#endif
