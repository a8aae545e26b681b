#!/usr/bin/env python3
# Writes the named seed journals of corpus_journal/ (control/daemon/journal.h format:
# "BSJOURN1", u32 version 1, u32 reserved; records u32 len, u32 crc32,
# payload = u8 type 1 + the lease_event fields, little endian).
# Run from this directory; the output is committed, this documents it.
import struct
import zlib

GRANT, RENEW, RELEASE, DECLINE, EXPIRE = range(5)
HDR = b'BSJOURN1' + struct.pack('<II', 1, 0)


def ev(seq, ip, mac, kind=GRANT, exp=1_700_000_600_000, ts=1_700_000_000_000,
       cid=b'', cid_len=None, host=b''):
    mac = bytes(mac)
    p = bytes([1]) + struct.pack('<QQQI', seq, exp, ts, ip) + mac + \
        bytes([kind, len(cid) if cid_len is None else cid_len]) + \
        cid.ljust(32, b'\0')[:32] + host.ljust(32, b'\0')[:32]
    assert len(p) == 101
    return p


def rec(payload, crc=None):
    return struct.pack('<II', len(payload),
                       zlib.crc32(payload) if crc is None else crc) + payload


def mac(n):
    return [0x52, 0x54, 0, 0x12, 0x34, n]


IP = 0x0A4D0032  # 10.77.0.50
grants = b''.join(rec(ev(i + 1, IP + i, mac(i), host=b'node%02d' % i)) for i in range(5))
life = b''.join(rec(e) for e in [
    ev(1, IP, mac(1), host=b'node01', cid=b'\x01RSTU'),
    ev(2, IP, mac(1), RENEW),
    ev(3, IP, mac(1), RELEASE),
    ev(4, IP, mac(2), GRANT),
    ev(5, IP, mac(1), EXPIRE),   # stale: the slot is mac(2)'s now
    ev(6, IP + 1, mac(3), DECLINE),
    ev(7, IP + 2, mac(2), GRANT),  # mac(2) moves
    ev(9, IP + 3, mac(4), 9),      # unknown kind: replayed, not applied
])
bad = rec(ev(50, IP + 9, mac(9)), crc=0xdeadbeef)

seeds = {
    'journal-empty': b'',
    'journal-header-only': HDR,
    'journal-short-header': HDR[:10],
    'journal-bad-magic': b'BSJOURN2' + HDR[8:] + grants,
    'journal-bad-version': b'BSJOURN1' + struct.pack('<II', 2, 0) + grants,
    'journal-grants': HDR + grants,
    'journal-lifecycle': HDR + life,
    'journal-torn-tail': HDR + grants + rec(ev(6, IP + 6, mac(6)))[:60],
    'journal-torn-frame': HDR + grants + b'\x65\0\0\0\1',
    'journal-corrupt-last': HDR + grants + bad,
    'journal-corrupt-middle': HDR + grants[:109] + bad + grants[109:],
    'journal-corrupt-cascade': HDR + grants + bad + bad,
    'journal-bad-length': HDR + grants + struct.pack('<II', 0, 0) + grants,
    'journal-length-too-big': HDR + struct.pack('<II', 4097, 0) + b'x' * 64,
    'journal-unknown-type': HDR + rec(b'\x02' + b'future' * 3) + grants,
    'journal-mirror-full': HDR + b''.join(rec(ev(i + 1, IP + 16 * i, mac(i))) for i in range(10)),
    'journal-client-id-long': HDR + rec(ev(1, IP, mac(1), cid=b'C' * 32, cid_len=200)),
    'journal-hostname-unterminated': HDR + rec(ev(1, IP, mac(1), host=b'H' * 32)),
    'journal-seq-max': HDR + rec(ev(2**64 - 1, IP, mac(1))) + rec(ev(3, IP + 1, mac(2))),
}
for name, data in seeds.items():
    with open('corpus_journal/' + name, 'wb') as f:
        f.write(data)
