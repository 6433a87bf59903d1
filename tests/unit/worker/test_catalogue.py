"""The playbook catalogue: immutable versions, one published at a time, every change journaled."""

from __future__ import annotations

from pathlib import Path

import pytest

from socflow.errors import Conflict, NotFound, ValidationFailed
from socflow.playbooks.validate import ActionSignature
from socflow.storage import audit
from socflow.storage.db import Database
from socflow.worker.catalogue import PlaybookCatalogue, content_hash

SHIPPED = Path(__file__).resolve().parents[3] / "playbooks"

SIMPLE = """
id: notify_owner
name: Notify the owner
version: {version}
kind: sequential
steps:
  - id: tell
    type: action
    action: chat.send_message
    args: {{text: "{text}"}}
    next: done
  - id: done
    type: end
    outcome: {outcome}
"""

CASES = """
cases:
  - name: the owner is told
    expect: {status: succeeded, outcome: told, path: [tell, done]}
"""


def _text(version: int = 1, text: str = "hello", outcome: str = "told") -> str:
    return SIMPLE.format(version=version, text=text, outcome=outcome)


@pytest.fixture
def catalogue(database: Database) -> PlaybookCatalogue:
    return PlaybookCatalogue(database)


def test_catalogue_save_draft_stores_the_text_as_version_one(catalogue: PlaybookCatalogue) -> None:
    text = _text()

    saved = catalogue.save_draft("alice", text)

    assert saved.number == 1
    assert saved.status == "draft"
    assert saved.id.startswith("notify_owner@1:")
    assert saved.content_hash == content_hash(text)
    assert catalogue.source("notify_owner", 1) == text
    entry = catalogue.get("notify_owner")
    assert (entry.name, entry.kind, entry.published_version_id) == ("Notify the owner", "sequential", None)


def test_catalogue_save_draft_of_the_same_content_returns_the_existing_version(
    catalogue: PlaybookCatalogue,
) -> None:
    first = catalogue.save_draft("alice", _text())

    again = catalogue.save_draft("bob", _text())

    assert again.id == first.id
    assert [v.number for v in catalogue.versions("notify_owner")] == [1]


def test_catalogue_save_draft_refuses_an_invalid_playbook_with_every_issue(
    catalogue: PlaybookCatalogue, database: Database
) -> None:
    broken = (
        _text()
        .replace("next: done", "next: nowhere")
        .replace("kind: sequential", "kind: sequential\nx: 1\ny: 2")
    )

    with pytest.raises(ValidationFailed) as raised:
        catalogue.save_draft("alice", broken)

    assert [issue.path for issue in raised.value.issues] == ["x", "y"]
    assert catalogue.list() == []
    with database.session(write=False) as session:
        assert audit.count(session) == 0


def test_catalogue_validate_lists_issues_with_paths_and_known_actions(catalogue: PlaybookCatalogue) -> None:
    known = {"chat.other": ActionSignature("chat.other")}

    assert catalogue.validate(_text()) == []
    issues = catalogue.validate(_text().replace("next: done", "next: nowhere"), known)

    paths = {issue.path for issue in issues}
    assert "steps[0].action" in paths
    assert any(path.startswith("steps[0]") and path != "steps[0].action" for path in paths)


def test_catalogue_refuses_an_id_longer_than_the_journal_keeps(catalogue: PlaybookCatalogue) -> None:
    issues = catalogue.validate(_text().replace("id: notify_owner", "id: " + "p" * 41))

    assert [issue.path for issue in issues] == ["id"]


def test_catalogue_publish_takes_the_latest_draft_and_retires_the_previous(
    catalogue: PlaybookCatalogue,
) -> None:
    catalogue.save_draft("alice", _text())
    first = catalogue.publish("lead", "notify_owner")
    catalogue.save_draft("alice", _text(version=2, text="hello again"))

    second = catalogue.publish("lead", "notify_owner")

    statuses = [(v.number, v.status) for v in catalogue.versions("notify_owner")]
    assert statuses == [(1, "retired"), (2, "published")]
    assert second.published_by == "lead"
    assert catalogue.get("notify_owner").published_version_id == second.id != first.id


