/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Transfer slots of one engine: the free stack, the open-addressing table
 * keyed by (client ip, client port, server port), the per-client counts
 * (keyed by client ip), both linear probing with backward-shift deletion
 * and at most half full, and the FIFO of unverified transfers (no ACK from
 * the client yet), oldest first, which is the eviction order when spoofed
 * RRQs press on the table (tftp.c, admission).
 *
 * Slot life: FREE -> taken (tftp_slot_take) -> linked (tftp_slot_link,
 * state OACK or DATA) -> released (tftp_xfer_release): FREE again at once,
 * or ZOMBIE while it sits on the ready or cap queue, recycled when popped
 * (tftp_slot_recycle), so the queues need no unlink.
 */
#include <stdlib.h>
#include <string.h>

#include "util/bs_hash.h"
#include "util/bs_assert.h"
#include "dataplane/tftp/tftp_int.h"

static inline uint32_t
key_hash(uint32_t ip, uint16_t cport, uint16_t sport)
{
	return bs_mix64((uint64_t)ip << 32 | (uint64_t)cport << 16 | sport);
}

static uint32_t
pow2_at_least(uint64_t n)
{
	uint32_t c = 16;
	while (c < n)
		c <<= 1;
	return c;
}

int
tftp_slot_init(struct tftp_engine *e)
{
	e->xmask = pow2_at_least(2ull * e->max) - 1;
	e->cmask = e->xmask;
	e->x = calloc(e->max, sizeof(*e->x));
	e->tw = calloc(e->max, sizeof(*e->tw));
	e->free_stk = calloc(e->max, sizeof(*e->free_stk));
	e->xtab = malloc(((size_t)e->xmask + 1) * sizeof(*e->xtab));
	e->ctab = calloc((size_t)e->cmask + 1, sizeof(*e->ctab));
	if (!e->x || !e->tw || !e->free_stk || !e->xtab || !e->ctab)
		return -1;
	memset(e->xtab, 0xff, ((size_t)e->xmask + 1) * sizeof(*e->xtab));
	for (uint32_t i = 0; i < e->max; i++)
		e->free_stk[i] = e->max - 1 - i;
	e->n_free = e->max;
	e->uv_head = e->uv_tail = TW_NONE;
	return 0;
}

void
tftp_slot_fini(struct tftp_engine *e)
{
	free(e->x);
	free(e->tw);
	free(e->free_stk);
	free(e->xtab);
	free(e->ctab);
}

/* ---- 3-tuple table ---- */

uint32_t
tftp_slot_find(const struct tftp_engine *e, uint32_t ip, uint16_t cport, uint16_t sport)
{
	for (uint32_t h = key_hash(ip, cport, sport) & e->xmask;; h = (h + 1) & e->xmask) {
		uint32_t i = e->xtab[h];
		if (i == TW_NONE)
			return TW_NONE;
		const struct tftp_xfer *x = &e->x[i];
		if (x->cip == ip && x->cport == cport && x->sport == sport)
			return i;
	}
}

static void
xtab_add(struct tftp_engine *e, uint32_t i)
{
	const struct tftp_xfer *x = &e->x[i];
	uint32_t h = key_hash(x->cip, x->cport, x->sport) & e->xmask;
	while (e->xtab[h] != TW_NONE)
		h = (h + 1) & e->xmask;
	e->xtab[h] = i;
}

static void
xtab_del(struct tftp_engine *e, uint32_t i)
{
	const struct tftp_xfer *x = &e->x[i];
	uint32_t h = key_hash(x->cip, x->cport, x->sport) & e->xmask;
	while (e->xtab[h] != i)
		h = (h + 1) & e->xmask;
	for (uint32_t j = h;;) {
		j = (j + 1) & e->xmask;
		uint32_t k = e->xtab[j];
		if (k == TW_NONE)
			break;
		const struct tftp_xfer *y = &e->x[k];
		uint32_t home = key_hash(y->cip, y->cport, y->sport) & e->xmask;
		bool stays = h <= j ? (h < home && home <= j) : (h < home || home <= j);
		if (stays)
			continue;
		e->xtab[h] = k;
		h = j;
	}
	e->xtab[h] = TW_NONE;
}

/* ---- per-client counts ---- */

static struct tftp_client *
client_slot(struct tftp_engine *e, uint32_t ip, bool *found)
{
	for (uint32_t h = bs_mix64(ip) & e->cmask;; h = (h + 1) & e->cmask) {
		struct tftp_client *c = &e->ctab[h];
		if (c->count == 0 || c->ip == ip) {
			*found = c->count != 0;
			return c;
		}
	}
}

uint32_t
tftp_client_count(struct tftp_engine *e, uint32_t ip)
{
	bool found;
	struct tftp_client *c = client_slot(e, ip, &found);
	return found ? c->count : 0;
}

uint32_t
tftp_client_unv(struct tftp_engine *e, uint32_t ip)
{
	bool found;
	struct tftp_client *c = client_slot(e, ip, &found);
	return found ? c->unv : 0;
}

static void
client_inc(struct tftp_engine *e, uint32_t ip, bool unv)
{
	bool found;
	struct tftp_client *c = client_slot(e, ip, &found);
	if (!found)
		c->unv = 0;
	c->ip = ip;
	c->count++;
	c->unv += unv;
}

