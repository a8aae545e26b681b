/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The worker loop (one shape, as DPDK's l3fwd): RX burst -> classify ->
 * handle each -> one TX burst per queue, freeing what did not go out.
 * Everything a worker mutates lives in its struct wrk; the only shared
 * mutable things are rings (MP/SC hand-over rings, SP/SC event rings in
 * the shared region) and the lease table, written by worker 0 alone.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_memory.h>

#include "shm/counters.h"
#include "shm/snap_read.h"
#include "dataplane/dhcp/dhcp.h"
#include "dataplane/dp.h"
#include "dataplane/tftp/tftp.h"

extern int bs_dp_logtype;
#define WLOG(lvl, ...) rte_log(RTE_LOG_##lvl, bs_dp_logtype, "bootstorm-dp: " __VA_ARGS__)

#define HEARTBEAT_US	 100000
#define TICK_US		 1000000
/* Highest refcnt of a file version's shared info before sends of its pages
 * are deferred: room below UINT16_MAX for what other paths may add. */
#define DP_EXT_REF_MAX	 (UINT16_MAX - 1024)

/* A mapped file version as the mbufs see it: the shared info's refcnt is
 * 1 for the engine's reference plus 1 per mbuf attached to its pages; the
 * last one out unmaps (dp_file_free). */
struct dp_file {
	struct rte_mbuf_ext_shared_info shinfo;
	struct tftp_file *f;
	const uint8_t *addr;
	size_t len;
	rte_iova_t iova;	/* RTE_BAD_IOVA: virtual PMDs copy anyway */
	void *reg_addr;		/* rte_extmem_register'ed range, NULL = none */
	size_t reg_len;
};

static uint64_t
mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t
wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000ull + (uint64_t)ts.tv_nsec / 1000000u;
}

static enum pkt_csum_hint
ip_hint(uint64_t f)
{
	switch (f & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
	case RTE_MBUF_F_RX_IP_CKSUM_GOOD: return PKT_CSUM_GOOD;
	case RTE_MBUF_F_RX_IP_CKSUM_BAD: return PKT_CSUM_BAD;
	default: return PKT_CSUM_UNKNOWN;
	}
}

static enum pkt_csum_hint
l4_hint(uint64_t f)
{
	switch (f & RTE_MBUF_F_RX_L4_CKSUM_MASK) {
	case RTE_MBUF_F_RX_L4_CKSUM_GOOD: return PKT_CSUM_GOOD;
	case RTE_MBUF_F_RX_L4_CKSUM_BAD: return PKT_CSUM_BAD;
	default: return PKT_CSUM_UNKNOWN;
	}
}

static void
drop(struct wrk *w, struct rte_mbuf *m, int reason)
{
	bs_ctr_inc(w->ctr, (enum bs_ctr)reason);
	rte_pktmbuf_free(m);
}

/* ---- TX ---------------------------------------------------------------- */

static void
tx_flush(struct wrk *w)
{
	if (w->n_tx) {
		uint16_t sent = rte_eth_tx_burst(g_dp.port, w->txq, w->tx, w->n_tx);
		bs_ctr_add(w->ctr, BS_CTR_TX_PKTS, sent);
		if (sent < w->n_tx) {
			bs_ctr_add(w->ctr, BS_CTR_TX_FULL, w->n_tx - sent);
			rte_pktmbuf_free_bulk(w->tx + sent, w->n_tx - sent);
		}
		w->n_tx = 0;
	}
	if (w->n_punt) {
		uint16_t sent = rte_eth_tx_burst(g_dp.punt_port, w->txq, w->punt, w->n_punt);
		bs_ctr_add(w->ctr, BS_CTR_PUNT_TX, sent);
		if (sent < w->n_punt) {
			bs_ctr_add(w->ctr, BS_CTR_DROP_PUNT_FULL, w->n_punt - sent);
			rte_pktmbuf_free_bulk(w->punt + sent, w->n_punt - sent);
		}
		w->n_punt = 0;
	}
}

static void
tx_push(struct wrk *w, struct rte_mbuf *m)
{
	if (w->n_tx == DP_TX_MAX)
		tx_flush(w);
	w->tx[w->n_tx++] = m;
}

static unsigned
tx_room(const struct wrk *w)
{
	return DP_TX_MAX - w->n_tx;
}

static void
punt(struct wrk *w, struct rte_mbuf *m, const struct pkt_info *pi)
{
	if (g_dp.punt_port == UINT16_MAX) {
		drop(w, m, BS_CTR_DROP_NO_PUNT);
		return;
	}
	/* The tap is untagged: the kernel sees the frame as on a plain port. */
	if (pi->tagged) {
		pkt_vlan_strip(rte_pktmbuf_mtod(m, uint8_t *));
		rte_pktmbuf_adj(m, PKT_VLAN_LEN);
	}
	if (w->n_punt == DP_BURST)
		tx_flush(w);
	w->punt[w->n_punt++] = m;
}

