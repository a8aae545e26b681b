/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Console capture: Serial-over-LAN (IPMI 2.0 section 24) of a node's BMC,
 * written to a bounded per-node log, <state_dir>/console/<node>.log.
 *
 * Each capture is one `ipmitool -I lanplus ... sol activate` child (why a
 * child and not libfreeipmi in-process: README, design notes; the same
 * credentials file and the same rule as power.h: the password travels in
 * the child's environment, IPMI_PASSWORD with -E, never in its argv).  Its
 * stdout and stderr go to the log.  When the session ends (the BMC
 * dropped it, the node powered off and the BMC closed SOL, ipmitool's
 * keepalive failed) the capture starts a new child after a pause that
 * doubles from 1 s up to 30 s, back to 1 s after a session that lasted
 * 30 s; each new child first runs `sol deactivate` (a session left
 * active by a killed ipmitool otherwise refuses the next one: "SOL payload
 * already active on another session").  A BMC that refuses SOL for good
 * (SOL disabled, not supported, the user's privilege too low: the table in
 * sol_why.c) is not tried again: the capture stays held but idle, says why
 * in the log and in sol_status, and tries once more only when sol_start is
 * called for it again.  A line "[bootstorm sol: ...]" in the log marks each
 * start and end (the campaign detail shows the log's last lines, so the
 * reason reaches it too).  Stopping sends ipmitool's escape "~."
 * on its stdin (it deactivates the payload and exits), then SIGTERM after
 * 2 s and SIGKILL after 4 s.
 *
 * The log bound: the file never grows past max_bytes (default 256 KiB).  A
 * write that would take it past the bound rewrites it to its last
 * max_bytes/2 bytes (the new data included) in <node>.log.tmp and renames
 * that over the log: a reader sees the old or the new file, never a torn
 * one, and the newest output is always kept (the end of a console is what
 * says why an install failed).  The cut is at a byte, not a line.
 *
 * Owners: a capture is held by one or more owners (bits: SOL_OWN_*); it
 * runs while any holds it, so the daemon's console_capture rule and a
 * campaign can both want the same node without stopping each other.
 *
 * Thread safety: every function may be called from any thread; one
 * supervisor thread (started by sol_init) owns the children.
 */
#ifndef BS_CONTROL_SOL_H
#define BS_CONTROL_SOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf/cfg_bmc.h"
#include "control/power/power.h"

#define SOL_LOG_MAX_DEFAULT (256u * 1024u)
#define SOL_LOG_MIN 256u

enum sol_owner {
	SOL_OWN_AUTO = 1u << 0,		/* power.console_capture: install states */
	SOL_OWN_CAMPAIGN = 1u << 1,	/* a campaign's node */
	SOL_OWN_ADMIN = 1u << 2,	/* asked for by hand */
};

/* ---- the bounded log (sol_log.c; no thread, no child) ------------------ */

struct sol_log {
	int fd;			/* O_APPEND, -1 when closed */
	uint64_t size;		/* bytes in the file now; <= max */
	uint32_t max;		/* the bound, >= SOL_LOG_MIN */
	char path[4096];
};

/* A node name fit for a file name: [A-Za-z0-9._-], 1..63 chars, not
 * starting with '.'.  Inventory names are checked again here because the
 * name becomes a path. */
bool sol_node_ok(const char *node);
/* <state_dir>/console/<node>.log into out.  -EINVAL bad name, -ENAMETOOLONG. */
int sol_log_path(char *out, size_t cap, const char *state_dir, const char *node);
/* Opens (creating <state_dir>/console 0700 and the log 0600) for appending;
 * an existing log is kept (trimmed first when over max).  0 or -errno. */
int sol_log_open(struct sol_log *l, const char *state_dir, const char *node, uint32_t max);
/* Appends n bytes, trimming as described above.  0 or -errno. */
int sol_log_write(struct sol_log *l, const void *p, size_t n);
void sol_log_close(struct sol_log *l);
/* Reads the log of node (at most cap - 1 bytes: its end), NUL-terminated;
 * returns the length or -errno (-ENOENT: nothing captured yet). */
ssize_t sol_log_read(const char *state_dir, const char *node, char *buf, size_t cap);

/* ---- why a session ended, when to try again (sol_why.c; pure) ---------- */

#define SOL_BACKOFF_MIN_MS 1000u
#define SOL_BACKOFF_MAX_MS 30000u
#define SOL_STABLE_MS 30000u	/* a session this long resets the backoff */

enum sol_end {
	SOL_END_TRANSIENT = 0,	/* BMC down, session dropped, keepalive lost: backoff */
	SOL_END_BUSY,		/* SOL held by another session: backoff */
	SOL_END_REFUSED,	/* the BMC refuses SOL for good: no retry */
	SOL_END_MAX,
};

/* Classifies a `sol activate` child's output (its first len bytes; only
 * what precedes "[SOL Session operational" counts).  *why: a static
 * reason for the log. */
enum sol_end sol_classify(const char *out, size_t len, const char **why);
const char *sol_end_name(enum sol_end e);
/* The pause before the next try after a session of ran_ms that ended as e,
 * in ms (0: none, refused).  *cur is the capture's backoff state (0 or
 * SOL_BACKOFF_MIN_MS to start): 1 s doubling to 30 s, back to 1 s after a
 * session of SOL_STABLE_MS or more. */
uint32_t sol_backoff_next(uint32_t *cur, enum sol_end e, uint64_t ran_ms);

/* ---- captures (sol.c) -------------------------------------------------- */

enum sol_state {
	SOL_ST_NONE = 0,	/* no capture of this node */
	SOL_ST_RUNNING,		/* an ipmitool child is running */
	SOL_ST_WAITING,		/* between sessions (backoff) */
	SOL_ST_REFUSED,		/* the BMC refused SOL; idle until sol_start again */
	SOL_ST_STOPPING,	/* no owner left; its child is ending */
	SOL_ST_MAX,
};

struct sol_opts {
	const char *state_dir;	/* logs under <state_dir>/console */
	const char *tool;	/* NULL = "ipmitool" from PATH */
	uint32_t cipher;	/* RMCP+ cipher suite, 0 = ipmitool asks the BMC */
	uint32_t max_bytes;	/* log bound; 0 = SOL_LOG_MAX_DEFAULT */
};

/* Starts the supervisor thread (once per process; a second call only
 * updates the options used by captures started afterwards).  0 or -errno. */
int sol_init(const struct sol_opts *o);
/* owner starts holding node's capture (started unless already running).
 * Only ipmi:// BMCs (-EPROTONOSUPPORT otherwise); cr copied.  0 or -errno
 * (-EINVAL bad node name, -ENOSPC too many captures, -ENOTCONN no sol_init). */
int sol_start(const char *node, const struct bmc_addr *a, const struct pwr_cred *cr,
	      unsigned owner);
/* owner lets go of node's capture; it stops when no owner is left.
 * 0, or -ENOENT when owner did not hold it. */
int sol_stop(const char *node, unsigned owner);
/* Stops every capture and the supervisor thread; waits for the children
 * (at most ~4 s).  sol_init may be called again afterwards. */
void sol_stop_all(void);
/* The owners holding node's capture (0: none). */
unsigned sol_owners(const char *node);
/* The state of node's capture; why (may be NULL) gets the reason of the
 * last end ("" before any).  sol_start on a REFUSED capture tries again. */
enum sol_state sol_status(const char *node, char *why, size_t cap);
const char *sol_state_name(enum sol_state s);

#endif
