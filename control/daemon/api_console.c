/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Console captures by node name and GET /api/nodes/<node>/console
 * (control/daemon/api_console.h).
 */
#include "control/daemon/api_console.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cfg_bmc.h"
#include "control/daemon/nodestate.h"
#include "control/log.h"
#include "control/power/power.h"
#include "control/power/sol.h"
#include "util/bs_time.h"

int
console_init(struct ctl *c)
{
	struct sol_opts o = { 0 };
	int rc;

	pthread_rwlock_rdlock(&c->cfg_lock);
	o.state_dir = c->cfg->state_dir;
	o.tool = getenv("BOOTSTORM_IPMITOOL");
	o.cipher = c->cfg->power_ipmi_cipher;
	o.max_bytes = SOL_LOG_MAX_DEFAULT;
	rc = sol_init(&o);
	pthread_rwlock_unlock(&c->cfg_lock);
	return rc;
}

/* Under cfg_lock (read).  creds: loaded on first need, freed by the caller. */
static int
start_locked(struct ctl *c, const struct cfg_node *n, unsigned owner, struct pwr_creds *cr,
	     bool *loaded)
{
	struct bmc_addr a;
	const char *why;
	unsigned bad = 0;
	int rc;

	if (!n->bmc || cfgp_bmc_url(n->bmc, &a, &why) < 0)
		return -ENODEV;
	if (a.proto != BMC_IPMI)
		return -EPROTONOSUPPORT;
	if (!*loaded) {
		rc = c->cfg->power_cred_file ? pwr_creds_load(c->cfg->power_cred_file, cr, &bad) : -ENOENT;
		if (rc < 0) {
			LOG_WARN("console", "credentials file %s: %s",
				 c->cfg->power_cred_file ? c->cfg->power_cred_file : "(unset)", strerror(-rc));
			return -ENOKEY;
		}
		*loaded = true;
	}
	const struct pwr_cred *k = pwr_creds_find(cr, a.host);
	if (!k)
		return -ENOKEY;
	rc = sol_start(n->name, &a, k, owner);
	if (rc == 0)
		LOG_INFO("console", "capturing %s (SOL of %s:%u)", n->name, a.host, a.port);
	return rc;
}

int
console_start_held(struct ctl *c, const char *node, unsigned owner)
{
	struct pwr_creds cr = { 0 };
	bool loaded = false;
	const struct cfg_node *n = cfg_node_by_name(c->cfg, node);
	int rc = n ? start_locked(c, n, owner, &cr, &loaded) : -ENOENT;

	pwr_creds_free(&cr);
	return rc;
}

int
console_start(struct ctl *c, const char *node, unsigned owner)
{
	int rc;

	pthread_rwlock_rdlock(&c->cfg_lock);
	rc = console_start_held(c, node, owner);
	pthread_rwlock_unlock(&c->cfg_lock);
	return rc;
}

int
console_stop(struct ctl *c, const char *node, unsigned owner)
{
	(void)c;
	return sol_stop(node, owner);
}

void
console_stop_all(struct ctl *c)
{
	(void)c;
	sol_stop_all();
}

/* power.console_capture keeps a node's capture CONSOLE_LINGER_MS after
 * it left install/installing: what the node does after `done` (the
 * reboot into the installed system) is worth seeing too.  The main
 * thread's table of nodes seen leaving, by name. */
#define CONSOLE_LINGER_MS 60000u
#define LINGER_MAX 1024
static struct {
	char name[64];
	uint64_t since_ms;
} linger[LINGER_MAX];
static unsigned n_linger;

/* true once name has been out of the install states for the linger time */
static bool
linger_over(const char *name, bool leaving, uint64_t now)
{
	unsigned i;

	for (i = 0; i < n_linger && strcmp(linger[i].name, name); i++)
		;
	if (!leaving || i == LINGER_MAX) { /* back to installing, or no room: no linger */
		if (i < n_linger)
			linger[i] = linger[--n_linger];
		return leaving;
	}
	if (i == n_linger) {
		snprintf(linger[n_linger].name, sizeof(linger[0].name), "%s", name);
		linger[n_linger++].since_ms = now;
	}
	if (now - linger[i].since_ms < CONSOLE_LINGER_MS)
		return false;
	linger[i] = linger[--n_linger];
	return true;
}

void
console_tick(struct ctl *c)
{
	struct pwr_creds cr = { 0 };
	bool loaded = false;

	pthread_rwlock_rdlock(&c->cfg_lock);
	bool on = c->cfg->power_console_capture;
	uint64_t now = bs_mono_ms();
	for (size_t i = 0; i < c->cfg->n_nodes; i++) {
		const struct cfg_node *n = &c->cfg->nodes[i];
		bool held = sol_owners(n->name) & SOL_OWN_AUTO;
		struct ns_boot b;

		if (!n->bmc || (!on && !held))
			continue;
		ns_boot_of(&c->ns, c->cfg, n, &b);
		bool want = on && (b.state == NS_INSTALL || b.state == NS_INSTALLING);
		if (held && !linger_over(n->name, !want, now))
			continue;
		if (want && !held) {
			int rc = start_locked(c, n, SOL_OWN_AUTO, &cr, &loaded);

			if (rc < 0 && rc != -EPROTONOSUPPORT)
				LOG_DEBUG("console", "%s: no capture: %s", n->name, strerror(-rc));
		} else if (!want && held) {
			sol_stop(n->name, SOL_OWN_AUTO);
			LOG_INFO("console", "%s: capture stopped (boot state %s)", n->name,
				 ns_state_name(b.state));
		}
	}
	pthread_rwlock_unlock(&c->cfg_lock);
	pwr_creds_free(&cr);
}

bool
api_console(struct ctl *c, const char *method, const char *rest, const struct api_caller *who,
	    struct api_resp *r)
{
	const char *slash = strchr(rest, '/');
	char node[64];

	if (!slash || strcmp(slash, "/console") != 0)
		return false;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return api_reply_error(r, 405, "GET only");
	/* issue 15: a console may show secrets (kickstart lines, passwords typed) */
	if (!who->admin)
		return api_reply_error(r, 401, "admin token required");
	if ((size_t)(slash - rest) >= sizeof(node))
		return api_reply_error(r, 404, "no such node");
	snprintf(node, sizeof(node), "%.*s", (int)(slash - rest), rest);
	pthread_rwlock_rdlock(&c->cfg_lock);
	const struct cfg_node *n = cfg_node_by_name(c->cfg, node); /* by name: api.c calls us */
	char *dir = n ? strdup(c->cfg->state_dir) : NULL;
	if (n)
		snprintf(node, sizeof(node), "%s", n->name);
	pthread_rwlock_unlock(&c->cfg_lock);
	if (!n)
		return api_reply_error(r, 404, "no such node");
	/* the log never passes its bound; a little more for a write in flight */
	size_t cap = SOL_LOG_MAX_DEFAULT + 4096;
	char *buf = dir ? malloc(cap) : NULL;
	ssize_t len = buf ? sol_log_read(dir, node, buf, cap) : -ENOMEM;
	free(dir);
	if (len < 0) {
		free(buf);
		return len == -ENOENT ? api_reply_error(r, 404, "no console captured for this node")
				      : api_reply_error(r, 500, "console log unreadable");
	}
	r->status = 200;
	r->type = "text/plain; charset=utf-8";
	r->body = buf;
	r->len = (size_t)len;
	return true;
}
