/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ${var} templates (kickstart, iPXE scripts, pxelinux configs).
 *
 * Syntax: "${name}" is replaced by the value of name; names are
 * [A-Za-z0-9_.-]+.  "$${" writes a literal "${" (the escape); a '$' not
 * followed by '{' is copied as is (shell scripts in %post keep working).
 * Values are inserted verbatim and never expanded again, so rendering is
 * linear in input + output and cannot loop.  A missing variable, a bad name
 * or an unterminated "${" is an error naming file:line.
 */
#ifndef BS_CONTROL_TMPL_H
#define BS_CONTROL_TMPL_H

#include <stddef.h>

#define TMPL_MAX_OUT (16u << 20) /* rendered output cap */

struct tmpl_var {
	char *key, *value;
};

/* Variables; a later tmpl_vars_set() of the same key replaces the value,
 * which is how node vars override profile vars. */
struct tmpl_vars {
	struct tmpl_var *v;
	size_t n, cap;
};

int tmpl_vars_set(struct tmpl_vars *vs, const char *key, const char *value);
const char *tmpl_vars_get(const struct tmpl_vars *vs, const char *key);
void tmpl_vars_free(struct tmpl_vars *vs);

struct tmpl_err {
	char where[300];	/* "file:line" */
	char msg[200];
};

/* Renders text (len bytes, not necessarily NUL terminated) named `name` in
 * messages.  On success *out is a malloc'd NUL-terminated string of *outlen
 * bytes and 0 is returned; else -EINVAL (template error, err filled) or
 * -ENOMEM / -EFBIG. */
int tmpl_render(const char *name, const char *text, size_t len,
		const struct tmpl_vars *vs, char **out, size_t *outlen,
		struct tmpl_err *err);
/* Same for a file; -errno when it cannot be read (err says why). */
int tmpl_render_file(const char *path, const struct tmpl_vars *vs, char **out,
		     size_t *outlen, struct tmpl_err *err);

#endif
