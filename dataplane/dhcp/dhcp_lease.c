/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Address selection and lease state for the DHCP engine.
 *
 * Who gets what (RFC 2131 4.3.1 "choosing a network address"):
 *   1. an inventory reservation (node by MAC, or by option 61 when the node
 *      names a client id) -- never capped, never counted as dynamic;
 *   2. the client's current or previous lease in this subnet (same MAC),
 *      even after it expired or was released;
 *   3. the address it asks for (option 50) when that is free in a pool;
 *   4. the first free address of the subnet's pools (rotating cursor), and
 *      only when none is left, an address another client let lapse;
 *   5. when the pools or the caps are exhausted, the address that has been
 *      quarantined (DHCPDECLINE) longest.
 * Dynamic leases are capped per subnet (max_dynamic) and globally so that a
 * flood of random MACs exhausts the caps, not the reservations.  Quarantined
 * addresses count against the caps like bound ones: a DECLINE does not give
 * the decliner its cap share back (issue 15 item 6: DORA + DECLINE from
 * fresh MACs quarantined whole pools past max_dynamic), and step 5 keeps a
 * pool full of quarantine from locking real clients out.
 *
 * Every dynamic change the client relies on (GRANT, RENEW, RELEASE,
 * DECLINE, EXPIRE) is emitted as a lease_event before the table changes; if
 * the ring refuses it, nothing changes and the caller does not reply.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "util/bs_hash.h"
#include "dataplane/dhcp/dhcp_int.h"
#include "dataplane/dhcp/dhcp_lb.h"

static struct lease *
slot_at(struct lease_table *t, uint32_t i)
{
	return (struct lease *)((uint8_t *)t + t->slots_off) + i;
}

static bool
is_active(uint8_t state)
{
	return state == LEASE_OFFERED || state == LEASE_BOUND;
}

bool
dhcp_lease_counted(const struct snap_hdr *snap, const struct lease *l)
{
	return (is_active(l->state) || l->state == LEASE_DECLINED) && !snap_find_ip(snap, l->ip);
}

static void
count_adj(struct dhcp_engine *e, const struct snap_hdr *snap, uint32_t ip, int d, int dd)
{
	uint32_t s = snap_subnet_of(snap, ip);
	if (d > 0) {
		e->dyn_total++;
		if (s < DHCP_MAX_SUBNETS)
			e->dyn_sub[s]++;
	} else if (d < 0) {
		if (e->dyn_total)
			e->dyn_total--;
		if (s < DHCP_MAX_SUBNETS && e->dyn_sub[s])
			e->dyn_sub[s]--;
	}
	if (s < DHCP_MAX_SUBNETS && dd > 0)
		e->declined_sub[s]++;
	else if (s < DHCP_MAX_SUBNETS && dd < 0 && e->declined_sub[s])
		e->declined_sub[s]--;
}

static bool
counted_declined(const struct snap_hdr *snap, const struct lease *l)
{
	return l->state == LEASE_DECLINED && dhcp_lease_counted(snap, l);
}

/* lease_update() plus the dynamic counts. */
static void
set_lease(struct dhcp_engine *e, const struct snap_hdr *snap, struct lease *l, uint8_t state,
	  const uint8_t mac_in[6], uint64_t expires, uint64_t now)
{
	uint8_t mac[6];
	memcpy(mac, mac_in, 6); /* mac_in may be l->mac itself */
	bool was = dhcp_lease_counted(snap, l), was_d = counted_declined(snap, l);
	lease_update(e->env.leases, l, state, mac, expires, now);
	bool is = dhcp_lease_counted(snap, l), is_d = counted_declined(snap, l);
	count_adj(e, snap, l->ip, (int)is - (int)was, (int)is_d - (int)was_d);
}

