/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The daemon's console captures (control/power/sol.h) by node name, and
 * the API route that serves them:
 *
 *   GET /api/nodes/<node>/console   admin only (issue 15: a console may show
 *                                   secrets); the node's captured console
 *                                   (text/plain, at most the log bound),
 *                                   404 when nothing was captured yet
 *
 * For the campaign driver: console_start(c, node, SOL_OWN_CAMPAIGN) when a
 * node of a campaign is powered, console_stop(c, node, SOL_OWN_CAMPAIGN)
 * when it is done or failed; the log stays for the failure report
 * (sol_log_read(c->cfg->state_dir, node, ...) for its last lines).
 * power.console_capture: console_tick (once a second from the main loop)
 * holds a capture (SOL_OWN_AUTO) for each node with an ipmi:// BMC while
 * its boot state is install or installing.
 */
#ifndef BS_CONTROL_API_CONSOLE_H
#define BS_CONTROL_API_CONSOLE_H

#include <stdbool.h>

#include "control/daemon/api.h"
#include "control/daemon/ctl.h"

/* Starts the capture supervisor with the config's options.  0 or -errno. */
int console_init(struct ctl *c);
/* owner (SOL_OWN_*) holds node's capture: the BMC from the inventory, the
 * credentials from power.credentials_file.  0 or -errno: -ENOENT not in the
 * inventory, -ENODEV no bmc, -ENOKEY no credentials for its BMC host,
 * -EPROTONOSUPPORT a Redfish BMC (no SOL here), else as sol_start. */
int console_start(struct ctl *c, const char *node, unsigned owner);
/* The same, for a caller that already holds cfg_lock (read). */
int console_start_held(struct ctl *c, const char *node, unsigned owner);
int console_stop(struct ctl *c, const char *node, unsigned owner);
/* Stops every capture (at daemon exit). */
void console_stop_all(struct ctl *c);
/* power.console_capture: capture nodes in install/installing only. */
void console_tick(struct ctl *c);

/* Answers /api/nodes/<node>/console (rest = "<node>/console"); false when
 * rest is another path. */
bool api_console(struct ctl *c, const char *method, const char *rest, const struct api_caller *who,
		 struct api_resp *r);

#endif
