/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Template oracle: a second, deliberately plain renderer written from
 * tmpl.h's contract (left to right: "$${" -> "${", "${name}" -> value,
 * else copy; names [A-Za-z0-9_.-], 1..64 of them).  tmpl_render() must
 * agree on success or failure, on the bytes produced, and on the line an
 * error names; its output must be NUL terminated at *outlen.
 */
#include <errno.h>
#include <string.h>

#include "control/daemon/tmpl.h"
#include "tests/fuzz/harness/fz.h"

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

size_t
fz_tmpl_vars(const char *in, size_t size, struct tmpl_vars *vs)
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
			FZ_CHECK(tmpl_vars_set(vs, defaults[i][0], defaults[i][1]) >= 0);
		return 0;
	}
	while (in + off < sep && vs->n < MAX_VARS) {
		const char *nl = memchr(in + off, '\n', (size_t)(sep - (in + off)));
		size_t n = (size_t)((nl ? nl : sep) - (in + off));
		char *line = strndup(in + off, n); /* stops at a NUL too: fine */
		char *eq = line ? strchr(line, '=') : NULL;

		if (eq) {
			*eq = '\0';
			FZ_CHECK(tmpl_vars_set(vs, line, eq + 1) >= 0);
			/* a later line with the same key replaces the value */
			FZ_CHECK(strcmp(tmpl_vars_get(vs, line), eq + 1) == 0);
		}
		free(line);
		off += n + 1;
	}
	return (size_t)(sep - in) + (sep + 2 < in + size ? 3 : 2);
}

void
fz_tmpl_compare(const char *t, size_t len, const struct tmpl_vars *vs, int rc,
		const char *out, size_t outlen, const char *err_where, const char *err_msg)
{
	size_t maxval = 0;
	unsigned ref_line = 0;
	char where[300];
	struct ref_out ref;
	int rrc;

	for (size_t i = 0; i < vs->n; i++)
		if (strlen(vs->v[i].value) > maxval)
			maxval = strlen(vs->v[i].value);
	/* Each input byte yields at most one byte or one value (a reference
	 * takes >= 4 bytes); the bound keeps the reference buffer simple. */
	ref.p = malloc(len * (maxval + 2) + 1);
	FZ_CHECK(ref.p != NULL);
	rrc = ref_render(t, len, vs, &ref, &ref_line);
	if (rc == -EFBIG && ref.len > TMPL_MAX_OUT)
		goto done; /* the output cap, as documented */
	if (rc != rrc) {
		fprintf(stderr, "tmpl_render %d, reference %d (%s: %s)\n", rc, rrc, err_where,
			err_msg);
		abort();
	}
	if (rc == 0) {
		FZ_CHECK(out && outlen == ref.len && memcmp(out, ref.p, outlen) == 0);
		FZ_CHECK(out[outlen] == '\0');
	} else {
		FZ_CHECK(!out && err_msg[0]); /* an error says why and hands back nothing */
		snprintf(where, sizeof(where), "fuzz.tmpl:%u", ref_line);
		if (strcmp(err_where, where) != 0) {
			fprintf(stderr, "error at %s, reference line %u\n", err_where, ref_line);
			abort();
		}
	}
done:
	free(ref.p);
}
