/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The DHCP engine's state machine: one function per message type, each
 * deciding per RFC 2131 4.3 and handing address work to dhcp_lease.c,
 * boot selection to dhcp_pxe.c and the wire format to dhcp_reply.c.
 * Addressing of replies follows RFC 2131 4.1.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/dhcp/dhcp_int.h"

struct dhcp_engine *
dhcp_engine_new(const struct dhcp_env *env)
{
	if (!env || !env->leases || !env->ctr)
		return NULL;
	struct dhcp_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->env = *env;
	return e;
}

void
dhcp_engine_free(struct dhcp_engine *e)
{
	free(e);
}

static void
inc(const struct dhcp_ctx *c, enum bs_ctr id)
{
	bs_ctr_inc(c->e->env.ctr, id);
}

/* RFC 2131 4.1, "If the 'giaddr' field ... is nonzero" and on: where the
 * reply goes. */
static void
address_reply(const struct dhcp_ctx *c, uint8_t type, uint32_t yiaddr)
{
	static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const struct dhcp_msg *m = c->m;
	const struct dhcp_rx *rx = c->rx;
	struct dhcp_tx *tx = c->tx;

	tx->src_ip = c->snap->server_ip;
	tx->src_port = DHCP_SERVER_PORT;
	if (rx->dst_port == DHCP_PXE_PORT) {
		/* PXE spec 2.2.6: the boot server answers where the request
		 * came from (client port 4011 or 68, already configured). */
		tx->src_port = DHCP_PXE_PORT;
		tx->dst_ip = rx->src_ip;
		tx->dst_port = rx->src_port;
		memcpy(tx->dst_mac, rx->src_mac, 6);
	} else if (m->giaddr) {
		/* Through the relay agent, to its server port. */
		tx->dst_ip = m->giaddr;
		tx->dst_port = DHCP_SERVER_PORT;
		memcpy(tx->dst_mac, rx->src_mac, 6);
	} else if (type == DHCP_MT_NAK) {
		/* "In all cases, when 'giaddr' is zero, the server broadcasts
		 * any DHCPNAK messages to 0xffffffff." */
		tx->dst_ip = 0xffffffffu;
		tx->dst_port = DHCP_CLIENT_PORT;
		memcpy(tx->dst_mac, bcast_mac, 6);
	} else if (m->ciaddr) {
		/* The client has (and answers ARP for) ciaddr: unicast. */
		tx->dst_ip = m->ciaddr;
		tx->dst_port = DHCP_CLIENT_PORT;
		memcpy(tx->dst_mac, rx->src_mac, 6);
	} else if ((m->flags & DHCP_FLAG_BROADCAST) || yiaddr == 0) {
		tx->dst_ip = 0xffffffffu;
		tx->dst_port = DHCP_CLIENT_PORT;
		memcpy(tx->dst_mac, bcast_mac, 6);
	} else {
		/* Broadcast bit clear (dhclient, udhcpc): unicast to chaddr
		 * and yiaddr without ARP, the client has no address yet. */
		tx->dst_ip = yiaddr;
		tx->dst_port = DHCP_CLIENT_PORT;
		memcpy(tx->dst_mac, m->chaddr, 6);
	}
}

static int
reply(struct dhcp_ctx *c, uint8_t type, uint32_t yiaddr, uint32_t lease_s,
      const struct dhcp_boot *boot)
{
	int rc = dhcp_reply_build(c, type, yiaddr, lease_s, boot);
	if (rc) {
		inc(c, (enum bs_ctr)rc);
		return rc;
	}
	address_reply(c, type, yiaddr);
	inc(c, BS_CTR_DHCP_TX);
	inc(c, type == DHCP_MT_OFFER ? BS_CTR_DHCP_TX_OFFER :
	       type == DHCP_MT_ACK ? BS_CTR_DHCP_TX_ACK : BS_CTR_DHCP_TX_NAK);
	if (c->withheld && type != DHCP_MT_NAK)
		inc(c, c->withheld);
	if (boot && boot->file[0] && type != DHCP_MT_NAK)
		inc(c, c->cls.ipxe ? BS_CTR_DHCP_IPXE_CLIENT :
		       c->cls.http ? BS_CTR_DHCP_HTTP_CLIENT : BS_CTR_DHCP_PXE_CLIENT);
	return DHCP_REPLY;
}

