/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fleet load balancing (dataplane/dhcp/dhcp_lb.h, conf/snap_build.h
 * snap_lb_assign): the RFC 3074 hash, the bucket split and its takeover,
 * and two engines sharing a segment through dhcp_handle(): one answer per
 * client, disjoint pool slices, a dead peer's client keeping its address
 * at the survivor, silence (not NAK) for a peer's address we have no
 * record of, a survivor renewing what it granted after the peer
 * returned, and RFC 3074 section 6's secs override (fleet.lb_secs_override).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf/cfg.h"
#include "conf/snap_build.h"
#include "dataplane/dhcp/dhcp_lb.h"
#include "dataplane/dhcp/dhcp_wire.h"
#include "shm/counters.h"
#include "shm/leases.h"
#include "tests/unit/dhcp/dhcp_testlib.h"

#define SRV_A IP4(10, 77, 0, 1)
#define SRV_B IP4(10, 77, 0, 2)
#define BCAST 0xffffffffu

/* ---- the hash ---- */

/* Known answers of RFC 3074 section 6's reference C (hash = len; walk the
 * key from its end through the mixing table), worked out by hand from the
 * RFC's table: a one-byte key k hashes to table[1 ^ k], so {0x00} is the
 * table's second value (175) and {0x01} its first (251); the longer keys
 * were computed with an independent implementation of the same loop. */
static void
test_hash_known_answers(void **st)
{
	(void)st;
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x77, 0x00, 0x01 };
	static const uint8_t cid[7] = { 0x01, 0x52, 0x54, 0x00, 0x77, 0x00, 0x01 };
	static const uint8_t vm[6] = { 0x00, 0x0c, 0x29, 0x12, 0x34, 0x56 };
	uint8_t seq[16];

	for (int i = 0; i < 16; i++)
		seq[i] = (uint8_t)i;
	assert_int_equal(dhcp_lb_hash(NULL, 0), 0);
	assert_int_equal(dhcp_lb_hash((const uint8_t[]){ 0x00 }, 1), 175);
	assert_int_equal(dhcp_lb_hash((const uint8_t[]){ 0x01 }, 1), 251);
	assert_int_equal(dhcp_lb_hash(mac, 6), 128);
	assert_int_equal(dhcp_lb_hash(cid, 7), 145);
	assert_int_equal(dhcp_lb_hash(vm, 6), 201);
	assert_int_equal(dhcp_lb_hash(seq, 16), 155);
}

/* "256 distinct values": one-byte keys map onto every bucket once. */
static void
test_hash_table_is_permutation(void **st)
{
	(void)st;
	uint8_t seen[256] = { 0 };
	for (int k = 0; k < 256; k++)
		seen[dhcp_lb_hash((const uint8_t[]){ (uint8_t)k }, 1)]++;
	for (int b = 0; b < 256; b++)
		assert_int_equal(seen[b], 1);
}

/* A rack's sequential MACs spread over three servers within 10%. */
static void
test_hash_spreads_sequential_macs(void **st)
{
	(void)st;
	unsigned per[3] = { 0 };
	for (unsigned i = 0; i < 3000; i++) {
		uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x10, (uint8_t)(i >> 8), (uint8_t)i };
		per[dhcp_lb_hash(mac, 6) % 3]++;
	}
	for (int s = 0; s < 3; s++)
		assert_true(per[s] >= 900 && per[s] <= 1100);
}

/* ---- the split ---- */

static void
test_assign_all_alive_and_takeover(void **st)
{
	(void)st;
	uint8_t set[3][32];
	unsigned n[3], owners[256] = { 0 };
	bool alive[3] = { true, false, true };

	for (uint32_t s = 0; s < 3; s++)
		n[s] = snap_lb_assign(3, NULL, s, set[s]);
	assert_int_equal(n[0] + n[1] + n[2], 256);
	assert_true(n[1] == 85 && n[2] == 85 && n[0] == 86);
	/* peer 1 dead: 0 and 2 cover all 256 buckets, disjointly, each
	 * keeping its own and taking about half of 1's */
	uint8_t t0[32], t2[32];
	unsigned m0 = snap_lb_assign(3, alive, 0, t0), m2 = snap_lb_assign(3, alive, 2, t2);
	assert_int_equal(m0 + m2, 256);
	assert_true(m0 >= 86 + 40 && m2 >= 85 + 40);
	for (int b = 0; b < 256; b++) {
		owners[b] = dhcp_lb_bucket_in(t0, (uint8_t)b) + dhcp_lb_bucket_in(t2, (uint8_t)b);
		assert_int_equal(owners[b], 1);
		if (dhcp_lb_bucket_in(set[0], (uint8_t)b))
			assert_true(dhcp_lb_bucket_in(t0, (uint8_t)b)); /* kept its own */
	}
	/* a server always serves its own buckets, whatever it hears */
	bool none[3] = { false, false, false };
	uint8_t solo[32];
	assert_int_equal(snap_lb_assign(3, none, 1, solo), 256);
}

