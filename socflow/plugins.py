"""Typed registries of frozen specs; third parties add to them through entry points."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Generic, Protocol, TypeVar

from socflow.errors import Conflict, NotFound


class Named(Protocol):
    @property
    def name(self) -> str: ...


SpecT = TypeVar("SpecT", bound=Named)


class Registry(Generic[SpecT]):
    """Holds specs by name; registering the same name twice is an error, not a silent override."""

    def __init__(self, kind: str, entry_point_group: str | None = None) -> None:
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._specs: dict[str, SpecT] = {}
        self._entry_points_loaded = False

    def register(self, spec: SpecT) -> SpecT:
        if spec.name in self._specs and self._specs[spec.name] is not spec:
            raise Conflict(f"{self.kind} {spec.name!r} is already registered")
        self._specs[spec.name] = spec
        return spec

    def decorator(self, build: Callable[..., SpecT]) -> Callable[..., SpecT]:
        """Sugar: a factory whose result is registered when it is called."""

        def wrapper(*args: object, **kwargs: object) -> SpecT:
            return self.register(build(*args, **kwargs))

        return wrapper

    def load_entry_points(self) -> None:
        """Register every spec third parties publish under this registry's entry-point group."""
        if self._entry_points_loaded or self.entry_point_group is None:
            return
        self._entry_points_loaded = True
        for entry in entry_points(group=self.entry_point_group):
            loaded = entry.load()
            specs = loaded() if callable(loaded) else loaded
            for spec in specs if isinstance(specs, list | tuple) else [specs]:
                self.register(spec)

    def get(self, name: str) -> SpecT:
        self.load_entry_points()
        try:
            return self._specs[name]
        except KeyError:
            known = ", ".join(sorted(self._specs)) or "none"
            raise NotFound(f"unknown {self.kind} {name!r} (known: {known})") from None

    def __contains__(self, name: object) -> bool:
        self.load_entry_points()
        return name in self._specs

    def count(self) -> int:
        """How many specs are registered (a method, not __len__: an empty registry stays truthy)."""
        self.load_entry_points()
        return len(self._specs)

    def __iter__(self) -> Iterator[SpecT]:
        self.load_entry_points()
        return iter(list(self._specs.values()))

    def names(self) -> list[str]:
        self.load_entry_points()
        return sorted(self._specs)
