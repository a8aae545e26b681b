/* SPDX-License-Identifier: BSD-3-Clause
 *
 * bench_dp: the dataplane's own cost per packet (a benchmark, not a test:
 * it prints figures and asserts none; `meson test` does not run it).
 *
 * It runs bootstorm-dp's real worker loop (dataplane/worker.c through
 * dp.c, the same objects bootstorm-dp links) over an in-memory port made by
 * rte_eth_from_rings(): RX and TX queues are plain rte_rings, so the "PMD"
 * costs one ring dequeue/enqueue per burst and passes mbuf pointers, and the
 * TFTP payload stays an external buffer on the file's pages (zero copy).
 * The shared region and config snapshot are made in-process, as control
 * would (shm_create + snap_build + shm_publish); lease events are drained
 * and durable_seq advanced as a control with an instant fsync would.
 *
 * A generator lcore works in closed-loop batches ("phases"):
 *   1. builds a batch of request mbufs (untimed);
 *   2. takes the time, enqueues the whole batch on the RX rings and sleeps
 *      until the TX rings hold every expected reply, takes the time again;
 *   3. drains the TX rings, checks every reply (type, addressing, block
 *      sequence) and every 16th one fully (IPv4 and UDP checksums over all
 *      segments, DHCP yiaddr/xid/chaddr, TFTP payload == file bytes), frees.
 * Only step 2 is timed, so neither building requests nor checking replies
 * is charged to the worker, and the generator needs no core of its own
 * while a phase runs (it sleeps 80% of the previous phase's time, then
 * polls every 50 us).
 *   DHCP: DISCOVERs from `batch` distinct inventory MACs (PXE options 60,
 *         93, 94, 97, 55), then REQUESTs (selecting) from the same MACs;
 *         replies are OFFERs and ACKs for the reserved addresses.
 *   TFTP: `transfers` RRQs (blksize, windowsize, tsize) from distinct
 *         clients, OACK, ACK 0 (untimed set-up); then each phase ACKs the
 *         last block of every transfer's window and times the
 *         transfers x windowsize DATA packets that follow.
 * Each configuration (protocol x worker count) runs in a forked child with
 * its own EAL, so runs do not share pools, ports or caches.
 *
 * Usage (from the repository root, after `ninja -C BUILD`):
 *   BUILD/tests/perf/dataplane/bench_dp                 # DHCP and TFTP, 1 and 2 workers
 *   BUILD/tests/perf/dataplane/bench_dp --mode tftp --workers 1 --transfers 2048
 *   BUILD/tests/perf/dataplane/bench_dp --help          # every knob
 * Instructions per packet (callgrind, fixed packet counts; the script runs
 * valgrind with --toggle-collect=dp_worker_main, bench_dp zeroes the counts
 * after set-up and dumps them after the last phase, and the script divides
 * the Ir of dp_worker_main and its callees by the packets answered):
 *   tests/perf/dataplane/bench_dp_callgrind.sh BUILD
 * See tests/perf/dataplane/README.md for what the figures mean on a 2-core
 * machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#ifdef BENCH_HAVE_CALLGRIND
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#endif

#include "conf/cfg.h"
#include "shm/counters.h"
#include "shm/publish.h"
#include "conf/snap_build.h"
#include "util/bs_time.h"
#include "dataplane/dp.h"
#include "dataplane/net/pkt.h"

#define SERVER_IP	0x0a000001u	/* 10.0.0.1/16 */
#define NODE_IP0	0x0a000100u	/* inventory node i: 10.0.1.0 + i */
#define TFTP_IP0	0x0a00c000u	/* TFTP client i: 10.0.192.0 + i */
#define MAX_NODES	32768u
#define MAX_XFERS	16000u
#define HDR_LEN		(PKT_ETH_LEN + PKT_IP_LEN + PKT_UDP_LEN)
#define TID_LO		40000u
#define TID_HI		59999u
#define RING_SZ		131072u		/* RX/TX rings: a whole phase fits */
#define FULL_CHECK_EVERY 16u
/* Every DATA mbuf of a phase waits on the TX rings until the phase ends,
 * and all of them point into one file version whose
 * rte_mbuf_ext_shared_info.refcnt is 16 bits: more than 65534 in flight
 * wraps it and the pages are unmapped under live mbufs (seen here as a
 * SIGSEGV reading the payload).  A NIC's TX rings (1024 descriptors per
 * worker) stay far below; this in-memory port must be told. */
#define MAX_INFLIGHT	60000u
#define FILE_NAME	"boot.bin"

static const uint8_t server_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

enum { MODE_DHCP = 1, MODE_TFTP = 2 };

struct bopt {
	unsigned modes;
	unsigned workers[2], n_workers;
	unsigned phases;	/* timed batches */
	unsigned batch;		/* DHCP requests per batch */
	unsigned nodes;		/* inventory size */
	unsigned transfers;	/* concurrent TFTP transfers */
	unsigned wsize, blksize, file_kib;
	unsigned mem_mb;
	bool sw_csum;		/* no RX checksum offload: workers verify in software */
	bool tx_copy;		/* force the copying TFTP path (comparison) */
	bool dhcp_spread;	/* DHCP on every queue (handed over to worker 0) */
	bool callgrind;		/* long idle sleeps, zero/dump callgrind around the phases */
	const char *lcores;	/* EAL --lcores override */
};

struct xfer {
	uint16_t cport, tid;
	uint16_t acked;		/* last block we acknowledged */
	uint16_t got_hi;	/* highest block seen this phase */
	uint32_t got_n;		/* DATA seen this phase */
};

/* One configuration's state; the generator lcore owns it while it runs. */
struct run {
	const struct bopt *o;
	unsigned mode, nw;
	char dir[64], inst[32];
	struct shm_region ctl;		/* control's mapping */
	struct rte_ring *rxr[2], *txr[2];
	struct rte_mempool *gpool;	/* request mbufs */
	uint8_t *file;
	size_t file_len;
	struct xfer *x;
	unsigned phase;
	uint32_t xid_salt;
	/* results */
	double t_sum, ph_rate[4096];
	unsigned n_ph;
	uint64_t replies, offers, acks, data_pkts, payload_bytes;
	uint64_t checked, full_checked, bad, other;
	uint64_t tx_w[2];		/* TX_PKTS per worker during timed phases */
	pthread_t wtid[2];		/* worker threads, for their CPU clocks */
	clockid_t wclk[2];
	double cpu_w[2];		/* worker CPU seconds during timed phases */
	double busy_w[2];		/* per worker: phase start to its last reply */
	bool timing;			/* drain_tx: count TX completion time */
	uint64_t free_tsc, freed;	/* TX completion (mbuf free) on the generator */
	uint64_t ctr0[BS_CTR_MAX], ctr1[BS_CTR_MAX]; /* sums before/after the timed phases */
	uint64_t max_seq;
	const char *fail;
	int rc;
};

static volatile bool g_gen_done;

