"""The lean send path: requests built once with their final headers, the aiohttp transport
sent below httpx's client (gloo_ai/_send.py), answers read whole by the transport.

Each behaviour is checked on the loopback server for the three ways a request leaves the
SDK: the default transport (httpx's client), ``transport="aiohttp"`` (the direct path), and
an `aiohttp_client()` passed as ``http_client`` (httpx's client around the aiohttp
transport), so the direct path is held to what httpx's client does.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from gloo_ai import (
    APIConnectionError,
    AsyncGloo,
    AuthenticationError,
    BadRequestError,
    InvalidArgumentError,
    ResponseTooLargeError,
    __version__,
)
from gloo_ai._config import RequestOptions
from gloo_ai.resources._options import call_options
from gloo_ai.transports import AiohttpTransport, aiohttp_client
from tests.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    SEND_FORMS,
    FakeClock,
    completion_json,
    gloo_on,
    token_json,
)
from tests.loopback import LoopbackServer, Reply

pytest.importorskip("aiohttp")

PATH = "/ai/v2/chat/completions"
TOKEN_PATH = "/oauth2/token"
MESSAGES = [{"role": "user", "content": "How can I be joyful in hard times?"}]
FORMS = list(SEND_FORMS)
gloo = gloo_on


async def complete(client: AsyncGloo, **kwargs: Any) -> str | None:
    completion = await client.chat.completions.create(messages=MESSAGES, model="m", **kwargs)
    return completion.choices[0].message.content


def test_an_sdk_built_aiohttp_client_sends_directly_and_others_through_httpx() -> None:
    direct = AsyncGloo(api_key="k", transport="aiohttp")
    default = AsyncGloo(api_key="k")
    given = AsyncGloo(api_key="k", http_client=aiohttp_client())
    assert direct._transport.state.direct
    assert not default._transport.state.direct
    assert not given._transport.state.direct  # a client of the user's: its hooks, its proxies


# --- the request on the wire -----------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.asyncio
async def test_the_request_carries_each_header_once(
    form: str, loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.default(PATH, Reply(200, completion_json("Joy.")))
    async with gloo(form, loopback.url, clock) as client:
        assert await complete(client) == "Joy."
    seen = loopback.seen[0]
    body = json.dumps(
        {"messages": MESSAGES, "auto_routing": False, "model": "m"}, separators=(",", ":")
    )
    assert json.loads(seen.body) == json.loads(body)
    assert seen.headers["content-length"] == str(len(seen.body))
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["accept"] == "application/json"
    assert seen.headers["authorization"] == "Bearer k"
    assert seen.headers["user-agent"] == f"gloo-ai-python/{__version__}"
    assert seen.headers["host"] == loopback.url.removeprefix("http://")
    assert "transfer-encoding" not in seen.headers


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.asyncio
async def test_call_headers_override_defaults_and_the_sdk_sets_accept(
    form: str, loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.default(PATH, Reply(200, completion_json()))
    defaults = {"Accept": "text/plain", "X-Team": "a", "Content-Type": "text/plain"}
    async with gloo(form, loopback.url, clock, default_headers=defaults) as client:
        await complete(client)  # a default naming a header the SDK sets: the merging path
        await complete(client, extra_headers={"X-Team": "b", "X-Trace": "t1"})
        await complete(client, extra_headers={"Accept": "application/x-ndjson"})
        await complete(client, extra_query={"trace": "1"})
    first, second, third, fourth = loopback.seen
    assert first.headers["accept"] == "application/json"  # the SDK's, not the default's
    assert first.headers["content-type"] == "application/json"
    assert first.headers["x-team"] == "a"
    assert (second.headers["x-team"], second.headers["x-trace"]) == ("b", "t1")
    assert third.headers["accept"] == "application/x-ndjson"  # the call's own wins
    assert fourth.headers["x-team"] == "a"
    assert all(s.headers["content-length"] == str(len(s.body)) for s in loopback.seen)


@pytest.mark.asyncio
async def test_query_parameters_reach_the_server() -> None:
    import respx

    with respx.mock(base_url="https://api.test") as router:
        route = router.post(PATH).respond(200, json=completion_json())
        async with AsyncGloo(api_key="k", base_url="https://api.test") as client:
            await complete(client, extra_query={"trace": "1", "n": 2})
            await complete(client)
    first, second = (call.request for call in route.calls)
    assert first.url.params == httpx.QueryParams({"trace": "1", "n": "2"})
    assert not second.url.params  # the cached URL of the path was not changed


# --- the answer ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_an_answer_a_transport_read_whole_is_still_held_to_the_limit() -> None:
    import respx

    with respx.mock(base_url="https://api.test") as router:  # respx answers are read already
        router.post(PATH).respond(200, json=completion_json("x" * 3000))
        async with AsyncGloo(
            api_key="k", base_url="https://api.test", max_response_bytes=2000
        ) as client:
            with pytest.raises(ResponseTooLargeError):
                await complete(client)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.asyncio
async def test_a_cookie_an_answer_sets_is_kept_and_none_is_sent(
    form: str, loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.default(PATH, Reply(200, completion_json(), headers={"set-cookie": "sid=42"}))
    async with gloo(form, loopback.url, clock) as client:
        await complete(client)
        await complete(client)
        http = client._transport.state._http
        assert http.cookies.get("sid") == "42"
    # As httpx's AsyncClient.send with a request built outside the client: none is sent.
    assert all("cookie" not in seen.headers for seen in loopback.seen)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.asyncio
async def test_a_401_refreshes_the_token_and_replays_once(
    form: str, loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.add(TOKEN_PATH, Reply(200, token_json("old")), Reply(200, token_json("new")))
    loopback.add(PATH, Reply(401, {"detail": "token expired"}), Reply(200, completion_json("Ok.")))
    async with gloo(
        form, loopback.url, clock, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    ) as client:
        assert await complete(client) == "Ok."
    calls = [s.headers["authorization"] for s in loopback.seen if s.path == PATH]
    assert calls == ["Bearer old", "Bearer new"]
    assert loopback.count(TOKEN_PATH) == 2


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.asyncio
async def test_an_api_key_401_is_the_answer(
    form: str, loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.default(PATH, Reply(401, {"detail": "invalid key"}))
    async with gloo(form, loopback.url, clock) as client:
        with pytest.raises(AuthenticationError, match="invalid key"):
            await complete(client)
    assert loopback.count(PATH) == 1


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.asyncio
async def test_an_answer_over_the_limit_is_refused_and_the_client_goes_on(
    form: str, loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.add(PATH, Reply(200, completion_json("x" * 3000)), Reply(200, completion_json()))
    async with gloo(form, loopback.url, clock, max_response_bytes=2000) as client:
        with pytest.raises(ResponseTooLargeError):
            await complete(client)
        await complete(client)
    assert loopback.count(PATH) == 2
    assert loopback.wait_closed() == 0


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.asyncio
async def test_a_large_error_body_is_read_in_part_and_an_error_still_raised(
    form: str, loopback: LoopbackServer, clock: FakeClock
) -> None:
    detail = "y" * (2 * 1024 * 1024)  # over the 1 MiB an error body is read to
    loopback.add(PATH, Reply(400, {"detail": detail}), Reply(200, completion_json("Next.")))
    async with gloo(form, loopback.url, clock) as client:
        with pytest.raises(BadRequestError) as info:
            await complete(client)
        assert info.value.status_code == 400
        assert await complete(client) == "Next."
    assert loopback.wait_closed() == 0


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.asyncio
async def test_a_body_cut_short_is_not_resent_by_default(
    form: str, loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.default(PATH, Reply(200, completion_json("lost"), drop_after=0))
    async with gloo(form, loopback.url, clock) as client:
        with pytest.raises(APIConnectionError, match="retry_read_errors"):
            await complete(client)
    assert loopback.count(PATH) == 1  # it may have run: not paid for twice


# --- the aiohttp transport's caches ------------------------------------------------------------


def test_timeouts_are_built_once_per_value_and_honoured() -> None:
    transport = AiohttpTransport()
    a = transport._client_timeout({"connect": 10.0, "read": 180.0, "write": 1.0, "pool": 5.0})
    b = transport._client_timeout({"connect": 10.0, "read": 180.0, "write": 1.0, "pool": 5.0})
    c = transport._client_timeout({"connect": 10.0, "read": 2.0, "write": 1.0, "pool": 5.0})
    assert a is b
    assert (a.sock_read, a.sock_connect, a.connect) == (180.0, 10.0, 15.0)
    assert (c.sock_read, c.connect) == (2.0, 15.0)
    for read in range(300):  # bounded: a caller with ever new timeouts does not grow it
        transport._client_timeout({"connect": 1.0, "read": float(read), "pool": 1.0})
    assert len(transport._timeouts) <= 256


def test_urls_are_parsed_once_per_url_object() -> None:
    transport = AiohttpTransport()
    url = httpx.URL("http://127.0.0.1:9/ai/v2/chat/completions?x=%2F")
    assert transport._aiohttp_url(url) is transport._aiohttp_url(url)
    same = httpx.URL(str(url))
    assert transport._aiohttp_url(same) == transport._aiohttp_url(url)
    assert str(transport._aiohttp_url(url)) == str(url)  # encoded as httpx encoded it
    for n in range(300):
        transport._aiohttp_url(httpx.URL(f"http://127.0.0.1:9/p{n}"))
    assert len(transport._urls) <= 256


@pytest.mark.asyncio
async def test_a_path_url_is_parsed_once_for_every_call(
    loopback: LoopbackServer, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The builder's URL object reaches the transport (not a copy per request), so the
    transport's cache by object parses it once."""
    loopback.default(PATH, Reply(200, completion_json()))
    async with gloo("aiohttp", loopback.url, clock) as client:
        transport = client._transport.state.http()._transport
        assert isinstance(transport, AiohttpTransport)
        parsed: list[str] = []
        parse = transport._url

        def counting(url: str, **kwargs: Any) -> Any:
            parsed.append(url)
            return parse(url, **kwargs)

        monkeypatch.setattr(transport, "_url", counting)
        for _ in range(3):
            await complete(client)
    assert parsed == [loopback.url + PATH]


