/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A reimage campaign: a pure engine over inputs and a clock.  Every side
 * effect is a callback in struct camp_env (like dataplane/dhcp's env):
 * the node boot state (issue 17's lifecycle), BMC operations (control/power,
 * asynchronous: their results come back through camp_on_power()), and a
 * stage-change event for logs/API.  No thread, no I/O but camp_save/load.
 *
 * Per node: queued -> powering -> waiting-dhcp -> installing [-> verifying]
 * -> done|failed.  Verifying (when verify_deadline_ms and env.verify are
 * set): the installer reported done, the node boots its disk; the host
 * probes it (env.verify, e.g. a TCP or HTTP check) every second until one
 * probe answers (done) or the deadline passes (failed, "verify timeout").
 * In flight = powering + waiting-dhcp (from the first power command until
 * the node's first DHCP packet proves it booted): at most max_in_flight,
 * and power-on commands are paced by a token bucket of power_on_rate
 * nodes/s (burst 1 by default) so a campaign never switches on more than
 * that many machines per second (breakers), retries included.  While nodes
 * wait for a token the bucket may hold one more than burst, what came due
 * while the host ticked late: over any window of W seconds at most
 * burst + 1 + W * power_on_rate starts, and a late host loses no rate.
 *
 * Clock: milliseconds of CLOCK_REALTIME (bs_real_ms()), so deadlines keep
 * their meaning across a control restart (the file stores absolute times).
 */
#ifndef BS_CONTROL_CAMPAIGN_H
#define BS_CONTROL_CAMPAIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum camp_stage {
	CS_QUEUED = 0,
	CS_POWERING,	/* BMC: next boot PXE once, then power on/cycle */
	CS_WAIT_DHCP,	/* powered; no DHCP from it yet */
	CS_INSTALLING,	/* seen on the network; installer not done */
	CS_DONE,
	CS_FAILED,
	CS_CANCELLED,
	CS_VERIFYING,	/* reported done; probing that it came back (last: file numbers) */
	CS_MAX
};

/* Node boot state asked of the lifecycle (issue 17). */
enum camp_boot { CB_INSTALL = 0, CB_LOCAL };

/* BMC operations the engine asks for (control/power executes them). */
enum camp_op {
	CO_NONE = 0,
	CO_PXE_ONCE,	/* next boot from the network, once */
	CO_BOOT,	/* power on if off, else power cycle */
	CO_MAX
};

struct camp_params {
	uint32_t max_in_flight;		/* >= 1 */
	double power_on_rate;		/* nodes per second, > 0 */
	double burst;			/* bucket size, >= 1 */
	uint64_t dhcp_deadline_ms;	/* powered, no DHCP within this: power again */
	uint32_t max_repower;		/* ... at most this many times, then failed */
	uint64_t install_deadline_ms;	/* first DHCP to done; else failed */
	bool power;			/* false: no BMC calls (nodes rebooted by hand) */
	uint64_t verify_deadline_ms;	/* done to a probe's answer; 0: no verify */
};

struct camp_env {
	void *ctx;
	/* Lifecycle: make the node's next netboot install (or local). */
	int (*set_boot)(void *ctx, uint32_t i, const char *node, enum camp_boot b);
	/* Start a BMC operation; its result comes through camp_on_power().
	 * Returns 0 when started, <0 when it cannot even start. */
	int (*power)(void *ctx, uint32_t i, const char *node, enum camp_op op);
	/* Start one probe that node i came back (after its installer's done);
	 * its result comes through camp_on_verify().  <0: not started now (e.g.
	 * too many probes running), asked again next tick.  NULL: no verify. */
	int (*verify)(void *ctx, uint32_t i, const char *node);
	/* A node changed stage (reason set for failed). May be NULL. */
	void (*event)(void *ctx, uint32_t i, const char *node, enum camp_stage from,
		      enum camp_stage to, const char *reason);
};

struct camp_node {
	char name[64];
	uint8_t stage;		/* enum camp_stage */
	uint8_t op;		/* outstanding BMC op, CO_NONE when none */
	bool need_power;	/* waits for a token to (re)start its power sequence */
	uint32_t attempts;	/* power sequences started */
	uint64_t since_ms;	/* entered this stage */
	char inst_stage[24];	/* last install step reported (dhcp, tftp, kernel, ...) */
	char reason[160];	/* why it failed */
	bool dropped;		/* released (camp_drop): in no stage count, no
				 * input or tick touches it, not saved */
	bool probing;		/* a verify probe outstanding (not saved) */
	uint64_t next_probe_ms;	/* verifying: when to probe again (not saved) */
};

struct campaign {
	char id[32];
	char profile[64];	/* labels for the host (the engine ignores them): */
	uint64_t created_ms;	/* boot profile ("" = the YAML's), creation time */
	struct camp_params p;
	struct camp_env env;
	double tokens;
	uint64_t last_ms;	/* of the last refill */
	uint32_t in_flight;	/* powering + waiting-dhcp */
	uint32_t n_stage[CS_MAX];
	struct camp_node *nodes;
	uint32_t n;
	uint64_t power_ons;	/* CO_BOOT ops started (for the pacing checks) */
	bool starved;		/* the last tick left a node waiting for a token */
	bool fleet;		/* a share of a fleet campaign (saved label) */
	bool hold;		/* ticks do nothing (not saved), and a PXE-once
				 * answer starts no power-on: a fleet share waits
				 * until its claims were re-read, or is fenced */
	uint32_t n_dropped;	/* nodes with dropped set */
};

const char *camp_stage_name(enum camp_stage s);

/* n node names; every node queued.  -errno. */
int camp_init(struct campaign *c, const char *id, const struct camp_params *p,
	      const struct camp_env *env, const char *const *names, uint32_t n, uint64_t now_ms);
void camp_free(struct campaign *c);

/* The clock: refill, deadlines, starts.  Call often (e.g. every 100 ms). */
void camp_tick(struct campaign *c, uint64_t now_ms);

/* Milliseconds from now_ms until the bucket next holds a whole token (0:
 * it does): a host ticking at that moment loses no token to the bucket's
 * cap (one token, by default). */
uint64_t camp_token_wait_ms(const struct campaign *c, uint64_t now_ms);

/* Inputs. */
void camp_on_power(struct campaign *c, uint32_t i, enum camp_op op, bool ok, const char *err,
		   uint64_t now_ms);
void camp_on_dhcp(struct campaign *c, uint32_t i, uint64_t now_ms);
/* An install step seen (e.g. "tftp", "kernel", "kickstart"): named in the
 * timeout reason. */
void camp_on_progress(struct campaign *c, uint32_t i, const char *step);
/* The installer's report: done, or failed with its reason. */
void camp_on_report(struct campaign *c, uint32_t i, bool ok, const char *why, uint64_t now_ms);
/* A verify probe's result (ok: the node answered). */
void camp_on_verify(struct campaign *c, uint32_t i, bool ok, uint64_t now_ms);

void camp_cancel(struct campaign *c, uint64_t now_ms);
/* Failed nodes back to queued, attempts reset.  Returns how many. */
uint32_t camp_retry_failed(struct campaign *c, uint64_t now_ms);
/* Adds n nodes as queued (a fleet campaign's newly claimed nodes).  A name
 * the campaign has already: a dropped or final node starts again from
 * queued (attempts 0), an unfinished one is left as it is.  Indices of
 * existing nodes never change (the host's BMC ops and MAC index carry
 * them).  Returns how many nodes were queued, or -errno (c unchanged). */
long camp_add(struct campaign *c, const char *const *names, uint32_t n, uint64_t now_ms);
/* Node i leaves the campaign (released to another server): its slot stays
 * (indices are stable) but it counts in no stage, frees its in-flight slot,
 * and an outstanding BMC answer for it is dropped as stale.  No event.
 * false when i is out of range or already dropped. */
bool camp_drop(struct campaign *c, uint32_t i);
/* New pacing (a fleet share changed): rate > 0, in_flight >= 1; tokens
 * above the new burst are cut.  -EINVAL (c unchanged). */
int camp_set_pace(struct campaign *c, double rate, uint32_t max_in_flight);
/* Index of a node by name, or -1 (a dropped node is still found). */
int64_t camp_find(const struct campaign *c, const char *name);
bool camp_finished(const struct campaign *c);

/* Durable state: written atomically (tmp, fsync, rename, fsync dir). */
int camp_save(const struct campaign *c, const char *path);
/* Loads a saved campaign; env is attached, counters rebuilt.  Nodes whose
 * BMC operation was outstanding at the crash restart their power sequence
 * (both ops are idempotent).  -errno (-EBADMSG on a malformed file). */
int camp_load(struct campaign *c, const char *path, const struct camp_env *env);

#endif
