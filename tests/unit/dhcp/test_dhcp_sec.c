/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The engine on a hostile LAN (issue 15): DHCPDECLINE only for BOUND
 * leases, quarantine counted against the caps and reused when nothing else
 * is left (item 6); per-subnet `authoritative`; trusted relays
 * (dhcp.relays); ProxyDHCP never reports a client-claimed ciaddr as the
 * client's address (item 1, second route).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shm/counters.h"
#include "shm/leases.h"
#include "dataplane/dhcp/dhcp_wire.h"
#include "tests/unit/dhcp/dhcp_testlib.h"

#define SERVER IP4(10, 77, 0, 1)
#define BCAST  0xffffffffu
#define RELAY  IP4(10, 78, 0, 254)

static const uint8_t REAL[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

static int
decline(struct th *h, const uint8_t mac[6], uint32_t ip)
{
	struct pk p;
	pk_start(&p, DHCP_MT_DECLINE, mac, 0x4321);
	pk_opt32(&p, 50, ip);
	pk_opt32(&p, 54, SERVER);
	pk_end(&p);
	return th_send(h, &p, 0, BCAST, 67);
}

/* DORA for mac; returns the address (asserts the ACK). */
static uint32_t
dora(struct th *h, const uint8_t mac[6])
{
	assert_int_equal(th_discover(h, mac, 0x1234), DHCP_REPLY);
	uint32_t ip = th_yiaddr(h);
	assert_int_equal(th_request(h, mac, 0x1234, ip, SERVER), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_ACK);
	return ip;
}

static unsigned
n_declined(const struct th *h)
{
	unsigned n = 0;
	for (uint32_t a = IP4(10, 77, 0, 100); a <= IP4(10, 77, 0, 199); a++) {
		const struct lease *l = lease_by_ip(h->leases, a);
		n += l && l->state == LEASE_DECLINED;
	}
	return n;
}

static void
offers_lapse(struct th *h)
{
	h->now += 31 * 1000; /* offer_hold 30 s */
	dhcp_tick(h->e, h->snap, h->now);
}

/* Issue 15 item 6, as reproduced: 100 DISCOVER + DECLINE pairs from
 * distinct MACs quarantined the whole 100-address pool for decline_hold
 * (600 s).  An offer is not a binding: such DECLINEs are dropped, the
 * offers lapse, a real client is served. */
static void
test_decline_of_offer_ignored(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);
	for (uint32_t i = 0; i < 100; i++) {
		uint8_t mac[6];
		th_mac(mac, i);
		assert_int_equal(th_discover(h, mac, 0x1234), DHCP_REPLY);
		assert_int_equal(decline(h, mac, th_yiaddr(h)), BS_CTR_DROP_DHCP_DECLINE_NOT_BOUND);
	}
	assert_int_equal(th_ctr(h, BS_CTR_DROP_DHCP_DECLINE_NOT_BOUND), 100);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_DECLINED), 0);
	assert_int_equal(n_declined(h), 0);
	offers_lapse(h);
	uint32_t ip = dora(h, REAL);
	assert_true(ip >= IP4(10, 77, 0, 100) && ip <= IP4(10, 77, 0, 199));
	/* A declined address is journalled; a dropped DECLINE is not. */
	for (unsigned i = 0; i < h->nev; i++)
		assert_int_not_equal(h->ev[i].kind, LEASE_EV_DECLINE);
	th_done(h);
}

static void
tweak_cap10(struct tb *b)
{
	b->sub[0].max_dynamic = 10;
}

/* Full DORA + DECLINE from fresh MACs: the quarantine counts against
 * max_dynamic, so it stays at the cap however many MACs try; at the cap the
 * address quarantined longest is handed out again, and a real client is
 * served. */
static void
test_decline_counted_against_cap(void **st)
{
	(void)st;
	struct th *h = th_lab(tweak_cap10);
	uint32_t first = 0;
	for (uint32_t i = 0; i < 100; i++) {
		uint8_t mac[6];
		th_mac(mac, i);
		h->now += 1000; /* each quarantine ends a second after the last */
		uint32_t ip = dora(h, mac);
		if (i == 0)
			first = ip;
		if (i == 10)
			assert_int_equal(ip, first); /* the oldest quarantine, reused */
		assert_int_equal(decline(h, mac, ip), DHCP_SILENT);
	}
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_DECLINED), 100);
	assert_int_equal(n_declined(h), 10);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_DECLINED_REUSED), 90);
	assert_int_equal(th_ctr(h, BS_CTR_DROP_DHCP_SUBNET_CAP), 0);
	uint32_t ip = dora(h, REAL);
	assert_true(ip >= IP4(10, 77, 0, 100) && ip <= IP4(10, 77, 0, 199));
	/* Still at the cap: a random-MAC flood after it gets nothing new. */
	uint8_t mac[6];
	th_mac(mac, 1000);
	assert_int_equal(th_discover(h, mac, 0x1234), DHCP_REPLY); /* the next oldest quarantine */
	for (uint32_t i = 0; i < 8; i++) {
		th_mac(mac, 2000 + i);
		assert_int_equal(th_discover(h, mac, 0x1234), DHCP_REPLY);
	}
	th_mac(mac, 3000);
	assert_int_equal(th_discover(h, mac, 0x1234), BS_CTR_DROP_DHCP_SUBNET_CAP);
	th_done(h);
}

