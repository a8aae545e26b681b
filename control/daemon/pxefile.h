/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Writing one directory of generated boot files in a batch (pxegen.h,
 * grubgen.h).  What a file costs on a large fleet is its inode: ext4
 * allocates one per created file and, when many were freed in the last
 * seconds (every rewrite by rename frees the old one), scans past them
 * (find_inode_bit / recently_deleted) — perf on 20,000 nodes put ~65 % of
 * the boot-file time there, growing with the batch.  So within a batch a
 * file whose content equals one already written or verified in it is a
 * hard link to that file (no inode, no data block): every node in state
 * local or hold shares one file per loader, GRUB's IP alias shares its
 * node's MAC file.  Safe because no generated file is ever written in
 * place: a change is always a new inode renamed over the name, so a
 * shared inode never changes under another name (the TFTP engine maps
 * (dev, inode, size, mtime) versions, tftp_cache.c).
 *
 * Durability: none per file, on purpose.  The files are derived from the
 * config and the node-state store (the durability points); every start
 * regenerates them, comparing content, so a file lost or emptied by a
 * crash is rewritten before it matters, and an fsync per file would cost
 * one journal commit each for nothing (README "Boot files at scale").
 */
#ifndef BS_CONTROL_PXEFILE_H
#define BS_CONTROL_PXEFILE_H

#include <stddef.h>
#include <stdint.h>

#define PXEFILE_NAME_MAX  48
/* Content kept for matching, all entries together: a fleet of unique
 * files (per-node kernel arguments) stops being remembered past it. */
#define PXEFILE_KEEP_MAX  (8u << 20)

struct pxefile_ent;

/* Invariants: fd is the directory; t[0..cap) an open-addressing table
 * (cap a power of two, at most half full) of files of this batch known to
 * hold their recorded content (written, linked or compared equal). */
struct pxefile_dir {
	int fd;
	struct pxefile_ent *t;
	size_t cap, n, kept;
	/* the last file put whose content the table does not hold (past
	 * PXEFILE_KEEP_MAX): GRUB's IP alias still links to its MAC file */
	struct pxefile_ent *last;
};

enum pxefile_res {
	PXEFILE_UNCHANGED = 0,
	PXEFILE_WRITTEN = 1, /* a new inode */
	PXEFILE_LINKED = 2,  /* a hard link to an equal file of the batch */
};

/* Creates path (one level) when missing and opens it.  0 or -errno. */
int pxefile_open(struct pxefile_dir *d, const char *path);
void pxefile_close(struct pxefile_dir *d);

/* Makes name hold exactly buf: nothing when it already does, else a link
 * to an equal file of the batch or a new file, either under a temp name
 * renamed over name (the TFTP engine never sees a half-written file).
 * A name that is a link of an equal file of the batch is known unchanged
 * from one stat (same inode, size and mtime), without reading it.
 * Contract: a batch puts a name at most once (each node's names are its
 * own), so no inode the batch remembers is freed and its number reused
 * meanwhile; a name put again is still safe (its version changed).
 * Returns enum pxefile_res or -errno. */
int pxefile_put(struct pxefile_dir *d, const char *name, const char *buf, size_t len);

/* Writes buf to dir_fd/name atomically (temp + rename) unless the file
 * already holds exactly buf.  Returns 1 written, 0 unchanged, -errno. */
int write_file_atomic(int dir_fd, const char *name, const char *buf, size_t len);

#endif
