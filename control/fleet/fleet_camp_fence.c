/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The fleet campaign fence (fleet_camp_fence.h): a thread of its own, so
 * that an agent blocked on a database that does not answer cannot delay
 * it.  Lock order: x->mu, then the campaign host's lock (camps_fleet_*).
 */
#include "control/fleet/fleet_camp_fence.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "control/daemon/campaigns.h"
#include "control/daemon/ctl.h"
#include "control/fleet/fleet.h"
#include "control/fleet/fleet_live.h"
#include "control/fleet/fleet_pg.h"
#include "control/fleet/fleet_pure.h"
#include "control/fleet/fleet_ship.h"
#include "control/log.h"
#include "util/bs_time.h"

#define FENCE_EVERY_MS 100u
#define MAX_SHARES 64u

struct fleet_fence {
	struct ctl *c;
	pthread_t thr;
	_Atomic bool stop;
	uint32_t deadline_ms;
	pthread_mutex_t mu; /* guards what follows */
	bool fenced;
	enum fleet_fence_why why;
	uint64_t fences;
};

/* Monotonic ms the newest successful heartbeat write was sent (0: none). */
static uint64_t
hb_sent(struct ctl *c)
{
	uint64_t a = c->fleet ? atomic_load_explicit(&c->fleet->hb_ok_ms, memory_order_acquire) : 0;
	uint64_t b = fleet_live_heartbeat_ms(c);

	return a > b ? a : b;
}

static void
hold_all(struct ctl *c, bool hold)
{
	char ids[MAX_SHARES][32];
	uint32_t held, n = camps_fleet_ids(c, ids, MAX_SHARES, &held);

	for (uint32_t i = 0; i < n; i++)
		camps_fleet_hold(c, ids[i], hold);
}

static void
check(struct fleet_fence *x)
{
	enum fleet_fence_why why = fleet_camp_fence(bs_mono_ms(), hb_sent(x->c), x->deadline_ms);
	bool newly = false;

	if (why == FLEET_FENCE_NONE)
		return;
	pthread_mutex_lock(&x->mu);
	newly = !x->fenced;
	x->fenced = true;
	x->why = why;
	x->fences += newly;
	hold_all(x->c, true); /* every time: shares opened since are held too */
	pthread_mutex_unlock(&x->mu);
	if (newly)
		LOG_WARN("fleet", "campaigns: fenced (%s): no BMC operation for fleet campaign "
				  "nodes until a heartbeat is written and the claims re-read",
			 fleet_fence_reason(why));
}

static void *
fence_main(void *arg)
{
	struct fleet_fence *x = arg;

	while (!atomic_load_explicit(&x->stop, memory_order_acquire)) {
		check(x);
		fleet_nap(&x->stop, FENCE_EVERY_MS);
	}
	return NULL;
}

struct fleet_fence *
fleet_fence_start(struct ctl *c, uint32_t deadline_s)
{
	struct fleet_fence *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->c = c;
	x->deadline_ms = deadline_s * 1000u;
	pthread_mutex_init(&x->mu, NULL);
	check(x); /* fenced from the start until a heartbeat is written */
	if (pthread_create(&x->thr, NULL, fence_main, x)) {
		pthread_mutex_destroy(&x->mu);
		free(x);
		return NULL;
	}
	return x;
}

void
fleet_fence_stop(struct fleet_fence *x)
{
	if (!x)
		return;
	atomic_store_explicit(&x->stop, true, memory_order_release);
	pthread_join(x->thr, NULL);
	pthread_mutex_destroy(&x->mu);
	free(x);
}

enum fleet_fence_state
fleet_fence_state(struct fleet_fence *x)
{
	enum fleet_fence_why now = fleet_camp_fence(bs_mono_ms(), hb_sent(x->c), x->deadline_ms);
	bool fenced;

	pthread_mutex_lock(&x->mu);
	fenced = x->fenced;
	pthread_mutex_unlock(&x->mu);
	if (!fenced)
		return now == FLEET_FENCE_NONE ? FENCE_OPEN : FENCE_HELD;
	return now == FLEET_FENCE_NONE ? FENCE_LIFTABLE : FENCE_HELD;
}

void
fleet_fence_lift(struct fleet_fence *x)
{
	bool lifted = false;

	pthread_mutex_lock(&x->mu);
	if (x->fenced &&
	    fleet_camp_fence(bs_mono_ms(), hb_sent(x->c), x->deadline_ms) == FLEET_FENCE_NONE) {
		x->fenced = false;
		hold_all(x->c, false);
		lifted = true;
	}
	pthread_mutex_unlock(&x->mu);
	if (lifted)
		LOG_INFO("fleet", "campaigns: fence lifted (heartbeat written, claims re-read)");
}

void
fleet_fence_release(struct fleet_fence *x, const char *id)
{
	pthread_mutex_lock(&x->mu);
	if (!x->fenced)
		camps_fleet_hold(x->c, id, false);
	pthread_mutex_unlock(&x->mu);
}

void
fleet_fence_json(struct fleet_fence *x, json_t *obj)
{
	uint64_t hb = hb_sent(x->c), now = bs_mono_ms();
	const char *why;
	bool fenced;
	uint64_t n;

	pthread_mutex_lock(&x->mu);
	fenced = x->fenced;
	why = fenced ? fleet_fence_reason(x->why) : NULL;
	n = x->fences;
	pthread_mutex_unlock(&x->mu);
	json_object_set_new(obj, "fenced", json_boolean(fenced));
	json_object_set_new(obj, "fence_reason", why ? json_string(why) : json_null());
	json_object_set_new(obj, "fences", json_integer((json_int_t)n));
	json_object_set_new(obj, "heartbeat_age_ms",
			    hb ? json_integer((json_int_t)(now > hb ? now - hb : 0)) : json_null());
}
