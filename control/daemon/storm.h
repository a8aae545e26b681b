/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The storm statistics, computed once on the server (GET /api/storm) and
 * shown as they are by `bootstorm summary`, `bootstorm watch` and the web
 * page.  The rules, in one place:
 *   seen        a node past stage "none" (it sent a DHCP message)
 *   booted      by the route the node took: "done" (the installer reported
 *               back), "installing" (its installer is running: it fetched
 *               its kickstart, whatever carried kernel and initrd),
 *               "tftp-done" or "http" (boot files served over TFTP or
 *               HTTP: a node without an installer stops there), or a node
 *               in local boot state that netbooted again (sent to its disk)
 *   failed      "failed" or "tftp-failed"
 *   unfinished  seen, neither booted nor failed
 *   route       per seen node, from what it fetched (storm_route_of):
 *               UEFI HTTP boot (option 93 arch 15/16/19), GRUB (TFTP, EFI
 *               arch), pxelinux/TFTP (TFTP, BIOS), iPXE/HTTP (HTTP only),
 *               or DHCP only
 *   per node    first sighting to the moment it entered its booted stage:
 *               p50 = t[(n-1)/2], p90 = t[(n-1)*0.9], max (sorted)
 *   elapsed     first sighting of any node to the last node booted
 *   clock       first sighting to now while a node is unfinished, else to
 *               the last node that booted or failed (the storm's clock)
 *
 * struct storm_nodes is the pure part (no locks, no clock): fed one node
 * at a time in the order of GET /api/nodes, so the unit tests drive it.
 */
#ifndef BS_CONTROL_STORM_H
#define BS_CONTROL_STORM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/daemon/ctl.h"

#define STORM_NAMES	8	/* names listed per class (done, failed, unfinished) */
#define STORM_NAME_LEN	64

struct storm_names {
	char v[STORM_NAMES][STORM_NAME_LEN];
	unsigned n;
};

/* The boot route a node took (storm.h top). */
enum storm_route {
	STORM_ROUTE_DHCP = 0,	/* nothing fetched (yet) */
	STORM_ROUTE_PXELINUX,	/* TFTP, BIOS: pxelinux and friends */
	STORM_ROUTE_GRUB,	/* TFTP, EFI: GRUB (shim) */
	STORM_ROUTE_IPXE_HTTP,	/* HTTP only: iPXE script, kernel, initrd */
	STORM_ROUTE_UEFI_HTTP,	/* UEFI HTTP boot (HTTPClient) */
	STORM_ROUTE_MAX
};

/* JSON/CLI names: "dhcp-only", "pxelinux", "grub", "ipxe-http", "uefi-http". */
extern const char *const storm_route_name[STORM_ROUTE_MAX];
/* arch: option 93 as the boot view keeps it (0xff unknown). */
enum storm_route storm_route_of(uint8_t arch, uint64_t tftp_files, uint64_t http_files);

/* One node as storm_nodes_add_node takes it. */
struct storm_node_in {
	const char *name;
	bool inventory;
	unsigned stage;		/* enum boot_stage */
	uint64_t first_seen_ms, stage_since_ms;
	uint8_t arch;		/* 0xff unknown */
	uint64_t tftp_files, http_files;
	bool local;		/* boot state local/hold: a netboot goes to its disk */
};

struct storm_nodes {
	uint64_t total, inventory, seen, unknown;
	uint64_t done, tftp_done, failed, unfinished;
	uint64_t installing, http_done, local;	/* booted, by the other routes */
	uint64_t routes[STORM_ROUTE_MAX];	/* seen nodes by route */
	uint64_t first_ms;		/* 0: no node seen */
	uint64_t last_booted_ms, last_final_ms;
	uint64_t *times;		/* per-node boot times (caller's array) */
	size_t nt, cap;
	uint64_t slowest_ms;
	char slowest[STORM_NAME_LEN];	/* valid when nt > 0 */
	struct storm_names done_names, failed_names, unfinished_names;
};

/* times: room for cap per-node times (one per node added). */
void storm_nodes_init(struct storm_nodes *s, uint64_t *times, size_t cap);
/* One node: name (its inventory name, else its MAC), whether it is in the
 * inventory, its stage (enum boot_stage) and boot view times. */
void storm_nodes_add(struct storm_nodes *s, const char *name, bool inventory, unsigned stage,
		     uint64_t first_seen_ms, uint64_t stage_since_ms);
/* The same with what the node fetched and its boot state (routes). */
void storm_nodes_add_node(struct storm_nodes *s, const struct storm_node_in *in);
/* Sorts the per-node times; call once after the last add. */
void storm_nodes_finish(struct storm_nodes *s);
/* The q-quantile of the per-node times (q in [0,1]); 0 without any. */
uint64_t storm_quantile(const struct storm_nodes *s, double q);
/* The storm's clock at now_ms (see above); 0 when no node was seen. */
uint64_t storm_clock_ms(const struct storm_nodes *s, uint64_t now_ms);

/* The whole storm object of GET /api/storm (NULL without memory). */
json_t *storm_json(struct ctl *c);

#endif
