/* SPDX-License-Identifier: BSD-3-Clause
 *
 * TFTP engine unit tests: negotiation boundaries, whole transfers compared
 * byte for byte, losses, timeouts, path escapes, file replacement,
 * netascii, negative cache, fairness, capacity, bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sys/sysmacros.h>

#include "tests/unit/tftp/th.h"

#define C(t, name) ((uint64_t)(t)->ctr[BS_CTR_##name])

/* First packet sent to cport after an RRQ and a poll; NULL when none. */
static struct th_pkt *
answer(struct th *t, uint16_t cport, const char *file, const char *const *opts)
{
	t->npk = 0;
	th_rrq(t, cport, file, "octet", opts);
	th_poll(t, 64);
	for (unsigned i = 0; i < t->npk; i++)
		if (t->pk[i].dst_port == cport)
			return &t->pk[i];
	return NULL;
}

/* ---- negotiation ---- */

struct neg_case {
	const char *opt, *val;
	int op;		/* expected opcode: 6 OACK, 5 ERROR, 3 DATA (option not acked) */
	long expect;	/* OACK value or ERROR code */
};

static void
test_negotiation(void **state)
{
	struct th *t = *state;
	t->s->tftp_max_per_client = 0; /* every case from one client */
	uint8_t *d = th_pattern(100000, 1);
	th_write(t, "f", d, 100000);
	free(d);
	/* max_blksize 1468 = 1500 - 20 - 8 - 4; max_windowsize 16. */
	static const struct neg_case cases[] = {
		{ "blksize", "7", 5, 8 },	{ "blksize", "8", 6, 8 },
		{ "blksize", "9", 6, 9 },	{ "blksize", "512", 6, 512 },
		{ "blksize", "1467", 6, 1467 }, { "blksize", "1468", 6, 1468 },
		{ "blksize", "1469", 6, 1468 }, { "blksize", "65464", 6, 1468 },
		{ "blksize", "65465", 6, 1468 }, { "blksize", "abc", 5, 8 },
		{ "blksize", "", 5, 8 },	{ "BlkSize", "1024", 6, 1024 },
		{ "blksize", "-1", 5, 8 },	{ "blksize", "99999999999", 5, 8 },
		{ "windowsize", "0", 5, 8 },	{ "windowsize", "1", 6, 1 },
		{ "windowsize", "15", 6, 15 },	{ "windowsize", "16", 6, 16 },
		{ "windowsize", "17", 6, 16 },	{ "windowsize", "65535", 6, 16 },
		{ "windowsize", "65536", 5, 8 }, { "windowsize", "x", 5, 8 },
		{ "timeout", "0", 3, 0 },	{ "timeout", "1", 6, 1 },
		{ "timeout", "255", 6, 255 },	{ "timeout", "256", 3, 0 },
		{ "timeout", "1s", 5, 8 },	{ "tsize", "0", 6, 100000 },
		{ "tsize", "5", 6, 100000 },	{ "tsize", "z", 5, 8 },
		{ "bogus", "1", 3, 0 },		{ "multicast", "", 3, 0 },
	};
	uint16_t cport = 2000;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct neg_case *c = &cases[i];
		const char *opts[] = { c->opt, c->val, NULL };
		struct th_pkt *p = answer(t, ++cport, "f", opts);
		if (!p)
			fail_msg("case %zu %s=%s: no answer", i, c->opt, c->val);
		if (th_op(p) != c->op)
			fail_msg("case %zu %s=%s: op %u want %d", i, c->opt, c->val, th_op(p), c->op);
		if (c->op == 6) {
			char lc[16];
			for (size_t k = 0; k <= strlen(c->opt); k++)
				lc[k] = (char)(c->opt[k] | (c->opt[k] ? 0x20 : 0));
			assert_int_equal(th_oack_opt(p, lc), c->expect);
		} else if (c->op == 5) {
			assert_int_equal(th_blk(p), c->expect);
		} else {
			assert_int_equal(th_blk(p), 1);
			assert_int_equal(p->payload_len, 512);
		}
	}
	assert_true(C(t, TFTP_ERR_OPTION) >= 8);
	assert_true(C(t, TFTP_OPT_UNKNOWN) >= 2);

	/* MTU caps blksize: mtu 9000 allows 8968, 1500 only 1468. */
	t->s->tftp_max_blksize = 65464;
	t->s->tftp_mtu = 9000;
	const char *big[] = { "blksize", "65464", NULL };
	struct th_pkt *p = answer(t, ++cport, "f", big);
	assert_int_equal(th_oack_opt(p, "blksize"), 8968);
	t->s->tftp_mtu = 1500;
	p = answer(t, ++cport, "f", big);
	assert_int_equal(th_oack_opt(p, "blksize"), 1468);

	/* Several options in one OACK. */
	const char *all[] = { "blksize", "1400", "tsize", "0", "windowsize", "8", "timeout", "3",
			      "foo", "bar", NULL };
	p = answer(t, ++cport, "f", all);
	assert_int_equal(th_op(p), 6);
	assert_int_equal(th_oack_opt(p, "blksize"), 1400);
	assert_int_equal(th_oack_opt(p, "tsize"), 100000);
	assert_int_equal(th_oack_opt(p, "windowsize"), 8);
	assert_int_equal(th_oack_opt(p, "timeout"), 3);
	assert_int_equal(th_oack_opt(p, "foo"), -1);
}

/* ---- whole transfers ---- */

static void
fetch_and_compare(struct th *t, size_t size, const char *const *opts, uint16_t cport)
{
	uint8_t *d = th_pattern(size, (unsigned)size);
	th_write(t, "file.bin", d, size);
	struct th_fetch f = { .name = "file.bin", .opts = opts, .cport = cport };
	th_do_fetch(t, &f);
	if (!f.done)
		fail_msg("size %zu: not done (error %d)", size, f.error);
	assert_int_equal(f.len, size);
	assert_memory_equal(f.data, d, size);
	assert_int_equal(f.sum_checked, f.data_pkts);
	free(f.data);
	free(d);
}

