"""The host log parsers (sshd, sudo, Windows event logs) that socflow registers by default."""

from __future__ import annotations

from typing import Final

from socflow.normalize.registry import ParserSpec
from socflow.normalize.sshd import SSHD
from socflow.normalize.sudo import SUDO
from socflow.normalize.windows import EVTX, WINDOWS_JSON, WINDOWS_XML

HOST_PARSERS: Final[tuple[ParserSpec, ...]] = (SSHD, SUDO, EVTX, WINDOWS_XML, WINDOWS_JSON)
SPECS: Final = HOST_PARSERS
