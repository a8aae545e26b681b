/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Set-up and teardown shared by bootstorm-dp's main() and the in-memory
 * benchmark (tests/perf/dataplane): pools, hand-over rings, lcores,
 * workers, the run, and a teardown that frees every mbuf.  Each returns 0
 * or -errno; dp_teardown() undoes whatever part was done.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dataplane/dp_log.h"
#include "shm/counters.h"
#include "shm/publish.h"
#include "util/bs_time.h"
#include "dataplane/dp.h"

#define LOG(lvl, ...) DP_LOG(lvl, __VA_ARGS__)

#define EXT_POOL_MBUFS 16383

struct dp g_dp;

int
dp_create_pools(struct dp *dp)
{
	/* Per worker: RX and TX descriptors (1024 each), the TX buffer,
	 * hand-over rings; plus the punt port and worker 0's hold queue. */
	uint32_t nmb = dp->o.pool_mbufs ? dp->o.pool_mbufs
					: 4096u * dp->n_workers + 4095u + DP_HOLD_MAX;
	dp->pool = rte_pktmbuf_pool_create("bs_pool", nmb, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					   (int)rte_socket_id());
	/* Data-less mbufs that carry TFTP payload as external buffers. */
	uint32_t next = dp->o.ext_mbufs ? dp->o.ext_mbufs : EXT_POOL_MBUFS;
	dp->ext_pool = rte_pktmbuf_pool_create("bs_ext", next, 256, 0, 0, (int)rte_socket_id());
	/* TFTP DATA headers (tftp_send_data): room for the frame's headers
	 * only, and nothing else ever comes from this pool, so a header can
	 * be taken raw (see there).  As many as carriers. */
	dp->hdr_pool = rte_pktmbuf_pool_create("bs_hdr", next, 256, 0,
					       RTE_PKTMBUF_HEADROOM + PKT_TMPL_COPY,
					       (int)rte_socket_id());
	if (dp->pool == NULL || dp->ext_pool == NULL || dp->hdr_pool == NULL) {
		LOG(ERR, "mempool: %s (raise -m)\n", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

/* A second dataplane on the same region would break the single-writer
 * rules of the lease table and the rings. */
int
dp_claim_region(struct dp *dp)
{
	struct shm_hdr *h = dp->shm.hdr;
	/* shm_dp_claim: a pid reused by another process does not count, and
	 * lease slots a dead predecessor left mid-write are repaired. */
	int rc = shm_dp_claim(&dp->shm);
	if (rc == -EBUSY) {
		LOG(ERR, "another bootstorm-dp (pid %d) is attached to /bootstorm-%s\n",
		    (int)atomic_load_explicit(&h->dp_pid, memory_order_acquire), dp->o.instance);
		return -EBUSY;
	}
	if (rc > 0)
		LOG(WARNING, "repaired %d lease slot(s) a dead writer left mid-update\n", rc);
	if (h->max_workers < dp->n_workers) {
		LOG(ERR, "region holds %u workers, %u requested\n", h->max_workers,
		    dp->n_workers);
		return -ERANGE;
	}
	return 0;
}

int
dp_create_rings(struct dp *dp)
{
	char name[RTE_RING_NAMESIZE];
	dp->dhcp_ring = rte_ring_create("bs_dhcp_ho", DP_RING_SIZE, (int)rte_socket_id(),
					RING_F_SC_DEQ);
	if (dp->dhcp_ring == NULL)
		return -rte_errno;
	for (unsigned w = 0; w < dp->n_workers; w++) {
		snprintf(name, sizeof(name), "bs_tftp_ho%u", w);
		dp->tftp_ring[w] = rte_ring_create(name, DP_RING_SIZE, (int)rte_socket_id(),
						   RING_F_SC_DEQ);
		if (dp->tftp_ring[w] == NULL)
			return -rte_errno;
	}
	return 0;
}

static void
free_ring(struct rte_ring *r)
{
	void *m;
	if (r == NULL)
		return;
	while (rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(r);
}

int
dp_assign_lcores(struct dp *dp)
{
	unsigned n = 0, lc;
	dp->lcore[n++] = rte_get_main_lcore();
	RTE_LCORE_FOREACH_WORKER(lc) {
		if (n == dp->n_workers)
			break;
		dp->lcore[n++] = lc;
	}
	if (n < dp->n_workers) {
		LOG(ERR, "%u workers need %u lcores, EAL gave %u (-l)\n", dp->n_workers,
		    dp->n_workers, rte_lcore_count());
		return -EINVAL;
	}
	return 0;
}

int
dp_init_workers(struct dp *dp)
{
	/* Before any engine maps a file: real devices get DMA access. */
	int drc = dp_dma_init(dp);
	if (drc != 0)
		return drc;
	for (unsigned w = 0; w < dp->n_workers; w++) {
		dp->wrk[w] = rte_zmalloc_socket("bs_wrk", sizeof(struct wrk), RTE_CACHE_LINE_SIZE,
					      (int)rte_lcore_to_socket_id(dp->lcore[w]));
		if (dp->wrk[w] == NULL)
			return -ENOMEM;
		int rc = dp_worker_init(dp, dp->wrk[w], w);
		if (rc != 0) {
			LOG(ERR, "worker %u: engines: %s\n", w, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

void
dp_run(struct dp *dp)
{
	struct shm_hdr *h = dp->shm.hdr;
	/* Baseline for leak checks: what ports and engines hold at rest. */
	_Atomic uint64_t *c0 = shm_worker_counters(&dp->shm, 0);
	__atomic_store_n((uint64_t *)&c0[BS_CTR_POOL_BASE], rte_mempool_in_use_count(dp->pool),
			 __ATOMIC_RELAXED);
	/* release: the workers' reader slots are set up before anyone sees us */
	atomic_store_explicit(&h->dp_workers, dp->n_workers, memory_order_relaxed);
	atomic_store_explicit(&h->dp_started_ms, bs_real_ms(), memory_order_relaxed);
	shm_dp_announce(&dp->shm, true); /* release, with our start time */
	for (unsigned w = 1; w < dp->n_workers; w++)
		rte_eal_remote_launch(dp_worker_main, dp->wrk[w], dp->lcore[w]);
	LOG(INFO, "running: %u worker(s), region /bootstorm-%s, punt %s\n", dp->n_workers,
	    dp->o.instance, dp->o.punt[0] ? dp->o.punt : "(none)");
	dp_worker_main(dp->wrk[0]);
	rte_eal_mp_wait_lcore();
}

void
dp_teardown(struct dp *dp)
{
	for (unsigned w = 0; w < dp->n_workers; w++) {
		if (dp->wrk[w]) {
			dp_worker_fini(dp->wrk[w]);
			rte_free(dp->wrk[w]);
			dp->wrk[w] = NULL;
		}
	}
	free_ring(dp->dhcp_ring);
	for (unsigned w = 0; w < dp->n_workers; w++)
		free_ring(dp->tftp_ring[w]);
	if (dp->pool)
		LOG(INFO, "exit: mbufs in use %u (after port close: see below)\n",
		    rte_mempool_in_use_count(dp->pool));
	dp_ports_close(dp);
	if (dp->pool) {
		LOG(INFO, "exit: mbufs in use after close: %u, ext %u, hdr %u\n",
		    rte_mempool_in_use_count(dp->pool),
		    dp->ext_pool ? rte_mempool_in_use_count(dp->ext_pool) : 0,
		    dp->hdr_pool ? rte_mempool_in_use_count(dp->hdr_pool) : 0);
	}
	if (dp->shm.hdr) {
		struct shm_hdr *h = dp->shm.hdr;
		atomic_store_explicit(&h->dp_workers, 0, memory_order_relaxed);
		shm_dp_announce(&dp->shm, false);
		shm_detach(&dp->shm);
	}
	rte_mempool_free(dp->hdr_pool);
	rte_mempool_free(dp->ext_pool);
	rte_mempool_free(dp->pool);
}

