/* SPDX-License-Identifier: BSD-3-Clause
 *
 * TFTP engine against a hostile LAN (issue 15): server TIDs a spoofer
 * cannot predict (item 3), one cache entry and bounded netascii memory
 * however a name is spelt (item 4), spoofed RRQs that cannot hold the table
 * (item 7), a 0-byte file through the DATA-run path (item 12, run it in the
 * ASan+UBSan build).  Each case runs with DATA one packet per send() and in
 * runs through send_data(), as test_tftp does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/tftp/th.h"
#include "dataplane/tftp/tftp_int.h"

#define C(t, name) ((uint64_t)(t)->ctr[BS_CTR_##name])
#define VICTIM	   0x0a4d0063u /* 10.77.0.99: a host that never sent an RRQ */

/* Server TID of the first packet to (ip, cport) in this poll; 0 none. */
static uint16_t
polled_tid(struct th *t, uint32_t ip, uint16_t cport)
{
	t->npk = 0;
	th_poll(t, 256);
	for (unsigned k = 0; k < t->npk; k++)
		if (t->pk[k].dst_ip == ip && t->pk[k].dst_port == cport)
			return t->pk[k].src_port;
	return 0;
}

/* The TID the engine used to pick before (issue 15 item 3): a public hash
 * of (ip, port), computable by anyone. */
static uint16_t
public_tid(const struct snap_hdr *s, uint32_t ip, uint16_t cport)
{
	uint64_t k = (uint64_t)ip << 32 | (uint64_t)cport << 16;
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	uint32_t nk = s->tftp_port_hi - s->tftp_port_lo + 1;
	return (uint16_t)(s->tftp_port_lo + (uint32_t)k % nk);
}

/* ---- item 3: TIDs ---- */

/* Knowing (ip, port) does not give the TID: two engines (two starts, two
 * keys from getrandom) pick different TIDs for the same 64 clients, and
 * neither matches the old public formula.  20,000 ports: a chance match
 * is 1 in 20,000 per client, so allow a few. */
static void
test_tid_unpredictable(void **state)
{
	struct th *t = *state;
	enum { N = 64 };
	th_write(t, "f", "x", 1);
	uint16_t a[N], b[N];
	for (unsigned run = 0; run < 2; run++) {
		th_engine(t, 256, UINT32_MAX);
		for (uint16_t i = 0; i < N; i++) {
			assert_int_equal(th_rrq_from(t, TH_CLIENT + i / 2, (uint16_t)(2000 + i), "f", "octet"), 0);
			uint16_t tid = polled_tid(t, TH_CLIENT + i / 2, (uint16_t)(2000 + i));
			assert_int_not_equal(tid, 0);
			assert_int_equal(tftp_port_owner(t->s, tid, 1), 0);
			(run ? b : a)[i] = tid;
		}
	}
	unsigned same = 0, pub = 0;
	for (uint16_t i = 0; i < N; i++) {
		same += a[i] == b[i];
		pub += a[i] == public_tid(t->s, TH_CLIENT + i / 2, (uint16_t)(2000 + i));
	}
	assert_true(same <= 2);
	assert_true(pub <= 2);
}

/* A spoofed RRQ in a victim's name, then an ACK to the TID anyone could
 * compute: dropped (unknown TID, counted); the victim never gets block 2. */
static void
test_blind_ack_dropped(void **state)
{
	struct th *t = *state;
	uint8_t *d = th_pattern(64 * 1024, 5);
	th_write(t, "big", d, 64 * 1024);
	free(d);
	uint16_t cport = 3000, tid = 0, guess = 0;
	for (unsigned tries = 0; tries < 20; tries++, cport++) {
		assert_int_equal(th_rrq_from(t, VICTIM, cport, "big", "octet"), 0);
		tid = polled_tid(t, VICTIM, cport);
		guess = public_tid(t->s, VICTIM, cport);
		if (tid != guess)
			break; /* a chance match (1 in 20,000): try the next port */
	}
	assert_int_not_equal(tid, 0);
	uint64_t unknown = C(t, DROP_TFTP_UNKNOWN_TID);
	assert_int_equal(th_ack_from(t, VICTIM, cport, guess, 1), BS_CTR_DROP_TFTP_UNKNOWN_TID);
	assert_int_equal(C(t, DROP_TFTP_UNKNOWN_TID), unknown + 1);
	for (int i = 0; i < 80; i++) { /* 1 s of sends + TFTP_UNV_LINGER_MS */
		t->now += 100 * TH_MS;
		t->npk = 0;
		th_poll(t, 256);
		for (unsigned k = 0; k < t->npk; k++)
			if (t->pk[k].dst_ip == VICTIM && th_op(&t->pk[k]) == 3)
				assert_int_equal(th_blk(&t->pk[k]), 1);
	}
	assert_int_equal(tftp_active(t->e), 0);
}

