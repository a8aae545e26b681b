/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Helpers shared by the DHCP unit tests, the fuzz target and the benchmark:
 * a hand-built snapshot (struct snap_hdr in a buffer, the layout snap.h
 * documents), a request builder, a reply reader that does not reuse the
 * engine's walker, and an engine harness with a malloc'd lease table and
 * capturing event sinks.
 */
#ifndef BS_TEST_DHCP_TESTLIB_H
#define BS_TEST_DHCP_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/snap.h"
#include "dataplane/dhcp/dhcp.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* ---- snapshot builder ---- */
#define TB_MAX_SUB   8
#define TB_MAX_POOL  16
#define TB_MAX_PROF  8
#define TB_MAX_NODE  4096

struct tb {
	struct snap_hdr hdr;
	struct snap_subnet sub[TB_MAX_SUB];
	uint32_t nsub;
	struct snap_pool pool[TB_MAX_POOL];
	uint32_t npool;
	struct snap_profile prof[TB_MAX_PROF];
	uint32_t nprof;
	struct snap_node node[TB_MAX_NODE];
	uint32_t nnode;
	char str[1 << 16];
	uint32_t nstr;
};

/* Server 10.77.0.1/24, unknown clients allowed, offer hold 30 s, decline
 * hold 600 s, no global cap. */
void tb_init(struct tb *b);
uint32_t tb_str(struct tb *b, const char *s);
uint32_t tb_subnet(struct tb *b, uint32_t net, unsigned prefix, uint32_t lease_s);
uint32_t tb_pool(struct tb *b, uint32_t sub, uint32_t lo, uint32_t hi);
uint32_t tb_profile(struct tb *b, const char *name);
void tb_boot(struct tb *b, uint32_t prof, enum snap_arch arch, const char *file);
uint32_t tb_node(struct tb *b, const char *name, const uint8_t mac[6], uint32_t ip, uint32_t prof);
/* Lays the snapshot out in a malloc'd buffer (free() it); gen given. */
struct snap_hdr *tb_finish(const struct tb *b, uint64_t gen);

/* The standard lab: subnet 10.77.0.0/24 (lease 3600 s, router/dns .1,
 * domain lab.example, pool .100-.199), profile "centos7" with bios,
 * efi-x64, http-x64 files and an ipxe URL, node001 52:54:00:00:00:01 ->
 * 10.77.0.11, node002 ..02 -> .12 (client id "01:aa:bb:cc:dd:ee:ff"). */
void tb_lab(struct tb *b);

/* ---- request builder ---- */
struct pk {
	uint8_t b[2048];
	size_t len;
};

void pk_start(struct pk *p, uint8_t type, const uint8_t mac[6], uint32_t xid);
void pk_opt(struct pk *p, uint8_t code, const void *v, size_t len);
void pk_opt32(struct pk *p, uint8_t code, uint32_t v);
void pk_end(struct pk *p);
void pk_set32(struct pk *p, size_t off, uint32_t v);
void pk_set16(struct pk *p, size_t off, uint16_t v);

/* ---- reply reader (independent of the engine's walker) ---- */
/* Value of option code in reply r (options field only, no overload), or
 * NULL; *len set. */
const uint8_t *rp_opt(const uint8_t *r, size_t n, uint8_t code, size_t *len);
uint32_t rp_opt32(const uint8_t *r, size_t n, uint8_t code);
uint8_t rp_type(const uint8_t *r, size_t n);
uint32_t rp_be32(const uint8_t *r, size_t off);

/* ---- engine harness ---- */
#define TH_MAX_EV 8192

struct th {
	struct snap_hdr *snap;
	struct lease_table *leases;
	_Atomic uint64_t ctr[512];
	struct dhcp_engine *e;
	struct lease_event ev[TH_MAX_EV];
	unsigned nev;
	struct boot_event bev[64];
	unsigned nbev;
	struct disc_event disc_last;	/* env.on_unknown: the latest, and how many */
	unsigned ndisc;
	bool ring_full;		/* emit_lease returns -ENOBUFS */
	bool relay_mac;		/* frames come from relay_src_mac, not chaddr */
	uint8_t relay_src_mac[6];
	uint8_t txbuf[DHCP_MAX_REPLY];
	struct dhcp_tx tx;
	uint64_t now;
	uint32_t lease_cap;
};

struct th *th_new(struct snap_hdr *snap, uint32_t lease_cap);
void th_free(struct th *h);
/* Fresh engine, empty lease table (same capacity), no events: cheap
 * enough to run per fuzz input. */
void th_reset(struct th *h, struct snap_hdr *snap);
/* Feeds p (to dst_ip:dst_port, from src_ip:68 and src_mac = chaddr). */
int th_send(struct th *h, const struct pk *p, uint32_t src_ip, uint32_t dst_ip, uint16_t dst_port);
/* A broadcast DISCOVER from mac (xid). */
int th_discover(struct th *h, const uint8_t mac[6], uint32_t xid);
/* A broadcast REQUEST from mac (xid) for ip (option 50), with server id
 * sid (option 54; 0: none, as in INIT-REBOOT). */
int th_request(struct th *h, const uint8_t mac[6], uint32_t xid, uint32_t ip, uint32_t sid);
int th_send_raw(struct th *h, const uint8_t *p, size_t len, uint32_t src_ip, uint32_t dst_ip,
		uint16_t dst_port);
uint64_t th_ctr(const struct th *h, int id);

/* The unit tests' usual start and end: the standard lab (tb_lab), changed
 * by tweak when not NULL, as generation 1 in a harness of 1,024 leases;
 * th_done frees the harness and its snapshot.  The lab's struct tb is
 * static: one th_lab harness at a time. */
struct th *th_lab(void (*tweak)(struct tb *));
void th_done(struct th *h);
/* Common tweaks: ProxyDHCP on; the pool cut to .100-.102 (3 addresses). */
void tb_tweak_proxy(struct tb *b);
void tb_tweak_tiny_pool(struct tb *b);
/* A distinct locally administered unicast MAC per i (02:...). */
void th_mac(uint8_t mac[6], uint32_t i);
/* The last reply's message type (option 53) and yiaddr. */
uint8_t th_rtype(const struct th *h);
uint32_t th_yiaddr(const struct th *h);

#endif