/* ---- events to control -------------------------------------------------- */

static int
emit_lease(void *ctx, const struct lease_event *ev)
{
	struct wrk *w = ctx;
	if (w->lease_ring == NULL ||
	    rte_ring_sp_enqueue_elem(w->lease_ring, (void *)(uintptr_t)ev, sizeof(*ev)) != 0) {
		bs_ctr_inc(w->ctr, BS_CTR_LEASE_RING_FULL);
		return -ENOBUFS;
	}
	return 0;
}

static void
emit_boot(void *ctx, const struct boot_event *ev)
{
	struct wrk *w = ctx;
	if (w->boot_ring == NULL ||
	    rte_ring_sp_enqueue_elem(w->boot_ring, (void *)(uintptr_t)ev, sizeof(*ev)) != 0)
		bs_ctr_inc(w->ctr, BS_CTR_BOOT_RING_FULL);
}

/* ---- DHCP --------------------------------------------------------------- */

static size_t
hdr_room(const struct wrk *w)
{
	return PKT_ETH_LEN + (w->self.vlan ? PKT_VLAN_LEN : 0) + PKT_IP_LEN + PKT_UDP_LEN;
}

static void
hold_push(struct wrk *w, struct rte_mbuf *m, uint64_t seq)
{
	if (w->hold_n == DP_HOLD_MAX) {
		drop(w, m, BS_CTR_DROP_HOLD_FULL);
		return;
	}
	struct dp_hold *h = &w->hold[(w->hold_head + w->hold_n) % DP_HOLD_MAX];
	h->m = m;
	h->wait_seq = seq;
	h->deadline_tsc = w->now_tsc + (uint64_t)g_dp.o.hold_ms * 1000u * g_dp.tsc_per_us;
	w->hold_n++;
	bs_ctr_inc(w->ctr, BS_CTR_DHCP_HELD);
}

/* Releases held ACKs whose journal records are durable.  Sequence numbers
 * grow along the FIFO (one DHCP writer), so the head decides. */
static unsigned
hold_release(struct wrk *w)
{
	if (w->hold_n == 0)
		return 0;
	/* acquire: pairs with control's release store after fsync, so the
	 * record we confirm is on disk before the ACK can leave. */
	uint64_t durable = atomic_load_explicit(&g_dp.shm.hdr->durable_seq, memory_order_acquire);
	unsigned done = 0;
	while (w->hold_n) {
		struct dp_hold *h = &w->hold[w->hold_head];
		if (h->wait_seq <= durable)
			tx_push(w, h->m);
		else if (w->now_tsc > h->deadline_tsc)
			drop(w, h->m, BS_CTR_DROP_HOLD_TIMEOUT);
		else
			break;
		h->m = NULL;
		w->hold_head = (w->hold_head + 1) % DP_HOLD_MAX;
		w->hold_n--;
		done++;
	}
	return done;
}

static void
dhcp_in(struct wrk *w, struct rte_mbuf *m, const struct pkt_info *pi)
{
	if (w->dhcp == NULL) {
		drop(w, m, BS_CTR_DROP_ENGINE);
		return;
	}
	struct rte_mbuf *r = rte_pktmbuf_alloc(g_dp.pool);
	if (r == NULL) {
		drop(w, m, BS_CTR_DROP_NO_MBUF);
		return;
	}
	size_t room = hdr_room(w);
	uint8_t *base = rte_pktmbuf_mtod(r, uint8_t *);
	size_t cap = rte_pktmbuf_tailroom(r) - room;
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	struct dhcp_rx rx = {
		.p = p + pi->pay_off, .len = pi->pay_len,
		.src_ip = pi->src_ip, .dst_ip = pi->dst_ip,
		.src_port = pi->src_port, .dst_port = pi->dst_port,
		.now_ms = w->now_wall_ms,
	};
	memcpy(rx.src_mac, pi->src_mac, 6);
	struct dhcp_tx tx = { .buf = base + room, .cap = cap < DHCP_MAX_REPLY ? cap : DHCP_MAX_REPLY };
	int v = dhcp_handle(w->dhcp, w->snap, &rx, &tx);
	rte_pktmbuf_free(m);
	if (v != DHCP_REPLY || tx.len == 0 || tx.len > tx.cap) {
		rte_pktmbuf_free(r);
		return;
	}
	uint32_t src_ip = tx.src_ip ? tx.src_ip : w->self.ip;
	size_t n = pkt_build_udp(base, room, &w->self, tx.dst_mac, src_ip, tx.dst_ip, tx.src_port,
				 tx.dst_port, tx.len, rte_raw_cksum(tx.buf, tx.len), w->ip_id++);
	if (n != room) {
		drop(w, r, BS_CTR_DROP_TX_BUILD);
		return;
	}
	r->data_len = (uint16_t)(room + tx.len);
	r->pkt_len = r->data_len;
	if (tx.wait_seq != 0 &&
	    tx.wait_seq > atomic_load_explicit(&g_dp.shm.hdr->durable_seq, memory_order_acquire))
		hold_push(w, r, tx.wait_seq);
	else
		tx_push(w, r);
}

