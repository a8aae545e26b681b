/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The TFTP engine: fixed tables, packet dispatch, RRQ admission, the poll.
 *
 * State is sized once in tftp_engine_new() for lim->max_transfers (100,000
 * per worker is the design point): transfer records, timer links, a free
 * stack, an open-addressing table keyed by (client ip, client port, server
 * port) and one keyed by client ip for the per-client limit, both linear
 * probing with backward-shift deletion, at most half full.  No allocation
 * and no syscall happens on the ACK/DATA path.
 *
 * Fairness and pacing: tftp_poll() serves the ready queue round-robin; a
 * transfer sends at most `pace_burst` DATA packets per round, then goes to
 * the tail, so one fast client cannot capture the port; RFC 7440 section 4
 * asks senders to consider pacing windows, and this spreads each window over
 * several rounds interleaved with other transfers.
 *
 * Admission: RRQs beyond capacity (table full, max_transfers) or beyond
 * tftp_max_per_client are DROPPED and counted, not answered with ERROR:
 * PXE firmware gives up the boot on an ERROR but retransmits an
 * unanswered RRQ with backoff, which is exactly the queueing we want in a
 * storm.  When the last poll ran out of budget with transfers still ready
 * (saturated), new RRQs are admitted only with a few tokens per poll
 * (budget/16, at least 1): blocks of transfers already in flight come first.
 *
 * Unverified transfers (no ACK yet, the RRQ may be spoofed): one block (or
 * the OACK) per min(timeout, 1 s), no backoff, at most TFTP_UNV_RETRIES
 * resends: a spoofed RRQ yields <= 2 packets and holds its slot ~2 s, and
 * one address has at most TFTP_UNV_PER_CLIENT such transfers; when
 * the table is full or they hold their share, the oldest is evicted for a
 * new RRQ (admit()).  The server TID is a keyed hash, so a spoofer cannot
 * ACK blind to verify a transfer in a victim's name (tftp_tid.c).
 *
 * Amplification guard: unacknowledged data per client is bounded by
 * max_per_client * windowsize * blksize (4 * 16 * 1468 = 94 KiB with the
 * example config); all transfers of the engine together reserve at most
 * lim->max_inflight_bytes (default 256 MiB) of window: a transfer reserves
 * its whole next window before sending it, or waits on the cap queue
 * (released in FIFO order as ACKs free room).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shm/snap_read.h"
#include "dataplane/net/cursor.h"
#include "dataplane/tftp/tftp_int.h"

#define TFTP_DEFAULT_MAX_INFLIGHT (256ull << 20)
#define TFTP_DEFAULT_PACE	  4

static inline int
drop(struct tftp_engine *e, int reason)
{
	tftp_ctr(e, (enum bs_ctr)reason);
	return reason;
}

/* ---- engine ---- */

struct tftp_engine *
tftp_engine_new(const struct tftp_env *env, const struct tftp_limits *lim)
{
	if (!env || !env->send || !lim || lim->max_transfers == 0 ||
	    lim->max_transfers >= TW_NONE / 4)
		return NULL;
	struct tftp_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->env = *env;
	e->max = lim->max_transfers;
	if (!env->ctr)
		e->ctr = e->own_ctr = calloc(BS_CTR_MAX, sizeof(*e->own_ctr));
	else
		e->ctr = env->ctr;
	e->env.ctr = e->ctr;
	if (e->ctr)
		e->cache = tftp_cache_new(&e->env, lim->max_files, lim->settle_ms);
	if (tftp_slot_init(e) < 0 || !e->cache || !e->ctr || tftp_tid_init(e, lim->tid_key) < 0) {
		tftp_engine_free(e);
		return NULL;
	}
	tftp_wheel_init(&e->wheel);
	e->rq_head = e->rq_tail = TW_NONE;
	e->cw_head = e->cw_tail = TW_NONE;
	e->max_inflight = lim->max_inflight_bytes ? lim->max_inflight_bytes : TFTP_DEFAULT_MAX_INFLIGHT;
	e->pace = lim->pace_burst ? lim->pace_burst : TFTP_DEFAULT_PACE;
	return e;
}

