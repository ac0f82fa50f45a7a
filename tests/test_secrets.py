"""The client secret, the access token and the API key never leak: not in the client's repr,
not in any error's ``str``/``repr``/traceback, not in any log record at DEBUG.
"""

from __future__ import annotations

import base64
import json
import logging
import traceback
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
import respx

from gloo_ai import (
    APIConnectionError,
    APITimeoutError,
    AsyncGloo,
    AuthenticationError,
    ConfigurationError,
    GlooError,
    RateLimitError,
    TokenExchangeError,
    TokenUnavailableError,
)
from tests.conftest import (
    ACCESS_TOKEN,
    CLIENT_ID,
    CLIENT_SECRET,
    TOKEN_URL,
    V2_URL,
    FakeClock,
    completion_json,
    token_json,
)
from tests.loopback import LoopbackServer, Reply

API_KEY = "sk-gloo-VERY-secret-key"
SECOND_TOKEN = "tok-SECOND-very-secret-refreshed-token"
BASIC_VALUE = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
SECRETS = (
    CLIENT_SECRET,
    ACCESS_TOKEN,
    SECOND_TOKEN,
    API_KEY,
    BASIC_VALUE,
    base64.b64encode(CLIENT_SECRET.encode()).decode(),
)
MESSAGES = [{"role": "user", "content": "Hello"}]


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a secret ({secret[:6]}...) leaked into {where}: {text!r}"


def assert_error_hides_secrets(exc: BaseException) -> None:
    assert_no_secret(str(exc), "str(exc)")
    assert_no_secret(repr(exc), "repr(exc)")
    assert_no_secret("".join(traceback.format_exception(exc)), "the traceback")
    for arg in exc.args:
        assert_no_secret(repr(arg), "exc.args")
    cause: BaseException | None = exc.__cause__ or exc.__context__
    while cause is not None:
        assert_no_secret(str(cause), "a chained exception")
        assert_no_secret(repr(cause), "a chained exception's repr")
        cause = cause.__cause__ or cause.__context__


def assert_logs_hide_secrets(caplog: pytest.LogCaptureFixture) -> None:
    for record in caplog.records:
        where = f"a log record of {record.name!r}"
        assert_no_secret(record.getMessage(), where)
        assert_no_secret(repr(record.args), where)
        assert_no_secret(str(record.msg), where)
        if record.exc_text:
            assert_no_secret(record.exc_text, where)
    assert_no_secret(caplog.text, "the log output")


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN_URL, name="token").mock(
            return_value=httpx.Response(200, json=token_json())
        )
        router.post(V2_URL, name="v2").mock(
            return_value=httpx.Response(200, json=completion_json())
        )
        yield router


def sse(*chunks: dict[str, Any]) -> bytes:
    return b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in chunks)


STREAM_BODY = sse(
    {"id": "c1", "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hi"}}]},
    {"id": "c1", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    {"id": "c1", "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1}},
)


# --------------------------------------------------------------------------- the client's repr


@pytest.mark.asyncio
async def test_client_repr_and_str_hide_the_client_secret() -> None:
    client = AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    for text in (
        repr(client),
        str(client),
        repr(client.with_options(timeout=5.0, max_retries=0)),
        str(client.with_options(default_headers={"X-A": "b"})),
        f"{client!r} {client}",
    ):
        assert_no_secret(text, "the client's repr")
    assert CLIENT_ID in repr(client)  # the id is not a secret, and helps debugging
    await client.aclose()


@pytest.mark.asyncio
async def test_client_repr_hides_the_api_key() -> None:
    client = AsyncGloo(api_key=API_KEY)
    for text in (repr(client), str(client), repr(client.with_options(max_retries=1))):
        assert_no_secret(text, "the client's repr")
    await client.aclose()


@pytest.mark.asyncio
async def test_client_repr_hides_credentials_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GLOO_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("GLOO_CLIENT_SECRET", CLIENT_SECRET)
    client = AsyncGloo()
    assert_no_secret(repr(client), "the client's repr")
    await client.aclose()


@pytest.mark.asyncio
async def test_client_repr_hides_the_access_token_once_cached(api: respx.MockRouter) -> None:
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as client:
        await client.chat.completions.create(messages=MESSAGES)
        assert_no_secret(repr(client), "the client's repr")
        assert_no_secret(repr(client.with_options(timeout=1.0)), "the copy's repr")
        assert_no_secret(repr(client._transport.state.auth), "the auth flow's repr")


def test_api_key_auth_repr_hides_the_key() -> None:
    client = AsyncGloo(api_key=API_KEY)
    assert_no_secret(repr(client._transport.state.auth), "the auth flow's repr")


# --------------------------------------------------------------------------- errors


Scenario = Callable[[respx.MockRouter, FakeClock], Awaitable[None]]


async def token_401(api: respx.MockRouter, clock: FakeClock) -> None:
    api.routes["token"].mock(
        return_value=httpx.Response(
            401,
            json={
                "error": "invalid_client",
                "error_description": f"Client secret {CLIENT_SECRET} is wrong",
            },
        )
    )
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, _clock=clock) as client:
        await client.chat.completions.create(messages=MESSAGES)


