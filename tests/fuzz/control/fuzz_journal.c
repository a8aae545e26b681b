/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fuzz target: arbitrary bytes as <state_dir>/leases.journal, replayed by
 * journal_open() the way `bootstorm serve` does at start (mirror table,
 * torn-tail truncation, header written to an empty file), and read by
 * journal_read_file() (`bootstorm leases --journal`).
 *
 * Every input is replayed twice: as is, and with each frame's CRC fixed
 * up (libFuzzer cannot forge CRC32s, so without this the event fields and
 * the lease table behind them would never be reached).
 *
 * Invariants:
 *   - a file whose header is not ours is refused (-EPROTO) and left
 *     byte for byte as it was;
 *   - otherwise the open succeeds, replays exactly the events the
 *     read-only reader sees (same count, same bytes, in order), and
 *     durable_seq = last_seq = their highest seq;
 *   - the file left behind is the original cut after a valid record
 *     (truncated_bytes says by how much), or a fresh header when there
 *     was no whole header, with no torn tail (damage in the middle is
 *     resynchronised over and may stay), and reading it again gives the
 *     same events;
 *   - the mirror lease table is consistent: used <= cap, every slot is
 *     found by its IP, the bound count matches the slots, a MAC index hit
 *     carries that MAC.
 * The state dir is a per-process temp dir (TMPDIR, else /dev/shm so the
 * fdatasyncs cost nothing, else /tmp), removed at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "shm/leases.h"
#include "control/daemon/journal.h"
#include "control/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

static void drop_damaged_copies(void);

static void
cleanup(void)
{
	char p[PATH_MAX + 64];

	if (!dir[0])
		return;
	unlink(jpath);
	drop_damaged_copies();
	snprintf(p, sizeof(p), "%s.tmp", jpath);
	unlink(p);
	rmdir(dir);
}

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/bs-fuzz-journal.XXXXXX", tmp);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		abort();
	}
	snprintf(jpath, sizeof(jpath), "%s/%s", dir, JOURNAL_FILE);
	atexit(cleanup);
	ctl_log_level = -1; /* every input is "corrupt": keep stderr for findings */
}

static void
put(const uint8_t *b, size_t n)
{
	int fd = open(jpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || (n && write(fd, b, n) != (ssize_t)n)) {
		perror(jpath);
		abort();
	}
	close(fd);
}

/* The file's bytes (malloc'd) and length. */
static uint8_t *
get(size_t *n)
{
	uint8_t *b = malloc(JOURNAL_MAX_PAYLOAD * 64);
	int fd = open(jpath, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (!b || fd < 0)
		abort();
	*n = 0;
	while ((r = read(fd, b + *n, JOURNAL_MAX_PAYLOAD * 64 - *n)) > 0)
		*n += (size_t)r;
	close(fd);
	if (r < 0)
		abort();
	return b;
}

static void
check_mirror(struct lease_table *t)
{
	uint32_t used = atomic_load(&t->used), bound = 0;

	if (used > t->cap)
		abort();
	for (uint32_t i = 0; i < used; i++) {
		static const uint8_t zero[6];
		struct lease l, *p;

		if (!lease_read(t, i, &l) || l.state >= LEASE_STATE_MAX ||
		    l.client_id_len > sizeof(l.client_id) ||
		    !memchr(l.hostname, '\0', sizeof(l.hostname)))
			abort();
		p = lease_by_ip(t, l.ip);
		if (!p || p->ip != l.ip)
			abort();
		bound += l.state == LEASE_BOUND;
		if (memcmp(l.mac, zero, 6) != 0) {
			p = lease_by_mac(t, l.mac);
			if (p && memcmp(p->mac, l.mac, 6) != 0)
				abort();
		}
	}
	if (bound != atomic_load(&t->bound))
		abort();
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
	struct journal_scan s;

	return journal_scan_image(b, n, NULL, &s) == 0 && !s.torn;
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

static void
replay_image(const uint8_t *img, size_t n)
{
	struct digest d0 = { 0 }, d1 = { 0 }, d2 = { 0 };
	struct journal_params p = {
		.dir = dir,
		.lease_cap = LEASE_CAP,
		.max_pending = 8,
		.on_replay = digest_ev,
		.arg = &d1,
	};
	struct journal j;
	uint8_t *after;
	size_t n_after;
	long r0;
	int rc;

	put(img, n);
	r0 = journal_read_file(jpath, digest_ev, &d0);
	rc = journal_open(&j, &p);
	if (r0 == -EPROTO) {
		if (rc != -EPROTO)
			abort();
		after = get(&n_after);
		if (n_after != n || memcmp(after, img, n) != 0)
			abort(); /* "refusing to touch it" */
		free(after);
		return;
	}
	if (r0 < 0 || rc != 0) {
		fprintf(stderr, "read %ld, open %d\n", r0, rc);
		abort();
	}
	if (d0.n != r0 || !same(&d0, &d1) || atomic_load(&j.st.replayed) != (uint64_t)r0 ||
	    j.last_seq != d0.max_seq || j.durable_seq != j.last_seq)
		abort();
	check_mirror(j.mirror);
	journal_close(&j);

	after = get(&n_after);
	if (n_after < JOURNAL_HDR_LEN || memcmp(after, JOURNAL_MAGIC, 8) != 0)
		abort();
	if (n >= JOURNAL_HDR_LEN) {
		/* a prefix of what was there, cut by exactly truncated_bytes */
		if (n_after > n || memcmp(after, img, n_after) != 0 ||
		    atomic_load(&j.st.truncated_bytes) != n - n_after)
			abort();
	} else if (n_after != JOURNAL_HDR_LEN) {
		abort();
	}
	if (!no_torn_tail(after, n_after))
		abort(); /* the cut left part of a frame behind */
	drop_damaged_copies();
	free(after);
	if (journal_read_file(jpath, digest_ev, &d2) != r0 || !same(&d0, &d2))
		abort(); /* the cut lost or invented an event */
}

/* Rewrites each whole frame's CRC; true if anything changed. */
static bool
fix_crcs(uint8_t *b, size_t n)
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *fixed;

	if (size > JOURNAL_MAX_PAYLOAD * 32)
		return 0; /* get() reads back at most 64 payloads' worth */
	if (!dir[0])
		setup();
	replay_image(data, size);
	fixed = malloc(size ? size : 1);
	if (!fixed)
		return 0;
	memcpy(fixed, data, size);
	if (fix_crcs(fixed, size))
		replay_image(fixed, size);
	free(fixed);
	return 0;
}
