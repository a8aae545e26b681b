/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The engine's state machine through dhcp_handle()/dhcp_tick(): every
 * RFC 2131 4.3 transition, addressing (4.1), reservations, caps under a
 * random-MAC flood, group-commit wait_seq, expiry, relay, PRL and sizes.
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

static const uint8_t M1[6] = { 0x52, 0x54, 0, 0, 0, 1 };   /* node001, .11 */
static const uint8_t M2[6] = { 0x52, 0x54, 0, 0, 0, 2 };   /* node002, by client id */
static const uint8_t DYN[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t DYN2[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x66 };
static const uint8_t FF[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static int
discover(struct th *h, const uint8_t mac[6], uint16_t flags)
{
	struct pk p;
	pk_start(&p, DHCP_MT_DISCOVER, mac, 0x1234);
	pk_set16(&p, 10, flags);
	pk_end(&p);
	return th_send(h, &p, 0, BCAST, 67);
}

static int
request_sel(struct th *h, const uint8_t mac[6], uint32_t ip, uint32_t server)
{
	struct pk p;
	pk_start(&p, DHCP_MT_REQUEST, mac, 0x1234);
	pk_opt32(&p, 50, ip);
	pk_opt32(&p, 54, server);
	pk_end(&p);
	return th_send(h, &p, 0, BCAST, 67);
}

/* DORA for mac; returns the address. */
static uint32_t
dora(struct th *h, const uint8_t mac[6])
{
	assert_int_equal(discover(h, mac, 0), DHCP_REPLY);
	uint32_t ip = th_yiaddr(h);
	assert_int_equal(request_sel(h, mac, ip, SERVER), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_ACK);
	return ip;
}

static struct lease
slot(struct th *h, uint32_t ip)
{
	struct lease *l = lease_by_ip(h->leases, ip), out;
	assert_non_null(l);
	memcpy(&out, l, sizeof(out));
	return out;
}

static void
test_dora_dynamic(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);

	assert_int_equal(discover(h, DYN, 0), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_OFFER);
	uint32_t ip = th_yiaddr(h);
	assert_true(ip >= IP4(10, 77, 0, 100) && ip <= IP4(10, 77, 0, 199));
	/* RFC 2131 4.3.1 table 3 fields and options. */
	assert_int_equal(h->txbuf[0], 2);
	assert_int_equal(rp_be32(h->txbuf, 4), 0x1234);
	assert_int_equal(rp_be32(h->txbuf, 12), 0);
	assert_memory_equal(h->txbuf + 28, DYN, 6);
	assert_int_equal(rp_opt32(h->txbuf, h->tx.len, 54), SERVER);
	assert_int_equal(rp_opt32(h->txbuf, h->tx.len, 51), 3600);
	assert_int_equal(rp_opt32(h->txbuf, h->tx.len, 58), 1800);
	assert_int_equal(rp_opt32(h->txbuf, h->tx.len, 59), 3150);
	assert_int_equal(rp_opt32(h->txbuf, h->tx.len, 1), 0xffffff00u);
	assert_int_equal(rp_opt32(h->txbuf, h->tx.len, 3), SERVER); /* no PRL: defaults */
	assert_true(h->tx.len >= 300 && h->tx.len <= 548);
	/* 4.1: broadcast bit clear -> unicast to yiaddr / chaddr. */
	assert_int_equal(h->tx.dst_ip, ip);
	assert_int_equal(h->tx.dst_port, 68);
	assert_int_equal(h->tx.src_ip, SERVER);
	assert_int_equal(h->tx.src_port, 67);
	assert_memory_equal(h->tx.dst_mac, DYN, 6);
	assert_int_equal(h->tx.wait_seq, 0);
	assert_int_equal(slot(h, ip).state, LEASE_OFFERED);
	assert_int_equal(slot(h, ip).expires_ms, h->now + 30000);
	assert_int_equal(h->nev, 0); /* offers are not journalled */

	h->now += 1000;
	assert_int_equal(request_sel(h, DYN, ip, SERVER), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_ACK);
	assert_int_equal(th_yiaddr(h), ip);
	assert_int_equal(h->nev, 1);
	assert_int_equal(h->ev[0].kind, LEASE_EV_GRANT);
	assert_int_equal(h->ev[0].ip, ip);
	assert_memory_equal(h->ev[0].mac, DYN, 6);
	assert_int_equal(h->ev[0].expires_ms, h->now + 3600000);
	/* Group commit: the ACK waits for exactly this record. */
	assert_int_not_equal(h->tx.wait_seq, 0);
	assert_int_equal(h->tx.wait_seq, h->ev[0].seq);
	assert_int_equal(slot(h, ip).state, LEASE_BOUND);
	/* The slot carries the seq of the event that made it what it is: a
	 * restarted control re-journals slots above its durable seq (a killed
	 * one may have dropped events it had taken from the ring). */
	assert_int_equal(slot(h, ip).journal_seq, h->ev[0].seq);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_RX_DISCOVER), 1);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_RX_REQUEST), 1);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_TX_OFFER), 1);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_TX_ACK), 1);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_TX_WAIT), 1);
	th_done(h);
}