static int
drop(const struct dhcp_ctx *c, int reason)
{
	inc(c, (enum bs_ctr)reason);
	return reason;
}

static int
nak(struct dhcp_ctx *c, enum bs_ctr why)
{
	inc(c, why);
	return reply(c, DHCP_MT_NAK, 0, 0, NULL);
}

/* Boot info for clients that boot from the network; NULL otherwise, and
 * for a node whose boot state withholds it (dhcp_boot_withheld). */
static const struct dhcp_boot *
boot_for(const struct dhcp_ctx *c, struct dhcp_boot *b)
{
	if ((!c->cls.pxe && !c->cls.http && !c->cls.ipxe) || c->withheld)
		return NULL;
	return dhcp_boot_select(c, b) ? b : NULL;
}

static uint32_t
lease_time(const struct dhcp_ctx *c)
{
	return c->sub && c->sub->lease_s ? c->sub->lease_s : 3600;
}

/* The unknown-client policy (config dhcp.unknown_clients). */
static int
policy_check(const struct dhcp_ctx *c)
{
	if (c->node)
		return 0;
	switch (c->snap->unknown_policy) {
	case SNAP_UNKNOWN_ALLOW:
		return 0;
	case SNAP_UNKNOWN_PXE_ONLY:
		return c->cls.pxe || c->cls.http ? 0 : BS_CTR_DROP_DHCP_NOT_PXE;
	default:
		return BS_CTR_DROP_DHCP_UNKNOWN_CLIENT;
	}
}

/* The client's network: the relay's (giaddr), else the one its ciaddr is
 * on, else the server's own (RFC 2131 4.3.1 "the client's subnet"). */
static void
select_subnet(struct dhcp_ctx *c)
{
	const struct dhcp_msg *m = c->m;
	uint32_t key = m->giaddr ? m->giaddr : m->ciaddr ? m->ciaddr : c->snap->server_ip;
	c->sub_idx = snap_subnet_of(c->snap, key);
	c->sub = snap_subnet(c->snap, c->sub_idx);
}

/* dhcp.relays: when configured, a relayed message (giaddr set) is taken
 * only from a listed relay agent, by both its giaddr and its IP source.
 * Unchecked, any LAN host could forge giaddr: RFC 2131 4.1 sends the reply
 * to giaddr (a reflector aimed at any address) and 4.3.1 picks the subnet
 * by it (drawing down another network's pool).  Empty list: any sender, as
 * RFC 2131 assumes (relays usually send from giaddr, but a relay with
 * several interfaces may not: list every address it sends from). */
static bool
relay_untrusted(const struct dhcp_ctx *c)
{
	const struct snap_hdr *s = c->snap;
	uint32_t n = s->n_relays < SNAP_MAX_RELAYS ? s->n_relays : SNAP_MAX_RELAYS;
	bool giaddr_ok = false, src_ok = false;

	if (!c->m->giaddr || n == 0)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		giaddr_ok |= s->relays[i] == c->m->giaddr;
		src_ok |= s->relays[i] == c->rx->src_ip;
	}
	return !giaddr_ok || !src_ok;
}

static bool
has_reservation(const struct dhcp_ctx *c)
{
	return c->node && c->node->has_ip;
}

/* RFC 2131 4.3.1: DHCPDISCOVER -> DHCPOFFER. */
static int
on_discover(struct dhcp_ctx *c)
{
	uint64_t now = c->rx->now_ms;
	struct dhcp_boot b;
	uint32_t ip;
	int rc;

	if (relay_untrusted(c))
		return drop(c, BS_CTR_DROP_DHCP_UNTRUSTED_RELAY);
	if ((rc = policy_check(c)) != 0)
		return drop(c, rc);
	if (!c->sub)
		return drop(c, BS_CTR_DROP_DHCP_NO_SUBNET);
	if (has_reservation(c)) {
		/* The reserved address only on its own network. */
		if (c->node->subnet != c->sub_idx)
			return drop(c, BS_CTR_DROP_DHCP_NO_SUBNET);
		ip = c->node->ip;
	} else {
		if ((rc = dhcp_lease_pick(c, now, &ip)) != 0)
			return drop(c, rc);
		if ((rc = dhcp_lease_offer(c, ip, now)) != 0)
			return drop(c, rc);
	}
	const struct dhcp_boot *bp = boot_for(c, &b);
	rc = reply(c, DHCP_MT_OFFER, ip, lease_time(c), bp);
	if (rc == DHCP_REPLY)
		dhcp_emit_boot(c, BOOT_STAGE_DHCP_DISCOVER, ip, bp ? bp->file : NULL);
	return rc;
}

