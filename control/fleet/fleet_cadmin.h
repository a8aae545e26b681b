/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fleet-wide campaigns, the creator's pure parts (no libpq, no I/O): the
 * `bootstorm reimage --fleet` options turned into the values of one
 * `campaigns` row (every column explicit: the config's power: defaults,
 * overridden by the flags), campaign names, and the per-server count line
 * the commands print.  The database side is fleet_camp_db.c; unit-tested in
 * tests/unit/control/test_fleet_cadmin.c.
 */
#ifndef BS_CONTROL_FLEET_CADMIN_H
#define BS_CONTROL_FLEET_CADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/campaign/campaign.h"

/* The command's flags as typed (NULL: not given). */
struct fleet_camp_opts {
	const char *name;		/* --name; NULL: fleet-<id> */
	const char *profile;		/* --profile; NULL: each node's own */
	const char *rate;		/* --rate: fleet-wide power-ons per second */
	const char *max_in_flight;	/* --max-in-flight: fleet-wide */
	const char *server_rate;	/* --server-rate: cap of one server */
	const char *server_in_flight;	/* --server-in-flight: cap of one server */
	const char *dhcp_deadline;	/* --dhcp-deadline S */
	const char *install_deadline;	/* --install-deadline S */
	const char *max_repower;	/* --max-repower K */
	bool no_power;			/* --no-power */
};

/* Columns of the campaigns row, in the order of FLEET_CAMP_COLS, as the
 * text parameters of one INSERT (NULL = SQL NULL). */
enum fleet_camp_col {
	FCC_NAME = 0,		/* "" when the database names it fleet-<id> */
	FCC_PROFILE,
	FCC_POWER_ON_RATE,
	FCC_BURST,
	FCC_MAX_IN_FLIGHT,
	FCC_SERVER_RATE,
	FCC_SERVER_IN_FLIGHT,
	FCC_DHCP_DEADLINE_MS,
	FCC_MAX_REPOWER,
	FCC_INSTALL_DEADLINE_MS,
	FCC_VERIFY_DEADLINE_MS,
	FCC_POWER,
	FCC_MAX
};

#define FLEET_CAMP_COLS                                                                    \
	"name, profile, power_on_rate, burst, max_in_flight, server_rate, server_in_flight, " \
	"dhcp_deadline_ms, max_repower, install_deadline_ms, verify_deadline_ms, power"

struct fleet_camp_row {
	char buf[FCC_MAX][72];
	bool null[FCC_MAX];
	struct camp_params p;	/* what the row says, as numbers */
	bool power;
};

/* Fills row from the defaults def (camps_default_params() of the config)
 * and the flags o.  0, or -EINVAL with the reason in err (the flag named,
 * its range).  Ranges as the local campaign API's: rate 0.001-10000/s,
 * in-flight 1-100000, dhcp deadline 1-86400 s, install 1-604800 s,
 * max-repower 0-100. */
int fleet_camp_row_fill(const struct camp_params *def, const struct fleet_camp_opts *o,
			struct fleet_camp_row *row, char *err, size_t err_cap);
struct cfg;
/* Everything `reimage --fleet` can check before the database: the node
 * set expr ("*" or names/ranges), the flags over cfg's power: defaults
 * (camps_default_params) into row, the profile among cfg's profiles
 * (profiles are each server's YAML: this config's are the ones known).
 * 0, or -EINVAL with the reason in err. */
int fleet_camp_prepare(const struct cfg *cfg, const char *expr, const struct fleet_camp_opts *o,
		       struct fleet_camp_row *row, char *err, size_t err_cap);
/* row's columns as PQexecParams values (NULL for SQL NULL) into v[FCC_MAX]. */
void fleet_camp_row_values(const struct fleet_camp_row *row, const char *v[FCC_MAX]);

/* A campaign name an admin may give: 1-31 of [A-Za-z0-9._-], not starting
 * with '.' or '-' (it names the local campaign on each server too), and
 * not fleet-<number> (the names the database gives). */
bool fleet_camp_name_ok(const char *name);

/* "srv-a 3, srv-b 2, unowned 1": names[i] NULL = not owned by any server
 * (listed last whatever its position).  Returns the length written
 * (truncated with "..." when cap is short). */
size_t fleet_camp_counts_line(const char *const *names, const long *counts, size_t n, char *buf,
			      size_t cap);

/* Final stages (a node in one is not "busy" in its campaign). */
bool fleet_camp_stage_final(const char *stage);

#endif
