/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The shm-resident lease table (see shm/leases.h for the invariants).
 *
 * Why not rte_hash: the table lives in a POSIX shm region mapped by two
 * processes at different addresses, one of them (control) without an EAL.
 * rte_hash keeps pointers and allocates from EAL memory, so it can be
 * neither placed in nor shared through the region.  Two small open
 * addressing indexes of slot numbers (load <= 1/2) are position independent
 * and give O(1) lookups by IP and by MAC.
 */
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "shm/leases.h"
#include "shm/snap_read.h"
#include "util/bs_time.h"

#define IDX_EMPTY UINT32_MAX
#define IDX_TOMB  (UINT32_MAX - 1)
#define MIN_CAP	  16u

/* A reader gives up on a slot after LEASE_READ_SPINS tight retries plus
 * LEASE_READ_BUDGET_NS of yielding retries.  A live writer holds a slot odd
 * for a few stores (nanoseconds; a preempted one for a scheduler tick), so
 * the budget is never reached in normal operation; a writer that died
 * mid-update leaves the slot odd for good and must not hang every reader. */
#define LEASE_READ_SPINS     4096u
#define LEASE_READ_BUDGET_NS (2 * BS_NS_PER_MS)

/* Reads given up (see above), process-wide.  RELAXED: a statistic. */
static _Atomic uint64_t read_skips;

static uint32_t
round_pow2(uint32_t v)
{
	uint32_t p = MIN_CAP;
	while (p < v && p < (1u << 30))
		p <<= 1;
	return p;
}

static size_t
align64(size_t v)
{
	return (v + 63) & ~(size_t)63;
}

size_t
lease_table_size(uint32_t cap)
{
	cap = round_pow2(cap);
	return align64(sizeof(struct lease_table)) + align64((size_t)cap * sizeof(struct lease)) +
	       2 * align64((size_t)cap * 2 * sizeof(uint32_t));
}

static struct lease *
slots(const struct lease_table *t)
{
	return (struct lease *)((uint8_t *)t + t->slots_off);
}

static uint32_t *
ip_index(const struct lease_table *t)
{
	return (uint32_t *)((uint8_t *)t + t->ip_index_off);
}

static uint32_t *
mac_index(const struct lease_table *t)
{
	return (uint32_t *)((uint8_t *)t + t->mac_index_off);
}

int
lease_table_init(struct lease_table *t, uint32_t cap)
{
	if (cap == 0 || cap > (1u << 30))
		return -EINVAL;
	cap = round_pow2(cap);
	memset(t, 0, sizeof(*t));
	t->cap = cap;
	t->slots_off = (uint32_t)align64(sizeof(struct lease_table));
	t->ip_index_off = t->slots_off + (uint32_t)align64((size_t)cap * sizeof(struct lease));
	t->mac_index_off = t->ip_index_off + (uint32_t)align64((size_t)cap * 2 * sizeof(uint32_t));
	memset(slots(t), 0, (size_t)cap * sizeof(struct lease));
	memset(ip_index(t), 0xff, (size_t)cap * 2 * sizeof(uint32_t));
	memset(mac_index(t), 0xff, (size_t)cap * 2 * sizeof(uint32_t));
	/* magic last: a reader that sees it sees a formatted table (the region
	 * is not shared with a writer yet, so a plain store is enough). */
	t->magic = LEASE_TABLE_MAGIC;
	return 0;
}

int
lease_table_check(const struct lease_table *t, size_t bytes)
{
	if (bytes < sizeof(*t) || t->magic != LEASE_TABLE_MAGIC)
		return -EINVAL;
	if (t->cap < MIN_CAP || (t->cap & (t->cap - 1)) != 0 || t->cap > (1u << 30))
		return -EINVAL;
	if (lease_table_size(t->cap) > bytes)
		return -EINVAL;
	if (t->slots_off != align64(sizeof(struct lease_table)) ||
	    t->ip_index_off != t->slots_off + align64((size_t)t->cap * sizeof(struct lease)) ||
	    t->mac_index_off != t->ip_index_off + align64((size_t)t->cap * 2 * sizeof(uint32_t)))
		return -EINVAL;
	if (atomic_load_explicit(&t->used, memory_order_relaxed) > t->cap)
		return -EINVAL;
	return 0;
}

static bool
mac_is_zero(const uint8_t mac[6])
{
	static const uint8_t z[6];
	return memcmp(mac, z, 6) == 0;
}

/* Position in ip_index of ip, or of the first free entry when absent
 * (*found tells which).  UINT32_MAX when the index is full of entries. */
static uint32_t
ip_probe(const struct lease_table *t, uint32_t ip, bool *found)
{
	uint32_t n = t->cap * 2, *idx = ip_index(t);
	*found = false;
	for (uint32_t h = snap_ip_hash(ip) & (n - 1), i = 0; i < n; i++, h = (h + 1) & (n - 1)) {
		uint32_t k = idx[h];
		if (k == IDX_EMPTY)
			return h;
		if (k < t->cap && slots(t)[k].ip == ip) {
			*found = true;
			return h;
		}
	}
	return UINT32_MAX;
}

