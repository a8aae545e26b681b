/* SPDX-License-Identifier: BSD-3-Clause */
#include "control/daemon/bootroutes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/daemon/campaigns.h"
#include "control/daemon/kickstart.h"
#include "control/daemon/nodestate.h"
#include "control/daemon/reload.h"
#include "control/log.h"


struct set_ctx {
	struct ctl *c;
	enum ns_state st;
	const char *profile;
	json_t *names;
	int changed, failed;
};

static int
set_one(const struct cfg_node *n, void *arg)
{
	struct set_ctx *x = arg;
	int rc = ns_set(&x->c->ns, n->name, x->st, x->profile, NULL, ctl_now_ms());

	if (rc > 0)
		x->changed++;
	if (rc < 0)
		x->failed++;
	json_array_append_new(x->names, json_string(n->name));
	return 0;
}

bool
bootroutes_api(struct ctl *c, const char *method, const char *path, uint32_t peer, bool admin,
	       const char *q_profile, struct api_resp *r)
{
	const char *set, *act;
	struct set_ctx x = { .c = c };
	char expr[1024], bad[200] = "", who[16];
	size_t len, plen = strlen(path);
	json_t *j;
	int n;

	if (strncmp(path, "nodes/", 6) != 0)
		return false;
	set = path + 6;
	if (plen > 14 && strcmp(path + plen - 8, "/reimage") == 0)
		act = "reimage", x.st = NS_INSTALL, len = (size_t)(path + plen - 8 - set);
	else if (plen > 16 && strcmp(path + plen - 10, "/localboot") == 0)
		act = "localboot", x.st = NS_LOCAL, len = (size_t)(path + plen - 10 - set);
	else
		return false;
	if (strcmp(method, "POST") != 0)
		return api_reply_error(r, 405, "POST only");
	/* the admin API's rule (httpd.c is_admin: token, loopback, admin_network) */
	if (!admin)
		return api_reply_error(r, 401, "admin token required");
	if (len == 0 || len >= sizeof(expr))
		return api_reply_error(r, 400, "node set missing or too long");
	snprintf(expr, sizeof(expr), "%.*s", (int)len, set);
	x.profile = x.st == NS_INSTALL && q_profile && *q_profile ? q_profile : NULL;
	x.names = json_array();
	pthread_rwlock_rdlock(&c->cfg_lock);
	if (x.profile && !cfg_profile_by_name(c->cfg, x.profile)) {
		pthread_rwlock_unlock(&c->cfg_lock);
		json_decref(x.names);
		return api_reply_error(r, 400, "no such profile");
	}
	n = ns_select(c->cfg, expr, set_one, &x, bad, sizeof(bad));
	if (n >= 0 && x.changed)
		ctl_gen_files(c, c->cfg);
	pthread_rwlock_unlock(&c->cfg_lock);
	if (n < 0) {
		char msg[300];

		json_decref(x.names);
		snprintf(msg, sizeof(msg), "%s: %s", n == -ENOENT ? "no such node" : "bad node set",
			 bad);
		return api_reply_error(r, n == -ENOENT ? 404 : 400, msg);
	}
	ks_fmt_ip(peer, who);
	LOG_INFO("nodestate", "%s of %d nodes (%s%s%s) by %s: %d changed%s", act, n, expr,
		 x.profile ? ", profile " : "", x.profile ? x.profile : "", who, x.changed,
		 x.failed ? ", NOT SAVED (see above)" : "");
	j = json_object();
	json_object_set_new(j, "action", json_string(act));
	json_object_set_new(j, "state", json_string(ns_state_name(x.st)));
	json_object_set_new(j, "nodes", x.names);
	json_object_set_new(j, "changed", json_integer(x.changed));
	json_object_set_new(j, "saved", json_boolean(x.failed == 0));
	return api_reply_json(r, x.failed ? 500 : 200, j);
}

/* The reimage profile of n's record ("" = the YAML's), kept across the
 * install -> installing -> failed steps. */
static const char *
rec_profile(struct ctl *c, const struct cfg_node *n, struct ns_rec *rec)
{
	return ns_get(&c->ns, n->name, rec) && rec->profile[0] ? rec->profile : NULL;
}

void
bootroutes_report(struct ctl *c, const struct cfg_node *n, bool ok, const char *reason)
{
	struct ns_boot b;
	struct ns_rec rec;
	int rc;

	ns_boot_of(&c->ns, c->cfg, n, &b);
	if (ok) {
		/* netboot-once: whatever the state, a finished install boots
		 * the disk next (a late `done` of an old install too: the
		 * disk holds what that install wrote) */
		rc = ns_set(&c->ns, n->name, NS_LOCAL, NULL, NULL, ctl_now_ms());
	} else {
		rc = ns_set(&c->ns, n->name, NS_FAILED, rec_profile(c, n, &rec),
			    reason && *reason ? reason : "installer reported failed", ctl_now_ms());
	}
	if (rc > 0)
		ctl_gen_node(c, c->cfg, n);
	LOG_INFO("nodestate", "node %s: %s -> %s%s", n->name, ns_state_name(b.state),
		 ok ? "local" : "failed", rc < 0 ? " (NOT SAVED)" : "");
	camps_on_report(c, n->name, ok, reason);
}

void
bootroutes_installing(struct ctl *c, const struct cfg_node *n)
{
	struct ns_boot b;
	struct ns_rec rec;

	ns_boot_of(&c->ns, c->cfg, n, &b);
	/* a local node's kickstart fetched by hand changes nothing */
	if (b.state == NS_INSTALL || b.state == NS_FAILED)
		ns_set(&c->ns, n->name, NS_INSTALLING, rec_profile(c, n, &rec), NULL, ctl_now_ms());
}

const struct cfg_profile *
bootroutes_profile(struct ctl *c, const struct cfg *cfg, const struct cfg_node *n)
{
	struct ns_boot b;

	ns_boot_of(&c->ns, cfg, n, &b);
	return b.p;
}

bool
bootroutes_is_local(struct ctl *c, const struct cfg *cfg, const struct cfg_node *n)
{
	struct ns_boot b;

	ns_boot_of(&c->ns, cfg, n, &b);
	return b.state == NS_LOCAL;
}

void
bootroutes_node_json(struct ctl *c, const struct cfg *cfg, const struct cfg_node *n, json_t *o)
{
	struct ns_boot b;
	struct ns_rec rec;
	bool have;

	ns_boot_of(&c->ns, cfg, n, &b);
	have = ns_get(&c->ns, n->name, &rec);
	json_object_set_new(o, "boot", json_string(b.state == NS_NONE ? "default" : ns_state_name(b.state)));
	json_object_set_new(o, "boot_profile", b.p && b.state != NS_LOCAL ? json_string(b.p->name) : json_null());
	json_object_set_new(o, "boot_reason", have && rec.reason[0] ? json_string(rec.reason) : json_null());
	json_object_set_new(o, "boot_since_ms", json_integer(have ? (json_int_t)rec.since_ms : 0));
	json_object_set_new(o, "boot_source", json_string(have ? "set" : "yaml"));
}
