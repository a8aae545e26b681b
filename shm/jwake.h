/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The journal thread's doorbell: how control's journal thread sleeps while
 * its rings are empty and still sees a lease event at once (issue 16).
 *
 * Protocol (hdr.jwake is a futex word in the shared region; shm_open'd
 * tmpfs, so FUTEX_WAIT/WAKE without _PRIVATE work across the processes):
 *   producer (DHCP worker):  enqueue the event on the lease ring;
 *                            jwake += 1 (seq_cst);
 *                            if jwaiting (seq_cst): FUTEX_WAKE.
 *   sleeper (journal thread): jwaiting = 1 (seq_cst); seen = jwake;
 *                            if the lease rings are still empty:
 *                              FUTEX_WAIT(jwake, seen, timeout);
 *                            jwaiting = 0.
 * No lost wake-up: in the single total order of the seq_cst operations,
 * either the producer's load of jwaiting comes after the sleeper's store
 * (then it wakes, and a wait that starts later sees jwake != seen and
 * returns at once), or before it (then its increment precedes the
 * sleeper's load of jwake, which synchronises with it, so the sleeper's
 * ring check sees the event and does not sleep).  The producer pays one
 * atomic add and one load per lease event, a syscall only when the thread
 * sleeps.  The timeout bounds everything the doorbell does not cover
 * (boot and discovery rings, compaction, a producer that never rings).
 */
#ifndef BS_SHM_JWAKE_H
#define BS_SHM_JWAKE_H

#include <stdint.h>

#include "shm/shm.h"

/* Producer: after an event is on a lease ring. */
void shm_jwake_kick(struct shm_hdr *h);

/* Sleeper: announce the sleep; returns the word to pass to shm_jwake_wait. */
uint32_t shm_jwake_arm(struct shm_hdr *h);

/* Sleeper: sleeps until kicked or timeout_us pass (0 = do not sleep), and
 * clears the announcement.  Returns 1 when woken by a kick (or the word had
 * already moved), 0 on timeout. */
int shm_jwake_wait(struct shm_hdr *h, uint32_t seen, uint32_t timeout_us);

#endif
