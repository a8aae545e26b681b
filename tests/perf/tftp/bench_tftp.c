/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Benchmark of the TFTP engine alone (not a test): N concurrent transfers
 * of one file (windowsize 16, blksize 1468 by default), a send callback that
 * only counts and remembers which window ends to ACK, ACKs fed back through
 * tftp_handle().  Prints DATA packets per second, bytes copied per byte
 * served, bytes of state per transfer.
 *
 *   bench_tftp [transfers=1000] [file_kib=1024] [windowsize=16] [blksize=1468]
 *
 * Instructions per DATA packet (engine only: tftp_poll + tftp_handle and
 * what they call):
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \
 *     --toggle-collect=tftp_poll --toggle-collect=tftp_handle \
 *     build/tests/perf/tftp/bench_tftp 1000 256
 *   callgrind_annotate /tmp/cg.out | head   (total Ir / DATA packets printed)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/bs_time.h"
#include "tests/unit/tftp/th.h"

struct bench {
	uint64_t data_pkts;
	uint32_t n_acks;
	struct {
		uint32_t ip;
		uint16_t sport, block;
	} acks[4096];
	uint16_t wsize, blksize;
};

static struct bench B;

static int
bench_send(void *ctx, const struct tftp_out *o)
{
	(void)ctx;
	uint16_t op = (uint16_t)(o->hdr[0] << 8 | o->hdr[1]);
	uint16_t blk = (uint16_t)(o->hdr[2] << 8 | o->hdr[3]);
	if (op == 3) {
		B.data_pkts++;
		/* the client ACKs the end of each window and the last block */
		if (blk % B.wsize != 0 && o->payload_len == B.blksize)
			return 0;
	} else if (op == 6) {
		blk = 0;
	} else {
		return 0;
	}
	if (B.n_acks < 4096) {
		B.acks[B.n_acks].ip = o->dst_ip;
		B.acks[B.n_acks].sport = o->src_port;
		B.acks[B.n_acks].block = blk;
		B.n_acks++;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 1000;
	size_t size = (argc > 2 ? (size_t)atoi(argv[2]) : 1024) * 1024;
	B.wsize = (uint16_t)(argc > 3 ? atoi(argv[3]) : 16);
	B.blksize = (uint16_t)(argc > 4 ? atoi(argv[4]) : 1468);

	struct th *t = th_new();
	t->s->tftp_max_windowsize = 65535;
	t->s->tftp_max_per_client = 0;
	t->s->tftp_timeout_ms = 60000; /* no retransmissions in a benchmark */
	uint8_t *d = th_pattern(size, 1);
	th_write(t, "vmlinuz", d, size);
	free(d);

	struct tftp_env env = { .ctr = t->ctr, .n_workers = 1, .send = bench_send };
	struct tftp_limits lim = { .max_transfers = 100000, .max_files = 64,
				   .settle_ms = UINT32_MAX };
	tftp_engine_free(t->e);
	struct tftp_engine *e = t->e = tftp_engine_new(&env, &lim);

	char rrq[128];
	int rl = snprintf(rrq, sizeof(rrq), "%c%cvmlinuz%coctet%cblksize%c%u%cwindowsize%c%u%c", 0, 1,
			  0, 0, 0, B.blksize, 0, 0, B.wsize, 0);
	uint64_t t0 = bs_mono_ns();
	for (unsigned i = 0; i < n; i++) {
		struct tftp_rx rx = { .p = (const uint8_t *)rrq, .len = (size_t)rl,
				      .src_ip = 0x0a000001u + i, .src_port = 2000,
				      .dst_port = TFTP_PORT, .now_ns = bs_mono_ns() };
		if (tftp_handle(e, t->s, &rx) != BS_DROP_NONE)
			return 1;
	}
	uint64_t polls = 0;
	while (tftp_active(e) && polls < 100000000ull) {
		uint64_t now = bs_mono_ns();
		B.n_acks = 0;
		tftp_poll(e, t->s, now, 256);
		polls++;
		for (uint32_t k = 0; k < B.n_acks; k++) {
			uint8_t ack[4] = { 0, 4, (uint8_t)(B.acks[k].block >> 8),
					   (uint8_t)B.acks[k].block };
			struct tftp_rx rx = { .p = ack, .len = 4, .src_ip = B.acks[k].ip,
					      .src_port = 2000, .dst_port = B.acks[k].sport,
					      .now_ns = now };
			tftp_handle(e, t->s, &rx);
		}
	}
	uint64_t t1 = bs_mono_ns();
	double secs = (double)(t1 - t0) / 1e9;
	uint64_t payload = t->ctr[BS_CTR_TFTP_PAYLOAD_BYTES];
	printf("transfers            %u of %zu bytes, windowsize %u, blksize %u\n", n, size,
	       B.wsize, B.blksize);
	printf("completed            %llu (failed %llu, retransmits %llu)\n",
	       (unsigned long long)t->ctr[BS_CTR_TFTP_XFER_DONE],
	       (unsigned long long)t->ctr[BS_CTR_TFTP_XFER_FAILED],
	       (unsigned long long)t->ctr[BS_CTR_TFTP_TX_RETRANS]);
	printf("DATA packets         %llu in %.3f s = %.0f pkt/s (%.1f Gbit/s of payload)\n",
	       (unsigned long long)B.data_pkts, secs, (double)B.data_pkts / secs,
	       (double)payload * 8 / secs / 1e9);
	printf("bytes copied/served  %llu / %llu = %.6f\n",
	       (unsigned long long)t->ctr[BS_CTR_TFTP_COPY_BYTES], (unsigned long long)payload,
	       payload ? (double)t->ctr[BS_CTR_TFTP_COPY_BYTES] / (double)payload : 0.0);
	printf("bytes read for sums  %llu (once per block per file version)\n",
	       (unsigned long long)t->ctr[BS_CTR_TFTP_SUM_BYTES]);
	printf("state per transfer   %zu bytes (engine sized for 100000 transfers)\n",
	       tftp_bytes_per_transfer(e));
	printf("polls                %llu\n", (unsigned long long)polls);
	int ok = t->ctr[BS_CTR_TFTP_XFER_DONE] == n && t->ctr[BS_CTR_TFTP_COPY_BYTES] == 0;
	th_free(t);
	return ok ? 0 : 1;
}
