/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef BS_CONTROL_POWER_CLI_H
#define BS_CONTROL_POWER_CLI_H

/* bootstorm power [-c CONFIG] NODES|--all status|on|off|cycle|pxe|boot */
int cmd_power(int argc, char **argv);
/* bootstorm console [-c CONFIG] NODE [--follow] */
int cmd_console(int argc, char **argv);

#endif