static void
test_pool_part(void **st)
{
	(void)st;
	struct snap_hdr h = { .lb_slices = 3 };
	struct snap_pool p = { .lo = 100, .hi = 199 };
	uint32_t lo, hi, total = 0, next = 100;

	for (uint32_t k = 0; k < 3; k++) {
		h.lb_slice = k;
		assert_true(dhcp_lb_pool_part(&h, &p, &lo, &hi));
		assert_int_equal(lo, next); /* contiguous, no gap, no overlap */
		next = hi + 1;
		total += hi - lo + 1;
	}
	assert_int_equal(total, 100);
	assert_int_equal(next, 200);
	struct snap_pool tiny = { .lo = 5, .hi = 6 };
	h.lb_slice = 0;
	assert_false(dhcp_lb_pool_part(&h, &tiny, &lo, &hi)); /* 2 addresses, 3 servers */
}

/* ---- fleet.peers ---- */

#define FLEET_YAML(peers)                                                        \
	"server: {name: s2, ip: 10.77.0.2/24}\n"                                  \
	"fleet: {enabled: true, database: 'dbname=x', peers: " peers "}\n"

static void
test_peers_config(void **st)
{
	(void)st;
	static const char ok[] = FLEET_YAML("[s3, s1, s2]");
	static const char self_missing[] = FLEET_YAML("[s1, s3]");
	static const char twice[] = FLEET_YAML("[s1, s2, s1]");
	struct cfg_errs e = { 0 };
	struct cfg *c = cfg_load_mem("f.yaml", ok, sizeof(ok) - 1, &e);
	struct snap_hdr *s;
	size_t len;

	assert_non_null(c);
	assert_int_equal(c->n_fleet_peers, 3);
	assert_string_equal(c->fleet_peers[0], "s1"); /* sorted: same index everywhere */
	assert_int_equal(snap_lb_self(c), 1);
	assert_int_equal(snap_build(c, 1, &s, &len), 0);
	assert_int_equal(s->lb_slices, 3);
	assert_int_equal(s->lb_slice, 1);
	for (int b = 0; b < 256; b++) /* the static split: b % 3 == 1 */
		assert_int_equal(dhcp_lb_bucket_in(s->lb_buckets, (uint8_t)b), b % 3 == 1);
	free(s);
	cfg_free(c);

	assert_null(cfg_load_mem("f.yaml", self_missing, sizeof(self_missing) - 1, &e));
	assert_int_equal(e.n, 1);
	assert_string_equal(e.v[0].msg, "fleet.peers: does not list this server ('s2')");
	assert_int_equal(e.v[0].loc.line, 2);
	cfg_errs_free(&e);
	memset(&e, 0, sizeof(e));
	assert_null(cfg_load_mem("f.yaml", twice, sizeof(twice) - 1, &e));
	assert_int_equal(e.n, 1);
	assert_string_equal(e.v[0].msg, "fleet.peers: 's1' listed twice");
	cfg_errs_free(&e);
}

/* ---- two engines on one segment ---- */

static struct th *
server(uint32_t slice, uint32_t ip)
{
	static struct tb b;
	tb_lab(&b);
	b.sub[0].authoritative = 1; /* a NAK would be sent without the fleet rule */
	b.hdr.server_ip = ip;
	b.hdr.lb_slices = 2;
	b.hdr.lb_slice = slice;
	snap_lb_assign(2, NULL, slice, b.hdr.lb_buckets);
	return th_new(tb_finish(&b, 1), 1024);
}

static void
done(struct th *h)
{
	free(h->snap);
	th_free(h);
}

/* REBINDING: ciaddr set, broadcast, no server id (RFC 2131 4.3.2). */
static int
rebind(struct th *h, const uint8_t mac[6], uint32_t ip)
{
	struct pk p;
	pk_start(&p, DHCP_MT_REQUEST, mac, 0x78);
	pk_set32(&p, 12, ip);
	pk_end(&p);
	return th_send(h, &p, ip, BCAST, 67);
}