/* Same for mac_index; tombstones are reused for insertion. */
static uint32_t
mac_probe(const struct lease_table *t, const uint8_t mac[6], bool *found)
{
	uint32_t n = t->cap * 2, *idx = mac_index(t), tomb = UINT32_MAX;
	*found = false;
	for (uint32_t h = snap_mac_hash(mac) & (n - 1), i = 0; i < n; i++, h = (h + 1) & (n - 1)) {
		uint32_t k = idx[h];
		if (k == IDX_EMPTY)
			return tomb != UINT32_MAX ? tomb : h;
		if (k == IDX_TOMB) {
			if (tomb == UINT32_MAX)
				tomb = h;
			continue;
		}
		if (k < t->cap && memcmp(slots(t)[k].mac, mac, 6) == 0) {
			*found = true;
			return h;
		}
	}
	return tomb;
}

struct lease *
lease_by_ip(struct lease_table *t, uint32_t ip)
{
	bool found;
	uint32_t h = ip_probe(t, ip, &found);
	return found ? &slots(t)[ip_index(t)[h]] : NULL;
}

struct lease *
lease_by_mac(struct lease_table *t, const uint8_t mac[6])
{
	bool found;
	if (mac_is_zero(mac))
		return NULL;
	uint32_t h = mac_probe(t, mac, &found);
	return found ? &slots(t)[mac_index(t)[h]] : NULL;
}

/* Seqlock write side (single writer).  Parity is forced, never toggled:
 * a writer that died between begin and end left the slot odd, and a toggle
 * would then make it even *during* the next write (readers accept a torn
 * slot) and odd again after it (readers give up on it for good).  Forcing
 * odd-then-even makes the next write repair the slot.  The release fence
 * after making seq odd orders the odd value before the data stores; the
 * release store of the even value orders the data before it.  Readers pair
 * with acquire. */
