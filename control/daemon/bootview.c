/* SPDX-License-Identifier: BSD-3-Clause */
#include "control/daemon/bootview.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/log.h"


#define KEY_EMPTY 0ull
#define KEY_MAC	  (1ull << 56)
#define KEY_IP	  (2ull << 56)

static uint64_t
mac_key(const uint8_t mac[6])
{
	uint64_t k = 0;

	for (int i = 0; i < 6; i++)
		k = k << 8 | mac[i];
	return KEY_MAC | k;
}

static bool
mac_zero(const uint8_t *mac)
{
	static const uint8_t z[6];

	return !mac || memcmp(mac, z, 6) == 0;
}

static uint32_t
key_hash(uint64_t k)
{
	k ^= k >> 30;
	k *= 0xbf58476d1ce4e5b9ull;
	k ^= k >> 27;
	k *= 0x94d049bb133111ebull;
	k ^= k >> 31;
	return (uint32_t)k;
}

int
bv_init(struct bootview *bv, uint32_t cap)
{
	uint32_t slots = 16;

	memset(bv, 0, sizeof(*bv));
	/* two keys (MAC, IP) per entry at load <= 1/2 */
	while (slots < cap * 4u && slots < (1u << 28))
		slots <<= 1;
	bv->v = calloc(cap, sizeof(*bv->v));
	bv->keys = calloc(slots, sizeof(*bv->keys));
	bv->vals = calloc(slots, sizeof(*bv->vals));
	if (!bv->v || !bv->keys || !bv->vals) {
		bv_free(bv);
		return -ENOMEM;
	}
	bv->cap = cap;
	bv->mask = slots - 1;
	pthread_mutex_init(&bv->mu, NULL);
	return 0;
}

void
bv_free(struct bootview *bv)
{
	free(bv->v);
	free(bv->keys);
	free(bv->vals);
	bv->v = NULL;
	bv->keys = NULL;
	bv->vals = NULL;
}

/* Slot of key, or UINT32_MAX.  Entries are never deleted, so there are no
 * tombstones: a key that changes target is overwritten in place. */
static uint32_t *
find_slot(struct bootview *bv, uint64_t k, bool insert)
{
	for (uint32_t h = key_hash(k) & bv->mask, i = 0; i <= bv->mask; i++, h = (h + 1) & bv->mask) {
		if (bv->keys[h] == k)
			return &bv->vals[h];
		if (bv->keys[h] == KEY_EMPTY) {
			if (!insert)
				return NULL;
			bv->keys[h] = k;
			return &bv->vals[h];
		}
	}
	return NULL;
}

static struct bv_node *
lookup(struct bootview *bv, uint64_t k)
{
	uint32_t *s = find_slot(bv, k, false);

	return s ? &bv->v[*s] : NULL;
}

static struct bv_node *
add(struct bootview *bv, const uint8_t *mac, uint32_t ip, uint64_t now_ms)
{
	struct bv_node *e;
	uint32_t *s;

	if (bv->n == bv->cap) {
		bv->dropped++;
		return NULL;
	}
	e = &bv->v[bv->n];
	memset(e, 0, sizeof(*e));
	e->arch = 0xff;
	e->first_seen_ms = e->last_seen_ms = e->stage_ms = now_ms;
	if (!mac_zero(mac)) {
		memcpy(e->mac, mac, 6);
		s = find_slot(bv, mac_key(mac), true);
		if (!s)
			return NULL;
		*s = bv->n;
	}
	if (ip) {
		e->ip = ip;
		s = find_slot(bv, KEY_IP | ip, true);
		if (s)
			*s = bv->n;
	}
	bv->n++;
	return e;
}

static void
set_ip(struct bootview *bv, struct bv_node *e, uint32_t ip)
{
	uint32_t *s;

	if (!ip || e->ip == ip)
		return;
	e->ip = ip;
	s = find_slot(bv, KEY_IP | ip, true);
	if (s)
		*s = (uint32_t)(e - bv->v);
}

/* Entry of (mac, ip): by MAC first (authoritative), then by IP. */
static struct bv_node *
get(struct bootview *bv, const uint8_t *mac, uint32_t ip, uint64_t now_ms, bool create)
{
	struct bv_node *e = NULL;

	if (!mac_zero(mac))
		e = lookup(bv, mac_key(mac));
	if (!e && ip) {
		e = lookup(bv, KEY_IP | ip);
		/* the IP moved to another MAC: do not merge two clients */
		if (e && !mac_zero(mac) && !mac_zero(e->mac) && memcmp(e->mac, mac, 6) != 0)
			e = NULL;
		if (e && mac_zero(e->mac) && !mac_zero(mac)) {
			uint32_t *s = find_slot(bv, mac_key(mac), true);

			memcpy(e->mac, mac, 6);
			if (s)
				*s = (uint32_t)(e - bv->v);
		}
	}
	if (!e && create)
		e = add(bv, mac, ip, now_ms);
	if (e) {
		set_ip(bv, e, ip);
		if (now_ms > e->last_seen_ms)
			e->last_seen_ms = now_ms;
	}
	return e;
}

static void
set_stage(struct bv_node *e, uint8_t stage, const char *file, uint64_t now_ms)
{
	if (stage != e->stage)
		e->stage_ms = now_ms;
	e->stage = stage;
	if (file) {
		char clean[sizeof(e->file)];

		/* The name is the client's (TFTP RRQ, URL path): stored with its
		 * control bytes and backslashes as \xNN, so no reader of the view
		 * (API, CLI, web page, logs) can be handed a terminal escape. */
		log_sanitize(clean, sizeof(clean), file);
		/* bytes/total describe e->file: a new file starts from nothing
		 * (a kickstart must not show the last initrd's 100 %). */
		if (strcmp(e->file, clean) != 0)
			e->bytes = e->total = 0;
		memcpy(e->file, clean, sizeof(e->file));
	}
}

