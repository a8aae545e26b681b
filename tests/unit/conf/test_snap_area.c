/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Snapshot areas (shm/shm.h "Snapshot areas", shm/area.c, shm/pubslot.c):
 * a snapshot that outgrows the region's slots is published anyway.
 *   - slot sizing: a table of boundary cases for shm_slot_size_for;
 *   - growth: a reader (its own attach, like the dataplane) follows a
 *     snapshot 30x the region's slot into area 1, then area 2; control
 *     unlinks the old name at once; a worker still on the old area keeps
 *     reading it intact until its next poll, and the last worker of the
 *     process to leave it unmaps it;
 *   - hammer: reader threads sharing one attach verify every snapshot they
 *     hold while the writer publishes generations that outgrow their area
 *     again and again: no torn snapshot, no fault;
 *   - a re-attached control (another slot size asked for) continues in the
 *     area the reader follows;
 *   - refused: an area pub names that is missing, or that belongs to
 *     another region, is refused once and the old snapshot kept;
 *   - no room: an area that cannot be created (file size limit) fails the
 *     publication, counted, with the old generation still published.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "conf/cfg.h"
#include "conf/snap_build.h"
#include "shm/area.h"
#include "shm/publish.h"
#include "shm/snap_read.h"
#include "shm/snap_verify.h"

static char inst[32];

static const struct shm_create_params params = {
	.instance = inst,
	.max_workers = 4,
	.ring_size = 64,
	.lease_cap = 64,
	.slot_size = 64 * 1024,
};

/* A snapshot of n nodes named <prefix>NNNNN from MAC 52:54:<tag>:00:00:01
 * and 10.8.0.1 on; free() it. */
static struct snap_hdr *
build_nodes(unsigned n, const char *prefix, unsigned tag, uint64_t gen)
{
	char yaml[512];
	snprintf(yaml, sizeof(yaml),
		 "server: {ip: 10.8.0.0/14}\n"
		 "dhcp: {subnets: [{subnet: 10.8.0.0/14, pools: [10.11.255.1-10.11.255.200]}]}\n"
		 "nodes:\n"
		 "  - {range: '%s[00001-%05u]', mac: '52:54:%02x:00:00:01', ip: 10.8.0.1}\n",
		 prefix, n, tag);
	struct cfg_errs e = { 0 };
	struct cfg *c = cfg_load_mem("area.yaml", yaml, strlen(yaml), &e);
	if (!c) {
		cfg_errs_print(&e, stderr);
		cfg_errs_free(&e);
		return NULL;
	}
	struct snap_hdr *s = NULL;
	size_t len;
	int rc = snap_build(c, gen, &s, &len);
	cfg_free(c);
	cfg_errs_free(&e);
	return rc == 0 ? s : NULL;
}

static bool
area_file_exists(unsigned area)
{
	char name[96], path[128];
	struct stat st;
	assert_int_equal(shm_area_name(name, sizeof(name), inst, area), 0);
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	return stat(path, &st) == 0;
}

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

static void
test_slot_size_for(void **state)
{
	(void)state;
	static const struct {
		uint64_t len, min, want;
	} cases[] = {
		{ 0, 16u << 20, 16u << 20 },		     /* empty: the minimum */
		{ (4u << 20) - 1, 16u << 20, 16u << 20 },   /* 4 * len < min */
		{ 4u << 20, 16u << 20, 16u << 20 },	     /* 4 * len == min */
		{ (4u << 20) + 1, 16u << 20, 32u << 20 },   /* just past: doubles */
		{ 100, 0, 4096 },			     /* no minimum: a page */
		{ 1025, 0, 8192 },			     /* 4100 -> 8192 */
		{ 15u << 20, 16u << 20, 64u << 20 },	     /* 60 MiB -> 64 MiB */
		{ 16u << 20, 64u << 20, 64u << 20 },	     /* exactly 4x the min */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t got = shm_slot_size_for(cases[i].len, cases[i].min);
		if (got != cases[i].want)
			fail_msg("case %zu: len %llu min %llu: %llu, want %llu", i,
				 (unsigned long long)cases[i].len, (unsigned long long)cases[i].min,
				 (unsigned long long)got, (unsigned long long)cases[i].want);
	}
}

