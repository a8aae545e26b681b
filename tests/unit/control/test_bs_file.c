/* SPDX-License-Identifier: BSD-3-Clause
 * util/bs_file.h: the atomic whole-file replace every store uses (content,
 * mode, no temp file left, a symlinked temp name refused) and write-all. */
#include <errno.h>
#include <signal.h>
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

#include "util/bs_file.h"

static char dir[64];

static void
read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, cap - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
}

static void
replace_writes_and_replaces(void **state)
{
	char p[256], t[256], buf[64];
	struct stat st;

	(void)state;
	snprintf(p, sizeof(p), "%s/f", dir);
	snprintf(t, sizeof(t), "%s/f.tmp", dir);
	umask(022);
	assert_int_equal(bs_file_replace(p, "one\n", 4, 0600), 0);
	read_file(p, buf, sizeof(buf));
	assert_string_equal(buf, "one\n");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(access(t, F_OK), -1);
	assert_int_equal(bs_file_replace(p, "two", 3, 0600), 0);
	read_file(p, buf, sizeof(buf));
	assert_string_equal(buf, "two");
	assert_int_equal(bs_file_replace_flags(p, "", 0, 0600, BS_FILE_NO_DIRSYNC), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(access(t, F_OK), -1);
	unlink(p);
}

static void
replace_fails_cleanly(void **state)
{
	char p[256], t[256], victim[256], buf[64];

	(void)state;
	snprintf(p, sizeof(p), "%s/nodir/f", dir);
	assert_int_equal(bs_file_replace(p, "x", 1, 0644), -ENOENT);
	/* a symlink at the temp name is never written through */
	snprintf(p, sizeof(p), "%s/g", dir);
	snprintf(t, sizeof(t), "%s/g.tmp", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	assert_int_equal(bs_file_replace(victim, "keep", 4, 0644), 0);
	assert_int_equal(symlink(victim, t), 0);
	assert_int_equal(bs_file_replace(p, "evil", 4, 0644), -ELOOP);
	read_file(victim, buf, sizeof(buf));
	assert_string_equal(buf, "keep");
	assert_int_equal(access(p, F_OK), -1);
	unlink(t);
	unlink(victim);
	/* a directory where the file goes: rename fails, the temp is removed */
	assert_int_equal(mkdir(p, 0755), 0);
	assert_true(bs_file_replace(p, "x", 1, 0644) < 0);
	assert_int_equal(access(t, F_OK), -1);
	rmdir(p);
}

static void
write_all_pipe(void **state)
{
	int fds[2];
	char buf[8];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(bs_write_all(fds[1], "abcdef", 6), 0);
	assert_int_equal(read(fds[0], buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "abcdef", 6);
	close(fds[0]);
	assert_int_equal(bs_write_all(fds[1], "a", 1), -EPIPE);
	close(fds[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replace_writes_and_replaces),
		cmocka_unit_test(replace_fails_cleanly),
		cmocka_unit_test(write_all_pipe),
	};
	int rc;

	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/bs-file-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return rc;
}
