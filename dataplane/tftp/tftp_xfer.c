/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The transfer state machine: OACK -> (ACK 0) -> DATA windows -> last ACK.
 *
 * Sending happens only from tftp_poll() through the ready queue; ACKs and
 * timeouts only move the window and queue the transfer.  Rules:
 *   - a duplicate ACK (no progress) is ignored: only the timer resends, so
 *     the Sorcerer's Apprentice syndrome cannot start (RFC 1123 4.2.3.1);
 *   - an ACK inside the window that is not its last block moves the window
 *     to the block after it and sends from there (RFC 7440 section 4);
 *   - an ACK for a block never sent, or before the window, is stale;
 *   - a timeout rewinds to the oldest unacknowledged block, with
 *     exponential backoff of the timeout (capped at TFTP_RTO_MAX_MS) and at
 *     most `retries` times in a row without progress;
 *   - the last block is shorter than blksize, 0 bytes when the size is a
 *     multiple of blksize (RFC 1350 section 6);
 *   - block numbers wrap from 65535 to 0.
 * Nothing here allocates or makes a syscall (checksum tables were
 * allocated at RRQ time; a block's sum is computed the first time any
 * transfer sends it and cached in the file version).
 */
#include <errno.h>
#include <string.h>

#include "util/bs_assert.h"
#include "util/bs_time.h"
#include "dataplane/tftp/tftp_int.h"

/* The invariants of struct tftp_xfer (tftp_int.h) for a transfer in state
 * DATA; checked where the window moves (strict builds only). */
static inline void
check_window(const struct tftp_xfer *x)
{
	BS_ASSERT_HOT(x->state == TFTP_XS_DATA);
	BS_ASSERT_HOT(1 <= x->base && x->base <= x->next);
	BS_ASSERT_HOT(x->next <= x->wend && x->wend <= x->nblocks + 1);
	BS_ASSERT_HOT(x->wend - x->base <= x->wsize);
	BS_ASSERT_HOT(x->hi + 1 >= x->next);
	BS_ASSERT_HOT(!x->unverified || (x->base == 1 && x->wend <= 2));
	(void)x;
}

void
tftp_emit(struct tftp_engine *e, const struct tftp_xfer *x, enum boot_stage stage)
{
	if (!e->env.emit_boot)
		return;
	struct boot_event ev = { 0 };
	ev.ts_ms = bs_real_ms(); /* vDSO, not a syscall */
	uint64_t total = x->src ? x->src->size : 0;
	uint64_t acked = x->state == TFTP_XS_DATA ? (uint64_t)(x->base - 1) * x->blksize : 0;
	ev.bytes = stage == BOOT_STAGE_TFTP_DONE ? total : (acked < total ? acked : total);
	ev.total = total;
	ev.ip = x->cip;
	memcpy(ev.mac, x->mac, 6);
	ev.stage = (uint8_t)stage;
	ev.arch = 0xff;
	if (x->file)
		memcpy(ev.file, x->file->name, sizeof(ev.file));
	ev.file[sizeof(ev.file) - 1] = 0;
	e->env.emit_boot(e->env.ctx, &ev);
}

void
tftp_xfer_ready(struct tftp_engine *e, uint32_t i)
{
	struct tftp_xfer *x = &e->x[i];
	if (x->in_ready)
		return;
	BS_ASSERT_HOT(x->state == TFTP_XS_OACK || x->state == TFTP_XS_DATA);
	x->in_ready = 1;
	x->rq_next = TW_NONE;
	if (e->rq_tail == TW_NONE)
		e->rq_head = i;
	else
		e->x[e->rq_tail].rq_next = i;
	e->rq_tail = i;
	e->n_ready++;
}

/* Moves the window.  The global account holds what every transfer has
 * reserved: (wend - base) blocks each; base only grows, next <= wend. */
static inline void
set_window(struct tftp_engine *e, struct tftp_xfer *x, uint32_t base, uint32_t next)
{
	BS_ASSERT_HOT(base >= x->base && next >= base && next <= x->wend);
	BS_ASSERT_HOT(e->inflight >= (uint64_t)(base - x->base) * x->blksize);
	e->inflight -= (uint64_t)(base - x->base) * x->blksize;
	x->base = base;
	x->next = next;
}

