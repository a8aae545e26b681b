/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The journal thread (control/daemon/jthread.h).
 */
#include "control/daemon/jthread.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "control/log.h"
#include "shm/jwake.h"

#define BOOT_BURST 64u
/* Idle sleep (no event, nothing to commit): 1 ms after work, doubling to
 * 100 ms.  A lease event ends the sleep at once (the dataplane kicks the
 * doorbell, shm/jwake.h); the bound only delays the boot and discovery
 * rings (16,384 and 1,024 slots per worker) and compaction. */
#define IDLE_MIN_US 1000u
#define IDLE_MAX_US 100000u

static void
publish_durable(struct ctl *c)
{
	struct shm_hdr *h = c->region.hdr;
	uint64_t d = c->journal.durable_seq;

	/* release: the dataplane's acquire load of durable_seq must see the
	 * journal state it covers; and it never moves backwards */
	if (d > atomic_load_explicit(&h->durable_seq, memory_order_relaxed))
		atomic_store_explicit(&h->durable_seq, d, memory_order_release);
	atomic_store_explicit(&h->journal_ok, atomic_load(&c->journal.st.ok), memory_order_relaxed);
}

static size_t
drain_boot(struct ctl *c)
{
	struct boot_event evs[BOOT_BURST];
	size_t total = 0;

	for (unsigned w = 0; w < c->region.hdr->max_workers; w++) {
		void *ring = shm_boot_ring(&c->region, w);
		unsigned got;

		if (!ring)
			continue;
		do {
			got = rte_ring_sc_dequeue_burst_elem(ring, evs, sizeof(evs[0]), BOOT_BURST, NULL);
			for (unsigned i = 0; i < got; i++)
				bv_event(&c->bv, &evs[i]);
			total += got;
		} while (got == BOOT_BURST);
	}
	if (total)
		atomic_fetch_add_explicit(&c->boot_events, total, memory_order_relaxed);
	return total;
}

static bool
lease_rings_empty(void *const *rings, unsigned nr)
{
	for (unsigned w = 0; w < nr; w++)
		if (rings[w] && !rte_ring_empty(rings[w]))
			return false;
	return true;
}

/* Sleeps up to us while nothing is queued; returns the next idle sleep. */
static uint32_t
idle_wait(struct ctl *c, void *const *rings, unsigned nr, uint32_t us)
{
	struct shm_hdr *h = c->region.hdr;
	uint32_t seen = shm_jwake_arm(h);

	/* checked after arming: an event or stop that came before it is seen
	 * here, one after it kicks the futex (shm/jwake.h) */
	if (!lease_rings_empty(rings, nr) || atomic_load_explicit(&c->stop, memory_order_seq_cst))
		us = 0;
	if (shm_jwake_wait(h, seen, us))
		return IDLE_MIN_US;
	return us * 2 < IDLE_MAX_US ? us * 2 : IDLE_MAX_US;
}

static void *
journal_main(void *arg)
{
	struct ctl *c = arg;
	void *rings[SHM_MAX_WORKERS] = { 0 };
	unsigned nr = c->region.hdr->max_workers;
	uint64_t first_pending = 0, retry_at = 0;
	uint32_t idle_us = IDLE_MIN_US;

	for (unsigned w = 0; w < nr; w++)
		rings[w] = shm_lease_ring(&c->region, w);
	for (;;) {
		bool stopping = atomic_load_explicit(&c->stop, memory_order_acquire);
		size_t n = journal_drain_rings(&c->journal, rings, nr);
		uint64_t now = bs_mono_ms();

		n += drain_boot(c);
		n += disc_drain(&c->disc, &c->region);
		if (c->journal.buf_len && !first_pending)
			first_pending = now;
		/* Group commit: one fdatasync covers everything drained within
		 * the window (or sooner when the in-memory queue fills). */
		if (c->journal.buf_len && now >= retry_at &&
		    (stopping || now - first_pending >= c->commit_ms ||
		     c->journal.n_pending >= c->journal.max_pending / 2)) {
			if (journal_commit(&c->journal) == 0) {
				first_pending = 0;
				publish_durable(c);
				journal_maybe_compact(&c->journal);
			} else {
				publish_durable(c); /* journal_ok = 0 */
				retry_at = now + 100;
			}
		} else if (!c->journal.buf_len) {
			journal_maybe_compact(&c->journal);
		}
		if (stopping && (!c->journal.buf_len || now >= retry_at + 2000))
			break;
		if (n != 0)
			idle_us = IDLE_MIN_US;
		else if (c->journal.buf_len)
			usleep(200); /* inside the group-commit window */
		else
			idle_us = idle_wait(c, rings, nr, idle_us);
	}
	return NULL;
}

static void
rebuild_one(const struct lease_event *ev, void *arg)
{
	struct ctl *c = arg;

	if (lease_apply_event(shm_leases(&c->region), ev) == -ENOSPC)
		LOG_WARN("journal", "shared lease table full while rebuilding");
}

int
jthread_open(struct ctl *c, const struct cfg *cfg, bool reused)
{
	struct journal_params p = {
		.dir = cfg->state_dir,
		.lease_cap = cfg->max_leases,
		.on_replay = reused ? NULL : rebuild_one,
		.arg = c,
	};
	int rc = journal_open(&c->journal, &p);

	if (rc < 0)
		return rc;
	c->have_journal = true;
	if (reused) {
		/* the dataplane kept the table: catch up on what it did while we
		 * were down, including events a killed control had dequeued */
		rc = journal_reconcile(&c->journal, shm_leases(&c->region));
		if (rc < 0)
			LOG_ERR("journal", "reconcile: %s", strerror(-rc));
	} else {
		LOG_INFO("journal", "lease table rebuilt: %u bound", atomic_load(&shm_leases(&c->region)->bound));
	}
	publish_durable(c);
	return 0;
}

int
jthread_start(struct ctl *c)
{
	int rc = pthread_create(&c->jthr, NULL, journal_main, c);

	if (rc != 0)
		return -rc;
	c->jthr_live = true;
	return 0;
}

void
jthread_stop(struct ctl *c)
{
	if (c->jthr_live) {
		/* c->stop is set: end its idle sleep now */
		if (c->have_region)
			shm_jwake_kick(c->region.hdr);
		pthread_join(c->jthr, NULL);
	}
	c->jthr_live = false;
	if (c->have_journal) {
		journal_commit(&c->journal);
		if (c->have_region)
			publish_durable(c);
		journal_close(&c->journal);
		c->have_journal = false;
	}
}
