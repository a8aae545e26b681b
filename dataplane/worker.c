/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The worker loop (one shape, as DPDK's l3fwd): RX burst -> classify ->
 * handle each -> one TX burst per queue, freeing what did not go out.
 * This file holds the loop, L2/L3 (ARP, ICMP echo, RS -> RA, punt,
 * hand-over) and housekeeping; TX buffers are in wrk_tx.c, the DHCP glue
 * and hold queue in wrk_dhcp.c, the TFTP zero-copy glue in wrk_tftp.c.
 * Everything a worker mutates lives in its struct wrk; the only shared
 * mutable things are rings (MP/SC hand-over rings, SP/SC event rings in
 * the shared region) and the lease table, written by worker 0 alone.
 */
#include <errno.h>
#include <stdatomic.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "shm/snap_read.h"
#include "util/bs_time.h"
#include "dataplane/csum_hint.h"
#include "dataplane/dhcp/dhcp.h"
#include "dataplane/tftp/tftp.h"
#include "dataplane/wrk.h"

#define HEARTBEAT_US	 100000
#define TICK_US		 1000000

/* ---- L2/L3 -------------------------------------------------------------- */

/* The handlers below share one contract: BS_DROP_NONE when they took m
 * (sent, queued, handed over, or freed after an engine counted its own
 * verdict), else the reason, with m untouched for handle() to count and
 * free. */

static enum bs_drop
reply_inplace(struct wrk *w, struct rte_mbuf *m, size_t n)
{
	if (n == 0)
		return BS_DROP_TX_BUILD;
	/* The reply is never longer than the buffer we checked against. */
	rte_pktmbuf_data_len(m) = (uint16_t)n;
	rte_pktmbuf_pkt_len(m) = (uint32_t)n;
	wrk_tx_push(w, m);
	return BS_DROP_NONE;
}

/* RFC 4861 6.2.6: a router answers RS with a multicast RA at most once per
 * MIN_DELAY_BETWEEN_RAS (3 s); the RA goes to all nodes, so every client
 * that solicited in between hears it.  One slot for the whole process: the
 * worker whose compare-and-swap moves the deadline sends.  Relaxed: the
 * CAS alone decides who wins, nothing else is published with it. */
static bool
ra_slot(struct wrk *w)
{
	uint64_t next = atomic_load_explicit(&w->dp->ra_next_tsc, memory_order_relaxed);
	if (w->now_tsc < next)
		return false;
	uint64_t want = w->now_tsc + DP_RA_MIN_DELAY_US * (uint64_t)w->dp->tsc_per_us;
	return atomic_compare_exchange_strong_explicit(&w->dp->ra_next_tsc, &next, want,
						       memory_order_relaxed, memory_order_relaxed);
}

static enum bs_drop
send_ra(struct wrk *w, struct rte_mbuf *m, const struct pkt_info *pi)
{
	if (!ra_slot(w))
		return BS_DROP_RA_RATE;
	struct rte_mbuf *r = rte_pktmbuf_alloc(w->dp->pool);
	if (r == NULL)
		return BS_DROP_NO_MBUF;
	size_t n = pkt_ra_reply(rte_pktmbuf_mtod(r, uint8_t *), rte_pktmbuf_tailroom(r),
				rte_pktmbuf_mtod(m, uint8_t *), m->data_len, &w->self, pi);
	if (n == 0) {
		rte_pktmbuf_free(r);
		return BS_DROP_TX_BUILD;
	}
	rte_pktmbuf_free(m);
	r->data_len = (uint16_t)n;
	r->pkt_len = (uint32_t)n;
	bs_ctr_inc(w->ctr, BS_CTR_RA_TX);
	wrk_tx_push(w, r);
	return BS_DROP_NONE;
}

static enum bs_drop
handover(struct wrk *w, struct rte_ring *ring, struct rte_mbuf *m)
{
	/* Validated once here: the owner does not verify checksums again. */
	m->ol_flags &= ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK);
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	if (rte_ring_mp_enqueue(ring, m) != 0)
		return BS_DROP_HANDOVER_FULL;
	bs_ctr_inc(w->ctr, BS_CTR_HANDOVER_TX);
	return BS_DROP_NONE;
}

