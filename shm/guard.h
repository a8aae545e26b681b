/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Trust checks for the shared region (issue 15): what both processes check
 * before they believe a single byte of /dev/shm/bootstorm-<instance>.
 *
 *   - owner and mode: a region is trusted only when its owner is one we
 *     trust and nobody else can write it (shm_guard_owner);
 *   - ring headers: every rte_ring in it is validated before the first
 *     enqueue/dequeue, so a rewritten header is refused, never followed
 *     (shm_guard_ring);
 *   - layout fingerprint: a hash of the size and offset of every shared
 *     field, checked next to SHM_ABI, so a layout change that forgot the
 *     ABI bump is still refused (shm_layout_fp);
 *   - liveness that survives PID reuse: a pid is recorded with the
 *     process's start time (/proc/<pid>/stat field 22), and a live process
 *     with that pid but another start time is not our peer
 *     (shm_proc_start, shm_proc_alive).
 */
#ifndef BS_SHM_GUARD_H
#define BS_SHM_GUARD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The system user packaging creates for control (sysusers.d).  A region it
 * owns is trusted by the dataplane (root) too; see shm_guard_owner. */
#define SHM_SERVICE_USER "bootstorm"

/* Mode control creates the region with: owner read/write; group
 * read/write only when control runs with the service user's group (the
 * dataplane joins it with SupplementaryGroups=), never for others. */
mode_t shm_guard_create_mode(void);

/* Checks the owner and mode of an open region fd (fstat).
 *   creator (control): the owner must be our euid -- control recreates only
 *     a region it owns and refuses any other;
 *   otherwise (dataplane): the owner may be our euid, root, or the
 *     SHM_SERVICE_USER (the user control runs as under systemd).
 * Always: a regular file; no permission bits for others; group write only
 * for root's group or the service user's group.  Returns 0, or -EPERM
 * with a message on stderr naming the region, the owner and the fix. */
int shm_guard_owner(int fd, const char *name, bool creator);

/* Checks the header of an rte_ring in the region: SP/SC flags and sync
 * types, size == ring_size (a power of 2), mask == size - 1, capacity ==
 * mask, no memzone, and head/tail positions no more than capacity apart.
 * 0 or -EINVAL. */
int shm_guard_ring(const void *ring, uint32_t ring_size);

/* Layout fingerprint of this build (never 0). */
uint64_t shm_layout_fp(void);

/* Start time of process pid in clock ticks since boot (field 22 of
 * /proc/<pid>/stat), or 0 when it cannot be read. */
uint64_t shm_proc_start(int32_t pid);
/* Is the process that recorded (pid, start) still running?  False for pid
 * <= 0, for a pid that does not exist, and for a pid now used by another
 * process (start time differs).  start == 0 (not recorded) or an
 * unreadable /proc entry falls back to kill(pid, 0). */
bool shm_proc_alive(int32_t pid, uint64_t start);

#endif
