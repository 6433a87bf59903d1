"""Syslog load generator (its own process): N newline-framed lines over TCP, or datagrams over UDP.

`python -m bench.loadgen --port P --count N [--connections C] [--udp] [--rate R]` sends to 127.0.0.1
only, as fast as the receiver accepts (TCP back-pressure), then prints one JSON line with what it sent.
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time

from bench.syslog_lines import sample_lines

POOL = 5_000  # distinct lines, cycled
CHUNK_LINES = 2_000
CONNECT_TIMEOUT_S = 10.0
SEND_TIMEOUT_S = 120.0


def _payload(lines: list[str], start: int, count: int) -> list[bytes]:
    """The lines start..start+count (cycling the pool) as newline-framed chunks of CHUNK_LINES."""
    chunks = []
    for offset in range(0, count, CHUNK_LINES):
        part = [lines[(start + i) % len(lines)] for i in range(offset, min(offset + CHUNK_LINES, count))]
        chunks.append(("\n".join(part) + "\n").encode())
    return chunks


def _send_tcp(port: int, chunks: list[bytes], errors: list[str]) -> None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=CONNECT_TIMEOUT_S) as sock:
            sock.settimeout(SEND_TIMEOUT_S)
            for chunk in chunks:
                sock.sendall(chunk)
            sock.shutdown(socket.SHUT_WR)
    except OSError as exc:
        errors.append(str(exc))


def send_tcp(port: int, count: int, connections: int) -> dict[str, object]:
    lines = sample_lines(POOL)
    share = [count // connections + (1 if i < count % connections else 0) for i in range(connections)]
    payloads = [_payload(lines, sum(share[:i]), n) for i, n in enumerate(share)]
    errors: list[str] = []
    threads = [threading.Thread(target=_send_tcp, args=(port, chunks, errors)) for chunks in payloads]
    epoch = time.time()  # wall clock, comparable with the harness's: when sending began
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    return {"sent": 0 if errors else count, "began": epoch, "seconds": seconds, "errors": errors}


def send_udp(port: int, count: int, rate: float | None) -> dict[str, object]:
    lines = [line.encode() for line in sample_lines(POOL)]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    epoch = time.time()
    began = time.perf_counter()
    for index in range(count):
        sock.sendto(lines[index % len(lines)], ("127.0.0.1", port))
        if rate and index % 100 == 99:
            ahead = (index + 1) / rate - (time.perf_counter() - began)
            if ahead > 0:
                time.sleep(ahead)
    seconds = time.perf_counter() - began
    sock.close()
    return {"sent": count, "began": epoch, "seconds": seconds, "errors": []}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=300_000)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--udp", action="store_true", help="one datagram per line instead of TCP")
    parser.add_argument("--rate", type=float, help="UDP only: datagrams per second (default: flat out)")
    args = parser.parse_args(argv)
    if args.udp:
        result = send_udp(args.port, args.count, args.rate)
    else:
        result = send_tcp(args.port, args.count, max(1, args.connections))
    print(json.dumps(result))
    return 0 if not result["errors"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
