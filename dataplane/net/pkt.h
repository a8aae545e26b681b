/* SPDX-License-Identifier: BSD-3-Clause
 *
 * L2/L3/L4 classification and header building for the dataplane, over
 * plain byte buffers (no mbufs), so cmocka tests and the fuzzer run it
 * without an EAL.  Only the worker glue (dataplane/worker.c) knows mbufs.
 *
 * pkt_classify() validates one received frame (Ethernet, optional 802.1Q,
 * ARP / IPv4 / UDP / ICMP, IPv6 only as far as "punt or answer an RS") and
 * says what to do with it; it never writes.  The builders write headers
 * through bounds-checked write cursors (dataplane/net/cursor.h).
 *
 * Checksums: sums are kept in "memory order" as DPDK's rte_raw_cksum()
 * returns them (16-bit words loaded in host order, folded), which is what
 * can be stored back into a header with a plain 16-bit store.
 */
#ifndef BS_NET_PKT_H
#define BS_NET_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "shm/counters.h"

#define PKT_ETH_LEN	14
#define PKT_VLAN_LEN	4
#define PKT_IP_LEN	20	/* without options: everything we send */
#define PKT_UDP_LEN	8
#define PKT_ARP_LEN	28
#define PKT_MAX_HDR	(PKT_ETH_LEN + PKT_VLAN_LEN + PKT_IP_LEN + PKT_UDP_LEN)
#define PKT_MIN_FRAME	60	/* Ethernet minimum without FCS: pad replies to it */

#define PKT_ETHERTYPE_IPV4 0x0800
#define PKT_ETHERTYPE_ARP  0x0806
#define PKT_ETHERTYPE_VLAN 0x8100
#define PKT_ETHERTYPE_IPV6 0x86dd

#define PKT_PROTO_ICMP	 1
#define PKT_PROTO_TCP	 6
#define PKT_PROTO_UDP	 17
#define PKT_PROTO_ICMP6	 58

/* Who we are, from the snapshot and the port (host order addresses). */
struct pkt_self {
	uint8_t mac[6];
	uint16_t vlan;		/* 0 = untagged */
	uint32_t ip;		/* 0 = not configured yet */
	uint32_t prefix;
	uint16_t tftp_lo, tftp_hi; /* server TID range */
};

/* Checksum state reported by the PMD for this frame. */
enum pkt_csum_hint {
	PKT_CSUM_UNKNOWN = 0,	/* verify in software */
	PKT_CSUM_GOOD,		/* the NIC verified it */
	PKT_CSUM_BAD,		/* the NIC found it wrong */
	PKT_CSUM_MAX
};

enum pkt_class {
	PKT_C_ARP_REQUEST = 0,	/* who-has server_ip: answer */
	PKT_C_ICMP_ECHO,	/* echo request to server_ip: answer */
	PKT_C_DHCP,		/* UDP to 67 or 4011 */
	PKT_C_TFTP,		/* UDP to 69 */
	PKT_C_TFTP_TID,		/* UDP to our TID range */
	PKT_C_RS6,		/* ICMPv6 router solicitation */
	PKT_C_PUNT,		/* for us, not answered here: kernel tap */
	PKT_C_MAX
};

/* What pkt_classify() found; offsets are from the frame start. */
struct pkt_info {
	enum pkt_class cls;
	uint16_t l2_len;	/* 14 or 18 */
	uint16_t ethertype;	/* inner one */
	bool tagged;		/* frame carried an 802.1Q tag */
	bool bcast;		/* L2 destination is broadcast/multicast */
	uint16_t l3_off, l4_off, pay_off;
	uint16_t ip_len;	/* IPv4 total length (frame may be padded past it) */
	uint32_t src_ip, dst_ip;	/* host order */
	uint8_t proto;
	uint16_t src_port, dst_port;	/* host order */
	uint16_t pay_len;	/* UDP payload bytes */
	uint8_t src_mac[6];
};

/* IEEE 802 I/G bit: a multicast or broadcast address. */
static inline bool
pkt_mac_is_group(const uint8_t mac[6])
{
	return (mac[0] & 1) != 0;
}

/* Classifies one frame.  Returns BS_DROP_NONE with *pi filled, or why it
 * is dropped (not counted: the caller counts).  ip_hint/l4_hint come from
 * the PMD's RX offload flags. */
enum bs_drop pkt_classify(const struct pkt_self *self, const uint8_t *p, size_t len,
			  enum pkt_csum_hint ip_hint, enum pkt_csum_hint l4_hint,
			  struct pkt_info *pi);

