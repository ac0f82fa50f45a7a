"""The OAuth2 token flow and the static API key: single flight, expiry, 401 replay, failures.

Every test runs without the internet: respx answers the token endpoint and the completions
endpoint, and a `FakeClock` moves time (token expiry, retry backoff) only when a test says so.
No test sleeps or asserts on timings; they count requests instead. ``anyio.fail_after`` guards
the tests that could deadlock (a hang guard, not a timing assertion).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, unquote_plus

import anyio
import anyio.lowlevel
import httpx
import pytest
import respx

from gloo_ai import (
    AsyncGloo,
    AuthenticationError,
    TokenExchangeError,
    TokenUnavailableError,
)
from gloo_ai._auth import ClientCredentialsAuth
from gloo_ai.types.chat import ChatCompletion
from tests.conftest import (
    ACCESS_TOKEN,
    BASE_URL,
    CLIENT_ID,
    CLIENT_SECRET,
    TOKEN_URL,
    V2_URL,
    FakeClock,
    completion_json,
    token_json,
)

MESSAGES = [{"role": "user", "content": "How can I be joyful in hard times?"}]
DEFAULT_BUFFER = 60.0
HANG_GUARD = 5  # seconds; only stops a deadlocked test, never asserts on timing

SideEffect = Callable[[httpx.Request], Awaitable[httpx.Response]]


@pytest.fixture
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def client_for(clock: FakeClock, **kwargs: Any) -> AsyncGloo:
    return AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, _clock=clock, **kwargs)


async def create(client: AsyncGloo) -> ChatCompletion:
    return await client.chat.completions.create(messages=MESSAGES)


def auth_of(client: AsyncGloo) -> ClientCredentialsAuth:
    auth = client._transport.state.auth
    assert isinstance(auth, ClientCredentialsAuth)
    return auth


class TokenEndpoint:
    """A token endpoint that issues ``tok-1``, ``tok-2``, … and yields to other tasks first."""

    def __init__(self, expires_in: int = 3600, checkpoints: int = 3) -> None:
        self.expires_in = expires_in
        self.checkpoints = checkpoints
        self.issued: list[str] = []

    def side_effect(self) -> SideEffect:
        async def answer(request: httpx.Request) -> httpx.Response:
            # Give every other task the chance to pile up behind this fetch.
            for _ in range(self.checkpoints):
                await anyio.lowlevel.checkpoint()
            token = f"tok-{len(self.issued) + 1}"
            self.issued.append(token)
            return httpx.Response(200, json=token_json(token, self.expires_in))

        return answer


class CompletionsEndpoint:
    """Answers completions and records the ``Authorization`` header each attempt carried.

    The auth flow replays the same `httpx.Request` object with a new header, so the header
    must be read when the request arrives, not afterwards from ``route.calls``.
    """

    def __init__(self, *replies: httpx.Response) -> None:
        self.replies = list(replies)
        self.authorizations: list[str | None] = []

    def side_effect(self) -> SideEffect:
        async def answer(request: httpx.Request) -> httpx.Response:
            self.authorizations.append(request.headers.get("Authorization"))
            if self.replies:
                return self.replies.pop(0)
            return httpx.Response(200, json=completion_json())

        return answer


async def wait_until(predicate: Callable[[], bool]) -> None:
    """Let other tasks run until ``predicate`` holds (guarded by the caller's fail_after)."""
    while not predicate():
        await anyio.lowlevel.checkpoint()


# --- 1. Single flight, expiry, reuse -------------------------------------------------------------


@pytest.mark.asyncio
async def test_1000_concurrent_calls_make_one_token_request_per_expiry(clock: FakeClock) -> None:
    tokens = TokenEndpoint()
    completions = CompletionsEndpoint()
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(side_effect=tokens.side_effect())
        v2 = mock.post(V2_URL).mock(side_effect=completions.side_effect())
        async with client_for(clock) as client:
            first = await asyncio.gather(*(create(client) for _ in range(1000)))
            assert len(first) == 1000
            assert all(c.choices[0].message.content == "Hello!" for c in first)
            assert token_route.call_count == 1
            assert v2.call_count == 1000
            assert set(completions.authorizations) == {"Bearer tok-1"}

            clock.advance(3600 - DEFAULT_BUFFER)  # inside the refresh buffer
            second = await asyncio.gather(*(create(client) for _ in range(1000)))
            assert len(second) == 1000
            assert token_route.call_count == 2
            assert v2.call_count == 2000
            assert completions.authorizations[1000:] == ["Bearer tok-2"] * 1000


@pytest.mark.asyncio
async def test_token_inside_refresh_buffer_is_refreshed(clock: FakeClock) -> None:
    tokens = TokenEndpoint()
    completions = CompletionsEndpoint()
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(side_effect=tokens.side_effect())
        mock.post(V2_URL).mock(side_effect=completions.side_effect())
        async with client_for(clock) as client:
            await create(client)
            clock.advance(3600 - DEFAULT_BUFFER - 1)  # one second before the buffer starts
            await create(client)
            assert token_route.call_count == 1
            clock.advance(1)  # now inside the 60 s buffer, though not yet expired
            await create(client)
            assert token_route.call_count == 2
            assert completions.authorizations == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]


