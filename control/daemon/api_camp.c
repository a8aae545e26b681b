/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Campaign routes of the API (control/daemon/api_camp.h).
 */
#include "control/daemon/api_camp.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/daemon/campaigns.h"
#include "control/daemon/kickstart.h"
#include "control/log.h"
#include "control/power/sol.h"

#define TAIL_BYTES 8192
#define TAIL_LINES_MAX 256

/* Length of the terminal escape sequence at s (s[0] == ESC): CSI
 * (ESC [ params final, ECMA-48 5.4), OSC/DCS/APC (ESC ] ... BEL or ST),
 * charset designation (ESC ( B), else ESC and one byte. */
static size_t
esc_len(const char *s)
{
	size_t i = 2;

	if (!s[1])
		return 1;
	if (s[1] == '[') {
		while (s[i] && !(s[i] >= 0x40 && s[i] <= 0x7e))
			i++;
		return s[i] ? i + 1 : i;
	}
	if (s[1] == ']' || s[1] == 'P' || s[1] == '_') {
		for (; s[i]; i++) {
			if (s[i] == '\a')
				return i + 1;
			if (s[i] == 0x1b && s[i + 1] == '\\')
				return i + 2;
		}
		return i;
	}
	if (s[1] == '(' || s[1] == ')')
		return s[2] ? 3 : 2;
	return 2;
}

/* Cleans one console line in place for display: escape sequences and
 * control bytes (tab kept) removed.  false: nothing worth showing (blank,
 * or ipmitool's "[SOL Session operational...]"/"[terminated ipmitool]"). */
static bool
console_line_clean(char *l)
{
	char *w = l;
	bool text = false;

	for (const char *r = l; *r;) {
		if (*r == 0x1b) {
			r += esc_len(r);
			continue;
		}
		if ((unsigned char)*r < 0x20 && *r != '\t') {
			r++;
			continue;
		}
		text |= *r != ' ' && *r != '\t';
		*w++ = *r++;
	}
	*w = 0;
	return text && !strstr(l, "[SOL Session operational") && !strstr(l, "[terminated ipmitool]") &&
	       !strstr(l, "[SOL session closed");
}

