/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The fuzz harness: what the targets under tests/fuzz share, so that each
 * target is only its input format and its calls into the engine.  One
 * fz_<engine>.c per engine holds the fixture (temp tree, snapshot, fake
 * env callbacks, engine construction) and the invariant checks ("oracles")
 * a target runs after each input; fz_fs.c the temp-tree helpers and
 * replay.c the one driver that replays seeds and crash reproducers
 * without libFuzzer (suite 'regress').
 *
 * A failed check prints where and aborts, which libFuzzer and the replay
 * driver both report as a crash.
 */
#ifndef BS_FUZZ_FZ_H
#define BS_FUZZ_FZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond)                                                               \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
				#cond);                                              \
			abort();                                                     \
		}                                                                    \
	} while (0)

/* ---- fz_fs.c: a per-process temp tree, removed at exit ---- */
/* Creates <TMPDIR or /dev/shm (shm_ok) or /tmp>/bs-fuzz-<tag>.XXXXXX once
 * and returns it; later calls return the same directory. */
const char *fz_tmpdir(const char *tag, bool shm_ok);
/* <tmpdir>/rel in a static buffer (valid until the next call). */
const char *fz_path(const char *rel);
/* Plants a regular file of len bytes: fill, or a pattern when fill == '*';
 * its mtime 10 s in the past (older than any settle delay).  Returns its
 * inode. */
ino_t fz_put_file(const char *rel, size_t len, char fill);
void fz_put_dir(const char *rel);
void fz_put_link(const char *target, const char *rel);
void fz_put_fifo(const char *rel);
/* A malloc'd NUL-terminated copy of data (a NUL inside ends the string,
 * as for the C strings the HTTP server hands over). */
char *fz_cstr(const uint8_t *data, size_t size);

/* ---- fz_conf.c ---- */
struct cfg;
struct snap_hdr;
/* An accepted config flattens into a snapshot snap_verify accepts and
 * whose indexes find every node. */
void fz_conf_check_snap(const struct cfg *c);
/* Touches everything a verified snapshot lets the dataplane reach. */
void fz_snap_walk(const struct snap_hdr *s);

/* ---- fz_dhcp.c ---- */
struct th;
/* The engine harness over one of 4 configs (lab, proxy, deny, caps). */
struct th *fz_dhcp_engine(unsigned config);
/* One record: control byte then BOOTP payload (see fuzz_dhcp.c). */
void fz_dhcp_record(struct th *h, const uint8_t *rec, size_t n);
/* Lease table invariants the engine must keep. */
void fz_dhcp_check_leases(const struct th *h);

/* ---- fz_tftp.c ---- */
struct fz_tftp;
/* An engine over a tiny tftp root (files of 0, 513, 5000 bytes, a text
 * file, a symlink out of the root, a fifo).  runs: DATA goes through
 * env.send_data (the dataplane's burst path) instead of env.send. */
struct fz_tftp *fz_tftp_new(bool runs);
/* One record (see fuzz_tftp.c). */
void fz_tftp_op(struct fz_tftp *t, uint8_t ctl, const uint8_t *p, uint8_t len);
/* Runs every transfer to its end, checks that every timer fired and every
 * reservation was given back, frees. */
void fz_tftp_finish(struct fz_tftp *t);

/* ---- fz_pkt.c ---- */
struct pkt_self;
struct pkt_info;
/* Our address (10.77.0.1/24, VLAN 5 when vlan). */
void fz_pkt_self(struct pkt_self *self, bool vlan);
/* Builds the in-place reply a classified frame gets (ARP, ICMP echo, RA);
 * other classes: the payload must lie inside the frame. */
void fz_pkt_answer(uint8_t *f, size_t len, const struct pkt_self *self,
		   const struct pkt_info *pi);

/* ---- fz_http.c: request paths below a root full of traps ---- */
/* The root's descriptor; builds the tree and the fallback thread once. */
int fz_http_root(void);
/* Checks one http_open_beneath() result; returns the inode opened (0 when
 * refused) and closes fd. */
ino_t fz_http_check(const char *path, int rc, int fd, const struct stat *st);
/* Resolves path on a thread where openat2 fails with ENOSYS (the realpath
 * fallback) and checks it; returns false when seccomp is unavailable. */
bool fz_http_fallback(const char *path, ino_t *ino);
/* The lowest free descriptor: unchanged by a call that leaks nothing. */
int fz_lowest_free_fd(void);

/* ---- fz_range.c: Range header and HTTP date oracles ---- */
/* Range header hdr against a file of size bytes: what http_range_parse()
 * says, and what RFC 9110 14.1.1/14.1.2 says for the canonical forms built
 * from up to two numbers of hdr. */
void fz_range_check(const char *hdr, uint64_t size, const uint64_t *nums, unsigned n_nums);
/* Up to 4 decimal numbers found in s, saturating like the parser. */
unsigned fz_range_numbers(const char *s, uint64_t v[4]);
/* A date http_date_parse() accepts formats back to the same instant. */
void fz_date_check(const char *s);

/* ---- fz_tmpl.c: a plain reference renderer ---- */
struct tmpl_vars;
/* Parses "key=value" lines up to a "%%" line into vs; returns where the
 * template starts, or 0 (no "%%" line: a fixed set of variables). */
size_t fz_tmpl_vars(const char *in, size_t size, struct tmpl_vars *vs);
/* Renders t[0..len) from tmpl.h's contract alone and compares with what
 * tmpl_render() returned (rc, out, outlen, error line). */
void fz_tmpl_compare(const char *t, size_t len, const struct tmpl_vars *vs, int rc,
		     const char *out, size_t outlen, const char *err_where, const char *err_msg);

/* ---- fz_journal.c: lease journal images ---- */
/* Writes img as the journal, replays it with journal_open() and reads it
 * with journal_read_file(), and checks they agree (see fz_journal.c). */
void fz_journal_replay(const uint8_t *img, size_t n);
/* Rewrites each whole frame's CRC; true if anything changed. */
bool fz_journal_fix_crcs(uint8_t *b, size_t n);

#endif