/* ---- TFTP --------------------------------------------------------------- */

static void
dp_file_free(void *addr, void *opaque)
{
	struct dp_file *df = opaque;
	(void)addr;
	if (df->reg_addr)
		rte_extmem_unregister(df->reg_addr, df->reg_len);
	tftp_file_unmap(df->f);
	free(df);
}

static void *
tftp_on_map(void *ctx, struct tftp_file *f, const void *addr, size_t len)
{
	struct wrk *w = ctx;
	struct dp_file *df = calloc(1, sizeof(*df));
	if (df == NULL)
		return NULL; /* the glue copies payloads of files without user */
	df->f = f;
	df->addr = addr;
	df->len = len;
	df->shinfo.free_cb = dp_file_free;
	df->shinfo.fcb_opaque = df;
	rte_mbuf_ext_refcnt_set(&df->shinfo, 1); /* the engine's reference */
	df->iova = rte_eal_iova_mode() == RTE_IOVA_VA ? (rte_iova_t)(uintptr_t)addr : RTE_BAD_IOVA;
	/* Only a device that DMAs needs the pages registered (and then
	 * rte_dev_dma_map'ed); virtual PMDs copy at TX.  Registration also
	 * uses one of few memseg lists per file, so skip it where useless. */
	if (!g_dp.port_is_virtual) {
		size_t pg = (size_t)sysconf(_SC_PAGESIZE);
		if (((uintptr_t)addr % pg) == 0 && len > 0) {
			size_t rl = (len + pg - 1) / pg * pg;
			if (rte_extmem_register((void *)(uintptr_t)addr, rl, NULL, 0, pg) == 0) {
				df->reg_addr = (void *)(uintptr_t)addr;
				df->reg_len = rl;
			} else {
				bs_ctr_inc(w->ctr, BS_CTR_EXTMEM_REG_FAIL);
			}
		}
	}
	return df;
}

static void
tftp_on_release(void *ctx, struct tftp_file *f, void *user)
{
	struct dp_file *df = user;
	(void)ctx;
	if (df == NULL) {
		tftp_file_unmap(f);
		return;
	}
	if (rte_mbuf_ext_refcnt_update(&df->shinfo, -1) == 0)
		dp_file_free(NULL, df);
}

/* Payload sum for pkt_build_udp.  The engine's payload_sum is computed
 * with host-order 16-bit loads (tftp_raw_sum), the same "memory order" as
 * rte_raw_cksum, so it adds in directly; -1 means we sum it ourselves. */
static uint16_t
payload_sum(const struct tftp_out *o)
{
	if (o->payload_sum < 0)
		return rte_raw_cksum(o->payload, o->payload_len);
	return (uint16_t)o->payload_sum;
}

