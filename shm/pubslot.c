/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Config publication (control side of shm/publish.h): the slot, and when
 * the snapshot outgrew the slots in use the snapshot area, it goes into;
 * the copy; the store of pub.  Memory orders and the online race: the top
 * comment of shm/publish.c; snapshot areas: shm/shm.h and shm/area.h.
 * (Split out of publish.c when snapshot areas came, to keep each file
 * under 700 lines.)
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "shm/area.h"
#include "shm/publish.h"
#include "shm/snap_verify.h"
#include "util/bs_time.h"

uint64_t
shm_slot_size_for(uint64_t len, uint64_t min)
{
	uint64_t sz = min > sizeof(struct snap_hdr) ? min : 4096;
	while (sz < len * 4 && sz < (1ull << 62))
		sz <<= 1;
	return sz;
}

uint64_t
shm_published_gen(const struct shm_region *r)
{
	/* ACQUIRE: a caller that then reads the slot sees its contents. */
	return SHM_PUB_GEN(atomic_load_explicit(&r->hdr->pub, memory_order_acquire));
}

/* May slot s of set ss be overwritten?  Only if it is not the published
 * one (cur, SHM_SLOTS when the published one is in another area) and every
 * online reader reports a generation newer than the one it holds. */
static bool
slot_free(const struct shm_hdr *h, const struct shm_slots *ss, unsigned s, unsigned cur,
	  bool dp_dead)
{
	if (s == cur)
		return false;
	uint64_t sg = atomic_load_explicit(&ss->slot_gen[s], memory_order_relaxed);
	if (sg == 0 || dp_dead)
		return true;
	for (unsigned w = 0; w < h->max_workers && w < SHM_MAX_WORKERS; w++) {
		/* SEQ_CST (acquire at least): the worker's reads of the old
		 * snapshot happen-before our overwrite; seq_cst for the online
		 * race described at the top. */
		uint64_t g = atomic_load_explicit(&h->readers[w].gen, memory_order_seq_cst);
		if (g != 0 && g <= sg)
			return false;
	}
	return true;
}

/* The free slot of ss holding the oldest generation, or -1. */
static int
pick_slot(const struct shm_hdr *h, const struct shm_slots *ss, unsigned cur)
{
	int32_t dpid = atomic_load_explicit(&h->dp_pid, memory_order_relaxed);
	/* Readers of a dead dataplane are offline whatever their gen says
	 * (a reused pid is dead too: shm_proc_alive compares start times). */
	bool dp_dead = dpid > 0 && !shm_dp_alive(h);
	int best = -1;
	uint64_t best_gen = UINT64_MAX;
	for (unsigned s = 0; s < SHM_SLOTS; s++) {
		if (!slot_free(h, ss, s, cur, dp_dead))
			continue;
		uint64_t sg = atomic_load_explicit(&ss->slot_gen[s], memory_order_relaxed);
		if (sg < best_gen) {
			best_gen = sg;
			best = (int)s;
		}
	}
	return best;
}

/* The area snapshot s goes into: the published one (cur_area) when it is
 * mapped here (a re-attached control maps it now) and its slots hold s;
 * else a new area, next number, slots sized for s.  Returns it (>= 0) or
 * -errno. */
static int
target_area(struct shm_region *r, unsigned cur_area, uint32_t len)
{
	struct shm_slots ss;
	bool have = cur_area == 0 || r->areas->m[cur_area].base ||
		    shm_area_open_rw(r, cur_area) == 0;
	if (have) {
		shm_area_slots(r, cur_area, &ss);
		if (len <= ss.slot_size)
			return (int)cur_area;
	}
	unsigned next = cur_area + 1;
	if (next >= SHM_AREAS)
		return -E2BIG;
	uint64_t min = have ? ss.slot_size * 2 : r->hdr->slot_size;
	int rc = shm_area_create(r, next, shm_slot_size_for(len, min));
	return rc < 0 ? rc : (int)next;
}

/* Waits (up to deadline) for a free slot of ss; -EBUSY on timeout. */
static int
wait_slot(const struct shm_hdr *h, const struct shm_slots *ss, unsigned cur, uint64_t deadline)
{
	int slot;
	for (unsigned tries = 0; (slot = pick_slot(h, ss, cur)) < 0; tries++) {
		if (bs_mono_ms() >= deadline)
			return -EBUSY;
		/* Workers report every poll iteration (microseconds): yield a
		 * few times first, then sleep so a stuck reader costs no CPU. */
		if (tries < 64) {
			sched_yield();
		} else {
			struct timespec ts = { 0, 200 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	return slot;
}

int
shm_publish(struct shm_region *r, const struct snap_hdr *s, uint32_t timeout_ms)
{
	struct shm_hdr *h = r->hdr;
	uint64_t pub = atomic_load_explicit(&h->pub, memory_order_relaxed); /* we are its only writer */
	unsigned cur_area = pub ? SHM_PUB_AREA(pub) : 0;
	const char *why;
	struct shm_slots ss;

	if (s->gen <= SHM_PUB_GEN(pub) || s->gen >= (1ull << 56))
		return -EINVAL;
	if (snap_verify(s, s->size, &why) < 0)
		return -EINVAL; /* never hand the dataplane a snapshot it would reject */

	uint64_t deadline = bs_mono_ms() + timeout_ms;
	int area = target_area(r, cur_area, s->size);
	if (area < 0)
		goto fail;
	shm_area_slots(r, (unsigned)area, &ss);
	unsigned cur = pub && (unsigned)area == cur_area ? SHM_PUB_SLOT(pub) : SHM_SLOTS;
	int slot = wait_slot(h, &ss, cur, deadline);
	if (slot < 0)
		return slot; /* a new area has free slots: this is the old one */
	/* Pages for the copy now: a full /dev/shm fails here with -ENOSPC
	 * instead of a SIGBUS in the memcpy (tmpfs files are sparse). */
	int rc = posix_fallocate(ss.fd, (off_t)ss.slot_off[slot], (off_t)s->size);
	if (rc != 0) {
		if ((unsigned)area != cur_area)
			shm_area_retire(r, (unsigned)area);
		area = -rc;
		goto fail;
	}

	/* RELAXED: only control interprets slot_gen; 0 while rewriting tells a
	 * CLI reader the slot is in flux. */
	atomic_store_explicit(&ss.slot_gen[slot], 0, memory_order_relaxed);
	memcpy(ss.base + ss.slot_off[slot], s, s->size);
	atomic_store_explicit(&ss.slot_gen[slot], s->gen, memory_order_relaxed);
	/* SEQ_CST (includes release): the copy above is visible before the
	 * new generation; total order with the workers' online handshake. */
	atomic_store_explicit(&h->pub, SHM_PUB(s->gen, SHM_LOC(area, slot)), memory_order_seq_cst);
	if ((unsigned)area != cur_area) {
		/* Readers open only the area pub names: the old name may go
		 * now; workers still using it keep their mapping until their
		 * next quiescent point (shm/reader.c).  RELAXED: display. */
		shm_area_retire(r, cur_area);
		atomic_store_explicit(&h->snap_cap, ss.slot_size, memory_order_relaxed);
		atomic_fetch_add_explicit(&h->snap_grows, 1, memory_order_relaxed);
	}
	return 0;
fail:
	atomic_fetch_add_explicit(&h->snap_fail, 1, memory_order_relaxed); /* display */
	return area;
}

