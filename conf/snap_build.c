/* SPDX-License-Identifier: BSD-3-Clause
 *
 * struct cfg -> flat snapshot (shm/snap.h), and the verifier the dataplane
 * runs on every snapshot it is about to trust.
 *
 * Layout built here (every table 8-byte aligned, in this order):
 *   snap_hdr | subnets | pools | profiles | nodes (by name) | mac_index |
 *   ip_index | strings
 * Profiles are resolved: a profile's boot file per arch falls back to
 * boot.files, its iPXE URL to boot.ipxe.  When no default_profile is
 * configured but boot: names files, an unnamed profile carrying boot: is
 * appended and made the default, so a config without profiles still boots.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "shm/shm.h"
#include "conf/cfg_parse.h"
#include "conf/snap_build.h"
#include "shm/snap_read.h"

/* ------------------------------------------------------------------ */
/* String blob */

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

/* Appends s (NUL included) and returns its offset; "" and NULL are 0. */
static uint32_t
str_add(struct sbuf *b, const char *s)
{
	if (!s || !*s)
		return 0;
	size_t n = strlen(s) + 1;
	if (b->len + n > UINT32_MAX / 2) {
		b->oom = true;
		return 0;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap * 2 > b->len + n ? b->cap * 2 : b->len + n + 4096;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return 0;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return (uint32_t)(b->len - n);
}

static uint32_t
pow2_at_least(uint64_t n)
{
	uint64_t p = 1;
	while (p < n)
		p <<= 1;
	return (uint32_t)p;
}

static size_t
align8(size_t x)
{
	return (x + 7) & ~(size_t)7;
}

/* ------------------------------------------------------------------ */
/* Tables */

static bool
has_boot_defaults(const struct cfg *c)
{
	if (c->ipxe_url)
		return true;
	for (unsigned a = 0; a < SNAP_ARCH_MAX; a++)
		if (c->boot_file[a])
			return true;
	return false;
}

/* profiles[].http_boot as the URL UEFI HTTP boot gets: a URL as it is, a
 * path as served by control's HTTP under /boot/ (generated files, then the
 * TFTP root: the same loader both ways). */
static uint32_t
http_boot_url(const struct cfg *c, const char *v, struct sbuf *sb)
{
	char *u;
	uint32_t off;

	if (cfgp_is_url(v))
		return str_add(sb, v);
	while (*v == '/')
		v++;
	if (asprintf(&u, "%s/boot/%s", c->http_base_url ? c->http_base_url : "", v) < 0) {
		sb->oom = true;
		return 0;
	}
	off = str_add(sb, u);
	free(u);
	return off;
}

static void
fill_profile(const struct cfg *c, const struct cfg_profile *p, struct snap_profile *sp,
	     struct sbuf *sb)
{
	sp->name = str_add(sb, p ? p->name : NULL);
	for (unsigned a = 0; a < SNAP_ARCH_MAX; a++)
		sp->boot_file[a] =
			str_add(sb, p && p->boot_file[a] ? p->boot_file[a] : c->boot_file[a]);
	if (p && p->http_boot && !p->boot_file[SNAP_ARCH_HTTP_X64])
		sp->boot_file[SNAP_ARCH_HTTP_X64] = http_boot_url(c, p->http_boot, sb);
	sp->local_boot = p && p->local_boot ? p->local_boot - 1u : c->local_boot;
	sp->ipxe_url = str_add(sb, p && p->ipxe_url ? p->ipxe_url : c->ipxe_url);
	sp->kernel = str_add(sb, p ? p->kernel : NULL);
	sp->initrd = str_add(sb, p ? p->initrd : NULL);
	sp->append = str_add(sb, p ? p->append : NULL);
	sp->next_server = p ? p->next_server : 0;
}

static uint32_t
profile_index(const struct cfg *c, const char *name)
{
	if (!name)
		return SNAP_NONE;
	for (size_t i = 0; i < c->n_profiles; i++)
		if (c->profiles[i].name && !strcmp(c->profiles[i].name, name))
			return (uint32_t)i;
	return SNAP_NONE;
}

static uint32_t
subnet_index(const struct cfg *c, uint32_t ip)
{
	for (size_t i = 0; i < c->n_subnets; i++)
		if ((ip & c->subnets[i].mask) == c->subnets[i].net)
			return (uint32_t)i;
	return SNAP_NONE;
}

/* Linear-probing insert; the table is at least twice the key count, so a
 * free slot always exists. */
static void
index_put(uint32_t *idx, uint32_t cap, uint32_t h, uint32_t node)
{
	for (uint32_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
		if (idx[i] == SNAP_NONE) {
			idx[i] = node;
			return;
		}
	}
}

struct counts {
	size_t subnets, pools, profiles, nodes, nodes_ip;
	uint32_t mac_cap, ip_cap;
	bool implicit_profile;
};

static void
count_tables(const struct cfg *c, struct counts *k)
{
	memset(k, 0, sizeof(*k));
	k->subnets = c->n_subnets;
	for (size_t i = 0; i < c->n_subnets; i++)
		k->pools += c->subnets[i].n_pools;
	k->implicit_profile = !c->default_profile && has_boot_defaults(c);
	k->profiles = c->n_profiles + k->implicit_profile;
	k->nodes = c->n_nodes;
	for (size_t i = 0; i < c->n_nodes; i++)
		k->nodes_ip += c->nodes[i].has_ip;
	k->mac_cap = k->nodes ? pow2_at_least(2 * (uint64_t)k->nodes) : 0;
	k->ip_cap = k->nodes_ip ? pow2_at_least(2 * (uint64_t)k->nodes_ip) : 0;
}

static void
fill_header(const struct cfg *c, struct snap_hdr *h, struct sbuf *sb, uint64_t gen,
	    const struct counts *k)
{
	h->magic = SNAP_MAGIC;
	h->abi = SHM_ABI;
	h->gen = gen;
	h->base_gen = gen;
	h->server_ip = c->server_ip;
	h->server_prefix = c->server_prefix;
	if (c->has_server_mac)
		memcpy(h->server_mac, c->server_mac, 6);
	h->vlan = c->vlan;
	h->server_name = str_add(sb, c->name);
	h->unknown_policy = c->unknown_policy;
	h->proxy_dhcp = c->proxy_dhcp;
	h->default_profile = k->implicit_profile ? (uint32_t)c->n_profiles :
						   profile_index(c, c->default_profile);
	h->offer_hold_s = c->offer_hold_s;
	h->decline_hold_s = c->decline_hold_s;
	h->max_dynamic = c->max_dynamic;
	h->n_relays = c->n_relays;
	memcpy(h->relays, c->relays, sizeof(h->relays));
	/* Fleet: every peer taken alive until control/fleet/fleet_live.c
	 * learns otherwise from the database. */
	int self = snap_lb_self(c);
	if (self >= 0) {
		h->lb_slices = c->n_fleet_peers;
		h->lb_slice = (uint32_t)self;
		h->lb_secs = c->fleet_lb_secs;
		snap_lb_assign(c->n_fleet_peers, NULL, (uint32_t)self, h->lb_buckets);
	}
	h->tftp_root = str_add(sb, c->tftp_root);
	h->tftp_gen_root = str_add(sb, c->tftp_gen_root);
	h->tftp_max_blksize = c->tftp_max_blksize;
	h->tftp_max_windowsize = c->tftp_max_windowsize;
	h->tftp_timeout_ms = c->tftp_timeout_ms;
	h->tftp_retries = c->tftp_retries;
	h->tftp_port_lo = c->tftp_port_lo;
	h->tftp_port_hi = c->tftp_port_hi;
	h->tftp_max_transfers = c->tftp_max_transfers;
	h->tftp_max_per_client = c->tftp_max_per_client;
	h->tftp_mtu = c->mtu;
	h->http_base_url = str_add(sb, c->http_base_url);
}

static void
fill_subnets(const struct cfg *c, struct snap_subnet *ss, struct snap_pool *sp,
	     struct sbuf *sb)
{
	uint32_t np = 0;
	for (size_t i = 0; i < c->n_subnets; i++) {
		const struct cfg_subnet *s = &c->subnets[i];
		struct snap_subnet *o = &ss[i];
		o->net = s->net;
		o->mask = s->mask;
		o->router = s->router;
		memcpy(o->dns, s->dns, sizeof(o->dns));
		o->n_dns = s->n_dns;
		o->ntp = s->ntp;
		o->domain = str_add(sb, s->domain);
		o->lease_s = s->lease_s;
		o->renew_s = s->renew_s;
		o->rebind_s = s->rebind_s;
		o->first_pool = np;
		o->n_pools = (uint32_t)s->n_pools;
		o->max_dynamic = s->max_dynamic;
		o->next_server = s->next_server;
		o->mtu = s->mtu;
		o->authoritative = s->authoritative;
		for (size_t j = 0; j < s->n_pools; j++, np++) {
			sp[np].lo = s->pools[j].lo;
			sp[np].hi = s->pools[j].hi;
			sp[np].subnet = (uint32_t)i;
		}
	}
}

struct node_boot_src {
	snap_node_boot_fn fn;
	void *arg;
};

static void
fill_nodes(const struct cfg *c, struct snap_node *sn, uint32_t *mac_idx, uint32_t mac_cap,
	   uint32_t *ip_idx, uint32_t ip_cap, struct sbuf *sb, const struct node_boot_src *nb)
{
	memset(mac_idx, 0xff, (size_t)mac_cap * sizeof(uint32_t)); /* SNAP_NONE */
	memset(ip_idx, 0xff, (size_t)ip_cap * sizeof(uint32_t));
	for (uint32_t i = 0; i < c->n_nodes; i++) {
		/* Sorted by name: the table order is by_name. */
		const struct cfg_node *n = &c->nodes[c->by_name ? c->by_name[i] : i];
		struct snap_node *o = &sn[i];
		memcpy(o->mac, n->mac, 6);
		o->has_ip = n->has_ip;
		o->ip = n->has_ip ? n->ip : 0;
		o->name = str_add(sb, n->name);
		o->profile = profile_index(c, n->profile);
		if (nb->fn) {
			struct snap_node_boot b = { 0 };
			nb->fn(nb->arg, n, &b);
			o->boot = b.boot < SNAP_BOOT_MAX ? b.boot : SNAP_BOOT_NET;
			o->profile = profile_index(c, b.profile);
		}
		o->subnet = n->has_ip ? subnet_index(c, n->ip) : SNAP_NONE;
		o->boot_file = str_add(sb, n->boot_file);
		o->ipxe_url = str_add(sb, n->ipxe_url);
		o->client_id = str_add(sb, n->client_id);
		index_put(mac_idx, mac_cap, snap_mac_hash(o->mac), i);
		if (n->has_ip)
			index_put(ip_idx, ip_cap, snap_ip_hash(o->ip), i);
	}
}

unsigned
snap_lb_assign(uint32_t n_peers, const bool *alive, uint32_t self, uint8_t out[SNAP_LB_BUCKETS / 8])
{
	uint32_t live[CFG_MAX_PEERS], n_live = 0;
	unsigned mine = 0;

	memset(out, 0, SNAP_LB_BUCKETS / 8);
	if (n_peers == 0 || n_peers > CFG_MAX_PEERS || self >= n_peers)
		return 0;
	for (uint32_t i = 0; i < n_peers; i++)
		if (i == self || !alive || alive[i])
			live[n_live++] = i;
	for (uint32_t b = 0; b < SNAP_LB_BUCKETS; b++) {
		uint32_t owner = b % n_peers;
		if (owner != self && alive && !alive[owner])
			owner = live[(b / n_peers) % n_live];
		if (owner == self) {
			out[b >> 3] |= (uint8_t)(1u << (b & 7));
			mine++;
		}
	}
	return mine;
}

static int
cmp_lease_mac(const void *x, const void *y)
{
	return memcmp(((const struct snap_lease *)x)->mac, ((const struct snap_lease *)y)->mac, 6);
}

int
snap_with_lb(const struct snap_hdr *base, const uint8_t buckets[SNAP_LB_BUCKETS / 8],
	     struct snap_lease *a, uint32_t n, struct snap_hdr **out, size_t *len)
{
	/* the adopted table, when there is one, is the snapshot's last */
	size_t keep = base->adopted.count ? base->adopted.off : base->size;
	uint32_t m = 0;

	qsort(a, n, sizeof(*a), cmp_lease_mac);
	for (uint32_t i = 0; i < n; i++) { /* one entry per MAC */
		if (m && memcmp(a[m - 1].mac, a[i].mac, 6) == 0) {
			if (a[i].expires_ms > a[m - 1].expires_ms)
				a[m - 1] = a[i];
		} else
			a[m++] = a[i];
	}
	size_t off = align8(keep), total = off + (size_t)m * sizeof(*a);
	if (total > UINT32_MAX)
		return -E2BIG;
	uint8_t *buf = calloc(1, total);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, base, keep);
	struct snap_hdr *h = (struct snap_hdr *)buf;
	memcpy(h->lb_buckets, buckets, sizeof(h->lb_buckets));
	h->adopted.off = m ? (uint32_t)off : 0;
	h->adopted.count = m;
	memcpy(buf + off, a, (size_t)m * sizeof(*a));
	h->size = (uint32_t)total;
	*out = h;
	*len = total;
	return 0;
}

