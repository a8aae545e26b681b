/* SPDX-License-Identifier: BSD-3-Clause
 *
 * bs-storm: DHCP client state machine.
 */
#include "tools/storm/storm.h"

/* RFC 2131 4.1: retransmit after 4 s, 8 s, 16 s... randomized by +-1 s
 * (as PXE firmware does), all scaled by --backoff-scale. */
static uint64_t
dhcp_backoff_ms(unsigned tries)
{
	double base = 4000.0 * (double)(1u << (tries < 4 ? tries : 4));
	double jitter = (double)(rnd() % 2001) - 1000.0;
	double ms = (base + jitter) * opt.backoff_scale;
	return ms < 1 ? 1 : (uint64_t)ms;
}

static void
dhcp_common_opts(struct wcur *w, const struct node *n, uint32_t idx)
{
	static const uint8_t prl[] = { 1, 2, 3, 5, 6, 11, 12, 13, 15, 16, 17, 18, 22, 23, 28, 40, 41,
				       42, 43, 50, 51, 54, 58, 59, 60, 66, 67, 128, 129, 130, 131, 132,
				       133, 134, 135 };
	char vci[40];
	int vl = snprintf(vci, sizeof(vci), "PXEClient:Arch:%05u:UNDI:002001", opt.arch);
	wcur_u8(w, 57); /* max message size, as PXE ROMs send */
	wcur_u8(w, 2);
	wcur_be16(w, 1260);
	wcur_u8(w, 93); /* RFC 4578 2.1 client system architecture */
	wcur_u8(w, 2);
	wcur_be16(w, (uint16_t)opt.arch);
	wcur_u8(w, 94); /* RFC 4578 2.2 client NDI: UNDI 2.1 */
	wcur_u8(w, 3);
	wcur_u8(w, 1);
	wcur_u8(w, 2);
	wcur_u8(w, 1);
	wcur_u8(w, 97); /* RFC 4578 2.3 UUID: type 0 + 16 bytes */
	wcur_u8(w, 17);
	wcur_u8(w, 0);
	wcur_be32(w, 0x6273746fu); /* "bsto" */
	wcur_be32(w, (uint32_t)(opt.seed >> 32));
	wcur_be32(w, (uint32_t)opt.seed);
	wcur_be32(w, idx);
	wcur_u8(w, 60);
	wcur_u8(w, (uint8_t)vl);
	wcur_put(w, vci, (size_t)vl);
	wcur_u8(w, 55);
	wcur_u8(w, (uint8_t)sizeof(prl));
	wcur_put(w, prl, sizeof(prl));
	(void)n;
}

static void
dhcp_send(int32_t i, uint8_t type)
{
	struct node *n = &nodes[i];
	uint8_t b[600];
	struct wcur w = wcur_init(b, sizeof(b));
	wcur_u8(&w, 1);	/* BOOTREQUEST */
	wcur_u8(&w, 1);	/* Ethernet */
	wcur_u8(&w, 6);
	wcur_u8(&w, 0);
	wcur_be32(&w, n->xid);
	uint64_t secs = (bs_mono_ns() - n->t_start) / 1000000000ull;
	wcur_be16(&w, (uint16_t)(secs > 0xffff ? 0xffff : secs));
	wcur_be16(&w, opt.broadcast ? 0x8000 : 0);
	wcur_zero(&w, 16); /* ciaddr yiaddr siaddr giaddr */
	wcur_put(&w, n->mac, 6);
	wcur_zero(&w, 10 + 64 + 128);
	wcur_be32(&w, DHCP_MAGIC);
	wcur_u8(&w, 53);
	wcur_u8(&w, 1);
	wcur_u8(&w, type);
	if (type == 3) {
		/* RFC 2131 4.3.2: REQUEST in SELECTING carries 50 and 54 */
		wcur_u8(&w, 50);
		wcur_u8(&w, 4);
		wcur_be32(&w, n->ip);
		wcur_u8(&w, 54);
		wcur_u8(&w, 4);
		wcur_be32(&w, n->server_id);
	}
	dhcp_common_opts(&w, n, (uint32_t)i);
	wcur_u8(&w, 255);
	while (w.len < 300 && !w.bad) /* BOOTP minimum size */
		wcur_u8(&w, 0);
	if (w.bad)
		return;
	tx_udp(n->mac, bcast_mac, 0, 0xffffffffu, DHCP_CPORT, DHCP_SPORT, b, w.len);
}

