"""Test helpers: a fake action catalogue, YAML-to-Graph, and a driver that round-trips state through JSON."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from socflow.playbooks.compile import compile_playbook
from socflow.playbooks.conductor import Conductor
from socflow.playbooks.graph import Graph
from socflow.playbooks.validate import ActionSignature, load_playbook
from socflow.playbooks.work import Event, ReadyStep, ResultStatus, StepResult

NOW = "2026-03-01T10:00:00+00:00"

# The test integration catalogue: the real registry comes with the integrations issue.
CATALOGUE: dict[str, ActionSignature] = {
    sig.name: sig
    for sig in (
        ActionSignature("intel.url_reputation", frozenset({"url"})),
        ActionSignature("intel.ip_reputation", frozenset({"ip"})),
        ActionSignature("intel.file_reputation", frozenset({"sha256"})),
        ActionSignature("intel.lookup", frozenset({"value"}), frozenset({"kind"})),
        ActionSignature("mail.block_sender_domain", frozenset({"domain"})),
        ActionSignature("firewall.block_ip", frozenset({"ip"}), frozenset({"ttl"})),
        ActionSignature("directory.get_user", frozenset({"user"})),
        ActionSignature("directory.disable_user", frozenset({"user"})),
        ActionSignature("directory.reset_password", frozenset({"user"})),
        ActionSignature("edr.isolate_host", frozenset({"host"})),
        ActionSignature("edr.block_hash", frozenset({"sha256"})),
        ActionSignature("edr.scan_host", frozenset({"host"})),
        ActionSignature("chat.notify", frozenset({"text"}), frozenset({"channel"})),
    )
}


def graph_of(text: str) -> Graph:
    return compile_playbook(load_playbook(textwrap.dedent(text), CATALOGUE))


class Driver:
    """Wraps a Conductor and rebuilds it from json.loads(json.dumps(state)) after every operation."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.conductor = Conductor(graph)
        self.handed: list[ReadyStep] = []

    def _reload(self, out: list[ReadyStep]) -> list[ReadyStep]:
        self.conductor = Conductor(self.graph, json.loads(json.dumps(self.conductor.state)))
        self.handed += out
        return out

    @property
    def state(self) -> dict[str, Any]:
        return self.conductor.state

    def start(self, trigger: dict[str, Any] | None = None, **kwargs: Any) -> list[ReadyStep]:
        kwargs.setdefault("run_id", "run-1")
        kwargs.setdefault("now", NOW)
        return self._reload(self.conductor.start(trigger or {}, kwargs.pop("inputs", {}), **kwargs))

    def ok(
        self, step_id: str, output: dict[str, Any] | None = None, attempt: int = 1, **kw: Any
    ) -> list[ReadyStep]:
        result = StepResult(step_id, attempt, ResultStatus.SUCCEEDED, output or {}, **kw)
        return self._reload(self.conductor.record(result))

    def fail(self, step_id: str, attempt: int = 1, code: str | None = None, **kw: Any) -> list[ReadyStep]:
        result = StepResult(step_id, attempt, ResultStatus.FAILED, {}, "boom", code, **kw)
        return self._reload(self.conductor.record(result))

    def time_out(self, step_id: str, attempt: int = 1, **kw: Any) -> list[ReadyStep]:
        result = StepResult(step_id, attempt, ResultStatus.TIMED_OUT, **kw)
        return self._reload(self.conductor.record(result))

    def signal(self, name: str, **kwargs: Any) -> list[ReadyStep]:
        return self._reload(self.conductor.signal(Event(name, **kwargs)))


def ids(ready: list[ReadyStep]) -> list[str]:
    return [r.step_id for r in ready]
