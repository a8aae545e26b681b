/* SPDX-License-Identifier: BSD-3-Clause
 * Discovery in the engine (env.on_unknown, dataplane/dhcp/dhcp_disc.c): a
 * client without an inventory match is reported with its MAC, option 93,
 * 97, 60, 77 and the relay's giaddr and option 82 sub-options, under every
 * unknown_clients policy, and the answer is the policy's alone (deny still
 * drops, allow still offers); a known client is not reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shm/counters.h"
#include "dataplane/dhcp/dhcp_wire.h"
#include "tests/unit/dhcp/dhcp_testlib.h"

#define BCAST 0xffffffffu

static const uint8_t M1[6] = { 0x52, 0x54, 0, 0, 0, 1 }; /* node001 */
static const uint8_t DYN[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

static struct disc_event seen[8];
static unsigned n_seen;

static void
on_unknown(void *ctx, struct disc_event *ev)
{
	(void)ctx;
	if (n_seen < 8)
		seen[n_seen++] = *ev;
}

static int
cap_lease(void *ctx, const struct lease_event *ev)
{
	(void)ctx;
	(void)ev;
	return 0;
}

static void
cap_boot(void *ctx, const struct boot_event *ev)
{
	(void)ctx;
	(void)ev;
}

static struct th *
lab(uint32_t policy)
{
	static struct tb b;
	tb_lab(&b);
	b.hdr.unknown_policy = policy;
	struct th *h = th_new(tb_finish(&b, 1), 1024);
	struct dhcp_env env = {
		.leases = h->leases, .ctr = h->ctr, .emit_lease = cap_lease,
		.emit_boot = cap_boot, .on_unknown = on_unknown, .ctx = h,
	};
	dhcp_engine_free(h->e);
	h->e = dhcp_engine_new(&env);
	assert_non_null(h->e);
	n_seen = 0;
	return h;
}

/* A relayed UEFI PXE DISCOVER with every option discovery keeps. */
static void
pxe_discover(struct pk *p, const uint8_t mac[6])
{
	static const uint8_t arch[2] = { 0, 7 };
	uint8_t uuid[17] = { 0 };
	static const uint8_t uc[5] = { 4, 'i', 'P', 'X', 'E' };
	/* RFC 3046 2.0: circuit id "eth7", remote id 6 bytes */
	static const uint8_t o82[] = { 1, 4, 'e', 't', 'h', '7', 2, 6, 1, 2, 3, 4, 5, 6 };

	for (int i = 1; i < 17; i++)
		uuid[i] = (uint8_t)(0xa0 + i);
	pk_start(p, DHCP_MT_DISCOVER, mac, 7);
	pk_opt(p, 60, "PXEClient:Arch:00007:UNDI:003016", 32);
	pk_opt(p, 93, arch, 2);
	pk_opt(p, 97, uuid, 17);
	pk_opt(p, 77, uc, 5);
	pk_opt(p, 82, o82, sizeof(o82));
	pk_end(p);
	pk_set32(p, 24, IP4(10, 77, 0, 254)); /* giaddr */
}

static void
test_deny_reported_not_answered(void **st)
{
	(void)st;
	struct th *h = lab(SNAP_UNKNOWN_DENY);
	struct pk p;
	pxe_discover(&p, DYN);
	assert_int_equal(th_send(h, &p, IP4(10, 77, 0, 254), BCAST, 67),
			 BS_CTR_DROP_DHCP_UNKNOWN_CLIENT);
	assert_int_equal(h->nev, 0); /* no lease, no offer */
	assert_int_equal(n_seen, 1);
	const struct disc_event *e = &seen[0];
	assert_memory_equal(e->mac, DYN, 6);
	assert_int_equal(e->msg_type, DHCP_MT_DISCOVER);
	assert_int_equal(e->arch, 7);
	assert_int_equal(e->uuid_type, 0);
	assert_int_equal(e->uuid[0], 0xa1);
	assert_int_equal(e->uuid[15], 0xb0);
	assert_int_equal(e->vc_len, 32);
	assert_memory_equal(e->vendor_class, "PXEClient:Arch:00007", 20);
	assert_int_equal(e->uc_len, 5);
	assert_int_equal(e->giaddr, IP4(10, 77, 0, 254));
	assert_int_equal(e->circuit_len, 4);
	assert_memory_equal(e->circuit_id, "eth7", 4);
	assert_int_equal(e->remote_len, 6);
	assert_int_equal(e->remote_id[5], 6);
	assert_int_equal(e->ts_ms, h->now);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_DISC_EVENT), 1);
	th_done(h);
}

static void
test_allow_still_offers(void **st)
{
	(void)st;
	struct th *h = lab(SNAP_UNKNOWN_ALLOW);
	struct pk p;
	pk_start(&p, DHCP_MT_DISCOVER, DYN, 9);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_int_equal(rp_type(h->txbuf, h->tx.len), DHCP_MT_OFFER);
	assert_int_equal(n_seen, 1);
	assert_int_equal(seen[0].arch, DISC_ARCH_NONE);
	assert_int_equal(seen[0].uuid_type, DISC_UUID_NONE);
	assert_int_equal(seen[0].vc_len, 0);
	assert_int_equal(seen[0].giaddr, 0);
	th_done(h);
}

/* pxe-only: a plain DHCP client is still dropped (not PXE), and reported */
static void
test_pxe_only_reported(void **st)
{
	(void)st;
	struct th *h = lab(SNAP_UNKNOWN_PXE_ONLY);
	struct pk p;
	pk_start(&p, DHCP_MT_DISCOVER, DYN, 11);
	pk_opt(&p, 60, "MSFT 5.0", 8);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), BS_CTR_DROP_DHCP_NOT_PXE);
	assert_int_equal(n_seen, 1);
	assert_int_equal(seen[0].vc_len, 8);
	assert_memory_equal(seen[0].vendor_class, "MSFT 5.0", 8);
	th_done(h);
}

static void
test_known_not_reported(void **st)
{
	(void)st;
	struct th *h = lab(SNAP_UNKNOWN_DENY);
	struct pk p;
	pxe_discover(&p, M1);
	pk_set32(&p, 24, 0);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_int_equal(n_seen, 0);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_DISC_EVENT), 0);
	th_done(h);
}

/* A damaged option 82 (a sub-option longer than the option) keeps what
 * parsed before the damage and reads nothing past the option. */
static void
test_bad_relay_subopt(void **st)
{
	(void)st;
	struct th *h = lab(SNAP_UNKNOWN_DENY);
	static const uint8_t o82[] = { 2, 2, 9, 9, 1, 40, 'x' };
	struct pk p;
	pk_start(&p, DHCP_MT_DISCOVER, DYN, 3);
	pk_opt(&p, 82, o82, sizeof(o82));
	pk_end(&p);
	th_send(h, &p, 0, BCAST, 67);
	assert_int_equal(n_seen, 1);
	assert_int_equal(seen[0].remote_len, 2);
	assert_int_equal(seen[0].circuit_len, 0);
	th_done(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deny_reported_not_answered),
		cmocka_unit_test(test_allow_still_offers),
		cmocka_unit_test(test_pxe_only_reported),
		cmocka_unit_test(test_known_not_reported),
		cmocka_unit_test(test_bad_relay_subopt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
