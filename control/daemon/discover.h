/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Machines that asked for DHCP/PXE but are not in the inventory, fed by
 * the dataplane's discovery rings (struct disc_event, shm/shm.h), listed by
 * `bootstorm discovered` / GET /api/discovered and turned into inventory
 * nodes by `bootstorm enroll` (control/daemon/api_disc.c).
 *
 * Bounded: a fixed number of entries (discovery.max_clients), allocated at
 * start; a new MAC when full evicts the entry seen longest ago and counts
 * `overflow`, so a storm of spoofed MACs can neither grow control's memory
 * nor push out what was seen recently.  Keyed by MAC (open addressing,
 * linear probing, backward-shift deletion); an LRU list orders entries by
 * last sight.  Every call is O(1) except disc_json() and disc_save().
 *
 * Durable enough: <state_dir>/discovered is rewritten whole (temp, fsync,
 * rename, directory fsync) by disc_save() when something changed, which
 * the main thread calls every few seconds and at exit; a crash loses the
 * sightings since the last save, which the clients repeat at their next
 * DHCP retry.  Nothing here is acknowledged to anyone.
 *
 * Thread safety: one mutex.
 */
#ifndef BS_CONTROL_DISCOVER_H
#define BS_CONTROL_DISCOVER_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "conf/cfg.h"
#include "shm/shm.h"

struct disc_entry {
	struct disc_event ev;	/* the latest sighting (mac, options, relay, port) */
	uint64_t first_ms, last_ms, count;
	uint32_t prev, next;	/* LRU: toward newer / older, DISC_NIL at the ends */
};

#define DISC_NIL UINT32_MAX

struct disc {
	pthread_mutex_t mu;
	struct disc_entry *v;	/* cap slots; [0, n) in use */
	uint32_t n, cap;
	uint32_t *idx;		/* slot + 1, 0 = empty; mask + 1 >= 2 * cap */
	uint32_t mask;
	uint32_t newest, oldest;
	uint64_t events;	/* sightings taken */
	uint64_t overflow;	/* new MACs that evicted the oldest entry */
	uint64_t saved_events, changes; /* changes since the last save */
	char path[4096];	/* "" = not persisted */
	uint64_t next_save_ms;	/* disc_tick: monotonic */
};

#define DISC_SAVE_EVERY_MS 5000

/* cap >= 1 entries; path NULL or "" = memory only, else loaded from it when
 * present (a damaged line is skipped).  0 or -errno. */
int disc_init(struct disc *d, uint32_t cap, const char *path);
void disc_free(struct disc *d);

/* One sighting: updates the MAC's entry or adds one (evicting the oldest
 * when full). */
void disc_event(struct disc *d, const struct disc_event *ev);
/* Forgets mac; true when it was there. */
bool disc_remove(struct disc *d, const uint8_t mac[6]);
/* Frees the entries whose MAC the inventory of cfg has (enrolled, or added
 * to the YAML since they were seen): disc_json() hides them anyway, but
 * each held a slot until a newer MAC evicted it.  Called at start and
 * after every reload (caller holds cfg's lock).  Returns how many. */
uint32_t disc_forget_known(struct disc *d, const struct cfg *cfg);
/* Copy of mac's entry; false when absent. */
bool disc_get(struct disc *d, const uint8_t mac[6], struct disc_entry *out);

/* Rewrites the file when something changed since the last save (force:
 * always).  0 or -errno. */
int disc_save(struct disc *d, bool force);

/* {"capacity", "count", "overflow", "events", "clients": [...]} newest
 * first; with cfg (caller holds its lock), MACs the inventory now has
 * are left out.  NULL when out of memory. */
json_t *disc_json(struct disc *d, const struct cfg *cfg);

/* Option 93 client architecture (RFC 4578 2.1, IANA registry) in words. */
const char *disc_arch_name(uint16_t arch);

/* The daemon's table: <state_dir>/discovered, discovery.max_clients
 * entries (a change of it takes effect at the next restart). */
int disc_open(struct disc *d, const struct cfg *cfg);
/* Main thread, about once a second: saves at most every
 * DISC_SAVE_EVERY_MS when something changed. */
void disc_tick(struct disc *d, uint64_t now_mono_ms);
/* Saves what changed and frees. */
void disc_close(struct disc *d);

/* Drains every worker's discovery ring of region r (void *: struct
 * shm_region) into d; returns the events taken. */
size_t disc_drain(struct disc *d, const void *region);

#endif