/* ---- client-id index: nodes that are matched by option 61 ---- */

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* "01:52:54:00:..", "01-52-..", "015254.." -> bytes; -1 if not hex. */
static int
cid_decode(const char *s, uint8_t out[DHCP_CID_MAX])
{
	int n = 0, hi = -1;
	for (; *s; s++) {
		if (*s == ':' || *s == '-' || *s == ' ' || *s == '.')
			continue;
		int v = hexval(*s);
		if (v < 0)
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= DHCP_CID_MAX)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? n : -1;
}

static uint32_t
cid_hash(const uint8_t *p, size_t n)
{
	return bs_fnv1a32(p, n);
}

static bool
cid_equal(const struct snap_hdr *snap, const struct snap_node *n, const uint8_t *cid, size_t len)
{
	uint8_t want[DHCP_CID_MAX];
	int k = cid_decode(snap_str(snap, n->client_id), want);
	return k > 0 && (size_t)k == len && memcmp(want, cid, len) == 0;
}

static void
cid_rebuild(struct dhcp_engine *e, const struct snap_hdr *snap)
{
	uint32_t used = 0;
	for (uint32_t i = 0; i < DHCP_CID_SLOTS; i++)
		e->cid_idx[i] = SNAP_NONE;
	for (uint32_t i = 0; i < snap->nodes.count && used < DHCP_CID_SLOTS / 2; i++) {
		const struct snap_node *n = snap_node(snap, i);
		uint8_t b[DHCP_CID_MAX];
		int k = n->client_id ? cid_decode(snap_str(snap, n->client_id), b) : -1;
		if (k <= 0)
			continue;
		uint32_t h = cid_hash(b, (size_t)k) & (DHCP_CID_SLOTS - 1);
		while (e->cid_idx[h] != SNAP_NONE)
			h = (h + 1) & (DHCP_CID_SLOTS - 1);
		e->cid_idx[h] = i;
		used++;
	}
}

const struct snap_node *
dhcp_find_node(struct dhcp_engine *e, const struct snap_hdr *snap, const struct dhcp_msg *m)
{
	size_t len = 0;
	const uint8_t *cid = dhcp_opt_get(m->o, DHCP_OPT_CLIENT_ID, &len);
	const struct snap_node *n = snap_find_mac(snap, m->chaddr);

	if (n && n->client_id == 0)
		return n;
	/* A node that names a client id is matched by it, not by MAC. */
	if (n && cid && cid_equal(snap, n, cid, len))
		return n;
	if (!cid || len > DHCP_CID_MAX)
		return NULL;
	for (uint32_t h = cid_hash(cid, len) & (DHCP_CID_SLOTS - 1), i = 0; i < DHCP_CID_SLOTS;
	     i++, h = (h + 1) & (DHCP_CID_SLOTS - 1)) {
		uint32_t k = e->cid_idx[h];
		if (k == SNAP_NONE)
			return NULL;
		const struct snap_node *c = snap_node(snap, k);
		if (c && cid_equal(snap, c, cid, len))
			return c;
	}
	return NULL;
}

/* ---- derived state, rebuilt once per snapshot generation ---- */

static void
recount(struct dhcp_engine *e, const struct snap_hdr *snap)
{
	struct lease_table *t = e->env.leases;
	uint32_t used = atomic_load_explicit(&t->used, memory_order_relaxed);

	e->dyn_total = 0;
	memset(e->dyn_sub, 0, sizeof(e->dyn_sub));
	memset(e->declined_sub, 0, sizeof(e->declined_sub));
	for (uint32_t i = 0; i < used && i < t->cap; i++) {
		struct lease *l = slot_at(t, i);
		if (dhcp_lease_counted(snap, l))
			count_adj(e, snap, l->ip, 1, counted_declined(snap, l));
	}
}

void
dhcp_lease_sync(struct dhcp_engine *e, const struct snap_hdr *snap)
{
	/* A republish that changed node boot fields only keeps base_gen
	 * (shm/snap.h): the client-id index and counts stay valid, so a
	 * storm of installer reports costs no rebuild here. */
	uint64_t base = snap->base_gen ? snap->base_gen : snap->gen;
	if (base == e->gen)
		return;
	cid_rebuild(e, snap);
	recount(e, snap);
	memset(e->pool_cursor, 0, sizeof(e->pool_cursor));
	e->tick_cursor = 0;
	e->gen = base;
}