int
snap_lb_self(const struct cfg *c)
{
	const char *self = c->fleet_server_name && c->fleet_server_name[0] ? c->fleet_server_name
									   : c->name;
	if (!c->fleet_enabled || c->n_fleet_peers < 2 || !self)
		return -1;
	for (uint32_t i = 0; i < c->n_fleet_peers; i++)
		if (strcmp(c->fleet_peers[i], self) == 0)
			return (int)i;
	return -1;
}

int
snap_build(const struct cfg *c, uint64_t gen, struct snap_hdr **out, size_t *len)
{
	return snap_build_nodes(c, gen, NULL, NULL, out, len);
}

int
snap_build_nodes(const struct cfg *c, uint64_t gen, snap_node_boot_fn fn, void *arg,
		 struct snap_hdr **out, size_t *len)
{
	const struct node_boot_src nb = { fn, arg };
	struct sbuf sb = { 0 };
	struct counts k;
	struct snap_hdr h = { 0 };
	int rc = -ENOMEM;

	*out = NULL;
	if (!c || gen == 0)
		return -EINVAL;
	count_tables(c, &k);
	/* Offset 0 is the empty string. */
	if (!(sb.p = malloc(sb.cap = 4096)))
		return -ENOMEM;
	sb.p[0] = 0;
	sb.len = 1;

