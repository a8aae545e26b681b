/* SPDX-License-Identifier: BSD-3-Clause
 *
 * bs-storm: main loop, node life, timer wheel, client table.
 */
#include "tools/storm/storm.h"

struct opts opt;
struct stats st;
struct node *nodes;
int32_t files_xf[MAX_FILES];
uint32_t xid_base;
uint64_t t0_ns;
unsigned active, finished;
unsigned q_head, q_tail;
int sock = -1;
pcap_dumper_t *pd;
uint8_t srv_mac_global[6];
bool srv_mac_known;
const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
const uint8_t zero_mac[6];
static int32_t wheel[WHEEL_SLOTS];
static uint64_t wheel_ms;	/* last processed tick */
static int32_t *iptab;		/* open addressing: ip -> node */
static uint32_t iptab_mask;
static int32_t *queue;		/* FIFO of nodes waiting for a concurrency slot */
static uint64_t rng_state;
static volatile sig_atomic_t stop_flag;
static pcap_t *pdead;

/* ------------------------------------------------------------------ utils */

uint64_t
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

void
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

uint64_t
now_ms(void)
{
	return (bs_mono_ns() - t0_ns) / 1000000u;
}

/* ------------------------------------------------------------- IP table */

void
iptab_put(uint32_t ip, int32_t idx)
{
	uint32_t h = (ip * 2654435761u) & iptab_mask;
	while (iptab[h] != NIL && nodes[iptab[h]].ip != ip)
		h = (h + 1) & iptab_mask;
	iptab[h] = idx;
}

int32_t
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

void
node_finish(int32_t i, bool ok, enum fail_reason why)
{
	struct node *n = &nodes[i];
	timer_cancel(i);
	n->state = ok ? NS_DONE : NS_FAILED;
	n->fail = (uint8_t)why;
	n->t_done = bs_mono_ns();
	if (!ok)
		st.fails[why]++;
	active--;
	finished++;
	start_next_queued();
}


static void
node_begin(int32_t i)
{
	struct node *n = &nodes[i];
	active++;
	n->t_start = bs_mono_ns();
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
	uint64_t end = bs_mono_ns() + 5000000000ull;
	while (!srv_mac_known && bs_mono_ns() < end && !stop_flag) {
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
	t0_ns = bs_mono_ns();
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
	t0_ns = bs_mono_ns();
	wheel_ms = 0;
	uint64_t end_ns = t0_ns + (uint64_t)opt.max_time_s * 1000000000ull;
	uint64_t next_prog = t0_ns + (uint64_t)opt.progress_s * 1000000000ull;
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	while (finished < opt.n && !stop_flag) {
		uint64_t now = bs_mono_ns();
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
	uint64_t t_end = bs_mono_ns();
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
