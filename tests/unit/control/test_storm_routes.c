/* SPDX-License-Identifier: BSD-3-Clause
 * The storm's route-aware rules (control/daemon/storm.h): a node counts as
 * booted by the route it really took, and each seen node's route comes from
 * what it fetched and its option 93 arch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "control/daemon/storm.h"

static void
test_route_of(void **state)
{
	static const struct {
		uint8_t arch;
		uint64_t tftp, http;
		enum storm_route want;
	} t[] = {
		{ 0, 3, 0, STORM_ROUTE_PXELINUX },	/* BIOS PXE */
		{ 0xff, 1, 2, STORM_ROUTE_PXELINUX },	/* legacy ROM without option 93 */
		{ 7, 2, 0, STORM_ROUTE_GRUB },		/* EFI x64 */
		{ 9, 1, 0, STORM_ROUTE_GRUB },
		{ 11, 1, 0, STORM_ROUTE_GRUB },		/* EFI arm64 */
		{ 0, 0, 3, STORM_ROUTE_IPXE_HTTP },	/* iPXE script + kernel + initrd */
		{ 16, 0, 1, STORM_ROUTE_UEFI_HTTP },	/* x64 UEFI HTTP */
		{ 15, 0, 0, STORM_ROUTE_UEFI_HTTP },
		{ 19, 0, 2, STORM_ROUTE_UEFI_HTTP },
		{ 0, 0, 0, STORM_ROUTE_DHCP },
		{ 0xff, 0, 0, STORM_ROUTE_DHCP },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(storm_route_of(t[i].arch, t[i].tftp, t[i].http), t[i].want);
}

/* The case: kernel, initrd and kickstart over HTTP (iPXE), no
 * report: booted (installing), not unfinished.  Before, it was counted
 * unfinished ("not booted"). */
static void
test_booted_by_route(void **state)
{
	uint64_t times[8];
	struct storm_nodes s;
	const struct storm_node_in n[] = {
		{ "ipxe", true, BOOT_STAGE_INSTALLING, 1000, 5000, 0, 0, 3, false },
		{ "live", true, BOOT_STAGE_HTTP, 1000, 3000, 16, 0, 1, false },
		{ "grub", true, BOOT_STAGE_TFTP_DONE, 1000, 2000, 7, 3, 0, false },
		/* installed, rebooted, DHCP sent it to its disk */
		{ "disk", true, BOOT_STAGE_DHCP_BOUND, 1000, 9000, 0, 2, 0, true },
		{ "slow", true, BOOT_STAGE_DHCP_BOUND, 1000, 9000, 0xff, 0, 0, false },
		{ "never", true, BOOT_STAGE_NONE, 0, 0, 0xff, 0, 0, true },
	};
	(void)state;
	storm_nodes_init(&s, times, 8);
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		storm_nodes_add_node(&s, &n[i]);
	storm_nodes_finish(&s);
	assert_int_equal(s.seen, 5);
	assert_int_equal(s.installing, 1);
	assert_int_equal(s.http_done, 1);
	assert_int_equal(s.tftp_done, 1);
	assert_int_equal(s.local, 1);
	assert_int_equal(s.unfinished, 1);
	assert_string_equal(s.unfinished_names.v[0], "slow");
	assert_int_equal(s.nt, 3); /* local: no install time */
	assert_int_equal(s.routes[STORM_ROUTE_IPXE_HTTP], 1);
	assert_int_equal(s.routes[STORM_ROUTE_UEFI_HTTP], 1);
	assert_int_equal(s.routes[STORM_ROUTE_GRUB], 1);
	assert_int_equal(s.routes[STORM_ROUTE_PXELINUX], 1);
	assert_int_equal(s.routes[STORM_ROUTE_DHCP], 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_of),
		cmocka_unit_test(test_booted_by_route),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
