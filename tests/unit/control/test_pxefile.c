/* SPDX-License-Identifier: BSD-3-Clause
 * The batch writer of generated boot files (control/daemon/pxefile.h): an
 * unchanged file is not rewritten (same inode), a changed one is replaced
 * by rename (new inode), equal content in a batch is one inode (hard
 * links), a shared inode is never written through another name, and a
 * link source that went away is written anew. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "control/daemon/pxefile.h"

static char dir[64];

static struct stat
st_of(const char *name)
{
	char p[256];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/d/%s", dir, name);
	memset(&sb, 0, sizeof(sb));
	assert_int_equal(stat(p, &sb), 0);
	return sb;
}

static const char *
slurp(const char *name)
{
	static char buf[256];
	char p[256];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/d/%s", dir, name);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/bs-pxefile-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int
put(struct pxefile_dir *d, const char *name, const char *s)
{
	return pxefile_put(d, name, s, strlen(s));
}

static void
test_unchanged_changed(void **state)
{
	struct pxefile_dir d;
	struct stat a, b;
	char p[128];

	(void)state;
	snprintf(p, sizeof(p), "%s/d", dir);
	assert_int_equal(pxefile_open(&d, p), 0);
	assert_int_equal(put(&d, "f", "one\n"), PXEFILE_WRITTEN);
	pxefile_close(&d);
	a = st_of("f");
	/* a new batch, same content: not touched */
	assert_int_equal(pxefile_open(&d, p), 0);
	assert_int_equal(put(&d, "f", "one\n"), PXEFILE_UNCHANGED);
	b = st_of("f");
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
	/* same length, other bytes: replaced, by a new inode */
	assert_int_equal(put(&d, "f", "two\n"), PXEFILE_WRITTEN);
	b = st_of("f");
	assert_true(a.st_ino != b.st_ino);
	assert_string_equal(slurp("f"), "two\n");
	pxefile_close(&d);
	/* no temp file left behind */
	assert_null(slurp(".f.tmp"));
}

static void
test_equal_linked(void **state)
{
	struct pxefile_dir d;
	char p[128];

	(void)state;
	snprintf(p, sizeof(p), "%s/d", dir);
	assert_int_equal(pxefile_open(&d, p), 0);
	assert_int_equal(put(&d, "a", "local\n"), PXEFILE_WRITTEN);
	assert_int_equal(put(&d, "b", "local\n"), PXEFILE_LINKED); /* new name */
	assert_int_equal(put(&d, "f", "local\n"), PXEFILE_LINKED); /* over "two" */
	assert_int_equal(put(&d, "c", "install c\n"), PXEFILE_WRITTEN);
	assert_int_equal(st_of("a").st_ino, st_of("b").st_ino);
	assert_int_equal(st_of("a").st_ino, st_of("f").st_ino);
	assert_int_equal(st_of("a").st_nlink, 3);
	assert_string_equal(slurp("f"), "local\n");
	/* a changes: a new inode for a, b and f keep theirs and its bytes */
	assert_int_equal(put(&d, "a", "install a\n"), PXEFILE_WRITTEN);
	assert_string_equal(slurp("b"), "local\n");
	assert_string_equal(slurp("f"), "local\n");
	assert_int_equal(st_of("b").st_nlink, 2);
	/* "local" was remembered under a, which no longer holds it: the
	 * writer reads its source back and links to nothing wrong */
	assert_int_equal(put(&d, "e", "local\n"), PXEFILE_WRITTEN);
	assert_string_equal(slurp("e"), "local\n");
	/* ... and the next equal one links to that new inode */
	assert_int_equal(put(&d, "g", "local\n"), PXEFILE_LINKED);
	assert_int_equal(st_of("e").st_ino, st_of("g").st_ino);
	pxefile_close(&d);
	/* a file found equal in a later batch is a link source too */
	assert_int_equal(pxefile_open(&d, p), 0);
	assert_int_equal(put(&d, "c", "install c\n"), PXEFILE_UNCHANGED);
	assert_int_equal(put(&d, "h", "install c\n"), PXEFILE_LINKED);
	assert_int_equal(st_of("c").st_ino, st_of("h").st_ino);
	/* a source removed behind the writer's back: written anew */
	snprintf(p, sizeof(p), "%s/d/c", dir);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(put(&d, "i", "install c\n"), PXEFILE_WRITTEN);
	assert_string_equal(slurp("i"), "install c\n");
	pxefile_close(&d);
}

/* Past PXEFILE_KEEP_MAX of unique content the table remembers no more,
 * but a file equal to the one just put (GRUB's IP alias after its MAC
 * file) is still a link of it. */
static void
test_keep_cap(void **state)
{
	static char big[4096];
	struct pxefile_dir d;
	char p[128], name[32];
	size_t n = PXEFILE_KEEP_MAX / sizeof(big) + 8;

	(void)state;
	snprintf(p, sizeof(p), "%s/cap", dir);
	assert_int_equal(pxefile_open(&d, p), 0);
	memset(big, 'x', sizeof(big));
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "u%zu", i);
		snprintf(big, 32, "%031zu", i); /* unique */
		assert_int_equal(pxefile_put(&d, name, big, sizeof(big)), PXEFILE_WRITTEN);
	}
	assert_true(d.kept <= PXEFILE_KEEP_MAX);
	assert_int_equal(pxefile_put(&d, "alias", big, sizeof(big)), PXEFILE_LINKED);
	pxefile_close(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unchanged_changed),
		cmocka_unit_test(test_equal_linked),
		cmocka_unit_test(test_keep_cap),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
