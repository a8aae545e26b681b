/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fuzzes pkt_classify and, for frames it accepts, the in-place reply
 * builders (ARP, ICMP echo, RA): they must never read or write outside
 * the frame.  The first input byte picks the VLAN config and the checksum
 * hints, the rest is the frame.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/net/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct pkt_self self = {
		.mac = { 0x02, 0, 0, 0x77, 0, 1 },
		.ip = 0x0a4d0001u, .prefix = 24, .tftp_lo = 40000, .tftp_hi = 59999,
		.vlan = (data[0] & 1) ? 5 : 0,
	};
	enum pkt_csum_hint ih = (enum pkt_csum_hint)((data[0] >> 1) % PKT_CSUM_MAX);
	enum pkt_csum_hint lh = (enum pkt_csum_hint)((data[0] >> 3) % PKT_CSUM_MAX);
	size_t len = size - 1;
	/* An exact-size heap copy so ASan sees any overrun. */
	uint8_t *f = malloc(len ? len : 1);
	if (f == NULL)
		return 0;
	memcpy(f, data + 1, len);
	struct pkt_info pi;
	if (pkt_classify(&self, f, len, ih, lh, &pi) == 0) {
		uint8_t out[256];
		switch (pi.cls) {
		case PKT_C_ARP_REQUEST:
			(void)pkt_arp_reply(f, len, len, &self, &pi);
			break;
		case PKT_C_ICMP_ECHO:
			(void)pkt_icmp_echo_reply(f, len, &self, &pi);
			break;
		case PKT_C_RS6:
			(void)pkt_ra_reply(out, sizeof(out), f, len, &self, &pi);
			break;
		default:
			if (pi.pay_off + (size_t)pi.pay_len > len)
				abort(); /* payload must lie inside the frame */
			break;
		}
	}
	free(f);
	return 0;
}
