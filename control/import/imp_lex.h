/* SPDX-License-Identifier: BSD-3-Clause
 *
 * ISC dhcpd.conf tokenizer and statement tree (dhcpd.conf(5), "The
 * dhcpd.conf file": statements end in ';', declarations open '{' ... '}',
 * '#' comments to end of line, double-quoted strings with backslash
 * escapes).
 *
 * The tree is generic: a statement is its tokens plus, for a declaration,
 * its child statements.  "if c { } elsif c { } else { }" comes out as
 * consecutive sibling statements starting with "if", "elsif", "else"; the
 * interpreter pairs them.
 */
#ifndef BS_IMPORT_IMP_LEX_H
#define BS_IMPORT_IMP_LEX_H

#include <stdbool.h>
#include <stddef.h>

enum tok_type {
	TOK_WORD = 0,	/* identifiers, numbers, addresses, "00:07", "!=" */
	TOK_STRING,	/* "..." with escapes resolved */
	TOK_PUNCT,	/* one of , = ( ) */
	TOK_TYPE_MAX
};

struct tok {
	enum tok_type type;
	unsigned line;
	char *s;
};

struct stmt {
	unsigned line;		/* of the first token */
	struct tok *t;
	size_t n;
	bool block;		/* had a { ... } body (kids may be empty) */
	struct stmt *kids;
	size_t n_kids;
};

#define LEX_MAX_DEPTH  64u	/* nested declarations */
#define LEX_MAX_TOKENS 512u	/* per statement */

/* Callback for syntax problems (file:line: msg); parsing goes on where it
 * can, so one stray brace does not lose the rest of the file. */
typedef void (*lex_err_fn)(void *ctx, unsigned line, const char *msg);

/* Parses buf[len] into root (a block with the top-level statements).
 * Returns 0, or -ENOMEM. */
int lex_parse(const char *buf, size_t len, struct stmt *root, lex_err_fn err, void *ctx);
void stmt_free(struct stmt *s);

/* Token i's text, "" past the end. */
const char *stmt_tok(const struct stmt *s, size_t i);
bool stmt_is(const struct stmt *s, size_t i, const char *word);

#endif