static void
test_sizes(void **state)
{
	struct th *t = *state;
	static const size_t sizes[] = { 0, 1, 511, 512, 513, 1024, 1467, 1468, 1469, 1 << 20 };
	const char *win[] = { "blksize", "1468", "windowsize", "16", "tsize", "0", NULL };
	const char *odd[] = { "blksize", "1467", "windowsize", "3", NULL };
	uint16_t cport = 3000;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t before = C(t, TFTP_XFER_DONE);
		fetch_and_compare(t, sizes[i], NULL, ++cport);
		fetch_and_compare(t, sizes[i], win, ++cport);
		fetch_and_compare(t, sizes[i], odd, ++cport);
		assert_int_equal(C(t, TFTP_XFER_DONE), before + 3);
		t->now += 2000 * TH_MS; /* next size: revalidate the entry */
	}
	assert_int_equal(C(t, TFTP_COPY_BYTES), 0); /* octet: zero copy */
	assert_int_equal(tftp_active(t->e), 0);
	assert_int_equal(C(t, TFTP_XFER_FAILED), 0);
}

static void
test_size_multiple_ends_with_empty_block(void **state)
{
	struct th *t = *state;
	uint8_t *d = th_pattern(1024, 3);
	th_write(t, "m", d, 1024);
	free(d);
	struct th_fetch f = { .name = "m", .cport = 5000 };
	th_do_fetch(t, &f);
	assert_true(f.done);
	assert_int_equal(f.len, 1024);
	assert_int_equal(f.data_pkts, 3); /* 512 + 512 + 0 */
	free(f.data);
}

static void
test_rollover(void **state)
{
	struct th *t = *state;
	size_t size = 65536u * 512u + 700u; /* 65538 blocks: wraps past 65535 */
	uint8_t *d = th_pattern(size, 9);
	th_write(t, "big", d, size);
	const char *opts[] = { "windowsize", "16", NULL };
	struct th_fetch f = { .name = "big", .opts = opts, .cport = 5001, .max_steps = 200000 };
	th_do_fetch(t, &f);
	assert_true(f.done);
	assert_int_equal(f.len, size);
	assert_memory_equal(f.data, d, size);
	assert_int_equal(C(t, TFTP_ROLLOVER), 1);
	free(f.data);
	free(d);
}

/* 1 GiB (sparse) file: offsets past 2^32 bits, tsize, every block handed
 * out with the right length, without reassembling it in memory. */
static void
test_one_gib(void **state)
{
	struct th *t = *state;
	const uint64_t size = 1ull << 30;
	char p[512];
	th_path(t, "huge", p, sizeof(p));
	int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size - 3), 0);
	assert_int_equal(pwrite(fd, "end", 3, (off_t)size - 3), 3);
	close(fd);
	struct timespec ts[2];
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 10;
	ts[1] = ts[0];
	utimensat(AT_FDCWD, p, ts, 0);
	t->s->tftp_mtu = 65535;
	t->s->tftp_max_blksize = 65464;
	t->s->tftp_max_windowsize = 64;
	const char *o[] = { "blksize", "65464", "windowsize", "64", "tsize", "0", NULL };
	struct th_pkt *pk = answer(t, 5100, "huge", o);
	assert_int_equal(th_op(pk), 6);
	assert_int_equal(th_oack_opt(pk, "tsize"), (long)size);
	uint16_t sport = pk->src_port;
	th_ack(t, 5100, sport, 0);
	uint64_t got = 0;
	uint32_t expect = 1;
	bool done = false;
	const uint8_t *lastp = NULL;
	uint32_t lastlen = 0;
	for (int step = 0; step < 100000 && !done; step++) {
		t->npk = 0;
		th_poll(t, 256);
		for (unsigned k = 0; k < t->npk; k++) {
			struct th_pkt *d = &t->pk[k];
			assert_int_equal(th_blk(d), (uint16_t)expect);
			got += d->payload_len;
			lastp = d->payload;
			lastlen = d->payload_len;
			bool last = d->payload_len < 65464;
			if (last || expect % 64 == 0)
				th_ack(t, 5100, sport, (uint16_t)expect);
			expect++;
			done = last;
		}
	}
	assert_true(done);
	assert_int_equal(got, size);
	assert_int_equal(expect - 1, size / 65464 + 1);
	assert_int_equal(lastlen, size % 65464);
	(void)lastp;
	assert_int_equal(tftp_active(t->e), 0);
	assert_int_equal(C(t, TFTP_COPY_BYTES), 0);
}

/* ---- losses ---- */

static bool
lose_data_some(unsigned n, uint16_t blk)
{
	(void)blk;
	return n % 37 == 5 || n % 53 == 17;
}

static bool
lose_ack_some(unsigned n, uint16_t blk)
{
	(void)blk;
	return n % 11 == 3;
}

static void
test_window_losses(void **state)
{
	struct th *t = *state;
	size_t size = 300000;
	uint8_t *d = th_pattern(size, 5);
	th_write(t, "w", d, size);
	const char *opts[] = { "blksize", "512", "windowsize", "8", NULL };
	struct th_fetch f = { .name = "w", .opts = opts, .cport = 6000,
			      .lose_data = lose_data_some, .lose_ack = lose_ack_some };
	th_do_fetch(t, &f);
	assert_true(f.done);
	assert_int_equal(f.len, size);
	assert_memory_equal(f.data, d, size);
	assert_true(C(t, TFTP_TX_RETRANS) > 0);
	assert_true(C(t, TFTP_WINDOW_REWIND) > 0);
	free(f.data);
	free(d);
}

/* Drives a transfer by hand: poll and return the DATA block numbers sent
 * to cport. */