/* ---- address selection ---- */

bool
dhcp_ip_in_pools(const struct snap_hdr *snap, uint32_t sub_idx, uint32_t ip)
{
	const struct snap_subnet *sn = snap_subnet(snap, sub_idx);
	if (!sn)
		return false;
	for (uint32_t i = 0; i < sn->n_pools; i++) {
		const struct snap_pool *p = snap_pool(snap, sn->first_pool + i);
		if (p && ip >= p->lo && ip <= p->hi)
			return true;
	}
	return false;
}

/* An address the pool may hand out at all: inside a pool of the subnet,
 * not reserved, not the server, not the subnet's network or broadcast. */
static bool
ip_dynamic_ok(const struct dhcp_ctx *c, uint32_t ip)
{
	const struct snap_subnet *sn = c->sub;
	if (!sn || ip == c->snap->server_ip || ip == sn->net || ip == (sn->net | ~sn->mask))
		return false;
	return dhcp_ip_in_pools(c->snap, c->sub_idx, ip) && !snap_find_ip(c->snap, ip);
}

static bool
same_client(const struct lease *l, const uint8_t mac[6])
{
	return memcmp(l->mac, mac, 6) == 0 && l->state != LEASE_DECLINED;
}

static bool
free_for_anyone(const struct lease *l, uint64_t now)
{
	return !l || l->state == LEASE_FREE || (l->state == LEASE_OFFERED && l->expires_ms <= now);
}

/* Caps apply whenever a client would add a dynamic lease. */
static int
caps_check(const struct dhcp_ctx *c)
{
	const struct dhcp_engine *e = c->e;
	uint32_t cap = c->sub->max_dynamic;
	if (cap && c->sub_idx < DHCP_MAX_SUBNETS && e->dyn_sub[c->sub_idx] >= cap)
		return BS_CTR_DROP_DHCP_SUBNET_CAP;
	if (c->snap->max_dynamic && e->dyn_total >= c->snap->max_dynamic)
		return BS_CTR_DROP_DHCP_GLOBAL_CAP;
	return 0;
}

/* Step 4: first free address after the pool's cursor; an address another
 * client let lapse only when nothing else is left. */
static bool
scan_pools(struct dhcp_ctx *c, uint64_t now, uint32_t *ip)
{
	struct lease_table *t = c->e->env.leases;
	uint32_t budget = DHCP_SCAN_MAX, lapsed = 0;
	bool have_lapsed = false;

	for (uint32_t k = 0; k < c->sub->n_pools && budget; k++) {
		uint32_t pi = c->sub->first_pool + k;
		const struct snap_pool *p = snap_pool(c->snap, pi);
		uint32_t lo, hi; /* our slice in a fleet (dhcp_lb.h), else the pool */
		if (!p || !dhcp_lb_pool_part(c->snap, p, &lo, &hi))
			continue;
		uint64_t size = (uint64_t)hi - lo + 1;
		uint32_t *cursor = pi < DHCP_MAX_POOLS ? &c->e->pool_cursor[pi] : NULL;
		uint64_t start = cursor ? *cursor % size : 0;
		for (uint64_t i = 0; i < size && budget; i++, budget--) {
			uint32_t cand = lo + (uint32_t)((start + i) % size);
			if (!ip_dynamic_ok(c, cand))
				continue;
			struct lease *l = lease_by_ip(t, cand);
			if (free_for_anyone(l, now)) {
				if (cursor)
					*cursor = (uint32_t)((start + i + 1) % size);
				*ip = cand;
				return true;
			}
			if (!have_lapsed && (l->state == LEASE_EXPIRED || l->state == LEASE_RELEASED)) {
				have_lapsed = true;
				lapsed = cand;
			}
		}
	}
	if (have_lapsed)
		*ip = lapsed;
	return have_lapsed;
}