/* Folded one's complement sum in memory order (rte_raw_cksum semantics)
 * of the IPv4 pseudo header for UDP. */
uint32_t pkt_udp_phdr_sum(uint32_t src_ip, uint32_t dst_ip, uint16_t udp_len);
/* Adds two folded sums (one's complement addition). */
uint16_t pkt_sum_add(uint32_t a, uint32_t b);
/* A sum of bytes that start at an odd offset of the datagram is the
 * byte-swapped sum: use this to place a block's sum at offset `off`. */
uint16_t pkt_sum_at(uint16_t sum, size_t off);

/* Builds Ethernet (+802.1Q when self->vlan) + IPv4 + UDP headers for a
 * datagram of pay_len payload bytes into buf (cap bytes).  The UDP checksum
 * is computed from the headers plus pay_sum, the folded memory-order sum
 * of the payload as it will sit after the UDP header (see pkt_sum_at).
 * Returns header bytes written, or 0 when it does not fit or pay_len is
 * too large for one IPv4 datagram. */
size_t pkt_build_udp(uint8_t *buf, size_t cap, const struct pkt_self *self,
		     const uint8_t dst_mac[6], uint32_t src_ip, uint32_t dst_ip, uint16_t sport,
		     uint16_t dport, size_t pay_len, uint16_t pay_sum, uint16_t ip_id);

/* Header template for a stream of UDP datagrams to one peer that differ
 * only in IP id, length, a few application header bytes and payload (TFTP
 * DATA): built once with pkt_udp_tmpl_init() (pkt_build_udp() plus the
 * application bytes), aimed at a peer with pkt_udp_tmpl_aim(), fixed for
 * a length with pkt_udp_tmpl_fix(), and stamped per packet with
 * pkt_udp_tmpl_stamp(): each step adds the words it changes to partial
 * sums (the incremental update of RFC 1624) instead of summing the
 * headers again.  The result is byte for byte what pkt_build_udp() writes
 * (unit test). */
#define PKT_TMPL_APP_MAX 8
#define PKT_TMPL_COPY	 64 /* pkt_udp_tmpl_stamp writes this many bytes at out */
struct pkt_udp_tmpl {
	uint8_t b[PKT_TMPL_COPY];
	uint8_t len;		/* header bytes: Ethernet..UDP + application */
	uint8_t ip_off;		/* 14, or 18 when tagged */
	uint8_t app_len;
	uint32_t ip_sum;	/* IPv4 header with length, id, checksum zero */
	uint32_t udp_sum;	/* pseudo header + UDP header + application
				   bytes, with both lengths and checksum zero */
};

/* 0, or -EINVAL when app_len is odd or > PKT_TMPL_APP_MAX. */
int pkt_udp_tmpl_init(struct pkt_udp_tmpl *t, const struct pkt_self *self,
		      const uint8_t dst_mac[6], uint32_t src_ip, uint32_t dst_ip, uint16_t sport,
		      uint16_t dport, const uint8_t *app, size_t app_len);

/* A 16-bit big-endian field's value as a native load of its two bytes
 * reads it: the word rte_raw_cksum adds for it. */
static inline uint16_t
pkt_be16_word(uint16_t v)
{
	const uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	uint16_t w;
	memcpy(&w, b, 2);
	return w;
}

static inline uint16_t
pkt_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The sum of a 32-bit big-endian field's two words as they sit in memory. */
static inline uint32_t
pkt_be32_words(uint32_t v)
{
	return (uint32_t)pkt_be16_word((uint16_t)(v >> 16)) + pkt_be16_word((uint16_t)v);
}

/* *t = *base aimed at another peer: base was built (pkt_udp_tmpl_init)
 * with dst_ip 0 and both ports 0; the destination MAC, address and ports
 * are patched and their words added to the partial sums.  A dozen
 * stores instead of building the headers. */
