/* SPDX-License-Identifier: BSD-3-Clause
 * The bootstorm client commands: each takes its argv (argv[0] = the command
 * name) and returns an exit code of control/exit.h, or one of the two
 * below, which control/main.c turns into the usage text. */
#ifndef BS_CONTROL_CLI_H
#define BS_CONTROL_CLI_H

#include <jansson.h>
#include <stdio.h>

#define CLI_EXIT_HELP	    100	/* --help: usage on stdout, exit 0 */
#define CLI_EXIT_USAGE_TEXT 101	/* bad options: usage on stderr, exit 2 */

int cmd_check_config(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_leases(int argc, char **argv);
int cmd_nodes(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_import(int argc, char **argv);
/* cmd_boot.c: set node boot states on the running server. */
int cmd_reimage(int argc, char **argv);
int cmd_localboot(int argc, char **argv);
/* cmd_fleet.c: the fleet database (control/fleet/fleet.h). */
int cmd_db(int argc, char **argv);
int cmd_fleet(int argc, char **argv);
/* The "fleet" line of `bootstorm status` from /api/status (nothing when
 * fleet mode is off). */
struct json_t;
void fleet_status_print(struct json_t *status, FILE *out);
/* cmd_discover.c: machines not in the inventory, and enrolling them. */
int cmd_discovered(int argc, char **argv);
int cmd_enroll(int argc, char **argv);

/* cmd_campaign.c: bootstorm campaign list|status|watch|cancel|retry-failed. */
int cmd_campaign(int argc, char **argv);
/* POST /api/campaigns?nodes=set[&profile=][extra]: prints the new id. */
int cli_campaign_create(const char *base, const char *set, const char *profile, const char *extra);
/* One line per campaign (JSON of /api/campaigns); the failed nodes of one
 * campaign with their reasons and console tails. */
void cli_campaign_line(json_t *k, char *out, size_t cap);
void cli_campaign_failed(json_t *k, FILE *f);

/* Prints what GET /api/storm and /api/status of base say after a storm. */
int summary_print(const char *base);

#endif
