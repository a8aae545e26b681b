/* SPDX-License-Identifier: BSD-3-Clause */
#include "control/daemon/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "control/log.h"
#include "util/bs_time.h"

#define DRAIN_BURST	64u

static const struct journal_io libc_io = { .pwrite = pwrite, .fdatasync = fdatasync };

struct replay_ctx {
	struct journal *j;
	const struct journal_params *p;
	unsigned damage_logged;
};

static void
mirror_apply(struct journal *j, const struct lease_event *ev)
{
	if (lease_apply_event(j->mirror, ev) == -ENOSPC && !j->mirror_full_logged++)
		LOG_WARN("journal", "lease mirror full (%u slots): compaction will miss leases",
			 j->mirror->cap);
	if (ev->seq > j->last_seq)
		j->last_seq = ev->seq;
}

static void
replay_one(const struct lease_event *ev, void *arg)
{
	struct replay_ctx *c = arg;

	mirror_apply(c->j, ev);
	if (c->p->on_replay)
		c->p->on_replay(ev, c->p->arg);
}

static int
fsync_dir(struct journal *j)
{
	return fsync(j->dir_fd) < 0 ? -errno : 0;
}

static void
replay_damage(uint64_t off, uint64_t len, const char *why, void *arg)
{
	struct replay_ctx *c = arg;

	if (c->damage_logged++ < 16)
		LOG_ERR("journal", "%s: %s at offset %llu: %llu damaged bytes skipped, resynchronised on the next valid record at %llu",
			c->j->path, why, (unsigned long long)off, (unsigned long long)len,
			(unsigned long long)(off + len));
}

/* Copies the whole file to <path>.damaged-<unix seconds>[.N] and syncs it,
 * before replay cuts more than one record: what is cut may be all that is
 * left of leases someone needs.  0 or -errno. */
