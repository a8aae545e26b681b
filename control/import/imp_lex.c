/* SPDX-License-Identifier: BSD-3-Clause
 *
 * dhcpd.conf tokenizer and statement tree builder.  Bounded everywhere:
 * the scanner never reads past len, nesting and statement length are
 * capped, and a syntax error is reported with its line and skipped rather
 * than ending the parse.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/import/imp_lex.h"

struct lex {
	const char *p;
	size_t left;
	unsigned line;
	lex_err_fn err;
	void *ctx;
	bool oom;
	bool eof;
};

static void
lerr(struct lex *l, unsigned line, const char *msg)
{
	if (l->err)
		l->err(l->ctx, line, msg);
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static bool
is_word(char c)
{
	return !is_space(c) && !strchr("{};,=()\"#", c) && c != '\0';
}

static void
adv(struct lex *l)
{
	if (*l->p == '\n')
		l->line++;
	l->p++;
	l->left--;
}

static char *
dup_n(struct lex *l, const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (!d) {
		l->oom = true;
		return NULL;
	}
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* Reads a quoted string; the opening quote is at l->p. */
static int
scan_string(struct lex *l, struct tok *t)
{
	size_t cap = 64, n = 0;
	char *b = malloc(cap);
	if (!b) {
		l->oom = true;
		return -ENOMEM;
	}
	unsigned start = l->line;
	adv(l);
	while (l->left && *l->p != '"') {
		char c = *l->p;
		if (c == '\n') {
			/* dhcpd strings do not span lines: report at the
			 * opening line and close the string here. */
			lerr(l, start, "unterminated string");
			break;
		}
		if (c == '\\' && l->left > 1) {
			adv(l);
			c = *l->p;
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
		}
		if (c == '\0') {
			lerr(l, l->line, "NUL byte in string");
			c = '?';
		}
		if (n + 1 == cap) {
			char *nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				l->oom = true;
				return -ENOMEM;
			}
			b = nb;
			cap *= 2;
		}
		b[n++] = c;
		adv(l);
	}
	if (!l->left)
		lerr(l, start, "unterminated string at end of file");
	else if (*l->p == '"')
		adv(l);
	b[n] = '\0';
	t->type = TOK_STRING;
	t->line = start;
	t->s = b;
	return 0;
}

/* Next token or structural char.  Returns 1 with *c set to '{', '}' or ';'
 * (t unused), 0 with a token in t, -1 at end of input. */
static int
scan(struct lex *l, struct tok *t, char *c)
{
	for (;;) {
		while (l->left && is_space(*l->p))
			adv(l);
		if (!l->left)
			return -1;
		if (*l->p == '#') {
			while (l->left && *l->p != '\n')
				adv(l);
			continue;
		}
		break;
	}
	char ch = *l->p;
	t->line = l->line;
	if (ch == '{' || ch == '}' || ch == ';') {
		*c = ch;
		adv(l);
		return 1;
	}
	if (ch == '"')
		return scan_string(l, t) ? -1 : 0;
	if (ch == '\0') {
		lerr(l, l->line, "NUL byte in file");
		adv(l);
		return scan(l, t, c);
	}
	if (strchr(",=()", ch)) {
		t->type = TOK_PUNCT;
		t->s = dup_n(l, l->p, 1);
		adv(l);
		return t->s ? 0 : -1;
	}
	const char *s = l->p;
	size_t n = 0;
	while (l->left && is_word(*l->p)) {
		adv(l);
		n++;
	}
	/* "!=" and "~=" are comparison operators glued to '='. */
	if (l->left && *l->p == '=' && n == 1 && (s[0] == '!' || s[0] == '~')) {
		adv(l);
		n++;
	}
	t->type = TOK_WORD;
	t->s = dup_n(l, s, n);
	return t->s ? 0 : -1;
}

static int
next(struct lex *l, struct tok *t, char *c)
{
	if (l->eof)
		return -1;
	*c = 0;
	int r = scan(l, t, c);
	if (r < 0)
		l->eof = true;
	return r;
}

