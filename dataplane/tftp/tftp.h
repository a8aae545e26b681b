/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The TFTP server engine: plain C over byte buffers (no DPDK types).
 * RFC 1350 RRQ, RFC 2347 OACK, 2348 blksize, 2349 timeout/tsize, 7440
 * windowsize.  One engine per worker; it owns its transfers, their timers and
 * its file cache.  Nothing here allocates after tftp_engine_new().
 *
 * Ownership of a transfer: the server TID (UDP source port of our DATA) of a
 * transfer created by worker w is
 *     port_lo + k * n_workers + w        (k >= 0, <= port_hi)
 * with k a keyed hash (SipHash-2-4, key drawn per engine at start) of the
 * client's (ip, port): unpredictable to a spoofer (tftp_tid.c)
 * so the dataplane sends a packet for port P to worker (P - port_lo) %
 * n_workers (tftp_port_owner()).  RRQs to port 69 are served by whichever
 * worker receives them.
 *
 * Zero copy: a DATA packet is emitted as a 4-byte header plus a pointer into
 * the file's read-only mapping (struct tftp_out.payload).  The engine never
 * copies file bytes; netascii transfers are served from a converted copy
 * made once per file version by the cache, also shared.
 */
#ifndef BS_TFTP_H
#define BS_TFTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shm/counters.h"
#include "shm/shm.h"
#include "shm/snap.h"

#define TFTP_PORT	     69
#define TFTP_DEFAULT_BLKSIZE 512
#define TFTP_MAX_HDR	     516 /* largest non-DATA packet we build (OACK/ERROR) */

struct tftp_file;	/* a mapped file version, refcounted */

/* One packet for the glue to send.  hdr points into the engine and is valid
 * only during the send() call (copy it into the header mbuf); payload stays
 * valid while the file version is referenced (see on_release).
 * payload_sum is what rte_raw_cksum(payload, payload_len) would return
 * (native-endian 16-bit words, odd trailing byte zero padded, folded):
 * add it to the header/pseudo-header sum instead of reading the payload. */
struct tftp_out {
	uint32_t dst_ip;		/* host order */
	uint16_t src_port, dst_port;
	uint8_t dst_mac[6];
	const uint8_t *hdr;		/* TFTP header: DATA opcode+block, or a whole OACK/ERROR */
	uint16_t hdr_len;
	const uint8_t *payload;		/* into file pages; NULL when none */
	uint32_t payload_len;
	struct tftp_file *file;		/* owner of payload's pages */
	void *file_user;		/* what env->on_map returned for it */
	int32_t payload_sum;		/* folded 16-bit one's complement sum of
					   payload (RFC 1071), -1 = not known */
};

/* A run of consecutive DATA blocks of one transfer, for the glue's burst
 * path (env->send_data).  Block k (0 <= k < n) has the wire number
 * (uint16_t)(first + k), its payload at payload + k * blksize, blksize
 * bytes long except block n - 1, which is last_len long (shorter, even 0,
 * when it ends the file).  The low 16 bits of sums[k] are the folded
 * memory-order sum of block k's payload, as tftp_out.payload_sum (always
 * known here).  Everything but payload is valid only during the call. */
struct tftp_data_run {
	uint32_t dst_ip;		/* host order */
	uint16_t src_port, dst_port;
	uint8_t dst_mac[6];
	uint16_t first;
	uint16_t n;
	uint16_t blksize;
	uint16_t last_len;
	const uint8_t *payload;
	const uint32_t *sums;
	struct tftp_file *file;
	void *file_user;
};

#define TFTP_RUN_MAX 16 /* blocks per send_data call, at most */

/* Block k of a run as the single packet send() would be given (the glue's
 * copy path, tests); hdr (4 bytes) receives the DATA header. */
static inline void
tftp_run_out(const struct tftp_data_run *r, unsigned k, uint8_t hdr[4], struct tftp_out *o)
{
	uint16_t blk = (uint16_t)(r->first + k);
	uint32_t len = k + 1u == r->n ? r->last_len : r->blksize;
	hdr[0] = 0;
	hdr[1] = 3;
	hdr[2] = (uint8_t)(blk >> 8);
	hdr[3] = (uint8_t)blk;
	*o = (struct tftp_out){
		.dst_ip = r->dst_ip,
		.src_port = r->src_port,
		.dst_port = r->dst_port,
		.hdr = hdr,
		.hdr_len = 4,
		.payload = len ? r->payload + (size_t)k * r->blksize : NULL,
		.payload_len = len,
		.file = r->file,
		.file_user = r->file_user,
		.payload_sum = (uint16_t)r->sums[k],
	};
	for (int i = 0; i < 6; i++)
		o->dst_mac[i] = r->dst_mac[i];
}

struct tftp_env {
	_Atomic uint64_t *ctr;		/* this worker's counters */
	unsigned worker, n_workers;
	/* Sends (or queues for TX) one packet.  0 = taken; -ENOBUFS = no room
	 * now: the engine keeps the block pending and retries in tftp_poll(). */
	int (*send)(void *ctx, const struct tftp_out *o);
	/* Optional: queues the first blocks of a run of DATA and returns how
	 * many it took, in order (r->n = all; fewer = no room for the rest,
	 * which stay pending as after -ENOBUFS).  A block the glue cannot
	 * build is counted by the glue and reported taken (the timer resends
	 * it).  NULL: every DATA goes through send(). */
	unsigned (*send_data)(void *ctx, const struct tftp_data_run *r);
	void (*emit_boot)(void *ctx, const struct boot_event *ev);
	/* Optional mapping hooks (NULL in tests).  on_map is called once per
	 * mapped file version (e.g. to rte_extmem_register it and set up an
	 * rte_mbuf_ext_shared_info); its return value travels in
	 * tftp_out.file_user.  on_release is called when the engine drops its
	 * last reference: the glue then calls tftp_file_unmap() once no mbuf
	 * points into the file any more.  Without on_release the engine unmaps
	 * at once. */
	void *(*on_map)(void *ctx, struct tftp_file *f, const void *addr, size_t len);
	void (*on_release)(void *ctx, struct tftp_file *f, void *user);
	void *ctx;
	/* Optional (multiqueue RSS): true when the port's RSS puts the
	 * client's packets from (cip, cport) to our server port sport on this
	 * worker's RX queue.  The TID pick then prefers such ports among this
	 * worker's, so the client's ACKs arrive here and need no hand-over
	 * between workers.  NULL (one queue, no RSS): no preference. */
	bool (*tid_local)(void *ctx, uint32_t cip, uint16_t cport, uint16_t sport);
};

