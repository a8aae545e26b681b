/* SPDX-License-Identifier: BSD-3-Clause
 *
 * DHCP glue (worker 0 only): the engine's env callbacks (lease and boot
 * events into the shared rings), one datagram in -> one reply mbuf out, and
 * the group-commit hold queue: an ACK that confirms a dynamic lease change
 * waits in a FIFO until control has fsynced its journal record
 * (shm hdr.durable_seq), or is dropped after hold_ms (the client retries).
 */
#include <errno.h>
#include <stdatomic.h>

#include <rte_ip.h>
#include <rte_ring.h>

#include "dataplane/dhcp/dhcp.h"
#include "dataplane/wrk.h"
#include "shm/jwake.h"

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
	/* the journal thread may sleep: its ACK latency is ours */
	shm_jwake_kick(w->dp->shm.hdr);
	return 0;
}

void
wrk_emit_boot(void *ctx, const struct boot_event *ev)
{
	struct wrk *w = ctx;
	if (w->boot_ring == NULL ||
	    rte_ring_sp_enqueue_elem(w->boot_ring, (void *)(uintptr_t)ev, sizeof(*ev)) != 0)
		bs_ctr_inc(w->ctr, BS_CTR_BOOT_RING_FULL);
}

/* env.on_unknown: a client not in the inventory, to control's discovery
 * table.  Best effort: a full ring (a flood of new MACs, or control not
 * draining) drops and counts; the engine's answer does not depend on it. */
static void
emit_disc(void *ctx, struct disc_event *ev)
{
	struct wrk *w = ctx;
	ev->port = w->dp->port;
	ev->rx_worker = w->dhcp_from;
	if (w->disc_ring == NULL ||
	    rte_ring_sp_enqueue_elem(w->disc_ring, ev, sizeof(*ev)) != 0)
		bs_ctr_inc(w->ctr, BS_CTR_DHCP_DISC_RING_FULL);
}

/* ---- the hold FIFO ------------------------------------------------------ */

/* Invariant: hold_n <= DP_HOLD_MAX, hold_head < DP_HOLD_MAX, and the
 * wait_seqs grow from head to tail (one DHCP writer numbers them). */
static void
hold_push(struct wrk *w, struct rte_mbuf *m, uint64_t seq)
{
	BS_ASSERT_HOT(w->hold_n <= DP_HOLD_MAX && w->hold_head < DP_HOLD_MAX);
	if (w->hold_n == DP_HOLD_MAX) {
		wrk_drop(w, m, BS_DROP_HOLD_FULL);
		return;
	}
	struct dp_hold *h = &w->hold[(w->hold_head + w->hold_n) % DP_HOLD_MAX];
	BS_ASSERT_HOT(w->hold_n == 0 ||
		      w->hold[(w->hold_head + w->hold_n - 1) % DP_HOLD_MAX].wait_seq <= seq);
	h->m = m;
	h->wait_seq = seq;
	h->deadline_tsc = w->now_tsc + (uint64_t)w->dp->o.hold_ms * 1000u * w->dp->tsc_per_us;
	w->hold_n++;
	bs_ctr_inc(w->ctr, BS_CTR_DHCP_HELD);
}

/* Releases held ACKs whose journal records are durable.  Sequence numbers
 * grow along the FIFO (one DHCP writer), so the head decides. */
unsigned
wrk_hold_release(struct wrk *w)
{
	if (w->hold_n == 0)
		return 0;
	BS_ASSERT_HOT(w->hold_n <= DP_HOLD_MAX && w->hold_head < DP_HOLD_MAX);
	/* acquire: pairs with control's release store after fsync, so the
	 * record we confirm is on disk before the ACK can leave. */
	uint64_t durable = atomic_load_explicit(&w->dp->shm.hdr->durable_seq, memory_order_acquire);
	unsigned done = 0;
	while (w->hold_n) {
		struct dp_hold *h = &w->hold[w->hold_head];
		if (h->wait_seq <= durable)
			wrk_tx_push(w, h->m);
		else if (w->now_tsc > h->deadline_tsc)
			wrk_drop(w, h->m, BS_DROP_HOLD_TIMEOUT);
		else
			break;
		h->m = NULL;
		w->hold_head = (w->hold_head + 1) % DP_HOLD_MAX;
		w->hold_n--;
		done++;
	}
	return done;
}

