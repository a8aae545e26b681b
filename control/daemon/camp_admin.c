/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The campaign host's admin side (control/daemon/campaigns.h): create,
 * cancel, retry-failed, and the JSON views.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/daemon/camp_host.h"
#include "control/daemon/camp_json.h"
#include "control/daemon/nodestate.h"
#include "control/log.h"

/* ---- admin operations --------------------------------------------------- */

struct pick {
	struct camp_host *h;
	const char **names;
	uint32_t n, cap;
	bool power;
	char busy[64];
	char nobmc[64];
};

static int
pick_one(const struct cfg_node *n, void *arg)
{
	struct pick *p = arg;

	for (uint32_t k = 0; k < p->h->n; k++) {
		struct hosted *x = p->h->v[k];
		int64_t i = x->done ? -1 : camp_find(&x->c, n->name);

		if (i >= 0 && x->c.nodes[i].stage != CS_DONE && x->c.nodes[i].stage != CS_FAILED &&
		    x->c.nodes[i].stage != CS_CANCELLED) {
			snprintf(p->busy, sizeof(p->busy), "%s (in %s)", n->name, x->c.id);
			return -EBUSY;
		}
	}
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 64;
		const char **v = realloc(p->names, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->names = v;
		p->cap = cap;
	}
	if (p->power && !n->bmc) {
		snprintf(p->nobmc, sizeof(p->nobmc), "%s", n->name);
		return -ENODEV;
	}
	p->names[p->n++] = n->name;
	return 0;
}

static int
create_locked(struct camp_host *h, const char *expr, const char *profile,
	      const struct camp_params *prm, char *id, size_t id_cap, char *msg, size_t cap)
{
	const struct cfg *cfg = h->c->cfg;
	struct pick p = { .h = h, .power = prm->power };
	struct hosted *x;
	struct camp_env e;
	char bad[200] = "", cid[32];
	int n, rc;

	if (profile && *profile && !cfg_profile_by_name(cfg, profile))
		return snprintf(msg, cap, "no such profile: %s", profile), 400;
	if (prm->power && !cfg->power_cred_file)
		return snprintf(msg, cap, "power needs power.credentials_file in the config"), 400;
	n = ns_select(cfg, expr, pick_one, &p, bad, sizeof(bad));
	if (n <= 0) {
		free(p.names);
		if (p.busy[0])
			return snprintf(msg, cap, "node %s already in a running campaign", p.busy), 409;
		if (p.nobmc[0])
			return snprintf(msg, cap, "node %s has no bmc: in the inventory (power it by "
				       "hand: power=0)", p.nobmc), 400;
		snprintf(msg, cap, "%s: %s", n == -ENOENT ? "no such node" : "bad node set",
			 n == 0 ? expr : bad);
		return n == -ENOENT ? 404 : 400;
	}
	if (h->n == MAX_CAMPS && !camps_retire_oldest(h)) {
		free(p.names);
		return snprintf(msg, cap, "%u campaigns running already", MAX_CAMPS), 409;
	}
	if (!(x = calloc(1, sizeof(*x)))) {
		free(p.names);
		return snprintf(msg, cap, "out of memory"), 500;
	}
	x->h = h;
	camps_env_of(x, &e);
	snprintf(cid, sizeof(cid), "c%u", h->next_id);
	rc = camp_init(&x->c, cid, prm, &e, p.names, p.n, ctl_now_ms());
	free(p.names);
	if (rc < 0) {
		free(x);
		return snprintf(msg, cap, "bad campaign parameters: %s", strerror(-rc)), 400;
	}
	snprintf(x->c.profile, sizeof(x->c.profile), "%s", profile ? profile : "");
	char path[4300];

	snprintf(path, sizeof(path), "%s/%s", h->dir, cid);
	if ((rc = camp_save(&x->c, path)) < 0) {
		camp_free(&x->c);
		free(x);
		return snprintf(msg, cap, "cannot save %s: %s", path, strerror(-rc)), 500;
	}
	camps_bmc_init(h, x, cfg);
	camps_index_macs(x, cfg, atomic_load(&h->c->gen));
	h->next_id++;
	h->v[h->n++] = x;
	atomic_fetch_add(&h->active, 1);
	snprintf(id, id_cap, "%s", cid);
	LOG_INFO("campaign", "%s created: %u nodes (%s), profile %s, power %s, max_in_flight %u, "
		 "%.3g/s", cid, x->c.n, expr, profile && *profile ? profile : "(yaml)",
		 prm->power ? "yes" : "no (by hand)", prm->max_in_flight, prm->power_on_rate);
	return 0;
}