static const uint8_t *
mac_of(unsigned tag, unsigned i)
{
	static uint8_t m[6];
	m[0] = 0x52, m[1] = 0x54, m[2] = (uint8_t)tag;
	m[3] = (uint8_t)(i >> 16), m[4] = (uint8_t)(i >> 8), m[5] = (uint8_t)i;
	return m;
}

static void
test_grow(void **state)
{
	struct shm_region *r = *state;
	struct shm_region dp, dp2;
	struct shm_reader_state w0, w1;

	struct snap_hdr *small = build_nodes(10, "n", 1, 1);
	struct snap_hdr *big = build_nodes(3000, "n", 1, 2);
	assert_non_null(small);
	assert_non_null(big);
	assert_true(small->size <= r->hdr->slot_size);
	assert_true(big->size > r->hdr->slot_size); /* the point of the test */

	assert_int_equal(shm_publish(r, small, 100), 0);
	assert_int_equal(shm_attach(&dp, inst), 0);
	shm_reader_online(&w0, &dp, 0);
	shm_reader_online(&w1, &dp, 1);
	assert_int_equal(w0.gen, 1);
	assert_int_equal(w0.area, 0);
	assert_null(snap_find_mac(w0.snap, mac_of(1, 3000)));

	/* Before snapshot areas: -E2BIG here (and "restart control"). */
	assert_int_equal(shm_publish(r, big, 100), 0);
	uint64_t pub = atomic_load(&r->hdr->pub);
	assert_int_equal(SHM_PUB_AREA(pub), 1);
	assert_true(area_file_exists(1));
	assert_int_equal(atomic_load(&r->hdr->snap_grows), 1);
	assert_true(atomic_load(&r->hdr->snap_cap) >= 4ull * big->size);

	const struct snap_hdr *s = shm_reader_poll(&w0);
	assert_non_null(s);
	assert_int_equal(w0.gen, 2);
	assert_int_equal(w0.area, 1);
	assert_int_equal(snap_verify(s, s->size, NULL), 0);
	const struct snap_node *nd = snap_find_mac(s, mac_of(1, 3000));
	assert_non_null(nd); /* the node only the grown snapshot has */
	assert_string_equal(snap_str(s, nd->name), "n03000");
	assert_int_equal(dp.areas->m[1].refs, 1);

	/* A smaller snapshot stays in the area in use (no shrinking). */
	free(small);
	small = build_nodes(10, "n", 1, 3);
	assert_int_equal(shm_publish(r, small, 100), 0);
	assert_int_equal(SHM_PUB_AREA(atomic_load(&r->hdr->pub)), 1);
	assert_non_null(shm_reader_poll(&w0));
	assert_non_null(shm_reader_poll(&w1));
	assert_int_equal(w1.area, 1);
	assert_int_equal(dp.areas->m[1].refs, 2);

	/* Past area 1's slots: area 2.  Area 1's name goes at once; both
	 * workers still map it. */
	uint64_t cap1 = atomic_load(&r->hdr->snap_cap);
	struct snap_hdr *huge = build_nodes(20000, "m", 2, 4);
	assert_non_null(huge);
	assert_true(huge->size > cap1);
	assert_int_equal(shm_publish(r, huge, 100), 0);
	assert_int_equal(SHM_PUB_AREA(atomic_load(&r->hdr->pub)), 2);
	assert_false(area_file_exists(1));
	assert_true(area_file_exists(2));
	assert_int_equal(atomic_load(&r->hdr->snap_grows), 2);

	s = shm_reader_poll(&w0);
	assert_int_equal(w0.area, 2);
	assert_non_null(snap_find_mac(s, mac_of(2, 20000)));
	/* Worker 1 has not passed a quiescent point: its snapshot (area 1)
	 * is still mapped and intact. */
	assert_non_null(dp.areas->m[1].base);
	assert_int_equal(dp.areas->m[1].refs, 1);
	assert_int_equal(snap_verify(w1.snap, w1.snap->size, NULL), 0);
	assert_int_equal(w1.snap->gen, 3);
	s = shm_reader_poll(&w1);
	assert_int_equal(w1.area, 2);
	assert_null(dp.areas->m[1].base); /* the last worker left: unmapped */
	assert_int_equal(dp.areas->m[2].refs, 2);

	/* A dataplane started now maps the area in use straight away. */
	struct shm_reader_state w2;
	assert_int_equal(shm_attach(&dp2, inst), 0);
	shm_reader_online(&w2, &dp2, 2);
	assert_int_equal(w2.gen, 4);
	assert_int_equal(w2.area, 2);
	shm_reader_offline(&w2);
	assert_null(dp2.areas->m[2].base);
	shm_detach(&dp2);

	shm_reader_offline(&w0);
	shm_reader_offline(&w1);
	assert_null(dp.areas->m[2].base);
	shm_detach(&dp);
	free(small);
	free(big);
	free(huge);
}

