#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the seed corpus of fuzz_dhcp from the real-client captures in
tests/data/dhcp (format: see fuzz_dhcp.c -- records separated by "BSDQ",
each a control byte then a BOOTP payload).  Run from the repository root:
    python3 tests/fuzz/dhcp/make_corpus.py
"""
import os
import struct

DATA = "tests/data/dhcp"
OUT = "tests/fuzz/dhcp/corpus_dhcp"
SEP = b"BSDQ"


def requests(name):
    """UDP payloads to port 67, in capture order, keyed by frame number."""
    out = {}
    with open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    off, n = 24, 0
    while off + 16 <= len(raw):
        incl = struct.unpack_from("<I", raw, off + 8)[0]
        d = raw[off + 16:off + 16 + incl]
        off += 16 + incl
        n += 1
        if len(d) < 42 or d[12:14] != b"\x08\x00":
            continue
        ihl = (d[14] & 15) * 4
        udp = d[14 + ihl:]
        if struct.unpack_from(">H", udp, 2)[0] != 67:
            continue
        ulen = struct.unpack_from(">H", udp, 4)[0] - 8
        out[n] = udp[8:8 + ulen]
    return out


def rec(ctl, payload):
    return bytes([ctl]) + payload


def write(name, *records):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(SEP.join(records))


def main():
    os.makedirs(OUT, exist_ok=True)
    dc = requests("dhclient.pcap")
    ud = requests("udhcpc.pcap")
    ib = requests("ipxe-bios.pcap")
    ie = requests("ipxe-efi.pcap")
    write("dhclient_discover", rec(0, dc[1]))
    write("dhclient_request", rec(0, dc[3]))
    write("dhclient_dora_tick", rec(0, dc[1]), rec(2, dc[3]), rec(2, dc[3]))
    write("udhcpc_discover", rec(0, ud[1]))
    write("udhcpc_dora", rec(0, ud[1]), rec(0, ud[3]))
    write("ipxe_bios_discover", rec(0, ib[1]))
    write("ipxe_bios_dora", rec(0, ib[1]), rec(0, ib[5]))
    write("ipxe_efi_discover", rec(0, ie[1]))
    write("edk2_pxe_dora", rec(0, ie[7]), rec(4, ie[9]))
    # Same clients under the other configs: proxy, deny, pxe-only + caps.
    write("proxy_edk2", rec(0x08, ie[7]), rec(0x09, ie[9]))
    write("deny_dhclient", rec(0x10, dc[1]), rec(0x10, dc[3]))
    write("caps_mixed", rec(0x18, ie[7]), rec(0x18, ud[1]), rec(0x1a, ib[1]), rec(0x18, dc[3]))
    write("ring_full_request", rec(0, dc[1]), rec(0x20, dc[3]), rec(0, dc[3]))
    write("relay_udhcpc", rec(0x40, ud[1][:24] + bytes([10, 78, 0, 254]) + ud[1][28:]))
    # Option 52 overload: message type and PRL moved into file and sname.
    base = bytearray(dc[1][:240])
    base[108:108 + 6] = bytes([53, 1, 1, 55, 1, 3])
    base[108 + 6] = 255
    base[44:44 + 4] = bytes([55, 1, 6, 255])
    write("overload_both", rec(0, bytes(base) + bytes([52, 1, 3, 255])))


if __name__ == "__main__":
    main()