json_t *
api_console_tail(const char *state_dir, const char *node, unsigned max)
{
	json_t *arr = json_array();
	char path[4300], buf[TAIL_BYTES + 1];
	struct stat st;
	off_t off;
	ssize_t n;
	int fd;

	if (strchr(node, '/') || node[0] == '.')
		return arr;
	snprintf(path, sizeof(path), "%s/console/%s.log", state_dir, node);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return arr;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return arr;
	}
	off = st.st_size > TAIL_BYTES ? st.st_size - TAIL_BYTES : 0;
	n = pread(fd, buf, TAIL_BYTES, off);
	close(fd);
	if (n <= 0)
		return arr;
	buf[n] = 0;
	/* the lines after the last max newlines; a first partial line of a
	 * cut read is dropped */
	char *start = buf, *end = buf + n;

	if (off > 0 && (start = strchr(buf, '\n')))
		start++;
	else if (off > 0)
		return arr;
	while (end > start && (end[-1] == '\n' || end[-1] == '\r'))
		*--end = 0;
	/* the last max lines worth showing: terminal escapes dropped, lines
	 * left empty and ipmitool's own session lines skipped (the log file
	 * keeps every byte; bootstorm console shows it raw) */
	const char *keep[TAIL_LINES_MAX];
	size_t nk = 0;

	if (max > TAIL_LINES_MAX)
		max = TAIL_LINES_MAX;
	for (char *save = NULL, *l = strtok_r(start, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (console_line_clean(l))
			keep[nk++ % TAIL_LINES_MAX] = l;
	for (size_t i = nk > max ? nk - max : 0; i < nk; i++) {
		char clean[512];

		json_array_append_new(arr, json_string(log_sanitize(clean, sizeof(clean),
								    keep[i % TAIL_LINES_MAX])));
	}
	return arr;
}

static bool
get_u32(const struct api_resp *r, const char *name, uint32_t lo, uint32_t hi, uint32_t *out)
{
	const char *s = r->q_arg ? r->q_arg(r, name) : NULL;
	char *end;
	unsigned long v;

	if (!s)
		return true;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool
create(struct ctl *c, struct api_resp *r, uint32_t peer)
{
	const char *set = r->q_arg ? r->q_arg(r, "nodes") : NULL;
	uint32_t power = 1, mif, rate, dd, id, rep;
	struct camp_params p;
	char cid[32], msg[400], who[16];
	int rc;

	if (!set || !*set)
		return api_reply_error(r, 400, "nodes= missing (node set: names, ranges, *)");
	pthread_rwlock_rdlock(&c->cfg_lock);
	camps_default_params(c->cfg, &p);
	pthread_rwlock_unlock(&c->cfg_lock);
	mif = p.max_in_flight;
	rate = (uint32_t)p.power_on_rate;
	dd = (uint32_t)(p.dhcp_deadline_ms / 1000);
	id = (uint32_t)(p.install_deadline_ms / 1000);
	rep = p.max_repower;
	if (!get_u32(r, "power", 0, 1, &power) || !get_u32(r, "max_in_flight", 1, 100000, &mif) ||
	    !get_u32(r, "rate", 1, 10000, &rate) || !get_u32(r, "dhcp_deadline", 1, 86400, &dd) ||
	    !get_u32(r, "install_deadline", 1, 604800, &id) ||
	    !get_u32(r, "max_repower", 0, 100, &rep))
		return api_reply_error(r, 400, "bad parameter (power 0|1, max_in_flight 1-100000, rate "
					       "1-10000, dhcp_deadline 1-86400 s, install_deadline "
					       "1-604800 s, max_repower 0-100)");
	p.power = power != 0;
	p.max_in_flight = mif;
	p.power_on_rate = rate;
	p.dhcp_deadline_ms = (uint64_t)dd * 1000;
	p.install_deadline_ms = (uint64_t)id * 1000;
	p.max_repower = rep;
	rc = camps_create(c, set, r->q_profile, &p, cid, sizeof(cid), msg, sizeof(msg));
	if (rc)
		return api_reply_error(r, (unsigned)rc, msg);
	ks_fmt_ip(peer, who);
	LOG_INFO("campaign", "%s created by %s", cid, who);
	json_t *j = camps_one_json(c, cid);

	return j ? api_reply_json(r, 200, j) : api_reply_error(r, 500, "out of memory");
}

/* Adds each failed node's console tail. */
static void
add_consoles(struct ctl *c, json_t *j)
{
	char dir[4096];
	json_t *n;
	size_t i;

	pthread_rwlock_rdlock(&c->cfg_lock);
	snprintf(dir, sizeof(dir), "%s", c->cfg->state_dir);
	pthread_rwlock_unlock(&c->cfg_lock);
	json_array_foreach(json_object_get(j, "nodes"), i, n) {
		const char *st = json_string_value(json_object_get(n, "stage"));
		const char *name = json_string_value(json_object_get(n, "name"));

		char why[200] = "";
		enum sol_state ss = name ? sol_status(name, why, sizeof(why)) : SOL_ST_NONE;

		if (st && name && !strcmp(st, "failed"))
			json_object_set_new(n, "console", api_console_tail(dir, name, CONSOLE_LINES));
		/* the capture's own state: a BMC that refuses SOL says why */
		if (ss != SOL_ST_NONE)
			json_object_set_new(n, "console_capture",
					    json_pack("{s:s, s:s}", "state", sol_state_name(ss), "why", why));
	}
}

static bool
one(struct ctl *c, const char *method, const char *rest, struct api_resp *r, uint32_t peer)
{
	const char *slash = strchr(rest, '/');
	char id[32], who[16];
	uint32_t k = 0;
	int rc;

	if ((size_t)(slash ? slash - rest : (ptrdiff_t)strlen(rest)) >= sizeof(id))
		return api_reply_error(r, 404, "no such campaign");
	snprintf(id, sizeof(id), "%.*s", (int)(slash ? slash - rest : (ptrdiff_t)strlen(rest)), rest);
	if (!slash) {
		if (!strcmp(method, "POST"))
			return api_reply_error(r, 405, "GET only (POST to /cancel or /retry-failed)");
		json_t *j = camps_one_json(c, id);

		if (!j)
			return api_reply_error(r, 404, "no such campaign");
		add_consoles(c, j);
		return api_reply_json(r, 200, j);
	}
	bool retry = !strcmp(slash, "/retry-failed");

	if (!retry && strcmp(slash, "/cancel"))
		return api_reply_error(r, 404, "no such campaign action (cancel, retry-failed)");
	/* RFC 9110 9.2.1: GET is safe; a link must not cancel a campaign */
	if (strcmp(method, "POST"))
		return api_reply_error(r, 405, "POST only");
	rc = retry ? camps_retry(c, id, &k) : camps_cancel(c, id);
	if (rc)
		return api_reply_error(r, 404, "no such campaign");
	ks_fmt_ip(peer, who);
	LOG_INFO("campaign", "%s: %s by %s", id, retry ? "retry-failed" : "cancel", who);
	json_t *j = camps_one_json(c, id);

	if (j && retry)
		json_object_set_new(j, "requeued", json_integer(k));
	return j ? api_reply_json(r, 200, j) : api_reply_error(r, 500, "out of memory");
}

bool
api_camp(struct ctl *c, const char *method, const char *path, const struct api_caller *who,
	 struct api_resp *r)
{
	bool post = !strcmp(method, "POST");

	if (strcmp(path, "campaigns") && strncmp(path, "campaigns/", 10))
		return false;
	if (!who->admin)
		return api_reply_error(r, 401, "admin token required");
	if (!strcmp(path, "campaigns")) {
		if (post)
			return create(c, r, who->peer);
		json_t *j = camps_list_json(c);

		return j ? api_reply_json(r, 200, j) : api_reply_error(r, 500, "out of memory");
	}
	if (!path[10])
		return api_reply_error(r, 404, "no such campaign");
	return one(c, method, path + 10, r, who->peer);
}
