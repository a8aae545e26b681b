/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The campaign host's outbox (camp_host.h): the slow side effects of a
 * tick, done on a thread of their own, in batches.  Measured on the tick
 * (tests/perf/camp_scale.sh, 1,000 nodes, loaded 2-core machine): per
 * node start the nodestate save took 122-300 ms on average (a 1,000-line
 * file fsync'd), the SOL capture start 150 ms, the boot files 1-40 ms, the
 * once-a-second campaign save 230-850 ms; the one-token bucket loses every
 * token that comes due while the tick is busy, so the power-on rate fell
 * to 0.8x.  Here they cost the BMCs' timing only a delay, never a token.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/daemon/api_console.h"
#include "control/daemon/camp_host.h"
#include "control/daemon/nodestate.h"
#include "control/daemon/reload.h"
#include "control/log.h"
#include "control/power/sol.h"

/* Writes version ver of x's state (cp) unless a newer one is on disk
 * already (a tick's copy saved outside the host mutex can lose the race to
 * a report's save under it).  Serialised by save_mu: one writer of the
 * campaign's temp file at a time.  The node states its nodes were given
 * go to disk first: a resumed "powering" node is powered again without
 * its state being set again.  0 or -errno. */
int
camps_write_ver(struct camp_host *h, struct hosted *x, const struct campaign *cp, uint64_t ver)
{
	char path[4300];
	int rc = 0;

	pthread_mutex_lock(&h->save_mu);
	if (ver > x->saved_ver && !x->retired) {
		snprintf(path, sizeof(path), "%s/%s", h->dir, cp->id);
		rc = ns_sync(&h->c->ns, ns_seq(&h->c->ns));
		if (rc == 0)
			rc = camp_save(cp, path);
		if (rc < 0)
			LOG_ERR("campaign", "%s: save %s: %s (kept in memory, tried again)", cp->id,
				path, strerror(-rc));
		else
			x->saved_ver = ver;
	}
	pthread_mutex_unlock(&h->save_mu);
	return rc;
}

int
camps_out_push(struct camp_host *h, struct hosted *x, uint32_t i, const char *node,
	       enum cw_kind kind, enum camp_op op)
{
	struct cw_item *it;

	pthread_mutex_lock(&h->out_mu);
	if (h->n_out == h->cap_out) {
		size_t cap = h->cap_out ? h->cap_out * 2 : 64;
		struct cw_item *v = realloc(h->out, cap * sizeof(*v));

		if (!v) {
			pthread_mutex_unlock(&h->out_mu);
			return -ENOMEM;
		}
		h->out = v;
		h->cap_out = cap;
	}
	it = &h->out[h->n_out++];
	memset(it, 0, sizeof(*it));
	it->x = x;
	it->i = i;
	it->kind = (uint8_t)kind;
	it->op = (uint8_t)op;
	snprintf(it->node, sizeof(it->node), "%s", node);
	pthread_cond_signal(&h->out_cv);
	pthread_mutex_unlock(&h->out_mu);
	return 0;
}

bool
camps_out_save(struct camp_host *h, struct hosted *x, struct campaign *snap, uint64_t ver)
{
	size_t k;

	pthread_mutex_lock(&h->out_mu);
	for (k = 0; k < h->n_outs && h->outs[k].x != x; k++)
		;
	if (k == h->n_outs && h->n_outs == h->cap_outs) {
		size_t cap = h->cap_outs ? h->cap_outs * 2 : 8;
		struct cw_save *v = realloc(h->outs, cap * sizeof(*v));

		if (!v) {
			pthread_mutex_unlock(&h->out_mu);
			return false;
		}
		h->outs = v;
		h->cap_outs = cap;
	}
	if (k < h->n_outs)
		free(h->outs[k].snap.nodes); /* older, never written: superseded */
	else
		h->n_outs++;
	h->outs[k] = (struct cw_save){ x, *snap, ver };
	pthread_cond_signal(&h->out_cv);
	pthread_mutex_unlock(&h->out_mu);
	return true;
}

/* Node i of x is still waiting for what it asked (host mutex held). */
static bool
live_node(const struct hosted *x, uint32_t i)
{
	return i < x->c.n && (x->c.nodes[i].stage == CS_POWERING ||
			      x->c.nodes[i].stage == CS_WAIT_DHCP);
}

static void
boot_files(struct ctl *c, const struct cw_item *v, size_t n)
{
	size_t k, nb = 0;
	const char *one = NULL;

	for (k = 0; k < n; k++) {
		const struct cfg_node *nd;

		if (v[k].kind != CW_BOOT)
			continue;
		nb++;
		one = v[k].node;
		if ((nd = cfg_node_by_name(c->cfg, v[k].node)))
			ctl_gen_node(c, c->cfg, nd);
	}
	/* what DHCP hands out (shm/snap.h node boot): one publish a batch */
	if (nb == 1)
		ctl_publish_node(c, one);
	else if (nb > 1)
		ctl_publish_states(c);
}

static void
consoles(struct camp_host *h, const struct cw_item *v, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		bool live;
		int rc;

		if (v[k].kind != CW_CONSOLE)
			continue;
		pthread_mutex_lock(&h->mu);
		live = live_node(v[k].x, v[k].i);
		pthread_mutex_unlock(&h->mu);
		if (!live)
			continue;
		rc = console_start_held(h->c, v[k].node, SOL_OWN_CAMPAIGN);
		if (rc < 0 && rc != -ENODEV && rc != -EPROTONOSUPPORT)
			LOG_DEBUG("campaign", "%s: console of %s: %s", v[k].x->c.id, v[k].node,
				  strerror(-rc));
		pthread_mutex_lock(&h->mu);
		live = live_node(v[k].x, v[k].i);
		pthread_mutex_unlock(&h->mu);
		if (!live && rc == 0) /* ended meanwhile: its stop came first */
			console_stop(h->c, v[k].node, SOL_OWN_CAMPAIGN);
	}
}

