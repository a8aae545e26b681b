/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fuzz target: arbitrary bytes as a snapshot.  snap_verify guards the
 * dataplane against a corrupt region, so it must never read out of bounds,
 * and whatever it accepts must be safe for every snap_read.h accessor
 * (fz_snap_walk).  The crc is then recomputed so the structural checks
 * behind it get fuzzed too (random bytes almost never match a crc32).
 */
#include <string.h>
#include <zlib.h>

#include "shm/snap_verify.h"
#include "tests/fuzz/harness/fz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An aligned private copy (the region's slots are cache-line aligned). */
	size_t cap = size < sizeof(struct snap_hdr) ? sizeof(struct snap_hdr) : size;
	struct snap_hdr *s = aligned_alloc(64, (cap + 63) & ~(size_t)63);

	FZ_CHECK(s != NULL);
	memcpy(s, data, size);
	if (snap_verify(s, size, NULL) == 0)
		fz_snap_walk(s);
	if (size >= sizeof(*s) && s->size >= sizeof(*s) && s->size <= size) {
		s->crc = 0;
		s->crc = (uint32_t)crc32(0L, (const Bytef *)s, s->size);
		if (snap_verify(s, size, NULL) == 0)
			fz_snap_walk(s);
	}
	free(s);
	return 0;
}
