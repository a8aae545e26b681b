/* SPDX-License-Identifier: BSD-3-Clause
 *
 * TFTP fixture: a tiny root, a snapshot naming it, an engine whose env
 * callbacks check every packet handed out.  Every DATA payload is read
 * (summed) and bounds-checked, so ASan/UBSan catch bad offsets; in run
 * mode (env.send_data, the dataplane's burst path) each block's sum is
 * checked against the engine's, and every fifth run is only half taken,
 * as a full TX ring does, so the partial-take path is entered too.
 */
#include <string.h>

#include "dataplane/tftp/tftp_int.h"
#include "shm/snap_read.h"
#include "tests/fuzz/harness/fz.h"

struct fz_tftp {
	struct tftp_engine *e;
	uint64_t now;
	uint16_t last_tid;	/* the last server TID we were sent from */
	unsigned runs;		/* send_data calls so far */
	_Atomic uint64_t ctr[BS_CTR_MAX];
};

static _Alignas(8) uint8_t snap_buf[512];
static volatile uint32_t sink;

static const struct snap_hdr *
snap(void)
{
	struct snap_hdr *s = (struct snap_hdr *)snap_buf;

	if (s->magic == SNAP_MAGIC)
		return s;
	fz_tmpdir("tftp", false);
	fz_put_dir("root");
	fz_put_dir("root/d");
	fz_put_file("root/a", 0, 0);
	fz_put_file("root/b", 513, '*');
	fz_put_file("root/c", 5000, '*');
	fz_put_file("root/d/e", 300, '\n');
	fz_put_link("/etc/passwd", "root/x");
	fz_put_fifo("root/f");
	const char *root = fz_path("root");
	size_t n = strlen(root) + 1;
	FZ_CHECK(sizeof(*s) + 1 + n <= sizeof(snap_buf));
	memcpy(snap_buf + sizeof(*s) + 1, root, n);
	s->tftp_root = 1;
	s->strings.off = sizeof(*s);
	s->strings.count = (uint32_t)(1 + n);
	s->tftp_max_blksize = 1468;
	s->tftp_max_windowsize = 8;
	s->tftp_timeout_ms = 100;
	s->tftp_retries = 3;
	s->tftp_port_lo = 40000;
	s->tftp_port_hi = 40100;
	s->tftp_max_transfers = 16;
	s->tftp_max_per_client = 4;
	s->tftp_mtu = 1500;
	s->magic = SNAP_MAGIC;
	return s;
}

static int
on_send(void *ctx, const struct tftp_out *o)
{
	struct fz_tftp *t = ctx;
	uint32_t s = 0;

	FZ_CHECK(o->hdr_len >= 4 && o->hdr_len <= TFTP_MAX_HDR);
	FZ_CHECK(o->payload_len <= 65464 && (!o->payload_len || o->payload));
	t->last_tid = o->src_port;
	for (uint32_t i = 0; i < o->payload_len; i++)
		s += o->payload[i];
	sink += s;
	return 0;
}

static unsigned
on_send_data(void *ctx, const struct tftp_data_run *r)
{
	struct fz_tftp *t = ctx;

	FZ_CHECK(r->n >= 1 && r->n <= TFTP_RUN_MAX && r->last_len <= r->blksize);
	for (unsigned k = 0; k < r->n; k++) {
		uint8_t hdr[4];
		struct tftp_out o;

		tftp_run_out(r, k, hdr, &o);
		on_send(t, &o);
		FZ_CHECK(o.payload_sum == (o.payload_len ? tftp_raw_sum(o.payload, o.payload_len) : 0));
	}
	return ++t->runs % 5 == 0 ? r->n / 2 : r->n;
}

struct fz_tftp *
fz_tftp_new(bool runs)
{
	struct fz_tftp *t = calloc(1, sizeof(*t));

	FZ_CHECK(t != NULL);
	struct tftp_env env = {
		.ctr = t->ctr, .n_workers = 1, .send = on_send, .ctx = t,
		.send_data = runs ? on_send_data : NULL,
	};
	struct tftp_limits lim = { .max_transfers = 16, .max_files = 8, .settle_ms = UINT32_MAX,
				   .tid_key = { 0x6273, 0x66757a7a } }; /* fixed: a finding replays the same TIDs */
	snap();
	t->e = tftp_engine_new(&env, &lim);
	FZ_CHECK(t->e != NULL);
	t->now = 1000000000ull;
	t->last_tid = 40000;
	return t;
}

/* ctl & 3: 0 packet to port 69, 1 packet to the last TID, 2 poll after
 * len * 10 ms, 3 ACK to the last TID with block = the first two bytes;
 * (ctl >> 2) & 7 picks the client port, ctl >> 5 the client ip. */
void
fz_tftp_op(struct fz_tftp *t, uint8_t ctl, const uint8_t *p, uint8_t len)
{
	const struct snap_hdr *s = snap();
	struct tftp_rx rx = { .p = p, .len = len, .src_ip = 0x0a000001u + (ctl >> 5),
			      .src_port = (uint16_t)(1000 + ((ctl >> 2) & 7)), .now_ns = t->now,
			      .dst_port = t->last_tid };
	uint8_t ack[4] = { 0, 4, len > 0 ? p[0] : 0, len > 1 ? p[1] : 0 };

	switch (ctl & 3) {
	case 0:
		rx.dst_port = 69;
		/* fall through */
	case 1:
		tftp_handle(t->e, s, &rx);
		break;
	case 2:
		t->now += (uint64_t)len * 10000000ull;
		tftp_poll(t->e, s, t->now, 64);
		break;
	default:
		rx.p = ack;
		rx.len = 4;
		tftp_handle(t->e, s, &rx);
		break;
	}
	tftp_poll(t->e, s, t->now, 16);
}

void
fz_tftp_finish(struct fz_tftp *t)
{
	struct tftp_engine *e = t->e;

	for (int k = 0; k < 400 && tftp_active(e); k++) {
		t->now += 5000000000ull; /* up to 2000 s: timeout option 255 s x retries */
		tftp_poll(e, snap(), t->now, 64);
	}
	/* every transfer ended, every reservation of the global cap given back */
	FZ_CHECK(tftp_active(e) == 0 && e->inflight == 0);
	FZ_CHECK(e->n_free + e->n_ready + e->n_wait >= e->max);
	tftp_engine_free(e);
	free(t);
}
