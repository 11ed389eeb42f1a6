#!/usr/bin/env python3
"""A point-to-point IP link with delay and loss between two network namespaces, for kernels built without
tc netem (sch_netem). Two TUN devices are created here, moved into their namespaces (the file descriptors
stay with this process), and every packet read from one is written to the other after --delay-ms, unless
it is dropped with probability --loss-pct. The link lives exactly as long as this process: when it exits,
both devices disappear.

Usage: wire.py --prefix P --ns-a NS --if-a NAME --ns-b NS --if-b NAME [--delay-ms D] [--loss-pct L]
               [--ready-file F]
"""
import argparse
import fcntl
import heapq
import os
import random
import select
import signal
import struct
import subprocess
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
MAX_QUEUE = 10000  # packets in flight per direction; beyond it the wire drops (a full router queue)


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def ip(*args):
    subprocess.run(["ip", *args], check=True)


def place(tmp_name, ns, final_name):
    """Moves a TUN device from here into namespace ns under its final name and brings it up."""
    ip("link", "set", tmp_name, "netns", ns)
    ip("-n", ns, "link", "set", tmp_name, "name", final_name)
    ip("-n", ns, "link", "set", final_name, "up")


def run(args):
    names = (args.prefix + "a")[:15], (args.prefix + "b")[:15]
    fds = [open_tun(names[0]), open_tun(names[1])]
    place(names[0], args.ns_a, args.if_a)
    place(names[1], args.ns_b, args.if_b)
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write("ready\n")
    delay = args.delay_ms / 1000.0
    loss = args.loss_pct / 100.0
    queue = []  # (due time, sequence, out fd, packet)
    seq = 0
    counts = {"forwarded": 0, "dropped": 0}
    rng = random.Random()
    while True:
        timeout = max(0.0, queue[0][0] - time.monotonic()) if queue else 1.0
        readable, _, _ = select.select(fds, [], [], timeout)
        for i, fd in enumerate(fds):
            if fd not in readable:
                continue
            for _ in range(64):  # drain a burst
                try:
                    pkt = os.read(fd, 65536)
                except BlockingIOError:
                    break
                if (loss > 0 and rng.random() < loss) or len(queue) >= MAX_QUEUE:
                    counts["dropped"] += 1
                    continue
                seq += 1
                heapq.heappush(queue, (time.monotonic() + delay, seq, fds[1 - i], pkt))
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, out, pkt = heapq.heappop(queue)
            try:
                os.write(out, pkt)
                counts["forwarded"] += 1
            except OSError:
                counts["dropped"] += 1


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--prefix", required=True, help="temporary device name prefix (unique per lab)")
    p.add_argument("--ns-a", required=True)
    p.add_argument("--if-a", required=True)
    p.add_argument("--ns-b", required=True)
    p.add_argument("--if-b", required=True)
    p.add_argument("--delay-ms", type=float, default=0.0)
    p.add_argument("--loss-pct", type=float, default=0.0)
    p.add_argument("--ready-file")
    args = p.parse_args()
    if not 0 <= args.delay_ms <= 10000 or not 0 <= args.loss_pct <= 100:
        sys.exit("wire: --delay-ms must be 0..10000 and --loss-pct 0..100")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        run(args)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
