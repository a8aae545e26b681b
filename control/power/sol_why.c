/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Why a console capture's `ipmitool sol activate` ended, and when to try
 * again (control/power/sol.h): pure, no clock, no child.
 *
 * ipmitool 1.8.19 (lib/ipmi_sol.c, ipmi_sol_activate) prints one line for
 * each way the BMC answers Activate Payload (IPMI 2.0 section 24.1, table
 * 24-2); the completion codes 80h-84h are the command's own, the others the
 * generic ones of section 5.2 by their ipmitool names.  Which are final:
 *
 *   81h "Info: SOL payload disabled" (also printed when Get SOL
 *       Configuration says SOL is not enabled, before any activate): the
 *       BMC's SOL is off.  Final: only an admin turns it on.
 *   83h/84h "cannot activate SOL payload with/without encryption": the
 *       BMC's encryption rule and the cipher suite do not match.  Final
 *       until the config changes.
 *   C1h "Invalid command", C2h "Invalid command on LUN": no SOL on this BMC
 *       (OpenIPMI's ipmi_sim without a `sol` line answers this).  Final.
 *   CCh "Invalid data field in request": the BMC has no SOL instance 1.
 *   D4h "Insufficient privilege level": the credentials' user may not open
 *       SOL.  Final: trying again with the same user is refused again.
 *   D6h "command disabled": SOL switched off in the firmware.  Final.
 *   "BMC requests SOL session on different port": ipmitool cannot follow.
 *
 *   80h "SOL payload already active on another session": transient.  Each
 *       try runs `sol deactivate` first, so what holds it is a session we
 *       cannot end or one of a person at a console, which ends; backoff.
 *   82h "SOL payload activation limit reached": transient, as 80h.
 *   "Unable to establish IPMI v2 / RMCP+ session": transient.  ipmitool
 *       prints the same line for a BMC that does not answer and for a
 *       wrong password (RAKP errors only with -v), so it cannot be final.
 *   anything else (exit after a session that ran, keepalive lost, C0h node
 *       busy, C3h timeout, FFh): transient.
 *
 * Only what ipmitool printed before "[SOL Session operational" is read:
 * once the session ran, the rest is the node's console, and a guest that
 * prints one of these lines must not end its own capture.
 */
#include <string.h>

#include "control/power/sol.h"

static const struct {
	const char *says;	/* a substring of ipmitool's line */
	const char *why;	/* the reason shown in the log */
	enum sol_end end;
} rules[] = {
	{ "SOL payload disabled", "SOL disabled on the BMC", SOL_END_REFUSED },
	{ "cannot activate SOL payload with encryption",
	  "the BMC refuses encrypted SOL (cipher suite)", SOL_END_REFUSED },
	{ "cannot activate SOL payload without encryption",
	  "the BMC requires encrypted SOL (cipher suite)", SOL_END_REFUSED },
	{ "activating SOL payload: Invalid command", "no SOL on this BMC (Invalid command)",
	  SOL_END_REFUSED },
	{ "activating SOL payload: Invalid data field", "no SOL on this BMC (Invalid data field)",
	  SOL_END_REFUSED },
	{ "activating SOL payload: Insufficient privilege",
	  "this user may not open SOL (Insufficient privilege level)", SOL_END_REFUSED },
	{ "activating SOL payload: Cannot execute command, command disabled",
	  "SOL disabled in the BMC firmware (command disabled)", SOL_END_REFUSED },
	{ "BMC requests SOL session on different port",
	  "the BMC wants SOL on another port (ipmitool cannot)", SOL_END_REFUSED },
	{ "SOL payload already active on another session", "SOL in use by another session",
	  SOL_END_BUSY },
	{ "SOL payload activation limit reached", "SOL in use by other sessions", SOL_END_BUSY },
	{ "Unable to establish IPMI v2 / RMCP+ session", "no session (BMC down or login refused)",
	  SOL_END_TRANSIENT },
};

#define OPERATIONAL "[SOL Session operational"

const char *
sol_end_name(enum sol_end e)
{
	static const char *const n[SOL_END_MAX] = { "transient", "busy", "refused" };

	return (unsigned)e < SOL_END_MAX ? n[e] : "?";
}

/* memmem bounded by len, for a needle that is a C string */
static const char *
find(const char *p, size_t len, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; n <= len && i <= len - n; i++)
		if (p[i] == s[0] && !memcmp(p + i, s, n))
			return p + i;
	return NULL;
}

enum sol_end
sol_classify(const char *out, size_t len, const char **why)
{
	const char *op = find(out, len, OPERATIONAL);

	*why = "";
	if (op) /* the session ran: what follows is the console, not ipmitool */
		return SOL_END_TRANSIENT;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (find(out, len, rules[i].says)) {
			*why = rules[i].why;
			return rules[i].end;
		}
	return SOL_END_TRANSIENT;
}

uint32_t
sol_backoff_next(uint32_t *cur, enum sol_end e, uint64_t ran_ms)
{
	if (e == SOL_END_REFUSED)
		return 0;
	if (*cur < SOL_BACKOFF_MIN_MS || ran_ms >= SOL_STABLE_MS)
		*cur = SOL_BACKOFF_MIN_MS;
	uint32_t wait = *cur;

	*cur = *cur > SOL_BACKOFF_MAX_MS / 2 ? SOL_BACKOFF_MAX_MS : *cur * 2;
	return wait;
}