async def token_401_echoing_the_secret_as_error(api: respx.MockRouter, clock: FakeClock) -> None:
    api.routes["token"].mock(return_value=httpx.Response(400, text=f"bad secret {CLIENT_SECRET}"))
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, _clock=clock) as client:
        await client.chat.completions.create(messages=MESSAGES)


async def token_5xx(api: respx.MockRouter, clock: FakeClock) -> None:
    api.routes["token"].mock(return_value=httpx.Response(503, json={"detail": "down"}))
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, _clock=clock) as client:
        await client.chat.completions.create(messages=MESSAGES)


async def token_connection_error(api: respx.MockRouter, clock: FakeClock) -> None:
    api.routes["token"].mock(side_effect=httpx.ConnectError("Connection refused"))
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, _clock=clock) as client:
        await client.chat.completions.create(messages=MESSAGES)


async def double_401(api: respx.MockRouter, clock: FakeClock) -> None:
    api.routes["token"].mock(
        side_effect=[
            httpx.Response(200, json=token_json()),
            httpx.Response(200, json=token_json(SECOND_TOKEN)),
        ]
    )
    api.routes["v2"].mock(return_value=httpx.Response(401, json={"detail": "Invalid token"}))
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, _clock=clock) as client:
        await client.chat.completions.create(messages=MESSAGES)


async def api_key_401(api: respx.MockRouter, clock: FakeClock) -> None:
    api.routes["v2"].mock(return_value=httpx.Response(401, json={"detail": "Invalid API key"}))
    async with AsyncGloo(api_key=API_KEY, _clock=clock) as client:
        await client.chat.completions.create(messages=MESSAGES)


async def rate_limited(api: respx.MockRouter, clock: FakeClock) -> None:
    api.routes["v2"].mock(
        return_value=httpx.Response(
            429,
            json={"error": "Rate limit exceeded", "code": "too_many_requests"},
            headers={"Retry-After": "1"},
        )
    )
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, _clock=clock) as client:
        await client.chat.completions.create(messages=MESSAGES)


async def rate_limited_api_key(api: respx.MockRouter, clock: FakeClock) -> None:
    api.routes["v2"].mock(return_value=httpx.Response(429, json={"detail": "slow down"}))
    async with AsyncGloo(api_key=API_KEY, _clock=clock, max_retries=0) as client:
        await client.chat.completions.create(messages=MESSAGES)


async def connection_error(api: respx.MockRouter, clock: FakeClock) -> None:
    api.routes["v2"].mock(side_effect=httpx.ConnectError("Connection reset by peer"))
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, _clock=clock) as client:
        await client.chat.completions.create(messages=MESSAGES)


async def timeout(api: respx.MockRouter, clock: FakeClock) -> None:
    api.routes["v2"].mock(side_effect=httpx.ReadTimeout("timed out"))
    async with AsyncGloo(api_key=API_KEY, _clock=clock) as client:
        await client.chat.completions.create(messages=MESSAGES)


async def token_200_without_access_token(api: respx.MockRouter, clock: FakeClock) -> None:
    api.routes["token"].mock(
        return_value=httpx.Response(
            200,
            json={
                "acces_token": ACCESS_TOKEN,
                "note": f"client_secret={CLIENT_SECRET}",
                "expires_in": 3600,
            },
        )
    )
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, _clock=clock) as client:
        await client.chat.completions.create(messages=MESSAGES)


