"""Counting an .evtx file's records from its chunk headers (the total of the import's progress bar)."""

from __future__ import annotations

import struct
from pathlib import Path

from socflow.cli.commands_ingest import progress_amount
from socflow.ingest.evtx_count import CHUNK_BYTES, CHUNK_MAGIC, FILE_HEADER_BYTES, count_records


def _chunk(first: int, last: int, magic: bytes = CHUNK_MAGIC) -> bytes:
    head = magic + struct.pack("<QQ", first, last)
    return head + b"\x00" * (CHUNK_BYTES - len(head))


def _file(tmp_path: Path, *chunks: bytes, tail: bytes = b"") -> Path:
    path = tmp_path / "log.evtx"
    path.write_bytes(b"ElfFile\x00".ljust(FILE_HEADER_BYTES, b"\x00") + b"".join(chunks) + tail)
    return path


def test_the_chunks_declare_the_records(tmp_path: Path) -> None:
    assert count_records(_file(tmp_path, _chunk(1, 120), _chunk(121, 200))) == 200


def test_a_torn_or_foreign_chunk_counts_nothing(tmp_path: Path) -> None:
    torn = _file(tmp_path, _chunk(1, 50), _chunk(0, 0, magic=b"\x00" * 8), _chunk(9, 3), tail=b"ElfCh")
    assert count_records(torn) == 50
    assert count_records(_file(tmp_path, _chunk(1, 10**9))) is None  # more than a chunk can hold
    assert count_records(_file(tmp_path)) is None
    assert count_records(tmp_path / "missing.evtx") is None


def test_the_progress_bar_says_records_or_bytes() -> None:
    assert progress_amount(2_000, 40_076, records=True) == "2,000/40,076 records"
    assert progress_amount(2_000, None, records=True) == "2,000 records"
    assert progress_amount(1_500_000, 36_200_000, records=False) == "1.5 MB/36.2 MB"
    assert progress_amount(999, None, records=False) == "999 bytes"