	/* Tables other than strings go into scratch arrays first, because
	 * their string offsets are only known while we fill them. */
	struct snap_subnet *ss = calloc(k.subnets + 1, sizeof(*ss));
	struct snap_pool *sp = calloc(k.pools + 1, sizeof(*sp));
	struct snap_profile *spr = calloc(k.profiles + 1, sizeof(*spr));
	struct snap_node *sn = calloc(k.nodes + 1, sizeof(*sn));
	uint32_t *mi = calloc((size_t)k.mac_cap + 1, sizeof(uint32_t));
	uint32_t *ii = calloc((size_t)k.ip_cap + 1, sizeof(uint32_t));
	if (!ss || !sp || !spr || !sn || !mi || !ii || sb.oom)
		goto out;

	fill_header(c, &h, &sb, gen, &k);
	fill_subnets(c, ss, sp, &sb);
	for (size_t i = 0; i < c->n_profiles; i++)
		fill_profile(c, &c->profiles[i], &spr[i], &sb);
	if (k.implicit_profile)
		fill_profile(c, NULL, &spr[c->n_profiles], &sb);
	fill_nodes(c, sn, mi, k.mac_cap, ii, k.ip_cap, &sb, &nb);
	if (sb.oom)
		goto out;

	size_t off = align8(sizeof(struct snap_hdr));
#define PLACE(tab, n, esz)                          \
	do {                                        \
		h.tab.off = (uint32_t)off;          \
		h.tab.count = (uint32_t)(n);        \
		off = align8(off + (size_t)(n) * (esz)); \
	} while (0)
	PLACE(subnets, k.subnets, sizeof(*ss));
	PLACE(pools, k.pools, sizeof(*sp));
	PLACE(profiles, k.profiles, sizeof(*spr));
	PLACE(nodes, k.nodes, sizeof(*sn));
	PLACE(mac_index, k.mac_cap, sizeof(uint32_t));
	PLACE(ip_index, k.ip_cap, sizeof(uint32_t));
	PLACE(strings, sb.len, 1);
#undef PLACE
	if (off > UINT32_MAX) {
		rc = -E2BIG;
		goto out;
	}
	h.size = (uint32_t)off;
	uint8_t *buf = calloc(1, off);
	if (!buf)
		goto out;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + h.subnets.off, ss, k.subnets * sizeof(*ss));
	memcpy(buf + h.pools.off, sp, k.pools * sizeof(*sp));
	memcpy(buf + h.profiles.off, spr, k.profiles * sizeof(*spr));
	memcpy(buf + h.nodes.off, sn, k.nodes * sizeof(*sn));
	memcpy(buf + h.mac_index.off, mi, (size_t)k.mac_cap * sizeof(uint32_t));
	memcpy(buf + h.ip_index.off, ii, (size_t)k.ip_cap * sizeof(uint32_t));
	memcpy(buf + h.strings.off, sb.p, sb.len);
	/* crc computed with the crc field zero (it is: calloc + h.crc == 0). */
	((struct snap_hdr *)buf)->crc = (uint32_t)crc32(0L, buf, (uInt)off);
	*out = (struct snap_hdr *)buf;
	*len = off;
	rc = 0;