/* ------------------------------------------------------------------ */
/* Hammer: one dataplane (one attach), three workers */

#define HAMMER_READERS 3
#define HAMMER_GENS    240

static struct snap_hdr *hv[6];

struct hrd {
	struct shm_region *dp;
	unsigned worker;
	_Atomic bool *stop;
	uint64_t torn, seen, areas_seen, refused;
};

static bool
intact(const struct snap_hdr *s)
{
	return snap_verify(s, s->size, NULL) == 0; /* crc over every byte included */
}

static void *
hammer_reader(void *arg)
{
	struct hrd *a = arg;
	struct shm_reader_state st;
	unsigned last_area = 0;
	shm_reader_online(&st, a->dp, a->worker);
	while (!atomic_load(a->stop)) {
		const struct snap_hdr *s = shm_reader_poll(&st);
		if (!s)
			continue;
		if (!intact(s))
			a->torn++;
		/* use it a while, as a poll iteration does, then check again */
		for (volatile int i = 0; i < 200; i++)
			;
		if (!intact(s) || s->gen != st.gen)
			a->torn++;
		a->seen++;
		if (st.area != last_area) {
			a->areas_seen++;
			last_area = st.area;
		}
	}
	/* A worker that loses the race with an unlink (pub moved on) takes
	 * the newer pub next poll: nothing to report as refused. */
	a->refused = st.rejected_gen;
	shm_reader_offline(&st);
	return NULL;
}

static struct snap_hdr *
regen(const struct snap_hdr *src, uint64_t gen)
{
	struct snap_hdr *s = malloc(src->size);
	memcpy(s, src, src->size);
	s->gen = gen;
	s->crc = 0;
	s->crc = (uint32_t)crc32(0L, (const Bytef *)s, s->size);
	return s;
}