void
tftp_engine_free(struct tftp_engine *e)
{
	if (!e)
		return;
	if (e->x && e->cache)
		for (uint32_t i = 0; i < e->max; i++)
			if (e->x[i].state == TFTP_XS_OACK || e->x[i].state == TFTP_XS_DATA ||
			    e->x[i].state == TFTP_XS_ZOMBIE)
				tftp_file_put(e->cache, e->x[i].file);
	tftp_cache_free(e->cache);
	tftp_slot_fini(e);
	free(e->own_ctr);
	free(e);
}

unsigned
tftp_active(const struct tftp_engine *e)
{
	return e->n_active;
}

size_t
tftp_bytes_per_transfer(const struct tftp_engine *e)
{
	size_t total = (size_t)e->max * (sizeof(*e->x) + sizeof(*e->tw) + sizeof(*e->free_stk)) +
		       ((size_t)e->xmask + 1) * sizeof(*e->xtab) +
		       ((size_t)e->cmask + 1) * sizeof(*e->ctab);
	return total / e->max;
}

static int
tftp_send_error(struct tftp_engine *e, uint32_t ip, uint16_t sport, uint16_t dport,
		const uint8_t mac[6], unsigned code, const char *msg)
{
	static const enum bs_ctr err_ctr[] = {
		[TFTP_E_UNDEF] = BS_CTR_TFTP_ERR_UNDEF,
		[TFTP_E_NOT_FOUND] = BS_CTR_TFTP_ERR_NOT_FOUND,
		[TFTP_E_ACCESS] = BS_CTR_TFTP_ERR_ACCESS,
		[TFTP_E_DISK_FULL] = BS_CTR_TFTP_ERR_UNDEF,
		[TFTP_E_ILLEGAL_OP] = BS_CTR_TFTP_ERR_ILLEGAL_OP,
		[TFTP_E_UNKNOWN_TID] = BS_CTR_TFTP_ERR_UNKNOWN_TID,
		[TFTP_E_EXISTS] = BS_CTR_TFTP_ERR_UNDEF,
		[TFTP_E_NO_USER] = BS_CTR_TFTP_ERR_UNDEF,
		[TFTP_E_OPTION] = BS_CTR_TFTP_ERR_OPTION,
	};
	size_t n = tftp_build_error(e->pkt, sizeof(e->pkt), code, msg);
	struct tftp_out o = {
		.dst_ip = ip,
		.src_port = sport,
		.dst_port = dport,
		.hdr = e->pkt,
		.hdr_len = (uint16_t)n,
		.payload_sum = -1,
	};
	memcpy(o.dst_mac, mac, 6);
	if (n == 0 || e->env.send(e->env.ctx, &o) != 0) {
		tftp_ctr(e, BS_CTR_DROP_TFTP_ERR_TX);
		return -ENOBUFS;
	}
	tftp_ctr(e, BS_CTR_TFTP_TX);
	tftp_ctr(e, BS_CTR_TFTP_TX_ERROR);
	tftp_ctr(e, err_ctr[code < 9 ? code : 0]);
	return 0;
}

static const char *
err_msg(int code)
{
	switch (code) {
	case TFTP_E_NOT_FOUND: return "File not found";
	case TFTP_E_ACCESS: return "Access violation";
	case TFTP_E_ILLEGAL_OP: return "Illegal TFTP operation";
	case TFTP_E_UNKNOWN_TID: return "Unknown transfer ID";
	case TFTP_E_OPTION: return "Option negotiation failed";
	default: return "Server error";
	}
}

static int
reply_error(struct tftp_engine *e, const struct tftp_rx *rx, int code, int reason)
{
	if (code >= 0)
		tftp_send_error(e, rx->src_ip, rx->dst_port, rx->src_port, rx->src_mac,
				(unsigned)code, err_msg(code));
	return drop(e, reason);
}