static unsigned
data_sent(struct th *t, uint16_t cport, uint16_t *blocks, unsigned max)
{
	unsigned n = 0;
	t->npk = 0;
	th_poll(t, 64);
	for (unsigned i = 0; i < t->npk; i++)
		if (t->pk[i].dst_port == cport && th_op(&t->pk[i]) == 3 && n < max)
			blocks[n++] = th_blk(&t->pk[i]);
	return n;
}

static uint16_t
start_windowed(struct th *t, uint16_t cport, const char *ws)
{
	const char *opts[] = { "windowsize", ws, NULL };
	struct th_pkt *p = answer(t, cport, "w", opts);
	assert_non_null(p);
	assert_int_equal(th_op(p), 6);
	uint16_t sport = p->src_port;
	th_ack(t, cport, sport, 0);
	return sport;
}

static void
test_dup_and_reordered_acks(void **state)
{
	struct th *t = *state;
	uint8_t *d = th_pattern(20000, 6);
	th_write(t, "w", d, 20000);
	free(d);
	uint16_t b[64];

	/* windowsize 1: duplicate ACK 1 must not resend block 2. */
	struct th_pkt *p = answer(t, 7000, "w", NULL);
	uint16_t sport = p->src_port;
	th_ack(t, 7000, sport, 1);
	assert_int_equal(data_sent(t, 7000, b, 64), 1);
	assert_int_equal(b[0], 2);
	assert_int_equal(th_ack(t, 7000, sport, 1), BS_CTR_DROP_TFTP_ACK_DUP);
	assert_int_equal(data_sent(t, 7000, b, 64), 0);
	assert_int_equal(C(t, DROP_TFTP_ACK_DUP), 1);

	/* windowsize 4: blocks 1-4; ACK 4 then 8, then the old ACK 4. */
	sport = start_windowed(t, 7001, "4");
	assert_int_equal(data_sent(t, 7001, b, 64), 4);
	assert_int_equal(b[0], 1);
	assert_int_equal(b[3], 4);
	th_ack(t, 7001, sport, 4);
	assert_int_equal(data_sent(t, 7001, b, 64), 4);
	assert_int_equal(b[0], 5);
	th_ack(t, 7001, sport, 8);
	th_ack(t, 7001, sport, 4); /* reordered: stale */
	assert_int_equal(C(t, DROP_TFTP_ACK_STALE), 1);
	assert_int_equal(data_sent(t, 7001, b, 64), 4);
	assert_int_equal(b[0], 9);
	/* ACK for a block never sent is stale too. */
	th_ack(t, 7001, sport, 40);
	assert_int_equal(C(t, DROP_TFTP_ACK_STALE), 2);

	/* Partial ACK (lost DATA 10): rewind to 11 (RFC 7440 section 4). */
	th_ack(t, 7001, sport, 10);
	assert_int_equal(C(t, TFTP_WINDOW_REWIND), 1);
	assert_int_equal(data_sent(t, 7001, b, 64), 4);
	assert_int_equal(b[0], 11);
	assert_int_equal(b[3], 14);

	/* ACK before OACK's ACK 0. */
	const char *opts[] = { "windowsize", "4", NULL };
	p = answer(t, 7002, "w", opts);
	th_ack(t, 7002, p->src_port, 3);
	assert_int_equal(C(t, DROP_TFTP_ACK_BEFORE_OACK), 1);
	assert_int_equal(data_sent(t, 7002, b, 64), 0);
}

/* Resends of one block until the transfer gives up; returns the sends and
 * the smallest gap between two of them. */
static unsigned
count_resends(struct th *t, uint16_t cport, uint16_t blk, uint64_t *min_gap)
{
	unsigned sends = 0;
	uint64_t last = t->now;
	uint16_t b[8];
	*min_gap = UINT64_MAX;
	for (int i = 0; i < 1000 && tftp_active(t->e); i++) {
		t->now += 10 * TH_MS;
		unsigned n = data_sent(t, cport, b, 8);
		if (n) {
			uint64_t gap = t->now - last;
			if (gap < *min_gap)
				*min_gap = gap;
			last = t->now;
			assert_int_equal(b[0], blk);
		}
		sends += n;
	}
	return sends;
}

static void
test_timeout_retries(void **state)
{
	struct th *t = *state;
	th_write(t, "w", "hello", 5);
	t->s->tftp_retries = 3;
	t->s->tftp_timeout_ms = 100;
	/* Never acknowledged (a spoofed RRQ): 1 + TFTP_UNV_RETRIES (1), not
	 * 1 + retries, without backoff (issue 15 item 7; 1 + 2 before the
	 * reflection bound). */
	struct th_pkt *p = answer(t, 7100, "w", NULL);
	assert_non_null(p);
	uint64_t min_gap;
	unsigned sends = 1 + count_resends(t, 7100, 1, &min_gap);
	assert_int_equal(sends, 1 + 1);
	assert_true(min_gap >= 100 * TH_MS);
	assert_int_equal(tftp_active(t->e), 0);
	assert_int_equal(C(t, TFTP_XFER_TIMEOUT), 1);
	assert_int_equal(t->stage_count[BOOT_STAGE_TFTP_FAILED], 1);
	/* a late ACK now gets ERROR 5 */
	t->npk = 0;
	th_ack(t, 7100, p->src_port, 1);
	assert_int_equal(C(t, TFTP_ERR_UNKNOWN_TID), 1);
	/* Acknowledged once: `retries` resends (3) with backoff. */
	uint8_t *d = th_pattern(1000, 3);
	th_write(t, "w2", d, 1000);
	free(d);
	p = answer(t, 7101, "w2", NULL);
	assert_non_null(p);
	th_ack(t, 7101, p->src_port, 1);
	uint16_t b[8];
	assert_int_equal(data_sent(t, 7101, b, 8), 1);
	assert_int_equal(b[0], 2);
	sends = 1 + count_resends(t, 7101, 2, &min_gap);
	assert_int_equal(sends, 1 + 3);
	assert_true(min_gap >= 100 * TH_MS);
	assert_int_equal(tftp_active(t->e), 0);
	assert_int_equal(C(t, TFTP_XFER_TIMEOUT), 2);
}

