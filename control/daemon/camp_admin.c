/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The campaign host's admin side (control/daemon/campaigns.h): create,
 * cancel, retry-failed, and the JSON views.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/daemon/api_console.h"
#include "control/daemon/camp_host.h"
#include "control/daemon/camp_json.h"
#include "control/daemon/nodestate.h"
#include "control/log.h"
#include "control/power/sol.h"

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

/* ---- fleet shares -------------------------------------------------------- */

static int
fleet_new(struct camp_host *h, const char *id, const struct camp_params *p, const char *profile,
	  struct hosted **out)
{
	char path[4300];
	struct hosted *x;
	struct camp_env e;
	int rc;

	if (strchr(id, '.') || strchr(id, '/') || !id[0])
		return -EINVAL;
	if (h->n == MAX_CAMPS && !camps_retire_oldest(h))
		return -ENOSPC;
	if (!(x = calloc(1, sizeof(*x))))
		return -ENOMEM;
	x->h = h;
	camps_env_of(x, &e);
	if ((rc = camp_init(&x->c, id, p, &e, NULL, 0, ctl_now_ms())) < 0) {
		free(x);
		return rc;
	}
	x->c.fleet = true;
	snprintf(x->c.profile, sizeof(x->c.profile), "%s", profile ? profile : "");
	snprintf(path, sizeof(path), "%s/%s", h->dir, id);
	if ((rc = camp_save(&x->c, path)) < 0) {
		camp_free(&x->c);
		free(x);
		return rc;
	}
	camps_bmc_init(h, x, h->c->cfg);
	x->done = true; /* no node yet: camps_set_done counts it once one joins */
	h->v[h->n++] = x;
	LOG_INFO("campaign", "%s: share of a fleet campaign created", id);
	*out = x;
	return 0;
}

int
camps_fleet_open(struct ctl *c, const char *id, const struct camp_params *p, const char *profile,
		 bool *held)
{
	struct camp_host *h = c->camps;
	struct hosted *x;
	int rc = 0;

	if (!h)
		return -ENOENT;
	pthread_rwlock_rdlock(&c->cfg_lock);
	pthread_mutex_lock(&h->mu);
	x = camps_find(h, id);
	if (!x)
		rc = fleet_new(h, id, p, profile, &x);
	else
		rc = camp_set_pace(&x->c, p->power_on_rate, p->max_in_flight);
	if (!rc) {
		x->c.p.power = p->power;
		*held = x->c.hold;
	}
	pthread_mutex_unlock(&h->mu);
	pthread_rwlock_unlock(&c->cfg_lock);
	return rc;
}

static long
fleet_change(struct ctl *c, const char *id, const char *const *names, uint32_t n, bool add)
{
	struct camp_host *h = c->camps;
	struct hosted *x;
	long k = 0;

	if (!h)
		return -ENOENT;
	pthread_rwlock_rdlock(&c->cfg_lock);
	pthread_mutex_lock(&h->mu);
	if (!(x = camps_find(h, id))) {
		k = -ENOENT;
	} else if (add) {
		k = camp_add(&x->c, names, n, ctl_now_ms());
	} else {
		for (uint32_t j = 0; j < n; j++) {
			int64_t i = camp_find(&x->c, names[j]);

			if (i >= 0 && camp_drop(&x->c, (uint32_t)i)) {
				console_stop(c, names[j], SOL_OWN_CAMPAIGN);
				k++;
			}
		}
	}
	if (x && k > 0) {
		camps_index_macs(x, c->cfg, atomic_load(&c->gen));
		camps_set_done(h, x);
		camps_save(h, x);
	}
	pthread_mutex_unlock(&h->mu);
	pthread_rwlock_unlock(&c->cfg_lock);
	return k;
}

long
camps_fleet_add(struct ctl *c, const char *id, const char *const *names, uint32_t n)
{
	return fleet_change(c, id, names, n, true);
}

long
camps_fleet_drop(struct ctl *c, const char *id, const char *const *names, uint32_t n)
{
	return fleet_change(c, id, names, n, false);
}

int
camps_fleet_hold(struct ctl *c, const char *id, bool hold)
{
	struct camp_host *h = c->camps;
	struct hosted *x;

	if (!h)
		return -ENOENT;
	pthread_mutex_lock(&h->mu);
	if ((x = camps_find(h, id)))
		x->c.hold = hold;
	pthread_mutex_unlock(&h->mu);
	return x ? 0 : -ENOENT;
}

int
camps_fleet_read(struct ctl *c, const char *id, struct camps_fnode **out, uint32_t *n)
{
	struct camp_host *h = c->camps;
	struct hosted *x;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (!h)
		return -ENOENT;
	pthread_mutex_lock(&h->mu);
	if (!(x = camps_find(h, id))) {
		rc = -ENOENT;
	} else if (!(*out = calloc(x->c.n ? x->c.n : 1, sizeof(**out)))) {
		rc = -ENOMEM;
	} else {
		for (uint32_t i = 0; i < x->c.n; i++) {
			const struct camp_node *s = &x->c.nodes[i];
			struct camps_fnode *d = &(*out)[*n];

			if (s->dropped)
				continue;
			memcpy(d->name, s->name, sizeof(d->name));
			d->stage = s->stage;
			d->attempts = s->attempts;
			d->since_ms = s->since_ms;
			memcpy(d->inst_stage, s->inst_stage, sizeof(d->inst_stage));
			memcpy(d->reason, s->reason, sizeof(d->reason));
			(*n)++;
		}
	}
	pthread_mutex_unlock(&h->mu);
	return rc;
}

uint32_t
camps_fleet_ids(struct ctl *c, char (*ids)[32], uint32_t cap, uint32_t *held)
{
	struct camp_host *h = c->camps;
	uint32_t k = 0;

	*held = 0;
	if (!h)
		return 0;
	pthread_mutex_lock(&h->mu);
	for (uint32_t j = 0; j < h->n && k < cap; j++)
		if (h->v[j]->c.fleet && (!h->v[j]->done || h->v[j]->c.hold)) {
			*held += h->v[j]->c.hold;
			memcpy(ids[k++], h->v[j]->c.id, 32);
		}
	pthread_mutex_unlock(&h->mu);
	return k;
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