static int
tftp_send(void *ctx, const struct tftp_out *o)
{
	struct wrk *w = ctx;
	if (tx_room(w) == 0)
		return -ENOBUFS;
	struct rte_mbuf *h = rte_pktmbuf_alloc(g_dp.pool);
	if (h == NULL)
		return -ENOBUFS;
	size_t room = hdr_room(w);
	uint8_t *base = rte_pktmbuf_mtod(h, uint8_t *);
	bool chain = o->payload_len > 0 && g_dp.tx_chain && o->file_user != NULL;
	size_t inline_len = o->hdr_len + (chain ? 0 : o->payload_len);
	if (room + inline_len > rte_pktmbuf_tailroom(h)) {
		rte_pktmbuf_free(h);
		bs_ctr_inc(w->ctr, BS_CTR_DROP_TX_BUILD);
		return 0; /* cannot ever fit: the engine retransmits, counted */
	}
	memcpy(base + room, o->hdr, o->hdr_len);
	uint16_t sum = rte_raw_cksum(o->hdr, o->hdr_len);
	if (o->payload_len) {
		/* The payload follows hdr_len bytes of TFTP header inside the
		 * UDP payload: an odd offset swaps its sum (RFC 1071). */
		sum = pkt_sum_add(sum, pkt_sum_at(payload_sum(o), o->hdr_len));
	}
	size_t n = pkt_build_udp(base, room, &w->self, o->dst_mac, w->self.ip, o->dst_ip,
				 o->src_port, o->dst_port, o->hdr_len + o->payload_len, sum,
				 w->ip_id++);
	if (n != room) {
		rte_pktmbuf_free(h);
		bs_ctr_inc(w->ctr, BS_CTR_DROP_TX_BUILD);
		return 0;
	}
	h->data_len = (uint16_t)(room + inline_len);
	h->pkt_len = h->data_len;
	if (o->payload_len && !chain) {
		memcpy(base + room + o->hdr_len, o->payload, o->payload_len);
		bs_ctr_inc(w->ctr, BS_CTR_TX_COPY);
		bs_ctr_add(w->ctr, BS_CTR_TX_COPY_BYTES, o->payload_len);
	} else if (chain) {
		struct dp_file *df = o->file_user;
		/* The shared info's refcnt is 16 bits: past 65535 mbufs in flight
		 * on one file version it would wrap and the pages be unmapped
		 * under live mbufs.  Defer (the engine keeps the block and retries
		 * next poll) until TX completions bring it down. */
		if (rte_mbuf_ext_refcnt_read(&df->shinfo) >= DP_EXT_REF_MAX) {
			rte_pktmbuf_free(h);
			bs_ctr_inc(w->ctr, BS_CTR_TFTP_EXTREF_WAIT);
			return -ENOBUFS;
		}
		struct rte_mbuf *pm = rte_pktmbuf_alloc(g_dp.ext_pool);
		if (pm == NULL) {
			rte_pktmbuf_free(h);
			return -ENOBUFS;
		}
		size_t off = (size_t)(o->payload - df->addr);
		rte_iova_t iova = df->iova == RTE_BAD_IOVA ? RTE_BAD_IOVA : df->iova + off;
		rte_mbuf_ext_refcnt_update(&df->shinfo, 1);
		rte_pktmbuf_attach_extbuf(pm, (void *)(uintptr_t)o->payload, iova,
					  (uint16_t)o->payload_len, &df->shinfo);
		pm->data_len = (uint16_t)o->payload_len;
		pm->pkt_len = o->payload_len;
		if (rte_pktmbuf_chain(h, pm) != 0) {
			rte_pktmbuf_free(pm);
			rte_pktmbuf_free(h);
			return -ENOBUFS;
		}
	}
	tx_push(w, h);
	return 0;
}

/* A run of DATA through tftp_send(), one packet at a time: the copy path
 * (no chaining, or a file without a shared info). */
static unsigned
tftp_send_run_single(struct wrk *w, const struct tftp_data_run *r)
{
	for (unsigned k = 0; k < r->n; k++) {
		uint8_t hdr[4];
		struct tftp_out o;
		tftp_run_out(r, k, hdr, &o);
		if (tftp_send(w, &o) != 0)
			return k;
	}
	return r->n;
}

/* The DATA fast path (env.send_data): the run's Ethernet/IPv4/UDP/TFTP
 * header is built once per run from the worker's template (peer, lengths
 * and IPv4 checksum patched in, RFC 1624) and stamped per packet with its
 * block number and a UDP checksum from the template's partial sum and the
 * block's cached payload sum; header and
 * carrier mbufs come from one bulk allocation each; the file's shared
 * info takes one reference update for the run.  Same frames as
 * tftp_send() (unit test: pkt_udp_tmpl vs pkt_build_udp). */