/* A classified frame to its handler. */
static enum bs_drop
dispatch(struct wrk *w, struct rte_mbuf *m, uint8_t *p, const struct pkt_info *pi)
{
	switch (pi->cls) {
	case PKT_C_ARP_REQUEST:
		bs_ctr_inc(w->ctr, BS_CTR_ARP_REPLY);
		return reply_inplace(w, m, pkt_arp_reply(p, m->data_len,
							 m->data_len + rte_pktmbuf_tailroom(m),
							 &w->self, pi));
	case PKT_C_ICMP_ECHO:
		bs_ctr_inc(w->ctr, BS_CTR_ICMP_ECHO_REPLY);
		return reply_inplace(w, m, pkt_icmp_echo_reply(p, m->data_len, &w->self, pi));
	case PKT_C_DHCP:
		if (w->id != 0) {
			m->hash.usr = w->id; /* the receiving worker, for discovery */
			return handover(w, w->dp->dhcp_ring, m);
		}
		return wrk_dhcp_in(w, m, pi);
	case PKT_C_TFTP:
		return wrk_tftp_in(w, m, pi);
	case PKT_C_TFTP_TID: {
		int owner = tftp_port_owner(w->snap, pi->dst_port, w->dp->n_workers);
		if (owner >= 0 && (unsigned)owner != w->id)
			return handover(w, w->dp->tftp_ring[owner], m);
		return wrk_tftp_in(w, m, pi);
	}
	case PKT_C_RS6:
		if (w->dp->o.ra)
			return send_ra(w, m, pi);
		return wrk_punt(w, m, pi);
	case PKT_C_PUNT:
	default:
		return wrk_punt(w, m, pi);
	}
}

static enum bs_drop
classify_and_dispatch(struct wrk *w, struct rte_mbuf *m)
{
	if (w->snap == NULL)
		return BS_DROP_NO_CONFIG;
	if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0)
		return BS_DROP_RX_MULTISEG;
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct pkt_info pi;
	enum bs_drop r = pkt_classify(&w->self, p, m->data_len, csum_hint_ip(m->ol_flags),
				      csum_hint_l4(m->ol_flags), &pi);
	if (r != BS_DROP_NONE)
		return r;
	return dispatch(w, m, p, &pi);
}

/* One received frame: answered, queued, handed over, or counted and freed. */
static inline void
handle(struct wrk *w, struct rte_mbuf *m)
{
	enum bs_drop r = classify_and_dispatch(w, m);
	if (r != BS_DROP_NONE)
		wrk_drop(w, m, r);
}

/* ---- config and housekeeping ------------------------------------------- */

static void
send_garp(struct wrk *w)
{
	if (w->self.ip == 0)
		return;
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->dp->pool);
	if (m == NULL) {
		bs_drop_inc(w->ctr, BS_DROP_NO_MBUF);
		return;
	}
	size_t n = pkt_garp(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_tailroom(m), &w->self);
	if (n == 0) {
		wrk_drop(w, m, BS_DROP_TX_BUILD);
		return;
	}
	m->data_len = (uint16_t)n;
	m->pkt_len = (uint32_t)n;
	bs_ctr_inc(w->ctr, BS_CTR_GARP_TX);
	wrk_tx_push(w, m);
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
	memcpy(w->self.mac, memcmp(s->server_mac, zero, 6) ? s->server_mac : w->dp->port_mac.addr_bytes,
	       6);
	w->self.tftp_lo = (uint16_t)s->tftp_port_lo;
	w->self.tftp_hi = (uint16_t)s->tftp_port_hi;
	if (w->id == 0 && w->dp->afxdp)
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
		if (w->dp->punt_port != UINT16_MAX && memcmp(old.mac, w->self.mac, 6) != 0) {
			struct rte_ether_addr a;
			memcpy(a.addr_bytes, w->self.mac, 6);
			rte_eth_dev_default_mac_addr_set(w->dp->punt_port, &a);
		}
	}
}

static void
housekeeping(struct wrk *w)
{
	if (w->now_tsc >= w->next_hb_tsc) {
		w->next_hb_tsc = w->now_tsc + HEARTBEAT_US * (uint64_t)w->dp->tsc_per_us;
		uint64_t ms = w->now_ns / 1000000u;
		struct shm_hdr *hdr = w->dp->shm.hdr;
		/* relaxed: liveness hints only, nothing is published with them */
		atomic_store_explicit(&hdr->readers[w->id].heartbeat_ms, ms, memory_order_relaxed);
		if (w->id == 0) {
			atomic_store_explicit(&hdr->dp_heartbeat_ms, ms, memory_order_relaxed);
			__atomic_store_n((uint64_t *)&w->ctr[BS_CTR_POOL_INUSE],
					 rte_mempool_in_use_count(w->dp->pool), __ATOMIC_RELAXED);
			if (w->dp->punt_port != UINT16_MAX)
				__atomic_store_n((uint64_t *)&w->ctr[BS_CTR_PUNT_KERNEL_DROP],
						 dp_punt_kernel_drops(), __ATOMIC_RELAXED);
		}
	}
	if (w->now_tsc >= w->next_tick_tsc) {
		w->next_tick_tsc = w->now_tsc + TICK_US * (uint64_t)w->dp->tsc_per_us;
		if (w->dhcp && w->snap)
			dhcp_tick(w->dhcp, w->snap, w->now_wall_ms);
	}
}

