/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The TFTP cache's DMA hooks (tftp_dma_hooks, implemented for real devices
 * by dataplane/dma.c): a version whose pages the NIC may read is handed to
 * the glue (on_map, file_user set on every DATA); a version it may not
 * read is served by copy (no on_map, file_user NULL, counted), never by
 * pointer; the device mapping is undone exactly once, and only when the
 * glue finally unmaps the pages (after its last mbuf), not when the engine
 * lets go of the version.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/unit/tftp/th.h"

#define C(t, name) ((uint64_t)(t)->ctr[BS_CTR_##name])

/* What the fake device saw. */
static struct {
	enum tftp_dma_rc rc;		/* answer of map() */
	bool fail_unaligned;		/* FAIL_IOVA for heap memory, like dma.c */
	unsigned maps, unmaps, on_maps;
	void *addr[8];
	size_t len[8];
	bool live[8];			/* mapped and not yet unmapped */
	unsigned data_with_user, data_without_user;
	/* on_release'd versions the "glue" still holds (mbufs in flight) */
	struct tftp_file *held[8];
	unsigned nheld;
	bool bad_order;			/* unmap() seen while pages were not being unmapped */
	bool unmapping;
} dev;

static enum tftp_dma_rc
fake_map(void *ctx, void *addr, size_t len, void **cookie)
{
	assert_ptr_equal(ctx, &dev);
	if (dev.fail_unaligned && ((uintptr_t)addr % 4096u) != 0)
		return TFTP_DMA_FAIL_IOVA;
	if (dev.rc != TFTP_DMA_OK)
		return dev.rc;
	unsigned i = dev.maps++;
	assert_true(i < 8);
	dev.addr[i] = addr;
	dev.len[i] = len;
	dev.live[i] = true;
	*cookie = &dev.live[i];
	return TFTP_DMA_OK;
}

static void
fake_unmap(void *ctx, void *addr, size_t len, void *cookie)
{
	assert_ptr_equal(ctx, &dev);
	bool *live = cookie;
	unsigned i = (unsigned)(live - dev.live);
	assert_true(i < dev.maps);
	assert_true(*live); /* once */
	assert_ptr_equal(addr, dev.addr[i]);
	assert_int_equal(len, dev.len[i]);
	if (!dev.unmapping)
		dev.bad_order = true;
	*live = false;
	dev.unmaps++;
}

static int
glue_send(void *ctx, const struct tftp_out *o)
{
	if (o->hdr_len >= 2 && o->hdr[1] == 3) {
		if (o->file_user)
			dev.data_with_user++;
		else
			dev.data_without_user++;
	}
	return th_send(ctx, o);
}

static void *
glue_on_map(void *ctx, struct tftp_file *f, const void *addr, size_t len)
{
	(void)ctx;
	(void)addr;
	(void)len;
	dev.on_maps++;
	return f; /* any non-NULL token */
}

/* Like worker.c: a version with a user is unmapped when its last mbuf
 * goes (later, glue_flush); one without is unmapped at once. */
static void
glue_on_release(void *ctx, struct tftp_file *f, void *user)
{
	(void)ctx;
	if (user == NULL) {
		dev.unmapping = true;
		tftp_file_unmap(f);
		dev.unmapping = false;
		return;
	}
	assert_true(dev.nheld < 8);
	dev.held[dev.nheld++] = f;
}

static void
glue_flush(void)
{
	dev.unmapping = true;
	for (unsigned i = 0; i < dev.nheld; i++)
		tftp_file_unmap(dev.held[i]);
	dev.unmapping = false;
	dev.nheld = 0;
}

static int
setup(void **state)
{
	memset(&dev, 0, sizeof(dev));
	struct tftp_dma_hooks h = {
		.map = fake_map, .unmap = fake_unmap, .private_map = true, .ctx = &dev,
	};
	tftp_set_dma_hooks(&h);
	struct th *t = th_new();
	tftp_engine_free(t->e);
	struct tftp_env env = {
		.ctr = t->ctr, .worker = 0, .n_workers = 1,
		.send = glue_send, .emit_boot = th_emit,
		.on_map = glue_on_map, .on_release = glue_on_release,
		.ctx = t,
	};
	struct tftp_limits lim = { .max_transfers = 64, .max_files = 16, .settle_ms = UINT32_MAX };
	t->e = tftp_engine_new(&env, &lim);
	assert_non_null(t->e);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	th_free(*state); /* releases the cache's versions */
	glue_flush();
	tftp_set_dma_hooks(NULL);
	return 0;
}

static void
fetch_ok(struct th *t, const char *name, const char *mode, const uint8_t *want, size_t len,
	 uint16_t cport)
{
	struct th_fetch f = { .name = name, .mode = mode, .cport = cport };
	th_do_fetch(t, &f);
	assert_true(f.done);
	assert_int_equal(f.len, len);
	if (len)
		assert_memory_equal(f.data, want, len);
	free(f.data);
}

