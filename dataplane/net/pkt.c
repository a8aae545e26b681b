/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Frame classification and header builders (see pkt.h).  Every read goes
 * through a struct cur over the received length; every write through a
 * struct wcur with the buffer's capacity.
 */
#include "dataplane/net/pkt.h"

#include <errno.h>

#include <rte_ip.h>

#include "shm/counters.h"
#include "dataplane/net/cursor.h"

#define ARP_OP_REQUEST	1
#define ARP_OP_REPLY	2
#define ICMP_ECHO	8
#define ICMP_ECHOREPLY	0
#define ICMP6_RS	133
#define ICMP6_RA	134
#define IP_DF		0x4000
#define IP_MF		0x2000
#define IP_OFFMASK	0x1fff
#define TTL_DEFAULT	64

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static uint32_t
get_be32(const uint8_t *q)
{
	return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
}

static void
put_be16(uint8_t *q, uint16_t v)
{
	q[0] = (uint8_t)(v >> 8);
	q[1] = (uint8_t)v;
}

static void
put_be32(uint8_t *q, uint32_t v)
{
	q[0] = (uint8_t)(v >> 24);
	q[1] = (uint8_t)(v >> 16);
	q[2] = (uint8_t)(v >> 8);
	q[3] = (uint8_t)v;
}

/* Stores a memory-order checksum complement at q (unaligned safe). */
static void
put_csum(uint8_t *q, uint16_t sum)
{
	uint16_t c = (uint16_t)~sum;
	memcpy(q, &c, 2);
}

