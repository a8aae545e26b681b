/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Read accessors for a published snapshot (shm/snap.h).  Header-only and
 * allocation free so the dataplane engines, control and the tests share one
 * definition of the lookups.  The snapshot must have been validated with
 * snap_verify() (conf/snap_build.h) before these are used: they trust
 * offsets and counts.
 */
#ifndef BS_CONF_SNAP_READ_H
#define BS_CONF_SNAP_READ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "shm/snap.h"

static inline const void *
snap_at(const struct snap_hdr *s, uint32_t off)
{
	return (const uint8_t *)s + off;
}

/* String by offset; 0 and out-of-range offsets give "". */
static inline const char *
snap_str(const struct snap_hdr *s, uint32_t str)
{
	if (str == 0 || str >= s->strings.count)
		return "";
	return (const char *)snap_at(s, s->strings.off) + str;
}

#define SNAP_TABLE_ACCESSOR(name, type, field)                          \
	static inline const type *snap_##name(const struct snap_hdr *s, \
					      uint32_t i)               \
	{                                                               \
		return i < s->field.count ?                             \
			       (const type *)snap_at(s, s->field.off) + i : \
			       NULL;                                    \
	}
SNAP_TABLE_ACCESSOR(subnet, struct snap_subnet, subnets)
SNAP_TABLE_ACCESSOR(pool, struct snap_pool, pools)
SNAP_TABLE_ACCESSOR(profile, struct snap_profile, profiles)
SNAP_TABLE_ACCESSOR(node, struct snap_node, nodes)
#undef SNAP_TABLE_ACCESSOR

/* 64-bit mix of the 6 MAC bytes (splitmix64 finaliser): MACs of a rack are
 * sequential, so a plain modulo would cluster. */
static inline uint32_t
snap_mac_hash(const uint8_t mac[6])
{
	uint64_t x = 0;
	memcpy(&x, mac, 6);
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return (uint32_t)x;
}

static inline uint32_t
snap_ip_hash(uint32_t ip)
{
	uint64_t x = ip;
	x *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(x >> 32);
}

/* Inventory node by MAC, O(1): linear probing in mac_index. */
static inline const struct snap_node *
snap_find_mac(const struct snap_hdr *s, const uint8_t mac[6])
{
	uint32_t n = s->mac_index.count;
	if (n == 0)
		return NULL;
	const uint32_t *idx = snap_at(s, s->mac_index.off);
	for (uint32_t h = snap_mac_hash(mac) & (n - 1), i = 0; i < n;
	     i++, h = (h + 1) & (n - 1)) {
		uint32_t k = idx[h];
		if (k == SNAP_NONE)
			return NULL;
		const struct snap_node *nd = snap_node(s, k);
		if (nd && memcmp(nd->mac, mac, 6) == 0)
			return nd;
	}
	return NULL;
}

/* Inventory node holding a reservation for ip, O(1). */
static inline const struct snap_node *
snap_find_ip(const struct snap_hdr *s, uint32_t ip)
{
	uint32_t n = s->ip_index.count;
	if (n == 0)
		return NULL;
	const uint32_t *idx = snap_at(s, s->ip_index.off);
	for (uint32_t h = snap_ip_hash(ip) & (n - 1), i = 0; i < n;
	     i++, h = (h + 1) & (n - 1)) {
		uint32_t k = idx[h];
		if (k == SNAP_NONE)
			return NULL;
		const struct snap_node *nd = snap_node(s, k);
		if (nd && nd->has_ip && nd->ip == ip)
			return nd;
	}
	return NULL;
}

/* Subnet containing ip, or SNAP_NONE.  Subnets are few (tens): linear. */
static inline uint32_t
snap_subnet_of(const struct snap_hdr *s, uint32_t ip)
{
	for (uint32_t i = 0; i < s->subnets.count; i++) {
		const struct snap_subnet *sn = snap_subnet(s, i);
		if ((ip & sn->mask) == sn->net)
			return i;
	}
	return SNAP_NONE;
}

/* Maps an option 93 value to enum snap_arch; SNAP_ARCH_MAX when unknown. */
static inline enum snap_arch
snap_arch_from_opt93(uint16_t v)
{
	switch (v) {
	case 0: return SNAP_ARCH_BIOS;
	case 6: return SNAP_ARCH_EFI_IA32;
	case 7: /* fall through: EFI BC, used by x64 firmware */
	case 9: return SNAP_ARCH_EFI_X64;
	case 10: return SNAP_ARCH_EFI_ARM32;
	case 11: return SNAP_ARCH_EFI_ARM64;
	case 15: /* fall through: x86 UEFI HTTP */
	case 16: return SNAP_ARCH_HTTP_X64;
	case 19: return SNAP_ARCH_HTTP_ARM64;
	default: return SNAP_ARCH_MAX;
	}
}

#endif
