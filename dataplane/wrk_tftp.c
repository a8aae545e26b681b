/* SPDX-License-Identifier: BSD-3-Clause
 *
 * TFTP glue: the engine's env callbacks.  File pages are mapped once per
 * file version (tftp_on_map) and sent without a copy: each DATA packet is
 * a header mbuf chained to a data-less mbuf whose external buffer points
 * into the mapping; the mapping's shared info counts those mbufs and the
 * last one out unmaps (dp_file_free).  tftp_send() is the one-packet path
 * (OACK, ERROR, copied DATA), tftp_send_data() the DATA run fast path.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_memory.h>

#include "dataplane/tftp/tftp.h"
#include "dataplane/wrk.h"

/* Highest refcnt of a file version's shared info before sends of its pages
 * are deferred: room below UINT16_MAX for what other paths may add. */
#define DP_EXT_REF_MAX (UINT16_MAX - 1024)
_Static_assert(TFTP_RUN_MAX <= DP_TX_MAX, "a DATA run fits the TX buffer");

/* A mapped file version as the mbufs see it: the shared info's refcnt is
 * 1 for the engine's reference plus 1 per mbuf attached to its pages; the
 * last one out unmaps (dp_file_free). */
struct dp_file {
	struct rte_mbuf_ext_shared_info shinfo;
	struct tftp_file *f;
	const uint8_t *addr;
	size_t len;
	rte_iova_t iova;	/* RTE_BAD_IOVA: virtual PMDs copy anyway */
};

/* ---- file versions ------------------------------------------------------ */

static void
dp_file_free(void *addr, void *opaque)
{
	struct dp_file *df = opaque;
	(void)addr;
	tftp_file_unmap(df->f); /* DMA unmap + unregister first (dma.c) */
	free(df);
}