static void
test_broadcast_bit(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);
	assert_int_equal(discover(h, DYN, DHCP_FLAG_BROADCAST), DHCP_REPLY);
	assert_int_equal(h->tx.dst_ip, BCAST);
	assert_memory_equal(h->tx.dst_mac, FF, 6);
	assert_int_equal(rp_be32(h->txbuf, 8) & 0xffff, DHCP_FLAG_BROADCAST); /* flags echoed */
	th_done(h);
}

static void
test_reservation_no_wait_but_event(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);
	assert_int_equal(discover(h, M1, 0), DHCP_REPLY);
	assert_int_equal(th_yiaddr(h), IP4(10, 77, 0, 11));
	assert_null(lease_by_ip(h->leases, IP4(10, 77, 0, 11))); /* no table use for offers */
	assert_int_equal(request_sel(h, M1, IP4(10, 77, 0, 11), SERVER), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_ACK);
	assert_int_equal(h->tx.wait_seq, 0);
	assert_int_equal(h->nev, 1); /* control still sees it */
	assert_int_equal(h->ev[0].kind, LEASE_EV_GRANT);
	assert_int_equal(slot(h, IP4(10, 77, 0, 11)).state, LEASE_BOUND);
	/* Hostname requested: the node's name. */
	struct pk p;
	uint8_t prl[] = { 12 };
	pk_start(&p, DHCP_MT_DISCOVER, M1, 2);
	pk_opt(&p, 55, prl, 1);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	size_t n = 0;
	const uint8_t *v = rp_opt(h->txbuf, h->tx.len, 12, &n);
	assert_non_null(v);
	assert_int_equal(n, 7);
	assert_memory_equal(v, "node001", 7);
	/* A reservation requested for another address: NAK. */
	assert_int_equal(request_sel(h, M1, IP4(10, 77, 0, 150), SERVER), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_NAK);
	th_done(h);
}

static void
test_client_id_reservation(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);
	static const uint8_t other[6] = { 0x02, 9, 9, 9, 9, 9 };
	const uint8_t cid[] = { 1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	struct pk p;

	/* node002 names a client id: its MAC alone does not match. */
	assert_int_equal(discover(h, M2, 0), DHCP_REPLY);
	assert_int_not_equal(th_yiaddr(h), IP4(10, 77, 0, 12));
	/* The client id does, from any MAC; and it is echoed (RFC 6842). */
	pk_start(&p, DHCP_MT_DISCOVER, other, 3);
	pk_opt(&p, 61, cid, sizeof(cid));
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_int_equal(th_yiaddr(h), IP4(10, 77, 0, 12));
	size_t n = 0;
	const uint8_t *v = rp_opt(h->txbuf, h->tx.len, 61, &n);
	assert_non_null(v);
	assert_int_equal(n, sizeof(cid));
	assert_memory_equal(v, cid, n);
	/* A different client id gets nothing reserved. */
	const uint8_t cid2[] = { 1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xfe };
	pk_start(&p, DHCP_MT_DISCOVER, other, 3);
	pk_opt(&p, 61, cid2, sizeof(cid2));
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_int_not_equal(th_yiaddr(h), IP4(10, 77, 0, 12));
	th_done(h);
}

