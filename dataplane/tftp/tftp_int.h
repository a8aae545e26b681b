/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Internals shared by the TFTP engine's files (not for other rooms):
 *   tftp_pkt.c    parse RRQ/ACK/ERROR, build OACK/ERROR/DATA headers
 *   tftp_cache.c  file cache: safe open under the roots, mmap, versions,
 *                 negative entries, netascii copies, block checksums
 *   tftp_timer.c  intrusive hashed timer wheel
 *   tftp_slot.c   transfer slots: lookup tables, per-client counts,
 *                 alloc/release, the unverified FIFO (eviction order)
 *   tftp_tid.c    server TIDs: keyed hash of the client's (ip, port)
 *   tftp_xfer.c   transfer state machine (ACK, window, retransmission)
 *   tftp.c        engine: dispatch, RRQ admission, poll
 * Call graph (no circles): tftp.c -> tftp_xfer.c -> tftp_slot.c ->
 * tftp_cache.c, tftp_timer.c; tftp.c -> tftp_slot.c, tftp_tid.c, tftp_pkt.c.
 *
 * The engine is EAL-free by design (cmocka and libFuzzer run it without
 * DPDK), so rte_timer and rte_hash are not available here: the timer wheel
 * and the 3-tuple table are small intrusive structures over fixed arrays
 * allocated in tftp_engine_new().
 */
#ifndef BS_TFTP_INT_H
#define BS_TFTP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dataplane/tftp/tftp.h"

#define TFTP_NAME_MAX	    255	  /* longest file name we accept */
#define TFTP_BLKSIZE_MIN    8	  /* RFC 2348 section 2 */
#define TFTP_BLKSIZE_MAX    65464 /* RFC 2348 section 2 */
#define TFTP_TIMEOUT_MIN    1	  /* RFC 2349 section 2, seconds */
#define TFTP_TIMEOUT_MAX    255
#define TFTP_WINDOW_MAX	    65535 /* RFC 7440 section 3 */
#define TFTP_REVALIDATE_NS  1000000000ull /* cache entry re-stat period */
#define TFTP_NEG_TTL_NS	    1000000000ull /* negative entry lifetime */
#define TFTP_PROGRESS_BYTES (1u << 20)	  /* TFTP_PROGRESS event period */
#define TFTP_RTO_MAX_MS	    8000	  /* backoff ceiling */
/* Unverified transfers (no ACK from the client yet: the RRQ may be spoofed)
 * resend every min(timeout, TFTP_UNV_RTO_MAX_MS) without backoff, at most
 * TFTP_UNV_RETRIES times: <= 2 packets and ~2 s per RRQ (was 2 resends: a
 * spoofed RRQ reflected 3 DATA blocks at its victim), then lingers silently
 * (TFTP_UNV_LINGER_MS).  A client that lost both sends its RRQ again and
 * gets a new transfer.  One client address
 * has at most TFTP_UNV_PER_CLIENT of them at a time (more RRQs are dropped as
 * DROP_TFTP_PER_CLIENT, also counted in TFTP_UNV_PER_CLIENT): a flood in a victim's name reflects at most
 * 2 * 2 packets per ~2 s, whatever its rate.  They hold at most
 * 1/TFTP_UNV_SHARE of the table while one of them is evictable. */
#define TFTP_UNV_RTO_MAX_MS 1000
#define TFTP_UNV_RETRIES    1
#define TFTP_UNV_PER_CLIENT 2
/* After its last send an unverified transfer waits this long, silent, for
 * a late ACK before it ends: lock-step clients re-send a lost ACK on their
 * own timer (tftp-hpa 5 s, PXE ROMs 1-4 s).  It sends nothing more (no
 * reflection); a retransmitted RRQ restarts it, and under table pressure
 * it is evictable at once. */
#define TFTP_UNV_LINGER_MS  6000
#define TFTP_UNV_SHARE	    4
/* Age of an unverified transfer's last send before the share (not a full
 * table) may evict it: found by bench_dp, whose 256-client RRQ burst into a
 * 320-slot table lost 176 real transfers to eviction before their ACKs. */
#define TFTP_UNV_MIN_AGE_MS 250

enum tftp_op {
	TFTP_OP_RRQ = 1,
	TFTP_OP_WRQ = 2,
	TFTP_OP_DATA = 3,
	TFTP_OP_ACK = 4,
	TFTP_OP_ERROR = 5,
	TFTP_OP_OACK = 6, /* RFC 2347 */
};

enum tftp_errcode {
	TFTP_E_UNDEF = 0,
	TFTP_E_NOT_FOUND = 1,
	TFTP_E_ACCESS = 2,
	TFTP_E_DISK_FULL = 3,
	TFTP_E_ILLEGAL_OP = 4,
	TFTP_E_UNKNOWN_TID = 5,
	TFTP_E_EXISTS = 6,
	TFTP_E_NO_USER = 7,
	TFTP_E_OPTION = 8, /* RFC 2347 */
};

