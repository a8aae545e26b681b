/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The campaign engine (control/campaign/campaign.h): stage changes,
 * pacing (in-flight cap + token bucket), deadlines and failure reasons.
 * Persistence is in camp_file.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/campaign/campaign.h"
#include "util/bs_assert.h"

static const char *const stage_names[CS_MAX] = {
	"queued", "powering", "waiting-dhcp", "installing", "done", "failed", "cancelled",
	"verifying",
};

const char *
camp_stage_name(enum camp_stage s)
{
	return (unsigned)s < CS_MAX ? stage_names[s] : "?";
}

static bool
flying(unsigned s)
{
	return s == CS_POWERING || s == CS_WAIT_DHCP;
}

static bool
final(unsigned s)
{
	return s == CS_DONE || s == CS_FAILED || s == CS_CANCELLED;
}

static void
set_stage(struct campaign *c, uint32_t i, enum camp_stage to, uint64_t now_ms, const char *why)
{
	struct camp_node *n = &c->nodes[i];
	enum camp_stage from = n->stage;
	BS_ASSERT(c->n_stage[from] > 0);
	c->n_stage[from]--;
	c->n_stage[to]++;
	if (flying(from) && !flying(to))
		c->in_flight--;
	else if (!flying(from) && flying(to))
		c->in_flight++;
	n->stage = (uint8_t)to;
	n->since_ms = now_ms;
	if (to == CS_FAILED)
		snprintf(n->reason, sizeof(n->reason), "%s", why ? why : "failed");
	else if (to == CS_QUEUED)
		n->reason[0] = 0;
	if (c->env.event)
		c->env.event(c->env.ctx, i, n->name, from, to, to == CS_FAILED ? n->reason : NULL);
}

int
camp_init(struct campaign *c, const char *id, const struct camp_params *p,
	  const struct camp_env *env, const char *const *names, uint32_t n, uint64_t now_ms)
{
	memset(c, 0, sizeof(*c));
	if (!p->max_in_flight || !(p->power_on_rate > 0) || strlen(id) >= sizeof(c->id))
		return -EINVAL;
	c->nodes = calloc(n ? n : 1, sizeof(*c->nodes));
	if (!c->nodes)
		return -ENOMEM;
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->p = *p;
	if (c->p.burst < 1)
		c->p.burst = 1;
	c->env = *env;
	c->n = n;
	c->tokens = 1; /* the first node starts at once */
	c->last_ms = now_ms;
	c->created_ms = now_ms;
	for (uint32_t i = 0; i < n; i++) {
		if (strlen(names[i]) >= sizeof(c->nodes[i].name)) {
			free(c->nodes);
			c->nodes = NULL;
			return -ENAMETOOLONG;
		}
		snprintf(c->nodes[i].name, sizeof(c->nodes[i].name), "%s", names[i]);
		c->nodes[i].since_ms = now_ms;
	}
	c->n_stage[CS_QUEUED] = n;
	return 0;
}

void
camp_free(struct campaign *c)
{
	free(c->nodes);
	c->nodes = NULL;
	c->n = 0;
}

int64_t
camp_find(const struct campaign *c, const char *name)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (!strcmp(c->nodes[i].name, name))
			return i;
	return -1;
}

bool
camp_finished(const struct campaign *c)
{
	return c->n_stage[CS_DONE] + c->n_stage[CS_FAILED] + c->n_stage[CS_CANCELLED] +
		       c->n_dropped ==
	       c->n;
}

/* Node i back to queued, from dropped or a final stage. */
static void
requeue(struct campaign *c, uint32_t i, uint64_t now_ms)
{
	struct camp_node *n = &c->nodes[i];

	n->attempts = 0;
	n->inst_stage[0] = 0;
	n->op = CO_NONE;
	n->need_power = false;
	n->probing = false;
	if (n->dropped) {
		n->dropped = false;
		c->n_dropped--;
		n->stage = CS_QUEUED;
		n->reason[0] = 0;
		n->since_ms = now_ms;
		c->n_stage[CS_QUEUED]++;
		return;
	}
	set_stage(c, i, CS_QUEUED, now_ms, NULL);
}