@pytest.mark.asyncio
async def test_fresh_token_is_reused_without_a_token_request(clock: FakeClock) -> None:
    tokens = TokenEndpoint()
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(side_effect=tokens.side_effect())
        v2 = mock.post(V2_URL).respond(200, json=completion_json())
        async with client_for(clock) as client:
            await create(client)
            for _ in range(5):
                clock.advance(60)
                await create(client)
            assert token_route.call_count == 1
            assert v2.call_count == 6


@pytest.mark.asyncio
async def test_fresh_token_is_read_without_taking_the_lock(clock: FakeClock) -> None:
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).respond(200, json=token_json())
        v2 = mock.post(V2_URL).respond(200, json=completion_json())
        async with client_for(clock) as client:
            await create(client)
            lock = auth_of(client)._lock
            with anyio.fail_after(HANG_GUARD):
                async with lock:  # someone else holds the lock: a fresh token needs no lock
                    await create(client)
            assert token_route.call_count == 1
            assert v2.call_count == 2


@pytest.mark.asyncio
async def test_lock_is_not_held_while_the_api_request_is_in_flight(clock: FakeClock) -> None:
    held_during_request: list[bool] = []
    client = client_for(clock)

    async def answer(request: httpx.Request) -> httpx.Response:
        # respx runs this in the task that sends the request: does that task hold the lock?
        owner = auth_of(client)._lock.statistics().owner
        held_during_request.append(owner is not None and owner.id == anyio.get_current_task().id)
        return httpx.Response(200, json=completion_json())

    with respx.mock(assert_all_called=False) as mock:
        mock.post(TOKEN_URL).respond(200, json=token_json())
        mock.post(V2_URL).mock(side_effect=answer)
        async with client:
            await asyncio.gather(*(create(client) for _ in range(20)))
    assert held_during_request == [False] * 20


# --- 2. The buffer never exceeds half the lifetime ------------------------------------------------


@pytest.mark.asyncio
async def test_short_lived_token_is_reused_until_half_its_lifetime(clock: FakeClock) -> None:
    tokens = TokenEndpoint(expires_in=60)
    completions = CompletionsEndpoint()
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(side_effect=tokens.side_effect())
        mock.post(V2_URL).mock(side_effect=completions.side_effect())
        async with client_for(clock) as client:  # default 60 s buffer, 60 s token
            await create(client)
            await create(client)
            await create(client)
            assert token_route.call_count == 1  # not stale on arrival
            clock.advance(20)
            await create(client)
            assert token_route.call_count == 1
            clock.advance(10)  # t+30: half the lifetime
            await create(client)
            assert token_route.call_count == 2
            await create(client)
            assert token_route.call_count == 2
            assert completions.authorizations == ["Bearer tok-1"] * 4 + ["Bearer tok-2"] * 2


# --- 3. Cancelling the leader mid-refresh ---------------------------------------------------------