/* ---- paths ---- */

static int
err_for(struct th *t, uint16_t cport, const char *name)
{
	struct th_pkt *p = answer(t, cport, name, NULL);
	if (!p)
		return -1;
	return th_op(p) == 5 ? th_blk(p) : 100 + th_op(p);
}

static void
test_path_escape(void **state)
{
	struct th *t = *state;
	char p[512];
	t->s->tftp_max_per_client = 0;
	th_write(t, "ok", "fine", 4);
	th_write(t, "sub/in", "inside", 6);
	th_write_at(strcat(strcpy(p, t->dir), "/secret"), "secret", 6);
	snprintf(p, sizeof(p), "%s/out", t->root);
	assert_int_equal(symlink("../secret", p), 0);
	snprintf(p, sizeof(p), "%s/abs", t->root);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	snprintf(p, sizeof(p), "%s/devnull", t->root);
	assert_int_equal(symlink("/dev/null", p), 0);
	snprintf(p, sizeof(p), "%s/link_in", t->root);
	assert_int_equal(symlink("sub/in", p), 0);
	snprintf(p, sizeof(p), "%s/fifo", t->root);
	assert_int_equal(mkfifo(p, 0644), 0);
	snprintf(p, sizeof(p), "%s/dev", t->root);
	bool have_dev = mknod(p, S_IFCHR | 0644, makedev(1, 3)) == 0;

	uint16_t c = 8000;
	assert_int_equal(err_for(t, ++c, "ok"), 103);
	assert_int_equal(err_for(t, ++c, "/ok"), 103);	   /* leading '/' stripped */
	assert_int_equal(err_for(t, ++c, "//sub/in"), 103);
	assert_int_equal(err_for(t, ++c, "link_in"), 103); /* symlink inside: fine */
	assert_int_equal(err_for(t, ++c, "../secret"), 2);
	assert_int_equal(err_for(t, ++c, "sub/../ok"), 2);
	assert_int_equal(err_for(t, ++c, "sub/../../secret"), 2);
	assert_int_equal(err_for(t, ++c, ".."), 2);
	assert_int_equal(err_for(t, ++c, "/etc/passwd"), 1); /* = root/etc/passwd */
	assert_int_equal(err_for(t, ++c, "out"), 2);
	assert_int_equal(err_for(t, ++c, "abs"), 2);
	assert_int_equal(err_for(t, ++c, "devnull"), 2);
	assert_int_equal(err_for(t, ++c, "fifo"), 2);
	assert_int_equal(err_for(t, ++c, "sub"), 2); /* directory */
	if (have_dev)
		assert_int_equal(err_for(t, ++c, "dev"), 2);
	assert_true(C(t, DROP_TFTP_PATH_ESCAPE) >= 7);
	assert_true(C(t, DROP_TFTP_NOT_REGULAR) >= 2);

	/* NUL trick: the name ends at the first NUL, the rest is the mode. */
	static const uint8_t nul[] = "\0\1ok\0../../secret\0octet\0";
	t->npk = 0;
	th_rx(t, ++c, TFTP_PORT, nul, sizeof(nul) - 1);
	assert_int_equal(t->npk, 1);
	assert_int_equal(th_op(&t->pk[0]), 5);
	assert_int_equal(th_blk(&t->pk[0]), 4);
	assert_int_equal(tftp_active(t->e), 4); /* the four good ones above */
}

static void
test_gen_root_first(void **state)
{
	struct th *t = *state;
	char p[512];
	th_write(t, "pxelinux.cfg/default", "root", 4);
	snprintf(p, sizeof(p), "%s/pxelinux.cfg/default", t->gen);
	th_write_at(p, "generated", 9);
	th_write(t, "only-root", "R", 1);
	struct th_fetch f = { .name = "pxelinux.cfg/default", .cport = 8100 };
	th_do_fetch(t, &f);
	assert_int_equal(f.len, 9);
	assert_memory_equal(f.data, "generated", 9);
	free(f.data);
	struct th_fetch g = { .name = "only-root", .cport = 8101 };
	th_do_fetch(t, &g);
	assert_int_equal(g.len, 1);
	free(g.data);
}

/* ---- cache ---- */

/* Drives a windowsize-1 transfer already started: returns bytes appended. */
static void
drive(struct th *t, uint16_t cport, uint8_t *out, size_t *len, unsigned max_blocks)
{
	for (unsigned k = 0, idle = 0; k < max_blocks && idle < 200;) {
		t->npk = 0;
		th_poll(t, 64);
		struct th_pkt *d = NULL;
		for (unsigned i = 0; i < t->npk; i++)
			if (t->pk[i].dst_port == cport && th_op(&t->pk[i]) == 3)
				d = &t->pk[i];
		if (!d) {
			t->now += 100 * TH_MS; /* wait for the retransmission */
			idle++;
			continue;
		}
		k++;
		idle = 0;
		memcpy(out + *len, d->payload, d->payload_len);
		*len += d->payload_len;
		th_ack(t, cport, d->src_port, th_blk(d));
		if (d->payload_len < 512)
			return;
	}
}

