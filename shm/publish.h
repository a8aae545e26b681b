/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The shared region: creation/attachment and config publication.
 * Writer side (control): shm_create / shm_publish.
 * Reader side (dataplane workers): shm_attach / shm_reader_*.
 * Protocol: see struct shm_reader in shm/shm.h.
 */
#ifndef BS_CONF_PUBLISH_H
#define BS_CONF_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/leases.h"
#include "shm/shm.h"
#include "shm/snap.h"

struct shm_areas;

struct shm_region {
	struct shm_hdr *hdr;	/* mapping base */
	size_t size;
	int fd;
	char name[64];		/* shm_open name */
	struct shm_areas *areas; /* this process's maps of snapshot areas (shm/area.h) */
};

/* Bytes per slot for a snapshot of len bytes: the power of two >= 4 * len
 * (room for reloads that grow the config), at least min. */
uint64_t shm_slot_size_for(uint64_t len, uint64_t min);

struct shm_create_params {
	const char *instance;	/* NULL = SHM_DEFAULT_INSTANCE */
	uint32_t max_workers;	/* <= SHM_MAX_WORKERS */
	uint32_t ring_size;	/* events per ring, power of 2 */
	uint32_t lease_cap;	/* lease table slots */
	uint64_t slot_size;	/* bytes per config slot */
};

/* Control: creates (or, when a region of ours, of the same ABI, fingerprint
 * and geometry already exists, re-attaches to -- the dataplane may be
 * running on it) the region.  *reused tells which.  A region owned by
 * another user is refused with -EPERM (or the open's -EACCES) and a message
 * on stderr, never unlinked; one of ours that others could write, or that
 * is damaged or stale, is replaced.  Returns 0 or -errno. */
int shm_create(struct shm_region *r, const struct shm_create_params *p, bool *reused);
/* Dataplane/CLI: attaches to an existing region.  Refuses with -EPERM a
 * region not owned by us, root or SHM_SERVICE_USER or that others may write
 * (shm/guard.h); with -EPROTO one of another ABI or layout fingerprint
 * (the message names both); with -EINVAL one whose bounds, lease table or
 * ring headers do not check. */
int shm_attach(struct shm_region *r, const char *instance);
void shm_detach(struct shm_region *r);
int shm_unlink_instance(const char *instance);

/* Control: copies snapshot s (s->gen must exceed the published one) into a
 * free slot and publishes it with a release store.  Waits (up to
 * timeout_ms) for readers to leave the slot it needs; -EBUSY on timeout.
 * A snapshot bigger than the slots in use goes into a new snapshot area
 * (shm/shm.h), slots shm_slot_size_for(s->size), counted in
 * hdr.snap_grows; -E2BIG only when every area number is used up, -ENOSPC
 * (or another -errno) when /dev/shm has no room for it (hdr.snap_fail):
 * then nothing is published and the last generation stays in use. */
int shm_publish(struct shm_region *r, const struct snap_hdr *s, uint32_t timeout_ms);
uint64_t shm_published_gen(const struct shm_region *r);

/* Dataplane worker side. */
struct shm_reader_state {
	struct shm_region *r;
	unsigned worker;
	uint64_t gen;			/* generation in use, 0 = none */
	const struct snap_hdr *snap;	/* snapshot in use, NULL = none */
	/* Appended: the last generation snap_verify() refused (it is not
	 * retried; the previous snapshot stays in use) and why. */
	uint64_t rejected_gen;
	const char *rejected_why;
	unsigned area;			/* snapshot area of snap (a reference held) */
};
void shm_reader_online(struct shm_reader_state *st, struct shm_region *r, unsigned worker);
/* Once per poll iteration: follows a new generation if one was published
 * and reports quiescence.  Returns the snapshot to use (may be NULL before
 * the first publication). */
const struct snap_hdr *shm_reader_poll(struct shm_reader_state *st);
void shm_reader_offline(struct shm_reader_state *st);

/* Liveness of the region's processes: pid recorded, running, and not a
 * reused pid (start time compared, shm/guard.h). */
bool shm_control_alive(const struct shm_hdr *h);
bool shm_dp_alive(const struct shm_hdr *h);
/* Dataplane: becomes the region's dataplane.  -EBUSY when another live one
 * is attached; else repairs the lease slots a dead writer left mid-update
 * (lease_table_repair) and returns how many (>= 0) -- unless a live control
 * has not published yet (it may be rebuilding the table: 0, nothing done). */
int shm_dp_claim(struct shm_region *r);
/* Dataplane: records (running) or clears its pid with its start time. */
void shm_dp_announce(struct shm_region *r, bool running);

/* Region accessors. */
struct lease_table *shm_leases(const struct shm_region *r);
_Atomic uint64_t *shm_worker_counters(const struct shm_region *r, unsigned worker);
void *shm_lease_ring(const struct shm_region *r, unsigned worker); /* struct rte_ring * */
void *shm_boot_ring(const struct shm_region *r, unsigned worker);  /* struct rte_ring * */
void *shm_disc_ring(const struct shm_region *r, unsigned worker);  /* of disc_event */

#endif