static unsigned
tftp_send_data(void *ctx, const struct tftp_data_run *r)
{
	struct wrk *w = ctx;
	struct dp_file *df = r->file_user;
	if (!g_dp.tx_chain || df == NULL)
		return tftp_send_run_single(w, r);
	unsigned n = r->n < tx_room(w) ? r->n : tx_room(w);
	if (n > TFTP_RUN_MAX)
		n = TFTP_RUN_MAX;
	/* 16-bit refcount of the shared info: see tftp_send(). */
	unsigned ref = rte_mbuf_ext_refcnt_read(&df->shinfo);
	if (ref + n > DP_EXT_REF_MAX) {
		n = ref >= DP_EXT_REF_MAX ? 0 : DP_EXT_REF_MAX - ref;
		if (n == 0) {
			bs_ctr_inc(w->ctr, BS_CTR_TFTP_EXTREF_WAIT);
			return 0;
		}
	}
	if (n == 0)
		return 0;
	if (w->data_tmpl.len == 0 || w->data_tmpl_ip != w->self.ip ||
	    w->data_tmpl_vlan != w->self.vlan) {
		/* our address or VLAN changed (config): rebuild the base */
		static const uint8_t data_hdr[4] = { 0, 3, 0, 0 };
		static const uint8_t zero_mac[6];
		if (pkt_udp_tmpl_init(&w->data_tmpl, &w->self, zero_mac, w->self.ip, 0, 0, 0,
				      data_hdr, sizeof(data_hdr)) != 0) {
			bs_ctr_add(w->ctr, BS_CTR_DROP_TX_BUILD, n);
			return n; /* cannot be built: counted, the timer resends */
		}
		w->data_tmpl_ip = w->self.ip;
		w->data_tmpl_vlan = w->self.vlan;
	}
	/* Both kinds of mbuf are taken raw, without rte_pktmbuf_reset():
	 * each pool holds nothing but its kind, and a freed mbuf comes back
	 * with next NULL, nb_segs 1, refcnt 1 (rte_mbuf_raw_free's contract).
	 * A header keeps what rte_pktmbuf_init gave it (ol_flags, offloads,
	 * port, data_off: nothing here or in a PMD's TX changes them); we set
	 * its lengths, chain and segment count.  A carrier comes back detached
	 * (rte_pktmbuf_detach: ol_flags 0) and attach_extbuf sets every field
	 * a PMD reads of a second segment. */
	struct rte_mbuf *hm[TFTP_RUN_MAX], *pm[TFTP_RUN_MAX];
	if (rte_mempool_get_bulk(g_dp.hdr_pool, (void **)hm, n) != 0)
		return 0;
	if (rte_mempool_get_bulk(g_dp.ext_pool, (void **)pm, n) != 0) {
		rte_mempool_put_bulk(g_dp.hdr_pool, (void **)hm, n);
		return 0;
	}
	/* IP id 0: DATA leaves with DF set, an atomic datagram, whose id
	 * RFC 6864 4.1 lets the source set to any value; a constant one
	 * makes each run's IPv4 header, checksum included, constant. */
	struct pkt_udp_tmpl t, tl;
	pkt_udp_tmpl_aim(&t, &w->data_tmpl, r->dst_mac, r->dst_ip, r->src_port, r->dst_port);
	bool short_last = n == r->n && r->last_len != r->blksize;
	if (short_last) {
		tl = t;
		pkt_udp_tmpl_fix(&tl, r->last_len, 0);
	}
	pkt_udp_tmpl_fix(&t, r->blksize, 0);
	bool have_iova = df->iova != RTE_BAD_IOVA;
	const uint8_t *p = r->payload;
	unsigned attached = 0;
	struct rte_mbuf **tx = w->tx + w->n_tx;
	w->n_tx = (uint16_t)(w->n_tx + n);
	for (unsigned k = 0; k < n; k++, p += r->blksize) {
		bool last = k + 1u == r->n;
		uint16_t len = last ? r->last_len : r->blksize;
		uint16_t bw = pkt_be16_word((uint16_t)(r->first + k));
		struct rte_mbuf *h = hm[k];
		uint8_t *o = rte_pktmbuf_mtod(h, uint8_t *);
		pkt_udp_tmpl_stamp(last && short_last ? &tl : &t, o, (uint32_t)bw + (uint16_t)r->sums[k]);
		memcpy(o + t.len - 2, &bw, 2); /* block number */
		h->data_len = t.len;
		h->pkt_len = (uint32_t)t.len + len;
		if (len) {
			struct rte_mbuf *c = pm[k];
			rte_iova_t iova = RTE_BAD_IOVA;
			if (have_iova)
				iova = df->iova + (size_t)(p - (const uint8_t *)df->addr);
			rte_pktmbuf_attach_extbuf(c, (void *)(uintptr_t)p, iova, len, &df->shinfo);
			c->data_len = len;
			c->pkt_len = len;
			h->next = c;
			h->nb_segs = 2;
			attached++;
		} else {
			rte_pktmbuf_free(pm[k]); /* empty last block: headers only */
		}
		tx[k] = h;
	}
	if (attached)
		rte_mbuf_ext_refcnt_update(&df->shinfo, (int16_t)attached);
	return n;
}

static void
tftp_in(struct wrk *w, struct rte_mbuf *m, const struct pkt_info *pi)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	struct tftp_rx rx = {
		.p = p + pi->pay_off, .len = pi->pay_len,
		.src_ip = pi->src_ip, .dst_ip = pi->dst_ip,
		.src_port = pi->src_port, .dst_port = pi->dst_port,
		.now_ns = w->now_ns,
	};
	memcpy(rx.src_mac, pi->src_mac, 6);
	tftp_handle(w->tftp, w->snap, &rx);
	rte_pktmbuf_free(m);
}

