/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Software RSS (see rss.h): DPDK's Toeplitz over a converted key.
 */
#include <errno.h>
#include <string.h>

#include <rte_thash.h>

#include "dataplane/net/rss.h"

int
dp_rss_set(struct dp_rss *r, const uint8_t *key, size_t key_len, const uint16_t *reta,
	   unsigned reta_size)
{
	memset(r, 0, sizeof(*r));
	/* rte_softrss_be reads key word j + 1 for tuple word j (3 words). */
	if (key_len < 16 || key_len > DP_RSS_KEY_MAX || key_len % 4 || reta_size == 0 ||
	    reta_size > DP_RSS_RETA_MAX || (reta_size & (reta_size - 1)))
		return -EINVAL;
	uint32_t raw[DP_RSS_KEY_MAX / 4];
	memcpy(raw, key, key_len);
	rte_convert_rss_key(raw, r->key_be, (int)key_len);
	memcpy(r->reta, reta, reta_size * sizeof(*reta));
	r->reta_size = (uint16_t)reta_size;
	r->on = true;
	return 0;
}

uint32_t
dp_rss_hash_v4udp(const struct dp_rss *r, uint32_t sip, uint32_t dip, uint16_t sport,
		  uint16_t dport)
{
	/* struct rte_ipv4_tuple in host order: the third word is
	 * sport << 16 | dport, as the NIC reads the ports off the wire. */
	uint32_t t[RTE_THASH_V4_L4_LEN] = { sip, dip, (uint32_t)sport << 16 | dport };
	return rte_softrss_be(t, RTE_THASH_V4_L4_LEN, (const uint8_t *)r->key_be);
}
