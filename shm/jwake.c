/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The journal thread's doorbell (shm/jwake.h: protocol and why no wake-up
 * is lost).
 */
#include "shm/jwake.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void
shm_jwake_kick(struct shm_hdr *h)
{
	/* seq_cst both: the add must be ordered before the load of jwaiting
	 * (store-load, the Dekker pair of shm_jwake_arm) */
	atomic_fetch_add_explicit(&h->jwake, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&h->jwaiting, memory_order_seq_cst))
		syscall(SYS_futex, (uint32_t *)&h->jwake, FUTEX_WAKE, 1, NULL, NULL, 0);
}

uint32_t
shm_jwake_arm(struct shm_hdr *h)
{
	atomic_store_explicit(&h->jwaiting, 1, memory_order_seq_cst);
	return atomic_load_explicit(&h->jwake, memory_order_seq_cst);
}

int
shm_jwake_wait(struct shm_hdr *h, uint32_t seen, uint32_t timeout_us)
{
	struct timespec ts = { .tv_sec = timeout_us / 1000000u,
			       .tv_nsec = (long)(timeout_us % 1000000u) * 1000 };
	int woke = 1;

	if (timeout_us &&
	    syscall(SYS_futex, (uint32_t *)&h->jwake, FUTEX_WAIT, seen, &ts, NULL, 0) < 0 &&
	    errno == ETIMEDOUT)
		woke = 0;
	atomic_store_explicit(&h->jwaiting, 0, memory_order_relaxed);
	return woke;
}
