/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Private to the worker files (worker.c: loop + L2/L3, wrk_tx.c: TX and
 * punt buffers, wrk_dhcp.c: DHCP glue + group-commit hold queue,
 * wrk_tftp.c: TFTP zero-copy glue).  Nothing outside dataplane/ includes
 * it.  Every function takes its worker; the worker reaches the process's
 * read-only struct dp through w->dp, never through a global.
 */
#ifndef BS_DP_WRK_H
#define BS_DP_WRK_H

#include <rte_log.h>
#include <rte_mbuf.h>

#include "dataplane/dp_log.h"
#include "shm/counters.h"
#include "util/bs_assert.h"
#include "dataplane/dp.h"

#define WLOG(lvl, ...) DP_LOG(lvl, __VA_ARGS__)

/* Counts a drop reason and frees the packet. */
static inline void
wrk_drop(struct wrk *w, struct rte_mbuf *m, enum bs_drop why)
{
	BS_ASSERT_HOT(why > BS_DROP_NONE && why < BS_DROP_MAX);
	bs_drop_inc(w->ctr, why);
	rte_pktmbuf_free(m);
}

/* ---- wrk_tx.c: the port's TX buffer and the tap's punt buffer ---------- */

/* Sends both buffers (one burst each), frees what the queues refused. */
void wrk_tx_flush(struct wrk *w);

/* Free slots in the TX buffer before the next flush. */
static inline unsigned
wrk_tx_room(const struct wrk *w)
{
	BS_ASSERT_HOT(w->n_tx <= DP_TX_MAX);
	return DP_TX_MAX - w->n_tx;
}

/* Queues m for the port; flushes first when the buffer is full. */
static inline void
wrk_tx_push(struct wrk *w, struct rte_mbuf *m)
{
	if (w->n_tx == DP_TX_MAX)
		wrk_tx_flush(w);
	BS_ASSERT_HOT(w->n_tx < DP_TX_MAX);
	w->tx[w->n_tx++] = m;
}

/* The packet handlers (wrk_punt, wrk_dhcp_in, wrk_tftp_in and worker.c's)
 * return BS_DROP_NONE when they took m, else why it is dropped, with m left
 * for the caller to count and free (wrk_drop). */

/* Hands m to the kernel tap (VLAN tag stripped); BS_DROP_NO_PUNT without one. */
enum bs_drop wrk_punt(struct wrk *w, struct rte_mbuf *m, const struct pkt_info *pi);

/* Ethernet (+ VLAN) + IPv4 + UDP header bytes of a reply from us. */
static inline size_t
wrk_hdr_room(const struct wrk *w)
{
	return PKT_ETH_LEN + (w->self.vlan ? PKT_VLAN_LEN : 0) + PKT_IP_LEN + PKT_UDP_LEN;
}

/* ---- wrk_dhcp.c --------------------------------------------------------- */

int wrk_dhcp_init(struct wrk *w);
void wrk_dhcp_fini(struct wrk *w);
/* One DHCP datagram (worker 0).  The engine's own drops and silences are
 * counted there and take m; the glue's (no engine, no mbuf, reply headers)
 * are returned. */
enum bs_drop wrk_dhcp_in(struct wrk *w, struct rte_mbuf *m, const struct pkt_info *pi);
/* Sends held ACKs whose lease records are durable, drops late ones. */
unsigned wrk_hold_release(struct wrk *w);
/* env.emit_boot of both engines: best effort into the boot ring. */
void wrk_emit_boot(void *ctx, const struct boot_event *ev);

/* ---- wrk_tftp.c --------------------------------------------------------- */

int wrk_tftp_init(struct wrk *w);
void wrk_tftp_fini(struct wrk *w);
/* One TFTP datagram for this worker: always takes m (the engine counts). */
enum bs_drop wrk_tftp_in(struct wrk *w, struct rte_mbuf *m, const struct pkt_info *pi);

#endif
