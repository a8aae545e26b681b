/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Diagnostics: every problem the loader, the inventory readers and the cross
 * checks find becomes one struct cfg_err with its file:line:column, printed
 * the way a compiler would ("file:line:col: error: msg") and sorted by
 * position.  Depends on nothing else in conf/ (cfg.h types only) so every
 * other conf file can report without an include or link circle.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cfg_priv.h"
#include "util/bs_assert.h"

const char *
cfg_errs_intern(struct cfg_errs *errs, const char *name)
{
	for (size_t i = 0; i < errs->n_files; i++)
		if (!strcmp(errs->files[i], name))
			return errs->files[i];
	char **f = realloc(errs->files, (errs->n_files + 1) * sizeof(*f));
	if (!f)
		return "?";
	errs->files = f;
	if (!(f[errs->n_files] = strdup(name)))
		return "?";
	return f[errs->n_files++];
}

static void
err_vadd(struct cfg_errs *errs, const struct cfg_loc *loc, const char *fmt, va_list ap)
{
	if (errs->n >= CFG_MAX_ERRS) {
		errs->dropped++;
		return;
	}
	if (errs->n == errs->cap) {
		size_t cap = errs->cap ? errs->cap * 2 : 16;
		struct cfg_err *v = realloc(errs->v, cap * sizeof(*v));
		if (!v) {
			errs->dropped++;
			return;
		}
		errs->v = v;
		errs->cap = cap;
	}
	/* Invariant: n <= cap and n <= CFG_MAX_ERRS (the cap check above). */
	BS_ASSERT(errs->n < errs->cap && errs->n < CFG_MAX_ERRS);
	struct cfg_err *e = &errs->v[errs->n++];
	e->loc = *loc;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

void
cfg_err_add(struct cfg_errs *errs, const struct cfg_loc *loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vadd(errs, loc, fmt, ap);
	va_end(ap);
}

struct cfg_loc
ld_loc(const struct ld *l, const struct ynode *n)
{
	struct cfg_loc loc = { .file = l->file, .line = 1, .col = 1 };
	if (n) {
		loc.line = n->line;
		loc.col = n->col;
	}
	return loc;
}

void
ld_err(struct ld *l, const struct ynode *n, const char *fmt, ...)
{
	struct cfg_loc loc = ld_loc(l, n);
	va_list ap;
	va_start(ap, fmt);
	err_vadd(l->errs, &loc, fmt, ap);
	va_end(ap);
}

void
ld_err_at(struct ld *l, const struct cfg_loc *loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vadd(l->errs, loc, fmt, ap);
	va_end(ap);
}

void
cfg_errs_print(const struct cfg_errs *errs, FILE *f)
{
	for (size_t i = 0; i < errs->n; i++) {
		const struct cfg_err *e = &errs->v[i];
		fprintf(f, "%s:%u:%u: error: %s\n", e->loc.file ? e->loc.file : "?",
			e->loc.line, e->loc.col, e->msg);
	}
	if (errs->dropped)
		fprintf(f, "(%zu more errors not shown)\n", errs->dropped);
}

void
cfg_errs_free(struct cfg_errs *errs)
{
	if (!errs)
		return;
	for (size_t i = 0; i < errs->n_files; i++)
		free(errs->files[i]);
	free(errs->files);
	free(errs->v);
	memset(errs, 0, sizeof(*errs));
}


/* Position of an interned file name in errs->files: files sort in the
 * order they were first mentioned (the YAML before its CSVs). */
static size_t
file_rank(const struct cfg_errs *errs, const char *f)
{
	for (size_t i = 0; i < errs->n_files; i++)
		if (errs->files[i] == f)
			return i;
	return errs->n_files;
}

struct err_key {
	size_t file, idx;
	uint32_t line, col;
};

static int
cmp_err_key(const void *a, const void *b)
{
	const struct err_key *x = a, *y = b;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Orders the errors added since `from` by file, line, column (stable), as
 * a compiler would list them. */
void
cfg_errs_sort(struct cfg_errs *errs, size_t from)
{
	size_t n = errs->n > from ? errs->n - from : 0;
	if (n < 2)
		return;
	struct err_key *k = malloc(n * sizeof(*k));
	struct cfg_err *tmp = malloc(n * sizeof(*tmp));
	if (!k || !tmp)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct cfg_err *e = &errs->v[from + i];
		k[i] = (struct err_key){ file_rank(errs, e->loc.file), i, e->loc.line,
					 e->loc.col };
	}
	qsort(k, n, sizeof(*k), cmp_err_key);
	for (size_t i = 0; i < n; i++)
		tmp[i] = errs->v[from + k[i].idx];
	memcpy(&errs->v[from], tmp, n * sizeof(*tmp));
out:
	free(k);
	free(tmp);
}
