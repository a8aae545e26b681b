/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/dhcp/dhcp_wire.h"
#include "shm/leases.h"
#include "shm/snap_read.h"
#include "tests/unit/dhcp/dhcp_testlib.h"

void
tb_init(struct tb *b)
{
	memset(b, 0, sizeof(*b));
	b->nstr = 1; /* offset 0 is "" */
	b->hdr.magic = SNAP_MAGIC;
	b->hdr.abi = SHM_ABI;
	b->hdr.server_ip = IP4(10, 77, 0, 1);
	b->hdr.server_prefix = 24;
	b->hdr.unknown_policy = SNAP_UNKNOWN_ALLOW;
	b->hdr.default_profile = SNAP_NONE;
	b->hdr.offer_hold_s = 30;
	b->hdr.decline_hold_s = 600;
	b->hdr.server_name = tb_str(b, "lab");
}

uint32_t
tb_str(struct tb *b, const char *s)
{
	size_t n = strlen(s) + 1;
	if (n == 1)
		return 0;
	if (b->nstr + n > sizeof(b->str))
		abort();
	memcpy(b->str + b->nstr, s, n);
	b->nstr += (uint32_t)n;
	return b->nstr - (uint32_t)n;
}

uint32_t
tb_subnet(struct tb *b, uint32_t net, unsigned prefix, uint32_t lease_s)
{
	struct snap_subnet *s = &b->sub[b->nsub];
	memset(s, 0, sizeof(*s));
	s->mask = prefix ? ~0u << (32 - prefix) : 0;
	s->net = net & s->mask;
	s->lease_s = lease_s;
	s->first_pool = b->npool;
	return b->nsub++;
}

uint32_t
tb_pool(struct tb *b, uint32_t sub, uint32_t lo, uint32_t hi)
{
	/* Pools of a subnet are contiguous: add them right after it. */
	b->pool[b->npool] = (struct snap_pool){ .lo = lo, .hi = hi, .subnet = sub };
	b->sub[sub].n_pools++;
	return b->npool++;
}

uint32_t
tb_profile(struct tb *b, const char *name)
{
	struct snap_profile *p = &b->prof[b->nprof];
	memset(p, 0, sizeof(*p));
	p->name = tb_str(b, name);
	return b->nprof++;
}

void
tb_boot(struct tb *b, uint32_t prof, enum snap_arch arch, const char *file)
{
	b->prof[prof].boot_file[arch] = tb_str(b, file);
}

uint32_t
tb_node(struct tb *b, const char *name, const uint8_t mac[6], uint32_t ip, uint32_t prof)
{
	struct snap_node *n = &b->node[b->nnode];
	memset(n, 0, sizeof(*n));
	memcpy(n->mac, mac, 6);
	n->has_ip = ip != 0;
	n->ip = ip;
	n->name = tb_str(b, name);
	n->profile = prof;
	n->subnet = SNAP_NONE;
	return b->nnode++;
}

static uint32_t
pow2_at_least(uint32_t v)
{
	uint32_t p = 1;
	while (p < v)
		p <<= 1;
	return p;
}

static size_t
align8(size_t v)
{
	return (v + 7) & ~(size_t)7;
}

