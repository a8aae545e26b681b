/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The lease table, resident in the shared region (shm.h: hdr.leases_off).
 *
 * Writers: exactly one thread at a time -- the dataplane worker that owns
 * DHCP, or control while it rebuilds the table from the journal before the
 * dataplane attaches (dp_pid == 0).  Readers: control (API, CLI, metrics),
 * any time, through lease_read() which retries on the per-slot seqlock.
 *
 * Invariants:
 *   - slots are keyed by IP: once a slot holds an IP it keeps it (its state
 *     goes back to LEASE_FREE instead), so ip_index never needs deletion;
 *   - mac_index maps a MAC to the slot of that client's current lease; an
 *     entry whose slot no longer carries that MAC is a tombstone;
 *   - seq of a slot is odd while it is being written.  Writers force the
 *     parity (odd, then even), so the next write of a slot a dead writer
 *     left odd repairs it; a new writer calls lease_table_repair() first;
 *     readers give up on a slot that stays odd (lease_read() is bounded).
 * Everything is offsets: the table is position independent.
 */
#ifndef BS_CONF_LEASES_H
#define BS_CONF_LEASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/shm.h"

#define LEASE_TABLE_MAGIC 0x45534c42u /* "BLSE" */

enum lease_state {
	LEASE_FREE = 0,	  /* slot known, address available */
	LEASE_OFFERED,	  /* held for a client between OFFER and REQUEST */
	LEASE_BOUND,	  /* ACKed */
	LEASE_RELEASED,	  /* released by the client; remembered for reuse */
	LEASE_DECLINED,	  /* quarantined until expires_ms */
	LEASE_EXPIRED,	  /* expired; remembered for the same client */
	LEASE_STATE_MAX
};

struct lease {
	_Atomic uint32_t seq;	/* seqlock, odd while written */
	uint8_t state;		/* enum lease_state */
	uint8_t client_id_len;
	uint8_t mac[6];
	uint32_t ip;		/* host order, never changes once set */
	uint32_t flags;
	uint64_t expires_ms;	/* wall clock ms */
	uint64_t journal_seq;	/* last lease_event.seq applied */
	uint64_t updated_ms;	/* wall clock ms of the last change */
	uint8_t client_id[32];
	char hostname[32];
};

struct lease_table {
	uint32_t magic;
	uint32_t cap;		/* slots, power of 2 */
	uint32_t slots_off;	/* from the table start: struct lease[cap] */
	uint32_t ip_index_off;	/* uint32_t[2*cap], slot or empty/tombstone */
	uint32_t mac_index_off;	/* uint32_t[2*cap] */
	uint32_t pad;
	_Atomic uint32_t used;	/* slots holding an IP */
	_Atomic uint32_t bound;	/* slots in LEASE_BOUND */
	_Atomic uint64_t last_seq; /* last journal seq handed out (writer) */
};

/* Bytes a table of cap slots needs (cap rounded up to a power of 2). */
size_t lease_table_size(uint32_t cap);
/* Formats mem (lease_table_size(cap) bytes, zeroed) as an empty table. */
int lease_table_init(struct lease_table *t, uint32_t cap);
/* Checks magic and bounds of a table found in a region; -EINVAL if bad. */
int lease_table_check(const struct lease_table *t, size_t bytes);

/* Writer API (single writer, see above). */
struct lease *lease_by_ip(struct lease_table *t, uint32_t ip);
struct lease *lease_by_mac(struct lease_table *t, const uint8_t mac[6]);
/* Slot for ip, created LEASE_FREE if absent; NULL when the table is full. */
struct lease *lease_get_or_add(struct lease_table *t, uint32_t ip);
/* Changes a slot's fields under its seqlock and keeps both indexes and the
 * used/bound counts right.  mac may differ from the slot's current one. */
void lease_update(struct lease_table *t, struct lease *l, uint8_t state,
		  const uint8_t mac[6], uint64_t expires_ms, uint64_t now_ms);
/* Sets the client identifier (option 61, truncated to 32 bytes) and the
 * hostname (option 12, already sanitised) of a slot under its seqlock. */
void lease_set_info(struct lease *l, const uint8_t *client_id, size_t client_id_len,
		    const char *hostname);
/* Records the journal seq of the event that made the slot what it is, so a
 * control restarted on this region finds changes its predecessor took from
 * the ring but never wrote (journal_reconcile: slot seq > durable seq). */
void lease_set_seq(struct lease *l, uint64_t seq);
/* Applies a journalled event (control's rebuild, tests): same effect the
 * engine had when it emitted it.  Returns 0, or -ENOSPC when full. */
int lease_apply_event(struct lease_table *t, const struct lease_event *ev);
/* Next journal sequence number (writer only). */
uint64_t lease_next_seq(struct lease_table *t);

/* Writer taking over the table (the previous writer is dead: dataplane
 * start, or control rebuilding while no dataplane runs): makes every slot a
 * dead writer left odd even again.  Returns how many it repaired.  Such a
 * slot may hold a half-applied update; the journal is the record. */
uint32_t lease_table_repair(struct lease_table *t);

/* Reader API: copies slot i consistently; false when i is out of range, the
 * slot holds no IP, or the slot stayed mid-write for longer than the read
 * budget (about 2 ms: a writer that died mid-update), which is counted in
 * lease_read_skipped().  Never spins forever. */
bool lease_read(const struct lease_table *t, uint32_t i, struct lease *out);
/* Reads lease_read() gave up on, in this process. */
uint64_t lease_read_skipped(void);

const char *lease_state_name(unsigned state);

#endif
