/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The journal side of a running control process: opening the journal
 * (rebuilding or reconciling the shared lease table), the journal thread
 * that drains the workers' lease rings into it with group commit and their
 * boot rings into the boot view, and the publication of durable_seq to the
 * dataplane.  The durability contract itself is in control/daemon/journal.h.
 */
#ifndef BS_CONTROL_JTHREAD_H
#define BS_CONTROL_JTHREAD_H

#include <stdbool.h>

#include "control/daemon/ctl.h"

/* Opens the journal of cfg->state_dir.  reused: the region survived a
 * restart (its lease table is reconciled with the journal); otherwise the
 * table is rebuilt from the journal.  0 or -errno. */
int jthread_open(struct ctl *c, const struct cfg *cfg, bool reused);
/* Starts the journal thread; 0 or -errno. */
int jthread_start(struct ctl *c);
/* After c->stop: joins the thread, commits what is left, publishes
 * durable_seq and closes the journal.  Safe when nothing was opened. */
void jthread_stop(struct ctl *c);

#endif
