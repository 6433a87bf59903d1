"""How many records an .evtx file holds, from its chunk headers: the total of an import's progress bar.

An .evtx file is a 4 KiB file header and then chunks of 64 KiB; each chunk header names the
numbers of its first and last record (Microsoft's MS-EVEN6 layout, as the `evtx` package reads it).
Reading those 16 bytes per chunk counts the records of a large file in milliseconds, without
parsing one. A chunk whose header is not there (a torn or partly written file) counts nothing,
and the count is then a lower bound; the importer never relies on it beyond showing progress."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Final

FILE_HEADER_BYTES: Final = 4096
CHUNK_BYTES: Final = 65536
CHUNK_MAGIC: Final = b"ElfChnk\x00"
_RECORD_NUMBERS: Final = struct.Struct("<8sQQ")  # magic, first and last record number


def count_records(path: Path) -> int | None:
    """The records the file's chunks declare; None when it cannot be read or declares none."""
    total = 0
    try:
        with path.open("rb") as handle:
            offset = FILE_HEADER_BYTES
            while True:
                handle.seek(offset)
                head = handle.read(_RECORD_NUMBERS.size)
                if len(head) < _RECORD_NUMBERS.size:
                    break
                magic, first, last = _RECORD_NUMBERS.unpack(head)
                if magic == CHUNK_MAGIC and first <= last and last - first < CHUNK_BYTES:
                    total += last - first + 1
                offset += CHUNK_BYTES
    except OSError:
        return None
    return total or None
