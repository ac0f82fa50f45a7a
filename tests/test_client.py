"""AsyncGloo: credentials and settings from arguments and the environment, lifecycle,
``with_options``, and what every request carries (User-Agent, headers, query, body, timeouts).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

import gloo_ai
from gloo_ai import AsyncGloo, ConfigurationError, __version__
from gloo_ai._config import DEFAULT_TIMEOUT
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
API_KEY = "sk-gloo-test-api-key"
OTHER_URL = "https://gloo.example.test"
USER_AGENT = f"gloo-ai-python/{__version__}"


def basic(client_id: str, client_secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


def body_of(request: httpx.Request) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(request.content)
    return body


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """The token endpoint and the v2 completions endpoint, on the default and another host."""
    with respx.mock(assert_all_called=False) as router:
        for base in (BASE_URL, OTHER_URL):
            router.post(f"{base}/oauth2/token", name=f"token {base}").mock(
                return_value=httpx.Response(200, json=token_json())
            )
            router.post(f"{base}/ai/v2/chat/completions", name=f"v2 {base}").mock(
                return_value=httpx.Response(200, json=completion_json())
            )
        yield router


def token_route(api: respx.MockRouter, base: str = BASE_URL) -> respx.Route:
    return api.routes[f"token {base}"]


def v2_route(api: respx.MockRouter, base: str = BASE_URL) -> respx.Route:
    return api.routes[f"v2 {base}"]


async def complete(client: AsyncGloo, **kwargs: Any) -> None:
    await client.chat.completions.create(messages=MESSAGES, **kwargs)


async def sent_authorization(
    api: respx.MockRouter, client: AsyncGloo, base: str = BASE_URL
) -> tuple[str | None, str]:
    """Make one call; return the token request's Basic header (None if no token request)
    and the API request's Authorization header."""
    async with client:
        await complete(client)
    tokens = token_route(api, base)
    basic_header = tokens.calls.last.request.headers["Authorization"] if tokens.called else None
    return basic_header, v2_route(api, base).calls.last.request.headers["Authorization"]


# --------------------------------------------------------------------------- credentials


@pytest.mark.asyncio
async def test_client_credential_arguments_are_exchanged_for_a_token(
    api: respx.MockRouter,
) -> None:
    client = AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    assert client.auth_mode == "client_credentials"
    basic_header, bearer = await sent_authorization(api, client)
    assert basic_header == basic(CLIENT_ID, CLIENT_SECRET)
    assert bearer == f"Bearer {ACCESS_TOKEN}"


