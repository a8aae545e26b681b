/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Intrusive hashed timer wheel for transfer timeouts.  rte_timer is not an
 * option: the engine is EAL-free so that cmocka and libFuzzer run it.
 *
 * A transfer is linked into slot (deadline >> TW_SHIFT) & mask.  The ACK
 * path never touches the wheel: it only moves the transfer's deadline later;
 * when the slot comes round, an entry that is not due yet is re-linked at
 * its current deadline (lazy re-arming).  So the wheel costs O(1) per
 * timeout event, not per packet.
 */
#include "dataplane/tftp/tftp_int.h"

void
tftp_wheel_init(struct tftp_wheel *w)
{
	for (unsigned i = 0; i < TW_SLOTS; i++)
		w->head[i] = TW_NONE;
	w->tick = 0;
	w->started = false;
}

void
tftp_wheel_add(struct tftp_wheel *w, struct tftp_tw_link *l, uint32_t i, uint64_t deadline_ns)
{
	uint64_t t = deadline_ns >> TW_SHIFT;
	/* Never link behind the cursor: a slot already passed would wait a
	 * whole turn. */
	if (w->started && t < w->tick)
		t = w->tick;
	uint16_t s = (uint16_t)(t & (TW_SLOTS - 1));
	l[i].slot = s;
	l[i].prev = TW_NONE;
	l[i].next = w->head[s];
	if (w->head[s] != TW_NONE)
		l[w->head[s]].prev = i;
	w->head[s] = i;
	l[i].linked = true;
}

void
tftp_wheel_del(struct tftp_wheel *w, struct tftp_tw_link *l, uint32_t i)
{
	if (!l[i].linked)
		return;
	if (l[i].prev != TW_NONE)
		l[l[i].prev].next = l[i].next;
	else
		w->head[l[i].slot] = l[i].next;
	if (l[i].next != TW_NONE)
		l[l[i].next].prev = l[i].prev;
	l[i].linked = false;
}

void
tftp_wheel_advance(struct tftp_wheel *w, struct tftp_tw_link *l, uint64_t now_ns,
		   void (*fire)(void *ctx, uint32_t i), void *ctx)
{
	uint64_t now_t = now_ns >> TW_SHIFT;
	if (!w->started) {
		w->started = true;
		w->tick = now_t;
	}
	if (now_t < w->tick)
		return;
	/* After a long gap every slot is visited once, not once per tick. */
	uint64_t from = w->tick;
	if (now_t - from >= TW_SLOTS)
		from = now_t - TW_SLOTS + 1;
	w->tick = now_t + 1;
	for (uint64_t t = from; t <= now_t; t++) {
		uint16_t s = (uint16_t)(t & (TW_SLOTS - 1));
		uint32_t i = w->head[s];
		w->head[s] = TW_NONE;
		while (i != TW_NONE) {
			uint32_t nx = l[i].next;
			l[i].linked = false;
			fire(ctx, i);
			i = nx;
		}
	}
}
