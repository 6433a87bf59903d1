"""Comments and evidence attachments on cases; evidence files are stored by their SHA-256."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select

from socflow.cases.uow import fetch, now, snapshot, unit_of_work
from socflow.errors import EvidenceAltered, Issue, NotFound, PayloadTooLarge, ValidationFailed
from socflow.model.ids import new_id
from socflow.storage.db import Database
from socflow.storage.tables import CaseRow, CommentRow, EvidenceRow

MAX_COMMENT = 100_000
_CHUNK = 1 << 16


class NoteService:
    def __init__(self, database: Database, evidence_dir: Path) -> None:
        self.database = database
        self.evidence_dir = evidence_dir

    def comment(self, actor: str, case_id: str, body: str) -> CommentRow:
        if not body.strip() or len(body) > MAX_COMMENT:
            raise ValidationFailed(
                f"body must be 1 to {MAX_COMMENT} characters",
                issues=[Issue("body", f"1 to {MAX_COMMENT} characters")],
            )
        with unit_of_work(self.database, actor) as work:
            work.get(CaseRow, case_id, "case")
            row = CommentRow(
                id=new_id("comment"), case_id=case_id, author=work.actor, body=body, created_at=now()
            )
            work.session.add(row)
            work.record("comment", row.id, "created", after=snapshot(row, ("case_id", "author", "body")))
            return row

    def comments(self, case_id: str) -> list[CommentRow]:
        with self.database.session(write=False) as session:
            fetch(session, CaseRow, case_id, "case")
            stmt = (
                select(CommentRow)
                .where(CommentRow.case_id == case_id)
                .order_by(CommentRow.created_at, CommentRow.id)
            )
            return list(session.execute(stmt).scalars())

    def _store(self, chunks: Iterable[bytes], max_bytes: int) -> tuple[str, int]:
        """Write the stream to a temporary file while hashing it, then move it to its content address."""
        self.evidence_dir.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, temp_name = tempfile.mkstemp(dir=self.evidence_dir, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise PayloadTooLarge(f"evidence file is larger than the limit of {max_bytes} bytes")
                    digest.update(chunk)
                    handle.write(chunk)
            sha256 = digest.hexdigest()
            target = self.path_for(sha256)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp_name, target)
            return sha256, size
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def path_for(self, sha256: str) -> Path:
        return self.evidence_dir / sha256[:2] / sha256

    def add_evidence(
        self,
        actor: str,
        case_id: str,
        *,
        filename: str,
        content_type: str,
        chunks: Iterable[bytes],
        max_bytes: int,
        description: str = "",
    ) -> EvidenceRow:
        name = Path(filename.replace("\\", "/")).name
        if not name or len(name) > 500:
            raise ValidationFailed(
                "filename must be 1 to 500 characters", issues=[Issue("filename", "invalid")]
            )
        if len(content_type) > 200:  # the column's size; PostgreSQL would refuse it only at insert
            raise ValidationFailed(
                "content_type must be at most 200 characters", issues=[Issue("content_type", "too long")]
            )
        with self.database.session(write=False) as session:
            fetch(session, CaseRow, case_id, "case")
        sha256, size = self._store(chunks, max_bytes)
        with unit_of_work(self.database, actor) as work:
            work.get(CaseRow, case_id, "case")
            row = EvidenceRow(
                id=new_id("evidence"),
                case_id=case_id,
                filename=name,
                content_type=content_type or "application/octet-stream",
                sha256=sha256,
                size=size,
                description=description,
                added_by=work.actor,
                added_at=now(),
            )
            work.session.add(row)
            work.record(
                "evidence",
                row.id,
                "added",
                after=snapshot(row, ("case_id", "filename", "sha256", "size", "added_by")),
            )
            return row

    def evidence(self, case_id: str) -> list[EvidenceRow]:
        with self.database.session(write=False) as session:
            fetch(session, CaseRow, case_id, "case")
            stmt = select(EvidenceRow).where(EvidenceRow.case_id == case_id).order_by(EvidenceRow.added_at)
            return list(session.execute(stmt).scalars())

    def evidence_file(self, evidence_id: str) -> tuple[EvidenceRow, Path]:
        """The evidence row and its file, after checking the file still has the recorded hash."""
        with self.database.session(write=False) as session:
            row: EvidenceRow = fetch(session, EvidenceRow, evidence_id, "evidence")
        path = self.path_for(row.sha256)
        if not path.is_file():
            raise NotFound(f"the file of evidence {evidence_id!r} is missing from the evidence store")
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        if digest.hexdigest() != row.sha256 or path.stat().st_size != row.size:
            # Chain of custody: never hand out bytes that differ from what was recorded.
            raise EvidenceAltered(
                f"the stored file of evidence {evidence_id!r} no longer matches its recorded SHA-256",
                details={"evidence_id": evidence_id, "sha256": row.sha256},
            )
        return row, path
