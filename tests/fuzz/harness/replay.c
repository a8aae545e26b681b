/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The one replay driver: runs files, or every regular file of directories
 * (sorted, dot files skipped), through a target's LLVMFuzzerTestOneInput
 * without libFuzzer, so gcc, ASan and UBSan builds replay every seed and
 * kept crash reproducer as an ordinary test (suite 'regress').  Each input
 * is an exact-size heap copy, so ASan sees a read past its end.  An
 * unreadable path or an empty corpus fails the test.
 */
#include <dirent.h>
#include <string.h>

#include "tests/fuzz/harness/fz.h"

static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0, got;

	if (!f) {
		perror(path);
		return -1;
	}
	do {
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			buf = realloc(buf, cap);
			FZ_CHECK(buf != NULL);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	uint8_t *p = malloc(n ? n : 1);
	FZ_CHECK(p != NULL);
	memcpy(p, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(p, n);
	free(p);
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned files = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		struct dirent **ents;
		int n;

		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (replay_file(argv[i]) < 0)
				return 1;
			files++;
			continue;
		}
		n = scandir(argv[i], &ents, NULL, alphasort);
		if (n < 0) {
			perror(argv[i]);
			return 1;
		}
		for (int k = 0; k < n; k++) {
			char path[4096];

			snprintf(path, sizeof(path), "%s/%s", argv[i], ents[k]->d_name);
			if (ents[k]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				printf("%s\n", path); /* names the input a crash came from */
				fflush(stdout);
				if (replay_file(path) < 0)
					return 1;
				files++;
			}
			free(ents[k]);
		}
		free(ents);
	}
	printf("replayed %u inputs\n", files);
	return files ? 0 : 1; /* an empty corpus is a broken test */
}
