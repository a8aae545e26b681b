/* SPDX-License-Identifier: BSD-3-Clause
 *
 * bootstorm: the control process and its CLI.  Exit codes: 0 ok, 1 runtime
 * error, 2 usage or config error.
 */
#include <stdio.h>
#include <string.h>

#include "control/cli/cli.h"

int
main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
