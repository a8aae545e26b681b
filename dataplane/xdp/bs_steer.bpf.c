// SPDX-License-Identifier: (BSD-3-Clause OR GPL-2.0)
/*
 * AF_XDP split mode: the XDP program net_af_xdp loads on the dataplane's
 * interface (devargs xdp_prog=).  Only what bootstorm-dp answers goes to its
 * XSK; everything else (ARP, ICMP, TCP/HTTP, other UDP) XDP_PASSes to the
 * kernel, which owns the interface's address.
 *
 *   to the XSK: UDP dst 67/68 (DHCP, RFC 2131 4.1), 69 (TFTP RRQ, RFC 1350),
 *               4011 (ProxyDHCP/PXE), the TFTP server-port range from
 *               bs_steer_cfg, ICMPv6 type 133 (RS, RFC 4861 6.1.1) when
 *               BS_STEER_RS is set; one 802.1Q tag is looked through.
 *
 * The PMD wants the XSKMAP named xsks_map, indexed by RX queue.  Built by
 * meson with clang -target bpf; IPv4 fragments other than the first never
 * match (no UDP header) and go to the kernel.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "bs_steer.h"

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bs_steer_cfg);
} bs_steer_cfg SEC(".maps");

struct vlan_hdr_ {
	__be16 tci;
	__be16 proto;
};

static __always_inline int
udp_ours(__u16 port, const struct bs_steer_cfg *c)
{
	if (port == 67 || port == 68 || port == 69 || port == 4011)
		return 1;
	return c && c->tftp_lo && port >= c->tftp_lo && port <= c->tftp_hi;
}

SEC("xdp")
int bs_steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 k = 0;
	const struct bs_steer_cfg *c = bpf_map_lookup_elem(&bs_steer_cfg, &k);
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	__u16 proto = eth->h_proto;
	void *l3 = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q)) {
		struct vlan_hdr_ *v = l3;
		if ((void *)(v + 1) > end)
			return XDP_PASS;
		proto = v->proto;
		l3 = v + 1;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP || ip->ihl < 5)
			return XDP_PASS;
		/* later fragments carry no UDP header */
		if (ip->frag_off & bpf_htons(0x1fff))
			return XDP_PASS;
		struct udphdr *u = (void *)ip + ip->ihl * 4;
		if ((void *)(u + 1) > end)
			return XDP_PASS;
		if (!udp_ours(bpf_ntohs(u->dest), c))
			return XDP_PASS;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;
		if ((void *)(ip6 + 1) > end || ip6->nexthdr != 58 /* ICMPv6 */)
			return XDP_PASS;
		__u8 *type = (void *)(ip6 + 1);
		if ((void *)(type + 1) > end || *type != 133 || !c || !(c->flags & BS_STEER_RS))
			return XDP_PASS;
	} else {
		return XDP_PASS;
	}
	/* No socket on this queue (yet): the kernel gets it (XDP_PASS). */
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

char _license[] SEC("license") = "Dual BSD/GPL";
