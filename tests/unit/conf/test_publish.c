/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The shared region and config publication:
 *   - hammer: reader threads (own mapping, like the dataplane) verify the
 *     crc of every snapshot they hold, before and after using it, while the
 *     writer publishes thousands of generations: no torn snapshot, ever;
 *   - a slot held by a reader is never reused: a reader that stops
 *     reporting makes shm_publish fail with -EBUSY after its timeout, and
 *     the held snapshot stays intact; a dead dataplane's readers do not
 *     block;
 *   - a corrupt published snapshot is refused by the reader;
 *   - ABI / magic / layout mismatches refused by shm_attach;
 *   - re-attach to an existing region keeps leases and the generation;
 *   - the event rings work through rte_ring without rte_eal_init;
 *   - issue 15: a region owned by another user, or that others may write,
 *     is refused (never unlinked when it is not ours); a rewritten ring
 *     header is refused on attach and on re-attach; a layout fingerprint
 *     mismatch is refused; a reused pid is not a live peer; a new
 *     dataplane repairs lease slots a dead writer left odd.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "conf/cfg.h"
#include "shm/guard.h"
#include "shm/leases.h"
#include "shm/publish.h"
#include "conf/snap_build.h"
#include "shm/snap_verify.h"
#include "shm/snap_read.h"

static char inst[32];

