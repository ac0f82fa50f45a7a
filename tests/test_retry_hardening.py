"""Retries that never repeat a generation silently, one budget per call, rate-limit budgets.

Each case was a way to break the SDK (issue 14, "Retries and budgets"): a hostile server on
the loopback port (tests/loopback.py) or a respx script, and the requests it received
counted. Waits happen on the FakeClock, which records them instead of waiting.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import httpx
import pytest
import respx

from gloo_ai import (
    APIConnectionError,
    APITimeoutError,
    AsyncGloo,
    AuthenticationError,
    ConfigurationError,
    InvalidArgumentError,
    RateLimitError,
    TokenUnavailableError,
)
from gloo_ai._config import INITIAL_RETRY_DELAY
from gloo_ai._retry import retry_transport_error
from tests.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    TOKEN_URL,
    V2_URL,
    FakeClock,
    completion_json,
    token_json,
)
from tests.loopback import LoopbackServer, Reply

MESSAGES = [{"role": "user", "content": "Hi"}]
V2_PATH = "/ai/v2/chat/completions"
ITEM_PATH = "/engine/v2/item/1"
RATE_LIMIT: dict[str, object] = {"error": "Rate limit exceeded", "code": "too_many_requests"}


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


def loop_client(loopback: LoopbackServer, clock: FakeClock, **kwargs: object) -> AsyncGloo:
    return AsyncGloo(api_key="k", base_url=loopback.url, _clock=clock, **kwargs)  # type: ignore[arg-type]


def ok() -> httpx.Response:
    return httpx.Response(200, json=completion_json())


# --- a POST that reached the server is not sent again by default ------------------------------

SENT_FAILURES = [
    pytest.param(Reply(no_answer="close"), APIConnectionError, id="closed-after-the-request"),
    pytest.param(Reply(200, completion_json(), drop_after=0), APIConnectionError, id="body-cut"),
    pytest.param(Reply(no_answer="stall"), APITimeoutError, id="read-timeout"),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("reply", "error"), SENT_FAILURES)
async def test_a_sent_completion_is_not_sent_again(
    loopback: LoopbackServer, clock: FakeClock, reply: Reply, error: type[Exception]
) -> None:
    loopback.default(V2_PATH, reply)
    async with loop_client(loopback, clock, timeout=0.5) as client:
        with pytest.raises(error) as info:
            await client.chat.completions.create(messages=MESSAGES)
    assert loopback.count(V2_PATH) == 1
    assert clock.sleeps == []
    assert "retry_read_errors=True" in str(info.value)
    assert "1 attempt" in str(info.value)


@pytest.mark.asyncio
@pytest.mark.parametrize(("reply", "error"), SENT_FAILURES)
async def test_the_client_can_opt_in_to_resending(
    loopback: LoopbackServer, clock: FakeClock, reply: Reply, error: type[Exception]
) -> None:
    loopback.default(V2_PATH, reply)
    async with loop_client(loopback, clock, timeout=0.5, retry_read_errors=True) as client:
        with pytest.raises(error):
            await client.chat.completions.create(messages=MESSAGES)
    assert loopback.count(V2_PATH) == 3
    assert len(clock.sleeps) == 2


@pytest.mark.asyncio
async def test_one_call_can_opt_in_and_out(loopback: LoopbackServer, clock: FakeClock) -> None:
    loopback.add(V2_PATH, Reply(no_answer="close"), Reply(200, completion_json("again")))
    async with loop_client(loopback, clock) as client:
        completion = await client.chat.completions.create(messages=MESSAGES, retry_read_errors=True)
        assert completion.choices[0].message.content == "again"
        assert loopback.count(V2_PATH) == 2
    loopback.default(V2_PATH, Reply(no_answer="close"))
    async with loop_client(loopback, clock, retry_read_errors=True) as client:
        with pytest.raises(APIConnectionError):
            await client.chat.completions.create(messages=MESSAGES, retry_read_errors=False)
    assert loopback.count(V2_PATH) == 3


@pytest.mark.asyncio
async def test_with_options_carries_the_opt_in(loopback: LoopbackServer, clock: FakeClock) -> None:
    loopback.default(V2_PATH, Reply(no_answer="close"))
    async with loop_client(loopback, clock) as client:
        eager = client.with_options(retry_read_errors=True, max_retries=1)
        with pytest.raises(APIConnectionError):
            await eager.chat.completions.create(messages=MESSAGES)
        assert loopback.count(V2_PATH) == 2
        with pytest.raises(APIConnectionError):
            await client.chat.completions.create(messages=MESSAGES)
    assert loopback.count(V2_PATH) == 3


@pytest.mark.asyncio
async def test_an_idempotent_read_is_resent_after_a_drop(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.add(ITEM_PATH, Reply(no_answer="close"), Reply(200, {"ok": True}))
    async with loop_client(loopback, clock) as client:
        assert await client.get(ITEM_PATH) == {"ok": True}
    assert loopback.count(ITEM_PATH) == 2


@pytest.mark.asyncio
async def test_what_proves_nothing_was_processed_is_still_retried(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.add(V2_PATH, Reply(503), Reply(408), Reply(200, completion_json()))
    async with loop_client(loopback, clock) as client:
        await client.chat.completions.create(messages=MESSAGES)
    assert loopback.count(V2_PATH) == 3


@pytest.mark.asyncio
async def test_connect_and_write_failures_are_retried_under_the_default_policy(
    mock: respx.MockRouter, clock: FakeClock
) -> None:
    route = mock.post(V2_URL).mock(
        side_effect=[httpx.ConnectError("refused"), httpx.WriteError("reset"), ok()]
    )
    async with AsyncGloo(api_key="k", _clock=clock) as client:
        await client.chat.completions.create(messages=MESSAGES)
    assert route.call_count == 3


def test_the_policy_table() -> None:
    for failure in ("not_sent", "not_written", "no_answer", "answer_cut"):
        assert retry_transport_error("idempotent", failure=failure) is True
    assert retry_transport_error("never", failure="not_sent") is True
    assert retry_transport_error("never", failure="not_written") is False
    assert retry_transport_error("never", failure="no_answer", retry_read_errors=True) is False
    assert retry_transport_error("default", failure="not_written") is True
    assert retry_transport_error("default", failure="no_answer") is False
    assert retry_transport_error("default", failure="answer_cut") is False
    assert retry_transport_error("default", failure="answer_cut", retry_read_errors=True) is True


@pytest.mark.asyncio
@pytest.mark.parametrize("value", [1, "yes", None])
async def test_a_bad_opt_in_is_refused_before_sending(
    mock: respx.MockRouter, clock: FakeClock, value: object
) -> None:
    route = mock.post(V2_URL).mock(return_value=ok())
    with pytest.raises(ConfigurationError, match="retry_read_errors"):
        AsyncGloo(api_key="k", retry_read_errors=value)  # type: ignore[arg-type]
    async with AsyncGloo(api_key="k", _clock=clock) as client:
        with pytest.raises(InvalidArgumentError, match="retry_read_errors"):
            await client.chat.completions.create(messages=MESSAGES, retry_read_errors=value)  # type: ignore[call-overload]
        with pytest.raises(ConfigurationError, match="retry_read_errors"):
            client.with_options(retry_read_errors=value)  # type: ignore[arg-type]
    assert route.call_count == 0


# --- one call, one budget ---------------------------------------------------------------------


def cycle(*replies: int) -> list[httpx.Response]:
    statuses = list(replies) * 20
    return [httpx.Response(s, json=token_json() if s == 200 else {"error": "x"}) for s in statuses]


@pytest.mark.asyncio
async def test_401_and_503_with_a_flaky_token_endpoint_share_one_budget(
    mock: respx.MockRouter, clock: FakeClock
) -> None:
    tokens = mock.post(TOKEN_URL).mock(side_effect=cycle(503, 503, 200))
    api = mock.post(V2_URL).mock(side_effect=cycle(401, 503))
    async with AsyncGloo(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, max_retries=2, _clock=clock
    ) as client:
        with pytest.raises(TokenUnavailableError):
            await client.chat.completions.create(messages=MESSAGES)
    # Token: 503, 503 (both retries spent), 200; API: 401; its one replay needs a token, and
    # the token endpoint's 503 finds no retry left. Before: 6 API and 12 token requests.
    assert tokens.call_count == 4
    assert api.call_count == 1


@pytest.mark.asyncio
async def test_the_401_replay_happens_once_per_call_not_once_per_retry(
    mock: respx.MockRouter, clock: FakeClock
) -> None:
    tokens = mock.post(TOKEN_URL).mock(side_effect=cycle(200))
    api = mock.post(V2_URL).mock(side_effect=cycle(401, 503))
    async with AsyncGloo(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, max_retries=2, _clock=clock
    ) as client:
        with pytest.raises(AuthenticationError):
            await client.chat.completions.create(messages=MESSAGES)
    # 401, replay → 503, retry → 401: the replay is spent, so the 401 stands.
    assert api.call_count == 3
    assert tokens.call_count == 2


@pytest.mark.asyncio
async def test_the_call_timeout_bounds_its_token_request(
    mock: respx.MockRouter, clock: FakeClock
) -> None:
    seen: list[dict[str, float | None]] = []

    def hang(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        raise httpx.ReadTimeout("the token endpoint hangs", request=request)

    mock.post(TOKEN_URL).mock(side_effect=hang)
    api = mock.post(V2_URL).mock(return_value=ok())
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, _clock=clock) as client:
        with pytest.raises(TokenUnavailableError, match="timed out"):
            await client.chat.completions.create(messages=MESSAGES, timeout=1, max_retries=0)
    assert seen == [{"connect": 1.0, "read": 1.0, "write": 1.0, "pool": 1.0}]  # not 10 s x 3
    assert api.call_count == 0


@pytest.mark.asyncio
async def test_a_hung_token_endpoint_fails_the_call_within_its_timeout(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.default("/oauth2/token", Reply(no_answer="stall"))
    async with AsyncGloo(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=loopback.url, _clock=clock
    ) as client:
        with pytest.raises(TokenUnavailableError, match="1 attempt"):
            await client.chat.completions.create(messages=MESSAGES, timeout=0.3, max_retries=0)
    assert loopback.count("/oauth2/token") == 1
    assert loopback.count(V2_PATH) == 0


# --- rate limits: a budget of their own, and the backoff floor --------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("retry_after", ["0", "-5", "Wed, 21 Oct 2015 07:28:00 GMT"])
async def test_a_zero_negative_or_past_retry_after_keeps_the_backoff_floor(
    mock: respx.MockRouter, clock: FakeClock, retry_after: str
) -> None:
    route = mock.post(V2_URL).mock(
        return_value=httpx.Response(429, json=RATE_LIMIT, headers={"retry-after": retry_after})
    )
    async with AsyncGloo(api_key="k", max_rate_limit_retries=3, _clock=clock) as client:
        with pytest.raises(RateLimitError):
            await client.chat.completions.create(messages=MESSAGES)
    assert route.call_count == 4
    # Each wait is at least the jittered backoff (0.5, 1, 2 s, shortened by at most 25 %).
    assert len(clock.sleeps) == 3
    for n, slept in enumerate(clock.sleeps):
        assert slept >= INITIAL_RETRY_DELAY * 2**n * 0.75


@pytest.mark.asyncio
async def test_twenty_percent_429s_are_absorbed_by_the_rate_limit_budget(
    mock: respx.MockRouter, clock: FakeClock
) -> None:
    script = random.Random(14)  # 20 % of answers are 429 with Retry-After: 1
    limited = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal limited
        if script.random() < 0.2:
            limited += 1
            return httpx.Response(429, json=RATE_LIMIT, headers={"retry-after": "1"})
        return ok()

    route = mock.post(V2_URL).mock(side_effect=answer)
    failures = 0
    async with AsyncGloo(api_key="k", _clock=clock) as client:  # the defaults: 2 and 5
        assert client.max_retries == 2
        for _ in range(2000):
            try:
                await client.chat.completions.create(messages=MESSAGES)
            except RateLimitError:
                failures += 1
    assert failures == 0
    assert limited > 300  # about 20 % of the attempts
    assert route.call_count == 2000 + limited  # each 429 cost exactly one more attempt
    assert len(clock.sleeps) == limited


@pytest.mark.asyncio
async def test_the_rate_limit_budget_is_apart_from_max_retries(
    mock: respx.MockRouter, clock: FakeClock
) -> None:
    limited = httpx.Response(429, json=RATE_LIMIT, headers={"retry-after": "1"})
    route = mock.post(V2_URL).mock(
        side_effect=[limited, limited, limited, httpx.Response(503), ok()]
    )
    async with AsyncGloo(api_key="k", max_retries=1, _clock=clock) as client:
        await client.chat.completions.create(messages=MESSAGES)
    assert route.call_count == 5
    route.mock(side_effect=[limited, limited])
    async with AsyncGloo(api_key="k", _clock=clock) as client:
        with pytest.raises(RateLimitError):
            await client.chat.completions.create(messages=MESSAGES, max_rate_limit_retries=1)
        assert client.with_options(max_rate_limit_retries=0).max_rate_limit_retries == 0
    assert route.call_count == 7


@pytest.mark.parametrize("value", [-1, 1.5, True, "5"])
def test_a_bad_rate_limit_budget_is_refused(value: object) -> None:
    with pytest.raises(ConfigurationError, match="max_rate_limit_retries"):
        AsyncGloo(api_key="k", max_rate_limit_retries=value)  # type: ignore[arg-type]