@pytest.mark.asyncio
async def test_leader_cancelled_mid_refresh_a_waiter_takes_over(clock: FakeClock) -> None:
    n_waiters = 10
    release = anyio.Event()
    started: list[str] = []  # one entry per token request that reached the endpoint

    async def token_endpoint(request: httpx.Request) -> httpx.Response:
        started.append(request.headers["Authorization"])
        await release.wait()
        return httpx.Response(200, json=token_json(f"tok-{len(started)}"))

    completions = CompletionsEndpoint()
    with respx.mock(assert_all_called=False) as mock:
        mock.post(TOKEN_URL).mock(side_effect=token_endpoint)
        v2 = mock.post(V2_URL).mock(side_effect=completions.side_effect())
        async with client_for(clock) as client:
            lock = auth_of(client)._lock
            with anyio.fail_after(HANG_GUARD):
                leader = asyncio.create_task(create(client))
                await wait_until(lambda: len(started) == 1)
                waiters = [asyncio.create_task(create(client)) for _ in range(n_waiters)]
                await wait_until(lambda: lock.statistics().tasks_waiting == n_waiters)
                assert len(started) == 1

                leader.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await leader
                await wait_until(lambda: len(started) == 2)  # one waiter took over
                release.set()
                results = await asyncio.gather(*waiters)

    assert len(results) == n_waiters
    assert all(r.choices[0].message.content == "Hello!" for r in results)
    assert len(started) == 2  # the cancelled fetch and exactly one takeover
    assert v2.call_count == n_waiters  # the cancelled leader never reached the API
    assert set(completions.authorizations) == {"Bearer tok-2"}
    assert not lock.locked()


@pytest.mark.asyncio
async def test_leader_and_next_waiter_cancelled_together_others_still_complete(
    clock: FakeClock,
) -> None:
    n_waiters = 5
    release = anyio.Event()
    started: list[int] = []

    async def token_endpoint(request: httpx.Request) -> httpx.Response:
        started.append(1)
        await release.wait()
        return httpx.Response(200, json=token_json(f"tok-{len(started)}"))

    with respx.mock(assert_all_called=False) as mock:
        mock.post(TOKEN_URL).mock(side_effect=token_endpoint)
        v2 = mock.post(V2_URL).respond(200, json=completion_json())
        async with client_for(clock) as client:
            lock = auth_of(client)._lock
            with anyio.fail_after(HANG_GUARD):
                leader = asyncio.create_task(create(client))
                await wait_until(lambda: len(started) == 1)
                waiters = [asyncio.create_task(create(client)) for _ in range(n_waiters)]
                await wait_until(lambda: lock.statistics().tasks_waiting == n_waiters)

                # Cancel the fetching task and the first in line, before either runs again.
                leader.cancel()
                waiters[0].cancel()
                release.set()
                outcomes = await asyncio.gather(leader, *waiters, return_exceptions=True)

    assert isinstance(outcomes[0], asyncio.CancelledError)
    assert isinstance(outcomes[1], asyncio.CancelledError)
    assert all(isinstance(o, ChatCompletion) for o in outcomes[2:])
    assert len(started) == 2
    assert v2.call_count == n_waiters - 1
    assert not lock.locked()


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"], indirect=True)
async def test_leader_cancelled_mid_refresh_with_cancel_scope(
    anyio_backend: str, clock: FakeClock
) -> None:
    n_waiters = 10
    release = anyio.Event()
    started: list[int] = []

    async def token_endpoint(request: httpx.Request) -> httpx.Response:
        started.append(1)
        await release.wait()
        return httpx.Response(200, json=token_json(f"tok-{len(started)}"))

    results: list[ChatCompletion] = []
    leader_scope = anyio.CancelScope()

    async def leader() -> None:
        with leader_scope:
            await create(client)
            pytest.fail("the cancelled leader finished its request")

    async def waiter() -> None:
        results.append(await create(client))

    with respx.mock(assert_all_called=False) as mock:
        mock.post(TOKEN_URL).mock(side_effect=token_endpoint)
        v2 = mock.post(V2_URL).respond(200, json=completion_json())
        async with client_for(clock) as client:
            lock = auth_of(client)._lock
            with anyio.fail_after(HANG_GUARD):
                async with anyio.create_task_group() as tg:
                    tg.start_soon(leader)
                    await wait_until(lambda: len(started) == 1)
                    for _ in range(n_waiters):
                        tg.start_soon(waiter)
                    await wait_until(lambda: lock.statistics().tasks_waiting == n_waiters)
                    leader_scope.cancel()
                    await wait_until(lambda: len(started) == 2)
                    release.set()

    assert leader_scope.cancelled_caught
    assert len(results) == n_waiters
    assert len(started) == 2
    assert v2.call_count == n_waiters


