/* SPDX-License-Identifier: BSD-3-Clause
 *
 * bs-storm: packet I/O: AF_PACKET ring, batched TX, frame building, RX dispatch, pcap.
 */
#include "tools/storm/storm.h"

static uint16_t ip_id;
static uint8_t *ring;
static size_t ring_len;
static unsigned ring_frames, ring_pos;

static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	while (len > 1) {
		sum += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)(p[0] << 8);
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
pcap_record(const uint8_t *f, size_t len)
{
	if (!pd)
		return;
	struct pcap_pkthdr h;
	uint64_t ns = bs_real_ns();
	h.ts.tv_sec = (time_t)(ns / BS_NS_PER_S);
	h.ts.tv_usec = (suseconds_t)(ns % BS_NS_PER_S / BS_NS_PER_US);
	h.len = (bpf_u_int32)len;
	h.caplen = (bpf_u_int32)(len < opt.pcap_snaplen ? len : opt.pcap_snaplen);
	pcap_dump((u_char *)pd, &h, f);
}

/* --------------------------------------------------------------------- TX */

static struct mmsghdr tx_msgs[TX_BATCH];
static struct iovec tx_iov[TX_BATCH];
static uint8_t tx_buf[TX_BATCH][FRAME_MAX];
static unsigned frame_sz = FRAME_STD;
static unsigned tx_n;

void
tx_flush(void)
{
	unsigned off = 0;
	while (off < tx_n) {
		int r = sendmmsg(sock, tx_msgs + off, tx_n - off, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* queue full: the protocol's retransmissions recover */
			st.tx_drop += tx_n - off;
			break;
		}
		off += (unsigned)r;
	}
	tx_n = 0;
}

/* Builds Ethernet/IPv4/UDP around payload into the TX batch, with IPv4 and
 * UDP checksums computed here (no offload on a raw socket). */
void
tx_udp(const uint8_t *smac, const uint8_t *dmac, uint32_t sip, uint32_t dip, uint16_t sport,
       uint16_t dport, const uint8_t *payload, size_t plen)
{
	if (plen + HDRS > ETH_HLEN_ + opt.mtu)
		return;
	if (tx_n == TX_BATCH)
		tx_flush();
	uint8_t *f = tx_buf[tx_n];
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	put_be16(f + 12, ETHERTYPE_IP);
	uint8_t *ip = f + ETH_HLEN_;
	ip[0] = 0x45;
	ip[1] = 0;
	put_be16(ip + 2, (uint16_t)(IP_HLEN + UDP_HLEN + plen));
	put_be16(ip + 4, ip_id++);
	put_be16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	put_be16(ip + 10, 0);
	put_be32(ip + 12, sip);
	put_be32(ip + 16, dip);
	put_be16(ip + 10, csum_fold(csum_add(0, ip, IP_HLEN)));
	uint8_t *u = ip + IP_HLEN;
	put_be16(u, sport);
	put_be16(u + 2, dport);
	put_be16(u + 4, (uint16_t)(UDP_HLEN + plen));
	put_be16(u + 6, 0);
	memcpy(u + UDP_HLEN, payload, plen);
	uint32_t s = csum_add(0, ip + 12, 8);
	s += IPPROTO_UDP + (uint32_t)(UDP_HLEN + plen);
	s = csum_add(s, u, UDP_HLEN + plen);
	uint16_t c = csum_fold(s);
	put_be16(u + 6, c ? c : 0xffff); /* RFC 768: 0 means "no checksum" */
	size_t len = HDRS + plen;
	tx_iov[tx_n].iov_base = f;
	tx_iov[tx_n].iov_len = len;
	memset(&tx_msgs[tx_n].msg_hdr, 0, sizeof(tx_msgs[tx_n].msg_hdr));
	tx_msgs[tx_n].msg_hdr.msg_iov = &tx_iov[tx_n];
	tx_msgs[tx_n].msg_hdr.msg_iovlen = 1;
	tx_n++;
	st.tx_pkts++;
	st.tx_bytes += len;
	pcap_record(f, len);
}

