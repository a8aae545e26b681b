/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The campaign engine with a fake clock and fake BMCs/nodes: pacing
 * (max_in_flight, power_on_rate within 5 % over 1,000 nodes), repower
 * retries, deadline and failure reasons, and resume from the saved file.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/campaign/campaign.h"

#define MAXN 1000

struct fake {
	struct campaign *c;
	uint64_t now;
	/* outstanding BMC ops */
	uint32_t q_i[4 * MAXN];
	uint8_t q_op[4 * MAXN];
	size_t nq;
	uint64_t boot_at[8 * MAXN]; /* time of every CO_BOOT */
	size_t nboot;
	uint32_t max_seen_in_flight;
	uint32_t boots[MAXN], pxe[MAXN], set_install[MAXN];
	/* behaviour */
	bool dhcp_never[MAXN];
	bool report_never[MAXN];
	bool bmc_fail[MAXN];
	uint64_t dhcp_delay, report_delay;
	uint64_t powered_at[MAXN], dhcp_at[MAXN];
	/* verify probes: asked, answered (up_at: the node answers from then on) */
	uint32_t probes[MAXN];
	bool probe_out[MAXN];
	uint64_t up_at[MAXN];
	bool never_up[MAXN];
	int verify_rc;
};

static int
f_set_boot(void *ctx, uint32_t i, const char *node, enum camp_boot b)
{
	struct fake *f = ctx;
	(void)node;
	if (b == CB_INSTALL)
		f->set_install[i]++;
	return 0;
}

static int
f_power(void *ctx, uint32_t i, const char *node, enum camp_op op)
{
	struct fake *f = ctx;
	(void)node;
	assert_true(f->nq < 4 * MAXN);
	f->q_i[f->nq] = i;
	f->q_op[f->nq++] = (uint8_t)op;
	if (op == CO_BOOT) {
		f->boot_at[f->nboot++] = f->now;
		f->boots[i]++;
	} else {
		f->pxe[i]++;
	}
	if (f->c->in_flight > f->max_seen_in_flight)
		f->max_seen_in_flight = f->c->in_flight;
	return 0;
}

static int
f_verify(void *ctx, uint32_t i, const char *node)
{
	struct fake *f = ctx;
	(void)node;
	if (f->verify_rc < 0)
		return f->verify_rc;
	assert_false(f->probe_out[i]); /* never two probes of one node at once */
	f->probe_out[i] = true;
	f->probes[i]++;
	return 0;
}

static const struct camp_env fenv = { NULL, f_set_boot, f_power, NULL, NULL };

/* Every test's start: a fake with nothing outstanding, the clock at 1000 s,
 * nodes that DHCP dhcp_delay ms after power-on and report report_delay ms
 * after DHCP. */
static void
fake_reset(struct fake *f, uint64_t dhcp_delay, uint64_t report_delay)
{
	memset(f, 0, sizeof(*f));
	f->now = 1000000;
	f->dhcp_delay = dhcp_delay;
	f->report_delay = report_delay;
}

/* The fake's callbacks with f as their context (what a restarted host
 * passes to camp_load). */
static struct camp_env
env_of(struct fake *f)
{
	struct camp_env e = fenv;
	e.ctx = f;
	return e;
}

static void
mk(struct campaign *c, struct fake *f, uint32_t n, const struct camp_params *p)
{
	static char names[MAXN][16];
	static const char *np[MAXN];
	for (uint32_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "node%04u", i);
		np[i] = names[i];
	}
	struct camp_env e = env_of(f);
	f->c = c;
	assert_int_equal(camp_init(c, "c1", p, &e, np, n, f->now), 0);
}