# --- 4. 401 from the API: invalidate, refresh, replay once ---------------------------------------


@pytest.mark.asyncio
async def test_401_refreshes_the_token_and_replays_once(clock: FakeClock) -> None:
    tokens = TokenEndpoint()
    completions = CompletionsEndpoint(httpx.Response(401, json={"error": "Token expired"}))
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(side_effect=tokens.side_effect())
        v2 = mock.post(V2_URL).mock(side_effect=completions.side_effect())
        async with client_for(clock) as client:
            completion = await create(client)
            assert completion.choices[0].message.content == "Hello!"
            assert token_route.call_count == 2
            assert v2.call_count == 2
            assert completions.authorizations == ["Bearer tok-1", "Bearer tok-2"]
            assert clock.sleeps == []  # a replay, not a retry with backoff

            await create(client)  # the new token is cached
            assert token_route.call_count == 2
            assert completions.authorizations[-1] == "Bearer tok-2"


@pytest.mark.asyncio
async def test_second_401_raises_authentication_error_without_more_attempts(
    clock: FakeClock,
) -> None:
    tokens = TokenEndpoint()
    unauthorized = {"error": "Missing Authorization", "code": "unauthorized_missing_authorization"}
    completions = CompletionsEndpoint(
        httpx.Response(401, json=unauthorized),
        httpx.Response(401, json=unauthorized),
    )
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(side_effect=tokens.side_effect())
        v2 = mock.post(V2_URL).mock(side_effect=completions.side_effect())
        async with client_for(clock, max_retries=3) as client:
            with pytest.raises(AuthenticationError) as info:
                await create(client)
    assert type(info.value) is AuthenticationError  # the API's 401, not the token endpoint's
    assert info.value.status_code == 401
    assert v2.call_count == 2
    assert token_route.call_count == 2
    assert completions.authorizations == ["Bearer tok-1", "Bearer tok-2"]
    assert clock.sleeps == []


def _token_response(request: httpx.Request, token: str) -> httpx.Response:
    return httpx.Response(200, json=token_json(token), request=request)


@pytest.mark.asyncio
async def test_401_for_an_old_token_does_not_invalidate_the_newer_one(clock: FakeClock) -> None:
    issued: list[str] = []

    async def send(build: Callable[[], httpx.Request]) -> httpx.Response:
        request = build()  # the sender gets the builder, and builds one request per attempt
        assert request.url == TOKEN_URL
        issued.append(f"tok-{len(issued) + 1}")
        return _token_response(request, issued[-1])

    auth = ClientCredentialsAuth(
        CLIENT_ID,
        CLIENT_SECRET,
        TOKEN_URL,
        send=send,
        clock=clock,
        max_retries=2,
        user_agent="test",
    )
    # Two requests go out with the same token.
    request_a = httpx.Request("POST", V2_URL)
    request_b = httpx.Request("POST", V2_URL)
    flow_a = auth.async_auth_flow(request_a)
    flow_b = auth.async_auth_flow(request_b)
    sent_a = await flow_a.__anext__()
    sent_b = await flow_b.__anext__()
    assert sent_a.headers["Authorization"] == sent_b.headers["Authorization"] == "Bearer tok-1"
    assert issued == ["tok-1"]

    # A gets a 401 first: tok-1 is invalidated and tok-2 fetched for its replay.
    replay_a = await flow_a.asend(httpx.Response(401, request=sent_a))
    assert replay_a.headers["Authorization"] == "Bearer tok-2"
    assert issued == ["tok-1", "tok-2"]

    # B's 401 is about tok-1, which is no longer cached: tok-2 stays and is reused.
    replay_b = await flow_b.asend(httpx.Response(401, request=sent_b))
    assert replay_b.headers["Authorization"] == "Bearer tok-2"
    assert issued == ["tok-1", "tok-2"]
    token = await auth.get_token()
    assert token.value == "tok-2"
    assert issued == ["tok-1", "tok-2"]

    # Each flow ends after its replay.
    for flow, sent in ((flow_a, replay_a), (flow_b, replay_b)):
        with pytest.raises(StopAsyncIteration):
            await flow.asend(httpx.Response(200, request=sent))