static void
write_begin(struct lease *l)
{
	uint32_t s = atomic_load_explicit(&l->seq, memory_order_relaxed);
	atomic_store_explicit(&l->seq, s | 1u, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

static void
write_end(struct lease *l)
{
	uint32_t s = atomic_load_explicit(&l->seq, memory_order_relaxed);
	atomic_store_explicit(&l->seq, (s | 1u) + 1u, memory_order_release);
}

uint32_t
lease_table_repair(struct lease_table *t)
{
	uint32_t n = atomic_load_explicit(&t->used, memory_order_relaxed), fixed = 0;
	if (n > t->cap)
		n = t->cap;
	for (uint32_t i = 0; i < n; i++) {
		struct lease *l = &slots(t)[i];
		uint32_t s = atomic_load_explicit(&l->seq, memory_order_relaxed);
		if (s & 1u) {
			/* RELEASE: same as write_end (the dead writer's data
			 * stores, whatever they were, come before it). */
			atomic_store_explicit(&l->seq, s + 1u, memory_order_release);
			fixed++;
		}
	}
	return fixed;
}

uint64_t
lease_read_skipped(void)
{
	return atomic_load_explicit(&read_skips, memory_order_relaxed);
}

struct lease *
lease_get_or_add(struct lease_table *t, uint32_t ip)
{
	bool found;
	uint32_t h = ip_probe(t, ip, &found);
	if (found)
		return &slots(t)[ip_index(t)[h]];
	uint32_t used = atomic_load_explicit(&t->used, memory_order_relaxed);
	if (h == UINT32_MAX || used >= t->cap)
		return NULL;
	struct lease *l = &slots(t)[used];
	write_begin(l);
	l->ip = ip;
	l->state = LEASE_FREE;
	write_end(l);
	ip_index(t)[h] = used;
	/* Release: a reader that sees the new count sees the slot's ip. */
	atomic_store_explicit(&t->used, used + 1, memory_order_release);
	return l;
}

void
lease_update(struct lease_table *t, struct lease *l, uint8_t state, const uint8_t mac[6],
	     uint64_t expires_ms, uint64_t now_ms)
{
	uint32_t slot = (uint32_t)(l - slots(t));
	bool found;

	if (memcmp(l->mac, mac, 6) != 0) {
		/* The old owner's index entry, if it still points here, dies. */
		if (!mac_is_zero(l->mac)) {
			uint32_t h = mac_probe(t, l->mac, &found);
			if (found && mac_index(t)[h] == slot)
				mac_index(t)[h] = IDX_TOMB;
		}
	}
	uint8_t old_state = l->state;

	write_begin(l);
	memcpy(l->mac, mac, 6);
	l->state = state;
	l->expires_ms = expires_ms;
	l->updated_ms = now_ms;
	write_end(l);

	/* An active slot (offered/bound) becomes the client's current lease;
	 * a previous lease of the same MAC elsewhere keeps its data but loses
	 * the index entry.  An inactive one (released, expired...) is indexed
	 * only when the client has no other, so it can get its address back
	 * but history never displaces a live binding. */
	if (!mac_is_zero(mac)) {
		uint32_t h = mac_probe(t, mac, &found);
		bool active = state == LEASE_OFFERED || state == LEASE_BOUND;
		if (h != UINT32_MAX && (active || !found))
			mac_index(t)[h] = slot;
	}

	if (old_state != state) {
		uint32_t b = atomic_load_explicit(&t->bound, memory_order_relaxed);
		if (old_state == LEASE_BOUND)
			b--;
		if (state == LEASE_BOUND)
			b++;
		atomic_store_explicit(&t->bound, b, memory_order_relaxed);
	}
}

void
lease_set_info(struct lease *l, const uint8_t *client_id, size_t client_id_len,
	       const char *hostname)
{
	if (client_id_len > sizeof(l->client_id))
		client_id_len = sizeof(l->client_id);
	write_begin(l);
	memset(l->client_id, 0, sizeof(l->client_id));
	if (client_id && client_id_len)
		memcpy(l->client_id, client_id, client_id_len);
	l->client_id_len = (uint8_t)client_id_len;
	memset(l->hostname, 0, sizeof(l->hostname));
	if (hostname)
		strncpy(l->hostname, hostname, sizeof(l->hostname) - 1);
	write_end(l);
}

void
lease_set_seq(struct lease *l, uint64_t seq)
{
	write_begin(l);
	l->journal_seq = seq;
	write_end(l);
}

uint64_t
lease_next_seq(struct lease_table *t)
{
	/* Single writer: relaxed load+store; control reads it only to resume
	 * numbering after a rebuild, while no dataplane is attached. */
	uint64_t s = atomic_load_explicit(&t->last_seq, memory_order_relaxed) + 1;
	atomic_store_explicit(&t->last_seq, s, memory_order_relaxed);
	return s;
}

int
lease_apply_event(struct lease_table *t, const struct lease_event *ev)
{
	struct lease *l;
	uint8_t state;

	switch (ev->kind) {
	case LEASE_EV_GRANT:
	case LEASE_EV_RENEW:
		state = LEASE_BOUND;
		break;
	case LEASE_EV_RELEASE:
		state = LEASE_RELEASED;
		break;
	case LEASE_EV_DECLINE:
		state = LEASE_DECLINED;
		break;
	case LEASE_EV_EXPIRE:
		state = LEASE_EXPIRED;
		break;
	default:
		return -EINVAL;
	}
	l = lease_get_or_add(t, ev->ip);
	if (!l)
		return -ENOSPC;
	/* A RELEASE/EXPIRE for a slot another client holds by now is stale. */
	if ((state == LEASE_RELEASED || state == LEASE_EXPIRED) && !mac_is_zero(l->mac) &&
	    memcmp(l->mac, ev->mac, 6) != 0)
		goto seq;
	lease_update(t, l, state, ev->mac, ev->expires_ms, ev->ts_ms);
	if (ev->kind == LEASE_EV_GRANT || ev->kind == LEASE_EV_RENEW) {
		char host[sizeof(ev->hostname)];
		memcpy(host, ev->hostname, sizeof(host));
		host[sizeof(host) - 1] = '\0';
		lease_set_info(l, ev->client_id, ev->client_id_len, host);
	}
	lease_set_seq(l, ev->seq);
seq:
	if (ev->seq > atomic_load_explicit(&t->last_seq, memory_order_relaxed))
		atomic_store_explicit(&t->last_seq, ev->seq, memory_order_relaxed);
	return 0;
}

bool
lease_read(const struct lease_table *t, uint32_t i, struct lease *out)
{
	/* Acquire pairs with the release in lease_get_or_add(). */
	if (i >= atomic_load_explicit(&t->used, memory_order_acquire) || i >= t->cap)
		return false;
	const struct lease *l = &slots(t)[i];
	uint64_t deadline = 0;
	for (uint32_t spins = 0;; spins++) {
		uint32_t s1 = atomic_load_explicit(&l->seq, memory_order_acquire);
		if (!(s1 & 1)) {
			memcpy((uint8_t *)out + sizeof(out->seq),
			       (const uint8_t *)l + sizeof(l->seq), sizeof(*l) - sizeof(l->seq));
			atomic_thread_fence(memory_order_acquire);
			if (atomic_load_explicit(&l->seq, memory_order_relaxed) == s1) {
				/* i < used: the slot holds an IP by construction. */
				atomic_store_explicit(&out->seq, s1, memory_order_relaxed);
				return true;
			}
		}
		if (spins < LEASE_READ_SPINS)
			continue;
		/* Bounded: a writer that died mid-update leaves seq odd. */
		uint64_t now = bs_mono_ns();
		if (deadline == 0) {
			deadline = now + LEASE_READ_BUDGET_NS;
		} else if (now >= deadline) {
			atomic_fetch_add_explicit(&read_skips, 1, memory_order_relaxed);
			return false;
		}
		sched_yield();
	}
}

const char *
lease_state_name(unsigned state)
{
	static const char *const names[LEASE_STATE_MAX] = {
		[LEASE_FREE] = "free",	       [LEASE_OFFERED] = "offered",
		[LEASE_BOUND] = "bound",       [LEASE_RELEASED] = "released",
		[LEASE_DECLINED] = "declined", [LEASE_EXPIRED] = "expired",
	};
	return state < LEASE_STATE_MAX ? names[state] : "?";
}
