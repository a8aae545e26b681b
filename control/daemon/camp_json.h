/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A campaign as JSON: id, profile, created_ms, power, the pacing and
 * deadline parameters, nodes_total, in_flight, power_ons, finished, the
 * count per stage ("stages"), and with_nodes: each node's name, stage,
 * attempts, since_ms, step (last install step seen) and reason.
 */
#ifndef BS_CONTROL_CAMP_JSON_H
#define BS_CONTROL_CAMP_JSON_H

#include <jansson.h>
#include <stdbool.h>

#include "control/campaign/campaign.h"

json_t *camp_json(const struct campaign *cp, bool with_nodes);

#endif