static uint32_t
yiaddr(const struct th *h)
{
	return rp_be32(h->txbuf, 16);
}

static void
mac_of(unsigned i, uint8_t mac[6])
{
	const uint8_t m[6] = { 0x52, 0x54, 0x00, 0x20, (uint8_t)(i >> 8), (uint8_t)i };
	memcpy(mac, m, 6);
}

#define CLIENTS 80

struct run {
	uint32_t ip[CLIENTS];
	char by[CLIENTS]; /* 'A' or 'B' */
};

/* DORA of CLIENTS clients against both servers: each DISCOVER answered by
 * exactly one, from its own half of .100-.199. */
static void
storm(struct th *a, struct th *b, struct run *r)
{
	for (unsigned i = 0; i < CLIENTS; i++) {
		uint8_t mac[6];
		mac_of(i, mac);
		int ra = th_discover(a, mac, 0x77), rb = th_discover(b, mac, 0x77);
		assert_true((ra == DHCP_REPLY) != (rb == DHCP_REPLY));
		struct th *s = ra == DHCP_REPLY ? a : b;
		uint32_t ip = yiaddr(s), sid = s == a ? SRV_A : SRV_B;
		assert_int_equal(th_request(a, mac, 0x77, ip, sid), s == a ? DHCP_REPLY : DHCP_SILENT);
		assert_int_equal(th_request(b, mac, 0x77, ip, sid), s == b ? DHCP_REPLY : DHCP_SILENT);
		assert_int_equal(rp_type(s->txbuf, s->tx.len), DHCP_MT_ACK);
		r->ip[i] = ip;
		r->by[i] = s == a ? 'A' : 'B';
		if (s == a)
			assert_true(ip >= IP4(10, 77, 0, 100) && ip <= IP4(10, 77, 0, 149));
		else
			assert_true(ip >= IP4(10, 77, 0, 150) && ip <= IP4(10, 77, 0, 199));
		for (unsigned k = 0; k < i; k++)
			assert_int_not_equal(r->ip[k], ip); /* no address twice */
	}
	assert_true(th_ctr(a, BS_CTR_DROP_DHCP_LB_NOT_OURS) > 10);
	assert_true(th_ctr(b, BS_CTR_DROP_DHCP_LB_NOT_OURS) > 10);
}

/* A DISCOVER with a client identifier option (61). */
static int
discover_cid(struct th *h, const uint8_t mac[6], const uint8_t *cid, size_t len)
{
	struct pk p;
	pk_start(&p, DHCP_MT_DISCOVER, mac, 0x79);
	pk_opt(&p, 61, cid, len);
	pk_end(&p);
	return th_send(h, &p, 0, BCAST, 67);
}

/* A client identifier that is type 1 + chaddr is hashed as chaddr (one
 * machine's PXE ROM, without option 61, and its iPXE, with 01+MAC, land on
 * one server); any other identifier is the key, as RFC 3074 section 5 says. */
static void
test_cid_of_chaddr_is_chaddr(void **st)
{
	(void)st;
	struct th *a = server(0, SRV_A), *b = server(1, SRV_B);
	unsigned differ = 0, duid_moved = 0;

	/* 30 clients: two offers each, within each server's 50-address slice */
	for (unsigned i = 0; i < 30; i++) {
		uint8_t mac[6], cid[7] = { 1 }, duid[7] = { 255 };
		mac_of(i, mac);
		memcpy(cid + 1, mac, 6);
		memcpy(duid + 1, mac, 6);
		bool mac_a = dhcp_lb_bucket_in(a->snap->lb_buckets, dhcp_lb_hash(mac, 6));
		bool cid_a = dhcp_lb_bucket_in(a->snap->lb_buckets, dhcp_lb_hash(cid, 7));
		bool duid_a = dhcp_lb_bucket_in(a->snap->lb_buckets, dhcp_lb_hash(duid, 7));
		differ += mac_a != cid_a;
		int ra = discover_cid(a, mac, cid, 7), rb = discover_cid(b, mac, cid, 7);
		assert_int_equal(ra == DHCP_REPLY, mac_a); /* chaddr's bucket decides */
		assert_int_equal(rb == DHCP_REPLY, !mac_a);
		ra = discover_cid(a, mac, duid, 7);
		rb = discover_cid(b, mac, duid, 7);
		assert_int_equal(ra == DHCP_REPLY, duid_a); /* another identifier: its own */
		assert_int_equal(rb == DHCP_REPLY, !duid_a);
		duid_moved += duid_a != mac_a;
	}
	assert_true(differ > 5); /* the case is real: 01+MAC and MAC hash apart */
	assert_true(duid_moved > 5);
	done(a);
	done(b);
}