/* ---- one datagram ------------------------------------------------------- */

/* Runs the engine on m's payload, writing the BOOTP reply after `room`
 * header bytes of r. */
static struct dhcp_result
run_engine(struct wrk *w, struct rte_mbuf *m, const struct pkt_info *pi, struct rte_mbuf *r,
	   size_t room, struct dhcp_tx *tx)
{
	size_t cap = rte_pktmbuf_tailroom(r) - room;
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	struct dhcp_rx rx = {
		.p = p + pi->pay_off, .len = pi->pay_len,
		.src_ip = pi->src_ip, .dst_ip = pi->dst_ip,
		.src_port = pi->src_port, .dst_port = pi->dst_port,
		.now_ms = w->now_wall_ms,
	};
	memcpy(rx.src_mac, pi->src_mac, 6);
	tx->buf = rte_pktmbuf_mtod(r, uint8_t *) + room;
	tx->cap = cap < DHCP_MAX_REPLY ? cap : DHCP_MAX_REPLY;
	return dhcp_handle(w->dhcp, w->snap, &rx, tx);
}

enum bs_drop
wrk_dhcp_in(struct wrk *w, struct rte_mbuf *m, const struct pkt_info *pi)
{
	if (w->dhcp == NULL)
		return BS_DROP_ENGINE;
	struct rte_mbuf *r = rte_pktmbuf_alloc(w->dp->pool);
	if (r == NULL)
		return BS_DROP_NO_MBUF;
	size_t room = wrk_hdr_room(w);
	struct dhcp_tx tx = { 0 };
	w->dhcp_from = (uint8_t)(w->dhcp_handover ? m->hash.usr : w->id);
	struct dhcp_result v = run_engine(w, m, pi, r, room, &tx);
	/* silence and drops are the engine's (counted there) */
	if (v.verdict != DHCP_REPLY || tx.len == 0 || tx.len > tx.cap) {
		rte_pktmbuf_free(r);
		rte_pktmbuf_free(m);
		return BS_DROP_NONE;
	}
	uint32_t src_ip = tx.src_ip ? tx.src_ip : w->self.ip;
	uint8_t *base = rte_pktmbuf_mtod(r, uint8_t *);
	size_t n = pkt_build_udp(base, room, &w->self, tx.dst_mac, src_ip, tx.dst_ip, tx.src_port,
				 tx.dst_port, tx.len, rte_raw_cksum(tx.buf, tx.len), w->ip_id++);
	if (n != room) {
		rte_pktmbuf_free(r);
		return BS_DROP_TX_BUILD;
	}
	rte_pktmbuf_free(m);
	r->data_len = (uint16_t)(room + tx.len);
	r->pkt_len = r->data_len;
	if (tx.wait_seq != 0 &&
	    tx.wait_seq > atomic_load_explicit(&w->dp->shm.hdr->durable_seq, memory_order_acquire))
		hold_push(w, r, tx.wait_seq);
	else
		wrk_tx_push(w, r);
	return BS_DROP_NONE;
}

/* ---- life cycle --------------------------------------------------------- */

int
wrk_dhcp_init(struct wrk *w)
{
	struct dhcp_env de = {
		.leases = shm_leases(&w->dp->shm),
		.ctr = w->ctr,
		.emit_lease = emit_lease,
		.emit_boot = wrk_emit_boot,
		.on_unknown = emit_disc,
		.ctx = w,
	};
	w->dhcp = dhcp_engine_new(&de);
	return w->dhcp ? 0 : -ENOMEM;
}

void
wrk_dhcp_fini(struct wrk *w)
{
	while (w->hold_n) {
		rte_pktmbuf_free(w->hold[w->hold_head].m);
		w->hold_head = (w->hold_head + 1) % DP_HOLD_MAX;
		w->hold_n--;
	}
	if (w->dhcp)
		dhcp_engine_free(w->dhcp);
	w->dhcp = NULL;
}