/* One 10 ms step: BMC answers, nodes DHCP and report, then the clock. */
static void
step(struct fake *f)
{
	struct campaign *c = f->c;
	size_t nq = f->nq;
	f->nq = 0;
	uint32_t qi[4 * MAXN];
	uint8_t qo[4 * MAXN];
	memcpy(qi, f->q_i, nq * sizeof(*qi));
	memcpy(qo, f->q_op, nq);
	for (size_t k = 0; k < nq; k++) {
		bool ok = !f->bmc_fail[qi[k]];
		if (qo[k] == CO_BOOT && ok)
			f->powered_at[qi[k]] = f->now;
		camp_on_power(c, qi[k], qo[k], ok, ok ? NULL : "timeout", f->now);
	}
	for (uint32_t i = 0; i < c->n; i++) {
		struct camp_node *n = &c->nodes[i];
		if (n->stage == CS_WAIT_DHCP && !f->dhcp_never[i] &&
		    f->now >= f->powered_at[i] + f->dhcp_delay) {
			camp_on_dhcp(c, i, f->now);
			f->dhcp_at[i] = f->now;
		} else if (n->stage == CS_INSTALLING && !f->report_never[i] &&
			   f->now >= f->dhcp_at[i] + f->report_delay) {
			camp_on_report(c, i, true, NULL, f->now);
		}
	}
	for (uint32_t i = 0; i < c->n; i++)
		if (f->probe_out[i]) { /* a probe answers within the step */
			f->probe_out[i] = false;
			camp_on_verify(c, i, !f->never_up[i] && f->now >= f->up_at[i], f->now);
		}
	f->now += 10;
	camp_tick(c, f->now);
	assert_true(c->in_flight <= c->p.max_in_flight);
	if (c->in_flight > f->max_seen_in_flight)
		f->max_seen_in_flight = c->in_flight;
}

static void
run(struct fake *f, uint64_t max_ms)
{
	uint64_t end = f->now + max_ms;
	camp_tick(f->c, f->now);
	while (!camp_finished(f->c) && f->now < end)
		step(f);
	assert_true(camp_finished(f->c));
}

static const struct camp_params P = {
	.max_in_flight = 10, .power_on_rate = 1000, .burst = 1, .dhcp_deadline_ms = 60000,
	.max_repower = 2, .install_deadline_ms = 600000, .power = true,
};

static void
test_in_flight_cap(void **st)
{
	(void)st;
	static struct fake f;
	fake_reset(&f, 2000, 5000);
	struct campaign c;
	mk(&c, &f, 200, &P);
	run(&f, 3600000);
	assert_int_equal(c.n_stage[CS_DONE], 200);
	assert_int_equal(f.max_seen_in_flight, 10);
	for (uint32_t i = 0; i < 200; i++) {
		assert_int_equal(f.boots[i], 1);
		assert_int_equal(f.pxe[i], 1);
		assert_int_equal(f.set_install[i], 1);
	}
	camp_free(&c);
}

static void
test_rate_1000(void **st)
{
	(void)st;
	static struct fake f;
	fake_reset(&f, 1000, 1000);
	struct camp_params p = P;
	p.max_in_flight = 1000;
	p.power_on_rate = 20; /* nodes/s: 1,000 nodes in ~50 s */
	struct campaign c;
	mk(&c, &f, 1000, &p);
	run(&f, 3600000);
	assert_int_equal(c.n_stage[CS_DONE], 1000);
	assert_int_equal(f.nboot, 1000);
	/* Power-ons start with the PXE op one step earlier, so measure the
	 * spacing of CO_BOOT, which is what turns machines on. */
	double secs = (double)(f.boot_at[999] - f.boot_at[0]) / 1000.0;
	double rate = 999.0 / secs;
	printf("rate %.3f nodes/s over 1000 nodes (target 20)\n", rate);
	assert_true(rate <= 20 * 1.05 && rate >= 20 * 0.95);
	/* And in no one-second window more than rate + burst. */
	for (size_t a = 0, b = 0; b < f.nboot; b++) {
		while (f.boot_at[b] - f.boot_at[a] >= 1000)
			a++;
		assert_true(b - a + 1 <= 21);
	}
	camp_free(&c);
}

static void
test_repower_then_fail(void **st)
{
	(void)st;
	static struct fake f;
	fake_reset(&f, 1000, 1000);
	f.dhcp_never[3] = true;
	struct campaign c;
	mk(&c, &f, 5, &P);
	run(&f, 3600000);
	assert_int_equal(c.n_stage[CS_DONE], 4);
	assert_int_equal(c.nodes[3].stage, CS_FAILED);
	assert_int_equal(f.boots[3], 3); /* first + max_repower (2) */
	assert_int_equal(c.nodes[3].attempts, 3);
	assert_string_equal(c.nodes[3].reason,
			    "no DHCP within 60 s after 3 power cycles at stage waiting-dhcp");
	/* retry-failed: back to queued, then fails the same way again. */
	assert_int_equal(camp_retry_failed(&c, f.now), 1);
	assert_int_equal(c.nodes[3].stage, CS_QUEUED);
	run(&f, 3600000);
	assert_int_equal(f.boots[3], 6);
	camp_free(&c);
}