# --- 5. Token endpoint failures -------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [400, 401, 403])
async def test_token_endpoint_refusal_raises_token_exchange_error(
    clock: FakeClock, status: int
) -> None:
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).respond(status, json={"error": "invalid_client"})
        v2 = mock.post(V2_URL).respond(200, json=completion_json())
        async with client_for(clock, max_retries=3) as client:
            with pytest.raises(TokenExchangeError) as info:
                await create(client)
    error = info.value
    assert isinstance(error, AuthenticationError)
    assert error.status_code == status
    assert token_route.call_count == 1
    assert not v2.called
    assert clock.sleeps == []
    text = str(error).lower()
    assert "client id" in text
    assert "secret" in text
    for shown in (str(error), repr(error)):
        assert CLIENT_SECRET not in shown


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("failure", "status"),
    [
        (httpx.Response(500, json={"error": "boom"}), 500),
        (httpx.Response(502), 502),
        (httpx.Response(503, text="Service Unavailable"), 503),
        (httpx.Response(504), 504),
        (httpx.ConnectError("connection refused"), None),
        (httpx.ConnectTimeout("connect timed out"), None),
        (httpx.ReadTimeout("read timed out"), None),
    ],
    ids=["500", "502", "503", "504", "connect-error", "connect-timeout", "read-timeout"],
)
@pytest.mark.parametrize("max_retries", [0, 2, 3])
async def test_token_endpoint_failures_are_retried_inside_the_token_flow_only(
    clock: FakeClock, failure: httpx.Response | Exception, status: int | None, max_retries: int
) -> None:
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(side_effect=failure)
        v2 = mock.post(V2_URL).respond(200, json=completion_json())
        async with client_for(clock, max_retries=max_retries) as client:
            with pytest.raises(TokenUnavailableError) as info:
                await create(client)
    assert token_route.call_count == max_retries + 1  # not (max_retries + 1) ** 2
    assert len(clock.sleeps) == max_retries  # the outer retry loop never slept
    assert all(delay > 0 for delay in clock.sleeps)
    assert not v2.called
    assert info.value.status_code == status
    assert CLIENT_SECRET not in str(info.value)


@pytest.mark.asyncio
async def test_token_endpoint_recovers_after_a_retried_5xx(clock: FakeClock) -> None:
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(
            side_effect=[
                httpx.Response(503),
                httpx.ConnectError("reset"),
                httpx.Response(200, json=token_json()),
            ]
        )
        v2 = mock.post(V2_URL).respond(200, json=completion_json())
        async with client_for(clock, max_retries=2) as client:
            completion = await create(client)
    assert completion.choices[0].message.content == "Hello!"
    assert token_route.call_count == 3
    assert len(clock.sleeps) == 2
    assert v2.call_count == 1
    assert v2.calls.last.request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"


@pytest.mark.asyncio
@pytest.mark.parametrize("max_retries", [2, 1])
async def test_token_endpoint_5xx_retries_are_counted_by_the_one_retry_loop(
    clock: FakeClock, max_retries: int
) -> None:
    # 503, 503, 200: two retries recover; one retry gives up after the second 503.
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(
            side_effect=[
                httpx.Response(503),
                httpx.Response(503),
                httpx.Response(200, json=token_json()),
            ]
        )
        v2 = mock.post(V2_URL).respond(200, json=completion_json())
        async with client_for(clock, max_retries=max_retries) as client:
            auth = auth_of(client)
            if max_retries == 2:
                await create(client)
            else:
                with pytest.raises(TokenUnavailableError) as info:
                    await create(client)
    attempts = max_retries + 1
    assert token_route.call_count == attempts
    assert auth.token_requests == attempts  # one request built per attempt of the loop
    assert len(clock.sleeps) == max_retries  # slept between attempts, never around them
    assert auth.metrics.refreshes + auth.metrics.failures == 1  # one fetch, however retried
    if max_retries == 2:
        assert v2.call_count == 1
        assert v2.calls.last.request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    else:
        assert not v2.called
        assert info.value.status_code == 503
        assert f"after {attempts} attempt(s)" in str(info.value)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body",
    [
        {"token_type": "Bearer", "expires_in": 3600, "leak": "LEAKED-body-value-42"},
        {"access_token": "", "leak": "LEAKED-body-value-42"},
        {"access_token": None, "leak": "LEAKED-body-value-42"},
        {"access_token": 12345, "leak": "LEAKED-body-value-42"},
        ["LEAKED-body-value-42"],
        "LEAKED-body-value-42 not json",
    ],
    ids=["missing", "empty", "null", "number", "list", "not-json"],
)
async def test_token_response_without_access_token_raises_token_exchange_error(
    clock: FakeClock, body: object
) -> None:
    reply = (
        httpx.Response(200, text=body) if isinstance(body, str) else httpx.Response(200, json=body)
    )
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(return_value=reply)
        v2 = mock.post(V2_URL).respond(200, json=completion_json())
        async with client_for(clock) as client:
            with pytest.raises(TokenExchangeError) as info:
                await create(client)
    assert "LEAKED-body-value-42" not in str(info.value)
    assert "LEAKED-body-value-42" not in repr(info.value)
    assert "access_token" in str(info.value)
    assert token_route.call_count == 1
    assert not v2.called


