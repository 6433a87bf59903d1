"""Registers every parser that ships with socflow; each parser module adds one import line here."""

from __future__ import annotations

from types import ModuleType

from socflow.normalize import builtin_host, builtin_network, cef, json_format, kv, leef, syslog
from socflow.normalize.registry import PARSERS, ParserSpec

# Generic formats (normalize core). Each module exposes SPECS, a tuple of ParserSpec.
_GENERIC: tuple[ModuleType, ...] = (syslog, cef, leef, json_format, kv)

# Device parsers: import the module above and add it to this tuple (one line each).
# A module exposes SPECS, or else every ParserSpec it defines at module level is taken.
_DEVICES: tuple[ModuleType, ...] = (builtin_network, builtin_host)

_registered = False


def _module_specs(module: ModuleType) -> list[ParserSpec]:
    declared = getattr(module, "SPECS", None)
    if declared is not None:
        return list(declared)
    return [value for value in vars(module).values() if isinstance(value, ParserSpec)]


def builtin_specs() -> list[ParserSpec]:
    """Every built-in spec, generic formats first, each once."""
    specs: list[ParserSpec] = []
    for module in (*_GENERIC, *_DEVICES):
        specs.extend(spec for spec in _module_specs(module) if spec not in specs)
    return specs


def register_builtins() -> None:
    """Put the built-in specs into PARSERS once (registering the same spec again is harmless)."""
    global _registered
    if _registered:
        return
    for spec in builtin_specs():
        PARSERS.register(spec)
    _registered = True