static void
test_same_address_back(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);
	assert_int_equal(discover(h, DYN, 0), DHCP_REPLY);
	uint32_t ip = th_yiaddr(h);
	assert_int_equal(discover(h, DYN, 0), DHCP_REPLY);
	assert_int_equal(th_yiaddr(h), ip);
	assert_int_equal(discover(h, DYN2, 0), DHCP_REPLY);
	assert_int_not_equal(th_yiaddr(h), ip);
	assert_int_equal(request_sel(h, DYN, ip, SERVER), DHCP_REPLY);
	/* Bound client re-DISCOVERs: same address, binding untouched. */
	assert_int_equal(discover(h, DYN, 0), DHCP_REPLY);
	assert_int_equal(th_yiaddr(h), ip);
	assert_int_equal(slot(h, ip).state, LEASE_BOUND);
	/* Expire it through dhcp_tick; the address is remembered. */
	h->now += 3600 * 1000 + 1;
	unsigned before = h->nev;
	dhcp_tick(h->e, h->snap, h->now);
	assert_int_equal(slot(h, ip).state, LEASE_EXPIRED);
	assert_int_equal(h->nev, before + 1);
	assert_int_equal(h->ev[before].kind, LEASE_EV_EXPIRE);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_LEASE_EXPIRED), 1);
	assert_int_equal(discover(h, DYN, 0), DHCP_REPLY);
	assert_int_equal(th_yiaddr(h), ip);
	th_done(h);
}

static void
test_selecting_other_server(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);
	assert_int_equal(discover(h, DYN, 0), DHCP_REPLY);
	uint32_t ip = th_yiaddr(h);
	assert_int_equal(request_sel(h, DYN, ip, IP4(10, 77, 0, 2)), DHCP_SILENT);
	assert_int_equal(slot(h, ip).state, LEASE_FREE); /* offer released at once */
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_SILENT_OTHER), 1);
	assert_int_equal(h->nev, 0);
	th_done(h);
}

static void
test_selecting_wrong_address_nak(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);
	uint32_t theirs = dora(h, DYN2);
	assert_int_equal(discover(h, DYN, 0), DHCP_REPLY);
	/* Asks for the address another client holds. */
	assert_int_equal(request_sel(h, DYN, theirs, SERVER), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_NAK);
	assert_int_equal(th_yiaddr(h), 0);
	assert_int_equal(h->tx.dst_ip, BCAST); /* 4.1: NAK broadcast */
	assert_memory_equal(h->tx.dst_mac, FF, 6);
	assert_null(rp_opt(h->txbuf, h->tx.len, 51, &(size_t){ 0 }));
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_NAK_NOT_OURS), 1);
	/* Outside any pool (a subnet address, not dynamic): NAK. */
	assert_int_equal(request_sel(h, DYN, IP4(10, 77, 0, 50), SERVER), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_NAK);
	/* Outside the subnet: NAK wrong network. */
	assert_int_equal(request_sel(h, DYN, IP4(192, 168, 1, 5), SERVER), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_NAK);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_NAK_WRONG_NET), 1);
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
test_init_reboot(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);
	uint32_t ip = dora(h, DYN);
	/* Known client, right address: ACK (renewal of the binding). */
	assert_int_equal(init_reboot(h, DYN, ip), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_ACK);
	assert_int_equal(h->ev[h->nev - 1].kind, LEASE_EV_RENEW);
	/* Wrong network: NAK. */
	assert_int_equal(init_reboot(h, DYN, IP4(10, 99, 0, 5)), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_NAK);
	/* Another client's address: NAK. */
	assert_int_equal(init_reboot(h, DYN2, ip), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_NAK);
	/* No record of this client and the address unknown: silent. */
	static const uint8_t stranger[6] = { 0x02, 7, 7, 7, 7, 7 };
	assert_int_equal(init_reboot(h, stranger, IP4(10, 77, 0, 177)), DHCP_SILENT);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_SILENT_NO_RECORD), 1);
	/* A reservation always has a record. */
	assert_int_equal(init_reboot(h, M1, IP4(10, 77, 0, 11)), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_ACK);
	th_done(h);
}

static int
renew(struct th *h, const uint8_t mac[6], uint32_t ciaddr, uint32_t dst)
{
	struct pk p;
	pk_start(&p, DHCP_MT_REQUEST, mac, 10);
	pk_set32(&p, 12, ciaddr);
	pk_end(&p);
	return th_send(h, &p, ciaddr, dst, 67);
}

