"""RFC 6587 framing: both framings, frames split across reads, oversize, garbage and invalid UTF-8."""

from __future__ import annotations

from socflow.ingest.framing import FrameDecoder, FrameError, Framing, decode_message

LIMIT = 64


def _octet(text: str) -> bytes:
    body = text.encode()
    return str(len(body)).encode() + b" " + body


def test_decoder_newline_framing_yields_each_line() -> None:
    decoder = FrameDecoder(LIMIT)

    out = decoder.feed(b"<13>one\n<13>two\r\n\n<13>three\n")

    assert out == ["<13>one", "<13>two", "<13>three"]
    assert decoder.framing is Framing.NEWLINE


def test_decoder_octet_counting_is_detected_from_a_leading_digit() -> None:
    decoder = FrameDecoder(LIMIT)

    out = decoder.feed(_octet("<13>one line\nwith newline") + _octet("<13>two"))

    assert out == ["<13>one line\nwith newline", "<13>two"]
    assert decoder.framing is Framing.OCTET_COUNTING


def test_decoder_octet_frames_split_across_reads_are_joined() -> None:
    decoder = FrameDecoder(LIMIT)
    stream = _octet("<13>alpha") + _octet("<13>beta")
    out: list[object] = []

    for index in range(len(stream)):
        out.extend(decoder.feed(stream[index : index + 1]))

    assert out == ["<13>alpha", "<13>beta"]


def test_decoder_newline_frames_split_across_reads_are_joined() -> None:
    decoder = FrameDecoder(LIMIT)

    first = decoder.feed(b"<13>hel")
    second = decoder.feed(b"lo\n<13>wor")
    third = decoder.finish()

    assert (first, second) == ([], ["<13>hello"])
    assert third == ["<13>wor"]  # a last line without a newline is still a message


def test_decoder_octet_frame_cut_by_close_is_an_error() -> None:
    decoder = FrameDecoder(LIMIT)
    decoder.feed(b"20 <13>short")

    out = decoder.finish()

    assert len(out) == 1
    assert isinstance(out[0], FrameError)
    assert "closed inside" in out[0].reason


def test_decoder_oversize_newline_message_is_an_error_and_the_next_line_survives() -> None:
    decoder = FrameDecoder(LIMIT)

    out = decoder.feed(b"x" * 100) + decoder.feed(b"y" * 100 + b"\n<13>after\n")

    assert isinstance(out[0], FrameError)
    assert "oversize" in out[0].reason
    assert len(out[0].raw) == LIMIT
    assert out[1:] == ["<13>after"]


def test_decoder_oversize_octet_frame_is_skipped_by_its_count() -> None:
    decoder = FrameDecoder(LIMIT)
    big = _octet("z" * 200)

    out = decoder.feed(big[:50]) + decoder.feed(big[50:] + _octet("<13>next"))

    assert isinstance(out[0], FrameError)
    assert "200 bytes" in out[0].reason
    assert out[0].size == 200
    assert out[1:] == ["<13>next"]


def test_decoder_garbage_count_is_dead_lettered_and_decoding_resumes_after_newline() -> None:
    decoder = FrameDecoder(LIMIT)

    out = decoder.feed(b"12x4 junk junk\n<13>fine\n")

    assert isinstance(out[0], FrameError)
    assert "malformed frame" in out[0].reason
    assert out[0].raw == b"12x4 junk junk\n"
    assert out[1:] == ["<13>fine"]


def test_decoder_long_digit_run_without_space_is_garbage() -> None:
    decoder = FrameDecoder(LIMIT)

    out = decoder.feed(b"123456789012345")
    later = decoder.feed(b"more\n<13>ok\n")

    assert isinstance(out[0], FrameError)
    assert later == ["<13>ok"]


def test_decoder_zero_count_is_garbage() -> None:
    decoder = FrameDecoder(LIMIT)

    out = decoder.feed(b"0 \n")

    assert isinstance(out[0], FrameError)
    assert "zero" in out[0].reason


def test_decoder_invalid_utf8_is_an_error_naming_the_byte() -> None:
    decoder = FrameDecoder(LIMIT)

    out = decoder.feed(b"<13>ok\n<13>bad \xff\xfe here\n<13>ok again\n")

    assert out[0] == "<13>ok"
    assert isinstance(out[1], FrameError)
    assert out[1].reason == "invalid UTF-8 at byte 8"
    assert out[2] == "<13>ok again"


def test_decoder_tolerates_newlines_between_octet_frames() -> None:
    decoder = FrameDecoder(LIMIT)

    out = decoder.feed(_octet("<13>a") + b"\n" + _octet("<13>b") + b"\r\n")

    assert out == ["<13>a", "<13>b"]
    assert decoder.finish() == []


def test_decode_message_blank_is_none_and_trailer_is_stripped() -> None:
    assert decode_message(b"\r\n\x00", LIMIT) is None
    assert decode_message(b"<13>x\r\n\x00", LIMIT) == "<13>x"
    oversize = decode_message(b"a" * (LIMIT + 1), LIMIT)
    assert isinstance(oversize, FrameError)
    assert oversize.size == LIMIT + 1