/* Step 5: the subnet's address quarantined longest (earliest end of
 * quarantine), when there is one.  Taking it over keeps the dynamic counts
 * as they are (DECLINED and OFFERED both count), so it is allowed at the
 * caps too.  RFC 2131 4.3.3 only asks that a declined address be marked
 * unavailable; a client that finds it still in use declines it again. */
static bool
reuse_declined(struct dhcp_ctx *c, uint32_t *ip)
{
	struct lease_table *t = c->e->env.leases;
	uint32_t budget = DHCP_SCAN_MAX, best = 0;
	uint64_t best_end = UINT64_MAX;

	if (c->sub_idx >= DHCP_MAX_SUBNETS || c->e->declined_sub[c->sub_idx] == 0)
		return false;
	for (uint32_t k = 0; k < c->sub->n_pools && budget; k++) {
		const struct snap_pool *p = snap_pool(c->snap, c->sub->first_pool + k);
		if (!p || p->hi < p->lo)
			continue;
		for (uint64_t a = p->lo; a <= p->hi && budget; a++, budget--) {
			struct lease *l = lease_by_ip(t, (uint32_t)a);
			if (l && l->state == LEASE_DECLINED && l->expires_ms < best_end &&
			    ip_dynamic_ok(c, (uint32_t)a)) {
				best = (uint32_t)a;
				best_end = l->expires_ms;
			}
		}
	}
	if (best_end == UINT64_MAX)
		return false;
	bs_ctr_inc(c->e->env.ctr, BS_CTR_DHCP_DECLINED_REUSED);
	*ip = best;
	return true;
}

int
dhcp_lease_pick(struct dhcp_ctx *c, uint64_t now, uint32_t *ip)
{
	struct lease_table *t = c->e->env.leases;
	const uint8_t *mac = c->m->chaddr;
	struct lease *l = lease_by_mac(t, mac);
	int rc;

	/* Steps 2: the client's own lease, live or remembered. */
	if (l && same_client(l, mac) && ip_dynamic_ok(c, l->ip) &&
	    (!c->lb_override || dhcp_lb_mine(c, l->ip))) {
		if (!is_active(l->state) && (rc = caps_check(c)) != 0)
			return rc;
		*ip = l->ip;
		return 0;
	}
	rc = caps_check(c);
	if (rc)
		return reuse_declined(c, ip) ? 0 : rc;
	/* Step 2 for a client of a dead fleet peer: the lease it holds there
	 * (dhcp_lb.h), which only this client may have. */
	if (dhcp_lb_adopted_ip(c, ip) && ip_dynamic_ok(c, *ip)) {
		struct lease *a = lease_by_ip(t, *ip);
		if (free_for_anyone(a, now) || same_client(a, mac)) {
			bs_ctr_inc(c->e->env.ctr, BS_CTR_DHCP_LB_ADOPTED);
			return 0;
		}
	}
	/* Step 3: RFC 2131 4.3.1 -- the requested address if it is valid and
	 * not allocated (and, in a fleet, in our slice of the pools). */
	if (c->m->has_req_ip && ip_dynamic_ok(c, c->m->req_ip) && dhcp_lb_mine(c, c->m->req_ip)) {
		struct lease *r = lease_by_ip(t, c->m->req_ip);
		if (free_for_anyone(r, now) || same_client(r, mac)) {
			*ip = c->m->req_ip;
			return 0;
		}
	}
	if (scan_pools(c, now, ip) || reuse_declined(c, ip))
		return 0;
	return BS_CTR_DROP_DHCP_POOL_EXHAUSTED;
}

int
dhcp_lease_offer(struct dhcp_ctx *c, uint32_t ip, uint64_t now)
{
	struct lease *l = lease_get_or_add(c->e->env.leases, ip);
	if (!l)
		return BS_CTR_DROP_DHCP_TABLE_FULL;
	/* A bound client that DISCOVERs again keeps its binding: the OFFER
	 * repeats it (RFC 2131 4.3.1: its current address). */
	if (l->state == LEASE_BOUND && same_client(l, c->m->chaddr) && l->expires_ms > now)
		return 0;
	set_lease(c->e, c->snap, l, LEASE_OFFERED, c->m->chaddr,
		  now + (uint64_t)c->snap->offer_hold_s * 1000, now);
	return 0;
}

