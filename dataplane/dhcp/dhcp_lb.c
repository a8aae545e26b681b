/* SPDX-License-Identifier: BSD-3-Clause
 *
 * RFC 3074 load balancing and pool slicing (dhcp_lb.h), and the engine's
 * hooks into them (dhcp_int.h).
 *
 * Which messages the bucket test applies to (RFC 3074 section 5: a server
 * "MUST NOT respond to DHCPDISCOVER/DHCPREQUEST ... unless the hash bucket
 * is in its service hash bucket set"): DHCPDISCOVER, and DHCPREQUEST in
 * INIT-REBOOT and REBINDING (broadcast, no server identifier).  Not tested:
 *   - a REQUEST naming a server identifier (SELECTING): it answers an OFFER
 *     of exactly one server; on_request() keeps "not for us" silent;
 *   - RENEWING (unicast to our address): the client talks to the server
 *     that bound it (RFC 2131 4.4.5), which is us;
 *   - a REQUEST of a client holding a live lease here: a survivor keeps
 *     answering the leases it granted for a returned peer's buckets until
 *     they expire, so a returning server causes no NAKs and no renumbering.
 * Proxy DHCP and port 4011 hand out no addresses and are not split.
 * Inventory nodes with reservations are split like everyone else: every
 * server of the segment gives them the same answer, so nothing is gained
 * by answering twice.  Liveness comes from the database
 * (control/fleet/fleet_live.c); RFC 3074 section 6's secs override
 * (fleet.lb_secs_override, snap lb_secs) is the fallback when it cannot
 * tell: a DISCOVER of a peer's bucket that has waited lb_secs or more is
 * answered from our own slice (dhcp_lb_check).
 */
#include <string.h>

#include "dataplane/dhcp/dhcp_int.h"
#include "dataplane/dhcp/dhcp_lb.h"
#include "dataplane/dhcp/dhcp_opts.h"
#include "dataplane/dhcp/dhcp_wire.h"
#include "shm/counters.h"
#include "shm/leases.h"

/* RFC 3074 section 6: "A 'mixing table' of 256 distinct values, in
 * pseudo-random order" -- the RFC's table, value for value; the hash is
 * only interoperable (a relay or a peer computing the same bucket) with
 * exactly this table.  tests/unit/test_dhcp_lb.c checks it is a
 * permutation and checks known answers. */
static const uint8_t mix[256] = {
	251, 175, 119, 215,  81,  14,  79, 191, 103,  49, 181, 143, 186, 157,   0, 232,
	 31,  32,  55,  60, 152,  58,  17, 237, 174,  70, 160, 144, 220,  90,  57, 223,
	 59,   3,  18, 140, 111, 166, 203, 196, 134, 243, 124,  95, 222, 179, 197,  65,
	180,  48,  36,  15, 107,  46, 233, 130, 165,  30, 123, 161, 209,  23,  97,  16,
	 40,  91, 219,  61, 100,  10, 210, 109, 250, 127,  22, 138,  29, 108, 244,  67,
	207,   9, 178, 204,  74,  98, 126, 249, 167, 116,  34,  77, 193, 200, 121,   5,
	 20, 113,  71,  35, 128,  13, 182,  94,  25, 226, 227, 199,  75,  27,  41, 245,
	230, 224,  43, 225, 177,  26, 155, 150, 212, 142, 218, 115, 241,  73,  88, 105,
	 39, 114,  62, 255, 192, 201, 145, 214, 168, 158, 221, 148, 154, 122,  12,  84,
	 82, 163,  44, 139, 228, 236, 205, 242, 217,  11, 187, 146, 159,  64,  86, 239,
	195,  42, 106, 198, 118, 112, 184, 172,  87,   2, 173, 117, 176, 229, 247, 253,
	137, 185,  99, 164, 102, 147,  45,  66, 231,  52, 141, 211, 194, 206, 246, 238,
	 56, 110,  78, 248,  63, 240, 189,  93,  92,  51,  53, 183,  19, 171,  72,  50,
	 33, 104, 101,  69,   8, 252,  83, 120,  76, 135,  85,  54, 202, 125, 188, 213,
	 96, 235, 136, 208, 162, 129, 190, 132, 156,  38,  47,   1,   7, 254,  24,   4,
	216, 131,  89,  21,  28, 133,  37, 153, 149,  80, 170,  68,   6, 169, 234, 151,
};

uint8_t
dhcp_lb_hash(const uint8_t *key, size_t len)
{
	/* RFC 3074 section 6: hash = len; for (i = len; i > 0;)
	 * hash = table[hash ^ key[--i]] -- the key walked from its end. */
	uint8_t h = (uint8_t)len;
	for (size_t i = len; i > 0;)
		h = mix[h ^ key[--i]];
	return h;
}

bool
dhcp_lb_pool_part(const struct snap_hdr *s, const struct snap_pool *p, uint32_t *lo, uint32_t *hi)
{
	uint64_t size = (uint64_t)p->hi - p->lo + 1, n = s->lb_slices, k = s->lb_slice;

	if (p->hi < p->lo)
		return false;
	if (n <= 1) {
		*lo = p->lo;
		*hi = p->hi;
		return true;
	}
	uint64_t a = size * k / n, b = size * (k + 1) / n; /* [a, b) */
	if (b <= a)
		return false;
	*lo = p->lo + (uint32_t)a;
	*hi = p->lo + (uint32_t)(b - 1);
	return true;
}

