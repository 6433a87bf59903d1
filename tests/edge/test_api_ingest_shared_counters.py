"""The API's stats route and /metrics include what other processes (`ingest serve`, imports) counted."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from socflow.cases.tracker import Tracker
from socflow.storage.ingest_counters import IngestCounterStore, ProcessIdentity


def test_counts_published_by_a_syslog_receiver_process_show_in_the_api(
    client: TestClient, tracker: Tracker
) -> None:
    receiver = ProcessIdentity("collector-2", 4242, datetime.now(UTC))
    counts = {"received": 120, "stored": 110, "dead_lettered": 4, "udp_dropped": 6, "parse_failures": 3}
    IngestCounterStore(tracker.database).add(receiver, {"syslog-udp": counts}, 17)
    client.post("/api/v1/ingest/events", content="hello\n", headers={"Content-Type": "text/plain"})

    stats = client.get("/api/v1/ingest/stats").json()
    metrics = client.get("/metrics").text

    assert stats["listeners"]["syslog-udp"] == counts
    assert stats["listeners"]["http"]["stored"] == 1  # this process's own, live
    assert stats["queue_depth"] == 17
    assert 'socflow_intake_udp_dropped_total{listener="syslog-udp"} 6.0' in metrics
    assert 'socflow_intake_stored_total{listener="http"} 1.0' in metrics
