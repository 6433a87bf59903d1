"""The correlation rule wait_event steps and event delivery share: dotted paths, strict values."""

from __future__ import annotations

from typing import Any

import pytest
from playbook_support import Driver, graph_of

from socflow.playbooks.correlation import MISSING, correlates, lookup, matches, same
from socflow.playbooks.work import RunStatus


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"source": {"ip": "10.0.0.1"}}, "10.0.0.1"),
        ({"source.ip": "10.0.0.2"}, "10.0.0.2"),
        ({"source.ip": "flat", "source": {"ip": "nested"}}, "flat"),
        ({"source": {"ip": None}}, None),
    ],
)
def test_lookup_finds_a_dotted_key_nested_or_flat(data: dict[str, Any], expected: Any) -> None:
    assert lookup(data, "source.ip") == expected


def test_lookup_mixes_flat_and_nested_levels_and_indexes_lists() -> None:
    data = {"a": {"b.c": {"d": 1}}, "hits": [{"ip": "x"}, {"ip": "y"}]}

    assert lookup(data, "a.b.c.d") == 1
    assert lookup(data, "hits.1.ip") == "y"
    assert lookup(data, "hits.2.ip") is MISSING
    assert lookup(data, "hits.first") is MISSING
    assert lookup(data, "a.b") is MISSING
    assert lookup({"source": "edr"}, "source.ip") is MISSING


def test_lookup_falls_back_when_the_longest_flat_key_leads_nowhere() -> None:
    assert lookup({"a.b": {}, "a": {"b": {"c": 3}}}, "a.b.c") == 3


@pytest.mark.parametrize(
    ("expected", "actual", "same_value"),
    [
        ("1", 1, True),
        (1, "1", True),
        ("1", 1.0, True),
        ("1.5", 1.5, True),
        ("01", 1, False),
        ("true", True, False),
        (True, 1, False),
        (1, True, False),
        (True, True, True),
        ("None", None, False),
        (None, None, True),
        ("a", "A", False),
        ({"x": 1}, {"x": 1}, True),
        (["a"], "a", False),
    ],
)
def test_values_compare_strictly_except_numbers_and_their_text(
    expected: Any, actual: Any, same_value: bool
) -> None:
    assert same(expected, actual) is same_value


def test_every_key_must_be_present_and_match() -> None:
    keys = {"ticket": "T-1", "host.name": "ws1"}

    assert correlates(keys, {"ticket": "T-1", "host": {"name": "ws1"}, "extra": 1})
    assert not correlates(keys, {"ticket": "T-1"})
    assert not correlates(keys, {"ticket": "T-2", "host.name": "ws1"})
    assert not correlates({"reply": None}, {})  # an absent key is not a null
    assert correlates({}, {"anything": 1})


def test_matches_needs_the_event_name_too() -> None:
    assert matches("scan.done", {"ip": "x"}, "scan.done", {"ip": "x"})
    assert not matches("scan.done", {"ip": "x"}, "scan.started", {"ip": "x"})


def test_the_conductor_completes_a_wait_from_nested_event_data() -> None:
    steps = (
        "  - {id: w, type: wait_event, event: scan.done, correlate: {host.ip: '{{ alert.ip }}'},"
        " next: done}\n"
        "  - {id: done, type: end, outcome: seen}\n"
    )
    driver = Driver(graph_of(f"id: t\nname: T\nkind: sequential\nsteps:\n{steps}"))
    driver.start({"alert": {"ip": "10.0.0.9"}})

    driver.signal("scan.done", data={"host": {"ip": "10.0.0.8"}})
    waiting = driver.conductor.status
    driver.signal("scan.done", data={"host": {"ip": "10.0.0.9"}})

    assert waiting is RunStatus.WAITING
    assert driver.state["outcome"] == "seen"
