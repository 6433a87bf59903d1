"""Settings from the environment (SOCFLOW_*) and an optional TOML file named by SOCFLOW_CONFIG."""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import ByteSize, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from socflow.errors import ConfigError

_ENV_PREFIX = "SOCFLOW_"
_DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "socflow"


class Settings(BaseSettings):
    """Every knob socflow reads at start-up; environment wins over the TOML file."""

    model_config = SettingsConfigDict(env_prefix=_ENV_PREFIX, extra="forbid", frozen=True)

    data_dir: Path = _DEFAULT_DATA_DIR
    database_url: str | None = None
    secret_key: str | None = Field(default=None, repr=False)
    api_token: str | None = Field(default=None, repr=False)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    db_pool_size: int = Field(default=10, ge=1)
    # Intake (docs/intake.md): a syslog port of 0 disables that listener.
    syslog_host: str = "0.0.0.0"  # noqa: S104 - listeners are off unless a port is set; then all interfaces
    syslog_udp_port: int = Field(default=0, ge=0, le=65535)
    syslog_tcp_port: int = Field(default=0, ge=0, le=65535)
    syslog_tls_port: int = Field(default=0, ge=0, le=65535)
    tls_cert: Path | None = None
    tls_key: Path | None = None
    syslog_format: str = "auto"
    mappings_dir: Path | None = None  # the user's declarative device mappings (*.yaml, *.toml)
    syslog_timezone: str | None = None
    max_message_bytes: int = Field(default=64 * 1024, ge=256, le=16 * 1024 * 1024)
    intake_queue_size: int = Field(default=50_000, ge=1)
    intake_batch_size: int = Field(default=2_000, ge=1, le=50_000)
    # Worker processes of a large .evtx import (docs/intake.md): 0 = none; unset = one per CPU while
    # the machine has a core to spare (on a machine whose cores are busy they make an import slower).
    import_workers: int | None = Field(default=None, ge=0, le=256)
    retention_days: int | None = Field(default=None, ge=1)
    retention_max_events: int | None = Field(default=None, ge=0)
    # Bytes the events may take ("50GB", "10GiB", or a number): the oldest go first (docs/intake.md).
    retention_max_bytes: ByteSize | None = Field(default=None, ge=0)
    retention_interval_seconds: int = Field(default=3600, ge=1)
    # A run still open this long after it started raises one `run-stuck` alert (docs/playbooks.md);
    # seconds or ISO 8601 (PT24H). A playbook's own limits.max_duration takes precedence.
    run_stuck_after: timedelta = Field(default=timedelta(hours=24), gt=timedelta(0))
    # Playbook triggers (docs/playbooks.md, "Triggers").
    webhook_max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=16 * 1024 * 1024)
    webhook_max_wait_seconds: float = Field(default=30.0, ge=0, le=300)
    # Workers and executors (docs/operations.md): who executes playbook runs' steps.
    executor: Literal["inline", "celery", "none"] = "inline"
    worker_threads: int = Field(default=2, ge=1, le=64)
    # Attempts an inline worker thread leases together (their leases and results share a commit each).
    worker_wave: int = Field(default=32, ge=1, le=1024)
    worker_poll_ms: int = Field(default=1000, ge=10, le=60_000)
    worker_tick_ms: int = Field(default=1000, ge=10, le=3_600_000)
    worker_lease_seconds: int = Field(default=60, ge=1, le=86_400)
    worker_stop_seconds: int = Field(default=30, ge=0, le=3600)
    celery_broker_url: str = Field(default="amqp://guest:guest@127.0.0.1:5672//", repr=False)
    celery_queue: str = Field(default="socflow.steps", min_length=1, max_length=200, pattern=r"^[\w.:-]+$")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get(f"{_ENV_PREFIX}CONFIG")
        if config_file:
            path = Path(config_file)
            if not path.is_file():
                raise ConfigError(f"invalid setting {_ENV_PREFIX}CONFIG: no such file {path}")
            try:
                sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
            except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"invalid setting {_ENV_PREFIX}CONFIG: cannot read {path}: {exc}") from None
        return tuple(sources)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("executor", mode="before")
    @classmethod
    def _lower_executor(cls, value: object) -> object:
        return value.lower().strip() if isinstance(value, str) else value

    @field_validator("celery_broker_url")
    @classmethod
    def _known_broker(cls, value: str) -> str:
        if not value.startswith(("amqp://", "amqps://", "pyamqp://", "redis://", "rediss://", "memory://")):
            raise ValueError("must be an amqp://, amqps://, redis:// or rediss:// URL")
        return value

    @field_validator("run_stuck_after", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        """`24h`, `1h30m`, `90s` or a number of seconds; anything else goes to pydantic (ISO 8601)."""
        if isinstance(value, str):
            text = value.strip().lower()
            if re.fullmatch(r"\d+(\.\d+)?", text):
                return timedelta(seconds=float(text))
            if re.fullmatch(r"(\d+[wdhms])+", text):
                units = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
                return timedelta(
                    seconds=sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([wdhms])", text))
                )
        return value

    @field_validator("secret_key", "api_token")
    @classmethod
    def _long_enough(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / 'socflow.db'}"

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    def resolved_secret(self, name: Literal["secret_key", "api_token"]) -> str:
        """The secret from settings, else one generated once and kept (mode 0600) in the data dir."""
        configured: str | None = getattr(self, name)
        if configured:
            return configured
        path = self.data_dir / name
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(32)
        # Write a private temporary file, then link it into place: the link either publishes a
        # complete secret or fails because another process (a second worker starting) got there
        # first, whose secret is then the one everybody uses.
        temp = path.with_name(f".{name}.{secrets.token_hex(8)}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(value + "\n")
            os.link(temp, path)
        except FileExistsError:
            return path.read_text(encoding="utf-8").strip()
        finally:
            temp.unlink(missing_ok=True)
        return value


def load_settings(**overrides: object) -> Settings:
    """Read settings; any invalid one stops start-up with one line naming it."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "settings"
        name = f"{_ENV_PREFIX}{field.upper()}"
        if first["type"] == "extra_forbidden":
            raise ConfigError(f"unknown setting {field!r} in the configuration file") from None
        raise ConfigError(f"invalid setting {name}: {first['msg']}") from None