/* Reserves the rest of the window before sending it.  Above the global cap
 * (amplification guard) the transfer waits on the cap queue, whole: a
 * window is never left half sent, which would stall an RFC 7440 client
 * until its timeout.  With nothing reserved anywhere, one always passes. */
static bool
reserve_window(struct tftp_engine *e, uint32_t i, struct tftp_xfer *x)
{
	uint64_t end = (uint64_t)x->base + (x->unverified ? 1 : x->wsize);
	if (end > (uint64_t)x->nblocks + 1)
		end = (uint64_t)x->nblocks + 1;
	if (end <= x->wend)
		return true;
	uint64_t need = (end - x->wend) * x->blksize;
	if (e->inflight && e->inflight + need > e->max_inflight) {
		x->in_ready = 1;
		x->in_wait = 1;
		x->rq_next = TW_NONE;
		if (e->cw_tail == TW_NONE)
			e->cw_head = i;
		else
			e->x[e->cw_tail].rq_next = i;
		e->cw_tail = i;
		e->n_wait++;
		tftp_ctr(e, BS_CTR_TFTP_CAP_WAIT);
		return false;
	}
	e->inflight += need;
	x->wend = (uint32_t)end;
	return true;
}

void
tftp_xfer_end(struct tftp_engine *e, uint32_t i, enum boot_stage stage)
{
	struct tftp_xfer *x = &e->x[i];
	BS_ASSERT_HOT(x->state == TFTP_XS_OACK || x->state == TFTP_XS_DATA);
	tftp_emit(e, x, stage);
	tftp_ctr(e, stage == BOOT_STAGE_TFTP_DONE ? BS_CTR_TFTP_XFER_DONE : BS_CTR_TFTP_XFER_FAILED);
	if (x->state == TFTP_XS_DATA)
		e->inflight -= (uint64_t)(x->wend - x->base) * x->blksize;
	tftp_xfer_release(e, i);
}

static inline uint64_t
rto_ns(const struct tftp_xfer *x)
{
	return (uint64_t)x->rto_ms * 1000000ull;
}

int
tftp_xfer_ack(struct tftp_engine *e, uint32_t i, uint16_t block, uint64_t now_ns)
{
	struct tftp_xfer *x = &e->x[i];
	if (x->state == TFTP_XS_OACK) {
		/* RFC 2347: the client confirms our OACK with ACK 0. */
		if (block != 0) {
			tftp_ctr(e, BS_CTR_DROP_TFTP_ACK_BEFORE_OACK);
			return BS_CTR_DROP_TFTP_ACK_BEFORE_OACK;
		}
		x->state = TFTP_XS_DATA;
		x->base = x->next = x->wend = 1;
		goto progress;
	}
	uint32_t last = x->base - 1;			/* highest block acked */
	uint32_t d = (uint16_t)(block - (uint16_t)last); /* forward distance */
	if (d == 0) {
		tftp_ctr(e, BS_CTR_DROP_TFTP_ACK_DUP);
		return BS_CTR_DROP_TFTP_ACK_DUP;
	}
	if (d > x->next - x->base) {
		tftp_ctr(e, BS_CTR_DROP_TFTP_ACK_STALE);
		return BS_CTR_DROP_TFTP_ACK_STALE;
	}
	uint32_t a = last + d;
	if (a == x->nblocks) {
		set_window(e, x, a + 1, a + 1);
		tftp_xfer_end(e, i, BOOT_STAGE_TFTP_DONE);
		return 0;
	}
	BS_ASSERT_HOT(a < x->next && a <= x->nblocks);
	if (a + 1 < x->next) {
		/* RFC 7440 section 4: the receiver saw a gap and acked the
		 * last block it holds in order: restart after it. */
		tftp_ctr(e, BS_CTR_TFTP_WINDOW_REWIND);
		set_window(e, x, a + 1, a + 1);
	} else {
		set_window(e, x, a + 1, x->next);
	}
	if (a >= x->prog_blk) {
		tftp_emit(e, x, BOOT_STAGE_TFTP_PROGRESS);
		x->prog_blk = a + TFTP_PROGRESS_BYTES / x->blksize;
	}
progress:;
	/* The client answered from the address we sent to: it is real. */
	bool relink = x->rto_ms != x->rto0_ms || x->linger;
	tftp_slot_verified(e, i);
	x->retries_left = x->retries0;
	if (relink) {
		/* after a backoff (or an unverified linger) the wheel entry
		 * sits at the long timeout: re-link it at the short one
		 * (rare: only after losses) */
		x->rto_ms = x->rto0_ms;
		x->deadline_ns = now_ns + rto_ns(x);
		tftp_wheel_del(&e->wheel, e->tw, i);
		tftp_wheel_add(&e->wheel, e->tw, i, x->deadline_ns);
	}
	x->deadline_ns = now_ns + rto_ns(x); /* lazy: the wheel is not touched */
	if (x->state == TFTP_XS_DATA)
		check_window(x);
	tftp_xfer_ready(e, i);
	return 0;
}