static int
ack(struct dhcp_ctx *c, uint32_t ip)
{
	struct dhcp_boot b;
	uint64_t seq = 0;
	int rc = dhcp_lease_commit(c, ip, lease_time(c), c->rx->now_ms, &seq);

	if (rc == -EACCES)
		return nak(c, BS_CTR_DHCP_NAK_NOT_OURS);
	if (rc)
		return drop(c, rc);
	const struct dhcp_boot *bp = boot_for(c, &b);
	rc = reply(c, DHCP_MT_ACK, ip, lease_time(c), bp);
	if (rc != DHCP_REPLY)
		return rc; /* the binding stands; the client retries */
	c->tx->wait_seq = seq;
	if (seq)
		inc(c, BS_CTR_DHCP_TX_WAIT);
	dhcp_emit_boot(c, BOOT_STAGE_DHCP_BOUND, ip, bp ? bp->file : NULL);
	return DHCP_REPLY;
}

enum req_state {
	REQ_SELECTING = 0,
	REQ_INIT_REBOOT,
	REQ_RENEWING,
	REQ_REBINDING,
	REQ_STATE_MAX
};

/* RFC 2131 4.3.2: the client state is told by server id, ciaddr and
 * requested address. */
static int
request_state(const struct dhcp_ctx *c, enum req_state *st, uint32_t *ip)
{
	const struct dhcp_msg *m = c->m;

	if (m->has_server_id) {
		/* SELECTING: server id and requested address; tolerate
		 * clients that put the address in ciaddr instead. */
		*st = REQ_SELECTING;
		*ip = m->has_req_ip ? m->req_ip : m->ciaddr;
	} else if (m->ciaddr) {
		/* RENEWING is unicast to us, REBINDING broadcast. */
		*st = c->rx->dst_ip == c->snap->server_ip ? REQ_RENEWING : REQ_REBINDING;
		*ip = m->ciaddr;
	} else {
		*st = REQ_INIT_REBOOT;
		*ip = m->req_ip;
	}
	return *ip ? 0 : BS_CTR_DROP_DHCP_BAD_REQUEST;
}

/* ip is this client's lease at a dead fleet peer, taken over (dhcp_lb.h):
 * a record of it as good as our own. */
static bool
adopted_here(const struct dhcp_ctx *c, uint32_t ip)
{
	uint32_t adopted;
	return dhcp_lb_adopted_ip(c, &adopted) && adopted == ip &&
	       dhcp_ip_in_pools(c->snap, c->sub_idx, ip);
}

/* An address in a fleet peer's slice of the pools (dhcp_lb.h) that neither
 * our lease table nor the peers' leases we took over give this client. */
static bool
peer_address(const struct dhcp_ctx *c, uint32_t ip, const struct lease *mine)
{
	if (c->snap->lb_slices <= 1 || dhcp_lb_mine(c, ip) ||
	    !dhcp_ip_in_pools(c->snap, c->sub_idx, ip))
		return false;
	if (mine && mine->ip == ip && memcmp(mine->mac, c->m->chaddr, 6) == 0)
		return false;
	return !adopted_here(c, ip);
}