static void *
tftp_on_map(void *ctx, struct tftp_file *f, const void *addr, size_t len)
{
	(void)ctx;
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
	/* A real device reads these pages only if dma.c registered and
	 * DMA-mapped them (the cache calls on_map only then, with IOVA = VA). */
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

/* ---- one packet --------------------------------------------------------- */

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

/* Chains o's payload to h as an external-buffer mbuf.  0, or -ENOBUFS
 * (h is left to the caller). */
static int
attach_payload(struct wrk *w, struct rte_mbuf *h, const struct tftp_out *o)
{
	struct dp_file *df = o->file_user;
	/* The shared info's refcnt is 16 bits: past 65535 mbufs in flight
	 * on one file version it would wrap and the pages be unmapped
	 * under live mbufs.  Defer (the engine keeps the block and retries
	 * next poll) until TX completions bring it down. */
	if (rte_mbuf_ext_refcnt_read(&df->shinfo) >= DP_EXT_REF_MAX) {
		bs_ctr_inc(w->ctr, BS_CTR_TFTP_EXTREF_WAIT);
		return -ENOBUFS;
	}
	struct rte_mbuf *pm = rte_pktmbuf_alloc(w->dp->ext_pool);
	if (pm == NULL)
		return -ENOBUFS;
	size_t off = (size_t)(o->payload - df->addr);
	rte_iova_t iova = df->iova == RTE_BAD_IOVA ? RTE_BAD_IOVA : df->iova + off;
	rte_mbuf_ext_refcnt_update(&df->shinfo, 1);
	rte_pktmbuf_attach_extbuf(pm, (void *)(uintptr_t)o->payload, iova,
				  (uint16_t)o->payload_len, &df->shinfo);
	pm->data_len = (uint16_t)o->payload_len;
	pm->pkt_len = o->payload_len;
	if (rte_pktmbuf_chain(h, pm) != 0) {
		rte_pktmbuf_free(pm);
		return -ENOBUFS;
	}
	return 0;
}

/* env.send: OACK, ERROR and DATA one at a time.  0 (sent, or counted as
 * unbuildable: the engine's timer resends), or -ENOBUFS (retry later). */
static int
tftp_send(void *ctx, const struct tftp_out *o)
{
	struct wrk *w = ctx;
	if (wrk_tx_room(w) == 0)
		return -ENOBUFS;
	struct rte_mbuf *h = rte_pktmbuf_alloc(w->dp->pool);
	if (h == NULL)
		return -ENOBUFS;
	size_t room = wrk_hdr_room(w);
	uint8_t *base = rte_pktmbuf_mtod(h, uint8_t *);
	bool chain = o->payload_len > 0 && w->dp->tx_chain && o->file_user != NULL;
	size_t inline_len = o->hdr_len + (chain ? 0 : o->payload_len);
	if (room + inline_len > rte_pktmbuf_tailroom(h)) {
		wrk_drop(w, h, BS_DROP_TX_BUILD);
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
		wrk_drop(w, h, BS_DROP_TX_BUILD);
		return 0;
	}
	h->data_len = (uint16_t)(room + inline_len);
	h->pkt_len = h->data_len;
	if (o->payload_len && !chain) {
		memcpy(base + room + o->hdr_len, o->payload, o->payload_len);
		bs_ctr_inc(w->ctr, BS_CTR_TX_COPY);
		bs_ctr_add(w->ctr, BS_CTR_TX_COPY_BYTES, o->payload_len);
	} else if (chain && attach_payload(w, h, o) != 0) {
		rte_pktmbuf_free(h);
		return -ENOBUFS;
	}
	wrk_tx_push(w, h);
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

/* ---- DATA runs ---------------------------------------------------------- */

/* How many of the run's packets may go now: TX room, TFTP_RUN_MAX, and the
 * 16-bit refcount of the file's shared info (see attach_payload). */
static unsigned
run_budget(struct wrk *w, const struct tftp_data_run *r, const struct dp_file *df)
{
	unsigned n = r->n < wrk_tx_room(w) ? r->n : wrk_tx_room(w);
	if (n > TFTP_RUN_MAX)
		n = TFTP_RUN_MAX;
	unsigned ref = rte_mbuf_ext_refcnt_read(&df->shinfo);
	if (ref + n > DP_EXT_REF_MAX) {
		n = ref >= DP_EXT_REF_MAX ? 0 : DP_EXT_REF_MAX - ref;
		if (n == 0)
			bs_ctr_inc(w->ctr, BS_CTR_TFTP_EXTREF_WAIT);
	}
	return n;
}

/* The worker's DATA header template, rebuilt when our address or VLAN
 * changed (config).  false: it cannot be built. */
static bool
data_tmpl_ready(struct wrk *w)
{
	if (w->data_tmpl.len != 0 && w->data_tmpl_ip == w->self.ip &&
	    w->data_tmpl_vlan == w->self.vlan)
		return true;
	static const uint8_t data_hdr[4] = { 0, 3, 0, 0 };
	static const uint8_t zero_mac[6];
	if (pkt_udp_tmpl_init(&w->data_tmpl, &w->self, zero_mac, w->self.ip, 0, 0, 0, data_hdr,
			      sizeof(data_hdr)) != 0)
		return false;
	w->data_tmpl_ip = w->self.ip;
	w->data_tmpl_vlan = w->self.vlan;
	return true;
}

/* Stamps n headers hm[] for the run and chains carrier pm[k] to each (an
 * empty last block goes as headers only), straight into the TX buffer.
 * IP id 0: DATA leaves with DF set, an atomic datagram, whose id RFC 6864
 * 4.1 lets the source set to any value; a constant one makes each run's
 * IPv4 header, checksum included, constant. */
static void
stamp_run(struct wrk *w, const struct tftp_data_run *r, struct dp_file *df,
	  struct rte_mbuf **hm, struct rte_mbuf **pm, unsigned n)
{
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
	BS_ASSERT_HOT(n <= wrk_tx_room(w));
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
}

/* The DATA fast path (env.send_data): the run's Ethernet/IPv4/UDP/TFTP
 * header is built once per run from the worker's template (peer, lengths
 * and IPv4 checksum patched in, RFC 1624) and stamped per packet with its
 * block number and a UDP checksum from the template's partial sum and the
 * block's cached payload sum; header and carrier mbufs come from one bulk
 * allocation each; the file's shared info takes one reference update for
 * the run.  Same frames as tftp_send() (unit test: pkt_udp_tmpl vs
 * pkt_build_udp).  Returns how many of the run's packets were taken. */
static unsigned
tftp_send_data(void *ctx, const struct tftp_data_run *r)
{
	struct wrk *w = ctx;
	struct dp_file *df = r->file_user;
	if (!w->dp->tx_chain || df == NULL)
		return tftp_send_run_single(w, r);
	unsigned n = run_budget(w, r, df);
	if (n == 0)
		return 0;
	if (!data_tmpl_ready(w)) {
		bs_ctr_add(w->ctr, BS_CTR_DROP_TX_BUILD, n);
		return n; /* cannot be built: counted, the timer resends */
	}
	BS_ASSERT_HOT(n <= TFTP_RUN_MAX);
	/* Both kinds of mbuf are taken raw, without rte_pktmbuf_reset():
	 * each pool holds nothing but its kind, and a freed mbuf comes back
	 * with next NULL, nb_segs 1, refcnt 1 (rte_mbuf_raw_free's contract).
	 * A header keeps what rte_pktmbuf_init gave it (ol_flags, offloads,
	 * port, data_off: nothing here or in a PMD's TX changes them); we set
	 * its lengths, chain and segment count.  A carrier comes back detached
	 * (rte_pktmbuf_detach: ol_flags 0) and attach_extbuf sets every field
	 * a PMD reads of a second segment. */
	struct rte_mbuf *hm[TFTP_RUN_MAX], *pm[TFTP_RUN_MAX];
	if (rte_mempool_get_bulk(w->dp->hdr_pool, (void **)hm, n) != 0)
		return 0;
	if (rte_mempool_get_bulk(w->dp->ext_pool, (void **)pm, n) != 0) {
		rte_mempool_put_bulk(w->dp->hdr_pool, (void **)hm, n);
		return 0;
	}
	stamp_run(w, r, df, hm, pm, n);
	return n;
}

/* ---- in and life cycle -------------------------------------------------- */

enum bs_drop
wrk_tftp_in(struct wrk *w, struct rte_mbuf *m, const struct pkt_info *pi)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	struct tftp_rx rx = {
		.p = p + pi->pay_off, .len = pi->pay_len,
		.src_ip = pi->src_ip, .dst_ip = pi->dst_ip,
		.src_port = pi->src_port, .dst_port = pi->dst_port,
		.now_ns = w->now_ns,
	};
	memcpy(rx.src_mac, pi->src_mac, 6);
	(void)tftp_handle(w->tftp, w->snap, &rx); /* drops are counted there */
	rte_pktmbuf_free(m);
	return BS_DROP_NONE;
}

/* env.tid_local (multiqueue RSS only): does the NIC put the client's
 * packets to server port sport on this worker's RX queue? */
static bool
tftp_tid_local(void *ctx, uint32_t cip, uint16_t cport, uint16_t sport)
{
	const struct wrk *w = ctx;
	return dp_rss_queue_v4udp(&w->dp->rss, cip, w->self.ip, cport, sport) == w->rxq;
}

int
wrk_tftp_init(struct wrk *w)
{
	struct tftp_env te = {
		.ctr = w->ctr,
		.worker = w->id,
		.n_workers = w->dp->n_workers,
		.send = tftp_send,
		.send_data = tftp_send_data,
		.emit_boot = wrk_emit_boot,
		.on_map = tftp_on_map,
		.on_release = tftp_on_release,
		.ctx = w,
		.tid_local = w->dp->rss.on && w->dp->n_workers > 1 ? tftp_tid_local : NULL,
	};
	struct tftp_limits tl = {
		.max_transfers = w->dp->o.tftp_max_transfers,
		.max_files = w->dp->o.tftp_max_files,
	};
	w->tftp = tftp_engine_new(&te, &tl);
	return w->tftp ? 0 : -ENOMEM;
}

/* The engine releases its files; pages still referenced by mbufs are
 * unmapped when the last one is freed. */
void
wrk_tftp_fini(struct wrk *w)
{
	if (w->tftp)
		tftp_engine_free(w->tftp);
	w->tftp = NULL;
}
