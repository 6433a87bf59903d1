"""Realistic syslog lines for the intake benchmarks: RFC 3164 and RFC 5424, varied hosts, users and IPs."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_USERS = ["root", "admin", "alice", "bob", "deploy", "oracle", "postgres", "backup", "svc_web", "jdoe"]
_HOSTS = [f"web{n:02d}" for n in range(1, 21)] + [f"db{n:02d}" for n in range(1, 6)] + ["fw-edge", "mail01"]


def _ip(rng: random.Random) -> str:
    return (
        f"{rng.choice((10, 172, 192, 203))}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    )


def _bsd_time(moment: datetime) -> str:
    return f"{_MONTHS[moment.month - 1]} {moment.day:2d} {moment:%H:%M:%S}"


def _rfc3164(rng: random.Random, moment: datetime) -> str:
    host = rng.choice(_HOSTS)
    stamp = _bsd_time(moment)
    pid = rng.randrange(200, 65000)
    user, ip, port = rng.choice(_USERS), _ip(rng), rng.randrange(1024, 65535)
    kind = rng.randrange(6)
    if kind == 0:
        return f"<38>{stamp} {host} sshd[{pid}]: Failed password for {user} from {ip} port {port} ssh2"
    if kind == 1:
        return f"<38>{stamp} {host} sshd[{pid}]: Accepted publickey for {user} from {ip} port {port} ssh2"
    if kind == 2:
        return (
            f"<85>{stamp} {host} sudo: {user} : TTY=pts/0 ; PWD=/home/{user} ; USER=root ; "
            f"COMMAND=/usr/bin/systemctl restart nginx"
        )
    if kind == 3:
        return (
            f"<4>{stamp} {host} kernel: [UFW BLOCK] IN=eth0 OUT= "
            "MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 "
            f"SRC={ip} DST=10.0.0.{rng.randrange(1, 255)} LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID={pid} DF "
            f"PROTO=TCP SPT={port} DPT={rng.choice((22, 23, 445, 3389))} WINDOW=29200 RES=0x00 SYN URGP=0"
        )
    if kind == 4:
        return f"<78>{stamp} {host} CRON[{pid}]: ({user}) CMD (/usr/local/bin/backup.sh --incremental)"
    return (
        f"<22>{stamp} {host} postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from unknown[{ip}]: "
        f"554 5.7.1 <{user}@example.com>: Relay access denied; proto=ESMTP helo=<mx.example.net>"
    )


def _rfc5424(rng: random.Random, moment: datetime) -> str:
    host = rng.choice(_HOSTS)
    stamp = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    user, ip = rng.choice(_USERS), _ip(rng)
    if rng.random() < 0.5:
        return (
            f"<134>1 {stamp} {host}.corp.example nginx {rng.randrange(100, 9999)} ACCESS "
            f'[origin ip="{ip}"][meta sequenceId="{rng.randrange(1, 10**6)}"] '
            f'{ip} - {user} "GET /api/v1/items?page={rng.randrange(50)} HTTP/1.1" '
            f"200 {rng.randrange(100, 90000)}"
        )
    return (
        f"<86>1 {stamp} {host}.corp.example sshd {rng.randrange(100, 9999)} - - "
        f"pam_unix(sshd:session): session opened for user {user} by (uid=0)"
    )


def sample_lines(count: int, seed: int = 7) -> list[str]:
    """`count` distinct-looking lines, about 60% RFC 3164 and 40% RFC 5424, a second apart."""
    rng = random.Random(seed)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=count)
    lines = []
    for index in range(count):
        moment = start + timedelta(seconds=index)
        lines.append(_rfc3164(rng, moment) if rng.random() < 0.6 else _rfc5424(rng, moment))
    return lines