@pytest.mark.asyncio
async def test_missing_expires_in_defaults_to_one_hour(clock: FakeClock) -> None:
    tokens: list[str] = []

    async def token_endpoint(request: httpx.Request) -> httpx.Response:
        tokens.append(f"tok-{len(tokens) + 1}")
        return httpx.Response(200, json={"access_token": tokens[-1], "token_type": "Bearer"})

    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(side_effect=token_endpoint)
        mock.post(V2_URL).respond(200, json=completion_json())
        async with client_for(clock) as client:
            await create(client)
            clock.advance(3600 - DEFAULT_BUFFER - 1)
            await create(client)
            assert token_route.call_count == 1
            clock.advance(1)
            await create(client)
            assert token_route.call_count == 2


# --- 6. The token request itself ------------------------------------------------------------------


def _basic(request: httpx.Request) -> str:
    scheme, _, encoded = request.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(encoded).decode()


@pytest.mark.asyncio
async def test_token_request_shape(clock: FakeClock) -> None:
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).respond(200, json=token_json())
        v2 = mock.post(V2_URL).respond(200, json=completion_json())
        async with client_for(clock) as client:
            await create(client)
    request = token_route.calls.last.request
    assert request.method == "POST"
    assert str(request.url) == TOKEN_URL
    assert request.content == b"grant_type=client_credentials&scope=api/access"
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["client_credentials"],
        "scope": ["api/access"],
    }
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert _basic(request) == f"{CLIENT_ID}:{CLIENT_SECRET}"
    assert request.extensions["timeout"] == {
        "connect": 10.0,
        "read": 10.0,
        "write": 10.0,
        "pool": 10.0,
    }
    # The token request carries no bearer, and the API request carries the token.
    assert v2.calls.last.request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"


@pytest.mark.asyncio
async def test_alphanumeric_credentials_give_the_plain_basic_header(clock: FakeClock) -> None:
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).respond(200, json=token_json())
        mock.post(V2_URL).respond(200, json=completion_json())
        async with AsyncGloo(
            client_id="abcXYZ0123", client_secret="Secret789xyzABC", _clock=clock
        ) as client:
            await create(client)
    expected = "Basic " + base64.b64encode(b"abcXYZ0123:Secret789xyzABC").decode()
    assert token_route.calls.last.request.headers["Authorization"] == expected


@pytest.mark.asyncio
async def test_credentials_are_form_encoded_before_base64(clock: FakeClock) -> None:
    client_id = "id:with+special"
    secret = "p:a+s=s&w o/rd%"
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).respond(200, json=token_json())
        mock.post(V2_URL).respond(200, json=completion_json())
        async with AsyncGloo(client_id=client_id, client_secret=secret, _clock=clock) as client:
            await create(client)
    decoded = _basic(token_route.calls.last.request)
    assert decoded == "id%3Awith%2Bspecial:p%3Aa%2Bs%3Ds%26w+o%2Frd%25"
    encoded_id, sep, encoded_secret = decoded.partition(":")
    assert sep == ":"
    assert ":" not in encoded_secret  # the only colon is the separator
    assert (unquote_plus(encoded_id), unquote_plus(encoded_secret)) == (client_id, secret)