/* ---- small helpers ------------------------------------------------------ */

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
node_mac(unsigned i, uint8_t mac[6])
{
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	mac[3] = (uint8_t)(i >> 16);
	mac[4] = (uint8_t)(i >> 8);
	mac[5] = (uint8_t)i;
}

static void
tftp_mac(unsigned i, uint8_t mac[6])
{
	node_mac(i, mac);
	mac[2] = 0x01;
}

static double
tsc_s(uint64_t d)
{
	return (double)d / (double)rte_get_tsc_hz();
}

static void
sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
			       .tv_nsec = (long)(ns % 1000000000u) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* ---- set-up: files, config, region -------------------------------------- */

static int
rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static int
make_file(struct run *r)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/tftp", r->dir);
	if (mkdir(path, 0755) != 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/state", r->dir);
	if (mkdir(path, 0755) != 0)
		return -errno;
	r->file_len = (size_t)r->o->file_kib * 1024u;
	r->file = malloc(r->file_len);
	if (r->file == NULL)
		return -ENOMEM;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < r->file_len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		r->file[i] = (uint8_t)x;
	}
	snprintf(path, sizeof(path), "%s/tftp/" FILE_NAME, r->dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, r->file, r->file_len);
	/* The cache refuses versions younger than settle_ms (half-written
	 * files): date it an hour back, as a file installed earlier. */
	struct timespec ts[2];
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 3600;
	ts[1] = ts[0];
	int rc = (n == (ssize_t)r->file_len && futimens(fd, ts) == 0) ? 0 : -EIO;
	close(fd);
	return rc;
}

