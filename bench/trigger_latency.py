"""Trigger-to-first-action latency, embedded on SQLite: alert committed -> run started -> first action runs.

`python -m bench.trigger_latency [N]` ingests N alerts one at a time, each matching one published
playbook, with the in-process trigger thread and worker loop running; it prints p50/p95/p99 of the
time from the alert's commit to the moment the run's first action begins. `--direct` starts each
run by hand right after the alert instead (no trigger): the same path without the dispatcher, to
tell the dispatcher's share from the run start's and the worker's on a given machine.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

from bench.timing import percentile
from socflow.actions.registry import ActionContext, ActionSpec
from socflow.cases.alerts import AlertInput, AlertService
from socflow.model.severity import Severity
from socflow.plugins import Registry
from socflow.storage.db import Database
from socflow.storage.migrate import upgrade
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.loop import WorkerLoop
from socflow.worker.services import build_run_service
from socflow.worker.trigger_loop import TriggerLoop

PLAYBOOK = """
id: bench_trigger
name: bench trigger
kind: sequential
trigger: {kind: alert, filter: "alert.severity == 'high'"}
steps:
  - {id: first, type: action, action: bench.mark, args: {alert: "{{ alert.id }}"}}
"""


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    direct = "--direct" in args
    sizes = [a for a in args if not a.startswith("--")]
    count = int(sizes[0]) if sizes else 300
    marks: dict[str, float] = {}
    arrived = threading.Condition()

    def mark(call: dict[str, Any], _context: ActionContext) -> dict[str, Any]:
        with arrived:
            marks[call["alert"]] = time.perf_counter()
            arrived.notify_all()
        return {}

    registry: Registry[ActionSpec] = Registry("action")
    registry.register(ActionSpec("bench.mark", frozenset({"alert"}), frozenset(), mark))
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(database)
        catalogue = PlaybookCatalogue(database)
        version = catalogue.save_draft("bench", PLAYBOOK)
        catalogue.publish("bench", version.playbook_id, version.number)
        runs = build_run_service(database, catalogue, registry)
        triggers = TriggerLoop(database, runs)
        workers = WorkerLoop.inline(runs, threads=2)
        if not direct:
            triggers.start()
        workers.start()
        alerts = AlertService(database)
        latencies: list[float] = []
        try:
            for n in range(count):
                data = AlertInput("bench", f"ref-{n}", f"alert {n}", Severity.HIGH)
                alert_id = alerts.ingest("api:bench", data)[0].id
                committed = time.perf_counter()
                if direct:
                    runs.start("bench", "bench_trigger", {}, {"alert": {"id": alert_id}})
                with arrived:
                    if not arrived.wait_for(partial(marks.__contains__, alert_id), timeout=10.0):
                        print(f"alert {n}: no action within 10 s", file=sys.stderr)
                        return 1
                latencies.append(marks[alert_id] - committed)
        finally:
            if not direct:
                triggers.stop()
            workers.stop()
            database.dispose()
    ordered = sorted(latencies)
    ms = [1000 * percentile(ordered, f) for f in (0.5, 0.95, 0.99)]
    figures = f"p50 {ms[0]:.1f} ms, p95 {ms[1]:.1f} ms, p99 {ms[2]:.1f} ms"
    what = "alert-then-start-by-hand-to-first-action" if direct else "trigger-to-first-action"
    print(f"{what} over {count} alerts: {figures}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
