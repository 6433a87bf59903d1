"""Durable run engine on SQLite (issue 4): 10-step runs per CPU-second, start-to-first-action, parked RSS."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any, Final

from bench.procstat import REPO, cpu_seconds
from bench.timing import percentile
from socflow.actions.registry import ActionContext, ActionSpec, actions
from socflow.config import Settings
from socflow.playbooks.work import Event
from socflow.plugins import Registry
from socflow.storage.db import Database
from socflow.storage.migrate import upgrade
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.loop import WorkerLoop
from socflow.worker.run_start import StartRequest
from socflow.worker.runs import RunService

TARGET_RUNS_PER_CPU_SECOND: Final = 300
TARGET_P99_MS: Final = 20.0
TARGET_PARKED_MB: Final = 500.0
WAVE: Final[int] = Settings.model_fields["worker_wave"].default  # what `socflow serve` uses
BIG_WAVE: Final = 64

APPROVAL = """
id: parked
name: parked on an approval
kind: sequential
steps:
  - id: approve
    type: approval
    role: soc_lead
    prompt: contain the host?
    authorizes: act
    next: act
  - id: act
    type: action
    action: test.noop
    next: done
  - id: done
    type: end
    outcome: contained
"""


def chain(playbook_id: str, count: int, action: str = "test.noop") -> str:
    """A sequential playbook of `count` action steps, then an end."""
    steps = [
        f"  - {{id: s{n}, type: action, action: {action}, args: {{note: step {n}}}, "
        f"next: {'s' + str(n + 1) if n + 1 < count else 'done'}}}\n"
        for n in range(count)
    ]
    head = f"id: {playbook_id}\nname: chain\nkind: sequential\nsteps:\n"
    return head + "".join(steps) + "  - {id: done, type: end, outcome: finished}\n"


def fresh_database(directory: Path, *texts: str) -> tuple[Database, PlaybookCatalogue]:
    database = Database(f"sqlite:///{directory / 'engine.db'}")
    upgrade(database)
    catalogue = PlaybookCatalogue(database)
    for text in texts:
        version = catalogue.save_draft("bench", text)
        catalogue.publish("bench", version.playbook_id)
    return database, catalogue


def throughput(runs: int, wave: int, start_batch: int = 1) -> dict[str, float]:
    """Start `runs` 10-step no-op runs (`start_batch` per transaction), then drain them `wave` attempts
    per transaction."""
    with tempfile.TemporaryDirectory(prefix="socflow-engine-") as directory:
        database, catalogue = fresh_database(Path(directory), chain("ten", 10))
        service = RunService(database, catalogue)
        service.start("bench", "ten")  # warm: compile the graph, open the connections
        service.drain(max_steps=100, wave=wave)
        began_cpu, began_wall = time.process_time(), time.perf_counter()
        if start_batch > 1:
            requests = [StartRequest("ten")] * start_batch
            ids = [i for _ in range(0, runs, start_batch) for i in service.start_many("bench", requests)]
            runs = len(ids)
        else:
            ids = [service.start("bench", "ten") for _ in range(runs)]
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        steps = service.drain(max_steps=runs * 10 + 10, wave=wave)
        done_cpu, done_wall = time.process_time(), time.perf_counter()
        finished = sum(1 for run in service.list(status="succeeded", limit=runs + 1) if run.id in set(ids))
        database.dispose()
    if steps != runs * 10 or finished != runs:
        raise RuntimeError(f"expected {runs} finished runs of 10 steps, got {finished} and {steps} steps")
    return {
        "start_cpu": runs / (started_cpu - began_cpu),
        "execute_cpu": runs / (done_cpu - started_cpu),
        "execute_wall": runs / (done_wall - started_wall),
        "total_cpu": runs / (done_cpu - began_cpu),
        "total_wall": runs / (done_wall - began_wall),
    }


def first_action_latency(runs: int) -> dict[str, float]:
    """RunService.start (commit included) to the first action's handler, with a woken worker loop."""
    called: dict[str, float] = {}
    arrived = threading.Condition()

    def mark(args: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        with arrived:
            called.setdefault(context.run_id, time.perf_counter())
            arrived.notify_all()
        return {}

    registry: Registry[ActionSpec] = Registry("action")
    for spec in actions():
        registry.register(spec)
    registry.register(ActionSpec("bench.mark", frozenset(), frozenset({"note"}), mark, idempotent=True))
    from_call: list[float] = []
    from_commit: list[float] = []
    with tempfile.TemporaryDirectory(prefix="socflow-latency-") as directory:
        database, catalogue = fresh_database(Path(directory), chain("first", 2, "bench.mark"))
        service = RunService(database, catalogue, registry)
        loop = WorkerLoop.inline(service, threads=1, poll_seconds=1.0)
        loop.start()
        try:
            for _ in range(runs + 5):
                began = time.perf_counter()
                run_id = service.start("bench", "first")
                committed = time.perf_counter()
                with arrived:
                    if not arrived.wait_for(partial(called.__contains__, run_id), timeout=10):
                        raise RuntimeError(f"run {run_id} saw no action within 10 s")
                from_call.append(called[run_id] - began)
                from_commit.append(called[run_id] - committed)
                time.sleep(0.002)  # the rest of the run finishes; the next start finds an idle worker
        finally:
            loop.stop()
            database.dispose()
    calls, commits = sorted(from_call[5:]), sorted(from_commit[5:])  # the first ones warm the caches
    return {
        "p50_call": percentile(calls, 0.5) * 1000,
        "p99_call": percentile(calls, 0.99) * 1000,
        "p50_commit": percentile(commits, 0.5) * 1000,
        "p99_commit": percentile(commits, 0.99) * 1000,
    }


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def park(path: str, runs: int) -> dict[str, float]:
    """(In its own process.) Start `runs` runs that wait on an approval; report the peak RSS."""
    database, catalogue = fresh_database(Path(path), APPROVAL)
    service = RunService(database, catalogue)
    began = time.perf_counter()
    for _ in range(runs):
        service.start("bench", "parked")
    seconds = time.perf_counter() - began
    assert service.drain(max_steps=10) == 0  # nothing is due: every run waits for a person
    database.dispose()
    return {"rss_mb": peak_rss_mb(), "seconds": seconds}


def serve(path: str, signals: int) -> dict[str, float]:
    """(In its own process.) A worker over the parked runs: approve `signals` of them and run them on."""
    database = Database(f"sqlite:///{Path(path) / 'engine.db'}")
    service = RunService(database, PlaybookCatalogue(database))
    waiting = service.list(status="waiting", limit=signals)
    approve = Event("approved", step_id="approve", roles=("soc_lead",))
    for run in waiting:
        service.signal("lead", run.id, approve)
    ran = service.drain(max_steps=signals * 2, wave=WAVE)
    database.dispose()
    return {"rss_mb": peak_rss_mb(), "approved": len(waiting), "ran": ran}


def parked_memory(runs: int, signals: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="socflow-parked-") as directory:
        created = _child("park", directory, runs)
        served = _child("serve", directory, signals)
        size = sum(f.stat().st_size for f in Path(directory).iterdir()) / 2**20
    return {
        "create_rss": created["rss_mb"],
        "create_seconds": created["seconds"],
        "serve_rss": served["rss_mb"],
        "approved": served["approved"],
        "db_mb": size,
    }


def _child(mode: str, directory: str, count: int) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.engine_bench", f"--{mode}", directory, str(count)]
    output = subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True).stdout
    figures: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return figures


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine_bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--runs", type=int, help="runs for the throughput figure (default 2,000)")
    parser.add_argument("--park", nargs=2, metavar=("DIR", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--serve", nargs=2, metavar=("DIR", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.park:
        print(json.dumps(park(args.park[0], int(args.park[1]))))
        return 0
    if args.serve:
        print(json.dumps(serve(args.serve[0], int(args.serve[1]))))
        return 0
    runs = args.runs or (200 if args.quick else 2_000)
    cpu_before = cpu_seconds()
    waved = throughput(runs, WAVE)
    batched = throughput(runs, WAVE, start_batch=WAVE)
    big = throughput(runs, BIG_WAVE)
    single = throughput(max(20, runs // 10), 1)
    latency = first_action_latency(50 if args.quick else 500)
    parked = parked_memory(1_000 if args.quick else 10_000, 100 if args.quick else 1_000)
    print("| figure | value | target |\n|---|--:|---|")
    ok = waved["total_cpu"] >= TARGET_RUNS_PER_CPU_SECOND
    print(
        f"| 10-step no-op runs/CPU-s, start + execute, waves of {WAVE} (default) | {waved['total_cpu']:,.0f} "
        f"| >= {TARGET_RUNS_PER_CPU_SECOND} ({_verdict(ok)}) |"
    )
    print(f"| ... execute only (runs/CPU-s), waves of {WAVE} | {waved['execute_cpu']:,.0f} | - |")
    print(f"| ... start only (runs/CPU-s) | {waved['start_cpu']:,.0f} | - |")
    print(f"| ... the same in waves of {BIG_WAVE} (runs/CPU-s) | {big['total_cpu']:,.0f} | - |")
    print(f"| ... start + execute, wall (runs/s) | {waved['total_wall']:,.0f} | - |")
    ok = batched["total_cpu"] >= TARGET_RUNS_PER_CPU_SECOND
    print(
        f"| ... the same, started {WAVE} per transaction (`start_many`) | {batched['total_cpu']:,.0f} "
        f"| >= {TARGET_RUNS_PER_CPU_SECOND} ({_verdict(ok)}) |"
    )
    print(f"| ... start only, {WAVE} per transaction (runs/CPU-s) | {batched['start_cpu']:,.0f} | - |")
    print(f"| 10-step runs/CPU-s, start + execute, wave 1 (drain default) | {single['total_cpu']:,.0f} | - |")
    print(f"| ... execute only (runs/CPU-s), wave 1 | {single['execute_cpu']:,.0f} | - |")
    ok = latency["p99_call"] < TARGET_P99_MS
    print(
        f"| start() call to first action, p50 / p99 ms | {latency['p50_call']:.1f} / "
        f"{latency['p99_call']:.1f} | p99 < {TARGET_P99_MS:g} ({_verdict(ok)}) |"
    )
    print(
        f"| start() commit to first action, p50 / p99 ms | {latency['p50_commit']:.1f} / "
        f"{latency['p99_commit']:.1f} | - |"
    )
    count = 1_000 if args.quick else 10_000
    ok = max(parked["create_rss"], parked["serve_rss"]) < TARGET_PARKED_MB
    print(
        f"| {count:,} runs parked on approvals: peak RSS of the creating process, MB "
        f"| {parked['create_rss']:.0f} | < {TARGET_PARKED_MB:g} ({_verdict(ok)}) |"
    )
    print(
        f"| ... peak RSS of a worker approving {parked['approved']:,.0f} of them and running them on, MB "
        f"| {parked['serve_rss']:.0f} | < {TARGET_PARKED_MB:g} |"
    )
    print(f"| ... database files, MB | {parked['db_mb']:.0f} | - |")
    print(f"| ... creating them took, s | {parked['create_seconds']:.1f} | - |")
    print(f"\n(this process used {cpu_seconds() - cpu_before:,.1f} CPU-s; the children are not counted)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
