"""Server-sent events: a pure decoder, bytes in and events out, as the WHATWG spec says.

It knows nothing of HTTP or of any API: `AsyncStream` (``_streaming.py``) feeds it the body
and gives the events meaning.

The decoder is linear: each byte is searched for a line end once, when its piece arrives;
only the unfinished last line of a piece is kept (in a ``bytearray``, appended to, never
re-joined), and a piece is decoded from UTF-8 once, line ends included (a ``\\n`` byte never
occurs inside a multi-byte character, so splitting bytes on it is safe). A line longer than
``max_line_bytes``, or an event whose data is larger than ``max_event_bytes``, raises
`SSELimitError` as soon as it is known, before it is buffered any further.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "DEFAULT_MAX_EVENT_BYTES",
    "DEFAULT_MAX_LINE_BYTES",
    "SSEDecoder",
    "SSELimitError",
    "ServerSentEvent",
]

DEFAULT_MAX_LINE_BYTES: Final = 4 * 1024 * 1024
"""The longest line of an event stream (4 MiB) a decoder accepts by default."""

DEFAULT_MAX_EVENT_BYTES: Final = 8 * 1024 * 1024
"""The most data one event (its joined ``data:`` lines, 8 MiB) may carry by default."""

_BOM: Final = b"\xef\xbb\xbf"
_new = object.__new__


@dataclass(frozen=True)
class ServerSentEvent:
    """One event of an SSE stream: its ``event`` name, joined ``data`` lines, ``id``, ``retry``."""

    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None


class SSELimitError(ValueError):
    """A line or an event of the stream is larger than the decoder's limit.

    Attributes:
        what: ``"line"`` or ``"event"``.
        limit: the limit, in bytes (characters for an event's data).
    """

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(f"An SSE {what} is larger than the limit of {limit} bytes.")
        self.what = what
        self.limit = limit


class SSEDecoder:
    """Decodes SSE from bytes, as the WHATWG spec says; pure, so it is tested without HTTP.

    Bytes may be split anywhere, even inside a multi-byte character or between ``\\r`` and
    ``\\n``. Feed each piece to `feed` and call `flush` at the end of the body.

    Args:
        max_line_bytes: the longest line accepted; a longer one raises `SSELimitError`.
        max_event_bytes: the most data one event may carry; more raises `SSELimitError`.

    Attributes:
        bytes_scanned: how many bytes were searched for line ends (each byte once).
    """

    __slots__ = (
        "_after_cr",
        "_buffer",
        "_data",
        "_data_size",
        "_event",
        "_first",
        "_id",
        "_retry",
        "bytes_scanned",
        "max_event_bytes",
        "max_line_bytes",
    )

    def __init__(
        self,
        *,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        self.max_line_bytes = max_line_bytes
        self.max_event_bytes = max_event_bytes
        self.bytes_scanned = 0
        self._buffer = bytearray()  # the unfinished last line
        self._data: list[str] = []
        self._data_size = 0
        self._event: str | None = None
        self._id: str | None = None
        self._retry: int | None = None
        self._first = True
        self._after_cr = False

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode a piece of the body; return the events it completed."""
        if self._first:
            chunk = self._strip_bom(chunk)
        if not chunk:
            return []
        if self._after_cr:
            # The last piece ended with "\r", already taken as a line end: a "\n" that
            # follows belongs to it.
            self._after_cr = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
                if not chunk:
                    return []
        self.bytes_scanned += len(chunk)
        if b"\r" in chunk:
            self._after_cr = chunk[-1:] == b"\r"
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        buffer = self._buffer
        if (
            chunk.find(b"\n") == len(chunk) - 2
            and chunk[-1] == 10  # "\n"
            and not buffer
            and not self._data
            and chunk.startswith(b"data:")
        ):
            return self._one_data_line(chunk)
        end = chunk.rfind(b"\n")
        if end < 0:
            if len(buffer) + len(chunk) > self.max_line_bytes:
                raise SSELimitError("line", self.max_line_bytes)
            buffer += chunk
            return []
        rest = len(chunk) - end - 1
        if rest > self.max_line_bytes:
            raise SSELimitError("line", self.max_line_bytes)
        if buffer:
            if len(buffer) + chunk.find(b"\n") > self.max_line_bytes:
                raise SSELimitError("line", self.max_line_bytes)
            buffer += chunk[:end]
            text = buffer.decode("utf-8", "replace")
            buffer.clear()
        else:
            text = chunk[:end].decode("utf-8", "replace")
        if rest:
            buffer += chunk[end + 1 :]
        return self._lines(text.split("\n"))

    def _one_data_line(self, chunk: bytes) -> list[ServerSentEvent]:
        # The usual piece of a stream: one whole event of one data line, "data: ...\n\n".
        if len(chunk) - 2 > self.max_line_bytes:
            raise SSELimitError("line", self.max_line_bytes)
        data = chunk[6:-2] if chunk[5:6] == b" " else chunk[5:-2]
        if len(data) >= self.max_event_bytes:
            raise SSELimitError("event", self.max_event_bytes)
        event = _new(ServerSentEvent)
        event.__dict__.update(
            data=data.decode("utf-8", "replace"), event=self._event, id=self._id, retry=self._retry
        )
        self._event = None
        self._retry = None
        return [event]

    def flush(self) -> list[ServerSentEvent]:
        """End of body: return any event still pending (even without its blank line)."""
        lines = [self._buffer.decode("utf-8", "replace")] if self._buffer else []
        self._buffer.clear()
        events = self._lines(lines)
        self._dispatch(events)
        return events

    def _strip_bom(self, chunk: bytes) -> bytes:
        # The BOM may itself be split across pieces: wait for its three bytes.
        head = bytes(self._buffer) + chunk
        if len(head) < len(_BOM) and _BOM.startswith(head):
            self._buffer[:] = head
            return b""
        self._first = False
        self._buffer.clear()
        return head[len(_BOM) :] if head.startswith(_BOM) else head

    def _lines(self, lines: list[str]) -> list[ServerSentEvent]:
        events: list[ServerSentEvent] = []
        data = self._data
        max_line = self.max_line_bytes
        for line in lines:
            if line.startswith("data:"):
                if len(line) > max_line:
                    raise SSELimitError("line", max_line)
                value = line[6:] if line[5:6] == " " else line[5:]
                self._data_size += len(value) + 1
                if self._data_size > self.max_event_bytes:
                    raise SSELimitError("event", self.max_event_bytes)
                data.append(value)
            elif not line:
                if data:
                    self._dispatch(events)
                    data = self._data
                else:
                    self._event = None
                    self._retry = None
            elif len(line) > max_line:
                raise SSELimitError("line", max_line)
            else:
                self._field(line)
        return events

    def _field(self, line: str) -> None:
        if line.startswith(":"):
            return
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":  # "data" without a colon
            self._data_size += len(value) + 1
            if self._data_size > self.max_event_bytes:
                raise SSELimitError("event", self.max_event_bytes)
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)

    def _dispatch(self, events: list[ServerSentEvent]) -> None:
        if self._data:
            # A frozen dataclass's __init__ costs a call per field; an event per chunk makes
            # that a third of the decoder's time, so its fields are set in one step.
            event = _new(ServerSentEvent)
            event.__dict__.update(
                data=self._data[0] if len(self._data) == 1 else "\n".join(self._data),
                event=self._event,
                id=self._id,
                retry=self._retry,
            )
            events.append(event)
            self._data = []
            self._data_size = 0
        self._event = None
        self._retry = None
