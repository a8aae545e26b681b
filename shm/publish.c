/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The shared region (shm/shm.h): creation, attachment, config publication
 * and the quiescent-state readers.
 *
 * Memory orders, once for the whole file (each site repeats the short
 * reason):
 *   hdr.magic        written last at creation with RELEASE, read with
 *                    ACQUIRE by attachers: seeing the magic means seeing
 *                    the finished layout, rings and lease table.
 *   hdr.pub          control stores SEQ_CST after copying the snapshot into
 *                    its slot (release: the copy is visible before the
 *                    generation; seq_cst: see reader online below).
 *                    Workers load it ACQUIRE (pairs with that store).
 *   readers[w].gen   workers store RELEASE once they are done with the older
 *                    snapshot (their reads of it happen-before control's
 *                    ACQUIRE load that lets it overwrite that slot); going
 *                    online stores it SEQ_CST and re-reads pub (below).
 *   slot_gen[s]      only control writes and reads it for slot choice;
 *                    RELAXED (other readers, e.g. a CLI, only display it).
 *   control_pid, dp_pid: liveness hints.  Each is stored RELEASE after the
 *                    start time of its process (control_start, dp_start,
 *                    RELAXED) and loaded ACQUIRE before it, so a reader
 *                    pairs a pid with its own start time; shm_proc_alive
 *                    then tells a live peer from a reused pid.
 *
 * Why a worker going online re-reads pub: while its gen is 0 control treats
 * it as offline, so between "load pub" and "store gen" control could publish
 * twice and recycle the slot the worker just picked.  With the gen store and
 * the re-load both SEQ_CST (and control's pub store and gen loads SEQ_CST),
 * either the re-load sees the newer pub (the worker retries) or control's
 * later scan sees the worker's gen and keeps its slot.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "shm/area.h"
#include "shm/guard.h"
#include "shm/publish.h"
#include "shm/snap_verify.h"
#include "util/bs_time.h"

#define RING_FLAGS (RING_F_SP_ENQ | RING_F_SC_DEQ)

static size_t
align_up(size_t x, size_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static int
shm_name(char *buf, size_t cap, const char *instance)
{
	if (!instance)
		instance = SHM_DEFAULT_INSTANCE;
	if (!*instance || strlen(instance) >= 32 || strchr(instance, '/'))
		return -EINVAL;
	snprintf(buf, cap, SHM_NAME_FMT, instance);
	return 0;
}

/* The layout a set of parameters gives; filled into a zeroed header. */
static int
layout(struct shm_hdr *h, const struct shm_create_params *p)
{
	if (p->max_workers == 0 || p->max_workers > SHM_MAX_WORKERS || p->ring_size < 2 ||
	    (p->ring_size & (p->ring_size - 1)) || p->lease_cap == 0 ||
	    p->slot_size < sizeof(struct snap_hdr))
		return -EINVAL;
	ssize_t lring = rte_ring_get_memsize_elem(sizeof(struct lease_event), p->ring_size);
	ssize_t bring = rte_ring_get_memsize_elem(sizeof(struct boot_event), p->ring_size);
	ssize_t dring = rte_ring_get_memsize_elem(sizeof(struct disc_event), SHM_DISC_RING);
	if (lring < 0 || bring < 0 || dring < 0)
		return -EINVAL;

	size_t off = align_up(sizeof(struct shm_hdr), SHM_CACHELINE);
	h->abi = SHM_ABI;
	h->hdr_size = sizeof(struct shm_hdr);
	h->layout_fp = shm_layout_fp();
	h->max_workers = p->max_workers;
	h->ring_size = p->ring_size;
	h->counters_off = off;
	off += align_up((size_t)p->max_workers * sizeof(struct shm_counters), SHM_CACHELINE);
	for (uint32_t w = 0; w < p->max_workers; w++) {
		h->lease_ring_off[w] = off;
		off += align_up((size_t)lring, SHM_CACHELINE);
		h->boot_ring_off[w] = off;
		off += align_up((size_t)bring, SHM_CACHELINE);
		h->disc_ring_off[w] = off;
		off += align_up((size_t)dring, SHM_CACHELINE);
	}
	h->leases_off = off;
	h->leases_size = lease_table_size(p->lease_cap);
	off += align_up(h->leases_size, SHM_CACHELINE);
	h->slot_size = align_up(p->slot_size, SHM_CACHELINE);
	for (unsigned s = 0; s < SHM_SLOTS; s++) {
		h->slot_off[s] = off;
		off += h->slot_size;
	}
	h->region_size = align_up(off, 4096);
	return 0;
}

/* Same geometry as the one we would create?  (ABI checked by the caller.) */
static bool
same_layout(const struct shm_hdr *have, const struct shm_hdr *want)
{
	if (have->hdr_size != want->hdr_size || have->max_workers != want->max_workers ||
	    have->ring_size != want->ring_size || have->counters_off != want->counters_off ||
	    have->leases_off != want->leases_off || have->leases_size != want->leases_size ||
	    have->slot_size != want->slot_size || have->region_size != want->region_size)
		return false;
	for (unsigned w = 0; w < want->max_workers; w++)
		if (have->lease_ring_off[w] != want->lease_ring_off[w] ||
		    have->boot_ring_off[w] != want->boot_ring_off[w] ||
		    have->disc_ring_off[w] != want->disc_ring_off[w])
			return false;
	for (unsigned s = 0; s < SHM_SLOTS; s++)
		if (have->slot_off[s] != want->slot_off[s])
			return false;
	return true;
}

bool
shm_control_alive(const struct shm_hdr *h)
{
	/* ACQUIRE: pairs with the RELEASE store of the pid after its start. */
	int32_t pid = atomic_load_explicit(&h->control_pid, memory_order_acquire);
	return shm_proc_alive(pid, atomic_load_explicit(&h->control_start, memory_order_relaxed));
}

bool
shm_dp_alive(const struct shm_hdr *h)
{
	/* ACQUIRE: as above. */
	int32_t pid = atomic_load_explicit(&h->dp_pid, memory_order_acquire);
	return shm_proc_alive(pid, atomic_load_explicit(&h->dp_start, memory_order_relaxed));
}

/* Records pid (0 = none) with its start time: start first, pid RELEASE. */
static void
set_pid(_Atomic int32_t *pidp, _Atomic uint64_t *startp, int32_t pid)
{
	atomic_store_explicit(startp, pid > 0 ? shm_proc_start(pid) : 0, memory_order_relaxed);
	atomic_store_explicit(pidp, pid, memory_order_release);
}

void
shm_dp_announce(struct shm_region *r, bool running)
{
	set_pid(&r->hdr->dp_pid, &r->hdr->dp_start, running ? (int32_t)getpid() : 0);
}

int
shm_dp_claim(struct shm_region *r)
{
	struct shm_hdr *h = r->hdr;
	int32_t pid = atomic_load_explicit(&h->dp_pid, memory_order_acquire);
	if (pid != getpid() && shm_dp_alive(h))
		return -EBUSY;
	/* A control that has not published yet may still be rebuilding the
	 * table from its journal (it is the writer until then, and repaired
	 * the table itself when it attached with no dataplane running). */
	if (SHM_PUB_GEN(atomic_load_explicit(&h->pub, memory_order_acquire)) == 0 &&
	    shm_control_alive(h))
		return 0;
	/* We are the lease table's writer now; the previous one is dead and
	 * may have died mid-update. */
	return (int)lease_table_repair(shm_leases(r));
}

/* Bounds of everything the header points at, for a region of `size`. */
static int
check_bounds(const struct shm_hdr *h, size_t size)
{
	if (h->region_size != size || h->max_workers == 0 || h->max_workers > SHM_MAX_WORKERS ||
	    h->ring_size < 2 || (h->ring_size & (h->ring_size - 1)))
		return -EINVAL;
	/* Every area must lie inside the mapping. */
	if (h->counters_off + (uint64_t)h->max_workers * sizeof(struct shm_counters) > size)
		return -EINVAL;
	ssize_t lring = rte_ring_get_memsize_elem(sizeof(struct lease_event), h->ring_size);
	ssize_t bring = rte_ring_get_memsize_elem(sizeof(struct boot_event), h->ring_size);
	ssize_t dring = rte_ring_get_memsize_elem(sizeof(struct disc_event), SHM_DISC_RING);
	if (lring < 0 || bring < 0 || dring < 0)
		return -EINVAL;
	for (unsigned w = 0; w < h->max_workers; w++)
		if (h->lease_ring_off[w] % SHM_CACHELINE || h->boot_ring_off[w] % SHM_CACHELINE ||
		    h->disc_ring_off[w] % SHM_CACHELINE ||
		    h->lease_ring_off[w] + (uint64_t)lring > size ||
		    h->boot_ring_off[w] + (uint64_t)bring > size ||
		    h->disc_ring_off[w] + (uint64_t)dring > size)
			return -EINVAL;
	if (h->leases_off % SHM_CACHELINE || h->leases_off + h->leases_size > size ||
	    h->leases_size > size)
		return -EINVAL;
	for (unsigned s = 0; s < SHM_SLOTS; s++)
		if (h->slot_off[s] % SHM_CACHELINE || h->slot_size > size ||
		    h->slot_off[s] + h->slot_size > size)
			return -EINVAL;
	return 0;
}

/* Every ring header (check_bounds first: the offsets are in range). */
static int
check_rings(const struct shm_hdr *h)
{
	const uint8_t *base = (const uint8_t *)h;
	for (unsigned w = 0; w < h->max_workers && w < SHM_MAX_WORKERS; w++)
		if (shm_guard_ring(base + h->lease_ring_off[w], h->ring_size) < 0 ||
		    shm_guard_ring(base + h->boot_ring_off[w], h->ring_size) < 0 ||
		    shm_guard_ring(base + h->disc_ring_off[w], SHM_DISC_RING) < 0)
			return -EINVAL;
	return 0;
}

static int
map_fd(struct shm_region *r, int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	r->hdr = p;
	r->size = size;
	r->fd = fd;
	return 0;
}

/* Formats a fresh, zero-filled region. */
static int
format_region(struct shm_region *r, const struct shm_hdr *want, const char *instance)
{
	struct shm_hdr *h = r->hdr;
	uint8_t *base = (uint8_t *)h;

	/* Copy the layout (magic stays 0 until everything below is ready). */
	memcpy((uint8_t *)h + sizeof(h->magic), (const uint8_t *)want + sizeof(want->magic),
	       offsetof(struct shm_hdr, control_pid) - sizeof(h->magic));
	h->created_ms = bs_real_ms();
	snprintf(h->instance, sizeof(h->instance), "%s", instance);
	for (uint32_t w = 0; w < h->max_workers; w++) {
		char name[RTE_RING_NAMESIZE];
		snprintf(name, sizeof(name), "bs-lease-%u", w);
		if (rte_ring_init((struct rte_ring *)(base + h->lease_ring_off[w]), name,
				  h->ring_size, RING_FLAGS) < 0)
			return -EINVAL;
		snprintf(name, sizeof(name), "bs-boot-%u", w);
		if (rte_ring_init((struct rte_ring *)(base + h->boot_ring_off[w]), name,
				  h->ring_size, RING_FLAGS) < 0)
			return -EINVAL;
		snprintf(name, sizeof(name), "bs-disc-%u", w);
		if (rte_ring_init((struct rte_ring *)(base + h->disc_ring_off[w]), name,
				  SHM_DISC_RING, RING_FLAGS) < 0)
			return -EINVAL;
	}
	return 0;
}

/* Would control re-attach to existing region h of `size` bytes?  Same
 * ABI, fingerprint and geometry, and a lease table and rings that check. */
static bool
region_usable(const struct shm_hdr *h, size_t size, const struct shm_hdr *want)
{
	/* ACQUIRE: pairs with the creator's RELEASE of magic. */
	return __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) == SHM_MAGIC &&
	       h->abi == SHM_ABI && h->layout_fp == want->layout_fp && size == want->region_size &&
	       same_layout(h, want) && check_bounds(h, size) == 0 && check_rings(h) == 0 &&
	       lease_table_check((const struct lease_table *)((const uint8_t *)h + h->leases_off),
				 h->leases_size) == 0;
}

/* Step 1 of shm_create: a region already there.  Returns 1 when r is
 * re-attached to it, 0 when there is none (or it was ours and stale, and is
 * unlinked now), or -errno when it must not be touched. */
static int
open_existing(struct shm_region *r, const struct shm_hdr *want,
	      const struct shm_create_params *p)
{
	struct stat st;
	int fd = shm_open(r->name, O_RDWR, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		int rc = -errno;
		fprintf(stderr, "shm: cannot open the existing /dev/shm%s (%s): another user's? "
				"If it is stale, remove it: rm /dev/shm%s\n",
			r->name, strerror(-rc), r->name);
		return rc;
	}
	int rc = shm_guard_owner(fd, r->name, true);
	if (rc < 0) {
		/* Ours but with a mode others could use: its contents are not
		 * to be trusted; replace it.  Anyone else's: refuse, touch
		 * nothing (we must not unlink another user's file). */
		bool ours = fstat(fd, &st) == 0 && st.st_uid == geteuid();
		close(fd);
		if (!ours)
			return rc;
		fprintf(stderr, "shm: replacing %s\n", r->name);
		goto stale;
	}
	if (fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(struct shm_hdr) ||
	    map_fd(r, fd, (size_t)st.st_size) < 0) {
		close(fd);
		goto stale;
	}
	struct shm_hdr *h = r->hdr;
	bool usable = region_usable(h, r->size, want);
	if (!usable && h->slot_size != want->slot_size) {
		/* Slots of another size (the config grew or shrank since it
		 * was created): keep it; a snapshot that does not fit goes
		 * into a snapshot area (shm_publish), so the dataplane need
		 * not stop. */
		struct shm_create_params q = *p;
		struct shm_hdr w2 = { 0 };
		q.slot_size = h->slot_size;
		usable = layout(&w2, &q) == 0 && region_usable(h, r->size, &w2);
	}
	int32_t cpid = atomic_load_explicit(&h->control_pid, memory_order_relaxed);
	if (usable && cpid != getpid() && shm_control_alive(h)) {
		fprintf(stderr, "shm: %s is in use by control pid %d\n", r->name, cpid);
		shm_detach(r);
		return -EBUSY;
	}
	bool dp_alive = shm_dp_alive(h);
	if (usable) {
		/* No dataplane: control may rebuild the lease table, so it
		 * is the writer now, after one that may have died mid-write. */
		if (!dp_alive)
			lease_table_repair(shm_leases(r));
		set_pid(&h->control_pid, &h->control_start, getpid());
		return 1;
	}
	if (dp_alive) {
		fprintf(stderr,
			"shm: %s has another layout or a damaged header (ABI %u, this build %u) "
			"and dataplane pid %d still uses it; stop it first\n",
			r->name, h->abi, SHM_ABI, atomic_load(&h->dp_pid));
		shm_detach(r);
		return -EBUSY;
	}
	shm_detach(r);
stale:
	/* Ours and stale: replace it.  A process still mapping the old one
	 * keeps its (now unlinked) copy. */
	shm_unlink(r->name);
	return 0;
}

/* Unlinks every snapshot area name of instance but keep (0: all).  Readers
 * only open the area pub names, so the others are leftovers of a control
 * that died between creating an area and publishing into it, or between
 * that and unlinking the previous one. */
static void
unlink_areas(const char *inst, unsigned keep)
{
	for (unsigned a = 1; a < SHM_AREAS; a++) {
		char an[96];
		if (a != keep && shm_area_name(an, sizeof(an), inst, a) == 0)
			shm_unlink(an);
	}
}

int
shm_create(struct shm_region *r, const struct shm_create_params *p, bool *reused)
{
	struct shm_hdr want = { 0 };
	const char *inst = p->instance ? p->instance : SHM_DEFAULT_INSTANCE;
	int rc, fd;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	*reused = false;
	if ((rc = shm_name(r->name, sizeof(r->name), inst)) < 0)
		return rc;
	if ((rc = layout(&want, p)) < 0)
		return rc;

	/* 1. An existing region of ours, of our ABI and geometry, is kept:
	 *    the dataplane may be serving from it, and its lease table must
	 *    survive a control restart. */
	if ((rc = open_existing(r, &want, p)) != 0) {
		if (rc < 0)
			return rc;
		if ((rc = shm_areas_init(r)) < 0) {
			shm_detach(r);
			return rc;
		}
		*reused = true;
		/* RELAXED: we are pub's only writer. */
		unlink_areas(inst, SHM_PUB_AREA(atomic_load_explicit(&r->hdr->pub,
								     memory_order_relaxed)));
		return 0;
	}
	/* No dataplane follows an area of a region that is not there. */
	unlink_areas(inst, 0);

	/* 2. A fresh region.  O_EXCL: two controls racing here cannot both
	 *    format it, and a name another user created in between is not
	 *    opened.  fchmod: the mode must not depend on the umask. */
	mode_t mode = shm_guard_create_mode();
	fd = shm_open(r->name, O_RDWR | O_CREAT | O_EXCL, mode);
	if (fd < 0) {
		rc = -errno;
		if (rc == -EEXIST)
			fprintf(stderr, "shm: %s was created by someone else meanwhile\n",
				r->name);
		return rc;
	}
	if (fchmod(fd, mode) < 0 || ftruncate(fd, (off_t)want.region_size) < 0) {
		rc = -errno;
		goto fail_fd;
	}
	if ((rc = map_fd(r, fd, want.region_size)) < 0)
		goto fail_fd;
	struct shm_hdr *h = r->hdr;
	if ((rc = format_region(r, &want, inst)) < 0)
		goto fail_map;
	if ((rc = lease_table_init((struct lease_table *)((uint8_t *)h + h->leases_off),
				   p->lease_cap)) < 0)
		goto fail_map;
	if ((rc = shm_areas_init(r)) < 0)
		goto fail_map;
	set_pid(&h->control_pid, &h->control_start, getpid());
	atomic_store_explicit(&h->journal_ok, 1, memory_order_relaxed);
	/* RELAXED: display only (metrics, CLI). */
	atomic_store_explicit(&h->snap_cap, h->slot_size, memory_order_relaxed);
	/* RELEASE: an attacher that sees the magic sees the formatted region. */
	__atomic_store_n(&h->magic, SHM_MAGIC, __ATOMIC_RELEASE);
	return 0;

fail_map:
	munmap(r->hdr, r->size);
	r->hdr = NULL;
fail_fd:
	close(fd);
	shm_unlink(r->name);
	r->fd = -1;
	return rc;
}

int
shm_attach(struct shm_region *r, const char *instance)
{
	struct stat st;
	int rc;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	if ((rc = shm_name(r->name, sizeof(r->name), instance)) < 0)
		return rc;
	int fd = shm_open(r->name, O_RDWR, 0);
	if (fd < 0)
		return -errno;
	/* Before reading a byte of it: owned by us, root or the service user,
	 * and writable by nobody else. */
	if ((rc = shm_guard_owner(fd, r->name, false)) < 0) {
		close(fd);
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if ((size_t)st.st_size < sizeof(struct shm_hdr)) {
		fprintf(stderr, "shm: %s is too small (%lld bytes)\n", r->name,
			(long long)st.st_size);
		close(fd);
		return -EINVAL;
	}
	if ((rc = map_fd(r, fd, (size_t)st.st_size)) < 0) {
		close(fd);
		return rc;
	}
	const struct shm_hdr *h = r->hdr;
	/* ACQUIRE: pairs with the creator's RELEASE; a region being formatted
	 * still shows magic 0. */
	uint64_t magic = __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE);
	if (magic != SHM_MAGIC) {
		fprintf(stderr, "shm: %s has bad magic %#llx (not a bootstorm region, or "
				"still being created)\n",
			r->name, (unsigned long long)magic);
		rc = magic == 0 ? -EAGAIN : -EINVAL;
		goto fail;
	}
	if (h->abi != SHM_ABI) {
		fprintf(stderr,
			"shm: %s has ABI version %u but this build speaks ABI version %u; "
			"restart control and dataplane from the same build\n",
			r->name, h->abi, SHM_ABI);
		rc = -EPROTO;
		goto fail;
	}
	if (h->layout_fp != shm_layout_fp()) {
		fprintf(stderr,
			"shm: %s has layout fingerprint %016llx but this build has %016llx "
			"(the shared structures differ without an ABI bump); restart control "
			"and dataplane from the same build\n",
			r->name, (unsigned long long)h->layout_fp,
			(unsigned long long)shm_layout_fp());
		rc = -EPROTO;
		goto fail;
	}
	if (h->hdr_size != sizeof(struct shm_hdr) || check_bounds(h, r->size) < 0 ||
	    check_rings(h) < 0 ||
	    lease_table_check((const struct lease_table *)((const uint8_t *)h + h->leases_off),
			      h->leases_size) < 0) {
		fprintf(stderr, "shm: %s has an inconsistent layout (size %zu)\n", r->name,
			r->size);
		rc = -EINVAL;
		goto fail;
	}
	if ((rc = shm_areas_init(r)) < 0)
		goto fail;
	return 0;
fail:
	shm_detach(r);
	return rc;
}

void
shm_detach(struct shm_region *r)
{
	if (!r)
		return;
	shm_areas_fini(r);
	if (r->hdr)
		munmap(r->hdr, r->size);
	if (r->fd >= 0)
		close(r->fd);
	r->hdr = NULL;
	r->fd = -1;
}

int
shm_unlink_instance(const char *instance)
{
	char name[64];
	int rc = shm_name(name, sizeof(name), instance);
	if (rc < 0)
		return rc;
	rc = shm_unlink(name) < 0 ? -errno : 0;
	unlink_areas(instance ? instance : SHM_DEFAULT_INSTANCE, 0);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Accessors */

struct lease_table *
shm_leases(const struct shm_region *r)
{
	return (struct lease_table *)((uint8_t *)r->hdr + r->hdr->leases_off);
}

_Atomic uint64_t *
shm_worker_counters(const struct shm_region *r, unsigned worker)
{
	if (worker >= r->hdr->max_workers)
		return NULL;
	struct shm_counters *c =
		(struct shm_counters *)((uint8_t *)r->hdr + r->hdr->counters_off);
	return c[worker].c;
}

void *
shm_lease_ring(const struct shm_region *r, unsigned worker)
{
	if (worker >= r->hdr->max_workers)
		return NULL;
	return (uint8_t *)r->hdr + r->hdr->lease_ring_off[worker];
}

void *
shm_boot_ring(const struct shm_region *r, unsigned worker)
{
	if (worker >= r->hdr->max_workers)
		return NULL;
	return (uint8_t *)r->hdr + r->hdr->boot_ring_off[worker];
}

void *
shm_disc_ring(const struct shm_region *r, unsigned worker)
{
	if (worker >= r->hdr->max_workers)
		return NULL;
	return (uint8_t *)r->hdr + r->hdr->disc_ring_off[worker];
}
