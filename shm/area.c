/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Snapshot areas (shm/area.h): creation by control, mapping by readers.
 *
 * Memory orders: an area's magic is stored RELEASE after its header is
 * formatted and loaded ACQUIRE by a reader that maps it, which it does only
 * after its ACQUIRE load of a pub naming the area (control formats the area
 * before that SEQ_CST store of pub).  slot_gen: control's only, RELAXED, as
 * the region's.  The map table is under its mutex.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shm/area.h"
#include "shm/guard.h"

static uint64_t
align_up64(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

int
shm_areas_init(struct shm_region *r)
{
	struct shm_areas *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	pthread_mutex_init(&a->mu, NULL);
	for (unsigned i = 0; i < SHM_AREAS; i++)
		a->m[i].fd = -1;
	r->areas = a;
	return 0;
}

static void
unmap(struct shm_area_map *m)
{
	if (m->base)
		munmap(m->base, m->size);
	if (m->fd >= 0)
		close(m->fd);
	m->base = NULL;
	m->size = 0;
	m->refs = 0;
	m->fd = -1;
}

void
shm_areas_fini(struct shm_region *r)
{
	if (!r->areas)
		return;
	for (unsigned i = 0; i < SHM_AREAS; i++)
		unmap(&r->areas->m[i]);
	pthread_mutex_destroy(&r->areas->mu);
	free(r->areas);
	r->areas = NULL;
}

int
shm_area_name(char *buf, size_t cap, const char *instance, unsigned area)
{
	if (area == 0 || area >= SHM_AREAS || !*instance || strchr(instance, '/'))
		return -EINVAL;
	int n = snprintf(buf, cap, SHM_AREA_NAME_FMT, instance, area);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static int
region_area_name(const struct shm_region *r, unsigned area, char *buf, size_t cap)
{
	char inst[sizeof(r->hdr->instance)];
	memcpy(inst, r->hdr->instance, sizeof(inst));
	inst[sizeof(inst) - 1] = 0;
	return shm_area_name(buf, cap, inst, area);
}

/* Does the area mapped at a (size bytes) belong to region h as number
 * area, with every slot inside the mapping? */
static const char *
check_area(const struct shm_area_hdr *a, size_t size, const struct shm_hdr *h, unsigned area)
{
	if (size < sizeof(*a))
		return "snapshot area too small";
	/* ACQUIRE: pairs with the creator's RELEASE of magic. */
	if (__atomic_load_n(&a->magic, __ATOMIC_ACQUIRE) != SHM_AREA_MAGIC)
		return "snapshot area: bad magic";
	if (a->abi != SHM_ABI || a->layout_fp != shm_layout_fp())
		return "snapshot area: other ABI or layout";
	if (a->area != area || a->region_created_ms != h->created_ms || a->size != size)
		return "snapshot area: not this region's";
	if (a->slot_size < sizeof(struct snap_hdr) || a->slot_size > size)
		return "snapshot area: bad slot size";
	for (unsigned s = 0; s < SHM_SLOTS; s++)
		if (a->slot_off[s] % SHM_CACHELINE || a->slot_off[s] < sizeof(*a) ||
		    a->slot_off[s] > size || size - a->slot_off[s] < a->slot_size)
			return "snapshot area: slot out of bounds";
	return NULL;
}

/* Opens and maps area (not yet mapped here) into m; guard and checks. */
static const char *
map_area(struct shm_region *r, unsigned area, bool rw, struct shm_area_map *m)
{
	char name[96];
	struct stat st;
	if (region_area_name(r, area, name, sizeof(name)) < 0)
		return "snapshot area: bad name";
	int fd = shm_open(name, rw ? O_RDWR : O_RDONLY, 0);
	if (fd < 0)
		return "snapshot area: cannot open (replaced meanwhile?)";
	/* As the region: owned by us, root or the service user, and writable
	 * by nobody else, before a byte of it is read. */
	if (shm_guard_owner(fd, name, rw) < 0 || fstat(fd, &st) < 0 ||
	    (size_t)st.st_size < sizeof(struct shm_area_hdr)) {
		close(fd);
		return "snapshot area: owner, mode or size refused";
	}
	void *p = mmap(NULL, (size_t)st.st_size, rw ? PROT_READ | PROT_WRITE : PROT_READ,
		       MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return "snapshot area: mmap failed";
	}
	const char *why = check_area(p, (size_t)st.st_size, r->hdr, area);
	if (why) {
		munmap(p, (size_t)st.st_size);
		close(fd);
		return why;
	}
	m->base = p;
	m->size = (size_t)st.st_size;
	m->refs = 0;
	if (rw) {
		m->fd = fd;
	} else {
		close(fd);
		m->fd = -1;
	}
	return NULL;
}

const struct shm_area_hdr *
shm_area_get(struct shm_region *r, unsigned area, const char **why)
{
	if (area == 0 || area >= SHM_AREAS || !r->areas) {
		*why = "snapshot area: bad number";
		return NULL;
	}
	struct shm_areas *a = r->areas;
	pthread_mutex_lock(&a->mu);
	struct shm_area_map *m = &a->m[area];
	const char *err = m->base ? NULL : map_area(r, area, false, m);
	if (!err)
		m->refs++;
	pthread_mutex_unlock(&a->mu);
	*why = err;
	return err ? NULL : (const struct shm_area_hdr *)m->base;
}

void
shm_area_put(struct shm_region *r, unsigned area)
{
	if (area == 0 || area >= SHM_AREAS || !r->areas)
		return;
	struct shm_areas *a = r->areas;
	pthread_mutex_lock(&a->mu);
	struct shm_area_map *m = &a->m[area];
	if (m->refs > 0 && --m->refs == 0)
		unmap(m); /* every user of this process passed its quiescent point */
	pthread_mutex_unlock(&a->mu);
}

int
shm_area_create(struct shm_region *r, unsigned area, uint64_t slot_size)
{
	char name[96];
	int rc;
	if (!r->areas || area == 0 || area >= SHM_AREAS || slot_size < sizeof(struct snap_hdr))
		return -EINVAL;
	if ((rc = region_area_name(r, area, name, sizeof(name))) < 0)
		return rc;
	slot_size = align_up64(slot_size, SHM_CACHELINE);
	uint64_t first = align_up64(sizeof(struct shm_area_hdr), SHM_CACHELINE);
	if (slot_size > (UINT64_MAX / 2 - first) / SHM_SLOTS)
		return -EFBIG;
	uint64_t size = align_up64(first + SHM_SLOTS * slot_size, 4096);

	/* A file of this name is a leftover of ours (a control that died
	 * between publishing a newer area and unlinking this one, or an older
	 * region): nobody follows it, replace it.  Another user's is not
	 * unlinked (sticky /dev/shm) and O_EXCL below then refuses. */
	shm_unlink(name);
	mode_t mode = shm_guard_create_mode();
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, mode);
	if (fd < 0)
		return -errno;
	void *p;
	if (fchmod(fd, mode) < 0 || ftruncate(fd, (off_t)size) < 0) {
		rc = -errno;
		goto fail;
	}
	/* The header page now: a full /dev/shm fails here, not with SIGBUS. */
	if ((rc = posix_fallocate(fd, 0, (off_t)first)) != 0) {
		rc = -rc;
		goto fail;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		rc = -errno;
		goto fail;
	}
	struct shm_area_hdr *h = p;
	h->abi = SHM_ABI;
	h->area = area;
	h->layout_fp = shm_layout_fp();
	h->region_created_ms = r->hdr->created_ms;
	h->size = size;
	h->slot_size = slot_size;
	for (unsigned s = 0; s < SHM_SLOTS; s++) {
		h->slot_off[s] = first + s * slot_size;
		atomic_store_explicit(&h->slot_gen[s], 0, memory_order_relaxed);
	}
	/* RELEASE: a reader that sees the magic sees the header above. */
	__atomic_store_n(&h->magic, SHM_AREA_MAGIC, __ATOMIC_RELEASE);

	pthread_mutex_lock(&r->areas->mu);
	struct shm_area_map *m = &r->areas->m[area];
	unmap(m);
	m->base = p;
	m->size = size;
	m->refs = 1;
	m->fd = fd;
	pthread_mutex_unlock(&r->areas->mu);
	return 0;
fail:
	close(fd);
	shm_unlink(name);
	return rc;
}

int
shm_area_open_rw(struct shm_region *r, unsigned area)
{
	if (!r->areas || area == 0 || area >= SHM_AREAS)
		return -EINVAL;
	pthread_mutex_lock(&r->areas->mu);
	struct shm_area_map *m = &r->areas->m[area];
	const char *why = m->base ? NULL : map_area(r, area, true, m);
	if (!why)
		m->refs++;
	pthread_mutex_unlock(&r->areas->mu);
	if (why)
		fprintf(stderr, "shm: area %u of %s: %s\n", area, r->name, why);
	return why ? -ENOENT : 0;
}

void
shm_area_retire(struct shm_region *r, unsigned area)
{
	char name[96];
	if (area == 0 || area >= SHM_AREAS || !r->hdr)
		return;
	if (region_area_name(r, area, name, sizeof(name)) == 0)
		shm_unlink(name);
	shm_area_put(r, area);
}

void
shm_area_slots(const struct shm_region *r, unsigned area, struct shm_slots *out)
{
	if (area == 0) {
		out->base = (uint8_t *)r->hdr;
		out->slot_size = r->hdr->slot_size;
		out->slot_off = r->hdr->slot_off;
		out->slot_gen = r->hdr->slot_gen;
		out->fd = r->fd;
		return;
	}
	const struct shm_area_map *m = &r->areas->m[area];
	struct shm_area_hdr *h = (struct shm_area_hdr *)m->base;
	out->base = m->base;
	out->slot_size = h->slot_size;
	out->slot_off = h->slot_off;
	out->slot_gen = h->slot_gen;
	out->fd = m->fd;
}
