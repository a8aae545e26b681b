/* SPDX-License-Identifier: BSD-3-Clause
 *
 * dataplane/net/pkt.c: classification boundary cases and the builders'
 * checksums.  Frames are built with pkt_build_udp (from a "client" self)
 * and then mutated, so each case states the one thing it breaks.
 */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <rte_ip.h>

#include "shm/counters.h"
#include "dataplane/net/pkt.h"
#include "dataplane/csum_hint.h"

#define SRV_IP 0x0a4d0001u /* 10.77.0.1 */
#define CLI_IP 0x0a4d0064u /* 10.77.0.100 */

static const struct pkt_self srv = {
	.mac = { 0x02, 0, 0, 0x77, 0, 1 },
	.ip = SRV_IP, .prefix = 24, .tftp_lo = 40000, .tftp_hi = 59999,
};
static const struct pkt_self cli = {
	.mac = { 0x52, 0x54, 0, 0, 0, 1 },
	.ip = CLI_IP, .prefix = 24,
};
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static uint8_t frame[2048];

/* A UDP datagram from the client to (dst_ip, dport) with `pay` bytes. */
static size_t
mk_udp(const uint8_t dmac[6], uint32_t dst_ip, uint16_t dport, size_t pay,
       const struct pkt_self *from)
{
	memset(frame, 0, sizeof(frame));
	size_t hl = PKT_ETH_LEN + (from->vlan ? 4 : 0) + PKT_IP_LEN + PKT_UDP_LEN;
	for (size_t i = 0; i < pay; i++)
		frame[hl + i] = (uint8_t)(i * 7 + 1);
	size_t n = pkt_build_udp(frame, hl, from, dmac, from->ip, dst_ip, 68, dport, pay,
				 rte_raw_cksum(frame + hl, pay), 1);
	assert_int_equal(n, hl);
	return hl + pay;
}

static int
classify(const uint8_t *p, size_t len, struct pkt_info *pi)
{
	return pkt_classify(&srv, p, len, PKT_CSUM_UNKNOWN, PKT_CSUM_UNKNOWN, pi);
}

static void
fix_ip_csum(uint8_t *ih)
{
	memset(ih + 10, 0, 2);
	uint16_t c = (uint16_t)~rte_raw_cksum(ih, (ih[0] & 0xf) * 4u);
	memcpy(ih + 10, &c, 2);
}

