/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Discovery of unknown machines: what a client that is not in the
 * inventory says about itself (options 60, 77, 93, 97, 82 and the relay),
 * handed to env.on_unknown as one struct disc_event.  Called only for
 * messages without an inventory match, after parsing; it reads the message
 * and never changes how the engine answers it (dhcp.unknown_clients alone
 * decides that).
 */
#include <string.h>

#include "dataplane/dhcp/dhcp_int.h"

/* Copies at most cap bytes of option code; returns the bytes kept. */
static uint8_t
keep_opt(const struct dhcp_msg *m, uint8_t code, uint8_t *dst, size_t cap)
{
	size_t n = 0;
	const uint8_t *v = dhcp_opt_get(m->o, code, &n);
	if (!v)
		return 0;
	n = n < cap ? n : cap;
	memcpy(dst, v, n);
	return (uint8_t)n;
}

/* RFC 3046 2.0: option 82 is a list of sub-options (code, length, value);
 * 1 = Agent Circuit ID (3.1), 2 = Agent Remote ID (3.2).  A malformed list
 * keeps what parsed before the damage. */
static void
relay_subopts(const struct dhcp_msg *m, struct disc_event *ev)
{
	size_t n = 0;
	const uint8_t *v = dhcp_opt_get(m->o, DHCP_OPT_RELAY_AGENT, &n);
	struct cur c = cur_init(v, v ? n : 0);

	while (v && c.left >= 2) {
		uint8_t code = cur_u8(&c), len = cur_u8(&c);
		const uint8_t *s = cur_take(&c, len);
		uint8_t k = len < DISC_SUB_MAX ? len : (uint8_t)DISC_SUB_MAX;
		if (!s)
			return;
		if (code == 1) {
			memcpy(ev->circuit_id, s, k);
			ev->circuit_len = k;
		} else if (code == 2) {
			memcpy(ev->remote_id, s, k);
			ev->remote_len = k;
		}
	}
}

void
dhcp_disc_emit(const struct dhcp_ctx *c)
{
	const struct dhcp_msg *m = c->m;
	struct disc_event ev;
	size_t n = 0;

	memset(&ev, 0, sizeof(ev));
	ev.ts_ms = c->rx->now_ms;
	ev.giaddr = m->giaddr;
	memcpy(ev.mac, m->chaddr, 6);
	ev.msg_type = m->type;
	ev.arch = c->cls.has_arch ? c->cls.arch_raw : DISC_ARCH_NONE;
	/* RFC 4578 2.2: type 0 followed by a 16-byte GUID (the walker already
	 * held the option to exactly 17 bytes). */
	const uint8_t *u = dhcp_opt_get(m->o, DHCP_OPT_UUID, &n);
	ev.uuid_type = DISC_UUID_NONE;
	if (u && n == 17) {
		ev.uuid_type = u[0];
		memcpy(ev.uuid, u + 1, 16);
	}
	ev.vc_len = keep_opt(m, DHCP_OPT_VENDOR_CLASS, ev.vendor_class, DISC_VC_MAX);
	ev.uc_len = keep_opt(m, DHCP_OPT_USER_CLASS, ev.user_class, DISC_SUB_MAX);
	relay_subopts(m, &ev);
	bs_ctr_inc(c->e->env.ctr, BS_CTR_DHCP_DISC_EVENT);
	c->e->env.on_unknown(c->e->env.ctx, &ev);
}