/* ---- RRQ ---- */

/* Values this engine will use, from the request and the snapshot. */
static void
negotiate(const struct snap_hdr *s, const struct tftp_req *r, struct tftp_xfer *x)
{
	uint32_t mtu = s->tftp_mtu ? s->tftp_mtu : 1500;
	/* IPv4 20 + UDP 8 + TFTP 4 must fit in the MTU (no fragments). */
	uint32_t cap = mtu > 32 + TFTP_BLKSIZE_MIN ? mtu - 32 : TFTP_BLKSIZE_MIN;
	if (s->tftp_max_blksize && s->tftp_max_blksize < cap)
		cap = s->tftp_max_blksize;
	if (cap < TFTP_BLKSIZE_MIN)
		cap = TFTP_BLKSIZE_MIN;
	if (cap > TFTP_BLKSIZE_MAX)
		cap = TFTP_BLKSIZE_MAX;
	x->opts = 0;
	x->blksize = TFTP_DEFAULT_BLKSIZE;
	if (r->opts & TFTP_OPTB_BLKSIZE) {
		x->blksize = (uint16_t)(r->blksize < cap ? r->blksize : cap);
		x->opts |= TFTP_OPTB_BLKSIZE;
	}
	x->wsize = 1;
	if (r->opts & TFTP_OPTB_WINDOW) {
		uint32_t wcap = s->tftp_max_windowsize ? s->tftp_max_windowsize : 1;
		x->wsize = (uint16_t)(r->windowsize < wcap ? r->windowsize : wcap);
		x->opts |= TFTP_OPTB_WINDOW;
	}
	x->rto0_ms = s->tftp_timeout_ms ? s->tftp_timeout_ms : 1000;
	if (r->opts & TFTP_OPTB_TIMEOUT) {
		x->timeout_s = (uint8_t)r->timeout_s;
		x->rto0_ms = r->timeout_s * 1000u;
		x->opts |= TFTP_OPTB_TIMEOUT;
	}
	if (r->opts & TFTP_OPTB_TSIZE)
		x->opts |= TFTP_OPTB_TSIZE;
	uint32_t retries = s->tftp_retries ? s->tftp_retries : 5;
	x->retries0 = (uint8_t)(retries > 255 ? 255 : retries);
	/* Unverified (nothing acknowledged yet, the RRQ may be spoofed): a
	 * short life, no backoff, fewer resends; the ACK that verifies the
	 * client restores both (tftp_xfer_ack). */
	x->rto_ms = x->rto0_ms < TFTP_UNV_RTO_MAX_MS ? x->rto0_ms : TFTP_UNV_RTO_MAX_MS;
	x->retries_left = x->retries0 < TFTP_UNV_RETRIES ? x->retries0 : TFTP_UNV_RETRIES;
}

static void
count_opts(struct tftp_engine *e, const struct tftp_req *r, unsigned opts)
{
	if (opts & TFTP_OPTB_BLKSIZE)
		tftp_ctr(e, BS_CTR_TFTP_OPT_BLKSIZE);
	if (opts & TFTP_OPTB_TSIZE)
		tftp_ctr(e, BS_CTR_TFTP_OPT_TSIZE);
	if (opts & TFTP_OPTB_TIMEOUT)
		tftp_ctr(e, BS_CTR_TFTP_OPT_TIMEOUT);
	if (opts & TFTP_OPTB_WINDOW)
		tftp_ctr(e, BS_CTR_TFTP_OPT_WINDOWSIZE);
	if (r->n_unknown)
		bs_ctr_add(e->ctr, BS_CTR_TFTP_OPT_UNKNOWN, r->n_unknown);
	if (r->n_ignored)
		bs_ctr_add(e->ctr, BS_CTR_TFTP_OPT_IGNORED, r->n_ignored);
}