void
tx_arp(uint16_t op, const uint8_t *smac, uint32_t sip, const uint8_t *tmac, uint32_t tip,
       const uint8_t *dmac)
{
	if (tx_n == TX_BATCH)
		tx_flush();
	uint8_t *f = tx_buf[tx_n];
	memset(f, 0, 60);
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	put_be16(f + 12, ETHERTYPE_ARP);
	uint8_t *a = f + ETH_HLEN_;
	put_be16(a, 1);
	put_be16(a + 2, ETHERTYPE_IP);
	a[4] = 6;
	a[5] = 4;
	put_be16(a + 6, op);
	memcpy(a + 8, smac, 6);
	put_be32(a + 14, sip);
	memcpy(a + 18, tmac, 6);
	put_be32(a + 24, tip);
	tx_iov[tx_n].iov_base = f;
	tx_iov[tx_n].iov_len = 60;
	memset(&tx_msgs[tx_n].msg_hdr, 0, sizeof(tx_msgs[tx_n].msg_hdr));
	tx_msgs[tx_n].msg_hdr.msg_iov = &tx_iov[tx_n];
	tx_msgs[tx_n].msg_hdr.msg_iovlen = 1;
	tx_n++;
	st.tx_pkts++;
	st.tx_bytes += 60;
	pcap_record(f, 60);
}

/* --------------------------------------------------------------------- RX */

static void
arp_rx(const uint8_t *a, size_t len)
{
	if (len < 28)
		return;
	uint16_t op = (uint16_t)(a[6] << 8 | a[7]);
	uint32_t sip = (uint32_t)a[14] << 24 | (uint32_t)a[15] << 16 | (uint32_t)a[16] << 8 | a[17];
	uint32_t tip = (uint32_t)a[24] << 24 | (uint32_t)a[25] << 16 | (uint32_t)a[26] << 8 | a[27];
	if (op == 2 && opt.tftp_only && sip == opt.server_ip && !srv_mac_known) {
		memcpy(srv_mac_global, a + 8, 6);
		srv_mac_known = true;
		return;
	}
	if (op != 1)
		return;
	int32_t i = iptab_get(tip);
	if (i == NIL || nodes[i].state == NS_WAIT || nodes[i].state == NS_QUEUED)
		return;
	st.arp_replies++;
	tx_arp(2, nodes[i].mac, tip, a + 8, sip, a + 8);
}

static void
frame_rx(const uint8_t *f, size_t len)
{
	st.rx_pkts++;
	st.rx_bytes += len;
	pcap_record(f, len);
	if (len < ETH_HLEN_)
		return;
	uint16_t et = (uint16_t)(f[12] << 8 | f[13]);
	if (et == ETHERTYPE_ARP) {
		arp_rx(f + ETH_HLEN_, len - ETH_HLEN_);
		return;
	}
	if (et != ETHERTYPE_IP || len < HDRS)
		return;
	const uint8_t *ip = f + ETH_HLEN_;
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
	size_t tot = (size_t)(ip[2] << 8 | ip[3]);
	if ((ip[0] >> 4) != 4 || ihl < IP_HLEN || tot < ihl + UDP_HLEN || tot > len - ETH_HLEN_)
		return;
	if (ip[9] != IPPROTO_UDP || (ip[6] & 0x3f) || ip[7]) /* no fragments */
		return;
	const uint8_t *u = ip + ihl;
	size_t ulen = (size_t)(u[4] << 8 | u[5]);
	if (ulen < UDP_HLEN || ulen > tot - ihl)
		return;
	uint16_t sport = (uint16_t)(u[0] << 8 | u[1]);
	uint16_t dport = (uint16_t)(u[2] << 8 | u[3]);
	const uint8_t *pl = u + UDP_HLEN;
	size_t plen = ulen - UDP_HLEN;
	if (dport == DHCP_CPORT && sport == DHCP_SPORT) {
		dhcp_rx(f + 6, pl, plen);
		return;
	}
	uint32_t dip = (uint32_t)ip[16] << 24 | (uint32_t)ip[17] << 16 | (uint32_t)ip[18] << 8 | ip[19];
	uint32_t sip = (uint32_t)ip[12] << 24 | (uint32_t)ip[13] << 16 | (uint32_t)ip[14] << 8 | ip[15];
	int32_t i = iptab_get(dip);
	if (i == NIL) {
		st.stray++;
		return;
	}
	tftp_rx(i, sip, sport, dport, pl, plen);
}

