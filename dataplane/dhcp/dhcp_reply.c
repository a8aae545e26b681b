/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Reply construction: fixed header per RFC 2131 4.3.1 table 3, then the
 * options a reply must carry, then what the client asked for in option 55
 * (RFC 2131 4.3.1: "parameters requested by the client"), then the relay
 * agent's option 82 echoed last (RFC 3046 2.2), END and padding.
 *
 * The reply is limited to what the client accepts (option 57, else 576
 * bytes of IP datagram) and to DHCP_MAX_REPLY.  A mandatory option that
 * does not fit drops the reply (counted); a requested one that does not
 * fit is left out and counted -- never a cut option.
 */
#include <string.h>

#include "dataplane/dhcp/dhcp_int.h"

/* What a client gets when it sends no option 55. */
static const uint8_t default_prl[] = {
	DHCP_OPT_ROUTER, DHCP_OPT_DNS,	  DHCP_OPT_DOMAIN,   DHCP_OPT_NTP,
	DHCP_OPT_MTU,	 DHCP_OPT_BROADCAST, DHCP_OPT_HOSTNAME,
};

struct rb {
	struct dhcp_ctx *c;
	struct wcur w;
	size_t keep;		/* END + option 82 echo, written last */
	uint8_t type;
	const struct dhcp_boot *boot;
	bool file_in_field;	/* boot file fits `file` */
	uint8_t done[32];	/* options already written */
};

static void
mark(struct rb *r, uint8_t code)
{
	r->done[code >> 3] |= (uint8_t)(1u << (code & 7));
}

static bool
written(const struct rb *r, uint8_t code)
{
	return (r->done[code >> 3] >> (code & 7)) & 1;
}

static bool
put(struct rb *r, uint8_t code, const void *v, size_t len)
{
	if (!dhcp_opt_put(&r->w, r->keep, code, v, len))
		return false;
	mark(r, code);
	return true;
}

static bool
put_u32(struct rb *r, uint8_t code, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	return put(r, code, b, 4);
}

static bool
put_echo(struct rb *r, uint8_t code)
{
	size_t n = 0;
	const uint8_t *v = dhcp_opt_get(r->c->m->o, code, &n);
	return !v || put(r, code, v, n);
}

/* Options every OFFER/ACK/NAK carries; false = reply too big. */
static bool
put_mandatory(struct rb *r, uint32_t lease_s)
{
	const struct dhcp_ctx *c = r->c;
	const struct snap_subnet *sn = c->sub;
	bool ok = put(r, DHCP_OPT_MSG_TYPE, &r->type, 1) &&
		  put_u32(r, DHCP_OPT_SERVER_ID, c->snap->server_ip); /* RFC 2131 4.3.1 */

	/* RFC 6842: the client identifier is echoed, NAK included. */
	ok = ok && put_echo(r, DHCP_OPT_CLIENT_ID);
	if (r->type == DHCP_MT_NAK)
		return ok;
	if (lease_s) {
		uint32_t t1 = sn && sn->renew_s ? sn->renew_s : lease_s / 2;
		uint32_t t2 = sn && sn->rebind_s ? sn->rebind_s : lease_s / 8 * 7;
		ok = ok && put_u32(r, DHCP_OPT_LEASE_TIME, lease_s) && put_u32(r, DHCP_OPT_T1, t1) &&
		     put_u32(r, DHCP_OPT_T2, t2);
	}
	if (sn)
		ok = ok && put_u32(r, DHCP_OPT_SUBNET_MASK, sn->mask);
	if ((c->cls.pxe || c->cls.http) && !c->withheld) {
		/* PXE spec 2.2.1 / UEFI 2.x 24.7: the class is echoed so the
		 * firmware takes this as a boot server's offer.  A node whose
		 * boot info is withheld gets a plain address offer: echoed
		 * without a file, PXE firmware would go on to boot server
		 * discovery (PXE spec 2.2.2) instead of its next boot entry. */
		const char *vc = c->cls.http ? "HTTPClient" : "PXEClient";
		ok = ok && put(r, DHCP_OPT_VENDOR_CLASS, vc, strlen(vc));
		/* PXE spec 2.2.1: option 97 is echoed when the client sent it. */
		ok = ok && put_echo(r, DHCP_OPT_UUID);
	}
	if (c->cls.pxe && !c->cls.ipxe && r->boot) {
		/* Discovery control bit 3: boot the file named here directly,
		 * no boot server discovery (as dnsmasq does). */
		static const uint8_t vo[] = { PXE_DISCOVERY_CONTROL, 1, PXE_DC_DIRECT_BOOT,
					      DHCP_OPT_END };
		ok = ok && put(r, DHCP_OPT_VENDOR_OPTS, vo, sizeof(vo));
	}
	if (r->boot && !r->file_in_field)
		ok = ok && put(r, DHCP_OPT_BOOTFILE, r->boot->file, strlen(r->boot->file));
	return ok;
}

