/* SPDX-License-Identifier: BSD-3-Clause
 * Replays corpus files through LLVMFuzzerTestOneInput without libFuzzer,
 * so gcc and ASan builds run every seed and kept crash reproducer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	static uint8_t buf[1 << 16];
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (f == NULL) {
			perror(argv[i]);
			return 1;
		}
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
	}
	printf("replayed %d file(s)\n", argc - 1);
	return 0;
}
