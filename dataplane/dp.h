/* SPDX-License-Identifier: BSD-3-Clause
 *
 * bootstorm-dp internals shared by main.c, dp.c, port.c and the worker files.
 *
 * struct dp is set up by main() before any worker starts and is read-only
 * afterwards (except `quit` and the RA rate limit `ra_next_tsc`).  Everything mutable on the fast path lives in
 * one struct wrk per worker, touched only by its lcore.
 */
#ifndef BS_DP_H
#define BS_DP_H

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "shm/publish.h"
#include "dataplane/net/pkt.h"
#include "dataplane/net/rss.h"

#define DP_BURST	32
#define DP_TX_MAX	256	/* per-iteration TX buffer per worker */
/* DHCP ACKs waiting for durability (worker 0).  One group commit must fit:
 * at 80 k leases/s and a 2-10 ms fdatasync that is 160-800 ACKs, and a storm
 * of 10,000 clients powered on at once lands ~1,700 per commit here; 1024
 * overflowed in such bursts (every retry then journals the lease again).
 * Held ACKs keep their mbufs: the default pool adds this many. */
#define DP_HOLD_MAX	16384
#define DP_RING_SIZE	1024	/* hand-over rings */
/* n_tx/n_punt are uint16_t; a full RX burst must fit the TX buffer. */
_Static_assert(DP_TX_MAX <= UINT16_MAX && DP_BURST <= DP_TX_MAX, "TX buffer bounds");
#define DP_MAX_PORTS	4
#define DP_RA_MIN_DELAY_US 3000000 /* RFC 4861 10: MIN_DELAY_BETWEEN_RAS */

/* Settings from the command line or the dataplane: section. */
struct dp_opts {
	char instance[32];
	unsigned workers;	/* 0 = one per lcore */
	char punt[32];		/* tap iface name, "" = no punt */
	uint32_t idle_sleep_us;
	uint32_t hold_ms;	/* max group-commit wait for an ACK */
	uint32_t mtu;
	uint32_t tftp_max_transfers;
	uint32_t tftp_max_files;
	uint32_t pool_mbufs;	/* 0 = sized from workers */
	uint32_t ext_mbufs;	/* 0 = default */
	bool tx_copy;		/* force the single-mbuf TFTP path */
	bool no_wait_shm;	/* fail instead of waiting for the region */
	bool ra;		/* answer ICMPv6 RS */
	const char *cfg_path;
	/* From the config file (0 = not known): checked at start in AF_XDP
	 * split mode (dataplane/afxdp.c). */
	uint16_t tftp_lo, tftp_hi;
	bool has_server_mac;
	uint8_t server_mac[6];
};

struct dp {
	struct dp_opts o;
	unsigned n_workers;
	unsigned lcore[RTE_MAX_LCORE];	/* worker index -> lcore id */
	uint16_t port;			/* the client-facing port */
	uint16_t punt_port;		/* UINT16_MAX = none */
	struct rte_ether_addr port_mac;
	bool tx_chain;			/* port sends chained mbufs */
	bool port_is_virtual;		/* vdev: no DMA, no extmem registration */
	bool afxdp;			/* net_af_xdp split mode: kernel owns the port */
	struct dp_rss rss;		/* the port's RSS key/RETA (port.c); off: none */
	struct rte_mempool *pool;	/* headers, replies, RX */
	struct rte_mempool *ext_pool;	/* data-less mbufs for extbuf payload */
	struct rte_mempool *hdr_pool;	/* TFTP DATA headers (tftp_send_data) */
	struct rte_ring *dhcp_ring;	/* MP/SC, to worker 0 */
	struct rte_ring *tftp_ring[RTE_MAX_LCORE]; /* MP/SC, to worker w */
	struct shm_region shm;
	struct wrk *wrk[RTE_MAX_LCORE];	/* dp_init_workers */
	unsigned tsc_per_us;
	/* TSC before which no RA answers an RS (RFC 4861 6.2.6), any worker */
	_Atomic uint64_t ra_next_tsc;
	volatile bool quit;
};

/* main()'s instance (its signal handler sets quit); workers and dp_*()
 * take theirs as an argument and never read this. */
extern struct dp g_dp;

/* A DHCP reply waiting for its lease record to be durable. */
struct dp_hold {
	struct rte_mbuf *m;
	uint64_t wait_seq;
	uint64_t deadline_tsc;
};

struct dhcp_engine;
struct tftp_engine;

struct wrk {
	alignas(RTE_CACHE_LINE_SIZE) struct dp *dp;	/* read-only after start */
	unsigned id;
	unsigned lcore;
	uint16_t rxq, txq;
	_Atomic uint64_t *ctr;
	struct shm_reader_state rs;
	const struct snap_hdr *snap;
	uint64_t snap_gen;
	uint64_t reject_logged;	/* last rs.rejected_gen reported */
	struct pkt_self self;
	struct dhcp_engine *dhcp;	/* worker 0 only */
	struct tftp_engine *tftp;
	struct rte_ring *lease_ring, *boot_ring, *disc_ring;
	/* discovery: the worker that received the DHCP message being handled
	 * (handed-over mbufs carry it in hash.usr, set by the sender) */
	bool dhcp_handover;
	uint8_t dhcp_from;
	/* per-iteration clocks */
	uint64_t now_tsc, now_ns, now_wall_ms;
	uint64_t next_tick_tsc, next_hb_tsc;
	uint16_t ip_id;
	unsigned idle;
	/* TFTP DATA header template (tftp_send_data), for this address/VLAN */
	struct pkt_udp_tmpl data_tmpl;
	uint32_t data_tmpl_ip;
	uint16_t data_tmpl_vlan;
	/* TX buffer for the port, flushed once per iteration */
	uint16_t n_tx;
	struct rte_mbuf *tx[DP_TX_MAX];
	/* punt buffer for the tap */
	uint16_t n_punt;
	struct rte_mbuf *punt[DP_BURST];
	/* group-commit hold FIFO (seqs are increasing: one DHCP writer) */
	unsigned hold_head, hold_n;
	struct dp_hold hold[DP_HOLD_MAX];
};

/* dp.c */
int dp_create_pools(struct dp *dp);
int dp_create_rings(struct dp *dp);
int dp_assign_lcores(struct dp *dp);
int dp_claim_region(struct dp *dp);
int dp_init_workers(struct dp *dp);
void dp_run(struct dp *dp);
void dp_teardown(struct dp *dp);

/* port.c */
int dp_ports_init(struct dp *dp);
uint64_t dp_punt_kernel_drops(void);
void dp_ports_close(struct dp *dp);

/* dma.c: installs the TFTP cache's DMA hooks for the ports' real devices
 * (none for virtual ports).  Before dp_worker_init. */
int dp_dma_init(struct dp *dp);

/* afxdp.c: AF_XDP split mode (net_af_xdp + dataplane/xdp/bs_steer.bpf.c) */
bool dp_afxdp_driver(const char *driver_name);
int dp_afxdp_start(struct dp *dp, uint32_t if_index);
void dp_afxdp_sync(uint16_t tftp_lo, uint16_t tftp_hi);
void dp_afxdp_close(void);
int dp_afxdp_port_range(uint32_t *lo, uint32_t *hi);
void dp_afxdp_clear_stale(const char *iface);

/* idle.c: adaptive idle poll */
void dp_idle(struct wrk *w, unsigned work);

/* worker.c (wrk_*.c are its private parts, see wrk.h) */
int dp_worker_init(struct dp *dp, struct wrk *w, unsigned id);
void dp_worker_fini(struct wrk *w);
int dp_worker_main(void *arg);

#endif
