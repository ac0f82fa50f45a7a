"""What the generated sync classes share: the wrapper base and `to_sync`.

`to_sync` turns what an async method returned into its sync counterpart: an object of a
class with a generated twin (an `AsyncStream`, a resource, a page) is wrapped in that twin;
an async iterator becomes an iterator; a coroutine function (a ``with_raw_response``
method) becomes a function; anything else (a model, a string) is returned as it is.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from typing import Any

from ._portal import Portal

__all__ = ["ASYNC_TO_SYNC", "SyncWrapper", "to_sync"]

ASYNC_TO_SYNC: dict[str, type[SyncWrapper]] = {}
"""``"module.AsyncClass"`` -> its generated twin (filled by the generated module)."""


def _twin_of(value: object) -> type[SyncWrapper] | None:
    for cls in type(value).__mro__:
        twin = ASYNC_TO_SYNC.get(f"{cls.__module__}.{cls.__qualname__}")
        if twin is not None:
            return twin
    return None


def to_sync(value: Any, portal: Portal) -> Any:
    """The sync counterpart of ``value`` (see the module's documentation)."""
    twin = _twin_of(value)
    if twin is not None:
        wrapper = object.__new__(twin)  # not twin(...): Gloo's __init__ takes AsyncGloo's args
        SyncWrapper.__init__(wrapper, value, portal)
        return wrapper
    if inspect.isasyncgen(value) or (
        hasattr(value, "__anext__") and not isinstance(value, SyncWrapper)
    ):
        return portal.iterate(value)
    if inspect.iscoroutinefunction(value):

        @functools.wraps(value)
        def call(*args: Any, **kwargs: Any) -> Any:
            return portal.run(value, *args, **kwargs)

        return call
    return value


class SyncWrapper:
    """Base of the generated twins: the async object and the portal its calls run on.

    Args:
        wrapped: the async object.
        portal: where its coroutines run.
    """

    _async: Any

    def __init__(self, wrapped: Any, portal: Portal) -> None:
        self._async = wrapped
        self._portal = portal
        self._context: contextlib.AbstractContextManager[Any] | None = None

    def __repr__(self) -> str:
        return repr(self._async).replace("Async", "", 1)

    def _enter(self) -> Any:
        """Enter the async object's context in one task that lives until `_exit`."""
        context = self._portal.wrap_async_context_manager(self._async)
        entered = context.__enter__()
        self._context = context
        return self if entered is self._async else to_sync(entered, self._portal)

    def _exit(self, *exc_info: Any) -> None:
        context, self._context = self._context, None
        if context is not None:
            context.__exit__(*exc_info)