const struct snap_lease *
dhcp_lb_adopted(const struct snap_hdr *s, const uint8_t mac[6])
{
	const struct snap_lease *a = snap_at(s, s->adopted.off);
	uint32_t lo = 0, hi = s->adopted.count;

	while (lo < hi) { /* sorted by memcmp of mac: snap_verify checked */
		uint32_t mid = lo + (hi - lo) / 2;
		int d = memcmp(a[mid].mac, mac, 6);
		if (d == 0)
			return &a[mid];
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- engine hooks ---- */

/* RFC 3074 section 5: "the client identifier option if present, else the
 * chaddr field" (hlen bytes of it) is the hash key.  One exception: a
 * client identifier that is only the hardware type and chaddr (RFC 2132
 * section 9.14's usual form, type 1 + MAC: iPXE and udhcpc send it, PXE
 * ROMs and dhclient send none) names the same client as chaddr, and
 * bootstorm keys leases by chaddr; it is hashed as chaddr, so one
 * machine's boot stages (ROM, iPXE, installer) land in one bucket (one
 * server, one address) and the fleet campaign agent's claim, the MAC's
 * bucket, names the server that answers it.  Every peer is a bootstorm
 * server, so all of them agree. */
static uint8_t
client_bucket(const struct dhcp_msg *m)
{
	size_t len = 0, hl = m->hlen < 16 ? m->hlen : 16;
	const uint8_t *cid = dhcp_opt_get(m->o, DHCP_OPT_CLIENT_ID, &len);

	if (cid && !(len == hl + 1 && cid[0] == m->htype && memcmp(cid + 1, m->chaddr, hl) == 0))
		return dhcp_lb_hash(cid, len);
	return dhcp_lb_hash(m->chaddr, hl);
}

static bool
holds_live_lease(const struct dhcp_ctx *c)
{
	const struct lease *l = lease_by_mac(c->e->env.leases, c->m->chaddr);
	return l && l->state == LEASE_BOUND && memcmp(l->mac, c->m->chaddr, 6) == 0 &&
	       l->expires_ms > c->rx->now_ms;
}

int
dhcp_lb_check(struct dhcp_ctx *c)
{
	const struct dhcp_msg *m = c->m;

	if (c->snap->lb_slices <= 1)
		return 0;
	if (m->type != DHCP_MT_DISCOVER && m->type != DHCP_MT_REQUEST)
		return 0;
	if (m->type == DHCP_MT_REQUEST &&
	    (m->has_server_id || (m->ciaddr && c->rx->dst_ip == c->snap->server_ip)))
		return 0; /* SELECTING, RENEWING: addressed to one server */
	if (dhcp_lb_bucket_in(c->snap->lb_buckets, client_bucket(m)))
		return 0;
	/* RFC 3074 section 6: a server MAY answer a client outside its hash
	 * bucket set whose secs field has reached the Service Delay (SD,
	 * section 2.2) -- a client that waited that long has probably lost its
	 * server.  Only a DISCOVER: it is offered an address of our own slice
	 * (dhcp_lease.c allocates from nothing else; a requested address of a
	 * peer's slice is not granted, nor a lease of this client remembered
 * here in a peer's slice: lb_override), so servers that both answer never
	 * offer one address twice, and the REQUEST that follows names our
	 * server id (SELECTING, not tested above).  A broadcast REQUEST
	 * (INIT-REBOOT, REBINDING) names an address of the peer's slice we
	 * cannot ACK; it stays dropped and its client falls back to DISCOVER. */
	if (m->type == DHCP_MT_DISCOVER && c->snap->lb_secs && m->secs >= c->snap->lb_secs) {
		bs_ctr_inc(c->e->env.ctr, BS_CTR_DHCP_LB_SECS);
		c->lb_override = true; /* dhcp_lease_pick: our slice only */
		return 0;
	}
	if (m->type == DHCP_MT_REQUEST && holds_live_lease(c)) {
		bs_ctr_inc(c->e->env.ctr, BS_CTR_DHCP_LB_KEPT);
		return 0;
	}
	return BS_CTR_DROP_DHCP_LB_NOT_OURS;
}

bool
dhcp_lb_mine(const struct dhcp_ctx *c, uint32_t ip)
{
	uint32_t lo, hi;

	if (c->snap->lb_slices <= 1)
		return true;
	for (uint32_t k = 0; c->sub && k < c->sub->n_pools; k++) {
		const struct snap_pool *p = snap_pool(c->snap, c->sub->first_pool + k);
		if (p && dhcp_lb_pool_part(c->snap, p, &lo, &hi) && ip >= lo && ip <= hi)
			return true;
	}
	return false;
}

bool
dhcp_lb_adopted_ip(const struct dhcp_ctx *c, uint32_t *ip)
{
	const struct snap_lease *a;

	/* callers check the address is in the client's subnet's pools */
	if (c->snap->adopted.count == 0 || !(a = dhcp_lb_adopted(c->snap, c->m->chaddr)) ||
	    a->expires_ms <= c->rx->now_ms)
		return false;
	*ip = a->ip;
	return true;
}
