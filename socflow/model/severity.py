"""OCSF-aligned severity names and the TLP/PAP sharing labels."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Severity(StrEnum):
    """OCSF severity names; `rank` follows OCSF severity_id (1 informational .. 5 critical)."""

    INFORMATIONAL = "informational"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self]


SEVERITY_RANK: Final[dict[Severity, int]] = {
    Severity.INFORMATIONAL: 1,
    Severity.LOW: 2,
    Severity.MEDIUM: 3,
    Severity.HIGH: 4,
    Severity.CRITICAL: 5,
}


class TLP(StrEnum):
    """Traffic Light Protocol 2.0: who may receive the information."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"


class PAP(StrEnum):
    """Permissible Actions Protocol: what may be done with the information."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
