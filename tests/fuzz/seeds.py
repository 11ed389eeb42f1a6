#!/usr/bin/env python3
"""Writes the seed corpora of turn_fuzz, deframer_fuzz and ws_fuzz (tests/fuzz/corpus/turn, deframer, ws).

The seeds are checked in; run this again only when the input format of a target changes. turn_fuzz reads
a program of operations (see the comment at the top of turn_fuzz.cpp); deframer_fuzz reads one byte of
settings, the chunk sizes, then the stream.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
STUN = os.path.join(HERE, "corpus", "stun")


def raw(t, data):            # op 0: raw packet from client t
    return bytes([0, t]) + struct.pack(">H", len(data)) + data


def request(t, method, flags, values=b""):  # op 1: signed request (method: 0 Allocate 1 Refresh 2 Perm 3 Bind)
    return bytes([1, t, method, flags]) + values


def peer(relay, p, data):    # op 2: datagram from peer p on open relay socket `relay`
    return bytes([2, relay, p]) + struct.pack(">H", len(data)) + data


def clock(seconds):          # op 3
    return bytes([3, seconds])


def close(t):                # op 4
    return bytes([4, t])


def channel_data(channel, data):
    return struct.pack(">HH", channel, len(data)) + data


def allocate(t, extra_flags=0, values=b""):
    # The first request learns the nonce (401), the second allocates.
    return request(t, 0, 0x01 | extra_flags, values) + request(t, 0, 0x01 | extra_flags, values)


TURN_SEEDS = {
    "allocate_permission_send": allocate(0) + request(0, 2, 0x04, bytes([0])) + peer(0, 0, b"hello")
    + raw(0, channel_data(0x4000, b"x" * 8)),
    "channel_bind_data": allocate(1) + request(1, 3, 0x0C, bytes([1]) + struct.pack(">H", 0x0001))
    + raw(1, channel_data(0x4001, b"payload")) + peer(0x80, 1, b"back"),
    "relay_to_relay": allocate(0) + allocate(1) + request(0, 2, 0x04, bytes([2])) + request(1, 2, 0x04, bytes([2]))
    + request(0, 3, 0x0C, bytes([2]) + struct.pack(">H", 0x0002)) + raw(0, channel_data(0x4002, b"r2r")),
    "tcp_allocation_closed": allocate(2) + request(2, 2, 0x04, bytes([4])) + close(2) + clock(30),
    "dual_stack_ipv6": allocate(3, 0x10) + request(3, 2, 0x04, bytes([4])) + request(3, 2, 0x04, bytes([5]))
    + peer(0x80, 4, b"v6"),
    "even_port_refresh_expire": allocate(0, 0x40, bytes([1])) + request(0, 1, 0x02, struct.pack(">H", 0))
    + clock(250) + clock(250),
    "quota_and_denied_peer": allocate(0) + allocate(1) + allocate(2) + allocate(3) + request(0, 2, 0x04, bytes([3])),
    "lifetime_and_ticks": allocate(1, 0x02, struct.pack(">H", 700)) + clock(200) + request(1, 1, 0x02,
                                                                                             struct.pack(">H", 60))
    + clock(90),
}


def stun_file(name):
    with open(os.path.join(STUN, name), "rb") as f:
        return f.read()


def padded_channel(channel, data):
    frame = channel_data(channel, data)
    return frame + b"\0" * (-len(frame) % 4)


DEFRAMER_SEEDS = {
    "stun_pipelined": bytes([0x03, 1, 7, 20]) + stun_file("rfc5769_request") + stun_file("binding_plain")
    + stun_file("allocate"),
    "channel_data_padded": bytes([0x02, 3, 5]) + padded_channel(0x4000, b"abc") + padded_channel(0x4FFF, b"x" * 9)
    + stun_file("send_indication"),
    "rfc5766_channels": bytes([0x81, 2]) + padded_channel(0x6D80, b"uclient") + padded_channel(0x7FFF, b""),
    "one_byte_at_a_time": bytes([0x01, 0]) + stun_file("binding_fingerprint") + padded_channel(0x4001, b"12345"),
    "too_large_frame": bytes([0x00]) + struct.pack(">HH", 0x4000, 0xFFFF) + b"z" * 64,
    "http_not_stun": bytes([0x00]) + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
}


def ws_frame(first, payload, mask=b"\x12\x34\x56\x78", length_bytes=None):
    """A client frame: `first` is FIN/RSV/opcode; masked unless mask is None."""
    n = len(payload)
    bit = 0x80 if mask is not None else 0
    if length_bytes == 1 or (length_bytes is None and n < 126):
        head = bytes([first, bit | n])
    elif length_bytes == 2 or (length_bytes is None and n <= 0xFFFF):
        head = bytes([first, bit | 126]) + struct.pack(">H", n)
    else:
        head = bytes([first, bit | 127]) + struct.pack(">Q", n)
    if mask is None:
        return head + payload
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


# ws_fuzz: one byte picks the read size, one the message limit (16 + 64 * byte), then the stream.
CANDIDATE = b'{"type":"candidate","to":"0123456789abcdef0123456789abcdef","candidate":{"candidate":"candidate:1 1 udp 2122260223 192.0.2.2 54321 typ host","sdpMid":"0","sdpMLineIndex":0}}'
WS_SEEDS = {
    "join_then_candidates": bytes([0, 8]) + ws_frame(0x81, b'{"type":"join","room":"r"}') + ws_frame(0x81, CANDIDATE) * 3,
    "fragmented_with_ping": bytes([3, 8]) + ws_frame(0x01, b'{"type":') + ws_frame(0x89, b"ping")
    + ws_frame(0x00, b'"join",') + ws_frame(0x80, b'"room":"r"}'),
    "offer_16bit_length": bytes([7, 100]) + ws_frame(0x81, b'{"type":"offer","sdp":"' + b"v=0\r\n" * 200 + b'"}'),
    "close_going_away": bytes([1, 1]) + ws_frame(0x88, struct.pack(">H", 1001) + b"bye"),
    "binary_and_pong": bytes([5, 2]) + ws_frame(0x82, bytes(range(40))) + ws_frame(0x8A, b""),
    "unmasked": bytes([0, 1]) + ws_frame(0x81, b"hello", mask=None),
    "too_big": bytes([2, 0]) + ws_frame(0x81, b"z" * 40),
    "not_utf8": bytes([0, 1]) + ws_frame(0x81, b"\xc0\xaf"),
    "long_length_form": bytes([0, 1]) + ws_frame(0x81, b"short", length_bytes=8),
}


def write(kind, seeds):
    out = os.path.join(HERE, "corpus", kind)
    os.makedirs(out, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    write("turn", TURN_SEEDS)
    write("deframer", DEFRAMER_SEEDS)
    write("ws", WS_SEEDS)
