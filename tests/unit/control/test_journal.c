/* SPDX-License-Identifier: BSD-3-Clause
 * The lease journal: append/replay, torn and corrupt last records, a
 * corrupt record and a damaged length in the middle (resynchronised), a
 * damaged tail (copied, then cut), durable_seq only after a successful fsync,
 * ENOSPC handling, compaction, lease table rebuild, ring draining. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "shm/leases.h"
#include "control/daemon/journal.h"

static char dir[64], path[128];

/* ---- fault-injecting I/O ------------------------------------------------ */
static int fail_write_errno, fail_sync_errno;
static unsigned n_sync;

static ssize_t
t_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	if (fail_write_errno) {
		/* a short write first, then the error: the journal must cut it */
		if (n > 10 && pwrite(fd, buf, 10, off) == 10) {
			errno = fail_write_errno;
			return -1;
		}
		errno = fail_write_errno;
		return -1;
	}
	return pwrite(fd, buf, n, off);
}

static int
t_fdatasync(int fd)
{
	n_sync++;
	if (fail_sync_errno) {
		errno = fail_sync_errno;
		return -1;
	}
	return fdatasync(fd);
}

static const struct journal_io tio = { .pwrite = t_pwrite, .fdatasync = t_fdatasync };

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/bs-journal-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, JOURNAL_FILE);
	fail_write_errno = fail_sync_errno = 0;
	n_sync = 0;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static struct lease_event
ev_make(uint64_t seq, uint32_t ip, uint8_t macl, uint8_t kind)
{
	struct lease_event ev = { .seq = seq, .expires_ms = 1000000 + seq, .ts_ms = seq, .ip = ip,
				  .mac = { 0x52, 0x54, 0, 0, 0, macl }, .kind = kind };

	snprintf(ev.hostname, sizeof(ev.hostname), "host-%u", macl);
	ev.client_id_len = 3;
	memcpy(ev.client_id, "\x01\x02\x03", 3);
	return ev;
}

static int
jopen(struct journal *j, void (*cb)(const struct lease_event *, void *), void *arg)
{
	struct journal_params p = { .dir = dir, .lease_cap = 1024, .io = &tio,
				    .on_replay = cb, .arg = arg };

	return journal_open(j, &p);
}

struct collect {
	struct lease_event ev[4096];
	size_t n;
};

static void
collect(const struct lease_event *ev, void *arg)
{
	struct collect *c = arg;

	if (c->n < 4096)
		c->ev[c->n++] = *ev;
}

static off_t
fsize(void)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void
write_n(unsigned n)
{
	struct journal j;

	assert_int_equal(jopen(&j, NULL, NULL), 0);
	for (unsigned i = 1; i <= n; i++) {
		struct lease_event ev = ev_make(i, 0x0a000000u + i, (uint8_t)i, LEASE_EV_GRANT);

		assert_int_equal(journal_append(&j, &ev), 0);
	}
	assert_int_equal(journal_commit(&j), 0);
	assert_int_equal(j.durable_seq, n);
	journal_close(&j);
}