static void
test_install_timeout_and_reasons(void **st)
{
	(void)st;
	static struct fake f;
	fake_reset(&f, 1000, 1000);
	f.report_never[0] = true;
	f.report_never[1] = true;
	f.bmc_fail[2] = true;
	struct campaign c;
	mk(&c, &f, 4, &P);
	camp_tick(&c, f.now);
	/* node1 got to its kickstart, node0 only to DHCP. */
	while (c.nodes[1].stage != CS_INSTALLING)
		step(&f);
	camp_on_progress(&c, 1, "kickstart");
	run(&f, 3600000);
	assert_string_equal(c.nodes[0].reason,
			    "install timeout at stage dhcp (no report within 600 s)");
	assert_string_equal(c.nodes[1].reason,
			    "install timeout at stage kickstart (no report within 600 s)");
	assert_string_equal(c.nodes[2].reason,
			    "bmc next-boot pxe failed: timeout at stage powering");
	assert_int_equal(c.nodes[3].stage, CS_DONE);
	/* The installer's own failure report. */
	assert_int_equal(camp_retry_failed(&c, f.now), 3);
	f.bmc_fail[2] = false;
	camp_tick(&c, f.now);
	while (c.nodes[2].stage != CS_INSTALLING)
		step(&f);
	camp_on_report(&c, 2, false, "disk sda not found", f.now);
	assert_string_equal(c.nodes[2].reason,
			    "installer reported failure: disk sda not found (at stage dhcp)");
	camp_cancel(&c, f.now);
	assert_true(camp_finished(&c));
	camp_free(&c);
}

/* Verify after done: probed every second until it answers (done) or the
 * deadline (failed "verify timeout"); a probe that cannot start is asked
 * again; the deadline survives a save/load; without env.verify, no stage. */
static void
test_verify(void **st)
{
	(void)st;
	static struct fake f;
	fake_reset(&f, 1000, 1000);
	struct camp_params p = P;
	p.verify_deadline_ms = 30000;
	struct campaign c;
	mk(&c, &f, 3, &p);
	c.env.verify = f_verify;
	f.up_at[0] = 0;			/* answers the first probe */
	f.up_at[1] = f.now + 15000;	/* comes back after ~13 s of probes */
	f.never_up[2] = true;
	camp_tick(&c, f.now);
	while (c.nodes[1].stage != CS_VERIFYING)
		step(&f);
	assert_false(camp_finished(&c));
	/* saved while verifying: reloaded, the stage and deadline kept */
	char path[] = "/tmp/bs-test-campverify-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(camp_save(&c, path), 0);
	struct campaign c2;
	struct camp_env e = env_of(&f);
	e.verify = f_verify;
	assert_int_equal(camp_load(&c2, path, &e), 0);
	unlink(path);
	assert_int_equal(c2.p.verify_deadline_ms, 30000);
	assert_int_equal(c2.nodes[1].stage, CS_VERIFYING);
	assert_false(c2.nodes[1].probing);
	assert_int_equal(c2.n_stage[CS_VERIFYING], c.n_stage[CS_VERIFYING]);
	camp_free(&c2);
	run(&f, 3600000);
	assert_int_equal(c.nodes[0].stage, CS_DONE);
	assert_int_equal(f.probes[0], 1);
	assert_int_equal(c.nodes[1].stage, CS_DONE);
	assert_in_range(f.probes[1], 12, 15); /* one a second */
	assert_int_equal(c.nodes[2].stage, CS_FAILED);
	assert_string_equal(c.nodes[2].reason, "verify timeout (no probe answered within 30 s "
					       "of done) at stage verifying");
	assert_in_range(f.probes[2], 29, 31);
	/* a late answer after the deadline changes nothing */
	camp_on_verify(&c, 2, true, f.now);
	assert_int_equal(c.nodes[2].stage, CS_FAILED);
	/* retried, and probes cannot start for a while: asked again later */
	f.never_up[2] = false;
	f.verify_rc = -EBUSY;
	assert_int_equal(camp_retry_failed(&c, f.now), 1);
	camp_tick(&c, f.now);
	while (c.nodes[2].stage != CS_VERIFYING)
		step(&f);
	for (int k = 0; k < 300; k++)
		step(&f);
	assert_int_equal(c.nodes[2].stage, CS_VERIFYING);
	f.verify_rc = 0;
	run(&f, 60000);
	assert_int_equal(c.nodes[2].stage, CS_DONE);
	camp_free(&c);
	/* no verify callback: done at once even with a deadline set */
	fake_reset(&f, 0, 0);
	mk(&c, &f, 1, &p);
	run(&f, 60000);
	assert_int_equal(c.nodes[0].stage, CS_DONE);
	assert_int_equal(f.probes[0], 0);
	camp_free(&c);
}

