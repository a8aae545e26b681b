/* SPDX-License-Identifier: BSD-3-Clause
 *
 * DMA access for the TFTP file pages a real NIC reads (zero-copy DATA).
 *
 * rte_extmem_register only tells DPDK about memory; it maps nothing for a
 * device.  Behind an IOMMU (vfio-pci) a NIC may read only what was mapped
 * into its container, so each file version is registered and then
 * rte_dev_dma_map'ed for every started port's device, with IOVA = VA (the
 * address the workers put in the extbuf mbufs), and unmapped before it is
 * unregistered, once the last mbuf pointing into it was freed (the TFTP
 * cache calls us back: tftp_dma_hooks).  Where that cannot be done the
 * version is served by copy from DPDK's own (mapped) mbufs:
 *   - IOVA as PA: file pages are not physically contiguous, and a block
 *     may span two of them;
 *   - memory that is not page-aligned (netascii copies on the heap);
 *   - registration refused (each registration takes one of DPDK's few
 *     memseg lists: RTE_MAX_MEMSEG_LISTS) or a device refusing the map.
 * A device whose bus has no DMA map (ENOTSUP: virtual PMDs, no VFIO) needs
 * none: that is not a failure.  With only virtual ports no hook is
 * installed at all (they copy at TX; registration would be wasted).
 *
 * VFIO pins DMA pages with write access, which a PROT_READ mapping of a
 * read-only file refuses (EFAULT): hence tftp_dma_hooks.private_map.
 *
 * BOOTSTORM_DP_SKIP_DMA_MAP=1 (tests only, logged loudly) registers the
 * pages but skips the device mapping: the state of the code before this
 * file existed, to show that the VM test then fails.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_memory.h>

#include "dataplane/dp.h"
#include "dataplane/tftp/tftp.h"

RTE_LOG_REGISTER(bs_dma_logtype, bootstorm.dma, INFO);
#define LOG(lvl, ...) rte_log(RTE_LOG_##lvl, bs_dma_logtype, "bootstorm-dp: " __VA_ARGS__)

/* The devices that read file pages: set by dp_dma_init before workers
 * start, read-only afterwards. */
static struct rte_device *dma_dev[DP_MAX_PORTS];
static unsigned n_dma_dev;
static bool skip_map;

/* One mapped version: which devices hold a mapping (bit i = dma_dev[i]). */
struct dma_cookie {
	size_t reg_len;
	uint32_t mapped;
};

static size_t
page_size(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	return pg > 0 ? (size_t)pg : 4096u;
}

static void
unmap_devs(void *addr, size_t len, uint32_t mapped)
{
	for (unsigned i = 0; i < n_dma_dev; i++)
		if ((mapped & (1u << i)) &&
		    rte_dev_dma_unmap(dma_dev[i], addr, (uint64_t)(uintptr_t)addr, len) != 0)
			LOG(ERR, "DMA unmap of %zu bytes for %s: %s (pages stay pinned)\n", len,
			    rte_dev_name(dma_dev[i]), rte_strerror(rte_errno));
}

/* Maps [addr, addr+len) for every device.  Returns 0 or a tftp_dma_rc. */
static enum tftp_dma_rc
map_devs(void *addr, size_t len, uint32_t *mapped)
{
	for (unsigned i = 0; i < n_dma_dev; i++) {
		if (skip_map)
			break;
		if (rte_dev_dma_map(dma_dev[i], addr, (uint64_t)(uintptr_t)addr, len) == 0) {
			*mapped |= 1u << i;
			continue;
		}
		if (rte_errno == ENOTSUP)
			continue; /* this bus maps nothing: its device needs nothing */
		/* EINVAL from VFIO is typically an IOVA (= VA, ~47 bits for
		 * mmap) above the IOMMU's address width (39 bits on some). */
		LOG(WARNING, "DMA map of a %zu-byte file version at IOVA %p for %s: %s; "
			     "served by copy\n",
		    len, addr, rte_dev_name(dma_dev[i]), rte_strerror(rte_errno));
		unmap_devs(addr, len, *mapped);
		*mapped = 0;
		return TFTP_DMA_FAIL_MAP;
	}
	return TFTP_DMA_OK;
}

