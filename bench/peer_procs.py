"""A process and all its descendants, from /proc: their CPU seconds, for peers that fork servers/runners."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

from bench.procstat import cpu_seconds


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def tree(root: int) -> list[int]:
    """`root` and every live descendant."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = _parent(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def tree_cpu(root: int) -> dict[int, float]:
    """CPU seconds so far per live process of the tree (a process gone meanwhile is left out)."""
    figures: dict[int, float] = {}
    for pid in tree(root):
        with contextlib.suppress(OSError, ValueError, IndexError):
            figures[pid] = cpu_seconds(pid)
    return figures


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU the tree used between two readings; processes born in between count from zero."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def stop(process: subprocess.Popen[str]) -> None:
    """Terminate the process and its descendants (our own children only), then reap it."""
    pids = tree(process.pid)
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    for pid in pids[1:]:  # the server or runners it started, if they outlived it
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
