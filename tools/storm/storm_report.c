/* SPDX-License-Identifier: BSD-3-Clause
 *
 * bs-storm: progress lines and the final report.
 */
#include "tools/storm/storm.h"

static const char *const fail_names[F_MAX] = {
#define X(n, s) s,
	FAIL_LIST(X)
#undef X
};

/* ----------------------------------------------------------------- report */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

void
progress(double el)
{
	fprintf(stderr, "storm: t=%.1fs done=%u active=%u queued=%u failed=%" PRIu64 " rx=%.1fMB %.0fMB/s\n",
		el, finished, active, q_tail - q_head,
		st.fails[F_DHCP_TIMEOUT] + st.fails[F_TFTP_TIMEOUT] + st.fails[F_TFTP_ERROR] +
			st.fails[F_BAD_DATA] + st.fails[F_BAD_SIZE] + st.fails[F_BAD_OACK] +
			st.fails[F_NO_FILE] + st.fails[F_NO_BOOTFILE],
		(double)st.payload_bytes / 1e6, el > 0 ? (double)st.payload_bytes / 1e6 / el : 0.0);
}

void
report(uint64_t t_end)
{
	uint64_t *t = calloc(opt.n, sizeof(*t));
	unsigned ok = 0, failed = 0;
	uint64_t last = 0, first = UINT64_MAX;
	for (unsigned i = 0; i < opt.n; i++) {
		struct node *n = &nodes[i];
		/* the first DISCOVER (or RRQ) of the run, started or not done */
		if (n->state != NS_WAIT && n->state != NS_QUEUED && n->t_start - t0_ns < first)
			first = n->t_start - t0_ns;
		if (n->state == NS_DONE) {
			t[ok++] = (n->t_done - n->t_start) / 1000;
			if (n->t_done - t0_ns > last)
				last = n->t_done - t0_ns;
		} else {
			if (n->state != NS_FAILED)
				st.fails[F_DEADLINE]++;
			failed++;
		}
	}
	qsort(t, ok, sizeof(*t), cmp_u64);
	double p50 = ok ? (double)t[(ok - 1) / 2] / 1000 : 0;
	double p99 = ok ? (double)t[(size_t)((ok - 1) * 0.99)] / 1000 : 0;
	double mx = ok ? (double)t[ok - 1] / 1000 : 0;
	double el = (double)(t_end - t0_ns) / 1e9;
	double last_s = failed ? el : (double)last / 1e9;
	/* first request sent .. last node done: with --dhcp-only, the span from
	 * the first DISCOVER to the last ACK, so ok / span_s is leases/s */
	if (first == UINT64_MAX)
		first = 0;
	double span_s = last_s > (double)first / 1e9 ? last_s - (double)first / 1e9 : 0;
	if (opt.times_path) {
		FILE *f = fopen(opt.times_path, "w");
		if (f) {
			for (unsigned k = 0; k < ok; k++)
				fprintf(f, "%.3f\n", (double)t[k] / 1000);
			fclose(f);
		}
	}
	printf("storm: %u nodes, %u ok, %u failed in %.2f s (last node done at %.2f s)\n", opt.n, ok,
	       failed, el, (double)last / 1e9);
	printf("storm: boot time per node ms: p50 %.1f p99 %.1f max %.1f\n", p50, p99, mx);
	printf("storm: payload %.1f MB, %.1f MB/s; rx %" PRIu64 " pkts (%.0f pkt/s), tx %" PRIu64
	       " pkts (%.0f pkt/s), tx drops %" PRIu64 "\n",
	       (double)st.payload_bytes / 1e6, (double)st.payload_bytes / 1e6 / el, st.rx_pkts,
	       (double)st.rx_pkts / el, st.tx_pkts, (double)st.tx_pkts / el, st.tx_drop);
	printf("storm: dhcp offers %" PRIu64 " acks %" PRIu64 " naks %" PRIu64 " rexmit %" PRIu64
	       "; tftp files %" PRIu64 " rexmit %" PRIu64 " dup-blocks %" PRIu64 " gap-acks %" PRIu64
	       "; arp replies %" PRIu64 "; stray %" PRIu64 "\n",
	       st.offers, st.acks, st.naks, st.dhcp_rexmit, st.files_done, st.tftp_rexmit, st.dup_blocks,
	       st.gap_acks, st.arp_replies, st.stray);
	if (failed) {
		printf("storm: failures:");
		for (int k = 1; k < F_MAX; k++)
			if (st.fails[k])
				printf(" %s=%" PRIu64, fail_names[k], st.fails[k]);
		printf("\n");
	}
	/* the generator's own CPU: shows whether it, not the server, was the limit */
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	read_ring_drops();
	printf("storm: generator cpu %.2f s (%.0f%% of one core), rx ring drops %" PRIu64 "\n", cpu,
	       el > 0 ? 100 * cpu / el : 0, ring_drops);
	printf("RESULT nodes=%u ok=%u failed=%u elapsed_s=%.3f last_s=%.3f p50_ms=%.1f p99_ms=%.1f "
	       "max_ms=%.1f mbps=%.1f rx_pps=%.0f tx_pps=%.0f dhcp_rexmit=%" PRIu64
	       " tftp_rexmit=%" PRIu64 " dup=%" PRIu64 " cpu_s=%.2f ring_drops=%" PRIu64
	       " payload_mb=%.1f deadline=%" PRIu64 " first_s=%.3f span_s=%.3f offers=%" PRIu64
	       " acks=%" PRIu64 " naks=%" PRIu64 " tx_drop=%" PRIu64 "\n",
	       opt.n, ok, failed, el, last_s, p50, p99, mx, (double)st.payload_bytes / 1e6 / el,
	       (double)st.rx_pkts / el, (double)st.tx_pkts / el, st.dhcp_rexmit, st.tftp_rexmit,
	       st.dup_blocks, cpu, ring_drops, (double)st.payload_bytes / 1e6, st.fails[F_DEADLINE],
	       (double)first / 1e9, span_s, st.offers, st.acks, st.naks, st.tx_drop);
	free(t);
}
