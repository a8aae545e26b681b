/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What the NIC said about a frame's checksums (mbuf ol_flags), as the
 * classifier's hint (dataplane/net/pkt.h).  RTE_MBUF_F_RX_*_CKSUM_NONE
 * means "the checksum field is not correct, but the data's integrity is
 * verified" (rte_mbuf_core.h): virtio and a tap with checksum offload pass
 * partial checksums that way, and a software check of the field would drop
 * good frames, so NONE is GOOD.  UNKNOWN: verify in software.
 */
#ifndef BS_DATAPLANE_CSUM_HINT_H
#define BS_DATAPLANE_CSUM_HINT_H

#include <rte_mbuf_core.h>

#include "dataplane/net/pkt.h"

static inline enum pkt_csum_hint
csum_hint_ip(uint64_t f)
{
	switch (f & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
	case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
	case RTE_MBUF_F_RX_IP_CKSUM_NONE: return PKT_CSUM_GOOD;
	case RTE_MBUF_F_RX_IP_CKSUM_BAD: return PKT_CSUM_BAD;
	default: return PKT_CSUM_UNKNOWN;
	}
}

static inline enum pkt_csum_hint
csum_hint_l4(uint64_t f)
{
	switch (f & RTE_MBUF_F_RX_L4_CKSUM_MASK) {
	case RTE_MBUF_F_RX_L4_CKSUM_GOOD:
	case RTE_MBUF_F_RX_L4_CKSUM_NONE: return PKT_CSUM_GOOD;
	case RTE_MBUF_F_RX_L4_CKSUM_BAD: return PKT_CSUM_BAD;
	default: return PKT_CSUM_UNKNOWN;
	}
}

#endif
