#!/usr/bin/env python3
"""Small network probes for the NAT lab, run inside a namespace:

  probe.py stun-udp HOST PORT     one STUN Binding request over UDP (RFC 8489 §6)
  probe.py stun-tcp HOST PORT     the same over TCP (RFC 8489 §6.2.2 framing: messages back to back)
  probe.py tcp HOST PORT          a TCP connect: prints open, refused (a RST came back) or timeout
  probe.py turn-udp HOST PORT     an unauthenticated TURN Allocate (RFC 8656 §7.1): prints "turn" when the
                                  server challenges it (401 with REALM and NONCE), otherwise "no-turn"

stun-*: prints "mapped IP:PORT local PORT" and exits 0, or prints "timeout" and exits 1.
"""
import os
import socket
import struct
import sys

MAGIC = 0x2112A442
XOR_MAPPED_ADDRESS = 0x0020
TIMEOUT_S = float(os.environ.get("PROBE_TIMEOUT", "2"))


def binding_request():
    tid = os.urandom(12)
    return struct.pack("!HHI", 0x0001, 0, MAGIC) + tid, tid


def attributes(msg):
    """(type, value) of each attribute of a STUN message (RFC 8489 §14: 4-byte aligned)."""
    length = struct.unpack("!H", msg[2:4])[0]
    pos, end = 20, min(len(msg), 20 + length)
    while pos + 4 <= end:
        atype, alen = struct.unpack("!HH", msg[pos:pos + 4])
        yield atype, msg[pos + 4:pos + 4 + alen]
        pos += 4 + ((alen + 3) & ~3)


def parse_mapped(msg, tid):
    """Returns (ip, port) from XOR-MAPPED-ADDRESS of a Binding success response, or None."""
    if len(msg) < 20:
        return None
    mtype, _, magic = struct.unpack("!HHI", msg[:8])
    if mtype != 0x0101 or magic != MAGIC or msg[8:20] != tid:
        return None
    for atype, val in attributes(msg):
        if atype == XOR_MAPPED_ADDRESS and len(val) >= 8 and val[1] == 0x01:
            port = struct.unpack("!H", val[2:4])[0] ^ (MAGIC >> 16)
            addr = struct.unpack("!I", val[4:8])[0] ^ MAGIC
            return socket.inet_ntoa(struct.pack("!I", addr)), port
    return None


def stun_udp(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT_S / 3)
    req, tid = binding_request()
    for _ in range(3):  # retransmit, as RFC 8489 §6.2.1 does (shortened)
        s.sendto(req, (host, port))
        try:
            while True:
                data, _ = s.recvfrom(2048)
                mapped = parse_mapped(data, tid)
                if mapped:
                    return mapped, s.getsockname()[1]
        except socket.timeout:
            continue
    return None, s.getsockname()[1]


def stun_tcp(host, port):
    try:
        s = socket.create_connection((host, port), timeout=TIMEOUT_S)
    except OSError:
        return None, 0
    s.settimeout(TIMEOUT_S)
    req, tid = binding_request()
    s.sendall(req)
    data = b""
    try:
        while len(data) < 20 or len(data) < 20 + struct.unpack("!H", data[2:4])[0]:
            chunk = s.recv(2048)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    return parse_mapped(data, tid), s.getsockname()[1]


def tcp(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT_S)
    try:
        s.connect((host, port))
        return "open"
    except ConnectionRefusedError:
        return "refused"
    except (socket.timeout, OSError):
        return "timeout"


def turn_udp(host, port):
    """A TURN server answers an Allocate without credentials with 401 (RFC 8656 §7.2 step 1)."""
    tid = os.urandom(12)
    transport = struct.pack("!HHB3x", 0x0019, 4, 17)  # REQUESTED-TRANSPORT: UDP
    req = struct.pack("!HHI", 0x0003, len(transport), MAGIC) + tid + transport
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT_S / 3)
    for _ in range(3):
        s.sendto(req, (host, port))
        try:
            data, _ = s.recvfrom(2048)
        except socket.timeout:
            continue
        if len(data) < 20 or data[8:20] != tid:
            continue
        attrs = dict(attributes(data))
        err = attrs.get(0x0009, b"\0\0\0\0")  # ERROR-CODE: class in byte 2, number in byte 3
        is_401 = struct.unpack("!H", data[:2])[0] == 0x0113 and (err[2] & 7) * 100 + err[3] == 401
        return "turn" if is_401 and 0x0014 in attrs and 0x0015 in attrs else "no-turn"
    return "no-turn"


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("stun-udp", "stun-tcp", "tcp", "turn-udp"):
        sys.exit(__doc__)
    cmd, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if cmd in ("tcp", "turn-udp"):
        print((tcp if cmd == "tcp" else turn_udp)(host, port))
        return
    mapped, local = (stun_udp if cmd == "stun-udp" else stun_tcp)(host, port)
    if not mapped:
        print("timeout")
        sys.exit(1)
    print(f"mapped {mapped[0]}:{mapped[1]} local {local}")


if __name__ == "__main__":
    main()