static unsigned
drain_ring(struct wrk *w, struct rte_ring *ring, enum bs_ctr ctr)
{
	struct rte_mbuf *pkts[DP_BURST];
	unsigned n = rte_ring_sc_dequeue_burst(ring, (void **)pkts, DP_BURST, NULL);
	BS_ASSERT_HOT(n <= DP_BURST);
	bs_ctr_add(w->ctr, ctr, n);
	for (unsigned i = 0; i < n; i++)
		handle(w, pkts[i]);
	return n;
}

static unsigned
punt_rx(struct wrk *w)
{
	struct rte_mbuf *pkts[DP_BURST];
	uint16_t n = rte_eth_rx_burst(w->dp->punt_port, w->rxq, pkts, DP_BURST);
	BS_ASSERT_HOT(n <= DP_BURST);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		/* rte_vlan_insert() takes the TCI from the mbuf. */
		m->vlan_tci = w->self.vlan;
		if (w->self.vlan && rte_vlan_insert(&m) != 0) {
			wrk_drop(w, m, BS_DROP_TX_BUILD);
			continue;
		}
		bs_ctr_inc(w->ctr, BS_CTR_PUNT_RX);
		wrk_tx_push(w, m);
	}
	return n;
}

static void
clocks(struct wrk *w)
{
	w->now_tsc = rte_rdtsc();
	w->now_ns = bs_mono_ns();
	w->now_wall_ms = bs_real_ms();
}

int
dp_worker_main(void *arg)
{
	struct wrk *w = arg;
	struct rte_mbuf *pkts[DP_BURST];
	shm_reader_online(&w->rs, &w->dp->shm, w->id);
	while (!w->dp->quit) {
		clocks(w);
		follow_config(w);
		unsigned work = 0;
		uint16_t n = rte_eth_rx_burst(w->dp->port, w->rxq, pkts, DP_BURST);
		BS_ASSERT_HOT(n <= DP_BURST);
		bs_ctr_add(w->ctr, BS_CTR_RX_PKTS, n);
		for (uint16_t i = 0; i < n; i++) {
			if (i + 1 < n)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
			handle(w, pkts[i]);
		}
		work += n;
		if (w->id == 0) {
			w->dhcp_handover = true;
			work += drain_ring(w, w->dp->dhcp_ring, BS_CTR_DHCP_HANDOVER_RX);
			w->dhcp_handover = false;
		}
		/* one punt tap queue pair per worker */
		if (w->dp->punt_port != UINT16_MAX)
			work += punt_rx(w);
		work += drain_ring(w, w->dp->tftp_ring[w->id], BS_CTR_TFTP_HANDOVER_RX);
		work += wrk_hold_release(w);
		if (w->snap && wrk_tx_room(w))
			work += tftp_poll(w->tftp, w->snap, w->now_ns, wrk_tx_room(w));
		/* the engine sends at most the budget it was given */
		BS_ASSERT_HOT(w->n_tx <= DP_TX_MAX && w->n_punt <= DP_BURST);
		work += w->n_tx + w->n_punt;
		wrk_tx_flush(w);
		housekeeping(w);
		dp_idle(w, work);
	}
	wrk_tx_flush(w);
	return 0;
}

int
dp_worker_init(struct dp *dp, struct wrk *w, unsigned id)
{
	BS_ASSERT(id < dp->n_workers);
	w->dp = dp;
	w->id = id;
	w->lcore = dp->lcore[id];
	w->rxq = (uint16_t)id;
	w->txq = (uint16_t)id;
	w->ctr = shm_worker_counters(&dp->shm, id);
	w->lease_ring = shm_lease_ring(&dp->shm, id);
	w->boot_ring = shm_boot_ring(&dp->shm, id);
	w->disc_ring = shm_disc_ring(&dp->shm, id);
	w->ip_id = (uint16_t)(id << 12);
	memcpy(w->self.mac, dp->port_mac.addr_bytes, 6);
	int rc = id == 0 ? wrk_dhcp_init(w) : 0;
	if (rc == 0 && (rc = wrk_tftp_init(w)) != 0)
		wrk_dhcp_fini(w);
	return rc;
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
	wrk_dhcp_fini(w);
	wrk_tftp_fini(w);
	if (w->rs.r)
		shm_reader_offline(&w->rs);
}