static void
test_replace_during_transfer(void **state)
{
	struct th *t = *state;
	size_t n1 = 50000, n2 = 30001;
	uint8_t *v1 = th_pattern(n1, 11), *v2 = th_pattern(n2, 12);
	uint8_t *got = malloc(n1 + 1024);
	size_t len = 0;
	th_write(t, "img", v1, n1);
	th_rrq(t, 9000, "img", "octet", NULL);
	drive(t, 9000, got, &len, 10); /* A: 10 blocks of v1 */
	assert_int_equal(len, 5120);

	/* Replace by rename, as an installer would. */
	char tmp[512], dst[512];
	snprintf(tmp, sizeof(tmp), "%s/img.tmp", t->root);
	th_path(t, "img", dst, sizeof(dst));
	th_write_at(tmp, v2, n2);
	assert_int_equal(rename(tmp, dst), 0);

	/* Within the revalidation period the old version is still served. */
	t->now += 100 * TH_MS;
	struct th_fetch b0 = { .name = "img", .cport = 9001 };
	th_do_fetch(t, &b0);
	assert_int_equal(b0.len, n1);
	free(b0.data);

	t->now += 2000 * TH_MS;
	struct th_fetch b = { .name = "img", .cport = 9002 };
	th_do_fetch(t, &b);
	assert_int_equal(b.len, n2);
	assert_memory_equal(b.data, v2, n2);
	assert_int_equal(C(t, TFTP_CACHE_NEW_VERSION), 1);
	free(b.data);

	/* A finishes on the old pages (it was idle: do not let it time out). */
	drive(t, 9000, got, &len, 1000);
	assert_int_equal(len, n1);
	assert_memory_equal(got, v1, n1);
	assert_int_equal(C(t, TFTP_FILE_UNMAPS), 1); /* v1 released after A */
	free(got);
	free(v1);
	free(v2);
}

static void
test_unstable_file(void **state)
{
	struct th *t = *state;
	th_engine(t, 64, 500); /* settle 500 ms */
	char p[512];
	th_path(t, "fresh", p, sizeof(p));
	FILE *f = fopen(p, "wb");
	fputs("being written", f);
	fclose(f); /* mtime = now: not settled */
	struct th_pkt *pk = answer(t, 9100, "fresh", NULL);
	assert_null(pk); /* dropped silently: the client retries */
	assert_int_equal(C(t, DROP_TFTP_UNSTABLE), 1);
	struct timespec ts[2];
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 5;
	ts[1] = ts[0];
	utimensat(AT_FDCWD, p, ts, 0);
	pk = answer(t, 9101, "fresh", NULL);
	assert_non_null(pk);
	assert_int_equal(th_op(pk), 3);
	assert_int_equal(pk->payload_len, 13);
}

static void
test_netascii(void **state)
{
	struct th *t = *state;
	static const char src[] = "a\nb\r\nc\r";
	static const char want[] = "a\r\nb\r\0\r\nc\r\0";
	th_write(t, "txt", src, sizeof(src) - 1);
	for (int i = 0; i < 2; i++) {
		struct th_fetch f = { .name = "txt", .mode = "NetAscii", .cport = (uint16_t)(9200 + i) };
		th_do_fetch(t, &f);
		assert_true(f.done);
		assert_int_equal(f.len, sizeof(want) - 1);
		assert_memory_equal(f.data, want, sizeof(want) - 1);
		free(f.data);
	}
	/* converted once per version, shared by both transfers */
	assert_int_equal(C(t, TFTP_COPY_BYTES), sizeof(src) - 1);
	/* tsize of a netascii transfer is the converted size */
	const char *o[] = { "tsize", "0", NULL };
	t->npk = 0;
	th_rrq(t, 9203, "txt", "netascii", o);
	th_poll(t, 8);
	assert_int_equal(th_oack_opt(&t->pk[0], "tsize"), sizeof(want) - 1);
	/* "mail" and unknown modes are refused with ERROR 4 */
	t->npk = 0;
	th_rrq(t, 9204, "txt", "mail", NULL);
	assert_int_equal(th_blk(&t->pk[0]), 4);
}

static void
test_negative_cache(void **state)
{
	struct th *t = *state;
	char name[64];
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 10; i++) {
			snprintf(name, sizeof(name), "pxelinux.cfg/C0A8%02X", i);
			assert_int_equal(err_for(t, (uint16_t)(9300 + round * 10 + i), name), 1);
		}
	assert_int_equal(C(t, TFTP_CACHE_NEG_HIT), 10);
	assert_int_equal(C(t, TFTP_ERR_NOT_FOUND), 20);
	/* the file appears: noticed once the negative entry expires */
	th_write(t, "pxelinux.cfg/C0A800", "x", 1);
	assert_int_equal(err_for(t, 9400, "pxelinux.cfg/C0A800"), 1);
	t->now += 1500 * TH_MS;
	assert_int_equal(err_for(t, 9401, "pxelinux.cfg/C0A800"), 103);
}

static void
test_shared_mapping(void **state)
{
	struct th *t = *state;
	uint8_t *d = th_pattern(4096, 2);
	th_write(t, "s", d, 4096);
	free(d);
	struct th_pkt *a = answer(t, 9500, "s", NULL);
	const uint8_t *pa = a->payload;
	struct tftp_file *fa = a->file;
	struct th_pkt *b = answer(t, 9501, "s", NULL);
	assert_ptr_equal(b->payload, pa); /* same pages: zero copy, one map */
	assert_ptr_equal(b->file, fa);
	assert_int_equal(C(t, TFTP_FILE_MAPS), 1);
	assert_int_equal(C(t, TFTP_CACHE_HIT), 1);
}

/* ---- storm behaviour ---- */