out:
	free(ss);
	free(sp);
	free(spr);
	free(sn);
	free(mi);
	free(ii);
	free(sb.p);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Node boot fields of a built snapshot */

static uint32_t
profile_by_name(const struct snap_hdr *s, const char *name)
{
	for (uint32_t i = 0; name && i < s->profiles.count; i++)
		if (strcmp(snap_str(s, snap_profile(s, i)->name), name) == 0)
			return i;
	return SNAP_NONE;
}

int
snap_node_set_boot(struct snap_hdr *s, const char *name, const struct snap_node_boot *b)
{
	struct snap_node *nodes = (struct snap_node *)((uint8_t *)s + s->nodes.off);
	uint32_t lo = 0, hi = s->nodes.count, prof = profile_by_name(s, b->profile);

	if (b->boot >= SNAP_BOOT_MAX || (b->profile && prof == SNAP_NONE))
		return -ENOENT;
	while (lo < hi) { /* lower bound: nodes are sorted by strcmp of name */
		uint32_t mid = lo + (hi - lo) / 2;
		if (strcmp(snap_str(s, nodes[mid].name), name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == s->nodes.count || strcmp(snap_str(s, nodes[lo].name), name) != 0)
		return -ENOENT;
	if (nodes[lo].boot == b->boot && nodes[lo].profile == prof)
		return 0;
	nodes[lo].boot = b->boot;
	nodes[lo].profile = prof;
	return 1;
}

void
snap_seal(struct snap_hdr *s, uint64_t gen)
{
	s->gen = gen;
	s->crc = 0;
	s->crc = (uint32_t)crc32(0L, (const uint8_t *)s, (uInt)s->size);
}