/* Admission checks for a new transfer (not a duplicate RRQ).  Returns 0
 * or a drop reason; *evict is the unverified transfer to end first
 * (TW_NONE: none).  Spoofed RRQs must not lock real clients out (issue 15
 * item 7): when the table is full, or unverified transfers hold their
 * share (1/TFTP_UNV_SHARE of it), the oldest unverified transfer that has
 * already sent its first packet gives its slot up (below a full table,
 * only once that send is TFTP_UNV_MIN_AGE_MS old).  A real client ACKs
 * within a round trip and leaves the unverified FIFO; a spoofed one never
 * does.  With nothing evictable (all verified, or not yet sent: our own
 * delay) a full table drops as before and a full share is not enforced. */
static int
admit(struct tftp_engine *e, const struct snap_hdr *s, uint32_t ip, uint32_t *evict)
{
	uint32_t cap = s->tftp_max_transfers && s->tftp_max_transfers < e->max ?
			       s->tftp_max_transfers : e->max;
	uint32_t share = cap / TFTP_UNV_SHARE ? cap / TFTP_UNV_SHARE : 1;
	bool full = e->n_free == 0 || e->n_active >= cap;
	*evict = full || e->n_unv >= share ? tftp_slot_evictable(e) : TW_NONE;
	/* Below a full table, the share evicts only a transfer whose last send
	 * is TFTP_UNV_MIN_AGE_MS old: a real client in a power-on burst ACKs
	 * well within that, a spoofed one never does (and is still gone before
	 * its first resend at TFTP_UNV_RTO_MAX_MS). */
	if (!full && *evict != TW_NONE && !e->x[*evict].linger) {
		const struct tftp_xfer *o = &e->x[*evict];
		uint64_t last_tx = o->deadline_ns - (uint64_t)o->rto_ms * 1000000u;
		if (e->now_ns < last_tx + (uint64_t)TFTP_UNV_MIN_AGE_MS * 1000000u)
			*evict = TW_NONE;
	}
	if (full && *evict == TW_NONE)
		return BS_CTR_DROP_TFTP_FULL;
	if (s->tftp_max_per_client && tftp_client_count(e, ip) >= s->tftp_max_per_client)
		return BS_CTR_DROP_TFTP_PER_CLIENT;
	/* Not yet proven live: maybe a spoofed RRQ's victim (reflection
	 * bound).  Dropped as per-client, counted apart as well. */
	if (s->tftp_max_per_client && tftp_client_unv(e, ip) >= TFTP_UNV_PER_CLIENT) {
		tftp_ctr(e, BS_CTR_TFTP_UNV_PER_CLIENT);
		return BS_CTR_DROP_TFTP_PER_CLIENT;
	}
	if (e->saturated) {
		if (e->admit == 0)
			return BS_CTR_DROP_TFTP_SATURATED;
		e->admit--;
	}
	return 0;
}

/* A new RRQ from a (client ip, port) that already has a transfer: the
 * same request retransmitted (same version, nothing acknowledged yet) is
 * dropped; anything else means the client gave the old one up. */
static bool
is_dup(const struct tftp_xfer *x, const struct tftp_file *f)
{
	return x->file == f && (x->state == TFTP_XS_OACK || x->base == 1) && !x->linger;
}

