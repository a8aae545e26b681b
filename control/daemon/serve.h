/* SPDX-License-Identifier: BSD-3-Clause
 * `bootstorm serve`: the control process (threads in control/daemon/ctl.h). */
#ifndef BS_CONTROL_SERVE_H
#define BS_CONTROL_SERVE_H

/* argv[0] = "serve".  Returns an exit code of control/exit.h. */
int cmd_serve(int argc, char **argv);

#endif