void
bv_event(struct bootview *bv, const struct boot_event *ev)
{
	struct bv_node *e;
	char file[sizeof(ev->file) + 1];
	uint8_t mac[6] = { 0 };

	if (ev->stage >= BOOT_STAGE_MAX)
		return;
	memcpy(file, ev->file, sizeof(ev->file));
	file[sizeof(ev->file)] = '\0';
	pthread_mutex_lock(&bv->mu);
	bv->events++;
	e = get(bv, ev->mac, ev->ip, ev->ts_ms, true);
	if (e) {
		if (ev->arch != 0xff)
			e->arch = ev->arch;
		/* stage (and file) first: a new file resets bytes/total */
		set_stage(e, ev->stage, ev->file[0] ? file : NULL, ev->ts_ms);
		switch (ev->stage) {
		case BOOT_STAGE_TFTP_START:
			e->tftp_files++;
			/* fallthrough */
		case BOOT_STAGE_TFTP_PROGRESS:
		case BOOT_STAGE_TFTP_DONE:
			e->bytes = ev->bytes;
			e->total = ev->total;
			break;
		case BOOT_STAGE_TFTP_FAILED:
			e->tftp_failures++;
			break;
		default:
			break;
		}
		memcpy(mac, e->mac, 6);
	}
	pthread_mutex_unlock(&bv->mu);
	if (mac_zero(mac))
		memcpy(mac, ev->mac, 6); /* a view full: the event still counts */
	if (bv->hook && !mac_zero(mac))
		bv->hook(bv->hook_ctx, mac, ev->stage, ev->file[0] ? file : NULL);
}

void
bv_set_stage(struct bootview *bv, const uint8_t *mac, uint32_t ip, uint8_t stage,
	     const char *file, uint64_t now_ms)
{
	struct bv_node *e;
	uint8_t m[6] = { 0 };

	pthread_mutex_lock(&bv->mu);
	e = get(bv, mac, ip, now_ms, true);
	if (e) {
		memcpy(m, e->mac, 6);
		/* repo fetches after the kickstart do not hide INSTALLING; a
		 * finished node stays DONE/FAILED until it boots again */
		bool keep = stage == BOOT_STAGE_HTTP &&
			    (e->stage == BOOT_STAGE_INSTALLING || e->stage == BOOT_STAGE_DONE ||
			     e->stage == BOOT_STAGE_FAILED);

		/* both come from an HTTP fetch (a kickstart is INSTALLING) */
		if (stage == BOOT_STAGE_HTTP || stage == BOOT_STAGE_INSTALLING)
			e->http_files++;
		if (!keep)
			set_stage(e, stage, file, now_ms);
	}
	pthread_mutex_unlock(&bv->mu);
	if (bv->hook && !mac_zero(m))
		bv->hook(bv->hook_ctx, m, stage, file);
}

void
bv_bind(struct bootview *bv, const uint8_t mac[6], uint32_t ip, uint64_t now_ms, bool create)
{
	struct bv_node *e;

	if (mac_zero(mac))
		return;
	pthread_mutex_lock(&bv->mu);
	e = lookup(bv, mac_key(mac));
	if (!e && create)
		e = add(bv, mac, ip, now_ms);
	if (e)
		set_ip(bv, e, ip);
	pthread_mutex_unlock(&bv->mu);
}

bool
bv_get_mac(struct bootview *bv, const uint8_t mac[6], struct bv_node *out)
{
	struct bv_node *e;

	pthread_mutex_lock(&bv->mu);
	e = mac_zero(mac) ? NULL : lookup(bv, mac_key(mac));
	if (e)
		*out = *e;
	pthread_mutex_unlock(&bv->mu);
	return e != NULL;
}

bool
bv_get_ip(struct bootview *bv, uint32_t ip, struct bv_node *out)
{
	struct bv_node *e;

	pthread_mutex_lock(&bv->mu);
	e = ip ? lookup(bv, KEY_IP | ip) : NULL;
	if (e && e->ip != ip)
		e = NULL; /* stale index entry: that client moved */
	if (e)
		*out = *e;
	pthread_mutex_unlock(&bv->mu);
	return e != NULL;
}

struct bv_node *
bv_copy(struct bootview *bv, uint32_t *n)
{
	struct bv_node *c = NULL;

	pthread_mutex_lock(&bv->mu);
	*n = bv->n;
	if (bv->n) {
		c = malloc(bv->n * sizeof(*c));
		if (c)
			memcpy(c, bv->v, bv->n * sizeof(*c));
		else
			*n = 0;
	}
	pthread_mutex_unlock(&bv->mu);
	return c;
}

const char *
boot_stage_name(unsigned stage)
{
	static const char *const names[BOOT_STAGE_MAX] = {
		[BOOT_STAGE_NONE] = "none",
		[BOOT_STAGE_DHCP_DISCOVER] = "dhcp-discover",
		[BOOT_STAGE_DHCP_BOUND] = "dhcp-bound",
		[BOOT_STAGE_TFTP_START] = "tftp-start",
		[BOOT_STAGE_TFTP_PROGRESS] = "tftp",
		[BOOT_STAGE_TFTP_DONE] = "tftp-done",
		[BOOT_STAGE_TFTP_FAILED] = "tftp-failed",
		[BOOT_STAGE_HTTP] = "http",
		[BOOT_STAGE_INSTALLING] = "installing",
		[BOOT_STAGE_DONE] = "done",
		[BOOT_STAGE_FAILED] = "failed",
	};
	return stage < BOOT_STAGE_MAX ? names[stage] : "?";
}