static void
test_renewing_rebinding(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);
	uint32_t ip = dora(h, DYN);
	h->now += 1800 * 1000;
	/* RENEWING: unicast to us; ACK unicast to ciaddr. */
	assert_int_equal(renew(h, DYN, ip, SERVER), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_ACK);
	assert_int_equal(rp_be32(h->txbuf, 12), ip); /* ciaddr echoed */
	assert_int_equal(h->tx.dst_ip, ip);
	assert_memory_equal(h->tx.dst_mac, DYN, 6);
	assert_int_equal(h->ev[h->nev - 1].kind, LEASE_EV_RENEW);
	assert_int_equal(h->ev[h->nev - 1].expires_ms, h->now + 3600000);
	assert_int_equal(h->tx.wait_seq, h->ev[h->nev - 1].seq);
	/* REBINDING: broadcast; same answer. */
	assert_int_equal(renew(h, DYN, ip, BCAST), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_ACK);
	assert_int_equal(h->tx.dst_ip, ip);
	/* Renewing someone else's address: NAK, broadcast. */
	assert_int_equal(renew(h, DYN2, ip, SERVER), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_NAK);
	assert_int_equal(h->tx.dst_ip, BCAST);
	/* Renewing an address outside our subnets: NAK wrong net. */
	assert_int_equal(renew(h, DYN, IP4(172, 16, 0, 9), SERVER), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_NAK);
	/* A free pool address we have no record of: granted again (a lost
	 * journal must not strand clients). */
	assert_int_equal(renew(h, DYN2, IP4(10, 77, 0, 190), SERVER), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_ACK);
	assert_int_equal(h->ev[h->nev - 1].kind, LEASE_EV_GRANT);
	th_done(h);
}

static void
test_decline_quarantine(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);
	uint32_t ip = dora(h, DYN);
	struct pk p;
	pk_start(&p, DHCP_MT_DECLINE, DYN, 11);
	pk_opt32(&p, 50, ip);
	pk_opt32(&p, 54, SERVER);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_SILENT);
	assert_int_equal(slot(h, ip).state, LEASE_DECLINED);
	assert_int_equal(h->ev[h->nev - 1].kind, LEASE_EV_DECLINE);
	assert_int_equal(h->ev[h->nev - 1].expires_ms, h->now + 600000);
	/* The same client now gets another address. */
	assert_int_equal(discover(h, DYN, 0), DHCP_REPLY);
	assert_int_not_equal(th_yiaddr(h), ip);
	/* A decline for an address it does not hold: dropped, counted. */
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), BS_CTR_DROP_DHCP_NOT_OURS);
	/* Addressed to another server: dropped. */
	pk_start(&p, DHCP_MT_DECLINE, DYN, 11);
	pk_opt32(&p, 50, ip);
	pk_opt32(&p, 54, IP4(10, 77, 0, 2));
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), BS_CTR_DROP_DHCP_OTHER_SERVER);
	/* Quarantine ends after decline_hold. */
	h->now += 599 * 1000;
	dhcp_tick(h->e, h->snap, h->now);
	assert_int_equal(slot(h, ip).state, LEASE_DECLINED);
	h->now += 1001;
	dhcp_tick(h->e, h->snap, h->now);
	assert_int_equal(slot(h, ip).state, LEASE_FREE);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_DECLINE_ENDED), 1);
	th_done(h);
}

static void
test_release(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);
	uint32_t ip = dora(h, DYN);
	struct pk p;
	pk_start(&p, DHCP_MT_RELEASE, DYN, 12);
	pk_set32(&p, 12, ip);
	pk_opt32(&p, 54, SERVER);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, ip, SERVER, 67), DHCP_SILENT);
	assert_int_equal(slot(h, ip).state, LEASE_RELEASED);
	assert_int_equal(h->ev[h->nev - 1].kind, LEASE_EV_RELEASE);
	assert_int_equal(th_send(h, &p, ip, SERVER, 67), BS_CTR_DROP_DHCP_NOT_OURS);
	/* The client gets the released address back. */
	assert_int_equal(discover(h, DYN, 0), DHCP_REPLY);
	assert_int_equal(th_yiaddr(h), ip);
	th_done(h);
}

static void
test_inform(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);
	struct pk p;
	pk_start(&p, DHCP_MT_INFORM, DYN, 13);
	pk_set32(&p, 12, IP4(10, 77, 0, 40));
	pk_end(&p);
	assert_int_equal(th_send(h, &p, IP4(10, 77, 0, 40), SERVER, 67), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_ACK);
	assert_int_equal(th_yiaddr(h), 0);
	assert_int_equal(rp_be32(h->txbuf, 12), IP4(10, 77, 0, 40));
	assert_null(rp_opt(h->txbuf, h->tx.len, 51, &(size_t){ 0 }));
	assert_int_equal(rp_opt32(h->txbuf, h->tx.len, 3), SERVER);
	assert_int_equal(h->tx.dst_ip, IP4(10, 77, 0, 40));
	assert_int_equal(h->nev, 0);
	assert_int_equal(h->leases->used, 0);
	/* Without ciaddr: nothing to answer. */
	pk_start(&p, DHCP_MT_INFORM, DYN, 13);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), BS_CTR_DROP_DHCP_NO_SUBNET);
	th_done(h);
}

