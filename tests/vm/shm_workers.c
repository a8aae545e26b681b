/* Prints each worker's own non-zero counters from a running bootstorm's shared
 * memory (/dev/shm/bootstorm-INSTANCE), one "W NAME VALUE" line each: the
 * metrics endpoint sums the workers, the multiqueue checks (t_vfio_mq) need to
 * see that every worker got its share.  Built by the test with the host's cc:
 *   cc -I ROOT -o shm_workers tests/vm/shm_workers.c shm/counters.c
 * Usage: shm_workers INSTANCE */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shm/counters.h"
#include "shm/shm.h"

int
main(int argc, char **argv)
{
	char name[64];
	struct stat st;
	if (argc != 2)
		return 2;
	snprintf(name, sizeof(name), "/dev/shm" SHM_NAME_FMT, argv[1]);
	int fd = open(name, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(struct shm_hdr)) {
		perror(name);
		return 1;
	}
	const void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	const struct shm_hdr *h = p;
	if (h->magic != SHM_MAGIC || h->abi != SHM_ABI || h->max_workers > SHM_MAX_WORKERS ||
	    h->counters_off + h->max_workers * sizeof(struct shm_counters) > (uint64_t)st.st_size) {
		fprintf(stderr, "%s: not a bootstorm region of this build\n", name);
		return 1;
	}
	const struct shm_counters *c = (const void *)((const char *)p + h->counters_off);
	for (uint32_t w = 0; w < h->max_workers; w++)
		for (unsigned i = 0; i < BS_CTR_MAX; i++) {
			uint64_t v = __atomic_load_n((const uint64_t *)&c[w].c[i], __ATOMIC_RELAXED);
			if (v)
				printf("%u %s %llu\n", w, bs_ctr_name[i], (unsigned long long)v);
		}
	return 0;
}