void
dhcp_lease_unoffer(struct dhcp_ctx *c, uint64_t now)
{
	struct lease *l = lease_by_mac(c->e->env.leases, c->m->chaddr);
	if (l && l->state == LEASE_OFFERED && same_client(l, c->m->chaddr))
		set_lease(c->e, c->snap, l, LEASE_FREE, c->m->chaddr, 0, now);
}

/* ---- events ---- */

/* Hostname for the journal: option 12 reduced to [A-Za-z0-9.-_], so what
 * control logs and shows is never a client's control characters. */
static void
sanitize_host(const uint8_t *v, size_t n, char out[32])
{
	size_t k = 0;
	for (size_t i = 0; v && i < n && k < 31; i++) {
		uint8_t ch = v[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '.' || ch == '_')
			out[k++] = (char)ch;
	}
	out[k] = '\0';
}

struct ev_who {
	const uint8_t *mac;
	const uint8_t *cid;
	size_t cid_len;
	const uint8_t *host;
	size_t host_len;
};

/* Emits one event and, only if the ring took it, applies it to the table.
 * Returns 0 (seq in *seq) or -ENOBUFS. */
static int
emit_apply(struct dhcp_engine *e, const struct snap_hdr *snap, struct lease *l, uint8_t kind,
	   uint8_t state, const struct ev_who *who, uint64_t expires, uint64_t now, uint64_t *seq)
{
	struct lease_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.seq = lease_next_seq(e->env.leases);
	ev.expires_ms = expires;
	ev.ts_ms = now;
	ev.ip = l->ip;
	memcpy(ev.mac, who->mac, 6);
	ev.kind = kind;
	ev.client_id_len = (uint8_t)(who->cid_len > sizeof(ev.client_id) ? sizeof(ev.client_id) :
									     who->cid_len);
	if (who->cid && ev.client_id_len)
		memcpy(ev.client_id, who->cid, ev.client_id_len);
	sanitize_host(who->host, who->host_len, ev.hostname);
	/* A refused event leaves a gap in seq: harmless, durable_seq only
	 * ever compares >=. */
	if (e->env.emit_lease && e->env.emit_lease(e->env.ctx, &ev) != 0)
		return -ENOBUFS;
	set_lease(e, snap, l, state, who->mac, expires, now);
	if (kind == LEASE_EV_GRANT || kind == LEASE_EV_RENEW)
		lease_set_info(l, ev.client_id, ev.client_id_len, ev.hostname);
	/* The slot names its event: a control killed after taking the event
	 * from the ring but before writing it leaves a gap in the journal that
	 * its successor can only see here (journal_reconcile re-journals slots
	 * whose seq is above the durable one).  Without it, the successor's
	 * next fsync raises durable_seq past the gap and releases the held
	 * ACK of a lease that is on no disk. */
	lease_set_seq(l, ev.seq);
	*seq = ev.seq;
	return 0;
}

static void
who_from_msg(const struct dhcp_ctx *c, struct ev_who *w)
{
	w->mac = c->m->chaddr;
	w->cid = dhcp_opt_get(c->m->o, DHCP_OPT_CLIENT_ID, &w->cid_len);
	w->host = dhcp_opt_get(c->m->o, DHCP_OPT_HOSTNAME, &w->host_len);
	if (!w->cid)
		w->cid_len = 0;
	if (!w->host)
		w->host_len = 0;
}

int
dhcp_lease_event(struct dhcp_ctx *c, struct lease *l, uint8_t kind, uint8_t state,
		 uint64_t expires, uint64_t now)
{
	struct ev_who who;
	uint64_t seq;
	who_from_msg(c, &who);
	return emit_apply(c->e, c->snap, l, kind, state, &who, expires, now, &seq);
}

