/* SPDX-License-Identifier: BSD-3-Clause
 *
 * check-config, and the client commands that print one API answer as a
 * table: status, leases, nodes.
 */
#include "control/cli/cli.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "conf/cfg.h"
#include "conf/cfg_bootwarn.h"
#include "control/cli/cli_util.h"
#include "control/daemon/pxegen.h"
#include "control/exit.h"
#include "util/bs_time.h"

static void
print_warning(void *arg, const struct cfg_loc *loc, const char *msg)
{
	(void)arg;
	if (loc->line)
		fprintf(stderr, "%s:%u:%u: warning: %s\n", loc->file, loc->line, loc->col, msg);
	else
		fprintf(stderr, "%s: warning: %s\n", loc->file, msg);
}

int
cmd_check_config(int argc, char **argv)
{
	int bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: bootstorm check-config FILE...\n");
		return EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		struct cfg_errs errs = { 0 };
		struct cfg *c = cfg_load(argv[i], &errs);
		size_t pools = 0;

		if (!c || errs.n) {
			cfg_errs_print(&errs, stderr);
			fprintf(stderr, "%s: %zu error%s\n", argv[i], errs.n + errs.dropped,
				errs.n + errs.dropped == 1 ? "" : "s");
			bad = 1;
		} else {
			for (size_t s = 0; s < c->n_subnets; s++)
				pools += c->subnets[s].n_pools;
			printf("%s: ok: %zu subnets, %zu pools, %zu nodes, %zu profiles\n", argv[i],
			       c->n_subnets, pools, c->n_nodes, c->n_profiles);
			for (size_t p = 0; p < c->n_profiles; p++)
				if (pxegen_append_secret(c->profiles[p].append))
					fprintf(stderr, "%s: warning: profile %s: append mentions '%s': kernel command lines are public on the LAN; put secrets in the kickstart\n",
						argv[i], c->profiles[p].name,
						pxegen_append_secret(c->profiles[p].append));
			cfg_boot_warnings(c, print_warning, NULL);
		}
		cfg_free(c);
		cfg_errs_free(&errs);
	}
	return bad ? EXIT_USAGE : EXIT_OK;
}

static int
status_print(const char *base)
{
	json_t *j, *dp, *jr, *le, *rates, *stages;
	const char *k;
	json_t *v;
	int rc = cli_fetch_or_fail(base, "/api/status", &j);

	if (rc)
		return rc;
	dp = json_object_get(j, "dataplane");
	jr = json_object_get(j, "journal");
	le = json_object_get(j, "leases");
	rates = json_object_get(j, "rates");
	stages = json_object_get(json_object_get(j, "nodes"), "by_stage");
	printf("server      %s (bootstorm %s), up %llds, config gen %lld (%s)\n", jstr(j, "name"),
	       jstr(j, "version"), jint(j, "uptime_s"), jint(j, "config_gen"), jstr(j, "config"));
	printf("dataplane   %s, pid %lld, %lld workers\n",
	       json_is_true(json_object_get(dp, "alive")) ? "alive" : "DOWN", jint(dp, "pid"),
	       jint(dp, "workers"));
	printf("journal     %s, durable seq %lld, %lld records, %lld fsyncs (avg %.0f us, max %.0f us), %lld bytes\n",
	       json_is_true(json_object_get(jr, "ok")) ? "ok" : "FAILING", jint(jr, "durable_seq"),
	       jint(jr, "records"), jint(jr, "fsyncs"), jnum(jr, "fsync_avg_us"),
	       jnum(jr, "fsync_max_us"), jint(jr, "file_bytes"));
	printf("leases      %lld bound, %lld known, capacity %lld\n", jint(le, "bound"),
	       jint(le, "used"), jint(le, "cap"));
	printf("rates       %.1f DHCP/s, %.2f MB/s TFTP, %.1f HTTP req/s\n", jnum(rates, "dhcp_per_s"),
	       jnum(rates, "tftp_mbytes_per_s"), jnum(rates, "http_per_s"));
	printf("nodes      ");
	json_object_foreach(stages, k, v)
		printf(" %s=%lld", k, (long long)json_integer_value(v));
	printf("\n");
	fleet_status_print(j, stdout);
	json_decref(j);
	return EXIT_OK;
}

static int
leases_print(const char *base)
{
	json_t *j, *v;
	size_t i;
	long long now = (long long)bs_real_ms();
	int rc = cli_fetch_or_fail(base, "/api/leases", &j);

	if (rc)
		return rc;
	printf("%-15s  %-17s  %-8s  %-10s  %-8s  %-16s  %s\n", "IP", "MAC", "STATE", "EXPIRES",
	       "SEQ", "HOSTNAME", "NODE");
	json_array_foreach(json_object_get(j, "leases"), i, v) {
		char exp[32];
		long long e = jint(v, "expires_ms");

		fmt_age(e > now ? e - now : -1, exp, sizeof(exp));
		printf("%-15s  %-17s  %-8s  %-10s  %-8lld  %-16s  %s\n", jstr(v, "ip"), jstr(v, "mac"),
		       jstr(v, "state"), e > now ? exp : "expired", jint(v, "seq"),
		       jstr(v, "hostname"), jstr(v, "node"));
	}
	printf("%zu leases\n", json_array_size(json_object_get(j, "leases")));
	json_decref(j);
	return EXIT_OK;
}

static int
nodes_print(const char *base)
{
	json_t *j, *v;
	size_t i;
	long long now = (long long)bs_real_ms();
	int rc = cli_fetch_or_fail(base, "/api/nodes", &j);

	if (rc)
		return rc;
	printf("%-12s  %-17s  %-15s  %-10s  %-10s  %-13s  %-24s  %8s  %s\n", "NAME", "MAC", "IP",
	       "PROFILE", "BOOT", "STAGE", "FILE", "PROGRESS", "LAST-SEEN");
	json_array_foreach(json_object_get(j, "nodes"), i, v) {
		char age[32], prog[16];
		long long seen = jint(v, "last_seen_ms");

		fmt_age(seen ? now - seen : -1, age, sizeof(age));
		if (json_is_number(json_object_get(v, "progress")))
			snprintf(prog, sizeof(prog), "%.0f%%", jnum(v, "progress"));
		else
			snprintf(prog, sizeof(prog), "-");
		/* BOOT: what the next netboot does (nodestate.h); STAGE: what
		 * the last one did */
		printf("%-12s  %-17s  %-15s  %-10s  %-10s  %-13s  %-24.24s  %8s  %s\n", jstr(v, "name"),
		       jstr(v, "mac"), jstr(v, "ip"), jstr(v, "profile"), jstr(v, "boot"),
		       jstr(v, "stage"), jstr(v, "file"), prog, age);
	}
	json_decref(j);
	return EXIT_OK;
}

/* The common shape of a client command: options, then one print. */
static int
client_cmd(int argc, char **argv, int (*print)(const char *base))
{
	char base[1024];
	int rc = cli_client_base(argc, argv, base, sizeof(base));

	if (rc < 0)
		return CLI_EXIT_USAGE_TEXT;
	if (rc > 0)
		return CLI_EXIT_HELP;
	return print(base);
}

int
cmd_status(int argc, char **argv)
{
	return client_cmd(argc, argv, status_print);
}

int
cmd_leases(int argc, char **argv)
{
	return client_cmd(argc, argv, leases_print);
}

int
cmd_nodes(int argc, char **argv)
{
	return client_cmd(argc, argv, nodes_print);
}

int
cmd_summary(int argc, char **argv)
{
	return client_cmd(argc, argv, summary_print);
}
