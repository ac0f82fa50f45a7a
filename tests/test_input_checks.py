"""Input checks before sending: each bad value is a clear, typed error and nothing is sent.

Every test mocks the endpoint with respx and asserts that it was never called.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import httpx
import pytest
import respx

from gloo_ai import AsyncGloo, ConfigurationError, InvalidArgumentError
from tests.conftest import V2_URL, FakeClock, completion_json

MESSAGES = [{"role": "user", "content": "Hello"}]
SECRET = "sk-very-secret-header-value"


@pytest.fixture
def v2() -> Iterator[respx.Route]:
    with respx.mock(assert_all_called=False) as router:
        yield router.post(V2_URL).mock(return_value=httpx.Response(200, json=completion_json()))


@pytest.fixture
def client(clock: FakeClock) -> AsyncGloo:
    return AsyncGloo(api_key="k", _clock=clock)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"model": 123}, "model"),
        ({"model": ""}, "model"),
        ({"model_family": []}, "model_family"),
        ({"model_family": 7}, "model_family"),
        ({"auto_routing": "yes"}, "auto_routing"),
        ({"stream": "yes"}, "stream"),
        ({"stream": 1}, "stream"),
    ],
)
async def test_a_routing_or_stream_value_of_the_wrong_type_is_refused(
    client: AsyncGloo, v2: respx.Route, arguments: dict[str, object], named: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=named):
        await client.chat.completions.create(messages=MESSAGES, **arguments)  # type: ignore[call-overload]
    assert v2.call_count == 0


@pytest.mark.asyncio
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
async def test_nan_or_infinity_in_extra_body_is_refused(
    client: AsyncGloo, v2: respx.Route, value: float
) -> None:
    with pytest.raises(InvalidArgumentError, match="NaN and infinity are not JSON numbers"):
        await client.chat.completions.create(
            messages=MESSAGES, extra_body={"metadata": {"score": value}}
        )
    assert v2.call_count == 0


@pytest.mark.asyncio
async def test_a_lone_surrogate_in_the_body_is_refused(client: AsyncGloo, v2: respx.Route) -> None:
    with pytest.raises(InvalidArgumentError, match="surrogate"):
        await client.chat.completions.create(messages=MESSAGES, extra_body={"note": "\ud800"})
    assert v2.call_count == 0


@pytest.mark.asyncio
async def test_a_body_that_refers_to_itself_is_refused(client: AsyncGloo, v2: respx.Route) -> None:
    loop: dict[str, object] = {}
    loop["self"] = loop
    with pytest.raises(InvalidArgumentError, match="refers to itself"):
        await client.chat.completions.create(messages=MESSAGES, extra_body={"meta": loop})
    assert v2.call_count == 0


def test_the_json_encoder_writes_what_json_dumps_writes() -> None:
    """The encoder made once writes the bytes ``json.dumps`` writes with the same settings."""
    import json

    from gloo_ai._request_builder import encode_json

    for body in [{"a": [1, 2.5, None, True], "b": 'caf\u00e9 \u2603 "q"\n'}, "s", 1e16, [], {}]:
        expected = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        assert encode_json(body) == expected.encode()


BAD_HEADERS: list[object] = [
    {"X-Trace": 42},
    {"X-Trace": None},
    {"X-Trace": f"{SECRET}\r\nX-Injected: 1"},
    {"X-Trace": f"{SECRET}\n"},
    {"X-Trace": f"caf\u00e9-{SECRET}"},
    {"X-Trace": f"{SECRET}\ud800"},
    {"X Trace": "ok"},
    {"X-Trace\r\n": "ok"},
    {7: "ok"},
]


@pytest.mark.asyncio
@pytest.mark.parametrize("headers", BAD_HEADERS)
async def test_a_bad_extra_header_is_refused_without_showing_its_value(
    client: AsyncGloo, v2: respx.Route, headers: dict[str, object]
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.chat.completions.create(messages=MESSAGES, extra_headers=headers)  # type: ignore[arg-type]
    assert v2.call_count == 0
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)


@pytest.mark.asyncio
async def test_a_crlf_header_is_not_a_retried_network_error(
    client: AsyncGloo, v2: respx.Route, clock: FakeClock
) -> None:
    with pytest.raises(InvalidArgumentError, match="line break"):
        await client.get("/ai/v1/models", extra_headers={"X-Trace": "a\r\nb"})
    assert clock.sleeps == []  # not retried
    assert v2.call_count == 0


@pytest.mark.parametrize("headers", BAD_HEADERS)
def test_a_bad_default_header_is_a_configuration_error(headers: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        AsyncGloo(api_key="k", default_headers=headers)  # type: ignore[arg-type]
    assert SECRET not in str(caught.value)
    client = AsyncGloo(api_key="k")
    with pytest.raises(ConfigurationError):
        client.with_options(default_headers=headers)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_good_headers_are_sent(client: AsyncGloo, v2: respx.Route) -> None:
    await client.chat.completions.create(
        messages=MESSAGES, extra_headers={"X-Trace": "abc\t123 !~", "X-Id": ""}
    )
    assert v2.calls.last.request.headers["x-trace"] == "abc\t123 !~"


@pytest.mark.asyncio
async def test_a_closed_client_is_a_configuration_error(client: AsyncGloo, v2: respx.Route) -> None:
    await client.chat.completions.create(messages=MESSAGES)
    await client.aclose()
    with pytest.raises(ConfigurationError, match="closed"):
        await client.chat.completions.create(messages=MESSAGES)
    assert v2.call_count == 1
    async with AsyncGloo(api_key="k") as other:
        pass
    with pytest.raises(ConfigurationError, match=r"(?i)create a new AsyncGloo"):
        await other.chat.completions.create(messages=MESSAGES, stream=True)