struct snap_hdr *
tb_finish(const struct tb *b, uint64_t gen)
{
	uint32_t nidx = pow2_at_least(b->nnode * 2 + 1);
	size_t off = align8(sizeof(struct snap_hdr));
	size_t o_sub = off;
	off = align8(off + b->nsub * sizeof(struct snap_subnet));
	size_t o_pool = off;
	off = align8(off + b->npool * sizeof(struct snap_pool));
	size_t o_prof = off;
	off = align8(off + b->nprof * sizeof(struct snap_profile));
	size_t o_node = off;
	off = align8(off + b->nnode * sizeof(struct snap_node));
	size_t o_mac = off;
	off = align8(off + nidx * sizeof(uint32_t));
	size_t o_ip = off;
	off = align8(off + nidx * sizeof(uint32_t));
	size_t o_str = off;
	off = align8(off + b->nstr);

	uint8_t *buf = calloc(1, off);
	if (!buf)
		abort();
	struct snap_hdr *h = (struct snap_hdr *)buf;
	*h = b->hdr;
	h->gen = gen;
	h->size = (uint32_t)off;
	h->subnets = (struct snap_tab){ (uint32_t)o_sub, b->nsub };
	h->pools = (struct snap_tab){ (uint32_t)o_pool, b->npool };
	h->profiles = (struct snap_tab){ (uint32_t)o_prof, b->nprof };
	h->nodes = (struct snap_tab){ (uint32_t)o_node, b->nnode };
	h->mac_index = (struct snap_tab){ (uint32_t)o_mac, nidx };
	h->ip_index = (struct snap_tab){ (uint32_t)o_ip, nidx };
	h->strings = (struct snap_tab){ (uint32_t)o_str, b->nstr };
	memcpy(buf + o_sub, b->sub, b->nsub * sizeof(struct snap_subnet));
	memcpy(buf + o_pool, b->pool, b->npool * sizeof(struct snap_pool));
	memcpy(buf + o_prof, b->prof, b->nprof * sizeof(struct snap_profile));
	memcpy(buf + o_str, b->str, b->nstr);
	struct snap_node *nodes = (struct snap_node *)(buf + o_node);
	memcpy(nodes, b->node, b->nnode * sizeof(struct snap_node));
	uint32_t *mi = (uint32_t *)(buf + o_mac), *ii = (uint32_t *)(buf + o_ip);
	memset(mi, 0xff, nidx * sizeof(uint32_t));
	memset(ii, 0xff, nidx * sizeof(uint32_t));
	for (uint32_t i = 0; i < b->nnode; i++) {
		struct snap_node *n = &nodes[i];
		uint32_t hh = snap_mac_hash(n->mac) & (nidx - 1);
		while (mi[hh] != SNAP_NONE)
			hh = (hh + 1) & (nidx - 1);
		mi[hh] = i;
		if (n->has_ip) {
			hh = snap_ip_hash(n->ip) & (nidx - 1);
			while (ii[hh] != SNAP_NONE)
				hh = (hh + 1) & (nidx - 1);
			ii[hh] = i;
			n->subnet = snap_subnet_of(h, n->ip);
		}
	}
	return h;
}

void
tb_lab(struct tb *b)
{
	static const uint8_t m1[6] = { 0x52, 0x54, 0, 0, 0, 1 }, m2[6] = { 0x52, 0x54, 0, 0, 0, 2 };
	tb_init(b);
	uint32_t s = tb_subnet(b, IP4(10, 77, 0, 0), 24, 3600);
	b->sub[s].router = IP4(10, 77, 0, 1);
	b->sub[s].dns[0] = IP4(10, 77, 0, 1);
	b->sub[s].n_dns = 1;
	b->sub[s].domain = tb_str(b, "lab.example");
	tb_pool(b, s, IP4(10, 77, 0, 100), IP4(10, 77, 0, 199));
	uint32_t p = tb_profile(b, "centos7");
	tb_boot(b, p, SNAP_ARCH_BIOS, "pxelinux.0");
	tb_boot(b, p, SNAP_ARCH_EFI_X64, "grubx64.efi");
	tb_boot(b, p, SNAP_ARCH_EFI_ARM64, "grubaa64.efi");
	tb_boot(b, p, SNAP_ARCH_HTTP_X64, "http://10.77.0.1/boot/ipxe.efi");
	b->prof[p].ipxe_url = tb_str(b, "http://10.77.0.1/ipxe/boot");
	b->hdr.default_profile = p;
	tb_node(b, "node001", m1, IP4(10, 77, 0, 11), p);
	uint32_t n2 = tb_node(b, "node002", m2, IP4(10, 77, 0, 12), p);
	b->node[n2].client_id = tb_str(b, "01:aa:bb:cc:dd:ee:ff");
}

/* ---- requests ---- */

void
pk_start(struct pk *p, uint8_t type, const uint8_t mac[6], uint32_t xid)
{
	memset(p, 0, sizeof(*p));
	p->b[0] = 1;
	p->b[1] = 1;
	p->b[2] = 6;
	pk_set32(p, 4, xid);
	memcpy(p->b + 28, mac, 6);
	pk_set32(p, 236, 0x63825363u);
	p->len = 240;
	if (type)
		pk_opt(p, 53, &type, 1);
}

