"""A fresh parser registry per test that needs one, so registrations never leak between tests."""

from __future__ import annotations

import pytest

from socflow.normalize import builtin, mapping_sets, pipeline
from socflow.normalize.registry import ParserOverrides, ParserSpec
from socflow.plugins import Registry


@pytest.fixture
def fresh_parsers(monkeypatch: pytest.MonkeyPatch) -> Registry[ParserSpec]:
    registry: Registry[ParserSpec] = Registry("parser", entry_point_group="socflow.parsers")
    overrides = ParserOverrides()
    for module in (pipeline, builtin, mapping_sets):
        monkeypatch.setattr(module, "PARSERS", registry)
    for module in (pipeline, mapping_sets):
        monkeypatch.setattr(module, "PARSER_OVERRIDES", overrides)
    monkeypatch.setattr(builtin, "_registered", False)
    monkeypatch.setattr(pipeline, "_CANDIDATES", pipeline._Candidates())
    return registry
