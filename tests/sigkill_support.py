"""Runs survive SIGKILL: the scenario both backends run, the checks after it, and the worker it kills.

Run as a script, this module is the zygote: it imports socflow once, then forks each worker the test
asks for, so a restart costs milliseconds instead of the second and a half of a fresh interpreter.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
from sqlalchemy import select

from socflow.actions.builtin_test import EXECUTION_LOG_ENV
from socflow.cases.uow import now
from socflow.playbooks.work import Event
from socflow.storage.db import Database
from socflow.storage.tables_runs import StepAttemptRow
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.event_delivery import deliver
from socflow.worker.runs import RunService

STARTER = "alice"
APPROVER = "bob"  # four eyes: whoever approves did not start the run
APPROVER_ROLE = "soc_lead"
EVENT = "ticket.reply"
SEED_ENV = "SOCFLOW_SIGKILL_SEED"  # set it to replay a failed run's kills and answers
PROGRESS_TIMEOUT_SECONDS = 30
QUIET_SECONDS = 0.3  # no execution for this long: the worker has nothing to do until the test answers
MAX_EXECUTIONS_PER_WORKER = 8
RECOVERY_RESTARTS = 5  # a run needs at most four: its timer, its approval, its event, the rest
OFFSET_MINUTES_PER_WORKER = 10
ANSWER_SHARE = 0.3  # of the parked runs, answered after each restart: the rest stay parked across kills
EVENT_SOURCE = "webhook:ticketing"

# Every step a run takes, in order; a run parks at `approve` and `hold` until the test answers, and
# its timer `pause` is due a second after it is reached (at once for the next worker, whose clock is
# ten minutes ahead). A run not parked always has a test.noop ahead, which logs its execution.
STEP_IDS = ("fetch", "settle", "pause", "triage", "approve", "contain", "hold", "close", "report", "notify")
PLAYBOOK = """\
id: killed
name: killed
kind: sequential
inputs:
  - {name: ticket, type: string, required: true}
steps:
  - {id: fetch, type: action, action: test.noop, args: {note: fetch}, next: settle}
  - {id: settle, type: action, action: test.sleep, args: {seconds: 0.02}, next: pause}
  - {id: pause, type: wait, duration: 1s, next: triage}
  - {id: triage, type: action, action: test.noop, args: {note: triage}, next: approve}
  - id: approve
    type: approval
    role: soc_lead
    prompt: contain the host?
    authorizes: contain
    next: contain
  - {id: contain, type: action, action: test.noop, args: {note: contain}, next: hold}
  - id: hold
    type: wait_event
    event: ticket.reply
    correlate: {ticket: '{{ inputs.ticket }}'}
    next: close
  - {id: close, type: action, action: test.noop, args: {note: close}, next: report}
  - {id: report, type: action, action: test.sleep, args: {seconds: 0.02}, next: notify}
  - {id: notify, type: action, action: test.noop, args: {note: notify}, next: done}
  - {id: done, type: end, outcome: closed}
