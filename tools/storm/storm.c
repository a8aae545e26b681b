/* SPDX-License-Identifier: BSD-3-Clause
 *
 * bs-storm: a boot-storm generator.  Simulates N PXE clients on one
 * interface (inside a network namespace) with one raw AF_PACKET socket:
 * each client has its own MAC (base + index), does a full DHCP DORA with
 * PXE options (60, 93, 94, 97, 55) and RFC 2131 4.1 backoff, then fetches
 * its boot loader (from the offer's siaddr/file) and the named files over
 * TFTP (RFC 1350, 2347-2349 options, RFC 7440 windows), verifying every
 * block against the expected file content (read from the server's tftp
 * root: the generator runs on the same machine).
 *
 * One thread: a TPACKET_V2 RX ring read in a poll loop, TX batched with
 * sendmmsg, one timer per client in a hashed timer wheel.  A client is a
 * small struct; 10,000 clients x 4 files need no thread each.
 *
 * It is a benchmark tool, not a test: it prints figures and a RESULT line
 * (key=value) that scripts/bench parses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/net/cursor.h"

#define MAX_NODES 65536
#define MAX_FILES 16
#define FRAME_STD 2048		/* RX ring frame; fits a 1500-MTU frame + headers */
#define FRAME_JUMBO 16384	/* for --mtu up to 16000 */
#define FRAME_MAX FRAME_JUMBO
#define TX_BATCH 128
#define WHEEL_SLOTS 4096	/* 1 ms ticks: 4 s span, longer deadlines wait rounds */
#define NIL (-1)

#define ETH_HLEN_ 14
#define IP_HLEN 20
#define UDP_HLEN 8
#define HDRS (ETH_HLEN_ + IP_HLEN + UDP_HLEN)

#define DHCP_SPORT 67
#define DHCP_CPORT 68
#define TFTP_PORT 69
#define DHCP_MAGIC 0x63825363u

enum tftp_op { TOP_RRQ = 1, TOP_WRQ, TOP_DATA, TOP_ACK, TOP_ERROR, TOP_OACK };

/* Node states.  Invariant: a node in DISCOVER/REQUEST/TFTP has exactly one
 * armed timer (its retransmission); WAIT nodes have their start timer;
 * DONE/FAILED have none. */
enum node_state { NS_WAIT = 0, NS_QUEUED, NS_DISCOVER, NS_REQUEST, NS_TFTP, NS_DONE, NS_FAILED, NS_MAX };

#define FAIL_LIST(X)                              \
	X(NONE, "none")                           \
	X(DHCP_TIMEOUT, "dhcp-timeout")           \
	X(NO_BOOTFILE, "no-bootfile")             \
	X(NO_FILE, "expected-file-missing")       \
	X(TFTP_TIMEOUT, "tftp-timeout")           \
	X(TFTP_ERROR, "tftp-error")               \
	X(BAD_OACK, "bad-oack")                   \
	X(BAD_DATA, "bad-data")                   \
	X(BAD_SIZE, "bad-size")                   \
	X(DEADLINE, "deadline")

enum fail_reason {
#define X(n, s) F_##n,
	FAIL_LIST(X)
#undef X
	F_MAX
};

static const char *const fail_names[F_MAX] = {
#define X(n, s) s,
	FAIL_LIST(X)
#undef X
};

struct xfile {
	char name[256];
	const uint8_t *data;	/* NULL with --no-verify */
	size_t size;
	bool loaded;
};

/* One simulated client.  Times in ns (CLOCK_MONOTONIC). */
struct node {
	uint8_t mac[6];
	uint8_t srv_mac[6];
	uint8_t state;
	uint8_t fail;
	uint8_t tries;		/* retransmissions of the current step */
	uint8_t file_i;		/* 0 = loader, k = opt.files[k-1] */
	bool have_tid;
	bool gap_acked;		/* RFC 7440: one ACK per detected gap */
	uint16_t cport, sport;
	uint16_t blksize, wsize, win_got;
	uint16_t prev_cport, prev_sport, prev_blk; /* re-ACK a lost final ACK */
	uint32_t xid;
	uint32_t ip, server_id, siaddr;
	int32_t xf;		/* expected file of the current transfer */
	int32_t loader_xf;
	uint64_t nblk;		/* blocks received in order, this file */
	uint64_t t_start, t_done, t_dhcp;
	uint64_t deadline_ms;
	int32_t tnext, tprev;
	int32_t slot;		/* wheel slot or NIL */
};

struct opts {
	const char *ifname;
	unsigned n;
	unsigned concurrency;
	unsigned blksize;
	unsigned windowsize;
	bool tsize;
	const char *files[MAX_FILES];
	unsigned nfiles;
	bool dhcp_only;
	bool tftp_only;
	uint32_t client_ip;	/* tftp-only: first client address */
	uint32_t server_ip;	/* tftp-only */
	unsigned timeout_ms;	/* TFTP retransmission timeout */
	unsigned retries;	/* TFTP retries per packet */
	bool tftp_backoff;	/* double the timeout per retry */
	unsigned backoff_cap;	/* ... up to this many times --timeout */
	unsigned dhcp_tries;	/* DISCOVER/REQUEST transmissions */
	double backoff_scale;	/* scales RFC 2131 4 s/8 s/16 s... */
	unsigned spread_ms;	/* start times uniform in [0, spread) */
	unsigned max_time_s;
	unsigned progress_s;
	uint64_t seed;
	uint8_t base_mac[6];
	unsigned arch;
	unsigned mtu;
	bool broadcast;
	bool verify;
	const char *root;
	const char *pcap_path;
	unsigned pcap_snaplen;
	const char *times_path;
};