static void
test_wait_seq_ring_full(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);
	assert_int_equal(discover(h, DYN, 0), DHCP_REPLY);
	uint32_t ip = th_yiaddr(h);
	h->ring_full = true;
	/* Dynamic: no ACK without a journal record; nothing changes. */
	assert_int_equal(request_sel(h, DYN, ip, SERVER), BS_CTR_DROP_DHCP_EMIT_FULL);
	assert_int_equal(h->tx.len, 0);
	assert_int_equal(slot(h, ip).state, LEASE_OFFERED);
	assert_int_equal(th_ctr(h, BS_CTR_DROP_DHCP_EMIT_FULL), 1);
	/* Reservation: served anyway, not waited on. */
	assert_int_equal(request_sel(h, M1, IP4(10, 77, 0, 11), SERVER), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_ACK);
	assert_int_equal(h->tx.wait_seq, 0);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_RESV_EMIT_FAIL), 1);
	/* The client retries once the ring drains; sequence numbers grow. */
	h->ring_full = false;
	assert_int_equal(request_sel(h, DYN, ip, SERVER), DHCP_REPLY);
	uint64_t s1 = h->tx.wait_seq;
	assert_int_not_equal(s1, 0);
	assert_int_equal(renew(h, DYN, ip, SERVER), DHCP_REPLY);
	assert_true(h->tx.wait_seq > s1);
	assert_int_equal(h->tx.wait_seq, h->leases->last_seq);
	th_done(h);
}

static void
test_tick_expiry(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);
	assert_int_equal(discover(h, DYN, 0), DHCP_REPLY);
	uint32_t offered = th_yiaddr(h);
	uint32_t bound = dora(h, DYN2);
	h->now += 29999;
	dhcp_tick(h->e, h->snap, h->now);
	assert_int_equal(slot(h, offered).state, LEASE_OFFERED);
	h->now += 1;
	dhcp_tick(h->e, h->snap, h->now);
	assert_int_equal(slot(h, offered).state, LEASE_FREE);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_OFFER_EXPIRED), 1);
	/* Expiry with a full ring is retried, never lost. */
	h->now += 3600 * 1000;
	h->ring_full = true;
	dhcp_tick(h->e, h->snap, h->now);
	assert_int_equal(slot(h, bound).state, LEASE_BOUND);
	h->ring_full = false;
	dhcp_tick(h->e, h->snap, h->now);
	assert_int_equal(slot(h, bound).state, LEASE_EXPIRED);
	assert_int_equal(h->ev[h->nev - 1].kind, LEASE_EV_EXPIRE);
	/* Another client may take the lapsed address only when nothing else
	 * is left; here plenty is, so it gets a different one. */
	assert_int_equal(discover(h, DYN, 0), DHCP_REPLY);
	assert_int_not_equal(th_yiaddr(h), bound);
	th_done(h);
}

static void
tweak_caps(struct tb *b)
{
	b->sub[0].max_dynamic = 10;
}

static void
test_caps_random_mac_flood(void **st)
{
	(void)st;
	struct th *h = th_lab(tweak_caps);
	unsigned offers = 0;
	for (uint32_t i = 0; i < 2000; i++) {
		uint8_t mac[6];
		th_mac(mac, i);
		if (discover(h, mac, 0) == DHCP_REPLY)
			offers++;
	}
	assert_int_equal(offers, 10);
	assert_int_equal(th_ctr(h, BS_CTR_DROP_DHCP_SUBNET_CAP), 1990);
	/* Reservations keep working under the flood. */
	assert_int_equal(discover(h, M1, 0), DHCP_REPLY);
	assert_int_equal(th_yiaddr(h), IP4(10, 77, 0, 11));
	assert_int_equal(request_sel(h, M1, IP4(10, 77, 0, 11), SERVER), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_ACK);
	/* Once the flood's offers lapse, real clients get addresses again. */
	h->now += 31000;
	dhcp_tick(h->e, h->snap, h->now);
	(void)dora(h, DYN);
	th_done(h);
}

static void
tweak_global_cap(struct tb *b)
{
	b->hdr.max_dynamic = 5;
}