@pytest.mark.asyncio
async def test_the_owned_transport_leaves_the_loop_checks_to_the_pool(
    loopback: LoopbackServer, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AsyncGloo's pool checks the event loop and the process before every request, so its
    own aiohttp transport does not check them again; a transport given by the user does."""
    from gloo_ai.transports import _aiohttp

    loopback.default(PATH, Reply(200, completion_json()))
    lookups: list[object] = []
    running = _aiohttp._running_asyncio_loop

    def counting() -> Any:
        lookups.append(None)
        return running()

    monkeypatch.setattr(_aiohttp, "_running_asyncio_loop", counting)
    async with gloo("aiohttp", loopback.url, clock) as client:
        for _ in range(3):
            await complete(client)
    assert len(lookups) == 1  # when the session was created
    lookups.clear()
    async with gloo("aiohttp_given", loopback.url, clock) as client:
        for _ in range(3):
            await complete(client)
    assert len(lookups) == 3


@pytest.mark.parametrize(
    "value", [b"plain", "Jos\u00e9".encode(), b"Jos\xe9"], ids=["ascii", "utf-8", "latin-1"]
)
def test_request_headers_are_decoded_as_httpx_would(value: bytes) -> None:
    """The SDK sends ASCII headers only; a request of the user's httpx client through the
    transport may carry others, decoded with httpx's encoding for the whole set."""
    from gloo_ai.transports._aiohttp_convert import aiohttp_headers

    headers = httpx.Headers([(b"X-Name", value), (b"Content-Length", b"2"), (b"Accept", b"*/*")])
    encoding = headers.encoding
    assert aiohttp_headers(headers) == [
        ("X-Name", value.decode(encoding)),
        ("Accept", "*/*"),
    ]


# --- call options ---------------------------------------------------------------------------


def test_a_call_without_options_shares_one_request_options() -> None:
    plain = call_options({}, retry="default")
    assert plain == RequestOptions()
    assert call_options({"extra_query": None, "extra_headers": {}}, retry="default") is plain
    assert call_options({"extra_body": {"x": 1}}, retry="default") is plain
    assert call_options({}, retry="default", stream=True) == RequestOptions(stream=True)
    assert call_options({"timeout": None}, retry="default").timeout is None  # no timeout
    assert call_options({}, retry="idempotent").retry == "idempotent"
    assert call_options({}, retry="default", auth=False).auth is False
    assert call_options({}, retry="default", query={"q": 1}).query == {"q": 1}
    with pytest.raises(InvalidArgumentError):
        call_options({"extra_headers": 0}, retry="default")  # still checked


@pytest.mark.asyncio
async def test_an_upload_sends_one_accept_whatever_the_defaults_case() -> None:
    import respx

    with respx.mock(base_url="https://api.test") as router:
        route = router.post("/upload").respond(200, json={"ok": True})
        async with AsyncGloo(
            api_key="k", base_url="https://api.test", default_headers={"accept": "text/plain"}
        ) as client:
            await client.post("/upload", cast_to=object, files={"file": b"data"})
    request = route.calls.last.request
    assert request.headers.get_list("accept") == ["application/json"]
    assert request.headers["content-type"].startswith("multipart/form-data")
