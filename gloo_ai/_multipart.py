"""Multipart form data, streamed: files are read in chunks as the body is sent, never whole.

A file is given as a path (opened anew for each attempt, so a retry re-sends all of it), as
bytes, or as a binary file object. A seekable file object is sent from the position it had
when the call was made, again on each attempt; a one-shot stream (a pipe, a socket, a
generator's reader) cannot be rewound, so a call that sends one is not retried once its body
has started to go out.
"""

from __future__ import annotations

import io
import mimetypes
import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeAlias, Union, cast

import anyio.to_thread

from ._exceptions import InvalidArgumentError

__all__ = ["FileContent", "FileInput", "MultipartBody", "ProgressCallback"]

FileContent: TypeAlias = Union[str, "os.PathLike[str]", bytes, IO[bytes]]
"""A file's content: a path, the bytes themselves, or a binary file object."""

FileInput: TypeAlias = FileContent | tuple[str, FileContent] | tuple[str, FileContent, str]
"""A file: its content, or ``(filename, content)``, or ``(filename, content, content_type)``."""

ProgressCallback: TypeAlias = Callable[[int, "int | None"], object]
"""Called as the body goes out with ``(bytes_sent, total_bytes)``; total is None if unknown."""

CHUNK_SIZE = 256 * 1024


@dataclass(frozen=True)
class _FilePart:
    field: str
    filename: str
    content_type: str
    source: str | bytes | IO[bytes]  # a path (str), bytes, or a file object
    size: int | None
    start: int | None  # a seekable file object's position; None when it cannot be rewound

    @property
    def replayable(self) -> bool:
        return self.start is not None  # paths and bytes start at 0

    def header(self, boundary: str) -> bytes:
        return (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{_quote(self.field)}"; '
            f'filename="{_quote(self.filename)}"\r\n'
            f"Content-Type: {self.content_type}\r\n\r\n"
        ).encode()