static void
test_udp_dispatch(void **state)
{
	(void)state;
	struct pkt_info pi;
	static const struct {
		uint32_t dst;
		uint16_t port;
		int want_rc;
		enum pkt_class want_cls;
	} t[] = {
		{ 0xffffffffu, 67, 0, PKT_C_DHCP },
		{ 0x0a4d00ffu, 67, 0, PKT_C_DHCP },	/* directed broadcast */
		{ SRV_IP, 4011, 0, PKT_C_DHCP },
		{ SRV_IP, 69, 0, PKT_C_TFTP },
		{ SRV_IP, 39999, 0, PKT_C_PUNT },	/* just below the TID range */
		{ SRV_IP, 40000, 0, PKT_C_TFTP_TID },
		{ SRV_IP, 59999, 0, PKT_C_TFTP_TID },
		{ SRV_IP, 60000, 0, PKT_C_PUNT },
		{ 0xffffffffu, 69, BS_DROP_BCAST, 0 }, /* TFTP is unicast only */
		{ 0xffffffffu, 5353, BS_DROP_BCAST, 0 },
		{ 0x0a4d0002u, 67, BS_DROP_NOT_FOR_US, 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n = mk_udp(t[i].dst == SRV_IP ? srv.mac : bcast, t[i].dst, t[i].port, 300,
				  &cli);
		int rc = classify(frame, n, &pi);
		assert_int_equal(rc, t[i].want_rc);
		if (rc == 0) {
			assert_int_equal(pi.cls, t[i].want_cls);
			assert_int_equal(pi.pay_len, 300);
			assert_int_equal(pi.pay_off, 42);
			assert_int_equal(pi.src_ip, CLI_IP);
			assert_memory_equal(pi.src_mac, cli.mac, 6);
		}
	}
}

static void
test_l2(void **state)
{
	(void)state;
	struct pkt_info pi;
	size_t n = mk_udp(srv.mac, SRV_IP, 69, 20, &cli);
	/* runt: one byte short of an Ethernet header */
	assert_int_equal(classify(frame, 13, &pi), BS_DROP_RUNT);
	/* our own frame echoed back by AF_PACKET */
	memcpy(frame + 6, srv.mac, 6);
	assert_int_equal(classify(frame, n, &pi), BS_DROP_OWN_MAC);
	/* unicast to another MAC */
	n = mk_udp(cli.mac, SRV_IP, 69, 20, &cli);
	assert_int_equal(classify(frame, n, &pi), BS_DROP_NOT_FOR_US);
	/* unknown ethertype: unicast vs broadcast */
	n = mk_udp(srv.mac, SRV_IP, 69, 20, &cli);
	frame[12] = 0x88;
	frame[13] = 0xcc;
	assert_int_equal(classify(frame, n, &pi), BS_DROP_ETHERTYPE);
	memcpy(frame, bcast, 6);
	assert_int_equal(classify(frame, n, &pi), BS_DROP_BCAST);
}

static void
test_vlan(void **state)
{
	(void)state;
	struct pkt_info pi;
	struct pkt_self tagged_cli = cli, tagged_srv = srv;
	tagged_cli.vlan = 5;
	tagged_srv.vlan = 5;
	size_t n = mk_udp(bcast, 0xffffffffu, 67, 300, &tagged_cli);
	/* tag on an untagged config */
	assert_int_equal(classify(frame, n, &pi), BS_DROP_VLAN);
	/* matching tag */
	assert_int_equal(pkt_classify(&tagged_srv, frame, n, 0, 0, &pi), 0);
	assert_true(pi.tagged);
	assert_int_equal(pi.l2_len, 18);
	assert_int_equal(pi.cls, PKT_C_DHCP);
	/* other tag */
	frame[15] = 6;
	assert_int_equal(pkt_classify(&tagged_srv, frame, n, 0, 0, &pi), BS_DROP_VLAN);
	/* untagged frame on a tagged config */
	n = mk_udp(bcast, 0xffffffffu, 67, 300, &cli);
	assert_int_equal(pkt_classify(&tagged_srv, frame, n, 0, 0, &pi), BS_DROP_VLAN);
	/* strip then insert gives back the same frame */
	n = mk_udp(bcast, 0xffffffffu, 67, 300, &tagged_cli);
	uint8_t copy[400];
	memcpy(copy, frame, n);
	uint8_t *p = pkt_vlan_strip(frame);
	assert_int_equal(pkt_classify(&srv, p, n - 4, 0, 0, &pi), 0);
	p = pkt_vlan_insert(p, 5);
	assert_ptr_equal(p, frame);
	assert_memory_equal(copy, frame, n);
}

static void
test_ipv4_header(void **state)
{
	(void)state;
	struct pkt_info pi;
	uint8_t *ih = frame + 14;
	size_t n = mk_udp(srv.mac, SRV_IP, 69, 20, &cli); /* 14 + 20 + 8 + 20 = 62 */

	ih[0] = 0x65; /* version 6 */
	fix_ip_csum(ih);
	assert_int_equal(classify(frame, n, &pi), BS_DROP_IP_HDR);
	ih[0] = 0x44; /* IHL 4 words < 5 */
	assert_int_equal(classify(frame, n, &pi), BS_DROP_IP_HDR);
	ih[0] = 0x4f; /* IHL 60 bytes > the 48 left */
	assert_int_equal(classify(frame, n, &pi), BS_DROP_IP_HDR);
	/* total length: frame holds 48 bytes of IP */
	n = mk_udp(srv.mac, SRV_IP, 69, 20, &cli);
	ih[2] = 0;
	ih[3] = 49; /* one more than the frame */
	fix_ip_csum(ih);
	assert_int_equal(classify(frame, n, &pi), BS_DROP_IP_LEN);
	ih[3] = 19; /* shorter than the header */
	fix_ip_csum(ih);
	assert_int_equal(classify(frame, n, &pi), BS_DROP_IP_LEN);
	/* padding after the datagram is fine (Ethernet minimum) */
	n = mk_udp(srv.mac, SRV_IP, 69, 4, &cli);
	assert_int_equal(classify(frame, n + 14, &pi), 0);
	assert_int_equal(pi.pay_len, 4);
	/* checksum */
	n = mk_udp(srv.mac, SRV_IP, 69, 20, &cli);
	ih[10] ^= 1;
	assert_int_equal(classify(frame, n, &pi), BS_DROP_IP_CSUM);
	assert_int_equal(pkt_classify(&srv, frame, n, PKT_CSUM_GOOD, PKT_CSUM_UNKNOWN, &pi), 0);
	ih[10] ^= 1;
	assert_int_equal(pkt_classify(&srv, frame, n, PKT_CSUM_BAD, PKT_CSUM_UNKNOWN, &pi),
			 BS_DROP_IP_CSUM);
	/* fragments: MF, then an offset */
	ih[6] = 0x20;
	fix_ip_csum(ih);
	assert_int_equal(classify(frame, n, &pi), BS_DROP_IP_FRAG);
	ih[6] = 0;
	ih[7] = 1;
	fix_ip_csum(ih);
	assert_int_equal(classify(frame, n, &pi), BS_DROP_IP_FRAG);
	/* DF alone is not a fragment */
	ih[6] = 0x40;
	ih[7] = 0;
	fix_ip_csum(ih);
	assert_int_equal(classify(frame, n, &pi), 0);
}

static void
test_udp_header(void **state)
{
	(void)state;
	struct pkt_info pi;
	uint8_t *uh = frame + 34;
	size_t n = mk_udp(srv.mac, SRV_IP, 69, 20, &cli); /* UDP length 28 */
	uint8_t csum[2];
	memcpy(csum, uh + 6, 2);
	uh[4] = 0;
	uh[5] = 29; /* lies: one more than the IP payload */
	assert_int_equal(classify(frame, n, &pi), BS_DROP_UDP_LEN);
	uh[5] = 7; /* shorter than its header */
	assert_int_equal(classify(frame, n, &pi), BS_DROP_UDP_LEN);
	uh[5] = 28;
	assert_int_equal(classify(frame, n, &pi), 0);
	uh[6] ^= 0x10;
	assert_int_equal(classify(frame, n, &pi), BS_DROP_UDP_CSUM);
	assert_int_equal(pkt_classify(&srv, frame, n, PKT_CSUM_UNKNOWN, PKT_CSUM_GOOD, &pi), 0);
	/* RFC 768: zero means no checksum */
	memset(uh + 6, 0, 2);
	assert_int_equal(classify(frame, n, &pi), 0);
	memcpy(uh + 6, csum, 2);
	/* a shorter UDP length inside a longer IP payload: payload follows UDP */
	uh[5] = 20;
	memset(uh + 6, 0, 2);
	assert_int_equal(classify(frame, n, &pi), 0);
	assert_int_equal(pi.pay_len, 12);
	/* IP payload too short for a UDP header */
	n = mk_udp(srv.mac, SRV_IP, 69, 0, &cli);
	frame[16] = 0;
	frame[17] = 27;
	fix_ip_csum(frame + 14);
	assert_int_equal(classify(frame, n, &pi), BS_DROP_RUNT);
}

static void
test_arp(void **state)
{
	(void)state;
	struct pkt_info pi;
	uint8_t f[64] = { 0 };
	memcpy(f, bcast, 6);
	memcpy(f + 6, cli.mac, 6);
	f[12] = 8; f[13] = 6;
	uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	memcpy(arp + 8, cli.mac, 6);
	arp[14] = 10; arp[15] = 77; arp[16] = 0; arp[17] = 100;
	arp[24] = 10; arp[25] = 77; arp[26] = 0; arp[27] = 1;
	memcpy(f + 14, arp, 28);
	assert_int_equal(classify(f, 42, &pi), 0);
	assert_int_equal(pi.cls, PKT_C_ARP_REQUEST);
	assert_int_equal(classify(f, 41, &pi), BS_DROP_RUNT);
	size_t n = pkt_arp_reply(f, 42, sizeof(f), &srv, &pi);
	assert_int_equal(n, 60);
	assert_memory_equal(f, cli.mac, 6);
	assert_memory_equal(f + 6, srv.mac, 6);
	assert_int_equal(f[21], 2);			/* op reply */
	assert_memory_equal(f + 22, srv.mac, 6);	/* sha */
	assert_memory_equal(f + 28, "\x0a\x4d\x00\x01", 4);
	assert_memory_equal(f + 32, cli.mac, 6);	/* tha */
	assert_memory_equal(f + 38, "\x0a\x4d\x00\x64", 4);
	/* for someone else */
	memcpy(f, bcast, 6);
	memcpy(f + 6, cli.mac, 6);
	memcpy(f + 14, arp, 28);
	f[41] = 2;
	assert_int_equal(classify(f, 42, &pi), BS_DROP_NOT_FOR_US);
	/* not Ethernet/IPv4 */
	f[41] = 1;
	f[18] = 8;
	assert_int_equal(classify(f, 42, &pi), BS_DROP_ARP);
	/* a reply to us goes to the kernel */
	memcpy(f + 14, arp, 28);
	f[21] = 2;
	assert_int_equal(classify(f, 42, &pi), 0);
	assert_int_equal(pi.cls, PKT_C_PUNT);
	/* gratuitous ARP */
	n = pkt_garp(f, sizeof(f), &srv);
	assert_int_equal(n, 60);
	assert_memory_equal(f, bcast, 6);
	assert_memory_equal(f + 28, f + 38, 4);
}

static void
test_icmp_echo(void **state)
{
	(void)state;
	struct pkt_info pi;
	uint8_t f[128] = { 0 };
	memcpy(f, srv.mac, 6);
	memcpy(f + 6, cli.mac, 6);
	f[12] = 8;
	uint8_t *ih = f + 14, *ic = f + 34;
	ih[0] = 0x45;
	ih[3] = 20 + 8 + 16;
	ih[8] = 64;
	ih[9] = 1;
	memcpy(ih + 12, "\x0a\x4d\x00\x64\x0a\x4d\x00\x01", 8);
	fix_ip_csum(ih);
	ic[0] = 8;
	for (int i = 0; i < 20; i++)
		ic[4 + i] = (uint8_t)i;
	uint16_t c = (uint16_t)~rte_raw_cksum(ic, 24);
	memcpy(ic + 2, &c, 2);
	size_t n = 14 + 44;
	assert_int_equal(classify(f, n, &pi), 0);
	assert_int_equal(pi.cls, PKT_C_ICMP_ECHO);
	ic[2] ^= 1;
	assert_int_equal(classify(f, n, &pi), BS_DROP_ICMP);
	ic[2] ^= 1;
	assert_int_equal(classify(f, n, &pi), 0);
	assert_int_equal(pkt_icmp_echo_reply(f, n + 2, &srv, &pi), n);
	assert_int_equal(ic[0], 0);
	assert_int_equal(rte_raw_cksum(ih, 20), 0xffff);
	assert_int_equal(rte_raw_cksum(ic, 24), 0xffff);
	assert_memory_equal(ih + 16, "\x0a\x4d\x00\x64", 4);
	assert_memory_equal(f, cli.mac, 6);
	/* not echo: kernel */
	memcpy(f, srv.mac, 6);
	memcpy(f + 6, cli.mac, 6);
	memcpy(ih + 12, "\x0a\x4d\x00\x64\x0a\x4d\x00\x01", 8);
	fix_ip_csum(ih);
	ic[0] = 13;
	assert_int_equal(classify(f, n, &pi), 0);
	assert_int_equal(pi.cls, PKT_C_PUNT);
}

/* pkt_build_udp's frame for a TFTP DATA of block `blk` with a payload
 * whose memory-order sum is psum (payload bytes are not part of the
 * headers, only of the checksum). */
static size_t
ref_data_hdr(uint8_t *out, const struct pkt_self *self, const uint8_t dmac[6], uint32_t dip,
	     uint16_t sport, uint16_t dport, uint16_t blk, uint16_t pay, uint16_t psum,
	     uint16_t ip_id)
{
	const uint8_t th[4] = { 0, 3, (uint8_t)(blk >> 8), (uint8_t)blk };
	uint16_t sum = pkt_sum_add(rte_raw_cksum(th, 4), psum);
	size_t n = pkt_build_udp(out, PKT_MAX_HDR, self, dmac, self->ip, dip, sport, dport,
				 4u + pay, sum, ip_id);
	assert_true(n > 0);
	memcpy(out + n, th, 4);
	return n + 4;
}

/* The DATA header template (init once, aim, fix, stamp: partial sums
 * updated per RFC 1624) writes exactly pkt_build_udp's bytes: tagged and
 * untagged, random peers, lengths, ids, blocks and payload sums, and every
 * payload sum for one header, so that the UDP checksum that computes to 0
 * (sent as 0xffff, RFC 768) is among them. */
static void
test_udp_template(void **state)
{
	(void)state;
	static const uint8_t app[4] = { 0, 3, 0, 0 };
	static const uint8_t zmac[6];
	uint8_t ref[128], got[128];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned zero_sums = 0;
	for (int tagged = 0; tagged < 2; tagged++) {
		struct pkt_self self = srv;
		self.vlan = tagged ? 0x123 : 0;
		struct pkt_udp_tmpl base;
		assert_int_equal(pkt_udp_tmpl_init(&base, &self, zmac, self.ip, 0, 0, 0, app, 4), 0);
		for (int i = 0; i < 3000; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			uint8_t dmac[6] = { (uint8_t)x, (uint8_t)(x >> 8), (uint8_t)(x >> 16),
					    (uint8_t)(x >> 24), (uint8_t)(x >> 32), (uint8_t)(x >> 40) };
			uint32_t dip = (uint32_t)(x >> 13);
			uint16_t sport = (uint16_t)(x >> 3), dport = (uint16_t)(x >> 29);
			uint16_t blk = (uint16_t)(x >> 41), id = i % 5 ? 0 : (uint16_t)(x >> 17);
			uint16_t pay = (uint16_t)((x >> 50) % 9001);
			uint16_t psum = (uint16_t)(x >> 7);
			size_t rn = ref_data_hdr(ref, &self, dmac, dip, sport, dport, blk, pay, psum, id);
			struct pkt_udp_tmpl t;
			pkt_udp_tmpl_aim(&t, &base, dmac, dip, sport, dport);
			pkt_udp_tmpl_fix(&t, pay, id);
			assert_int_equal(t.len, rn);
			uint16_t bw = pkt_be16_word(blk);
			/* all payload sums for the first header, one for the others */
			for (uint32_t ps = i ? psum : 0; ps <= (i ? psum : 0xffffu); ps++) {
				if (!i)
					rn = ref_data_hdr(ref, &self, dmac, dip, sport, dport, blk, pay,
							  (uint16_t)ps, id);
				pkt_udp_tmpl_stamp(&t, got, (uint32_t)bw + ps);
				memcpy(got + t.len - 2, &bw, 2);
				if (memcmp(ref, got, rn) != 0)
					fail_msg("tagged %d case %d psum %u: template differs", tagged,
						 i, ps);
				size_t uo = rn - 4 - PKT_UDP_LEN;
				zero_sums += ref[uo + 6] == 0xff && ref[uo + 7] == 0xff;
			}
		}
	}
	assert_true(zero_sums > 0); /* the RFC 768 case was exercised */
	/* odd or too long application headers are refused */
	struct pkt_udp_tmpl t;
	assert_int_equal(pkt_udp_tmpl_init(&t, &srv, zmac, SRV_IP, 0, 0, 0, app, 3), -EINVAL);
	assert_int_equal(pkt_udp_tmpl_init(&t, &srv, zmac, SRV_IP, 0, 0, 0, app,
					   PKT_TMPL_APP_MAX + 2), -EINVAL);
}

static void
test_build_udp_sums(void **state)
{
	(void)state;
	/* header sum + a payload sum at an odd offset (hdr of 3 bytes) must
	 * equal the sum of the contiguous datagram */
	uint8_t pay[101];
	for (size_t i = 0; i < sizeof(pay); i++)
		pay[i] = (uint8_t)(i * 13 + 5);
	uint16_t s = pkt_sum_add(rte_raw_cksum(pay, 3), pkt_sum_at(rte_raw_cksum(pay + 3, 98), 3));
	assert_int_equal(s, rte_raw_cksum(pay, 101));
	/* too large for IPv4 */
	assert_int_equal(pkt_build_udp(frame, sizeof(frame), &srv, cli.mac, SRV_IP, CLI_IP, 69,
				       1000, 65508, 0, 0), 0);
	/* no room for headers */
	assert_int_equal(pkt_build_udp(frame, 41, &srv, cli.mac, SRV_IP, CLI_IP, 69, 1000, 0, 0,
				       0), 0);
	/* built by the server, valid to the client */
	size_t n = mk_udp(cli.mac, CLI_IP, 1000, 1400, &srv);
	struct pkt_info pi;
	struct pkt_self c2 = cli;
	assert_int_equal(pkt_classify(&c2, frame, n, 0, 0, &pi), 0);
}

static void
test_rs_ra(void **state)
{
	(void)state;
	struct pkt_info pi;
	uint8_t f[128] = { 0 };
	memcpy(f, "\x33\x33\x00\x00\x00\x02", 6);
	memcpy(f + 6, cli.mac, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	f[14] = 0x60;
	f[19] = 16;	/* payload length */
	f[20] = 58;
	f[21] = 255;
	f[54] = 133;
	assert_int_equal(classify(f, 14 + 40 + 16, &pi), 0);
	assert_int_equal(pi.cls, PKT_C_RS6);
	f[21] = 254; /* RFC 4861 6.1.1: not from on-link */
	assert_int_equal(classify(f, 14 + 40 + 16, &pi), 0);
	assert_int_equal(pi.cls, PKT_C_PUNT);
	f[19] = 17;
	assert_int_equal(classify(f, 14 + 40 + 16, &pi), BS_DROP_IP_LEN);
	uint8_t ra[128];
	size_t n = pkt_ra_reply(ra, sizeof(ra), f, 70, &srv, &pi);
	assert_int_equal(n, 14 + 40 + 24);
	assert_int_equal(ra[54], 134);
	/* checksum over pseudo header + message is all ones */
	uint8_t ph[8] = { 0, 0, 0, 24, 0, 0, 0, 58 };
	uint16_t s = pkt_sum_add(rte_raw_cksum(ra + 22, 32), rte_raw_cksum(ph, 8));
	s = pkt_sum_add(s, rte_raw_cksum(ra + 54, 24));
	assert_int_equal(s, 0xffff);
}

/* Issue 15 item 11: nothing is reflected to a group.  An ARP request or
 * ICMP echo from a multicast/broadcast MAC (frame source, or ARP sha) is
 * not answered, nor an echo that came in an L2 broadcast frame (RFC 1122
 * 3.3.6); the same frames from a unicast MAC still are. */
static void
test_no_reflection(void **state)
{
	(void)state;
	static const uint8_t grp[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	struct pkt_info pi;
	uint8_t f[64] = { 0 };
	uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	memcpy(arp + 8, cli.mac, 6);
	memcpy(arp + 14, "\x0a\x4d\x00\x64", 4);
	memcpy(arp + 24, "\x0a\x4d\x00\x01", 4);
	memcpy(f, bcast, 6);
	memcpy(f + 6, cli.mac, 6);
	f[12] = 8; f[13] = 6;
	memcpy(f + 14, arp, 28);
	assert_int_equal(classify(f, 42, &pi), BS_DROP_NONE);
	memcpy(f + 6, grp, 6);		/* frame from a group MAC */
	assert_int_equal(classify(f, 42, &pi), BS_DROP_GROUP_SRC_MAC);
	memcpy(f + 6, cli.mac, 6);
	memcpy(f + 22, bcast, 6);	/* sha broadcast: the reply's target */
	assert_int_equal(classify(f, 42, &pi), BS_DROP_GROUP_SRC_MAC);

	uint8_t e[128] = { 0 };
	memcpy(e, srv.mac, 6);
	memcpy(e + 6, cli.mac, 6);
	e[12] = 8;
	uint8_t *ih = e + 14, *ic = e + 34;
	ih[0] = 0x45;
	ih[3] = 20 + 8 + 16;
	ih[8] = 64;
	ih[9] = 1;
	memcpy(ih + 12, "\x0a\x4d\x00\x64\x0a\x4d\x00\x01", 8);
	fix_ip_csum(ih);
	ic[0] = 8;
	uint16_t c = (uint16_t)~rte_raw_cksum(ic, 24);
	memcpy(ic + 2, &c, 2);
	assert_int_equal(classify(e, 58, &pi), BS_DROP_NONE);
	assert_int_equal(pi.cls, PKT_C_ICMP_ECHO);
	memcpy(e, bcast, 6);		/* unicast IP in an L2 broadcast */
	assert_int_equal(classify(e, 58, &pi), BS_DROP_ICMP_L2_BCAST);
	memcpy(e, "\x01\x00\x5e\x00\x00\x01", 6); /* ... or multicast frame */
	assert_int_equal(classify(e, 58, &pi), BS_DROP_ICMP_L2_BCAST);
	memcpy(e, srv.mac, 6);
	memcpy(e + 6, grp, 6);		/* from a group MAC */
	assert_int_equal(classify(e, 58, &pi), BS_DROP_GROUP_SRC_MAC);
}

/* The drop type comes from the .def rows' kind: every DROP row is named
 * DROP_* (metrics label them by the rest), no plain counter is, 0 means
 * "no drop" and maps to no counter, and the two tables invert each other. */
static void
test_drop_table(void **state)
{
	(void)state;
	assert_int_equal(BS_DROP_NONE, 0);
	assert_false(bs_ctr_is_drop(BS_CTR_RX_PKTS));
	assert_int_equal(bs_drop_of(BS_CTR_RX_PKTS), BS_DROP_NONE);
	unsigned drops = 0;
	for (unsigned i = 0; i < BS_CTR_MAX; i++) {
		bool named = strncmp(bs_ctr_name[i], "DROP_", 5) == 0;
		assert_int_equal(bs_ctr_is_drop((enum bs_ctr)i), named);
		if (named) {
			assert_int_equal(bs_drop_ctr[bs_drop_of((enum bs_ctr)i)], i);
			drops++;
		}
	}
	assert_int_equal(drops, BS_DROP_MAX - 1);
	assert_int_equal(bs_drop_ctr[BS_DROP_RUNT], BS_CTR_DROP_RUNT);
	assert_string_equal(bs_ctr_name[BS_CTR_DROP_TFTP_ACK_DUP], "DROP_TFTP_ACK_DUP");
}

/* The NIC's checksum flags as hints: NONE ("field not correct, data
 * verified": virtio, a tap with offloads) is good, not a software check
 * that drops good frames (found by the vfio guest rig). */
static void
test_csum_hints(void **state)
{
	(void)state;
	static const struct {
		uint64_t ip, l4;
		enum pkt_csum_hint want;
	} t[] = {
		{ RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN, RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN, PKT_CSUM_UNKNOWN },
		{ RTE_MBUF_F_RX_IP_CKSUM_GOOD, RTE_MBUF_F_RX_L4_CKSUM_GOOD, PKT_CSUM_GOOD },
		{ RTE_MBUF_F_RX_IP_CKSUM_BAD, RTE_MBUF_F_RX_L4_CKSUM_BAD, PKT_CSUM_BAD },
		{ RTE_MBUF_F_RX_IP_CKSUM_NONE, RTE_MBUF_F_RX_L4_CKSUM_NONE, PKT_CSUM_GOOD },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(csum_hint_ip(t[i].ip), t[i].want);
		assert_int_equal(csum_hint_l4(t[i].l4), t[i].want);
		/* the other family's bits do not leak in */
		assert_int_equal(csum_hint_ip(t[i].ip | RTE_MBUF_F_RX_L4_CKSUM_BAD), t[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_hints),
		cmocka_unit_test(test_udp_dispatch),
		cmocka_unit_test(test_l2),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_ipv4_header),
		cmocka_unit_test(test_udp_header),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_build_udp_sums),
		cmocka_unit_test(test_udp_template),
		cmocka_unit_test(test_rs_ra),
		cmocka_unit_test(test_drop_table),
		cmocka_unit_test(test_no_reflection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
