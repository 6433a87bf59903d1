"""Process figures from /proc (Linux): CPU seconds used and resident memory, for any pid or our own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
REPO = Path(__file__).resolve().parent.parent


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds of the process (all its threads) so far."""
    stat = Path(f"/proc/{pid or 'self'}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15)


def rss_mb(pid: int | None = None) -> float:
    for line in Path(f"/proc/{pid or 'self'}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class RssSeries:
    """RSS sampled every `every` seconds while a run lasts."""

    pid: int | None = None
    every: float = 0.5
    values: list[float] = field(default_factory=list)
    _next: float = 0.0

    def maybe_sample(self) -> None:
        now = time.monotonic()
        if now >= self._next:
            self.values.append(rss_mb(self.pid))
            self._next = now + self.every

    def summary(self) -> str:
        """first / median / last / max MB, and the growth over the second half of the run."""
        if not self.values:
            return "-"
        ordered = sorted(self.values)
        half = self.values[len(self.values) // 2 :]
        growth = half[-1] - half[0] if len(half) > 1 else 0.0
        first, median, last, peak = self.values[0], ordered[len(ordered) // 2], self.values[-1], ordered[-1]
        return f"{first:.0f}/{median:.0f}/{last:.0f}/{peak:.0f} MB (2nd half {growth:+.1f} MB)"


@dataclass(frozen=True)
class Run:
    """One receiver's figures for one stream."""

    name: str
    sent: int
    stored: int
    seconds: float
    cpu_seconds: float | None
    rss: str = "-"
    note: str = ""

    @property
    def rate(self) -> float:
        return self.stored / self.seconds if self.seconds > 0 else 0.0

    @property
    def per_cpu_second(self) -> float | None:
        return self.stored / self.cpu_seconds if self.cpu_seconds else None


def start_loadgen(
    port: int, count: int, *, connections: int = 1, udp: bool = False, rate: float | None = None
) -> subprocess.Popen[str]:
    """The load generator in its own process (it prints one JSON line when it is done)."""
    args = [sys.executable, "-m", "bench.loadgen", "--port", str(port), "--count", str(count)]
    args += ["--udp"] if udp else ["--connections", str(connections)]
    args += ["--rate", str(rate)] if rate else []
    return subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, text=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