/* A host ticking when camp_token_wait_ms says (not on a fixed period) keeps
 * the rate: 10/s with burst 1 over 100 nodes, at ticks late by up to 3 ms. */
static void
test_token_wait(void **st)
{
	(void)st;
	static struct fake f;
	fake_reset(&f, 1000, 1000);
	struct camp_params p = P;
	p.power_on_rate = 10;
	p.max_in_flight = 1000;
	struct campaign c;
	mk(&c, &f, 100, &p);
	assert_int_equal(camp_token_wait_ms(&c, f.now), 0);
	camp_tick(&c, f.now);
	assert_int_equal(camp_token_wait_ms(&c, f.now), 101);
	assert_int_equal(camp_token_wait_ms(&c, f.now + 50), 51);
	assert_int_equal(camp_token_wait_ms(&c, f.now + 100), 0);
	uint64_t t0 = f.now;
	while (c.n_stage[CS_QUEUED]) {
		uint64_t w = camp_token_wait_ms(&c, f.now);
		f.now += (w ? w : 1) + f.now % 4; /* 0-3 ms late */
		camp_tick(&c, f.now);
		for (uint32_t i = 0; i < c.n; i++) /* BMCs answer at once */
			if (c.nodes[i].op != CO_NONE)
				camp_on_power(&c, i, c.nodes[i].op, true, NULL, f.now);
	}
	double rate = 99.0 * 1000.0 / (double)(f.boot_at[f.nboot - 1] - t0);
	printf("token-timed ticks: %.3f nodes/s (target 10)\n", rate);
	assert_true(rate > 9.5 && rate <= 10.0);
	camp_free(&c);
}

/* A host that ticks late (a loaded machine: 0-60 ms after each token is
 * whole, and one 350 ms stall) keeps the rate: what came due while it was
 * late is carried, at most one token, so no window of W s ever holds more
 * than burst + 1 + W * rate starts.  Without the carry: 1000/130 ms = 7.7/s. */
static void
test_late_host(void **st)
{
	(void)st;
	static struct fake f;
	memset(&f, 0, sizeof(f));
	f.now = 1000000;
	struct camp_params p = P;
	p.power_on_rate = 10;
	p.max_in_flight = 1000;
	struct campaign c;
	mk(&c, &f, 300, &p);
	uint64_t t0 = f.now;
	for (uint32_t k = 0; c.n_stage[CS_QUEUED]; k++) {
		uint64_t w = camp_token_wait_ms(&c, f.now);
		f.now += w + (k * 37) % 61 + (k == 150 ? 350 : 0);
		camp_tick(&c, f.now);
		for (uint32_t i = 0; i < c.n; i++) /* BMCs answer at once */
			if (c.nodes[i].op != CO_NONE)
				camp_on_power(&c, i, c.nodes[i].op, true, NULL, f.now);
	}
	assert_int_equal(f.nboot, 300);
	double rate = 299.0 * 1000.0 / (double)(f.boot_at[f.nboot - 1] - t0);
	printf("late host (0-60 ms, one 350 ms stall): %.3f nodes/s (target 10)\n", rate);
	assert_true(rate > 9.8 && rate <= 10.05);
	uint32_t most = 0;
	for (size_t a = 0; a < f.nboot; a++) {
		uint32_t k = 0;
		for (size_t b = a; b < f.nboot && f.boot_at[b] < f.boot_at[a] + 1000; b++)
			k++;
		if (k > most)
			most = k;
	}
	printf("late host: most starts in a 1 s window %u (bound 1 + 1 + 10)\n", most);
	assert_true(most <= 12);
	/* burst 1 + the carry: never three at one instant */
	for (size_t a = 2; a < f.nboot; a++)
		assert_true(f.boot_at[a] > f.boot_at[a - 2]);
	camp_free(&c);
}

