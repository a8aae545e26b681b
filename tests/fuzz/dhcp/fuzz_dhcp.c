/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fuzz target for the DHCP engine: a sequence of packets fed through
 * dhcp_handle() with dhcp_tick() between them against a real lease table,
 * so state carried from one message to the next (offers, bindings,
 * quarantines, caps) is fuzzed too (fixture and checks: harness/fz_dhcp.c).
 * Input: records separated by "BSDQ", each a control byte (see
 * fz_dhcp_record) then the BOOTP payload; bits 3-4 of the first byte pick
 * the config (lab, proxy, deny, caps).
 */
#include <string.h>

#include "tests/fuzz/harness/fz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t sep[4] = { 'B', 'S', 'D', 'Q' };

	if (size == 0)
		return 0;
	struct th *h = fz_dhcp_engine(data[0] >> 3);
	for (unsigned k = 0; k < 64 && size > 0; k++) {
		const uint8_t *end = memmem(data, size, sep, sizeof(sep));
		size_t n = end ? (size_t)(end - data) : size;

		fz_dhcp_record(h, data, n);
		if (!end)
			break;
		size -= n + sizeof(sep);
		data += n + sizeof(sep);
	}
	fz_dhcp_check_leases(h);
	return 0;
}