static void
test_hammer_grow(void **state)
{
	struct shm_region *r = *state;
	struct shm_region dp;
	_Atomic bool stop = false;
	pthread_t th[HAMMER_READERS];
	struct hrd args[HAMMER_READERS];
	/* Sizes (~65 B a node) that outgrow each area in turn: 64 KiB
	 * region slots, then 512 KiB, 4 MiB, 32 MiB (4x each size that did
	 * not fit, to a power of 2). */
	static const unsigned nodes[6] = { 10, 1500, 9000, 50, 70000, 20 };
	for (unsigned i = 0; i < 6; i++) {
		hv[i] = build_nodes(nodes[i], i % 2 ? "a" : "b", i + 1, 1);
		assert_non_null(hv[i]);
	}
	struct snap_hdr *s0 = regen(hv[0], 1);
	assert_int_equal(shm_publish(r, s0, 100), 0);
	free(s0);
	assert_int_equal(shm_attach(&dp, inst), 0);
	for (unsigned i = 0; i < HAMMER_READERS; i++) {
		args[i] = (struct hrd){ .dp = &dp, .worker = i, .stop = &stop };
		assert_int_equal(pthread_create(&th[i], NULL, hammer_reader, &args[i]), 0);
	}
	/* Generation g uses variant (g / 40) with a small one every other
	 * time: a reader may hold any of them while the next area opens. */
	for (uint64_t g = 2; g <= HAMMER_GENS; g++) {
		unsigned v = (unsigned)(g / 40) % 6;
		struct snap_hdr *s = regen(hv[g % 2 ? v : 0], g);
		assert_int_equal(shm_publish(r, s, 5000), 0);
		free(s);
	}
	atomic_store(&stop, true);
	uint64_t torn = 0, seen = 0, areas = 0;
	for (unsigned i = 0; i < HAMMER_READERS; i++) {
		pthread_join(th[i], NULL);
		torn += args[i].torn;
		seen += args[i].seen;
		areas += args[i].areas_seen;
		assert_int_equal(args[i].refused, 0);
	}
	printf("hammer: %llu snapshots used, %llu area changes seen, %llu grows, %llu torn\n",
	       (unsigned long long)seen, (unsigned long long)areas,
	       (unsigned long long)atomic_load(&r->hdr->snap_grows), (unsigned long long)torn);
	assert_int_equal(torn, 0);
	assert_int_equal(atomic_load(&r->hdr->snap_grows), 3);
	for (unsigned a = 1; a < SHM_AREAS; a++)
		assert_null(dp.areas->m[a].base); /* every worker offline: all unmapped */
	/* Only the area in use keeps its name. */
	unsigned cur = SHM_PUB_AREA(atomic_load(&r->hdr->pub));
	for (unsigned a = 1; a < SHM_AREAS; a++)
		assert_int_equal(area_file_exists(a), a == cur);
	shm_detach(&dp);
	for (unsigned i = 0; i < 6; i++)
		free(hv[i]);
}

/* ------------------------------------------------------------------ */

static void
test_reattach_continues(void **state)
{
	struct shm_region *r = *state;
	struct shm_region dp, c2;
	struct shm_reader_state w;
	struct snap_hdr *small = build_nodes(10, "n", 1, 1);
	struct snap_hdr *big = build_nodes(3000, "n", 1, 2);
	assert_int_equal(shm_publish(r, small, 100), 0);
	assert_int_equal(shm_publish(r, big, 100), 0);
	assert_int_equal(shm_attach(&dp, inst), 0);
	shm_reader_online(&w, &dp, 0);
	assert_int_equal(w.area, 1);

	/* Leftovers of a control that died between creating an area and
	 * publishing into it: gone when the next control attaches. */
	assert_int_equal(shm_area_create(r, 7, 64 * 1024), 0);
	assert_true(area_file_exists(7));

	/* Control restarts (same pid here: the old one counts as us), asking
	 * for another slot size: the region is kept, not refused. */
	shm_detach(r);
	struct shm_create_params p2 = params;
	p2.slot_size = 16 * 1024;
	bool reused = false;
	assert_int_equal(shm_create(&c2, &p2, &reused), 0);
	assert_true(reused);
	assert_int_equal(c2.hdr->slot_size, params.slot_size);
	assert_false(area_file_exists(7));
	assert_true(area_file_exists(1)); /* the one the reader follows stays */
	free(big);
	big = build_nodes(3001, "n", 1, 3);
	assert_int_equal(shm_publish(&c2, big, 100), 0);
	assert_int_equal(SHM_PUB_AREA(atomic_load(&c2.hdr->pub)), 1); /* same area */
	assert_int_equal(atomic_load(&c2.hdr->snap_grows), 1);
	const struct snap_hdr *s = shm_reader_poll(&w);
	assert_int_equal(w.gen, 3);
	assert_non_null(snap_find_mac(s, mac_of(1, 3001)));
	shm_reader_offline(&w);
	shm_detach(&dp);
	*r = c2; /* teardown detaches it */
	free(small);
	free(big);
}

