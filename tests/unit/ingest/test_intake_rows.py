"""Event rows from documents: origin stamping, timestamps that fall back, values that are not text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from socflow.config import Settings
from socflow.errors import ConfigError
from socflow.ingest.service import tls_context
from socflow.ingest.store import event_row, iso, stamp_origin
from socflow.model.records import RawRecord, Transport

NOW = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)


def _record(transport: Transport = Transport.UDP, listener: str = "syslog-udp") -> RawRecord:
    return RawRecord("original text", NOW, transport, "/var/log/x.log", listener)


def test_rows_fall_back_to_the_receive_time_for_a_bad_timestamp() -> None:
    bad = event_row(_record(), {"@timestamp": "yesterday"}, NOW)
    naive = event_row(_record(), {"@timestamp": "2026-10-01T00:00:00"}, NOW)
    missing = event_row(_record(), {"@timestamp": 12}, NOW)

    assert bad["timestamp"] == NOW
    assert naive["timestamp"] == datetime(2026, 10, 1, tzinfo=UTC)
    assert missing["timestamp"] == NOW


def test_rows_keep_text_columns_as_text_only() -> None:
    doc = {"event": {"code": 4624, "action": {"nested": 1}}, "message": ["a"], "source": "not-a-dict"}

    row = event_row(_record(), doc, NOW)

    assert row["event_code"] == "4624"
    assert row["event_action"] is None
    assert row["message"] is None  # a list is not a message (reads show the original instead)
    assert row["source_ip"] is None


def test_stamp_origin_uses_the_file_path_for_files_and_keeps_a_given_original() -> None:
    doc: dict[str, object] = {"event": {"original": "kept"}}

    stamp_origin(_record(Transport.FILE, ""), doc, iso(NOW))

    assert doc["log"] == {"file": {"path": "/var/log/x.log"}}
    assert doc["event"] == {"original": "kept", "ingested": "2026-11-01T08:30:00Z"}
    assert doc["@timestamp"] == "2026-11-01T08:30:00Z"
    assert "labels" not in doc


def test_tls_context_refuses_an_unreadable_certificate(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("not a certificate", encoding="utf-8")
    settings = Settings(data_dir=tmp_path, syslog_tls_port=6514, tls_cert=cert, tls_key=cert)

    with pytest.raises(ConfigError, match="cannot load"):
        tls_context(settings)
