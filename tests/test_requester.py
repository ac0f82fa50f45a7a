"""The core every area shares: the generic verbs, per-call auth and retry policy, query
parameters, with_options and the client's settings checks."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import respx

from gloo_ai import (
    APIConnectionError,
    AsyncGloo,
    ConfigurationError,
    InternalServerError,
    InvalidArgumentError,
    NotFoundError,
)
from gloo_ai._models import GlooModel
from gloo_ai.resources._base import AsyncAPIResource
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

BASE = "https://platform.ai.gloo.com"
MODELS = "/platform/v2/models"
ITEM = "/engine/v2/items/abc"


class Item(GlooModel):
    item_id: str
    item_title: str | None = None


def credentials(clock: FakeClock | None = None, **kwargs: Any) -> AsyncGloo:
    return AsyncGloo(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, _clock=clock or FakeClock(), **kwargs
    )


# --- the generic verbs ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_get_parses_into_a_model_with_auth_and_query() -> None:
    with respx.mock() as mock:
        token = mock.post(TOKEN_URL).respond(200, json=token_json())
        route = mock.get(BASE + ITEM).respond(200, json={"item_id": "abc", "extra": 1})
        async with credentials() as client:
            item = await client.get(ITEM, cast_to=Item, query={"expand": "all"})
    assert isinstance(item, Item)
    assert item.item_id == "abc"
    assert item.extra == 1  # type: ignore[attr-defined]
    request = route.calls.last.request
    assert request.url.params["expand"] == "all"
    assert request.headers["Authorization"].startswith("Bearer ")
    assert token.call_count == 1


@pytest.mark.asyncio
async def test_a_call_without_auth_sends_no_credentials_and_fetches_no_token() -> None:
    with respx.mock(assert_all_called=False) as mock:
        token = mock.post(TOKEN_URL).respond(200, json=token_json())
        route = mock.get(BASE + MODELS).respond(200, json={"object": "list", "data": []})
        async with credentials() as client:
            answer = await client.get(MODELS, auth=False)
    assert answer == {"object": "list", "data": []}
    assert "Authorization" not in route.calls.last.request.headers
    assert token.call_count == 0


@pytest.mark.asyncio
async def test_post_patch_put_delete_send_json_and_parse_lists() -> None:
    with respx.mock() as mock:
        post = mock.post(BASE + "/x").respond(200, json=[{"item_id": "1"}])
        patch = mock.patch(BASE + "/x").respond(200, json={"success": True})
        put = mock.put(BASE + "/x").respond(200, json={"task": "stop"})
        delete = mock.delete(BASE + "/x").respond(200, json={"deleted": True})
        async with AsyncGloo(api_key="k") as client:
            items = await client.post("/x", body={"q": "é"}, cast_to=list[Item])
            assert [i.item_id for i in items] == ["1"]
            assert await client.patch("/x", body={"a": 1}) == {"success": True}
            assert await client.put("/x") == {"task": "stop"}
            assert await client.delete("/x", cast_to=dict[str, bool]) == {"deleted": True}
    assert post.calls.last.request.content == '{"q":"é"}'.encode()
    assert post.calls.last.request.headers["Content-Type"] == "application/json"
    assert patch.calls.last.request.content == b'{"a":1}'
    assert put.calls.last.request.content == b""
    assert delete.called


@pytest.mark.asyncio
async def test_errors_map_as_for_every_resource_and_name_the_url() -> None:
    with respx.mock() as mock:
        mock.get(BASE + ITEM).respond(404, json={"detail": "Item not found"})
        async with AsyncGloo(api_key="k") as client:
            with pytest.raises(NotFoundError) as info:
                await client.get(ITEM)
    assert f"GET {BASE}{ITEM}" in str(info.value)
    assert "Item not found" in str(info.value)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("engine/v2/items", "must start with '/'"),
        ("https://evil.example.com/steal", "not under this client's base URL"),
        ("https://platform.ai.gloo.com.evil.example.com/x", "not under this client's base URL"),
        ("", "path must be a string"),
    ],
)
async def test_a_bad_path_is_refused_before_anything_is_sent(path: str, message: str) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.route().respond(200, json={})
        async with AsyncGloo(api_key="k") as client:
            with pytest.raises(InvalidArgumentError, match=message):
                await client.get(path)
    assert route.call_count == 0


@pytest.mark.asyncio
async def test_an_absolute_url_on_the_base_url_is_allowed() -> None:
    with respx.mock() as mock:
        mock.get(BASE + ITEM).respond(200, json={"item_id": "abc"})
        async with AsyncGloo(api_key="k") as client:
            assert await client.get(BASE + ITEM) == {"item_id": "abc"}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"body": {}, "files": {"f": b"x"}}, "not both"),
        ({"data": {"a": "b"}}, "add files"),
        ({"retry": "sometimes"}, "retry must be one of"),
        ({"auth": "no"}, "auth must be True or False"),
        ({"timeout": -1}, "timeout"),
    ],
)
async def test_bad_options_are_refused_before_anything_is_sent(
    kwargs: dict[str, Any], message: str
) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.route().respond(200, json={})
        async with AsyncGloo(api_key="k") as client:
            with pytest.raises(InvalidArgumentError, match=message):
                await client.post("/x", **kwargs)
    assert route.call_count == 0


@pytest.mark.asyncio
async def test_a_misspelt_option_names_the_close_match() -> None:
    async with AsyncGloo(api_key="k") as client:
        with pytest.raises(InvalidArgumentError, match="'qeury'; did you mean 'query'"):
            await client.get("/x", qeury={"a": 1})  # type: ignore[call-overload]


@pytest.mark.asyncio
async def test_a_body_json_cannot_carry_is_refused() -> None:
    async with AsyncGloo(api_key="k") as client:
        with pytest.raises(InvalidArgumentError, match="JSON"):
            await client.post("/x", body={"when": object()})


# --- retry policies, counted on the loopback server ----------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize(("retry", "attempts"), [("default", 3), ("idempotent", 3), ("never", 1)])
async def test_error_statuses_follow_the_calls_retry_policy(
    loopback: LoopbackServer, retry: str, attempts: int
) -> None:
    loopback.default("/x", Reply(503, {"detail": "busy"}))
    clock = FakeClock()
    async with AsyncGloo(api_key="k", base_url=loopback.url, _clock=clock) as client:
        with pytest.raises(InternalServerError):
            await client.post("/x", retry=retry)  # type: ignore[arg-type]
    assert loopback.count("/x") == attempts
    assert len(clock.sleeps) == attempts - 1


@pytest.mark.asyncio
@pytest.mark.parametrize(("retry", "attempts"), [("idempotent", 3), ("never", 1)])
async def test_a_dropped_answer_follows_the_calls_retry_policy(
    loopback: LoopbackServer, retry: str, attempts: int
) -> None:
    loopback.default("/x", Reply(200, {"ok": True}, drop_after=0))
    async with AsyncGloo(api_key="k", base_url=loopback.url, _clock=FakeClock()) as client:
        with pytest.raises(APIConnectionError):
            await client.delete("/x", retry=retry)  # type: ignore[arg-type]
    assert loopback.count("/x") == attempts


@pytest.mark.asyncio
async def test_never_still_retries_a_connection_that_could_not_be_opened() -> None:
    # Nothing reached the server, so trying again cannot repeat the call.
    attempts = 0

    def refuse(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"deleted": True})

    with respx.mock() as mock:
        mock.delete(BASE + "/x").mock(side_effect=refuse)
        async with AsyncGloo(api_key="k", _clock=FakeClock()) as client:
            assert await client.delete("/x", retry="never") == {"deleted": True}
    assert attempts == 2


@pytest.mark.asyncio
async def test_per_call_max_retries_applies_to_the_generic_verbs(loopback: LoopbackServer) -> None:
    loopback.default("/x", Reply(503, {"detail": "busy"}))
    async with AsyncGloo(api_key="k", base_url=loopback.url, _clock=FakeClock()) as client:
        with pytest.raises(InternalServerError):
            await client.get("/x", max_retries=0)
    assert loopback.count("/x") == 1


# --- with_options ------------------------------------------------------------------------------


class _Probe(AsyncAPIResource):
    """A stand-in for a future area: it sees only its requester."""

    async def ping(self) -> Any:
        return await self._requester.call("GET", "/ping", cast_to=object)


@pytest.mark.asyncio
async def test_with_options_builds_every_area_anew_from_the_copys_settings(
    loopback: LoopbackServer,
) -> None:
    loopback.default("/ping", Reply(503, {"detail": "busy"}))
    loopback.default("/ai/v2/chat/completions", Reply(503, {"detail": "busy"}))
    async with AsyncGloo(api_key="k", base_url=loopback.url, _clock=FakeClock()) as client:
        _ = client.chat.completions  # cached on the parent before the copy is made
        copy = client.with_options(max_retries=0, default_headers={"X-Team": "a"})
        assert copy.chat is not client.chat
        assert copy.chat.completions is not client.chat.completions
        with pytest.raises(InternalServerError):
            await copy.chat.completions.create(messages=[{"role": "user", "content": "hi"}])
        assert loopback.count("/ai/v2/chat/completions") == 1
        with pytest.raises(InternalServerError):
            await _Probe(copy._requester).ping()
        assert loopback.count("/ping") == 1
        assert loopback.seen[-1].headers["x-team"] == "a"
        assert copy._transport.state is client._transport.state  # one pool, one token
    assert copy.is_closed


@pytest.mark.asyncio
async def test_resources_never_see_the_client() -> None:
    async with AsyncGloo(api_key="k") as client:
        completions = client.chat.completions
        assert not any(isinstance(v, AsyncGloo) for v in vars(completions).values())


# --- the client's settings ---------------------------------------------------------------------


def test_arguments_are_keyword_only_with_a_message_that_says_what_to_pass() -> None:
    with pytest.raises(ConfigurationError, match=r"keyword arguments only: pass api_key=") as info:
        AsyncGloo("the-api-key")  # type: ignore[misc]
    assert "the-api-key" not in str(info.value)


@pytest.mark.parametrize(
    ("base_url", "fix"),
    [
        ("https://platform.ai.gloo.com/ai/v2", "'https://platform.ai.gloo.com'"),
        ("https://platform.ai.gloo.com/ai/v2/chat/completions", "'https://platform.ai.gloo.com'"),
        ("https://platform.ai.gloo.com/ai/v1/", "'https://platform.ai.gloo.com'"),
        ("https://platform.ai.gloo.com/platform/v2", "'https://platform.ai.gloo.com'"),
        ("https://proxy.example.com/gloo/ai/v2", "'https://proxy.example.com/gloo'"),
        ("https://platform.ai.gloo.com/ai", "'https://platform.ai.gloo.com'"),
    ],
)
def test_a_base_url_with_an_api_path_is_refused_with_the_fix(base_url: str, fix: str) -> None:
    with pytest.raises(ConfigurationError, match="without an API path") as info:
        AsyncGloo(api_key="k", base_url=base_url)
    assert f"base_url={fix}" in str(info.value)


@pytest.mark.parametrize("base_url", ["https://proxy.example.com/gloo", "http://127.0.0.1:8080"])
def test_a_base_url_with_another_path_is_accepted(base_url: str) -> None:
    assert AsyncGloo(api_key="k", base_url=base_url).base_url == base_url


def test_credentials_in_a_base_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(ConfigurationError, match="must not contain a user name") as info:
        AsyncGloo(api_key="k", base_url="https://user:hunter2@platform.ai.gloo.com")
    assert "hunter2" not in str(info.value)


def test_repr_of_a_half_built_client_does_not_raise() -> None:
    client = object.__new__(AsyncGloo)
    assert repr(client) == "AsyncGloo(<not configured>)"


def test_closing_after_the_event_loop_finished_discards_the_pool(
    loopback: LoopbackServer,
) -> None:
    loopback.default(
        "/ai/v2/chat/completions", Reply(200, completion_json(), headers={"x-request-id": "r"})
    )
    client = AsyncGloo(api_key="k", base_url=loopback.url)
    asyncio.run(client.chat.completions.create(messages=[{"role": "user", "content": "hi"}]))
    assert loopback.open_connections == 1
    asyncio.run(client.aclose())  # used to raise "Event loop is closed"
    assert client.is_closed
    assert loopback.wait_closed() == 0


@pytest.mark.asyncio
async def test_status_errors_name_the_full_url() -> None:
    with respx.mock() as mock:
        mock.post(TOKEN_URL).respond(200, json=token_json())
        mock.post(V2_URL).respond(400, json={"detail": "bad"})
        async with credentials() as client:
            with pytest.raises(Exception, match=f"from POST {V2_URL}"):
                await client.chat.completions.create(messages=[{"role": "user", "content": "x"}])


# --- the call's budget, as the token flow sees it ---------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("with_credentials", [True, False], ids=["token flow", "api key"])
async def test_the_call_budget_is_published_to_the_token_flow_only(
    with_credentials: bool, clock: FakeClock
) -> None:
    """The token flow reads the waiting call's budget (its token request, its 401 replay)
    from `CURRENT_CALL`; an API key's flow reads nothing, so its calls do not set it."""
    from gloo_ai._budget import CURRENT_CALL, CallBudget

    seen: list[object] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(CURRENT_CALL.get())
        return httpx.Response(200, json=completion_json())

    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN_URL).respond(200, json=token_json())
        router.post(V2_URL).mock(side_effect=answer)
        client = credentials(clock) if with_credentials else AsyncGloo(api_key="k", _clock=clock)
        async with client:
            await client.chat.completions.create(messages=[{"role": "user", "content": "Hi"}])
    assert len(seen) == 1
    if with_credentials:
        assert isinstance(seen[0], CallBudget)
    else:
        assert seen[0] is None
    assert CURRENT_CALL.get() is None  # reset after the call
