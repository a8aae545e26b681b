/* SPDX-License-Identifier: BSD-3-Clause
 *
 * bs-storm: command line.
 */
#include "tools/storm/storm.h"

static bool
parse_mac(const char *s, uint8_t *m)
{
	unsigned v[6];
	if (sscanf(s, "%x%*1[:-]%x%*1[:-]%x%*1[:-]%x%*1[:-]%x%*1[:-]%x", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5]) != 6)
		return false;
	for (int k = 0; k < 6; k++) {
		if (v[k] > 255)
			return false;
		m[k] = (uint8_t)v[k];
	}
	return true;
}

static bool
parse_ip(const char *s, uint32_t *ip)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*ip = ntohl(a.s_addr);
	return true;
}

void
usage(void)
{
	fprintf(stderr,
		"usage: bs-storm -i IFACE [options]\n"
		"  -n N               clients (default 100, max %u)\n"
		"  --concurrency K    at most K clients booting at once (default N)\n"
		"  --blksize B        TFTP blksize option (0 = none: 512; default 1468)\n"
		"  --windowsize W     TFTP windowsize option (default 8; 1 = none)\n"
		"  --no-tsize         do not ask for tsize\n"
		"  --files a,b,c      files fetched after the loader (default menu.cfg,vmlinuz,initrd.img)\n"
		"  --root DIR         server tftp root: expected content of every file\n"
		"  --no-verify        do not compare received data\n"
		"  --dhcp-only        stop each node at its DHCPACK\n"
		"  --tftp-only IP     no DHCP: clients take addresses from --client-ip, server IP\n"
		"  --client-ip A      first client address for --tftp-only\n"
		"  --timeout MS       TFTP retransmission timeout (default 1000), doubled per\n"
		"                     retry up to --backoff-cap x (default 8) as iPXE does\n"
		"  --fixed-timeout    no doubling: every retry after --timeout\n"
		"  --retries R        TFTP retries per packet before the node fails (default 5)\n"
		"  --dhcp-tries T     DHCP transmissions per step before failing (default 5)\n"
		"  --backoff-scale F  scale of the 4 s DHCP backoff (default 1.0)\n"
		"  --spread MS        start times uniform in [0, MS) (default 0: all at once)\n"
		"  --max-time S       bound on the whole run (default 600)\n"
		"  --progress S       print a progress line every S seconds\n"
		"  --seed S           xids, UUIDs, ports, jitter (default 1)\n"
		"  --mac M            base MAC (default 02:b5:00:00:00:00); node i = base + i\n"
		"  --arch A           option 93 / 60 arch (default 0, BIOS)\n"
		"  --no-broadcast     clear the DHCP broadcast flag\n"
		"  --pcap FILE        record the client side (--pcap-snaplen, default 128)\n"
		"  --times FILE       write per-node boot times (ms), one a line\n"
		"  --mtu M            link MTU (default 1500; up to 16000 for jumbo blksize)\n",
		MAX_NODES);
}

static void
split_files(char *s)
{
	opt.nfiles = 0;
	for (char *tok = strtok(s, ","); tok && opt.nfiles < MAX_FILES; tok = strtok(NULL, ","))
		opt.files[opt.nfiles++] = tok;
}

enum {
	O_CONC = 256, O_BLK, O_WIN, O_NOTSIZE, O_FILES, O_ROOT, O_NOVERIFY, O_DHCPONLY, O_TFTPONLY,
	O_CIP, O_TIMEOUT, O_RETRIES, O_DTRIES, O_SCALE, O_SPREAD, O_MAXT, O_PROG, O_SEED, O_MAC,
	O_ARCH, O_NOBC, O_PCAP, O_SNAP, O_TIMES, O_MTU, O_FIXED, O_CAP,
};