static void
test_resume(void **st)
{
	(void)st;
	static struct fake f;
	fake_reset(&f, 3000, 3000);
	f.dhcp_never[7] = true;
	struct campaign c;
	mk(&c, &f, 50, &P);
	camp_tick(&c, f.now);
	for (int k = 0; k < 300; k++) /* 3 s: some in each stage */
		step(&f);
	assert_true(c.n_stage[CS_QUEUED] > 0 && c.in_flight > 0);
	char dir[] = "/tmp/bs-camp-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64], tmp[80];
	snprintf(path, sizeof(path), "%s/c1.campaign", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(camp_save(&c, path), 0);
	assert_int_not_equal(access(tmp, F_OK), 0);

	/* "Restart": a fresh engine from the file, the same env. */
	struct campaign d;
	struct camp_env e = env_of(&f);
	assert_int_equal(camp_load(&d, path, &e), 0);
	assert_int_equal(d.n, 50);
	assert_int_equal(d.in_flight + d.n_stage[CS_QUEUED] + d.n_stage[CS_INSTALLING] +
				 d.n_stage[CS_DONE],
			 50);
	assert_int_equal(d.p.max_in_flight, 10);
	camp_free(&c);
	f.c = &d;
	f.nq = 0; /* answers to the old process's ops are lost */
	run(&f, 3600000);
	assert_int_equal(d.n_stage[CS_DONE], 49);
	assert_int_equal(d.nodes[7].stage, CS_FAILED);
	assert_string_equal(d.nodes[7].reason,
			    "no DHCP within 60 s after 3 power cycles at stage waiting-dhcp");
	/* Its reason survives a save/load too. */
	assert_int_equal(camp_save(&d, path), 0);
	struct campaign g;
	assert_int_equal(camp_load(&g, path, &e), 0);
	assert_string_equal(g.nodes[7].reason, d.nodes[7].reason);
	assert_int_equal(g.n_stage[CS_DONE], 49);
	camp_free(&g);
	camp_free(&d);

	/* A truncated file (no "end") is refused. */
	FILE *fp = fopen(path, "w");
	fputs("bootstorm-campaign 1\nid c1\nparams 1 1 1 1 1 1 1\nbucket 1 1 1\n", fp);
	fclose(fp);
	assert_int_equal(camp_load(&g, path, &e), -EBADMSG);
	unlink(path);
	rmdir(dir);
}

/* A fleet share: nodes claimed later are added, a node released to another
 * server is dropped (its in-flight slot freed, its late BMC answer stale),
 * the pace follows the share, a held campaign does nothing, and the file
 * keeps the fleet label but not the dropped node. */
static void
test_add_drop(void **st)
{
	(void)st;
	static struct fake f;
	fake_reset(&f, 3000, 3000);
	struct campaign c;
	struct camp_params p = P;
	p.max_in_flight = 4;
	mk(&c, &f, 4, &p);
	c.fleet = true;
	camp_tick(&c, f.now);
	for (int k = 0; k < 50; k++) /* 0.5 s: all four powering/waiting */
		step(&f);
	assert_int_equal(c.in_flight, 4);

	const char *more[] = { "late1", "late2", "node0001" };
	assert_int_equal(camp_add(&c, more, 3, f.now), 2); /* node0001 runs: left alone */
	assert_int_equal(c.n, 6);
	assert_int_equal(c.n_stage[CS_QUEUED], 2);
	assert_int_equal(c.nodes[4].stage, CS_QUEUED);
	assert_string_equal(c.nodes[5].name, "late2");
	step(&f);
	assert_int_equal(c.n_stage[CS_QUEUED], 2); /* no slot yet */

	/* node0002 goes to another server: its slot frees, one late node starts */
	assert_true(camp_drop(&c, 2));
	assert_false(camp_drop(&c, 2));
	assert_false(camp_drop(&c, 99));
	assert_int_equal(c.in_flight, 3);
	assert_int_equal(c.n_dropped, 1);
	step(&f);
	assert_int_equal(c.in_flight, 4);
	assert_int_equal(c.n_stage[CS_QUEUED], 1);
	/* its BMC answer or DHCP comes late: stale */
	camp_on_power(&c, 2, CO_BOOT, true, NULL, f.now);
	camp_on_dhcp(&c, 2, f.now);
	assert_int_equal(c.nodes[2].stage, CS_CANCELLED);
	assert_true(c.nodes[2].dropped);

	/* the saved file: fleet label kept, dropped node left out */
	char dir[] = "/tmp/bs-camp-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof(path), "%s/f.campaign", dir);
	assert_int_equal(camp_save(&c, path), 0);
	struct campaign g;
	struct camp_env e = env_of(&f);
	assert_int_equal(camp_load(&g, path, &e), 0);
	assert_true(g.fleet);
	assert_false(g.hold);
	assert_int_equal(g.n, 5);
	assert_int_equal(camp_find(&g, "node0002"), -1);
	camp_free(&g);
	unlink(path);
	rmdir(dir);

	/* held: no node starts (answers of running ops still come in) */
	c.hold = true;
	assert_int_equal(c.n_stage[CS_QUEUED], 1);
	for (int k = 0; k < 300; k++)
		step(&f);
	assert_int_equal(c.n_stage[CS_QUEUED], 1);
	c.hold = false;

	/* pace: the share's figures; a bad one refused */
	assert_int_equal(camp_set_pace(&c, 0, 1), -EINVAL);
	assert_int_equal(camp_set_pace(&c, 5, 0), -EINVAL);
	assert_int_equal(camp_set_pace(&c, 500, 2), 0);
	assert_int_equal(c.p.max_in_flight, 2);
	run(&f, 3600000);
	assert_true(f.max_seen_in_flight <= 4);
	assert_int_equal(c.n_stage[CS_DONE], 5);
	assert_true(camp_finished(&c));

	/* re-claimed after a release (the peer gave it back): queued again,
	 * a done node claimed again (a fleet retry) likewise */
	const char *back[] = { "node0002", "node0000" };
	assert_int_equal(camp_add(&c, back, 2, f.now), 2);
	assert_false(c.nodes[2].dropped);
	assert_int_equal(c.n_dropped, 0);
	assert_int_equal(c.nodes[0].attempts, 0);
	assert_int_equal(c.n_stage[CS_QUEUED], 2);
	assert_int_equal(c.n_stage[CS_DONE], 4);
	run(&f, 3600000);
	assert_int_equal(c.n_stage[CS_DONE], 6);
	camp_free(&c);
}

/* A fenced share (hold set between the PXE-once and its answer): the
 * answer starts no power-on; the node waits, and powers once released. */
static void
test_hold_mid_sequence(void **st)
{
	(void)st;
	static struct fake f;
	fake_reset(&f, 100, 100);
	struct campaign c;
	mk(&c, &f, 1, &P);
	camp_tick(&c, f.now);
	assert_int_equal(f.pxe[0], 1); /* PXE-once sent, not answered yet */
	assert_int_equal(f.boots[0], 0);
	c.hold = true;
	for (int k = 0; k < 500; k++) /* 5 s held: its answer comes in */
		step(&f);
	assert_int_equal(f.boots[0], 0);
	assert_int_equal(f.pxe[0], 1);
	assert_int_equal(c.nodes[0].stage, CS_POWERING);
	c.hold = false;
	run(&f, 60000);
	assert_int_equal(f.boots[0], 1);
	assert_int_equal(c.n_stage[CS_DONE], 1);
	camp_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_flight_cap),
		cmocka_unit_test(test_hold_mid_sequence),
		cmocka_unit_test(test_rate_1000),
		cmocka_unit_test(test_repower_then_fail),
		cmocka_unit_test(test_install_timeout_and_reasons),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_add_drop),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_token_wait),
		cmocka_unit_test(test_late_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
