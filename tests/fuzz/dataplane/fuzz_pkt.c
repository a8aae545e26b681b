/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fuzzes pkt_classify and, for frames it accepts, the in-place reply
 * builders (ARP, ICMP echo, RA; fz_pkt_answer).  The first input byte
 * picks the VLAN config and the checksum hints, the rest is the frame.
 */
#include <string.h>

#include "dataplane/net/pkt.h"
#include "tests/fuzz/harness/fz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_self self;
	struct pkt_info pi;

	if (size < 1)
		return 0;
	fz_pkt_self(&self, data[0] & 1);
	enum pkt_csum_hint ih = (enum pkt_csum_hint)((data[0] >> 1) % PKT_CSUM_MAX);
	enum pkt_csum_hint lh = (enum pkt_csum_hint)((data[0] >> 3) % PKT_CSUM_MAX);
	size_t len = size - 1;
	uint8_t *f = malloc(len ? len : 1); /* exact size: ASan sees an overrun */

	FZ_CHECK(f != NULL);
	memcpy(f, data + 1, len);
	if (pkt_classify(&self, f, len, ih, lh, &pi) == 0)
		fz_pkt_answer(f, len, &self, &pi);
	free(f);
	return 0;
}
