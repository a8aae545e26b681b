/* SPDX-License-Identifier: BSD-3-Clause */
#include "control/daemon/tmpl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMPL_MAX_NAME 64
#define TMPL_MAX_FILE (4u << 20) /* a template is a few KiB; refuse monsters */

int
tmpl_vars_set(struct tmpl_vars *vs, const char *key, const char *value)
{
	char *k, *v;

	for (size_t i = 0; i < vs->n; i++) {
		if (strcmp(vs->v[i].key, key) == 0) {
			v = strdup(value ? value : "");
			if (!v)
				return -ENOMEM;
			free(vs->v[i].value);
			vs->v[i].value = v;
			return 0;
		}
	}
	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? vs->cap * 2 : 16;
		struct tmpl_var *nv = realloc(vs->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		vs->v = nv;
		vs->cap = cap;
	}
	k = strdup(key);
	v = strdup(value ? value : "");
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	vs->v[vs->n++] = (struct tmpl_var){ k, v };
	return 0;
}

const char *
tmpl_vars_get(const struct tmpl_vars *vs, const char *key)
{
	for (size_t i = 0; i < vs->n; i++)
		if (strcmp(vs->v[i].key, key) == 0)
			return vs->v[i].value;
	return NULL;
}

void
tmpl_vars_free(struct tmpl_vars *vs)
{
	for (size_t i = 0; i < vs->n; i++) {
		free(vs->v[i].key);
		free(vs->v[i].value);
	}
	free(vs->v);
	*vs = (struct tmpl_vars){ 0 };
}

struct obuf {
	char *p;
	size_t len, cap;
};

static int
obuf_put(struct obuf *b, const char *s, size_t n)
{
	if (n > TMPL_MAX_OUT - b->len)
		return -EFBIG;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np)
			return -ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static bool
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

static int
fail(struct tmpl_err *err, const char *name, unsigned line, const char *fmt,
     const char *arg)
{
	if (err) {
		snprintf(err->where, sizeof(err->where), "%s:%u", name, line);
		snprintf(err->msg, sizeof(err->msg), fmt, arg);
	}
	return -EINVAL;
}

/* Parses "${name}" at text[i] (text[i..i+1] == "${").  On success stores the
 * name and returns the index after '}'; else returns 0 with err filled. */
static size_t
parse_ref(const char *name, const char *text, size_t len, size_t i,
	  unsigned line, char key[TMPL_MAX_NAME + 1], struct tmpl_err *err)
{
	size_t j = i + 2, k = 0;

	while (j < len && k < TMPL_MAX_NAME && name_char(text[j]))
		key[k++] = text[j++];
	key[k] = '\0';
	if (j < len && text[j] == '}') {
		if (k == 0) {
			fail(err, name, line, "empty variable name in %s", "${}");
			return 0;
		}
		return j + 1;
	}
	if (j >= len || text[j] == '\n')
		fail(err, name, line, "unterminated %s", "${");
	else
		fail(err, name, line, "bad variable name in ${...} (%s, at most 64)",
		     "allowed: A-Z a-z 0-9 _ . -");
	return 0;
}

int
tmpl_render(const char *name, const char *text, size_t len,
	    const struct tmpl_vars *vs, char **out, size_t *outlen,
	    struct tmpl_err *err)
{
	struct obuf b = { 0 };
	unsigned line = 1;
	size_t i = 0, lit = 0;
	int rc = 0;

	while (i < len) {
		char key[TMPL_MAX_NAME + 1];
		const char *val;
		size_t end;

		if (text[i] == '\n') {
			line++;
			i++;
			continue;
		}
		if (text[i] != '$' || i + 1 >= len) {
			i++;
			continue;
		}
		if (text[i + 1] == '$' && i + 2 < len && text[i + 2] == '{') {
			/* "$${" is the escape for a literal "${" */
			if ((rc = obuf_put(&b, text + lit, i - lit)) < 0 ||
			    (rc = obuf_put(&b, "${", 2)) < 0)
				goto out;
			i += 3;
			lit = i;
			continue;
		}
		if (text[i + 1] != '{') {
			i++;
			continue;
		}
		end = parse_ref(name, text, len, i, line, key, err);
		if (end == 0) {
			rc = -EINVAL;
			goto out;
		}
		val = tmpl_vars_get(vs, key);
		if (!val) {
			rc = fail(err, name, line, "undefined variable '%s'", key);
			goto out;
		}
		if ((rc = obuf_put(&b, text + lit, i - lit)) < 0 ||
		    (rc = obuf_put(&b, val, strlen(val))) < 0)
			goto out;
		i = end;
		lit = i;
	}
	if ((rc = obuf_put(&b, text + lit, len - lit)) < 0)
		goto out;
	*out = b.p;
	*outlen = b.len;
	return 0;
out:
	if (rc != -EINVAL && err) {
		snprintf(err->where, sizeof(err->where), "%s:%u", name, line);
		snprintf(err->msg, sizeof(err->msg), "%s", strerror(-rc));
	}
	free(b.p);
	return rc;
}

int
tmpl_render_file(const char *path, const struct tmpl_vars *vs, char **out,
		 size_t *outlen, struct tmpl_err *err)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto fail_io;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto fail_fd;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)TMPL_MAX_FILE) {
		rc = S_ISREG(st.st_mode) ? -EFBIG : -EISDIR;
		goto fail_fd;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto fail_fd;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			goto fail_buf;
		}
		got += (size_t)n;
	}
	close(fd);
	rc = tmpl_render(path, buf, got, vs, out, outlen, err);
	free(buf);
	return rc;
fail_buf:
	free(buf);
fail_fd:
	close(fd);
fail_io:
	if (err) {
		snprintf(err->where, sizeof(err->where), "%s:0", path);
		snprintf(err->msg, sizeof(err->msg), "cannot read template: %s", strerror(-rc));
	}
	return rc;
}