static const struct shm_create_params params = {
	.instance = inst,
	.max_workers = 4,
	.ring_size = 64,
	.lease_cap = 64,
	.slot_size = 64 * 1024,
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Two different snapshots (so a torn mix of them cannot pass the crc). */
static struct snap_hdr *variant[2];

static struct snap_hdr *
build_variant(const char *yaml)
{
	struct cfg_errs e = { 0 };
	struct cfg *c = cfg_load_mem("v.yaml", yaml, strlen(yaml), &e);
	if (!c) {
		cfg_errs_print(&e, stderr);
		return NULL;
	}
	struct snap_hdr *s;
	size_t len;
	int rc = snap_build(c, 1, &s, &len);
	cfg_free(c);
	cfg_errs_free(&e);
	return rc == 0 ? s : NULL;
}

/* A copy of variant v with generation gen (crc recomputed); free() it. */
static struct snap_hdr *
snap_gen(unsigned v, uint64_t gen)
{
	const struct snap_hdr *src = variant[v % 2];
	struct snap_hdr *s = malloc(src->size);
	memcpy(s, src, src->size);
	s->gen = gen;
	s->crc = 0;
	s->crc = (uint32_t)crc32(0L, (const Bytef *)s, s->size);
	return s;
}

static int
publish_gen(struct shm_region *r, uint64_t gen, uint32_t timeout_ms)
{
	struct snap_hdr *s = snap_gen((unsigned)gen, gen);
	int rc = shm_publish(r, s, timeout_ms);
	free(s);
	return rc;
}

static const uint8_t probe_mac[6] = { 0x52, 0x54, 0, 0, 0, 0x05 };

static int
group_setup(void **state)
{
	(void)state;
	snprintf(inst, sizeof(inst), "cft-%d", (int)getpid());
	/* Variant 0: 20 nodes; variant 1: 40 nodes, other names and pool. */
	variant[0] = build_variant("server: {ip: 10.5.0.1/24}\n"
				   "dhcp: {subnets: [{subnet: 10.5.0.0/24, "
				   "pools: [10.5.0.100-10.5.0.199]}]}\n"
				   "nodes:\n"
				   "  - {range: 'a[01-20]', mac: '52:54:00:00:00:01', ip: 10.5.0.11}\n");
	variant[1] = build_variant("server: {ip: 10.5.0.1/24}\n"
				   "dhcp: {subnets: [{subnet: 10.5.0.0/24, "
				   "pools: [10.5.0.150-10.5.0.250]}]}\n"
				   "nodes:\n"
				   "  - {range: 'b[01-40]', mac: '52:54:00:00:00:01', ip: 10.5.0.51}\n");
	return variant[0] && variant[1] ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	free(variant[0]);
	free(variant[1]);
	shm_unlink_instance(inst);
	return 0;
}

/* A fresh region for each test. */
static int
setup_region(void **state)
{
	static struct shm_region r;
	bool reused = true;
	shm_unlink_instance(inst);
	if (shm_create(&r, &params, &reused) < 0 || reused)
		return -1;
	atomic_store(&r.hdr->dp_pid, getpid()); /* readers count as live */
	*state = &r;
	return 0;
}

static int
teardown_region(void **state)
{
	shm_detach(*state);
	shm_unlink_instance(inst);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Hammer */

#define HAMMER_GENS 3000
#define HAMMER_READERS 3

struct rd_arg {
	struct shm_region *a; /* the reader side's own mapping */
	unsigned worker;
	_Atomic bool *stop;
	uint64_t torn, seen, polls, lookups_bad, backwards;
	uint64_t last_gen;
};

static bool
snap_intact(const struct snap_hdr *s, uint64_t gen, size_t slot_size)
{
	return s->gen == gen && snap_verify(s, slot_size, NULL) == 0;
}

static void *
reader_main(void *p)
{
	struct rd_arg *ra = p;
	struct shm_reader_state st;
	size_t slot_size = ra->a->hdr->slot_size;
	shm_reader_online(&st, ra->a, ra->worker);
	uint64_t deadline = mono_ms() + 30000;
	for (uint64_t it = 0; !atomic_load(ra->stop) && mono_ms() < deadline; it++) {
		const struct snap_hdr *s = shm_reader_poll(&st);
		ra->polls++;
		if (!s)
			continue;
		uint64_t gen = st.gen;
		if (gen < ra->last_gen)
			ra->backwards++;
		if (gen != ra->last_gen)
			ra->seen++;
		ra->last_gen = gen;
		/* Before use: whole snapshot checksummed. */
		if (!snap_intact(s, gen, slot_size)) {
			ra->torn++;
			continue;
		}
		/* Use it: the probe MAC is a00005 or b00005 depending on
		 * the variant (gen parity). */
		const struct snap_node *n = snap_find_mac(s, probe_mac);
		const char *want = gen % 2 ? "b05" : "a05";
		if (!n || strcmp(snap_str(s, n->name), want))
			ra->lookups_bad++;
		/* After use: still the same bytes (nobody wrote the slot). */
		if (!snap_intact(s, gen, slot_size))
			ra->torn++;
		/* Dataplane workers own their cores; here 4 threads share 2,
		 * so let the writer run. */
		sched_yield();
		/* Worker 2 keeps leaving and rejoining (the online handshake). */
		if (ra->worker == 2 && it % 64 == 63) {
			shm_reader_offline(&st);
			ra->last_gen = 0;
			shm_reader_online(&st, ra->a, ra->worker);
		}
	}
	shm_reader_offline(&st);
	return NULL;
}

static void
test_hammer(void **state)
{
	struct shm_region *r = *state, a;
	assert_int_equal(publish_gen(r, 1, 1000), 0);
	assert_int_equal(shm_attach(&a, inst), 0);
	assert_ptr_not_equal(a.hdr, r->hdr); /* position independence for real */

	_Atomic bool stop = false;
	pthread_t th[HAMMER_READERS];
	struct rd_arg ra[HAMMER_READERS];
	for (unsigned i = 0; i < HAMMER_READERS; i++) {
		ra[i] = (struct rd_arg){ .a = &a, .worker = i, .stop = &stop };
		assert_int_equal(pthread_create(&th[i], NULL, reader_main, &ra[i]), 0);
	}
	unsigned busy = 0;
	uint64_t t0 = mono_ms();
	for (uint64_t g = 2; g <= HAMMER_GENS + 1; g++) {
		int rc = publish_gen(r, g, 5000);
		busy += rc == -EBUSY;
		assert_true(rc == 0 || rc == -EBUSY);
		if (rc < 0)
			break;
		/* Give readers a turn now and then (2 cores, 4 threads). */
		if (g % 16 == 0)
			sched_yield();
	}
	uint64_t t1 = mono_ms();
	atomic_store(&stop, true);
	uint64_t total_seen = 0;
	for (unsigned i = 0; i < HAMMER_READERS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(ra[i].torn, 0);
		assert_int_equal(ra[i].lookups_bad, 0);
		assert_int_equal(ra[i].backwards, 0);
		total_seen += ra[i].seen;
	}
	assert_int_equal(busy, 0);
	assert_int_equal(shm_published_gen(r), HAMMER_GENS + 1);
	/* The readers really followed the publications. */
	assert_true(total_seen > HAMMER_GENS / 10);
	printf("hammer: %u generations in %llu ms, readers saw %llu/%llu/%llu generations\n",
	       HAMMER_GENS, (unsigned long long)(t1 - t0), (unsigned long long)ra[0].seen,
	       (unsigned long long)ra[1].seen, (unsigned long long)ra[2].seen);
	shm_detach(&a);
}

/* ------------------------------------------------------------------ */
/* Slots held by readers */

static void
test_held_slot_never_reused(void **state)
{
	struct shm_region *r = *state;
	struct shm_reader_state st;
	assert_int_equal(publish_gen(r, 1, 100), 0);
	shm_reader_online(&st, r, 0);
	assert_int_equal(st.gen, 1);
	const struct snap_hdr *held = st.snap;
	assert_non_null(held);
	size_t sz = held->size;
	uint8_t *copy = malloc(sz);
	memcpy(copy, held, sz);

	/* Two free slots: these succeed without the reader moving. */
	assert_int_equal(publish_gen(r, 2, 100), 0);
	assert_int_equal(publish_gen(r, 3, 100), 0);
	/* The third would need the reader's slot (or gen 2's, which the
	 * reader might also be about to take): -EBUSY after the timeout. */
	uint64_t t0 = mono_ms();
	assert_int_equal(publish_gen(r, 4, 150), -EBUSY);
	uint64_t waited = mono_ms() - t0;
	assert_true(waited >= 150);
	assert_true(waited < 2000);
	assert_memory_equal(held, copy, sz);
	assert_int_equal(snap_verify(held, r->hdr->slot_size, NULL), 0);
	assert_int_equal(shm_published_gen(r), 3);

	/* The reader reports quiescence: publication proceeds. */
	assert_non_null(shm_reader_poll(&st));
	assert_int_equal(st.gen, 3);
	assert_int_equal(publish_gen(r, 4, 100), 0);
	/* An offline reader blocks nothing. */
	shm_reader_offline(&st);
	for (uint64_t g = 5; g < 12; g++)
		assert_int_equal(publish_gen(r, g, 100), 0);
	/* Generations must grow. */
	assert_int_equal(publish_gen(r, 11, 100), -EINVAL);
	free(copy);
}

static void
test_dead_dataplane_does_not_block(void **state)
{
	struct shm_region *r = *state;
	struct shm_reader_state st;
	assert_int_equal(publish_gen(r, 1, 100), 0);
	shm_reader_online(&st, r, 1);
	assert_int_equal(st.gen, 1);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	/* A crashed dataplane leaves its pid and reader gens behind. */
	atomic_store(&r->hdr->dp_pid, child);
	for (uint64_t g = 2; g < 8; g++)
		assert_int_equal(publish_gen(r, g, 50), 0);
	/* Back alive (our pid): the stale reader blocks again. */
	atomic_store(&r->hdr->dp_pid, getpid());
	atomic_store(&r->hdr->readers[1].gen, 6);
	assert_int_equal(publish_gen(r, 8, 50), 0);
	assert_int_equal(publish_gen(r, 9, 50), -EBUSY);
}

static void
test_corrupt_snapshot_refused(void **state)
{
	struct shm_region *r = *state;
	struct shm_reader_state st;
	shm_reader_online(&st, r, 0);
	assert_null(st.snap); /* nothing published yet */
	assert_null(shm_reader_poll(&st));
	assert_int_equal(publish_gen(r, 1, 100), 0);
	assert_non_null(shm_reader_poll(&st));
	assert_int_equal(st.gen, 1);

	assert_int_equal(publish_gen(r, 2, 100), 0);
	uint64_t pub = atomic_load(&r->hdr->pub);
	uint8_t *slot = (uint8_t *)r->hdr + r->hdr->slot_off[SHM_PUB_SLOT(pub)];
	slot[sizeof(struct snap_hdr) + 3] ^= 0x40; /* a control bug / stray write */
	const struct snap_hdr *s = shm_reader_poll(&st);
	assert_non_null(s);
	assert_int_equal(st.gen, 1); /* kept the good one */
	assert_int_equal(st.rejected_gen, 2);
	assert_string_equal(st.rejected_why, "crc mismatch");
	assert_int_equal(atomic_load(&r->hdr->readers[0].gen), 1);

	assert_int_equal(publish_gen(r, 3, 100), 0);
	assert_non_null(shm_reader_poll(&st));
	assert_int_equal(st.gen, 3);

	/* shm_publish itself refuses a snapshot that does not verify, also
	 * one larger than a slot (which no longer fails for its size: it
	 * would go into a snapshot area, test_snap_area.c) -- before any area
	 * is created, and the published generation stays. */
	struct snap_hdr *bad = snap_gen(0, 4);
	bad->crc ^= 1;
	assert_int_equal(shm_publish(r, bad, 10), -EINVAL);
	size_t big = r->hdr->slot_size + 64;
	struct snap_hdr *bigger = calloc(1, big);
	assert_non_null(bigger);
	memcpy(bigger, bad, bad->size);
	bigger->size = (uint32_t)big;
	assert_int_equal(shm_publish(r, bigger, 10), -EINVAL);
	assert_int_equal(shm_published_gen(r), 3);
	assert_int_equal(SHM_PUB_AREA(atomic_load(&r->hdr->pub)), 0);
	free(bigger);
	free(bad);
	shm_reader_offline(&st);
}

/* ------------------------------------------------------------------ */
/* Attach checks */

/* Runs shm_attach with stderr captured into buf. */
static int
attach_capture(struct shm_region *a, char *buf, size_t cap)
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	int rc = shm_attach(a, inst);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	size_t n = fread(buf, 1, cap - 1, tmp);
	buf[n] = 0;
	fclose(tmp);
	return rc;
}

static void
test_attach_refusals(void **state)
{
	struct shm_region *r = *state, a;
	char msg[512];
	assert_int_equal(shm_attach(&a, inst), 0);
	shm_detach(&a);

	r->hdr->abi = SHM_ABI + 1;
	assert_int_equal(attach_capture(&a, msg, sizeof(msg)), -EPROTO);
	char want[128];
	snprintf(want, sizeof(want), "has ABI version %u but this build speaks ABI version %u",
		 SHM_ABI + 1, SHM_ABI);
	assert_non_null(strstr(msg, want));
	r->hdr->abi = SHM_ABI;

	r->hdr->magic ^= 0xff;
	assert_int_equal(attach_capture(&a, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "bad magic"));
	r->hdr->magic = 0; /* still being created */
	assert_int_equal(attach_capture(&a, msg, sizeof(msg)), -EAGAIN);
	r->hdr->magic = SHM_MAGIC;

	uint64_t saved = r->hdr->slot_off[2];
	r->hdr->slot_off[2] = r->hdr->region_size - 64; /* slot runs past the end */
	assert_int_equal(attach_capture(&a, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "inconsistent layout"));
	r->hdr->slot_off[2] = saved;
	saved = r->hdr->region_size;
	r->hdr->region_size += 4096;
	assert_int_equal(attach_capture(&a, msg, sizeof(msg)), -EINVAL);
	r->hdr->region_size = saved;

	assert_int_equal(shm_attach(&a, inst), 0);
	shm_detach(&a);
	assert_int_equal(shm_attach(&a, "cft-no-such-instance"), -ENOENT);
	assert_int_equal(shm_attach(&a, "bad/name"), -EINVAL);
}

static void
test_create_reuse(void **state)
{
	struct shm_region *r = *state, r2;
	bool reused = false;
	struct lease_table *t = shm_leases(r);
	struct lease *l = lease_get_or_add(t, 0x0a050063u);
	assert_non_null(l);
	assert_int_equal(publish_gen(r, 5, 100), 0);

	/* Same ABI and geometry: re-attached, state kept. */
	assert_int_equal(shm_create(&r2, &params, &reused), 0);
	assert_true(reused);
	assert_non_null(lease_by_ip(shm_leases(&r2), 0x0a050063u));
	assert_int_equal(shm_published_gen(&r2), 5);
	shm_detach(&r2);

	/* Another ABI while the dataplane (us) is alive: refused. */
	r->hdr->abi = SHM_ABI + 7;
	FILE *tmp = tmpfile();
	int saved = dup(2);
	dup2(fileno(tmp), 2);
	int rc = shm_create(&r2, &params, &reused);
	dup2(saved, 2);
	close(saved);
	fclose(tmp);
	assert_int_equal(rc, -EBUSY);
	/* ... and replaced once the dataplane is gone. */
	atomic_store(&r->hdr->dp_pid, 0);
	assert_int_equal(shm_create(&r2, &params, &reused), 0);
	assert_false(reused);
	assert_int_equal(shm_published_gen(&r2), 0);
	assert_null(lease_by_ip(shm_leases(&r2), 0x0a050063u));
	shm_detach(&r2);

	/* Other geometry: a new region. */
	struct shm_create_params p2 = params;
	p2.max_workers = 2;
	assert_int_equal(shm_create(&r2, &p2, &reused), 0);
	assert_false(reused);
	assert_int_equal(r2.hdr->max_workers, 2);
	assert_null(shm_lease_ring(&r2, 2));
	assert_null(shm_worker_counters(&r2, 2));
	shm_detach(&r2);

	/* Bad parameters. */
	p2.ring_size = 100;
	assert_int_equal(shm_create(&r2, &p2, &reused), -EINVAL);
	p2 = params;
	p2.max_workers = SHM_MAX_WORKERS + 1;
	assert_int_equal(shm_create(&r2, &p2, &reused), -EINVAL);
}

/* ------------------------------------------------------------------ */
/* Rings and counters without an EAL (this binary never calls
 * rte_eal_init) */

/* The SP/SC run gives up only when nothing moves for STALL_MS: a loaded
 * machine slows it down (two threads, each yielding to the other, on a
 * shared core) but every event must still arrive, in order.  done: the
 * consumer has stopped (all taken, or stalled), so the producer stops
 * too (release/acquire: ra->bad is final once done reads true). */
#define STALL_MS 20000

struct ring_arg {
	struct rte_ring *ring;
	uint64_t n, bad;
	_Atomic bool done;
};

static void *
consumer_main(void *p)
{
	struct ring_arg *ra = p;
	uint64_t next = 0, last_move = mono_ms();
	struct boot_event ev[16];
	while (next < ra->n && mono_ms() - last_move < STALL_MS) {
		unsigned k = rte_ring_dequeue_burst_elem(ra->ring, ev, sizeof(ev[0]), 16, NULL);
		if (k == 0) {
			sched_yield();
			continue;
		}
		last_move = mono_ms();
		for (unsigned i = 0; i < k; i++, next++)
			if (ev[i].bytes != next || ev[i].total != ~next)
				ra->bad++;
	}
	ra->bad += ra->n - next;
	atomic_store_explicit(&ra->done, true, memory_order_release);
	return NULL;
}

static void
test_rings_without_eal(void **state)
{
	struct shm_region *r = *state, a;
	assert_int_equal(shm_attach(&a, inst), 0);
	struct rte_ring *prod = shm_lease_ring(r, 3), *cons = shm_lease_ring(&a, 3);
	assert_non_null(prod);
	assert_int_equal(rte_ring_get_capacity(prod), params.ring_size - 1);

	/* Fill to capacity, one more fails, drain in order. */
	struct lease_event ev = { 0 };
	for (unsigned i = 0; i < params.ring_size - 1; i++) {
		ev.seq = 1000 + i;
		ev.ip = i;
		assert_int_equal(rte_ring_enqueue_elem(prod, &ev, sizeof(ev)), 0);
	}
	assert_int_equal(rte_ring_enqueue_elem(prod, &ev, sizeof(ev)), -ENOBUFS);
	struct lease_event out[8];
	unsigned got = 0;
	unsigned k;
	while ((k = rte_ring_dequeue_burst_elem(cons, out, sizeof(out[0]), 8, NULL)) > 0) {
		for (unsigned i = 0; i < k; i++, got++) {
			assert_int_equal(out[i].seq, 1000 + got);
			assert_int_equal(out[i].ip, got);
		}
	}
	assert_int_equal(got, params.ring_size - 1);

	/* SP/SC across threads and mappings. */
	struct ring_arg ra = { .ring = shm_boot_ring(&a, 0), .n = 200000 };
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, consumer_main, &ra), 0);
	struct rte_ring *bp = shm_boot_ring(r, 0);
	/* no deadline of its own: a full ring waits for the consumer, which
	 * stops after STALL_MS without progress */
	for (uint64_t i = 0; i < ra.n && !atomic_load_explicit(&ra.done, memory_order_acquire);) {
		struct boot_event be = { .bytes = i, .total = ~i };
		if (rte_ring_enqueue_elem(bp, &be, sizeof(be)) == 0)
			i++;
		else
			sched_yield();
	}
	pthread_join(th, NULL);
	assert_int_equal(ra.bad, 0);

	/* Counters: written through one mapping, read through the other. */
	_Atomic uint64_t *cw = shm_worker_counters(r, 1), *cr = shm_worker_counters(&a, 1);
	atomic_store_explicit(&cw[7], 42, memory_order_relaxed);
	assert_int_equal(atomic_load_explicit(&cr[7], memory_order_relaxed), 42);
	assert_int_equal(atomic_load_explicit(&shm_worker_counters(&a, 0)[7],
					      memory_order_relaxed),
			 0);
	assert_int_equal(lease_table_check(shm_leases(&a), a.hdr->leases_size), 0);
	shm_detach(&a);
}