static void
test_global_cap(void **st)
{
	(void)st;
	struct th *h = th_lab(tweak_global_cap);
	unsigned offers = 0;
	for (uint32_t i = 0; i < 50; i++) {
		uint8_t mac[6];
		th_mac(mac, i);
		if (discover(h, mac, 0) == DHCP_REPLY)
			offers++;
	}
	assert_int_equal(offers, 5);
	assert_int_equal(th_ctr(h, BS_CTR_DROP_DHCP_GLOBAL_CAP), 45);
	/* A client that already holds an offer is not capped. */
	uint8_t mac[6];
	th_mac(mac, 0);
	assert_int_equal(discover(h, mac, 0), DHCP_REPLY);
	th_done(h);
}

static void
test_pool_exhausted(void **st)
{
	(void)st;
	struct th *h = th_lab(tb_tweak_tiny_pool);
	for (uint32_t i = 0; i < 3; i++) {
		uint8_t mac[6];
		th_mac(mac, i);
		assert_int_equal(discover(h, mac, 0), DHCP_REPLY);
	}
	assert_int_equal(discover(h, DYN, 0), BS_CTR_DROP_DHCP_POOL_EXHAUSTED);
	th_done(h);
}

static void
tweak_deny(struct tb *b)
{
	b->hdr.unknown_policy = SNAP_UNKNOWN_DENY;
}

static void
tweak_pxe_only(struct tb *b)
{
	b->hdr.unknown_policy = SNAP_UNKNOWN_PXE_ONLY;
}

static void
test_unknown_policy(void **st)
{
	(void)st;
	struct th *h = th_lab(tweak_deny);
	assert_int_equal(discover(h, DYN, 0), BS_CTR_DROP_DHCP_UNKNOWN_CLIENT);
	assert_int_equal(th_ctr(h, BS_CTR_DROP_DHCP_UNKNOWN_CLIENT), 1);
	assert_int_equal(discover(h, M1, 0), DHCP_REPLY);
	th_done(h);

	h = th_lab(tweak_pxe_only);
	assert_int_equal(discover(h, DYN, 0), BS_CTR_DROP_DHCP_NOT_PXE);
	struct pk p;
	pk_start(&p, DHCP_MT_DISCOVER, DYN, 1);
	pk_opt(&p, 60, "PXEClient:Arch:00000:UNDI:002001", 32);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	th_done(h);
}

static void
tweak_relay(struct tb *b)
{
	uint32_t s = tb_subnet(b, IP4(10, 78, 0, 0), 24, 600);
	b->sub[s].router = IP4(10, 78, 0, 254);
	tb_pool(b, s, IP4(10, 78, 0, 10), IP4(10, 78, 0, 20));
}

static void
test_relay(void **st)
{
	(void)st;
	struct th *h = th_lab(tweak_relay);
	static const uint8_t relay_mac[6] = { 0x02, 0xee, 0, 0, 0, 1 };
	const uint8_t o82[] = { 1, 4, 'p', 'o', 'r', 't', 2, 3, 'r', 'i', 'd' };
	struct pk p;

	h->relay_mac = true;
	memcpy(h->relay_src_mac, relay_mac, 6);
	pk_start(&p, DHCP_MT_DISCOVER, DYN, 21);
	pk_set32(&p, 24, IP4(10, 78, 0, 254));
	p.b[3] = 1; /* hops */
	pk_opt(&p, 82, o82, sizeof(o82));
	pk_end(&p);
	assert_int_equal(th_send(h, &p, IP4(10, 78, 0, 254), SERVER, 67), DHCP_REPLY);
	uint32_t ip = th_yiaddr(h);
	assert_true(ip >= IP4(10, 78, 0, 10) && ip <= IP4(10, 78, 0, 20));
	assert_int_equal(rp_opt32(h->txbuf, h->tx.len, 51), 600);
	assert_int_equal(rp_opt32(h->txbuf, h->tx.len, 3), IP4(10, 78, 0, 254));
	assert_int_equal(h->tx.dst_ip, IP4(10, 78, 0, 254));
	assert_int_equal(h->tx.dst_port, 67);
	assert_memory_equal(h->tx.dst_mac, relay_mac, 6);
	assert_int_equal(rp_be32(h->txbuf, 24), IP4(10, 78, 0, 254)); /* giaddr kept */
	assert_int_equal(h->txbuf[3], 0);			       /* hops 0 */
	/* Option 82 verbatim, and last before END (RFC 3046 2.2). */
	size_t n = 0;
	const uint8_t *v = rp_opt(h->txbuf, h->tx.len, 82, &n);
	assert_non_null(v);
	assert_int_equal(n, sizeof(o82));
	assert_memory_equal(v, o82, n);
	assert_int_equal(v[n], 255);
	/* NAK through the relay: to giaddr, broadcast bit set. */
	pk_start(&p, DHCP_MT_REQUEST, DYN, 22);
	pk_set32(&p, 24, IP4(10, 78, 0, 254));
	pk_opt32(&p, 50, IP4(10, 77, 0, 150)); /* wrong network for this relay */
	pk_end(&p);
	assert_int_equal(th_send(h, &p, IP4(10, 78, 0, 254), SERVER, 67), DHCP_REPLY);
	assert_int_equal(th_rtype(h), DHCP_MT_NAK);
	assert_int_equal(h->tx.dst_ip, IP4(10, 78, 0, 254));
	assert_int_equal(rp_be32(h->txbuf, 8) & 0xffff, DHCP_FLAG_BROADCAST);
	/* A relay on no configured network: dropped. */
	pk_start(&p, DHCP_MT_DISCOVER, DYN, 23);
	pk_set32(&p, 24, IP4(10, 99, 0, 1));
	pk_end(&p);
	assert_int_equal(th_send(h, &p, IP4(10, 99, 0, 1), SERVER, 67), BS_CTR_DROP_DHCP_NO_SUBNET);
	/* A reserved node behind the wrong relay gets nothing. */
	pk_start(&p, DHCP_MT_DISCOVER, M1, 24);
	pk_set32(&p, 24, IP4(10, 78, 0, 254));
	pk_end(&p);
	assert_int_equal(th_send(h, &p, IP4(10, 78, 0, 254), SERVER, 67), BS_CTR_DROP_DHCP_NO_SUBNET);
	th_done(h);
}