void
dhcp_begin(int32_t i)
{
	struct node *n = &nodes[i];
	n->state = NS_DISCOVER;
	n->tries = 0;
	dhcp_send(i, 1);
	timer_arm(i, now_ms() + dhcp_backoff_ms(0));
}

/* ------------------------------------------------------------------- DHCP */

struct dhcp_reply {
	uint8_t type;
	uint32_t yiaddr, siaddr, server_id;
	char file[128];
};

static bool
dhcp_parse(const uint8_t *p, size_t len, struct dhcp_reply *r)
{
	struct cur c = cur_init(p, len);
	memset(r, 0, sizeof(*r));
	cur_skip(&c, 16);
	r->yiaddr = cur_be32(&c);
	r->siaddr = cur_be32(&c);
	cur_skip(&c, 4 + 16 + 64);
	const uint8_t *file = cur_take(&c, 128);
	if (cur_be32(&c) != DHCP_MAGIC || c.bad)
		return false;
	memcpy(r->file, file, 127);
	r->file[127] = 0;
	while (c.left && !c.bad) {
		uint8_t code = cur_u8(&c);
		if (code == 0)
			continue;
		if (code == 255)
			break;
		uint8_t ol = cur_u8(&c);
		const uint8_t *v = cur_take(&c, ol);
		if (!v)
			return false;
		if (code == 53 && ol == 1)
			r->type = v[0];
		else if (code == 54 && ol == 4)
			r->server_id = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
		else if (code == 67 && ol > 0 && !r->file[0]) {
			/* RFC 2132 9.5: option 67 when `file` is empty or overloaded */
			memcpy(r->file, v, ol < 127 ? ol : 127);
			r->file[ol < 127 ? ol : 127] = 0;
		}
	}
	return r->type != 0;
}

void
dhcp_rx(const uint8_t *eth_src, const uint8_t *p, size_t len)
{
	if (len < 240 || p[0] != 2)
		return;
	uint32_t xid = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	uint32_t idx = xid - xid_base;
	if (idx >= opt.n || memcmp(p + 28, nodes[idx].mac, 6) != 0)
		return;
	struct node *n = &nodes[idx];
	struct dhcp_reply r;
	if (!dhcp_parse(p, len, &r))
		return;
	if (r.type == 2 && n->state == NS_DISCOVER) {
		st.offers++;
		n->ip = r.yiaddr;
		n->server_id = r.server_id ? r.server_id : r.siaddr;
		n->state = NS_REQUEST;
		n->tries = 0;
		dhcp_send((int32_t)idx, 3);
		timer_arm((int32_t)idx, now_ms() + dhcp_backoff_ms(0));
	} else if (r.type == 5 && n->state == NS_REQUEST) {
		st.acks++;
		n->ip = r.yiaddr;
		n->siaddr = r.siaddr ? r.siaddr : n->server_id;
		memcpy(n->srv_mac, eth_src, 6);
		iptab_put(n->ip, (int32_t)idx);
		n->t_dhcp = bs_mono_ns();
		if (opt.dhcp_only) {
			node_finish((int32_t)idx, true, F_NONE);
			return;
		}
		if (!r.file[0]) {
			node_finish((int32_t)idx, false, F_NO_BOOTFILE);
			return;
		}
		n->loader_xf = xfile_get(r.file);
		if (n->loader_xf < 0) {
			node_finish((int32_t)idx, false, F_NO_FILE);
			return;
		}
		n->state = NS_TFTP;
		n->file_i = 0;
		tftp_begin_file((int32_t)idx);
	} else if (r.type == 6 && n->state == NS_REQUEST) {
		st.naks++;
		timer_arm((int32_t)idx, now_ms() + dhcp_backoff_ms(0));
		n->state = NS_DISCOVER;
		n->tries = 0;
	}
}

void
dhcp_timeout(int32_t i)
{
	struct node *n = &nodes[i];
	if (n->tries + 1u >= opt.dhcp_tries) {
		node_finish(i, false, F_DHCP_TIMEOUT);
		return;
	}
	n->tries++;
	st.dhcp_rexmit++;
	/* RFC 2131 3.1.5 / PXE: a REQUEST that gets no answer is retried; a
	 * DISCOVER is resent with the same xid */
	dhcp_send(i, n->state == NS_DISCOVER ? 1 : 3);
	timer_arm(i, now_ms() + dhcp_backoff_ms(n->tries));
}
