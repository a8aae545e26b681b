/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Accessors of the running control state (control/daemon/ctl.h) that the
 * daemon's files share: counter sums, HTTP status counts, rates, and the
 * shared region it is built on.
 */
#include "control/daemon/ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/snap_build.h"
#include "control/log.h"
#include "shm/counters.h"

#define SHM_RING_SIZE 16384u
#define SLOT_MIN      (1ull << 20) /* small: a bigger snapshot opens a snapshot area */

uint64_t
ctl_counter(const struct ctl *c, unsigned id)
{
	uint64_t sum = 0;

	if (!c->have_region || id >= BS_CTR_MAX)
		return 0;
	for (unsigned w = 0; w < c->region.hdr->max_workers; w++) {
		_Atomic uint64_t *ctr = shm_worker_counters(&c->region, w);

		/* relaxed: each counter has one writer; a value one step old is fine */
		if (ctr)
			sum += atomic_load_explicit(&ctr[id], memory_order_relaxed);
	}
	return sum;
}

void
ctl_http_count(struct ctl *c, unsigned status)
{
	unsigned idx;

	switch (status) {
#define X(code)                      \
	case code:                   \
		idx = HTTP_IDX_##code; \
		break;
		HTTP_CODE_LIST(X)
#undef X
	default:
		idx = HTTP_IDX_OTHER;
	}
	atomic_fetch_add_explicit(&c->http_by_code[idx], 1, memory_order_relaxed);
}

void
ctl_sample_rates(struct ctl *c)
{
	uint64_t now = bs_mono_ms(), cur[3];
	double dt;

	cur[0] = ctl_counter(c, BS_CTR_DHCP_TX);
	cur[1] = ctl_counter(c, BS_CTR_TFTP_PAYLOAD_BYTES);
	cur[2] = 0;
	for (unsigned i = 0; i < HTTP_IDX_MAX; i++)
		cur[2] += atomic_load_explicit(&c->http_by_code[i], memory_order_relaxed);
	dt = (double)(now - c->rate_last_ms) / 1000.0;
	if (c->rate_last_ms && dt > 0) {
		pthread_mutex_lock(&c->rate_mu);
		c->rate_dhcp = (double)(cur[0] - c->rate_last[0]) / dt;
		c->rate_tftp_bytes = (double)(cur[1] - c->rate_last[1]) / dt;
		c->rate_http = (double)(cur[2] - c->rate_last[2]) / dt;
		pthread_mutex_unlock(&c->rate_mu);
	}
	memcpy(c->rate_last, cur, sizeof(cur));
	c->rate_last_ms = now;
}

/* A slot holds one snapshot; four times today's leaves room for reloads
 * that grow the config (a bigger one goes into a snapshot area). */
static uint64_t
slot_size_for(const struct cfg *cfg)
{
	struct snap_hdr *s = NULL;
	size_t len = 0;
	uint64_t sz = SLOT_MIN;

	if (snap_build(cfg, 1, &s, &len) == 0)
		sz = shm_slot_size_for(len, SLOT_MIN);
	free(s);
	return sz;
}

int
ctl_open_region(struct ctl *c, const struct cfg *cfg, bool *reused)
{
	struct shm_create_params p = {
		.instance = cfg->instance,
		.max_workers = cfg->workers ? cfg->workers : 1,
		.ring_size = SHM_RING_SIZE,
		.lease_cap = cfg->max_leases,
		.slot_size = slot_size_for(cfg),
	};
	int rc = shm_create(&c->region, &p, reused);

	if (rc < 0) {
		LOG_ERR("serve", "shared region for instance %s: %s",
			cfg->instance ? cfg->instance : SHM_DEFAULT_INSTANCE, strerror(-rc));
		return rc;
	}
	c->have_region = true;
	LOG_INFO("serve", "%s region %s (%llu bytes)", *reused ? "re-attached to" : "created",
		 c->region.name, (unsigned long long)c->region.size);
	return 0;
}
