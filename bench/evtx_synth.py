"""A large .evtx file for the bulk-import benchmark, built from the corpus's small samples.

The corpus holds only small .evtx files (one 64 KiB chunk, 1-7 records each), which measure the
cost of opening a file more than the cost of a record. A chunk is self-contained (its own string
and template tables), and a record after the first one in a chunk refers to the names and
templates the first record defined by their offset in the chunk. Such a record can therefore be
repeated further down the same chunk: the copy reads the same. This module fills each
multi-record sample chunk with copies of its later records (new record numbers), fixes the chunk
header and its two CRC32s, repeats the chunks, and writes a file header with the chunk count.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Final

FILE_HEADER: Final = 4096
CHUNK: Final = 65536
CHUNK_HEADER: Final = 512
RECORD_MAGIC: Final = 0x2A2A
MAX_CHUNKS: Final = 0xFFFF  # the file header counts chunks in 16 bits


def _records(chunk: bytes) -> list[bytes]:
    free = struct.unpack_from("<I", chunk, 48)[0]
    offset, found = CHUNK_HEADER, []
    while offset < free:
        magic, size = struct.unpack_from("<II", chunk, offset)
        if magic != RECORD_MAGIC or size == 0:
            break
        found.append(chunk[offset : offset + size])
        offset += size
    return found


def _filled_chunk(chunk: bytes, first_id: int) -> tuple[bytes, int]:
    """The chunk with its later records repeated until it is full; (chunk, records in it)."""
    records = _records(chunk)
    repeatable = records[1:]
    body = bytearray()
    offsets: list[int] = []
    record_id = first_id
    order = iter(records[:1])
    index = 0
    while True:
        record = next(order, None)
        if record is None:
            record = repeatable[index % len(repeatable)]
            index += 1
        if CHUNK_HEADER + len(body) + len(record) > CHUNK:
            break
        copy = bytearray(record)
        struct.pack_into("<Q", copy, 8, record_id)
        offsets.append(CHUNK_HEADER + len(body))
        body += copy
        record_id += 1
    filled = bytearray(chunk[:CHUNK_HEADER]) + body + bytes(CHUNK - CHUNK_HEADER - len(body))
    last = record_id - 1
    struct.pack_into("<QQQQ", filled, 8, first_id, last, first_id, last)
    struct.pack_into("<II", filled, 44, offsets[-1], CHUNK_HEADER + len(body))
    struct.pack_into("<I", filled, 52, zlib.crc32(filled[CHUNK_HEADER : CHUNK_HEADER + len(body)]))
    struct.pack_into("<I", filled, 124, zlib.crc32(bytes(filled[:120]) + bytes(filled[128:CHUNK_HEADER])))
    return bytes(filled), len(offsets)


def multi_record_chunks(samples: list[Path]) -> list[tuple[bytes, bytes]]:
    """(file header, first chunk) of every sample whose first chunk holds two records or more."""
    found = []
    for path in samples:
        data = path.read_bytes()
        chunk = data[FILE_HEADER : FILE_HEADER + CHUNK]
        if len(chunk) == CHUNK and len(_records(chunk)) >= 2:
            found.append((data[:FILE_HEADER], chunk))
    return found


def build(samples: list[Path], records: int, target: Path) -> int:
    """Write an .evtx file of at least `records` records to `target`; the number written."""
    sources = multi_record_chunks(samples)
    if not sources:
        raise ValueError("no sample .evtx file has a chunk with two records or more")
    written, chunks = 0, 0
    header = bytearray(sources[0][0])
    with target.open("wb") as out:
        out.write(bytes(FILE_HEADER))
        while written < records and chunks < MAX_CHUNKS:
            _, chunk = sources[chunks % len(sources)]
            filled, count = _filled_chunk(chunk, written + 1)
            out.write(filled)
            written += count
            chunks += 1
        struct.pack_into("<QQQ", header, 8, 0, chunks - 1, written + 1)
        struct.pack_into("<H", header, 42, chunks)
        struct.pack_into("<I", header, 120, 0)  # flags: clean
        struct.pack_into("<I", header, 124, zlib.crc32(bytes(header[:120])))
        out.seek(0)
        out.write(bytes(header))
    return written
