/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Ports: the client-facing port (any PMD) with one RX and one TX queue per
 * worker, and the optional net_tap punt port (one RX and one TX queue per
 * worker).  net_af_xdp is AF_XDP split mode (afxdp.c).  Offloads are requested only where
 * dev_info says the PMD has them (net_pcap advertises none and rejects
 * anything else with -EINVAL).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_ethdev.h>
#include <rte_log.h>

#include "dataplane/dp_log.h"
#include "dataplane/dp.h"

#define PLOG(lvl, ...) DP_LOG(lvl, __VA_ARGS__)

#define RX_DESC 1024
#define TX_DESC 1024

/* Virtual PMDs known to accept chained mbufs although they do not
 * advertise RTE_ETH_TX_OFFLOAD_MULTI_SEGS (checked on this machine:
 * af_packet, pcap and tap copy every segment; ring passes pointers). */
static bool
driver_chains(const char *drv)
{
	static const char *const ok[] = {
		"net_af_packet", "net_pcap", "net_tap", "net_ring", "net_null", "net_memif",
		"net_virtio_user",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(drv, ok[i]) == 0)
			return true;
	return false;
}

static bool
is_punt_name(const char *name)
{
	return strncmp(name, "net_tap_bspunt", 14) == 0;
}

/* The kernel side of the punt tap: a longer queue (the tun ring is
 * txqueuelen packets; 1000 dropped 10-18 % of HTTP segments under load), and
 * its drop counter opened for dp_punt_kernel_drops(). */
#define PUNT_TXQLEN 10000
static int s_punt_drop_fd = -1;

static void
punt_tune(const struct dp *dp)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	size_t l = strnlen(dp->o.punt, sizeof(ifr.ifr_name) - 1);
	memcpy(ifr.ifr_name, dp->o.punt, l);
	ifr.ifr_qlen = PUNT_TXQLEN;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, SIOCSIFTXQLEN, &ifr) != 0)
		PLOG(WARNING, "punt tap %s: cannot set txqueuelen %d: %s\n", dp->o.punt,
		     PUNT_TXQLEN, strerror(errno));
	if (s >= 0)
		close(s);
	char path[96];
	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/tx_dropped", dp->o.punt);
	s_punt_drop_fd = open(path, O_RDONLY | O_CLOEXEC);
}

/* Frames the kernel dropped on the punt tap because the dataplane did not
 * read them in time (tun ring full); 0 when unknown. */