static int
start_xfer(struct tftp_engine *e, const struct snap_hdr *s, const struct tftp_rx *rx,
	   const struct tftp_req *r, struct tftp_file *f, uint16_t sport)
{
	struct tftp_file *src = f;
	if (r->netascii) {
		int why;
		src = tftp_cache_ascii(e->cache, f, &why);
		if (!src) {
			tftp_file_put(e->cache, f);
			return reply_error(e, rx, TFTP_E_UNDEF, why);
		}
	}
	uint32_t i = tftp_slot_take(e);
	struct tftp_xfer *x = &e->x[i];
	*x = (struct tftp_xfer){ .cip = rx->src_ip, .cport = rx->src_port, .sport = sport };
	negotiate(s, r, x);
	uint64_t nb = src->size / x->blksize + 1;
	if (nb >= UINT32_MAX / 2) {
		tftp_slot_untake(e, i);
		tftp_file_put(e->cache, f);
		return reply_error(e, rx, TFTP_E_UNDEF, BS_CTR_DROP_TFTP_OPEN_FAIL);
	}
	x->nblocks = (uint32_t)nb;
	x->file = f;
	x->src = src;
	x->sums = tftp_cache_sums(e->cache, src, x->blksize); /* NULL: sums unknown */
	memcpy(x->mac, rx->src_mac, 6);
	x->base = x->next = x->wend = 1;
	x->unverified = 1;
	x->prog_blk = TFTP_PROGRESS_BYTES / x->blksize;
	x->state = x->opts ? TFTP_XS_OACK : TFTP_XS_DATA;
	x->deadline_ns = rx->now_ns + (uint64_t)x->rto_ms * 1000000ull;
	count_opts(e, r, x->opts);
	tftp_slot_link(e, i);
	tftp_wheel_add(&e->wheel, e->tw, i, x->deadline_ns);
	tftp_xfer_ready(e, i);
	tftp_ctr(e, BS_CTR_TFTP_XFER_START);
	tftp_emit(e, x, BOOT_STAGE_TFTP_START);
	return 0;
}

static int
handle_rrq(struct tftp_engine *e, const struct snap_hdr *s, const struct tftp_rx *rx)
{
	struct tftp_req r;
	int err, rc;
	uint32_t evict = TW_NONE;
	tftp_ctr(e, BS_CTR_TFTP_RX_RRQ);
	rc = tftp_parse_req(rx->p + 2, rx->len - 2, &r, &err);
	if (rc)
		return reply_error(e, rx, err, rc);
	uint16_t sport = tftp_tid_pick(e, s, rx->src_ip, rx->src_port);
	if (sport == 0)
		return drop(e, BS_CTR_DROP_TFTP_NO_PORT);
	uint32_t old = tftp_slot_find(e, rx->src_ip, rx->src_port, sport);
	if (old == TW_NONE && (rc = admit(e, s, rx->src_ip, &evict)) != 0)
		return drop(e, rc);
	struct tftp_file *f;
	rc = tftp_cache_get(e->cache, s, r.name, rx->now_ns, &f, &err);
	if (rc)
		return reply_error(e, rx, err, rc);
	if (evict != TW_NONE) {
		/* only now that the request is servable */
		tftp_ctr(e, BS_CTR_TFTP_UNV_EVICT);
		tftp_xfer_end(e, evict, BOOT_STAGE_TFTP_FAILED);
	}
	if (old != TW_NONE) {
		if (is_dup(&e->x[old], f)) {
			tftp_file_put(e->cache, f);
			return drop(e, BS_CTR_DROP_TFTP_DUP_RRQ);
		}
		tftp_xfer_end(e, old, BOOT_STAGE_TFTP_FAILED);
	}
	if (e->n_free == 0) {
		tftp_file_put(e->cache, f);
		return drop(e, BS_CTR_DROP_TFTP_FULL);
	}
	return start_xfer(e, s, rx, &r, f, sport);
}

/* ---- dispatch ---- */

static int
handle_port69(struct tftp_engine *e, const struct snap_hdr *s, const struct tftp_rx *rx,
	      uint16_t op)
{
	switch (op) {
	case TFTP_OP_RRQ:
		return handle_rrq(e, s, rx);
	case TFTP_OP_WRQ:
		/* Uploads are not configured: RFC 1350 error 2. */
		tftp_ctr(e, BS_CTR_TFTP_RX_WRQ);
		return reply_error(e, rx, TFTP_E_ACCESS, BS_CTR_DROP_TFTP_WRQ);
	case TFTP_OP_ERROR:
		/* RFC 1350 section 7: an ERROR is never acknowledged. */
		tftp_ctr(e, BS_CTR_TFTP_RX_ERROR);
		return drop(e, BS_CTR_DROP_TFTP_ERROR_STRAY);
	default:
		tftp_ctr(e, op == TFTP_OP_ACK ? BS_CTR_TFTP_RX_ACK : BS_CTR_TFTP_RX_OTHER);
		return reply_error(e, rx, TFTP_E_ILLEGAL_OP, BS_CTR_DROP_TFTP_ILLEGAL_OP);
	}
}

