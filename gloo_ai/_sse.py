"""Server-sent events: a pure decoder, bytes in and events out, as the WHATWG spec says.

It knows nothing of HTTP or of any API: `AsyncStream` (``_streaming.py``) feeds it the body
and gives the events meaning.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

__all__ = ["SSEDecoder", "ServerSentEvent"]


@dataclass(frozen=True)
class ServerSentEvent:
    """One event of an SSE stream: its ``event`` name, joined ``data`` lines, ``id``, ``retry``."""

    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Decodes SSE from bytes, as the WHATWG spec says; pure, so it is tested without HTTP.

    Bytes may be split anywhere, even inside a multi-byte character or between ``\\r`` and
    ``\\n``. Feed each piece to `feed` and call `flush` at the end of the body.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None
        self._retry: int | None = None
        self._first = True
        self._after_cr = False

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode a piece of the body; return the events it completed."""
        return self._lines(self._decoder.decode(chunk))

    def flush(self) -> list[ServerSentEvent]:
        """End of body: return any event still pending (even without its blank line)."""
        events = self._lines(self._decoder.decode(b"", final=True))
        if self._buffer:
            self._line(self._buffer, events)
            self._buffer = ""
        self._dispatch(events)
        return events

    def _lines(self, text: str) -> list[ServerSentEvent]:
        if self._first and text:
            self._first = False
            if text.startswith("\ufeff"):
                text = text[1:]
        if self._after_cr and text:
            # The last piece ended with "\r", already taken as a line end: a "\n" that
            # follows belongs to it.
            if text.startswith("\n"):
                text = text[1:]
            self._after_cr = False
        if not text:
            return []
        buffer = self._buffer + text
        if "\r" in buffer:
            self._after_cr = buffer.endswith("\r")
            buffer = buffer.replace("\r\n", "\n").replace("\r", "\n")
        lines = buffer.split("\n")
        self._buffer = lines.pop()
        events: list[ServerSentEvent] = []
        for line in lines:
            self._line(line, events)
        return events

    def _line(self, line: str, events: list[ServerSentEvent]) -> None:
        if not line:
            self._dispatch(events)
            return
        if line.startswith(":"):
            return
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
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
            events.append(
                ServerSentEvent(
                    data="\n".join(self._data), event=self._event, id=self._id, retry=self._retry
                )
            )
        self._data = []
        self._event = None
        self._retry = None
