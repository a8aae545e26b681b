/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Discovery routes and enrollment: see api_disc.h.
 *
 * Enrollment never touches the admin's YAML: nodes go to the CSV named by
 * discovery.enrolled, which the loader reads as inventory.  The candidate
 * file is checked by loading the whole config with it in memory
 * (cfg_load_enroll), so a node the running server would refuse is refused
 * here with the same messages and the file is not written; the running
 * config keeps serving either way.  Written temp + fsync + rename +
 * directory fsync; then the main thread reloads (SIGHUP to ourselves, the
 * same path as `systemctl reload`), and we wait until the node is in the
 * installed config.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf/cfg_parse.h"
#include "shm/counters.h"
#include "control/daemon/api_disc.h"
#include "control/log.h"
#include "util/bs_file.h"

#define ENROLL_WAIT_MS 10000

static pthread_mutex_t enroll_mu = PTHREAD_MUTEX_INITIALIZER;

/* A CSV-safe token: 1-63 of [A-Za-z0-9._-], starting alphanumeric (the
 * loader's node-name rule, and nothing that could open a new CSV field or
 * line). */
static bool
token_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 63 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
				  (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

/* Whole file, or an empty buffer when it does not exist. */
static int
read_all(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *p = NULL;
	size_t n = 0, cap = 0;

	*buf = NULL;
	*len = 0;
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	for (;;) {
		if (n + 4096 > cap) {
			char *q = realloc(p, cap = cap * 2 + 8192);
			if (!q) {
				free(p);
				fclose(f);
				return -ENOMEM;
			}
			p = q;
		}
		size_t got = fread(p + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	*buf = p;
	*len = n;
	return 0;
}

/* The loader's messages, one per line, into msg. */
static void
errs_text(const struct cfg_errs *errs, char *msg, size_t cap)
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);

	if (!f) {
		snprintf(msg, cap, "config rejected");
		return;
	}
	cfg_errs_print(errs, f);
	fclose(f);
	while (n && p[n - 1] == '\n')
		p[--n] = 0;
	snprintf(msg, cap, "config rejected, nothing written: %s", p ? p : "");
	free(p);
}

/* Waits until the main thread's reload installed a config with mac. */
static bool
wait_enrolled(struct ctl *c, const uint8_t mac[6])
{
	for (unsigned t = 0; t < ENROLL_WAIT_MS / 20; t++) {
		pthread_rwlock_rdlock(&c->cfg_lock);
		bool in = cfg_node_by_mac(c->cfg, mac) != NULL;
		pthread_rwlock_unlock(&c->cfg_lock);
		if (in)
			return true;
		nanosleep(&(struct timespec){ 0, 20 * 1000000L }, NULL);
	}
	return false;
}

/* Checks the arguments and the running config; 0 or the HTTP status. */
static unsigned
enroll_check(struct ctl *c, const char *mac_s, uint8_t mac[6], const char *name,
	     const char *profile, const char *ip, char *path, size_t pcap, char *msg, size_t cap)
{
	uint32_t a;

	if (!mac_s || cfgp_mac(mac_s, mac) < 0)
		return snprintf(msg, cap, "bad MAC address '%s'", mac_s ? mac_s : ""), 400;
	if (!token_ok(name))
		return snprintf(msg, cap, "bad node name '%s' (1-63 of [A-Za-z0-9._-], starting alphanumeric)",
				name ? name : ""), 400;
	if (profile && *profile && !token_ok(profile))
		return snprintf(msg, cap, "bad profile name '%s'", profile), 400;
	if (ip && *ip && cfgp_ip(ip, &a) < 0)
		return snprintf(msg, cap, "bad IPv4 address '%s'", ip), 400;
	pthread_rwlock_rdlock(&c->cfg_lock);
	const struct cfg_node *n = cfg_node_by_mac(c->cfg, mac);
	unsigned st = 0;
	if (!c->cfg->disc_enrolled)
		st = 409, snprintf(msg, cap, "enrollment is off: set discovery.enrolled (a CSV file bootstorm may write) in %s",
				   c->cfg_path);
	else if (n)
		st = 409, snprintf(msg, cap, "%s is already in the inventory as node %s", mac_s, n->name);
	else if (cfg_node_by_name(c->cfg, name))
		st = 409, snprintf(msg, cap, "node name %s is already in the inventory", name);
	else
		snprintf(path, pcap, "%s", c->cfg->disc_enrolled);
	pthread_rwlock_unlock(&c->cfg_lock);
	return st;
}

unsigned
disc_enroll(struct ctl *c, const char *mac_s, const char *name, const char *profile,
	    const char *ip, char *msg, size_t cap)
{
	char path[4096], row[300], macn[18];
	uint8_t mac[6];
	char *old = NULL, *cand = NULL;
	size_t olen = 0;
	struct cfg_errs errs = { 0 };
	unsigned st;
	int rc;

	pthread_mutex_lock(&enroll_mu);
	st = enroll_check(c, mac_s, mac, name, profile, ip, path, sizeof(path), msg, cap);
	if (st)
		goto out;
	if ((rc = read_all(path, &old, &olen)) < 0) {
		st = 500, snprintf(msg, cap, "%s: %s", path, strerror(-rc));
		goto out;
	}
	cfgp_mac_str(mac, macn);
	snprintf(row, sizeof(row), "%s%s,%s,%s,%s\n",
		 olen == 0 ? "# bootstorm enroll writes this file: name,mac,ip,profile\n" :
		 old[olen - 1] != '\n' ? "\n" : "",
		 name, macn, ip ? ip : "", profile ? profile : "");
	size_t clen = olen + strlen(row);
	if (!(cand = malloc(clen + 1))) {
		st = 500, snprintf(msg, cap, "out of memory");
		goto out;
	}
	if (olen)
		memcpy(cand, old, olen);
	memcpy(cand + olen, row, strlen(row) + 1);
	struct cfg *cfg = cfg_load_enroll(c->cfg_path, cand, clen, &errs);
	if (!cfg || errs.n) {
		errs_text(&errs, msg, cap);
		cfg_free(cfg);
		st = 422;
		goto out;
	}
	cfg_free(cfg);
	if ((rc = bs_file_replace(path, cand, clen, 0644)) < 0) {
		st = 500, snprintf(msg, cap, "%s: %s", path, strerror(-rc));
		goto out;
	}
	LOG_INFO("discover", "enrolled %s as node %s in %s", macn, name, path);
	disc_remove(&c->disc, mac);
	disc_save(&c->disc, true);
	kill(getpid(), SIGHUP); /* the main loop reloads, as on systemctl reload */
	if (wait_enrolled(c, mac)) {
		st = 200, snprintf(msg, cap, "%s enrolled as node %s", macn, name);
	} else {
		st = 202;
		snprintf(msg, cap, "%s written to %s; the reload has not installed it yet (see the log)", macn,
			 path);
	}
out:
	pthread_mutex_unlock(&enroll_mu);
	cfg_errs_free(&errs);
	free(old);
	free(cand);
	return st;
}

static bool
enroll_route(struct ctl *c, const char *rest, struct api_resp *r)
{
	char mac[32], msg[2048];
	const char *slash = strchr(rest, '/');
	const char *name = r->q_arg ? r->q_arg(r, "name") : NULL;
	const char *ip = r->q_arg ? r->q_arg(r, "ip") : NULL;

	if (!slash || strcmp(slash, "/enroll") != 0 || (size_t)(slash - rest) >= sizeof(mac))
		return api_reply_error(r, 404, "no such API path");
	memcpy(mac, rest, (size_t)(slash - rest));
	mac[slash - rest] = 0;
	unsigned st = disc_enroll(c, mac, name, r->q_profile, ip, msg, sizeof(msg));
	if (st >= 300)
		return api_reply_error(r, st, msg);
	json_t *j = json_pack("{s:s, s:s, s:I}", "result", msg, "node", name,
			      "generation", (json_int_t)atomic_load(&c->gen));
	return j ? api_reply_json(r, st, j) : api_reply_error(r, 500, "out of memory");
}

bool
api_disc(struct ctl *c, const char *method, const char *path, bool admin, struct api_resp *r)
{
	bool post = strcmp(method, "POST") == 0;

	if (strcmp(path, "discovered") != 0 && strncmp(path, "discovered/", 11) != 0)
		return false;
	if (!admin)
		return api_reply_error(r, 401, "admin token required");
	if (path[10] == '/') {
		if (!post)
			return api_reply_error(r, 405, "POST only");
		return enroll_route(c, path + 11, r);
	}
	if (post)
		return api_reply_error(r, 405, "GET only");
	pthread_rwlock_rdlock(&c->cfg_lock);
	json_t *j = disc_json(&c->disc, c->cfg);
	pthread_rwlock_unlock(&c->cfg_lock);
	if (j)
		json_object_set_new(j, "ring_full",
				    json_integer((json_int_t)ctl_counter(c, BS_CTR_DHCP_DISC_RING_FULL)));
	return j ? api_reply_json(r, 200, j) : api_reply_error(r, 500, "out of memory");
}