/* Process-wide DMA hooks for the file pages a NIC reads (zero-copy DATA).
 * Installed once by the glue before any engine maps a file (dataplane/dma.c
 * when the port is a real device); none = virtual ports and tests, where
 * behaviour is as without them.  map() runs for each file version before
 * env.on_map: TFTP_DMA_OK = every started device may read [addr, addr+len);
 * anything else = serve this version by copy (env.on_map is not called, so
 * file_user stays NULL; counted TFTP_DMA_FALLBACK).  *cookie goes to
 * unmap(), called when the version's pages are finally unmapped (after the
 * glue's last mbuf, in tftp_file_unmap), before munmap.
 * private_map: VFIO pins DMA pages with write access, which a PROT_READ
 * mapping refuses; versions are then mapped MAP_PRIVATE|PROT_WRITE (the
 * file stays O_RDONLY), pinned by map() -- a snapshot of the file at that
 * moment -- and made read-only again before anyone reads them. */
enum tftp_dma_rc {
	TFTP_DMA_OK = 0,
	TFTP_DMA_FAIL_REG,	/* registration refused (e.g. no memseg list left) */
	TFTP_DMA_FAIL_MAP,	/* a device refused the mapping */
	TFTP_DMA_FAIL_IOVA,	/* no usable IOVA (IOVA as PA, unaligned memory) */
	TFTP_DMA_RC_MAX
};

struct tftp_dma_hooks {
	enum tftp_dma_rc (*map)(void *ctx, void *addr, size_t len, void **cookie);
	void (*unmap)(void *ctx, void *addr, size_t len, void *cookie);
	bool private_map;
	void *ctx;
};

/* NULL removes them.  Not thread-safe: call before workers start. */
void tftp_set_dma_hooks(const struct tftp_dma_hooks *h);

struct tftp_rx {
	const uint8_t *p;	/* UDP payload */
	size_t len;
	uint32_t src_ip, dst_ip;	/* host order */
	uint16_t src_port, dst_port;
	uint8_t src_mac[6];
	uint64_t now_ns;	/* monotonic */
};

struct tftp_limits {
	uint32_t max_transfers;	/* capacity of the transfer table */
	uint32_t max_files;	/* file cache entries */
	/* Appended (tftp room); 0 = default for each. */
	uint64_t max_inflight_bytes; /* global cap on sent-but-unacked DATA bytes
					(amplification guard), default 256 MiB */
	uint32_t settle_ms;	/* a file version is served once its mtime is at
				   least this old (written-in-place guard), default 500;
				   UINT32_MAX = 0 ms (tests) */
	uint32_t pace_burst;	/* DATA packets of one transfer per poll round, default 4 */
	uint64_t tid_key[2];	/* key of the server TID hash; {0, 0} = drawn from
				   getrandom(2) at engine start (set it only in
				   tests and fuzzing, for repeatable TIDs) */
};

struct tftp_engine *tftp_engine_new(const struct tftp_env *env, const struct tftp_limits *lim);
void tftp_engine_free(struct tftp_engine *e);

/* One received packet (to port 69 or to one of this worker's TIDs).
 * Returns BS_DROP_NONE or why it was dropped (already counted).  Answers that
 * are ERROR packets go out through send() at once; DATA and OACK go out
 * only from tftp_poll() (fair, paced).  RRQs beyond capacity are dropped
 * (counted), not answered: PXE firmware retries an unanswered RRQ but gives
 * up on an ERROR.  See tftp.c for admission and amplification rules and
 * tftp_cache.c for path resolution and the file-version rules. */
enum bs_drop tftp_handle(struct tftp_engine *e, const struct snap_hdr *snap,
			 const struct tftp_rx *rx);

/* Timers and paced sending: retransmits what timed out and sends pending
 * window blocks, at most `budget` packets, fairly across transfers.  Returns
 * packets sent.  Call every poll iteration. */
unsigned tftp_poll(struct tftp_engine *e, const struct snap_hdr *snap, uint64_t now_ns,
		   unsigned budget);

/* Transfers in progress (for stats). */
unsigned tftp_active(const struct tftp_engine *e);

/* Worker owning server port `port`, or -1 if outside the TID range. */
static inline int
tftp_port_owner(const struct snap_hdr *s, uint16_t port, unsigned n_workers)
{
	if (port < s->tftp_port_lo || port > s->tftp_port_hi || n_workers == 0)
		return -1;
	return (int)((port - s->tftp_port_lo) % n_workers);
}

/* For the glue's free callback: unmaps a file the engine released. */
void tftp_file_unmap(struct tftp_file *f);

/* Bytes of engine state per transfer slot (transfer record, lookup slots,
 * per-client slot, free list, timer links) as allocated by this engine. */
size_t tftp_bytes_per_transfer(const struct tftp_engine *e);

#endif
