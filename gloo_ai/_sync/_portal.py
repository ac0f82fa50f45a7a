"""The one I/O seam of the sync client: an event loop in a thread, per client and process.

`Gloo` runs every call of its `AsyncGloo` on an anyio blocking portal: one event loop in a
daemon thread, started on the first call. Calls from any number of threads go to that one
loop, so they share the async client's pool and its single token refresh. After a fork the
child starts a portal of its own (the parent's thread does not exist there); the async
client then opens a pool for the new loop and keeps its token.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import os
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TypeVar

import anyio.from_thread

__all__ = ["IN_EVENT_LOOP", "Portal"]

_R = TypeVar("_R")

IN_EVENT_LOOP = (
    "Gloo, the sync client, was called from inside a running event loop, where a blocking "
    "call would stall every other task: use AsyncGloo there and await its methods "
    "(the same methods and arguments)."
)


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
        return True
    except RuntimeError:
        pass
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            trio.lowlevel.current_task()
            return True
        except RuntimeError:
            pass
    return False


class Portal:
    """Runs coroutines on a private event loop thread; safe to use from many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._portal: anyio.from_thread.BlockingPortal | None = None
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self.closed = False

    def _get(self) -> anyio.from_thread.BlockingPortal:
        portal = self._portal
        if portal is not None and self._pid == os.getpid():
            return portal
        with self._lock:
            if self._pid != os.getpid():  # a forked child: the parent's thread is not here
                self._portal = self._thread = None
                self._pid = os.getpid()
            if self._portal is None:
                self._portal, self._thread = _start()
            return self._portal

    def call(self, func: Callable[..., Awaitable[_R]], *args: Any) -> _R:
        """Run ``func(*args)`` on the portal's loop and return its result (or raise)."""
        if _in_event_loop():
            raise RuntimeError(IN_EVENT_LOOP)
        return self._get().call(func, *args)

    def run(self, func: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        """Run ``func(*args, **kwargs)`` on the loop; return its result made sync."""
        from ._wrappers import to_sync

        return to_sync(self.call(functools.partial(func, *args, **kwargs)), self)

    def call_raw(self, func: Callable[..., Awaitable[_R]], *args: Any, **kwargs: Any) -> _R:
        """Run a ``with_raw_response`` method: its `APIResponse` is returned as it is."""
        return self.call(functools.partial(func, *args, **kwargs))

    def iterate(self, iterator: AsyncIterator[Any]) -> Iterator[Any]:
        """Iterate ``iterator`` item by item on the loop (each item made sync). Leaving the
        loop early closes an async generator; a stream stays open until it is closed."""
        from ._wrappers import to_sync

        try:
            while True:
                try:
                    item = self.call(iterator.__anext__)
                except StopAsyncIteration:
                    return
                yield to_sync(item, self)
        finally:
            if inspect.isasyncgen(iterator) and not self.closed:
                with contextlib.suppress(RuntimeError):
                    self.call(iterator.aclose)

    def wrap_async_context_manager(
        self, manager: contextlib.AbstractAsyncContextManager[_R]
    ) -> contextlib.AbstractContextManager[_R]:
        """``manager`` as a sync context manager, entered and exited in one task."""
        if _in_event_loop():
            raise RuntimeError(IN_EVENT_LOOP)
        return self._get().wrap_async_context_manager(manager)

    def close(self) -> None:
        """Stop the loop thread (after the client's own ``aclose``). Safe to call twice."""
        with self._lock:
            portal, self._portal = self._portal, None
            thread, self._thread = self._thread, None
            self.closed = True
        if portal is not None and self._pid == os.getpid():
            portal.call(portal.stop)
            if thread is not None:
                thread.join()


def _start() -> tuple[anyio.from_thread.BlockingPortal, threading.Thread]:
    """Start a daemon thread running an event loop with a portal; return both."""
    ready = threading.Event()
    box: list[anyio.from_thread.BlockingPortal | BaseException] = []

    async def serve() -> None:
        async with anyio.from_thread.BlockingPortal() as portal:
            box.append(portal)
            ready.set()
            await portal.sleep_until_stopped()

    def run() -> None:
        try:
            anyio.run(serve)
        except BaseException as exc:  # pragma: no cover - reported to the starter
            box.append(exc)
            ready.set()

    thread = threading.Thread(target=run, name="gloo-ai sync client", daemon=True)
    thread.start()
    ready.wait()
    started = box[0]
    if isinstance(started, BaseException):  # pragma: no cover
        raise started
    return started, thread