static void
test_prl_honoured(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);
	struct pk p;
	const uint8_t prl[] = { 1, 3 };
	pk_start(&p, DHCP_MT_DISCOVER, DYN, 1);
	pk_opt(&p, 55, prl, sizeof(prl));
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	size_t n;
	assert_non_null(rp_opt(h->txbuf, h->tx.len, 3, &n));
	assert_null(rp_opt(h->txbuf, h->tx.len, 6, &n));
	assert_null(rp_opt(h->txbuf, h->tx.len, 15, &n));
	/* Mandatory ones regardless. */
	assert_non_null(rp_opt(h->txbuf, h->tx.len, 54, &n));
	assert_non_null(rp_opt(h->txbuf, h->tx.len, 51, &n));
	const uint8_t prl2[] = { 15, 6, 28, 42, 200 };
	pk_start(&p, DHCP_MT_DISCOVER, DYN, 1);
	pk_opt(&p, 55, prl2, sizeof(prl2));
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	const uint8_t *v = rp_opt(h->txbuf, h->tx.len, 15, &n);
	assert_non_null(v);
	assert_memory_equal(v, "lab.example", 11);
	assert_int_equal(rp_opt32(h->txbuf, h->tx.len, 6), SERVER);
	assert_int_equal(rp_opt32(h->txbuf, h->tx.len, 28), IP4(10, 77, 0, 255));
	assert_null(rp_opt(h->txbuf, h->tx.len, 3, &n));
	assert_null(rp_opt(h->txbuf, h->tx.len, 42, &n)); /* no NTP configured */
	th_done(h);
}

static char long_url[420];

static void
tweak_long_file(struct tb *b)
{
	memset(long_url, 'a', sizeof(long_url) - 1);
	memcpy(long_url, "http://", 7);
	b->prof[0].boot_file[SNAP_ARCH_BIOS] = tb_str(b, long_url);
}

/* Option 57 and the 576-byte default; a long boot file name goes into
 * option 67 split per RFC 3396; nothing is ever truncated. */
static void
test_max_message_size(void **st)
{
	(void)st;
	struct th *h = th_lab(tweak_long_file);
	struct pk p;
	pk_start(&p, DHCP_MT_DISCOVER, DYN, 1);
	pk_opt(&p, 60, "PXEClient", 9);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), BS_CTR_DROP_DHCP_REPLY_TOO_BIG);
	assert_int_equal(th_ctr(h, BS_CTR_DROP_DHCP_REPLY_TOO_BIG), 1);
	uint8_t ms[2] = { 1500 >> 8, 1500 & 255 };
	pk_start(&p, DHCP_MT_DISCOVER, DYN, 1);
	pk_opt(&p, 60, "PXEClient", 9);
	pk_opt(&p, 57, ms, 2);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_true(h->tx.len <= 1472);
	assert_int_equal(h->txbuf[108], 0); /* does not fit `file`: left empty */
	size_t n = 0;
	const uint8_t *v = rp_opt(h->txbuf, h->tx.len, 67, &n);
	assert_non_null(v);
	assert_int_equal(n, 255);
	assert_int_equal(v[n], 67); /* the second part follows at once */
	assert_int_equal(v[n + 1], sizeof(long_url) - 1 - 255);
	assert_memory_equal(v, long_url, 255);
	assert_memory_equal(v + 257, long_url + 255, sizeof(long_url) - 1 - 255);
	/* Option 57 = 65535 still never exceeds DHCP_MAX_REPLY. */
	ms[0] = ms[1] = 0xff;
	pk_start(&p, DHCP_MT_DISCOVER, DYN, 1);
	pk_opt(&p, 57, ms, 2);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), DHCP_REPLY);
	assert_true(h->tx.len <= DHCP_MAX_REPLY);
	th_done(h);
}