/* ---- L2/L3 -------------------------------------------------------------- */

static void
reply_inplace(struct wrk *w, struct rte_mbuf *m, size_t n)
{
	if (n == 0) {
		drop(w, m, BS_CTR_DROP_TX_BUILD);
		return;
	}
	/* The reply is never longer than the buffer we checked against. */
	rte_pktmbuf_data_len(m) = (uint16_t)n;
	rte_pktmbuf_pkt_len(m) = (uint32_t)n;
	tx_push(w, m);
}

static void
send_ra(struct wrk *w, struct rte_mbuf *m, const struct pkt_info *pi)
{
	struct rte_mbuf *r = rte_pktmbuf_alloc(g_dp.pool);
	if (r == NULL) {
		drop(w, m, BS_CTR_DROP_NO_MBUF);
		return;
	}
	size_t n = pkt_ra_reply(rte_pktmbuf_mtod(r, uint8_t *), rte_pktmbuf_tailroom(r),
				rte_pktmbuf_mtod(m, uint8_t *), m->data_len, &w->self, pi);
	rte_pktmbuf_free(m);
	if (n == 0) {
		drop(w, r, BS_CTR_DROP_TX_BUILD);
		return;
	}
	r->data_len = (uint16_t)n;
	r->pkt_len = (uint32_t)n;
	bs_ctr_inc(w->ctr, BS_CTR_RA_TX);
	tx_push(w, r);
}

static bool
handover(struct wrk *w, struct rte_ring *ring, struct rte_mbuf *m)
{
	/* Validated once here: the owner does not verify checksums again. */
	m->ol_flags &= ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK);
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	if (rte_ring_mp_enqueue(ring, m) != 0) {
		drop(w, m, BS_CTR_DROP_HANDOVER_FULL);
		return false;
	}
	bs_ctr_inc(w->ctr, BS_CTR_HANDOVER_TX);
	return true;
}

static void
handle(struct wrk *w, struct rte_mbuf *m)
{
	if (w->snap == NULL) {
		drop(w, m, BS_CTR_DROP_NO_CONFIG);
		return;
	}
	if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0) {
		drop(w, m, BS_CTR_DROP_RX_MULTISEG);
		return;
	}
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct pkt_info pi;
	int r = pkt_classify(&w->self, p, m->data_len, ip_hint(m->ol_flags),
			     l4_hint(m->ol_flags), &pi);
	if (r != 0) {
		drop(w, m, r);
		return;
	}
	switch (pi.cls) {
	case PKT_C_ARP_REQUEST:
		bs_ctr_inc(w->ctr, BS_CTR_ARP_REPLY);
		reply_inplace(w, m, pkt_arp_reply(p, m->data_len,
						  m->data_len + rte_pktmbuf_tailroom(m),
						  &w->self, &pi));
		return;
	case PKT_C_ICMP_ECHO:
		bs_ctr_inc(w->ctr, BS_CTR_ICMP_ECHO_REPLY);
		reply_inplace(w, m, pkt_icmp_echo_reply(p, m->data_len, &w->self, &pi));
		return;
	case PKT_C_DHCP:
		if (w->id != 0)
			handover(w, g_dp.dhcp_ring, m);
		else
			dhcp_in(w, m, &pi);
		return;
	case PKT_C_TFTP:
		tftp_in(w, m, &pi);
		return;
	case PKT_C_TFTP_TID: {
		int owner = tftp_port_owner(w->snap, pi.dst_port, g_dp.n_workers);
		if (owner >= 0 && (unsigned)owner != w->id)
			handover(w, g_dp.tftp_ring[owner], m);
		else
			tftp_in(w, m, &pi);
		return;
	}
	case PKT_C_RS6:
		if (g_dp.o.ra) {
			send_ra(w, m, &pi);
			return;
		}
		punt(w, m, &pi);
		return;
	case PKT_C_PUNT:
	default:
		punt(w, m, &pi);
		return;
	}
}

/* ---- config and housekeeping ------------------------------------------- */

static void
send_garp(struct wrk *w)
{
	if (w->self.ip == 0)
		return;
	struct rte_mbuf *m = rte_pktmbuf_alloc(g_dp.pool);
	if (m == NULL) {
		bs_ctr_inc(w->ctr, BS_CTR_DROP_NO_MBUF);
		return;
	}
	size_t n = pkt_garp(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_tailroom(m), &w->self);
	if (n == 0) {
		drop(w, m, BS_CTR_DROP_TX_BUILD);
		return;
	}
	m->data_len = (uint16_t)n;
	m->pkt_len = (uint32_t)n;
	bs_ctr_inc(w->ctr, BS_CTR_GARP_TX);
	tx_push(w, m);
}

