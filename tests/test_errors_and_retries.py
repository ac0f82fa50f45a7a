"""Errors and retries through the client: status → class, Gloo error fields, attempts counted,
connections released, request ids on success.

HTTP is mocked with respx or served by the loopback server; retries sleep on the FakeClock,
which records every wait instead of waiting.
"""

from __future__ import annotations

import email.utils
import json
from collections.abc import Iterator
from datetime import datetime, timezone

import httpx
import pytest
import respx

from gloo_ai import (
    APIConnectionError,
    APIError,
    APIResponse,
    APIStatusError,
    APITimeoutError,
    AsyncGloo,
    AsyncStream,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    GlooError,
    InternalServerError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    TokenUnavailableError,
    UnprocessableEntityError,
)
from gloo_ai._retry import backoff_delay
from gloo_ai.types.chat import ChatCompletion, ChatCompletionChunk
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

RATE_LIMIT: dict[str, object] = {"error": "Rate limit exceeded", "code": "too_many_requests"}
SPENDING_LIMIT: dict[str, object] = {
    "error": "Weekly spending limit reached",
    "code": "too_many_requests",
}
FASTAPI_LIST: dict[str, object] = {
    "detail": [
        {"type": "missing", "loc": ["query", "chat_id"], "msg": "Field required", "input": None}
    ]
}
FASTAPI_STRING: dict[str, object] = {"detail": "Error generating response."}
AI_ERROR: dict[str, object] = {
    "error": {
        "type": "service_unavailable_error",
        "code": 2002,
        "name": "PROVIDER_UNAVAILABLE",
        "fault": "provider",
        "retryable": True,
        "message": "The model provider is unavailable; try again shortly.",
    }
}
NOT_RETRYABLE_503: dict[str, object] = {
    "error": {
        "type": "service_unavailable_error",
        "code": 2006,
        "name": "EMPTY_COMPLETION",
        "fault": "provider",
        "retryable": False,
        "message": "The model returned an empty completion; raise max_tokens.",
    }
}


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


def make_client(clock: FakeClock, **kwargs: object) -> AsyncGloo:
    return AsyncGloo(api_key="k", _clock=clock, **kwargs)  # type: ignore[arg-type]


def ok(request_id: str | None = "req-ok", content: str = "Hello!") -> httpx.Response:
    hdrs = {"x-request-id": request_id} if request_id else {}
    return httpx.Response(200, json=completion_json(content), headers=hdrs)