void
pk_opt(struct pk *p, uint8_t code, const void *v, size_t len)
{
	p->b[p->len++] = code;
	p->b[p->len++] = (uint8_t)len;
	memcpy(p->b + p->len, v, len);
	p->len += len;
}

void
pk_opt32(struct pk *p, uint8_t code, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	pk_opt(p, code, b, 4);
}

void
pk_end(struct pk *p)
{
	p->b[p->len++] = 255;
	if (p->len < 300)
		p->len = 300;
}

void
pk_set32(struct pk *p, size_t off, uint32_t v)
{
	p->b[off] = (uint8_t)(v >> 24);
	p->b[off + 1] = (uint8_t)(v >> 16);
	p->b[off + 2] = (uint8_t)(v >> 8);
	p->b[off + 3] = (uint8_t)v;
}

void
pk_set16(struct pk *p, size_t off, uint16_t v)
{
	p->b[off] = (uint8_t)(v >> 8);
	p->b[off + 1] = (uint8_t)v;
}

/* ---- replies ---- */

const uint8_t *
rp_opt(const uint8_t *r, size_t n, uint8_t code, size_t *len)
{
	size_t i = 240;
	while (i < n) {
		uint8_t c = r[i];
		if (c == 0) {
			i++;
			continue;
		}
		if (c == 255 || i + 1 >= n)
			return NULL;
		uint8_t l = r[i + 1];
		if (i + 2 + l > n)
			return NULL;
		if (c == code) {
			*len = l;
			return r + i + 2;
		}
		i += 2 + (size_t)l;
	}
	return NULL;
}

uint32_t
rp_be32(const uint8_t *r, size_t off)
{
	return (uint32_t)r[off] << 24 | (uint32_t)r[off + 1] << 16 | (uint32_t)r[off + 2] << 8 | r[off + 3];
}

uint32_t
rp_opt32(const uint8_t *r, size_t n, uint8_t code)
{
	size_t l = 0;
	const uint8_t *v = rp_opt(r, n, code, &l);
	return v && l == 4 ? rp_be32(v, 0) : 0;
}

uint8_t
rp_type(const uint8_t *r, size_t n)
{
	size_t l = 0;
	const uint8_t *v = rp_opt(r, n, 53, &l);
	return v && l == 1 ? v[0] : 0;
}

/* ---- harness ---- */

static int
cap_lease(void *ctx, const struct lease_event *ev)
{
	struct th *h = ctx;
	if (h->ring_full)
		return -ENOBUFS;
	if (h->nev < TH_MAX_EV)
		h->ev[h->nev++] = *ev;
	return 0;
}

static void
cap_boot(void *ctx, const struct boot_event *ev)
{
	struct th *h = ctx;
	if (h->nbev < 64)
		h->bev[h->nbev++] = *ev;
}

static void
cap_disc(void *ctx, struct disc_event *ev)
{
	struct th *h = ctx;
	h->disc_last = *ev;
	h->ndisc++;
}

static void
th_engine(struct th *h)
{
	struct dhcp_env env = {
		.leases = h->leases,
		.ctr = h->ctr,
		.emit_lease = cap_lease,
		.emit_boot = cap_boot,
		.on_unknown = cap_disc,
		.ctx = h,
	};
	h->e = dhcp_engine_new(&env);
	if (!h->e)
		abort();
	h->now = 1700000000000ull;
}

struct th *
th_new(struct snap_hdr *snap, uint32_t lease_cap)
{
	struct th *h = calloc(1, sizeof(*h));
	if (!h)
		abort();
	h->snap = snap;
	h->lease_cap = lease_cap;
	h->leases = calloc(1, lease_table_size(lease_cap));
	if (!h->leases || lease_table_init(h->leases, lease_cap) != 0)
		abort();
	th_engine(h);
	return h;
}