@pytest.mark.asyncio
async def test_client_credential_arguments_beat_the_environment(
    api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GLOO_CLIENT_ID", "env-id")
    monkeypatch.setenv("GLOO_CLIENT_SECRET", "env-secret")
    basic_header, _ = await sent_authorization(
        api, AsyncGloo(client_id="arg-id", client_secret="arg-secret")
    )
    assert basic_header == basic("arg-id", "arg-secret")


@pytest.mark.asyncio
async def test_api_key_argument_beats_the_environment(
    api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GLOO_API_KEY", "env-key")
    monkeypatch.setenv("GLOO_AI_API_KEY", "env-alias-key")
    basic_header, bearer = await sent_authorization(api, AsyncGloo(api_key="arg-key"))
    assert basic_header is None
    assert bearer == "Bearer arg-key"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param(
            {"GLOO_CLIENT_ID": "id-a", "GLOO_CLIENT_SECRET": "secret-a"},
            ("id-a", "secret-a"),
            id="GLOO_*",
        ),
        pytest.param(
            {"GLOO_AI_CLIENT_ID": "id-b", "GLOO_AI_CLIENT_SECRET": "secret-b"},
            ("id-b", "secret-b"),
            id="GLOO_AI_* aliases",
        ),
        pytest.param(
            {
                "GLOO_CLIENT_ID": "id-a",
                "GLOO_CLIENT_SECRET": "secret-a",
                "GLOO_AI_CLIENT_ID": "id-b",
                "GLOO_AI_CLIENT_SECRET": "secret-b",
            },
            ("id-a", "secret-a"),
            id="GLOO_* beats its alias",
        ),
        pytest.param(
            {"GLOO_CLIENT_ID": "id-a", "GLOO_AI_CLIENT_ID": "id-b", "GLOO_AI_CLIENT_SECRET": "s-b"},
            ("id-a", "s-b"),
            id="each name beats its own alias",
        ),
        pytest.param(
            {"GLOO_CLIENT_ID": "", "GLOO_AI_CLIENT_ID": "id-b", "GLOO_CLIENT_SECRET": "secret-a"},
            ("id-b", "secret-a"),
            id="an empty GLOO_* name falls back to its alias",
        ),
    ],
)
async def test_client_credentials_from_the_environment(
    api: respx.MockRouter,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    expected: tuple[str, str],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    client = AsyncGloo()
    assert client.auth_mode == "client_credentials"
    basic_header, bearer = await sent_authorization(api, client)
    assert basic_header == basic(*expected)
    assert bearer == f"Bearer {ACCESS_TOKEN}"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({"GLOO_API_KEY": "key-a"}, "key-a", id="GLOO_API_KEY"),
        pytest.param({"GLOO_AI_API_KEY": "key-b"}, "key-b", id="GLOO_AI_API_KEY"),
        pytest.param(
            {"GLOO_API_KEY": "key-a", "GLOO_AI_API_KEY": "key-b"}, "key-a", id="GLOO_* beats alias"
        ),
    ],
)
async def test_api_key_from_the_environment(
    api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    client = AsyncGloo()
    assert client.auth_mode == "api_key"
    basic_header, bearer = await sent_authorization(api, client)
    assert basic_header is None  # no exchange with a static key
    assert bearer == f"Bearer {expected}"


@pytest.mark.asyncio
async def test_explicit_api_key_with_client_credentials_in_the_environment_uses_the_key(
    api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GLOO_CLIENT_ID", "env-id")
    monkeypatch.setenv("GLOO_CLIENT_SECRET", "env-secret")
    client = AsyncGloo(api_key=API_KEY)
    assert client.auth_mode == "api_key"
    basic_header, bearer = await sent_authorization(api, client)
    assert basic_header is None
    assert bearer == f"Bearer {API_KEY}"


@pytest.mark.asyncio
async def test_explicit_client_credentials_with_an_api_key_in_the_environment_use_them(
    api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GLOO_API_KEY", "env-key")
    client = AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    assert client.auth_mode == "client_credentials"
    basic_header, bearer = await sent_authorization(api, client)
    assert basic_header == basic(CLIENT_ID, CLIENT_SECRET)
    assert bearer == f"Bearer {ACCESS_TOKEN}"


def test_both_kinds_as_arguments_is_an_error_naming_both() -> None:
    with pytest.raises(ConfigurationError) as info:
        AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, api_key=API_KEY)
    message = str(info.value)
    assert "client_id" in message
    assert "client_secret" in message
    assert "api_key" in message


def test_api_key_with_only_a_client_id_argument_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match="api_key"):
        AsyncGloo(CLIENT_ID, api_key=API_KEY)


@pytest.mark.parametrize(
    "env",
    [
        {"GLOO_CLIENT_ID": "i", "GLOO_CLIENT_SECRET": "s", "GLOO_API_KEY": "k"},
        {"GLOO_AI_CLIENT_ID": "i", "GLOO_AI_CLIENT_SECRET": "s", "GLOO_AI_API_KEY": "k"},
        {"GLOO_CLIENT_ID": "i", "GLOO_CLIENT_SECRET": "s", "GLOO_AI_API_KEY": "k"},
        {"GLOO_AI_CLIENT_ID": "i", "GLOO_AI_CLIENT_SECRET": "s", "GLOO_API_KEY": "k"},
    ],
    ids=["GLOO_*", "GLOO_AI_*", "client GLOO_*, key alias", "client aliases, key GLOO_*"],
)
def test_both_kinds_in_the_environment_is_an_error_naming_both(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as info:
        AsyncGloo()
    message = str(info.value)
    for name in ("GLOO_CLIENT_ID", "GLOO_CLIENT_SECRET", "GLOO_API_KEY"):
        assert name in message


# Adapted: the client is now created without credentials (the public model catalog needs
# none); the same ConfigurationError is raised by the first call that needs them, unsent.
@pytest.mark.asyncio
async def test_no_credentials_is_an_error_naming_every_variable(api: respx.MockRouter) -> None:
    client = AsyncGloo()
    with pytest.raises(ConfigurationError) as info:
        await client.chat.completions.create(messages=[{"role": "user", "content": "Hi"}])
    assert not api.calls
    message = str(info.value)
    for name in (
        "GLOO_CLIENT_ID",
        "GLOO_CLIENT_SECRET",
        "GLOO_API_KEY",
        "GLOO_AI_CLIENT_ID",
        "GLOO_AI_CLIENT_SECRET",
        "GLOO_AI_API_KEY",
    ):
        assert name in message


@pytest.mark.asyncio
async def test_no_credentials_error_is_a_gloo_error_and_a_value_error(
    api: respx.MockRouter,
) -> None:
    client = AsyncGloo()  # adapted: raised at the call, no longer at construction
    messages = [{"role": "user", "content": "Hi"}]
    with pytest.raises(gloo_ai.GlooError):
        await client.chat.completions.create(messages=messages)
    with pytest.raises(ValueError):
        await client.post("/ai/v2/chat/completions", body={"messages": messages})
    assert not api.calls


@pytest.mark.parametrize(
    ("kwargs", "missing"),
    [
        ({"client_id": CLIENT_ID}, "client_secret"),
        ({"client_secret": CLIENT_SECRET}, "client_id"),
    ],
)
def test_half_the_client_credentials_as_arguments_is_a_clear_error(
    kwargs: dict[str, str], missing: str
) -> None:
    with pytest.raises(ConfigurationError, match=missing):
        AsyncGloo(**kwargs)


@pytest.mark.parametrize(
    ("name", "missing"),
    [
        ("GLOO_CLIENT_ID", "GLOO_CLIENT_SECRET"),
        ("GLOO_AI_CLIENT_ID", "GLOO_CLIENT_SECRET"),
        ("GLOO_CLIENT_SECRET", "GLOO_CLIENT_ID"),
        ("GLOO_AI_CLIENT_SECRET", "GLOO_CLIENT_ID"),
    ],
)
def test_half_the_client_credentials_in_the_environment_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, name: str, missing: str
) -> None:
    monkeypatch.setenv(name, "value")
    with pytest.raises(ConfigurationError, match=missing):
        AsyncGloo()


@pytest.mark.asyncio
async def test_one_half_as_an_argument_and_the_other_from_the_environment(
    api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GLOO_CLIENT_SECRET", "env-secret")
    basic_header, _ = await sent_authorization(api, AsyncGloo(client_id="arg-id"))
    assert basic_header == basic("arg-id", "env-secret")


# --------------------------------------------------------------------------- base URL


def test_default_base_url() -> None:
    client = AsyncGloo(api_key=API_KEY)
    assert client.base_url == "https://platform.ai.gloo.com"


def test_default_token_url_is_under_the_base_url() -> None:
    client = AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    assert client.token_url == TOKEN_URL


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "env",
    [
        {"GLOO_BASE_URL": OTHER_URL},
        {"GLOO_AI_BASE_URL": OTHER_URL},
        {"GLOO_BASE_URL": OTHER_URL, "GLOO_AI_BASE_URL": "https://alias.example.test"},
        {"GLOO_BASE_URL": OTHER_URL + "/"},
    ],
    ids=["GLOO_BASE_URL", "GLOO_AI_BASE_URL", "GLOO_* beats alias", "trailing slash"],
)
async def test_base_url_from_the_environment(
    api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    client = AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    assert client.base_url == OTHER_URL
    assert client.token_url == f"{OTHER_URL}/oauth2/token"
    await sent_authorization(api, client, base=OTHER_URL)
    assert token_route(api, OTHER_URL).call_count == 1
    assert v2_route(api, OTHER_URL).call_count == 1
    assert not token_route(api).called
    assert not v2_route(api).called


@pytest.mark.asyncio
async def test_base_url_argument_beats_the_environment(
    api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GLOO_BASE_URL", "https://env.example.test")
    client = AsyncGloo(api_key=API_KEY, base_url=OTHER_URL)
    assert client.base_url == OTHER_URL
    await sent_authorization(api, client, base=OTHER_URL)
    assert v2_route(api, OTHER_URL).call_count == 1


@pytest.mark.asyncio
async def test_token_url_argument(api: respx.MockRouter) -> None:
    route = api.post("https://auth.example.test/token").mock(
        return_value=httpx.Response(200, json=token_json())
    )
    client = AsyncGloo(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        token_url="https://auth.example.test/token",
    )
    async with client:
        await complete(client)
    assert route.call_count == 1
    assert not token_route(api).called


# --------------------------------------------------------------------------- invalid settings


@pytest.mark.parametrize(
    "base_url", ["platform.ai.gloo.com", "ftp://platform.ai.gloo.com", "not a url", "   "]
)
def test_invalid_base_url_is_a_configuration_error(base_url: str) -> None:
    with pytest.raises(ConfigurationError, match="base_url"):
        AsyncGloo(api_key=API_KEY, base_url=base_url)


def test_invalid_base_url_from_the_environment_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GLOO_BASE_URL", "platform.ai.gloo.com")
    with pytest.raises(ConfigurationError, match="base_url"):
        AsyncGloo(api_key=API_KEY)


def test_invalid_token_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="token_url"):
        AsyncGloo(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, token_url="auth.example.test/token"
        )


@pytest.mark.parametrize("timeout", [0, -1, -0.5, "10", True, [10]])
def test_invalid_timeout_is_a_configuration_error(timeout: Any) -> None:
    with pytest.raises(ConfigurationError, match="timeout"):
        AsyncGloo(api_key=API_KEY, timeout=timeout)


@pytest.mark.parametrize("timeout", [None, 5, 2.5, httpx.Timeout(3.0, read=60.0)])
def test_valid_timeouts_are_accepted(timeout: Any) -> None:
    client = AsyncGloo(api_key=API_KEY, timeout=timeout)
    assert client.timeout == (float(timeout) if isinstance(timeout, int) else timeout)


@pytest.mark.parametrize("max_retries", [-1, 1.5, True, "2", None])
def test_invalid_max_retries_is_a_configuration_error(max_retries: Any) -> None:
    with pytest.raises(ConfigurationError, match="max_retries"):
        AsyncGloo(api_key=API_KEY, max_retries=max_retries)


@pytest.mark.parametrize("max_retries", [0, 1, 10])
def test_valid_max_retries_are_accepted(max_retries: int) -> None:
    assert AsyncGloo(api_key=API_KEY, max_retries=max_retries).max_retries == max_retries


def test_http_client_must_be_an_httpx_async_client() -> None:
    with pytest.raises(ConfigurationError, match="http_client"):
        AsyncGloo(api_key=API_KEY, http_client=httpx.Client())  # type: ignore[arg-type]


# --------------------------------------------------------------------------- lifecycle


@pytest.mark.asyncio
async def test_async_with_closes_the_pool_it_created(api: respx.MockRouter) -> None:
    async with AsyncGloo(api_key=API_KEY) as client:
        assert not client.is_closed
        await complete(client)
        assert not client.is_closed
    assert client.is_closed


@pytest.mark.asyncio
async def test_aclose_closes_the_pool_it_created() -> None:
    client = AsyncGloo(api_key=API_KEY)
    assert not client.is_closed
    await client.aclose()
    assert client.is_closed


@pytest.mark.asyncio
async def test_async_with_returns_the_client_itself() -> None:
    client = AsyncGloo(api_key=API_KEY)
    async with client as entered:
        assert entered is client


@pytest.mark.asyncio
async def test_aclose_does_not_close_a_user_supplied_http_client(api: respx.MockRouter) -> None:
    seen: list[httpx.Request] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request)

    http = httpx.AsyncClient(event_hooks={"request": [hook]})
    try:
        client = AsyncGloo(api_key=API_KEY, http_client=http)
        await complete(client)
        assert [r.url for r in seen] == [httpx.URL(V2_URL)]  # it sent through the user's client
        await client.aclose()
        assert not http.is_closed
        assert not client.is_closed
        async with AsyncGloo(api_key=API_KEY, http_client=http):
            pass
        assert not http.is_closed
    finally:
        await http.aclose()


@pytest.mark.asyncio
async def test_a_user_supplied_http_client_also_sends_the_token_request(
    api: respx.MockRouter,
) -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    async with httpx.AsyncClient(event_hooks={"request": [hook]}) as http:
        client = AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, http_client=http)
        await complete(client)
        await client.aclose()
        assert seen == ["/oauth2/token", "/ai/v2/chat/completions"]


