/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Range entries: `range: node[001-100]` with the first node's MAC (and
 * optionally IP); node k gets MAC+k and IP+k.  The name syntax is
 * cfgp_node_range() in conf/cfg_parse.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "conf/cfg_inv.h"

static void
mac_add(uint8_t mac[6], uint64_t k)
{
	uint64_t x = 0;
	for (int i = 0; i < 6; i++)
		x = x << 8 | mac[i];
	x += k;
	for (int i = 5; i >= 0; i--, x >>= 8)
		mac[i] = (uint8_t)x;
}

static uint64_t
mac_u64(const uint8_t mac[6])
{
	uint64_t x = 0;
	for (int i = 0; i < 6; i++)
		x = x << 8 | mac[i];
	return x;
}

void
inv_entry_range(struct ld *l, const struct ynode *m, const char *ctx)
{
	const struct ynode *vr = inv_yval(m, "range"), *vm = inv_yval(m, "mac"), *vi = inv_yval(m, "ip");
	struct cfgp_nrange r;
	uint8_t mac[6];
	uint32_t ip = 0;
	bool ok = true;

	if (!vr || cfgp_node_range(vr->s, &r) < 0) {
		ld_err(l, vr ? vr : m,
		       "%s.range: bad range '%s' (expected e.g. node[001-100])", ctx,
		       vr ? vr->s : "");
		ok = false;
	} else if (r.lo > r.hi) {
		ld_err(l, vr, "%s.range: '%s' is reversed", ctx, vr->s);
		ok = false;
	} else if (r.hi - r.lo >= CFG_MAX_NODES) {
		ld_err(l, vr, "%s.range: '%s' has more than %u nodes", ctx, vr->s,
		       CFG_MAX_NODES);
		ok = false;
	}
	if (!vm) {
		ld_err(l, m, "%s: 'mac' (the first node's MAC) is required", ctx);
		ok = false;
	} else if (cfgp_mac(vm->s, mac) < 0) {
		ld_err(l, vm, "%s.mac: bad MAC address '%s'", ctx, vm->s);
		ok = false;
	}
	if (vi && cfgp_ip(vi->s, &ip) < 0) {
		ld_err(l, vi, "%s.ip: bad IPv4 address '%s'", ctx, vi->s);
		ok = false;
	}
	if (!ok)
		return;
	uint64_t count = (uint64_t)r.hi - r.lo + 1;
	if (mac_u64(mac) + count - 1 > 0xffffffffffffull) {
		ld_err(l, vm, "%s.mac: %" PRIu64 " nodes from %s run past ff:ff:ff:ff:ff:ff",
		       ctx, count, vm->s);
		return;
	}
	if (vi && (uint64_t)ip + count - 1 > UINT32_MAX) {
		ld_err(l, vi, "%s.ip: %" PRIu64 " nodes from %s run past 255.255.255.255", ctx,
		       count, vi->s);
		return;
	}
	char name[160];
	snprintf(name, sizeof(name), "%s%0*u%s", r.prefix, (int)r.width, r.hi, r.suffix);
	if (!inv_name_ok(name)) {
		ld_err(l, vr, "%s.range: names like '%s' must be 1-63 of [A-Za-z0-9._-], "
			      "starting alphanumeric", ctx, name);
		return;
	}
	struct cfg_loc where = ld_loc(l, m);
	for (uint64_t k = 0; k < count; k++) {
		struct nloc *nl;
		struct cfg_node *n = inv_node_add(l, &where, &nl);
		if (!n)
			return;
		snprintf(name, sizeof(name), "%s%0*u%s", r.prefix, (int)r.width,
			 (unsigned)(r.lo + k), r.suffix);
		n->loc = where;
		n->loc.file = l->cfile;
		n->name = strdup(name);
		memcpy(n->mac, mac, 6);
		mac_add(n->mac, k);
		n->has_ip = vi != NULL;
		n->ip = ip + (uint32_t)k;
		nl->name = ld_loc(l, vr);
		nl->mac = ld_loc(l, vm);
		nl->ip = ld_loc(l, vi ? vi : m);
		nl->profile = ld_loc(l, m);
		nl->boot_file = nl->profile;
		/* Errors in shared fields are reported once, for the first. */
		size_t errs0 = l->errs->n;
		inv_entry_common(l, m, n, nl);
		if (l->errs->n != errs0)
			return;
	}
}
