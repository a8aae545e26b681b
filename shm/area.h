/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Snapshot areas (shm/shm.h "Snapshot areas"): the files a snapshot that
 * outgrew the region's slots is published into, and each process's map of
 * them.  Internal to shm/: publish.c (control) and reader.c (workers).
 *
 * Every mapping of area N >= 1 lives in the region's process-local
 * struct shm_areas, counted: a worker holds one reference to the area of
 * the snapshot it uses, control one to the area it publishes into; the
 * last put unmaps.  All of it runs on a generation change or a
 * publication, never per packet.
 */
#ifndef BS_SHM_AREA_H
#define BS_SHM_AREA_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/publish.h"

struct shm_area_map {
	uint8_t *base;	/* NULL = not mapped here */
	size_t size;
	unsigned refs;
	int fd;		/* control's (RW) mapping keeps it, for fallocate; else -1 */
};

struct shm_areas {
	pthread_mutex_t mu;
	struct shm_area_map m[SHM_AREAS];
};

/* A region's slot set: area 0 (the region itself) or a mapped area. */
struct shm_slots {
	uint8_t *base;
	uint64_t slot_size;
	const uint64_t *slot_off;	/* [SHM_SLOTS] */
	_Atomic uint64_t *slot_gen;	/* [SHM_SLOTS] */
	int fd;				/* for fallocate before a copy */
};

int shm_areas_init(struct shm_region *r);
/* Unmaps every area still mapped (the process is leaving the region). */
void shm_areas_fini(struct shm_region *r);
int shm_area_name(char *buf, size_t cap, const char *instance, unsigned area);

/* Reader: maps area (>= 1) read-only if this process has not yet, checks it
 * against the region (owner and mode, magic, ABI, fingerprint, number,
 * region creation time, bounds) and takes a reference.  NULL with *why set
 * when it cannot be opened or does not check. */
const struct shm_area_hdr *shm_area_get(struct shm_region *r, unsigned area, const char **why);
/* Drops a reference; the last one unmaps.  area 0 is a no-op. */
void shm_area_put(struct shm_region *r, unsigned area);

/* Control: creates area (unlinking a stale file of that name of ours),
 * slot_size bytes per slot, mapped read-write with one reference.
 * 0 or -errno. */
int shm_area_create(struct shm_region *r, unsigned area, uint64_t slot_size);
/* Control: maps an existing area read-write (a re-attached control
 * continuing in the area the dataplane follows) with one reference.
 * 0 or -errno. */
int shm_area_open_rw(struct shm_region *r, unsigned area);
/* Control: drops its reference and unlinks the name (readers mapping it
 * keep their copy until they leave it). */
void shm_area_retire(struct shm_region *r, unsigned area);
/* The slot set of area (0 = region); area >= 1 must be mapped here. */
void shm_area_slots(const struct shm_region *r, unsigned area, struct shm_slots *out);

#endif