/* ---- item 4: names and netascii ---- */

/* Spelling i of "big": the bits of i (from the top one down) as "./" (1)
 * or "/" (0) prefixes; prefix-free tokens, so 48 distinct names. */
static void
spelling(unsigned i, char *out)
{
	size_t o = 0;
	int top = 31 - __builtin_clz(i);
	for (int b = top; b >= 0; b--) {
		if (i >> b & 1)
			out[o++] = '.';
		out[o++] = '/';
	}
	memcpy(out + o, "big", 4);
}

static void
test_netascii_spellings(void **state)
{
	struct th *t = *state;
	enum { SPELLINGS = 48, SIZE = 1 << 20 };
	uint8_t *d = th_pattern(SIZE, 6);
	for (size_t i = 0; i < SIZE; i += 64)
		d[i] = '\n';
	th_write(t, "big", d, SIZE);
	free(d);
	char name[128];
	for (unsigned i = 0; i < SPELLINGS; i++) {
		spelling(i + 1, name);
		assert_int_equal(th_rrq_from(t, VICTIM + i, 1000, name, "netascii"), 0);
	}
	assert_int_equal(th_rrq_from(t, VICTIM + 100, 1000, "big", "netascii"), 0);
	assert_int_equal(tftp_active(t->e), SPELLINGS + 1);
	/* one entry, one mapping, one conversion, whatever the spelling */
	assert_int_equal(tftp_cache_entries(t->e->cache), 1);
	assert_int_equal(C(t, TFTP_FILE_MAPS), 1);
	assert_int_equal(C(t, TFTP_COPY_BYTES), SIZE);
	assert_int_equal(C(t, TFTP_CACHE_MISS), 1);
	/* ".." stays refused, not folded away */
	t->npk = 0;
	assert_int_equal(th_rrq_from(t, VICTIM + 101, 1000, "a/../big", "octet"),
			 BS_CTR_DROP_TFTP_PATH_ESCAPE);
}

/* Netascii copies are capped per file and per cache: ERROR 0, counted. */
static void
test_netascii_caps(void **state)
{
	struct th *t = *state;
	enum { BIG = 5 << 20, PART = 3 << 20 };
	uint8_t *d = calloc(1, BIG);
	memset(d, 'a', BIG);
	th_write(t, "huge", d, BIG);
	char name[16];
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		th_write(t, name, d, PART);
	}
	free(d);
	t->npk = 0;
	assert_int_equal(th_rrq_from(t, VICTIM, 1000, "huge", "netascii"), BS_CTR_DROP_TFTP_ASCII_CAP);
	assert_int_equal(t->npk, 1);
	assert_int_equal(th_op(&t->pk[0]), 5);
	assert_int_equal(th_blk(&t->pk[0]), 0);
	/* octet is not affected */
	assert_int_equal(th_rrq_from(t, VICTIM, 1001, "huge", "octet"), 0);
	/* 5 copies of 3 MiB fit in 16 MiB, the 6th does not */
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		int rc = th_rrq_from(t, VICTIM + 1 + (uint32_t)i, 1000, name, "netascii");
		assert_int_equal(rc, i < 5 ? 0 : BS_CTR_DROP_TFTP_ASCII_CAP);
	}
	assert_true(tftp_cache_ascii_bytes(t->e->cache) <= 16u << 20);
	assert_int_equal(C(t, DROP_TFTP_ASCII_CAP), 2);
	assert_int_equal(C(t, TFTP_ERR_UNDEF), 2);
}

/* ---- item 7: unverified transfers ---- */

/* A spoofed RRQ (never acknowledged) with the defaults (timeout 1 s,
 * retries 5): at most 2 packets, both within ~1 s (was 6 over 31 s, then 3
 * over 2 s before the reflection bound), then silent until it ends
 * TFTP_UNV_LINGER_MS later. */