/* ---- tftp_pkt.c ---- */

/* Options a client asked for (bits) and the values we accept. */
enum {
	TFTP_OPTB_BLKSIZE = 1u << 0,
	TFTP_OPTB_TSIZE = 1u << 1,
	TFTP_OPTB_TIMEOUT = 1u << 2,
	TFTP_OPTB_WINDOW = 1u << 3,
};

struct tftp_req {
	const char *name;	/* into the packet, NUL terminated */
	size_t name_len;
	bool netascii;
	uint8_t opts;		/* TFTP_OPTB_* the client sent with valid values */
	uint32_t blksize, timeout_s, tsize, windowsize; /* raw requested values */
	unsigned n_unknown;	/* unknown options (ignored) */
	unsigned n_ignored;	/* known options with unacceptable values (omitted) */
};

/* Parses the body of an RRQ/WRQ (after the opcode).  Returns 0 or a drop
 * reason; *err is the TFTP error code to answer with (-1 = stay silent). */
int tftp_parse_req(const uint8_t *p, size_t len, struct tftp_req *r, int *err);

/* Builders: write into buf (cap bytes), return length or 0 when it did not
 * fit (a write cursor fails closed). */
size_t tftp_build_error(uint8_t *buf, size_t cap, unsigned code, const char *msg);
/* OACK with the options in `opts` and their values. */
size_t tftp_build_oack(uint8_t *buf, size_t cap, unsigned opts, uint32_t blksize,
		       uint64_t tsize, uint32_t timeout_s, uint32_t windowsize);

static inline void
tftp_put_data_hdr(uint8_t h[4], uint16_t block)
{
	h[0] = 0;
	h[1] = TFTP_OP_DATA;
	h[2] = (uint8_t)(block >> 8);
	h[3] = (uint8_t)block;
}

/* RFC 1071 sum in the convention of rte_raw_cksum(): native-endian 16-bit
 * words, a trailing odd byte zero padded, folded to 16 bits. */
uint16_t tftp_raw_sum(const uint8_t *p, size_t len);

/* ---- tftp_cache.c ---- */

/* One version of a file as served: a read-only mapping of the file (kind
 * MAP) or the netascii conversion of one (kind ASCII, heap memory).
 * Invariants: data/size never change; refs counts the cache entry's
 * reference plus one per transfer; when it drops to 0 the file is released
 * (env->on_release, or unmapped at once). */
struct tftp_sums {
	struct tftp_sums *next;
	uint32_t blksize, n;
	uint32_t v[];	/* 0 = not computed yet, else 0x10000 | sum */
};

enum tftp_file_kind { TFTP_FILE_MAP = 0, TFTP_FILE_ASCII, TFTP_FILE_KIND_MAX };

struct tftp_file {
	uint32_t refs;
	uint8_t kind;
	const uint8_t *data;	/* NULL for a 0-byte file */
	uint64_t size;
	void *user;		/* env->on_map's value */
	void *dma;		/* tftp_dma_hooks.map's cookie */
	bool dma_mapped;	/* unmap() is owed before the memory goes */
	struct tftp_file *ascii; /* netascii copy of this version, lazily */
	struct tftp_sums *sums;	 /* per-blksize block checksums, lazily */
	dev_t dev;
	ino_t ino;
	int64_t mtime_ns;
	char name[48];		/* for boot events, truncated */
};

struct tftp_cache;

struct tftp_cache *tftp_cache_new(const struct tftp_env *env, uint32_t max_files,
				  uint32_t settle_ms);
void tftp_cache_free(struct tftp_cache *c);

/* Finds the current version of `name` (already checked: non-empty, NUL
 * terminated, <= TFTP_NAME_MAX) under gen_root then root, and takes a
 * reference.  Returns 0, or a drop reason with *err the TFTP error code to
 * send (-1 = stay silent).  May do syscalls: RRQ path only. */
int tftp_cache_get(struct tftp_cache *c, const struct snap_hdr *s, const char *name,
		   uint64_t now_ns, struct tftp_file **out, int *err);
/* The netascii copy of f (made once per version).  NULL on failure with
 * *reason the drop reason: out of memory (DROP_TFTP_OPEN_FAIL) or beyond
 * the per-file / per-cache caps (DROP_TFTP_ASCII_CAP). */
struct tftp_file *tftp_cache_ascii(struct tftp_cache *c, struct tftp_file *f, int *reason);
/* Bytes of netascii copies the cache holds (for tests and stats). */
uint64_t tftp_cache_ascii_bytes(const struct tftp_cache *c);
/* The block checksum table of f for blksize (allocated once, filled lazily
 * on first send of each block); NULL when out of memory. */