/* B after A died: every bucket, and A's shipped leases but the last. */
static void
take_over(struct th *b, const struct th *a, const struct run *r, unsigned *unshipped)
{
	struct snap_lease adopted[CLIENTS];
	uint32_t n = 0;
	bool alive[2] = { false, true }; /* A (peer 0) dead */
	uint8_t set[32];
	struct snap_hdr *s;
	size_t len;

	*unshipped = CLIENTS;
	for (unsigned i = 0; i < CLIENTS; i++) {
		if (r->by[i] != 'A')
			continue;
		if (*unshipped == CLIENTS) { /* the first of A's: never shipped */
			*unshipped = i;
			continue;
		}
		memset(&adopted[n], 0, sizeof(adopted[n]));
		mac_of(i, adopted[n].mac);
		adopted[n].ip = r->ip[i];
		adopted[n].expires_ms = a->now + 3600 * 1000;
		n++;
	}
	assert_int_equal(snap_lb_assign(2, alive, 1, set), 256);
	assert_int_equal(snap_with_lb(b->snap, set, adopted, n, &s, &len), 0);
	free(b->snap);
	b->snap = s;
}

static void
test_two_servers_failover_and_return(void **st)
{
	(void)st;
	struct th *a = server(0, SRV_A), *b = server(1, SRV_B);
	struct run r;
	unsigned lost;

	storm(a, b, &r);
	take_over(b, a, &r, &lost);
	assert_true(lost < CLIENTS);
	b->now += 60000;
	unsigned kept = 0;
	for (unsigned i = 0; i < CLIENTS; i++) {
		uint8_t mac[6];
		mac_of(i, mac);
		if (r.by[i] != 'A')
			continue;
		if (i == lost) {
			/* a binding of A's that never reached the database: not
			 * ours to deny; silence, even on an authoritative subnet */
			assert_int_equal(th_request(b, mac, 0x77, r.ip[i], 0), DHCP_SILENT);
			assert_int_equal(th_ctr(b, BS_CTR_DHCP_LB_SILENT_PEER), 1);
			/* its DISCOVER gets a fresh address from B's slice */
			assert_int_equal(th_discover(b, mac, 0x77), DHCP_REPLY);
			assert_true(yiaddr(b) >= IP4(10, 77, 0, 150));
			continue;
		}
		/* INIT-REBOOT at the survivor: the same address, ACKed */
		assert_int_equal(th_request(b, mac, 0x77, r.ip[i], 0), DHCP_REPLY);
		assert_int_equal(rp_type(b->txbuf, b->tx.len), DHCP_MT_ACK);
		assert_int_equal(yiaddr(b), r.ip[i]);
		kept++;
	}
	assert_true(kept > 10);
	/* a DISCOVER of a taken-over client offers its adopted address */
	assert_true(th_ctr(b, BS_CTR_DHCP_LB_ADOPTED) == 0 || kept);

	/* A returns: B's buckets are its own again; B still answers the
	 * REBINDs of the clients it bound meanwhile, and drops their
	 * DISCOVERs (A serves those). */
	uint8_t own[32];
	snap_lb_assign(2, NULL, 1, own);
	memcpy(b->snap->lb_buckets, own, sizeof(own));
	b->snap->adopted.count = 0;
	for (unsigned i = 0; i < CLIENTS; i++) {
		uint8_t mac[6];
		mac_of(i, mac);
		if (r.by[i] != 'A' || i == lost)
			continue;
		assert_int_equal(rebind(b, mac, r.ip[i]), DHCP_REPLY);
		assert_int_equal(rp_type(b->txbuf, b->tx.len), DHCP_MT_ACK);
		assert_int_equal(th_discover(b, mac, 0x77), BS_CTR_DROP_DHCP_LB_NOT_OURS);
	}
	assert_int_equal(th_ctr(b, BS_CTR_DHCP_LB_KEPT), kept);
	done(a);
	done(b);
}

