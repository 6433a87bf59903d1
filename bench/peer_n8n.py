"""n8n as an engine peer: a webhook then 10 NoOp nodes, executed by `n8n start` on its default SQLite."""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import os
import sqlite3
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from bench.engine_socflow_side import STEPS, EngineRun
from bench.peer_procs import cpu_used, stop, tree_cpu
from bench.procstat import REPO, free_port

HOME = REPO / "bench" / ".work" / "n8n"
N8N = HOME / "node_modules" / ".bin" / "n8n"
WORKFLOW_ID = "benchTenNoops001"  # n8n ids are 16 characters
HOOK = "ten-noops"
START_TIMEOUT_S = 300.0
STORED_TIMEOUT_S = 300.0
WARMUP = 5
READY_IN_A_ROW = 3


def version() -> str:
    try:
        return "n8n " + str(
            json.loads((HOME / "node_modules" / "n8n" / "package.json").read_text())["version"]
        )
    except (OSError, ValueError, KeyError):
        return "n8n ?"


def workflow() -> dict[str, Any]:
    """Webhook (answers when the last node is done) -> NoOp 1 -> ... -> NoOp 10."""
    names = ["Webhook"] + [f"NoOp {n}" for n in range(1, STEPS + 1)]
    hook = {
        "parameters": {"httpMethod": "POST", "path": HOOK, "responseMode": "lastNode", "options": {}},
        "name": "Webhook",
        "type": "n8n-nodes-base.webhook",
        "typeVersion": 2,
        "position": [0, 0],
        "webhookId": str(uuid.UUID(int=1)),
    }
    nodes = [hook] + [
        {
            "parameters": {},
            "name": name,
            "type": "n8n-nodes-base.noOp",
            "typeVersion": 1,
            "position": [n * 200, 0],
        }
        for n, name in enumerate(names[1:], start=1)
    ]
    for node in nodes:
        node["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"socflow-bench/{node['name']}"))
    links = {a: {"main": [[{"node": b, "type": "main", "index": 0}]]} for a, b in itertools.pairwise(names)}
    return {
        "id": WORKFLOW_ID,
        "name": "ten no-op steps",
        "nodes": nodes,
        "connections": links,
        "active": False,
        "settings": {"executionOrder": "v1"},
    }


def _env(user_folder: Path, port: int) -> dict[str, str]:
    return {
        "PATH": f"{Path(os.environ.get('NODE', '/usr/bin/node')).parent}:/usr/bin:/bin",
        "HOME": str(user_folder),
        "N8N_USER_FOLDER": str(user_folder),
        "N8N_PORT": str(port),
        "N8N_LISTEN_ADDRESS": "127.0.0.1",
        "N8N_DIAGNOSTICS_ENABLED": "false",
        "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
        "N8N_TEMPLATES_ENABLED": "false",
        "N8N_PERSONALIZATION_ENABLED": "false",
        "N8N_HIRING_BANNER_ENABLED": "false",
        "N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS": "true",
    }


def _cli(env: dict[str, str], log: Any, *args: str) -> None:
    done = subprocess.run(
        [str(N8N), *args], env=env, stdout=log, stderr=log, timeout=START_TIMEOUT_S, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"`n8n {' '.join(args)}` exited with {done.returncode} (see its log)")


def _post(connection: http.client.HTTPConnection) -> None:
    body = json.dumps({"alert": {"source": {"ip": "203.0.113.7"}}})
    connection.request("POST", f"/webhook/{HOOK}", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"the n8n webhook answered {response.status}: {data[:200]!r}")


def _wait_ready(port: int, process: subprocess.Popen[str], in_a_row: int = READY_IN_A_ROW) -> None:
    """Until the webhook answers 200 `in_a_row` times (n8n mounts routes, then activates workflows)."""
    deadline, answered = time.monotonic() + START_TIMEOUT_S, 0
    while time.monotonic() < deadline and answered < in_a_row:
        if process.poll() is not None:
            raise RuntimeError(f"n8n exited with {process.returncode} while starting (see its log)")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            _post(connection)
            connection.close()
            answered += 1
        except (OSError, RuntimeError, http.client.HTTPException):
            answered = 0
            time.sleep(0.25)
    if answered < in_a_row:
        raise RuntimeError(f"n8n did not serve its webhook within {START_TIMEOUT_S:.0f} s")


def _succeeded(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as connection:
        query = "SELECT count(*) FROM execution_entity WHERE status = 'success' AND \"workflowId\" = ?"
        return int(connection.execute(query, (WORKFLOW_ID,)).fetchone()[0])


def _first_steps(db: Path, sent_ms: list[float], skip: int) -> tuple[list[float], int]:
    """Seconds from each request being sent to its execution's `NoOp 1` start (n8n's own clock, in ms),
    and how many of these executions stored a result for every node. Without send times (concurrent
    clients cannot be paired with executions), only the count."""
    query = (
        'SELECT d.data FROM execution_data d JOIN execution_entity e ON e.id = d."executionId" '
        'WHERE e."workflowId" = ? ORDER BY e.id'
    )
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as connection:
        rows = [row[0] for row in connection.execute(query, (WORKFLOW_ID,))][skip:]
    if sent_ms and len(rows) != len(sent_ms):
        raise RuntimeError(f"n8n stored {len(rows)} executions for {len(sent_ms)} requests")
    latencies, complete = [], 0
    for n, data in enumerate(rows):
        started, nodes = _run_data(data)
        if sent_ms:
            latencies.append((started["NoOp 1"] - sent_ms[n]) / 1000)
        complete += nodes == STEPS + 1
    return latencies, complete


def _run_data(flatted: str) -> tuple[dict[str, float], int]:
    """Each node's startTime and how many nodes ran, from execution data in `flatted` form (by index)."""
    table = json.loads(flatted)

    def at(value: Any, key: str | int) -> Any:
        item = value[key]
        return table[int(item)] if isinstance(item, str) else item

    run_data = at(at(table[0], "resultData"), "runData")
    started = {name: float(at(at(run_data, name), 0)["startTime"]) for name in run_data}
    return started, len(run_data)


def measure(runs: int, work: Path, clients: int = 1) -> EngineRun | str:
    """Import and publish the workflow, start n8n, send `runs` requests from `clients` connections (one
    request at a time each), then read its store."""
    if not N8N.exists():
        return f"n8n not installed in {HOME} (make bench-peers-setup)"
    with tempfile.TemporaryDirectory(prefix="n8n-home-", dir=work) as tmp:
        folder, port = Path(tmp), free_port()
        env = _env(folder, port)
        spec = folder / "workflow.json"
        spec.write_text(json.dumps([workflow()]))
        with (folder / "n8n.log").open("w") as log:
            try:
                _cli(env, log, "import:workflow", f"--input={spec}")
                _cli(env, log, "publish:workflow", f"--id={WORKFLOW_ID}")
                process = subprocess.Popen([str(N8N), "start"], env=env, stdout=log, stderr=log, text=True)
                try:
                    return _drive(process, port, folder / ".n8n" / "database.sqlite", runs, clients)
                finally:
                    stop(process)
            except RuntimeError as exc:
                log.flush()
                tail = (folder / "n8n.log").read_text(errors="replace")[-1500:]
                return f"n8n failed: {exc}\n{tail}"


def _send(port: int, count: int, sent_ms: list[float] | None, failures: list[str]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        for _ in range(count):
            if sent_ms is not None:
                sent_ms.append(time.time() * 1000)
            _post(connection)
    except (OSError, RuntimeError, http.client.HTTPException) as exc:
        failures.append(str(exc))
    finally:
        connection.close()


def _drive(process: subprocess.Popen[str], port: int, db: Path, runs: int, clients: int) -> EngineRun:
    _wait_ready(port, process)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for _ in range(WARMUP):
        _post(connection)
    skip = _wait_stored(db, WARMUP + READY_IN_A_ROW)
    before_idle = tree_cpu(process.pid)
    time.sleep(3.0)
    idle = cpu_used(before_idle, tree_cpu(process.pid)) / 3.0
    sent_ms: list[float] = []
    failures: list[str] = []
    shares = [runs // clients + (n < runs % clients) for n in range(clients)]
    senders = [
        threading.Thread(target=_send, args=(port, share, sent_ms if clients == 1 else None, failures))
        for share in shares
    ]
    before, began = tree_cpu(process.pid), time.perf_counter()
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    returned = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"{len(failures)} webhook calls failed, the first: {failures[0]}")
    stored = _wait_stored(db, skip + runs) - skip
    seconds, cpu = time.perf_counter() - began, cpu_used(before, tree_cpu(process.pid))
    connection.close()
    first, complete = _first_steps(db, sent_ms, skip)
    note = f"webhook answered after {returned:,.1f} s" + (
        "; first-step times at n8n's 1 ms resolution" if clients == 1 else ""
    )
    if complete != stored:
        note += f"; only {complete} executions stored all {STEPS + 1} nodes"
    return EngineRun(
        f"{version()} (n8n start, SQLite{'' if clients == 1 else f', {clients} clients at once'})",
        runs,
        stored,
        stored,
        seconds,
        cpu,
        first,
        idle,
        note,
    )


def _wait_stored(db: Path, expected: int) -> int:
    deadline = time.monotonic() + STORED_TIMEOUT_S
    while (count := _succeeded(db)) < expected and time.monotonic() < deadline:
        time.sleep(0.02)
    return count