void
th_reset(struct th *h, struct snap_hdr *snap)
{
	dhcp_engine_free(h->e);
	memset(h->leases, 0, lease_table_size(h->lease_cap));
	if (lease_table_init(h->leases, h->lease_cap) != 0)
		abort();
	memset(h->ctr, 0, sizeof(h->ctr));
	h->nev = h->nbev = h->ndisc = 0;
	h->ring_full = h->relay_mac = false;
	h->snap = snap;
	th_engine(h);
}

void
th_free(struct th *h)
{
	if (!h)
		return;
	dhcp_engine_free(h->e);
	free(h->leases);
	free(h);
}

int
th_send_raw(struct th *h, const uint8_t *p, size_t len, uint32_t src_ip, uint32_t dst_ip,
	    uint16_t dst_port)
{
	struct dhcp_rx rx = {
		.p = p,
		.len = len,
		.src_ip = src_ip,
		.dst_ip = dst_ip,
		.src_port = dst_port == DHCP_SERVER_PORT && src_ip && len >= 28 &&
					(p[24] | p[25] | p[26] | p[27]) ?
				    DHCP_SERVER_PORT :
				    DHCP_CLIENT_PORT,
		.dst_port = dst_port,
		.now_ms = h->now,
	};
	if (h->relay_mac)
		memcpy(rx.src_mac, h->relay_src_mac, 6);
	else if (len >= 34)
		memcpy(rx.src_mac, p + 28, 6);
	memset(&h->tx, 0, sizeof(h->tx));
	memset(h->txbuf, 0xee, sizeof(h->txbuf));
	h->tx.buf = h->txbuf;
	h->tx.cap = sizeof(h->txbuf);
	/* the tests name drops by their counter: a drop's reason maps back */
	struct dhcp_result v = dhcp_handle(h->e, h->snap, &rx, &h->tx);
	return v.verdict == DHCP_DROP ? (int)bs_drop_ctr[v.why] : (int)v.verdict;
}

int
th_discover(struct th *h, const uint8_t mac[6], uint32_t xid)
{
	struct pk p;

	pk_start(&p, DHCP_MT_DISCOVER, mac, xid);
	pk_end(&p);
	return th_send(h, &p, 0, 0xffffffffu, 67); /* broadcast */
}

int
th_request(struct th *h, const uint8_t mac[6], uint32_t xid, uint32_t ip, uint32_t sid)
{
	struct pk p;

	pk_start(&p, DHCP_MT_REQUEST, mac, xid);
	pk_opt32(&p, 50, ip);
	if (sid)
		pk_opt32(&p, 54, sid);
	pk_end(&p);
	return th_send(h, &p, 0, 0xffffffffu, 67); /* broadcast */
}

int
th_send(struct th *h, const struct pk *p, uint32_t src_ip, uint32_t dst_ip, uint16_t dst_port)
{
	return th_send_raw(h, p->b, p->len, src_ip, dst_ip, dst_port);
}

uint64_t
th_ctr(const struct th *h, int id)
{
	return h->ctr[id];
}

struct th *
th_lab(void (*tweak)(struct tb *))
{
	static struct tb b;

	tb_lab(&b);
	if (tweak)
		tweak(&b);
	return th_new(tb_finish(&b, 1), 1024);
}

void
th_done(struct th *h)
{
	if (!h)
		return;
	free(h->snap);
	th_free(h);
}

uint8_t
th_rtype(const struct th *h)
{
	return rp_type(h->txbuf, h->tx.len);
}

uint32_t
th_yiaddr(const struct th *h)
{
	return rp_be32(h->txbuf, 16);
}

void
tb_tweak_proxy(struct tb *b)
{
	b->hdr.proxy_dhcp = 1;
}

void
tb_tweak_tiny_pool(struct tb *b)
{
	b->pool[0].lo = IP4(10, 77, 0, 100);
	b->pool[0].hi = IP4(10, 77, 0, 102);
}

void
th_mac(uint8_t mac[6], uint32_t i)
{
	uint32_t x = i * 2654435761u; /* Knuth's multiplicative hash: spread */

	mac[0] = 0x02;
	mac[1] = (uint8_t)(x >> 24);
	mac[2] = (uint8_t)(x >> 16);
	mac[3] = (uint8_t)(x >> 8);
	mac[4] = (uint8_t)x;
	mac[5] = (uint8_t)i;
}