/* An adopted lease is offered to its own client only. */
static void
test_adopted_offer(void **st)
{
	(void)st;
	struct th *b = server(1, SRV_B);
	struct snap_lease one = { .ip = IP4(10, 77, 0, 120), .expires_ms = UINT64_MAX / 2 };
	uint8_t all[32], other[6];
	struct snap_hdr *s;
	size_t len;
	unsigned i;

	mac_of(7, one.mac);
	memset(all, 0xff, sizeof(all));
	assert_int_equal(snap_with_lb(b->snap, all, &one, 1, &s, &len), 0);
	free(b->snap);
	b->snap = s;
	assert_int_equal(th_discover(b, one.mac, 0x77), DHCP_REPLY);
	assert_int_equal(yiaddr(b), IP4(10, 77, 0, 120));
	assert_int_equal(th_ctr(b, BS_CTR_DHCP_LB_ADOPTED), 1);
	for (i = 100; i < 140; i++) { /* nobody else gets A's slice */
		mac_of(i, other);
		assert_int_equal(th_discover(b, other, 0x77), DHCP_REPLY);
		assert_true(yiaddr(b) >= IP4(10, 77, 0, 150));
	}
	done(b);
}

/* ---- RFC 3074 section 6: the secs override ---- */

/* A broadcast DISCOVER whose secs field (RFC 2131 section 2, offset 8)
 * says the client has been trying for `secs` seconds; req_ip != 0 adds a
 * requested address (option 50). */
static int
discover_secs(struct th *h, const uint8_t mac[6], uint16_t secs, uint32_t req_ip)
{
	struct pk p;
	pk_start(&p, DHCP_MT_DISCOVER, mac, 0x79);
	pk_set16(&p, 8, secs);
	if (req_ip)
		pk_opt32(&p, 50, req_ip);
	pk_end(&p);
	return th_send(h, &p, 0, BCAST, 67);
}

/* The i-th MAC (from *i on) whose bucket h does not serve. */
static void
peer_mac(const struct th *h, unsigned *i, uint8_t mac[6])
{
	for (;; (*i)++) {
		mac_of(*i, mac);
		if (!dhcp_lb_bucket_in(h->snap->lb_buckets, dhcp_lb_hash(mac, 6)))
			break;
	}
	(*i)++;
}

static void
test_secs_override(void **st)
{
	(void)st;
	struct th *b = server(1, SRV_B); /* A (slice 0, .100-.149) alive in B's view */
	uint8_t mac[6];
	unsigned i = 0;

	b->snap->lb_secs = 10;
	peer_mac(b, &i, mac);
	/* below the threshold: A's client, dropped and not counted */
	assert_int_equal(discover_secs(b, mac, 0, 0), BS_CTR_DROP_DHCP_LB_NOT_OURS);
	assert_int_equal(discover_secs(b, mac, 9, 0), BS_CTR_DROP_DHCP_LB_NOT_OURS);
	assert_int_equal(th_ctr(b, BS_CTR_DHCP_LB_SECS), 0);
	/* at the threshold: OFFERed from B's own slice, and the REQUEST that
	 * names B is ACKed */
	assert_int_equal(discover_secs(b, mac, 10, 0), DHCP_REPLY);
	assert_int_equal(rp_type(b->txbuf, b->tx.len), DHCP_MT_OFFER);
	uint32_t ip = yiaddr(b);
	assert_true(ip >= IP4(10, 77, 0, 150) && ip <= IP4(10, 77, 0, 199));
	assert_int_equal(th_ctr(b, BS_CTR_DHCP_LB_SECS), 1);
	assert_int_equal(th_request(b, mac, 0x79, ip, SRV_B), DHCP_REPLY);
	assert_int_equal(rp_type(b->txbuf, b->tx.len), DHCP_MT_ACK);
	assert_int_equal(yiaddr(b), ip);
	/* above it, asking for an address of A's slice (the one A gave it):
	 * still B's slice -- only A allocates from A's */
	peer_mac(b, &i, mac);
	assert_int_equal(discover_secs(b, mac, 60000, IP4(10, 77, 0, 101)), DHCP_REPLY);
	assert_true(yiaddr(b) >= IP4(10, 77, 0, 150) && yiaddr(b) <= IP4(10, 77, 0, 199));
	assert_int_not_equal(yiaddr(b), ip);
	assert_int_equal(th_ctr(b, BS_CTR_DHCP_LB_SECS), 2);
	/* INIT-REBOOT for A's address is not overridden (we cannot ACK it) */
	struct pk p;
	pk_start(&p, DHCP_MT_REQUEST, mac, 0x7a);
	pk_set16(&p, 8, 60000);
	pk_opt32(&p, 50, IP4(10, 77, 0, 101));
	pk_end(&p);
	assert_int_equal(th_send(b, &p, 0, BCAST, 67), BS_CTR_DROP_DHCP_LB_NOT_OURS);
	/* off: whatever secs says, A's clients are A's */
	b->snap->lb_secs = 0;
	assert_int_equal(discover_secs(b, mac, 65535, 0), BS_CTR_DROP_DHCP_LB_NOT_OURS);
	assert_int_equal(th_ctr(b, BS_CTR_DHCP_LB_SECS), 2);
	done(b);
}

