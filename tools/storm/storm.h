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
 *
 * Files by role (this header holds the shared types and state):
 *   storm.c         main loop, node life, timer wheel, client table
 *   storm_io.c      packet I/O: AF_PACKET ring, batched TX, frames, RX dispatch, pcap
 *   storm_dhcp.c    DHCP client state machine
 *   storm_tftp.c    TFTP client and the expected-content files
 *   storm_cli.c     command line
 *   storm_report.c  progress lines and the final report
 */
#ifndef BS_STORM_H
#define BS_STORM_H

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

#include "util/bs_time.h"

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

/* Shared state (defined in storm.c unless noted). */
extern struct opts opt;
extern struct stats st;
extern struct node *nodes;
extern int32_t files_xf[MAX_FILES];
extern uint32_t xid_base;
extern uint64_t t0_ns;
extern unsigned active, finished;
extern unsigned q_head, q_tail;
extern int sock;
extern pcap_dumper_t *pd;
extern uint8_t srv_mac_global[6];
extern bool srv_mac_known;
extern uint64_t ring_drops;	/* storm_io.c */
extern const uint8_t bcast_mac[6], zero_mac[6];

static inline void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* storm.c */
uint64_t rnd(void);
void timer_arm(int32_t i, uint64_t deadline_ms);
uint64_t now_ms(void);
void iptab_put(uint32_t ip, int32_t idx);
int32_t iptab_get(uint32_t ip);
void node_finish(int32_t i, bool ok, enum fail_reason why);
/* storm_io.c */
void tx_flush(void);
void tx_udp(const uint8_t *smac, const uint8_t *dmac, uint32_t sip, uint32_t dip, uint16_t sport,
	    uint16_t dport, const uint8_t *payload, size_t plen);
void tx_arp(uint16_t op, const uint8_t *smac, uint32_t sip, const uint8_t *tmac, uint32_t tip,
	    const uint8_t *dmac);
unsigned rx_drain(void);
int sock_open(void);
void read_ring_drops(void);
/* storm_dhcp.c */
void dhcp_begin(int32_t i);
void dhcp_rx(const uint8_t *eth_src, const uint8_t *p, size_t len);
void dhcp_timeout(int32_t i);
/* storm_tftp.c */
int32_t xfile_get(const char *name);
void tftp_begin_file(int32_t i);
void tftp_timeout(int32_t i);
void tftp_rx(int32_t i, uint32_t sip, uint16_t sport, uint16_t dport, const uint8_t *p,
	     size_t len);
/* storm_cli.c */
void usage(void);
int parse_args(int argc, char **argv);
/* storm_report.c */
void progress(double el);
void report(uint64_t t_end);

#endif
