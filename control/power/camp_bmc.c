/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Campaign -> BMC glue (control/power/camp_bmc.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "control/power/camp_bmc.h"

struct camp_bmc_done {
	uint32_t i;
	uint8_t op;
	int rc;
	char err[160];
};

struct job {
	struct camp_bmc *b;
	struct bmc_addr a;
	const struct pwr_cred *cr;
	uint32_t i;
	uint8_t op;
};

void
camp_bmc_init(struct camp_bmc *b, const struct cfg *cfg, const struct pwr_creds *cr,
	      const struct pwr_opts *o)
{
	memset(b, 0, sizeof(*b));
	b->cfg = cfg;
	b->creds = cr;
	b->opts = *o;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
}

static void
push(struct camp_bmc *b, const struct camp_bmc_done *d, bool ran)
{
	pthread_mutex_lock(&b->mu);
	if (b->nq == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct camp_bmc_done *v = realloc(b->q, cap * sizeof(*v));
		if (v) {
			b->q = v;
			b->cap = cap;
		}
	}
	/* Out of memory: the answer is lost; the engine's DHCP deadline
	 * powers the node again. */
	if (b->nq < b->cap)
		b->q[b->nq++] = *d;
	if (ran)
		b->running--;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

/* BMC threads and their ipmitool children run at this nice value: a
 * lanplus session costs 30-40 ms of CPU, a node three or more, and on a
 * busy host they took the CPU from the campaign's clock thread (ticks
 * 0.4-1.7 s late, tests/perf/camp_scale.sh), which only waits for a token. */
#define BMC_NICE 5

static void *
job_run(void *arg)
{
	struct job *j = arg;
	/* Linux: per thread; children inherit it.  Best effort. */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), BMC_NICE);
	struct pwr_result r;
	enum pwr_op op = j->op == CO_PXE_ONCE ? PWR_PXE_ONCE : PWR_BOOT;
	struct camp_bmc_done d = { .i = j->i, .op = j->op };
	d.rc = pwr_exec(&j->a, j->cr, op, &j->b->opts, &r);
	snprintf(d.err, sizeof(d.err), "%s", r.err);
	push(j->b, &d, true);
	free(j);
	return NULL;
}

int
camp_bmc_power(void *ctx, uint32_t i, const char *node, enum camp_op op)
{
	struct camp_bmc *b = ctx;
	const struct cfg_node *n = cfg_node_by_name(b->cfg, node);
	const char *why;
	struct job *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	if (!n || !n->bmc || cfgp_bmc_url(n->bmc, &j->a, &why) < 0) {
		free(j);
		return -ENODEV;
	}
	j->b = b;
	j->cr = pwr_creds_find(b->creds, j->a.host);
	j->i = i;
	j->op = (uint8_t)op;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&b->mu);
	b->running++;
	pthread_mutex_unlock(&b->mu);
	pthread_t t;
	int rc = pthread_create(&t, &at, job_run, j);
	pthread_attr_destroy(&at);
	if (rc) {
		pthread_mutex_lock(&b->mu);
		b->running--;
		pthread_mutex_unlock(&b->mu);
		free(j);
		return -rc;
	}
	return 0;
}

void
camp_bmc_fail(struct camp_bmc *b, uint32_t i, enum camp_op op, int rc, const char *err)
{
	struct camp_bmc_done d = { .i = i, .op = (uint8_t)op, .rc = rc < 0 ? rc : -EIO };
	snprintf(d.err, sizeof(d.err), "%s", err);
	push(b, &d, false);
}

size_t
camp_bmc_drain(struct camp_bmc *b, struct campaign *c, uint64_t now_ms)
{
	pthread_mutex_lock(&b->mu);
	size_t n = b->nq;
	struct camp_bmc_done *q = b->q;
	b->q = NULL;
	b->nq = b->cap = 0;
	pthread_mutex_unlock(&b->mu);
	for (size_t k = 0; k < n; k++)
		camp_on_power(c, q[k].i, (enum camp_op)q[k].op, q[k].rc == 0,
			      q[k].rc ? q[k].err : NULL, now_ms);
	free(q);
	return n;
}

void
camp_bmc_fini(struct camp_bmc *b)
{
	pthread_mutex_lock(&b->mu);
	while (b->running)
		pthread_cond_wait(&b->cv, &b->mu);
	pthread_mutex_unlock(&b->mu);
	free(b->q);
	b->q = NULL;
	b->nq = b->cap = 0;
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
}