static int
on_request(struct dhcp_ctx *c)
{
	const struct dhcp_msg *m = c->m;
	enum req_state st;
	uint32_t ip;
	int rc;

	if (relay_untrusted(c))
		return drop(c, BS_CTR_DROP_DHCP_UNTRUSTED_RELAY);
	if ((rc = request_state(c, &st, &ip)) != 0)
		return drop(c, rc);
	if (st == REQ_SELECTING && m->server_id != c->snap->server_ip) {
		/* "If the DHCPREQUEST is not for this server, the client has
		 * declined our offer": free it, stay silent. */
		dhcp_lease_unoffer(c, c->rx->now_ms);
		inc(c, BS_CTR_DHCP_SILENT_OTHER);
		return DHCP_SILENT;
	}
	if ((rc = policy_check(c)) != 0)
		return drop(c, rc);
	/* INIT-REBOOT/REBINDING: "the server SHOULD send a DHCPNAK message to
	 * the client if the 'requested IP address' is incorrect, or is on the
	 * wrong network"; the same holds for an address outside any subnet. */
	if (!c->sub || (ip & c->sub->mask) != c->sub->net)
		return nak(c, BS_CTR_DHCP_NAK_WRONG_NET);
	if (has_reservation(c))
		return ip == c->node->ip && c->node->subnet == c->sub_idx ?
			       ack(c, ip) :
			       nak(c, BS_CTR_DHCP_NAK_NOT_OURS);
	struct lease *mine = lease_by_mac(c->e->env.leases, m->chaddr);
	if (peer_address(c, ip, mine)) {
		/* A fleet peer's address we have no record of: its binding, not
		 * ours to deny; silence sends the client back to DISCOVER after
		 * its retries instead of a NAK per returning client. */
		inc(c, BS_CTR_DHCP_LB_SILENT_PEER);
		return DHCP_SILENT;
	}
	if (st == REQ_INIT_REBOOT && !mine && !lease_by_ip(c->e->env.leases, ip) &&
	    !adopted_here(c, ip)) {
		/* An authoritative subnet (dnsmasq's dhcp-authoritative, Kea's
		 * authoritative) is the only server on its network: no other
		 * server can hold this binding, so NAK at once and the client
		 * restarts at DISCOVER instead of waiting out its retries. */
		if (c->sub->authoritative)
			return nak(c, BS_CTR_DHCP_NAK_NO_RECORD);
		/* "If the DHCP server has no record of this client, then it
		 * MUST remain silent" (4.3.2, INIT-REBOOT). */
		inc(c, BS_CTR_DHCP_SILENT_NO_RECORD);
		return DHCP_SILENT;
	}
	if (!dhcp_ip_in_pools(c->snap, c->sub_idx, ip) || snap_find_ip(c->snap, ip) ||
	    ip == c->snap->server_ip)
		return nak(c, BS_CTR_DHCP_NAK_NOT_OURS);
	return ack(c, ip);
}

static bool
for_us(const struct dhcp_ctx *c)
{
	return !c->m->has_server_id || c->m->server_id == c->snap->server_ip;
}

/* RFC 2131 4.3.3: DHCPDECLINE -- the address is in use elsewhere:
 * quarantine it (decline_hold), no reply.  Only for an address BOUND to
 * this client: a client declines what a DHCPACK gave it, after checking it
 * (4.4.1 "If the client detects that the address is already in use ...
 * the client MUST send a DHCPDECLINE"), never a mere offer; accepting
 * offers let DISCOVER + DECLINE from fresh MACs quarantine a whole pool
 * without ever holding a lease (issue 15 item 6). */
static int
on_decline(struct dhcp_ctx *c)
{
	uint64_t now = c->rx->now_ms;

	if (relay_untrusted(c))
		return drop(c, BS_CTR_DROP_DHCP_UNTRUSTED_RELAY);
	if (!for_us(c))
		return drop(c, BS_CTR_DROP_DHCP_OTHER_SERVER);
	struct lease *l = c->m->has_req_ip ? lease_by_ip(c->e->env.leases, c->m->req_ip) : NULL;
	if (!l || memcmp(l->mac, c->m->chaddr, 6) != 0 ||
	    (l->state != LEASE_OFFERED && l->state != LEASE_BOUND))
		return drop(c, BS_CTR_DROP_DHCP_NOT_OURS);
	if (l->state != LEASE_BOUND || l->expires_ms <= now)
		return drop(c, BS_CTR_DROP_DHCP_DECLINE_NOT_BOUND);
	if (dhcp_lease_event(c, l, LEASE_EV_DECLINE, LEASE_DECLINED,
			     now + (uint64_t)c->snap->decline_hold_s * 1000, now) != 0)
		return drop(c, BS_CTR_DROP_DHCP_EMIT_FULL);
	inc(c, BS_CTR_DHCP_DECLINED);
	return DHCP_SILENT;
}

/* RFC 2131 4.3.4: DHCPRELEASE -- mark released, remembered for the same
 * client, no reply. */
