"""Peers for socflow's syslog intake benchmark: rsyslog (TCP, to a file), aiosyslogd (UDP, to SQLite)."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

from bench.procstat import REPO, RssSeries, Run, cpu_seconds, free_port, start_loadgen

WORK = REPO / "bench" / ".work"
AIOSYSLOGD = WORK / "aiosyslogd-venv" / "bin" / "aiosyslogd"
START_TIMEOUT_S = 15.0
POLL_S = 0.05
IDLE_DONE_S = 3.0  # UDP: the count stopped growing this long after the sender finished: it is done


def _wait_port(port: int, process: subprocess.Popen[bytes], timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the receiver exited with {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listened on 127.0.0.1:{port} within {timeout} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _loadgen_result(loadgen: subprocess.Popen[str]) -> dict[str, object]:
    out, _ = loadgen.communicate(timeout=300)
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


RSYSLOG_CONF = """
global(workDirectory="{work}")
module(load="imtcp" MaxSessions="100")
input(type="imtcp" address="127.0.0.1" port="{port}")
action(type="omfile" file="{out}" template="RSYSLOG_FileFormat")
"""


def rsyslog(count: int, connections: int, timeout: float) -> Run | str:
    """rsyslogd (foreground, own paths), imtcp -> omfile; done when the file has `count` lines."""
    binary = shutil.which("rsyslogd") or (
        "/usr/sbin/rsyslogd" if Path("/usr/sbin/rsyslogd").exists() else None
    )
    if binary is None:
        return "rsyslog not installed"
    with tempfile.TemporaryDirectory(prefix="rsyslog-", dir=_work_dir()) as tmp:
        work, port = Path(tmp), free_port()
        out = work / "messages.log"
        conf = work / "rsyslog.conf"
        conf.write_text(RSYSLOG_CONF.format(work=work, port=port, out=out))
        process = subprocess.Popen(
            [binary, "-n", "-f", str(conf), "-i", str(work / "rsyslogd.pid")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_port(port, process)
            cpu_before = cpu_seconds(process.pid)
            rss = RssSeries(process.pid)
            loadgen = start_loadgen(port, count, connections=connections)
            lines, offset, done_at = 0, 0, None
            deadline = time.monotonic() + timeout
            while lines < count and time.monotonic() < deadline:
                rss.maybe_sample()
                if out.exists():
                    with out.open("rb") as handle:
                        handle.seek(offset)
                        data = handle.read()
                    offset += len(data)
                    lines += data.count(b"\n")
                if lines < count:
                    time.sleep(POLL_S)
            done_at = time.time()
            cpu = cpu_seconds(process.pid) - cpu_before
            sent = _loadgen_result(loadgen)
        finally:
            _stop(process)
    began = float(sent["began"])  # type: ignore[arg-type]
    note = "" if lines >= count else f"timed out after {timeout:.0f} s"
    return Run("rsyslog (imtcp -> omfile)", count, lines, done_at - began, cpu, rss.summary(), note)


AIOSYSLOGD_CONF = """
[server]
bind_ip = "127.0.0.1"
bind_port = {port}
debug = false
log_dump = false

[database]
driver = "sqlite"
batch_size = {batch}
batch_timeout = 1

[database.sqlite]
database = "{db}"
retention_months = 12
sql_dump = false
debug = false
"""


def _rows(work: Path) -> int:
    total = 0
    for path in work.glob("syslog_*.sqlite3"):
        try:
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)) as db:
                total += int(db.execute('SELECT count(*) FROM "SystemEvents"').fetchone()[0])
        except sqlite3.Error:
            continue
    return total


def aiosyslogd(count: int, timeout: float, *, rate: float | None = None, batch: int = 1000) -> Run | str:
    """aiosyslogd (UDP only) into its SQLite store; sent flat out or at `rate` per second; losses reported."""
    if not AIOSYSLOGD.exists():
        return "aiosyslogd not installed (python -m venv bench/.work/aiosyslogd-venv; pip install aiosyslogd)"
    with tempfile.TemporaryDirectory(prefix="aiosyslogd-", dir=_work_dir()) as tmp:
        work, port = Path(tmp), free_port()
        conf = work / "aiosyslogd.toml"
        conf.write_text(AIOSYSLOGD_CONF.format(port=port, db=work / "syslog.sqlite3", batch=batch))
        process = subprocess.Popen(
            [str(AIOSYSLOGD)],
            cwd=work,
            env={"AIOSYSLOGD_CONFIG": str(conf), "PATH": "/usr/bin:/bin"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(1.5)  # UDP: nothing to connect to; give it time to bind and open its database
            if process.poll() is not None:
                return f"aiosyslogd exited with {process.returncode} at start"
            cpu_before = cpu_seconds(process.pid)
            rss = RssSeries(process.pid)
            loadgen = start_loadgen(port, count, udp=True, rate=rate)
            stored, last_change, changed_at = 0, -1, time.monotonic()
            deadline = time.monotonic() + timeout
            done_at = time.time()
            while stored < count and time.monotonic() < deadline:
                rss.maybe_sample()
                stored = _rows(work)
                if stored != last_change:
                    last_change, changed_at, done_at = stored, time.monotonic(), time.time()
                elif loadgen.poll() is not None and time.monotonic() - changed_at > IDLE_DONE_S:
                    break
                time.sleep(0.2)
            cpu = cpu_seconds(process.pid) - cpu_before
            sent = _loadgen_result(loadgen)
        finally:
            _stop(process)
    began = float(sent["began"])  # type: ignore[arg-type]
    lost = count - stored
    pace = f"paced {rate:,.0f}/s" if rate else "flat out"
    note = f"UDP only, {pace}: {lost:,} of {count:,} lost ({lost / count:.1%})"
    return Run(
        f"aiosyslogd (UDP -> SQLite, {pace})", count, stored, done_at - began, cpu, rss.summary(), note
    )


def _work_dir() -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    return WORK
