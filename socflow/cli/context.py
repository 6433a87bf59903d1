"""What every command shares: the settings loaded once, the tracker opened on demand, and the actor."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from alembic.util.exc import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from socflow.cases.observables import ObservableInput
from socflow.cases.tracker import Tracker
from socflow.config import Settings
from socflow.errors import StorageError
from socflow.model.observable import ObservableType
from socflow.storage import migrate
from socflow.storage.db import Database
from socflow.storage.pagination import MAX_LIMIT

T = TypeVar("T")


class Order(StrEnum):
    ASC = "asc"
    DESC = "desc"


def default_actor() -> str:
    """`cli:` and the operating-system user, so every change from a shell names who made it."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no USER/LOGNAME and no password-database entry (some containers)
        user = "unknown"
    return f"cli:{user}"


Actor = Annotated[
    str | None,
    typer.Option(
        "--actor",
        show_default="cli:<your user name>",
        help="Who makes the change, as written to the audit journal.",
    ),
]


def who(actor: str | None) -> str:
    """The --actor given, else the default one (an empty --actor is passed on and refused)."""
    return default_actor() if actor is None else actor


Tags = Annotated[list[str] | None, typer.Option("--tag", help="A tag; repeat for several.")]
Observables = Annotated[
    list[str] | None,
    typer.Option("--observable", metavar="TYPE:VALUE", help="e.g. ip:203.0.113.7; repeat for several."),
]
Limit = Annotated[int, typer.Option("--limit", min=1, max=MAX_LIMIT, help="Items per page.")]
Cursor = Annotated[str | None, typer.Option("--cursor", help="The cursor a previous page printed.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables (for scripts).")]


def display_url(url: str) -> str:
    """The database URL with any password masked, safe to print."""
    return make_url(url).render_as_string(hide_password=True)


def storage_call(database: Database, action: Callable[[Database], T]) -> T:
    """Run a storage helper that talks to the database directly (migrations, audit verification),
    turning driver and Alembic failures into a StorageError instead of a traceback."""
    try:
        return action(database)
    except CommandError as exc:
        raise StorageError(f"database migration failed: {exc}") from None
    except SQLAlchemyError as exc:
        detail = getattr(exc, "orig", None) or exc
        raise StorageError(f"cannot use the database {display_url(database.url)}: {detail}") from None


def _missing_sqlite_file(database: Database) -> bool:
    """True when the SQLite file does not exist yet (asking its revision would create it empty)."""
    path = make_url(database.url).database
    return database.is_sqlite and bool(path) and path != ":memory:" and not Path(str(path)).exists()


def check_schema(database: Database) -> None:
    """Refuse to work on a database whose schema is not the one this version of socflow expects."""
    current = None if _missing_sqlite_file(database) else storage_call(database, migrate.current_revision)
    head = storage_call(database, migrate.head_revision)
    if current == head:
        return
    where = display_url(database.url)
    if current is None:
        raise StorageError(f"the database {where} has no socflow schema yet; run `socflow db upgrade` first")
    raise StorageError(
        f"the database {where} is at schema revision {current}, but this socflow needs {head}; "
        "run `socflow db upgrade` first"
    )


@dataclass
class CliState:
    """Held in the Typer context object: loaded once per invocation, closed when it ends."""

    settings: Settings
    _tracker: Tracker | None = field(default=None, repr=False)

    def open_tracker(self) -> Tracker:
        """The tracker on the configured database, without any schema check."""
        if self._tracker is None:
            try:
                self._tracker = Tracker.from_settings(self.settings)
            except OSError as exc:  # the SQLite file's directory cannot be created
                raise StorageError(
                    f"cannot open the database {display_url(self.settings.resolved_database_url)}: "
                    f"{exc.strerror or exc}"
                ) from None
        return self._tracker

    @property
    def database(self) -> Database:
        return self.open_tracker().database

    def tracker(self) -> Tracker:
        """The tracker, after checking the schema is at head (commands never migrate on their own)."""
        tracker = self.open_tracker()
        check_schema(tracker.database)
        return tracker

    def close(self) -> None:
        if self._tracker is not None:
            self._tracker.database.dispose()
            self._tracker = None


def state(ctx: typer.Context) -> CliState:
    """The CliState the root callback stored; found through the parent contexts."""
    found = ctx.find_object(CliState)
    if found is None:  # pragma: no cover - the root callback always sets it
        raise RuntimeError("the socflow CLI state is missing; run commands through the socflow app")
    return found


def parse_observables(raw: list[str] | None, option: str = "--observable") -> list[ObservableInput]:
    """`TYPE:VALUE` pairs (split at the first colon, so URLs keep theirs) into observable inputs."""
    result: list[ObservableInput] = []
    choices = ", ".join(kind.value for kind in ObservableType)
    for text in raw or []:
        kind, sep, value = text.partition(":")
        if not sep or not value.strip():
            raise typer.BadParameter(f"{text!r} is not TYPE:VALUE (e.g. ip:203.0.113.7)", param_hint=option)
        try:
            observable_type = ObservableType(kind.strip().lower())
        except ValueError:
            raise typer.BadParameter(
                f"{kind!r} is not an observable type; choose one of: {choices}", param_hint=option
            ) from None
        result.append(ObservableInput(observable_type, value))
    return result