static void
test_fairness(void **state)
{
	struct th *t = *state;
	enum { N = 300 };
	size_t size = 200000;
	uint8_t *d = th_pattern(size, 4);
	th_write(t, "k", d, size);
	free(d);
	static const uint8_t rrq[] = "\0\1k\0octet\0blksize\0001468\0windowsize\00016\0";
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(th_rx_from(t, 0x0a000000u + i + 1, 1000, TFTP_PORT, rrq, sizeof(rrq) - 1), 0);
	static uint16_t sport[N], have[N];
	memset(sport, 0, sizeof(sport));
	memset(have, 0, sizeof(have)); /* the table runs twice (main) */
	unsigned rounds = 0, done = 0;
	/* 300 OACKs go out first, then ACK 0s start the windows. */
	while (done < N && rounds < 20000) {
		rounds++;
		t->npk = 0;
		th_poll(t, 64);
		assert_true(t->npk <= 64);
		for (unsigned k = 0; k < t->npk; k++) {
			struct th_pkt *p = &t->pk[k];
			unsigned i = p->dst_ip - 0x0a000001u;
			assert_true(i < N);
			sport[i] = p->src_port;
			uint8_t ack[4] = { 0, 4, 0, 0 };
			if (th_op(p) == 6) {
				th_rx_from(t, p->dst_ip, 1000, sport[i], ack, 4);
				continue;
			}
			if (th_blk(p) != (uint16_t)(have[i] + 1))
				continue;
			have[i]++;
			bool last = p->payload_len < 1468;
			if (last || have[i] % 16 == 0) {
				ack[2] = (uint8_t)(have[i] >> 8);
				ack[3] = (uint8_t)have[i];
				th_rx_from(t, p->dst_ip, 1000, sport[i], ack, 4);
				if (last)
					done++;
			}
		}
		if (rounds == 60) {
			/* 300 OACKs (5 polls), then 300 * 16 blocks at 64
			 * per poll = 75 polls for everybody's first window:
			 * after 60 polls every transfer has received some DATA
			 * (pace 4: one round of the queue is 300 * 4 / 64 ~ 19
			 * polls). */
			for (unsigned i = 0; i < N; i++)
				if (have[i] == 0)
					fail_msg("transfer %u starved", i);
		}
	}
	assert_int_equal(done, N);
	assert_int_equal(C(t, TFTP_XFER_DONE), N);
	assert_int_equal(C(t, TFTP_TX_RETRANS), 0);
	assert_int_equal(tftp_active(t->e), 0);
}

static void
test_capacity(void **state)
{
	struct th *t = *state;
	uint8_t *d = th_pattern(2000, 5);
	th_write(t, "c", d, 2000);
	free(d);
	static const uint8_t rrq[] = "\0\1c\0octet\0";
	static const uint8_t ack1[] = { 0, 4, 0, 1 };
	/* per client: 4, each acknowledged (verified) before the next RRQ:
	 * unverified ones are capped lower (test_tftp_sec) */
	for (uint16_t p = 1; p <= 4; p++) {
		assert_int_equal(th_rx_from(t, 0x0b000001, p, TFTP_PORT, rrq, sizeof(rrq) - 1), 0);
		t->npk = 0;
		th_poll(t, 64);
		uint16_t tid = 0;
		for (unsigned k = 0; k < t->npk; k++)
			if (t->pk[k].dst_port == p)
				tid = t->pk[k].src_port;
		assert_int_not_equal(tid, 0);
		assert_int_equal(th_rx_from(t, 0x0b000001, p, tid, ack1, 4), 0);
	}
	t->npk = 0;
	assert_int_equal(th_rx_from(t, 0x0b000001, 5, TFTP_PORT, rrq, sizeof(rrq) - 1),
			 BS_CTR_DROP_TFTP_PER_CLIENT);
	assert_int_equal(t->npk, 0); /* dropped, not answered */
	/* table: snap max_transfers 6 */
	t->s->tftp_max_transfers = 6;
	assert_int_equal(th_rx_from(t, 0x0b000002, 1, TFTP_PORT, rrq, sizeof(rrq) - 1), 0);
	assert_int_equal(th_rx_from(t, 0x0b000003, 1, TFTP_PORT, rrq, sizeof(rrq) - 1), 0);
	assert_int_equal(th_rx_from(t, 0x0b000004, 1, TFTP_PORT, rrq, sizeof(rrq) - 1),
			 BS_CTR_DROP_TFTP_FULL);
	assert_int_equal(tftp_active(t->e), 6);
	/* retransmitted RRQ: no second transfer */
	assert_int_equal(th_rx_from(t, 0x0b000002, 1, TFTP_PORT, rrq, sizeof(rrq) - 1),
			 BS_CTR_DROP_TFTP_DUP_RRQ);
	/* a client ERROR ends one: room again */
	t->npk = 0;
	th_poll(t, 64);
	uint16_t sp = 0;
	for (unsigned k = 0; k < t->npk; k++)
		if (t->pk[k].dst_ip == 0x0b000002)
			sp = t->pk[k].src_port;
	assert_true(sp != 0);
	static const uint8_t err[] = "\0\5\0\0bye\0";
	assert_int_equal(th_rx_from(t, 0x0b000002, 1, sp, err, sizeof(err) - 1),
			 BS_CTR_DROP_TFTP_CLIENT_ERROR);
	assert_int_equal(tftp_active(t->e), 5);
	assert_int_equal(th_rx_from(t, 0x0b000004, 1, TFTP_PORT, rrq, sizeof(rrq) - 1), 0);
	/* engine capacity (max_transfers of the engine) */
	th_engine(t, 2, UINT32_MAX);
	assert_int_equal(th_rx_from(t, 0x0c000001, 1, TFTP_PORT, rrq, sizeof(rrq) - 1), 0);
	assert_int_equal(th_rx_from(t, 0x0c000002, 1, TFTP_PORT, rrq, sizeof(rrq) - 1), 0);
	assert_int_equal(th_rx_from(t, 0x0c000003, 1, TFTP_PORT, rrq, sizeof(rrq) - 1),
			 BS_CTR_DROP_TFTP_FULL);
}

