/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The hash functions the project's open-addressed tables use (each file
 * had its own copy).  Header-only.  None of these is keyed: a table whose
 * keys a remote peer chooses bounds its probe length or uses a keyed hash
 * (the TFTP server TID is SipHash under a per-start key, tftp_tid.c).
 *
 * bs_fnv1a32      FNV-1a 32-bit over bytes (names, client ids, MACs).
 * bs_fnv1a32_str  the same over a NUL-terminated string.
 * bs_mix64        MurmurHash3's fmix64 finaliser (two rounds of it here:
 *                 the first xor-shift-multiply is enough for integer keys
 *                 that are already well spread, like a 3-tuple).
 */
#ifndef BS_UTIL_HASH_H
#define BS_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define BS_FNV32_OFFSET 2166136261u
#define BS_FNV32_PRIME	16777619u

static inline uint32_t
bs_fnv1a32(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t h = BS_FNV32_OFFSET;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * BS_FNV32_PRIME;
	return h;
}

static inline uint32_t
bs_fnv1a32_str(const char *s)
{
	uint32_t h = BS_FNV32_OFFSET;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * BS_FNV32_PRIME;
	return h;
}

static inline uint32_t
bs_mix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (uint32_t)k;
}

#endif