static int
keep_damaged_copy(struct journal *j, const uint8_t *img, size_t size)
{
	char cp[4300];
	int fd = -1, rc = 0;
	uint64_t ts = bs_real_s();

	for (unsigned n = 0; fd < 0 && n < 100; n++) {
		if (n)
			snprintf(cp, sizeof(cp), "%s.damaged-%llu.%u", j->path, (unsigned long long)ts, n);
		else
			snprintf(cp, sizeof(cp), "%s.damaged-%llu", j->path, (unsigned long long)ts);
		fd = open(cp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0)
		rc = -errno;
	for (size_t done = 0; rc == 0 && done < size;) {
		ssize_t w = write(fd, img + done, size - done);
		if (w <= 0)
			rc = w < 0 ? -errno : -EIO;
		else
			done += (size_t)w;
	}
	if (rc == 0 && (fsync(fd) < 0 || fsync_dir(j) < 0))
		rc = -errno;
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		LOG_ERR("journal", "%s: cannot keep a copy of the damaged journal: %s", j->path,
			strerror(-rc));
	else
		LOG_ERR("journal", "%s: damaged journal copied to %s (%zu bytes)", j->path, cp, size);
	return rc;
}

/* Cuts the torn tail after s->good_end (a copy first when it is longer than
 * one record).  0 or -errno. */
static int
cut_tail(struct journal *j, const uint8_t *img, size_t size, const struct journal_scan *s)
{
	uint64_t cut = size - s->good_end;

	if (cut > JOURNAL_REC_LEN) {
		LOG_ERR("journal", "%s: %s at offset %llu: no valid record in the last %llu bytes (%llu records' worth)",
			j->path, s->why, (unsigned long long)s->good_end, (unsigned long long)cut,
			(unsigned long long)(cut / JOURNAL_REC_LEN));
		int rc = keep_damaged_copy(j, img, size);
		if (rc < 0)
			return rc; /* cut nothing we could not keep */
	}
	LOG_WARN("journal", "%s: %s at offset %llu: truncating %llu bytes", j->path, s->why,
		 (unsigned long long)s->good_end, (unsigned long long)cut);
	if (ftruncate(j->fd, (off_t)s->good_end) < 0 || fdatasync(j->fd) < 0)
		return -errno;
	atomic_store(&j->st.truncated_bytes, cut);
	return 0;
}

/* Replays the open file, cuts a torn tail, writes a header to an empty file. */
static int
replay(struct journal *j, const struct journal_params *p)
{
	struct replay_ctx ctx = { j, p, 0 };
	const struct journal_scan_cb cb = { .on_event = replay_one, .on_damage = replay_damage,
					    .arg = &ctx };
	const uint8_t *img = NULL;
	struct journal_scan s = { 0 }; /* zeroed for gcc -O3, as in journal_read_file */
	size_t size = 0;
	int rc;

	rc = journal_map_file(j->fd, &img, &size);
	if (rc < 0)
		return rc;
	rc = journal_scan_image(img, size, &cb, &s);
	if (rc == 0 && s.torn)
		rc = cut_tail(j, img, size, &s);
	if (img)
		munmap((void *)img, size);
	if (rc == -EPROTO) {
		LOG_ERR("journal", "%s: not a bootstorm journal (bad magic/version); refusing to touch it",
			j->path);
		return rc;
	}
	if (rc < 0)
		return rc;
	if (s.torn) {
		size = s.good_end;
	} else if (size >= JOURNAL_HDR_LEN && fdatasync(j->fd) < 0) {
		/* What a killed predecessor wrote but never synced is in the
		 * page cache and replayed as if durable: sync it before
		 * durable_seq claims it, or the ACKs the dataplane still holds
		 * for it would leave on the strength of a cache. */
		return -errno;
	}
	if (s.corrupt) {
		LOG_ERR("journal", "%s: %llu damaged regions (%llu bytes) skipped, %ld valid records kept",
			j->path, (unsigned long long)s.corrupt, (unsigned long long)s.damaged_bytes,
			s.records);
		atomic_store(&j->st.corrupt_skipped, s.corrupt);
		atomic_store(&j->st.damaged_bytes, s.damaged_bytes);
	}
	if (size < JOURNAL_HDR_LEN) {
		uint8_t hdr[JOURNAL_HDR_LEN];

		journal_encode_header(hdr);
		if (pwrite(j->fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
		    fdatasync(j->fd) < 0)
			return errno ? -errno : -EIO;
		rc = fsync_dir(j);
		if (rc < 0)
			return rc;
		size = JOURNAL_HDR_LEN;
	}
	j->synced_off = size;
	j->durable_seq = j->last_seq;
	atomic_store(&j->st.replayed, (uint64_t)s.records);
	atomic_store(&j->st.file_bytes, size);
	atomic_store(&j->st.durable_seq, j->durable_seq);
	LOG_INFO("journal", "%s: replayed %ld records, last seq %llu", j->path, s.records,
		 (unsigned long long)j->last_seq);
	return 0;
}

int
journal_open(struct journal *j, const struct journal_params *p)
{
	int rc;

	memset(j, 0, sizeof(*j));
	j->fd = j->dir_fd = j->cfd = -1;
	j->io = p->io ? p->io : &libc_io;
	j->max_pending = p->max_pending ? p->max_pending : 65536;
	j->compact_bytes = p->compact_bytes ? p->compact_bytes : (64ull << 20);
	j->next_compact = j->compact_bytes;
	if ((size_t)snprintf(j->path, sizeof(j->path), "%s/%s", p->dir, JOURNAL_FILE) >=
	    sizeof(j->path))
		return -ENAMETOOLONG;
	snprintf(j->tmp_path, sizeof(j->tmp_path), "%s.tmp", j->path);
	if (mkdir(p->dir, 0755) < 0 && errno != EEXIST) {
		rc = -errno;
		LOG_ERR("journal", "mkdir %s: %s", p->dir, strerror(-rc));
		return rc;
	}
	j->buf_cap = j->max_pending * JOURNAL_REC_LEN;
	j->buf = malloc(j->buf_cap);
	j->mirror_size = lease_table_size(p->lease_cap);
	j->mirror = calloc(1, j->mirror_size);
	if (!j->buf || !j->mirror) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = lease_table_init(j->mirror, p->lease_cap);
	if (rc < 0)
		goto fail;
	j->dir_fd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	j->fd = open(j->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (j->dir_fd < 0 || j->fd < 0) {
		rc = -errno;
		LOG_ERR("journal", "open %s: %s", j->path, strerror(-rc));
		goto fail;
	}
	/* A temp file left by a compaction that a crash interrupted is not
	 * the journal (the rename never happened): drop it. */
	unlink(j->tmp_path);
	rc = replay(j, p);
	if (rc < 0)
		goto fail;
	atomic_store(&j->st.ok, 1);
	return 0;
fail:
	if (rc != -EPROTO)
		LOG_ERR("journal", "cannot open journal in %s: %s", p->dir, strerror(-rc));
	journal_close(j);
	return rc;
}

static void
compact_join(struct journal *j)
{
	if (j->cthr_live) {
		pthread_join(j->cthr, NULL);
		j->cthr_live = false;
	}
	free(j->csnap);
	j->csnap = NULL;
	if (j->cfd >= 0) {
		close(j->cfd);
		j->cfd = -1;
		unlink(j->tmp_path);
	}
	atomic_store(&j->cstate, COMPACT_IDLE);
}

void
journal_close(struct journal *j)
{
	if (j->fd >= 0 && j->buf_len)
		journal_commit(j);
	compact_join(j);
	if (j->fd >= 0)
		close(j->fd);
	if (j->dir_fd >= 0)
		close(j->dir_fd);
	free(j->buf);
	free(j->mirror);
	j->fd = j->dir_fd = -1;
	j->buf = NULL;
	j->mirror = NULL;
}

int
journal_append(struct journal *j, const struct lease_event *ev)
{
	if (j->n_pending >= j->max_pending)
		return -ENOBUFS;
	journal_encode_record(ev, j->buf + j->buf_len);
	j->buf_len += JOURNAL_REC_LEN;
	j->n_pending++;
	if (ev->seq > j->buf_max_seq)
		j->buf_max_seq = ev->seq;
	mirror_apply(j, ev);
	atomic_fetch_add_explicit(&j->st.records, 1, memory_order_relaxed);
	atomic_store_explicit(&j->st.pending, j->n_pending, memory_order_relaxed);
	return 0;
}

/* A failed write or sync: the bytes after synced_off are in an unknown
 * state (partly written, or dropped from the page cache by a failed
 * writeback), so cut them and write them again from memory next time. */
static int
io_failed(struct journal *j, const char *what, int err)
{
	if (atomic_exchange(&j->st.ok, 0))
		LOG_ERR("journal", "%s %s: %s; keeping %zu records in memory and retrying", what,
			j->path, strerror(err), j->n_pending);
	atomic_fetch_add_explicit(&j->st.write_errors, 1, memory_order_relaxed);
	if (ftruncate(j->fd, (off_t)j->synced_off) < 0)
		LOG_DEBUG("journal", "ftruncate: %s", strerror(errno));
	j->written = 0;
	return -err;
}

int
journal_commit(struct journal *j)
{
	uint64_t t0, dt, max;

	if (j->buf_len == 0)
		return 0;
	while (j->written < j->buf_len) {
		ssize_t n = j->io->pwrite(j->fd, j->buf + j->written, j->buf_len - j->written,
					  (off_t)(j->synced_off + j->written));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return io_failed(j, "write", n < 0 ? errno : ENOSPC);
		j->written += (size_t)n;
	}
	t0 = bs_mono_ns();
	if (j->io->fdatasync(j->fd) < 0)
		return io_failed(j, "fdatasync", errno);
	dt = bs_mono_ns() - t0;
	/* Only now are the records on disk: advance durable_seq. */
	j->synced_off += j->buf_len;
	if (j->buf_max_seq > j->durable_seq)
		j->durable_seq = j->buf_max_seq;
	j->buf_len = j->written = j->n_pending = 0;
	atomic_fetch_add_explicit(&j->st.fsyncs, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&j->st.fsync_ns_sum, dt, memory_order_relaxed);
	max = atomic_load_explicit(&j->st.fsync_ns_max, memory_order_relaxed);
	if (dt > max)
		atomic_store_explicit(&j->st.fsync_ns_max, dt, memory_order_relaxed);
	atomic_store_explicit(&j->st.durable_seq, j->durable_seq, memory_order_relaxed);
	atomic_store_explicit(&j->st.file_bytes, j->synced_off, memory_order_relaxed);
	atomic_store_explicit(&j->st.pending, 0, memory_order_relaxed);
	if (!atomic_exchange(&j->st.ok, 1))
		LOG_INFO("journal", "%s writable again; durable seq %llu", j->path,
			 (unsigned long long)j->durable_seq);
	return 0;
}

size_t
journal_drain_rings(struct journal *j, void *const *rings, unsigned n)
{
	struct lease_event evs[DRAIN_BURST];
	size_t total = 0;

	for (unsigned w = 0; w < n; w++) {
		unsigned got;

		if (!rings[w])
			continue;
		do {
			size_t room = j->max_pending - j->n_pending;
			unsigned want = room < DRAIN_BURST ? (unsigned)room : DRAIN_BURST;

			if (want == 0)
				return total; /* back-pressure: the rings hold the rest */
			got = rte_ring_sc_dequeue_burst_elem(rings[w], evs, sizeof(evs[0]), want, NULL);
			for (unsigned i = 0; i < got; i++)
				journal_append(j, &evs[i]);
			total += got;
		} while (got == DRAIN_BURST);
	}
	return total;
}

static bool
live_event(const struct lease *l, struct lease_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	switch (l->state) {
	case LEASE_BOUND:
		ev->kind = LEASE_EV_GRANT;
		break;
	case LEASE_DECLINED:
		ev->kind = LEASE_EV_DECLINE;
		break;
	default:
		return false; /* free/offered/released/expired: nothing to keep */
	}
	ev->seq = l->journal_seq;
	ev->expires_ms = l->expires_ms;
	ev->ts_ms = l->updated_ms;
	ev->ip = l->ip;
	memcpy(ev->mac, l->mac, 6);
	ev->client_id_len = l->client_id_len <= 32 ? l->client_id_len : 32;
	memcpy(ev->client_id, l->client_id, sizeof(ev->client_id));
	memcpy(ev->hostname, l->hostname, sizeof(ev->hostname));
	ev->hostname[sizeof(ev->hostname) - 1] = '\0';
	return true;
}

static int
write_all(struct journal *j, int fd, const void *p, size_t n, uint64_t off)
{
	while (n) {
		ssize_t w = j->io->pwrite(fd, p, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -ENOSPC;
		p = (const uint8_t *)p + w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* Compaction thread: live leases of the mirror copy -> temp file, fsynced. */
static void *
compact_main(void *arg)
{
	struct journal *j = arg;
	uint8_t chunk[256 * JOURNAL_REC_LEN];
	size_t fill = JOURNAL_HDR_LEN;
	uint64_t off = 0;
	int rc = 0;

	journal_encode_header(chunk);
	for (uint32_t i = 0; i < j->csnap->cap && rc == 0; i++) {
		struct lease_event ev;
		struct lease l;

		if (!lease_read(j->csnap, i, &l) || !live_event(&l, &ev))
			continue;
		journal_encode_record(&ev, chunk + fill);
		fill += JOURNAL_REC_LEN;
		if (fill + JOURNAL_REC_LEN > sizeof(chunk)) {
			rc = write_all(j, j->cfd, chunk, fill, off);
			off += fill;
			fill = 0;
		}
	}
	if (rc == 0 && fill)
		rc = write_all(j, j->cfd, chunk, fill, off), off += fill;
	if (rc == 0 && j->io->fdatasync(j->cfd) < 0)
		rc = -errno;
	j->cfd_len = off;
	if (rc < 0)
		LOG_ERR("journal", "compaction: writing %s: %s", j->tmp_path, strerror(-rc));
	/* release: the switch reads cfd_len after seeing WRITTEN */
	atomic_store_explicit(&j->cstate, rc < 0 ? COMPACT_FAILED : COMPACT_WRITTEN,
			      memory_order_release);
	return NULL;
}

static void
compact_start(struct journal *j)
{
	j->csnap = malloc(j->mirror_size);
	if (!j->csnap)
		return;
	memcpy(j->csnap, j->mirror, j->mirror_size);
	j->csnap_off = j->synced_off;
	j->cfd = open(j->tmp_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (j->cfd < 0) {
		LOG_ERR("journal", "compaction: open %s: %s", j->tmp_path, strerror(errno));
		free(j->csnap);
		j->csnap = NULL;
		return;
	}
	atomic_store(&j->cstate, COMPACT_RUNNING);
	if (pthread_create(&j->cthr, NULL, compact_main, j) != 0) {
		compact_join(j);
		return;
	}
	j->cthr_live = true;
	LOG_INFO("journal", "compaction started at %llu bytes", (unsigned long long)j->synced_off);
}

/* Appends the records synced since the snapshot to the temp file, then
 * makes it the journal.  Called with nothing pending (buf_len == 0). */
static int
compact_switch(struct journal *j)
{
	uint8_t chunk[65536];
	uint64_t off = j->csnap_off, dst = j->cfd_len;
	int rc;

	while (off < j->synced_off) {
		size_t want = j->synced_off - off < sizeof(chunk) ? (size_t)(j->synced_off - off) : sizeof(chunk);
		ssize_t n = pread(j->fd, chunk, want, (off_t)off);

		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		rc = write_all(j, j->cfd, chunk, (size_t)n, dst);
		if (rc < 0)
			return rc;
		off += (uint64_t)n;
		dst += (uint64_t)n;
	}
	if (j->io->fdatasync(j->cfd) < 0)
		return -errno;
	if (rename(j->tmp_path, j->path) < 0)
		return -errno;
	/* From here the new file is the journal whatever happens next; the
	 * directory fsync makes the rename itself durable. */
	rc = fsync_dir(j);
	if (rc < 0)
		LOG_ERR("journal", "fsync of the state directory: %s", strerror(-rc));
	close(j->fd);
	j->fd = j->cfd;
	j->cfd = -1;
	LOG_INFO("journal", "compacted %llu -> %llu bytes", (unsigned long long)j->synced_off,
		 (unsigned long long)dst);
	j->synced_off = dst;
	/* A live set larger than the threshold must not compact in a loop. */
	j->next_compact = dst * 2 > j->compact_bytes ? dst * 2 : j->compact_bytes;
	atomic_fetch_add(&j->st.compactions, 1);
	atomic_store(&j->st.file_bytes, dst);
	return 0;
}

void
journal_maybe_compact(struct journal *j)
{
	int st = atomic_load_explicit(&j->cstate, memory_order_acquire);

	if (j->buf_len != 0)
		return; /* only switch/start on a fully synced file */
	if (st == COMPACT_IDLE && j->synced_off >= j->next_compact) {
		compact_start(j);
	} else if (st == COMPACT_WRITTEN) {
		int rc;

		pthread_join(j->cthr, NULL);
		j->cthr_live = false;
		rc = compact_switch(j);
		if (rc < 0) {
			LOG_ERR("journal", "compaction abandoned: %s", strerror(-rc));
			j->next_compact = j->synced_off * 2;
		}
		compact_join(j);
	} else if (st == COMPACT_FAILED) {
		j->next_compact = j->synced_off * 2;
		compact_join(j);
	}
}

int
journal_reconcile(struct journal *j, const struct lease_table *t)
{
	unsigned added = 0;

	for (uint32_t i = 0; i < t->cap; i++) {
		struct lease_event ev;
		struct lease l;

		if (!lease_read(t, i, &l) || l.journal_seq <= j->durable_seq)
			continue;
		if (!live_event(&l, &ev)) {
			/* released/expired after a grant we never saw: journal the end */
			memset(&ev, 0, sizeof(ev));
			ev.seq = l.journal_seq;
			ev.ip = l.ip;
			memcpy(ev.mac, l.mac, 6);
			ev.ts_ms = l.updated_ms;
			ev.expires_ms = l.expires_ms;
			if (l.state == LEASE_RELEASED)
				ev.kind = LEASE_EV_RELEASE;
			else if (l.state == LEASE_EXPIRED)
				ev.kind = LEASE_EV_EXPIRE;
			else
				continue;
		}
		if (journal_append(j, &ev) < 0 && journal_commit(j) == 0)
			journal_append(j, &ev);
		added++;
	}
	if (added)
		LOG_WARN("journal", "re-journalled %u lease changes the dataplane made while control was down",
			 added);
	return journal_commit(j);
}
