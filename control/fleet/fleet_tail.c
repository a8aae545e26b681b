/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The journal's tail as the fleet outbox (fleet_pure.h): a read-only walk
 * over the same frames journal_scan.c replays.
 */
#include "control/fleet/fleet_pure.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <zlib.h>

#include "control/daemon/journal.h"

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* A whole lease-event frame with a matching CRC at off (journal_scan.c's
 * rule: length JOURNAL_EV_LEN, type 1, CRC-32 of the payload). */
static bool
frame_ok(const uint8_t *img, size_t size, uint64_t off)
{
	const uint8_t *f = img + off;

	if (off > size || size - off < JOURNAL_REC_LEN)
		return false;
	return le32(f) == JOURNAL_EV_LEN && f[JOURNAL_FRAME_LEN] == 1 &&
	       le32(f + 4) == (uint32_t)crc32(0, f + JOURNAL_FRAME_LEN, JOURNAL_EV_LEN);
}

/* Next valid frame at or after off, or size when none (the damaged or torn
 * rest is left to the journal's own replay to judge). */
static uint64_t
resync(const uint8_t *img, size_t size, uint64_t off)
{
	for (; off + JOURNAL_REC_LEN <= size; off++)
		if (frame_ok(img, size, off))
			return off;
	return size;
}

size_t
fleet_tail_walk(const uint8_t *img, size_t size, uint64_t off, uint64_t durable,
		uint64_t skip_upto, struct lease_event *out, size_t cap, uint64_t *next_off)
{
	size_t n = 0;

	if (off < JOURNAL_HDR_LEN)
		off = JOURNAL_HDR_LEN;
	while (n < cap && off < size) {
		uint64_t seq;

		if (!frame_ok(img, size, off)) {
			uint64_t next = resync(img, size, off + 1);

			if (next >= size)
				break; /* torn or still being written: stay here */
			off = next;
			continue;
		}
		/* the payload's seq field follows the type byte */
		seq = le64(img + off + JOURNAL_FRAME_LEN + 1);
		if (seq > durable)
			break; /* not yet acknowledged */
		if (seq > skip_upto)
			journal_decode_event(img + off + JOURNAL_FRAME_LEN, &out[n++]);
		off += JOURNAL_REC_LEN;
	}
	*next_off = off;
	return n;
}

int
fleet_pos_format(const struct fleet_pos *p, char *buf, size_t cap)
{
	return snprintf(buf, cap, "%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", p->ino, p->off, p->seq);
}

int
fleet_pos_parse(const char *s, struct fleet_pos *p)
{
	struct fleet_pos q;

	if (sscanf(s, "%" SCNu64 " %" SCNu64 " %" SCNu64, &q.ino, &q.off, &q.seq) != 3)
		return -EINVAL;
	*p = q;
	return 0;
}