static void
test_encode_roundtrip(void **state)
{
	struct lease_event a = ev_make(0x0102030405060708ull, 0xc0a80001u, 9, LEASE_EV_DECLINE), b;
	uint8_t buf[JOURNAL_EV_LEN];

	(void)state;
	journal_encode_event(&a, buf);
	journal_decode_event(buf, &b);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void
test_append_replay(void **state)
{
	struct collect *c = calloc(1, sizeof(*c));
	struct journal j;

	(void)state;
	write_n(100);
	assert_int_equal(fsize(), JOURNAL_HDR_LEN + 100 * JOURNAL_REC_LEN);
	assert_int_equal(jopen(&j, collect, c), 0);
	assert_int_equal(c->n, 100);
	for (size_t i = 0; i < 100; i++) {
		struct lease_event want = ev_make(i + 1, 0x0a000000u + (uint32_t)i + 1, (uint8_t)(i + 1),
						  LEASE_EV_GRANT);

		assert_memory_equal(&c->ev[i], &want, sizeof(want));
	}
	assert_int_equal(j.last_seq, 100);
	assert_int_equal(j.durable_seq, 100);
	/* appending after a replay continues the same file */
	{
		struct lease_event ev = ev_make(101, 0x0a0000ffu, 200, LEASE_EV_GRANT);

		assert_int_equal(journal_append(&j, &ev), 0);
		assert_int_equal(journal_commit(&j), 0);
	}
	journal_close(&j);
	assert_int_equal(journal_read_file(path, NULL, NULL), 101);
	free(c);
}

static void
test_torn_last_record(void **state)
{
	struct collect *c = calloc(1, sizeof(*c));
	off_t full;
	struct journal j;

	(void)state;
	write_n(10);
	full = fsize();
	/* a crash mid-append: only part of the 10th record reached the disk;
	 * try every cut inside the frame and the payload */
	for (off_t cut = 1; cut < (off_t)JOURNAL_REC_LEN; cut += 13) {
		assert_int_equal(truncate(path, full - cut), 0);
		c->n = 0;
		assert_int_equal(jopen(&j, collect, c), 0);
		assert_int_equal(c->n, 9);
		assert_int_equal(j.last_seq, 9);
		assert_int_equal(atomic_load(&j.st.truncated_bytes), (uint64_t)(JOURNAL_REC_LEN - cut));
		journal_close(&j);
		/* the tail was cut: the file ends on a record boundary again */
		assert_int_equal(fsize(), full - (off_t)JOURNAL_REC_LEN);
		/* put the 10th record back for the next cut */
		assert_int_equal(jopen(&j, NULL, NULL), 0);
		{
			struct lease_event ev = ev_make(10, 0x0a00000au, 10, LEASE_EV_GRANT);

			assert_int_equal(journal_append(&j, &ev), 0);
			assert_int_equal(journal_commit(&j), 0);
		}
		journal_close(&j);
		assert_int_equal(fsize(), full);
	}
	free(c);
}

static void
flip_byte(off_t off)
{
	int fd = open(path, O_RDWR);
	uint8_t b;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, off), 1);
	b ^= 0x40;
	assert_int_equal(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

static void
test_corrupt_last_record(void **state)
{
	struct collect *c = calloc(1, sizeof(*c));
	struct journal j;
	off_t full;

	(void)state;
	write_n(10);
	full = fsize();
	flip_byte(full - 5); /* inside the last payload: crc mismatch */
	assert_int_equal(jopen(&j, collect, c), 0);
	assert_int_equal(c->n, 9);
	assert_int_equal(j.last_seq, 9);
	assert_int_equal(j.durable_seq, 9);
	journal_close(&j);
	assert_int_equal(fsize(), full - (off_t)JOURNAL_REC_LEN);
	free(c);
}

static void
test_corrupt_middle_record(void **state)
{
	struct collect *c = calloc(1, sizeof(*c));
	struct journal j;

	(void)state;
	write_n(10);
	/* record 5 (seq 5) damaged, its frame intact: skipped, the rest kept */
	flip_byte(JOURNAL_HDR_LEN + 4 * JOURNAL_REC_LEN + JOURNAL_FRAME_LEN + 20);
	assert_int_equal(jopen(&j, collect, c), 0);
	assert_int_equal(c->n, 9);
	assert_int_equal(c->ev[3].seq, 4);
	assert_int_equal(c->ev[4].seq, 6);
	assert_int_equal(atomic_load(&j.st.corrupt_skipped), 1);
	assert_int_equal(j.last_seq, 10);
	journal_close(&j);
	/* a garbage length (framing lost): resynchronised on the next valid
	 * record, only seq 8 is lost (before issue 15 item 10, everything
	 * from there was cut: 6 records kept) */
	flip_byte(JOURNAL_HDR_LEN + 7 * JOURNAL_REC_LEN + 3);
	c->n = 0;
	assert_int_equal(jopen(&j, collect, c), 0);
	assert_int_equal(c->n, 8);
	assert_int_equal(c->ev[6].seq, 9);
	assert_int_equal(atomic_load(&j.st.corrupt_skipped), 2);
	assert_int_equal(atomic_load(&j.st.truncated_bytes), 0);
	journal_close(&j);
	free(c);
}

/* Issue 15 item 10: one damaged length mid-file cut 991 of 1,000 valid
 * records.  Replay resynchronises on the next valid frame: 999 survive, the
 * file is not cut. */
static void
test_damaged_length_resync(void **state)
{
	struct collect *c = calloc(1, sizeof(*c));
	struct journal j;
	uint8_t len[4] = { 0xa0, 0x0f, 0, 0 }; /* 4000: in range, runs into the next records */
	off_t full;
	int fd;

	(void)state;
	write_n(1000);
	full = fsize();
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, len, 4, JOURNAL_HDR_LEN + 499 * JOURNAL_REC_LEN), 4);
	close(fd);
	assert_int_equal(journal_read_file(path, NULL, NULL), 999);
	assert_int_equal(jopen(&j, collect, c), 0);
	assert_int_equal(c->n, 999);
	for (size_t i = 0; i < c->n; i++)
		assert_int_equal(c->ev[i].seq, i < 499 ? i + 1 : i + 2);
	assert_int_equal(j.last_seq, 1000);
	assert_int_equal(atomic_load(&j.st.corrupt_skipped), 1);
	assert_int_equal(atomic_load(&j.st.damaged_bytes), JOURNAL_REC_LEN);
	assert_int_equal(atomic_load(&j.st.truncated_bytes), 0);
	journal_close(&j);
	assert_int_equal(fsize(), full);
	free(c);
}

