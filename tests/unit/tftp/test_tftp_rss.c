/* SPDX-License-Identifier: BSD-3-Clause
 *
 * RSS-aware server TIDs (issue 19): with multiqueue RSS a worker picks a
 * server port whose Toeplitz hash, for the client's ACKs, selects its own
 * RX queue through the port's RETA, so ACKs need no hand-over between
 * workers.  dataplane/net/rss.c (DPDK's rte_softrss_be, no EAL) is checked
 * against Microsoft's RSS verification vectors, then the engine's pick with
 * a known key and RETA.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/tftp/th.h"
#include "dataplane/net/rss.h"
#include "dataplane/tftp/tftp_int.h"

#define C(t, name) ((uint64_t)(t)->ctr[BS_CTR_##name])
#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* The Microsoft verification key (also DPDK's and QEMU's usual default). */
static const uint8_t ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

struct rss_ctx {
	struct th *t;
	struct dp_rss rss;
	uint16_t queue;	/* this worker's RX queue */
	unsigned calls;
};

static struct rss_ctx g_rc;

static bool
tid_local(void *ctx, uint32_t cip, uint16_t cport, uint16_t sport)
{
	(void)ctx;
	g_rc.calls++;
	return dp_rss_queue_v4udp(&g_rc.rss, cip, TH_SERVER, cport, sport) == g_rc.queue;
}

static int
rss_send(void *ctx, const struct tftp_out *o)
{
	(void)ctx;
	return th_send(g_rc.t, o);
}

static void
rss_emit(void *ctx, const struct boot_event *ev)
{
	(void)ctx;
	th_emit(g_rc.t, ev);
}

/* Worker `worker` of 2, with RSS (hook) or without. */
static void
engine(struct th *t, unsigned worker, bool hook)
{
	if (t->e)
		tftp_engine_free(t->e);
	struct tftp_env env = {
		.ctr = t->ctr, .worker = worker, .n_workers = 2,
		.send = rss_send, .emit_boot = rss_emit, .ctx = &g_rc,
		.tid_local = hook ? tid_local : NULL,
	};
	struct tftp_limits lim = { .max_transfers = 1024, .max_files = 64,
				   .settle_ms = UINT32_MAX, .tid_key = { 7, 11 } };
	t->e = tftp_engine_new(&env, &lim);
	assert_non_null(t->e);
	g_rc.queue = (uint16_t)worker;
}

static void
reta_alternating(void)
{
	uint16_t reta[128];
	for (unsigned i = 0; i < 128; i++)
		reta[i] = (uint16_t)(i % 2);
	assert_int_equal(dp_rss_set(&g_rc.rss, ms_key, sizeof(ms_key), reta, 128), 0);
}

/* Microsoft's "Verifying the RSS Hash Calculation" IPv4 vectors, with
 * ports (TCP in the table; the Toeplitz input is the same for UDP). */
static void
test_ms_vectors(void **state)
{
	(void)state;
	reta_alternating();
	assert_int_equal(dp_rss_hash_v4udp(&g_rc.rss, IP4(66, 9, 149, 187), IP4(161, 142, 100, 80),
					   2794, 1766), 0x51ccc178);
	assert_int_equal(dp_rss_hash_v4udp(&g_rc.rss, IP4(199, 92, 111, 2), IP4(65, 69, 140, 83),
					   14230, 4739), 0xc626b0ea);
	assert_int_equal(dp_rss_hash_v4udp(&g_rc.rss, IP4(24, 19, 198, 95), IP4(12, 22, 207, 184),
					   12898, 38024), 0x5c2b394a);
	assert_int_equal(dp_rss_hash_v4udp(&g_rc.rss, IP4(38, 27, 205, 30), IP4(209, 142, 163, 6),
					   48228, 2217), 0xafc7327f);
	assert_int_equal(dp_rss_hash_v4udp(&g_rc.rss, IP4(153, 39, 163, 191),
					   IP4(202, 188, 127, 2), 44251, 1303), 0x10e828a2);
	/* queue = reta[hash & (size - 1)]: 0x51ccc178 & 127 = 0x78, even */
	assert_int_equal(dp_rss_queue_v4udp(&g_rc.rss, IP4(66, 9, 149, 187),
					    IP4(161, 142, 100, 80), 2794, 1766), 0);
	uint16_t reta[3] = { 0, 1, 0 };
	assert_int_equal(dp_rss_set(&g_rc.rss, ms_key, sizeof(ms_key), reta, 3), -EINVAL);
	assert_false(g_rc.rss.on);
	assert_int_equal(dp_rss_set(&g_rc.rss, ms_key, 10, reta, 2), -EINVAL);
}