int
parse_args(int argc, char **argv)
{
	static char default_files[] = "menu.cfg,vmlinuz,initrd.img";
	static const struct option lo[] = {
		{ "concurrency", 1, 0, O_CONC }, { "blksize", 1, 0, O_BLK },
		{ "windowsize", 1, 0, O_WIN },	 { "no-tsize", 0, 0, O_NOTSIZE },
		{ "files", 1, 0, O_FILES },	 { "root", 1, 0, O_ROOT },
		{ "no-verify", 0, 0, O_NOVERIFY }, { "dhcp-only", 0, 0, O_DHCPONLY },
		{ "tftp-only", 1, 0, O_TFTPONLY }, { "client-ip", 1, 0, O_CIP },
		{ "timeout", 1, 0, O_TIMEOUT },	 { "retries", 1, 0, O_RETRIES },
		{ "dhcp-tries", 1, 0, O_DTRIES }, { "backoff-scale", 1, 0, O_SCALE },
		{ "spread", 1, 0, O_SPREAD },	 { "max-time", 1, 0, O_MAXT },
		{ "progress", 1, 0, O_PROG },	 { "seed", 1, 0, O_SEED },
		{ "mac", 1, 0, O_MAC },		 { "arch", 1, 0, O_ARCH },
		{ "no-broadcast", 0, 0, O_NOBC }, { "pcap", 1, 0, O_PCAP },
		{ "pcap-snaplen", 1, 0, O_SNAP }, { "times", 1, 0, O_TIMES },
		{ "mtu", 1, 0, O_MTU },		 { "fixed-timeout", 0, 0, O_FIXED },
		{ "backoff-cap", 1, 0, O_CAP },
		{ "help", 0, 0, 'h' },		 { 0, 0, 0, 0 },
	};
	opt.n = 100;
	opt.blksize = 1468;
	opt.windowsize = 8;
	opt.tsize = true;
	opt.timeout_ms = 1000;
	opt.tftp_backoff = true;
	opt.backoff_cap = 8;
	opt.retries = 5;
	opt.dhcp_tries = 5;
	opt.backoff_scale = 1.0;
	opt.max_time_s = 600;
	opt.seed = 1;
	opt.verify = true;
	opt.broadcast = true;
	opt.pcap_snaplen = 128;
	opt.mtu = 1500;
	const uint8_t bm[6] = { 0x02, 0xb5, 0, 0, 0, 0 };
	memcpy(opt.base_mac, bm, 6);
	split_files(default_files);
	int c;
	while ((c = getopt_long(argc, argv, "i:n:h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': opt.ifname = optarg; break;
		case 'n': opt.n = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_CONC: opt.concurrency = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_BLK: opt.blksize = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_WIN: opt.windowsize = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_NOTSIZE: opt.tsize = false; break;
		case O_FILES: split_files(optarg); break;
		case O_ROOT: opt.root = optarg; break;
		case O_NOVERIFY: opt.verify = false; break;
		case O_DHCPONLY: opt.dhcp_only = true; break;
		case O_TFTPONLY:
			opt.tftp_only = true;
			if (!parse_ip(optarg, &opt.server_ip))
				return -EINVAL;
			break;
		case O_CIP:
			if (!parse_ip(optarg, &opt.client_ip))
				return -EINVAL;
			break;
		case O_TIMEOUT: opt.timeout_ms = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_RETRIES: opt.retries = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_DTRIES: opt.dhcp_tries = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_SCALE: opt.backoff_scale = strtod(optarg, NULL); break;
		case O_SPREAD: opt.spread_ms = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_MAXT: opt.max_time_s = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_PROG: opt.progress_s = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_SEED: opt.seed = strtoull(optarg, NULL, 0); break;
		case O_MAC:
			if (!parse_mac(optarg, opt.base_mac))
				return -EINVAL;
			break;
		case O_ARCH: opt.arch = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_NOBC: opt.broadcast = false; break;
		case O_PCAP: opt.pcap_path = optarg; break;
		case O_SNAP: opt.pcap_snaplen = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_TIMES: opt.times_path = optarg; break;
		case O_MTU: opt.mtu = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_FIXED: opt.tftp_backoff = false; break;
		case O_CAP: opt.backoff_cap = (unsigned)strtoul(optarg, NULL, 0); break;
		default: return -EINVAL;
		}
	}
	if (!opt.ifname || opt.n == 0 || opt.n > MAX_NODES || opt.arch > 0xffff)
		return -EINVAL;
	if (opt.mtu < 576 || opt.mtu > FRAME_JUMBO - 384)
		return -EINVAL;
	/* a DATA packet must fit the MTU: IP + UDP + TFTP headers (RFC 2348) */
	if (opt.blksize && (opt.blksize < 8 || opt.blksize > opt.mtu - IP_HLEN - UDP_HLEN - 4))
		return -EINVAL;
	if (opt.windowsize == 0 || opt.windowsize > 64 || opt.dhcp_tries == 0 || opt.timeout_ms == 0 ||
	    opt.backoff_cap == 0 || opt.backoff_cap > 64)
		return -EINVAL;
	if (opt.tftp_only && (!opt.client_ip || opt.nfiles == 0))
		return -EINVAL;
	if (opt.verify && !opt.root && !opt.dhcp_only)
		return -EINVAL;
	if (!opt.concurrency || opt.concurrency > opt.n)
		opt.concurrency = opt.n;
	if (opt.backoff_scale <= 0)
		opt.backoff_scale = 1.0;
	return 0;
}
