/* SPDX-License-Identifier: BSD-3-Clause
 *
 * fleet.h in a build without libpq: single-server mode is unchanged, and
 * asking for fleet mode says why it cannot be had.
 */
#include "control/fleet/fleet.h"
#include "control/fleet/fleet_camp.h"

#include <errno.h>

#include "control/daemon/ctl.h"
#include "control/exit.h"
#include "control/log.h"

#define NO_LIBPQ "this bootstorm was built without libpq (install libpq-dev, rebuild)"

int
fleet_start(struct ctl *c)
{
	if (!c->cfg->fleet_enabled)
		return 0;
	LOG_ERR("fleet", "fleet.enabled: %s", NO_LIBPQ);
	return -ENOTSUP;
}

void
fleet_stop(struct ctl *c)
{
	(void)c;
}

void
fleet_status_json(struct ctl *c, json_t *status)
{
	json_t *o = json_object();

	(void)c;
	json_object_set_new(o, "enabled", json_false());
	json_object_set_new(o, "built", json_false());
	json_object_set_new(status, "fleet", o);
}

size_t
fleet_metrics(struct ctl *c, char *buf, size_t cap)
{
	(void)c;
	if (cap)
		buf[0] = '\0';
	return 0;
}

json_t *
fleet_api_view(struct ctl *c, const char **err)
{
	(void)c;
	*err = NO_LIBPQ;
	return NULL;
}

const char *
fleet_server_name(const struct cfg *cfg)
{
	return cfg->fleet_server_name && cfg->fleet_server_name[0] ? cfg->fleet_server_name
								     : cfg->name;
}

char *
fleet_conninfo(const struct cfg *cfg, char *err, size_t err_cap)
{
	(void)cfg;
	snprintf(err, err_cap, NO_LIBPQ);
	return NULL;
}

static int
no_libpq(void)
{
	fprintf(stderr, "bootstorm: %s\n", NO_LIBPQ);
	return EXIT_RUNTIME;
}

int
fleet_db_migrate(const struct cfg *cfg, FILE *out)
{
	(void)cfg, (void)out;
	return no_libpq();
}

int
fleet_db_status(const struct cfg *cfg, FILE *out)
{
	(void)cfg, (void)out;
	return no_libpq();
}

int
fleet_db_import(const struct cfg *cfg, FILE *out)
{
	(void)cfg, (void)out;
	return no_libpq();
}

int
fleet_view_print(const struct cfg *cfg, bool json, FILE *out)
{
	(void)cfg, (void)json, (void)out;
	return no_libpq();
}

int
fleet_db_set_state(const struct cfg *cfg, const char *expr, const char *state, const char *profile,
		   FILE *out)
{
	(void)cfg, (void)expr, (void)state, (void)profile, (void)out;
	return no_libpq();
}

int
fleet_camp_create(const struct cfg *cfg, const char *expr, const struct fleet_camp_row *row,
		  FILE *out)
{
	(void)cfg, (void)expr, (void)row, (void)out;
	return no_libpq();
}

int
fleet_camps_print(const struct cfg *cfg, bool json, FILE *out)
{
	(void)cfg, (void)json, (void)out;
	return no_libpq();
}

int
fleet_camp_print(const struct cfg *cfg, const char *name, bool json, FILE *out)
{
	(void)cfg, (void)name, (void)json, (void)out;
	return no_libpq();
}

int
fleet_camp_admin(const struct cfg *cfg, const char *name, const char *action, FILE *out)
{
	(void)cfg, (void)name, (void)action, (void)out;
	return no_libpq();
}

json_t *
fleet_api_campaign(struct ctl *c, const char *name, int *status, const char **err)
{
	(void)c, (void)name;
	*status = 503;
	*err = NO_LIBPQ;
	return NULL;
}

/* fleet_camp.h: no agent without libpq (fleet mode cannot start). */
int
fleet_camp_start(struct ctl *c)
{
	(void)c;
	return 0;
}

void
fleet_camp_stop(struct ctl *c)
{
	(void)c;
}

void
fleet_camp_status_json(struct ctl *c, json_t *status)
{
	(void)c, (void)status;
}

/* fleet.h, per node: the view needs the database. */
int
fleet_node_print(const struct cfg *cfg, const char *key, bool json, FILE *out)
{
	(void)cfg, (void)key, (void)json, (void)out;
	return no_libpq();
}

int
fleet_nodes_print(const struct cfg *cfg, const struct fleet_nodes_q *q, bool json, FILE *out)
{
	(void)cfg, (void)q, (void)json, (void)out;
	return no_libpq();
}

json_t *
fleet_api_node(struct ctl *c, const char *key, int *status, const char **err)
{
	(void)c, (void)key;
	*status = 503;
	*err = NO_LIBPQ;
	return NULL;
}

json_t *
fleet_api_nodes(struct ctl *c, const char *server, const char *state, const char *campaign,
		const char *limit, int *status, const char **err)
{
	(void)c, (void)server, (void)state, (void)campaign, (void)limit;
	*status = 503;
	*err = NO_LIBPQ;
	return NULL;
}