int
camps_create(struct ctl *c, const char *expr, const char *profile, const struct camp_params *p,
	     char *id, size_t id_cap, char *msg, size_t msg_cap)
{
	struct camp_host *h = c->camps;
	int rc;

	if (!h)
		return snprintf(msg, msg_cap, "campaigns unavailable"), 500;
	pthread_rwlock_rdlock(&c->cfg_lock);
	pthread_mutex_lock(&h->mu);
	rc = create_locked(h, expr, profile, p, id, id_cap, msg, msg_cap);
	pthread_mutex_unlock(&h->mu);
	pthread_rwlock_unlock(&c->cfg_lock);
	return rc;
}

static int
admin_op(struct ctl *c, const char *id, bool retry, uint32_t *n)
{
	struct camp_host *h = c->camps;
	struct hosted *x;
	uint32_t k = 0;

	if (!h)
		return 404;
	pthread_mutex_lock(&h->mu);
	x = camps_find(h, id);
	if (x) {
		if (retry)
			k = camp_retry_failed(&x->c, ctl_now_ms());
		else
			camp_cancel(&x->c, ctl_now_ms());
		camps_set_done(h, x);
		if (x->dirty)
			camps_save(h, x);
		LOG_INFO("campaign", "%s: %s%s", id, retry ? "retry-failed" : "cancelled",
			 retry ? (k ? "" : " (no failed node)") : "");
	}
	pthread_mutex_unlock(&h->mu);
	if (n)
		*n = k;
	return x ? 0 : 404;
}

int
camps_cancel(struct ctl *c, const char *id)
{
	return admin_op(c, id, false, NULL);
}

int
camps_retry(struct ctl *c, const char *id, uint32_t *n)
{
	return admin_op(c, id, true, n);
}

/* ---- views -------------------------------------------------------------- */

json_t *
camps_list_json(struct ctl *c)
{
	struct camp_host *h = c->camps;
	json_t *arr = json_array(), *o = json_object();

	if (h) {
		pthread_mutex_lock(&h->mu);
		for (uint32_t k = 0; k < h->n; k++)
			json_array_append_new(arr, camp_json(&h->v[k]->c, false));
		pthread_mutex_unlock(&h->mu);
	}
	json_object_set_new(o, "campaigns", arr);
	return o;
}

json_t *
camps_one_json(struct ctl *c, const char *id)
{
	struct camp_host *h = c->camps;
	struct hosted *x;
	json_t *o = NULL;

	if (!h)
		return NULL;
	struct campaign cp;
	bool found = false;

	/* a copy under the host mutex, the JSON outside it: 1,000 nodes of
	 * JSON under load held the campaign tick (its tokens) 0.1 s and more */
	pthread_mutex_lock(&h->mu);
	if ((x = camps_find(h, id))) {
		cp = x->c;
		cp.nodes = malloc((x->c.n ? x->c.n : 1) * sizeof(*cp.nodes));
		if (cp.nodes) {
			memcpy(cp.nodes, x->c.nodes, x->c.n * sizeof(*cp.nodes));
			found = true;
		} else {
			o = camp_json(&x->c, true); /* no memory for a copy */
		}
	}
	pthread_mutex_unlock(&h->mu);
	if (found) {
		o = camp_json(&cp, true);
		free(cp.nodes);
	}
	return o;
}

void
camps_default_params(const struct cfg *cfg, struct camp_params *p)
{
	memset(p, 0, sizeof(*p));
	p->max_in_flight = cfg->power_max_in_flight;
	p->power_on_rate = cfg->power_on_rate;
	p->burst = 1;
	p->dhcp_deadline_ms = cfg->power_dhcp_deadline_ms;
	p->max_repower = cfg->power_max_repower;
	p->install_deadline_ms = cfg->power_install_deadline_ms;
	p->verify_deadline_ms = cfg->power_verify ? cfg->power_verify_deadline_ms : 0;
	p->power = true;
}