void
tftp_xfer_timer(void *ctx, uint32_t i)
{
	struct tftp_engine *e = ctx;
	struct tftp_xfer *x = &e->x[i];
	if (x->state != TFTP_XS_OACK && x->state != TFTP_XS_DATA)
		return;
	if (x->deadline_ns > e->now_ns || x->in_ready) {
		/* Not due (an ACK moved it), or still waiting for its turn to
		 * send: that is our delay, not the client's, so no retry is
		 * spent. */
		if (x->deadline_ns <= e->now_ns)
			x->deadline_ns = e->now_ns + rto_ns(x);
		tftp_wheel_add(&e->wheel, e->tw, i, x->deadline_ns);
		return;
	}
	if (x->retries_left == 0 && x->unverified && !x->linger) {
		/* Unverified, sends spent: silent, but a late ACK still
		 * verifies it (a lock-step client re-sends its ACK on its own
		 * timer: tftp-hpa 5 s) and a retransmitted RRQ restarts it
		 * (is_dup). */
		x->linger = 1;
		x->deadline_ns = e->now_ns + TFTP_UNV_LINGER_MS * 1000000ull;
		tftp_wheel_add(&e->wheel, e->tw, i, x->deadline_ns);
		return;
	}
	if (x->retries_left == 0) {
		tftp_ctr(e, BS_CTR_TFTP_XFER_TIMEOUT);
		tftp_xfer_end(e, i, BOOT_STAGE_TFTP_FAILED);
		return;
	}
	x->retries_left--;
	tftp_ctr(e, BS_CTR_TFTP_TIMEOUTS);
	if (!x->unverified) {
		/* Backoff only for a client that has answered: an unverified
		 * transfer keeps its short period, so it ends in ~3 s. */
		x->rto_ms = x->rto_ms * 2 > TFTP_RTO_MAX_MS ? TFTP_RTO_MAX_MS : x->rto_ms * 2;
		if (x->rto_ms < x->rto0_ms)
			x->rto_ms = x->rto0_ms;
	}
	x->deadline_ns = e->now_ns + rto_ns(x);
	tftp_wheel_add(&e->wheel, e->tw, i, x->deadline_ns);
	if (x->state == TFTP_XS_DATA)
		set_window(e, x, x->base, x->base); /* resend the window */
	tftp_xfer_ready(e, i);
}

/* The payload sum of block b (1-based), cached in the file version's sum
 * table (x->sums, not NULL) the first time any transfer sends it. */
static inline uint16_t
block_sum(struct tftp_engine *e, struct tftp_xfer *x, uint32_t b, const uint8_t *p, uint32_t len)
{
	uint32_t v = x->sums->v[b - 1];
	if (!v) {
		v = 0x10000u | tftp_raw_sum(p, len);
		x->sums->v[b - 1] = v;
		bs_ctr_add(e->ctr, BS_CTR_TFTP_SUM_BYTES, len);
	}
	return (uint16_t)v;
}

