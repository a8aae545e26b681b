/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Inside the campaign host (campaigns.c: clock, inputs, resume;
 * camp_admin.c: create, cancel, retry, views).  Not for other files.
 */
#ifndef BS_CONTROL_CAMP_HOST_H
#define BS_CONTROL_CAMP_HOST_H

#include <pthread.h>
#include <stdatomic.h>

#include "control/daemon/campaigns.h"
#include "control/daemon/camp_verify.h"
#include "control/power/camp_bmc.h"

#define MAX_CAMPS 256u

struct mac_ix {
	uint64_t mac;
	uint32_t i;
};

/* One hosted campaign.  Invariant: macs covers every node of c that the
 * config generation macs_gen knows, sorted by mac. */
struct hosted {
	struct campaign c;
	struct camp_bmc bmc;
	struct camp_verify vf;	/* its verify probes */
	struct camp_host *h;
	struct mac_ix *macs;
	uint32_t n_macs;
	uint64_t macs_gen;
	bool dirty;	/* a stage changed since the last save */
	uint64_t ver;	/* state versions handed to saves (host mutex) */
	uint64_t saved_ver;	/* newest version on disk (save_mu) */
	uint64_t saved_mono;	/* CLOCK_MONOTONIC ms of the tick's last save */
	bool retired;		/* file renamed to <id>.old: never saved again (save_mu) */
	struct hosted *next_retired;
	bool done;	/* finished: no tick, no inputs */
	unsigned pins;	/* the outbox is starting its BMC ops: not retired */
};

/* Work a tick hands to the outbox thread (camp_out.c), so the clock never
 * waits for an fsync, a boot-file write, a SOL start or a thread start. */
enum cw_kind { CW_BOOT = 0, CW_CONSOLE, CW_POWER };

struct cw_item {
	struct hosted *x;
	uint32_t i;
	uint8_t kind;	/* enum cw_kind */
	uint8_t op;	/* CW_POWER: enum camp_op */
	char node[64];
};

struct cw_save {
	struct hosted *x;
	struct campaign snap;	/* its nodes owned by the outbox */
	uint64_t ver;
};

struct camp_host {
	struct ctl *c;
	pthread_mutex_t mu;
	pthread_mutex_t save_mu;	/* after mu when both: camp_save of any campaign */
	struct hosted *v[MAX_CAMPS];
	uint32_t n;
	uint32_t next_id;
	_Atomic uint32_t active;	/* unfinished campaigns: the hook's fast exit */
	char dir[4200];
	struct pwr_creds creds;
	bool have_creds;
	char *ca_file;
	pthread_t thr;
	bool thr_live;
	struct hosted *retired;	/* shells of retired campaigns, freed at stop */
	/* the outbox (camp_out.c), under out_mu */
	pthread_mutex_t out_mu;
	pthread_cond_t out_cv;
	struct cw_item *out;
	size_t n_out, cap_out;
	struct cw_save *outs;
	size_t n_outs, cap_outs;
	bool out_stop;
	pthread_t out_thr;
	bool out_live;
};

/* Host mutex held by the callers of all of these. */
void camps_env_of(struct hosted *x, struct camp_env *e);
void camps_index_macs(struct hosted *x, const struct cfg *cfg, uint64_t gen);
/* Saves x now (fsync'd); dirty cleared on success. */
void camps_save(struct camp_host *h, struct hosted *x);
/* Keeps done and the host's active count in step with x's stages. */
void camps_set_done(struct camp_host *h, struct hosted *x);
struct hosted *camps_find(struct camp_host *h, const char *id);
void camps_bmc_init(struct camp_host *h, struct hosted *x, const struct cfg *cfg);
/* Makes room: the oldest finished campaign leaves memory and its file
 * becomes <id>.old (kept for the record, not loaded).  false: none. */
bool camps_retire_oldest(struct camp_host *h);

/* The outbox: started before the tick thread, stopped after it (what it
 * holds then is dropped: outstanding BMC ops start again on resume, and
 * camps_stop saves every campaign).  Per batch, in this order: one
 * nodestate save of every change staged so far (a failed save fails the
 * batch's BMC ops: no node is powered on a state a crash could lose),
 * boot files and one snapshot publish, SOL captures, BMC ops, campaign
 * saves.  Push: host mutex held; 0 or -ENOMEM. */
int camps_out_start(struct camp_host *h);
void camps_out_stop(struct camp_host *h);
int camps_out_push(struct camp_host *h, struct hosted *x, uint32_t i, const char *node,
		   enum cw_kind kind, enum camp_op op);
/* Takes snap (and its nodes); an older copy of x not yet written is
 * dropped.  false: no memory (nothing taken). */
bool camps_out_save(struct camp_host *h, struct hosted *x, struct campaign *snap, uint64_t ver);
/* Writes version ver of x's state (cp) unless a newer one is on disk
 * (campaigns.c).  0 or -errno. */
int camps_write_ver(struct camp_host *h, struct hosted *x, const struct campaign *cp, uint64_t ver);

#endif
