#!/usr/bin/env python3
"""tapfd.py TAP CMD...: opens the existing tap TAP of the current network
namespace as fd 3 (TUNSETIFF, IFF_TAP|IFF_NO_PI) and execs CMD with it.

QEMU then runs in another namespace (CMD = ip netns exec NS qemu ...
-netdev tap,fd=3): its NIC stays on the lab bridge while its chardev sockets
(ipmi_sim's VM interface and SOL port) are on the BMC's loopback.
"""
import fcntl, os, struct, sys

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI = 0x0002, 0x1000
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", sys.argv[1].encode(), IFF_TAP | IFF_NO_PI))
if fd != 3:
    os.dup2(fd, 3)
    os.close(fd)
os.set_inheritable(3, True)
os.execvp(sys.argv[2], sys.argv[2:])