"""
# What a waiting run may wait on: its one open attempt, at the step of its kind (a timer leased by a
# worker killed while firing it is still open).
PARKED = (
    [("pause", "wait_timer", "pending")],
    [("pause", "wait_timer", "leased")],
    [("approve", "approval", "waiting")],
    [("hold", "wait_event", "waiting")],
)


@dataclass(frozen=True)
class Scenario:
    """How hard to hit one backend: runs started, workers killed, and the time the kills may take."""

    runs: int
    kills: int
    kill_phase_seconds: float


def _ahead(offset: timedelta) -> Callable[[], datetime]:
    """A clock `offset` ahead of the real one."""
    return lambda: now() + offset


def _work(url: str, offset_minutes: float, log: str) -> None:
    """A forked worker: drain forever with a clock `offset_minutes` ahead, so the leases of the killed
    workers before it have expired (a real deployment waits them out); it leaves only by a signal."""
    try:
        os.dup2(2, 1)  # stdout is the zygote's answer to the test: nothing else may write there
        os.environ[EXECUTION_LOG_ENV] = log
        database = Database(url)
        offset = timedelta(minutes=offset_minutes)
        service = RunService(database, PlaybookCatalogue(database), clock=_ahead(offset), lease_seconds=1)
        while True:
            if service.drain(max_steps=100) == 0:
                time.sleep(0.01)
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(1)


def zygote(url: str, log: str) -> None:
    """For each clock offset read on stdin: fork a worker, print its pid, and once it died its exit code."""
    while line := sys.stdin.readline():
        pid = os.fork()
        if pid == 0:
            _work(url, float(line), log)
        print(pid, flush=True)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)


class Workers:
    """The zygote seen from the test: start a worker, kill it, and leave nothing running on the way out."""

    def __init__(self, url: str, log: Path) -> None:
        command = [sys.executable, __file__, url, str(log)]
        self.zygote = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.pid: int | None = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        assert self.zygote.stdin is not None
        assert self.zygote.stdout is not None
        try:
            if self.pid is not None:
                self.kill()
            self.zygote.stdin.close()  # the zygote ends at the end of its input
            self.zygote.wait(timeout=10)
        finally:
            if self.zygote.poll() is None:
                self.zygote.kill()
                self.zygote.wait()
            self.zygote.stdout.close()

    def start(self, clock_offset: timedelta) -> None:
        assert self.zygote.stdin is not None
        self.zygote.stdin.write(f"{clock_offset.total_seconds() / 60}\n")
        self.zygote.stdin.flush()
        self.pid = int(self._answer())

    def alive(self) -> bool:
        """Whether the worker still runs (the zygote reaps it the moment it dies)."""
        assert self.pid is not None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill(self) -> int:
        """SIGKILL the worker; its exit code as the zygote saw it."""
        assert self.pid is not None
        with contextlib.suppress(ProcessLookupError):  # it died already; the zygote tells how
            os.kill(self.pid, signal.SIGKILL)
        self.pid = None
        return int(self._answer())

    def _answer(self) -> str:
        assert self.zygote.stdout is not None
        line = self.zygote.stdout.readline()
        assert line, f"the zygote exited with {self.zygote.wait(timeout=10)} (its stderr is above)"
        return line


def seeded() -> tuple[int, random.Random]:
    """A random seed (or the one SEED_ENV replays) and its generator."""
    seed = int(os.environ.get(SEED_ENV) or int.from_bytes(os.urandom(4), "big"))
    return seed, random.Random(seed)


def parked(service: RunService, run_ids: list[str]) -> dict[str, StepAttemptRow]:
    """The waiting runs, each with its one open attempt: a timer not due yet, an approval or an event
    wait, each at its own step and nowhere else."""
    waiting: dict[str, StepAttemptRow] = {}
    for run in service.list(status="waiting", limit=len(run_ids) + 1):
        open_attempts = [a for a in service.attempts(run.id) if a.finished_at is None]
        shown = [(a.step_id, a.kind, a.status) for a in open_attempts]
        assert shown in PARKED, f"run {run.id} waits on {shown}"
        waiting[run.id] = open_attempts[0]
    return waiting


def answer(service: RunService, tickets: dict[str, str], rng: random.Random, share: float) -> int:
    """Approve, or deliver the event to, about `share` of the runs parked for the test (all of them when
    no run is running, so the worker always has work soon); how many were answered.

    A worker may be moving other runs meanwhile, so this reads the parked attempts in one query."""
    query = select(StepAttemptRow.run_id, StepAttemptRow.kind).where(
        StepAttemptRow.run_id.in_(tickets),
        StepAttemptRow.status == "waiting",
        StepAttemptRow.kind.in_(["approval", "wait_event"]),
    )
    with service.database.session(write=False) as session:
        waiting = {run_id: kind for run_id, kind in session.execute(query)}
    chosen = [run_id for run_id in sorted(waiting) if rng.random() < share]
    if not chosen and not service.list(status="running", limit=1):
        chosen = sorted(waiting)
    for run_id in chosen:
        if waiting[run_id] == "approval":
            approval = Event("approved", step_id="approve", roles=(APPROVER_ROLE,))
            service.signal(APPROVER, run_id, approval)
        else:
            assert deliver(service, EVENT_SOURCE, EVENT, {"ticket": tickets[run_id]}) == [run_id]
    return len(chosen)


def start_runs(database: Database, count: int) -> dict[str, str]:
    """Publish the playbook and start `count` runs, each with a ticket of its own: run id -> ticket."""
    catalogue = PlaybookCatalogue(database)
    version = catalogue.save_draft(STARTER, PLAYBOOK)
    catalogue.publish(STARTER, version.playbook_id)
    starter = RunService(database, catalogue)
    tickets: dict[str, str] = {}
    for n in range(count):
        ticket = f"T-{n:03}"
        tickets[starter.start(STARTER, "killed", {"ticket": ticket})] = ticket
    return tickets


def _wait_for_progress(log: Path, workers: Workers, executions: int) -> None:
    """Until the worker has executed `executions` more test.noop actions, or at least one and then none
    for a while (every run left is parked or at its timer): every kill hits a worker that did work."""
    start = seen = len(log.read_bytes().splitlines())
    limit = time.monotonic() + PROGRESS_TIMEOUT_SECONDS
    grew = time.monotonic()
    while seen - start < executions and (seen == start or time.monotonic() - grew < QUIET_SECONDS):
        assert workers.alive(), "the worker died on its own"
        assert time.monotonic() < limit, f"the worker executed nothing in {PROGRESS_TIMEOUT_SECONDS} s"
        time.sleep(0.005)
        if (count := len(log.read_bytes().splitlines())) > seen:
            seen, grew = count, time.monotonic()


def _unfinished(service: RunService) -> bool:
    return bool(service.list(status="running", limit=1) or service.list(status="waiting", limit=1))


Journals = dict[str, list[tuple[int, str, str | None, dict[str, Any]]]]


def _journals(service: RunService, run_ids: list[str], before: Journals) -> Journals:
    """Every run's journal now, checked to begin with what it held `before`: entries are only appended."""
    now_held: Journals = {}
    for run_id in run_ids:
        entries = [(e.seq, e.kind, e.actor, e.data) for e in service.journal(run_id)]
        earlier = before.get(run_id, [])
        assert entries[: len(earlier)] == earlier, f"run {run_id}: its journal was rewritten"
        now_held[run_id] = entries
    return now_held