/* One option from the request list; true when written or not available. */
static bool
put_requested(struct rb *r, uint8_t code)
{
	const struct dhcp_ctx *c = r->c;
	const struct snap_subnet *sn = c->sub;
	uint8_t b[16];
	const char *s;

	if (written(r, code) || r->type == DHCP_MT_NAK)
		return true;
	switch (code) {
	case DHCP_OPT_ROUTER:
		return !sn || !sn->router || put_u32(r, code, sn->router);
	case DHCP_OPT_DNS:
		if (!sn || !sn->n_dns)
			return true;
		for (uint32_t i = 0; i < sn->n_dns && i < 4; i++) {
			uint32_t v = sn->dns[i];
			b[4 * i] = (uint8_t)(v >> 24), b[4 * i + 1] = (uint8_t)(v >> 16);
			b[4 * i + 2] = (uint8_t)(v >> 8), b[4 * i + 3] = (uint8_t)v;
		}
		return put(r, code, b, 4 * (sn->n_dns > 4 ? 4 : sn->n_dns));
	case DHCP_OPT_DOMAIN:
		s = sn ? snap_str(c->snap, sn->domain) : "";
		return !s[0] || put(r, code, s, strlen(s));
	case DHCP_OPT_NTP:
		return !sn || !sn->ntp || put_u32(r, code, sn->ntp);
	case DHCP_OPT_MTU:
		if (!sn || !sn->mtu)
			return true;
		b[0] = (uint8_t)(sn->mtu >> 8), b[1] = (uint8_t)sn->mtu;
		return put(r, code, b, 2);
	case DHCP_OPT_BROADCAST:
		return !sn || put_u32(r, code, sn->net | ~sn->mask);
	case DHCP_OPT_HOSTNAME:
		s = c->node ? snap_str(c->snap, c->node->name) : "";
		return !s[0] || put(r, code, s, strlen(s));
	case DHCP_OPT_TFTP_SERVER:
		return !r->boot || put(r, code, r->boot->server_str, strlen(r->boot->server_str));
	case DHCP_OPT_BOOTFILE:
		return !r->boot || put(r, code, r->boot->file, strlen(r->boot->file));
	default:
		return true; /* nothing configured for it */
	}
}

static void
put_prl(struct rb *r)
{
	size_t n = 0;
	const uint8_t *prl = dhcp_opt_get(r->c->m->o, DHCP_OPT_PRL, &n);
	if (!prl) {
		prl = default_prl;
		n = sizeof(default_prl);
	}
	for (size_t i = 0; i < n; i++)
		if (!put_requested(r, prl[i]))
			bs_ctr_inc(r->c->e->env.ctr, BS_CTR_DHCP_OPT_OMITTED);
}

int
dhcp_reply_build(struct dhcp_ctx *c, uint8_t type, uint32_t yiaddr, uint32_t lease_s,
		 const struct dhcp_boot *boot)
{
	const struct dhcp_msg *m = c->m;
	size_t n82 = 0;
	struct rb r;

	memset(&r, 0, sizeof(r));
	r.c = c;
	r.type = type;
	r.boot = type != DHCP_MT_NAK && boot && boot->file[0] ? boot : NULL;
	r.file_in_field = r.boot && strlen(r.boot->file) < DHCP_FILE_LEN;
	r.w = wcur_init(c->tx->buf, dhcp_msg_reply_limit(m, c->tx->cap));
	if (dhcp_opt_get(m->o, DHCP_OPT_RELAY_AGENT, &n82))
		n82 = dhcp_opt_wire_len(n82);
	r.keep = 1 + n82;

	struct dhcp_reply_hdr h = {
		/* RFC 2131 table 3: ciaddr only in an ACK, from the request. */
		.ciaddr = type == DHCP_MT_ACK ? m->ciaddr : 0,
		.yiaddr = yiaddr,
		.siaddr = r.boot ? r.boot->next_server : 0,
		.flags = m->flags,
		.sname = r.boot ? r.boot->server_str : NULL,
		.file = r.file_in_field ? r.boot->file : NULL,
	};
	/* RFC 2131 4.3.2: a NAK through a relay asks it to broadcast. */
	if (type == DHCP_MT_NAK && m->giaddr)
		h.flags |= DHCP_FLAG_BROADCAST;
	if (!dhcp_msg_put_header(&r.w, m, &h) || !put_mandatory(&r, lease_s))
		return BS_CTR_DROP_DHCP_REPLY_TOO_BIG;
	put_prl(&r);
	r.keep = 0;
	if (!put_echo(&r, DHCP_OPT_RELAY_AGENT) || !dhcp_msg_finish(&r.w))
		return BS_CTR_DROP_DHCP_REPLY_TOO_BIG;
	c->tx->len = r.w.len;
	return 0;
}
