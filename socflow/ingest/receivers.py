"""Syslog listeners on asyncio: UDP datagrams, TCP and TLS streams with RFC 6587 framing."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from socflow.ingest.dead_letters import DeadLetter
from socflow.ingest.framing import Decoded, FrameDecoder, FrameError, decode_message
from socflow.ingest.pipeline import IngestPipeline
from socflow.logging import get_logger
from socflow.model.records import RawRecord, Transport

READ_CHUNK: Final = 64 * 1024
TLS_HANDSHAKE_SECONDS: Final = 30.0
log = get_logger("socflow.ingest")


@dataclass(frozen=True)
class ListenerSpec:
    """One listener: port 0 binds an ephemeral port (tests); `ssl` makes a TCP listener TLS."""

    name: str
    transport: Transport
    host: str
    port: int
    format: str = "auto"
    timezone: str | None = None
    ssl: ssl.SSLContext | None = None


def peer_text(peer: Any) -> str:
    """'ip:port' ('[v6]:port' for IPv6) for a socket peer; 'unknown' when the socket has none."""
    if isinstance(peer, tuple) and len(peer) >= 2:
        host, port = str(peer[0]), peer[1]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return "unknown"


class SyslogReceivers:
    """Starts every configured listener on the running loop; `ports` says where each one is bound."""

    def __init__(
        self, pipeline: IngestPipeline, specs: list[ListenerSpec], *, max_message_bytes: int
    ) -> None:
        self.pipeline = pipeline
        self.specs = specs
        self.max_message_bytes = max_message_bytes
        self.ports: dict[str, int] = {}
        self._servers: list[asyncio.Server] = []
        self._transports: list[asyncio.DatagramTransport] = []
        self._connections: set[asyncio.Task[Any]] = set()

    def item(
        self, spec: ListenerSpec, origin: str, decoded: Decoded, now: datetime | None = None
    ) -> RawRecord | DeadLetter:
        """One framed message as a queue item; `now` is the receipt time (one read shares one)."""
        now = now or datetime.now(UTC)
        if isinstance(decoded, FrameError):
            return DeadLetter(
                decoded.raw, decoded.reason, spec.transport, origin, spec.name, now, decoded.size
            )
        return RawRecord(decoded, now, spec.transport, origin, spec.name, spec.format, spec.timezone)

    async def start(self) -> dict[str, int]:
        loop = asyncio.get_running_loop()
        for spec in self.specs:
            if spec.transport is Transport.UDP:
                transport, _ = await loop.create_datagram_endpoint(
                    lambda spec=spec: _Datagrams(self, spec),  # type: ignore[misc]
                    local_addr=(spec.host, spec.port),
                )
                self._transports.append(transport)
                self.ports[spec.name] = transport.get_extra_info("sockname")[1]
            else:

                async def handle(
                    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, spec: ListenerSpec = spec
                ) -> None:
                    await self._connection(spec, reader, writer)

                server = await asyncio.start_server(handle, spec.host, spec.port, limit=READ_CHUNK * 2)
                self._servers.append(server)
                self.ports[spec.name] = server.sockets[0].getsockname()[1]
            log.info(
                "listening", listener=spec.name, transport=spec.transport.value, port=self.ports[spec.name]
            )
        return self.ports

    async def _connection(
        self, spec: ListenerSpec, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        origin = peer_text(writer.get_extra_info("peername"))
        decoder = FrameDecoder(self.max_message_bytes)
        try:
            if spec.ssl is not None:
                # The handshake runs here rather than in the server so that a failed one (a plain-text
                # sender on the TLS port, a scanner) is counted and dead-lettered with its origin.
                try:
                    await writer.start_tls(spec.ssl, ssl_handshake_timeout=TLS_HANDSHAKE_SECONDS)
                except (ssl.SSLError, ConnectionError, TimeoutError) as exc:
                    reason = f"TLS handshake failed: {getattr(exc, 'reason', None) or type(exc).__name__}"
                    await self.pipeline.submit(
                        DeadLetter(b"", reason, spec.transport, origin, spec.name, datetime.now(UTC), 0)
                    )
                    return
            transport, listener, parser, timezone = spec.transport, spec.name, spec.format, spec.timezone
            while True:
                data = await reader.read(READ_CHUNK)
                if not data:
                    break
                now = datetime.now(UTC)
                # `item` inline for the messages (text), the common case: one call less per message.
                items = [
                    RawRecord(decoded, now, transport, origin, listener, parser, timezone)
                    if isinstance(decoded, str)
                    else self.item(spec, origin, decoded, now)
                    for decoded in decoder.feed(data)
                ]
                # Waits while the queue is full: this connection is not read meanwhile (back-pressure).
                await self.pipeline.submit_many(items)
            for decoded in decoder.finish():
                await self.pipeline.submit(self.item(spec, origin, decoded))
        except (ConnectionError, ssl.SSLError, OSError) as exc:
            log.info("connection_lost", listener=spec.name, origin=origin, error=str(exc))
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError, OSError):
                await writer.wait_closed()
            if task is not None:
                self._connections.discard(task)

    async def close(self) -> None:
        for server in self._servers:
            server.close()
        for transport in self._transports:
            transport.close()
        for task in list(self._connections):
            task.cancel()
        for task in list(self._connections):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()
        self._transports.clear()


class _Datagrams(asyncio.DatagramProtocol):
    """One datagram is one message (RFC 5426); a full queue drops it and counts the drop."""

    def __init__(self, receivers: SyslogReceivers, spec: ListenerSpec) -> None:
        self.receivers = receivers
        self.spec = spec

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        decoded = decode_message(data, self.receivers.max_message_bytes)
        if decoded is not None:
            self.receivers.pipeline.offer(self.receivers.item(self.spec, peer_text(addr), decoded))