static char *
make_yaml(const struct run *r, size_t *len)
{
	size_t cap = 4096 + (size_t)r->o->nodes * 96;
	char *y = malloc(cap);
	if (y == NULL)
		return NULL;
	size_t o = (size_t)snprintf(y, cap,
		"server: {name: bench, instance: %s, state_dir: %s/state, ip: 10.0.0.1/16,"
		" mac: '02:00:00:00:00:01'}\n"
		"dhcp:\n"
		"  unknown_clients: allow\n"
		"  max_leases: %u\n"
		"  subnets:\n"
		"    - subnet: 10.0.0.0/16\n"
		"      router: 10.0.0.1\n"
		"      pools: [10.0.190.0-10.0.190.255]\n"
		"boot:\n"
		"  next_server: 10.0.0.1\n"
		"  files: {bios: " FILE_NAME ", efi-x64: " FILE_NAME "}\n"
		"tftp:\n"
		"  root: %s/tftp\n"
		"  max_blksize: 65464\n"
		"  max_windowsize: 1024\n"
		"  timeout: 255s\n"     /* callgrind phases are slow: no retransmits */
		"  ports: %u-%u\n"
		"  max_transfers: %u\n"
		"nodes:\n",
		r->inst, r->dir, r->o->nodes * 2 + 1024, r->dir, TID_LO, TID_HI,
		r->o->transfers * 2 + 64);
	for (unsigned i = 0; i < r->o->nodes && o < cap; i++) {
		uint8_t m[6];
		uint32_t ip = NODE_IP0 + i;
		node_mac(i, m);
		o += (size_t)snprintf(y + o, cap - o,
				      "  - {name: n%05u, mac: '%02x:%02x:%02x:%02x:%02x:%02x', "
				      "ip: %u.%u.%u.%u}\n",
				      i, m[0], m[1], m[2], m[3], m[4], m[5], ip >> 24,
				      (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
	}
	if (o >= cap) {
		free(y);
		return NULL;
	}
	*len = o;
	return y;
}

/* Control's part: region + first snapshot. */
static int
make_region(struct run *r)
{
	size_t len;
	char *y = make_yaml(r, &len);
	if (y == NULL)
		return -ENOMEM;
	struct cfg_errs e = { 0 };
	struct cfg *c = cfg_load_mem("bench.yaml", y, len, &e);
	free(y);
	if (c == NULL) {
		cfg_errs_print(&e, stderr);
		cfg_errs_free(&e);
		return -EINVAL;
	}
	cfg_errs_free(&e);
	struct snap_hdr *s = NULL;
	int rc = snap_build(c, 1, &s, &len);
	cfg_free(c);
	if (rc < 0)
		return rc;
	struct shm_create_params p = {
		.instance = r->inst, .max_workers = 2, .ring_size = RING_SZ,
		.lease_cap = r->o->nodes * 2 + 1024, .slot_size = len + 4096,
	};
	bool reused;
	rc = shm_create(&r->ctl, &p, &reused);
	if (rc == 0)
		rc = shm_publish(&r->ctl, s, 1000);
	free(s);
	return rc;
}

/* Control's journal with an instant disk: everything drained is durable. */
static void
drain_events(struct run *r)
{
	struct lease_event le[64];
	struct boot_event be[64];
	uint64_t max = r->max_seq;
	for (unsigned w = 0; w < r->nw; w++) {
		unsigned n;
		void *lr = shm_lease_ring(&r->ctl, w), *br = shm_boot_ring(&r->ctl, w);
		while ((n = rte_ring_sc_dequeue_burst_elem(lr, le, sizeof(le[0]), 64, NULL)))
			for (unsigned i = 0; i < n; i++)
				max = le[i].seq > max ? le[i].seq : max;
		while (rte_ring_sc_dequeue_burst_elem(br, be, sizeof(be[0]), 64, NULL))
			;
	}
	if (max > r->max_seq) {
		r->max_seq = max;
		/* release: as control after its fsync (pairs with hold_release) */
		atomic_store_explicit(&r->ctl.hdr->durable_seq, max, memory_order_release);
	}
}

static void
ctr_sum(const struct run *r, uint64_t out[BS_CTR_MAX])
{
	memset(out, 0, sizeof(uint64_t) * BS_CTR_MAX);
	for (unsigned w = 0; w < r->nw; w++) {
		_Atomic uint64_t *c = shm_worker_counters(&r->ctl, w);
		for (unsigned i = 0; i < BS_CTR_MAX; i++)
			out[i] += atomic_load_explicit(&c[i], memory_order_relaxed);
	}
}

static uint64_t
ctr_w(const struct run *r, unsigned w, enum bs_ctr id)
{
	return atomic_load_explicit(&shm_worker_counters(&r->ctl, w)[id], memory_order_relaxed);
}

/* ---- requests ----------------------------------------------------------- */

static struct rte_mbuf *
udp_frame(struct run *r, const uint8_t smac[6], const uint8_t dmac[6], uint32_t sip,
	  uint32_t dip, uint16_t sport, uint16_t dport, const uint8_t *pay, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(r->gpool);
	if (m == NULL)
		return NULL;
	struct pkt_self me = { 0 };
	memcpy(me.mac, smac, 6);
	uint8_t *b = rte_pktmbuf_mtod(m, uint8_t *);
	size_t h = pkt_build_udp(b, HDR_LEN, &me, dmac, sip, dip, sport, dport, len,
				 rte_raw_cksum(pay, len), (uint16_t)r->phase);
	memcpy(b + h, pay, len);
	size_t fl = h + len;
	if (fl < 60) { /* Ethernet minimum, as a NIC delivers it */
		memset(b + fl, 0, 60 - fl);
		fl = 60;
	}
	m->data_len = (uint16_t)fl;
	m->pkt_len = (uint32_t)fl;
	/* A NIC with RX checksum offload has verified both; virtual PMDs
	 * leave them unknown (--sw-csum measures that case). */
	if (!r->o->sw_csum)
		m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	return m;
}

/* A DISCOVER and the REQUEST after it (phases 2k, 2k+1) share the xid. */
static uint32_t
xid_of(const struct run *r, unsigned i)
{
	return r->xid_salt * 0x01000193u + (r->phase / 2) * MAX_NODES + i;
}

/* A PXE ROM's DISCOVER or (selecting) REQUEST: BOOTP fixed part, cookie,
 * 53, [50, 54], 57, 60, 93, 94, 97, 55, end; padded to 300 bytes. */
static size_t
dhcp_msg(const struct run *r, uint8_t *b, unsigned i, bool request)
{
	static const char vci[] = "PXEClient:Arch:00000:UNDI:002001";
	static const uint8_t prl[] = { 1, 3, 6, 12, 15, 28, 43, 60, 66, 67, 128, 129, 130 };
	memset(b, 0, 300);
	b[0] = 1;
	b[1] = 1;
	b[2] = 6;
	put32(b + 4, xid_of(r, i));
	node_mac(i, b + 28);
	size_t o = 236;
	put32(b + o, 0x63825363u);
	o += 4;
	b[o++] = 53, b[o++] = 1, b[o++] = request ? 3 : 1;
	if (request) {
		b[o++] = 50, b[o++] = 4;
		put32(b + o, NODE_IP0 + i);
		o += 4;
		b[o++] = 54, b[o++] = 4;
		put32(b + o, SERVER_IP);
		o += 4;
	}
	b[o++] = 57, b[o++] = 2, b[o++] = 0x05, b[o++] = 0xc0;
	b[o++] = 60, b[o++] = sizeof(vci) - 1;
	memcpy(b + o, vci, sizeof(vci) - 1);
	o += sizeof(vci) - 1;
	b[o++] = 93, b[o++] = 2, b[o++] = 0, b[o++] = 0;
	b[o++] = 94, b[o++] = 3, b[o++] = 1, b[o++] = 2, b[o++] = 1;
	b[o++] = 97, b[o++] = 17, b[o++] = 0;
	for (unsigned k = 0; k < 16; k++)
		b[o++] = (uint8_t)(i * 7 + k);
	b[o++] = 55, b[o++] = sizeof(prl);
	memcpy(b + o, prl, sizeof(prl));
	o += sizeof(prl);
	b[o++] = 255;
	return o < 300 ? 300 : o;
}

static uint16_t
queue_of_tid(const struct run *r, uint16_t tid)
{
	/* As rte_flow (or an RSS hash that happens to agree) would steer it:
	 * tftp_port_owner()'s rule. */
	return (uint16_t)((tid - TID_LO) % r->nw);
}

/* ---- replies ------------------------------------------------------------ */

struct rep {
	const uint8_t *ip, *udp, *pay;	/* in the first segment */
	uint32_t sip, dip;
	uint16_t sport, dport, ulen;
	size_t seg_pay;			/* payload bytes in the first segment */
};

static bool
parse(struct rte_mbuf *m, struct rep *p)
{
	const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
	if (m->data_len < HDR_LEN || get16(b + 12) != 0x0800 || b[14] != 0x45 || b[23] != 17)
		return false;
	p->ip = b + PKT_ETH_LEN;
	p->udp = p->ip + PKT_IP_LEN;
	p->pay = p->udp + PKT_UDP_LEN;
	p->sip = get32(p->ip + 12);
	p->dip = get32(p->ip + 16);
	p->sport = get16(p->udp);
	p->dport = get16(p->udp + 2);
	p->ulen = get16(p->udp + 4);
	p->seg_pay = m->data_len - HDR_LEN;
	return p->ulen >= PKT_UDP_LEN && m->pkt_len >= (uint32_t)(HDR_LEN + p->ulen - PKT_UDP_LEN) &&
	       memcmp(b + 6, server_mac, 6) == 0 && p->sip == SERVER_IP;
}

/* IPv4 header and UDP checksums over every segment. */
static bool
sums_ok(struct rte_mbuf *m, const struct rep *p)
{
	if (rte_raw_cksum(p->ip, PKT_IP_LEN) != 0xffff)
		return false;
	return rte_ipv4_udptcp_cksum_mbuf_verify(m, (const struct rte_ipv4_hdr *)p->ip,
						 PKT_ETH_LEN + PKT_IP_LEN) == 0;
}

static int
dhcp_msg_type(const uint8_t *b, size_t len)
{
	size_t o = 240;
	if (len < o || get32(b + 236) != 0x63825363u)
		return -1;
	while (o < len && b[o] != 255) {
		if (b[o] == 0) {
			o++;
			continue;
		}
		if (o + 2 > len || o + 2 + b[o + 1] > len)
			return -1;
		if (b[o] == 53 && b[o + 1] == 1)
			return b[o + 2];
		o += 2u + b[o + 1];
	}
	return -1;
}

static void
reply_bad(struct run *r, const char *why)
{
	if (r->bad++ == 0)
		r->fail = why;
}

static void
check_dhcp(struct run *r, struct rte_mbuf *m, bool request)
{
	struct rep p;
	if (!parse(m, &p)) {
		r->other++;
		return;
	}
	r->checked++;
	const uint8_t *b = p.pay;
	size_t len = p.ulen - PKT_UDP_LEN;
	if (p.sport != 67 || p.dport != 68 || len < 240 || p.seg_pay < len || b[0] != 2) {
		reply_bad(r, "DHCP reply: addressing or BOOTP op");
		return;
	}
	unsigned i = (unsigned)b[28 + 3] << 16 | (unsigned)b[28 + 4] << 8 | b[28 + 5];
	uint8_t mac[6];
	node_mac(i, mac);
	int t = dhcp_msg_type(b, len);
	if (i >= r->o->nodes || memcmp(b + 28, mac, 6) != 0 || get32(b + 4) != xid_of(r, i) ||
	    get32(b + 16) != NODE_IP0 + i || t != (request ? 5 : 2)) {
		reply_bad(r, "DHCP reply: chaddr/xid/yiaddr/message type");
		return;
	}
	if (t == 2)
		r->offers++;
	else
		r->acks++;
	r->replies++;
	if (r->replies % FULL_CHECK_EVERY == 0) {
		r->full_checked++;
		if (!sums_ok(m, &p))
			reply_bad(r, "DHCP reply: IPv4/UDP checksum");
	}
}

/* DATA (phases) or OACK (set-up). */
static void
check_tftp(struct run *r, struct rte_mbuf *m)
{
	struct rep p;
	if (!parse(m, &p)) {
		r->other++;
		return;
	}
	r->checked++;
	unsigned i = p.dip - TFTP_IP0;
	if (i >= r->o->transfers || p.dport != r->x[i].cport || p.seg_pay < 4) {
		reply_bad(r, "TFTP reply: addressing");
		return;
	}
	struct xfer *x = &r->x[i];
	uint16_t op = get16(p.pay), blk = get16(p.pay + 2);
	if (op == 6) { /* OACK: the transfer's TID */
		if (x->tid != 0 || p.sport < TID_LO || p.sport > TID_HI)
			reply_bad(r, "TFTP: unexpected OACK");
		x->tid = p.sport;
		return;
	}
	if (op != 3) {
		reply_bad(r, op == 5 ? "TFTP: ERROR received" : "TFTP: unexpected opcode");
		return;
	}
	size_t plen = p.ulen - PKT_UDP_LEN - 4u;
	if (p.sport != x->tid || plen != r->o->blksize || blk <= x->acked ||
	    blk > x->acked + r->o->wsize) {
		reply_bad(r, "TFTP DATA: port, length or block outside the window");
		return;
	}
	x->got_n++;
	if (blk > x->got_hi)
		x->got_hi = blk;
	r->data_pkts++;
	r->payload_bytes += plen;
	r->replies++;
	if (r->replies % FULL_CHECK_EVERY == 0) {
		static uint8_t tmp[65536];
		size_t off = (size_t)(blk - 1) * r->o->blksize;
		const uint8_t *d = rte_pktmbuf_read(m, HDR_LEN + 4, plen, tmp);
		r->full_checked++;
		if (!sums_ok(m, &p))
			reply_bad(r, "TFTP DATA: IPv4/UDP checksum");
		else if (d == NULL || off + plen > r->file_len || memcmp(d, r->file + off, plen))
			reply_bad(r, "TFTP DATA: payload differs from the file");
	}
}

static double
cpu_s(clockid_t c)
{
	return (double)bs_clock_ns(c) * 1e-9;
}

/* TX completion: what a NIC PMD does on the worker's core inside
 * tx_burst once descriptors are done.  Here the generator does it, timed
 * apart (noinline: callgrind reports it as its own function). */
__attribute__((noinline)) void bench_tx_complete(struct rte_mbuf **v, unsigned n);
__attribute__((noinline)) void
bench_tx_complete(struct rte_mbuf **v, unsigned n)
{
	rte_pktmbuf_free_bulk(v, n);
}

static void
drain_tx(struct run *r, bool request)
{
	struct rte_mbuf *v[256];
	for (unsigned q = 0; q < r->nw; q++) {
		unsigned n;
		while ((n = rte_ring_sc_dequeue_burst(r->txr[q], (void **)v, 256, NULL))) {
			for (unsigned i = 0; i < n; i++) {
				if (r->mode == MODE_DHCP)
					check_dhcp(r, v[i], request);
				else
					check_tftp(r, v[i]);
			}
			uint64_t t = rte_rdtsc();
			bench_tx_complete(v, n);
			if (r->timing) {
				r->free_tsc += rte_rdtsc() - t;
				r->freed += n;
			}
		}
	}
}

/* Enqueues the batch (per queue) and waits until each TX ring q holds
 * want[q] more frames (the replies of the worker that owns queue q).
 * Returns the elapsed seconds until the last one, adds each worker's own
 * time to its last reply to r->busy_w (a worker preempted by another
 * process delays the phase, not the other worker's figure), or returns
 * < 0 when replies stopped coming (drops: printed from the counters). */
static double
timed_phase(struct run *r, struct rte_mbuf **q_pkts[2], unsigned q_n[2], const uint64_t want[2],
	    double est_s)
{
	uint64_t base[2] = { 0, 0 }, done[2] = { 0, 0 };
	double c0[2];
	for (unsigned w = 0; w < r->nw; w++) {
		base[w] = rte_ring_count(r->txr[w]);
		c0[w] = cpu_s(r->wclk[w]);
	}
	uint64_t t0 = rte_rdtsc();
	for (unsigned q = 0; q < r->nw; q++) {
		unsigned k = rte_ring_sp_enqueue_burst(r->rxr[q], (void **)q_pkts[q], q_n[q], NULL);
		if (k < q_n[q]) { /* cannot happen: the rings hold a whole phase */
			rte_pktmbuf_free_bulk(q_pkts[q] + k, q_n[q] - k);
			reply_bad(r, "RX ring full");
		}
	}
	if (est_s > 0)
		sleep_ns((uint64_t)(est_s * 0.8e9));
	uint64_t last = 0, last_t = rte_rdtsc();
	double stall_s = r->o->callgrind ? 60.0 : 2.0;
	for (;;) {
		uint64_t now = rte_rdtsc(), have = 0, need = 0;
		unsigned open = 0;
		for (unsigned q = 0; q < r->nw; q++) {
			uint64_t h = rte_ring_count(r->txr[q]) - base[q];
			have += h;
			need += want[q];
			if (done[q] == 0 && h >= want[q])
				done[q] = now;
			open += done[q] == 0;
		}
		if (open == 0) {
			for (unsigned w = 0; w < r->nw; w++) {
				r->cpu_w[w] += cpu_s(r->wclk[w]) - c0[w];
				if (want[w])
					r->busy_w[w] += tsc_s(done[w] - t0);
			}
			return tsc_s(now - t0);
		}
		if (have != last) {
			last = have;
			last_t = now;
		} else if (tsc_s(now - last_t) > stall_s) {
			fprintf(stderr, "bench_dp: stalled at %" PRIu64 " of %" PRIu64
				" replies; pool free %u, ext free %u, gen free %u\n", have, need,
				rte_mempool_avail_count(g_dp.pool),
				rte_mempool_avail_count(g_dp.ext_pool),
				rte_mempool_avail_count(r->gpool));
			return -1;
		}
		/* Held ACKs (dynamic leases) wait for this. */
		drain_events(r);
		sleep_ns(50000);
	}
}

static void
record(struct run *r, double dt, uint64_t n)
{
	if (getenv("BENCH_VERBOSE"))
		printf("  phase %u: %" PRIu64 " in %.3f ms = %.3f Mpps\n", r->phase, n, dt * 1e3,
		       (double)n / dt / 1e6);
	r->t_sum += dt;
	if (r->n_ph < sizeof(r->ph_rate) / sizeof(r->ph_rate[0]))
		r->ph_rate[r->n_ph++] = (double)n / dt;
}

static void
tx_snapshot(const struct run *r, uint64_t out[2])
{
	for (unsigned w = 0; w < r->nw; w++)
		out[w] = ctr_w(r, w, BS_CTR_TX_PKTS);
}

/* ---- the two workloads --------------------------------------------------- */

static int
gen_dhcp(struct run *r)
{
	const struct bopt *o = r->o;
	struct rte_mbuf **pk[2];
	unsigned qn[2];
	uint8_t msg[512];
	pk[0] = calloc(o->batch, sizeof(*pk[0]));
	pk[1] = calloc(o->batch, sizeof(*pk[1]));
	if (pk[0] == NULL || pk[1] == NULL)
		return -ENOMEM;
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	double est = 0;
	uint64_t w0[2], w1[2];
	ctr_sum(r, r->ctr0);
	CALLGRIND_ZERO_STATS;
	for (r->phase = 0; r->phase < o->phases && r->bad == 0; r->phase++) {
		bool request = r->phase % 2 == 1;
		/* DISCOVER then REQUEST from the same clients; then the next ones. */
		unsigned first = (r->phase / 2 * o->batch) % o->nodes;
		qn[0] = qn[1] = 0;
		for (unsigned k = 0; k < o->batch; k++) {
			unsigned i = (first + k) % o->nodes;
			uint8_t mac[6];
			node_mac(i, mac);
			size_t len = dhcp_msg(r, msg, i, request);
			struct rte_mbuf *m = udp_frame(r, mac, bcast, 0, 0xffffffffu, 68, 67, msg, len);
			if (m == NULL)
				return -ENOMEM;
			unsigned q = o->dhcp_spread ? k % r->nw : 0;
			pk[q][qn[q]++] = m;
		}
		tx_snapshot(r, w0);
		/* Worker 0 answers every DHCP request (handed over or not). */
		const uint64_t want[2] = { o->batch, 0 };
		double dt = timed_phase(r, pk, qn, want, est);
		tx_snapshot(r, w1);
		if (dt < 0) {
			reply_bad(r, "DHCP: replies stopped coming (see drops)");
			break;
		}
		for (unsigned w = 0; w < r->nw; w++)
			r->tx_w[w] += w1[w] - w0[w];
		record(r, dt, o->batch);
		est = dt;
		r->timing = true;
		drain_tx(r, request);
		r->timing = false;
		drain_events(r);
	}
	CALLGRIND_DUMP_STATS_AT("bench_dp timed phases");
	ctr_sum(r, r->ctr1);
	free(pk[0]);
	free(pk[1]);
	return 0;
}

static struct rte_mbuf *
tftp_pkt(struct run *r, unsigned i, const uint8_t *pay, size_t len, uint16_t dport)
{
	uint8_t mac[6];
	tftp_mac(i, mac);
	return udp_frame(r, mac, server_mac, TFTP_IP0 + i, SERVER_IP, r->x[i].cport, dport, pay,
			 len);
}

static struct rte_mbuf *
tftp_ack(struct run *r, unsigned i, uint16_t blk)
{
	uint8_t a[4] = { 0, 4, (uint8_t)(blk >> 8), (uint8_t)blk };
	return tftp_pkt(r, i, a, sizeof(a), r->x[i].tid);
}

static int
gen_tftp(struct run *r)
{
	const struct bopt *o = r->o;
	unsigned T = o->transfers;
	struct rte_mbuf **pk[2];
	unsigned qn[2];
	pk[0] = calloc(T, sizeof(*pk[0]));
	pk[1] = calloc(T, sizeof(*pk[1]));
	r->x = calloc(T, sizeof(*r->x));
	if (pk[0] == NULL || pk[1] == NULL || r->x == NULL)
		return -ENOMEM;

	/* Set-up (untimed): RRQ -> OACK. */
	char rrq[128];
	int rl = snprintf(rrq, sizeof(rrq), "%c%c" FILE_NAME "%coctet%cblksize%c%u%cwindowsize%c%u%c"
			  "tsize%c0%c", 0, 1, 0, 0, 0, o->blksize, 0, 0, o->wsize, 0, 0, 0);
	qn[0] = qn[1] = 0;
	for (unsigned i = 0; i < T; i++) {
		r->x[i].cport = (uint16_t)(2000 + i % 60000);
		struct rte_mbuf *m = tftp_pkt(r, i, (const uint8_t *)rrq, (size_t)rl, 69);
		if (m == NULL)
			return -ENOMEM;
		unsigned q = i % r->nw; /* RRQs to port 69 spread by RSS */
		pk[q][qn[q]++] = m;
	}
	const uint64_t oacks[2] = { qn[0], qn[1] };
	if (timed_phase(r, pk, qn, oacks, 0) < 0)
		reply_bad(r, "TFTP: not every RRQ was answered (see drops)");
	drain_tx(r, false);
	for (unsigned i = 0; i < T && r->bad == 0; i++)
		if (r->x[i].tid == 0)
			reply_bad(r, "TFTP: RRQ without OACK");
	if (r->bad)
		return 0;
	r->replies = r->checked = 0;
	r->cpu_w[0] = r->cpu_w[1] = 0;
	r->busy_w[0] = r->busy_w[1] = 0;

	/* Phases: ACK k*W (0 first) -> W DATA per transfer.  The last full
	 * window must stay before the file's end (no short block). */
	unsigned nblk = (unsigned)(r->file_len / o->blksize);
	unsigned max_ph = nblk / o->wsize;
	if (max_ph > 65535u / o->wsize)
		max_ph = 65535u / o->wsize;
	unsigned phases = o->phases < max_ph ? o->phases : max_ph;
	if (phases < o->phases)
		printf("  (%u phases: the file holds %u full windows; raise --file-kib)\n", phases,
		       max_ph);
	double est = 0;
	uint64_t w0[2], w1[2];
	uint64_t want = (uint64_t)T * o->wsize;
	ctr_sum(r, r->ctr0);
	CALLGRIND_ZERO_STATS;
	for (r->phase = 0; r->phase < phases && r->bad == 0; r->phase++) {
		qn[0] = qn[1] = 0;
		for (unsigned i = 0; i < T; i++) {
			struct rte_mbuf *m = tftp_ack(r, i, r->x[i].acked);
			if (m == NULL)
				return -ENOMEM;
			unsigned q = queue_of_tid(r, r->x[i].tid);
			pk[q][qn[q]++] = m;
			r->x[i].got_n = 0;
			r->x[i].got_hi = 0;
		}
		tx_snapshot(r, w0);
		/* Each ACK is steered to its owner, which sends the window. */
		const uint64_t wq[2] = { (uint64_t)qn[0] * o->wsize, (uint64_t)qn[1] * o->wsize };
		double dt = timed_phase(r, pk, qn, wq, est);
		tx_snapshot(r, w1);
		if (dt < 0) {
			reply_bad(r, "TFTP: DATA stopped coming (see drops)");
			break;
		}
		for (unsigned w = 0; w < r->nw; w++)
			r->tx_w[w] += w1[w] - w0[w];
		record(r, dt, want);
		est = dt;
		r->timing = true;
		drain_tx(r, false);
		r->timing = false;
		for (unsigned i = 0; i < T && r->bad == 0; i++) {
			struct xfer *x = &r->x[i];
			if (x->got_n != o->wsize || x->got_hi != x->acked + o->wsize)
				reply_bad(r, "TFTP: a window was not sent exactly once");
			x->acked = x->got_hi;
		}
		drain_events(r);
	}
	CALLGRIND_DUMP_STATS_AT("bench_dp timed phases");
	ctr_sum(r, r->ctr1);
	free(pk[0]);
	free(pk[1]);
	return 0;
}

static int
grab_thread(void *arg)
{
	*(pthread_t *)arg = pthread_self();
	return 0;
}

static int
gen_main(void *arg)
{
	struct run *r = arg;
	/* 1 us timer slack: the phase end is noticed within the poll step. */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	/* Let every worker pick up the snapshot (and worker 0 send its GARP). */
	sleep_ns(r->o->callgrind ? 2000000000ull : 200000000ull);
	drain_tx(r, false);
	r->other = 0;
	int rc = r->mode == MODE_DHCP ? gen_dhcp(r) : gen_tftp(r);
	r->rc = rc;
	g_dp.quit = true;
	g_gen_done = true;
	return 0;
}

/* ---- one configuration, in a child process ------------------------------- */

static void
print_ctrs(const struct run *r)
{
	bool any = false;
	for (unsigned i = 0; i < BS_CTR_MAX; i++) {
		uint64_t d = r->ctr1[i] - r->ctr0[i];
		if (d && (r->bad || getenv("BENCH_VERBOSE") || bs_ctr_is_drop((enum bs_ctr)i) ||
			  strstr(bs_ctr_name[i], "FULL"))) {
			printf("  %s%s=%" PRIu64, any ? "" : "counters during the phases:", bs_ctr_name[i],
			       d);
			any = true;
		}
	}
	if (any)
		printf("\n");
}

static void
report(const struct run *r)
{
	const struct bopt *o = r->o;
	const char *what = r->mode == MODE_DHCP ? "DHCP" : "TFTP";
	double med = 0, lo = 0, hi = 0;
	if (r->n_ph) {
		double v[4096];
		memcpy(v, r->ph_rate, sizeof(double) * r->n_ph);
		qsort(v, r->n_ph, sizeof(double), cmp_d);
		med = v[r->n_ph / 2];
		lo = v[0];
		hi = v[r->n_ph - 1];
	}
	uint64_t n = r->mode == MODE_DHCP ? r->offers + r->acks : r->data_pkts;
	double rate = r->t_sum > 0 ? (double)n / r->t_sum : 0;
	printf("%s, %u worker%s: %" PRIu64 " replies in %u phases, %.3f s busy\n", what, r->nw,
	       r->nw > 1 ? "s" : "", n, r->n_ph, r->t_sum);
	if (r->mode == MODE_DHCP)
		printf("  offers %" PRIu64 ", acks %" PRIu64 "\n", r->offers, r->acks);
	printf("  all workers: %.3f Mpps (phase median %.3f, min %.3f, max %.3f)\n", rate / 1e6,
	       med / 1e6, lo / 1e6, hi / 1e6);
	for (unsigned w = 0; w < r->nw; w++)
		printf("  worker %u: %" PRIu64 " frames, %.3f Mpps over the phases, %.3f Mpps "
		       "until its own last reply; on CPU %.0f%% of the phases (%.3f Mpps per "
		       "CPU-second)\n",
		       w, r->tx_w[w], r->t_sum > 0 ? (double)r->tx_w[w] / r->t_sum / 1e6 : 0,
		       r->busy_w[w] > 0 ? (double)r->tx_w[w] / r->busy_w[w] / 1e6 : 0,
		       r->t_sum > 0 ? 100 * r->cpu_w[w] / r->t_sum : 0,
		       r->cpu_w[w] > 0 ? (double)r->tx_w[w] / r->cpu_w[w] / 1e6 : 0);
	printf("  per worker core: %.3f Mpps (wall clock)\n", rate / 1e6 / r->nw);
	if (r->freed) {
		double fs = tsc_s(r->free_tsc);
		printf("  TX completion (mbuf free, done by the generator, not timed above): "
		       "%.1f ns/packet; charged to the workers: %.3f Mpps per worker core\n",
		       fs * 1e9 / (double)r->freed,
		       (double)n / (r->t_sum + fs / r->nw) / 1e6 / r->nw);
	}
	if (r->mode == MODE_TFTP)
		printf("  payload: %.2f Gbit/s (%" PRIu64 " bytes, blksize %u, windowsize %u, "
		       "%u transfers)\n",
		       r->t_sum > 0 ? (double)r->payload_bytes * 8 / r->t_sum / 1e9 : 0,
		       r->payload_bytes, o->blksize, o->wsize, o->transfers);
	uint64_t copied = r->ctr1[BS_CTR_TX_COPY_BYTES] - r->ctr0[BS_CTR_TX_COPY_BYTES];
	uint64_t ecopied = r->ctr1[BS_CTR_TFTP_COPY_BYTES] - r->ctr0[BS_CTR_TFTP_COPY_BYTES];
	printf("  payload bytes copied: %" PRIu64 " by the glue (TX_COPY_BYTES), %" PRIu64
	       " by the engine%s\n",
	       copied, ecopied, g_dp.tx_chain ? " (zero-copy path: chained extbufs)" :
						" (copy path)");
	printf("  replies checked: %" PRIu64 " (%" PRIu64 " fully: checksums%s), bad %" PRIu64 "%s%s\n",
	       r->checked, r->full_checked,
	       r->mode == MODE_TFTP ? ", payload == file" : ", yiaddr/xid", r->bad,
	       r->fail ? ": " : "", r->fail ? r->fail : "");
	if (r->ctr1[BS_CTR_DHCP_HELD] - r->ctr0[BS_CTR_DHCP_HELD])
		printf("  DHCP ACKs held for the journal: %" PRIu64 "\n",
		       r->ctr1[BS_CTR_DHCP_HELD] - r->ctr0[BS_CTR_DHCP_HELD]);
	if (r->ctr1[BS_CTR_HANDOVER_TX] - r->ctr0[BS_CTR_HANDOVER_TX])
		printf("  handed over between workers: %" PRIu64 "\n",
		       r->ctr1[BS_CTR_HANDOVER_TX] - r->ctr0[BS_CTR_HANDOVER_TX]);
	print_ctrs(r);
	if (o->callgrind)
		printf("callgrind: packets=%" PRIu64 " idle_sleeps=%" PRIu64 " phases=%u\n", n,
		       r->ctr1[BS_CTR_IDLE_SLEEPS] - r->ctr0[BS_CTR_IDLE_SLEEPS], r->n_ph);
	fflush(stdout);
}

static int
eal_args(const struct bopt *o, unsigned nw, char **v, char *buf, size_t cap, const char *prefix)
{
	int n = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char lc[64];
	if (o->lcores)
		snprintf(lc, sizeof(lc), "%s", o->lcores);
	else if (ncpu > (long)nw) /* a core per worker and one for the generator */
		snprintf(lc, sizeof(lc), "0-%u", nw);
	else /* 2 workers on 2 cores: the generator floats (it sleeps while timed) */
		snprintf(lc, sizeof(lc), "0@0,1@1,2@(0-1)");
	snprintf(buf, cap, "%s", lc);
	v[n++] = "bench_dp";
	v[n++] = "--no-pci";
	v[n++] = "--no-huge";
	v[n++] = "-m";
	static char mem[16];
	snprintf(mem, sizeof(mem), "%u", o->mem_mb);
	v[n++] = mem;
	v[n++] = "--lcores";
	v[n++] = buf;
	v[n++] = "--file-prefix";
	v[n++] = (char *)(uintptr_t)prefix;
	v[n++] = "--log-level";
	v[n++] = "*:warning";
	v[n] = NULL;
	return n;
}

static int
run_one(const struct bopt *o, unsigned mode, unsigned nw)
{
	static struct run R;
	struct run *r = &R;
	struct dp *dp = &g_dp;
	char lcbuf[64], *ev[16];
	int rc;
	memset(r, 0, sizeof(*r));
	r->o = o;
	r->mode = mode;
	r->nw = nw;
	r->xid_salt = (uint32_t)getpid() & 0x3ff;
	snprintf(r->inst, sizeof(r->inst), "bench-dp-%d", (int)getpid());
	snprintf(r->dir, sizeof(r->dir), "/tmp/bench-dp-XXXXXX");
	if (mkdtemp(r->dir) == NULL)
		return 1;
	if ((rc = make_file(r)) != 0 || (rc = make_region(r)) != 0) {
		fprintf(stderr, "bench_dp: set-up: %s\n", strerror(-rc));
		goto out_files;
	}
	int ec = eal_args(o, nw, ev, lcbuf, sizeof(lcbuf), r->inst);
	if (rte_eal_init(ec, ev) < 0) {
		fprintf(stderr, "bench_dp: EAL init (--lcores %s): %s\n", lcbuf,
			rte_strerror(rte_errno));
		rc = -EINVAL;
		goto out_region;
	}
	memset(dp, 0, sizeof(*dp));
	_Static_assert(sizeof(dp->o.instance) == sizeof(r->inst), "instance names");
	memcpy(dp->o.instance, r->inst, sizeof(r->inst));
	dp->o.workers = nw;
	/* Busy polling while timed; under callgrind long sleeps keep empty
	 * polls between phases few (they are counted in dp_worker_main). */
	dp->o.idle_sleep_us = o->callgrind ? 500000 : 0;
	dp->o.hold_ms = 2000;
	dp->o.tftp_max_transfers = o->transfers + 64;
	dp->o.tftp_max_files = 256;
	dp->o.tx_copy = o->tx_copy;
	dp->o.ra = true;
	/* Headers for a whole phase of DATA (or DHCP replies) in flight on the
	 * TX rings, plus the engines' own needs. */
	uint32_t inflight = (uint32_t)(mode == MODE_TFTP ? o->transfers * o->wsize : o->batch);
	dp->o.pool_mbufs = inflight + 8192 * nw + 4095;
	dp->o.ext_mbufs = inflight + 4095;
	dp->n_workers = nw;
	dp->tsc_per_us = (unsigned)(rte_get_tsc_hz() / 1000000u);
	if (dp->tsc_per_us == 0)
		dp->tsc_per_us = 1;
	r->gpool = rte_pktmbuf_pool_create("bench_gen", (mode == MODE_TFTP ? o->transfers :
							  o->batch) * 2 + 4095,
					   256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	for (unsigned q = 0; q < nw && r->gpool; q++) {
		char nm[32];
		snprintf(nm, sizeof(nm), "bench_rx%u", q);
		r->rxr[q] = rte_ring_create(nm, RING_SZ, (int)rte_socket_id(),
					    RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(nm, sizeof(nm), "bench_tx%u", q);
		r->txr[q] = rte_ring_create(nm, RING_SZ, (int)rte_socket_id(),
					    RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (r->rxr[q] == NULL || r->txr[q] == NULL)
			break;
	}
	if (r->gpool == NULL || r->rxr[nw - 1] == NULL || r->txr[nw - 1] == NULL) {
		fprintf(stderr, "bench_dp: pools/rings: %s (raise --mem)\n", rte_strerror(rte_errno));
		rc = -ENOMEM;
		goto out_eal;
	}
	if (rte_eth_from_rings("bench", r->rxr, nw, r->txr, nw, rte_socket_id()) < 0) {
		fprintf(stderr, "bench_dp: rte_eth_from_rings: %s\n", rte_strerror(rte_errno));
		rc = -ENODEV;
		goto out_eal;
	}
	unsigned glc = RTE_MAX_LCORE;
	if ((rc = dp_assign_lcores(dp)) == 0 && (rc = dp_create_pools(dp)) == 0 &&
	    (rc = dp_create_rings(dp)) == 0 && (rc = shm_attach(&dp->shm, r->inst)) == 0 &&
	    (rc = dp_claim_region(dp)) == 0 && (rc = dp_ports_init(dp)) == 0 &&
	    (rc = dp_init_workers(dp)) == 0) {
		glc = rte_get_next_lcore(dp->lcore[nw - 1], 1, 0);
		if (glc >= RTE_MAX_LCORE) {
			fprintf(stderr, "bench_dp: no lcore left for the generator\n");
			rc = -EINVAL;
		}
	}
	if (rc == 0) {
		printf("--- %s, %u worker%s (lcores %s, %ld CPUs online; generator on lcore %u), "
		       "RX checksums %s\n",
		       mode == MODE_DHCP ? "DHCP" : "TFTP", nw, nw > 1 ? "s" : "", lcbuf,
		       sysconf(_SC_NPROCESSORS_ONLN), glc,
		       o->sw_csum ? "verified in software" : "offloaded (flags GOOD)");
		fflush(stdout);
		/* The workers' CPU clocks tell preemption (a shared machine)
		 * apart from the dataplane's own speed. */
		r->wtid[0] = pthread_self();
		for (unsigned w = 1; w < nw; w++) {
			rte_eal_remote_launch(grab_thread, &r->wtid[w], dp->lcore[w]);
			rte_eal_wait_lcore(dp->lcore[w]);
		}
		for (unsigned w = 0; w < nw; w++)
			if (pthread_getcpuclockid(r->wtid[w], &r->wclk[w]) != 0)
				r->wclk[w] = CLOCK_MONOTONIC;
		rte_eal_remote_launch(gen_main, r, glc);
		dp_run(dp);
		if (r->rc != 0)
			rc = r->rc;
		else
			report(r);
	} else {
		fprintf(stderr, "bench_dp: dataplane set-up: %s\n", strerror(-rc));
	}
out_eal:
	/* Mbufs left on our rings go back before their pools are freed. */
	for (unsigned q = 0; q < nw; q++) {
		void *m = NULL;
		while (r->rxr[q] && rte_ring_dequeue(r->rxr[q], &m) == 0)
			rte_pktmbuf_free(m);
		while (r->txr[q] && rte_ring_dequeue(r->txr[q], &m) == 0)
			rte_pktmbuf_free(m);
	}
	dp_teardown(dp);
	for (unsigned q = 0; q < nw; q++) {
		rte_ring_free(r->rxr[q]);
		rte_ring_free(r->txr[q]);
	}
	rte_mempool_free(r->gpool);
	/* EAL leaves its runtime directory (/var/run/dpdk/PREFIX) behind. */
	char rtdir[PATH_MAX];
	snprintf(rtdir, sizeof(rtdir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	if (strstr(rtdir, r->inst))
		nftw(rtdir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
out_region:
	shm_detach(&r->ctl);
	shm_unlink_instance(r->inst);
out_files:
	nftw(r->dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	free(r->file);
	free(r->x);
	return rc == 0 && r->bad == 0 ? 0 : 1;
}

/* ---- main ---------------------------------------------------------------- */

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: bench_dp [options]\n"
		"  --mode dhcp|tftp|all   workload (default all)\n"
		"  --workers 1|2|both     worker lcores (default both: 1 then 2)\n"
		"  --phases N             timed batches (default 40 DHCP, 60 TFTP)\n"
		"  --batch N              DHCP requests per batch (default 8192)\n"
		"  --nodes N              inventory MACs (default 16384, max 32768)\n"
		"  --transfers N          concurrent TFTP transfers (default 2048, max 16000;\n"
		"                         transfers x windowsize <= 60000)\n"
		"  --windowsize N         TFTP windowsize (default 16)\n"
		"  --blksize N            TFTP blksize (default 1468)\n"
		"  --file-kib N           served file size (default 2048)\n"
		"  --mem MB               EAL -m (default 1024)\n"
		"  --sw-csum              RX checksums unknown (verified by the worker)\n"
		"  --tx-copy              copy TFTP payload into one mbuf (comparison)\n"
		"  --dhcp-spread          DHCP on every queue (worker 1 hands over to 0)\n"
		"  --callgrind            fixed counts, long idle sleeps, callgrind zero/dump\n"
		"                         around the timed phases (see bench_dp_callgrind.sh)\n"
		"  --lcores MAP           EAL --lcores (default 0-N, or 0@0,1@1,2@(0-1) on 2 CPUs)\n");
}

static int
parse_opts(struct bopt *o, int argc, char **argv)
{
	enum { O_MODE = 256, O_WORKERS, O_PHASES, O_BATCH, O_NODES, O_XFERS, O_WSIZE, O_BLK,
	       O_FILE, O_MEM, O_SWCSUM, O_COPY, O_SPREAD, O_CG, O_LCORES, O_HELP };
	static const struct option lo[] = {
		{ "mode", required_argument, NULL, O_MODE },
		{ "workers", required_argument, NULL, O_WORKERS },
		{ "phases", required_argument, NULL, O_PHASES },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "nodes", required_argument, NULL, O_NODES },
		{ "transfers", required_argument, NULL, O_XFERS },
		{ "windowsize", required_argument, NULL, O_WSIZE },
		{ "blksize", required_argument, NULL, O_BLK },
		{ "file-kib", required_argument, NULL, O_FILE },
		{ "mem", required_argument, NULL, O_MEM },
		{ "sw-csum", no_argument, NULL, O_SWCSUM },
		{ "tx-copy", no_argument, NULL, O_COPY },
		{ "dhcp-spread", no_argument, NULL, O_SPREAD },
		{ "callgrind", no_argument, NULL, O_CG },
		{ "lcores", required_argument, NULL, O_LCORES },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	unsigned phases = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		unsigned long v = optarg ? strtoul(optarg, NULL, 10) : 0;
		switch (c) {
		case O_MODE:
			o->modes = strcmp(optarg, "dhcp") == 0 ? MODE_DHCP :
				   strcmp(optarg, "tftp") == 0 ? MODE_TFTP :
				   strcmp(optarg, "all") == 0 ? MODE_DHCP | MODE_TFTP : 0;
			if (o->modes == 0)
				goto bad;
			break;
		case O_WORKERS:
			if (strcmp(optarg, "both") == 0) {
				o->workers[0] = 1, o->workers[1] = 2, o->n_workers = 2;
			} else if (v == 1 || v == 2) {
				o->workers[0] = (unsigned)v, o->n_workers = 1;
			} else {
				goto bad;
			}
			break;
		case O_PHASES: phases = (unsigned)v; break;
		case O_BATCH: o->batch = (unsigned)v; break;
		case O_NODES: o->nodes = (unsigned)v; break;
		case O_XFERS: o->transfers = (unsigned)v; break;
		case O_WSIZE: o->wsize = (unsigned)v; break;
		case O_BLK: o->blksize = (unsigned)v; break;
		case O_FILE: o->file_kib = (unsigned)v; break;
		case O_MEM: o->mem_mb = (unsigned)v; break;
		case O_SWCSUM: o->sw_csum = true; break;
		case O_COPY: o->tx_copy = true; break;
		case O_SPREAD: o->dhcp_spread = true; break;
		case O_CG: o->callgrind = true; break;
		case O_LCORES: o->lcores = optarg; break;
		case O_HELP: usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind < argc)
		goto bad;
	o->phases = phases;
	if (o->nodes == 0 || o->nodes > MAX_NODES || o->batch == 0 || o->batch > RING_SZ / 2 ||
	    o->transfers == 0 || o->transfers > MAX_XFERS || o->wsize == 0 ||
	    (uint64_t)o->transfers * o->wsize > MAX_INFLIGHT || o->blksize < 8 ||
	    o->blksize > 1472 - 4 || o->file_kib == 0 || o->batch > o->nodes) {
		fprintf(stderr, "bench_dp: out of range: nodes <= %u, batch <= nodes and <= %u, "
				"transfers x windowsize <= %u, blksize 8..1468\n",
			MAX_NODES, RING_SZ / 2, MAX_INFLIGHT);
		return -EINVAL;
	}
	return 0;
bad:
	fprintf(stderr, "bench_dp: bad argument (try --help)\n");
	return -EINVAL;
}

int
main(int argc, char **argv)
{
	struct bopt o = {
		.modes = MODE_DHCP | MODE_TFTP,
		.workers = { 1, 2 }, .n_workers = 2,
		.batch = 8192, .nodes = 16384, .transfers = 2048,
		.wsize = 16, .blksize = 1468, .file_kib = 2048, .mem_mb = 1024,
	};
	if (parse_opts(&o, argc, argv) != 0)
		return 2;
	unsigned user_phases = o.phases;
	int fails = 0;
	/* One configuration (the callgrind case): no fork, one profile. */
	bool single = o.n_workers == 1 && (o.modes == MODE_DHCP || o.modes == MODE_TFTP);
	for (unsigned mode = MODE_DHCP; mode <= MODE_TFTP; mode <<= 1) {
		if (!(o.modes & mode))
			continue;
		o.phases = user_phases ? user_phases : mode == MODE_DHCP ? 40 : 60;
		for (unsigned k = 0; k < o.n_workers; k++) {
			if (single)
				return run_one(&o, o.modes, o.workers[0]);
			fflush(stdout);
			/* A fresh process per configuration: EAL can be initialised
			 * once per process, and runs must not share caches. */
			pid_t pid = fork();
			if (pid < 0)
				return 1;
			if (pid == 0) {
				int rc = run_one(&o, mode, o.workers[k]);
				fflush(stdout);
				_exit(rc);
			}
			int st;
			if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				printf("  (run failed: %s)\n", WIFEXITED(st) ? "see above" : "killed");
				fails++;
			}
		}
	}
	return fails ? 1 : 0;
}
