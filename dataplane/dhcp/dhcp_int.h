/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Engine internals shared by the dhcp_*.c files (not a public interface).
 */
#ifndef BS_DHCP_INT_H
#define BS_DHCP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "shm/snap_read.h"
#include "dataplane/dhcp/dhcp.h"
#include "dataplane/dhcp/dhcp_msg.h"

#define DHCP_MAX_SUBNETS 4096	/* per-subnet dynamic counts kept */
#define DHCP_MAX_POOLS	 4096	/* per-pool allocation cursors kept */
#define DHCP_CID_SLOTS	 16384	/* client-id index (power of 2); at most half used */
#define DHCP_CID_MAX	 64	/* bytes of a client id we match on */
#define DHCP_TICK_BATCH	 8192	/* lease slots visited per dhcp_tick() */
#define DHCP_SCAN_MAX	 65536	/* addresses tried per allocation */

/* What the client is, from options 60, 77, 93, 175 (dhcp_pxe.c). */
struct dhcp_class {
	bool pxe;		/* option 60 starts "PXEClient" */
	bool http;		/* option 60 starts "HTTPClient" (UEFI HTTP boot) */
	bool ipxe;		/* option 77 "iPXE" or option 175 present */
	bool has_arch;
	uint16_t arch_raw;	/* first option 93 value */
	enum snap_arch arch;	/* boot file column */
};

/* Boot information chosen for a client (dhcp_pxe.c). */
struct dhcp_boot {
	const char *file;	/* "" = none */
	uint32_t next_server;	/* siaddr */
	char server_str[16];	/* dotted quad of next_server, for 66 / sname */
};

struct dhcp_engine {
	struct dhcp_env env;
	uint64_t gen;			/* snapshot base_gen the derived state is for */
	uint32_t dyn_total;		/* dynamic leases OFFERED or BOUND */
	uint32_t dyn_sub[DHCP_MAX_SUBNETS];
	/* Of those counted, quarantined (DECLINED) per subnet: a reuse scan
	 * runs only where there is one to find. */
	uint32_t declined_sub[DHCP_MAX_SUBNETS];
	uint32_t pool_cursor[DHCP_MAX_POOLS];
	uint32_t tick_cursor;
	uint32_t cid_idx[DHCP_CID_SLOTS]; /* node index or SNAP_NONE */
	struct dhcp_msg msg;		/* the message being handled */
	struct dhcp_opts opts;		/* its reassembled options */
};

/* One request in flight. */
struct dhcp_ctx {
	struct dhcp_engine *e;
	const struct snap_hdr *snap;
	const struct dhcp_rx *rx;
	struct dhcp_tx *tx;
	const struct dhcp_msg *m;
	struct dhcp_class cls;
	const struct snap_node *node;	/* inventory match, NULL = unknown */
	uint32_t sub_idx;		/* SNAP_NONE = no subnet */
	const struct snap_subnet *sub;
	/* Node boot state says: no boot info in the answer (no file, no
	 * next-server, no PXE/HTTP class echo); the counter saying why, 0 =
	 * boot info as configured.  dhcp_boot_withheld(). */
	enum bs_ctr withheld;
	/* A DISCOVER outside our RFC 3074 buckets let through by the secs
	 * override (dhcp_lb_check): its address comes from our own pool slice
	 * only, never from a remembered lease in a peer's slice. */
	bool lb_override;
};

/* dhcp_pxe.c */
void dhcp_classify(const struct dhcp_msg *m, struct dhcp_class *cls);
bool dhcp_boot_select(const struct dhcp_ctx *c, struct dhcp_boot *b);
enum bs_ctr dhcp_boot_withheld(const struct dhcp_ctx *c);
void dhcp_emit_boot(const struct dhcp_ctx *c, uint8_t stage, uint32_t ip, const char *file);

/* dhcp_disc.c: env.on_unknown for a client without an inventory match */
void dhcp_disc_emit(const struct dhcp_ctx *c);

/* dhcp_lease.c */
void dhcp_lease_sync(struct dhcp_engine *e, const struct snap_hdr *snap);
const struct snap_node *dhcp_find_node(struct dhcp_engine *e, const struct snap_hdr *snap,
				       const struct dhcp_msg *m);
bool dhcp_lease_counted(const struct snap_hdr *snap, const struct lease *l);
bool dhcp_ip_in_pools(const struct snap_hdr *snap, uint32_t sub_idx, uint32_t ip);
int dhcp_lease_pick(struct dhcp_ctx *c, uint64_t now, uint32_t *ip);
int dhcp_lease_offer(struct dhcp_ctx *c, uint32_t ip, uint64_t now);
void dhcp_lease_unoffer(struct dhcp_ctx *c, uint64_t now);
int dhcp_lease_commit(struct dhcp_ctx *c, uint32_t ip, uint32_t lease_s, uint64_t now,
		      uint64_t *wait_seq);
int dhcp_lease_event(struct dhcp_ctx *c, struct lease *l, uint8_t kind, uint8_t state,
		     uint64_t expires, uint64_t now);
void dhcp_lease_tick(struct dhcp_engine *e, const struct snap_hdr *snap, uint64_t now);

/* dhcp_lb.c: fleet load balancing (RFC 3074), see dhcp_lb.h */
int dhcp_lb_check(struct dhcp_ctx *c);
bool dhcp_lb_mine(const struct dhcp_ctx *c, uint32_t ip);
bool dhcp_lb_adopted_ip(const struct dhcp_ctx *c, uint32_t *ip);

/* dhcp_reply.c */
int dhcp_reply_build(struct dhcp_ctx *c, uint8_t type, uint32_t yiaddr, uint32_t lease_s,
		     const struct dhcp_boot *boot);

#endif
