"""Whether an event's data matches a wait_event step's correlation keys (shared by conductor and delivery).

A key is a dotted path: `source.ip` finds `{"source": {"ip": ...}}` as well as a flat `{"source.ip": ...}`
(and mixes such as `{"source": {"geo.country": ...}}`); a path part that is a number indexes a list.
A key the data lacks never matches, not even an expected null. Values compare strictly with one
allowance: a number and a string match when the string is the number's canonical text (`1` and `"1"`,
`1.0` and `"1"`), because event data typed by hand or read from text loses its types. Booleans match
only booleans, and lists and mappings compare as a whole.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

MISSING: Final = object()  # what `lookup` answers for a path the data does not have
MAX_PARTS: Final = 32


def lookup(data: Any, key: str) -> Any:
    """The value at dotted `key` in `data`, or MISSING; the longest flat key wins at each level."""
    parts = key.split(".")
    if len(parts) > MAX_PARTS:
        return MISSING
    return _find(data, parts)


def _find(data: Any, parts: list[str]) -> Any:
    if not parts:
        return data
    if isinstance(data, Mapping):
        for cut in range(len(parts), 0, -1):  # the longest flat key first: `a.b` before `a` then `b`
            name = ".".join(parts[:cut])
            if name in data:
                found = _find(data[name], parts[cut:])
                if found is not MISSING:
                    return found
        return MISSING
    if isinstance(data, list) and parts[0].isdigit():
        index = int(parts[0])
        return _find(data[index], parts[1:]) if index < len(data) else MISSING
    return MISSING


def canonical(value: Any) -> str | None:
    """The text a number or string compares by; None for anything else (booleans included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() else repr(value)
    return None


def same(expected: Any, actual: Any) -> bool:
    """Strict equality, except that a number equals its canonical text (see the module's docstring)."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, str) != isinstance(actual, str):
        left, right = canonical(expected), canonical(actual)
        return left is not None and left == right
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return canonical(expected) == canonical(actual) if math.isfinite(expected) else expected == actual
    return bool(expected == actual)


def correlates(correlate: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    """True when every correlation key is present in `data` with a matching value (no keys: True)."""
    for key, expected in correlate.items():
        actual = lookup(data, key)
        if actual is MISSING or not same(expected, actual):
            return False
    return True


def matches(name: str, correlate: Mapping[str, Any], event_name: str, data: Mapping[str, Any]) -> bool:
    """Whether an event named `event_name` with `data` completes a wait for `name` with `correlate`."""
    return name == event_name and correlates(correlate, data)
