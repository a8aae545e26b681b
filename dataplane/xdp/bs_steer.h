/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The steering program's config map, shared by bs_steer.bpf.c and the
 * dataplane that fills it (dataplane/xdp_steer.c).  One entry at key 0.
 */
#ifndef BS_STEER_H
#define BS_STEER_H

#define BS_STEER_CFG_MAP "bs_steer_cfg"

struct bs_steer_cfg {
	unsigned short tftp_lo;		/* TFTP server-port range, host order; */
	unsigned short tftp_hi;		/* 0/0 until the dataplane fills it */
	unsigned int flags;		/* BS_STEER_* */
};

#define BS_STEER_RS	0x1u		/* send ICMPv6 router solicitations too */

#endif