static enum tftp_dma_rc
dma_map_hook(void *ctx, void *addr, size_t len, void **cookie)
{
	(void)ctx;
	*cookie = NULL;
	if (len == 0)
		return TFTP_DMA_OK; /* an empty file: no page is ever read */
	size_t pg = page_size();
	if (rte_eal_iova_mode() != RTE_IOVA_VA || ((uintptr_t)addr % pg) != 0) {
		/* IOVA as PA (a block may span pages that are not physically
		 * adjacent) or heap memory: no IOVA fits; not worth a log line
		 * per version beyond the counter, except once. */
		static _Atomic bool said;
		if (!atomic_exchange_explicit(&said, true, memory_order_relaxed))
			LOG(WARNING, "%s: TFTP payload served by copy (counter tftp_dma_fallback)\n",
			    rte_eal_iova_mode() != RTE_IOVA_VA ? "IOVA as PA"
							       : "memory not page-aligned");
		return TFTP_DMA_FAIL_IOVA;
	}
	struct dma_cookie *ck = calloc(1, sizeof(*ck));
	if (ck == NULL)
		return TFTP_DMA_FAIL_MAP;
	ck->reg_len = (len + pg - 1) / pg * pg;
	if (rte_extmem_register(addr, ck->reg_len, NULL, 0, pg) != 0) {
		LOG(WARNING, "rte_extmem_register of a %zu-byte file version: %s; served by copy\n",
		    len, rte_strerror(rte_errno));
		free(ck);
		return TFTP_DMA_FAIL_REG;
	}
	enum tftp_dma_rc rc = map_devs(addr, ck->reg_len, &ck->mapped);
	if (rc != TFTP_DMA_OK) {
		rte_extmem_unregister(addr, ck->reg_len);
		free(ck);
		return rc;
	}
	*cookie = ck;
	return TFTP_DMA_OK;
}

static void
dma_unmap_hook(void *ctx, void *addr, size_t len, void *cookie)
{
	struct dma_cookie *ck = cookie;
	(void)ctx;
	(void)len;
	if (ck == NULL)
		return;
	/* rte_dev_dma_unmap wants the memory still registered. */
	unmap_devs(addr, ck->reg_len, ck->mapped);
	if (rte_extmem_unregister(addr, ck->reg_len) != 0)
		LOG(ERR, "rte_extmem_unregister: %s\n", rte_strerror(rte_errno));
	free(ck);
}

int
dp_dma_init(struct dp *dp)
{
	n_dma_dev = 0;
	uint16_t ports[2] = { dp->port, dp->punt_port };
	for (unsigned k = 0; k < 2; k++) {
		struct rte_eth_dev_info di;
		if (ports[k] == UINT16_MAX || rte_eth_dev_info_get(ports[k], &di) != 0)
			continue;
		const struct rte_bus *bus = di.device ? rte_bus_find_by_device(di.device) : NULL;
		if (bus == NULL || strcmp(rte_bus_name(bus), "vdev") == 0)
			continue; /* copies at TX: reads no file page by DMA */
		dma_dev[n_dma_dev++] = di.device;
	}
	if (n_dma_dev == 0) {
		tftp_set_dma_hooks(NULL);
		return 0;
	}
	const char *e = getenv("BOOTSTORM_DP_SKIP_DMA_MAP");
	skip_map = e && strcmp(e, "1") == 0;
	if (skip_map)
		LOG(WARNING, "BOOTSTORM_DP_SKIP_DMA_MAP=1: file pages are NOT DMA-mapped "
			     "(test of the test only: the NIC will fault)\n");
	struct tftp_dma_hooks h = {
		.map = dma_map_hook,
		.unmap = dma_unmap_hook,
		.private_map = true,
	};
	tftp_set_dma_hooks(&h);
	LOG(INFO, "TFTP file pages DMA-mapped for %u device(s), IOVA as %s\n", n_dma_dev,
	    rte_eal_iova_mode() == RTE_IOVA_VA ? "VA" : "PA (payload copied)");
	return 0;
}
