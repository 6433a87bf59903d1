"""Observables are one row per canonical value, shared by every alert and case, with sightings counted."""

from __future__ import annotations

import json

import pytest

from socflow.cases.alerts import AlertInput
from socflow.cases.case_service import CaseInput
from socflow.cases.observables import ObservableInput
from socflow.cases.tracker import Tracker
from socflow.errors import NotFound, ValidationFailed
from socflow.model.observable import ObservableType
from socflow.model.severity import TLP, Severity
from socflow.storage import audit

IP = ObservableType.IP


def _ingest(tracker: Tracker, ref: str, *observables: ObservableInput) -> str:
    alert, _ = tracker.alerts.ingest(
        "ids",
        AlertInput(source="ids", source_ref=ref, title=ref, severity=Severity.LOW, observables=observables),
    )
    return alert.id


def test_observable_spellings_of_one_value_share_one_row(tracker: Tracker) -> None:
    _ingest(tracker, "a", ObservableInput(IP, "192.0.2.1"))
    _ingest(tracker, "b", ObservableInput(IP, "::ffff:192.0.2.1"))
    _ingest(tracker, "c", ObservableInput(IP, " 192.0.2.1 "))

    [row] = tracker.observables.search(type=IP).items

    assert (row.value, row.sightings) == ("192.0.2.1", 3)
    assert row.last_seen >= row.first_seen


def test_observable_is_shared_by_alerts_and_cases(tracker: Tracker) -> None:
    ip = ObservableInput(IP, "192.0.2.1")
    first = tracker.linking.promote("bob", _ingest(tracker, "a", ip))
    second = tracker.cases.create("bob", CaseInput(title="Manual", observables=[ip]))
    [row] = tracker.observables.search(type=IP, value="::ffff:192.0.2.1").items

    observable, case_ids = tracker.observables.get(row.id)

    assert observable.value == "192.0.2.1"
    assert case_ids == sorted([first.id, second.id])
    assert observable.sightings == 2
    assert [others for _, others in tracker.cases.observables(first.id)] == [1]


def test_observable_sighting_marked_as_ioc_stays_an_ioc(tracker: Tracker) -> None:
    _ingest(tracker, "a", ObservableInput(IP, "192.0.2.1", ioc=True))
    _ingest(tracker, "b", ObservableInput(IP, "192.0.2.1", ioc=False))

    assert [row.ioc for row in tracker.observables.search(ioc=True).items] == [True]
    assert tracker.observables.search(ioc=False).items == []


def test_observable_sightings_are_audited(tracker: Tracker) -> None:
    _ingest(tracker, "a", ObservableInput(IP, "192.0.2.1"))
    _ingest(tracker, "b", ObservableInput(IP, "192.0.2.1"))
    [row] = tracker.observables.search().items

    with tracker.database.session(write=False) as session:
        entries = audit.entries_for(session, "observable", row.id)

    assert [(e.action, json.loads(e.after)["sightings"]) for e in entries] == [("created", 1), ("sighted", 2)]


def test_observable_search_by_value_without_a_type_matches_the_stored_spelling(tracker: Tracker) -> None:
    _ingest(tracker, "a", ObservableInput(ObservableType.DOMAIN, "Evil.Example"))

    assert len(tracker.observables.search(value=" evil.example ").items) == 1
    assert tracker.observables.search(value="Evil.Example").items == []


def test_observable_search_by_an_invalid_value_of_a_type_is_refused(tracker: Tracker) -> None:
    with pytest.raises(ValidationFailed):
        tracker.observables.search(type=IP, value="not-an-ip")


def test_observable_search_pages_by_last_seen(tracker: Tracker) -> None:
    for index in range(5):
        _ingest(tracker, f"r{index}", ObservableInput(IP, f"192.0.2.{index}"))

    first = tracker.observables.search(limit=3)
    second = tracker.observables.search(limit=3, cursor=first.next)

    assert [r.value for r in first.items + second.items] == [f"192.0.2.{i}" for i in (4, 3, 2, 1, 0)]
    assert second.next is None


def test_observable_update_is_audited(tracker: Tracker) -> None:
    _ingest(tracker, "a", ObservableInput(IP, "192.0.2.1"))
    [row] = tracker.observables.search().items

    updated = tracker.observables.update("bob", row.id, ioc=True, description="C2 server", tlp=TLP.RED)

    assert (updated.ioc, updated.description, updated.tlp) == (True, "C2 server", "red")
    with tracker.database.session(write=False) as session:
        entry = audit.entries_for(session, "observable", row.id)[-1]
    assert (entry.action, entry.actor) == ("updated", "bob")
    assert json.loads(entry.before) == {"ioc": False, "description": "", "tlp": "amber"}


def test_observable_get_unknown_is_not_found(tracker: Tracker) -> None:
    with pytest.raises(NotFound):
        tracker.observables.get("obs_nope")
