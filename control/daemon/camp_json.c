/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A campaign as the API shows it (control/daemon/camp_json.h).
 */
#include "control/daemon/camp_json.h"

json_t *
camp_json(const struct campaign *cp, bool with_nodes)
{
	json_t *o = json_object(), *st = json_object();

	json_object_set_new(o, "id", json_string(cp->id));
	json_object_set_new(o, "profile", cp->profile[0] ? json_string(cp->profile) : json_null());
	json_object_set_new(o, "created_ms", json_integer((json_int_t)cp->created_ms));
	json_object_set_new(o, "power", json_boolean(cp->p.power));
	json_object_set_new(o, "max_in_flight", json_integer(cp->p.max_in_flight));
	json_object_set_new(o, "power_on_rate", json_real(cp->p.power_on_rate));
	json_object_set_new(o, "dhcp_deadline_s", json_integer((json_int_t)(cp->p.dhcp_deadline_ms / 1000)));
	json_object_set_new(o, "install_deadline_s",
			    json_integer((json_int_t)(cp->p.install_deadline_ms / 1000)));
	json_object_set_new(o, "max_repower", json_integer(cp->p.max_repower));
	json_object_set_new(o, "nodes_total", json_integer(cp->n));
	json_object_set_new(o, "in_flight", json_integer(cp->in_flight));
	json_object_set_new(o, "power_ons", json_integer((json_int_t)cp->power_ons));
	json_object_set_new(o, "finished", json_boolean(camp_finished(cp)));
	for (unsigned s = 0; s < CS_MAX; s++)
		json_object_set_new(st, camp_stage_name((enum camp_stage)s), json_integer(cp->n_stage[s]));
	json_object_set_new(o, "stages", st);
	if (!with_nodes)
		return o;
	json_t *arr = json_array();

	for (uint32_t i = 0; i < cp->n; i++) {
		const struct camp_node *n = &cp->nodes[i];
		json_t *e = json_object();

		json_object_set_new(e, "name", json_string(n->name));
		json_object_set_new(e, "stage", json_string(camp_stage_name((enum camp_stage)n->stage)));
		json_object_set_new(e, "attempts", json_integer(n->attempts));
		json_object_set_new(e, "since_ms", json_integer((json_int_t)n->since_ms));
		json_object_set_new(e, "step", n->inst_stage[0] ? json_string(n->inst_stage) : json_null());
		json_object_set_new(e, "reason", n->reason[0] ? json_string(n->reason) : json_null());
		json_array_append_new(arr, e);
	}
	json_object_set_new(o, "nodes", arr);
	return o;
}
