/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Packet fixture: our address, and the in-place reply builders a
 * classified frame reaches (they must never read or write outside it).
 */
#include <string.h>

#include "dataplane/net/pkt.h"
#include "tests/fuzz/harness/fz.h"

void
fz_pkt_self(struct pkt_self *self, bool vlan)
{
	*self = (struct pkt_self){
		.mac = { 0x02, 0, 0, 0x77, 0, 1 },
		.ip = 0x0a4d0001u, .prefix = 24, .tftp_lo = 40000, .tftp_hi = 59999,
		.vlan = vlan ? 5 : 0,
	};
}

void
fz_pkt_answer(uint8_t *f, size_t len, const struct pkt_self *self, const struct pkt_info *pi)
{
	uint8_t out[256];

	switch (pi->cls) {
	case PKT_C_ARP_REQUEST:
		(void)pkt_arp_reply(f, len, len, self, pi);
		break;
	case PKT_C_ICMP_ECHO:
		(void)pkt_icmp_echo_reply(f, len, self, pi);
		break;
	case PKT_C_RS6:
		(void)pkt_ra_reply(out, sizeof(out), f, len, self, pi);
		break;
	default:
		FZ_CHECK(pi->pay_off + (size_t)pi->pay_len <= len); /* payload inside the frame */
		break;
	}
}
