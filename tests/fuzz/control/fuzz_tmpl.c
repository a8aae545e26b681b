/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fuzz target: template rendering (kickstart, iPXE, pxelinux templates).
 *
 * Input: optional variables, one "key=value" per line, then a line "%%",
 * then the template text (any bytes, NUL included).  Without a "%%" line
 * the whole input is the template and a fixed set of variables applies
 * (some of whose values look like references, to check they are never
 * expanded again).  A later line with the same key replaces the value.
 *
 * Oracle: a second, deliberately plain renderer written from tmpl.h's
 * contract (left to right: "$${" -> "${", "${name}" -> value, else copy;
 * names [A-Za-z0-9_.-], 1..64 of them).  tmpl_render() must agree on
 * success or failure, on the bytes produced, and on the line an error
 * names; its output must be NUL terminated at *outlen.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/daemon/tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_VARS 64

static const char *const defaults[][2] = {
	{ "hostname", "node01" },
	{ "mac", "52:54:00:12:34:56" },
	{ "ip", "10.77.0.50" },
	{ "server", "10.77.0.1" },
	{ "profile.name", "centos7" },
	{ "empty", "" },
	{ "self", "${self}" },		/* never expanded again */
	{ "esc", "$${hostname}" },	/* never unescaped either */
};

struct ref_out {
	char *p;
	size_t len;
};

static bool
is_name(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* Reference: returns 0, or -EINVAL with *err_line set. */
static int
ref_render(const char *t, size_t len, const struct tmpl_vars *vs, struct ref_out *o,
	   unsigned *err_line)
{
	unsigned line = 1;
	size_t i = 0;

	o->len = 0;
	while (i < len) {
		if (len - i >= 3 && memcmp(t + i, "$${", 3) == 0) {
			memcpy(o->p + o->len, "${", 2);
			o->len += 2;
			i += 3;
		} else if (len - i >= 2 && memcmp(t + i, "${", 2) == 0) {
			char key[65];
			size_t j = i + 2, k;
			const char *v;

			while (j < len && is_name(t[j]))
				j++;
			k = j - (i + 2);
			if (j >= len || t[j] != '}' || k == 0 || k > 64) {
				*err_line = line;
				return -EINVAL;
			}
			memcpy(key, t + i + 2, k);
			key[k] = '\0';
			v = tmpl_vars_get(vs, key);
			if (!v) {
				*err_line = line;
				return -EINVAL;
			}
			memcpy(o->p + o->len, v, strlen(v));
			o->len += strlen(v);
			i = j + 1;
		} else {
			line += t[i] == '\n';
			o->p[o->len++] = t[i++];
		}
	}
	return 0;
}

/* Parses "key=value" lines up to a "%%" line; returns the template start,
 * or 0 (no "%%" line: defaults apply). */
static size_t
parse_vars(const char *in, size_t size, struct tmpl_vars *vs)
{
	const char *sep = NULL;
	size_t off = 0;

	for (size_t i = 0; i + 2 <= size; i++) {
		if ((i == 0 || in[i - 1] == '\n') && in[i] == '%' && in[i + 1] == '%' &&
		    (i + 2 == size || in[i + 2] == '\n')) {
			sep = in + i;
			break;
		}
	}
	if (!sep) {
		for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
			if (tmpl_vars_set(vs, defaults[i][0], defaults[i][1]) < 0)
				abort();
		return 0;
	}
	while (in + off < sep && vs->n < MAX_VARS) {
		const char *nl = memchr(in + off, '\n', (size_t)(sep - (in + off)));
		size_t n = (size_t)((nl ? nl : sep) - (in + off));
		char *line = strndup(in + off, n); /* stops at a NUL too: fine */
		char *eq = line ? strchr(line, '=') : NULL;

		if (eq) {
			*eq = '\0';
			if (tmpl_vars_set(vs, line, eq + 1) < 0)
				abort();
			if (strcmp(tmpl_vars_get(vs, line), eq + 1) != 0)
				abort(); /* the later value wins */
		}
		free(line);
		off += n + 1;
	}
	return (size_t)(sep - in) + (sep + 2 < in + size ? 3 : 2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct tmpl_vars vs = { 0 };
	struct tmpl_err err;
	struct ref_out ref;
	size_t start, tlen, maxval = 0, outlen = 0;
	unsigned ref_line = 0;
	char *out = NULL, where[300];
	int rc, rrc;

	start = parse_vars(in, size, &vs);
	tlen = size - start;
	for (size_t i = 0; i < vs.n; i++)
		if (strlen(vs.v[i].value) > maxval)
			maxval = strlen(vs.v[i].value);
	/* Each input byte yields at most one byte or one value (a reference
	 * takes >= 4 bytes); the bound keeps the reference buffer simple. */
	ref.p = malloc(tlen * (maxval + 2) + 1);
	if (!ref.p)
		abort();

	memset(&err, 0, sizeof(err));
	rc = tmpl_render("fuzz.tmpl", in + start, tlen, &vs, &out, &outlen, &err);
	rrc = ref_render(in + start, tlen, &vs, &ref, &ref_line);
	if (rc == -EFBIG && ref.len > TMPL_MAX_OUT)
		goto done; /* the output cap, as documented */
	if (rc != rrc) {
		fprintf(stderr, "tmpl_render %d, reference %d (%s: %s)\n", rc, rrc, err.where,
			err.msg);
		abort();
	}
	if (rc == 0) {
		if (!out || outlen != ref.len || memcmp(out, ref.p, outlen) != 0 ||
		    out[outlen] != '\0')
			abort();
	} else {
		if (out || !err.msg[0])
			abort(); /* an error says why and hands back nothing */
		snprintf(where, sizeof(where), "fuzz.tmpl:%u", ref_line);
		if (strcmp(err.where, where) != 0) {
			fprintf(stderr, "error at %s, reference line %u\n", err.where, ref_line);
			abort();
		}
	}
done:
	free(out);
	free(ref.p);
	tmpl_vars_free(&vs);
	return 0;
}
