/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Adaptive idle poll.  A lock-step TFTP client (PXE firmware: one DATA, wait
 * for its ACK, RFC 1350 section 2) answers within tens of microseconds; a
 * fixed sleep after a few empty polls made every block wait out the sleep
 * plus the timer slack.  So: after any work, spin (rte_pause) for
 * IDLE_SPIN_US of wall time; only then sleep, starting short and doubling up
 * to idle_sleep_us.  After IDLE_DEEP_US without any work the sleep grows to
 * IDLE_DEEP_X times idle_sleep_us (default 500 us): the first packet after a
 * quiet spell waits at most that, and the spin window takes over from the
 * second on.  idle_sleep_us 0 is busy polling.
 * The worker thread's timer slack is cut to 1 us so the short sleeps are
 * short (the default 50 us slack doubles a 50 us sleep).
 */
#include <sys/prctl.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_pause.h>

#include "dataplane/dp.h"
#include "dataplane/wrk.h"
#include "shm/counters.h"

#define IDLE_SPIN_US	 250	/* spin this long after the last work */
#define IDLE_SPIN_MIN	 64	/* ...and at least this many empty polls */
#define IDLE_FIRST_US	 5	/* first sleep; doubles up to idle_sleep_us */
#define IDLE_DEEP_US	 100000	/* quiet this long: deep sleep */
#define IDLE_DEEP_X	 10	/* deep sleep = this x idle_sleep_us */

struct idle_state {
	uint64_t last_work_tsc;
	unsigned empty;
	uint32_t sleep_us;
	bool slack_set;
} __rte_cache_aligned;

static struct idle_state s_idle[RTE_MAX_LCORE];

void
dp_idle(struct wrk *w, unsigned work)
{
	struct idle_state *st = &s_idle[w->id];
	if (!st->slack_set) {
		(void)prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
		st->slack_set = true;
	}
	if (work) {
		if (st->empty >= IDLE_SPIN_MIN && st->sleep_us == 0)
			bs_ctr_inc(w->ctr, BS_CTR_IDLE_SPIN_HITS);
		st->last_work_tsc = w->now_tsc;
		st->empty = 0;
		st->sleep_us = 0;
		return;
	}
	uint32_t max_us = w->dp->o.idle_sleep_us;
	st->empty++;
	if (max_us == 0 || st->empty < IDLE_SPIN_MIN ||
	    w->now_tsc - st->last_work_tsc < IDLE_SPIN_US * (uint64_t)w->dp->tsc_per_us) {
		rte_pause();
		return;
	}
	if (w->now_tsc - st->last_work_tsc >= IDLE_DEEP_US * (uint64_t)w->dp->tsc_per_us)
		max_us *= IDLE_DEEP_X;
	st->sleep_us = st->sleep_us ? st->sleep_us * 2 : IDLE_FIRST_US;
	if (st->sleep_us > max_us)
		st->sleep_us = max_us;
	/* net_tap signals every packet the kernel sends: the sleep may end
	 * early with EINTR, which is just an early wake-up, not an error. */
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)st->sleep_us * 1000 };
	(void)nanosleep(&ts, NULL);
	bs_ctr_inc(w->ctr, BS_CTR_IDLE_SLEEPS);
}
