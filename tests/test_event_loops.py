"""A client created outside any event loop, then used from successive event loops.

This is how FastAPI apps and scripts use a module-level client: ``client = AsyncGloo()`` at
import time, then ``asyncio.run()`` (or ``trio.run()``) more than once. A loopback HTTP server
in a thread answers, so real pooled connections exist when the first loop closes. The tests
are synchronous: they start the event loops themselves.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import trio

from gloo_ai import AsyncGloo, ConfigurationError
from gloo_ai.types.chat import ChatCompletion
from tests.conftest import CLIENT_ID, CLIENT_SECRET, completion_json, token_json
from tests.loopback import LoopbackServer, Reply

MESSAGES = [{"role": "user", "content": "Hello"}]
TOKEN_PATH = "/oauth2/token"
V2_PATH = "/ai/v2/chat/completions"


class Leaks:
    """What went wrong quietly: warnings, unraisable exceptions, and error log records."""

    def __init__(self) -> None:
        self.warnings: list[warnings.WarningMessage] = []
        self.unraisable: list[str] = []
        self.logged: list[str] = []

    def problems(self) -> list[str]:
        found = [f"warning {w.category.__name__}: {w.message}" for w in self.warnings]
        found += [f"unraisable: {u}" for u in self.unraisable]
        found += [f"logged: {m}" for m in self.logged]
        return found


@contextmanager
def watch_for_leaks(caplog: pytest.LogCaptureFixture) -> Iterator[Leaks]:
    """Record every warning (ResourceWarning included), unraisable exception and ERROR log.

    Garbage left by earlier tests is dropped first, and garbage is collected at the end, so
    this test's unclosed sockets and transports report here rather than in some later test.
    """
    leaks = Leaks()
    # Quietly drop garbage left by earlier tests, so only this test's leaks are reported.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gc.collect()
    old_hook = sys.unraisablehook

    def hook(info: Any) -> None:
        leaks.unraisable.append(f"{info.exc_type.__name__}: {info.exc_value} ({info.object!r})")

    sys.unraisablehook = hook
    try:
        with caplog.at_level(logging.WARNING), warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            try:
                yield leaks
            finally:
                for _ in range(3):
                    gc.collect()
        leaks.warnings = list(seen)
        leaks.logged = [
            r.getMessage() + (f" {r.exc_info[1]!r}" if r.exc_info else "")
            for r in caplog.records
            if r.levelno >= logging.WARNING
        ]
    finally:
        sys.unraisablehook = old_hook


def serve(loopback: LoopbackServer, **headers: str) -> None:
    loopback.default(TOKEN_PATH, Reply(200, token_json(), headers=dict(headers)))
    loopback.default(V2_PATH, Reply(200, completion_json(), headers=dict(headers)))


def test_module_level_client_works_across_two_asyncio_runs(
    loopback: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    serve(loopback)
    client = AsyncGloo(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=loopback.url
    )  # no loop running

    async def first() -> ChatCompletion:
        return await client.chat.completions.create(messages=MESSAGES)

    async def second() -> ChatCompletion:
        async with client:  # closed on the loop that opened the current pool
            return await client.chat.completions.create(messages=MESSAGES)

    with watch_for_leaks(caplog) as leaks:
        one = asyncio.run(first())
        assert loopback.open_connections >= 1  # a pooled keep-alive connection outlived loop 1
        two = asyncio.run(second())

    assert one.choices[0].message.content == "Hello!"
    assert two.choices[0].message.content == "Hello!"
    assert loopback.count(TOKEN_PATH) == 1  # the token stayed cached across loops
    assert loopback.count(V2_PATH) == 2
    assert leaks.problems() == []
    assert loopback.wait_closed() == 0


def test_module_level_client_works_across_three_asyncio_runs_with_concurrency(
    loopback: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    serve(loopback)
    client = AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=loopback.url)

    async def burst() -> list[ChatCompletion]:
        return await asyncio.gather(
            *(client.chat.completions.create(messages=MESSAGES) for _ in range(5))
        )

    async def last() -> list[ChatCompletion]:
        async with client:
            return await burst()

    with watch_for_leaks(caplog) as leaks:
        results = asyncio.run(burst()) + asyncio.run(burst()) + asyncio.run(last())

    assert len(results) == 15
    assert loopback.count(TOKEN_PATH) == 1
    assert loopback.count(V2_PATH) == 15
    assert leaks.problems() == []
    assert loopback.wait_closed() == 0


def test_user_http_client_across_two_asyncio_runs_raises_configuration_error(
    loopback: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    # The server closes every connection, so the user's client keeps no socket from loop 1
    # (the test is about the error, not about cleaning up a pool the SDK does not own).
    serve(loopback, connection="close")
    http = httpx.AsyncClient()
    client = AsyncGloo(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=loopback.url, http_client=http
    )

    async def call() -> ChatCompletion:
        return await client.chat.completions.create(messages=MESSAGES)

    with watch_for_leaks(caplog) as leaks:
        assert asyncio.run(call()).choices[0].message.content == "Hello!"
        with pytest.raises(ConfigurationError) as info:
            asyncio.run(call())
        asyncio.run(http.aclose())

    message = str(info.value)
    assert "http_client" in message
    assert "inside the event loop" in message  # says what to do
    assert loopback.count(V2_PATH) == 1  # the second call sent nothing
    assert leaks.problems() == []


def test_module_level_client_works_across_two_trio_runs(
    loopback: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    serve(loopback)
    client = AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=loopback.url)

    async def first() -> ChatCompletion:
        return await client.chat.completions.create(messages=MESSAGES)

    async def second() -> ChatCompletion:
        async with client:
            return await client.chat.completions.create(messages=MESSAGES)

    with watch_for_leaks(caplog) as leaks:
        one = trio.run(first)
        assert loopback.open_connections >= 1
        two = trio.run(second)

    assert one.choices[0].message.content == "Hello!"
    assert two.choices[0].message.content == "Hello!"
    assert loopback.count(TOKEN_PATH) == 1
    assert loopback.count(V2_PATH) == 2
    assert leaks.problems() == []
    assert loopback.wait_closed() == 0


def test_a_client_used_by_a_second_loop_while_the_first_is_alive_raises(
    loopback: LoopbackServer,
) -> None:
    serve(loopback)
    client = AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=loopback.url)

    async def call() -> ChatCompletion:
        return await client.chat.completions.create(messages=MESSAGES)

    alive = asyncio.new_event_loop()
    try:
        alive.run_until_complete(call())  # the loop stays open afterwards
        with pytest.raises(RuntimeError, match="one AsyncGloo per event loop"):
            asyncio.run(call())
        alive.run_until_complete(client.aclose())
    finally:
        alive.close()
    assert loopback.count(V2_PATH) == 1
    assert loopback.wait_closed() == 0


def test_a_client_bound_to_a_loop_running_in_another_thread_raises_here(
    loopback: LoopbackServer,
) -> None:
    """The per-request check that skips `get_running_loop` (the bound loop runs in this
    thread) sees that the bound loop runs in another thread, and the full check raises."""
    import threading

    serve(loopback)
    client = AsyncGloo(api_key="k", base_url=loopback.url)

    async def call() -> ChatCompletion:
        return await client.chat.completions.create(messages=MESSAGES, model="m")

    other = asyncio.new_event_loop()
    thread = threading.Thread(target=other.run_forever)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(call(), other).result(10)
        with pytest.raises(RuntimeError, match="one AsyncGloo per event loop"):
            asyncio.run(call())
        asyncio.run_coroutine_threadsafe(client.aclose(), other).result(10)
    finally:
        other.call_soon_threadsafe(other.stop)
        thread.join(10)
        other.close()
    assert loopback.count(V2_PATH) == 1


def test_the_running_loop_is_looked_up_once_per_loop(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`asyncio.get_running_loop` makes a system call; the pool asks it when the loop may
    have changed (the first call, a new asyncio.run), not on every request."""
    from gloo_ai import _pool

    serve(loopback)
    lookups: list[object] = []
    current = _pool._current_loop

    def counting() -> object:
        lookups.append(None)
        return current()

    monkeypatch.setattr(_pool, "_current_loop", counting)
    client = AsyncGloo(api_key="k", base_url=loopback.url)

    async def calls() -> None:
        for _ in range(3):
            await client.chat.completions.create(messages=MESSAGES, model="m")

    asyncio.run(calls())
    assert len(lookups) == 1
    asyncio.run(calls())  # a new loop: looked up again, and the pool rebound
    assert len(lookups) == 2
    assert client._transport.state.rebinds == 1
    asyncio.run(client.aclose())
