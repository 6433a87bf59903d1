"""Settings: defaults, environment, a TOML file named by SOCFLOW_CONFIG, one-line errors, kept secrets."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

import pytest

from socflow.config import Settings, load_settings
from socflow.errors import ConfigError

TOKEN = "t" * 32


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start every test from no SOCFLOW_* variables (the Makefile exports SOCFLOW_DATA_DIR, for one)."""
    for name in list(os.environ):
        if name.startswith("SOCFLOW_"):
            monkeypatch.delenv(name)


def test_settings_defaults() -> None:
    settings = load_settings()

    assert settings.data_dir == Path.home() / ".local" / "share" / "socflow"
    assert settings.database_url is None
    assert settings.resolved_database_url == f"sqlite:///{settings.data_dir / 'socflow.db'}"
    assert settings.evidence_dir == settings.data_dir / "evidence"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert (settings.log_level, settings.log_json) == ("INFO", True)
    assert (settings.secret_key, settings.api_token) == (None, None)
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.max_upload_bytes == 50 * 1024 * 1024
    assert settings.db_pool_size == 10


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SOCFLOW_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SOCFLOW_PORT", "9001")
    monkeypatch.setenv("SOCFLOW_LOG_LEVEL", "debug")
    monkeypatch.setenv("SOCFLOW_LOG_JSON", "false")
    monkeypatch.setenv("SOCFLOW_API_TOKEN", TOKEN)

    settings = load_settings()

    assert settings.data_dir == tmp_path
    assert settings.port == 9001
    assert settings.log_level == "DEBUG"
    assert settings.log_json is False
    assert settings.api_token == TOKEN


def test_settings_take_a_bare_postgresql_url_as_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCFLOW_DATABASE_URL", "postgresql://soc@db.example/socflow")

    settings = load_settings()

    assert settings.database_url == "postgresql+psycopg://soc@db.example/socflow"
    assert settings.resolved_database_url == settings.database_url


def test_settings_ignore_socflow_variables_that_are_not_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCFLOW_REQUIRE_SERVICES", "1")
    monkeypatch.setenv("SOCFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1/postgres")

    assert load_settings().port == 8000


def test_settings_read_the_toml_file_named_by_socflow_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "socflow.toml"
    config.write_text('port = 8443\nhost = "0.0.0.0"\nlog_level = "warning"\n', encoding="utf-8")
    monkeypatch.setenv("SOCFLOW_CONFIG", str(config))

    settings = load_settings()

    assert (settings.port, settings.host, settings.log_level) == (8443, "0.0.0.0", "WARNING")


def test_settings_environment_wins_over_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "socflow.toml"
    config.write_text('port = 8443\nhost = "0.0.0.0"\n', encoding="utf-8")
    monkeypatch.setenv("SOCFLOW_CONFIG", str(config))
    monkeypatch.setenv("SOCFLOW_PORT", "9443")

    settings = load_settings()

    assert settings.port == 9443
    assert settings.host == "0.0.0.0"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SOCFLOW_PORT", "abc"),
        ("SOCFLOW_PORT", "70000"),
        ("SOCFLOW_PORT", "0"),
        ("SOCFLOW_DATABASE_URL", "mysql://root@localhost/socflow"),
        ("SOCFLOW_API_TOKEN", "short"),
        ("SOCFLOW_SECRET_KEY", "x" * 31),
        ("SOCFLOW_LOG_LEVEL", "bogus"),
        ("SOCFLOW_LOG_JSON", "maybe"),
        ("SOCFLOW_MAX_UPLOAD_BYTES", "10"),
        ("SOCFLOW_DB_POOL_SIZE", "0"),
    ],
)
def test_settings_invalid_value_stops_with_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigError) as caught:
        load_settings()

    message = str(caught.value)
    assert message.startswith(f"invalid setting {variable}: ")
    assert "\n" not in message
    assert caught.value.exit_code == 78


@pytest.mark.parametrize("variable", ["SOCFLOW_API_TOKEN", "SOCFLOW_SECRET_KEY"])
def test_settings_invalid_secret_is_not_echoed_back(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(variable, "hunter2-but-too-short")

    with pytest.raises(ConfigError) as caught:
        load_settings()

    assert variable in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_settings_invalid_value_in_the_file_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "socflow.toml"
    config.write_text('port = "abc"\n', encoding="utf-8")
    monkeypatch.setenv("SOCFLOW_CONFIG", str(config))

    with pytest.raises(ConfigError, match=r"^invalid setting SOCFLOW_PORT: "):
        load_settings()


def test_settings_unknown_key_in_the_file_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "socflow.toml"
    config.write_text("prot = 8000\n", encoding="utf-8")
    monkeypatch.setenv("SOCFLOW_CONFIG", str(config))

    with pytest.raises(ConfigError, match="unknown setting 'prot' in the configuration file"):
        load_settings()


def test_settings_file_that_is_not_toml_is_refused_naming_socflow_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "socflow.toml"
    config.write_text("port = \n", encoding="utf-8")
    monkeypatch.setenv("SOCFLOW_CONFIG", str(config))

    with pytest.raises(ConfigError) as caught:
        load_settings()

    assert str(caught.value).startswith(f"invalid setting SOCFLOW_CONFIG: cannot read {config}")
    assert "\n" not in str(caught.value)


def test_settings_missing_config_file_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "absent.toml"
    monkeypatch.setenv("SOCFLOW_CONFIG", str(missing))

    with pytest.raises(ConfigError) as caught:
        load_settings()

    assert str(caught.value) == f"invalid setting SOCFLOW_CONFIG: no such file {missing}"


def test_settings_are_frozen() -> None:
    settings = load_settings()

    with pytest.raises(ValueError, match="frozen"):
        settings.port = 1


def test_settings_repr_hides_secrets() -> None:
    settings = Settings(api_token=TOKEN, secret_key="k" * 40)

    assert TOKEN not in repr(settings)
    assert "k" * 40 not in repr(settings)


def test_resolved_secret_is_generated_once_kept_0600_and_stable(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")

    first = settings.resolved_secret("secret_key")
    path = tmp_path / "data" / "secret_key"

    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert settings.resolved_secret("secret_key") == first
    assert Settings(data_dir=tmp_path / "data").resolved_secret("secret_key") == first
    assert settings.resolved_secret("api_token") != first


def test_resolved_secret_prefers_the_configured_value(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api_token=TOKEN)

    assert settings.resolved_secret("api_token") == TOKEN
    assert not (tmp_path / "api_token").exists()


def test_resolved_secret_created_meanwhile_by_another_process_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path)
    real_token = secrets.token_urlsafe

    def token_while_another_worker_starts(length: int) -> str:
        (tmp_path / "secret_key").write_text("the-other-workers-secret\n", encoding="utf-8")
        return real_token(length)

    monkeypatch.setattr(secrets, "token_urlsafe", token_while_another_worker_starts)

    assert settings.resolved_secret("secret_key") == "the-other-workers-secret"
    assert [path.name for path in tmp_path.iterdir()] == ["secret_key"]  # no temporary file left behind