struct stats {
	uint64_t rx_pkts, rx_bytes, tx_pkts, tx_bytes, tx_drop;
	uint64_t payload_bytes;
	uint64_t dhcp_rexmit, tftp_rexmit, dup_blocks, gap_acks, naks, offers, acks;
	uint64_t arp_replies, stray, files_done;
	uint64_t fails[F_MAX];
};

static struct opts opt;
static struct stats st;
static struct node *nodes;
static struct xfile xfiles[MAX_FILES + 4];
static unsigned nxfiles;
static int32_t files_xf[MAX_FILES];
static int32_t wheel[WHEEL_SLOTS];
static uint64_t wheel_ms;	/* last processed tick */
static int32_t *iptab;		/* open addressing: ip -> node */
static uint32_t iptab_mask;
static uint32_t xid_base;
static uint64_t t0_ns;
static unsigned active, finished;
static int32_t *queue;		/* FIFO of nodes waiting for a concurrency slot */
static unsigned q_head, q_tail;
static uint16_t ip_id;
static uint64_t rng_state;
static volatile sig_atomic_t stop_flag;

static int sock = -1;
static uint8_t *ring;
static size_t ring_len;
static unsigned ring_frames, ring_pos;
static pcap_dumper_t *pd;
static pcap_t *pdead;

static uint8_t srv_mac_global[6];
static bool srv_mac_known;

/* ------------------------------------------------------------------ utils */

