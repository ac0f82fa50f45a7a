"""Refresh ahead: a client open as ``async with`` keeps its token fresh in the background.

A `SteppingClock` makes the background task's sleeps wait until the test moves time, so each
step is deterministic: the test advances the clock and then lets tasks run until the expected
count is reached (``anyio.fail_after`` is a hang guard, not a timing assertion).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import anyio
import anyio.lowlevel
import httpx
import pytest
import respx

from gloo_ai import AsyncGloo
from gloo_ai.stores import MemoryTokenStore
from tests.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    TOKEN_URL,
    V2_URL,
    FakeClock,
    token_json,
)
from tests.test_auth import CompletionsEndpoint, TokenEndpoint, create

HANG_GUARD = 10
LIFETIME = 3600.0
BUFFER = 60.0


class SteppingClock(FakeClock):
    """A fake clock whose ``sleep`` waits until `advance` passes its deadline."""

    def __init__(self) -> None:
        super().__init__()
        self.sleepers: list[tuple[float, anyio.Event]] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        entry = (self.now + seconds, anyio.Event())
        self.sleepers.append(entry)
        try:
            if seconds <= 0:
                await anyio.lowlevel.checkpoint()
            else:
                await entry[1].wait()
        finally:
            self.sleepers.remove(entry)

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for deadline, event in list(self.sleepers):
            if deadline <= self.now:
                event.set()


async def until(predicate: Callable[[], bool]) -> None:
    with anyio.fail_after(HANG_GUARD):
        while not predicate():
            await anyio.lowlevel.checkpoint()


def client_for(clock: FakeClock, **kwargs: object) -> AsyncGloo:
    return AsyncGloo(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        _clock=clock,
        refresh_ahead=True,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.asyncio
async def test_the_token_is_refreshed_in_the_background_at_a_jittered_point() -> None:
    clock = SteppingClock()
    tokens = TokenEndpoint()
    completions = CompletionsEndpoint()
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(side_effect=tokens.side_effect())
        mock.post(V2_URL).mock(side_effect=completions.side_effect())
        async with client_for(clock) as client:
            # On entry it fetches a token, then sleeps until a point between 50% and 80% of
            # the time before the refresh window.
            await until(lambda: len(clock.sleepers) == 1)
            assert token_route.call_count == 1
            (deadline, _), window = clock.sleepers[0], LIFETIME - BUFFER
            assert clock.now + 0.5 * window <= deadline <= clock.now + 0.8 * window
            await create(client)
            assert completions.authorizations == ["Bearer tok-1"]

            clock.advance(0.5 * window - 1)  # before the earliest point: nothing happens
            for _ in range(20):
                await anyio.lowlevel.checkpoint()
            assert token_route.call_count == 1

            clock.advance(0.3 * window + 1)  # past the latest point: refreshed
            await until(lambda: token_route.call_count == 2 and len(clock.sleepers) == 1)
            await create(client)  # no request waits: the new token is already there
            assert completions.authorizations == ["Bearer tok-1", "Bearer tok-2"]
            assert token_route.call_count == 2
        assert clock.sleepers == []  # the background task ended with the client


@pytest.mark.asyncio
async def test_a_failed_refresh_keeps_the_valid_token_and_retries_with_backoff(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="gloo_ai")
    clock = SteppingClock()
    completions = CompletionsEndpoint()
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(
            side_effect=[
                httpx.Response(200, json=token_json("tok-1")),
                httpx.Response(503),
                httpx.Response(200, json=token_json("tok-2")),
            ]
        )
        mock.post(V2_URL).mock(side_effect=completions.side_effect())
        async with client_for(clock, max_retries=0) as client:
            await until(lambda: len(clock.sleepers) == 1)
            clock.advance(0.8 * (LIFETIME - BUFFER))
            metrics = client.token_metrics
            assert metrics is not None
            await until(lambda: metrics.failures == 1 and len(clock.sleepers) == 1)
            backoff = clock.sleepers[0][0] - clock.now
            assert 0 < backoff <= 1.0
            await create(client)  # the still-valid token serves the request
            assert completions.authorizations == ["Bearer tok-1"]
            assert token_route.call_count == 2

            clock.advance(1.0)  # past the backoff
            await until(lambda: metrics.refreshes == 2)
            await create(client)
            assert completions.authorizations == ["Bearer tok-1", "Bearer tok-2"]
            assert token_route.call_count == 3
    assert "keeping the current token" in caplog.text


@pytest.mark.asyncio
async def test_a_fleet_sharing_a_store_refreshes_once() -> None:
    clock = SteppingClock()
    store = MemoryTokenStore()
    tokens = TokenEndpoint()
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(side_effect=tokens.side_effect())
        async with (
            client_for(clock, token_store=store) as one,
            client_for(clock, token_store=store) as two,
        ):
            await until(lambda: len(clock.sleepers) == 2)
            assert token_route.call_count == 1
            clock.advance(0.8 * (LIFETIME - BUFFER))  # both points have passed
            metrics = [m for m in (one.token_metrics, two.token_metrics) if m is not None]
            # One refreshes ahead; the other finds the newer token in the store and adopts it
            # (once at entry, once now), then both sleep towards the next point.
            await until(lambda: sum(m.adopted for m in metrics) == 2 and len(clock.sleepers) == 2)
            assert token_route.call_count == 2
            assert sum(m.refreshes for m in metrics) == 2


@pytest.mark.asyncio
async def test_without_refresh_ahead_or_async_with_no_task_runs() -> None:
    clock = SteppingClock()
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(side_effect=TokenEndpoint().side_effect())
        async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, _clock=clock):
            for _ in range(10):
                await anyio.lowlevel.checkpoint()
        client = client_for(clock)  # refresh_ahead, but not entered
        await client.aclose()
        async with AsyncGloo(api_key="key", refresh_ahead=True):
            pass
    assert token_route.call_count == 0
    assert clock.sleepers == []


def test_refresh_ahead_under_trio() -> None:
    import trio

    async def main() -> None:
        clock = SteppingClock()
        with respx.mock(assert_all_called=False) as mock:
            token_route = mock.post(TOKEN_URL).mock(side_effect=TokenEndpoint().side_effect())
            async with client_for(clock):
                await until(lambda: len(clock.sleepers) == 1)
                clock.advance(0.8 * (LIFETIME - BUFFER))
                await until(lambda: token_route.call_count == 2 and len(clock.sleepers) == 1)
            assert clock.sleepers == []

    trio.run(main)