int
dhcp_lease_commit(struct dhcp_ctx *c, uint32_t ip, uint32_t lease_s, uint64_t now,
		  uint64_t *wait_seq)
{
	struct lease_table *t = c->e->env.leases;
	const uint8_t *mac = c->m->chaddr;
	bool reserved = c->node && c->node->has_ip && c->node->ip == ip;
	struct lease *l = lease_get_or_add(t, ip);
	struct ev_who who;
	uint64_t seq = 0, expires = now + (uint64_t)lease_s * 1000;
	int rc;

	*wait_seq = 0;
	if (!l) /* a reservation needs no slot to be valid */
		return reserved ? 0 : BS_CTR_DROP_DHCP_TABLE_FULL;
	if (!reserved) {
		/* RFC 2131 4.3.2: ACK only an address that is this client's
		 * or free; anything else is the caller's NAK. */
		if (!same_client(l, mac) && !free_for_anyone(l, now))
			return -EACCES;
		if (!dhcp_lease_counted(c->snap, l)) {
			rc = caps_check(c);
			if (rc)
				return rc;
		}
	}
	uint8_t kind = l->state == LEASE_BOUND && same_client(l, mac) ? LEASE_EV_RENEW :
									 LEASE_EV_GRANT;
	who_from_msg(c, &who);
	if (emit_apply(c->e, c->snap, l, kind, LEASE_BOUND, &who, expires, now, &seq) != 0) {
		if (!reserved)
			return BS_CTR_DROP_DHCP_EMIT_FULL;
		/* Reservations are not waited on: control learns of the
		 * binding at the next change; the client is served now. */
		bs_ctr_inc(c->e->env.ctr, BS_CTR_DHCP_RESV_EMIT_FAIL);
		set_lease(c->e, c->snap, l, LEASE_BOUND, mac, expires, now);
		return 0;
	}
	*wait_seq = reserved ? 0 : seq;
	return 0;
}

/* ---- housekeeping ---- */

static bool
tick_slot(struct dhcp_engine *e, const struct snap_hdr *snap, struct lease *l, uint64_t now)
{
	static const uint8_t zero[6];
	uint64_t seq;

	if (l->expires_ms > now)
		return true;
	switch (l->state) {
	case LEASE_OFFERED:
		set_lease(e, snap, l, LEASE_FREE, l->mac, 0, now);
		bs_ctr_inc(e->env.ctr, BS_CTR_DHCP_OFFER_EXPIRED);
		return true;
	case LEASE_BOUND: {
		/* The address stays remembered for the same client. */
		uint8_t mac[6];
		memcpy(mac, l->mac, 6);
		struct ev_who who = { .mac = mac, .cid = l->client_id, .cid_len = l->client_id_len };
		if (emit_apply(e, snap, l, LEASE_EV_EXPIRE, LEASE_EXPIRED, &who, l->expires_ms, now,
			       &seq) != 0)
			return false; /* ring full: retry this slot next tick */
		bs_ctr_inc(e->env.ctr, BS_CTR_DHCP_LEASE_EXPIRED);
		return true;
	}
	case LEASE_DECLINED:
		/* Quarantine over: back to the pool, owned by nobody. */
		set_lease(e, snap, l, LEASE_FREE, zero, 0, now);
		bs_ctr_inc(e->env.ctr, BS_CTR_DHCP_DECLINE_ENDED);
		return true;
	default:
		return true;
	}
}

void
dhcp_lease_tick(struct dhcp_engine *e, const struct snap_hdr *snap, uint64_t now)
{
	struct lease_table *t = e->env.leases;
	uint32_t used = atomic_load_explicit(&t->used, memory_order_relaxed);

	if (used == 0)
		return;
	for (uint32_t n = 0; n < DHCP_TICK_BATCH && n < used; n++) {
		if (e->tick_cursor >= used)
			e->tick_cursor = 0;
		if (!tick_slot(e, snap, slot_at(t, e->tick_cursor), now))
			return;
		e->tick_cursor++;
	}
}
