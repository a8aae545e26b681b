/* SPDX-License-Identifier: BSD-3-Clause
 *
 * fleet_cadmin.h: the campaign creator's pure parts.
 */
#include "control/fleet/fleet_cadmin.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cfg.h"
#include "control/daemon/campaigns.h"
#include "control/fleet/fleet_inv.h"

/* A whole number in [lo, hi] from s (digits only); false otherwise. */
static bool
whole(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 12)
		return false;
	x = strtoull(s, &end, 10);
	if (*end || x < lo || x > hi)
		return false;
	*v = x;
	return true;
}

/* A decimal number in [lo, hi] ("2", "0.5"); false otherwise. */
static bool
decimal(const char *s, double lo, double hi, double *v)
{
	char *end;
	double x;

	if (!s || !*s || strspn(s, "0123456789.") != strlen(s) || strlen(s) > 16)
		return false;
	x = strtod(s, &end);
	if (*end || !isfinite(x) || x < lo || x > hi)
		return false;
	*v = x;
	return true;
}

static int
bad(char *err, size_t cap, const char *flag, const char *want)
{
	snprintf(err, cap, "--%s wants %s", flag, want);
	return -EINVAL;
}

bool
fleet_camp_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 31 || name[0] == '.' || name[0] == '-')
		return false;
	/* fleet-<number> is what the database names a campaign given none */
	if (strncmp(name, "fleet-", 6) == 0 && n > 6 && strspn(name + 6, "0123456789") == n - 6)
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* Profiles are YAML names: the same characters as a campaign name, longer. */
static bool
profile_ok(const char *p)
{
	size_t n = strlen(p);

	return n > 0 && n < 64 &&
	       strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

int
fleet_camp_row_fill(const struct camp_params *def, const struct fleet_camp_opts *o,
		    struct fleet_camp_row *row, char *err, size_t err_cap)
{
	uint64_t u, sif = 0;
	double d, srate = 0;

	memset(row, 0, sizeof(*row));
	row->p = *def;
	if (o->name && !fleet_camp_name_ok(o->name))
		return bad(err, err_cap, "name", "1-31 of A-Z a-z 0-9 . _ - (not starting with . or -, not fleet-<number>)");
	if (o->profile && !profile_ok(o->profile))
		return bad(err, err_cap, "profile", "a profile name");
	if (o->rate) {
		if (!decimal(o->rate, 0.001, 10000, &d))
			return bad(err, err_cap, "rate", "0.001-10000 power-ons per second");
		row->p.power_on_rate = d;
	}
	if (o->max_in_flight) {
		if (!whole(o->max_in_flight, 1, 100000, &u))
			return bad(err, err_cap, "max-in-flight", "a whole number 1-100000");
		row->p.max_in_flight = (uint32_t)u;
	}
	if (o->server_rate && !decimal(o->server_rate, 0.001, 10000, &srate))
		return bad(err, err_cap, "server-rate", "0.001-10000 power-ons per second");
	if (o->server_in_flight && !whole(o->server_in_flight, 1, 100000, &sif))
		return bad(err, err_cap, "server-in-flight", "a whole number 1-100000");
	if (o->dhcp_deadline) {
		if (!whole(o->dhcp_deadline, 1, 86400, &u))
			return bad(err, err_cap, "dhcp-deadline", "1-86400 seconds");
		row->p.dhcp_deadline_ms = u * 1000;
	}
	if (o->install_deadline) {
		if (!whole(o->install_deadline, 1, 604800, &u))
			return bad(err, err_cap, "install-deadline", "1-604800 seconds");
		row->p.install_deadline_ms = u * 1000;
	}
	if (o->max_repower) {
		if (!whole(o->max_repower, 0, 100, &u))
			return bad(err, err_cap, "max-repower", "a whole number 0-100");
		row->p.max_repower = (uint32_t)u;
	}
	if (row->p.power_on_rate <= 0 || row->p.max_in_flight < 1 || row->p.burst < 1) {
		snprintf(err, err_cap, "power: on_rate and max_in_flight must be at least 1");
		return -EINVAL;
	}
	row->p.power = def->power && !o->no_power;
	row->power = row->p.power;
	snprintf(row->buf[FCC_NAME], sizeof(row->buf[0]), "%s", o->name ? o->name : "");
	snprintf(row->buf[FCC_PROFILE], sizeof(row->buf[0]), "%s", o->profile ? o->profile : "");
	row->null[FCC_PROFILE] = !o->profile;
	/* %.17g: the double the database stores is the one computed here */
	snprintf(row->buf[FCC_POWER_ON_RATE], sizeof(row->buf[0]), "%.17g", row->p.power_on_rate);
	snprintf(row->buf[FCC_BURST], sizeof(row->buf[0]), "%.17g", row->p.burst);
	snprintf(row->buf[FCC_MAX_IN_FLIGHT], sizeof(row->buf[0]), "%u", row->p.max_in_flight);
	snprintf(row->buf[FCC_SERVER_RATE], sizeof(row->buf[0]), "%.17g", srate);
	row->null[FCC_SERVER_RATE] = !o->server_rate;
	snprintf(row->buf[FCC_SERVER_IN_FLIGHT], sizeof(row->buf[0]), "%llu", (unsigned long long)sif);
	row->null[FCC_SERVER_IN_FLIGHT] = !o->server_in_flight;
	snprintf(row->buf[FCC_DHCP_DEADLINE_MS], sizeof(row->buf[0]), "%llu",
		 (unsigned long long)row->p.dhcp_deadline_ms);
	snprintf(row->buf[FCC_MAX_REPOWER], sizeof(row->buf[0]), "%u", row->p.max_repower);
	snprintf(row->buf[FCC_INSTALL_DEADLINE_MS], sizeof(row->buf[0]), "%llu",
		 (unsigned long long)row->p.install_deadline_ms);
	snprintf(row->buf[FCC_VERIFY_DEADLINE_MS], sizeof(row->buf[0]), "%llu",
		 (unsigned long long)row->p.verify_deadline_ms);
	snprintf(row->buf[FCC_POWER], sizeof(row->buf[0]), "%s", row->power ? "true" : "false");
	return 0;
}

void
fleet_camp_row_values(const struct fleet_camp_row *row, const char *v[FCC_MAX])
{
	for (int i = 0; i < FCC_MAX; i++)
		v[i] = row->null[i] ? NULL : row->buf[i];
}

size_t
fleet_camp_counts_line(const char *const *names, const long *counts, size_t n, char *buf,
		       size_t cap)
{
	size_t len = 0;
	long unowned = 0;
	bool any_unowned = false;
	int w;

	if (!cap)
		return 0;
	buf[0] = '\0';
	for (size_t i = 0; i <= n; i++) {
		const char *name = i < n ? names[i] : "unowned";
		long c = i < n ? counts[i] : unowned;

		if (i < n && !names[i]) {
			unowned += counts[i], any_unowned = true;
			continue;
		}
		if (i == n && !any_unowned)
			break;
		w = snprintf(buf + len, cap - len, "%s%s %ld", len ? ", " : "", name, c);
		if (w < 0 || (size_t)w >= cap - len) {
			if (cap >= 4)
				memcpy(buf + cap - 4, "...", 4);
			return strlen(buf);
		}
		len += (size_t)w;
	}
	return len;
}

bool
fleet_camp_stage_final(const char *stage)
{
	return strcmp(stage, "done") == 0 || strcmp(stage, "failed") == 0 ||
	       strcmp(stage, "cancelled") == 0;
}

int
fleet_camp_prepare(const struct cfg *cfg, const char *expr, const struct fleet_camp_opts *o,
		   struct fleet_camp_row *row, char *err, size_t err_cap)
{
	struct fleet_arr names = { 0 };
	struct camp_params def;
	const char *bad = NULL;
	long n = 0;

	camps_default_params(cfg, &def);
	if (fleet_camp_row_fill(&def, o, row, err, err_cap) < 0)
		return -EINVAL;
	if (o->profile && !cfg_profile_by_name(cfg, o->profile)) {
		snprintf(err, err_cap, "no profile '%s' in this config's profiles", o->profile);
		return -EINVAL;
	}
	if (strcmp(expr, "*") != 0 && (n = fleet_nodeset_expand(expr, &names, &bad)) <= 0) {
		snprintf(err, err_cap, "bad node set at '%s'", n < 0 && bad ? bad : expr);
		fleet_arr_free(&names);
		return -EINVAL;
	}
	fleet_arr_free(&names);
	return 0;
}