# --------------------------------------------------------------------------- with_options


@pytest.mark.asyncio
async def test_with_options_has_its_own_timeout_and_retries(api: respx.MockRouter) -> None:
    client = AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    copy = client.with_options(timeout=5.0, max_retries=7)
    assert copy is not client
    assert copy.timeout == 5.0
    assert copy.max_retries == 7
    assert client.timeout == DEFAULT_TIMEOUT
    assert client.max_retries == 2
    assert copy.base_url == client.base_url
    assert copy.auth_mode == client.auth_mode
    await client.aclose()


@pytest.mark.asyncio
async def test_with_options_shares_the_connection_pool(api: respx.MockRouter) -> None:
    client = AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    copy = client.with_options(timeout=5.0, max_retries=7)
    assert copy._transport.state is client._transport.state
    only_retries = client.with_options(max_retries=0)
    assert only_retries._transport.state is client._transport.state
    assert only_retries.timeout == client.timeout
    assert client.max_retries == 2
    # Closing either closes the one shared pool (as documented).
    await copy.aclose()
    assert client.is_closed


@pytest.mark.asyncio
async def test_with_options_shares_the_token_cache(api: respx.MockRouter) -> None:
    client = AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    copy = client.with_options(timeout=5.0, max_retries=7)
    copy_of_copy = copy.with_options(max_retries=1)
    async with client:
        await complete(client)
        await complete(copy)
        await complete(copy_of_copy)
        await complete(client)
    assert token_route(api).call_count == 1
    calls = v2_route(api).calls
    assert len(calls) == 4
    assert {c.request.headers["Authorization"] for c in calls} == {f"Bearer {ACCESS_TOKEN}"}