/* ------------------------------------------------------------------ */
/* Trust (issue 15 item 2 and "Also") */

#define OTHER_UID 54321u /* not root, not us, not the service user */

/* Runs shm_create with stderr captured into buf. */
static int
create_capture(struct shm_region *r2, bool *reused, char *buf, size_t cap)
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	int rc = shm_create(r2, &params, reused);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	size_t n = fread(buf, 1, cap - 1, tmp);
	buf[n] = 0;
	fclose(tmp);
	return rc;
}

static bool
region_exists(void)
{
	char path[96];
	struct stat st;
	snprintf(path, sizeof(path), "/dev/shm/bootstorm-%s", inst);
	return stat(path, &st) == 0;
}

/* Before: root control re-attached to (or silently replaced) a region
 * another user created, and the dataplane attached to it. */
static void
test_foreign_owner_refused(void **state)
{
	struct shm_region *r = *state, a, r2;
	char msg[512];
	bool reused;
	if (geteuid() != 0)
		skip(); /* chown needs root */

	/* The region handed to another user (chown = what a user who
	 * created the name first has). */
	assert_int_equal(fchown(r->fd, OTHER_UID, (gid_t)-1), 0);
	assert_int_equal(attach_capture(&a, msg, sizeof(msg)), -EPERM);
	assert_non_null(strstr(msg, "owned by uid 54321"));
	assert_int_equal(create_capture(&r2, &reused, msg, sizeof(msg)), -EPERM);
	assert_non_null(strstr(msg, "rm /dev/shm/bootstorm-"));
	assert_true(region_exists()); /* not ours: never unlinked */
	assert_int_equal(fchown(r->fd, 0, (gid_t)-1), 0);
	assert_int_equal(shm_attach(&a, inst), 0);
	shm_detach(&a);

	/* Created by another user for real: a child drops to OTHER_UID and
	 * creates the name before control does. */
	shm_detach(r);
	shm_unlink_instance(inst);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct shm_region c;
		bool ru;
		if (setgid(OTHER_UID) < 0 || setuid(OTHER_UID) < 0)
			_exit(3);
		_exit(shm_create(&c, &params, &ru) == 0 ? 0 : 4);
	}
	int st;
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(attach_capture(&a, msg, sizeof(msg)), -EPERM);
	assert_int_equal(create_capture(&r2, &reused, msg, sizeof(msg)), -EPERM);
	assert_true(region_exists());
	/* teardown_region detaches (nothing mapped) and unlinks it. */
}

