"""Comments on cases, and evidence files stored once by their SHA-256 with the size recorded."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from socflow.cases.case_service import CaseInput
from socflow.cases.notes import MAX_COMMENT
from socflow.cases.tracker import Tracker
from socflow.errors import EvidenceAltered, NotFound, PayloadTooLarge, ValidationFailed
from socflow.storage import audit


@pytest.fixture
def case_id(tracker: Tracker) -> str:
    return tracker.cases.create("alice", CaseInput(title="Data exfiltration")).id


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def test_comment_is_stored_with_its_author_and_audited(tracker: Tracker, case_id: str) -> None:
    comment = tracker.notes.comment(" bob ", case_id, "Firewall logs show 4 GB to 203.0.113.50")

    assert comment.id.startswith("comment_")
    assert (comment.author, comment.case_id) == ("bob", case_id)
    with tracker.database.session(write=False) as session:
        [entry] = audit.entries_for(session, "comment", comment.id)
    assert (entry.action, entry.actor) == ("created", "bob")
    assert json.loads(entry.after) == {
        "case_id": case_id,
        "author": "bob",
        "body": "Firewall logs show 4 GB to 203.0.113.50",
    }


def test_comments_are_listed_oldest_first(tracker: Tracker, case_id: str) -> None:
    for body in ("first", "second", "third"):
        tracker.notes.comment("bob", case_id, body)

    assert [c.body for c in tracker.notes.comments(case_id)] == ["first", "second", "third"]


@pytest.mark.parametrize("body", ["", "  \n", "x" * (MAX_COMMENT + 1)])
def test_comment_refuses_an_empty_or_oversized_body(tracker: Tracker, case_id: str, body: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        tracker.notes.comment("bob", case_id, body)

    assert caught.value.issues[0].path == "body"
    assert tracker.notes.comments(case_id) == []


def test_comment_on_an_unknown_case_is_not_found(tracker: Tracker) -> None:
    with pytest.raises(NotFound):
        tracker.notes.comment("bob", "case_nope", "hello")
    with pytest.raises(NotFound):
        tracker.notes.comments("case_nope")


def test_evidence_is_stored_by_sha256_with_its_size(tracker: Tracker, case_id: str) -> None:
    chunks = [b"GET /exfil HTTP/1.1\r\n", b"Host: evil.example\r\n\r\n"]
    content = b"".join(chunks)

    row = tracker.notes.add_evidence(
        "bob",
        case_id,
        filename="capture.pcap",
        content_type="",
        chunks=chunks,
        max_bytes=1024,
        description="pcap",
    )

    digest = hashlib.sha256(content).hexdigest()
    assert (row.sha256, row.size, row.filename) == (digest, len(content), "capture.pcap")
    assert (row.content_type, row.added_by, row.description) == ("application/octet-stream", "bob", "pcap")
    stored, path = tracker.notes.evidence_file(row.id)
    assert stored.id == row.id
    assert path == tracker.notes.evidence_dir / digest[:2] / digest
    assert path.read_bytes() == content
    with tracker.database.session(write=False) as session:
        [entry] = audit.entries_for(session, "evidence", row.id)
    assert json.loads(entry.after) == {
        "case_id": case_id,
        "filename": "capture.pcap",
        "sha256": digest,
        "size": len(content),
        "added_by": "bob",
    }


def test_evidence_with_the_same_bytes_twice_shares_one_file(tracker: Tracker, case_id: str) -> None:
    first = tracker.notes.add_evidence(
        "bob", case_id, filename="a.txt", content_type="text/plain", chunks=[b"same"], max_bytes=1024
    )
    second = tracker.notes.add_evidence(
        "carol", case_id, filename="b.txt", content_type="text/plain", chunks=[b"sa", b"me"], max_bytes=1024
    )

    assert first.id != second.id
    assert tracker.notes.evidence_file(first.id)[1] == tracker.notes.evidence_file(second.id)[1]
    assert len(_files(tracker.notes.evidence_dir)) == 1
    assert [e.filename for e in tracker.notes.evidence(case_id)] == ["a.txt", "b.txt"]


@pytest.mark.parametrize(
    ("filename", "stored_as"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\bob\\report.docx", "report.docx"),
        ("mail.eml", "mail.eml"),
    ],
)
def test_evidence_keeps_only_the_base_name_of_the_file(
    tracker: Tracker, case_id: str, filename: str, stored_as: str
) -> None:
    row = tracker.notes.add_evidence(
        "bob", case_id, filename=filename, content_type="text/plain", chunks=[b"x"], max_bytes=1024
    )

    assert row.filename == stored_as


@pytest.mark.parametrize("filename", ["", "/", "n" * 501])
def test_evidence_refuses_a_missing_or_long_filename(tracker: Tracker, case_id: str, filename: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        tracker.notes.add_evidence(
            "bob", case_id, filename=filename, content_type="text/plain", chunks=[b"x"], max_bytes=1024
        )

    assert caught.value.issues[0].path == "filename"


def test_evidence_refuses_a_content_type_longer_than_its_column(tracker: Tracker, case_id: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        tracker.notes.add_evidence(
            "bob", case_id, filename="a.txt", content_type="text/" + "x" * 200, chunks=[b"x"], max_bytes=1024
        )

    assert caught.value.issues[0].path == "content_type"
    assert _files(tracker.notes.evidence_dir) == []


def test_evidence_over_the_limit_is_refused_leaving_no_row_and_no_file(
    tracker: Tracker, case_id: str
) -> None:
    read: list[int] = []

    def stream() -> Iterator[bytes]:
        for index in range(10):
            read.append(index)
            yield b"x" * 400

    with pytest.raises(PayloadTooLarge, match="larger than the limit of 1024 bytes"):
        tracker.notes.add_evidence(
            "bob", case_id, filename="big.bin", content_type="", chunks=stream(), max_bytes=1024
        )

    assert read == [0, 1, 2]  # it stops reading at the chunk that crosses the limit
    assert tracker.notes.evidence(case_id) == []
    assert _files(tracker.notes.evidence_dir) == []


def test_evidence_exactly_at_the_limit_is_accepted(tracker: Tracker, case_id: str) -> None:
    row = tracker.notes.add_evidence(
        "bob", case_id, filename="edge.bin", content_type="", chunks=[b"x" * 1024], max_bytes=1024
    )

    assert row.size == 1024


def test_evidence_for_an_unknown_case_stores_nothing(tracker: Tracker) -> None:
    with pytest.raises(NotFound):
        tracker.notes.add_evidence(
            "bob", "case_nope", filename="a.txt", content_type="", chunks=[b"x"], max_bytes=1024
        )

    assert _files(tracker.notes.evidence_dir) == []


def test_evidence_file_missing_from_the_store_is_not_found(tracker: Tracker, case_id: str) -> None:
    row = tracker.notes.add_evidence(
        "bob", case_id, filename="a.txt", content_type="", chunks=[b"gone"], max_bytes=1024
    )
    tracker.notes.path_for(row.sha256).unlink()

    with pytest.raises(NotFound, match="missing from the evidence store"):
        tracker.notes.evidence_file(row.id)


def test_evidence_unknown_id_is_not_found(tracker: Tracker) -> None:
    with pytest.raises(NotFound):
        tracker.notes.evidence_file("evidence_nope")


def test_evidence_file_altered_in_the_store_is_refused(tracker: Tracker, case_id: str) -> None:
    row = tracker.notes.add_evidence(
        "bob",
        case_id,
        filename="mail.eml",
        content_type="message/rfc822",
        chunks=[b"original"],
        max_bytes=1024,
    )
    tracker.notes.path_for(row.sha256).write_bytes(b"tampered")

    with pytest.raises(EvidenceAltered, match="no longer matches its recorded SHA-256"):
        tracker.notes.evidence_file(row.id)


def test_evidence_file_intact_is_returned_with_its_path(tracker: Tracker, case_id: str) -> None:
    row = tracker.notes.add_evidence(
        "bob",
        case_id,
        filename="mail.eml",
        content_type="message/rfc822",
        chunks=[b"original"],
        max_bytes=1024,
    )

    stored, path = tracker.notes.evidence_file(row.id)

    assert stored.id == row.id
    assert path.read_bytes() == b"original"