long
camp_add(struct campaign *c, const char *const *names, uint32_t n, uint64_t now_ms)
{
	struct camp_node *v;
	uint32_t fresh = 0, k = c->n;
	long queued = 0;

	for (uint32_t j = 0; j < n; j++) {
		if (strlen(names[j]) >= sizeof(v->name))
			return -ENAMETOOLONG;
		fresh += camp_find(c, names[j]) < 0;
	}
	v = realloc(c->nodes, ((size_t)c->n + fresh + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->nodes = v;
	for (uint32_t j = 0; j < n; j++) {
		int64_t i = camp_find(c, names[j]);

		if (i >= 0) {
			struct camp_node *o = &c->nodes[i];

			if (o->dropped || final(o->stage)) {
				requeue(c, (uint32_t)i, now_ms);
				queued++;
			}
			continue;
		}
		memset(&v[k], 0, sizeof(v[k]));
		snprintf(v[k].name, sizeof(v[k].name), "%s", names[j]);
		v[k].since_ms = now_ms;
		c->n_stage[CS_QUEUED]++;
		c->n = ++k;
		queued++;
	}
	return queued;
}

bool
camp_drop(struct campaign *c, uint32_t i)
{
	struct camp_node *n;

	if (i >= c->n || c->nodes[i].dropped)
		return false;
	n = &c->nodes[i];
	BS_ASSERT(c->n_stage[n->stage] > 0);
	c->n_stage[n->stage]--;
	if (flying(n->stage))
		c->in_flight--;
	/* cancelled: final, so every input and the tick pass it by */
	n->stage = CS_CANCELLED;
	n->op = CO_NONE;
	n->need_power = false;
	n->probing = false;
	n->dropped = true;
	c->n_dropped++;
	return true;
}

int
camp_set_pace(struct campaign *c, double rate, uint32_t max_in_flight)
{
	if (!(rate > 0) || !max_in_flight)
		return -EINVAL;
	c->p.power_on_rate = rate;
	c->p.max_in_flight = max_in_flight;
	if (c->tokens > c->p.burst)
		c->tokens = c->p.burst;
	return 0;
}

/* The bucket holds burst tokens, plus one while a node waited for a token
 * at the last tick: a host that ticks late (scheduling, load) then keeps
 * what came due since the token was whole instead of losing it (measured:
 * 8.3/s for 10/s on a loaded 2-core host), at most one token's worth. */
static void
refill(struct campaign *c, uint64_t now_ms)
{
	double cap = c->p.burst + (c->starved ? 1.0 : 0.0);
	if (now_ms <= c->last_ms)
		return; /* a clock step back: no tokens, no harm */
	c->tokens += (double)(now_ms - c->last_ms) * c->p.power_on_rate / 1000.0;
	if (c->tokens > cap)
		c->tokens = cap;
	c->last_ms = now_ms;
}

uint64_t
camp_token_wait_ms(const struct campaign *c, uint64_t now_ms)
{
	double t = c->tokens;
	if (now_ms > c->last_ms)
		t += (double)(now_ms - c->last_ms) * c->p.power_on_rate / 1000.0;
	if (t >= 1)
		return 0;
	return (uint64_t)((1 - t) * 1000.0 / c->p.power_on_rate) + 1;
}

static void
issue(struct campaign *c, uint32_t i, enum camp_op op, uint64_t now_ms)
{
	struct camp_node *n = &c->nodes[i];
	n->op = (uint8_t)op;
	if (op == CO_BOOT)
		c->power_ons++;
	if (c->env.power(c->env.ctx, i, n->name, op) < 0) {
		char why[96];
		snprintf(why, sizeof(why), "bmc: cannot start %s at stage powering",
			 op == CO_BOOT ? "power on/cycle" : "next-boot pxe");
		n->op = CO_NONE;
		set_stage(c, i, CS_FAILED, now_ms, why);
	}
}

/* A node with a token (re)starts its power sequence. */
static void
power_start(struct campaign *c, uint32_t i, uint64_t now_ms)
{
	struct camp_node *n = &c->nodes[i];
	c->tokens -= 1;
	n->need_power = false;
	n->attempts++;
	if (n->stage != CS_POWERING)
		set_stage(c, i, CS_POWERING, now_ms, NULL);
	else
		n->since_ms = now_ms;
	if (!c->p.power) {
		/* Powered by hand: straight to waiting for its DHCP. */
		set_stage(c, i, CS_WAIT_DHCP, now_ms, NULL);
		return;
	}
	issue(c, i, CO_PXE_ONCE, now_ms);
}

static void
start_queued(struct campaign *c, uint32_t i, uint64_t now_ms)
{
	struct camp_node *n = &c->nodes[i];
	if (c->env.set_boot && c->env.set_boot(c->env.ctx, i, n->name, CB_INSTALL) < 0) {
		set_stage(c, i, CS_FAILED, now_ms, "cannot set boot state install at stage queued");
		return;
	}
	power_start(c, i, now_ms);
}

static void
deadlines(struct campaign *c, uint32_t i, uint64_t now_ms)
{
	struct camp_node *n = &c->nodes[i];
	char why[160];
	if (n->stage == CS_WAIT_DHCP && !n->need_power &&
	    now_ms - n->since_ms >= c->p.dhcp_deadline_ms) {
		if (n->attempts > c->p.max_repower) {
			snprintf(why, sizeof(why),
				 "no DHCP within %llu s after %u power cycles at stage "
				 "waiting-dhcp",
				 (unsigned long long)(c->p.dhcp_deadline_ms / 1000), n->attempts);
			set_stage(c, i, CS_FAILED, now_ms, why);
		} else {
			n->need_power = true; /* waits for a token, keeps its slot */
		}
	} else if (n->stage == CS_VERIFYING && now_ms - n->since_ms >= c->p.verify_deadline_ms) {
		snprintf(why, sizeof(why),
			 "verify timeout (no probe answered within %llu s of done) at stage verifying",
			 (unsigned long long)(c->p.verify_deadline_ms / 1000));
		n->probing = false; /* a late answer is dropped: stage is final */
		set_stage(c, i, CS_FAILED, now_ms, why);
	} else if (n->stage == CS_INSTALLING && now_ms - n->since_ms >= c->p.install_deadline_ms) {
		snprintf(why, sizeof(why), "install timeout at stage %s (no report within %llu s)",
			 n->inst_stage[0] ? n->inst_stage : "dhcp",
			 (unsigned long long)(c->p.install_deadline_ms / 1000));
		set_stage(c, i, CS_FAILED, now_ms, why);
	}
}

#define PROBE_EVERY_MS 1000u

static bool
verifies(const struct campaign *c)
{
	return c->p.verify_deadline_ms && c->env.verify;
}

static void
probe(struct campaign *c, uint32_t i, uint64_t now_ms)
{
	struct camp_node *n = &c->nodes[i];
	if (n->stage != CS_VERIFYING || n->probing || now_ms < n->next_probe_ms)
		return;
	n->next_probe_ms = now_ms + PROBE_EVERY_MS;
	n->probing = c->env.verify(c->env.ctx, i, n->name) == 0;
}

void
camp_tick(struct campaign *c, uint64_t now_ms)
{
	if (c->hold) {
		c->last_ms = now_ms; /* no tokens pile up while held */
		return;
	}
	refill(c, now_ms);
	for (uint32_t i = 0; i < c->n; i++)
		deadlines(c, i, now_ms);
	if (verifies(c) && c->n_stage[CS_VERIFYING])
		for (uint32_t i = 0; i < c->n; i++)
			probe(c, i, now_ms);
	/* Retries first: they hold a slot already. */
	for (uint32_t i = 0; i < c->n && c->tokens >= 1; i++)
		if (c->nodes[i].need_power && c->nodes[i].op == CO_NONE)
			power_start(c, i, now_ms);
	for (uint32_t i = 0; i < c->n && c->tokens >= 1 && c->in_flight < c->p.max_in_flight; i++)
		if (c->nodes[i].stage == CS_QUEUED)
			start_queued(c, i, now_ms);
	/* left waiting for a token (not for a slot)? */
	c->starved = false;
	if (c->tokens < 1) {
		for (uint32_t i = 0; i < c->n && !c->starved; i++)
			c->starved = (c->nodes[i].need_power && c->nodes[i].op == CO_NONE) ||
				     (c->nodes[i].stage == CS_QUEUED &&
				      c->in_flight < c->p.max_in_flight);
	}
}

void
camp_on_power(struct campaign *c, uint32_t i, enum camp_op op, bool ok, const char *err,
	      uint64_t now_ms)
{
	if (i >= c->n)
		return;
	struct camp_node *n = &c->nodes[i];
	if (n->stage != CS_POWERING || n->op != op)
		return; /* stale (cancelled, or DHCP came first) */
	n->op = CO_NONE;
	if (!ok) {
		char why[160];
		snprintf(why, sizeof(why), "bmc %s failed: %s at stage powering",
			 op == CO_BOOT ? "power on/cycle" : "next-boot pxe", err ? err : "error");
		set_stage(c, i, CS_FAILED, now_ms, why);
		return;
	}
	if (op == CO_PXE_ONCE && c->hold)
		n->need_power = true; /* held (a fenced fleet share): no new BMC op;
				       * the sequence restarts after the hold */
	else if (op == CO_PXE_ONCE)
		issue(c, i, CO_BOOT, now_ms);
	else
		set_stage(c, i, CS_WAIT_DHCP, now_ms, NULL);
}

void
camp_on_dhcp(struct campaign *c, uint32_t i, uint64_t now_ms)
{
	if (i >= c->n)
		return;
	struct camp_node *n = &c->nodes[i];
	/* In POWERING: the BMC answered late but the node is up; its
	 * outstanding op's answer is then dropped as stale. */
	if (n->stage != CS_WAIT_DHCP && n->stage != CS_POWERING)
		return;
	n->op = CO_NONE;
	n->need_power = false;
	snprintf(n->inst_stage, sizeof(n->inst_stage), "dhcp");
	set_stage(c, i, CS_INSTALLING, now_ms, NULL);
}

void
camp_on_progress(struct campaign *c, uint32_t i, const char *step)
{
	if (i < c->n && c->nodes[i].stage == CS_INSTALLING)
		snprintf(c->nodes[i].inst_stage, sizeof(c->nodes[i].inst_stage), "%s", step);
}

void
camp_on_report(struct campaign *c, uint32_t i, bool ok, const char *why, uint64_t now_ms)
{
	if (i >= c->n)
		return;
	struct camp_node *n = &c->nodes[i];
	/* A report can beat our DHCP input (seen through another route). */
	if (n->stage != CS_INSTALLING && n->stage != CS_WAIT_DHCP && n->stage != CS_POWERING)
		return;
	n->op = CO_NONE;
	n->need_power = false;
	if (ok) {
		/* done -> local is the lifecycle's (netboot-once); the engine
		 * only records it, and may check that the node came back. */
		if (verifies(c)) {
			n->probing = false;
			n->next_probe_ms = now_ms;
			set_stage(c, i, CS_VERIFYING, now_ms, NULL);
			probe(c, i, now_ms);
		} else {
			set_stage(c, i, CS_DONE, now_ms, NULL);
		}
		return;
	}
	char r[160];
	snprintf(r, sizeof(r), "installer reported failure: %s (at stage %s)",
		 why && *why ? why : "no reason", n->inst_stage[0] ? n->inst_stage : "dhcp");
	set_stage(c, i, CS_FAILED, now_ms, r);
}

void
camp_on_verify(struct campaign *c, uint32_t i, bool ok, uint64_t now_ms)
{
	if (i >= c->n || c->nodes[i].stage != CS_VERIFYING)
		return; /* stale: failed by its deadline, or cancelled */
	c->nodes[i].probing = false;
	if (ok)
		set_stage(c, i, CS_DONE, now_ms, NULL);
}

void
camp_cancel(struct campaign *c, uint64_t now_ms)
{
	for (uint32_t i = 0; i < c->n; i++) {
		struct camp_node *n = &c->nodes[i];
		if (!final(n->stage) && !n->dropped) {
			n->op = CO_NONE;
			n->need_power = false;
			set_stage(c, i, CS_CANCELLED, now_ms, NULL);
		}
	}
}

uint32_t
camp_retry_failed(struct campaign *c, uint64_t now_ms)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < c->n; i++) {
		struct camp_node *n = &c->nodes[i];
		if (n->stage == CS_FAILED && !n->dropped) {
			n->attempts = 0;
			n->inst_stage[0] = 0;
			set_stage(c, i, CS_QUEUED, now_ms, NULL);
			k++;
		}
	}
	return k;
}
