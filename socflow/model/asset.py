"""Asset inventory values: how critical a host is, and the kinds of address it holds."""

from __future__ import annotations

from enum import StrEnum


class Criticality(StrEnum):
    """How much the business depends on the asset; drives triage priority and guardrails."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class AddressKind(StrEnum):
    IP = "ip"
    MAC = "mac"