static void
test_unverified_short_life(void **state)
{
	struct th *t = *state;
	uint8_t *d = th_pattern(8192, 7);
	th_write(t, "k", d, 8192);
	free(d);
	static const char *const opts[] = { "blksize", "1468", NULL };
	for (int with_opts = 0; with_opts < 2; with_opts++) {
		uint64_t t0 = t->now;
		uint16_t cport = (uint16_t)(4000 + with_opts);
		if (with_opts)
			th_rrq(t, cport, "k", "octet", opts);
		else
			assert_int_equal(th_rrq_from(t, TH_CLIENT, cport, "k", "octet"), 0);
		unsigned pkts = 0;
		uint64_t last = t0;
		while (tftp_active(t->e) && t->now - t0 < 40000 * TH_MS) {
			t->npk = 0;
			th_poll(t, 64);
			pkts += t->npk;
			if (t->npk)
				last = t->now;
			t->now += 50 * TH_MS;
		}
		assert_int_equal(tftp_active(t->e), 0);
		assert_true(last - t0 <= 1100 * TH_MS);
		assert_true(t->now - t0 <= (2100 + TFTP_UNV_LINGER_MS) * TH_MS);
		assert_true(pkts <= 2);
	}
}

/* Packets sent to (TH_CLIENT, cport) while time runs from now to `until`
 * in 50 ms steps. */
static unsigned
run_until(struct th *t, uint16_t cport, uint64_t until)
{
	unsigned n = 0;
	while (t->now < until) {
		t->npk = 0;
		th_poll(t, 64);
		for (unsigned k = 0; k < t->npk; k++)
			n += t->pk[k].dst_port == cport;
		t->now += 50 * TH_MS;
	}
	return n;
}

/* A lock-step client on a lossy link (tftp-hpa: resends on its own 5 s
 * timer): DATA 1 arrives, its ACK 1 is lost, so is the ACK it sends for
 * our one resend; its own retransmitted ACK 1 at 5 s still verifies the
 * transfer (the unverified linger), which then runs to the end.  Failed
 * before: the transfer was gone at 3 s and that ACK got ERROR 5.  A
 * retransmitted RRQ during the linger restarts the transfer. */
static void
test_unverified_late_ack(void **state)
{
	struct th *t = *state;
	uint8_t *d = th_pattern(2000, 4);
	th_write(t, "lk", d, 2000);
	free(d);
	uint64_t t0 = t->now;
	assert_int_equal(th_rrq_from(t, TH_CLIENT, 6000, "lk", "octet"), 0);
	uint16_t tid = polled_tid(t, TH_CLIENT, 6000);
	assert_int_not_equal(tid, 0);
	/* DATA 1 and one resend, then silence (ACKs lost) */
	assert_int_equal(run_until(t, 6000, t0 + 1500 * TH_MS), 1);
	assert_int_equal(run_until(t, 6000, t0 + 5000 * TH_MS), 0);
	assert_int_equal(th_ack_from(t, TH_CLIENT, 6000, tid, 1), 0);
	uint16_t blk = 1;
	for (int i = 0; i < 10 && blk < 4; i++) {
		t->npk = 0;
		th_poll(t, 64);
		for (unsigned k = 0; k < t->npk; k++)
			if (t->pk[k].dst_port == 6000 && th_op(&t->pk[k]) == 3 &&
			    th_blk(&t->pk[k]) == blk + 1)
				assert_int_equal(th_ack_from(t, TH_CLIENT, 6000, tid, ++blk), 0);
	}
	assert_int_equal(blk, 4); /* 2000 bytes: blocks 1-4 */
	assert_int_equal(C(t, TFTP_XFER_DONE), 1);
	/* a retransmitted RRQ while lingering: a new transfer, DATA 1 again */
	t0 = t->now;
	assert_int_equal(th_rrq_from(t, TH_CLIENT, 6001, "lk", "octet"), 0);
	assert_int_equal(run_until(t, 6001, t0 + 3000 * TH_MS), 2);
	assert_int_equal(th_rrq_from(t, TH_CLIENT, 6001, "lk", "octet"), 0);
	assert_int_equal(run_until(t, 6001, t0 + 3100 * TH_MS), 1);
}

/* Spoofed RRQs in one victim's name from many ports: only
 * TFTP_UNV_PER_CLIENT (2) transfers at a time (below max_per_client 4),
 * the rest dropped unanswered and counted; a flood of 100 reflects at most
 * 2 x 2 DATA.  The victim's own RRQ is admitted again once one of them has
 * ended, and an ACK frees a place at once (real clients in a burst). */