static void
follow_config(struct wrk *w)
{
	const struct snap_hdr *s = shm_reader_poll(&w->rs);
	w->snap = s;
	/* A publication that fails snap_verify() is refused once and the old
	 * snapshot kept (conf/publish.c); without a word here control would
	 * report a generation the dataplane never serves. */
	if (w->rs.rejected_gen != w->reject_logged) {
		w->reject_logged = w->rs.rejected_gen;
		WLOG(ERR, "config generation %" PRIu64 " refused (%s): still serving %" PRIu64 "\n",
		     w->rs.rejected_gen, w->rs.rejected_why ? w->rs.rejected_why : "?", w->snap_gen);
	}
	if (s == NULL || s->gen == w->snap_gen)
		return;
	static const uint8_t zero[6];
	bool had = w->snap_gen != 0;
	struct pkt_self old = w->self;
	w->snap_gen = s->gen;
	w->self.ip = s->server_ip;
	w->self.prefix = s->server_prefix;
	w->self.vlan = s->vlan;
	memcpy(w->self.mac, memcmp(s->server_mac, zero, 6) ? s->server_mac : g_dp.port_mac.addr_bytes,
	       6);
	w->self.tftp_lo = (uint16_t)s->tftp_port_lo;
	w->self.tftp_hi = (uint16_t)s->tftp_port_hi;
	if (w->id == 0 && g_dp.afxdp)
		dp_afxdp_sync(w->self.tftp_lo, w->self.tftp_hi);
	if (w->id == 0) {
		if (!had || memcmp(&old, &w->self, sizeof(old)) != 0)
			WLOG(INFO, "config generation %" PRIu64 ": serving %u.%u.%u.%u/%u vlan %u\n",
			     s->gen, s->server_ip >> 24, (s->server_ip >> 16) & 0xff,
			     (s->server_ip >> 8) & 0xff, s->server_ip & 0xff, s->server_prefix,
			     s->vlan);
		/* RFC 5227 3: announce at start and whenever the identity may
		 * have changed, so switches and clients relearn us at once. */
		send_garp(w);
		if (g_dp.punt_port != UINT16_MAX && memcmp(old.mac, w->self.mac, 6) != 0) {
			struct rte_ether_addr a;
			memcpy(a.addr_bytes, w->self.mac, 6);
			rte_eth_dev_default_mac_addr_set(g_dp.punt_port, &a);
		}
	}
}

static void
housekeeping(struct wrk *w)
{
	if (w->now_tsc >= w->next_hb_tsc) {
		w->next_hb_tsc = w->now_tsc + HEARTBEAT_US * (uint64_t)g_dp.tsc_per_us;
		uint64_t ms = w->now_ns / 1000000u;
		struct shm_hdr *hdr = g_dp.shm.hdr;
		/* relaxed: liveness hints only, nothing is published with them */
		atomic_store_explicit(&hdr->readers[w->id].heartbeat_ms, ms, memory_order_relaxed);
		if (w->id == 0) {
			atomic_store_explicit(&hdr->dp_heartbeat_ms, ms, memory_order_relaxed);
			__atomic_store_n((uint64_t *)&w->ctr[BS_CTR_POOL_INUSE],
					 rte_mempool_in_use_count(g_dp.pool), __ATOMIC_RELAXED);
			if (g_dp.punt_port != UINT16_MAX)
				__atomic_store_n((uint64_t *)&w->ctr[BS_CTR_PUNT_KERNEL_DROP],
						 dp_punt_kernel_drops(), __ATOMIC_RELAXED);
		}
	}
	if (w->now_tsc >= w->next_tick_tsc) {
		w->next_tick_tsc = w->now_tsc + TICK_US * (uint64_t)g_dp.tsc_per_us;
		if (w->dhcp && w->snap)
			dhcp_tick(w->dhcp, w->snap, w->now_wall_ms);
	}
}

static unsigned
drain_ring(struct wrk *w, struct rte_ring *ring, enum bs_ctr ctr)
{
	struct rte_mbuf *pkts[DP_BURST];
	unsigned n = rte_ring_sc_dequeue_burst(ring, (void **)pkts, DP_BURST, NULL);
	bs_ctr_add(w->ctr, ctr, n);
	for (unsigned i = 0; i < n; i++)
		handle(w, pkts[i]);
	return n;
}

