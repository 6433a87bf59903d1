"""The actor a run acts as: changes a playbook makes carry it, so triggers can tell them apart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

PREFIX: Final = "playbook:"


@dataclass(frozen=True)
class RunActor:
    playbook_id: str
    run_id: str


def run_actor(playbook_id: str, run_id: str) -> str:
    """`playbook:<playbook id>/run:<run id>`: who a case change made by a run is recorded as."""
    return f"{PREFIX}{playbook_id}/run:{run_id}"


def parse_run_actor(actor: str | None) -> RunActor | None:
    """The playbook and run behind an actor name, or None for a person or another service."""
    if not actor or not actor.startswith(PREFIX):
        return None
    playbook_id, sep, run_id = actor[len(PREFIX) :].partition("/run:")
    if not sep or not playbook_id or not run_id:
        return None
    return RunActor(playbook_id, run_id)
