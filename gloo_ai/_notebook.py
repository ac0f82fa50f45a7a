"""`display_stream`: a stream shown as it arrives, in one notebook output (else printed).

IPython is optional: it is imported only when `display_stream` runs, and only its display
machinery is used. The stream is any of the SDK's stream helpers (chat, grounded,
Responses) or the context manager that ``stream(...)`` returns; this module knows them by
their shape (``text_stream`` and ``get_final_completion`` / ``get_final_response``), not by
importing an API area.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, TextIO, TypeVar, overload

from . import _display as md

__all__ = ["display_stream"]

_T_co = TypeVar("_T_co", covariant=True)
_T = TypeVar("_T")


class _CompletionStream(Protocol[_T_co]):
    @property
    def text_stream(self) -> AsyncIterator[str]: ...

    async def get_final_completion(self) -> _T_co: ...


class _ResponseStream(Protocol[_T_co]):
    @property
    def text_stream(self) -> AsyncIterator[str]: ...

    async def get_final_response(self) -> _T_co: ...


@overload
async def display_stream(stream: _CompletionStream[_T], *, file: TextIO | None = None) -> _T: ...
@overload
async def display_stream(stream: _ResponseStream[_T], *, file: TextIO | None = None) -> _T: ...
@overload
async def display_stream(
    stream: AbstractAsyncContextManager[_CompletionStream[_T]], *, file: TextIO | None = None
) -> _T: ...
@overload
async def display_stream(
    stream: AbstractAsyncContextManager[_ResponseStream[_T]], *, file: TextIO | None = None
) -> _T: ...
async def display_stream(stream: Any, *, file: TextIO | None = None) -> Any:
    """Show a stream's text as it arrives, then return its final completion or response.

    In a Jupyter notebook (an IPython kernel) the text appears in one output of the cell,
    updated in place as each piece arrives, and that output becomes the final object's
    rendering at the end (the answer, the model, the routing, the usage, the citations).
    Anywhere else the pieces are printed as they arrive (to ``file``, else standard output).
    The model's text is escaped as the notebook renderings escape it (no raw HTML, no
    remote images).

    Example::

        completion = await gloo_ai.display_stream(
            client.chat.completions.stream(messages=[{"role": "user", "content": "Hi"}])
        )

    Args:
        stream: ``client.chat.completions.stream(...)``, ``client.chat.grounded.stream(...)``
            or ``client.responses.stream(...)``: the context manager (entered and closed
            here) or the stream it gave (read to its end; closing it stays with you).
        file: where to print outside a notebook (standard output by default).

    Returns:
        What ``get_final_completion()`` (chat, grounded) or ``get_final_response()``
        (Responses) returns.

    Raises:
        InvalidArgumentError: ``stream`` is not one of the SDK's streams.
    """
    if hasattr(stream, "text_stream"):
        return await _show(stream, file)
    if hasattr(stream, "__aenter__") and hasattr(stream, "__aexit__"):
        async with stream as entered:
            if hasattr(entered, "text_stream"):
                return await _show(entered, file)
    from ._exceptions import InvalidArgumentError

    raise InvalidArgumentError(
        "display_stream() takes a stream of the SDK: client.chat.completions.stream(...), "
        "client.chat.grounded.stream(...) or client.responses.stream(...) (or the stream "
        f"they give), not {type(stream).__name__}."
    )


async def _show(stream: Any, file: TextIO | None) -> Any:
    sink = _notebook_sink() or _PrintSink(file)
    text = ""
    async for piece in stream.text_stream:
        text += piece
        sink.text(piece, text)
    final_of = getattr(stream, "get_final_completion", None) or stream.get_final_response
    final = await final_of()
    sink.final(final)
    return final


class _PrintSink:
    def __init__(self, file: TextIO | None) -> None:
        self._file = file
        self._printed = False

    def text(self, piece: str, text: str) -> None:
        print(piece, end="", file=self._file or sys.stdout, flush=True)
        self._printed = True

    def final(self, final: object) -> None:
        if self._printed:
            print(file=self._file or sys.stdout, flush=True)


class _NotebookSink:
    """One display output, updated in place (``display(..., display_id=True).update``)."""

    def __init__(self, display: Callable[..., Any], markdown: Callable[[str], Any]) -> None:
        self._markdown = markdown
        self._handle = display(markdown("*(waiting for the first token…)*"), display_id=True)

    def text(self, piece: str, text: str) -> None:
        self._handle.update(self._markdown(md.answer_text(text)))

    def final(self, final: object) -> None:
        self._handle.update(final)


def _notebook_sink() -> _NotebookSink | None:
    """A sink in an IPython kernel (where rich output is shown); else None."""
    if "IPython" not in sys.modules:  # not in IPython: do not import it
        return None
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:  # pragma: no cover - a broken IPython
        return None
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return None  # the terminal IPython shows text: print there
    return _NotebookSink(display, Markdown)