static void
test_bad_input_drops(void **st)
{
	(void)st;
	struct th *h = th_lab(NULL);
	struct pk p;
	pk_start(&p, DHCP_MT_DISCOVER, DYN, 1);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 69), BS_CTR_DROP_DHCP_BAD_PORT);
	assert_int_equal(th_send_raw(h, p.b, 100, 0, BCAST, 67), BS_CTR_DROP_DHCP_TRUNCATED);
	p.b[0] = 2;
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), BS_CTR_DROP_DHCP_BOOTREPLY);
	assert_int_equal(th_ctr(h, BS_CTR_DROP_DHCP_BOOTREPLY), 1);
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_RX), 3);
	/* REQUEST with neither server id, requested IP nor ciaddr. */
	pk_start(&p, DHCP_MT_REQUEST, DYN, 1);
	pk_end(&p);
	assert_int_equal(th_send(h, &p, 0, BCAST, 67), BS_CTR_DROP_DHCP_BAD_REQUEST);
	/* No snapshot / no server address. */
	pk_start(&p, DHCP_MT_DISCOVER, DYN, 1);
	pk_end(&p);
	struct dhcp_rx rx = { .p = p.b, .len = p.len, .dst_port = 67 };
	assert_int_equal(dhcp_handle(h->e, NULL, &rx, &h->tx).why, BS_DROP_DHCP_NO_CONFIG);
	/* Nothing was built for any of them. */
	assert_int_equal(th_ctr(h, BS_CTR_DHCP_TX), 0);
	th_done(h);
}

static void
test_config_change_recounts(void **st)
{
	(void)st;
	struct tb *b = calloc(1, sizeof(*b));
	tb_lab(b);
	b->sub[0].max_dynamic = 3;
	struct th *h = th_new(tb_finish(b, 1), 1024);
	for (uint32_t i = 0; i < 3; i++) {
		uint8_t mac[6];
		th_mac(mac, i);
		assert_int_equal(discover(h, mac, 0), DHCP_REPLY);
	}
	assert_int_equal(discover(h, DYN, 0), BS_CTR_DROP_DHCP_SUBNET_CAP);
	/* A new generation with a bigger cap: the counts survive the rebuild. */
	b->sub[0].max_dynamic = 4;
	free(h->snap);
	h->snap = tb_finish(b, 2);
	assert_int_equal(discover(h, DYN, 0), DHCP_REPLY);
	assert_int_equal(discover(h, DYN2, 0), BS_CTR_DROP_DHCP_SUBNET_CAP);
	th_done(h);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dora_dynamic),
		cmocka_unit_test(test_broadcast_bit),
		cmocka_unit_test(test_reservation_no_wait_but_event),
		cmocka_unit_test(test_client_id_reservation),
		cmocka_unit_test(test_same_address_back),
		cmocka_unit_test(test_selecting_other_server),
		cmocka_unit_test(test_selecting_wrong_address_nak),
		cmocka_unit_test(test_init_reboot),
		cmocka_unit_test(test_renewing_rebinding),
		cmocka_unit_test(test_decline_quarantine),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_inform),
		cmocka_unit_test(test_wait_seq_ring_full),
		cmocka_unit_test(test_tick_expiry),
		cmocka_unit_test(test_caps_random_mac_flood),
		cmocka_unit_test(test_global_cap),
		cmocka_unit_test(test_pool_exhausted),
		cmocka_unit_test(test_unknown_policy),
		cmocka_unit_test(test_relay),
		cmocka_unit_test(test_prl_honoured),
		cmocka_unit_test(test_max_message_size),
		cmocka_unit_test(test_bad_input_drops),
		cmocka_unit_test(test_config_change_recounts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
