"""End to end over real loopback sockets: RFC 3164 and 5424 via UDP, TCP (both framings) and TLS."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import socket
import ssl
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from socflow.config import Settings
from socflow.errors import ConfigError
from socflow.ingest.receivers import ListenerSpec
from socflow.ingest.service import IntakeService, IntakeThread, listener_specs
from socflow.model.records import RawRecord, Transport
from socflow.storage.db import Database
from socflow.storage.events import EventQuery, EventStore

LOOPBACK = "127.0.0.1"


def _messages(tag: str) -> list[str]:
    return [
        f"<34>Oct 11 22:14:15 host-{tag}-bsd su: 'su root' failed for lonvick {tag}-3164",
        f"<165>1 2026-10-11T22:14:15.003Z host-{tag}-ietf.example.com evntslog - ID47 - app event {tag}-5424",
    ]


def _octets(text: str) -> bytes:
    body = text.encode()
    return str(len(body)).encode() + b" " + body


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made now."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "socflow-test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOOPBACK))]), False)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def _server_context(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*tls_files)
    return context


async def _send_stream(port: int, payload: bytes, context: ssl.SSLContext | None = None) -> None:
    _, writer = await asyncio.open_connection(LOOPBACK, port, ssl=context)
    # Split the payload across writes so frames straddle reads on the server.
    for start in range(0, len(payload), 37):
        writer.write(payload[start : start + 37])
        await writer.drain()
    writer.close()
    await writer.wait_closed()


def test_syslog_every_transport_and_framing_reaches_the_store(
    database: Database, tls_files: tuple[Path, Path]
) -> None:
    store = EventStore(database)
    specs = [
        ListenerSpec("syslog-udp", Transport.UDP, LOOPBACK, 0),
        ListenerSpec("syslog-tcp", Transport.TCP, LOOPBACK, 0, timezone="Europe/Berlin"),
        ListenerSpec("syslog-tls", Transport.TLS, LOOPBACK, 0, ssl=_server_context(tls_files)),
    ]
    service = IntakeService(store, specs, max_message_bytes=4096)
    client_tls = ssl.create_default_context(cafile=str(tls_files[0]))

    async def scenario() -> tuple[bool, dict[str, dict[str, int]]]:
        ports = await service.start()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for text in _messages("udp"):
                udp.sendto(text.encode(), (LOOPBACK, ports["syslog-udp"]))
        newline = "".join(text + "\n" for text in _messages("tcpnl")).encode()
        octets = b"".join(_octets(text) for text in _messages("tcpoc"))
        tls = b"".join(_octets(text) for text in _messages("tls"))
        await asyncio.gather(
            _send_stream(ports["syslog-tcp"], newline),
            _send_stream(ports["syslog-tcp"], octets),
            _send_stream(ports["syslog-tcp"], b"12x junk on the port\n"),
            _send_stream(ports["syslog-tls"], tls, client_tls),
            _send_stream(ports["syslog-tls"], b"<13>plain text on the TLS port\n"),
        )
        assert service.pipeline is not None
        done = await service.pipeline.wait_stored(10, timeout=20)
        await service.stop()
        return done, service.stats.snapshot()

    done, stats = asyncio.run(scenario())

    assert done
    rows = store.search(EventQuery(limit=100)).items
    docs = {json.loads(row.document)["event"]["original"]: json.loads(row.document) for row in rows}
    for tag in ("udp", "tcpnl", "tcpoc", "tls"):
        bsd, ietf = _messages(tag)
        assert docs[bsd]["host"]["name"] == f"host-{tag}-bsd"
        assert docs[ietf]["host"]["name"] == f"host-{tag}-ietf"
        assert docs[ietf]["@timestamp"] == "2026-10-11T22:14:15.003Z"
        assert docs[bsd]["log"]["source"]["address"].startswith("127.0.0.1:")
    # The TCP listener's zone (Berlin, UTC+2 in October) applies to the zone-less RFC 3164 stamp.
    berlin = docs[_messages("tcpnl")[0]]["@timestamp"]
    utc = docs[_messages("udp")[0]]["@timestamp"]
    assert (berlin[4:], utc[4:]) == ("-10-11T20:14:15Z", "-10-11T22:14:15Z")
    letters, _ = store.dead_letters()
    reasons = sorted(letter.reason for letter in letters)
    assert len(reasons) == 2
    assert reasons[0].startswith("TLS handshake failed: ")
    assert reasons[1] == "malformed frame: octet count is not 1 to 10 digits followed by a space"
    assert stats["syslog-tcp"]["stored"] == 4
    assert stats["syslog-tcp"]["dead_lettered"] == 1
    assert stats["syslog-udp"]["received"] == 2
    assert stats["syslog-tls"]["stored"] == 2
    assert stats["syslog-tls"]["dead_lettered"] == 1


def test_intake_thread_runs_listeners_beside_a_caller(database: Database) -> None:
    store = EventStore(database)
    specs = [ListenerSpec("syslog-udp", Transport.UDP, LOOPBACK, 0)]
    runner = IntakeThread(IntakeService(store, specs, max_message_bytes=1024))
    ports = runner.start()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(b"<13>Nov  1 00:00:00 threadhost app: hi", (LOOPBACK, ports["syslog-udp"]))
        deadline = time.monotonic() + 10
        while store.count() < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        runner.stop()

    assert [row.host_name for row in store.search(EventQuery()).items] == ["threadhost"]


def test_listener_settings_need_a_certificate_for_tls(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, syslog_tls_port=6514, syslog_udp_port=5514)

    with pytest.raises(ConfigError, match="SOCFLOW_TLS_CERT"):
        listener_specs(settings)
    assert [spec.name for spec in listener_specs(Settings(data_dir=tmp_path, syslog_udp_port=5514))] == [
        "syslog-udp"
    ]
    with pytest.raises(ConfigError, match="SOCFLOW_SYSLOG_TIMEZONE"):
        listener_specs(Settings(data_dir=tmp_path, syslog_timezone="Nowhere/City"))


def test_retention_loop_prunes_on_its_interval(database: Database) -> None:
    from socflow.ingest.service import Retention

    store = EventStore(database)
    service = IntakeService(
        store, [], max_message_bytes=1024, retention=Retention(days=1, max_events=None, interval_seconds=0.01)
    )
    old = RawRecord(
        "<13>Jan  1 00:00:00 oldhost app: x", dt.datetime(2001, 1, 1, tzinfo=dt.UTC), Transport.TCP, "o", "t"
    )

    async def scenario() -> int:
        await service.start()
        assert service.pipeline is not None
        service.pipeline.process([old])
        deadline = time.monotonic() + 10
        while store.count() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await service.stop()
        return store.count()

    assert asyncio.run(scenario()) == 0
    assert not Retention().active


def test_intake_thread_reports_a_port_in_use(database: Database) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind((LOOPBACK, 0))
        taken.listen()
        port = taken.getsockname()[1]
        specs = [ListenerSpec("syslog-tcp", Transport.TCP, LOOPBACK, port)]
        runner = IntakeThread(IntakeService(EventStore(database), specs, max_message_bytes=1024))

        with pytest.raises(ConfigError, match="cannot open a syslog listener"):
            runner.start()


def test_api_serve_starts_and_stops_the_listeners(database: Database, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from socflow.api.app import create_app
    from socflow.cases.tracker import Tracker

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((LOOPBACK, 0))
        port = probe.getsockname()[1]
    token = "e2e-token-0123456789abcdefghijklmnopqrstuv"
    settings = Settings(data_dir=tmp_path, api_token=token, syslog_host=LOOPBACK, syslog_udp_port=port)
    app = create_app(settings, Tracker.open(database, tmp_path / "evidence"))

    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(b"<13>Nov  1 00:00:00 apihost app: via serve", (LOOPBACK, port))
        deadline = time.monotonic() + 10
        while EventStore(database).count() < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        stats = client.get("/api/v1/ingest/stats").json()

    assert stats["ports"] == {"syslog-udp": port}
    assert stats["listeners"]["syslog-udp"]["stored"] == 1


def test_many_concurrent_tcp_senders_lose_nothing_with_a_small_queue(database: Database) -> None:
    store = EventStore(database)
    specs = [ListenerSpec("syslog-tcp", Transport.TCP, LOOPBACK, 0)]
    # A queue far smaller than what is sent: senders are held back, not buffered without bound.
    service = IntakeService(store, specs, max_message_bytes=1024, queue_size=16, batch_size=50)

    def payload(sender: int) -> bytes:
        texts = [f"<13>Nov  1 00:00:00 sender{sender} app: message {sender}-{n}" for n in range(20)]
        if sender % 2:
            return b"".join(_octets(text) for text in texts)
        return "".join(text + "\n" for text in texts).encode()

    async def scenario() -> bool:
        ports = await service.start()
        await asyncio.gather(*(_send_stream(ports["syslog-tcp"], payload(sender)) for sender in range(30)))
        assert service.pipeline is not None
        done = await service.pipeline.wait_stored(600, timeout=60)
        await service.stop()
        return done

    assert asyncio.run(scenario())
    assert store.count() == 600
    assert service.stats.snapshot()["syslog-tcp"]["dead_lettered"] == 0


def test_api_serve_applies_retention_without_listeners(database: Database, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from socflow.api.app import create_app
    from socflow.cases.tracker import Tracker

    store = EventStore(database)
    old = RawRecord(
        "<13>Jan  1 00:00:00 oldhost app: x", dt.datetime(2001, 1, 1, tzinfo=dt.UTC), Transport.TCP, "o", "t"
    )
    from socflow.ingest.pipeline import IngestPipeline

    IngestPipeline(store).process([old])
    token = "e2e-token-0123456789abcdefghijklmnopqrstuv"
    settings = Settings(data_dir=tmp_path, api_token=token, retention_days=30, retention_interval_seconds=1)

    with TestClient(create_app(settings, Tracker.open(database, tmp_path / "evidence"))):
        deadline = time.monotonic() + 10
        while store.count() and time.monotonic() < deadline:
            time.sleep(0.05)

    assert store.count() == 0