uint16_t
pkt_sum_add(uint32_t a, uint32_t b)
{
	uint32_t s = a + b;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

uint16_t
pkt_sum_at(uint16_t sum, size_t off)
{
	/* RFC 1071 2(B): the sum is byte-order independent up to a swap; a
	 * block starting at an odd offset contributes its swapped sum. */
	return (off & 1) ? (uint16_t)(sum << 8 | sum >> 8) : sum;
}

uint32_t
pkt_udp_phdr_sum(uint32_t src_ip, uint32_t dst_ip, uint16_t udp_len)
{
	uint8_t ph[12];
	put_be32(ph, src_ip);
	put_be32(ph + 4, dst_ip);
	ph[8] = 0;
	ph[9] = PKT_PROTO_UDP;
	put_be16(ph + 10, udp_len);
	return rte_raw_cksum(ph, sizeof(ph));
}

static bool
is_directed_bcast(const struct pkt_self *self, uint32_t ip)
{
	if (self->prefix == 0 || self->prefix >= 31)
		return false;
	uint32_t mask = ~0u << (32 - self->prefix);
	return (ip & mask) == (self->ip & mask) && (ip | mask) == ~0u;
}

/* RFC 826: only Ethernet/IPv4 ARP is ours.  We answer requests for our
 * address and give replies addressed to us to the kernel (it resolves the
 * clients it talks HTTP to through the tap). */
static enum bs_drop
classify_arp(const struct pkt_self *self, struct cur *c, struct pkt_info *pi)
{
	uint16_t htype = cur_be16(c), ptype = cur_be16(c);
	uint8_t hlen = cur_u8(c), plen = cur_u8(c);
	uint16_t op = cur_be16(c);
	const uint8_t *sha = cur_take(c, 6);
	uint32_t spa = cur_be32(c);
	cur_skip(c, 6); /* tha */
	uint32_t tpa = cur_be32(c);
	if (c->bad)
		return BS_DROP_RUNT;
	if (htype != 1 || ptype != PKT_ETHERTYPE_IPV4 || hlen != 6 || plen != 4)
		return BS_DROP_ARP;
	pi->src_ip = spa;
	pi->dst_ip = tpa;
	if (tpa != self->ip)
		return BS_DROP_NOT_FOR_US;
	if (op == ARP_OP_REQUEST) {
		/* The reply goes to sha: a group address there (or as the
		 * frame's source, which IEEE 802.3 3.2.3 never allows) would
		 * make us reflect one request to a whole segment. */
		if (pkt_mac_is_group(sha) || pkt_mac_is_group(pi->src_mac))
			return BS_DROP_GROUP_SRC_MAC;
		pi->cls = PKT_C_ARP_REQUEST;
		return BS_DROP_NONE;
	}
	if (op == ARP_OP_REPLY) {
		pi->cls = PKT_C_PUNT;
		return BS_DROP_NONE;
	}
	return BS_DROP_ARP;
}

static enum bs_drop
classify_udp(const struct pkt_self *self, const uint8_t *p, struct cur *c,
	     enum pkt_csum_hint l4_hint, bool to_me, struct pkt_info *pi)
{
	size_t ip_pay = pi->ip_len - (pi->l4_off - pi->l3_off);
	const uint8_t *uh = c->p;
	pi->src_port = cur_be16(c);
	pi->dst_port = cur_be16(c);
	uint16_t ulen = cur_be16(c);
	uint16_t csum = cur_be16(c);
	if (c->bad || ip_pay < PKT_UDP_LEN)
		return BS_DROP_RUNT;
	/* RFC 768: length covers header and data; it must fit the IP payload. */
	if (ulen < PKT_UDP_LEN || ulen > ip_pay)
		return BS_DROP_UDP_LEN;
	pi->pay_off = (uint16_t)(pi->l4_off + PKT_UDP_LEN);
	pi->pay_len = (uint16_t)(ulen - PKT_UDP_LEN);
	/* RFC 768: a zero checksum means "not computed" and is accepted. */
	if (csum != 0) {
		if (l4_hint == PKT_CSUM_BAD)
			return BS_DROP_UDP_CSUM;
		if (l4_hint == PKT_CSUM_UNKNOWN) {
			uint16_t s = pkt_sum_add(pkt_udp_phdr_sum(pi->src_ip, pi->dst_ip, ulen),
						 rte_raw_cksum(uh, ulen));
			if (s != 0xffff)
				return BS_DROP_UDP_CSUM;
		}
	}
	(void)p;
	uint16_t d = pi->dst_port;
	if (d == 67 || d == 4011) {
		pi->cls = PKT_C_DHCP;
		return BS_DROP_NONE;
	}
	if (!to_me)
		return BS_DROP_BCAST;
	if (d == 69)
		pi->cls = PKT_C_TFTP;
	else if (d >= self->tftp_lo && d <= self->tftp_hi && self->tftp_lo != 0)
		pi->cls = PKT_C_TFTP_TID;
	else
		pi->cls = PKT_C_PUNT;
	return BS_DROP_NONE;
}

static enum bs_drop
classify_icmp(const uint8_t *p, struct cur *c, bool to_me, struct pkt_info *pi)
{
	if (!to_me)
		return BS_DROP_BCAST;
	size_t icmp_len = pi->ip_len - (pi->l4_off - pi->l3_off);
	uint8_t type = cur_u8(c), code = cur_u8(c);
	if (type != ICMP_ECHO || code != 0) {
		pi->cls = PKT_C_PUNT; /* unreachable & co: the kernel's business */
		return BS_DROP_NONE;
	}
	/* RFC 1122 3.3.6: a datagram that came in a link-layer broadcast
	 * but is not an IP broadcast is discarded; one echo request must not
	 * draw a reply from every host on the segment. */
	if (pi->bcast)
		return BS_DROP_ICMP_L2_BCAST;
	/* The reply goes to the frame's source MAC: never to a group. */
	if (pkt_mac_is_group(pi->src_mac))
		return BS_DROP_GROUP_SRC_MAC;
	if (icmp_len < 8)
		return BS_DROP_ICMP;
	/* RFC 792: checksum over the whole ICMP message. */
	if (rte_raw_cksum(p + pi->l4_off, icmp_len) != 0xffff)
		return BS_DROP_ICMP;
	pi->cls = PKT_C_ICMP_ECHO;
	return BS_DROP_NONE;
}

static enum bs_drop
classify_ipv4(const struct pkt_self *self, const uint8_t *p, size_t len, struct cur *c,
	      enum pkt_csum_hint ip_hint, enum pkt_csum_hint l4_hint, struct pkt_info *pi)
{
	const uint8_t *ih = c->p;
	if (!cur_need(c, PKT_IP_LEN))
		return BS_DROP_RUNT;
	/* RFC 791 3.1: version 4, IHL >= 5 words, total length >= IHL. */
	unsigned ver = ih[0] >> 4, ihl = (ih[0] & 0xf) * 4u;
	if (ver != 4 || ihl < PKT_IP_LEN || ihl > c->left)
		return BS_DROP_IP_HDR;
	uint16_t tot = (uint16_t)(ih[2] << 8 | ih[3]);
	/* Ethernet pads short frames: the frame may be longer, never shorter. */
	if (tot < ihl || tot > c->left)
		return BS_DROP_IP_LEN;
	if (ip_hint == PKT_CSUM_BAD)
		return BS_DROP_IP_CSUM;
	if (ip_hint == PKT_CSUM_UNKNOWN && rte_raw_cksum(ih, ihl) != 0xffff)
		return BS_DROP_IP_CSUM;
	uint16_t frag = (uint16_t)(ih[6] << 8 | ih[7]);
	if (frag & (IP_MF | IP_OFFMASK))
		return BS_DROP_IP_FRAG; /* nothing we serve needs reassembly */
	pi->ip_len = tot;
	pi->proto = ih[9];
	pi->src_ip = get_be32(ih + 12);
	pi->dst_ip = get_be32(ih + 16);
	pi->l4_off = (uint16_t)(pi->l3_off + ihl);
	bool to_me = pi->dst_ip == self->ip;
	bool bcast = pi->dst_ip == 0xffffffffu || is_directed_bcast(self, pi->dst_ip);
	if (!to_me && !bcast)
		return BS_DROP_NOT_FOR_US;
	/* A unicast IP in a broadcast frame is someone's mistake or an attack
	 * surface; the kernel would drop it too (RFC 1122 3.3.6). */
	struct cur l4 = cur_init(p + pi->l4_off, tot - ihl);
	(void)len;
	switch (pi->proto) {
	case PKT_PROTO_UDP:
		return classify_udp(self, p, &l4, l4_hint, to_me, pi);
	case PKT_PROTO_ICMP:
		return classify_icmp(p, &l4, to_me, pi);
	default:
		if (!to_me)
			return BS_DROP_BCAST;
		pi->cls = PKT_C_PUNT;
		return BS_DROP_NONE;
	}
}

static enum bs_drop
classify_ipv6(const uint8_t *p, struct cur *c, struct pkt_info *pi)
{
	const uint8_t *h = cur_take(c, 40);
	if (!h)
		return BS_DROP_RUNT;
	if ((h[0] >> 4) != 6)
		return BS_DROP_IP_HDR;
	uint16_t plen = (uint16_t)(h[4] << 8 | h[5]);
	if (plen > c->left)
		return BS_DROP_IP_LEN;
	pi->ip_len = (uint16_t)(plen + 40);
	pi->proto = h[6];
	pi->l4_off = (uint16_t)(pi->l3_off + 40);
	/* RFC 4861 6.1.1: a valid RS has hop limit 255, ICMPv6 length >= 8,
	 * code 0.  Anything else IPv6 is the kernel's. */
	if (pi->proto == PKT_PROTO_ICMP6 && plen >= 8 && c->p[0] == ICMP6_RS &&
	    c->p[1] == 0 && h[7] == 255) {
		pi->cls = PKT_C_RS6;
		return BS_DROP_NONE;
	}
	(void)p;
	pi->cls = PKT_C_PUNT;
	return BS_DROP_NONE;
}

enum bs_drop
pkt_classify(const struct pkt_self *self, const uint8_t *p, size_t len,
	     enum pkt_csum_hint ip_hint, enum pkt_csum_hint l4_hint, struct pkt_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	struct cur c = cur_init(p, len);
	const uint8_t *dst = cur_take(&c, 6), *src = cur_take(&c, 6);
	uint16_t et = cur_be16(&c);
	if (c.bad)
		return BS_DROP_RUNT;
	memcpy(pi->src_mac, src, 6);
	/* AF_PACKET also hands us what the kernel (or we) sent on the port. */
	if (memcmp(src, self->mac, 6) == 0)
		return BS_DROP_OWN_MAC;
	pi->bcast = (dst[0] & 1) != 0;
	if (!pi->bcast && memcmp(dst, self->mac, 6) != 0)
		return BS_DROP_NOT_FOR_US;
	pi->l2_len = PKT_ETH_LEN;
	if (et == PKT_ETHERTYPE_VLAN) {
		uint16_t tci = cur_be16(&c);
		et = cur_be16(&c);
		if (c.bad)
			return BS_DROP_RUNT;
		if (self->vlan == 0 || (tci & 0xfff) != self->vlan)
			return BS_DROP_VLAN;
		pi->tagged = true;
		pi->l2_len = PKT_ETH_LEN + PKT_VLAN_LEN;
	} else if (self->vlan != 0 || et == 0x88a8) {
		return BS_DROP_VLAN; /* untagged on a tagged config, or QinQ */
	}
	pi->ethertype = et;
	pi->l3_off = pi->l2_len;
	switch (et) {
	case PKT_ETHERTYPE_ARP:
		return classify_arp(self, &c, pi);
	case PKT_ETHERTYPE_IPV4:
		return classify_ipv4(self, p, len, &c, ip_hint, l4_hint, pi);
	case PKT_ETHERTYPE_IPV6:
		if (memcmp(dst, bcast_mac, 6) == 0)
			return BS_DROP_BCAST;
		return classify_ipv6(p, &c, pi);
	default:
		return pi->bcast ? BS_DROP_BCAST : BS_DROP_ETHERTYPE;
	}
}

static bool
put_eth(struct wcur *w, const struct pkt_self *self, const uint8_t dst[6], uint16_t et)
{
	wcur_put(w, dst, 6);
	wcur_put(w, self->mac, 6);
	if (self->vlan) {
		wcur_be16(w, PKT_ETHERTYPE_VLAN);
		wcur_be16(w, self->vlan & 0xfff);
	}
	return wcur_be16(w, et);
}

size_t
pkt_build_udp(uint8_t *buf, size_t cap, const struct pkt_self *self, const uint8_t dst_mac[6],
	      uint32_t src_ip, uint32_t dst_ip, uint16_t sport, uint16_t dport, size_t pay_len,
	      uint16_t pay_sum, uint16_t ip_id)
{
	if (pay_len > 0xffff - PKT_IP_LEN - PKT_UDP_LEN)
		return 0;
	struct wcur w = wcur_init(buf, cap);
	put_eth(&w, self, dst_mac, PKT_ETHERTYPE_IPV4);
	uint8_t *ih = wcur_reserve(&w, PKT_IP_LEN);
	uint8_t *uh = wcur_reserve(&w, PKT_UDP_LEN);
	if (w.bad)
		return 0;
	uint16_t ulen = (uint16_t)(PKT_UDP_LEN + pay_len);
	ih[0] = 0x45;
	ih[1] = 0;
	put_be16(ih + 2, (uint16_t)(PKT_IP_LEN + ulen));
	put_be16(ih + 4, ip_id);
	put_be16(ih + 6, IP_DF);
	ih[8] = TTL_DEFAULT;
	ih[9] = PKT_PROTO_UDP;
	memset(ih + 10, 0, 2);
	put_be32(ih + 12, src_ip);
	put_be32(ih + 16, dst_ip);
	put_csum(ih + 10, rte_raw_cksum(ih, PKT_IP_LEN));
	put_be16(uh, sport);
	put_be16(uh + 2, dport);
	put_be16(uh + 4, ulen);
	memset(uh + 6, 0, 2);
	uint16_t s = pkt_sum_add(pkt_udp_phdr_sum(src_ip, dst_ip, ulen),
				 pkt_sum_add(rte_raw_cksum(uh, PKT_UDP_LEN), pay_sum));
	uint16_t c = (uint16_t)~s;
	if (c == 0)
		c = 0xffff; /* RFC 768: a computed zero is sent as all ones */
	memcpy(uh + 6, &c, 2);
	return w.len;
}

int
pkt_udp_tmpl_init(struct pkt_udp_tmpl *t, const struct pkt_self *self, const uint8_t dst_mac[6],
		  uint32_t src_ip, uint32_t dst_ip, uint16_t sport, uint16_t dport, const uint8_t *app,
		  size_t app_len)
{
	memset(t, 0, sizeof(*t));
	if (app_len > PKT_TMPL_APP_MAX || (app_len & 1))
		return -EINVAL; /* odd: the payload's sum would need a swap */
	size_t n = pkt_build_udp(t->b, PKT_MAX_HDR, self, dst_mac, src_ip, dst_ip, sport, dport,
				 app_len, 0, 0);
	if (n == 0)
		return -EINVAL;
	memcpy(t->b + n, app, app_len);
	t->len = (uint8_t)(n + app_len);
	t->app_len = (uint8_t)app_len;
	t->ip_off = (uint8_t)(n - PKT_IP_LEN - PKT_UDP_LEN);
	uint8_t *ih = t->b + t->ip_off, *uh = ih + PKT_IP_LEN;
	memset(ih + 2, 0, 4);	/* total length, id */
	memset(ih + 10, 0, 2);	/* checksum */
	memset(uh + 4, 0, 4);	/* length, checksum */
	t->ip_sum = rte_raw_cksum(ih, PKT_IP_LEN);
	t->udp_sum = pkt_sum_add(pkt_udp_phdr_sum(src_ip, dst_ip, 0),
				 rte_raw_cksum(uh, PKT_UDP_LEN + app_len));
	return 0;
}

size_t
pkt_arp_reply(uint8_t *p, size_t len, size_t cap, const struct pkt_self *self,
	      const struct pkt_info *pi)
{
	size_t n = pi->l2_len + PKT_ARP_LEN;
	if (len < n || cap < n)
		return 0;
	uint8_t *a = p + pi->l2_len;
	uint8_t sha[6];
	memcpy(sha, a + 8, 6);
	memcpy(p, sha, 6);		/* eth dst = requester */
	memcpy(p + 6, self->mac, 6);
	put_be16(a + 6, ARP_OP_REPLY);
	memcpy(a + 18, sha, 6);		/* tha = requester's sha */
	memcpy(a + 24, a + 14, 4);	/* tpa = requester's spa */
	memcpy(a + 8, self->mac, 6);	/* sha = us */
	put_be32(a + 14, self->ip);	/* spa = us */
	size_t min = PKT_MIN_FRAME + (pi->tagged ? PKT_VLAN_LEN : 0);
	if (n < min && cap >= min) {
		memset(p + n, 0, min - n);
		n = min;
	}
	return n;
}

size_t
pkt_garp(uint8_t *buf, size_t cap, const struct pkt_self *self)
{
	struct wcur w = wcur_init(buf, cap);
	put_eth(&w, self, bcast_mac, PKT_ETHERTYPE_ARP);
	wcur_be16(&w, 1);
	wcur_be16(&w, PKT_ETHERTYPE_IPV4);
	wcur_u8(&w, 6);
	wcur_u8(&w, 4);
	wcur_be16(&w, ARP_OP_REQUEST);
	wcur_put(&w, self->mac, 6);
	wcur_be32(&w, self->ip);
	wcur_zero(&w, 6);
	wcur_be32(&w, self->ip);	/* RFC 5227 3: sender and target IP both ours */
	size_t min = PKT_MIN_FRAME + (self->vlan ? PKT_VLAN_LEN : 0);
	if (w.len < min)
		wcur_zero(&w, min - w.len);
	return w.bad ? 0 : w.len;
}

size_t
pkt_icmp_echo_reply(uint8_t *p, size_t len, const struct pkt_self *self,
		    const struct pkt_info *pi)
{
	size_t end = (size_t)pi->l3_off + pi->ip_len;
	if (end > len || pi->cls != PKT_C_ICMP_ECHO)
		return 0;
	uint8_t *ih = p + pi->l3_off, *icmp = p + pi->l4_off;
	size_t ihl = (size_t)(pi->l4_off - pi->l3_off), icmp_len = pi->ip_len - ihl;
	memcpy(p, pi->src_mac, 6);
	memcpy(p + 6, self->mac, 6);
	put_be32(ih + 12, self->ip);
	put_be32(ih + 16, pi->src_ip);
	ih[8] = TTL_DEFAULT;
	memset(ih + 10, 0, 2);
	put_csum(ih + 10, rte_raw_cksum(ih, ihl));
	icmp[0] = ICMP_ECHOREPLY;
	memset(icmp + 2, 0, 2);
	put_csum(icmp + 2, rte_raw_cksum(icmp, icmp_len));
	return end;
}

size_t
pkt_ra_reply(uint8_t *buf, size_t cap, const uint8_t *rs, size_t rs_len,
	     const struct pkt_self *self, const struct pkt_info *pi)
{
	static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	static const uint8_t all_nodes_ip[16] = { 0xff, 2, [15] = 1 };
	(void)rs;
	(void)rs_len;
	(void)pi;
	/* Our link-local address: fe80::/64 + modified EUI-64 (RFC 4291 2.5.1). */
	uint8_t ll[16] = { 0xfe, 0x80 };
	ll[8] = self->mac[0] ^ 2;
	ll[9] = self->mac[1];
	ll[10] = self->mac[2];
	ll[11] = 0xff;
	ll[12] = 0xfe;
	ll[13] = self->mac[3];
	ll[14] = self->mac[4];
	ll[15] = self->mac[5];
	const uint16_t icmp_len = 16 + 8;
	struct wcur w = wcur_init(buf, cap);
	put_eth(&w, self, all_nodes_mac, PKT_ETHERTYPE_IPV6);
	uint8_t *ih = wcur_reserve(&w, 40);
	uint8_t *ic = wcur_reserve(&w, icmp_len);
	if (w.bad)
		return 0;
	memset(ih, 0, 40);
	ih[0] = 0x60;
	put_be16(ih + 4, icmp_len);
	ih[6] = PKT_PROTO_ICMP6;
	ih[7] = 255;			/* RFC 4861 6.1.2: hop limit 255 */
	memcpy(ih + 8, ll, 16);
	memcpy(ih + 24, all_nodes_ip, 16);
	memset(ic, 0, icmp_len);
	ic[0] = ICMP6_RA;
	/* cur hop limit 0, flags 0 (no DHCPv6), router lifetime 0: "not a
	 * default router" (RFC 4861 4.2), reachable/retrans 0 = unspecified. */
	ic[16] = 1;			/* option: source link-layer address */
	ic[17] = 1;			/* length in units of 8 bytes */
	memcpy(ic + 18, self->mac, 6);
	/* RFC 8200 8.1 pseudo header: src, dst, upper-layer length, next header. */
	uint8_t ph[8] = { 0, 0, (uint8_t)(icmp_len >> 8), (uint8_t)icmp_len, 0, 0, 0,
			  PKT_PROTO_ICMP6 };
	uint16_t s = pkt_sum_add(rte_raw_cksum(ih + 8, 32), rte_raw_cksum(ph, 8));
	s = pkt_sum_add(s, rte_raw_cksum(ic, icmp_len));
	put_csum(ic + 2, s);
	return w.len;
}

uint8_t *
pkt_vlan_strip(uint8_t *p)
{
	memmove(p + PKT_VLAN_LEN, p, 12);
	return p + PKT_VLAN_LEN;
}

uint8_t *
pkt_vlan_insert(uint8_t *p, uint16_t vlan)
{
	uint8_t *q = p - PKT_VLAN_LEN;
	memmove(q, p, 12);
	put_be16(q + 12, PKT_ETHERTYPE_VLAN);
	put_be16(q + 14, vlan & 0xfff);
	return q;
}