@pytest.mark.asyncio
async def test_with_options_first_use_of_the_copy_fetches_the_token_for_both(
    api: respx.MockRouter,
) -> None:
    client = AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    copy = client.with_options(max_retries=0)
    async with client:
        await complete(copy)
        await complete(client)
    assert token_route(api).call_count == 1


@pytest.mark.asyncio
async def test_with_options_timeout_is_used_by_the_copy_only(api: respx.MockRouter) -> None:
    client = AsyncGloo(api_key=API_KEY)
    copy = client.with_options(timeout=5.0)
    async with client:
        await complete(copy)
        await complete(client)
    first, second = v2_route(api).calls
    assert first.request.extensions["timeout"] == {
        "connect": 5.0,
        "read": 5.0,
        "write": 5.0,
        "pool": 5.0,
    }
    assert second.request.extensions["timeout"] == DEFAULT_TIMEOUT.as_dict()


@pytest.mark.asyncio
async def test_with_options_after_using_chat_sends_with_the_copys_options(
    api: respx.MockRouter,
) -> None:
    client = AsyncGloo(api_key=API_KEY)
    original_completions = client.chat.completions  # cached on the original before copying
    copy = client.with_options(timeout=7.0)
    assert copy.chat is not client.chat
    assert client.chat.completions is original_completions
    async with client:
        await copy.chat.completions.create(messages=MESSAGES)
        await client.chat.completions.create(messages=MESSAGES)
    first, second = v2_route(api).calls
    assert first.request.extensions["timeout"]["read"] == 7.0
    assert second.request.extensions["timeout"]["read"] == 180.0