static int
send_oack(struct tftp_engine *e, struct tftp_xfer *x)
{
	size_t n = tftp_build_oack(e->pkt, sizeof(e->pkt), x->opts, x->blksize, x->src->size,
				  x->timeout_s, x->wsize);
	struct tftp_out o = {
		.dst_ip = x->cip,
		.src_port = x->sport,
		.dst_port = x->cport,
		.hdr = e->pkt,
		.hdr_len = (uint16_t)n,
		.payload_sum = -1,
	};
	memcpy(o.dst_mac, x->mac, 6);
	int rc = e->env.send(e->env.ctx, &o);
	if (rc == 0) {
		tftp_ctr(e, BS_CTR_TFTP_TX);
		tftp_ctr(e, BS_CTR_TFTP_TX_OACK);
	}
	return rc;
}

static int
send_block(struct tftp_engine *e, struct tftp_xfer *x, uint32_t b)
{
	uint64_t off = (uint64_t)(b - 1) * x->blksize;
	uint32_t len = b < x->nblocks ? x->blksize : (uint32_t)(x->src->size - off);
	tftp_put_data_hdr(e->pkt, (uint16_t)b);
	struct tftp_out o = {
		.dst_ip = x->cip,
		.src_port = x->sport,
		.dst_port = x->cport,
		.hdr = e->pkt,
		.hdr_len = 4,
		.payload = len ? x->src->data + off : NULL,
		.payload_len = len,
		.file = x->src,
		.file_user = x->src->user,
		.payload_sum = -1,
	};
	memcpy(o.dst_mac, x->mac, 6);
	if (x->sums)
		o.payload_sum = block_sum(e, x, b, o.payload, len);
	int rc = e->env.send(e->env.ctx, &o);
	if (rc != 0)
		return rc;
	tftp_ctr(e, BS_CTR_TFTP_TX);
	tftp_ctr(e, BS_CTR_TFTP_TX_DATA);
	bs_ctr_add(e->ctr, BS_CTR_TFTP_PAYLOAD_BYTES, len);
	if (b <= x->hi) {
		tftp_ctr(e, BS_CTR_TFTP_TX_RETRANS);
	} else {
		x->hi = b;
		if ((uint16_t)b == 0)
			tftp_ctr(e, BS_CTR_TFTP_ROLLOVER);
	}
	return 0;
}

/* Sends blocks [x->next, x->next + k) as one run through env->send_data.
 * Returns how many the glue took; counts them as send_block() does. */
