/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Which RX queue a port's RSS puts an IPv4/UDP packet on, computed in
 * software with DPDK's Toeplitz (rte_thash.h), from the key and redirection
 * table (RETA) the port reported at start (dataplane/port.c).  EAL-free:
 * unit tests fill struct dp_rss with a known key and RETA.
 *
 * Used once per TFTP RRQ (a few hashes) to pick a server TID whose ACKs
 * the NIC steers to the worker that owns the transfer (dataplane/tftp/
 * tftp_tid.c); never per DATA or ACK.
 */
#ifndef BS_NET_RSS_H
#define BS_NET_RSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DP_RSS_KEY_MAX	64	/* bytes; 40 (Microsoft/virtio/ixgbe), 52 (i40e) */
#define DP_RSS_RETA_MAX 512	/* RTE_ETH_RSS_RETA_SIZE_512 */

struct dp_rss {
	bool on;			/* key and RETA known, UDP/IPv4 ports hashed */
	uint16_t reta_size;		/* a power of two */
	uint32_t key_be[DP_RSS_KEY_MAX / 4]; /* rte_convert_rss_key() of the key */
	uint16_t reta[DP_RSS_RETA_MAX];	/* hash & (reta_size - 1) -> RX queue */
};

/* Fills r from a key as the port reports it (bytes in wire order) and a
 * RETA; reta_size must be a power of two <= DP_RSS_RETA_MAX and the key
 * 16..DP_RSS_KEY_MAX bytes, a multiple of 4.  0, or -EINVAL (r->on false). */
int dp_rss_set(struct dp_rss *r, const uint8_t *key, size_t key_len, const uint16_t *reta,
	       unsigned reta_size);

/* Toeplitz hash of (src ip, dst ip, src port, dst port), host order, as a
 * NIC computes it for RTE_ETH_RSS_NONFRAG_IPV4_UDP. */
uint32_t dp_rss_hash_v4udp(const struct dp_rss *r, uint32_t sip, uint32_t dip, uint16_t sport,
			   uint16_t dport);

/* RX queue of such a packet (r->on must be true). */
static inline uint16_t
dp_rss_queue_v4udp(const struct dp_rss *r, uint32_t sip, uint32_t dip, uint16_t sport,
		   uint16_t dport)
{
	uint32_t h = dp_rss_hash_v4udp(r, sip, dip, sport, dport);
	return r->reta[h & (r->reta_size - 1u)];
}

#endif
