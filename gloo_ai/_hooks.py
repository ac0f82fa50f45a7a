"""The instrumentation seam: what the request path tells an observer, when one is enabled.

The core calls an observer (`Hooks`) at four places: around every API call
(``Requester.request``), before each retry's wait (the transport's retry loop), around each fetch
from the token endpoint (``_auth/_metrics.py``), and as a stream yields and ends
(``AsyncStream``). Each place reads ``slot.hooks`` and skips everything when it is ``None``:
that attribute check is all that instrumentation costs when it is off. The OpenTelemetry
observer lives in ``gloo_ai/instrumentation/`` and is imported only when enabled.

A client follows `GLOBAL_HOOKS` (what ``gloo_ai.instrument()`` sets) unless it was built
with ``instrument=True`` (or an ``Instrumentation``) or ``instrument=False``, which give it a
slot of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from ._config import Clock, RequestOptions
    from ._tokens import Token

__all__ = ["GLOBAL_HOOKS", "HookSlot", "Hooks", "StreamObserver", "slot_for"]

_R = TypeVar("_R")


class StreamObserver(Protocol):
    """Told of a stream's items and of its end; `AsyncStream` calls it when it has one."""

    async def next(self, iterator: AsyncIterator[Any]) -> Any:
        """Return the next item of ``iterator`` (``StopAsyncIteration`` ends the stream)."""
        ...

    def closed(self) -> None:
        """The consumer closed the stream (possibly before its end); safe to call twice."""
        ...


class Hooks(Protocol):
    """An observer of the request path (the OpenTelemetry one is ``Instrumentation``)."""

    async def call(
        self,
        send: Callable[[], Awaitable[_R]],
        *,
        method: str,
        path: str,
        base_url: str,
        body: object | None,
        options: RequestOptions,
        clock: Clock,
    ) -> _R:
        """Run one API call (``send``: the attempts, retries and parsing) and observe it."""
        ...

    def retry(self, *, attempt: int, delay: float, status: int | None, error: str | None) -> None:
        """A retry of the current call is about to wait ``delay`` seconds.

        ``attempt`` is the number of the attempt that failed (1 for the first); ``status`` the
        HTTP status that caused it, else ``error`` the transport error's class name.
        """
        ...

    async def token_refresh(self, fetch: Callable[[], Awaitable[Token]], *, clock: Clock) -> Token:
        """Run one fetch from the token endpoint (``fetch``) and observe it."""
        ...


class HookSlot:
    """Where the request path finds its observer: ``hooks`` is ``None`` when it is off."""

    __slots__ = ("hooks",)

    def __init__(self, hooks: Hooks | None = None) -> None:
        self.hooks = hooks

    def __repr__(self) -> str:
        return f"HookSlot({'on' if self.hooks is not None else 'off'})"


GLOBAL_HOOKS = HookSlot()
"""The slot of every client built without ``instrument=``: ``gloo_ai.instrument()`` fills it."""


def slot_for(instrument: object) -> HookSlot:
    """The slot of a client built with ``instrument=``: `GLOBAL_HOOKS` for ``None`` (no
    import of the instrumentation), else a slot of its own (see ``instrumentation/_setup.py``)."""
    if instrument is None:
        return GLOBAL_HOOKS
    from .instrumentation._setup import slot_for as own_slot

    return own_slot(instrument)