static void
test_saturation_prefers_running(void **state)
{
	struct th *t = *state;
	uint8_t *d = th_pattern(100000, 8);
	th_write(t, "s", d, 100000);
	free(d);
	static const uint8_t rrq[] = "\0\1s\0octet\0";
	for (uint32_t i = 1; i <= 40; i++)
		th_rx_from(t, 0x0d000000 + i, 1, TFTP_PORT, rrq, sizeof(rrq) - 1);
	t->npk = 0;
	th_poll(t, 16); /* 40 ready, 16 sent: saturated, admit 1 token */
	uint64_t before = C(t, DROP_TFTP_SATURATED);
	assert_int_equal(th_rx_from(t, 0x0e000001, 1, TFTP_PORT, rrq, sizeof(rrq) - 1), 0);
	assert_int_equal(th_rx_from(t, 0x0e000002, 1, TFTP_PORT, rrq, sizeof(rrq) - 1),
			 BS_CTR_DROP_TFTP_SATURATED);
	assert_int_equal(C(t, DROP_TFTP_SATURATED), before + 1);
	th_poll(t, 1000); /* drains: not saturated any more */
	assert_int_equal(th_rx_from(t, 0x0e000002, 1, TFTP_PORT, rrq, sizeof(rrq) - 1), 0);
}

/* Global cap on reserved window bytes: 3 windows of 16 x 512 for 10
 * transfers.  Unacked blocks never exceed it, windows are never left half
 * sent (no retransmissions needed), everybody finishes. */
static void
test_global_cap(void **state)
{
	struct th *t = *state;
	enum { N = 10, W = 16, BS = 512 };
	uint8_t *d = th_pattern(40000, 14);
	th_write(t, "g", d, 40000);
	free(d);
	struct tftp_env env = { .ctr = t->ctr, .n_workers = 1, .send = th_send,
				   .send_data = th_runs ? th_send_data : NULL, .ctx = t };
	struct tftp_limits lim = { .max_transfers = 64, .settle_ms = UINT32_MAX,
				   .max_inflight_bytes = 3 * W * BS };
	tftp_engine_free(t->e);
	t->e = tftp_engine_new(&env, &lim);
	static const uint8_t rrq[] = "\0\1g\0octet\0windowsize\00016\0";
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(th_rx_from(t, 0x0f000001u + i, 7, TFTP_PORT, rrq, sizeof(rrq) - 1), 0);
	uint16_t sport[N] = { 0 }, have[N] = { 0 }, acked[N] = { 0 };
	unsigned done = 0, max_unacked = 0;
	for (int round = 0; round < 5000 && done < N; round++) {
		t->npk = 0;
		th_poll(t, 7);
		for (unsigned k = 0; k < t->npk; k++) {
			struct th_pkt *p = &t->pk[k];
			unsigned i = p->dst_ip - 0x0f000001u;
			sport[i] = p->src_port;
			if (th_op(p) == 6) {
				uint8_t a0[4] = { 0, 4, 0, 0 };
				th_rx_from(t, p->dst_ip, 7, sport[i], a0, 4);
				continue;
			}
			assert_int_equal(th_blk(p), (uint16_t)(have[i] + 1));
			have[i]++;
		}
		unsigned unacked = 0;
		for (unsigned i = 0; i < N; i++)
			unacked += have[i] - acked[i];
		if (unacked > max_unacked)
			max_unacked = unacked;
		/* ACK every complete window (and the last block) */
		for (unsigned i = 0; i < N; i++) {
			bool last = (size_t)have[i] * BS > 40000;
			if (have[i] != acked[i] && (have[i] % W == 0 || last)) {
				uint8_t a[4] = { 0, 4, (uint8_t)(have[i] >> 8), (uint8_t)have[i] };
				th_rx_from(t, 0x0f000001u + i, 7, sport[i], a, 4);
				acked[i] = have[i];
				done += last;
			}
		}
	}
	assert_int_equal(done, N);
	assert_true(max_unacked <= 3 * W);
	assert_true(max_unacked >= 2 * W);
	assert_true(C(t, TFTP_CAP_WAIT) > 0);
	assert_int_equal(C(t, TFTP_TX_RETRANS), 0);
	assert_int_equal(C(t, TFTP_XFER_DONE), N);
}

static void
test_enobufs_retry(void **state)
{
	struct th *t = *state;
	uint8_t *d = th_pattern(5000, 13);
	th_write(t, "e", d, 5000);
	t->enobufs = 1;
	struct th_pkt *p = answer(t, 9600, "e", NULL);
	assert_null(p);
	assert_int_equal(C(t, TFTP_TX_BUSY), 1);
	struct th_fetch f = { .name = "e", .cport = 9601 };
	t->enobufs = 3;
	th_do_fetch(t, &f);
	assert_true(f.done);
	assert_memory_equal(f.data, d, 5000);
	free(f.data);
	free(d);
}

