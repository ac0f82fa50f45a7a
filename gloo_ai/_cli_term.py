"""What the ``gloo`` command does on a terminal: colour rules and the waiting spinner.

Colour only on a terminal, never with ``NO_COLOR`` set (https://no-color.org) or with
``TERM=dumb``. The spinner shows on a terminal only, on stderr, until the first token.
"""

from __future__ import annotations

import os
from types import TracebackType
from typing import TextIO

import anyio
import anyio.abc

__all__ = ["Spinner", "dim", "is_terminal", "use_color"]

_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_INTERVAL = 0.08


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal (False for pipes, files and closed streams)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def use_color(stream: TextIO) -> bool:
    """Whether to colour what goes to ``stream``: a terminal, no ``NO_COLOR``, not dumb."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return is_terminal(stream)


def dim(text: str, stream: TextIO) -> str:
    """``text`` dimmed for ``stream`` when it takes colour, else as it is."""
    return f"\x1b[2m{text}\x1b[0m" if use_color(stream) else text


class Spinner:
    """``async with Spinner(stderr) as spinner:`` shows "waiting for the first token" on a
    terminal, animated, until `stop` (at the first token) or the block ends; elsewhere it
    writes nothing."""

    def __init__(self, stream: TextIO, text: str = "waiting for the first token") -> None:
        self._stream = stream
        self._text = text
        self._shown = 0
        self._enabled = is_terminal(stream)
        self._group: anyio.abc.TaskGroup | None = None
        self._stopped = False

    async def __aenter__(self) -> Spinner:
        if self._enabled:
            self._group = anyio.create_task_group()
            await self._group.__aenter__()
            self._group.start_soon(self._spin)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        group, self._group = self._group, None
        if group is not None:
            await group.__aexit__(None, None, None)

    async def _spin(self) -> None:
        frame = 0
        while not self._stopped:
            line = f"{_FRAMES[frame % len(_FRAMES)]} {self._text}…"
            self._write("\r" + dim(line, self._stream))
            self._shown = len(line)
            frame += 1
            await anyio.sleep(_INTERVAL)

    def stop(self) -> None:
        """Stop and erase the line (safe to call more than once)."""
        self._stopped = True
        if self._group is not None:
            self._group.cancel_scope.cancel()
        if self._shown:
            self._write("\r" + " " * self._shown + "\r")
            self._shown = 0

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):
            self._enabled = False
