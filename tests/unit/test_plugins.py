"""Registries hold named specs, refuse a second spec under one name, and load third-party entry points."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

import socflow.plugins
from socflow.errors import Conflict, NotFound
from socflow.plugins import Registry


@dataclass(frozen=True)
class Spec:
    name: str
    version: int = 1


def test_registry_register_then_get_returns_the_spec() -> None:
    registry: Registry[Spec] = Registry("parser")
    spec = registry.register(Spec("syslog"))

    assert registry.get("syslog") is spec
    assert "syslog" in registry
    assert "cef" not in registry


def test_registry_lists_names_sorted_and_iterates_specs() -> None:
    registry: Registry[Spec] = Registry("parser")
    for name in ("leef", "cef", "syslog"):
        registry.register(Spec(name))

    assert registry.names() == ["cef", "leef", "syslog"]
    assert [spec.name for spec in registry] == ["leef", "cef", "syslog"]


def test_registry_accepts_the_same_spec_twice() -> None:
    registry: Registry[Spec] = Registry("parser")
    spec = Spec("cef")
    registry.register(spec)

    assert registry.register(spec) is spec
    assert registry.names() == ["cef"]


def test_registry_refuses_another_spec_under_a_taken_name() -> None:
    registry: Registry[Spec] = Registry("integration")
    first = registry.register(Spec("firewall"))

    with pytest.raises(Conflict, match="integration 'firewall' is already registered"):
        registry.register(Spec("firewall", version=2))
    assert registry.get("firewall") is first


def test_registry_get_unknown_name_lists_the_known_ones() -> None:
    registry: Registry[Spec] = Registry("parser")
    registry.register(Spec("syslog"))
    registry.register(Spec("cef"))

    with pytest.raises(NotFound, match=r"unknown parser 'json' \(known: cef, syslog\)"):
        registry.get("json")


def test_registry_get_on_an_empty_registry_says_none_are_known() -> None:
    with pytest.raises(NotFound, match=r"\(known: none\)"):
        Registry[Spec]("parser").get("json")


def test_registry_decorator_registers_what_the_factory_builds() -> None:
    registry: Registry[Spec] = Registry("action")

    @registry.decorator
    def block_ip(version: int) -> Spec:
        return Spec("block_ip", version)

    built = block_ip(3)

    assert registry.get("block_ip") is built
    assert built.version == 3


@pytest.fixture
def plugin_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    source = textwrap.dedent(
        """
        from dataclasses import dataclass

        @dataclass(frozen=True)
        class Spec:
            name: str

        SINGLE = Spec("edr")
        MANY = [Spec("mail"), Spec("chat")]

        def build():
            return (Spec("ticketing"),)
        """
    )
    (tmp_path / "socflow_test_plugin.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return "socflow_test_plugin"


def test_registry_loads_entry_points_once(plugin_module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    group = "socflow.integrations"
    published = [
        EntryPoint("edr", f"{plugin_module}:SINGLE", group),
        EntryPoint("comms", f"{plugin_module}:MANY", group),
        EntryPoint("ticketing", f"{plugin_module}:build", group),
    ]
    calls: list[str] = []

    def fake_entry_points(*, group: str) -> list[EntryPoint]:
        calls.append(group)
        return published

    monkeypatch.setattr(socflow.plugins, "entry_points", fake_entry_points)
    registry: Registry[Spec] = Registry("integration", entry_point_group=group)

    assert registry.names() == ["chat", "edr", "mail", "ticketing"]
    assert registry.get("edr").name == "edr"
    assert calls == [group]


def test_registry_without_a_group_never_reads_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(**_: object) -> list[EntryPoint]:
        raise AssertionError("entry points were read")

    monkeypatch.setattr(socflow.plugins, "entry_points", fail)
    registry: Registry[Spec] = Registry("parser")

    assert registry.names() == []