/* One of ip's transfers left the unverified state (ACK or end). */
static void
client_unv_dec(struct tftp_engine *e, uint32_t ip)
{
	bool found;
	struct tftp_client *c = client_slot(e, ip, &found);
	BS_ASSERT_HOT(found && c->unv > 0);
	if (found && c->unv > 0)
		c->unv--;
}

static void
client_dec(struct tftp_engine *e, uint32_t ip)
{
	bool found;
	struct tftp_client *c = client_slot(e, ip, &found);
	BS_ASSERT_HOT(found); /* every linked transfer counted its client */
	if (!found || --c->count > 0)
		return;
	uint32_t h = (uint32_t)(c - e->ctab);
	for (uint32_t j = h;;) {
		j = (j + 1) & e->cmask;
		if (e->ctab[j].count == 0)
			break;
		uint32_t home = bs_mix64(e->ctab[j].ip) & e->cmask;
		bool stays = h <= j ? (h < home && home <= j) : (h < home || home <= j);
		if (stays)
			continue;
		e->ctab[h] = e->ctab[j];
		h = j;
	}
	e->ctab[h].count = 0;
}

/* ---- unverified FIFO ---- */

static void
uv_push(struct tftp_engine *e, uint32_t i)
{
	struct tftp_xfer *x = &e->x[i];
	x->uv_next = TW_NONE;
	x->uv_prev = e->uv_tail;
	if (e->uv_tail == TW_NONE)
		e->uv_head = i;
	else
		e->x[e->uv_tail].uv_next = i;
	e->uv_tail = i;
	e->n_unv++;
}

static void
uv_unlink(struct tftp_engine *e, uint32_t i)
{
	struct tftp_xfer *x = &e->x[i];
	BS_ASSERT_HOT(e->n_unv > 0);
	if (x->uv_prev == TW_NONE)
		e->uv_head = x->uv_next;
	else
		e->x[x->uv_prev].uv_next = x->uv_next;
	if (x->uv_next == TW_NONE)
		e->uv_tail = x->uv_prev;
	else
		e->x[x->uv_next].uv_prev = x->uv_prev;
	x->uv_prev = x->uv_next = TW_NONE;
	e->n_unv--;
}

void
tftp_slot_verified(struct tftp_engine *e, uint32_t i)
{
	struct tftp_xfer *x = &e->x[i];
	if (!x->unverified)
		return;
	x->unverified = 0;
	x->linger = 0;
	uv_unlink(e, i);
	client_unv_dec(e, x->cip);
}

uint32_t
tftp_slot_evictable(const struct tftp_engine *e)
{
	uint32_t i = e->uv_head;
	/* FIFO order: if the oldest has not sent yet, it is waiting for its
	 * turn on the ready queue and has had no chance to be acknowledged. */
	return i != TW_NONE && e->x[i].sent ? i : TW_NONE;
}

/* ---- slot life ---- */

uint32_t
tftp_slot_take(struct tftp_engine *e)
{
	BS_ASSERT_HOT(e->n_free > 0);
	uint32_t i = e->free_stk[--e->n_free];
	BS_ASSERT_HOT(e->x[i].state == TFTP_XS_FREE);
	return i;
}

void
tftp_slot_untake(struct tftp_engine *e, uint32_t i)
{
	e->x[i].state = TFTP_XS_FREE;
	e->free_stk[e->n_free++] = i;
}

void
tftp_slot_link(struct tftp_engine *e, uint32_t i)
{
	struct tftp_xfer *x = &e->x[i];
	BS_ASSERT_HOT(x->state == TFTP_XS_OACK || x->state == TFTP_XS_DATA);
	xtab_add(e, i);
	client_inc(e, x->cip, x->unverified);
	if (x->unverified)
		uv_push(e, i);
	e->n_active++;
}

void
tftp_slot_recycle(struct tftp_engine *e, uint32_t i)
{
	struct tftp_xfer *x = &e->x[i];
	BS_ASSERT_HOT(x->state == TFTP_XS_ZOMBIE && !x->in_ready);
	x->state = TFTP_XS_FREE;
	e->free_stk[e->n_free++] = i;
}

/* Frees slot i: out of every table; the slot itself is recycled now, or
 * when the ready queue pops it (ZOMBIE), so the queue needs no unlink. */
void
tftp_xfer_release(struct tftp_engine *e, uint32_t i)
{
	struct tftp_xfer *x = &e->x[i];
	BS_ASSERT_HOT(x->state == TFTP_XS_OACK || x->state == TFTP_XS_DATA);
	BS_ASSERT_HOT(e->n_active > 0);
	xtab_del(e, i);
	if (x->unverified) {
		uv_unlink(e, i);
		client_unv_dec(e, x->cip);
	}
	client_dec(e, x->cip);
	tftp_wheel_del(&e->wheel, e->tw, i);
	tftp_file_put(e->cache, x->file);
	x->file = x->src = NULL;
	x->sums = NULL;
	e->n_active--;
	if (x->in_ready) {
		x->state = TFTP_XS_ZOMBIE;
	} else {
		x->state = TFTP_XS_FREE;
		e->free_stk[e->n_free++] = i;
	}
}