static int
handle_tid(struct tftp_engine *e, const struct tftp_rx *rx, uint16_t op)
{
	uint32_t i = tftp_slot_find(e, rx->src_ip, rx->src_port, rx->dst_port);
	if (op == TFTP_OP_ACK)
		tftp_ctr(e, BS_CTR_TFTP_RX_ACK);
	else if (op == TFTP_OP_ERROR)
		tftp_ctr(e, BS_CTR_TFTP_RX_ERROR);
	else
		tftp_ctr(e, BS_CTR_TFTP_RX_OTHER);
	if (i == TW_NONE) {
		/* RFC 1350 section 4: a packet from an unknown TID gets ERROR
		 * 5 and does not disturb any transfer; ERRORs are never
		 * answered. */
		if (op == TFTP_OP_ERROR)
			return drop(e, BS_CTR_DROP_TFTP_ERROR_STRAY);
		return reply_error(e, rx, TFTP_E_UNKNOWN_TID, BS_CTR_DROP_TFTP_UNKNOWN_TID);
	}
	switch (op) {
	case TFTP_OP_ACK: {
		if (rx->len < 4)
			return drop(e, BS_CTR_DROP_TFTP_SHORT);
		uint16_t blk = (uint16_t)(rx->p[2] << 8 | rx->p[3]);
		return tftp_xfer_ack(e, i, blk, rx->now_ns);
	}
	case TFTP_OP_ERROR:
		/* RFC 1350 section 7: the client ended the transfer. */
		tftp_xfer_end(e, i, BOOT_STAGE_TFTP_FAILED);
		return drop(e, BS_CTR_DROP_TFTP_CLIENT_ERROR);
	default:
		/* DATA/RRQ/WRQ/OACK on a read transfer: illegal; ERROR ends
		 * the transfer (RFC 1350 section 7). */
		tftp_xfer_end(e, i, BOOT_STAGE_TFTP_FAILED);
		return reply_error(e, rx, TFTP_E_ILLEGAL_OP, BS_CTR_DROP_TFTP_ILLEGAL_OP);
	}
}

static int
handle_rx(struct tftp_engine *e, const struct snap_hdr *s, const struct tftp_rx *rx)
{
	tftp_ctr(e, BS_CTR_TFTP_RX);
	e->now_ns = rx->now_ns;
	if (!e->wheel.started) {
		/* start the wheel's clock at the first packet, so timers armed
		 * before the first poll are not a turn late */
		e->wheel.started = true;
		e->wheel.tick = rx->now_ns >> TW_SHIFT;
	}
	if (!rx->p || rx->len < 2)
		return drop(e, BS_CTR_DROP_TFTP_SHORT);
	if (rx->src_port == 0 || rx->src_ip == 0 || rx->src_ip == UINT32_MAX ||
	    (rx->src_ip >> 28) == 0xe)
		return drop(e, BS_CTR_DROP_TFTP_BAD_SRC);
	struct cur c = cur_init(rx->p, rx->len);
	uint16_t op = cur_be16(&c);
	if (rx->dst_port == TFTP_PORT)
		return handle_port69(e, s, rx, op);
	int owner = tftp_port_owner(s, rx->dst_port, e->env.n_workers ? e->env.n_workers : 1);
	if (owner < 0 || (unsigned)owner != e->env.worker)
		return drop(e, BS_CTR_DROP_TFTP_BAD_PORT);
	return handle_tid(e, rx, op);
}

