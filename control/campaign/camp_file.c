/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A campaign's durable state: one text file, written whole and atomically
 * (tmp in the same directory, fsync, rename, fsync of the directory), so
 * a crash leaves the old or the new file, never half of one.
 *
 *   bootstorm-campaign 1
 *   id <id>
 *   params <max_in_flight> <rate> <burst> <dhcp_ms> <max_repower> <install_ms> <power>
 *   bucket <tokens> <last_ms> <power_ons>
 *   meta <profile|-> <created_ms>            (optional: the host's labels)
 *   verify <verify_deadline_ms>              (optional: 0 when absent)
 *   fleet 1                                  (optional: a fleet campaign's share)
 *   node <name> <stage> <attempts> <since_ms> <need_power> <op> <inst_stage|-> <reason...>
 *   end
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/campaign/campaign.h"
#include "util/bs_file.h"

static void
clean(char *dst, size_t cap, const char *s, bool spaces_ok)
{
	size_t k = 0;
	for (; *s && k + 1 < cap; s++) {
		unsigned char ch = (unsigned char)*s;
		dst[k++] = ch < 0x20 || ch == 0x7f || (!spaces_ok && ch == ' ') ? '_' : (char)ch;
	}
	dst[k] = 0;
	if (!k && !spaces_ok)
		snprintf(dst, cap, "-");
}

static int
render(FILE *f, const struct campaign *c)
{
	fprintf(f, "bootstorm-campaign 1\nid %s\n", c->id);
	fprintf(f, "params %u %.17g %.17g %llu %u %llu %d\n", c->p.max_in_flight,
		c->p.power_on_rate, c->p.burst, (unsigned long long)c->p.dhcp_deadline_ms,
		c->p.max_repower, (unsigned long long)c->p.install_deadline_ms, c->p.power ? 1 : 0);
	fprintf(f, "bucket %.17g %llu %llu\n", c->tokens, (unsigned long long)c->last_ms,
		(unsigned long long)c->power_ons);
	char prof[64];
	clean(prof, sizeof(prof), c->profile, false);
	fprintf(f, "meta %s %llu\n", prof, (unsigned long long)c->created_ms);
	if (c->p.verify_deadline_ms)
		fprintf(f, "verify %llu\n", (unsigned long long)c->p.verify_deadline_ms);
	if (c->fleet)
		fprintf(f, "fleet 1\n");
	for (uint32_t i = 0; i < c->n; i++) {
		const struct camp_node *n = &c->nodes[i];
		char st[32], why[200];
		if (n->dropped)
			continue; /* released: another server's now */
		clean(st, sizeof(st), n->inst_stage, false);
		clean(why, sizeof(why), n->reason, true);
		fprintf(f, "node %s %u %u %llu %d %u %s %s\n", n->name, n->stage, n->attempts,
			(unsigned long long)n->since_ms, n->need_power ? 1 : 0, n->op, st, why);
	}
	fprintf(f, "end\n");
	return ferror(f) ? -EIO : 0;
}

int
camp_save(const struct campaign *c, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -errno;
	int rc = render(f, c);
	if (fclose(f) != 0 && !rc)
		rc = -EIO;
	if (!rc)
		rc = bs_file_replace(path, text, len, 0600);
	free(text);
	return rc;
}

static int
parse_node(struct campaign *c, const char *line)
{
	struct camp_node n;
	memset(&n, 0, sizeof(n));
	unsigned stage, op;
	int np, off = 0;
	unsigned long long since;
	char st[24];
	if (sscanf(line, "node %63s %u %u %llu %d %u %23s %n", n.name, &stage, &n.attempts, &since,
		   &np, &op, st, &off) != 7 || !off || stage >= CS_MAX || op >= CO_MAX)
		return -EBADMSG;
	n.stage = (uint8_t)stage;
	n.since_ms = since;
	n.need_power = np != 0;
	n.op = (uint8_t)op;
	if (strcmp(st, "-"))
		memcpy(n.inst_stage, st, sizeof(st));
	snprintf(n.reason, sizeof(n.reason), "%s", line + off);
	n.reason[strcspn(n.reason, "\n")] = 0;
	/* An op outstanding at the crash: its answer is lost; start the
	 * power sequence again when a token comes (PXE once and on/cycle are
	 * both safe to repeat). */
	if (n.stage == CS_POWERING && n.op != CO_NONE) {
		n.op = CO_NONE;
		n.need_power = true;
		if (n.attempts)
			n.attempts--;
	}
	struct camp_node *v = realloc(c->nodes, (c->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->nodes = v;
	c->nodes[c->n++] = n;
	c->n_stage[n.stage]++;
	if (n.stage == CS_POWERING || n.stage == CS_WAIT_DHCP)
		c->in_flight++;
	return 0;
}

static int
parse(struct campaign *c, FILE *f)
{
	char line[512];
	int rc = 0;
	bool end = false;
	unsigned pw;
	unsigned long long a, b, d;
	if (!fgets(line, sizeof(line), f) || strcmp(line, "bootstorm-campaign 1\n"))
		return -EBADMSG;
	if (!fgets(line, sizeof(line), f) || sscanf(line, "id %31s", c->id) != 1)
		return -EBADMSG;
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, "params %u %lf %lf %llu %u %llu %u", &c->p.max_in_flight,
		   &c->p.power_on_rate, &c->p.burst, &a, &c->p.max_repower, &b, &pw) != 7 ||
	    !c->p.max_in_flight || !(c->p.power_on_rate > 0))
		return -EBADMSG;
	c->p.dhcp_deadline_ms = a;
	c->p.install_deadline_ms = b;
	c->p.power = pw != 0;
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, "bucket %lf %llu %llu", &c->tokens, &a, &d) != 3)
		return -EBADMSG;
	c->last_ms = a;
	c->power_ons = d;
	while (!rc && fgets(line, sizeof(line), f)) {
		if (!strcmp(line, "end\n")) {
			end = true;
			break;
		}
		if (!strncmp(line, "meta ", 5)) {
			char prof[64];
			if (sscanf(line, "meta %63s %llu", prof, &a) != 2)
				return -EBADMSG;
			snprintf(c->profile, sizeof(c->profile), "%s", strcmp(prof, "-") ? prof : "");
			c->created_ms = a;
			continue;
		}
		if (!strcmp(line, "fleet 1\n")) {
			c->fleet = true;
			continue;
		}
		if (!strncmp(line, "verify ", 7)) {
			if (sscanf(line, "verify %llu", &a) != 1)
				return -EBADMSG;
			c->p.verify_deadline_ms = a;
			continue;
		}
		rc = parse_node(c, line);
	}
	return rc ? rc : end ? 0 : -EBADMSG; /* no "end": truncated */
}

int
camp_load(struct campaign *c, const char *path, const struct camp_env *env)
{
	memset(c, 0, sizeof(*c));
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	int rc = parse(c, f);
	fclose(f);
	if (rc) {
		camp_free(c);
		return rc;
	}
	c->env = *env;
	return 0;
}