/* Drains every frame the kernel has handed over in the RX ring.  Returns
 * the number of frames. */
unsigned
rx_drain(void)
{
	unsigned got = 0;
	for (;;) {
		struct tpacket2_hdr *h = (struct tpacket2_hdr *)(ring + (size_t)ring_pos * frame_sz);
		if (!(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			break;
		const struct sockaddr_ll *sll =
			(const struct sockaddr_ll *)((uint8_t *)h + TPACKET_ALIGN(sizeof(*h)));
		if (sll->sll_pkttype != PACKET_OUTGOING)
			frame_rx((uint8_t *)h + h->tp_mac, h->tp_snaplen);
		/* hand the frame back to the kernel */
		__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		ring_pos = (ring_pos + 1) % ring_frames;
		/* return to the loop now and then: it flushes the ACKs
		 * collected so far, so a window never waits on a long drain */
		if (++got >= 256)
			break;
	}
	return got;
}

/* ------------------------------------------------------------------ setup */

int
sock_open(void)
{
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0)
		return -errno;
	int v = TPACKET_V2;
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0)
		goto fail;
	/* Room for every window in flight at once (N clients x windowsize
	 * frames, +25 %), at least 64 MiB, at most 1 GiB: a windowed server
	 * may legitimately have all of them on the wire while we verify. */
	frame_sz = opt.mtu > 1500 ? FRAME_JUMBO : FRAME_STD;
	/* --dhcp-only: at most an OFFER or ACK per client in flight (+ ARP
	 * and strays), so 2 frames each.  A smaller ring is not only memory:
	 * the kernel zeroes every page of it at setup (0.6 s of CPU for the
	 * 256 MiB a 10,000-client TFTP storm asks for). */
	unsigned per_node = opt.dhcp_only ? 2 : opt.windowsize + 2;
	uint64_t want = (uint64_t)opt.n * per_node * frame_sz / 4 * 5;
	uint64_t mb = want >> 20;
	unsigned min_mb = opt.dhcp_only ? 16 : 64;
	unsigned ring_mb = mb < min_mb ? min_mb : mb > 1024 ? 1024 : (unsigned)mb;
	struct tpacket_req req = {
		.tp_block_size = 1u << 20,
		.tp_block_nr = ring_mb,
		.tp_frame_size = frame_sz,
		.tp_frame_nr = ((1u << 20) / frame_sz) * ring_mb,
	};
	if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0)
		goto fail;
	ring_frames = req.tp_frame_nr;
	ring_len = (size_t)req.tp_block_size * req.tp_block_nr;
	ring = mmap(NULL, ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ring == MAP_FAILED)
		goto fail;
	v = 1; /* TX straight to the driver: no qdisc, and no copy to our own RX */
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &v, sizeof(v));
	v = 16 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v));
	unsigned ifi = if_nametoindex(opt.ifname);
	if (!ifi) {
		errno = ENODEV;
		goto fail;
	}
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)ifi };
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail;
	/* promiscuous for this socket only (dropped when it closes): frames
	 * are addressed to 10,000 MACs that are not the interface's */
	struct packet_mreq mr = { .mr_ifindex = (int)ifi, .mr_type = PACKET_MR_PROMISC };
	setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr));
	return fd;
fail:;
	int e = -errno;
	close(fd);
	return e;
}

/* Frames the kernel could not put in our RX ring (ring full): when not
 * zero, the generator, not the server, lost packets. */
uint64_t ring_drops;

void
read_ring_drops(void)
{
	struct tpacket_stats ps;
	socklen_t sl = sizeof(ps);
	if (getsockopt(sock, SOL_PACKET, PACKET_STATISTICS, &ps, &sl) == 0)
		ring_drops += ps.tp_drops;
}