/* The systemd set-up: control as SHM_SERVICE_USER creates the region 0660
 * for its group and re-attaches to it after a restart; the dataplane (root)
 * attaches; a root control does not take it over.  Needs root and the
 * user (skipped otherwise; run it in a mount namespace with a passwd that
 * has the user, see README). */
static int
as_service_user(uid_t su, gid_t sg, int want_reused)
{
	pid_t child = fork();
	if (child == 0) {
		struct shm_region c;
		bool ru;
		if (setgroups(0, NULL) < 0 || setgid(sg) < 0 || setuid(su) < 0)
			_exit(3);
		if (shm_create(&c, &params, &ru) != 0)
			_exit(4);
		_exit(ru == (want_reused != 0) ? 0 : 5);
	}
	int st = 0;
	waitpid(child, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}

static void
test_service_user_region(void **state)
{
	struct shm_region *r = *state, a, r2;
	char msg[512];
	bool reused;
	struct passwd *pw = getpwnam(SHM_SERVICE_USER);
	if (geteuid() != 0 || !pw)
		skip();
	uid_t su = pw->pw_uid;
	gid_t sg = pw->pw_gid;
	shm_detach(r);
	shm_unlink_instance(inst);
	assert_int_equal(as_service_user(su, sg, 0), 0);
	char path[96];
	struct stat st;
	snprintf(path, sizeof(path), "/dev/shm/bootstorm-%s", inst);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, su);
	assert_int_equal(st.st_gid, sg);
	assert_int_equal(st.st_mode & 0777, 0660);
	/* control restarted: its own region, kept */
	assert_int_equal(as_service_user(su, sg, 1), 0);
	/* the dataplane (root) trusts it */
	assert_int_equal(shm_attach(&a, inst), 0);
	shm_detach(&a);
	/* a root control does not take over the service user's region */
	assert_int_equal(create_capture(&r2, &reused, msg, sizeof(msg)), -EPERM);
}

