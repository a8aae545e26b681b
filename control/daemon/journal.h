/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The lease journal: every lease_event the dataplane emits, appended to
 * <state_dir>/leases.journal, made durable by group commit, replayed on start.
 *
 * File format (little endian):
 *   header  "BSJOURN1" (8 bytes), u32 version = 1, u32 reserved
 *   record  u32 len, u32 crc32(payload), payload[len]
 *   payload u8 type (1 = lease event), then the lease_event fields in a fixed
 *           order (JOURNAL_EV_LEN bytes in all) -- see encode_event().
 * A record is valid when its whole frame is present and its CRC matches.
 * Replay cuts a torn or corrupt *tail* (a crash mid-append leaves exactly
 * that: one partial record); damage followed by valid records (media
 * corruption, a bad length included) is skipped by resynchronising on the
 * next valid frame (journal_scan.c), counted and logged with its offset:
 * keeping the rest beats refusing to start, and beats cutting it.  Before
 * cutting more than one record's worth of tail, replay keeps a copy of the
 * whole file as <journal>.damaged-<unix seconds>.
 *
 * Durability (the contract the dataplane relies on): durable_seq only ever
 * names events whose records were written AND covered by a successful
 * fdatasync.  Records not yet synced stay in memory (bounded by
 * max_pending); when a write or sync fails (ENOSPC, EIO) the file is cut
 * back to the last synced offset, ok turns false, and the same records are
 * written again on the next attempt.
 *
 * Compaction: when the file grows past compact_bytes, a background thread
 * writes a snapshot of the live leases (from a copy of the in-memory mirror
 * table) to leases.journal.tmp and fsyncs it; the journal thread then copies
 * the records appended since the copy onto it, fsyncs, renames it over the
 * journal and fsyncs the directory.  At every instant either the old or the
 * new file is complete.
 *
 * Threading: one thread (the journal thread) calls everything except
 * journal_stats(), which any thread may call.
 */
#ifndef BS_CONTROL_JOURNAL_H
#define BS_CONTROL_JOURNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shm/leases.h"
#include "shm/shm.h"

#define JOURNAL_FILE	   "leases.journal"
#define JOURNAL_MAGIC	   "BSJOURN1"
#define JOURNAL_HDR_LEN	   16u
#define JOURNAL_FRAME_LEN  8u	/* len + crc */
#define JOURNAL_EV_LEN	   101u /* type + encoded lease_event */
#define JOURNAL_REC_LEN	   (JOURNAL_FRAME_LEN + JOURNAL_EV_LEN)
#define JOURNAL_MAX_PAYLOAD 4096u

/* I/O the journal does on its file, replaceable by tests (fault injection:
 * ENOSPC, failing fsync). */
struct journal_io {
	ssize_t (*pwrite)(int fd, const void *buf, size_t n, off_t off);
	int (*fdatasync)(int fd);
};

struct journal_params {
	const char *dir;	/* state directory (created if missing) */
	uint32_t lease_cap;	/* mirror table capacity (dhcp.max_leases) */
	size_t max_pending;	/* records kept in memory while unsynced; 0 = 65536 */
	uint64_t compact_bytes;	/* compaction threshold; 0 = 64 MiB */
	const struct journal_io *io; /* NULL = libc */
	/* Called for every replayed event (control rebuilds the shared lease
	 * table through it when the region is new); may be NULL. */
	void (*on_replay)(const struct lease_event *ev, void *arg);
	void *arg;
};

struct journal_stats {
	_Atomic uint64_t records;	/* appended since start */
	_Atomic uint64_t replayed;	/* read back at start */
	_Atomic uint64_t fsyncs;
	_Atomic uint64_t fsync_ns_sum;
	_Atomic uint64_t fsync_ns_max;
	_Atomic uint64_t write_errors;
	_Atomic uint64_t compactions;
	_Atomic uint64_t truncated_bytes; /* torn/corrupt tail cut at replay */
	_Atomic uint64_t corrupt_skipped; /* damaged regions skipped in the middle */
	_Atomic uint64_t damaged_bytes;	/* bytes in those regions */
	_Atomic uint64_t durable_seq;
	_Atomic uint64_t file_bytes;
	_Atomic uint64_t pending;	/* records not yet durable */
	_Atomic uint32_t ok;
};

enum compact_state {
	COMPACT_IDLE = 0,
	COMPACT_RUNNING,	/* thread writing the snapshot */
	COMPACT_WRITTEN,	/* snapshot fsynced, waiting for the switch */
	COMPACT_FAILED,
	COMPACT_STATE_MAX
};

