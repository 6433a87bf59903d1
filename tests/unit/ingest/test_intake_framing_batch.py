"""Newline framing decodes all complete lines of a read at once: the same result as line by line."""

from __future__ import annotations

import random

import pytest

from socflow.ingest.framing import Decoded, FrameDecoder, FrameError, decode_message

# Pieces that exercise every branch: multi-byte and invalid UTF-8, trailers, blank and Unicode-space lines.
_PIECES = [
    b"<34>Oct 11 22:14:15 host su: ok",
    "caf\u00e9 \u2603 \U0001f600".encode(),
    b"\xff\xfe broken",
    b"\xe2\x82",  # a cut multi-byte sequence
    b"\r",
    b"\x00",
    b" ",
    b"\t",
    b"\x1c\x1d",  # str.isspace() says space, bytes.isspace() does not: a message
    "\u00a0".encode(),
    b"x" * 40,
    b"\n",
    b"\n",
    b"\r\n",
]


def _stream(rng: random.Random) -> bytes:
    return b"".join(rng.choice(_PIECES) for _ in range(rng.randrange(1, 60)))


def _decode(data: bytes, sizes: list[int], max_bytes: int) -> list[Decoded]:
    decoder = FrameDecoder(max_bytes)
    out: list[Decoded] = []
    position = 0
    for size in sizes:
        out += decoder.feed(data[position : position + size])
        position += size
    out += decoder.feed(data[position:])
    return out + decoder.finish()


def _byte_by_byte(data: bytes, max_bytes: int) -> list[Decoded]:
    """One byte per read: never more than one line at a time, so the frame-by-frame result."""
    return _decode(data, [1] * len(data), max_bytes)


@pytest.mark.parametrize("seed", range(40))
def test_whole_reads_decode_like_one_byte_reads(seed: int) -> None:
    rng = random.Random(seed)
    data = b"<13>first\n" + _stream(rng)
    max_bytes = 100_000  # reads of one byte hit the no-newline oversize rule at smaller limits

    expected = _byte_by_byte(data, max_bytes)

    assert _decode(data, [], max_bytes) == expected
    sizes = [rng.randrange(1, 50) for _ in range(len(data) // 25)]
    assert _decode(data, sizes, max_bytes) == expected


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("max_bytes", [16, 64])
def test_one_read_gives_each_line_decoded_on_its_own(seed: int, max_bytes: int) -> None:
    data = b"<13>first\n" + _stream(random.Random(seed)) + b"\n"
    frames = data[: data.rfind(b"\n")].split(b"\n")

    expected = [decoded for frame in frames if (decoded := decode_message(frame, max_bytes)) is not None]

    assert FrameDecoder(max_bytes).feed(data) == expected


def test_a_read_of_many_lines_keeps_unicode_space_and_drops_ascii_blank_lines() -> None:
    decoder = FrameDecoder(1024)

    out = decoder.feed("a\r\n \t\n\x1c\n\u00a0\nb\x00\n\ncaf\u00e9\nrest".encode())

    assert out == ["a", "\x1c", "\u00a0", "b", "caf\u00e9"]
    assert decoder.finish() == ["rest"]


def test_an_invalid_line_in_a_read_is_an_error_and_its_neighbours_are_messages() -> None:
    out = FrameDecoder(1024).feed(b"one\n\xff\ntwo\n")

    assert out[::2] == ["one", "two"]
    assert isinstance(out[1], FrameError)
    assert out[1].reason == "invalid UTF-8 at byte 0"


def test_an_oversize_line_among_short_ones_is_an_error_in_place() -> None:
    out = FrameDecoder(8).feed(b"one\n" + b"y" * 20 + b"\ntwo\n")

    assert out[::2] == ["one", "two"]
    assert isinstance(out[1], FrameError)
    assert out[1].size == 20