static void
test_bad_input(void **state)
{
	struct th *t = *state;
	t->s->tftp_max_per_client = 0;
	th_write(t, "ok", "0123456789", 10);
	struct {
		const char *pkt;
		size_t len;
		int reason, code;
	} cases[] = {
		{ "\0", 1, BS_CTR_DROP_TFTP_SHORT, -1 },
		{ "\0\1abc", 5, BS_CTR_DROP_TFTP_RRQ_MALFORMED, 4 },
		{ "\0\1ok\0octet", 10, BS_CTR_DROP_TFTP_RRQ_MALFORMED, 4 },
		{ "\0\1\0octet\0", 9, BS_CTR_DROP_TFTP_RRQ_EMPTY_NAME, 1 },
		{ "\0\1ok\0binary\0", 12, BS_CTR_DROP_TFTP_BAD_MODE, 4 },
		{ "\0\1ok\0octet\0blksize\0", 19, BS_CTR_DROP_TFTP_BAD_OPTION, 8 },
		{ "\0\1ok\0octet\0blksize", 18, BS_CTR_DROP_TFTP_BAD_OPTION, 8 },
		{ "\0\1ok\0octet\0blksize\0 512\0", 23, BS_CTR_DROP_TFTP_BAD_OPTION, 8 },
		{ "\0\1ok\0octet\0\0x", 13, BS_CTR_DROP_TFTP_BAD_OPTION, 8 },
		{ "\0\2ok\0octet\0", 11, BS_CTR_DROP_TFTP_WRQ, 2 },
		{ "\0\4\0\1", 4, BS_CTR_DROP_TFTP_ILLEGAL_OP, 4 },
		{ "\0\3\0\1xx", 6, BS_CTR_DROP_TFTP_ILLEGAL_OP, 4 },
		{ "\0\11", 2, BS_CTR_DROP_TFTP_ILLEGAL_OP, 4 },
		{ "\0\5\0\0x\0", 6, BS_CTR_DROP_TFTP_ERROR_STRAY, -1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t->npk = 0;
		int rc = th_rx(t, (uint16_t)(9700 + i), TFTP_PORT, cases[i].pkt, cases[i].len);
		if (rc != cases[i].reason)
			fail_msg("case %zu: reason %d want %d", i, rc, cases[i].reason);
		if (cases[i].code < 0) {
			assert_int_equal(t->npk, 0);
		} else {
			assert_int_equal(t->npk, 1);
			assert_int_equal(th_op(&t->pk[0]), 5);
			assert_int_equal(th_blk(&t->pk[0]), cases[i].code);
		}
	}
	/* trailing NUL padding after the mode is tolerated */
	assert_int_equal(th_rx(t, 9800, TFTP_PORT, "\0\1ok\0octet\0\0\0", 13), 0);
	/* source port 0 / broadcast source */
	assert_int_equal(th_rx(t, 0, TFTP_PORT, "\0\1ok\0octet\0", 11), BS_CTR_DROP_TFTP_BAD_SRC);
	/* not port 69 and not a TID */
	assert_int_equal(th_rx(t, 9801, 12345, "\0\4\0\1", 4), BS_CTR_DROP_TFTP_BAD_PORT);

	/* Spoofed source port: ERROR 5 to it, the transfer goes on. */
	struct th_pkt *p = answer(t, 9802, "ok", NULL);
	uint16_t sport = p->src_port;
	t->npk = 0;
	assert_int_equal(th_ack(t, 9803, sport, 1), BS_CTR_DROP_TFTP_UNKNOWN_TID);
	assert_int_equal(t->npk, 1);
	assert_int_equal(t->pk[0].dst_port, 9803);
	assert_int_equal(th_blk(&t->pk[0]), 5);
	/* short ACK on the real transfer */
	assert_int_equal(th_rx(t, 9802, sport, "\0\4\0", 3), BS_CTR_DROP_TFTP_SHORT);
	assert_int_equal(th_ack(t, 9802, sport, 1), 0);
	/* 10 bytes: one block, done; the padded RRQ's transfer remains */
	assert_int_equal(tftp_active(t->e), 1);
	assert_int_equal(C(t, TFTP_XFER_DONE), 1);
	assert_int_equal(t->stage_count[BOOT_STAGE_TFTP_DONE], 1);
}

static void
test_events(void **state)
{
	struct th *t = *state;
	size_t size = 3u << 20;
	uint8_t *d = th_pattern(size, 21);
	th_write(t, "kernel", d, size);
	free(d);
	const char *o[] = { "blksize", "1468", "windowsize", "16", NULL };
	struct th_fetch f = { .name = "/kernel", .opts = o, .cport = 9900 };
	th_do_fetch(t, &f);
	assert_true(f.done);
	free(f.data);
	assert_int_equal(t->stage_count[BOOT_STAGE_TFTP_START], 1);
	assert_int_equal(t->stage_count[BOOT_STAGE_TFTP_DONE], 1);
	assert_true(t->stage_count[BOOT_STAGE_TFTP_PROGRESS] >= 2);
	assert_true(t->stage_count[BOOT_STAGE_TFTP_PROGRESS] <= 3);
	const struct boot_event *last = &t->ev[t->nev - 1];
	assert_int_equal(last->stage, BOOT_STAGE_TFTP_DONE);
	assert_int_equal(last->bytes, size);
	assert_int_equal(last->total, size);
	assert_int_equal(last->ip, TH_CLIENT);
	assert_string_equal(last->file, "kernel");
	assert_int_equal(last->mac[0], 0x52);
}

static void
test_tid_ownership(void **state)
{
	struct th *t = *state;
	th_write(t, "o", "x", 1);
	struct tftp_env env = { .ctr = t->ctr, .worker = 1, .n_workers = 3, .send = th_send,
				   .send_data = th_runs ? th_send_data : NULL,
				.ctx = t };
	struct tftp_limits lim = { .max_transfers = 16, .settle_ms = UINT32_MAX };
	tftp_engine_free(t->e);
	t->e = tftp_engine_new(&env, &lim);
	for (uint16_t c = 1; c < 50; c++) {
		struct th_pkt *p = answer(t, c, "o", NULL);
		assert_non_null(p);
		assert_int_equal(tftp_port_owner(t->s, p->src_port, 3), 1);
		th_ack(t, c, p->src_port, 1);
	}
	assert_int_equal(tftp_active(t->e), 0);
	assert_true(tftp_bytes_per_transfer(t->e) < 256);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_negotiation, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_sizes, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_size_multiple_ends_with_empty_block, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_rollover, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_one_gib, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_window_losses, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_dup_and_reordered_acks, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_timeout_retries, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_path_escape, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_gen_root_first, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_replace_during_transfer, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_unstable_file, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_netascii, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_negative_cache, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_shared_mapping, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_fairness, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_capacity, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_saturation_prefers_running, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_global_cap, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_enobufs_retry, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_events, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_tid_ownership, th_setup, th_teardown),
	};
	/* every case twice: DATA one packet per send(), then in runs */
	return th_run_both("tftp", tests, sizeof(tests) / sizeof(tests[0]));
}
