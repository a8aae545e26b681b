/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fuzz target: arbitrary bytes as a snapshot.  snap_verify guards the
 * dataplane against a corrupt region, so it must never read out of bounds,
 * and whatever it accepts must be safe for every snap_read.h accessor.
 * The crc is recomputed on a second copy so the structural checks behind
 * it get fuzzed too (random bytes almost never match a crc32).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "conf/snap_build.h"
#include "shm/snap_verify.h"
#include "shm/snap_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Touches everything a verified snapshot lets the dataplane reach. */
static void
walk(const struct snap_hdr *s)
{
	volatile size_t sink = 0;
	sink += strlen(snap_str(s, s->server_name)) + strlen(snap_str(s, s->tftp_root)) +
		strlen(snap_str(s, s->tftp_gen_root)) + strlen(snap_str(s, s->http_base_url));
	for (uint32_t i = 0; i < s->nodes.count; i++) {
		const struct snap_node *n = snap_node(s, i);
		sink += strlen(snap_str(s, n->name)) + strlen(snap_str(s, n->boot_file));
		sink += snap_find_mac(s, n->mac) != NULL;
		sink += snap_find_ip(s, n->ip) != NULL;
		if (n->profile != SNAP_NONE) {
			const struct snap_profile *p = snap_profile(s, n->profile);
			for (unsigned a = 0; a < SNAP_ARCH_MAX; a++)
				sink += strlen(snap_str(s, p->boot_file[a]));
		}
		if (n->subnet != SNAP_NONE)
			sink += snap_subnet(s, n->subnet)->n_pools;
	}
	for (uint32_t i = 0; i < s->subnets.count; i++) {
		const struct snap_subnet *sn = snap_subnet(s, i);
		for (uint32_t k = 0; k < sn->n_pools; k++)
			sink += snap_pool(s, sn->first_pool + k)->hi;
		sink += strlen(snap_str(s, sn->domain));
	}
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x77, 0, 1 };
	sink += snap_find_mac(s, mac) != NULL;
	sink += snap_subnet_of(s, 0x0a4d0001u);
	(void)sink;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Aligned private copies (the region's slots are cache-line aligned). */
	size_t cap = size < sizeof(struct snap_hdr) ? sizeof(struct snap_hdr) : size;
	struct snap_hdr *s = aligned_alloc(64, (cap + 63) & ~(size_t)63);
	if (!s)
		return 0;
	memcpy(s, data, size);
	if (snap_verify(s, size, NULL) == 0)
		walk(s);
	if (size >= sizeof(struct snap_hdr) && s->size >= sizeof(struct snap_hdr) &&
	    s->size <= size) {
		s->crc = 0;
		s->crc = (uint32_t)crc32(0L, (const Bytef *)s, s->size);
		if (snap_verify(s, size, NULL) == 0)
			walk(s);
	}
	free(s);
	return 0;
}