class MultipartBody:
    """A ``multipart/form-data`` body: form fields and files, encoded as it is sent.

    Args:
        fields: form fields, ``{name: value}`` or ``(name, value)`` pairs (a name may repeat).
        files: ``(field_name, file)`` pairs; a field name may repeat (``files`` for Gloo's
            ingestion). Each file is a `FileInput`.
        on_progress: called with ``(bytes_sent, total_bytes)`` as each chunk is handed to the
            connection.

    Raises:
        InvalidArgumentError: a path that is not a readable file, a file object opened in text
            mode, or a value of another type; nothing is sent.
    """

    def __init__(
        self,
        *,
        fields: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        files: Iterable[tuple[str, FileInput]] = (),
        on_progress: ProgressCallback | None = None,
    ) -> None:
        items = fields.items() if isinstance(fields, Mapping) else fields
        self.fields = [(str(name), _field_value(name, value)) for name, value in items]
        self.files = [_file_part(field, file) for field, file in files]
        self.on_progress = on_progress
        self.boundary = secrets.token_hex(16)
        self._field_bytes = b"".join(
            (
                f"--{self.boundary}\r\n"
                f'Content-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'
            ).encode()
            + value.encode()
            + b"\r\n"
            for name, value in self.fields
        )
        self._attempts = 0

    def __repr__(self) -> str:
        names = ", ".join(repr(part.filename) for part in self.files)
        return f"MultipartBody(fields={[n for n, _ in self.fields]!r}, files=[{names}])"

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header, with the boundary."""
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def replayable(self) -> bool:
        """Whether the body can be sent again (no one-shot stream among the files)."""
        return all(part.replayable for part in self.files)

    @property
    def content_length(self) -> int | None:
        """The body's length in bytes, or None when a file's size is unknown (then chunked)."""
        total = len(self._field_bytes) + len(self._closing)
        for part in self.files:
            if part.size is None:
                return None
            total += len(part.header(self.boundary)) + part.size + 2
        return total

    @property
    def _closing(self) -> bytes:
        return f"--{self.boundary}--\r\n".encode()

    def headers(self) -> dict[str, str]:
        """The headers that describe the body."""
        headers = {"Content-Type": self.content_type}
        length = self.content_length
        if length is not None:
            headers["Content-Length"] = str(length)
        return headers

    async def stream(self) -> AsyncIterator[bytes]:
        """The body of one attempt, in chunks; each call starts again from the beginning."""
        self._attempts += 1
        if self._attempts > 1 and not self.replayable:
            raise InvalidArgumentError(
                "This upload reads a file object that cannot be rewound, so it cannot be sent "
                "again; pass a path, bytes or a seekable file to allow retries."
            )
        total = self.content_length
        sent = 0

        def progressed(chunk: bytes) -> bytes:
            nonlocal sent
            sent += len(chunk)
            if self.on_progress is not None:
                self.on_progress(sent, total)
            return chunk

        if self._field_bytes:
            yield progressed(self._field_bytes)
        for part in self.files:
            yield progressed(part.header(self.boundary))
            async for chunk in _read(part):
                yield progressed(chunk)
            yield progressed(b"\r\n")
        yield progressed(self._closing)


async def _read(part: _FilePart) -> AsyncIterator[bytes]:
    source = part.source
    if isinstance(source, bytes):
        view = memoryview(source)
        for offset in range(0, len(view), CHUNK_SIZE):
            yield bytes(view[offset : offset + CHUNK_SIZE])
        return
    if isinstance(source, str):
        file: IO[bytes] = await anyio.to_thread.run_sync(open, source, "rb")
        try:
            async for chunk in _read_file(file):
                yield chunk
        finally:
            file.close()
        return
    if part.start is not None:
        source.seek(part.start)
    async for chunk in _read_file(source):
        yield chunk


async def _read_file(file: IO[bytes]) -> AsyncIterator[bytes]:
    while True:
        chunk = await anyio.to_thread.run_sync(file.read, CHUNK_SIZE)
        if not chunk:
            return
        if not isinstance(chunk, bytes):
            raise InvalidArgumentError(
                "A file object given for upload returned text: open it in binary mode ('rb')."
            )
        yield chunk


def _file_part(field: str, file: FileInput) -> _FilePart:
    filename: str | None = None
    content_type: str | None = None
    content: object = file
    if isinstance(file, tuple):
        if len(file) not in (2, 3) or not isinstance(file[0], str):
            raise InvalidArgumentError(
                "A file tuple is (filename, content) or (filename, content, content_type)."
            )
        filename, content = file[0], file[1]
        if len(file) == 3:
            content_type = str(file[2])
    if isinstance(content, (str, os.PathLike)):
        path = Path(content)
        if not path.is_file():
            raise InvalidArgumentError(f"Cannot upload {str(path)!r}: it is not a file.")
        if not os.access(path, os.R_OK):
            raise InvalidArgumentError(f"Cannot upload {str(path)!r}: it is not readable.")
        source: str | bytes | IO[bytes] = str(path)
        size: int | None = path.stat().st_size
        start: int | None = 0
        filename = filename or path.name
    elif isinstance(content, (bytes, bytearray, memoryview)):
        source = bytes(content)
        size, start = len(source), 0
        filename = filename or "upload.bin"
    elif hasattr(content, "read"):
        if isinstance(content, io.TextIOBase):
            raise InvalidArgumentError(
                "A file object given for upload is in text mode: open it in binary mode ('rb')."
            )
        file = cast("IO[bytes]", content)
        source = file
        start, size = _position_and_size(file)
        filename = filename or os.path.basename(str(getattr(content, "name", ""))) or "upload.bin"
    else:
        raise InvalidArgumentError(
            "A file to upload must be a path, bytes or a binary file object, "
            f"not {type(content).__name__}."
        )
    if content_type is None:
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return _FilePart(field, filename, content_type, source, size, start)


def _position_and_size(file: IO[bytes]) -> tuple[int | None, int | None]:
    try:
        if not file.seekable():
            return None, None
        start = file.tell()
        end = file.seek(0, os.SEEK_END)
        file.seek(start)
    except (OSError, ValueError, AttributeError):
        return None, None
    return start, end - start


def _field_value(name: object, value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise InvalidArgumentError(
        f"Form field {name!r} must be a string or a number, not {type(value).__name__}."
    )


def _quote(value: str) -> str:
    """Escape a name for a Content-Disposition parameter, as browsers do (WHATWG)."""
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
