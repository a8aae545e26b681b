/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fleet load balancing in the DHCP engine (RFC 3074): servers sharing a
 * segment split its clients by a hash of the client identifier into 256
 * buckets, and its dynamic pools into one contiguous slice per server.
 * Which buckets this server serves and which slice is its own come from
 * the snapshot (shm/snap.h lb_*; control/fleet/fleet_live.c writes them).
 * Pure functions of their arguments; no state.
 */
#ifndef BS_DHCP_LB_H
#define BS_DHCP_LB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/snap.h"

/* RFC 3074 section 6: the Pearson hash of key[0..len) (its mixing table),
 * a bucket 0..255.  len is hashed as its low 8 bits, as the RFC's C does
 * (unsigned char hash = len). */
uint8_t dhcp_lb_hash(const uint8_t *key, size_t len);

/* Bucket b is in the set (bit b % 8 of byte b / 8). */
static inline bool
dhcp_lb_bucket_in(const uint8_t set[SNAP_LB_BUCKETS / 8], uint8_t b)
{
	return (set[b >> 3] >> (b & 7)) & 1u;
}

/* This server's slice [*lo, *hi] of pool p: the pool cut in lb_slices
 * contiguous parts of (nearly) equal size, part lb_slice ours; the whole
 * pool when lb_slices <= 1.  False when the part is empty (a pool smaller
 * than the number of servers). */
bool dhcp_lb_pool_part(const struct snap_hdr *s, const struct snap_pool *p, uint32_t *lo,
		       uint32_t *hi);

/* The adopted lease (a dead peer's, taken over) of mac, or NULL. */
const struct snap_lease *dhcp_lb_adopted(const struct snap_hdr *s, const uint8_t mac[6]);

#endif
