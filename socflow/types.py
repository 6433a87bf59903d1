"""Shared type aliases and id types used across layers."""

from __future__ import annotations

from typing import Any, NewType

AlertId = NewType("AlertId", str)
CaseId = NewType("CaseId", str)
TaskId = NewType("TaskId", str)
CommentId = NewType("CommentId", str)
ObservableId = NewType("ObservableId", str)
EvidenceId = NewType("EvidenceId", str)

JSONDict = dict[str, Any]