async def token_200_not_json(api: respx.MockRouter, clock: FakeClock) -> None:
    api.routes["token"].mock(
        return_value=httpx.Response(200, text=f"<html>{CLIENT_SECRET} {ACCESS_TOKEN}</html>")
    )
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, _clock=clock) as client:
        await client.chat.completions.create(messages=MESSAGES)


async def both_credentials_as_arguments(api: respx.MockRouter, clock: FakeClock) -> None:
    AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, api_key=API_KEY, _clock=clock)


async def both_credentials_in_the_environment(api: respx.MockRouter, clock: FakeClock) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("GLOO_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("GLOO_CLIENT_SECRET", CLIENT_SECRET)
        monkeypatch.setenv("GLOO_API_KEY", API_KEY)
        AsyncGloo(_clock=clock)


async def half_credentials_in_the_environment(api: respx.MockRouter, clock: FakeClock) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("GLOO_CLIENT_SECRET", CLIENT_SECRET)
        AsyncGloo(_clock=clock)


SCENARIOS: list[Any] = [
    pytest.param(token_401, TokenExchangeError, id="TokenExchangeError 401"),
    pytest.param(
        token_401_echoing_the_secret_as_error, TokenExchangeError, id="TokenExchangeError 400"
    ),
    pytest.param(token_5xx, TokenUnavailableError, id="TokenUnavailableError 5xx"),
    pytest.param(token_connection_error, TokenUnavailableError, id="TokenUnavailableError connect"),
    pytest.param(double_401, AuthenticationError, id="AuthenticationError double 401"),
    pytest.param(api_key_401, AuthenticationError, id="AuthenticationError api key"),
    pytest.param(rate_limited, RateLimitError, id="RateLimitError"),
    pytest.param(rate_limited_api_key, RateLimitError, id="RateLimitError api key"),
    pytest.param(connection_error, APIConnectionError, id="APIConnectionError"),
    pytest.param(timeout, APITimeoutError, id="APITimeoutError"),
    pytest.param(
        token_200_without_access_token,
        TokenExchangeError,
        id="TokenExchangeError no access_token",
    ),
    pytest.param(token_200_not_json, TokenExchangeError, id="TokenExchangeError html"),
    pytest.param(
        both_credentials_as_arguments, ConfigurationError, id="ConfigurationError arguments"
    ),
    pytest.param(
        both_credentials_in_the_environment, ConfigurationError, id="ConfigurationError env"
    ),
    pytest.param(
        half_credentials_in_the_environment, ConfigurationError, id="ConfigurationError half"
    ),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("scenario", "error"), SCENARIOS)
async def test_errors_hide_secrets(
    api: respx.MockRouter,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    scenario: Scenario,
    error: type[GlooError],
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(error) as info:
        await scenario(api, clock)
    assert type(info.value) is error
    assert_error_hides_secrets(info.value)
    assert_logs_hide_secrets(caplog)


@pytest.mark.asyncio
async def test_token_exchange_error_says_what_to_check(
    api: respx.MockRouter, clock: FakeClock
) -> None:
    with pytest.raises(TokenExchangeError) as info:
        await token_401(api, clock)
    assert info.value.status_code == 401
    assert "GLOO_CLIENT_SECRET" in str(info.value)
    assert api.routes["token"].call_count == 1
    assert not api.routes["v2"].called


@pytest.mark.asyncio
async def test_the_errors_really_went_through_the_token_flow(
    api: respx.MockRouter, clock: FakeClock
) -> None:
    """The double-401 scenario saw both tokens, so its check above is meaningful."""
    with pytest.raises(AuthenticationError):
        await double_401(api, clock)
    auths = [c.request.headers["Authorization"] for c in api.routes["v2"].calls]
    assert auths == [f"Bearer {ACCESS_TOKEN}", f"Bearer {SECOND_TOKEN}"]
    assert api.routes["token"].calls.last.request.headers["Authorization"] == (
        f"Basic {BASIC_VALUE}"
    )


# --------------------------------------------------------------------------- logs


@pytest.mark.asyncio
async def test_debug_logs_of_a_full_client_credentials_flow_hide_secrets(
    api: respx.MockRouter, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: gloo_ai, httpx, httpcore, respx
    api.routes["token"].mock(
        side_effect=[
            httpx.Response(200, json=token_json()),
            httpx.Response(200, json=token_json(SECOND_TOKEN)),
        ]
    )
    api.routes["v2"].mock(
        side_effect=[
            httpx.Response(200, json=completion_json("first")),
            httpx.Response(401, json={"detail": "Token expired"}),
            httpx.Response(200, json=completion_json("after refresh")),
            httpx.Response(503, json={"detail": "busy"}),
            httpx.Response(200, json=completion_json("after retry")),
            httpx.Response(200, content=STREAM_BODY, headers={"content-type": "text/event-stream"}),
        ]
    )
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, _clock=clock) as client:
        first = await client.chat.completions.create(messages=MESSAGES)
        refreshed = await client.chat.completions.create(messages=MESSAGES)
        retried = await client.chat.completions.create(messages=MESSAGES)
        stream = await client.chat.completions.create(
            messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        async with stream:
            chunks = [chunk async for chunk in stream]
        assert_no_secret(repr(client), "the client's repr")

    # The flow happened as scripted...
    assert first.choices[0].message.content == "first"
    assert refreshed.choices[0].message.content == "after refresh"
    assert retried.choices[0].message.content == "after retry"
    assert len(chunks) == 3
    assert api.routes["token"].call_count == 2
    assert api.routes["v2"].call_count == 6
    assert clock.sleeps  # the 503 was retried
    # ...and was logged, by the SDK and by httpx, at DEBUG...
    names = {record.name for record in caplog.records}
    assert "gloo_ai" in names
    assert "httpx" in names
    assert any(record.levelno == logging.DEBUG for record in caplog.records)
    # ...without a secret anywhere.
    assert_logs_hide_secrets(caplog)


@pytest.mark.asyncio
async def test_debug_logs_of_an_api_key_flow_hide_the_key(
    api: respx.MockRouter, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.routes["v2"].mock(
        side_effect=[
            httpx.Response(200, json=completion_json()),
            httpx.Response(502, json={"detail": "bad gateway"}),
            httpx.Response(200, json=completion_json()),
            httpx.Response(200, content=STREAM_BODY, headers={"content-type": "text/event-stream"}),
            httpx.Response(401, json={"detail": "Invalid API key"}),
        ]
    )
    async with AsyncGloo(api_key=API_KEY, _clock=clock) as client:
        await client.chat.completions.create(messages=MESSAGES)
        await client.chat.completions.create(messages=MESSAGES)
        async with await client.chat.completions.create(messages=MESSAGES, stream=True) as s:
            assert len([c async for c in s]) == 3
        with pytest.raises(AuthenticationError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    assert not api.routes["token"].called
    assert api.routes["v2"].calls.last.request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert caplog.records
    assert_error_hides_secrets(info.value)
    assert_logs_hide_secrets(caplog)


@pytest.mark.asyncio
async def test_debug_logs_over_real_sockets_hide_secrets(
    loopback: LoopbackServer, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """httpcore only logs when it really sends (respx replaces it), so use a real server."""
    caplog.set_level(logging.DEBUG)
    loopback.add("/oauth2/token", Reply(200, token_json()), Reply(200, token_json(SECOND_TOKEN)))
    loopback.add(
        "/ai/v2/chat/completions",
        Reply(200, completion_json()),
        Reply(401, {"detail": "Token expired"}),
        Reply(200, completion_json()),
        Reply(200, chunks=[STREAM_BODY.decode()], headers={"content-type": "text/event-stream"}),
    )
    async with AsyncGloo(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=loopback.url, _clock=clock
    ) as client:
        await client.chat.completions.create(messages=MESSAGES)
        await client.chat.completions.create(messages=MESSAGES)
        stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
        async with stream:
            assert len([chunk async for chunk in stream]) == 3
    assert loopback.count("/oauth2/token") == 2
    assert "httpcore.http11" in {record.name for record in caplog.records}
    assert_logs_hide_secrets(caplog)