def run_scenario(database: Database, log: Path, scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """Start runs, kill workers at random points while the test answers approvals and delivers events
    between restarts, finish in this process, then check; a failure names the seed that replays it."""
    log.touch()
    tickets = start_runs(database, scenario.runs)
    seed, rng = seeded()
    try:
        kills, journals = _kill_workers(database, log, scenario, tickets, rng)
        monkeypatch.setenv(EXECUTION_LOG_ENV, str(log))
        recovery = _finish(database, tickets, rng, first_restart=kills + 1)
        _journals(recovery, list(tickets), journals)
        check(recovery, tickets, log, kills)
    except BaseException as error:
        error.add_note(f"the same random kills and answers (timing aside): {SEED_ENV}={seed}")
        raise


def _kill_workers(
    database: Database, log: Path, scenario: Scenario, tickets: dict[str, str], rng: random.Random
) -> tuple[int, Journals]:
    """Start a worker, answer some parked runs, let it work a random while, SIGKILL it; again and again.

    Each worker's clock runs ten minutes further ahead: the killed workers' leases have expired for it,
    and the timers they set are due."""
    catalogue = PlaybookCatalogue(database)
    budget = time.monotonic() + scenario.kill_phase_seconds
    kills = 0
    journals: Journals = {}
    with Workers(database.url, log) as workers:
        while kills < scenario.kills and (kills == 0 or time.monotonic() < budget):
            offset = timedelta(minutes=kills * OFFSET_MINUTES_PER_WORKER)
            workers.start(offset)
            # The test answers on the worker's clock, as an API process beside it would.
            answerer = RunService(database, catalogue, clock=_ahead(offset))
            answer(answerer, tickets, rng, share=ANSWER_SHARE)
            _wait_for_progress(log, workers, executions=rng.randint(1, MAX_EXECUTIONS_PER_WORKER))
            time.sleep(rng.uniform(0.0, 0.05))  # then die anywhere: mid-action, mid-transaction, idle
            assert workers.kill() == -signal.SIGKILL, "the worker died on its own"
            kills += 1
            parked(answerer, list(tickets))  # every waiting run waits exactly where it should
            journals = _journals(answerer, list(tickets), journals)
            if not _unfinished(answerer):
                break
    return kills, journals


def _finish(
    database: Database, tickets: dict[str, str], rng: random.Random, first_restart: int
) -> RunService:
    """A few more restarts, in this process, each with a clock further ahead so the timers the one
    before set are due; every parked run is answered between them. The last one's service."""
    catalogue = PlaybookCatalogue(database)
    for restart in range(first_restart, first_restart + RECOVERY_RESTARTS):
        ahead = timedelta(minutes=restart * OFFSET_MINUTES_PER_WORKER)
        recovery = RunService(database, catalogue, clock=_ahead(ahead), owner="recovery")
        recovery.drain(max_steps=len(tickets) * len(STEP_IDS) * 3)
        if not answer(recovery, tickets, rng, share=1.0) and not _unfinished(recovery):
            break
    return recovery


def check(service: RunService, tickets: dict[str, str], log: Path, kills: int) -> None:
    """Every run finished, each step completed exactly once, and no action ran again unless it was in
    flight at a kill; timers fired (late is fine), answers were taken once, journals have no gaps."""
    stuck = {
        run_id: (
            run.status,
            [(a.step_id, a.status) for a in service.attempts(run_id) if a.finished_at is None],
        )
        for run_id, run in ((run_id, service.get(run_id)) for run_id in tickets)
        if (run.status, run.state.get("outcome")) != ("succeeded", "closed")
    }
    assert not stuck, f"runs not finished (status, open attempts): {stuck}"
    executions = Counter(log.read_text().split())
    noops = []
    for run_id, ticket in tickets.items():
        attempts = service.attempts(run_id)
        assert [a.step_id for a in attempts] == list(STEP_IDS), f"run {run_id}: a step was run again"
        assert {a.status for a in attempts} == {"succeeded"}
        noops += [a for a in attempts if (a.kind, a.name) == ("action", "test.noop")]
        [timer] = [a for a in attempts if a.kind == "wait_timer"]
        assert timer.output is not None
        assert datetime.fromisoformat(timer.output["fired_at"]) >= timer.not_before, "a timer fired early"
        _check_journal(service, run_id, ticket)
    steps = {a.idempotency_key: a.step_id for a in noops}
    odd = [(key[:12], steps.get(key)) for key in set(steps) ^ set(executions)]
    assert not odd, f"keys executed but not attempted, or attempted but not executed: {odd}"
    for attempt in noops:
        # An action runs again only when a worker died holding it: never more often than it was leased.
        count = executions[attempt.idempotency_key]
        assert count <= attempt.leases, f"{attempt.step_id} ran {count} times in {attempt.leases} leases"
    repeated = sum(count - 1 for count in executions.values())
    assert repeated <= kills, f"{repeated} repeated executions for {kills} kills"


def _check_journal(service: RunService, run_id: str, ticket: str) -> None:
    """The journal counts 1, 2, 3...; each step was made ready and completed once; two answers, once each."""
    journal = service.journal(run_id)
    assert [e.seq for e in journal] == list(range(1, len(journal) + 1)), f"run {run_id}: journal gap"
    assert journal[0].kind == "run_started"
    assert (journal[-1].kind, journal[-1].data["after"]) == ("run_status", "succeeded")
    ready = Counter(e.data["step"] for e in journal if e.kind == "step_ready")
    completed = Counter(
        e.data["step"]
        for e in journal
        if e.kind == "step_succeeded" or (e.kind == "step_closed" and e.data["status"] == "succeeded")
    )
    assert ready == completed == Counter(STEP_IDS), f"run {run_id}: {ready} ready, {completed} completed"
    signalled = [(e.actor, e.data["event"], e.data["data"]) for e in journal if e.kind == "signalled"]
    assert signalled == [(APPROVER, "approved", {}), (EVENT_SOURCE, EVENT, {"ticket": ticket})]


if __name__ == "__main__":
    zygote(sys.argv[1], sys.argv[2])