struct tftp_sums *tftp_cache_sums(struct tftp_cache *c, struct tftp_file *f, uint32_t blksize);
void tftp_file_get(struct tftp_file *f);
void tftp_file_put(struct tftp_cache *c, struct tftp_file *f);
unsigned tftp_cache_entries(const struct tftp_cache *c);

/* ---- tftp_timer.c ---- */

/* Hashed wheel of 2^TW_BITS slots of 2^TW_SHIFT ns (~1 ms): insert/unlink
 * O(1); entries whose deadline lies beyond one turn stay in their slot and
 * are looked at once per turn.  Links are transfer indices. */
#define TW_BITS	 12
#define TW_SLOTS (1u << TW_BITS)
#define TW_SHIFT 20
#define TW_NONE	 UINT32_MAX

struct tftp_wheel {
	uint32_t head[TW_SLOTS];
	uint64_t tick;		/* next tick to process */
	bool started;
};

struct tftp_tw_link {
	uint32_t prev, next;
	uint16_t slot;
	bool linked;
};

void tftp_wheel_init(struct tftp_wheel *w);
void tftp_wheel_add(struct tftp_wheel *w, struct tftp_tw_link *links, uint32_t i,
		    uint64_t deadline_ns);
void tftp_wheel_del(struct tftp_wheel *w, struct tftp_tw_link *links, uint32_t i);
/* Detaches, one by one, the lists of every slot whose tick is <= now and
 * calls fire(ctx, i) for each entry; fire re-adds what is not due yet. */
void tftp_wheel_advance(struct tftp_wheel *w, struct tftp_tw_link *links, uint64_t now_ns,
			void (*fire)(void *ctx, uint32_t i), void *ctx);

/* ---- transfers (tftp_slot.c, tftp_xfer.c, tftp.c) ---- */

enum tftp_xstate {
	TFTP_XS_FREE = 0,
	TFTP_XS_OACK,	/* OACK to (re)send / sent, waiting for ACK 0 */
	TFTP_XS_DATA,	/* sending windows */
	TFTP_XS_ZOMBIE,	/* ended while on the ready queue: freed when popped */
	TFTP_XS_MAX
};

/* One transfer.  Block numbers are absolute (1-based, 32 bits: 2^32 blocks
 * of >= 8 bytes is more than any file we map); the wire carries the low 16
 * bits, so block 65536 goes out as 0 (rollover as tftp-hpa, atftp, iPXE
 * and PXELINUX expect).
 * Invariants (state DATA): 1 <= base <= next <= wend <= nblocks + 1,
 *   wend - base <= wsize, hi >= next - 1 (highest block ever sent);
 *   blocks [base, next) are sent and unacknowledged.  Unverified (no ACK
 *   yet): base == 1, wend <= 2 (one block at a time), on the unverified
 *   FIFO (uv_prev/uv_next) exactly while unverified and not FREE/ZOMBIE. */
struct tftp_xfer {
	uint32_t cip;		/* key: client ip, client port, server port */
	uint16_t cport, sport;
	uint8_t state;		/* enum tftp_xstate */
	uint8_t opts;		/* TFTP_OPTB_* acknowledged in our OACK */
	uint8_t retries_left;
	uint8_t in_ready : 1, in_wait : 1, unverified : 1, sent : 1, linger : 1; /* in_ready: on
				the ready or (in_wait) the cap queue; sent: its
				first packet (OACK or DATA 1) went out; linger:
				unverified, sends spent, waiting silently for a
				late ACK (TFTP_UNV_LINGER_MS) */
	uint16_t blksize;
	uint16_t wsize;
	uint32_t base, next, hi, nblocks;
	uint32_t wend;		/* blocks [base, wend) reserved in the global cap */
	uint32_t rto_ms, rto0_ms;
	uint32_t rq_next;	/* ready queue link */
	uint32_t prog_blk;	/* next block at which a PROGRESS event is due */
	uint8_t mac[6];
	uint8_t retries0;
	uint8_t timeout_s;	/* negotiated value (for the OACK) */
	uint32_t uv_prev, uv_next; /* unverified FIFO links (TW_NONE = end) */
	uint64_t deadline_ns;	/* retransmit / give-up time */
	struct tftp_file *file;	/* reference held: the version */
	struct tftp_file *src;	/* bytes served: file or file->ascii */
	struct tftp_sums *sums;
};

struct tftp_client {
	uint32_t ip;
	uint32_t count;	/* 0 = empty slot */
	uint32_t unv;	/* of which unverified (no ACK yet), <= count */
};

/* One engine (one per worker).  Everything is sized in tftp_engine_new();
 * the ACK/DATA path touches only these arrays. */