uint64_t
dp_punt_kernel_drops(void)
{
	char buf[32];
	if (s_punt_drop_fd < 0)
		return 0;
	ssize_t n = pread(s_punt_drop_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return strtoull(buf, NULL, 10);
}

static int
port_setup(uint16_t port, uint16_t nrxq, uint16_t ntxq, struct rte_mempool *pool,
	   uint32_t mtu, bool *chains)
{
	struct rte_eth_dev_info di;
	int rc = rte_eth_dev_info_get(port, &di);
	if (rc != 0)
		return rc;
	if (nrxq > di.max_rx_queues || ntxq > di.max_tx_queues) {
		PLOG(ERR, "port %u (%s) has %u rx / %u tx queues, %u/%u needed\n", port,
		     di.driver_name, di.max_rx_queues, di.max_tx_queues, nrxq, ntxq);
		return -ENOTSUP;
	}
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	if (nrxq > 1 && di.flow_type_rss_offloads) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & di.flow_type_rss_offloads;
	}
	conf.rxmode.offloads = (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM) &
			       di.rx_offload_capa;
	/* A jumbo MTU beyond one mbuf needs scattered RX, or PMDs that check
	 * (net_virtio) refuse the MTU; the worker linearizes such frames. */
	if (mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + 2 * RTE_VLAN_HLEN >
	    (uint32_t)(rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM))
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER & di.rx_offload_capa;
	conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_MULTI_SEGS & di.tx_offload_capa;
	*chains = (di.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) ||
		  driver_chains(di.driver_name);
	rc = rte_eth_dev_configure(port, nrxq, ntxq, &conf);
	if (rc != 0) {
		PLOG(ERR, "port %u (%s): configure: %s\n", port, di.driver_name, strerror(-rc));
		return rc;
	}
	uint16_t nrx = RX_DESC, ntx = TX_DESC;
	rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx);
	int socket = rte_eth_dev_socket_id(port);
	if (socket < 0)
		socket = 0;
	for (uint16_t q = 0; q < nrxq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, nrx, (unsigned)socket, NULL, pool);
		if (rc != 0)
			return rc;
	}
	for (uint16_t q = 0; q < ntxq; q++) {
		rc = rte_eth_tx_queue_setup(port, q, ntx, (unsigned)socket, NULL);
		if (rc != 0)
			return rc;
	}
	if (mtu && rte_eth_dev_set_mtu(port, (uint16_t)mtu) != 0)
		PLOG(INFO, "port %u (%s): MTU %u not settable, keeping the PMD's\n", port,
		     di.driver_name, mtu);
	rc = rte_eth_dev_start(port);
	if (rc != 0) {
		PLOG(ERR, "port %u (%s): start: %s\n", port, di.driver_name, strerror(-rc));
		return rc;
	}
	/* We answer for snap->server_mac, which may differ from the port's
	 * own address, and for IPv6 multicast (RS): best effort.  No
	 * promiscuous mode on net_af_xdp: that is the kernel's interface and
	 * we answer with its MAC; all-multicast still (RS to ff02::2). */
	if (!dp_afxdp_driver(di.driver_name))
		(void)rte_eth_promiscuous_enable(port);
	(void)rte_eth_allmulticast_enable(port);
	PLOG(INFO, "port %u: %s, %u queues, rss %s, rx offloads 0x%" PRIx64 ", chained tx %s\n",
	     port, di.driver_name, nrxq, conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS ? "on" : "off",
	     conf.rxmode.offloads, *chains ? "yes" : "no (copy)");
	return 0;
}

/* The port's RSS key and RETA, read once after start, for the TFTP TID
 * pick (net/rss.h): a worker then chooses server ports whose ACKs the NIC
 * hashes onto its own queue.  Off (no preference, no cost) with one queue,
 * or when the PMD reports no key/RETA or does not hash UDP ports. */