static int
on_release(struct dhcp_ctx *c)
{
	uint64_t now = c->rx->now_ms;

	if (relay_untrusted(c))
		return drop(c, BS_CTR_DROP_DHCP_UNTRUSTED_RELAY);
	if (!for_us(c))
		return drop(c, BS_CTR_DROP_DHCP_OTHER_SERVER);
	struct lease *l = c->m->ciaddr ? lease_by_ip(c->e->env.leases, c->m->ciaddr) : NULL;
	if (!l || memcmp(l->mac, c->m->chaddr, 6) != 0 || l->state != LEASE_BOUND)
		return drop(c, BS_CTR_DROP_DHCP_NOT_OURS);
	if (dhcp_lease_event(c, l, LEASE_EV_RELEASE, LEASE_RELEASED, now, now) != 0)
		return drop(c, BS_CTR_DROP_DHCP_EMIT_FULL);
	inc(c, BS_CTR_DHCP_RELEASED);
	return DHCP_SILENT;
}

/* RFC 2131 4.3.5: DHCPINFORM -- configuration only: no yiaddr, no lease
 * time, unicast to ciaddr. */
static int
on_inform(struct dhcp_ctx *c)
{
	struct dhcp_boot b;

	if (relay_untrusted(c))
		return drop(c, BS_CTR_DROP_DHCP_UNTRUSTED_RELAY);
	if (!for_us(c))
		return drop(c, BS_CTR_DROP_DHCP_OTHER_SERVER);
	if (!c->m->ciaddr || !c->sub)
		return drop(c, BS_CTR_DROP_DHCP_NO_SUBNET);
	return reply(c, DHCP_MT_ACK, 0, 0, boot_for(c, &b));
}

/* ProxyDHCP (PXE spec 2.2.5): answer PXE firmware with boot information
 * and no address; the site's DHCP server hands out addresses.  Nothing
 * here knows the client's address: ciaddr is whatever the client wrote
 * (0 in a DISCOVER per RFC 2131 4.4.1 table 5, anything from a hostile
 * host), so the boot event carries no address at all.  Before, it carried
 * ciaddr, and control took it as the node's IP (issue 15 item 1). */
static int
on_proxy(struct dhcp_ctx *c)
{
	struct dhcp_boot b;
	uint8_t type;

	if (relay_untrusted(c))
		return drop(c, BS_CTR_DROP_DHCP_UNTRUSTED_RELAY);
	if (!c->cls.pxe && !c->cls.http) {
		inc(c, BS_CTR_DHCP_SILENT_PROXY);
		return DHCP_SILENT;
	}
	if (c->m->type == DHCP_MT_DISCOVER)
		type = DHCP_MT_OFFER;
	else if (c->m->type == DHCP_MT_REQUEST && c->m->has_server_id &&
		 c->m->server_id == c->snap->server_ip)
		type = DHCP_MT_ACK;
	else {
		inc(c, BS_CTR_DHCP_SILENT_PROXY);
		return DHCP_SILENT;
	}
	int rc = policy_check(c);
	if (rc)
		return drop(c, rc);
	if (c->withheld) {
		/* A ProxyDHCP offer is boot info only: none to give. */
		inc(c, c->withheld);
		return DHCP_SILENT;
	}
	if (!dhcp_boot_select(c, &b))
		return drop(c, BS_CTR_DROP_DHCP_NO_BOOT);
	rc = reply(c, type, 0, 0, &b);
	if (rc == DHCP_REPLY) {
		inc(c, BS_CTR_DHCP_TX_PROXY);
		if (type == DHCP_MT_OFFER)
			dhcp_emit_boot(c, BOOT_STAGE_DHCP_DISCOVER, 0, b.file);
	}
	return rc;
}

/* PXE boot server port 4011 (PXE spec 2.2.6): a configured client asks for
 * its boot file; answered with an ACK, no address. */
