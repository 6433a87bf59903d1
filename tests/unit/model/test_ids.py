"""Ids are prefixed, unique, and sort by the time they were made."""

from __future__ import annotations

import re
import time

from socflow.model.ids import new_id

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _millis(identifier: str) -> int:
    value = 0
    for char in identifier.split("_", 1)[1][:10]:
        value = value * 32 + _CROCKFORD.index(char)
    return value


def test_new_id_is_the_prefix_and_26_crockford_characters() -> None:
    identifier = new_id("case")

    assert re.fullmatch(r"case_[0-9A-HJKMNP-TV-Z]{26}", identifier)


def test_new_id_starts_with_the_creation_time_in_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    identifier = new_id("alert")
    after = time.time_ns() // 1_000_000

    assert before <= _millis(identifier) <= after


def test_new_id_sorts_by_creation_time() -> None:
    made = []
    for _ in range(5):
        made.append(new_id("task"))
        time.sleep(0.002)  # ids within one millisecond are ordered only by their random part

    assert sorted(made) == made


def test_new_id_is_unique() -> None:
    made = [new_id("obs") for _ in range(20_000)]

    assert len(set(made)) == len(made)