static void
port_rss_query(struct dp *dp, uint16_t nq)
{
	struct rte_eth_dev_info di;
	memset(&dp->rss, 0, sizeof(dp->rss));
	if (nq < 2 || dp->afxdp || rte_eth_dev_info_get(dp->port, &di) != 0 ||
	    di.hash_key_size == 0 || di.hash_key_size > DP_RSS_KEY_MAX || di.reta_size == 0 ||
	    di.reta_size > DP_RSS_RETA_MAX)
		return;
	uint8_t key[DP_RSS_KEY_MAX];
	struct rte_eth_rss_conf rc = { .rss_key = key, .rss_key_len = di.hash_key_size };
	struct rte_eth_rss_reta_entry64 re[DP_RSS_RETA_MAX / RTE_ETH_RETA_GROUP_SIZE];
	memset(re, 0, sizeof(re));
	for (unsigned i = 0; i < di.reta_size; i++) /* RETAs below 64 entries too */
		re[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ull << (i % RTE_ETH_RETA_GROUP_SIZE);
	int rc1 = rte_eth_dev_rss_hash_conf_get(dp->port, &rc);
	int rc2 = rc1 ? rc1 : rte_eth_dev_rss_reta_query(dp->port, re, di.reta_size);
	if (rc2 != 0 || !(rc.rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_UDP)) {
		PLOG(INFO, "port %u: RSS key/RETA not usable (%s), TFTP TIDs not queue-aware\n",
		     dp->port, rc2 ? strerror(-rc2) : "UDP ports not hashed");
		return;
	}
	uint16_t reta[DP_RSS_RETA_MAX];
	for (unsigned i = 0; i < di.reta_size; i++)
		reta[i] = re[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
	if (dp_rss_set(&dp->rss, key, rc.rss_key_len, reta, di.reta_size) != 0)
		return;
	PLOG(INFO, "port %u: RSS key %u B, RETA %u: TFTP TIDs hashed onto the worker's queue\n",
	     dp->port, rc.rss_key_len, di.reta_size);
}

int
dp_ports_init(struct dp *dp)
{
	uint16_t pid;
	dp->port = UINT16_MAX;
	dp->punt_port = UINT16_MAX;
	RTE_ETH_FOREACH_DEV(pid) {
		char name[RTE_ETH_NAME_MAX_LEN];
		if (rte_eth_dev_get_name_by_port(pid, name) != 0)
			continue;
		if (is_punt_name(name))
			dp->punt_port = pid;
		else if (dp->port == UINT16_MAX)
			dp->port = pid;
		else
			PLOG(WARNING, "port %u (%s) ignored: one client-facing port is served\n",
			     pid, name);
	}
	if (dp->o.punt[0] && dp->punt_port == UINT16_MAX) {
		PLOG(ERR, "punt tap %s was not created (see the net_tap messages above)\n",
		     dp->o.punt);
		return -ENODEV;
	}
	if (dp->port == UINT16_MAX) {
		PLOG(ERR, "no port: give one with --vdev (e.g. net_af_packet0,iface=X) or in "
			  "dataplane.ports\n");
		return -ENODEV;
	}
	struct rte_eth_dev_info di;
	int rc = rte_eth_dev_info_get(dp->port, &di);
	if (rc != 0)
		return rc;
	const struct rte_bus *bus = di.device ? rte_bus_find_by_device(di.device) : NULL;
	dp->port_is_virtual = bus == NULL || strcmp(rte_bus_name(bus), "vdev") == 0;
	uint16_t nq = (uint16_t)dp->n_workers;
	bool chains = false;
	rc = port_setup(dp->port, nq, nq, dp->pool, dp->o.mtu, &chains);
	if (rc != 0)
		return rc;
	dp->tx_chain = chains && !dp->o.tx_copy;
	rte_eth_macaddr_get(dp->port, &dp->port_mac);
	if (dp_afxdp_driver(di.driver_name)) {
		/* net_af_xdp copies pkt_len bytes from the first segment: TFTP
		 * DATA goes as one copied mbuf (counted in TX_COPY). */
		dp->afxdp = true;
		dp->tx_chain = false;
		rc = dp_afxdp_start(dp, di.if_index);
		if (rc != 0)
			return rc;
	}
	port_rss_query(dp, nq);
	if (dp->punt_port != UINT16_MAX) {
		bool c2;
		/* One tap queue pair per worker: net_tap wants as many RX as TX
		 * queues, and each worker polls its own. */
		rc = port_setup(dp->punt_port, nq, nq, dp->pool, 0, &c2);
		if (rc != 0)
			return rc;
		punt_tune(dp);
		/* The kernel must answer with the address clients know us by. */
		rc = rte_eth_dev_default_mac_addr_set(dp->punt_port, &dp->port_mac);
		if (rc != 0)
			PLOG(WARNING, "punt tap: cannot set its MAC: %s\n", strerror(-rc));
	}
	return 0;
}

void
dp_ports_close(struct dp *dp)
{
	if (dp->port != UINT16_MAX) {
		rte_eth_dev_stop(dp->port);
		rte_eth_dev_close(dp->port);
	}
	if (dp->afxdp)
		dp_afxdp_close();
	if (s_punt_drop_fd >= 0) {
		close(s_punt_drop_fd);
		s_punt_drop_fd = -1;
	}
	if (dp->punt_port != UINT16_MAX) {
		rte_eth_dev_stop(dp->punt_port);
		rte_eth_dev_close(dp->punt_port);
	}
}
