/* SPDX-License-Identifier: BSD-3-Clause
 * Exit codes of every bootstorm subcommand (daemon and client alike). */
#ifndef BS_CONTROL_EXIT_H
#define BS_CONTROL_EXIT_H

#define EXIT_OK	     0
#define EXIT_RUNTIME 1	/* server unreachable, I/O */
#define EXIT_USAGE   2	/* usage or config error */

#endif