/* Pool exhausted by quarantine: the oldest one is reused. */
static void
test_decline_pool_exhausted_reuses_oldest(void **st)
{
	(void)st;
	struct th *h = th_lab(tb_tweak_tiny_pool);
	uint32_t ips[3];
	for (uint32_t i = 0; i < 3; i++) {
		uint8_t mac[6];
		th_mac(mac, i);
		h->now += 1000;
		ips[i] = dora(h, mac);
		assert_int_equal(decline(h, mac, ips[i]), DHCP_SILENT);
	}
	assert_int_equal(dora(h, REAL), ips[0]);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_DECLINED_REUSED), 1);
	assert_int_equal(th_ctr(h, BS_CTR_DROP_DHCP_POOL_EXHAUSTED), 0);
	/* The real client, finding it in use after all, declines it. */
	assert_int_equal(decline(h, REAL, ips[0]), DHCP_SILENT);
	assert_int_equal(dora(h, REAL), ips[1]);
	th_done(h);
}

static int
init_reboot(struct th *h, const uint8_t mac[6], uint32_t ip)
{
	struct pk p;
	pk_start(&p, DHCP_MT_REQUEST, mac, 9);
	pk_opt32(&p, 50, ip);
	pk_end(&p);
	return th_send(h, &p, 0, BCAST, 67);
}

static void
tweak_authoritative(struct tb *b)
{
	b->sub[0].authoritative = 1;
}

/* A client back with a lease we have no record of: silent by default
 * (RFC 2131 4.3.2; the client waits ~13 s), NAK at once when the subnet is
 * authoritative. */
static void
test_authoritative(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);
	assert_int_equal(init_reboot(h, REAL, IP4(10, 77, 0, 177)), DHCP_SILENT);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_SILENT_NO_RECORD), 1);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_NAK_NO_RECORD), 0);
	th_done(h);

	h = th_lab(tweak_authoritative);
	assert_int_equal(init_reboot(h, REAL, IP4(10, 77, 0, 177)), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_NAK);
	assert_int_equal(h->tx.dst_ip, BCAST);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_NAK_NO_RECORD), 1);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_SILENT_NO_RECORD), 0);
	assert_int_equal(h->leases->used, 0); /* nothing bound by the NAK */
	/* The client restarts at DISCOVER and may get that address. */
	struct pk p;
	pk_start(&p, DHCP_MT_DISCOVER, REAL, 10);
	pk_opt32(&p, 50, IP4(10, 77, 0, 177));
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_int_equal(th_yiaddr(h), IP4(10, 77, 0, 177));
	/* A known client is still ACKed; a wrong network is still NAKed. */
	assert_int_equal(th_request(h, REAL, 0x1234, IP4(10, 77, 0, 177), SERVER), DHCP_REPLY);
	assert_int_equal(init_reboot(h, REAL, IP4(10, 77, 0, 177)), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_ACK);
	assert_int_equal(init_reboot(h, REAL, IP4(10, 99, 0, 5)), DHCP_REPLY);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_NAK_WRONG_NET), 1);
	th_done(h);
}

static void
relay_net(struct tb *b)
{
	uint32_t s = tb_subnet(b, IP4(10, 78, 0, 0), 24, 600);
	b->sub[s].router = RELAY;
	tb_pool(b, s, IP4(10, 78, 0, 10), IP4(10, 78, 0, 20));
}

static void
tweak_relays(struct tb *b)
{
	relay_net(b);
	b->hdr.relays[0] = IP4(10, 77, 0, 250);
	b->hdr.relays[1] = RELAY;
	b->hdr.n_relays = 2;
}