/* The engine counts by counter; callers see the drop reason. */
enum bs_drop
tftp_handle(struct tftp_engine *e, const struct snap_hdr *s, const struct tftp_rx *rx)
{
	int rc = handle_rx(e, s, rx);
	return rc > 0 ? bs_drop_of((enum bs_ctr)rc) : BS_DROP_NONE;
}

/* ---- poll ---- */

static uint32_t
rq_pop(struct tftp_engine *e)
{
	uint32_t i = e->rq_head;
	e->rq_head = e->x[i].rq_next;
	if (e->rq_head == TW_NONE)
		e->rq_tail = TW_NONE;
	e->x[i].in_ready = 0;
	e->n_ready--;
	return i;
}

static void
rq_push_front(struct tftp_engine *e, uint32_t i)
{
	struct tftp_xfer *x = &e->x[i];
	x->in_ready = 1;
	x->rq_next = e->rq_head;
	e->rq_head = i;
	if (e->rq_tail == TW_NONE)
		e->rq_tail = i;
	e->n_ready++;
}

/* Can this transfer send more now?  (Held back by the global cap counts as
 * no: its next ACK or timeout queues it again.) */
static bool
has_more(const struct tftp_engine *e, const struct tftp_xfer *x)
{
	if (x->state != TFTP_XS_DATA)
		return false;
	(void)e;
	uint64_t lim = (uint64_t)x->base + (x->unverified ? 1 : x->wsize);
	return x->next <= x->nblocks && x->next < lim;
}

/* Moves windows waiting on the global cap to the ready queue, as many as
 * the room left allows (they reserve when served). */
static void
cap_release(struct tftp_engine *e)
{
	uint64_t room = e->max_inflight > e->inflight ? e->max_inflight - e->inflight : 0;
	while (e->cw_head != TW_NONE) {
		uint32_t i = e->cw_head;
		struct tftp_xfer *x = &e->x[i];
		uint64_t need = (uint64_t)x->wsize * x->blksize;
		if (x->state != TFTP_XS_ZOMBIE && need > room && e->inflight)
			break;
		e->cw_head = x->rq_next;
		if (e->cw_head == TW_NONE)
			e->cw_tail = TW_NONE;
		e->n_wait--;
		x->in_ready = 0;
		x->in_wait = 0;
		if (x->state == TFTP_XS_ZOMBIE) {
			tftp_slot_recycle(e, i);
			continue;
		}
		room = need < room ? room - need : 0;
		tftp_xfer_ready(e, i);
		if (room == 0)
			break;
	}
}

unsigned
tftp_poll(struct tftp_engine *e, const struct snap_hdr *snap, uint64_t now_ns, unsigned budget)
{
	(void)snap; /* transfers carry the values negotiated at RRQ time */
	e->now_ns = now_ns;
	tftp_wheel_advance(&e->wheel, e->tw, now_ns, tftp_xfer_timer, e);
	if (e->n_wait)
		cap_release(e);
	unsigned left = budget;
	bool blocked = false;
	/* Rounds over the queue: each transfer present at the start of a
	 * round gets up to `pace` packets, then goes to the tail. */
	while (left && e->n_ready && !blocked) {
		unsigned n = e->n_ready, before = left;
		while (n-- && left) {
			uint32_t i = rq_pop(e);
			struct tftp_xfer *x = &e->x[i];
			if (x->state == TFTP_XS_ZOMBIE) {
				tftp_slot_recycle(e, i);
				continue;
			}
			if (!tftp_xfer_service(e, i, e->pace, &left, now_ns)) {
				rq_push_front(e, i);
				blocked = true;
				break;
			}
			if (!x->in_wait && has_more(e, x))
				tftp_xfer_ready(e, i);
		}
		if (left == before)
			break;
	}
	e->saturated = e->n_ready > 0 && (left == 0 || blocked);
	e->admit = e->saturated ? (budget / 16 ? budget / 16 : 1) : 0;
	return budget - left;
}
