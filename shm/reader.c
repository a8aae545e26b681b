/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The quiescent-state readers of config snapshots (dataplane workers), the
 * read side of shm_publish (shm/publish.c).  Protocol and memory orders:
 * struct shm_reader in shm/shm.h and the top comment of shm/publish.c.
 * (Split out of publish.c, unchanged, to keep each file under 700 lines.)
 */
#include <stdatomic.h>
#include <string.h>

#include "shm/area.h"
#include "shm/publish.h"
#include "shm/snap_verify.h"

/* Switches st to publication pub if its snapshot verifies.  Returns true
 * when st now uses pub's generation.  Runs only on a generation change.
 * A pub in another snapshot area maps that area (once per process) and
 * holds a reference to it; the reference to the area of the snapshot left
 * behind is dropped here, which is this worker's quiescent point for it
 * (nothing read from the old snapshot survives a poll), and the last
 * worker of the process to leave an area unmaps it. */
static bool
reader_take(struct shm_reader_state *st, uint64_t pub)
{
	const struct shm_hdr *h = st->r->hdr;
	unsigned slot = SHM_PUB_SLOT(pub), area = SHM_PUB_AREA(pub);
	uint64_t gen = SHM_PUB_GEN(pub);
	if (slot >= SHM_SLOTS || gen == st->rejected_gen)
		return false;
	const uint8_t *base = (const uint8_t *)h;
	const uint64_t *off = h->slot_off;
	uint64_t size = h->slot_size;
	const char *why = NULL;
	if (area != 0) {
		const struct shm_area_hdr *a = shm_area_get(st->r, area, &why);
		if (!a) {
			/* Control unlinks an area once a newer one is
			 * published: then pub has moved on and the next poll
			 * takes it (no refusal to report).  Else refused
			 * once, as below.  ACQUIRE: as the poll's load. */
			if (atomic_load_explicit(&h->pub, memory_order_acquire) != pub)
				return false;
			st->rejected_gen = gen;
			st->rejected_why = why;
			return false;
		}
		base = (const uint8_t *)a;
		off = a->slot_off;
		size = a->slot_size;
	}
	const struct snap_hdr *s = (const struct snap_hdr *)(base + off[slot]);
	/* A corrupt or mismatched snapshot is refused once and the old one
	 * kept: the dataplane must never trust offsets it did not check. */
	if (snap_verify(s, size, &why) < 0 || s->gen != gen) {
		shm_area_put(st->r, area);
		st->rejected_gen = gen;
		st->rejected_why = why ? why : "generation mismatch";
		return false;
	}
	shm_area_put(st->r, st->area);
	st->area = area;
	st->gen = gen;
	st->snap = s;
	return true;
}

void
shm_reader_online(struct shm_reader_state *st, struct shm_region *r, unsigned worker)
{
	memset(st, 0, sizeof(*st));
	st->r = r;
	st->worker = worker;
	if (worker >= r->hdr->max_workers || worker >= SHM_MAX_WORKERS)
		return;
	struct shm_reader *rd = &r->hdr->readers[worker];
	for (;;) {
		uint64_t pub = atomic_load_explicit(&r->hdr->pub, memory_order_seq_cst);
		if (pub == 0)
			return; /* nothing published yet: stay offline (gen 0) */
		uint64_t gen = SHM_PUB_GEN(pub);
		atomic_store_explicit(&rd->gen, gen, memory_order_seq_cst);
		/* Re-read: if control published meanwhile, it may have seen
		 * us offline and recycled this slot (see the top comment). */
		if (atomic_load_explicit(&r->hdr->pub, memory_order_seq_cst) != pub)
			continue;
		if (!reader_take(st, pub)) {
			/* Refused: announce nothing, stay offline. */
			atomic_store_explicit(&rd->gen, 0, memory_order_release);
		}
		return;
	}
}

const struct snap_hdr *
shm_reader_poll(struct shm_reader_state *st)
{
	struct shm_region *r = st->r;
	if (!r || st->worker >= r->hdr->max_workers || st->worker >= SHM_MAX_WORKERS)
		return NULL;
	if (st->gen == 0) {
		/* Offline (nothing published when we came online, or the first
		 * snapshot was refused): the online handshake again. */
		unsigned w = st->worker;
		uint64_t rej = st->rejected_gen;
		const char *rwhy = st->rejected_why;
		uint64_t pub = atomic_load_explicit(&r->hdr->pub, memory_order_acquire);
		if (pub == 0 || SHM_PUB_GEN(pub) == rej)
			return NULL;
		shm_reader_online(st, r, w);
		if (!st->snap && !st->rejected_gen) {
			st->rejected_gen = rej;
			st->rejected_why = rwhy;
		}
		return st->snap;
	}
	/* ACQUIRE: pairs with control's store of pub, so the slot's contents
	 * are visible before we read them. */
	uint64_t pub = atomic_load_explicit(&r->hdr->pub, memory_order_acquire);
	if (SHM_PUB_GEN(pub) != st->gen && reader_take(st, pub)) {
		/* RELEASE: we are done with the previous snapshot (this is the
		 * start of a poll iteration); our reads of it happen-before
		 * control's acquire load that lets it recycle that slot.  Our
		 * old gen stayed stored until now, protecting every newer slot
		 * (control needs gen > slot_gen), including the one we take. */
		atomic_store_explicit(&r->hdr->readers[st->worker].gen, st->gen,
				      memory_order_release);
	}
	return st->snap;
}

void
shm_reader_offline(struct shm_reader_state *st)
{
	if (st->r)
		shm_area_put(st->r, st->area);
	st->area = 0;
	if (st->r && st->worker < st->r->hdr->max_workers && st->worker < SHM_MAX_WORKERS)
		/* RELEASE: our last reads of the snapshot are done. */
		atomic_store_explicit(&st->r->hdr->readers[st->worker].gen, 0,
				      memory_order_release);
	st->gen = 0;
	st->snap = NULL;
}
