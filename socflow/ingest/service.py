"""Running intake: listeners from settings, the writer, periodic retention; on a loop or in a thread."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import ssl
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from socflow.config import Settings
from socflow.errors import ConfigError, SocflowError
from socflow.ingest.metrics import IntakeStats
from socflow.ingest.pipeline import Enricher, IngestPipeline, Normalizer, stop_task
from socflow.ingest.receivers import ListenerSpec, SyslogReceivers
from socflow.logging import get_logger
from socflow.model.records import Transport
from socflow.normalize import canonical
from socflow.storage.events import EventStore

START_TIMEOUT_SECONDS: Final = 30.0
# Intake allocates tens of container objects per message. Python's default first-generation
# threshold (700) makes the collector run every few dozen messages and walk the batch in flight.
GC_YOUNG_THRESHOLD: Final = 10_000
log = get_logger("socflow.ingest")


def tls_context(settings: Settings) -> ssl.SSLContext:
    if settings.tls_cert is None or settings.tls_key is None:
        raise ConfigError(
            "invalid setting SOCFLOW_SYSLOG_TLS_PORT: "
            "a TLS listener needs SOCFLOW_TLS_CERT and SOCFLOW_TLS_KEY"
        )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(settings.tls_cert, settings.tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"invalid setting SOCFLOW_TLS_CERT/SOCFLOW_TLS_KEY: cannot load {settings.tls_cert}: {exc}"
        ) from None
    return context


def listener_specs(settings: Settings) -> list[ListenerSpec]:
    """The syslog listeners the settings enable (a port of 0 is off)."""
    try:
        canonical.zone(settings.syslog_timezone)
    except ValueError as exc:
        raise ConfigError(f"invalid setting SOCFLOW_SYSLOG_TIMEZONE: {exc}") from None
    wanted = [
        ("syslog-udp", Transport.UDP, settings.syslog_udp_port),
        ("syslog-tcp", Transport.TCP, settings.syslog_tcp_port),
        ("syslog-tls", Transport.TLS, settings.syslog_tls_port),
    ]
    specs = []
    for name, transport, port in wanted:
        if not port:
            continue
        context = tls_context(settings) if transport is Transport.TLS else None
        specs.append(
            ListenerSpec(
                name,
                transport,
                settings.syslog_host,
                port,
                format=settings.syslog_format,
                timezone=settings.syslog_timezone,
                ssl=context,
            )
        )
    return specs


@dataclass(frozen=True)
class Retention:
    days: int | None = None
    max_events: int | None = None
    interval_seconds: float = 3600.0
    max_bytes: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Retention:
        return cls(
            settings.retention_days,
            settings.retention_max_events,
            settings.retention_interval_seconds,
            settings.retention_max_bytes,
        )

    @property
    def active(self) -> bool:
        return self.days is not None or self.max_events is not None or self.max_bytes is not None

    def apply(self, store: EventStore) -> int:
        older_than = None if self.days is None else datetime.now(UTC) - timedelta(days=self.days)
        return store.prune(older_than=older_than, max_events=self.max_events, max_bytes=self.max_bytes)


def tune_garbage_collector() -> None:
    """For a long-running intake process: collect young objects less often, and never re-examine
    what exists at start (modules, settings, the database engine), which `gc.freeze` sets aside."""
    gc.collect()
    gc.freeze()
    young, middle, old = gc.get_threshold()
    if young < GC_YOUNG_THRESHOLD:
        gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


class IntakeService:
    """The writer, the listeners and retention on the running event loop."""

    def __init__(
        self,
        store: EventStore,
        specs: list[ListenerSpec],
        *,
        max_message_bytes: int,
        stats: IntakeStats | None = None,
        normalize: Normalizer | None = None,
        enrich: Enricher | None = None,
        queue_size: int = 50_000,
        batch_size: int = 2_000,
        retention: Retention | None = None,
        tune_gc: bool = False,
    ) -> None:
        self.store = store
        self.tune_gc = tune_gc
        self.specs = specs
        self.max_message_bytes = max_message_bytes
        self.stats = stats or IntakeStats()
        self.normalize = normalize
        self.enrich = enrich
        self.queue_size = queue_size
        self.batch_size = batch_size
        self.retention = retention or Retention()
        self.pipeline: IngestPipeline | None = None
        self.receivers: SyslogReceivers | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        store: EventStore,
        *,
        stats: IntakeStats | None = None,
        enrich: Enricher | None = None,
    ) -> IntakeService:
        return cls(
            store,
            listener_specs(settings),
            max_message_bytes=settings.max_message_bytes,
            stats=stats,
            enrich=enrich,
            queue_size=settings.intake_queue_size,
            batch_size=settings.intake_batch_size,
            retention=Retention.from_settings(settings),
            tune_gc=True,
        )

    async def start(self) -> dict[str, int]:
        """Bind every listener and start the writer; the bound ports by listener name."""
        if self.tune_gc:
            tune_garbage_collector()
        self.pipeline = IngestPipeline(
            self.store,
            self.stats,
            normalize=self.normalize,
            enrich=self.enrich,
            queue_size=self.queue_size,
            batch_size=self.batch_size,
            pause_gc=self.tune_gc,
        )
        self._tasks.append(asyncio.create_task(self.pipeline.run(), name="intake-writer"))
        if self.retention.active:
            self._tasks.append(asyncio.create_task(self._retention_loop(), name="intake-retention"))
        self.receivers = SyslogReceivers(self.pipeline, self.specs, max_message_bytes=self.max_message_bytes)
        try:
            return await self.receivers.start()
        except OSError as exc:
            await self.stop()
            raise ConfigError(f"cannot open a syslog listener: {exc.strerror or exc}") from None

    async def stop(self) -> None:
        """Close the listeners, store what is queued, then stop the writer."""
        if self.receivers is not None:
            await self.receivers.close()
        if self.pipeline is not None and self._tasks and not self._tasks[0].done():
            await self.pipeline.drain()
        for task in self._tasks:
            await stop_task(task)
        self._tasks.clear()

    async def _retention_loop(self) -> None:
        while True:
            await asyncio.sleep(self.retention.interval_seconds)
            try:
                removed = await asyncio.to_thread(self.retention.apply, self.store)
            except SocflowError as exc:
                log.warning("retention_failed", error=exc.message)
                continue
            if removed:
                log.info("retention_pruned", events=removed)


class IntakeThread:
    """Runs an IntakeService on an event loop of its own in a daemon thread (beside the API server)."""

    def __init__(self, service: IntakeService) -> None:
        self.service = service
        self.ports: dict[str, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> dict[str, int]:
        self._thread = threading.Thread(target=self._run, name="socflow-intake", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_SECONDS):
            raise ConfigError("the syslog listeners did not start in time")
        if self._error is not None:
            raise self._error
        return self.ports

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self.ports = loop.run_until_complete(self.service.start())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self.service.stop())
        loop.close()

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()


async def serve_forever(
    service: IntakeService, stop_signals: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)
) -> None:
    """Start the service and run until one of `stop_signals` arrives (or the task is cancelled), then
    stop it cleanly: the listeners close and what was received is stored before this returns.

    SIGTERM is what service managers send; handling SIGINT here too means Ctrl-C works even when the
    process was started with SIGINT ignored (in the background of a non-interactive shell)."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    handled: list[signal.Signals] = []
    for number in stop_signals:
        try:
            loop.add_signal_handler(number, stopping.set)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no support
            continue
        handled.append(number)
    await service.start()
    try:
        await stopping.wait()
    finally:
        for number in handled:
            loop.remove_signal_handler(number)
        with contextlib.suppress(asyncio.CancelledError):
            await service.stop()
