/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Power and boot device through a node's BMC.
 *
 * IPMI 2.0 (RMCP+, "lanplus") is spoken by ipmitool run as a child
 * process, one per operation (README, design notes: why not libfreeipmi
 * in-process).  The password goes through the child's environment
 * (IPMI_PASSWORD with -E), never its argv, so `ps` does not show it.
 * Each try is bounded by a hard timeout (the child is killed), failed
 * tries are retried with exponential backoff, and one BMC runs one
 * operation at a time (per-BMC concurrency 1, across threads).
 *
 * Redfish BMCs (redfish://) go through libcurl + jansson (redfish.c) under
 * the same retries and per-BMC lock.
 *
 * Credentials: power.credentials_file, "host user password" lines, the
 * file readable by its owner only (refused otherwise).  Never in the YAML,
 * never in a log line or an API answer.
 */
#ifndef BS_CONTROL_POWER_H
#define BS_CONTROL_POWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/cfg_bmc.h"

enum pwr_op {
	PWR_STATUS = 0,
	PWR_ON,
	PWR_OFF,
	PWR_CYCLE,
	PWR_PXE_ONCE,	/* next boot from the network, this boot only */
	PWR_BOOT,	/* status, then on when off or cycle when on */
	PWR_OP_MAX
};

struct pwr_cred {
	char host[254];
	char user[64];
	char pass[128];
};

struct pwr_creds {
	struct pwr_cred *v;
	size_t n;
};

struct pwr_opts {
	uint32_t timeout_ms;	/* one try, child killed after it */
	uint32_t retries;	/* extra tries after a failure */
	uint32_t backoff_ms;	/* first pause; doubled after each try */
	const char *tool;	/* NULL = "ipmitool" from PATH (tests: a fake) */
	const char *ca_file;	/* Redfish: CA bundle; NULL = the system store */
	uint32_t cipher;	/* RMCP+ cipher suite (3, 17); 0 = ipmitool asks the
				   BMC first (Get Channel Cipher Suites: one more
				   round trip, seconds on BMCs that do not answer it) */
};

struct pwr_result {
	int rc;			/* 0, or -errno-like (-ETIMEDOUT, -EIO) */
	bool on;		/* PWR_STATUS/PWR_BOOT: power was on */
	uint32_t tries;
	char err[160];		/* last failure, no secret in it */
};

const char *pwr_op_name(enum pwr_op op);
/* "status"... back to the op, -1 if unknown. */
int pwr_op_parse(const char *s);

/* Loads the credentials file.  -EPERM when group/other may read or
 * write it, -EBADMSG (line in *bad_line) on a malformed line. */
int pwr_creds_load(const char *path, struct pwr_creds *out, unsigned *bad_line);
const struct pwr_cred *pwr_creds_find(const struct pwr_creds *c, const char *host);
void pwr_creds_free(struct pwr_creds *c);

/* Runs one operation, with its retries; blocks (call from a worker
 * thread).  Returns r->rc. */
int pwr_exec(const struct bmc_addr *a, const struct pwr_cred *cr, enum pwr_op op,
	     const struct pwr_opts *o, struct pwr_result *r);

#endif
