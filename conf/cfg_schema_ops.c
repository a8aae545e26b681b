/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The schema of the operations sections (power:, discovery:, fleet:): how
 * control reaches BMCs, enrolls unknown machines and joins a fleet.  Apart
 * from conf/cfg_schema.c (the boot service's sections) only to keep each
 * file readable; same table form, same rules for adding a key.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cfg_walk.h"

/* power.verify: the probe a campaign runs after a node's done (the daemon's
 * control/daemon/camp_verify.c runs it). */
static void
fn_power_verify(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	char *end;
	unsigned long port;
	if (!cfg_want_scalar(l, "power", "verify", v))
		return;
	if (!strncmp(v->s, "tcp:", 4)) {
		errno = 0;
		port = strtoul(v->s + 4, &end, 10);
		if (errno || end == v->s + 4 || *end || port < 1 || port > 65535) {
			ld_err(l, v, "power.verify: '%s': tcp:PORT wants a port 1-65535", v->s);
			return;
		}
	} else if ((strncmp(v->s, "http://", 7) && strncmp(v->s, "https://", 8)) ||
		   strlen(v->s) >= 200) {
		ld_err(l, v, "power.verify: '%s': want tcp:PORT or http://{ip}[:PORT]/path (under 200 characters)",
		       v->s);
		return;
	}
	free(c->power_verify);
	c->power_verify = strdup(v->s);
}

static const struct kdef power_keys[] = {
	K("credentials_file", KT_PATH, struct cfg, power_cred_file, 0, 0),
	K("max_in_flight", KT_U32, struct cfg, power_max_in_flight, 1, 100000),
	K("power_on_rate", KT_U32, struct cfg, power_on_rate, 1, 10000),
	K("timeout", KT_DUR_MS, struct cfg, power_timeout_ms, 100, 600000),
	K("retries", KT_U32, struct cfg, power_retries, 0, 10),
	K("ipmi_cipher_suite", KT_U32, struct cfg, power_ipmi_cipher, 0, 17),
	K("redfish_ca_file", KT_PATH, struct cfg, power_redfish_ca, 0, 0),
	K("dhcp_deadline", KT_DUR_MS, struct cfg, power_dhcp_deadline_ms, 1000, 86400000),
	K("max_repower", KT_U32, struct cfg, power_max_repower, 0, 100),
	K("install_deadline", KT_DUR_MS, struct cfg, power_install_deadline_ms, 1000, 604800000),
	K("console_capture", KT_BOOL, struct cfg, power_console_capture, 0, 0),
	KF("verify", fn_power_verify),
	K("verify_deadline", KT_DUR_MS, struct cfg, power_verify_deadline_ms, 1000, 86400000),
};

static void
fn_enrolled(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (!cfg_want_scalar(l, "discovery", "enrolled", v))
		return;
	free(c->disc_enrolled);
	c->disc_enrolled = cfg_abs_path(l->c, v->s);
	if (c->disc_enrolled)
		inv_enrolled(l, v);
}

static const struct kdef discovery_keys[] = {
	K("max_clients", KT_U32, struct cfg, disc_max, 16, 1u << 20),
	KF("enrolled", fn_enrolled),
};

/* fleet: the database is a conninfo or a root-only file holding one; a
 * password written into the YAML would be readable by whoever reads it. */
static bool
conninfo_has_password(const char *s)
{
	const char *uri = strstr(s, "://");
	const char *at = uri ? strchr(uri + 3, '@') : NULL;
	const char *colon = uri ? strchr(uri + 3, ':') : NULL;

	/* "password=..." keyword, or postgresql://user:secret@host */
	return strstr(s, "password") || (at && colon && colon < at);
}

static void
fn_fleet_db(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (!cfg_want_scalar(l, "fleet", "database", v))
		return;
	if (v->s[0] != '/' && conninfo_has_password(v->s))
		ld_err(l, v, "fleet.database: no password in the YAML: put the conninfo in a "
			     "root-only file and give its absolute path");
	else
		cfg_set_str(&c->fleet_database, v->s);
}

static void
fn_fleet_inventory(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	if (!cfg_want_scalar(l, "fleet", "inventory", v))
		return;
	free(c->fleet_inventory);
	c->fleet_inventory = cfg_abs_path(l->c, v->s);
	if (c->fleet_inventory)
		inv_csv_optional(l, v, c->fleet_inventory, "fleet.inventory");
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* fleet.peers: server names (a list, or one), kept sorted so every server
 * of the segment numbers them alike whatever order its YAML lists them in. */
static void
fn_fleet_peers(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	const struct ynode *const *items;
	size_t n = ynode_items(&v, &items);

	if (n > CFG_MAX_PEERS) {
		ld_err(l, v, "fleet.peers: at most %u servers, got %zu", CFG_MAX_PEERS, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (items[i]->type != Y_SCALAR || !items[i]->s[0]) {
			ld_err(l, items[i], "fleet.peers: want a server name");
			return;
		}
		for (uint32_t k = 0; k < c->n_fleet_peers; k++)
			if (strcmp(c->fleet_peers[k], items[i]->s) == 0) {
				ld_err(l, items[i], "fleet.peers: '%s' listed twice", items[i]->s);
				return;
			}
		if (!(c->fleet_peers[c->n_fleet_peers] = strdup(items[i]->s)))
			return;
		c->n_fleet_peers++;
	}
	qsort(c->fleet_peers, c->n_fleet_peers, sizeof(c->fleet_peers[0]), cmp_str);
}

static const struct kdef fleet_keys[] = {
	K("enabled", KT_BOOL, struct cfg, fleet_enabled, 0, 0),
	KF("database", fn_fleet_db),
	K("server_name", KT_STR, struct cfg, fleet_server_name, 0, 0),
	K("ship_interval", KT_DUR_MS, struct cfg, fleet_ship_ms, 10, 600000),
	K("batch", KT_U32, struct cfg, fleet_batch, 1, 100000),
	K("heartbeat_deadline", KT_DUR_S, struct cfg, fleet_deadline_s, 2, 86400),
	K("follow", KT_BOOL, struct cfg, fleet_follow, 0, 0),
	KF("inventory", fn_fleet_inventory),
	KF("peers", fn_fleet_peers),
	K("live_interval", KT_DUR_MS, struct cfg, fleet_live_ms, 100, 60000),
	/* secs is 16 bits (RFC 2131 section 2) */
	K("lb_secs_override", KT_DUR_S, struct cfg, fleet_lb_secs, 0, 65535),
};

/* ------------------------------------------------------------------ */
/* Section walkers, called from cfg_schema.c's top-level table */

void
cfg_sec_power(struct ld *l, const struct ynode *v, void *obj)
{
	WALK(l, v, obj, power_keys, "power");
}

void
cfg_sec_discovery(struct ld *l, const struct ynode *v, void *obj)
{
	WALK(l, v, obj, discovery_keys, "discovery");
}

void
cfg_sec_fleet(struct ld *l, const struct ynode *v, void *obj)
{
	struct cfg *c = obj;
	WALK(l, v, obj, fleet_keys, "fleet");
	if (c->fleet_enabled && !c->fleet_database)
		ld_err(l, v, "fleet.enabled: needs fleet.database");
	if ((c->fleet_follow || c->fleet_inventory) && !c->fleet_enabled)
		ld_err(l, v, "fleet.follow/fleet.inventory: need fleet.enabled");
	if (c->fleet_inventory && !c->fleet_follow)
		ld_err(l, v, "fleet.inventory: needs fleet.follow (control keeps it from the database)");
	/* this server's own name must be among its peers (server: is walked
	 * first when the YAML lists it first, as the examples do) */
	const char *self = c->fleet_server_name ? c->fleet_server_name : c->name;
	if (c->n_fleet_peers && self &&
	    !bsearch(&self, c->fleet_peers, c->n_fleet_peers, sizeof(char *), cmp_str))
		ld_err(l, ygetkey(v, "peers"), "fleet.peers: does not list this server ('%s')", self);
}