struct tftp_engine {
	struct tftp_env env;
	_Atomic uint64_t *ctr;
	_Atomic uint64_t *own_ctr;	/* when env->ctr is NULL */
	struct tftp_cache *cache;
	uint32_t max;			/* transfer slots */
	uint32_t n_active;		/* not FREE, not ZOMBIE */
	struct tftp_xfer *x;		/* [max] */
	struct tftp_tw_link *tw;	/* [max] */
	uint32_t *free_stk, n_free;	/* free slot indices */
	uint32_t *xtab, xmask;		/* 3-tuple -> slot, open addressing */
	struct tftp_client *ctab;	/* client ip -> transfers */
	uint32_t cmask;
	struct tftp_wheel wheel;
	uint32_t rq_head, rq_tail;	/* ready queue (FIFO, TW_NONE = empty) */
	uint64_t inflight, max_inflight; /* reserved window bytes, all transfers */
	uint32_t cw_head, cw_tail, n_wait; /* cap queue: windows waiting for room */
	uint32_t pace;			/* packets per transfer per round */
	uint32_t admit;			/* RRQ tokens while saturated */
	bool saturated;			/* last poll ran out of budget */
	uint32_t n_ready;		/* entries on the ready queue, zombies included */
	uint64_t now_ns;		/* clock of the current handle/poll */
	uint32_t uv_head, uv_tail;	/* unverified transfers, oldest first */
	uint32_t n_unv;			/* transfers on that FIFO */
	uint64_t tid_key[2];		/* SipHash key of the server TIDs */
	uint8_t pkt[TFTP_MAX_HDR];	/* header/OACK/ERROR being sent */
};

static inline void
tftp_ctr(struct tftp_engine *e, enum bs_ctr id)
{
	bs_ctr_inc(e->ctr, id);
}

/* tftp_slot.c: the slot tables.  A slot is taken (tftp_slot_take), filled
 * by the caller, then linked (tftp_slot_link: 3-tuple table, per-client
 * count, unverified FIFO); tftp_xfer_release unlinks it and recycles it now
 * or, when it is on a queue, as a ZOMBIE when the queue pops it
 * (tftp_slot_recycle). */
int tftp_slot_init(struct tftp_engine *e);
void tftp_slot_fini(struct tftp_engine *e);
uint32_t tftp_slot_find(const struct tftp_engine *e, uint32_t ip, uint16_t cport, uint16_t sport);
uint32_t tftp_client_count(struct tftp_engine *e, uint32_t ip);
/* Unverified transfers of client ip (TFTP_UNV_PER_CLIENT). */
uint32_t tftp_client_unv(struct tftp_engine *e, uint32_t ip);
uint32_t tftp_slot_take(struct tftp_engine *e);
void tftp_slot_untake(struct tftp_engine *e, uint32_t i);
void tftp_slot_link(struct tftp_engine *e, uint32_t i);
void tftp_slot_recycle(struct tftp_engine *e, uint32_t i);
void tftp_xfer_release(struct tftp_engine *e, uint32_t i);
/* The client acknowledged something: off the unverified FIFO. */
void tftp_slot_verified(struct tftp_engine *e, uint32_t i);
/* Oldest unverified transfer that has sent its first packet (so had its
 * chance to be acknowledged), TW_NONE when there is none. */
uint32_t tftp_slot_evictable(const struct tftp_engine *e);

/* tftp_tid.c */
/* Candidate ports hashed per RRQ with RSS before giving up on a local
 * one: P(miss) = (1 - 1/n_queues)^32, 2e-10 with 2 queues. */
#define TFTP_TID_RSS_TRIES 32
/* Draws the TID key from getrandom(2) unless `key` is non-zero; -errno. */
int tftp_tid_init(struct tftp_engine *e, const uint64_t key[2]);
/* Server TID for (client ip, client port): SipHash-2-4 under the engine's
 * key, so it is the same for a retransmitted RRQ but cannot be predicted
 * without the key; owned by this worker per tftp.h.  0 = no port. */
uint16_t tftp_tid_pick(struct tftp_engine *e, const struct snap_hdr *s, uint32_t ip,
		       uint16_t cport);

/* tftp_xfer.c */
/* Returns 0 or the drop reason (counted) for a duplicate/stale ACK. */
int tftp_xfer_ack(struct tftp_engine *e, uint32_t i, uint16_t block, uint64_t now_ns);
void tftp_xfer_timer(void *ctx, uint32_t i);
/* Sends up to min(quota, *budget) packets of transfer i; returns false
 * when the TX path refused (-ENOBUFS): stop this poll. */
bool tftp_xfer_service(struct tftp_engine *e, uint32_t i, unsigned quota, unsigned *budget,
		       uint64_t now_ns);
void tftp_xfer_end(struct tftp_engine *e, uint32_t i, enum boot_stage stage);
void tftp_xfer_ready(struct tftp_engine *e, uint32_t i);
void tftp_emit(struct tftp_engine *e, const struct tftp_xfer *x, enum boot_stage stage);

#endif
