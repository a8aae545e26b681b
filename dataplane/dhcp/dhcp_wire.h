/* SPDX-License-Identifier: BSD-3-Clause
 *
 * DHCPv4 wire constants: the BOOTP fixed header (RFC 2131 2, figure 1),
 * message types (RFC 2132 9.6) and the option table (RFC 2132, 3004, 4578,
 * 3046, 3396).  The option walker rejects any option whose (reassembled)
 * length lies outside [min, max] of its row.
 */
#ifndef BS_DHCP_WIRE_H
#define BS_DHCP_WIRE_H

#include <stdint.h>

/* Offsets of the fixed header (RFC 2131 2, figure 1). */
#define DHCP_OFF_OP	 0
#define DHCP_OFF_HTYPE	 1
#define DHCP_OFF_HLEN	 2
#define DHCP_OFF_HOPS	 3
#define DHCP_OFF_XID	 4
#define DHCP_OFF_SECS	 8
#define DHCP_OFF_FLAGS	 10
#define DHCP_OFF_CIADDR	 12
#define DHCP_OFF_YIADDR	 16
#define DHCP_OFF_SIADDR	 20
#define DHCP_OFF_GIADDR	 24
#define DHCP_OFF_CHADDR	 28
#define DHCP_OFF_SNAME	 44
#define DHCP_OFF_FILE	 108
#define DHCP_FIXED_LEN	 236
#define DHCP_COOKIE_LEN	 4
#define DHCP_OPTS_OFF	 240
#define DHCP_SNAME_LEN	 64
#define DHCP_FILE_LEN	 128
#define DHCP_COOKIE	 0x63825363u /* RFC 2131 3 */
#define DHCP_FLAG_BROADCAST 0x8000u  /* RFC 2131 2, figure 2 */
#define DHCP_BOOTP_MIN	 300	     /* RFC 1542 2.1: pad replies to this */
/* RFC 2131 2: a client must accept a 312-byte options field, so a reply to a
 * client without option 57 may be 236 + 4 + 308 + END... = 548 bytes. */
#define DHCP_DEFAULT_MAX 548
#define DHCP_IPUDP_HDRS	 28	     /* option 57 counts IP + UDP (RFC 2132 9.10) */

enum dhcp_op {
	DHCP_OP_REQUEST = 1,
	DHCP_OP_REPLY = 2,
};

/* RFC 2132 9.6. */
enum dhcp_msg_type {
	DHCP_MT_NONE = 0,
	DHCP_MT_DISCOVER = 1,
	DHCP_MT_OFFER = 2,
	DHCP_MT_REQUEST = 3,
	DHCP_MT_DECLINE = 4,
	DHCP_MT_ACK = 5,
	DHCP_MT_NAK = 6,
	DHCP_MT_RELEASE = 7,
	DHCP_MT_INFORM = 8,
	DHCP_MT_MAX
};

/* X(NAME, code, min_len, max_len): lengths are of the whole value after
 * RFC 3396 concatenation.  Options not listed are accepted at any length
 * (and ignored); codes 0 and 255 carry no length byte. */
#define DHCP_OPT_LIST(X)                                                   \
	X(SUBNET_MASK, 1, 4, 4)                                            \
	X(ROUTER, 3, 4, 255)                                               \
	X(DNS, 6, 4, 255)                                                  \
	X(HOSTNAME, 12, 1, 255)                                            \
	X(DOMAIN, 15, 1, 255)                                              \
	X(MTU, 26, 2, 2)                                                   \
	X(BROADCAST, 28, 4, 4)                                             \
	X(NTP, 42, 4, 255)                                                 \
	X(VENDOR_OPTS, 43, 1, 1024)                                        \
	X(REQUESTED_IP, 50, 4, 4)                                          \
	X(LEASE_TIME, 51, 4, 4)                                            \
	X(OVERLOAD, 52, 1, 1)                                              \
	X(MSG_TYPE, 53, 1, 1)                                              \
	X(SERVER_ID, 54, 4, 4)                                             \
	X(PRL, 55, 1, 255)                                                 \
	X(MESSAGE, 56, 1, 255)                                             \
	X(MAX_MSG_SIZE, 57, 2, 2)                                          \
	X(T1, 58, 4, 4)                                                    \
	X(T2, 59, 4, 4)                                                    \
	X(VENDOR_CLASS, 60, 1, 255)                                        \
	X(CLIENT_ID, 61, 2, 255)                                           \
	X(TFTP_SERVER, 66, 1, 255)                                         \
	X(BOOTFILE, 67, 1, 1024)                                           \
	X(USER_CLASS, 77, 1, 255)                                          \
	X(RAPID_COMMIT, 80, 0, 0)                                          \
	X(RELAY_AGENT, 82, 2, 255)                                         \
	X(CLIENT_ARCH, 93, 2, 32) /* RFC 4578 2.1: list of 16-bit types */ \
	X(CLIENT_NDI, 94, 3, 3)                                            \
	X(UUID, 97, 17, 17) /* RFC 4578 2.2: type 0 + 16 bytes */           \
	X(IPXE_ENCAP, 175, 1, 1024)

enum dhcp_opt {
	DHCP_OPT_PAD = 0,
#define X(n, c, lo, hi) DHCP_OPT_##n = c,
	DHCP_OPT_LIST(X)
#undef X
	DHCP_OPT_END = 255,
};

/* PXE spec 2.4 table 2-1: encapsulated in option 43. */
#define PXE_DISCOVERY_CONTROL 6
/* Bit 3: a boot file name is present, download it directly (no boot
 * server discovery, no menu); what dnsmasq sends without pxe-service. */
#define PXE_DC_DIRECT_BOOT 8

#endif