static int
on_pxe_port(struct dhcp_ctx *c)
{
	struct dhcp_boot b;

	inc(c, BS_CTR_DHCP_RX_PXE);
	if ((c->m->type != DHCP_MT_REQUEST && c->m->type != DHCP_MT_INFORM) ||
	    (!c->cls.pxe && !c->cls.http))
		return drop(c, BS_CTR_DROP_DHCP_PXE_PORT);
	int rc = policy_check(c);
	if (rc)
		return drop(c, rc);
	if (c->withheld) {
		inc(c, c->withheld);
		return DHCP_SILENT;
	}
	if (!dhcp_boot_select(c, &b))
		return drop(c, BS_CTR_DROP_DHCP_NO_BOOT);
	rc = reply(c, DHCP_MT_ACK, 0, 0, &b);
	if (rc == DHCP_REPLY)
		inc(c, BS_CTR_DHCP_TX_PROXY);
	return rc;
}

static void
count_rx_type(const struct dhcp_ctx *c)
{
	static const enum bs_ctr by_type[DHCP_MT_MAX] = {
		[DHCP_MT_DISCOVER] = BS_CTR_DHCP_RX_DISCOVER, [DHCP_MT_REQUEST] = BS_CTR_DHCP_RX_REQUEST,
		[DHCP_MT_DECLINE] = BS_CTR_DHCP_RX_DECLINE,   [DHCP_MT_RELEASE] = BS_CTR_DHCP_RX_RELEASE,
		[DHCP_MT_INFORM] = BS_CTR_DHCP_RX_INFORM,
	};
	if (c->m->type < DHCP_MT_MAX && by_type[c->m->type])
		inc(c, by_type[c->m->type]);
}

static int
handle_msg(struct dhcp_engine *e, const struct snap_hdr *snap, const struct dhcp_rx *rx,
	   struct dhcp_tx *tx)
{
	struct dhcp_ctx c = { .e = e, .snap = snap, .rx = rx, .tx = tx, .m = &e->msg };
	int rc;

	inc(&c, BS_CTR_DHCP_RX);
	tx->len = 0;
	tx->wait_seq = 0;
	if (!snap || !snap->server_ip)
		return drop(&c, BS_CTR_DROP_DHCP_NO_CONFIG);
	if (rx->dst_port != DHCP_SERVER_PORT && rx->dst_port != DHCP_PXE_PORT)
		return drop(&c, BS_CTR_DROP_DHCP_BAD_PORT);
	if ((rc = dhcp_msg_parse(&e->msg, &e->opts, rx->p, rx->len)) != 0)
		return drop(&c, rc);
	dhcp_lease_sync(e, snap);
	count_rx_type(&c);
	dhcp_classify(c.m, &c.cls);
	c.node = dhcp_find_node(e, snap, c.m);
	c.withheld = dhcp_boot_withheld(&c);
	select_subnet(&c);
	if (!c.node && e->env.on_unknown)
		dhcp_disc_emit(&c);

	if (rx->dst_port == DHCP_PXE_PORT)
		return on_pxe_port(&c);
	if (snap->proxy_dhcp)
		return on_proxy(&c);
	if ((rc = dhcp_lb_check(&c)) != 0) /* RFC 3074 section 5 */
		return drop(&c, rc);
	switch (c.m->type) {
	case DHCP_MT_DISCOVER:
		return on_discover(&c);
	case DHCP_MT_REQUEST:
		return on_request(&c);
	case DHCP_MT_DECLINE:
		return on_decline(&c);
	case DHCP_MT_RELEASE:
		return on_release(&c);
	default:
		return on_inform(&c);
	}
}

/* The engine's int (0 reply, < 0 silent, > 0 drop counter) as the verdict
 * and drop reason callers see. */
struct dhcp_result
dhcp_handle(struct dhcp_engine *e, const struct snap_hdr *snap, const struct dhcp_rx *rx,
	    struct dhcp_tx *tx)
{
	int rc = handle_msg(e, snap, rx, tx);
	if (rc == DHCP_REPLY)
		return (struct dhcp_result){ DHCP_REPLY, BS_DROP_NONE };
	if (rc < 0)
		return (struct dhcp_result){ DHCP_SILENT, BS_DROP_NONE };
	return (struct dhcp_result){ DHCP_DROP, bs_drop_of((enum bs_ctr)rc) };
}

void
dhcp_tick(struct dhcp_engine *e, const struct snap_hdr *snap, uint64_t now_ms)
{
	if (!snap)
		return;
	dhcp_lease_sync(e, snap);
	dhcp_lease_tick(e, snap, now_ms);
}
