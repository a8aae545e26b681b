/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The discovery routes of the API (admin only, issue 15's rule):
 *
 *   GET  /api/discovered                  the table (discover.h: disc_json)
 *   POST /api/discovered/<mac>/enroll?name=N[&profile=P][&ip=A]
 *        appends "N,<mac>,A,P" to discovery.enrolled once the whole config
 *        loads with it (a bad name/IP/profile or a duplicate is refused
 *        with the loader's file:line:column messages and nothing is
 *        written), writes the file atomically, reloads, and forgets the MAC
 *        from the table.
 */
#ifndef BS_CONTROL_API_DISC_H
#define BS_CONTROL_API_DISC_H

#include <stdbool.h>

#include "control/daemon/api.h"
#include "control/daemon/ctl.h"

/* path is after "/api/".  False when the path is not a discovery route. */
bool api_disc(struct ctl *c, const char *method, const char *path, bool admin,
	      struct api_resp *r);

/* The enrollment itself (also for tests): HTTP status, msg filled with
 * what went wrong (or the node added).  Serialised across callers. */
unsigned disc_enroll(struct ctl *c, const char *mac, const char *name, const char *profile,
		     const char *ip, char *msg, size_t cap);

#endif
