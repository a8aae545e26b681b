/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The snapshot verifier the dataplane runs on every snapshot it is about to
 * trust (and control, before it publishes one): everything snap_read.h
 * trusts, checked once.  Reader side of shm/snap.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "shm/shm.h"
#include "shm/snap_read.h"
#include "shm/snap_verify.h"

/* ------------------------------------------------------------------ */
/* Verification: everything snap_read.h trusts, checked once. */

#define BAD(msg)                 \
	do {                     \
		if (why)         \
			*why = msg; \
		return -EINVAL;  \
	} while (0)

static bool
tab_ok(const struct snap_hdr *s, const struct snap_tab *t, size_t esz)
{
	/* 64-bit arithmetic: off + count * esz cannot wrap. */
	uint64_t end = (uint64_t)t->off + (uint64_t)t->count * esz;
	if (t->count == 0)
		return t->off <= s->size;
	return t->off >= sizeof(struct snap_hdr) && t->off % 4 == 0 && end <= s->size;
}

static uint32_t
snap_crc(const struct snap_hdr *s)
{
	const uint8_t *p = (const uint8_t *)s;
	const size_t at = offsetof(struct snap_hdr, crc);
	static const uint8_t zero[4];
	uLong crc = crc32(0L, p, (uInt)at);
	crc = crc32(crc, zero, 4);
	return (uint32_t)crc32(crc, p + at + 4, (uInt)(s->size - at - 4));
}

static bool
str_ok(const struct snap_hdr *s, uint32_t off)
{
	return off < s->strings.count;
}

static bool
index_ok(const struct snap_hdr *s, const struct snap_tab *t)
{
	if (t->count & (t->count - 1))
		return false; /* lookups mask with count - 1 */
	const uint32_t *idx = snap_at(s, t->off);
	for (uint32_t i = 0; i < t->count; i++)
		if (idx[i] != SNAP_NONE && idx[i] >= s->nodes.count)
			return false;
	return true;
}

static const char *
verify_tables(const struct snap_hdr *s)
{
	for (uint32_t i = 0; i < s->subnets.count; i++) {
		const struct snap_subnet *sn = snap_subnet(s, i);
		if (sn->n_dns > 4 || !str_ok(s, sn->domain) ||
		    (uint64_t)sn->first_pool + sn->n_pools > s->pools.count)
			return "subnet entry out of bounds";
	}
	for (uint32_t i = 0; i < s->pools.count; i++) {
		const struct snap_pool *p = snap_pool(s, i);
		if (p->subnet >= s->subnets.count || p->lo > p->hi)
			return "pool entry out of bounds";
	}
	for (uint32_t i = 0; i < s->profiles.count; i++) {
		const struct snap_profile *p = snap_profile(s, i);
		bool ok = str_ok(s, p->name) && str_ok(s, p->ipxe_url) && str_ok(s, p->kernel) &&
			  str_ok(s, p->initrd) && str_ok(s, p->append);
		for (unsigned a = 0; a < SNAP_ARCH_MAX; a++)
			ok = ok && str_ok(s, p->boot_file[a]);
		if (!ok)
			return "profile string out of bounds";
		if (p->local_boot >= SNAP_LOCAL_MAX)
			return "bad profile local_boot";
	}
	for (uint32_t i = 0; i < s->nodes.count; i++) {
		const struct snap_node *n = snap_node(s, i);
		if (!str_ok(s, n->name) || !str_ok(s, n->boot_file) || !str_ok(s, n->ipxe_url) ||
		    !str_ok(s, n->client_id))
			return "node string out of bounds";
		if ((n->profile != SNAP_NONE && n->profile >= s->profiles.count) ||
		    (n->subnet != SNAP_NONE && n->subnet >= s->subnets.count) || n->has_ip > 1)
			return "node reference out of bounds";
		if (n->boot >= SNAP_BOOT_MAX)
			return "bad node boot state";
	}
	if (s->lb_slices > 1 && s->lb_slice >= s->lb_slices)
		return "lb_slice out of range";
	/* dhcp_lb_adopted() binary-searches the table */
	for (uint32_t i = 1; i < s->adopted.count; i++) {
		const struct snap_lease *a = snap_at(s, s->adopted.off);
		if (memcmp(a[i - 1].mac, a[i].mac, 6) >= 0)
			return "adopted leases not sorted by MAC";
	}
	if (!index_ok(s, &s->mac_index))
		return "bad mac_index";
	if (!index_ok(s, &s->ip_index))
		return "bad ip_index";
	return NULL;
}

int
snap_verify(const struct snap_hdr *s, size_t bytes, const char **why)
{
	if (!s || bytes < sizeof(*s))
		BAD("shorter than a snapshot header");
	if ((uintptr_t)s % 8)
		BAD("misaligned snapshot");
	if (s->magic != SNAP_MAGIC)
		BAD("bad magic");
	if (s->abi != SHM_ABI)
		BAD("ABI mismatch");
	if (s->size < sizeof(*s) || s->size > bytes)
		BAD("bad size");
	if (s->gen == 0)
		BAD("generation 0");
	if (s->base_gen > s->gen)
		BAD("base generation after generation");
	if (snap_crc(s) != s->crc)
		BAD("crc mismatch");
	if (!tab_ok(s, &s->subnets, sizeof(struct snap_subnet)) ||
	    !tab_ok(s, &s->pools, sizeof(struct snap_pool)) ||
	    !tab_ok(s, &s->profiles, sizeof(struct snap_profile)) ||
	    !tab_ok(s, &s->nodes, sizeof(struct snap_node)) ||
	    !tab_ok(s, &s->mac_index, sizeof(uint32_t)) ||
	    !tab_ok(s, &s->ip_index, sizeof(uint32_t)) || !tab_ok(s, &s->strings, 1) ||
	    !tab_ok(s, &s->adopted, sizeof(struct snap_lease)))
		BAD("table out of bounds");
	/* Blob starts with "" and ends with NUL: every offset inside it is a
	 * terminated string. */
	const char *blob = snap_at(s, s->strings.off);
	if (s->strings.count == 0 || blob[0] != 0 || blob[s->strings.count - 1] != 0)
		BAD("string blob not NUL-terminated");
	if (!str_ok(s, s->server_name) || !str_ok(s, s->tftp_root) ||
	    !str_ok(s, s->tftp_gen_root) || !str_ok(s, s->http_base_url))
		BAD("header string out of bounds");
	if (s->unknown_policy >= SNAP_UNKNOWN_MAX)
		BAD("bad unknown_policy");
	if (s->default_profile != SNAP_NONE && s->default_profile >= s->profiles.count)
		BAD("bad default_profile");
	const char *w = verify_tables(s);
	if (w)
		BAD(w);
	return 0;
}
