/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The DHCPv4 / PXE engine: plain C over byte buffers (no DPDK types), so the
 * cmocka tests and the fuzzer drive it without an EAL.
 *
 * Ownership: one engine per process, run by the single worker that owns
 * DHCP (see DESIGN.md: all DHCP lands on one queue anyway, and one writer
 * keeps the lease table lock free).  Other workers hand DHCP packets to it
 * through an rte_ring.
 *
 * Contract of dhcp_handle():
 *   - rx describes one UDP datagram to port 67 or 4011 (payload = BOOTP
 *     message), already IP/UDP validated by the caller;
 *   - returns { DHCP_REPLY } with tx filled (payload in tx->buf, tx->len
 *     bytes, addressing in tx->dst_*), { DHCP_SILENT } when RFC 2131 says to
 *     stay silent (not an error), or { DHCP_DROP, why } (already counted);
 *   - when tx->wait_seq != 0 the reply confirms a dynamic lease change whose
 *     journal record has sequence wait_seq: the caller must hold it until
 *     shm hdr.durable_seq >= wait_seq (group commit), and drop it (the
 *     client retries) if that takes longer than hold_max_ms;
 *   - never allocates, never blocks, never logs per packet.
 */
#ifndef BS_DHCP_H
#define BS_DHCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/counters.h"
#include "shm/leases.h"
#include "shm/shm.h"
#include "shm/snap.h"

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_PXE_PORT	 4011
#define DHCP_MIN_MSG	 576	/* RFC 2131 2: clients accept at least this */
#define DHCP_MAX_REPLY	 1472	/* 1500 - IP - UDP: replies never fragment */

enum dhcp_verdict {
	DHCP_REPLY = 0,
	DHCP_SILENT = -1,
	DHCP_DROP = 1,	/* inside the engine: any > 0 is an enum bs_ctr drop counter */
};

/* What dhcp_handle() decided; why is BS_DROP_NONE unless DHCP_DROP. */
struct dhcp_result {
	enum dhcp_verdict verdict;
	enum bs_drop why;
};

/* Where the engine's side effects go. */
struct dhcp_env {
	struct lease_table *leases;	/* in shm; this engine is its writer */
	_Atomic uint64_t *ctr;		/* this worker's counters */
	/* Appends a lease event for the journal; returns 0, or -ENOBUFS when
	 * the ring is full (the engine then does not reply: the client
	 * retries, nothing unacknowledged is lost). */
	int (*emit_lease)(void *ctx, const struct lease_event *ev);
	/* Best-effort boot progress; may drop. */
	void (*emit_boot)(void *ctx, const struct boot_event *ev);
	/* A message from a client not in the inventory (discovery), whatever
	 * dhcp.unknown_clients says; best effort, may drop; the callee may
	 * fill ev's port and rx_worker.  NULL = no discovery.  It cannot
	 * change the answer: the engine decides that alone. */
	void (*on_unknown)(void *ctx, struct disc_event *ev);
	void *ctx;
};

struct dhcp_rx {
	const uint8_t *p;	/* BOOTP message (UDP payload) */
	size_t len;
	uint32_t src_ip, dst_ip;	/* host order */
	uint16_t src_port, dst_port;
	uint8_t src_mac[6];
	uint64_t now_ms;	/* wall clock ms */
};

struct dhcp_tx {
	uint8_t *buf;		/* caller's buffer for the BOOTP payload */
	size_t cap;		/* >= DHCP_MAX_REPLY */
	size_t len;		/* bytes written */
	uint32_t src_ip, dst_ip;	/* host order */
	uint16_t src_port, dst_port;
	uint8_t dst_mac[6];	/* ff:ff:ff:ff:ff:ff for broadcast */
	uint64_t wait_seq;	/* 0 = send now, else group-commit hold */
};

struct dhcp_engine;

/* Allocation happens here only, at start-up. */
struct dhcp_engine *dhcp_engine_new(const struct dhcp_env *env);
void dhcp_engine_free(struct dhcp_engine *e);

struct dhcp_result dhcp_handle(struct dhcp_engine *e, const struct snap_hdr *snap,
			       const struct dhcp_rx *rx, struct dhcp_tx *tx);

/* Housekeeping, called about once a second: expires offers and leases
 * (emitting LEASE_EV_EXPIRE), ends quarantines.  Bounded work per call. */
void dhcp_tick(struct dhcp_engine *e, const struct snap_hdr *snap, uint64_t now_ms);

#endif