@pytest.mark.asyncio
async def test_with_options_max_retries_is_used_by_the_copy_only(
    api: respx.MockRouter, clock: FakeClock
) -> None:
    v2_route(api).mock(return_value=httpx.Response(503, json={"detail": "busy"}))
    client = AsyncGloo(api_key=API_KEY, _clock=clock)
    copy = client.with_options(max_retries=1)
    async with client:
        with pytest.raises(gloo_ai.InternalServerError):
            await complete(copy)
        assert v2_route(api).call_count == 2
        with pytest.raises(gloo_ai.InternalServerError):
            await complete(client)
        assert v2_route(api).call_count == 2 + 3


@pytest.mark.asyncio
async def test_with_options_timeout_none_turns_timeouts_off(api: respx.MockRouter) -> None:
    client = AsyncGloo(api_key=API_KEY)
    copy = client.with_options(timeout=None)
    assert copy.timeout is None
    assert client.timeout == DEFAULT_TIMEOUT
    async with client:
        await complete(copy)
    assert v2_route(api).calls.last.request.extensions["timeout"] == {
        "connect": None,
        "read": None,
        "write": None,
        "pool": None,
    }


@pytest.mark.parametrize(
    "kwargs", [{"timeout": -1}, {"timeout": "5"}, {"max_retries": -1}, {"max_retries": 1.5}]
)
def test_with_options_validates_its_arguments(kwargs: dict[str, Any]) -> None:
    client = AsyncGloo(api_key=API_KEY)
    with pytest.raises(ConfigurationError):
        client.with_options(**kwargs)