static int
push_tok(struct lex *l, struct stmt *s, const struct tok *t, size_t *cap)
{
	if (s->n == LEX_MAX_TOKENS) {
		lerr(l, t->line, "statement too long: tokens dropped");
		free(t->s);
		return 0;
	}
	if (s->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct tok *v = realloc(s->t, nc * sizeof(*v));
		if (!v) {
			free(t->s);
			l->oom = true;
			return -ENOMEM;
		}
		s->t = v;
		*cap = nc;
	}
	s->t[s->n++] = *t;
	return 0;
}

static int
push_kid(struct lex *l, struct stmt *parent, struct stmt *kid, size_t *cap)
{
	if (parent->n_kids == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct stmt *v = realloc(parent->kids, nc * sizeof(*v));
		if (!v) {
			stmt_free(kid);
			l->oom = true;
			return -ENOMEM;
		}
		parent->kids = v;
		*cap = nc;
	}
	parent->kids[parent->n_kids++] = *kid;
	return 0;
}

/* Parses statements into blk until '}' (depth > 0) or end of input. */
static int
parse_block(struct lex *l, struct stmt *blk, unsigned depth, unsigned open_line)
{
	size_t kcap = 0;
	for (;;) {
		struct stmt s;
		size_t tcap = 0;
		struct tok t;
		char c;
		int r;

		memset(&s, 0, sizeof(s));
		while ((r = next(l, &t, &c)) == 0) {
			if (!s.n)
				s.line = t.line;
			if (push_tok(l, &s, &t, &tcap))
				goto fail;
		}
		if (l->oom)
			goto fail;
		if (r < 0) { /* end of input */
			if (s.n) {
				lerr(l, s.line, "statement not ended by ';' at end of file");
				if (push_kid(l, blk, &s, &kcap))
					return -ENOMEM;
			}
			if (depth)
				lerr(l, open_line, "'{' not closed at end of file");
			return 0;
		}
		if (c == ';') {
			if (s.n && push_kid(l, blk, &s, &kcap))
				return -ENOMEM;
			continue;
		}
		if (c == '}') {
			if (s.n) {
				lerr(l, s.line, "statement not ended by ';' before '}'");
				if (push_kid(l, blk, &s, &kcap))
					return -ENOMEM;
			}
			if (!depth) {
				lerr(l, t.line, "'}' without '{'");
				continue;
			}
			return 0;
		}
		/* '{': a declaration's body. */
		if (depth + 1 >= LEX_MAX_DEPTH) {
			lerr(l, t.line, "declarations nested too deep");
			stmt_free(&s);
			return 0;
		}
		if (!s.n)
			s.line = t.line;
		s.block = true;
		if (parse_block(l, &s, depth + 1, t.line) || push_kid(l, blk, &s, &kcap))
			goto fail;
		continue;
fail:
		stmt_free(&s);
		return -ENOMEM;
	}
}

int
lex_parse(const char *buf, size_t len, struct stmt *root, lex_err_fn err, void *ctx)
{
	struct lex l = { .p = buf, .left = len, .line = 1, .err = err, .ctx = ctx };
	memset(root, 0, sizeof(*root));
	root->block = true;
	int r = parse_block(&l, root, 0, 0);
	if (r || l.oom) {
		stmt_free(root);
		return -ENOMEM;
	}
	return 0;
}

void
stmt_free(struct stmt *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->t[i].s);
	free(s->t);
	for (size_t i = 0; i < s->n_kids; i++)
		stmt_free(&s->kids[i]);
	free(s->kids);
	memset(s, 0, sizeof(*s));
}

const char *
stmt_tok(const struct stmt *s, size_t i)
{
	return i < s->n ? s->t[i].s : "";
}

bool
stmt_is(const struct stmt *s, size_t i, const char *word)
{
	return i < s->n && s->t[i].type == TOK_WORD && !strcasecmp(s->t[i].s, word);
}