static void
test_unverified_per_client(void **state)
{
	struct th *t = *state;
	th_write(t, "v", "hello", 5);
	unsigned admitted = 0, data = 0;
	for (uint16_t p = 0; p < 100; p++) {
		int rc = th_rrq_from(t, VICTIM, (uint16_t)(3000 + p), "v", "octet");
		assert_true(rc == 0 || rc == (int)BS_CTR_DROP_TFTP_PER_CLIENT);
		admitted += rc == 0;
		t->npk = 0;
		th_poll(t, 64);
		data += t->npk;
		t->now += 10 * TH_MS;
	}
	assert_int_equal(admitted, 2);
	assert_int_equal(C(t, TFTP_UNV_PER_CLIENT), 98);
	while (tftp_active(t->e)) {
		t->npk = 0;
		th_poll(t, 64);
		data += t->npk;
		t->now += 50 * TH_MS;
	}
	assert_true(data <= 2 * 2);
	assert_int_equal(th_rrq_from(t, VICTIM, 4000, "v", "octet"), 0);
	/* a real client: two RRQs in flight, the first ACKed, a third fits */
	uint8_t *d = th_pattern(4000, 3);
	th_write(t, "big", d, 4000);
	free(d);
	assert_int_equal(th_rrq_from(t, TH_CLIENT, 5000, "big", "octet"), 0);
	assert_int_equal(th_rrq_from(t, TH_CLIENT, 5001, "big", "octet"), 0);
	assert_int_equal(th_rrq_from(t, TH_CLIENT, 5002, "big", "octet"),
			 BS_CTR_DROP_TFTP_PER_CLIENT);
	uint16_t tid = polled_tid(t, TH_CLIENT, 5000);
	assert_int_equal(th_ack_from(t, TH_CLIENT, 5000, tid, 1), 0);
	assert_int_equal(th_rrq_from(t, TH_CLIENT, 5002, "big", "octet"), 0);
}

/* The table full of spoofed RRQs (each sent its block 1, none ever ACKs):
 * a real client is still admitted and served, the spoofed transfers give
 * way oldest first, and the table never grows past its size. */
static void
test_spoofed_flood_real_client_served(void **state)
{
	struct th *t = *state;
	enum { MAX = 64, FLOOD = 1000 };
	uint8_t *d = th_pattern(100000, 9);
	th_write(t, "boot", d, 100000);
	th_engine(t, MAX, UINT32_MAX);
	unsigned admitted = 0;
	for (uint32_t i = 0; i < FLOOD; i++) {
		admitted += th_rrq_from(t, 0x0b000000u + i, 1000, "boot", "octet") == 0;
		if (i % 8 == 7) {
			t->npk = 0;
			th_poll(t, 64);
		}
		assert_true(tftp_active(t->e) <= MAX);
	}
	assert_true(admitted > MAX);
	assert_true(C(t, TFTP_UNV_EVICT) >= admitted - MAX);
	/* the real client: RRQ, OACK, ACKs; every window acknowledged */
	static const char *const opts[] = { "blksize", "1468", "windowsize", "4", NULL };
	struct th_fetch f = { .name = "boot", .cport = 7777, .opts = opts };
	th_do_fetch(t, &f);
	assert_true(f.done);
	assert_int_equal(f.len, 100000);
	assert_memory_equal(f.data, d, 100000);
	free(f.data);
	free(d);
	/* more spoofed RRQs while it is verified do not touch it: only the
	 * unverified are evictable */
	assert_int_equal(C(t, TFTP_XFER_DONE), 1);
}

/* The real client's own transfer is younger than the flood: under further
 * spoofed RRQs the older spoofed ones go first. */
static void
test_eviction_order(void **state)
{
	struct th *t = *state;
	enum { MAX = 16 };
	th_write(t, "e", "hello", 5);
	th_engine(t, MAX, UINT32_MAX);
	for (uint32_t i = 0; i < MAX; i++)
		assert_int_equal(th_rrq_from(t, 0x0c000000u + i, 1000, "e", "octet"), 0);
	t->npk = 0;
	th_poll(t, 64); /* all sent: evictable */
	assert_int_equal(th_rrq_from(t, TH_CLIENT, 5000, "e", "octet"), 0);
	uint16_t tid = polled_tid(t, TH_CLIENT, 5000);
	assert_int_not_equal(tid, 0);
	/* MAX - 1 more spoofed RRQs evict the spoofed ones, not the client */
	for (uint32_t i = 0; i < MAX - 1; i++) {
		assert_int_equal(th_rrq_from(t, 0x0d000000u + i, 1000, "e", "octet"), 0);
		th_poll(t, 64);
	}
	assert_int_equal(tftp_active(t->e), MAX);
	assert_int_equal(th_ack_from(t, TH_CLIENT, 5000, tid, 1), 0);
	assert_int_equal(C(t, TFTP_XFER_DONE), 1);
	assert_int_equal(C(t, TFTP_UNV_EVICT), MAX);
}