/* Before: a region others may write was used as it is. */
static void
test_loose_mode_refused(void **state)
{
	struct shm_region *r = *state, a, r2;
	char msg[512];
	bool reused;
	struct stat st;

	assert_int_equal(fstat(r->fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, shm_guard_create_mode());
	assert_int_equal(st.st_mode & 0007, 0); /* explicit mode, not the umask */

	for (unsigned i = 0; i < 2; i++) {
		mode_t m = i == 0 ? 0602 : 0604; /* o+w, then o+r */
		assert_int_equal(fchmod(r->fd, m), 0);
		assert_int_equal(attach_capture(&a, msg, sizeof(msg)), -EPERM);
		assert_non_null(strstr(msg, "others may read or write"));
	}
	if (geteuid() == 0) {
		/* g+w for a group that is neither root's nor the service's. */
		assert_int_equal(fchmod(r->fd, 0660), 0);
		assert_int_equal(fchown(r->fd, (uid_t)-1, OTHER_UID), 0);
		assert_int_equal(attach_capture(&a, msg, sizeof(msg)), -EPERM);
		assert_int_equal(fchown(r->fd, (uid_t)-1, 0), 0);
	}
	/* Ours but loose: control does not trust its contents, replaces it
	 * with a fresh region of the right mode. */
	assert_int_equal(fchmod(r->fd, 0666), 0);
	atomic_store(&r->hdr->dp_pid, 0);
	assert_int_equal(create_capture(&r2, &reused, msg, sizeof(msg)), 0);
	assert_false(reused);
	assert_int_equal(fstat(r2.fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, shm_guard_create_mode());
	assert_int_equal(shm_attach(&a, inst), 0);
	shm_detach(&a);
	shm_detach(&r2);
}

/* Before: the owner of the region rewrote an rte_ring header and root
 * control crashed in journal_drain_rings.  Each corruption below must be
 * refused by shm_attach and by control's re-attach. */
static void
test_ring_header_refused(void **state)
{
	struct shm_region *r = *state, a, r2;
	char msg[512];
	bool reused;
	struct rte_ring *ring = shm_boot_ring(r, 2);
	struct rte_ring good;
	memcpy(&good, ring, sizeof(good));
	assert_int_equal(shm_guard_ring(ring, params.ring_size), 0);

	for (unsigned c = 0; c < 9; c++) {
		switch (c) {
		case 0: ring->mask = UINT32_MAX; break;
		case 1: ring->size = 1u << 20; ring->mask = ring->size - 1; break;
		case 2: ring->capacity = params.ring_size * 4; break;
		case 3: ring->flags = 0; break;
		case 4: ring->prod.sync_type = RTE_RING_SYNC_MT_HTS; break;
		case 5: ring->memzone = (const void *)(uintptr_t)0x1000; break;
		/* n = size entries where capacity is size - 1 */
		case 6: ring->prod.tail = ring->prod.head = ring->cons.head + params.ring_size; break;
		case 7: ring->cons.head = ring->cons.tail + params.ring_size; break;
		case 8: ring->prod.head = ring->prod.tail + params.ring_size; break;
		}
		assert_int_equal(shm_guard_ring(ring, params.ring_size), -EINVAL);
		assert_int_equal(attach_capture(&a, msg, sizeof(msg)), -EINVAL);
		assert_non_null(strstr(msg, "inconsistent layout"));
		/* Control re-attaching while the dataplane (us) runs: refused. */
		assert_int_equal(create_capture(&r2, &reused, msg, sizeof(msg)), -EBUSY);
		memcpy(ring, &good, sizeof(good));
	}
	/* Wrapped positions are fine (free-running counters). */
	ring->prod.head = ring->prod.tail = 5;
	ring->cons.head = ring->cons.tail = UINT32_MAX - 3; /* 9 entries */
	assert_int_equal(shm_guard_ring(ring, params.ring_size), 0);
	memcpy(ring, &good, sizeof(good));
	assert_int_equal(shm_attach(&a, inst), 0);
	shm_detach(&a);
	/* No dataplane: a damaged region of ours is replaced. */
	ring->mask = UINT32_MAX;
	atomic_store(&r->hdr->dp_pid, 0);
	assert_int_equal(create_capture(&r2, &reused, msg, sizeof(msg)), 0);
	assert_false(reused);
	assert_int_equal(shm_guard_ring(shm_boot_ring(&r2, 2), params.ring_size), 0);
	shm_detach(&r2);
}

/* A layout change without an ABI bump (simulated: the creator's
 * fingerprint differs) is refused like an ABI mismatch. */
static void
test_layout_fingerprint(void **state)
{
	struct shm_region *r = *state, a, r2;
	char msg[512];
	bool reused;
	uint64_t fp = shm_layout_fp();
	assert_true(fp != 0);
	assert_int_equal(fp, shm_layout_fp());
	assert_int_equal(r->hdr->layout_fp, fp);

	r->hdr->layout_fp = fp ^ 0x10;
	assert_int_equal(attach_capture(&a, msg, sizeof(msg)), -EPROTO);
	assert_non_null(strstr(msg, "layout fingerprint"));
	assert_int_equal(create_capture(&r2, &reused, msg, sizeof(msg)), -EBUSY);
	r->hdr->layout_fp = fp;
	assert_int_equal(shm_attach(&a, inst), 0);
	shm_detach(&a);
}

/* Before: liveness was kill(pid, 0) only, so a pid reused by any other
 * process kept a dead peer "alive" (control refused to start, a dead
 * dataplane's readers blocked publication). */
static void
test_pid_reuse(void **state)
{
	struct shm_region *r = *state, r2;
	char msg[512];
	bool reused;
	int32_t me = getpid();
	uint64_t start = shm_proc_start(me);
	assert_true(start > 0);
	assert_int_equal(shm_proc_start(-1), 0);
	assert_true(shm_proc_alive(me, start));
	assert_true(shm_proc_alive(me, 0)); /* not recorded: kill() only */
	assert_false(shm_proc_alive(me, start + 1));
	assert_false(shm_proc_alive(0, 0));

	/* A dead dataplane whose pid now belongs to a live process (us):
	 * its readers do not block publication... */
	struct shm_reader_state st;
	assert_int_equal(publish_gen(r, 1, 100), 0);
	shm_reader_online(&st, r, 1);
	atomic_store(&r->hdr->dp_start, start + 1);
	atomic_store(&r->hdr->dp_pid, me);
	assert_false(shm_dp_alive(r->hdr));
	for (uint64_t g = 2; g < 8; g++)
		assert_int_equal(publish_gen(r, g, 50), 0);
	/* ... and do not stop control from replacing a region of another
	 * ABI. */
	r->hdr->abi = SHM_ABI + 1;
	assert_int_equal(create_capture(&r2, &reused, msg, sizeof(msg)), 0);
	assert_false(reused);
	shm_detach(&r2);
	/* The real one (right start time) is alive. */
	atomic_store(&r->hdr->dp_start, start);
	assert_true(shm_dp_alive(r->hdr));

	/* A control pid reused by another process does not block a new
	 * control (r2 is the live region now). */
	assert_int_equal(shm_create(&r2, &params, &reused), 0);
	assert_true(reused);
	assert_int_equal(atomic_load(&r2.hdr->control_start), start);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	atomic_store(&r2.hdr->control_start, shm_proc_start(child) + 1);
	atomic_store(&r2.hdr->control_pid, child);
	struct shm_region r3;
	assert_int_equal(shm_create(&r3, &params, &reused), 0);
	assert_true(reused);
	shm_detach(&r3);
	atomic_store(&r2.hdr->control_start, shm_proc_start(child));
	atomic_store(&r2.hdr->control_pid, child);
	assert_int_equal(create_capture(&r3, &reused, msg, sizeof(msg)), -EBUSY);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	shm_detach(&r2);
}

/* A dataplane claiming the region repairs what a dead writer left, and
 * refuses while another live one holds it. */
static void
test_dp_claim(void **state)
{
	struct shm_region *r = *state;
	struct lease_table *t = shm_leases(r);
	struct lease *l = lease_get_or_add(t, 0x0a050064u);
	assert_non_null(l);
	atomic_store(&l->seq, atomic_load(&l->seq) | 1u); /* died mid-update */
	atomic_store(&r->hdr->dp_pid, 0);
	/* Control (us) alive and nothing published: it may be rebuilding the
	 * table, so the dataplane leaves it alone. */
	assert_int_equal(shm_dp_claim(r), 0);
	assert_true(atomic_load(&l->seq) & 1u);
	assert_int_equal(publish_gen(r, 1, 100), 0);
	assert_int_equal(shm_dp_claim(r), 1);
	struct lease out;
	assert_true(lease_read(t, 0, &out));
	shm_dp_announce(r, true);
	assert_int_equal(atomic_load(&r->hdr->dp_pid), getpid());
	assert_int_equal(atomic_load(&r->hdr->dp_start), shm_proc_start(getpid()));
	assert_int_equal(shm_dp_claim(r), 0); /* ourselves */

	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	atomic_store(&r->hdr->dp_start, shm_proc_start(child));
	atomic_store(&r->hdr->dp_pid, child);
	assert_int_equal(shm_dp_claim(r), -EBUSY);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_int_equal(shm_dp_claim(r), 0); /* dead now */
	shm_dp_announce(r, false);
	assert_int_equal(atomic_load(&r->hdr->dp_pid), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hammer, setup_region, teardown_region),
		cmocka_unit_test_setup_teardown(test_held_slot_never_reused, setup_region,
						teardown_region),
		cmocka_unit_test_setup_teardown(test_dead_dataplane_does_not_block, setup_region,
						teardown_region),
		cmocka_unit_test_setup_teardown(test_corrupt_snapshot_refused, setup_region,
						teardown_region),
		cmocka_unit_test_setup_teardown(test_attach_refusals, setup_region,
						teardown_region),
		cmocka_unit_test_setup_teardown(test_create_reuse, setup_region, teardown_region),
		cmocka_unit_test_setup_teardown(test_rings_without_eal, setup_region,
						teardown_region),
		cmocka_unit_test_setup_teardown(test_foreign_owner_refused, setup_region,
						teardown_region),
		cmocka_unit_test_setup_teardown(test_loose_mode_refused, setup_region,
						teardown_region),
		cmocka_unit_test_setup_teardown(test_service_user_region, setup_region,
						teardown_region),
		cmocka_unit_test_setup_teardown(test_ring_header_refused, setup_region,
						teardown_region),
		cmocka_unit_test_setup_teardown(test_layout_fingerprint, setup_region,
						teardown_region),
		cmocka_unit_test_setup_teardown(test_pid_reuse, setup_region, teardown_region),
		cmocka_unit_test_setup_teardown(test_dp_claim, setup_region, teardown_region),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