/* synced: 0, or the failed nodestate save's -errno.  Thread starts run
 * outside the host mutex (the tick and the API wait for it): the
 * campaign is pinned meanwhile so it is not retired under them. */
static void
bmc_ops(struct camp_host *h, struct cw_item *v, size_t n, int synced)
{
	char err[160];
	size_t k;

	pthread_mutex_lock(&h->mu);
	for (k = 0; k < n; k++) {
		struct hosted *x = v[k].x;

		if (v[k].kind != CW_POWER)
			continue;
		v[k].kind = CW_BOOT; /* not sent, unless below */
		if (v[k].i >= x->c.n)
			continue; /* retired meanwhile: its BMC glue is gone */
		if (x->c.nodes[v[k].i].stage != CS_POWERING || x->c.nodes[v[k].i].op != v[k].op)
			continue; /* stale: cancelled, or its DHCP came first */
		if (synced < 0) {
			snprintf(err, sizeof(err), "not sent: boot state not saved (%s)",
				 strerror(-synced));
			camp_bmc_fail(&x->bmc, v[k].i, (enum camp_op)v[k].op, synced, err);
			continue;
		}
		v[k].kind = CW_POWER;
		x->pins++;
	}
	pthread_mutex_unlock(&h->mu);
	for (k = 0; k < n; k++) {
		struct hosted *x = v[k].x;
		int rc;

		if (v[k].kind != CW_POWER)
			continue;
		rc = camp_bmc_power(&x->bmc, v[k].i, v[k].node, (enum camp_op)v[k].op);
		if (rc < 0) {
			snprintf(err, sizeof(err), "cannot start (%s)", strerror(-rc));
			camp_bmc_fail(&x->bmc, v[k].i, (enum camp_op)v[k].op, rc, err);
		}
	}
	pthread_mutex_lock(&h->mu);
	for (k = 0; k < n; k++)
		if (v[k].kind == CW_POWER)
			v[k].x->pins--;
	pthread_mutex_unlock(&h->mu);
}

static void *
out_main(void *arg)
{
	struct camp_host *h = arg;
	struct ctl *c = h->c;

	for (;;) {
		struct cw_item *v;
		struct cw_save *s;
		size_t n, ns;
		int synced;

		pthread_mutex_lock(&h->out_mu);
		while (!h->out_stop && !h->n_out && !h->n_outs)
			pthread_cond_wait(&h->out_cv, &h->out_mu);
		if (h->out_stop) {
			pthread_mutex_unlock(&h->out_mu);
			break;
		}
		v = h->out, n = h->n_out, s = h->outs, ns = h->n_outs;
		h->out = NULL, h->n_out = h->cap_out = 0;
		h->outs = NULL, h->n_outs = h->cap_outs = 0;
		pthread_mutex_unlock(&h->out_mu);

		/* every state staged before these items were pushed: on disk
		 * before any of their BMC ops is sent (and before a campaign
		 * file that says "powering" for them) */
		synced = ns_sync(&c->ns, ns_seq(&c->ns));
		pthread_rwlock_rdlock(&c->cfg_lock);
		boot_files(c, v, n);
		consoles(h, v, n);
		bmc_ops(h, v, n, synced);
		pthread_rwlock_unlock(&c->cfg_lock);
		for (size_t k = 0; k < ns; k++) {
			if (camps_write_ver(h, s[k].x, &s[k].snap, s[k].ver) < 0) {
				pthread_mutex_lock(&h->mu);
				s[k].x->dirty = true;
				pthread_mutex_unlock(&h->mu);
			}
			free(s[k].snap.nodes);
		}
		free(v);
		free(s);
	}
	return NULL;
}

int
camps_out_start(struct camp_host *h)
{
	pthread_mutex_init(&h->out_mu, NULL);
	pthread_cond_init(&h->out_cv, NULL);
	if (pthread_create(&h->out_thr, NULL, out_main, h) != 0)
		return -EAGAIN;
	h->out_live = true;
	return 0;
}

void
camps_out_stop(struct camp_host *h)
{
	pthread_mutex_lock(&h->out_mu);
	h->out_stop = true;
	pthread_cond_signal(&h->out_cv);
	pthread_mutex_unlock(&h->out_mu);
	if (h->out_live)
		pthread_join(h->out_thr, NULL);
	h->out_live = false;
	for (size_t k = 0; k < h->n_outs; k++) {
		h->outs[k].x->dirty = true; /* camps_stop saves it */
		free(h->outs[k].snap.nodes);
	}
	free(h->outs);
	free(h->out);
	h->outs = NULL;
	h->out = NULL;
	h->n_out = h->n_outs = h->cap_out = h->cap_outs = 0;
	pthread_mutex_destroy(&h->out_mu);
	pthread_cond_destroy(&h->out_cv);
}
