/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Glue between the node boot state (nodestate.h) and the running control
 * process: the admin routes that change it, the installer's reports that
 * flip it, what the HTTP boot routes serve from it, and the regeneration
 * of every node's TFTP boot files after each change.
 *
 *   POST /api/nodes/<set>/reimage[?profile=P]   -> install (admin)
 *   POST /api/nodes/<set>/localboot             -> local   (admin)
 * <set>: node names, node[001-099] ranges, comma lists, or * for all.
 */
#ifndef BS_CONTROL_BOOTROUTES_H
#define BS_CONTROL_BOOTROUTES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "conf/cfg.h"
#include "control/daemon/api.h"
#include "control/daemon/ctl.h"

/* Handles the two admin routes above (path after "/api/").  Returns false
 * when the path is not one of them. */
bool bootroutes_api(struct ctl *c, const char *method, const char *path, uint32_t peer, bool admin,
		    const char *q_profile, struct api_resp *r);

/* The installer's report (caller holds cfg_lock for reading): done ->
 * local, failed -> failed with reason.  Regenerates the boot files. */
void bootroutes_report(struct ctl *c, const struct cfg_node *n, bool ok, const char *reason);

/* The node fetched its kickstart itself: install -> installing. */
void bootroutes_installing(struct ctl *c, const struct cfg_node *n);

/* The profile a node installs now (a reimage --profile, else the YAML). */
const struct cfg_profile *bootroutes_profile(struct ctl *c, const struct cfg *cfg,
					     const struct cfg_node *n);

/* The node's next netboot goes to its disk. */
bool bootroutes_is_local(struct ctl *c, const struct cfg *cfg, const struct cfg_node *n);

/* Adds boot, boot_profile, boot_reason, boot_since_ms, boot_source to a
 * node's JSON object. */
void bootroutes_node_json(struct ctl *c, const struct cfg *cfg, const struct cfg_node *n,
			  json_t *o);


#endif