@pytest.mark.asyncio
async def test_with_options_default_headers_apply_to_the_copy_only(
    api: respx.MockRouter,
) -> None:
    client = AsyncGloo(api_key=API_KEY, default_headers={"X-Team": "a", "X-Keep": "k"})
    copy = client.with_options(default_headers={"X-Team": "b"})
    async with client:
        await complete(copy)
        await complete(client)
    first, second = v2_route(api).calls
    assert first.request.headers["X-Team"] == "b"
    assert first.request.headers["X-Keep"] == "k"
    assert second.request.headers["X-Team"] == "a"


# --------------------------------------------------------------------------- what requests carry


@pytest.mark.asyncio
async def test_user_agent_on_api_and_token_requests(api: respx.MockRouter) -> None:
    assert USER_AGENT.endswith(f"/{gloo_ai.__version__}")
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as client:
        await complete(client)
    assert token_route(api).calls.last.request.headers["User-Agent"] == USER_AGENT
    assert v2_route(api).calls.last.request.headers["User-Agent"] == USER_AGENT


@pytest.mark.asyncio
async def test_user_agent_in_api_key_mode(api: respx.MockRouter) -> None:
    async with AsyncGloo(api_key=API_KEY) as client:
        await complete(client)
    assert v2_route(api).calls.last.request.headers["User-Agent"] == USER_AGENT


@pytest.mark.asyncio
async def test_requests_are_json_with_an_accept_header(api: respx.MockRouter) -> None:
    async with AsyncGloo(api_key=API_KEY) as client:
        await complete(client)
    request = v2_route(api).calls.last.request
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"
    assert body_of(request)["messages"] == MESSAGES


@pytest.mark.asyncio
async def test_default_headers_are_sent(api: respx.MockRouter) -> None:
    async with AsyncGloo(api_key=API_KEY, default_headers={"X-Team": "search"}) as client:
        await complete(client)
        await complete(client)
    for call in v2_route(api).calls:
        assert call.request.headers["X-Team"] == "search"
        assert call.request.headers["User-Agent"] == USER_AGENT


@pytest.mark.asyncio
async def test_extra_headers_are_sent_and_override_defaults(api: respx.MockRouter) -> None:
    async with AsyncGloo(api_key=API_KEY, default_headers={"X-Team": "search"}) as client:
        await complete(client, extra_headers={"X-Trace": "abc", "X-Team": "chat"})
        await complete(client)
    first, second = v2_route(api).calls
    assert first.request.headers["X-Trace"] == "abc"
    assert first.request.headers["X-Team"] == "chat"
    assert "X-Trace" not in second.request.headers
    assert second.request.headers["X-Team"] == "search"


@pytest.mark.asyncio
async def test_extra_query_is_sent(api: respx.MockRouter) -> None:
    async with AsyncGloo(api_key=API_KEY) as client:
        await complete(client, extra_query={"debug": "1", "n": 2})
    url = v2_route(api).calls.last.request.url
    assert url.path == "/ai/v2/chat/completions"
    assert url.params["debug"] == "1"
    assert url.params["n"] == "2"