@pytest.mark.asyncio
async def test_custom_token_url_is_honoured(clock: FakeClock) -> None:
    custom = "https://auth.example.test/custom/oauth2/token"
    with respx.mock(assert_all_called=False) as mock:
        default_route = mock.post(TOKEN_URL).respond(200, json=token_json())
        custom_route = mock.post(custom).respond(200, json=token_json())
        v2 = mock.post(V2_URL).respond(200, json=completion_json())
        async with client_for(clock, token_url=custom) as client:
            await create(client)
    assert custom_route.call_count == 1
    assert not default_route.called
    assert v2.call_count == 1


@pytest.mark.asyncio
async def test_default_token_url_follows_the_base_url(clock: FakeClock) -> None:
    base = "https://gloo.example.test"
    with respx.mock(assert_all_called=False) as mock:
        default_route = mock.post(TOKEN_URL).respond(200, json=token_json())
        token_route = mock.post(f"{base}/oauth2/token").respond(200, json=token_json())
        v2 = mock.post(f"{base}/ai/v2/chat/completions").respond(200, json=completion_json())
        async with client_for(clock, base_url=base) as client:
            await create(client)
    assert token_route.call_count == 1
    assert not default_route.called
    assert v2.call_count == 1


# --- 7. Static API key ----------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("source", ["argument", "GLOO_API_KEY"])
async def test_api_key_is_sent_as_bearer_without_token_exchange(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    key = "gloo-api-key-123"
    if source == "argument":
        client = AsyncGloo(api_key=key, _clock=clock)
    else:
        monkeypatch.setenv("GLOO_API_KEY", key)
        client = AsyncGloo(_clock=clock)
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        token_route = mock.post("/oauth2/token").respond(200, json=token_json())
        v2 = mock.post("/ai/v2/chat/completions").respond(200, json=completion_json())
        async with client:
            await asyncio.gather(*(create(client) for _ in range(3)))
            clock.advance(10 * 3600)
            await create(client)
    assert not token_route.called
    assert v2.call_count == 4
    assert {c.request.headers["Authorization"] for c in v2.calls} == {f"Bearer {key}"}


@pytest.mark.asyncio
async def test_api_key_401_raises_after_one_attempt(clock: FakeClock) -> None:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        token_route = mock.post("/oauth2/token").respond(200, json=token_json())
        v2 = mock.post("/ai/v2/chat/completions").respond(401, json={"error": "Invalid key"})
        async with AsyncGloo(api_key="bad-key", _clock=clock, max_retries=3) as client:
            with pytest.raises(AuthenticationError) as info:
                await create(client)
    assert info.value.status_code == 401
    assert v2.call_count == 1
    assert not token_route.called
    assert clock.sleeps == []


# --- 8. trio (and asyncio) through anyio ----------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"], indirect=True)
async def test_completion_and_burst_under_anyio_backends(
    anyio_backend: str, clock: FakeClock
) -> None:
    tokens = TokenEndpoint()
    results: list[ChatCompletion] = []

    async def one() -> None:
        results.append(await create(client))

    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(side_effect=tokens.side_effect())
        v2 = mock.post(V2_URL).respond(200, json=completion_json())
        async with client_for(clock) as client:
            with anyio.fail_after(HANG_GUARD):
                first = await create(client)
                async with anyio.create_task_group() as tg:
                    for _ in range(50):
                        tg.start_soon(one)
    assert first.choices[0].message.content == "Hello!"
    assert len(results) == 50
    assert token_route.call_count == 1
    assert v2.call_count == 51


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"], indirect=True)
async def test_cold_burst_under_anyio_backends_makes_one_token_request(
    anyio_backend: str, clock: FakeClock
) -> None:
    tokens = TokenEndpoint()
    results: list[ChatCompletion] = []

    async def one() -> None:
        results.append(await create(client))

    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(side_effect=tokens.side_effect())
        v2 = mock.post(V2_URL).respond(200, json=completion_json())
        async with client_for(clock) as client:
            with anyio.fail_after(HANG_GUARD):
                async with anyio.create_task_group() as tg:
                    for _ in range(50):
                        tg.start_soon(one)
                clock.advance(3600)
                async with anyio.create_task_group() as tg:
                    for _ in range(50):
                        tg.start_soon(one)
    assert len(results) == 100
    assert token_route.call_count == 2
    assert v2.call_count == 100