static size_t
n_damaged_copies(off_t *size)
{
	char pat[160];
	glob_t g;
	size_t n = 0;
	struct stat st;

	snprintf(pat, sizeof(pat), "%s.damaged-*", path);
	if (glob(pat, 0, NULL, &g) == 0) {
		n = g.gl_pathc;
		if (n && size && stat(g.gl_pathv[0], &st) == 0)
			*size = st.st_size;
		globfree(&g);
	}
	return n;
}

/* A tail longer than one record with nothing valid in it is cut, but only
 * after a copy of the whole file is kept; a torn last record (a crash
 * mid-append) is cut without one. */
static void
test_damaged_tail_copy(void **state)
{
	struct collect *c = calloc(1, sizeof(*c));
	uint8_t junk[3 * JOURNAL_REC_LEN];
	struct journal j;
	off_t full, copy = 0;
	int fd;

	(void)state;
	write_n(20);
	full = fsize();
	/* a torn last record: 48 bytes of a frame */
	fd = open(path, O_RDWR | O_APPEND);
	assert_true(fd >= 0);
	memset(junk, 0, sizeof(junk));
	junk[0] = JOURNAL_EV_LEN;
	assert_int_equal(write(fd, junk, 48), 48);
	close(fd);
	assert_int_equal(jopen(&j, collect, c), 0);
	assert_int_equal(atomic_load(&j.st.truncated_bytes), 48);
	journal_close(&j);
	assert_int_equal(n_damaged_copies(NULL), 0);
	assert_int_equal(fsize(), full);
	/* three records' worth of garbage */
	memset(junk, 0xa5, sizeof(junk));
	fd = open(path, O_RDWR | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	c->n = 0;
	assert_int_equal(jopen(&j, collect, c), 0);
	assert_int_equal(c->n, 20);
	assert_int_equal(atomic_load(&j.st.truncated_bytes), sizeof(junk));
	journal_close(&j);
	assert_int_equal(fsize(), full);
	assert_int_equal(n_damaged_copies(&copy), 1);
	assert_int_equal(copy, full + (off_t)sizeof(junk));
	free(c);
}

static void
test_foreign_file_refused(void **state)
{
	struct journal j;
	FILE *f;

	(void)state;
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a journal at all, keep me\n", f);
	fclose(f);
	assert_int_equal(jopen(&j, NULL, NULL), -EPROTO);
	assert_int_equal(fsize(), 30); /* untouched */
}

static void
test_durable_only_after_fsync(void **state)
{
	struct journal j;
	struct lease_event ev = ev_make(7, 0x0a000007u, 7, LEASE_EV_GRANT);

	(void)state;
	assert_int_equal(jopen(&j, NULL, NULL), 0);
	assert_int_equal(journal_append(&j, &ev), 0);
	/* queued, not durable */
	assert_int_equal(j.durable_seq, 0);
	/* written but the fsync fails: still not durable */
	fail_sync_errno = EIO;
	assert_int_equal(journal_commit(&j), -EIO);
	assert_int_equal(j.durable_seq, 0);
	assert_int_equal(atomic_load(&j.st.ok), 0);
	assert_int_equal(j.n_pending, 1);
	/* the unsynced bytes were cut back: the file holds only the header */
	assert_int_equal(fsize(), JOURNAL_HDR_LEN);
	/* retry succeeds: durable now, one record on disk */
	fail_sync_errno = 0;
	n_sync = 0;
	assert_int_equal(journal_commit(&j), 0);
	assert_int_equal(n_sync, 1);
	assert_int_equal(j.durable_seq, 7);
	assert_int_equal(atomic_load(&j.st.ok), 1);
	assert_int_equal(atomic_load(&j.st.durable_seq), 7);
	journal_close(&j);
	assert_int_equal(journal_read_file(path, NULL, NULL), 1);
}

static void
test_group_commit(void **state)
{
	struct journal j;

	(void)state;
	assert_int_equal(jopen(&j, NULL, NULL), 0);
	n_sync = 0;
	for (unsigned i = 1; i <= 1000; i++) {
		struct lease_event ev = ev_make(i, 0x0a000000u + i, (uint8_t)i, LEASE_EV_GRANT);

		assert_int_equal(journal_append(&j, &ev), 0);
	}
	assert_int_equal(journal_commit(&j), 0);
	assert_int_equal(n_sync, 1); /* one fdatasync covers the 1000 records */
	assert_int_equal(j.durable_seq, 1000);
	assert_int_equal(journal_commit(&j), 0); /* nothing pending: no sync */
	assert_int_equal(n_sync, 1);
	journal_close(&j);
}

static void
test_enospc(void **state)
{
	struct journal_params p = { .dir = dir, .lease_cap = 64, .io = &tio, .max_pending = 8 };
	struct journal j;
	unsigned i;

	(void)state;
	assert_int_equal(journal_open(&j, &p), 0);
	fail_write_errno = ENOSPC;
	for (i = 1; i <= 8; i++) {
		struct lease_event ev = ev_make(i, 0x0a000000u + i, (uint8_t)i, LEASE_EV_GRANT);

		assert_int_equal(journal_append(&j, &ev), 0);
	}
	assert_int_equal(journal_commit(&j), -ENOSPC);
	assert_int_equal(j.durable_seq, 0);
	assert_int_equal(atomic_load(&j.st.ok), 0);
	assert_true(atomic_load(&j.st.write_errors) >= 1);
	/* the partial write was cut */
	assert_int_equal(fsize(), JOURNAL_HDR_LEN);
	/* bounded memory: the ninth record is refused (back-pressure) */
	{
		struct lease_event ev = ev_make(9, 0x0a000009u, 9, LEASE_EV_GRANT);

		assert_int_equal(journal_append(&j, &ev), -ENOBUFS);
	}
	assert_int_equal(journal_commit(&j), -ENOSPC);
	/* space again: everything kept in memory reaches the disk */
	fail_write_errno = 0;
	assert_int_equal(journal_commit(&j), 0);
	assert_int_equal(j.durable_seq, 8);
	assert_int_equal(atomic_load(&j.st.ok), 1);
	journal_close(&j);
	assert_int_equal(journal_read_file(path, NULL, NULL), 8);
}

/* Starts a compaction when one is due and waits until it has been switched
 * in: the test's file sizes then do not depend on how fast the background
 * thread runs on a loaded machine (records appended while it runs would
 * otherwise all land in the new file). */
static void
compact_settle(struct journal *j)
{
	journal_maybe_compact(j);
	for (int i = 0; i < 400 && atomic_load(&j->cstate) != COMPACT_IDLE; i++) {
		usleep(5000);
		journal_maybe_compact(j);
	}
	assert_int_equal(atomic_load(&j->cstate), COMPACT_IDLE);
}

static void
test_compaction(void **state)
{
	struct journal_params p = { .dir = dir, .lease_cap = 1024, .io = &tio,
				    .compact_bytes = 20000 };
	struct lease_table *t = calloc(1, lease_table_size(1024));
	struct journal j;
	uint64_t seq = 0;
	off_t before;

	(void)state;
	assert_int_equal(journal_open(&j, &p), 0);
	/* 10 clients renewing many times: the file grows, the live set does not */
	for (unsigned round = 0; round < 40; round++) {
		for (unsigned k = 1; k <= 10; k++) {
			struct lease_event ev = ev_make(++seq, 0x0a000000u + k, (uint8_t)k,
							round ? LEASE_EV_RENEW : LEASE_EV_GRANT);

			assert_int_equal(journal_append(&j, &ev), 0);
		}
		assert_int_equal(journal_commit(&j), 0);
		compact_settle(&j);
	}
	/* client 3 released, client 4 declined: released leases are not live */
	{
		struct lease_event r = ev_make(++seq, 0x0a000003u, 3, LEASE_EV_RELEASE);
		struct lease_event d = ev_make(++seq, 0x0a000004u, 4, LEASE_EV_DECLINE);

		assert_int_equal(journal_append(&j, &r), 0);
		assert_int_equal(journal_append(&j, &d), 0);
		assert_int_equal(journal_commit(&j), 0);
	}
	/* let the background thread finish, then switch */
	for (int i = 0; i < 200 && atomic_load(&j.st.compactions) == 0; i++) {
		journal_maybe_compact(&j);
		usleep(5000);
	}
	assert_true(atomic_load(&j.st.compactions) >= 1);
	/* records appended after the switch go to the new file */
	{
		struct lease_event ev = ev_make(++seq, 0x0a000063u, 99, LEASE_EV_GRANT);

		assert_int_equal(journal_append(&j, &ev), 0);
		assert_int_equal(journal_commit(&j), 0);
	}
	journal_close(&j);
	/* without compaction the file would hold every record */
	before = (off_t)(JOURNAL_HDR_LEN + seq * JOURNAL_REC_LEN);
	assert_true(fsize() < before / 2);
	assert_int_equal(access(j.tmp_path, F_OK), -1);
	/* the rebuilt table equals what the full history says */
	assert_int_equal(lease_table_init(t, 1024), 0);
	{
		struct journal j2;
		struct journal_params p2 = { .dir = dir, .lease_cap = 1024 };

		assert_int_equal(journal_open(&j2, &p2), 0);
		for (uint32_t i = 0; i < j2.mirror->cap; i++) {
			struct lease l;

			if (!lease_read(j2.mirror, i, &l))
				continue;
			if (l.ip == 0x0a000003u)
				assert_int_equal(l.state, LEASE_RELEASED);
			else if (l.ip == 0x0a000004u)
				assert_int_equal(l.state, LEASE_DECLINED);
			else
				assert_int_equal(l.state, LEASE_BOUND);
		}
		/* 10 clients - released - declined + client 99 */
		assert_int_equal(atomic_load(&j2.mirror->bound), 9);
		assert_int_equal(j2.last_seq, seq);
		journal_close(&j2);
	}
	free(t);
}

static void
rebuild_into(const struct lease_event *ev, void *arg)
{
	assert_int_equal(lease_apply_event(arg, ev), 0);
}

static void
test_rebuild_lease_table(void **state)
{
	struct lease_table *t = calloc(1, lease_table_size(256));
	struct journal j;
	struct lease *l;
	uint8_t mac5[6] = { 0x52, 0x54, 0, 0, 0, 5 };

	(void)state;
	write_n(20);
	{
		struct journal jj;

		assert_int_equal(jopen(&jj, NULL, NULL), 0);
		struct lease_event rel = ev_make(21, 0x0a000002u, 2, LEASE_EV_RELEASE);

		assert_int_equal(journal_append(&jj, &rel), 0);
		assert_int_equal(journal_commit(&jj), 0);
		journal_close(&jj);
	}
	assert_int_equal(lease_table_init(t, 256), 0);
	assert_int_equal(jopen(&j, rebuild_into, t), 0);
	journal_close(&j);
	assert_int_equal(atomic_load(&t->bound), 19);
	assert_int_equal(atomic_load(&t->last_seq), 21); /* the dataplane continues after it */
	l = lease_by_mac(t, mac5);
	assert_non_null(l);
	assert_int_equal(l->ip, 0x0a000005u);
	assert_int_equal(l->state, LEASE_BOUND);
	assert_string_equal(l->hostname, "host-5");
	l = lease_by_ip(t, 0x0a000002u);
	assert_non_null(l);
	assert_int_equal(l->state, LEASE_RELEASED);
	free(t);
}

static void
test_drain_ring(void **state)
{
	ssize_t sz = rte_ring_get_memsize_elem(sizeof(struct lease_event), 1024);
	struct rte_ring *r;
	struct journal j;
	void *rings[2];

	(void)state;
	assert_true(sz > 0);
	r = aligned_alloc(64, (size_t)sz);
	assert_non_null(r);
	assert_int_equal(rte_ring_init(r, "t", 1024, RING_F_SP_ENQ | RING_F_SC_DEQ), 0);
	rings[0] = NULL; /* a worker without a ring is skipped */
	rings[1] = r;
	for (unsigned i = 1; i <= 300; i++) {
		struct lease_event ev = ev_make(i, 0x0a000000u + i, (uint8_t)i, LEASE_EV_GRANT);

		assert_int_equal(rte_ring_sp_enqueue_elem(r, &ev, sizeof(ev)), 0);
	}
	assert_int_equal(jopen(&j, NULL, NULL), 0);
	assert_int_equal(journal_drain_rings(&j, rings, 2), 300);
	assert_int_equal(journal_drain_rings(&j, rings, 2), 0);
	assert_int_equal(j.durable_seq, 0); /* drained is not durable */
	assert_int_equal(journal_commit(&j), 0);
	assert_int_equal(j.durable_seq, 300);
	journal_close(&j);
	free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_roundtrip),
		cmocka_unit_test_setup_teardown(test_append_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_last_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_last_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_middle_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_length_resync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_tail_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_file_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_durable_only_after_fsync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enospc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebuild_lease_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drain_ring, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
