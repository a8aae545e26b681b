/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Lease journal fixture: a state dir (TMPDIR, else /dev/shm so the
 * fdatasyncs cost nothing, else /tmp) whose leases.journal is each image
 * in turn, replayed by journal_open() the way `bootstorm serve` does at
 * start and read by journal_read_file() (`bootstorm leases --journal`).
 * Invariants:
 *   - a file whose header is not ours is refused (-EPROTO) and left
 *     byte for byte as it was;
 *   - otherwise the open succeeds, replays exactly the events the
 *     read-only reader sees (same count, same bytes, in order), and
 *     durable_seq = last_seq = their highest seq;
 *   - the file left behind is the original cut at a record boundary
 *     (truncated_bytes says by how much), or a fresh header when there
 *     was no whole header, made of whole frames only, and reading it
 *     again gives the same events;
 *   - the mirror lease table is consistent: used <= cap, every slot is
 *     found by its IP, the bound count matches the slots, a MAC index hit
 *     carries that MAC.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <glob.h>
#include <zlib.h>

#include "control/daemon/journal.h"
#include "control/log.h"
#include "shm/leases.h"
#include "tests/fuzz/harness/fz.h"

#define LEASE_CAP 8 /* small, so that "mirror full" is reachable */

static char dir[PATH_MAX], jpath[PATH_MAX + 32];

struct digest {
	long n;
	uint32_t crc;
	uint64_t max_seq;
};

static void
digest_ev(const struct lease_event *ev, void *arg)
{
	struct digest *d = arg;
	uint8_t b[JOURNAL_EV_LEN];

	journal_encode_event(ev, b);
	d->crc = (uint32_t)crc32(d->crc, b, sizeof(b));
	d->n++;
	if (ev->seq > d->max_seq)
		d->max_seq = ev->seq;
}

static bool
same(const struct digest *a, const struct digest *b)
{
	return a->n == b->n && a->crc == b->crc && a->max_seq == b->max_seq;
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "%s", fz_tmpdir("journal", true));
	snprintf(jpath, sizeof(jpath), "%s/%s", dir, JOURNAL_FILE);
	ctl_log_level = -1; /* every input is "corrupt": keep stderr for findings */
}

static void
put(const uint8_t *b, size_t n)
{
	int fd = open(jpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	FZ_CHECK(fd >= 0 && (!n || write(fd, b, n) == (ssize_t)n));
	close(fd);
}

/* The file's bytes (malloc'd) and length. */
static uint8_t *
get(size_t *n)
{
	uint8_t *b = malloc(JOURNAL_MAX_PAYLOAD * 64);
	int fd = open(jpath, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	FZ_CHECK(b && fd >= 0);
	*n = 0;
	while ((r = read(fd, b + *n, JOURNAL_MAX_PAYLOAD * 64 - *n)) > 0)
		*n += (size_t)r;
	close(fd);
	FZ_CHECK(r == 0);
	return b;
}

static void
check_mirror(struct lease_table *t)
{
	uint32_t used = atomic_load(&t->used), bound = 0;

	FZ_CHECK(used <= t->cap);
	for (uint32_t i = 0; i < used; i++) {
		static const uint8_t zero[6];
		struct lease l, *p;

		FZ_CHECK(lease_read(t, i, &l) && l.state < LEASE_STATE_MAX);
		FZ_CHECK(l.client_id_len <= sizeof(l.client_id));
		FZ_CHECK(memchr(l.hostname, '\0', sizeof(l.hostname)));
		p = lease_by_ip(t, l.ip);
		FZ_CHECK(p && p->ip == l.ip);
		bound += l.state == LEASE_BOUND;
		if (memcmp(l.mac, zero, 6) != 0) {
			p = lease_by_mac(t, l.mac);
			FZ_CHECK(!p || memcmp(p->mac, l.mac, 6) == 0);
		}
	}
	FZ_CHECK(bound == atomic_load(&t->bound));
}

static uint32_t
le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* True when the image's record walk ends without a torn tail: replay left
 * no part of a frame at the end (damage in the middle is skipped by
 * resynchronisation and may stay). */
static bool
no_torn_tail(const uint8_t *b, size_t n)
{
	struct journal_scan sc;

	return journal_scan_image(b, n, NULL, &sc) == 0 && !sc.torn;
}

/* Removes the <journal>.damaged-* copies replay kept (one per input that
 * cut more than a record). */
static void
drop_damaged_copies(void)
{
	char pat[PATH_MAX + 64];
	glob_t g;

	snprintf(pat, sizeof(pat), "%s.damaged-*", jpath);
	if (glob(pat, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			unlink(g.gl_pathv[i]);
		globfree(&g);
	}
}

void
fz_journal_replay(const uint8_t *img, size_t n)
{
	struct digest d0 = { 0 }, d1 = { 0 }, d2 = { 0 };
	struct journal_params p = {
		.dir = dir, .lease_cap = LEASE_CAP, .max_pending = 8,
		.on_replay = digest_ev, .arg = &d1,
	};
	struct journal j;
	uint8_t *after;
	size_t n_after;

	if (!dir[0])
		setup();
	put(img, n);
	long r0 = journal_read_file(jpath, digest_ev, &d0);
	int rc = journal_open(&j, &p);
	if (r0 == -EPROTO) {
		FZ_CHECK(rc == -EPROTO);
		after = get(&n_after);
		FZ_CHECK(n_after == n && memcmp(after, img, n) == 0); /* "refusing to touch it" */
		free(after);
		return;
	}
	if (r0 < 0 || rc != 0) {
		fprintf(stderr, "read %ld, open %d\n", r0, rc);
		abort();
	}
	FZ_CHECK(d0.n == r0 && same(&d0, &d1) && atomic_load(&j.st.replayed) == (uint64_t)r0);
	FZ_CHECK(j.last_seq == d0.max_seq && j.durable_seq == j.last_seq);
	check_mirror(j.mirror);
	journal_close(&j);

	after = get(&n_after);
	FZ_CHECK(n_after >= JOURNAL_HDR_LEN && memcmp(after, JOURNAL_MAGIC, 8) == 0);
	if (n >= JOURNAL_HDR_LEN) /* a prefix of what was there, cut by exactly truncated_bytes */
		FZ_CHECK(n_after <= n && memcmp(after, img, n_after) == 0 &&
			 atomic_load(&j.st.truncated_bytes) == n - n_after);
	else
		FZ_CHECK(n_after == JOURNAL_HDR_LEN);
	FZ_CHECK(no_torn_tail(after, n_after)); /* no part of a frame left behind */
	drop_damaged_copies();
	free(after);
	/* the cut lost or invented no event */
	FZ_CHECK(journal_read_file(jpath, digest_ev, &d2) == r0 && same(&d0, &d2));
}

bool
fz_journal_fix_crcs(uint8_t *b, size_t n)
{
	size_t off = JOURNAL_HDR_LEN;
	bool changed = false;

	while (n >= JOURNAL_HDR_LEN && n - off >= JOURNAL_FRAME_LEN) {
		uint32_t len = le32(b + off);
		uint32_t crc;

		if (len == 0 || len > JOURNAL_MAX_PAYLOAD || len > n - off - JOURNAL_FRAME_LEN)
			break;
		crc = (uint32_t)crc32(0, b + off + JOURNAL_FRAME_LEN, len);
		for (unsigned i = 0; i < 4; i++) {
			changed |= b[off + 4 + i] != (uint8_t)(crc >> (8 * i));
			b[off + 4 + i] = (uint8_t)(crc >> (8 * i));
		}
		off += JOURNAL_FRAME_LEN + len;
	}
	return changed;
}
