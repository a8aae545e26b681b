/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Fuzz target: RRQs, ACKs, ERRORs and polls fed into one engine over a tiny
 * temp tftp root (files of 0, 513 and 5000 bytes, a text file, a symlink
 * out of the root, a fifo).
 *
 * Input: records [ctl][len][len bytes]:
 *   ctl & 3 == 0  packet to port 69 (bytes as the UDP payload)
 *   ctl & 3 == 1  packet to the last server TID we sent from
 *   ctl & 3 == 2  poll after advancing the clock by len * 10 ms
 *   ctl & 3 == 3  ACK to the last TID, block = first two bytes
 *   (ctl >> 2) & 7 selects the client port, (ctl >> 5) the client ip.
 * Every DATA payload handed out is read (checksummed) and bounds-checked
 * against the file, so ASan/segfaults catch bad offsets.
 *
 * Built as fuzz_tftp (libFuzzer) and as regress_tftp (-DBS_FUZZ_REGRESS_MAIN:
 * replays every file of the directories or files given on the command line).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shm/snap_read.h"
#include "dataplane/tftp/tftp_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fz_dir[64], fz_root[96];
static _Alignas(8) uint8_t fz_snap[512];
static _Atomic uint64_t fz_ctr[BS_CTR_MAX];
static uint16_t fz_last_tid;
static volatile uint32_t fz_sink;

static void
fz_cleanup(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fz_dir);
	if (fz_dir[0] && system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
}

static void
fz_file(const char *rel, size_t len, char fill)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", fz_root, rel);
	FILE *f = fopen(p, "wb");
	if (!f)
		abort();
	for (size_t i = 0; i < len; i++)
		fputc(fill == '*' ? (int)(i * 7 % 251) : fill, f);
	fclose(f);
	struct timespec ts[2];
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 10;
	ts[1] = ts[0];
	utimensat(AT_FDCWD, p, ts, 0);
}

static void
fz_init(void)
{
	if (fz_dir[0])
		return;
	snprintf(fz_dir, sizeof(fz_dir), "/tmp/bs-fuzz-tftp-XXXXXX");
	if (!mkdtemp(fz_dir))
		abort();
	atexit(fz_cleanup);
	snprintf(fz_root, sizeof(fz_root), "%s/root", fz_dir);
	mkdir(fz_root, 0755);
	char p[256];
	snprintf(p, sizeof(p), "%s/d", fz_root);
	mkdir(p, 0755);
	fz_file("a", 0, 0);
	fz_file("b", 513, '*');
	fz_file("c", 5000, '*');
	fz_file("d/e", 300, '\n');
	snprintf(p, sizeof(p), "%s/x", fz_root);
	if (symlink("/etc/passwd", p) != 0)
		abort();
	snprintf(p, sizeof(p), "%s/f", fz_root);
	mkfifo(p, 0644);

	struct snap_hdr *s = (struct snap_hdr *)fz_snap;
	s->magic = SNAP_MAGIC;
	char *blob = (char *)fz_snap + sizeof(*s);
	size_t n = strlen(fz_root) + 1;
	memcpy(blob + 1, fz_root, n);
	s->tftp_root = 1;
	s->strings.off = sizeof(*s);
	s->strings.count = (uint32_t)(1 + n);
	s->tftp_max_blksize = 1468;
	s->tftp_max_windowsize = 8;
	s->tftp_timeout_ms = 100;
	s->tftp_retries = 3;
	s->tftp_port_lo = 40000;
	s->tftp_port_hi = 40100;
	s->tftp_max_transfers = 16;
	s->tftp_max_per_client = 4;
	s->tftp_mtu = 1500;
}

static int
fz_send(void *ctx, const struct tftp_out *o)
{
	(void)ctx;
	if (o->hdr_len < 4 || o->hdr_len > TFTP_MAX_HDR)
		abort();
	fz_last_tid = o->src_port;
	if (o->payload_len > 65464 || (o->payload_len && !o->payload))
		abort();
	uint32_t s = 0;
	for (uint32_t i = 0; i < o->payload_len; i++)
		s += o->payload[i];
	fz_sink += s;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_init();
	const struct snap_hdr *snap = (const struct snap_hdr *)fz_snap;
	struct tftp_env env = { .ctr = fz_ctr, .n_workers = 1, .send = fz_send };
	struct tftp_limits lim = { .max_transfers = 16, .max_files = 8, .settle_ms = UINT32_MAX };
	struct tftp_engine *e = tftp_engine_new(&env, &lim);
	if (!e)
		abort();
	uint64_t now = 1000000000ull;
	fz_last_tid = 40000;
	size_t i = 0;
	while (i + 2 <= size) {
		uint8_t ctl = data[i], len = data[i + 1];
		i += 2;
		if (len > size - i)
			len = (uint8_t)(size - i);
		const uint8_t *p = data + i;
		i += len;
		uint16_t cport = (uint16_t)(1000 + ((ctl >> 2) & 7));
		uint32_t cip = 0x0a000001u + (ctl >> 5);
		struct tftp_rx rx = { .p = p, .len = len, .src_ip = cip, .src_port = cport,
				      .now_ns = now };
		uint8_t ack[4] = { 0, 4, 0, 0 };
		switch (ctl & 3) {
		case 0:
			rx.dst_port = 69;
			tftp_handle(e, snap, &rx);
			break;
		case 1:
			rx.dst_port = fz_last_tid;
			tftp_handle(e, snap, &rx);
			break;
		case 2:
			now += (uint64_t)len * 10000000ull;
			tftp_poll(e, snap, now, 64);
			break;
		default:
			ack[2] = len > 0 ? p[0] : 0;
			ack[3] = len > 1 ? p[1] : 0;
			rx.p = ack;
			rx.len = 4;
			rx.dst_port = fz_last_tid;
			tftp_handle(e, snap, &rx);
			break;
		}
		tftp_poll(e, snap, now, 16);
	}
	/* run every transfer to its end: all timers must fire and free */
	for (int k = 0; k < 400 && tftp_active(e); k++) {
		now += 5000000000ull; /* up to 2000 s: timeout option 255 s x retries */
		tftp_poll(e, snap, now, 64);
	}
	/* every reservation of the global cap was given back */
	if (tftp_active(e) != 0 || e->inflight != 0 || e->n_free + e->n_ready + e->n_wait < e->max)
		abort();
	tftp_engine_free(e);
	return 0;
}

#ifdef BS_FUZZ_REGRESS_MAIN
static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	static uint8_t buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

int
main(int argc, char **argv)
{
	int files = 0;
	for (int a = 1; a < argc; a++) {
		struct stat st;
		if (stat(argv[a], &st) != 0)
			return 1;
		if (!S_ISDIR(st.st_mode)) {
			files += run_file(argv[a]) == 0;
			continue;
		}
		DIR *d = opendir(argv[a]);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			char p[4096];
			snprintf(p, sizeof(p), "%s/%s", argv[a], de->d_name);
			if (run_file(p) != 0)
				return 1;
			files++;
		}
		if (d)
			closedir(d);
	}
	printf("replayed %d inputs\n", files);
	return files > 0 ? 0 : 1;
}
#endif