static uint64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t
rnd(void)
{
	/* splitmix64: reproducible from --seed */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

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
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
pcap_record(const uint8_t *f, size_t len)
{
	if (!pd)
		return;
	struct pcap_pkthdr h;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	h.ts.tv_sec = ts.tv_sec;
	h.ts.tv_usec = ts.tv_nsec / 1000;
	h.len = (bpf_u_int32)len;
	h.caplen = (bpf_u_int32)(len < opt.pcap_snaplen ? len : opt.pcap_snaplen);
	pcap_dump((u_char *)pd, &h, f);
}

/* ------------------------------------------------------------ timer wheel */

static void
timer_cancel(int32_t i)
{
	struct node *n = &nodes[i];
	if (n->slot == NIL)
		return;
	if (n->tprev != NIL)
		nodes[n->tprev].tnext = n->tnext;
	else
		wheel[n->slot] = n->tnext;
	if (n->tnext != NIL)
		nodes[n->tnext].tprev = n->tprev;
	n->slot = NIL;
	n->tnext = n->tprev = NIL;
}

static void
timer_arm(int32_t i, uint64_t deadline_ms)
{
	struct node *n = &nodes[i];
	timer_cancel(i);
	/* a deadline in the past fires at the next tick */
	if (deadline_ms <= wheel_ms)
		deadline_ms = wheel_ms + 1;
	n->deadline_ms = deadline_ms;
	n->slot = (int32_t)(deadline_ms % WHEEL_SLOTS);
	n->tprev = NIL;
	n->tnext = wheel[n->slot];
	if (n->tnext != NIL)
		nodes[n->tnext].tprev = i;
	wheel[n->slot] = i;
}

static uint64_t
now_ms(void)
{
	return (now_ns() - t0_ns) / 1000000u;
}

/* ----------------------------------------------------------------- files */

/* Finds or loads (mmap) the expected content of a file under --root.
 * Returns its index, or -1 when it cannot be read (verify mode). */
static int32_t
xfile_get(const char *name)
{
	while (*name == '/')
		name++;
	for (unsigned i = 0; i < nxfiles; i++)
		if (strcmp(xfiles[i].name, name) == 0)
			return (int32_t)i;
	if (nxfiles >= sizeof(xfiles) / sizeof(xfiles[0]) || strlen(name) >= sizeof(xfiles[0].name))
		return -1;
	struct xfile *x = &xfiles[nxfiles];
	snprintf(x->name, sizeof(x->name), "%s", name);
	if (opt.verify) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", opt.root, name);
		int fd = open(path, O_RDONLY);
		struct stat sb;
		if (fd < 0 || fstat(fd, &sb) < 0) {
			fprintf(stderr, "storm: cannot read expected file %s: %s\n", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		x->size = (size_t)sb.st_size;
		if (x->size) {
			void *m = mmap(NULL, x->size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
			if (m == MAP_FAILED) {
				close(fd);
				return -1;
			}
			x->data = m;
		}
		close(fd);
	}
	x->loaded = true;
	return (int32_t)nxfiles++;
}

/* --------------------------------------------------------------------- TX */

static struct mmsghdr tx_msgs[TX_BATCH];
static struct iovec tx_iov[TX_BATCH];
static uint8_t tx_buf[TX_BATCH][FRAME_MAX];
static unsigned frame_sz = FRAME_STD;
static unsigned tx_n;

static void
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
static void
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

static void
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

/* ------------------------------------------------------------- IP table */

static void
iptab_put(uint32_t ip, int32_t idx)
{
	uint32_t h = (ip * 2654435761u) & iptab_mask;
	while (iptab[h] != NIL && nodes[iptab[h]].ip != ip)
		h = (h + 1) & iptab_mask;
	iptab[h] = idx;
}

static int32_t
iptab_get(uint32_t ip)
{
	uint32_t h = (ip * 2654435761u) & iptab_mask;
	while (iptab[h] != NIL) {
		if (nodes[iptab[h]].ip == ip)
			return iptab[h];
		h = (h + 1) & iptab_mask;
	}
	return NIL;
}

/* ------------------------------------------------------------- node life */

static void start_next_queued(void);

static void
node_finish(int32_t i, bool ok, enum fail_reason why)
{
	struct node *n = &nodes[i];
	timer_cancel(i);
	n->state = ok ? NS_DONE : NS_FAILED;
	n->fail = (uint8_t)why;
	n->t_done = now_ns();
	if (!ok)
		st.fails[why]++;
	active--;
	finished++;
	start_next_queued();
}

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero_mac[6];

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
	uint64_t secs = (now_ns() - n->t_start) / 1000000000ull;
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

static void
dhcp_begin(int32_t i)
{
	struct node *n = &nodes[i];
	n->state = NS_DISCOVER;
	n->tries = 0;
	dhcp_send(i, 1);
	timer_arm(i, now_ms() + dhcp_backoff_ms(0));
}

static void tftp_begin_file(int32_t i);

static void
node_begin(int32_t i)
{
	struct node *n = &nodes[i];
	active++;
	n->t_start = now_ns();
	if (opt.tftp_only) {
		n->state = NS_TFTP;
		n->file_i = 1;
		tftp_begin_file(i);
	} else {
		dhcp_begin(i);
	}
}

static void
start_next_queued(void)
{
	while (q_head != q_tail && active < opt.concurrency) {
		int32_t i = queue[q_head++];
		node_begin(i);
	}
}

/* -------------------------------------------------------------------- TFTP */

static void
tftp_send_ack(struct node *n, uint16_t blk)
{
	uint8_t b[4];
	put_be16(b, TOP_ACK);
	put_be16(b + 2, blk);
	tx_udp(n->mac, n->srv_mac, n->ip, n->siaddr, n->cport, n->sport, b, 4);
}

static void
tftp_send_rrq(struct node *n)
{
	uint8_t b[512];
	struct wcur w = wcur_init(b, sizeof(b));
	const struct xfile *x = &xfiles[n->xf];
	char num[16];
	wcur_be16(&w, TOP_RRQ);
	wcur_put(&w, x->name, strlen(x->name) + 1);
	wcur_put(&w, "octet", 6);
	if (opt.tsize) {
		wcur_put(&w, "tsize", 6);
		wcur_put(&w, "0", 2);
	}
	if (opt.blksize) {
		int l = snprintf(num, sizeof(num), "%u", opt.blksize);
		wcur_put(&w, "blksize", 8);
		wcur_put(&w, num, (size_t)l + 1);
	}
	if (opt.windowsize > 1) {
		int l = snprintf(num, sizeof(num), "%u", opt.windowsize);
		wcur_put(&w, "windowsize", 11);
		wcur_put(&w, num, (size_t)l + 1);
	}
	if (w.bad)
		return;
	tx_udp(n->mac, n->srv_mac, n->ip, n->siaddr, n->cport, TFTP_PORT, b, w.len);
}

static void
tftp_begin_file(int32_t i)
{
	struct node *n = &nodes[i];
	n->xf = n->file_i == 0 ? n->loader_xf : files_xf[n->file_i - 1];
	n->cport = (uint16_t)(1024 + rnd() % 64000);
	n->have_tid = false;
	n->gap_acked = false;
	n->sport = 0;
	n->nblk = 0;
	n->blksize = 512;
	n->wsize = 1;
	n->win_got = 0;
	n->tries = 0;
	tftp_send_rrq(n);
	timer_arm(i, now_ms() + opt.timeout_ms);
}

static void
tftp_file_done(int32_t i)
{
	struct node *n = &nodes[i];
	st.files_done++;
	n->prev_cport = n->cport;
	n->prev_sport = n->sport;
	n->prev_blk = (uint16_t)n->nblk;
	if (n->file_i >= opt.nfiles) {
		node_finish(i, true, F_NONE);
		return;
	}
	n->file_i++;
	tftp_begin_file(i);
}

/* RFC 2347/2348/7440: the OACK may only lower what we asked for. */
static bool
tftp_parse_oack(struct node *n, struct cur *c)
{
	const struct xfile *x = &xfiles[n->xf];
	while (c->left && !c->bad) {
		const char *k = cur_cstr(c, NULL);
		const char *v = cur_cstr(c, NULL);
		if (!k || !v)
			return false;
		char *end;
		unsigned long val = strtoul(v, &end, 10);
		if (*end)
			return false;
		if (strcasecmp(k, "blksize") == 0) {
			if (val < 8 || val > 65464 || (opt.blksize && val > opt.blksize))
				return false;
			n->blksize = (uint16_t)val;
		} else if (strcasecmp(k, "windowsize") == 0) {
			if (val < 1 || val > opt.windowsize)
				return false;
			n->wsize = (uint16_t)val;
		} else if (strcasecmp(k, "tsize") == 0) {
			if (opt.verify && val != x->size)
				return false;
		}
	}
	return !c->bad;
}

/* Retransmission timeout after `tries` timeouts in a row: fixed, or (the
 * default, as iPXE's retry timer does) doubling, capped at --backoff-cap
 * times the base.  A server that sheds load by dropping RRQs relies on it. */
static uint64_t
tftp_backoff_ms(unsigned tries)
{
	uint64_t t = opt.timeout_ms;
	for (unsigned k = 0; opt.tftp_backoff && k < tries && t < (uint64_t)opt.timeout_ms * opt.backoff_cap; k++)
		t *= 2;
	if (opt.tftp_backoff && t > (uint64_t)opt.timeout_ms * opt.backoff_cap)
		t = (uint64_t)opt.timeout_ms * opt.backoff_cap;
	return t;
}

static void
tftp_timeout(int32_t i)
{
	struct node *n = &nodes[i];
	if (++n->tries > opt.retries) {
		node_finish(i, false, F_TFTP_TIMEOUT);
		return;
	}
	st.tftp_rexmit++;
	if (!n->have_tid)
		tftp_send_rrq(n);
	else
		tftp_send_ack(n, (uint16_t)n->nblk);
	n->gap_acked = false;
	timer_arm(i, now_ms() + tftp_backoff_ms(n->tries));
}

static void
tftp_data(int32_t i, uint16_t blk, const uint8_t *p, size_t len)
{
	struct node *n = &nodes[i];
	uint16_t want = (uint16_t)(n->nblk + 1);
	if (blk != want) {
		/* behind: a duplicate (our ACK was lost, or a resent window) */
		if ((int16_t)(blk - want) < 0) {
			st.dup_blocks++;
			if (n->wsize == 1 && blk == (uint16_t)n->nblk)
				tftp_send_ack(n, blk);
			return;
		}
		/* ahead: a gap.  RFC 7440 4: ACK the last in-order block once so
		 * that the sender restarts the window from there. */
		if (!n->gap_acked) {
			st.gap_acks++;
			tftp_send_ack(n, (uint16_t)n->nblk);
			n->gap_acked = true;
			n->win_got = 0;
		}
		return;
	}
	const struct xfile *x = &xfiles[n->xf];
	uint64_t off = n->nblk * n->blksize;
	bool last = len < n->blksize;
	if (len > n->blksize) {
		node_finish(i, false, F_BAD_DATA);
		return;
	}
	if (opt.verify) {
		if (off + len > x->size || (last && off + len != x->size)) {
			node_finish(i, false, F_BAD_SIZE);
			return;
		}
		if (len && memcmp(x->data + off, p, len) != 0) {
			node_finish(i, false, F_BAD_DATA);
			return;
		}
	}
	n->nblk++;
	n->tries = 0;
	n->gap_acked = false;
	st.payload_bytes += len;
	if (last) {
		tftp_send_ack(n, blk);
		tftp_file_done(i);
		return;
	}
	if (++n->win_got >= n->wsize) {
		tftp_send_ack(n, blk);
		n->win_got = 0;
	}
	timer_arm(i, now_ms() + opt.timeout_ms);
}

static void
tftp_rx(int32_t i, uint32_t sip, uint16_t sport, uint16_t dport, const uint8_t *p, size_t len)
{
	struct node *n = &nodes[i];
	if (n->state != NS_TFTP || dport != n->cport || sip != n->siaddr) {
		/* the server resent the final block of the previous file: our
		 * last ACK was lost; ACK it again so the server can finish */
		if (dport == n->prev_cport && sport == n->prev_sport && len >= 4 &&
		    p[1] == TOP_DATA && (uint16_t)(p[2] << 8 | p[3]) == n->prev_blk) {
			uint8_t b[4];
			put_be16(b, TOP_ACK);
			put_be16(b + 2, n->prev_blk);
			tx_udp(n->mac, n->srv_mac, n->ip, sip, dport, sport, b, 4);
		}
		st.stray++;
		return;
	}
	if (n->have_tid && sport != n->sport) {
		st.stray++; /* RFC 1350 4: another TID; not ours */
		return;
	}
	struct cur c = cur_init(p, len);
	uint16_t op = cur_be16(&c);
	if (c.bad)
		return;
	if (!n->have_tid) {
		n->sport = sport;
		n->have_tid = true;
	}
	switch (op) {
	case TOP_OACK:
		if (n->nblk != 0)
			return;
		if (!tftp_parse_oack(n, &c)) {
			node_finish(i, false, F_BAD_OACK);
			return;
		}
		n->tries = 0;
		tftp_send_ack(n, 0);
		timer_arm(i, now_ms() + opt.timeout_ms);
		return;
	case TOP_DATA: {
		uint16_t blk = cur_be16(&c);
		if (c.bad)
			return;
		tftp_data(i, blk, c.p, c.left);
		return;
	}
	case TOP_ERROR:
		node_finish(i, false, F_TFTP_ERROR);
		return;
	default:
		st.stray++;
		return;
	}
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

static void
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
		n->t_dhcp = now_ns();
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

static void
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
static unsigned
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

/* ----------------------------------------------------------------- timers */

static void
timer_fire(int32_t i)
{
	struct node *n = &nodes[i];
	switch (n->state) {
	case NS_WAIT:
		n->state = NS_QUEUED;
		queue[q_tail++] = i;
		start_next_queued();
		break;
	case NS_DISCOVER:
	case NS_REQUEST:
		dhcp_timeout(i);
		break;
	case NS_TFTP:
		tftp_timeout(i);
		break;
	default:
		break;
	}
}

static void
timers_run(uint64_t upto_ms)
{
	/* bounded: never walk more than one wheel turn per call */
	if (upto_ms > wheel_ms + WHEEL_SLOTS)
		wheel_ms = upto_ms - WHEEL_SLOTS;
	while (wheel_ms < upto_ms) {
		wheel_ms++;
		int32_t i = wheel[wheel_ms % WHEEL_SLOTS];
		while (i != NIL) {
			int32_t next = nodes[i].tnext;
			if (nodes[i].deadline_ms <= wheel_ms) {
				timer_cancel(i);
				timer_fire(i);
			}
			i = next;
		}
	}
}

/* ------------------------------------------------------------------ setup */

static int
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

static bool
parse_mac(const char *s, uint8_t *m)
{
	unsigned v[6];
	if (sscanf(s, "%x%*1[:-]%x%*1[:-]%x%*1[:-]%x%*1[:-]%x%*1[:-]%x", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5]) != 6)
		return false;
	for (int k = 0; k < 6; k++) {
		if (v[k] > 255)
			return false;
		m[k] = (uint8_t)v[k];
	}
	return true;
}

static bool
parse_ip(const char *s, uint32_t *ip)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*ip = ntohl(a.s_addr);
	return true;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: bs-storm -i IFACE [options]\n"
		"  -n N               clients (default 100, max %u)\n"
		"  --concurrency K    at most K clients booting at once (default N)\n"
		"  --blksize B        TFTP blksize option (0 = none: 512; default 1468)\n"
		"  --windowsize W     TFTP windowsize option (default 8; 1 = none)\n"
		"  --no-tsize         do not ask for tsize\n"
		"  --files a,b,c      files fetched after the loader (default menu.cfg,vmlinuz,initrd.img)\n"
		"  --root DIR         server tftp root: expected content of every file\n"
		"  --no-verify        do not compare received data\n"
		"  --dhcp-only        stop each node at its DHCPACK\n"
		"  --tftp-only IP     no DHCP: clients take addresses from --client-ip, server IP\n"
		"  --client-ip A      first client address for --tftp-only\n"
		"  --timeout MS       TFTP retransmission timeout (default 1000), doubled per\n"
		"                     retry up to --backoff-cap x (default 8) as iPXE does\n"
		"  --fixed-timeout    no doubling: every retry after --timeout\n"
		"  --retries R        TFTP retries per packet before the node fails (default 5)\n"
		"  --dhcp-tries T     DHCP transmissions per step before failing (default 5)\n"
		"  --backoff-scale F  scale of the 4 s DHCP backoff (default 1.0)\n"
		"  --spread MS        start times uniform in [0, MS) (default 0: all at once)\n"
		"  --max-time S       bound on the whole run (default 600)\n"
		"  --progress S       print a progress line every S seconds\n"
		"  --seed S           xids, UUIDs, ports, jitter (default 1)\n"
		"  --mac M            base MAC (default 02:b5:00:00:00:00); node i = base + i\n"
		"  --arch A           option 93 / 60 arch (default 0, BIOS)\n"
		"  --no-broadcast     clear the DHCP broadcast flag\n"
		"  --pcap FILE        record the client side (--pcap-snaplen, default 128)\n"
		"  --times FILE       write per-node boot times (ms), one a line\n"
		"  --mtu M            link MTU (default 1500; up to 16000 for jumbo blksize)\n",
		MAX_NODES);
}

static void
split_files(char *s)
{
	opt.nfiles = 0;
	for (char *tok = strtok(s, ","); tok && opt.nfiles < MAX_FILES; tok = strtok(NULL, ","))
		opt.files[opt.nfiles++] = tok;
}

enum {
	O_CONC = 256, O_BLK, O_WIN, O_NOTSIZE, O_FILES, O_ROOT, O_NOVERIFY, O_DHCPONLY, O_TFTPONLY,
	O_CIP, O_TIMEOUT, O_RETRIES, O_DTRIES, O_SCALE, O_SPREAD, O_MAXT, O_PROG, O_SEED, O_MAC,
	O_ARCH, O_NOBC, O_PCAP, O_SNAP, O_TIMES, O_MTU, O_FIXED, O_CAP,
};

static int
parse_args(int argc, char **argv)
{
	static char default_files[] = "menu.cfg,vmlinuz,initrd.img";
	static const struct option lo[] = {
		{ "concurrency", 1, 0, O_CONC }, { "blksize", 1, 0, O_BLK },
		{ "windowsize", 1, 0, O_WIN },	 { "no-tsize", 0, 0, O_NOTSIZE },
		{ "files", 1, 0, O_FILES },	 { "root", 1, 0, O_ROOT },
		{ "no-verify", 0, 0, O_NOVERIFY }, { "dhcp-only", 0, 0, O_DHCPONLY },
		{ "tftp-only", 1, 0, O_TFTPONLY }, { "client-ip", 1, 0, O_CIP },
		{ "timeout", 1, 0, O_TIMEOUT },	 { "retries", 1, 0, O_RETRIES },
		{ "dhcp-tries", 1, 0, O_DTRIES }, { "backoff-scale", 1, 0, O_SCALE },
		{ "spread", 1, 0, O_SPREAD },	 { "max-time", 1, 0, O_MAXT },
		{ "progress", 1, 0, O_PROG },	 { "seed", 1, 0, O_SEED },
		{ "mac", 1, 0, O_MAC },		 { "arch", 1, 0, O_ARCH },
		{ "no-broadcast", 0, 0, O_NOBC }, { "pcap", 1, 0, O_PCAP },
		{ "pcap-snaplen", 1, 0, O_SNAP }, { "times", 1, 0, O_TIMES },
		{ "mtu", 1, 0, O_MTU },		 { "fixed-timeout", 0, 0, O_FIXED },
		{ "backoff-cap", 1, 0, O_CAP },
		{ "help", 0, 0, 'h' },		 { 0, 0, 0, 0 },
	};
	opt.n = 100;
	opt.blksize = 1468;
	opt.windowsize = 8;
	opt.tsize = true;
	opt.timeout_ms = 1000;
	opt.tftp_backoff = true;
	opt.backoff_cap = 8;
	opt.retries = 5;
	opt.dhcp_tries = 5;
	opt.backoff_scale = 1.0;
	opt.max_time_s = 600;
	opt.seed = 1;
	opt.verify = true;
	opt.broadcast = true;
	opt.pcap_snaplen = 128;
	opt.mtu = 1500;
	const uint8_t bm[6] = { 0x02, 0xb5, 0, 0, 0, 0 };
	memcpy(opt.base_mac, bm, 6);
	split_files(default_files);
	int c;
	while ((c = getopt_long(argc, argv, "i:n:h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': opt.ifname = optarg; break;
		case 'n': opt.n = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_CONC: opt.concurrency = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_BLK: opt.blksize = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_WIN: opt.windowsize = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_NOTSIZE: opt.tsize = false; break;
		case O_FILES: split_files(optarg); break;
		case O_ROOT: opt.root = optarg; break;
		case O_NOVERIFY: opt.verify = false; break;
		case O_DHCPONLY: opt.dhcp_only = true; break;
		case O_TFTPONLY:
			opt.tftp_only = true;
			if (!parse_ip(optarg, &opt.server_ip))
				return -EINVAL;
			break;
		case O_CIP:
			if (!parse_ip(optarg, &opt.client_ip))
				return -EINVAL;
			break;
		case O_TIMEOUT: opt.timeout_ms = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_RETRIES: opt.retries = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_DTRIES: opt.dhcp_tries = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_SCALE: opt.backoff_scale = strtod(optarg, NULL); break;
		case O_SPREAD: opt.spread_ms = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_MAXT: opt.max_time_s = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_PROG: opt.progress_s = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_SEED: opt.seed = strtoull(optarg, NULL, 0); break;
		case O_MAC:
			if (!parse_mac(optarg, opt.base_mac))
				return -EINVAL;
			break;
		case O_ARCH: opt.arch = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_NOBC: opt.broadcast = false; break;
		case O_PCAP: opt.pcap_path = optarg; break;
		case O_SNAP: opt.pcap_snaplen = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_TIMES: opt.times_path = optarg; break;
		case O_MTU: opt.mtu = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_FIXED: opt.tftp_backoff = false; break;
		case O_CAP: opt.backoff_cap = (unsigned)strtoul(optarg, NULL, 0); break;
		default: return -EINVAL;
		}
	}
	if (!opt.ifname || opt.n == 0 || opt.n > MAX_NODES || opt.arch > 0xffff)
		return -EINVAL;
	if (opt.mtu < 576 || opt.mtu > FRAME_JUMBO - 384)
		return -EINVAL;
	/* a DATA packet must fit the MTU: IP + UDP + TFTP headers (RFC 2348) */
	if (opt.blksize && (opt.blksize < 8 || opt.blksize > opt.mtu - IP_HLEN - UDP_HLEN - 4))
		return -EINVAL;
	if (opt.windowsize == 0 || opt.windowsize > 64 || opt.dhcp_tries == 0 || opt.timeout_ms == 0 ||
	    opt.backoff_cap == 0 || opt.backoff_cap > 64)
		return -EINVAL;
	if (opt.tftp_only && (!opt.client_ip || opt.nfiles == 0))
		return -EINVAL;
	if (opt.verify && !opt.root && !opt.dhcp_only)
		return -EINVAL;
	if (!opt.concurrency || opt.concurrency > opt.n)
		opt.concurrency = opt.n;
	if (opt.backoff_scale <= 0)
		opt.backoff_scale = 1.0;
	return 0;
}

static int
nodes_init(void)
{
	nodes = calloc(opt.n, sizeof(*nodes));
	queue = calloc(opt.n, sizeof(*queue));
	uint32_t sz = 1;
	while (sz < opt.n * 2u)
		sz <<= 1;
	iptab = malloc(sz * sizeof(*iptab));
	if (!nodes || !queue || !iptab)
		return -ENOMEM;
	iptab_mask = sz - 1;
	for (uint32_t k = 0; k < sz; k++)
		iptab[k] = NIL;
	for (unsigned k = 0; k < WHEEL_SLOTS; k++)
		wheel[k] = NIL;
	xid_base = (uint32_t)rnd();
	uint32_t low = (uint32_t)opt.base_mac[3] << 16 | (uint32_t)opt.base_mac[4] << 8 | opt.base_mac[5];
	for (unsigned i = 0; i < opt.n; i++) {
		struct node *n = &nodes[i];
		memcpy(n->mac, opt.base_mac, 3);
		uint32_t v = low + i;
		n->mac[3] = (uint8_t)(v >> 16);
		n->mac[4] = (uint8_t)(v >> 8);
		n->mac[5] = (uint8_t)v;
		n->xid = xid_base + i;
		n->slot = n->tnext = n->tprev = NIL;
		n->loader_xf = -1;
		n->state = NS_WAIT;
		if (opt.tftp_only) {
			n->ip = opt.client_ip + i;
			n->siaddr = opt.server_ip;
			iptab_put(n->ip, (int32_t)i);
		}
		uint64_t at = opt.spread_ms ? rnd() % opt.spread_ms : 0;
		timer_arm((int32_t)i, at);
	}
	for (unsigned k = 0; k < opt.nfiles && !opt.dhcp_only; k++) {
		files_xf[k] = xfile_get(opt.files[k]);
		if (files_xf[k] < 0)
			return -ENOENT;
	}
	return 0;
}

/* tftp-only: learn the server's MAC with ARP from node 0 (bounded). */
static int
resolve_server(void)
{
	uint64_t end = now_ns() + 5000000000ull;
	while (!srv_mac_known && now_ns() < end && !stop_flag) {
		tx_arp(1, nodes[0].mac, nodes[0].ip, zero_mac, opt.server_ip, bcast_mac);
		tx_flush();
		struct pollfd pfd = { .fd = sock, .events = POLLIN };
		poll(&pfd, 1, 200);
		rx_drain();
	}
	if (!srv_mac_known)
		return -EHOSTUNREACH;
	for (unsigned i = 0; i < opt.n; i++)
		memcpy(nodes[i].srv_mac, srv_mac_global, 6);
	return 0;
}

/* ----------------------------------------------------------------- report */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void
progress(double el)
{
	fprintf(stderr, "storm: t=%.1fs done=%u active=%u queued=%u failed=%" PRIu64 " rx=%.1fMB %.0fMB/s\n",
		el, finished, active, q_tail - q_head,
		st.fails[F_DHCP_TIMEOUT] + st.fails[F_TFTP_TIMEOUT] + st.fails[F_TFTP_ERROR] +
			st.fails[F_BAD_DATA] + st.fails[F_BAD_SIZE] + st.fails[F_BAD_OACK] +
			st.fails[F_NO_FILE] + st.fails[F_NO_BOOTFILE],
		(double)st.payload_bytes / 1e6, el > 0 ? (double)st.payload_bytes / 1e6 / el : 0.0);
}

/* Frames the kernel could not put in our RX ring (ring full): when not
 * zero, the generator, not the server, lost packets. */
static uint64_t ring_drops;

static void
read_ring_drops(void)
{
	struct tpacket_stats ps;
	socklen_t sl = sizeof(ps);
	if (getsockopt(sock, SOL_PACKET, PACKET_STATISTICS, &ps, &sl) == 0)
		ring_drops += ps.tp_drops;
}

static void
report(uint64_t t_end)
{
	uint64_t *t = calloc(opt.n, sizeof(*t));
	unsigned ok = 0, failed = 0;
	uint64_t last = 0, first = UINT64_MAX;
	for (unsigned i = 0; i < opt.n; i++) {
		struct node *n = &nodes[i];
		/* the first DISCOVER (or RRQ) of the run, started or not done */
		if (n->state != NS_WAIT && n->state != NS_QUEUED && n->t_start - t0_ns < first)
			first = n->t_start - t0_ns;
		if (n->state == NS_DONE) {
			t[ok++] = (n->t_done - n->t_start) / 1000;
			if (n->t_done - t0_ns > last)
				last = n->t_done - t0_ns;
		} else {
			if (n->state != NS_FAILED)
				st.fails[F_DEADLINE]++;
			failed++;
		}
	}
	qsort(t, ok, sizeof(*t), cmp_u64);
	double p50 = ok ? (double)t[(ok - 1) / 2] / 1000 : 0;
	double p99 = ok ? (double)t[(size_t)((ok - 1) * 0.99)] / 1000 : 0;
	double mx = ok ? (double)t[ok - 1] / 1000 : 0;
	double el = (double)(t_end - t0_ns) / 1e9;
	double last_s = failed ? el : (double)last / 1e9;
	/* first request sent .. last node done: with --dhcp-only, the span from
	 * the first DISCOVER to the last ACK, so ok / span_s is leases/s */
	if (first == UINT64_MAX)
		first = 0;
	double span_s = last_s > (double)first / 1e9 ? last_s - (double)first / 1e9 : 0;
	if (opt.times_path) {
		FILE *f = fopen(opt.times_path, "w");
		if (f) {
			for (unsigned k = 0; k < ok; k++)
				fprintf(f, "%.3f\n", (double)t[k] / 1000);
			fclose(f);
		}
	}
	printf("storm: %u nodes, %u ok, %u failed in %.2f s (last node done at %.2f s)\n", opt.n, ok,
	       failed, el, (double)last / 1e9);
	printf("storm: boot time per node ms: p50 %.1f p99 %.1f max %.1f\n", p50, p99, mx);
	printf("storm: payload %.1f MB, %.1f MB/s; rx %" PRIu64 " pkts (%.0f pkt/s), tx %" PRIu64
	       " pkts (%.0f pkt/s), tx drops %" PRIu64 "\n",
	       (double)st.payload_bytes / 1e6, (double)st.payload_bytes / 1e6 / el, st.rx_pkts,
	       (double)st.rx_pkts / el, st.tx_pkts, (double)st.tx_pkts / el, st.tx_drop);
	printf("storm: dhcp offers %" PRIu64 " acks %" PRIu64 " naks %" PRIu64 " rexmit %" PRIu64
	       "; tftp files %" PRIu64 " rexmit %" PRIu64 " dup-blocks %" PRIu64 " gap-acks %" PRIu64
	       "; arp replies %" PRIu64 "; stray %" PRIu64 "\n",
	       st.offers, st.acks, st.naks, st.dhcp_rexmit, st.files_done, st.tftp_rexmit, st.dup_blocks,
	       st.gap_acks, st.arp_replies, st.stray);
	if (failed) {
		printf("storm: failures:");
		for (int k = 1; k < F_MAX; k++)
			if (st.fails[k])
				printf(" %s=%" PRIu64, fail_names[k], st.fails[k]);
		printf("\n");
	}
	/* the generator's own CPU: shows whether it, not the server, was the limit */
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	read_ring_drops();
	printf("storm: generator cpu %.2f s (%.0f%% of one core), rx ring drops %" PRIu64 "\n", cpu,
	       el > 0 ? 100 * cpu / el : 0, ring_drops);
	printf("RESULT nodes=%u ok=%u failed=%u elapsed_s=%.3f last_s=%.3f p50_ms=%.1f p99_ms=%.1f "
	       "max_ms=%.1f mbps=%.1f rx_pps=%.0f tx_pps=%.0f dhcp_rexmit=%" PRIu64
	       " tftp_rexmit=%" PRIu64 " dup=%" PRIu64 " cpu_s=%.2f ring_drops=%" PRIu64
	       " payload_mb=%.1f deadline=%" PRIu64 " first_s=%.3f span_s=%.3f offers=%" PRIu64
	       " acks=%" PRIu64 " naks=%" PRIu64 " tx_drop=%" PRIu64 "\n",
	       opt.n, ok, failed, el, last_s, p50, p99, mx, (double)st.payload_bytes / 1e6 / el,
	       (double)st.rx_pkts / el, (double)st.tx_pkts / el, st.dhcp_rexmit, st.tftp_rexmit,
	       st.dup_blocks, cpu, ring_drops, (double)st.payload_bytes / 1e6, st.fails[F_DEADLINE],
	       (double)first / 1e9, span_s, st.offers, st.acks, st.naks, st.tx_drop);
	free(t);
}

/* ------------------------------------------------------------------- main */

int
main(int argc, char **argv)
{
	if (parse_args(argc, argv) < 0) {
		usage();
		return 2;
	}
	rng_state = opt.seed;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	t0_ns = now_ns();
	int r = nodes_init();
	if (r < 0) {
		fprintf(stderr, "storm: init: %s\n", strerror(-r));
		return 1;
	}
	sock = sock_open();
	if (sock < 0) {
		fprintf(stderr, "storm: socket on %s: %s\n", opt.ifname, strerror(-sock));
		return 1;
	}
	if (opt.pcap_path) {
		pdead = pcap_open_dead(DLT_EN10MB, (int)opt.pcap_snaplen);
		pd = pdead ? pcap_dump_open(pdead, opt.pcap_path) : NULL;
		if (!pd) {
			fprintf(stderr, "storm: pcap %s: %s\n", opt.pcap_path,
				pdead ? pcap_geterr(pdead) : "open_dead");
			return 1;
		}
	}
	/* drop what arrived before we were ready */
	rx_drain();
	read_ring_drops();
	ring_drops = 0;
	if (opt.tftp_only && resolve_server() < 0) {
		fprintf(stderr, "storm: no ARP reply from the TFTP server\n");
		return 1;
	}
	t0_ns = now_ns();
	wheel_ms = 0;
	uint64_t end_ns = t0_ns + (uint64_t)opt.max_time_s * 1000000000ull;
	uint64_t next_prog = t0_ns + (uint64_t)opt.progress_s * 1000000000ull;
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	while (finished < opt.n && !stop_flag) {
		uint64_t now = now_ns();
		if (now >= end_ns)
			break;
		unsigned got = rx_drain();
		timers_run((now - t0_ns) / 1000000u);
		tx_flush();
		if (opt.progress_s && now >= next_prog) {
			progress((double)(now - t0_ns) / 1e9);
			next_prog += (uint64_t)opt.progress_s * 1000000000ull;
		}
		if (!got)
			poll(&pfd, 1, 1);
	}
	uint64_t t_end = now_ns();
	tx_flush();
	report(t_end);
	if (pd) {
		pcap_dump_close(pd);
		pcap_close(pdead);
	}
	close(sock);
	unsigned failed = 0;
	for (unsigned i = 0; i < opt.n; i++)
		failed += nodes[i].state != NS_DONE;
	return failed ? 3 : 0;
}