/* Server port of the transfer an RRQ from cport started (first packet). */
static uint16_t
pick(struct th *t, uint16_t cport)
{
	t->npk = 0;
	assert_int_equal(th_rrq(t, cport, "f", "octet", NULL), 0);
	th_poll(t, 64);
	assert_int_equal(t->npk, 1);
	return t->pk[0].src_port;
}

/* Every TID lands on the worker's own queue and is still its own port
 * (tftp_port_owner); without the hook about half did not (the hand-overs
 * t_vfio_mq measured).  A retransmitted RRQ finds its transfer. */
static void
test_pick_local(void **state)
{
	struct th *t = *state;
	g_rc.t = t;
	th_write(t, "f", "hello", 5);
	t->s->tftp_max_per_client = 0; /* 200 transfers from one client */
	reta_alternating();
	for (unsigned worker = 0; worker < 2; worker++) {
		unsigned local_before = 0;
		engine(t, worker, false);
		for (uint16_t cp = 2000; cp < 2200; cp++) {
			uint16_t sp = pick(t, cp);
			local_before += dp_rss_queue_v4udp(&g_rc.rss, TH_CLIENT, TH_SERVER, cp, sp) ==
					worker;
		}
		engine(t, worker, true);
		g_rc.calls = 0;
		for (uint16_t cp = 2000; cp < 2200; cp++) {
			uint16_t sp = pick(t, cp);
			assert_int_equal(tftp_port_owner(t->s, sp, 2), (int)worker);
			assert_int_equal(dp_rss_queue_v4udp(&g_rc.rss, TH_CLIENT, TH_SERVER, cp, sp),
					 worker);
		}
		print_message("worker %u: %u/200 TIDs on its queue without RSS pick, 200/200 with "
			      "(%.2f hashes per RRQ)\n", worker, local_before, g_rc.calls / 200.0);
		assert_true(local_before > 40 && local_before < 160);
		assert_true(g_rc.calls < 200 * 4);
		uint64_t dup = C(t, DROP_TFTP_DUP_RRQ);
		assert_int_equal(th_rrq(t, 2000, "f", "octet", NULL), (int)BS_CTR_DROP_TFTP_DUP_RRQ);
		assert_int_equal(C(t, DROP_TFTP_DUP_RRQ), dup + 1);
	}
	assert_int_equal(C(t, TFTP_TID_RSS_MISS), 0);
}

/* A RETA with no entry for this worker: no local port exists; the pick
 * gives up after TFTP_TID_RSS_TRIES hashes, counts it, and falls back to
 * the port it would have picked without RSS. */
static void
test_pick_miss_falls_back(void **state)
{
	struct th *t = *state;
	g_rc.t = t;
	th_write(t, "f", "hello", 5);
	uint16_t reta[64] = { 0 };
	assert_int_equal(dp_rss_set(&g_rc.rss, ms_key, sizeof(ms_key), reta, 64), 0);
	engine(t, 1, false);
	uint16_t plain = pick(t, 3000);
	engine(t, 1, true);
	g_rc.calls = 0;
	assert_int_equal(pick(t, 3000), plain);
	assert_int_equal(g_rc.calls, TFTP_TID_RSS_TRIES);
	assert_int_equal(C(t, TFTP_TID_RSS_MISS), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ms_vectors),
		cmocka_unit_test_setup_teardown(test_pick_local, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_pick_miss_falls_back, th_setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
