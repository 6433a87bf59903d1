"""Prefect 3 side of bench/engine_peers.py: run under bench/.work/prefect-venv's Python, never socflow's.

Protocol on stdout (other output goes to stderr): `@@ready` once warm, then it waits for `go` on stdin,
runs the flows one after another, waits until the API's database holds every flow and task run as
COMPLETED, prints `@@result {json}`, and exits when stdin says `stop` (or closes).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from prefect import flow, task  # type: ignore[import-not-found]
from prefect.client.orchestration import get_client  # type: ignore[import-not-found]

STEPS = 10
PERSISTED_TIMEOUT_S = 300.0
entered: list[float] = []  # perf_counter when the current run's first task began


def _build(persist: bool | None) -> Any:
    options = {} if persist is None else {"persist_result": persist}

    @task(**options)
    def noop(step: int) -> int:
        if step == 0:
            entered.append(time.perf_counter())
        return step

    @flow(name="ten-noops", **options)
    def ten_noops() -> int:
        last = -1
        for step in range(STEPS):
            last = noop(step)
        return last

    return ten_noops


def _completed(client: Any, what: str) -> int:
    body = {what: {"state": {"type": {"any_": ["COMPLETED"]}}}}
    response = client.request("POST", f"/{what}/count", json=body)
    return int(response.json())


def _wait_persisted(flows: int) -> tuple[int, int]:
    """Completed flow and task runs the server has stored, once they reach the expected counts."""
    deadline = time.monotonic() + PERSISTED_TIMEOUT_S
    with get_client(sync_client=True) as client:
        while True:
            flow_runs, task_runs = _completed(client, "flow_runs"), _completed(client, "task_runs")
            if (flow_runs >= flows and task_runs >= flows * STEPS) or time.monotonic() > deadline:
                return flow_runs, task_runs
            time.sleep(0.02)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, required=True)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--persist", choices=("default", "true"), default="default")
    args = parser.parse_args()
    ten_noops = _build(None if args.persist == "default" else True)
    for _ in range(args.warmup):  # starts the ephemeral server, creates the flow, fills the caches
        ten_noops()
    _wait_persisted(args.warmup)
    _say("@@ready")
    if sys.stdin.readline().strip() != "go":
        return 1
    entered.clear()
    latencies, ok = [], 0
    began = time.perf_counter()
    for _ in range(args.runs):
        start = time.perf_counter()
        ok += ten_noops() == STEPS - 1
        latencies.append(entered[-1] - start)
    ran = time.perf_counter() - began
    flow_runs, task_runs = _wait_persisted(args.warmup + args.runs)
    stored = time.perf_counter() - began
    result = {
        "runs": args.runs,
        "succeeded": ok,
        "flow_runs_stored": flow_runs - args.warmup,
        "task_runs_stored": task_runs - args.warmup * STEPS,
        "seconds_returned": ran,
        "seconds_stored": stored,
        "first_step_s": latencies,
    }
    _say("@@result " + json.dumps(result))
    sys.stdin.readline()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