/* A power-on burst of real clients larger than the unverified share, in a
 * table that is not full: nobody is evicted before their first ACK had a
 * chance (TFTP_UNV_MIN_AGE_MS); once the flood is that old, the share
 * evicts again.  (bench_dp's 256-RRQ burst lost 176 real transfers.) */
static void
test_burst_within_share_age(void **state)
{
	struct th *t = *state;
	enum { MAX = 64, BURST = 48 }; /* share = MAX / 4 = 16 < BURST */
	uint16_t tid[BURST];
	th_write(t, "k", "kernel", 6);
	th_engine(t, MAX, UINT32_MAX);
	for (uint32_t i = 0; i < BURST; i++)
		assert_int_equal(th_rrq_from(t, 0x0e000000u + i, 1000, "k", "octet"), 0);
	t->npk = 0;
	th_poll(t, 256);
	for (uint32_t i = 0; i < BURST; i++) {
		tid[i] = 0;
		for (unsigned k = 0; k < t->npk; k++)
			if (t->pk[k].dst_ip == 0x0e000000u + i)
				tid[i] = t->pk[k].src_port;
		assert_int_not_equal(tid[i], 0);
	}
	/* more RRQs within the age: admitted, nobody evicted */
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(th_rrq_from(t, 0x0f000000u + i, 1000, "k", "octet"), 0);
	assert_int_equal(C(t, TFTP_UNV_EVICT), 0);
	t->now += 10 * TH_MS;
	for (uint32_t i = 0; i < BURST; i++)
		assert_int_equal(th_ack_from(t, 0x0e000000u + i, 1000, tid[i], 1), 0);
	assert_int_equal(C(t, TFTP_XFER_DONE), BURST);
	/* the 8 late ones never ACK: past the age, the share evicts them */
	t->npk = 0;
	th_poll(t, 256);
	for (uint32_t i = 0; i < 16; i++)
		assert_int_equal(th_rrq_from(t, 0x10000000u + i, 1000, "k", "octet"), 0);
	assert_int_equal(C(t, TFTP_UNV_EVICT), 0);
	t->now += (TFTP_UNV_MIN_AGE_MS + 1) * TH_MS;
	t->npk = 0;
	th_poll(t, 256);
	assert_int_equal(th_rrq_from(t, 0x11000000u, 1000, "k", "octet"), 0);
	assert_int_equal(C(t, TFTP_UNV_EVICT), 1);
}

/* ---- item 12: 0-byte file through the run path ---- */

static void
test_zero_byte_file(void **state)
{
	struct th *t = *state;
	th_write(t, "empty", "", 0);
	static const char *const opts[] = { "windowsize", "4", "tsize", "0", NULL };
	for (int i = 0; i < 2; i++) {
		struct th_fetch f = { .name = "empty", .cport = (uint16_t)(6000 + i),
				      .opts = i ? opts : NULL };
		th_do_fetch(t, &f);
		assert_true(f.done);
		assert_int_equal(f.len, 0);
		assert_int_equal(f.data_pkts, 1);
		free(f.data);
	}
	/* and netascii of it (a 0-byte copy) */
	struct th_fetch f = { .name = "empty", .mode = "netascii", .cport = 6002 };
	th_do_fetch(t, &f);
	assert_true(f.done);
	assert_int_equal(f.len, 0);
	free(f.data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tid_unpredictable, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_blind_ack_dropped, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_netascii_spellings, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_netascii_caps, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_unverified_short_life, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_unverified_per_client, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_unverified_late_ack, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_spoofed_flood_real_client_served, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_burst_within_share_age, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_eviction_order, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_zero_byte_file, th_setup, th_teardown),
	};
	return th_run_both("tftp-sec", tests, sizeof(tests) / sizeof(tests[0]));
}
