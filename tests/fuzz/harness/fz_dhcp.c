/* SPDX-License-Identifier: BSD-3-Clause
 *
 * DHCP fixture: the unit tests' engine harness (tests/unit/dhcp/
 * dhcp_testlib: a real lease table in malloc'd memory, recording env
 * callbacks) over one of four snapshots, reset per input, and the checks
 * beyond "no crash": a reply never exceeds DHCP_MAX_REPLY nor the
 * caller's buffer, a verdict is DHCP_REPLY, DHCP_SILENT or a DROP_*.
 */
#include <string.h>

#include "shm/counters.h"
#include "shm/leases.h"
#include "tests/fuzz/harness/fz.h"
#include "tests/unit/dhcp/dhcp_testlib.h"

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

struct th *
fz_dhcp_engine(unsigned config)
{
	static struct th *h;

	if (!snaps[0])
		build_snaps();
	if (!h)
		h = th_new(snaps[config & 3], 256);
	else
		th_reset(h, snaps[config & 3]);
	return h;
}

static void
check(const struct th *h, int rc)
{
	if (rc == DHCP_REPLY) {
		FZ_CHECK(h->tx.len <= DHCP_MAX_REPLY && h->tx.len <= h->tx.cap && h->tx.len >= 240);
	} else if (rc != DHCP_SILENT) {
		FZ_CHECK(rc > 0 && rc < BS_CTR_MAX && bs_ctr_is_drop((enum bs_ctr)rc));
		FZ_CHECK(h->tx.wait_seq == 0);
	}
}

/* Control bits: 0 to port 4011 instead of 67; 1 dhcp_tick() afterwards,
 * +40 s; 2 unicast to the server address; 5 lease ring full for this
 * packet; 6 giaddr-style source (relay port). */
void
fz_dhcp_record(struct th *h, const uint8_t *rec, size_t n)
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

void
fz_dhcp_check_leases(const struct th *h)
{
	FZ_CHECK(h->leases->used <= h->leases->cap && h->leases->bound <= h->leases->used);
}