static void
test_refused_areas(void **state)
{
	struct shm_region *r = *state;
	struct shm_region dp;
	struct shm_reader_state w;
	struct snap_hdr *small = build_nodes(10, "n", 1, 1);
	assert_int_equal(shm_publish(r, small, 100), 0);
	assert_int_equal(shm_attach(&dp, inst), 0);
	shm_reader_online(&w, &dp, 0);
	assert_int_equal(w.gen, 1);

	/* pub names area 5, which does not exist. */
	atomic_store(&r->hdr->pub, SHM_PUB(2, SHM_LOC(5, 0)));
	assert_ptr_equal(shm_reader_poll(&w), w.snap);
	assert_int_equal(w.gen, 1);
	assert_int_equal(w.rejected_gen, 2);
	assert_non_null(strstr(w.rejected_why, "cannot open"));

	/* An area file of another region (created_ms differs). */
	assert_int_equal(shm_area_create(r, 6, 64 * 1024), 0);
	struct shm_area_hdr *a = (struct shm_area_hdr *)r->areas->m[6].base;
	struct snap_hdr *s3 = build_nodes(10, "n", 1, 3);
	memcpy((uint8_t *)a + a->slot_off[0], s3, s3->size);
	a->region_created_ms ^= 1;
	atomic_store(&r->hdr->pub, SHM_PUB(3, SHM_LOC(6, 0)));
	shm_reader_poll(&w);
	assert_int_equal(w.gen, 1);
	assert_int_equal(w.rejected_gen, 3);
	assert_non_null(strstr(w.rejected_why, "not this region"));
	/* The same file made right is taken. */
	a->region_created_ms ^= 1;
	atomic_store(&r->hdr->pub, SHM_PUB(4, SHM_LOC(6, 0)));
	s3->gen = 4;
	s3->crc = 0;
	s3->crc = (uint32_t)crc32(0L, (const Bytef *)s3, s3->size);
	memcpy((uint8_t *)a + a->slot_off[0], s3, s3->size);
	shm_reader_poll(&w);
	assert_int_equal(w.gen, 4);
	assert_int_equal(w.area, 6);
	shm_reader_offline(&w);
	shm_area_retire(r, 6);
	shm_detach(&dp);
	free(small);
	free(s3);
}

static void
test_no_room(void **state)
{
	struct shm_region *r = *state;
	struct snap_hdr *small = build_nodes(10, "n", 1, 1);
	struct snap_hdr *big = build_nodes(3000, "n", 1, 2);
	assert_int_equal(shm_publish(r, small, 100), 0);

	/* A file size limit stands in for a full /dev/shm: the area cannot
	 * be sized.  SIGXFSZ ignored: the call fails with EFBIG instead. */
	struct rlimit old, lim;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 128 * 1024;
	void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	int rc = shm_publish(r, big, 100);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, prev);
	assert_int_equal(rc, -EFBIG);
	assert_int_equal(shm_published_gen(r), 1); /* the old one serves */
	assert_int_equal(SHM_PUB_AREA(atomic_load(&r->hdr->pub)), 0);
	assert_int_equal(atomic_load(&r->hdr->snap_fail), 1);
	assert_false(area_file_exists(1));
	/* With room again the same snapshot goes through. */
	assert_int_equal(shm_publish(r, big, 100), 0);
	assert_int_equal(SHM_PUB_AREA(atomic_load(&r->hdr->pub)), 1);
	free(small);
	free(big);
}

int
main(void)
{
	snprintf(inst, sizeof(inst), "cfa-%d", (int)getpid());
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_size_for),
		cmocka_unit_test_setup_teardown(test_grow, setup_region, teardown_region),
		cmocka_unit_test_setup_teardown(test_hammer_grow, setup_region, teardown_region),
		cmocka_unit_test_setup_teardown(test_reattach_continues, setup_region,
						teardown_region),
		cmocka_unit_test_setup_teardown(test_refused_areas, setup_region, teardown_region),
		cmocka_unit_test_setup_teardown(test_no_room, setup_region, teardown_region),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
