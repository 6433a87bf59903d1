"""Normalization throughput: messages/s for RFC 3164, RFC 5424, CEF and kv over 50,000 generated lines."""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from socflow.model.records import RawRecord, Transport
from socflow.normalize.pipeline import document_failed, normalize

LINES = 50_000
RECEIVED = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
_HOSTS = ("web01", "db02.corp.example", "fw-edge", "10.20.30.40")
_APPS = ("sshd", "sudo", "cron", "nginx", "postfix/smtpd")


def _ip(rng: random.Random) -> str:
    return f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def rfc3164(rng: random.Random, index: int) -> str:
    return (
        f"<{rng.randrange(192)}>Jun {1 + index % 28:2d} {index % 24:02d}:{index % 60:02d}:{index % 59:02d} "
        f"{rng.choice(_HOSTS)} {rng.choice(_APPS)}[{rng.randrange(1, 65535)}]: "
        f"Accepted password for user{index % 97} from {_ip(rng)} port {rng.randrange(1024, 65535)} ssh2"
    )


def rfc5424(rng: random.Random, index: int) -> str:
    return (
        f"<{rng.randrange(192)}>1 2024-06-01T{index % 24:02d}:{index % 60:02d}:00.{index % 1000:03d}Z "
        f"{rng.choice(_HOSTS)} {rng.choice(_APPS)} {rng.randrange(1, 65535)} ID{index % 50} "
        f'[meta seq="{index}" src="{_ip(rng)}"] request handled in {rng.randrange(1, 900)} ms'
    )


def cef(rng: random.Random, index: int) -> str:
    return (
        f"<134>Jun  1 10:00:00 fw01 CEF:0|Acme|Firewall|2.1|{100 + index % 20}|Connection blocked|"
        f"{index % 11}|"
        f"src={_ip(rng)} spt={rng.randrange(1024, 65535)} dst={_ip(rng)} dpt=443 proto=TCP act=blocked "
        f"suser=CORP\\\\user{index % 97} cs1Label=Rule cs1=deny-{index % 7} rt={1717236000000 + index} "
        f"msg=blocked by policy {index % 13}"
    )


def kv(rng: random.Random, index: int) -> str:
    return (
        f"<14>Jun  1 10:00:00 proxy01 proxy: ts=2024-06-01T10:00:{index % 60:02d}Z src={_ip(rng)} "
        f'dst={_ip(rng)} dport=80 user=user{index % 97} action=allow url="http://example.com/p/{index}" '
        f'msg="request {index} ok" bytes={rng.randrange(100, 100000)}'
    )


GENERATORS: dict[str, Callable[[random.Random, int], str]] = {
    "rfc3164": rfc3164,
    "rfc5424": rfc5424,
    "cef": cef,
    "kv": kv,
}


def run(name: str, generate: Callable[[random.Random, int], str], lines: int) -> tuple[float, float]:
    """Messages per CPU second (robust on a shared machine) and per wall-clock second."""
    rng = random.Random(name)
    records = [
        RawRecord(
            text=generate(rng, index), received_at=RECEIVED, transport=Transport.UDP, origin="10.0.0.1:514"
        )
        for index in range(lines)
    ]
    normalize(records[0])  # warm-up: registry loading and first-use costs are not throughput
    started, cpu_started = time.perf_counter(), time.process_time()
    failures = sum(document_failed(normalize(record)) for record in records)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if failures:
        raise SystemExit(f"{name}: {failures} of {lines} generated lines failed to parse")
    return lines / cpu, lines / elapsed


def main(argv: list[str]) -> None:
    lines = int(argv[1]) if len(argv) > 1 else LINES
    print(f"normalize() throughput, {lines} lines each, auto-detection, one core")
    print(f"  {'format':8} {'msg/CPU-s':>10} {'msg/wall-s':>11}")
    for name, generate in GENERATORS.items():
        per_cpu, per_wall = run(name, generate, lines)
        print(f"  {name:8} {per_cpu:>10,.0f} {per_wall:>11,.0f}")


if __name__ == "__main__":
    main(sys.argv)