/* A lease B remembers in A's slice (B bound it while A was dead; A has
 * since returned and may have given that address to someone else once it
 * expired): the override still offers from B's own slice. */
static void
test_secs_override_own_slice_only(void **st)
{
	(void)st;
	struct th *b = server(1, SRV_B);
	struct snap_lease one = { .ip = IP4(10, 77, 0, 120), .expires_ms = UINT64_MAX / 2 };
	uint8_t all[32], own[32];
	struct snap_hdr *s;
	size_t len;
	unsigned i = 0;

	peer_mac(b, &i, one.mac);
	memset(all, 0xff, sizeof(all)); /* A dead: B serves every bucket */
	assert_int_equal(snap_with_lb(b->snap, all, &one, 1, &s, &len), 0);
	free(b->snap);
	b->snap = s;
	assert_int_equal(th_discover(b, one.mac, 0x77), DHCP_REPLY);
	assert_int_equal(th_request(b, one.mac, 0x77, IP4(10, 77, 0, 120), SRV_B), DHCP_REPLY);
	assert_int_equal(rp_type(b->txbuf, b->tx.len), DHCP_MT_ACK);
	/* A back, the lease long expired, the database out of reach */
	snap_lb_assign(2, NULL, 1, own);
	memcpy(b->snap->lb_buckets, own, sizeof(own));
	b->snap->adopted.count = 0;
	b->snap->lb_secs = 10;
	b->now += 30ull * 86400 * 1000;
	assert_int_equal(discover_secs(b, one.mac, 10, 0), DHCP_REPLY);
	assert_true(yiaddr(b) >= IP4(10, 77, 0, 150) && yiaddr(b) <= IP4(10, 77, 0, 199));
	done(b);
}

#define SECS_YAML(extra)                                                                 \
	"server: {name: s2, ip: 10.77.0.2/24}\n"                                          \
	"fleet: {enabled: true, database: 'dbname=x', peers: [s1, s2]" extra "}\n"

static void
test_secs_override_config(void **st)
{
	(void)st;
	static const char dflt[] = SECS_YAML("");
	static const char off[] = SECS_YAML(", lb_secs_override: 0");
	static const char big[] = SECS_YAML(", lb_secs_override: 65536s");
	struct cfg_errs e = { 0 };
	struct snap_hdr *s;
	size_t len;
	struct cfg *c = cfg_load_mem("f.yaml", dflt, sizeof(dflt) - 1, &e);

	assert_non_null(c);
	assert_int_equal(snap_build(c, 1, &s, &len), 0);
	assert_int_equal(s->lb_secs, 10); /* the default */
	free(s);
	cfg_free(c);
	c = cfg_load_mem("f.yaml", off, sizeof(off) - 1, &e);
	assert_non_null(c);
	assert_int_equal(snap_build(c, 1, &s, &len), 0);
	assert_int_equal(s->lb_secs, 0);
	free(s);
	cfg_free(c);
	assert_null(cfg_load_mem("f.yaml", big, sizeof(big) - 1, &e)); /* secs is 16 bits */
	assert_int_equal(e.n, 1);
	assert_int_equal(e.v[0].loc.line, 2);
	cfg_errs_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_known_answers),
		cmocka_unit_test(test_hash_table_is_permutation),
		cmocka_unit_test(test_hash_spreads_sequential_macs),
		cmocka_unit_test(test_assign_all_alive_and_takeover),
		cmocka_unit_test(test_pool_part),
		cmocka_unit_test(test_peers_config),
		cmocka_unit_test(test_two_servers_failover_and_return),
		cmocka_unit_test(test_adopted_offer),
		cmocka_unit_test(test_cid_of_chaddr_is_chaddr),
		cmocka_unit_test(test_secs_override),
		cmocka_unit_test(test_secs_override_own_slice_only),
		cmocka_unit_test(test_secs_override_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
