/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The sorted indexes behind cfg_node_by_name/ip/mac (binary search,
 * O(log n), built once at load) and the profile/boot-file lookups control
 * asks of a loaded config.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cfg_priv.h"
#include "util/bs_assert.h"

/* ------------------------------------------------------------------ */
/* Indexes: sorted arrays of node indexes, ties broken by index so the
 * first occurrence of a duplicate sorts first (cfg_validate relies on it). */

static int
cmp_name(const void *a, const void *b, void *arg)
{
	const struct cfg *c = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = strcmp(c->nodes[x].name, c->nodes[y].name);
	return r ? r : (x > y) - (x < y);
}

static int
cmp_mac(const void *a, const void *b, void *arg)
{
	const struct cfg *c = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = memcmp(c->nodes[x].mac, c->nodes[y].mac, 6);
	return r ? r : (x > y) - (x < y);
}

static int
cmp_ip(const void *a, const void *b, void *arg)
{
	const struct cfg *c = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	uint32_t p = c->nodes[x].ip, q = c->nodes[y].ip;
	if (p != q)
		return p < q ? -1 : 1;
	return (x > y) - (x < y);
}

int
cfg_build_indexes(struct cfg *c)
{
	size_t n = c->n_nodes ? c->n_nodes : 1;
	c->by_name = malloc(n * sizeof(uint32_t));
	c->by_mac = malloc(n * sizeof(uint32_t));
	c->by_ip = malloc(n * sizeof(uint32_t));
	if (!c->by_name || !c->by_mac || !c->by_ip)
		return -ENOMEM;
	c->n_by_ip = 0;
	for (uint32_t i = 0; i < c->n_nodes; i++) {
		c->by_name[i] = c->by_mac[i] = i;
		if (c->nodes[i].has_ip)
			c->by_ip[c->n_by_ip++] = i;
	}
	qsort_r(c->by_name, c->n_nodes, sizeof(uint32_t), cmp_name, c);
	qsort_r(c->by_mac, c->n_nodes, sizeof(uint32_t), cmp_mac, c);
	qsort_r(c->by_ip, c->n_by_ip, sizeof(uint32_t), cmp_ip, c);
	BS_ASSERT(c->n_by_ip <= c->n_nodes);
	return 0;
}

/* Lower bound over an index with a three-way key comparison. */
#define LOWER_BOUND(idx, n, CMP)                  \
	({                                        \
		size_t lo_ = 0, hi_ = (n);        \
		while (lo_ < hi_) {               \
			size_t mid_ = (lo_ + hi_) / 2; \
			uint32_t k_ = (idx)[mid_];   \
			if ((CMP) < 0)            \
				lo_ = mid_ + 1;   \
			else                      \
				hi_ = mid_;       \
		}                                 \
		lo_;                              \
	})

const struct cfg_node *
cfg_node_by_name(const struct cfg *c, const char *name)
{
	if (!c || !name || !c->by_name)
		return NULL;
	size_t i = LOWER_BOUND(c->by_name, c->n_nodes, strcmp(c->nodes[k_].name, name));
	if (i < c->n_nodes && !strcmp(c->nodes[c->by_name[i]].name, name))
		return &c->nodes[c->by_name[i]];
	return NULL;
}

const struct cfg_node *
cfg_node_by_mac(const struct cfg *c, const uint8_t mac[6])
{
	if (!c || !mac || !c->by_mac)
		return NULL;
	size_t i = LOWER_BOUND(c->by_mac, c->n_nodes, memcmp(c->nodes[k_].mac, mac, 6));
	if (i < c->n_nodes && !memcmp(c->nodes[c->by_mac[i]].mac, mac, 6))
		return &c->nodes[c->by_mac[i]];
	return NULL;
}

const struct cfg_node *
cfg_node_by_ip(const struct cfg *c, uint32_t ip)
{
	if (!c || !c->by_ip)
		return NULL;
	size_t i = LOWER_BOUND(c->by_ip, c->n_by_ip,
			       c->nodes[k_].ip < ip ? -1 : (c->nodes[k_].ip > ip));
	if (i < c->n_by_ip && c->nodes[c->by_ip[i]].ip == ip)
		return &c->nodes[c->by_ip[i]];
	return NULL;
}

const struct cfg_profile *
cfg_profile_by_name(const struct cfg *c, const char *name)
{
	/* Profiles are few (tens): linear. */
	if (!c || !name)
		return NULL;
	for (size_t i = 0; i < c->n_profiles; i++)
		if (c->profiles[i].name && !strcmp(c->profiles[i].name, name))
			return &c->profiles[i];
	return NULL;
}

const struct cfg_profile *
cfg_node_profile(const struct cfg *c, const struct cfg_node *n)
{
	if (!c)
		return NULL;
	if (n && n->profile)
		return cfg_profile_by_name(c, n->profile);
	return c->default_profile ? cfg_profile_by_name(c, c->default_profile) : NULL;
}

const char *
cfg_node_boot_file(const struct cfg *c, const struct cfg_node *n, unsigned arch)
{
	if (!c || arch >= SNAP_ARCH_MAX)
		return NULL;
	if (n && n->boot_file)
		return n->boot_file;
	const struct cfg_profile *p = cfg_node_profile(c, n);
	if (p && p->boot_file[arch])
		return p->boot_file[arch];
	return c->boot_file[arch];
}
