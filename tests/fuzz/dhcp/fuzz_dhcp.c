/* SPDX-License-Identifier: BSD-3-Clause
 *
 * libFuzzer target for the DHCP engine: an input is a sequence of packets
 * fed through dhcp_handle() with dhcp_tick() between them, against a real
 * lease table in malloc'd memory, so state carried from one message to the
 * next (offers, bindings, quarantines, caps) is fuzzed too.
 *
 * Input: records separated by the 4 bytes "BSDQ".  Each record is one
 * control byte then the BOOTP payload.  Control bits:
 *   0: to port 4011 instead of 67      3-4: config (lab, proxy, deny, caps)
 *   1: dhcp_tick() afterwards, +40 s   5: lease ring full for this packet
 *   2: unicast to the server address   6: giaddr-style source (relay port)
 * The config of the whole input is taken from the first record.
 * Checks beyond "no crash": a reply never exceeds DHCP_MAX_REPLY nor the
 * caller's buffer, and a verdict is DHCP_REPLY, DHCP_SILENT or a DROP_*.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shm/counters.h"
#include "shm/leases.h"
#include "tests/unit/dhcp/dhcp_testlib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct snap_hdr *snaps[4];

static void
build_snaps(void)
{
	static struct tb b;
	for (unsigned v = 0; v < 4; v++) {
		tb_lab(&b);
		uint32_t s = tb_subnet(&b, IP4(10, 78, 0, 0), 24, 600);
		tb_pool(&b, s, IP4(10, 78, 0, 10), IP4(10, 78, 0, 40));
		if (v == 1)
			b.hdr.proxy_dhcp = 1;
		if (v == 2)
			b.hdr.unknown_policy = SNAP_UNKNOWN_DENY;
		if (v == 3) {
			b.hdr.unknown_policy = SNAP_UNKNOWN_PXE_ONLY;
			b.sub[0].max_dynamic = 4;
			b.hdr.max_dynamic = 6;
		}
		snaps[v] = tb_finish(&b, v + 1);
	}
}

static void
check(struct th *h, int rc)
{
	if (rc == DHCP_REPLY) {
		if (h->tx.len > DHCP_MAX_REPLY || h->tx.len > h->tx.cap || h->tx.len < 240)
			abort();
	} else if (rc != DHCP_SILENT) {
		if (rc <= 0 || rc >= BS_CTR_MAX || !bs_ctr_is_drop((enum bs_ctr)rc))
			abort();
		if (h->tx.wait_seq != 0)
			abort();
	}
}

static void
one(struct th *h, const uint8_t *rec, size_t n)
{
	if (n == 0)
		return;
	uint8_t ctl = rec[0];
	h->ring_full = ctl & 0x20;
	uint16_t port = (ctl & 1) ? DHCP_PXE_PORT : DHCP_SERVER_PORT;
	uint32_t dst = (ctl & 4) ? IP4(10, 77, 0, 1) : 0xffffffffu;
	uint32_t src = (ctl & 0x40) ? IP4(10, 78, 0, 254) : 0;
	check(h, th_send_raw(h, rec + 1, n - 1, src, dst, port));
	if (ctl & 2) {
		h->now += 40000;
		dhcp_tick(h->e, h->snap, h->now);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct th *h;
	static const uint8_t sep[4] = { 'B', 'S', 'D', 'Q' };

	if (!snaps[0])
		build_snaps();
	if (size == 0)
		return 0;
	if (!h)
		h = th_new(snaps[(data[0] >> 3) & 3], 256);
	else
		th_reset(h, snaps[(data[0] >> 3) & 3]);
	for (unsigned k = 0; k < 64 && size > 0; k++) {
		const uint8_t *end = memmem(data, size, sep, sizeof(sep));
		size_t n = end ? (size_t)(end - data) : size;
		one(h, data, n);
		if (!end)
			break;
		size -= n + sizeof(sep);
		data += n + sizeof(sep);
	}
	/* Lease table invariants the engine must keep. */
	if (h->leases->used > h->leases->cap || h->leases->bound > h->leases->used)
		abort();
	return 0;
}
