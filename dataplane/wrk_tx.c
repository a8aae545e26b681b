/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A worker's two TX buffers: the port's (w->tx, DP_TX_MAX, filled by the
 * handlers and the TFTP DATA runs) and the kernel tap's (w->punt,
 * DP_BURST).  Each is sent once per loop iteration as one burst; what the
 * queue refuses is freed and counted, never retried (the protocols above
 * retransmit).
 */
#include "dataplane/wrk.h"

/* One burst of n mbufs on (port, q); returns how many the queue took and
 * frees the rest. */
static uint16_t
burst(uint16_t port, uint16_t q, struct rte_mbuf **v, uint16_t n)
{
	uint16_t sent = rte_eth_tx_burst(port, q, v, n);
	if (sent < n)
		rte_pktmbuf_free_bulk(v + sent, n - sent);
	return sent;
}

void
wrk_tx_flush(struct wrk *w)
{
	BS_ASSERT_HOT(w->n_tx <= DP_TX_MAX && w->n_punt <= DP_BURST);
	if (w->n_tx) {
		uint16_t sent = burst(w->dp->port, w->txq, w->tx, w->n_tx);
		bs_ctr_add(w->ctr, BS_CTR_TX_PKTS, sent);
		if (sent < w->n_tx)
			bs_ctr_add(w->ctr, BS_CTR_TX_FULL, w->n_tx - sent);
		w->n_tx = 0;
	}
	if (w->n_punt) {
		uint16_t sent = burst(w->dp->punt_port, w->txq, w->punt, w->n_punt);
		bs_ctr_add(w->ctr, BS_CTR_PUNT_TX, sent);
		if (sent < w->n_punt)
			bs_ctr_add(w->ctr, BS_CTR_DROP_PUNT_FULL, w->n_punt - sent);
		w->n_punt = 0;
	}
}

enum bs_drop
wrk_punt(struct wrk *w, struct rte_mbuf *m, const struct pkt_info *pi)
{
	if (w->dp->punt_port == UINT16_MAX)
		return BS_DROP_NO_PUNT;
	/* The tap is untagged: the kernel sees the frame as on a plain port. */
	if (pi->tagged) {
		pkt_vlan_strip(rte_pktmbuf_mtod(m, uint8_t *));
		rte_pktmbuf_adj(m, PKT_VLAN_LEN);
	}
	if (w->n_punt == DP_BURST)
		wrk_tx_flush(w);
	BS_ASSERT_HOT(w->n_punt < DP_BURST);
	w->punt[w->n_punt++] = m;
	return BS_DROP_NONE;
}
