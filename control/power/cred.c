/* SPDX-License-Identifier: BSD-3-Clause
 *
 * BMC credentials file (control/power/power.h).  "host user password"
 * per line, '#' comments, blank lines.  The password is the rest of the
 * line after the user (so it may hold spaces), trailing blanks cut.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/bs_secret.h"
#include "control/power/power.h"

static int
parse_line(char *s, struct pwr_cred *c)
{
	memset(c, 0, sizeof(*c));
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = 0;
	s += strspn(s, " \t");
	if (!*s || *s == '#')
		return 1; /* nothing */
	size_t hl = strcspn(s, " \t");
	if (hl == 0 || hl >= sizeof(c->host))
		return -EBADMSG;
	memcpy(c->host, s, hl);
	s += hl;
	s += strspn(s, " \t");
	size_t ul = strcspn(s, " \t");
	if (ul == 0 || ul >= sizeof(c->user))
		return -EBADMSG;
	memcpy(c->user, s, ul);
	s += ul;
	s += strspn(s, " \t");
	if (!*s || strlen(s) >= sizeof(c->pass))
		return -EBADMSG;
	strcpy(c->pass, s);
	return 0;
}

int
pwr_creds_load(const char *path, struct pwr_creds *out, unsigned *bad_line)
{
	memset(out, 0, sizeof(*out));
	*bad_line = 0;
	int fd = bs_secret_open(path); /* owner-only, owned by us or root */
	if (fd < 0)
		return fd;
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	char line[512];
	unsigned ln = 0;
	int rc = 0;
	while (!rc && fgets(line, sizeof(line), f)) {
		ln++;
		struct pwr_cred c;
		int r = parse_line(line, &c);
		if (r < 0) {
			*bad_line = ln;
			rc = r;
		} else if (r == 0) {
			struct pwr_cred *v = realloc(out->v, (out->n + 1) * sizeof(*v));
			if (!v) {
				rc = -ENOMEM;
			} else {
				out->v = v;
				out->v[out->n++] = c;
			}
		}
		explicit_bzero(&c, sizeof(c));
		explicit_bzero(line, sizeof(line));
	}
	fclose(f);
	if (rc)
		pwr_creds_free(out);
	return rc;
}

const struct pwr_cred *
pwr_creds_find(const struct pwr_creds *c, const char *host)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].host, host))
			return &c->v[i];
	return NULL;
}

void
pwr_creds_free(struct pwr_creds *c)
{
	if (c->v)
		explicit_bzero(c->v, c->n * sizeof(*c->v));
	free(c->v);
	c->v = NULL;
	c->n = 0;
}
