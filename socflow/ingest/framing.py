"""RFC 6587 framing, incremental and pure: octet counting or newline-delimited, detected per connection."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

MAX_COUNT_DIGITS: Final = 10
_DIGITS: Final = frozenset(b"0123456789")
_TRAILER: Final = b"\r\n\x00"
_SEPARATORS: Final = b"\r\n\x00 \t"
_TRAILER_TEXT: Final = _TRAILER.decode()
_ASCII_SPACE: Final = " \t\n\r\x0b\x0c"  # what bytes.isspace() counts as space


@dataclass(frozen=True)
class FrameError:
    """Bytes that are not a message: why, the bytes (cut to the limit), and their full size."""

    reason: str
    raw: bytes
    size: int


Decoded = str | FrameError


def decode_message(raw: bytes, max_bytes: int) -> Decoded | None:
    """One message's bytes as text: None for a blank one, a FrameError when oversize or not UTF-8."""
    body = raw.rstrip(_TRAILER)
    if not body or body.isspace():  # blank (the same test as `not body.strip()`, without a copy)
        return None
    if len(body) > max_bytes:
        return FrameError(
            f"oversize message: {len(body)} bytes, the limit is {max_bytes}", body[:max_bytes], len(body)
        )
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return FrameError(f"invalid UTF-8 at byte {exc.start}", body, len(body))


def _lines(text: str) -> list[str]:
    """`decode_message` on each line of valid, short-enough text: trailers cut, blank lines dropped.

    Blank means ASCII whitespace only, as `bytes.isspace` has it (`str.isspace` knows more)."""
    cut = [line.rstrip(_TRAILER_TEXT) for line in text.split("\n")]
    return [line for line in cut if line and line.strip(_ASCII_SPACE)]


class Framing(StrEnum):
    OCTET_COUNTING = "octet-counting"
    NEWLINE = "newline"


class FrameDecoder:
    """Feed it a TCP stream's bytes as they arrive; it returns each complete message or error.

    The first byte of a connection picks the framing (a digit: octet counting, else newline). After
    an error it discards up to the next newline and detects the framing again, so a sender that
    garbles one frame loses that frame, not the connection. Memory stays within one message limit."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.framing: Framing | None = None
        self._buffer = bytearray()
        self._skip_to_newline = False
        self._discard = 0  # bytes still to drop of an oversize octet-counted frame

    def feed(self, data: bytes) -> list[Decoded]:
        self._buffer += data
        out: list[Decoded] = []
        while self._step(out):
            pass
        return out

    def finish(self) -> list[Decoded]:
        """The connection closed: a last unterminated line is a message; half an octet frame is not."""
        out: list[Decoded] = []
        rest = bytes(self._buffer)
        self._buffer.clear()
        if self._skip_to_newline or self._discard or not rest.strip(_SEPARATORS):
            return out
        if self.framing is Framing.OCTET_COUNTING:
            out.append(FrameError("connection closed inside an octet-counted frame", rest, len(rest)))
            return out
        decoded = decode_message(rest, self.max_bytes)
        if decoded is not None:
            out.append(decoded)
        return out

    def _step(self, out: list[Decoded]) -> bool:
        """Consume one frame (or one error) from the buffer; False when it needs more bytes."""
        buffer = self._buffer
        if self._discard:
            dropped = min(self._discard, len(buffer))
            del buffer[:dropped]
            self._discard -= dropped
            return bool(buffer)
        if self._skip_to_newline:
            end = buffer.find(b"\n")
            if end < 0:
                buffer.clear()
                return False
            del buffer[: end + 1]
            self._skip_to_newline = False
            self.framing = None
            return True
        if not buffer:
            return False
        if self.framing is None:
            self.framing = Framing.OCTET_COUNTING if buffer[0] in _DIGITS else Framing.NEWLINE
        if self.framing is Framing.NEWLINE:
            return self._newline_frame(out)
        return self._octet_frame(out)

    def _newline_frame(self, out: list[Decoded]) -> bool:
        buffer = self._buffer
        end = buffer.find(b"\n")
        if end < 0:
            if len(buffer) > self.max_bytes:
                raw = bytes(buffer[: self.max_bytes])
                out.append(
                    FrameError(
                        f"oversize message: over the limit of {self.max_bytes} bytes", raw, len(buffer)
                    )
                )
                buffer.clear()
                self._skip_to_newline = True
            return False
        # Every complete line at once: in newline framing a frame changes no state, so this is
        # the frame-by-frame result, with one copy and (usually) one UTF-8 decode for the lot.
        last = buffer.rfind(b"\n")
        chunk = bytes(buffer[:last])
        del buffer[: last + 1]
        if len(chunk) <= self.max_bytes:  # no line in it can be oversize
            try:
                text = chunk.decode("utf-8")  # valid as a whole exactly when every line is
            except UnicodeDecodeError:
                pass
            else:
                out.extend(_lines(text))
                return True
        for frame in chunk.split(b"\n"):
            decoded = decode_message(frame, self.max_bytes)
            if decoded is not None:
                out.append(decoded)
        return True

    def _octet_frame(self, out: list[Decoded]) -> bool:
        buffer = self._buffer
        # Tolerate separators some senders put between octet-counted frames.
        start = 0
        while start < len(buffer) and buffer[start] in _SEPARATORS:
            start += 1
        if start:
            del buffer[:start]
            if not buffer:
                return False
        space = buffer.find(b" ", 0, MAX_COUNT_DIGITS + 1)
        head = bytes(buffer[:space]) if space >= 0 else bytes(buffer[: MAX_COUNT_DIGITS + 1])
        if not all(byte in _DIGITS for byte in head) or (space < 0 and len(buffer) > MAX_COUNT_DIGITS):
            return self._garbage(out, "octet count is not 1 to 10 digits followed by a space")
        if space < 0:
            return False
        length = int(head)
        if length == 0:
            return self._garbage(out, "octet count is zero")
        if length > self.max_bytes:
            available = bytes(buffer[space + 1 : space + 1 + self.max_bytes])
            out.append(
                FrameError(
                    f"oversize message: {length} bytes, the limit is {self.max_bytes}", available, length
                )
            )
            del buffer[: space + 1]
            self._discard = length
            return True
        if len(buffer) < space + 1 + length:
            return False
        frame = bytes(buffer[space + 1 : space + 1 + length])
        del buffer[: space + 1 + length]
        decoded = decode_message(frame, self.max_bytes)
        if decoded is not None:
            out.append(decoded)
        return True

    def _garbage(self, out: list[Decoded], reason: str) -> bool:
        buffer = self._buffer
        end = buffer.find(b"\n")
        cut = len(buffer) if end < 0 else end + 1
        raw = bytes(buffer[: min(cut, self.max_bytes)])
        out.append(FrameError(f"malformed frame: {reason}", raw, cut))
        del buffer[:cut]
        if end < 0:
            self._skip_to_newline = True
            return False
        self.framing = None
        return True
