/* SPDX-License-Identifier: BSD-3-Clause
 * The bootstorm command line: subcommand dispatch and the client commands
 * (status, leases, nodes, watch) that read the JSON API of a running server. */
#ifndef BS_CONTROL_CLI_H
#define BS_CONTROL_CLI_H

#define EXIT_OK	     0
#define EXIT_RUNTIME 1
#define EXIT_USAGE   2

int cli_main(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_import(int argc, char **argv);

#endif