def err(status: int, body: object = None, **hdrs: str) -> httpx.Response:
    headers = {k.replace("_", "-"): v for k, v in hdrs.items()}
    if body is None:
        return httpx.Response(status, headers=headers)
    if isinstance(body, str):
        return httpx.Response(status, text=body, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def http_date(epoch: float) -> str:
    return email.utils.format_datetime(datetime.fromtimestamp(epoch, tz=timezone.utc), usegmt=True)


# --- 2. every status maps to its class -------------------------------------------------------


STATUS_CLASSES = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (409, ConflictError),
    (422, UnprocessableEntityError),
    (429, RateLimitError),
    (500, InternalServerError),
    (501, InternalServerError),
    (502, InternalServerError),
    (503, InternalServerError),
    (504, InternalServerError),
    (418, APIStatusError),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
async def test_status_maps_to_class(
    mock: respx.MockRouter, clock: FakeClock, status: int, cls: type[APIStatusError]
) -> None:
    body = {"error": f"status {status}", "code": f"c{status}"}
    route = mock.post(V2_URL).mock(return_value=err(status, body, x_request_id=f"req-{status}"))
    async with make_client(clock, max_retries=0, max_rate_limit_retries=0) as client:
        with pytest.raises(APIStatusError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    exc = info.value
    assert type(exc) is cls
    assert isinstance(exc, APIStatusError)
    assert isinstance(exc, APIError)
    assert isinstance(exc, GlooError)
    assert exc.status_code == status
    assert exc.request_id == f"req-{status}"
    assert exc.body == body
    assert exc.response.status_code == status
    assert exc.request is not None
    assert str(exc.request.url) == V2_URL
    assert f"Error code: {status}" in str(exc)
    assert route.call_count == 1


@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
def test_status_classes_form_one_tree(status: int, cls: type[APIStatusError]) -> None:
    assert issubclass(cls, APIStatusError)
    assert issubclass(cls, APIError)
    assert issubclass(cls, GlooError)
    assert not issubclass(cls, APIConnectionError)


def test_connection_errors_are_api_errors() -> None:
    assert issubclass(APITimeoutError, APIConnectionError)
    assert issubclass(APIConnectionError, APIError)
    assert not issubclass(APIConnectionError, APIStatusError)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("hdrs", "expected"),
    [
        pytest.param({"x-request-id": "req-x"}, "req-x", id="x-request-id"),
        pytest.param({"request-id": "req-plain"}, "req-plain", id="request-id"),
        pytest.param({"x-request-id": "req-x", "request-id": "req-plain"}, "req-x", id="x-wins"),
        pytest.param({}, None, id="none"),
    ],
)
async def test_status_error_request_id(
    mock: respx.MockRouter, clock: FakeClock, hdrs: dict[str, str], expected: str | None
) -> None:
    mock.post(V2_URL).mock(
        return_value=httpx.Response(404, json={"detail": "Not Found"}, headers=hdrs)
    )
    async with make_client(clock) as client:
        with pytest.raises(NotFoundError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    assert info.value.request_id == expected
    assert repr(expected) in repr(info.value)


# --- 3. Gloo error fields from the three body shapes -----------------------------------------


@pytest.mark.asyncio
async def test_shape_1_simple_string_error(mock: respx.MockRouter, clock: FakeClock) -> None:
    mock.post(V2_URL).mock(return_value=err(429, RATE_LIMIT))
    async with make_client(clock, max_retries=0) as client:
        with pytest.raises(RateLimitError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    exc = info.value
    assert exc.code == "too_many_requests"
    assert exc.detail == "Rate limit exceeded"
    assert exc.name is None
    assert exc.fault is None
    assert exc.retryable is None
    assert exc.retry_after is None
    message = str(exc)
    assert "429" in message
    assert "too_many_requests" in message
    assert "Rate limit exceeded" in message


@pytest.mark.asyncio
async def test_shape_1_auth_error(mock: respx.MockRouter, clock: FakeClock) -> None:
    body = {"error": "Missing Authorization", "code": "unauthorized_missing_authorization"}
    mock.post(V2_URL).mock(return_value=err(401, body))
    async with make_client(clock) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    assert info.value.code == "unauthorized_missing_authorization"
    assert info.value.detail == "Missing Authorization"
    assert "Missing Authorization" in str(info.value)
    assert "credentials" in str(info.value).lower()


@pytest.mark.asyncio
async def test_shape_2_fastapi_validation_list(mock: respx.MockRouter, clock: FakeClock) -> None:
    mock.post(V2_URL).mock(return_value=err(422, FASTAPI_LIST))
    async with make_client(clock) as client:
        with pytest.raises(UnprocessableEntityError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    exc = info.value
    assert exc.body == FASTAPI_LIST
    assert exc.detail == "query.chat_id: Field required"
    assert exc.code is None
    assert exc.name is None
    assert exc.retryable is None
    assert "422" in str(exc)
    assert "query.chat_id: Field required" in str(exc)


@pytest.mark.asyncio
async def test_shape_2_fastapi_string_detail(mock: respx.MockRouter, clock: FakeClock) -> None:
    mock.post(V2_URL).mock(return_value=err(500, FASTAPI_STRING))
    async with make_client(clock, max_retries=0) as client:
        with pytest.raises(InternalServerError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    exc = info.value
    assert exc.detail == "Error generating response."
    assert exc.code is None
    assert "500" in str(exc)
    assert "Error generating response." in str(exc)


@pytest.mark.asyncio
async def test_shape_3_ai_error_object(mock: respx.MockRouter, clock: FakeClock) -> None:
    mock.post(V2_URL).mock(return_value=err(503, AI_ERROR, x_request_id="req-ai"))
    async with make_client(clock, max_retries=0) as client:
        with pytest.raises(InternalServerError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    exc = info.value
    assert exc.code == 2002
    assert exc.name == "PROVIDER_UNAVAILABLE"
    assert exc.fault == "provider"
    assert exc.retryable is True
    assert exc.detail == "The model provider is unavailable; try again shortly."
    assert exc.request_id == "req-ai"
    message = str(exc)
    assert "503" in message
    assert "2002" in message
    assert "PROVIDER_UNAVAILABLE" in message
    assert "The model provider is unavailable" in message


@pytest.mark.asyncio
async def test_shape_3_type_used_when_name_is_missing(
    mock: respx.MockRouter, clock: FakeClock
) -> None:
    body = {"error": {"type": "service_unavailable_error", "code": 2006, "retryable": True}}
    mock.post(V2_URL).mock(return_value=err(503, body))
    async with make_client(clock, max_retries=0) as client:
        with pytest.raises(InternalServerError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    assert info.value.code == 2006
    assert info.value.name == "service_unavailable_error"
    assert info.value.detail is None
    assert "2006" in str(info.value)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("status", "text"),
    [
        pytest.param(502, "Bad Gateway: upstream connect error", id="plain-text"),
        pytest.param(
            500, "<html><body><h1>500 Internal Server Error</h1></body></html>", id="html"
        ),
        pytest.param(400, '{"error": "unterminated', id="broken-json"),
    ],
)
async def test_non_json_body_does_not_crash(
    mock: respx.MockRouter, clock: FakeClock, status: int, text: str
) -> None:
    mock.post(V2_URL).mock(
        return_value=httpx.Response(status, text=text, headers={"content-type": "text/plain"})
    )
    async with make_client(clock, max_retries=0) as client:
        with pytest.raises(APIStatusError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    exc = info.value
    assert exc.status_code == status
    assert exc.body == text
    assert exc.code is None
    assert exc.detail is None
    assert str(status) in str(exc)
    assert text in str(exc)


@pytest.mark.asyncio
async def test_long_text_body_is_shortened_in_the_message(
    mock: respx.MockRouter, clock: FakeClock
) -> None:
    text = "x" * 5000
    mock.post(V2_URL).mock(return_value=httpx.Response(400, text=text))
    async with make_client(clock) as client:
        with pytest.raises(BadRequestError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    assert info.value.body == text
    assert len(str(info.value)) < 1000


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [400, 404, 500, 503])
async def test_empty_body_does_not_crash(
    mock: respx.MockRouter, clock: FakeClock, status: int
) -> None:
    mock.post(V2_URL).mock(return_value=httpx.Response(status))
    async with make_client(clock, max_retries=0) as client:
        with pytest.raises(APIStatusError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    exc = info.value
    assert exc.status_code == status
    assert exc.body is None
    assert exc.code is None
    assert exc.detail is None
    assert f"Error code: {status}" in str(exc)


@pytest.mark.asyncio
@pytest.mark.parametrize("body", [["a", "list"], "just a string", 42, None])
async def test_json_that_is_not_an_object_does_not_crash(
    mock: respx.MockRouter, clock: FakeClock, body: object
) -> None:
    mock.post(V2_URL).mock(
        return_value=httpx.Response(
            400, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
        )
    )
    async with make_client(clock) as client:
        with pytest.raises(BadRequestError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    assert info.value.body == body
    assert info.value.code is None


# --- 4. attempts counted ---------------------------------------------------------------------


@pytest.mark.asyncio
async def test_503_twice_then_success(mock: respx.MockRouter, clock: FakeClock) -> None:
    route = mock.post(V2_URL).mock(side_effect=[err(503, AI_ERROR), err(503), ok()])
    async with make_client(clock) as client:
        completion = await client.chat.completions.create(messages=MESSAGES)
    assert completion.choices[0].message.content == "Hello!"
    assert route.call_count == 3
    assert len(clock.sleeps) == 2
    # Capped exponential backoff, jittered down by at most a quarter.
    assert backoff_delay(0, 1.0) <= clock.sleeps[0] <= backoff_delay(0, 0.0)
    assert backoff_delay(1, 1.0) <= clock.sleeps[1] <= backoff_delay(1, 0.0)


@pytest.mark.asyncio
async def test_503_always_exhausts_default_retries(
    mock: respx.MockRouter, clock: FakeClock
) -> None:
    route = mock.post(V2_URL).mock(return_value=err(503, AI_ERROR, x_request_id="req-last"))
    async with make_client(clock) as client:
        assert client.max_retries == 2
        with pytest.raises(InternalServerError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    assert route.call_count == 3
    assert len(clock.sleeps) == 2
    assert info.value.status_code == 503
    assert info.value.request_id == "req-last"


@pytest.mark.asyncio
async def test_503_always_with_max_retries_2(mock: respx.MockRouter, clock: FakeClock) -> None:
    route = mock.post(V2_URL).mock(return_value=err(503))
    async with make_client(clock, max_retries=2) as client:
        with pytest.raises(InternalServerError):
            await client.chat.completions.create(messages=MESSAGES)
    assert route.call_count == 3


@pytest.mark.asyncio
async def test_max_retries_0_on_the_client(mock: respx.MockRouter, clock: FakeClock) -> None:
    route = mock.post(V2_URL).mock(return_value=err(503))
    async with make_client(clock, max_retries=0) as client:
        with pytest.raises(InternalServerError):
            await client.chat.completions.create(messages=MESSAGES)
    assert route.call_count == 1
    assert clock.sleeps == []


@pytest.mark.asyncio
async def test_per_call_max_retries_overrides(mock: respx.MockRouter, clock: FakeClock) -> None:
    route = mock.post(V2_URL).mock(return_value=err(503))
    async with make_client(clock, max_retries=0) as client:
        with pytest.raises(InternalServerError):
            await client.chat.completions.create(messages=MESSAGES, max_retries=5)
        assert route.call_count == 6
        assert len(clock.sleeps) == 5
        # The backoff doubles and is capped, each step jittered down by at most a quarter.
        for n, slept in enumerate(clock.sleeps):
            assert backoff_delay(n, 1.0) <= slept <= backoff_delay(n, 0.0)
        # The override is per call: the client's default still applies afterwards.
        with pytest.raises(InternalServerError):
            await client.chat.completions.create(messages=MESSAGES)
        assert route.call_count == 7


@pytest.mark.asyncio
async def test_per_call_max_retries_0_overrides(mock: respx.MockRouter, clock: FakeClock) -> None:
    route = mock.post(V2_URL).mock(return_value=err(503))
    async with make_client(clock) as client:
        with pytest.raises(InternalServerError):
            await client.chat.completions.create(messages=MESSAGES, max_retries=0)
    assert route.call_count == 1


@pytest.mark.asyncio
async def test_with_options_max_retries(mock: respx.MockRouter, clock: FakeClock) -> None:
    route = mock.post(V2_URL).mock(return_value=err(503))
    async with make_client(clock) as client:
        fewer = client.with_options(max_retries=1)
        assert fewer.max_retries == 1
        with pytest.raises(InternalServerError):
            await fewer.chat.completions.create(messages=MESSAGES)
        assert route.call_count == 2
        # The original keeps its own default.
        assert client.max_retries == 2
        with pytest.raises(InternalServerError):
            await client.chat.completions.create(messages=MESSAGES)
        assert route.call_count == 5


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 501, 418])
async def test_non_retryable_status_is_one_attempt(
    mock: respx.MockRouter, clock: FakeClock, status: int
) -> None:
    route = mock.post(V2_URL).mock(return_value=err(status, {"detail": "no"}))
    async with make_client(clock) as client:
        with pytest.raises(APIStatusError):
            await client.chat.completions.create(messages=MESSAGES)
    assert route.call_count == 1
    assert clock.sleeps == []


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
async def test_retryable_status_is_retried(
    mock: respx.MockRouter, clock: FakeClock, status: int
) -> None:
    route = mock.post(V2_URL).mock(side_effect=[err(status), err(status), ok()])
    async with make_client(clock) as client:
        completion = await client.chat.completions.create(messages=MESSAGES)
    assert completion.choices[0].message.content == "Hello!"
    assert route.call_count == 3
    assert len(clock.sleeps) == 2


@pytest.mark.asyncio
@pytest.mark.parametrize(("status", "cls"), [(408, APIStatusError), (504, InternalServerError)])
async def test_408_and_504_exhaust_retries(
    mock: respx.MockRouter, clock: FakeClock, status: int, cls: type[APIStatusError]
) -> None:
    route = mock.post(V2_URL).mock(return_value=err(status))
    async with make_client(clock) as client:
        with pytest.raises(cls) as info:
            await client.chat.completions.create(messages=MESSAGES)
    assert type(info.value) is cls
    assert route.call_count == 3


@pytest.mark.asyncio
async def test_503_retryable_false_is_one_attempt(mock: respx.MockRouter, clock: FakeClock) -> None:
    route = mock.post(V2_URL).mock(return_value=err(503, NOT_RETRYABLE_503))
    async with make_client(clock) as client:
        with pytest.raises(InternalServerError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    assert route.call_count == 1
    assert clock.sleeps == []
    assert info.value.retryable is False
    assert info.value.code == 2006


@pytest.mark.asyncio
async def test_retryable_true_on_a_400_is_retried(mock: respx.MockRouter, clock: FakeClock) -> None:
    body = {"error": {"code": 1999, "name": "TRANSIENT", "retryable": True}}
    route = mock.post(V2_URL).mock(side_effect=[err(400, body), ok()])
    async with make_client(clock) as client:
        await client.chat.completions.create(messages=MESSAGES)
    assert route.call_count == 2


@pytest.mark.asyncio
async def test_429_spending_limit_is_one_attempt(mock: respx.MockRouter, clock: FakeClock) -> None:
    route = mock.post(V2_URL).mock(return_value=err(429, SPENDING_LIMIT, retry_after="5"))
    async with make_client(clock) as client:
        with pytest.raises(RateLimitError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    assert route.call_count == 1
    assert clock.sleeps == []
    assert "spending limit" in str(info.value).lower()


@pytest.mark.asyncio
async def test_429_rate_limit_is_retried(mock: respx.MockRouter, clock: FakeClock) -> None:
    route = mock.post(V2_URL).mock(side_effect=[err(429, RATE_LIMIT), ok()])
    async with make_client(clock) as client:
        await client.chat.completions.create(messages=MESSAGES)
    assert route.call_count == 2
    assert len(clock.sleeps) == 1


@pytest.mark.asyncio
async def test_429_retry_after_3_is_the_recorded_sleep(
    mock: respx.MockRouter, clock: FakeClock
) -> None:
    route = mock.post(V2_URL).mock(side_effect=[err(429, RATE_LIMIT, retry_after="3"), ok()])
    async with make_client(clock) as client:
        await client.chat.completions.create(messages=MESSAGES)
    assert route.call_count == 2
    assert clock.sleeps == [3.0]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("hdrs", "expected"),
    [
        pytest.param({"retry-after-ms": "1500"}, 1.5, id="retry-after-ms"),
        pytest.param({"x-ratelimit-reset": "12"}, 12.0, id="reset-delay"),
        pytest.param({"x-ratelimit-reset": "1800000030"}, 30.0, id="reset-epoch-seconds"),
        pytest.param({"x-ratelimit-reset": "1800000007500"}, 7.5, id="reset-epoch-millis"),
        pytest.param({"retry-after": http_date(1_800_000_020)}, 20.0, id="http-date"),
        pytest.param({"retry-after-ms": "2000", "retry-after": "9"}, 2.0, id="ms-first"),
    ],
)
async def test_server_wait_headers_are_the_recorded_sleep(
    mock: respx.MockRouter, clock: FakeClock, hdrs: dict[str, str], expected: float
) -> None:
    # FakeClock.time() starts at 1_800_000_000 (the wall clock the policy compares with).
    assert clock.time() == 1_800_000_000.0
    route = mock.post(V2_URL).mock(
        side_effect=[httpx.Response(429, json=RATE_LIMIT, headers=hdrs), ok()]
    )
    async with make_client(clock) as client:
        await client.chat.completions.create(messages=MESSAGES)
    assert route.call_count == 2
    assert clock.sleeps == [expected]


@pytest.mark.asyncio
async def test_retry_after_on_every_attempt_then_raise(
    mock: respx.MockRouter, clock: FakeClock
) -> None:
    route = mock.post(V2_URL).mock(return_value=err(429, RATE_LIMIT, retry_after="2"))
    async with make_client(clock, max_rate_limit_retries=2) as client:
        with pytest.raises(RateLimitError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    assert route.call_count == 3
    assert clock.sleeps == [2.0, 2.0]
    assert info.value.retry_after == 2.0


@pytest.mark.asyncio
async def test_retry_after_above_the_cap_raises_at_once(
    mock: respx.MockRouter, clock: FakeClock
) -> None:
    route = mock.post(V2_URL).mock(return_value=err(429, RATE_LIMIT, retry_after="3600"))
    async with make_client(clock) as client:
        with pytest.raises(RateLimitError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    assert route.call_count == 1
    assert clock.sleeps == []
    exc = info.value
    assert exc.retry_after == 3600
    message = str(exc)
    assert "3600" in message
    assert "retry after" in message.lower()


@pytest.mark.asyncio
async def test_reset_epoch_above_the_cap_raises_at_once(
    mock: respx.MockRouter, clock: FakeClock
) -> None:
    reset = str(int(clock.time()) + 900)
    route = mock.post(V2_URL).mock(return_value=err(429, RATE_LIMIT, x_ratelimit_reset=reset))
    async with make_client(clock) as client:
        with pytest.raises(RateLimitError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    assert route.call_count == 1
    assert info.value.retry_after == 900.0
    assert "900" in str(info.value)


@pytest.mark.asyncio
async def test_connect_error_is_retried_then_raises(
    mock: respx.MockRouter, clock: FakeClock
) -> None:
    route = mock.post(V2_URL).mock(side_effect=httpx.ConnectError("connection refused"))
    async with make_client(clock) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    assert type(info.value) is APIConnectionError
    assert route.call_count == 3
    assert len(clock.sleeps) == 2
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert "3 attempt" in str(info.value)


@pytest.mark.asyncio
async def test_read_timeout_is_retried_then_raises_when_opted_in(
    mock: respx.MockRouter, clock: FakeClock
) -> None:
    route = mock.post(V2_URL).mock(side_effect=httpx.ReadTimeout("timed out"))
    async with make_client(clock, max_retries=3, retry_read_errors=True) as client:
        with pytest.raises(APITimeoutError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    assert route.call_count == 4
    assert len(clock.sleeps) == 3
    assert isinstance(info.value, APIConnectionError)
    assert "timeout" in str(info.value).lower() or "timed out" in str(info.value).lower()


@pytest.mark.asyncio
async def test_connection_error_with_no_retries(mock: respx.MockRouter, clock: FakeClock) -> None:
    route = mock.post(V2_URL).mock(side_effect=httpx.ConnectError("refused"))
    async with make_client(clock) as client:
        with pytest.raises(APIConnectionError):
            await client.chat.completions.create(messages=MESSAGES, max_retries=0)
    assert route.call_count == 1
    assert clock.sleeps == []


@pytest.mark.asyncio
async def test_mixed_failures_share_one_retry_budget(
    mock: respx.MockRouter, clock: FakeClock
) -> None:
    route = mock.post(V2_URL).mock(
        side_effect=[httpx.ConnectError("refused"), err(503), httpx.ReadTimeout("slow"), ok()]
    )
    async with make_client(clock, max_retries=3, retry_read_errors=True) as client:
        completion = await client.chat.completions.create(messages=MESSAGES)
    assert completion.choices[0].message.content == "Hello!"
    assert route.call_count == 4
    assert len(clock.sleeps) == 3


@pytest.mark.asyncio
async def test_mixed_failures_exhaust_the_budget(mock: respx.MockRouter, clock: FakeClock) -> None:
    route = mock.post(V2_URL).mock(
        side_effect=[httpx.ConnectError("refused"), err(503), httpx.ReadTimeout("slow"), ok()]
    )
    async with make_client(clock, retry_read_errors=True) as client:
        with pytest.raises(APITimeoutError):
            await client.chat.completions.create(messages=MESSAGES)
    assert route.call_count == 3


@pytest.mark.asyncio
async def test_retries_reuse_one_token(mock: respx.MockRouter, clock: FakeClock) -> None:
    token = mock.post(TOKEN_URL).mock(return_value=httpx.Response(200, json=token_json()))
    route = mock.post(V2_URL).mock(side_effect=[err(503), err(503), ok()])
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, _clock=clock) as client:
        await client.chat.completions.create(messages=MESSAGES)
    assert token.call_count == 1
    assert route.call_count == 3


@pytest.mark.asyncio
async def test_token_endpoint_failure_is_not_retried_twice(
    mock: respx.MockRouter, clock: FakeClock
) -> None:
    token = mock.post(TOKEN_URL).mock(return_value=httpx.Response(503))
    route = mock.post(V2_URL).mock(return_value=ok())
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, _clock=clock) as client:
        with pytest.raises(TokenUnavailableError):
            await client.chat.completions.create(messages=MESSAGES)
    # The token flow retries (1 + 2 attempts); the outer loop does not multiply them.
    assert token.call_count == 3
    assert route.call_count == 0


@pytest.mark.asyncio
async def test_token_endpoint_connect_error_is_not_retried_twice(
    mock: respx.MockRouter, clock: FakeClock
) -> None:
    token = mock.post(TOKEN_URL).mock(side_effect=httpx.ConnectError("refused"))
    route = mock.post(V2_URL).mock(return_value=ok())
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, _clock=clock) as client:
        with pytest.raises(TokenUnavailableError):
            await client.chat.completions.create(messages=MESSAGES)
    assert token.call_count == 3
    assert route.call_count == 0


@pytest.mark.asyncio
async def test_raw_response_errors_still_raise(mock: respx.MockRouter, clock: FakeClock) -> None:
    route = mock.post(V2_URL).mock(return_value=err(400, {"detail": "bad"}))
    async with make_client(clock) as client:
        with pytest.raises(BadRequestError):
            await client.chat.completions.with_raw_response.create(messages=MESSAGES)
    assert route.call_count == 1


# --- 5. invalid max_retries ------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("value", [-1, "2", 1.5, None, True])
async def test_invalid_per_call_max_retries(
    mock: respx.MockRouter, clock: FakeClock, value: object
) -> None:
    route = mock.post(V2_URL).mock(return_value=ok())
    async with make_client(clock) as client:
        with pytest.raises(InvalidArgumentError) as info:
            await client.chat.completions.create(messages=MESSAGES, max_retries=value)  # type: ignore[call-overload]
    assert "max_retries" in str(info.value)
    assert route.call_count == 0


@pytest.mark.asyncio
async def test_invalid_per_call_max_retries_sends_no_token_request(
    mock: respx.MockRouter, clock: FakeClock
) -> None:
    token = mock.post(TOKEN_URL).mock(return_value=httpx.Response(200, json=token_json()))
    route = mock.post(V2_URL).mock(return_value=ok())
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, _clock=clock) as client:
        with pytest.raises(InvalidArgumentError):
            await client.chat.completions.create(messages=MESSAGES, max_retries=-1)
    assert token.call_count == 0
    assert route.call_count == 0


@pytest.mark.parametrize("value", [-1, "2", 1.5, None, True])
def test_invalid_client_max_retries(clock: FakeClock, value: object) -> None:
    with respx.mock(assert_all_called=False) as router:
        route = router.route()
        with pytest.raises(ConfigurationError) as info:
            AsyncGloo(api_key="k", max_retries=value, _clock=clock)  # type: ignore[arg-type]
        assert route.call_count == 0
    assert "max_retries" in str(info.value)


@pytest.mark.asyncio
@pytest.mark.parametrize("value", [-1, "2"])
async def test_invalid_with_options_max_retries(
    mock: respx.MockRouter, clock: FakeClock, value: object
) -> None:
    route = mock.post(V2_URL).mock(return_value=ok())
    async with make_client(clock) as client:
        with pytest.raises(ConfigurationError):
            client.with_options(max_retries=value)  # type: ignore[arg-type]
    assert route.call_count == 0


# --- 6. no open connections remain (loopback server) -----------------------------------------


def loop_client(loopback: LoopbackServer, clock: FakeClock, **kwargs: object) -> AsyncGloo:
    return AsyncGloo(api_key="k", base_url=loopback.url, _clock=clock, **kwargs)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_no_connections_left_after_ten_error_answers(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    for _ in range(5):
        loopback.add(V2_PATH, Reply(400, {"detail": "bad"}))
        loopback.add(V2_PATH, Reply(503, AI_ERROR), Reply(503, AI_ERROR), Reply(503, AI_ERROR))
    client = loop_client(loopback, clock)
    try:
        for i in range(10):
            expected = BadRequestError if i % 2 == 0 else InternalServerError
            with pytest.raises(expected):
                await client.chat.completions.create(messages=MESSAGES)
        assert loopback.count(V2_PATH) == 5 * 1 + 5 * 3
        assert loopback.connections_opened == 1
        assert loopback.open_connections == 1
    finally:
        await client.aclose()
    assert loopback.wait_closed() == 0


@pytest.mark.asyncio
async def test_body_dropped_midway_is_retried_and_released_when_opted_in(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.add(
        V2_PATH,
        Reply(200, completion_json("lost"), drop_after=0),
        Reply(200, completion_json("second try")),
    )
    client = loop_client(loopback, clock, retry_read_errors=True)
    try:
        completion = await client.chat.completions.create(messages=MESSAGES)
        assert completion.choices[0].message.content == "second try"
        assert loopback.count(V2_PATH) == 2
        assert len(clock.sleeps) == 1
        # The dropped connection is gone; the retry opened exactly one more.
        assert loopback.connections_opened == 2
        assert loopback.wait_closed(open_at_most=1) == 1
    finally:
        await client.aclose()
    assert loopback.wait_closed() == 0


@pytest.mark.asyncio
async def test_chunked_body_dropped_midway_is_retried_and_released_when_opted_in(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    payload = json.dumps(completion_json("lost"))
    loopback.add(
        V2_PATH,
        Reply(200, chunks=[payload[:20], payload[20:40], payload[40:]], drop_after=1),
        Reply(200, chunks=[json.dumps(completion_json("chunked ok"))]),
    )
    client = loop_client(loopback, clock, retry_read_errors=True)
    try:
        completion = await client.chat.completions.create(messages=MESSAGES)
        assert completion.choices[0].message.content == "chunked ok"
        assert loopback.count(V2_PATH) == 2
        assert loopback.connections_opened == 2
    finally:
        await client.aclose()
    assert loopback.wait_closed() == 0


@pytest.mark.asyncio
async def test_body_always_dropped_raises_connection_error_and_releases(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.default(V2_PATH, Reply(200, completion_json(), drop_after=0))
    client = loop_client(loopback, clock, retry_read_errors=True)
    try:
        with pytest.raises(APIConnectionError):
            await client.chat.completions.create(messages=MESSAGES)
        assert loopback.count(V2_PATH) == 3
    finally:
        await client.aclose()
    assert loopback.wait_closed() == 0


@pytest.mark.asyncio
async def test_streamed_500_reads_the_error_and_releases_the_connection(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    provider_down: dict[str, object] = {
        "error": {"code": 2002, "name": "PROVIDER_UNAVAILABLE", "retryable": False}
    }
    loopback.add(V2_PATH, Reply(500, provider_down))
    loopback.add(
        V2_PATH,
        Reply(500, FASTAPI_STRING, chunks=[b'{"detail": "Error ', b'generating response."}']),
    )
    loopback.default(V2_PATH, Reply(200, completion_json("after")))
    client = loop_client(loopback, clock, max_retries=0)
    try:
        with pytest.raises(InternalServerError) as first:
            await client.chat.completions.create(messages=MESSAGES, stream=True)
        assert first.value.code == 2002
        assert first.value.retryable is False
        with pytest.raises(InternalServerError) as second:
            await client.chat.completions.create(messages=MESSAGES, stream=True)
        assert second.value.detail == "Error generating response."
        assert second.value.body == FASTAPI_STRING
        # Both error bodies were read and their connection went back to the pool.
        completion = await client.chat.completions.create(messages=MESSAGES)
        assert completion.choices[0].message.content == "after"
        assert loopback.count(V2_PATH) == 3
        assert loopback.connections_opened == 1
    finally:
        await client.aclose()
    assert loopback.wait_closed() == 0


@pytest.mark.asyncio
async def test_streamed_503_is_retried_before_the_first_byte(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    chunk = {
        "id": "gen-1",
        "object": "chat.completion.chunk",
        "created": 1768500882,
        "model": "gloo-openai-gpt-5.2",
        "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": "stop"}],
    }
    loopback.add(
        V2_PATH,
        Reply(503, AI_ERROR),
        Reply(
            200,
            headers={"content-type": "text/event-stream"},
            chunks=[f"data: {json.dumps(chunk)}\n\n"],
        ),
    )
    client = loop_client(loopback, clock)
    try:
        stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
        texts = [c.choices[0].delta.content async for c in stream]
        assert texts == ["Hi"]
        assert loopback.count(V2_PATH) == 2
        assert len(clock.sleeps) == 1
        assert loopback.connections_opened == 1
    finally:
        await client.aclose()
    assert loopback.wait_closed() == 0


async def collect(stream: AsyncStream[ChatCompletionChunk], into: list[str | None]) -> None:
    async for chunk in stream:
        into.append(chunk.choices[0].delta.content)


@pytest.mark.asyncio
async def test_stream_dropped_after_first_byte_is_not_retried_and_released(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    chunk = {
        "id": "gen-1",
        "object": "chat.completion.chunk",
        "created": 1768500882,
        "model": "gloo-openai-gpt-5.2",
        "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}],
    }
    event = f"data: {json.dumps(chunk)}\n\n"
    loopback.add(
        V2_PATH,
        Reply(
            200, headers={"content-type": "text/event-stream"}, chunks=[event, event], drop_after=1
        ),
    )
    loopback.default(V2_PATH, Reply(200, completion_json("after the drop")))
    client = loop_client(loopback, clock)
    try:
        stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
        texts: list[str | None] = []
        with pytest.raises(APIConnectionError):
            await collect(stream, texts)
        assert texts == ["Hi"]
        # Streams are retried only before their first byte.
        assert loopback.count(V2_PATH) == 1
        assert clock.sleeps == []
        assert loopback.wait_closed() == 0
        completion = await client.chat.completions.create(messages=MESSAGES)
        assert completion.choices[0].message.content == "after the drop"
        assert loopback.connections_opened == 2
    finally:
        await client.aclose()
    assert loopback.wait_closed() == 0


@pytest.mark.asyncio
async def test_twenty_mixed_requests_reuse_one_connection(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    script = [
        Reply(200, completion_json("a"), headers={"x-request-id": "r1"}),
        Reply(400, {"detail": "bad"}),
        Reply(503, AI_ERROR),  # retried ...
        Reply(200, completion_json("b")),  # ... and succeeds
        Reply(404, {"detail": "Not Found"}),
        Reply(429, SPENDING_LIMIT),
        Reply(422, FASTAPI_LIST),
        Reply(500, "plain text failure", headers={"content-type": "text/plain"}),  # retried ...
        Reply(200, completion_json("c")),  # ... and succeeds
        Reply(503, NOT_RETRYABLE_503),
        Reply(200, b""),  # not a ChatCompletion: a validation error, still released
    ]
    loopback.add(V2_PATH, *script)
    loopback.default(V2_PATH, Reply(200, completion_json("rest")))
    client = loop_client(loopback, clock)
    outcomes: list[str] = []
    try:
        for _ in range(20):
            try:
                completion = await client.chat.completions.create(messages=MESSAGES)
            except APIError as exc:
                outcomes.append(type(exc).__name__)
            else:
                outcomes.append(completion.choices[0].message.content or "")
        assert outcomes[:9] == [
            "a",
            "BadRequestError",
            "b",
            "NotFoundError",
            "RateLimitError",
            "UnprocessableEntityError",
            "c",
            "InternalServerError",
            "APIResponseValidationError",
        ]
        assert outcomes[9:] == ["rest"] * 11
        assert loopback.count(V2_PATH) == 22
        assert loopback.connections_opened == 1
        assert loopback.open_connections == 1
    finally:
        await client.aclose()
    assert loopback.wait_closed() == 0


# --- 7. request ids on success ---------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("hdrs", "expected"),
    [
        pytest.param({"x-request-id": "req-123"}, "req-123", id="x-request-id"),
        pytest.param({"request-id": "req-456"}, "req-456", id="request-id"),
        pytest.param({}, None, id="none"),
    ],
)
async def test_completion_exposes_request_id(
    mock: respx.MockRouter, clock: FakeClock, hdrs: dict[str, str], expected: str | None
) -> None:
    mock.post(V2_URL).mock(return_value=httpx.Response(200, json=completion_json(), headers=hdrs))
    async with make_client(clock) as client:
        completion = await client.chat.completions.create(messages=MESSAGES)
    assert completion._request_id == expected


@pytest.mark.asyncio
async def test_request_id_comes_from_the_successful_attempt(
    mock: respx.MockRouter, clock: FakeClock
) -> None:
    mock.post(V2_URL).mock(side_effect=[err(503, x_request_id="req-failed"), ok("req-good")])
    async with make_client(clock) as client:
        completion = await client.chat.completions.create(messages=MESSAGES)
    assert completion._request_id == "req-good"


@pytest.mark.asyncio
async def test_with_raw_response(mock: respx.MockRouter, clock: FakeClock) -> None:
    route = mock.post(V2_URL).mock(
        return_value=httpx.Response(
            200,
            json=completion_json("raw"),
            headers={"x-request-id": "req-raw", "x-custom": "yes"},
        )
    )
    async with make_client(clock) as client:
        raw = await client.chat.completions.with_raw_response.create(messages=MESSAGES)
        assert isinstance(raw, APIResponse)
        assert raw.status_code == 200
        assert raw.headers["x-custom"] == "yes"
        assert raw.headers["x-request-id"] == "req-raw"
        assert raw.request_id == "req-raw"
        assert raw.http_response.status_code == 200
        assert "req-raw" in repr(raw)
        completion = raw.parse()
        assert isinstance(completion, ChatCompletion)
        assert completion.choices[0].message.content == "raw"
        assert completion._request_id == "req-raw"
        assert raw.parse() is completion
        # The raw view does not change the plain method.
        plain = await client.chat.completions.create(messages=MESSAGES)
        assert isinstance(plain, ChatCompletion)
    assert route.call_count == 2


@pytest.mark.asyncio
async def test_with_raw_response_after_retries(mock: respx.MockRouter, clock: FakeClock) -> None:
    route = mock.post(V2_URL).mock(side_effect=[err(502), ok("req-after-retry")])
    async with make_client(clock) as client:
        raw = await client.chat.completions.with_raw_response.create(messages=MESSAGES)
    assert route.call_count == 2
    assert raw.request_id == "req-after-retry"
    assert isinstance(raw.parse(), ChatCompletion)