static unsigned
send_run(struct tftp_engine *e, struct tftp_xfer *x, unsigned k)
{
	uint32_t b0 = x->next, bl = b0 + k - 1;
	uint64_t off = (uint64_t)(b0 - 1) * x->blksize;
	/* A 0-byte file has no mapping (data NULL): its one block is empty,
	 * and NULL + 0 is undefined behaviour in C, so no pointer arithmetic
	 * on it (issue 15 item 12). */
	const uint8_t *p0 = x->src->data ? x->src->data + off : NULL;
	BS_ASSERT_HOT(k >= 1 && k <= TFTP_RUN_MAX && bl < x->wend);
	BS_ASSERT_HOT(p0 || x->src->size == 0);
	uint32_t last_len = bl < x->nblocks ? x->blksize
					    : (uint32_t)(x->src->size - (uint64_t)(bl - 1) * x->blksize);
	/* The run's sums are read straight from the file version's table
	 * (filled here where missing); a stack copy without one. */
	uint32_t tmp[TFTP_RUN_MAX];
	uint32_t *sv = tmp;
	unsigned j = 0;
	if (x->sums) {
		sv = x->sums->v + (b0 - 1);
		while (j < k && sv[j])
			j++; /* usually all of them: another transfer sent these */
	}
	for (; j < k; j++) {
		if (sv != tmp && sv[j])
			continue;
		uint32_t len = j + 1 < k ? x->blksize : last_len;
		sv[j] = 0x10000u | (len ? tftp_raw_sum(p0 + (size_t)j * x->blksize, len) : 0);
		bs_ctr_add(e->ctr, BS_CTR_TFTP_SUM_BYTES, len);
	}
	struct tftp_data_run r = {
		.dst_ip = x->cip,
		.src_port = x->sport,
		.dst_port = x->cport,
		.first = (uint16_t)b0,
		.n = (uint16_t)k,
		.blksize = x->blksize,
		.last_len = (uint16_t)last_len,
		.payload = p0,
		.sums = sv,
		.file = x->src,
		.file_user = x->src->user,
	};
	memcpy(r.dst_mac, x->mac, 6);
	unsigned took = e->env.send_data(e->env.ctx, &r);
	if (took == 0)
		return 0;
	if (took > k)
		took = k;
	uint32_t end = b0 + took - 1; /* last block taken */
	uint64_t bytes = (uint64_t)took * x->blksize;
	if (end == bl)
		bytes -= x->blksize - last_len;
	bs_ctr_add(e->ctr, BS_CTR_TFTP_TX, took);
	bs_ctr_add(e->ctr, BS_CTR_TFTP_TX_DATA, took);
	bs_ctr_add(e->ctr, BS_CTR_TFTP_PAYLOAD_BYTES, bytes);
	if (b0 <= x->hi)
		bs_ctr_add(e->ctr, BS_CTR_TFTP_TX_RETRANS, (end < x->hi ? end : x->hi) - b0 + 1);
	if (end > x->hi) {
		uint32_t from = b0 > x->hi ? b0 - 1 : x->hi; /* new blocks: (from, end] */
		uint32_t wraps = (end >> 16) - (from >> 16); /* numbers that are 0 mod 65536 */
		if (wraps)
			bs_ctr_add(e->ctr, BS_CTR_TFTP_ROLLOVER, wraps);
		x->hi = end;
	}
	x->next += took;
	return took;
}

bool
tftp_xfer_service(struct tftp_engine *e, uint32_t i, unsigned quota, unsigned *budget,
		  uint64_t now_ns)
{
	struct tftp_xfer *x = &e->x[i];
	if (x->state == TFTP_XS_OACK) {
		int rc = send_oack(e, x);
		if (rc == -ENOBUFS) {
			tftp_ctr(e, BS_CTR_TFTP_TX_BUSY);
			return false;
		}
		(*budget)--;
		x->sent = 1;
		x->deadline_ns = now_ns + rto_ns(x);
		return true;
	}
	/* A transfer nobody has acknowledged yet (spoofable RRQ) sends one
	 * block per timeout at most (reserve_window): the amplification is
	 * bounded by (1 + retries) packets per RRQ. */
	if (x->next == x->wend && !reserve_window(e, i, x))
		return true;
	check_window(x);
	unsigned n = 0;
	if (e->env.send_data) {
		while (n < quota && *budget && x->next < x->wend) {
			unsigned k = quota - n;
			if (k > *budget)
				k = *budget;
			if (k > x->wend - x->next)
				k = x->wend - x->next;
			if (k > TFTP_RUN_MAX)
				k = TFTP_RUN_MAX;
			unsigned took = send_run(e, x, k);
			n += took;
			*budget -= took;
			if (took < k) {
				tftp_ctr(e, BS_CTR_TFTP_TX_BUSY);
				if (n) {
					x->sent = 1;
					x->deadline_ns = now_ns + rto_ns(x);
				}
				return false;
			}
		}
		if (n) {
			x->sent = 1;
			x->deadline_ns = now_ns + rto_ns(x);
		}
		return true;
	}
	while (n < quota && *budget && x->next < x->wend) {
		int rc = send_block(e, x, x->next);
		if (rc == -ENOBUFS) {
			tftp_ctr(e, BS_CTR_TFTP_TX_BUSY);
			if (n) {
				x->sent = 1;
				x->deadline_ns = now_ns + rto_ns(x);
			}
			return false;
		}
		/* Any other error: treated as sent and lost; the timer
		 * resends. */
		x->next++;
		n++;
		(*budget)--;
	}
	if (n) {
		x->sent = 1;
		x->deadline_ns = now_ns + rto_ns(x);
	}
	return true;
}
