/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The journal's record format: a lease event's fixed encoding
 * (journal_encode_event / journal_decode_event) and the walk over a journal
 * image shared by replay at start (journal.c) and the read-only reader
 * (`bootstorm leases --journal`).  journal.c calls in here, never the
 * other way.
 *
 * Damage is resynchronised, not obeyed: a frame whose length or CRC is bad
 * starts a damaged region, and the walk looks for the next valid frame
 * byte by byte.  A frame is valid when its length is JOURNAL_EV_LEN, the
 * whole record is present, its first payload byte is the lease-event type
 * and the CRC-32 of the payload matches: a false match inside damaged
 * bytes has odds of about 2^-32 per offset tried.  Only a damaged region
 * that runs to the end of the file (a torn or corrupt tail) is reported as
 * torn, for the caller to cut; regions with valid records after them are
 * skipped and counted, and every record after them is kept (before, one
 * bad length mid-file cut every record after it).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include "control/daemon/journal.h"

#define REC_LEASE_EVENT 1u

static void
put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Fixed field order, independent of the struct's padding and of the host's
 * endianness, so a journal can be exported to another server. */
void
journal_encode_event(const struct lease_event *ev, uint8_t out[JOURNAL_EV_LEN])
{
	uint8_t *p = out;

	*p++ = REC_LEASE_EVENT;
	put_le(p, ev->seq, 8), p += 8;
	put_le(p, ev->expires_ms, 8), p += 8;
	put_le(p, ev->ts_ms, 8), p += 8;
	put_le(p, ev->ip, 4), p += 4;
	memcpy(p, ev->mac, 6), p += 6;
	*p++ = ev->kind;
	*p++ = ev->client_id_len;
	memcpy(p, ev->client_id, 32), p += 32;
	memcpy(p, ev->hostname, 32), p += 32;
	_Static_assert(1 + 8 + 8 + 8 + 4 + 6 + 1 + 1 + 32 + 32 == JOURNAL_EV_LEN, "layout");
}

void
journal_decode_event(const uint8_t in[JOURNAL_EV_LEN], struct lease_event *ev)
{
	const uint8_t *p = in + 1;

	memset(ev, 0, sizeof(*ev));
	ev->seq = get_le(p, 8), p += 8;
	ev->expires_ms = get_le(p, 8), p += 8;
	ev->ts_ms = get_le(p, 8), p += 8;
	ev->ip = (uint32_t)get_le(p, 4), p += 4;
	memcpy(ev->mac, p, 6), p += 6;
	ev->kind = *p++;
	ev->client_id_len = *p++;
	if (ev->client_id_len > sizeof(ev->client_id))
		ev->client_id_len = sizeof(ev->client_id);
	memcpy(ev->client_id, p, 32), p += 32;
	memcpy(ev->hostname, p, 32);
	ev->hostname[sizeof(ev->hostname) - 1] = '\0';
}

/* One frame: length, CRC-32 of the payload, the encoded event. */
void
journal_encode_record(const struct lease_event *ev, uint8_t rec[JOURNAL_REC_LEN])
{
	journal_encode_event(ev, rec + JOURNAL_FRAME_LEN);
	put_le(rec, JOURNAL_EV_LEN, 4);
	put_le(rec + 4, crc32(0, rec + JOURNAL_FRAME_LEN, JOURNAL_EV_LEN), 4);
}

/* The file header: magic, format version 1, reserved. */
void
journal_encode_header(uint8_t hdr[JOURNAL_HDR_LEN])
{
	memcpy(hdr, JOURNAL_MAGIC, 8);
	put_le(hdr + 8, 1, 4);
	put_le(hdr + 12, 0, 4);
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Why the frame at off is not a whole record with a matching CRC; NULL if
 * it is one (of any type: types from a newer version are skipped). */
static const char *
frame_fault(const uint8_t *img, size_t size, size_t off)
{
	uint32_t len;

	if (size - off < JOURNAL_FRAME_LEN)
		return "torn frame header";
	len = le32(img + off);
	if (len == 0 || len > JOURNAL_MAX_PAYLOAD)
		return "bad record length";
	if (len > size - off - JOURNAL_FRAME_LEN)
		return "torn record";
	if (crc32(0, img + off + JOURNAL_FRAME_LEN, len) != le32(img + off + 4))
		return off + JOURNAL_FRAME_LEN + len == size ? "corrupt last record (crc)" :
							       "corrupt record (crc)";
	return NULL;
}

/* The next offset after off where a lease-event frame is valid, or size. */
static size_t
resync(const uint8_t *img, size_t size, size_t off)
{
	for (size_t o = off + 1; size - o >= JOURNAL_REC_LEN; o++) {
		if (le32(img + o) != JOURNAL_EV_LEN || img[o + JOURNAL_FRAME_LEN] != REC_LEASE_EVENT)
			continue;
		if (crc32(0, img + o + JOURNAL_FRAME_LEN, JOURNAL_EV_LEN) == le32(img + o + 4))
			return o;
	}
	return size;
}

int
journal_scan_image(const uint8_t *img, size_t size, const struct journal_scan_cb *cb,
		   struct journal_scan *s)
{
	size_t off = JOURNAL_HDR_LEN;

	memset(s, 0, sizeof(*s));
	if (size < JOURNAL_HDR_LEN) {
		s->torn = size > 0;
		s->why = "short header";
		return 0;
	}
	if (memcmp(img, JOURNAL_MAGIC, 8) != 0 || le32(img + 8) != 1)
		return -EPROTO;
	s->good_end = off;
	while (off < size) {
		const char *why = frame_fault(img, size, off);

		if (why) {
			size_t next = resync(img, size, off);

			if (next == size) {
				/* nothing valid after it: a torn or corrupt tail */
				s->torn = true, s->why = why;
				break;
			}
			s->corrupt++;
			s->damaged_bytes += next - off;
			if (cb && cb->on_damage)
				cb->on_damage(off, next - off, why, cb->arg);
			off = next;
			continue;
		}
		uint32_t len = le32(img + off);
		if (len == JOURNAL_EV_LEN && img[off + JOURNAL_FRAME_LEN] == REC_LEASE_EVENT) {
			struct lease_event ev;

			journal_decode_event(img + off + JOURNAL_FRAME_LEN, &ev);
			if (cb && cb->on_event)
				cb->on_event(&ev, cb->arg);
			s->records++;
		} /* else: a record type from a newer version, skipped */
		off += JOURNAL_FRAME_LEN + len;
		s->good_end = off;
	}
	return 0;
}

int
journal_map_file(int fd, const uint8_t **img, size_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	*size = (size_t)st.st_size;
	*img = NULL;
	if (*size == 0)
		return 0;
	*img = mmap(NULL, *size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (*img == MAP_FAILED)
		return -errno;
	return 0;
}

long
journal_read_file(const char *path, void (*cb)(const struct lease_event *, void *), void *arg)
{
	const struct journal_scan_cb scb = { .on_event = cb, .arg = arg };
	const uint8_t *img = NULL;
	struct journal_scan s = { 0 }; /* set by journal_scan_image; zeroed for
					  gcc -O3's -Wmaybe-uninitialized */
	size_t size = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = journal_map_file(fd, &img, &size);
	if (rc == 0) {
		rc = journal_scan_image(img, size, &scb, &s);
		if (img)
			munmap((void *)img, size);
	}
	close(fd);
	return rc < 0 ? rc : s.records;
}