static int
relayed(struct th *h, uint8_t type, uint32_t giaddr, uint32_t src)
{
	struct pk p;
	pk_start(&p, type, REAL, 21);
	pk_set32(&p, 24, giaddr);
	p.b[3] = 1; /* hops */
	if (type == DHCP_MT_REQUEST)
		pk_opt32(&p, 50, IP4(10, 78, 0, 15));
	pk_end(&p);
	return th_send(h, &p, src, SERVER, 67);
}

/* dhcp.relays: a relayed message is served only when both its giaddr and
 * its IP source are listed; none listed = any sender, as before. */
static void
test_trusted_relays(void **st)
{
	(void)st;
	static const uint8_t relay_mac[6] = { 0x02, 0xee, 0, 0, 0, 1 };
	struct th *h = th_lab(relay_net);
	h->relay_mac = true;
	memcpy(h->relay_src_mac, relay_mac, 6);
	/* No list: a LAN host forging giaddr is served (RFC 2131 as is). */
	assert_int_equal(relayed(h, DHCP_MT_DISCOVER, RELAY, IP4(10, 77, 0, 66)), DHCP_REPLY);
	assert_int_equal(h->tx.dst_ip, RELAY);
	th_done(h);

	h = th_lab(tweak_relays);
	h->relay_mac = true;
	memcpy(h->relay_src_mac, relay_mac, 6);
	/* The listed relay, from its own address. */
	assert_int_equal(relayed(h, DHCP_MT_DISCOVER, RELAY, RELAY), DHCP_REPLY);
	uint32_t ip = th_yiaddr(h);
	assert_true(ip >= IP4(10, 78, 0, 10) && ip <= IP4(10, 78, 0, 20));
	/* A relay sending from another listed interface. */
	assert_int_equal(relayed(h, DHCP_MT_DISCOVER, RELAY, IP4(10, 77, 0, 250)), DHCP_REPLY);
	/* A LAN host forging the relay's giaddr: dropped, counted. */
	assert_int_equal(relayed(h, DHCP_MT_DISCOVER, RELAY, IP4(10, 77, 0, 66)),
			 BS_CTR_DROP_DHCP_UNTRUSTED_RELAY);
	assert_int_equal(relayed(h, DHCP_MT_REQUEST, RELAY, IP4(10, 77, 0, 66)),
			 BS_CTR_DROP_DHCP_UNTRUSTED_RELAY);
	/* The relay's address as source but an unlisted giaddr. */
	assert_int_equal(relayed(h, DHCP_MT_DISCOVER, IP4(10, 78, 0, 1), RELAY),
			 BS_CTR_DROP_DHCP_UNTRUSTED_RELAY);
	assert_int_equal(relayed(h, DHCP_MT_DECLINE, IP4(10, 78, 0, 1), IP4(10, 77, 0, 66)),
			 BS_CTR_DROP_DHCP_UNTRUSTED_RELAY);
	assert_int_equal(relayed(h, DHCP_MT_RELEASE, IP4(10, 78, 0, 1), IP4(10, 77, 0, 66)),
			 BS_CTR_DROP_DHCP_UNTRUSTED_RELAY);
	assert_int_equal(th_ctr(h, BS_CTR_DROP_DHCP_UNTRUSTED_RELAY), 5);
	/* Clients on the server's own network (giaddr 0) are not affected. */
	h->relay_mac = false;
	assert_int_equal(th_discover(h, REAL, 0x1234), DHCP_REPLY);
	th_done(h);
}

/* ProxyDHCP hands out no address, so it knows none: a ciaddr the client
 * wrote (here node001's reserved address, from another MAC) must not
 * reach control as that client's address. */
static void
test_proxy_ciaddr_not_reported(void **st)
{
	(void)st;
	struct th *h = th_lab(tb_tweak_proxy);
	struct pk p;
	pk_start(&p, DHCP_MT_DISCOVER, REAL, 7);
	pk_set32(&p, 12, IP4(10, 77, 0, 11)); /* ciaddr: node001's */
	pk_opt(&p, 60, "PXEClient:Arch:00000:UNDI:002001", 32);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_OFFER);
	assert_int_equal(th_yiaddr(h), 0);
	assert_int_equal(h->nbev, 1);
	assert_int_equal(h->bev[0].ip, 0);
	assert_memory_equal(h->bev[0].mac, REAL, 6);
	assert_int_equal(h->nev, 0); /* and no lease event */
	assert_int_equal(h->leases->used, 0);
	th_done(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decline_of_offer_ignored),
		cmocka_unit_test(test_decline_counted_against_cap),
		cmocka_unit_test(test_decline_pool_exhausted_reuses_oldest),
		cmocka_unit_test(test_authoritative),
		cmocka_unit_test(test_trusted_relays),
		cmocka_unit_test(test_proxy_ciaddr_not_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
