"""socflow's engine side by side with Prefect 3 and n8n: one 10-step no-op workflow, same runs, same machine.

Each engine runs the workflow `--runs` times, one run after another, each stored by the engine's default
local store (socflow: SQLite on disk; Prefect: its ephemeral server's SQLite; n8n: its SQLite). The wall
time runs from the first trigger until the last run is complete and stored; CPU counts every process the
engine used (Prefect's server subprocess, n8n's task runners). The peers live in bench/.work only
(`make bench-peers-setup`); they are never socflow dependencies.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import sqlite3
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from bench import engine_socflow_side, peer_n8n
from bench.engine_socflow_side import EngineRun
from bench.peer_procs import cpu_used, stop, tree_cpu
from bench.procstat import REPO
from bench.timing import percentile

WORK = REPO / "bench" / ".work"
PREFECT_PYTHON = WORK / "prefect-venv" / "bin" / "python"
PREFECT_DRIVER = REPO / "bench" / "peer_prefect_flow.py"
IDLE_S = 3.0
TIMEOUT_S = 900.0
PEERS = ("prefect", "prefect-persist", "n8n", "n8n-concurrent")
N8N_CLIENTS = 4  # n8n runs executions concurrently; this shows its throughput with several callers
SETUP = "make bench-peers-setup (installs Prefect 3 and n8n into bench/.work; needs PyPI and npm)"


class _Lines:
    """A child's stdout lines, read by a thread so a wait can time out."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(process,), daemon=True).start()

    def _pump(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def expect(self, prefix: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                raise RuntimeError(f"the driver exited before saying {prefix!r}")
            if line.startswith(prefix):
                return line[len(prefix) :].strip()
        raise RuntimeError(f"the driver did not say {prefix!r} within {timeout:.0f} s")


def idle_cpu(root: int, seconds: float = IDLE_S) -> float:
    """CPU seconds per second the process tree burns while nothing is asked of it."""
    before = tree_cpu(root)
    time.sleep(seconds)
    return cpu_used(before, tree_cpu(root)) / seconds


def prefect(runs: int, persist: str) -> EngineRun | str:
    """Prefect 3 flows of 10 tasks in a driver process, against the ephemeral local server it starts."""
    if not PREFECT_PYTHON.exists():
        return f"Prefect not installed in {PREFECT_PYTHON.parent.parent} ({SETUP})"
    with tempfile.TemporaryDirectory(prefix="prefect-home-", dir=WORK) as home:
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": home,
            "PREFECT_HOME": home,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300",
        }
        args = [str(PREFECT_PYTHON), str(PREFECT_DRIVER), "--runs", str(runs), "--persist", persist]
        with (Path(home) / "driver.log").open("w") as log:
            process = subprocess.Popen(
                args, cwd=home, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True
            )
            try:
                return _drive_prefect(process, runs, persist)
            finally:
                stop(process)


def _drive_prefect(process: subprocess.Popen[str], runs: int, persist: str) -> EngineRun:
    assert process.stdin is not None
    lines = _Lines(process)
    lines.expect("@@ready", TIMEOUT_S)
    idle = idle_cpu(process.pid)
    before = tree_cpu(process.pid)
    process.stdin.write("go\n")
    process.stdin.flush()
    result = json.loads(lines.expect("@@result", TIMEOUT_S))
    cpu = cpu_used(before, tree_cpu(process.pid))
    process.stdin.write("stop\n")
    process.stdin.flush()
    stored = min(int(result["flow_runs_stored"]), int(result["task_runs_stored"]) // 10)
    returned = float(result["seconds_returned"])
    note = f"flows returned after {returned:,.1f} s; {result['task_runs_stored']} task runs stored"
    name = "Prefect 3 (ephemeral server, SQLite)" + (", persist_result=True" if persist == "true" else "")
    first = [float(s) for s in result["first_step_s"]]
    return EngineRun(
        name, runs, int(result["succeeded"]), stored, float(result["seconds_stored"]), cpu, first, idle, note
    )


def socflow_batch(runs: int) -> EngineRun | str:
    """socflow's best mode from the engine suite (bench/engine_bench.py): start every run, then drain them
    in waves (one transaction records a wave's results and leases the next). No peer run is batched so."""
    try:
        from bench import engine_bench

        figures = engine_bench.throughput(runs, engine_bench.WAVE)
        wave = engine_bench.WAVE
    except Exception as exc:  # another helper's suite: its absence or failure must not stop this one
        return f"socflow batch mode not measured ({type(exc).__name__}: {exc})"
    name = f"socflow batch (start all, then drain in waves of {wave})"
    seconds, cpu = runs / figures["total_wall"], runs / figures["total_cpu"]
    note = "bench/engine_bench.py throughput(); no first-step figure in this mode"
    return EngineRun(name, runs, runs, runs, seconds, cpu, [], None, note)


def _ms(samples: list[float], fraction: float) -> float | None:
    return percentile(sorted(samples), fraction) * 1000 if samples else None


def _cell(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _ratio(ours: float | None, theirs: float | None) -> str:
    return f"{ours / theirs:,.3f}" if ours is not None and theirs else "-"


def table(results: list[EngineRun]) -> str:
    lines = [
        "| engine | runs | complete + stored | wall s | runs/s | CPU s (all processes) | runs per CPU s "
        "| first step p50 ms | p99 ms | idle CPU % | note |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for r in results:
        idle = "-" if r.idle_cpu_per_s is None else f"{r.idle_cpu_per_s * 100:.1f}"
        cells = [r.engine, f"{r.runs:,}", f"{r.stored:,}", f"{r.seconds:,.2f}", f"{r.per_second:,.1f}"]
        cells += [f"{r.cpu_seconds:,.2f}", f"{r.per_cpu_second:,.1f}"]
        cells += [_cell(_ms(r.first_step_s, 0.5)), _cell(_ms(r.first_step_s, 0.99)), idle, r.note]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ratios(ours: EngineRun, peers: list[EngineRun]) -> str:
    """socflow / peer for each figure: above 1 is better for throughput, below 1 better for latency."""
    lines = [
        "| socflow / peer | runs/s (wall) | runs per CPU s | first step p50 | first step p99 |",
        "|---|--:|--:|--:|--:|",
    ]
    for peer in peers:
        cells = [
            peer.engine,
            _ratio(ours.per_second, peer.per_second),
            _ratio(ours.per_cpu_second, peer.per_cpu_second),
            _ratio(_ms(ours.first_step_s, 0.5), _ms(peer.first_step_s, 0.5)),
            _ratio(_ms(ours.first_step_s, 0.99), _ms(peer.first_step_s, 0.99)),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def installed() -> list[str]:
    found = ["prefect"] if PREFECT_PYTHON.exists() else []
    return found + (["n8n"] if peer_n8n.N8N.exists() else [])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine_peers", description=__doc__)
    parser.add_argument("--runs", type=int, default=300, help="runs per engine (default 300)")
    parser.add_argument("--peers", nargs="*", choices=PEERS, default=None, help="default: all of them")
    args = parser.parse_args(argv)
    if not installed():
        print(f"engine-peers: skipped, no peer is installed in {WORK}.\nInstall them with: {SETUP}")
        return 0
    chosen = args.peers if args.peers is not None else PEERS
    print(
        f"{args.runs:,} sequential runs of 10 no-op steps per engine; load average {os.getloadavg()[0]:.2f}"
    )
    results = [engine_socflow_side.measure(args.runs)]
    skipped: list[str] = []
    batch = socflow_batch(args.runs)
    if isinstance(batch, str):
        skipped.append(batch)
    for peer in chosen:
        print(f"... {peer}", flush=True)
        try:
            if peer.startswith("n8n"):
                outcome = peer_n8n.measure(args.runs, WORK, N8N_CLIENTS if peer == "n8n-concurrent" else 1)
            else:
                outcome = prefect(args.runs, "true" if peer == "prefect-persist" else "default")
        except (RuntimeError, OSError, ValueError, KeyError) as exc:
            outcome = f"{peer} failed: {exc}"
        if isinstance(outcome, str):
            skipped.append(outcome)
        else:
            results.append(outcome)
    print(f"\nPython {platform.python_version()}, SQLite {sqlite3.sqlite_version}, versions: {versions()}\n")
    print(table(results if isinstance(batch, str) else [results[0], batch, *results[1:]]))
    if len(results) > 1:
        print("\nSequential socflow against each peer:\n\n" + ratios(results[0], results[1:]))
        if not isinstance(batch, str):
            print("\nsocflow batch mode against each peer:\n\n" + ratios(batch, results[1:]))
    for reason in skipped:
        print(f"skipped: {reason}")
    return 0


def versions() -> str:
    found = []
    if PREFECT_PYTHON.exists():
        out = subprocess.run(
            [str(PREFECT_PYTHON), "-c", "import prefect; print(prefect.__version__)"],
            capture_output=True,
            text=True,
            check=False,
        )
        found.append(f"Prefect {out.stdout.strip() or '?'}")
    found += [peer_n8n.version()] if peer_n8n.N8N.exists() else []
    return ", ".join(found) or "no peers"


if __name__ == "__main__":
    raise SystemExit(main())