static unsigned
punt_rx(struct wrk *w)
{
	struct rte_mbuf *pkts[DP_BURST];
	uint16_t n = rte_eth_rx_burst(g_dp.punt_port, w->rxq, pkts, DP_BURST);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		/* rte_vlan_insert() takes the TCI from the mbuf. */
		m->vlan_tci = w->self.vlan;
		if (w->self.vlan && rte_vlan_insert(&m) != 0) {
			drop(w, m, BS_CTR_DROP_TX_BUILD);
			continue;
		}
		bs_ctr_inc(w->ctr, BS_CTR_PUNT_RX);
		tx_push(w, m);
	}
	return n;
}

static void
clocks(struct wrk *w)
{
	w->now_tsc = rte_rdtsc();
	w->now_ns = mono_ns();
	w->now_wall_ms = wall_ms();
}

int
dp_worker_main(void *arg)
{
	struct wrk *w = arg;
	struct rte_mbuf *pkts[DP_BURST];
	shm_reader_online(&w->rs, &g_dp.shm, w->id);
	while (!g_dp.quit) {
		clocks(w);
		follow_config(w);
		unsigned work = 0;
		uint16_t n = rte_eth_rx_burst(g_dp.port, w->rxq, pkts, DP_BURST);
		bs_ctr_add(w->ctr, BS_CTR_RX_PKTS, n);
		for (uint16_t i = 0; i < n; i++) {
			if (i + 1 < n)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
			handle(w, pkts[i]);
		}
		work += n;
		if (w->id == 0)
			work += drain_ring(w, g_dp.dhcp_ring, BS_CTR_DHCP_HANDOVER_RX);
		if (g_dp.punt_port != UINT16_MAX)
			work += punt_rx(w);
		work += drain_ring(w, g_dp.tftp_ring[w->id], BS_CTR_TFTP_HANDOVER_RX);
		work += hold_release(w);
		if (w->snap && tx_room(w))
			work += tftp_poll(w->tftp, w->snap, w->now_ns, tx_room(w));
		work += w->n_tx + w->n_punt;
		tx_flush(w);
		housekeeping(w);
		dp_idle(w, work);
	}
	tx_flush(w);
	return 0;
}

int
dp_worker_init(struct wrk *w, unsigned id)
{
	w->id = id;
	w->lcore = g_dp.lcore[id];
	w->rxq = (uint16_t)id;
	w->txq = (uint16_t)id;
	w->ctr = shm_worker_counters(&g_dp.shm, id);
	w->lease_ring = shm_lease_ring(&g_dp.shm, id);
	w->boot_ring = shm_boot_ring(&g_dp.shm, id);
	w->ip_id = (uint16_t)(id << 12);
	memcpy(w->self.mac, g_dp.port_mac.addr_bytes, 6);
	if (id == 0) {
		struct dhcp_env de = {
			.leases = shm_leases(&g_dp.shm),
			.ctr = w->ctr,
			.emit_lease = emit_lease,
			.emit_boot = emit_boot,
			.ctx = w,
		};
		w->dhcp = dhcp_engine_new(&de);
		if (w->dhcp == NULL)
			return -ENOMEM;
	}
	struct tftp_env te = {
		.ctr = w->ctr,
		.worker = id,
		.n_workers = g_dp.n_workers,
		.send = tftp_send,
		.send_data = tftp_send_data,
		.emit_boot = emit_boot,
		.on_map = tftp_on_map,
		.on_release = tftp_on_release,
		.ctx = w,
	};
	struct tftp_limits tl = {
		.max_transfers = g_dp.o.tftp_max_transfers,
		.max_files = g_dp.o.tftp_max_files,
	};
	w->tftp = tftp_engine_new(&te, &tl);
	if (w->tftp == NULL) {
		if (w->dhcp)
			dhcp_engine_free(w->dhcp);
		w->dhcp = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* After the worker's lcore returned: frees every mbuf it still holds and
 * its engines (the TFTP engine releases its files; pages still referenced
 * by mbufs are unmapped when the last one is freed). */
void
dp_worker_fini(struct wrk *w)
{
	rte_pktmbuf_free_bulk(w->tx, w->n_tx);
	w->n_tx = 0;
	rte_pktmbuf_free_bulk(w->punt, w->n_punt);
	w->n_punt = 0;
	while (w->hold_n) {
		rte_pktmbuf_free(w->hold[w->hold_head].m);
		w->hold_head = (w->hold_head + 1) % DP_HOLD_MAX;
		w->hold_n--;
	}
	if (w->tftp)
		tftp_engine_free(w->tftp);
	w->tftp = NULL;
	if (w->dhcp)
		dhcp_engine_free(w->dhcp);
	w->dhcp = NULL;
	if (w->rs.r)
		shm_reader_offline(&w->rs);
}