@pytest.mark.asyncio
async def test_extra_body_is_merged_into_the_json_body(api: respx.MockRouter) -> None:
    async with AsyncGloo(api_key=API_KEY) as client:
        await complete(client, extra_body={"prompt_cache_key": "k1", "parallel_tool_calls": False})
    body = body_of(v2_route(api).calls.last.request)
    assert body["prompt_cache_key"] == "k1"
    assert body["parallel_tool_calls"] is False
    assert body["messages"] == MESSAGES
    assert body["auto_routing"] is True


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("timeout", "expected"),
    [
        (3.5, {"connect": 3.5, "read": 3.5, "write": 3.5, "pool": 3.5}),
        (
            httpx.Timeout(1.0, read=60.0),
            {"connect": 1.0, "read": 60.0, "write": 1.0, "pool": 1.0},
        ),
        (None, {"connect": None, "read": None, "write": None, "pool": None}),
    ],
    ids=["seconds", "httpx.Timeout", "None"],
)
async def test_per_call_timeout_lands_in_the_request(
    api: respx.MockRouter, timeout: Any, expected: dict[str, float | None]
) -> None:
    async with AsyncGloo(api_key=API_KEY) as client:
        await complete(client, timeout=timeout)
        await complete(client)
    first, second = v2_route(api).calls
    assert first.request.extensions["timeout"] == expected
    assert second.request.extensions["timeout"] == DEFAULT_TIMEOUT.as_dict()


@pytest.mark.asyncio
@pytest.mark.parametrize("timeout", ["abc", -1, 0, True])
async def test_invalid_per_call_timeout_is_rejected_before_sending(
    api: respx.MockRouter, timeout: Any
) -> None:
    """The client rejects these timeouts (ConfigurationError); a call must too, before sending.

    Otherwise ``"abc"`` reaches httpcore and fails there with a bare TypeError, and 0 or -1 make
    every attempt time out at once (and be retried) with a "use a larger timeout" message.
    """
    async with AsyncGloo(api_key=API_KEY) as client:
        with pytest.raises(gloo_ai.InvalidArgumentError, match="timeout"):
            await complete(client, timeout=timeout)
    assert not v2_route(api).called


@pytest.mark.asyncio
async def test_per_call_max_retries_rejects_a_bool_like_the_client_does(
    api: respx.MockRouter,
) -> None:
    with pytest.raises(ConfigurationError, match="max_retries"):
        AsyncGloo(api_key=API_KEY, max_retries=True)
    async with AsyncGloo(api_key=API_KEY) as client:
        with pytest.raises(gloo_ai.InvalidArgumentError, match="max_retries"):
            await complete(client, max_retries=True)
    assert not v2_route(api).called


@pytest.mark.asyncio
async def test_client_timeout_lands_in_the_request(api: respx.MockRouter) -> None:
    async with AsyncGloo(api_key=API_KEY, timeout=42) as client:
        await complete(client)
    assert v2_route(api).calls.last.request.extensions["timeout"]["read"] == 42.0


def test_default_timeout_allows_slow_reasoning_models() -> None:
    client = AsyncGloo(api_key=API_KEY)
    timeout = client.timeout
    assert isinstance(timeout, httpx.Timeout)
    assert timeout.read == 180.0
    assert timeout.connect == 10.0
    assert DEFAULT_TIMEOUT.read == 180.0
    assert DEFAULT_TIMEOUT.connect == 10.0
    # The defaults are documented where users look: the client's docstring.
    doc = AsyncGloo.__doc__ or ""
    assert "180" in doc
    assert "10 s" in doc


@pytest.mark.asyncio
async def test_default_timeout_lands_in_the_request(api: respx.MockRouter) -> None:
    async with AsyncGloo(api_key=API_KEY) as client:
        await complete(client)
    ext = v2_route(api).calls.last.request.extensions["timeout"]
    assert ext["read"] == 180.0
    assert ext["connect"] == 10.0


@pytest.mark.asyncio
async def test_per_call_max_retries(api: respx.MockRouter, clock: FakeClock) -> None:
    v2_route(api).mock(return_value=httpx.Response(503, json={"detail": "busy"}))
    async with AsyncGloo(api_key=API_KEY, _clock=clock) as client:
        with pytest.raises(gloo_ai.InternalServerError):
            await complete(client, max_retries=0)
        assert v2_route(api).call_count == 1


def test_repr_shows_the_base_url_and_mode() -> None:
    client = AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    text = repr(client)
    assert BASE_URL in text
    assert "client_credentials" in text
    assert CLIENT_ID in text
    assert "api_key" in repr(AsyncGloo(api_key=API_KEY))