/* Mapped: zero copy allowed, one map per version, unmap only at the end. */
static void
test_mapped_version(void **state)
{
	struct th *t = *state;
	uint8_t *d = th_pattern(3000, 7);
	th_write(t, "img", d, 3000);
	fetch_ok(t, "img", NULL, d, 3000, 9100);
	fetch_ok(t, "img", NULL, d, 3000, 9101);
	assert_int_equal(dev.maps, 1);
	assert_int_equal(dev.len[0], 3000);
	assert_int_equal((uintptr_t)dev.addr[0] % 4096u, 0);
	assert_int_equal(dev.on_maps, 1);
	assert_int_equal(dev.data_without_user, 0);
	assert_true(dev.data_with_user >= 12);
	assert_int_equal(C(t, TFTP_DMA_FALLBACK), 0);
	assert_int_equal(dev.unmaps, 0);
	/* private_map: the pages are read-only to us again after map() */
	FILE *m = fopen("/proc/self/maps", "r");
	char line[512];
	bool found = false;
	while (m && fgets(line, sizeof(line), m)) {
		unsigned long lo, hi;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 &&
		    lo == (unsigned long)(uintptr_t)dev.addr[0]) {
			assert_string_equal(perms, "r--p");
			found = true;
		}
	}
	if (m)
		fclose(m);
	assert_true(found);
	free(d);
}

/* The engine lets go of a replaced version: the device mapping stays while
 * the glue holds mbufs, and goes exactly once when it unmaps. */
static void
test_unmap_after_last_mbuf(void **state)
{
	struct th *t = *state;
	uint8_t *d = th_pattern(1000, 3);
	th_write(t, "a", d, 1000);
	fetch_ok(t, "a", NULL, d, 1000, 9200);
	tftp_engine_free(t->e); /* drops every version */
	t->e = NULL;
	assert_int_equal(dev.nheld, 1);
	assert_int_equal(dev.unmaps, 0);
	assert_true(dev.live[0]);
	glue_flush();
	assert_int_equal(dev.unmaps, 1);
	assert_false(dev.bad_order);
	th_engine(t, 16, UINT32_MAX); /* for teardown */
	free(d);
}

/* The device refuses: served by copy, counted, never by pointer. */
static void
test_refused_falls_back(void **state)
{
	struct th *t = *state;
	dev.rc = TFTP_DMA_FAIL_MAP;
	uint8_t *d = th_pattern(5000, 9);
	th_write(t, "b", d, 5000);
	fetch_ok(t, "b", NULL, d, 5000, 9300);
	fetch_ok(t, "b", NULL, d, 5000, 9301);
	assert_int_equal(dev.on_maps, 0);
	assert_int_equal(dev.data_with_user, 0);
	assert_true(dev.data_without_user >= 20);
	assert_int_equal(C(t, TFTP_DMA_FALLBACK), 1); /* per version, not per packet */
	assert_int_equal(C(t, EXTMEM_REG_FAIL), 0);
	free(d);
}

static void
test_register_refused_counted(void **state)
{
	struct th *t = *state;
	dev.rc = TFTP_DMA_FAIL_REG;
	th_write(t, "c", "xyz", 3);
	fetch_ok(t, "c", NULL, (const uint8_t *)"xyz", 3, 9400);
	assert_int_equal(C(t, TFTP_DMA_FALLBACK), 1);
	assert_int_equal(C(t, EXTMEM_REG_FAIL), 1);
	assert_int_equal(dev.data_with_user, 0);
}

/* The netascii copy is heap memory: it goes through the hooks too, and
 * memory the device cannot be given is copied. */
static void
test_netascii_copy_not_by_pointer(void **state)
{
	struct th *t = *state;
	dev.fail_unaligned = true;
	static const char src[] = "a\nb\n";
	static const char want[] = "a\r\nb\r\n";
	th_write(t, "txt", src, sizeof(src) - 1);
	fetch_ok(t, "txt", "netascii", (const uint8_t *)want, sizeof(want) - 1, 9500);
	assert_int_equal(dev.maps, 1); /* the file itself */
	assert_int_equal(C(t, TFTP_DMA_FALLBACK), 1); /* its netascii copy */
	assert_int_equal(dev.data_with_user, 0);
}

static void
test_empty_file(void **state)
{
	struct th *t = *state;
	th_write(t, "e", "", 0);
	fetch_ok(t, "e", NULL, NULL, 0, 9600);
	assert_int_equal(C(t, TFTP_DMA_FALLBACK), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mapped_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap_after_last_mbuf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_falls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_refused_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_netascii_copy_not_by_pointer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