def test_catalogue_draft_beside_a_published_version_leaves_it_serving(catalogue: PlaybookCatalogue) -> None:
    catalogue.save_draft("alice", _text())
    published = catalogue.publish("lead", "notify_owner")

    draft = catalogue.save_draft("alice", _text(version=2, outcome="told_twice"))

    graph = catalogue.published_graph("notify_owner")
    assert graph.version_id == published.id != draft.id
    assert catalogue.get("notify_owner").published_version_id == published.id


def test_catalogue_publish_of_a_retired_version_rolls_back(catalogue: PlaybookCatalogue) -> None:
    catalogue.save_draft("alice", _text())
    catalogue.publish("lead", "notify_owner")
    catalogue.save_draft("alice", _text(version=2))
    catalogue.publish("lead", "notify_owner")

    catalogue.publish("lead", "notify_owner", 1)

    assert [v.status for v in catalogue.versions("notify_owner")] == ["published", "retired"]


def test_catalogue_publish_without_a_draft_is_a_conflict(catalogue: PlaybookCatalogue) -> None:
    catalogue.save_draft("alice", _text())
    catalogue.publish("lead", "notify_owner")

    with pytest.raises(Conflict):
        catalogue.publish("lead", "notify_owner")


def test_catalogue_unknown_playbook_or_version_is_not_found(catalogue: PlaybookCatalogue) -> None:
    catalogue.save_draft("alice", _text())

    with pytest.raises(NotFound):
        catalogue.get("missing")
    with pytest.raises(NotFound):
        catalogue.source("notify_owner", 9)
    with pytest.raises(NotFound):
        catalogue.published_graph("notify_owner")


def test_catalogue_published_metadata_follows_the_published_version(catalogue: PlaybookCatalogue) -> None:
    catalogue.save_draft("alice", _text())
    catalogue.publish("lead", "notify_owner")

    catalogue.save_draft("alice", _text(version=2).replace("Notify the owner", "Renamed"))
    before = catalogue.get("notify_owner").name
    catalogue.publish("lead", "notify_owner")

    assert (before, catalogue.get("notify_owner").name) == ("Notify the owner", "Renamed")


def test_catalogue_every_change_is_journaled(catalogue: PlaybookCatalogue, database: Database) -> None:
    catalogue.save_draft("alice", _text())
    catalogue.save_draft("alice", _text())
    catalogue.publish("lead", "notify_owner")

    with database.session(write=False) as session:
        entries = audit.entries_for(session, "playbook", "notify_owner")

    assert [(e.actor, e.action) for e in entries] == [
        ("alice", "created"),
        ("alice", "draft_saved"),
        ("lead", "published"),
    ]


def test_catalogue_rehearse_runs_cases_against_a_draft(catalogue: PlaybookCatalogue) -> None:
    catalogue.save_draft("alice", _text())

    report = catalogue.rehearse("notify_owner", 1, CASES)

    assert report.passed
    assert report.cases[0].path == ["tell", "done"]


def test_catalogue_rehearse_reports_a_failing_case(catalogue: PlaybookCatalogue) -> None:
    catalogue.save_draft("alice", _text(outcome="other"))

    report = catalogue.rehearse("notify_owner", 1, CASES)

    assert not report.passed
    assert "outcome" in report.cases[0].failures[0]


SHIPPED_PLAYBOOKS = sorted(p for p in SHIPPED.glob("*.yaml") if not p.name.endswith(".tests.yaml"))


@pytest.mark.parametrize("path", SHIPPED_PLAYBOOKS, ids=lambda p: p.name)
def test_catalogue_accepts_and_publishes_the_shipped_playbooks(
    catalogue: PlaybookCatalogue, path: Path
) -> None:
    saved = catalogue.save_draft("alice", path.read_text(encoding="utf-8"))

    catalogue.publish("lead", saved.playbook_id)

    assert catalogue.published_graph(saved.playbook_id).version_id == saved.id


def test_catalogue_published_graph_is_compiled_once_per_version(catalogue: PlaybookCatalogue) -> None:
    catalogue.save_draft("alice", _text())
    catalogue.publish("lead", "notify_owner")

    assert catalogue.published_graph("notify_owner") is catalogue.published_graph("notify_owner")