struct journal {
	char path[4096], tmp_path[4200];
	int fd, dir_fd;
	const struct journal_io *io;
	uint64_t synced_off;	/* bytes of the file known durable */
	/* Records after synced_off: encoded, in order.  written = how many of
	 * them are already in the file (not yet synced). */
	uint8_t *buf;
	size_t buf_len, buf_cap, written, max_pending, n_pending;
	uint64_t buf_max_seq;	/* highest seq in buf */
	uint64_t durable_seq;	/* highest seq synced */
	uint64_t last_seq;	/* highest seq seen (replayed or appended) */
	uint32_t mirror_full_logged;
	struct lease_table *mirror; /* leases as the journal says: compaction source */
	size_t mirror_size;
	uint64_t compact_bytes, next_compact;
	/* compaction */
	pthread_t cthr;
	bool cthr_live;
	_Atomic int cstate;	/* enum compact_state */
	struct lease_table *csnap; /* copy of mirror handed to the thread */
	uint64_t csnap_off;	/* file offset the copy reflects */
	int cfd;		/* the temp file */
	uint64_t cfd_len;	/* bytes written to it */
	struct journal_stats st;
};

/* Opens (creating if needed) the journal in p->dir, replays it into the
 * mirror table and p->on_replay, cutting a torn/corrupt tail.  Returns 0 or
 * -errno (message logged). */
int journal_open(struct journal *j, const struct journal_params *p);
/* Final sync (best effort) and close; waits for a running compaction. */
void journal_close(struct journal *j);

/* Queues one event.  -ENOBUFS when max_pending records are already waiting
 * (the caller stops draining the rings: back-pressure, nothing dropped). */
int journal_append(struct journal *j, const struct lease_event *ev);
/* Writes what is queued and fdatasyncs it.  Returns 0 (durable_seq covers
 * every queued record) or -errno (nothing newly durable; retried next call). */
int journal_commit(struct journal *j);
/* Starts or finishes a compaction when due; call after journal_commit(). */
void journal_maybe_compact(struct journal *j);

/* After a restart on a region the dataplane kept: events it emitted that a
 * killed control had dequeued but not written are still visible in the
 * shared table (slot journal_seq > last_seq).  Re-journals them. */
int journal_reconcile(struct journal *j, const struct lease_table *t);

/* Drains the lease rings (struct rte_ring * of struct lease_event, one per
 * worker, single consumer = us) into the journal.  Returns events drained
 * (0 = rings empty, or back-pressure while max_pending records wait). */
size_t journal_drain_rings(struct journal *j, void *const *rings, unsigned n);

/* Replay only (tests, `bootstorm leases --journal`): calls cb per valid
 * record.  Does not modify the file.  Returns records or -errno. */
long journal_read_file(const char *path, void (*cb)(const struct lease_event *, void *),
		       void *arg);

/* A whole frame (length, CRC, encoded event) and the file header, as
 * written to disk (journal_scan.c). */
void journal_encode_record(const struct lease_event *ev, uint8_t rec[JOURNAL_REC_LEN]);
void journal_encode_header(uint8_t hdr[JOURNAL_HDR_LEN]);

/* The record walk (journal_scan.c).  on_event gets each valid lease event
 * in file order, on_damage each damaged region skipped in the middle (its
 * offset, length and the first fault); either may be NULL. */
struct journal_scan_cb {
	void (*on_event)(const struct lease_event *ev, void *arg);
	void (*on_damage)(uint64_t off, uint64_t len, const char *why, void *arg);
	void *arg;
};

struct journal_scan {
	uint64_t good_end;	/* offset after the last valid record */
	long records;
	uint64_t corrupt;	/* damaged regions skipped (valid records after them) */
	uint64_t damaged_bytes;	/* bytes in those regions */
	bool torn;		/* the tail after good_end must be cut */
	const char *why;	/* the tail's first fault */
};

/* Walks a journal image.  Returns 0, or -EPROTO when the header is not
 * ours. */
int journal_scan_image(const uint8_t *img, size_t size, const struct journal_scan_cb *cb,
		       struct journal_scan *s);
/* mmap()s the whole file read-only (*img NULL when empty).  0 or -errno. */
int journal_map_file(int fd, const uint8_t **img, size_t *size);

/* Encoding, exposed for tests. */
void journal_encode_event(const struct lease_event *ev, uint8_t out[JOURNAL_EV_LEN]);
void journal_decode_event(const uint8_t in[JOURNAL_EV_LEN], struct lease_event *ev);

#endif
