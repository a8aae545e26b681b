/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The campaign routes of the API (admin only, the rule of issue 15):
 *   GET  /api/campaigns                      list (no nodes)
 *   GET  /api/campaigns/<id>                 one, with every node; a failed
 *                                            node carries its console tail
 *   POST /api/campaigns?nodes=SET[&profile=P][&power=0|1][&max_in_flight=N]
 *        [&rate=R][&dhcp_deadline=S][&install_deadline=S][&max_repower=K]
 *                                            create (defaults: power: section)
 *   POST /api/campaigns/<id>/cancel | /retry-failed
 * Console contract: <state_dir>/console/<node>.log, plain text, written by
 * the console capture; read here only (its last CONSOLE_LINES lines).
 */
#ifndef BS_CONTROL_API_CAMP_H
#define BS_CONTROL_API_CAMP_H

#include <stdbool.h>

#include "control/daemon/api.h"

#define CONSOLE_LINES 20

/* path is after "/api/".  false when it is not a campaign route. */
bool api_camp(struct ctl *c, const char *method, const char *path, const struct api_caller *who,
	      struct api_resp *r);

/* The last max lines of <state_dir>/console/<node>.log as a JSON array of
 * sanitised strings (empty when there is no such file). */
json_t *api_console_tail(const char *state_dir, const char *node, unsigned max);

#endif