static inline void
pkt_udp_tmpl_aim(struct pkt_udp_tmpl *t, const struct pkt_udp_tmpl *base, const uint8_t dst_mac[6],
		 uint32_t dst_ip, uint16_t sport, uint16_t dport)
{
	*t = *base;
	memcpy(t->b, dst_mac, 6);
	uint8_t *ih = t->b + t->ip_off, *uh = ih + PKT_IP_LEN;
	uint32_t dip = pkt_be32_words(dst_ip);
	uint16_t sp = pkt_be16_word(sport), dp = pkt_be16_word(dport);
	const uint8_t d[4] = { (uint8_t)(dst_ip >> 24), (uint8_t)(dst_ip >> 16),
			       (uint8_t)(dst_ip >> 8), (uint8_t)dst_ip };
	memcpy(ih + 16, d, 4);
	memcpy(uh, &sp, 2);
	memcpy(uh + 2, &dp, 2);
	t->ip_sum = pkt_fold(base->ip_sum + dip);
	t->udp_sum = pkt_fold(base->udp_sum + dip + sp + dp);
}

/* Fixes the per-datagram header fields of t for pay_len bytes after the
 * application bytes and IP id ip_id: both lengths, the id and the IPv4
 * checksum are written into t->b, and the UDP length's words are folded
 * into t->udp_sum.  Call once per length (a run of equal blocks and its
 * shorter last one), on a copy of the aimed template. */
static inline void
pkt_udp_tmpl_fix(struct pkt_udp_tmpl *t, uint16_t pay_len, uint16_t ip_id)
{
	uint8_t *ih = t->b + t->ip_off, *uh = ih + PKT_IP_LEN;
	uint16_t ulen = (uint16_t)(PKT_UDP_LEN + t->app_len + pay_len);
	uint16_t tot = pkt_be16_word((uint16_t)(PKT_IP_LEN + ulen));
	uint16_t id = pkt_be16_word(ip_id), ul = pkt_be16_word(ulen);
	memcpy(ih + 2, &tot, 2);
	memcpy(ih + 4, &id, 2);
	memcpy(uh + 4, &ul, 2);
	uint16_t c = (uint16_t)~pkt_fold(t->ip_sum + tot + id);
	memcpy(ih + 10, &c, 2);
	t->udp_sum = pkt_fold(t->udp_sum + 2u * ul);
}

/* Writes a fixed template at out (PKT_TMPL_COPY bytes of room; t->len of
 * them are the frame's headers) with its UDP checksum.  var_sum: folded
 * memory-order sum of the application bytes the caller changes afterwards
 * (words at even offsets, zero in the template) plus the payload's. */
static inline void
pkt_udp_tmpl_stamp(const struct pkt_udp_tmpl *t, uint8_t *out, uint32_t var_sum)
{
	memcpy(out, t->b, PKT_TMPL_COPY);
	uint16_t c = (uint16_t)~pkt_fold(t->udp_sum + var_sum);
	if (c == 0)
		c = 0xffff; /* RFC 768: a computed zero is sent as all ones */
	memcpy(out + t->ip_off + PKT_IP_LEN + 6, &c, 2);
}

/* Turns an ARP request (classified PKT_C_ARP_REQUEST) into our reply in
 * place (RFC 826 "swap fields, set opcode to reply").  Returns the new
 * frame length (padded to the minimum when the buffer allows). */
size_t pkt_arp_reply(uint8_t *p, size_t len, size_t cap, const struct pkt_self *self,
		     const struct pkt_info *pi);

/* Gratuitous ARP request for self->ip (RFC 5227 3: "ARP Announcement").
 * Returns bytes written (PKT_MIN_FRAME or +4 when tagged), 0 if no room. */
size_t pkt_garp(uint8_t *buf, size_t cap, const struct pkt_self *self);

/* Turns an ICMP echo request into the echo reply in place (RFC 792):
 * swaps addresses, type 0, recomputes both checksums.  Returns the frame
 * length to send (trailing Ethernet padding dropped). */
size_t pkt_icmp_echo_reply(uint8_t *p, size_t len, const struct pkt_self *self,
			   const struct pkt_info *pi);

/* Minimal Router Advertisement answering an RS (RFC 4861 6.2.6): router
 * lifetime 0 (we are not a default router), no prefixes, so a client
 * (iPXE) stops waiting for one.  Returns bytes written or 0. */
size_t pkt_ra_reply(uint8_t *buf, size_t cap, const uint8_t *rs, size_t rs_len,
		    const struct pkt_self *self, const struct pkt_info *pi);

/* Removes (RX: the engine sees untagged frames) or inserts an 802.1Q tag
 * by moving the 12 address bytes.  pkt_vlan_strip returns the new start
 * (p + 4); pkt_vlan_insert expects 4 bytes of headroom before p and
 * returns p - 4. */
uint8_t *pkt_vlan_strip(uint8_t *p);
uint8_t *pkt_vlan_insert(uint8_t *p, uint16_t vlan);

#endif
