"""The emulator in-process: the token endpoint, bearer auth, validation, answers, tools, v1.

Driven both through the SDK (``emulator.client()``) and with raw requests
(``emulator.http_client()``), since the SDK refuses some invalid requests before sending.
Assertions are on the emulator's counters, never on time.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pydantic
import pytest
import pytest_asyncio

from gloo_ai import (
    AsyncGloo,
    AuthenticationError,
    BadRequestError,
    TokenExchangeError,
    UnprocessableEntityError,
)
from gloo_ai.testing import GlooEmulator, RecordedRequest
from tests.conftest import FakeClock

TOKEN = "/oauth2/token"
V2 = "/ai/v2/chat/completions"
V1 = "/ai/v1/chat/completions"
API_KEY_HEADERS = {"Authorization": f"Bearer {GlooEmulator.DEFAULT_API_KEY}"}
QUESTION = "How can I be joyful in hard times?"
MESSAGES = [{"role": "user", "content": QUESTION}]
GRANT = {"grant_type": "client_credentials", "scope": "api/access"}

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer"},
                "metric": {"type": "boolean"},
                "unit": {"enum": ["c", "f"]},
                "hours": {"type": "array", "items": {"type": "integer"}},
                "extra": {"type": "object"},
                "note": {"type": "string"},
            },
            "required": ["city", "days", "metric", "unit", "hours", "extra"],
        },
    },
}
VERSE_TOOL = {
    "type": "function",
    "function": {
        "name": "find_verse",
        "parameters": {
            "type": "object",
            "properties": {"topic": {"type": "string"}},
            "required": ["topic"],
        },
    },
}


@pytest.fixture
def emulator() -> GlooEmulator:
    return GlooEmulator()


@pytest_asyncio.fixture
async def http(emulator: GlooEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with emulator.http_client() as client:
        yield client


async def v2(http: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    return await http.post(V2, json=body, headers=API_KEY_HEADERS)


# -- the token endpoint ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_token_with_basic_credentials(
    emulator: GlooEmulator, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        TOKEN,
        data=GRANT,
        auth=(GlooEmulator.DEFAULT_CLIENT_ID, GlooEmulator.DEFAULT_CLIENT_SECRET),
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "scope"}
    assert body["expires_in"] == 3600
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "api/access"
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    assert emulator.counts[TOKEN] == 1
    # The token it issued opens the completions endpoint.
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    completion = await http.post(
        V2, json={"messages": MESSAGES, "auto_routing": True}, headers=bearer
    )
    assert completion.status_code == 200


@pytest.mark.asyncio
async def test_token_lifetime_is_configurable() -> None:
    emulator = GlooEmulator(token_lifetime=90.5)
    async with emulator.http_client() as http:
        response = await http.post(
            TOKEN, data=GRANT, auth=(emulator.client_id, emulator.client_secret)
        )
    assert response.json()["expires_in"] == 90


@pytest.mark.asyncio
async def test_token_with_a_wrong_secret_is_401(
    emulator: GlooEmulator, http: httpx.AsyncClient
) -> None:
    response = await http.post(TOKEN, data=GRANT, auth=(emulator.client_id, "wrong"))
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
    assert "x-request-id" in response.headers
    assert emulator.counts["401"] == 1


@pytest.mark.asyncio
async def test_token_without_credentials_is_401(
    emulator: GlooEmulator, http: httpx.AsyncClient
) -> None:
    response = await http.post(TOKEN, data=GRANT)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


@pytest.mark.asyncio
async def test_sdk_with_a_wrong_secret_raises_token_exchange_error(
    emulator: GlooEmulator,
) -> None:
    async with emulator.client(client_secret="nope", client_id=emulator.client_id) as client:
        with pytest.raises(TokenExchangeError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    assert info.value.status_code == 401
    assert emulator.counts[TOKEN] == 1
    assert emulator.counts[V2] == 0


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": "authorization_code"}, "unsupported_grant_type"),
        ({"scope": "api/access"}, "invalid_request"),
    ],
)
async def test_token_with_a_wrong_grant_is_400(
    emulator: GlooEmulator, http: httpx.AsyncClient, form: dict[str, str], error: str
) -> None:
    response = await http.post(TOKEN, data=form, auth=(emulator.client_id, emulator.client_secret))
    assert response.status_code == 400
    assert response.json() == {"error": error}


@pytest.mark.asyncio
async def test_token_with_form_field_credentials(
    emulator: GlooEmulator, http: httpx.AsyncClient
) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
    }
    response = await http.post(TOKEN, data=form)
    assert response.status_code == 200
    assert response.json()["access_token"]


@pytest.mark.asyncio
async def test_basic_credentials_are_form_decoded() -> None:
    """RFC 6749 §2.3.1: id and secret are form-encoded before base64; the SDK does that."""
    emulator = GlooEmulator(client_id="id with space", client_secret="s:e+c=r&e%t/")
    async with emulator.client() as client:
        await client.chat.completions.create(messages=MESSAGES)
    raw = emulator.requests[0].headers["authorization"].split(" ", 1)[1]
    assert base64.b64decode(raw).decode() == "id+with+space:s%3Ae%2Bc%3Dr%26e%25t%2F"
    assert emulator.counts[TOKEN] == 1


@pytest.mark.asyncio
async def test_unknown_path_is_404_and_wrong_method_405(
    emulator: GlooEmulator, http: httpx.AsyncClient
) -> None:
    missing = await http.get("/ai/v9/nothing")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found"}
    assert "x-request-id" in missing.headers
    wrong = await http.get(V2, headers=API_KEY_HEADERS)
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "POST"
    assert emulator.counts["/ai/v9/nothing"] == 1
    assert emulator.counts[V2] == 1


# -- bearer auth -----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_missing_authorization_is_401(
    emulator: GlooEmulator, http: httpx.AsyncClient
) -> None:
    response = await http.post(V2, json={"messages": MESSAGES, "auto_routing": True})
    assert response.status_code == 401
    assert response.json() == {
        "error": "Missing Authorization",
        "code": "unauthorized_missing_authorization",
    }
    assert emulator.counts["401"] == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("header", ["Bearer not-a-token", "Basic abc", "Bearer"])
async def test_unknown_token_is_401(
    emulator: GlooEmulator, http: httpx.AsyncClient, header: str
) -> None:
    response = await http.post(
        V2, json={"messages": MESSAGES, "auto_routing": True}, headers={"Authorization": header}
    )
    assert response.status_code == 401
    assert response.json() == {
        "error": "Invalid or expired token",
        "code": "unauthorized_invalid_token",
    }


@pytest.mark.asyncio
async def test_api_key_needs_no_token(emulator: GlooEmulator) -> None:
    async with emulator.client(api_key=True) as client:
        completion = await client.chat.completions.create(messages=MESSAGES)
    assert completion.choices[0].message.content
    assert emulator.counts[TOKEN] == 0
    assert emulator.counts[V2] == 1
    assert emulator.requests[0].headers["authorization"] == "Bearer emulator-api-key"


@pytest.mark.asyncio
async def test_expired_tokens_make_the_sdk_refresh_once(emulator: GlooEmulator) -> None:
    async with emulator.client() as client:
        await client.chat.completions.create(messages=MESSAGES)
        emulator.expire_tokens()
        await client.chat.completions.create(messages=MESSAGES)
    assert emulator.counts[TOKEN] == 2
    assert emulator.counts["401"] == 1
    assert emulator.counts[V2] == 3


@pytest.mark.asyncio
async def test_expire_tokens_keeps_api_keys_valid(emulator: GlooEmulator) -> None:
    async with emulator.client(api_key=True) as client:
        emulator.expire_tokens()
        await client.chat.completions.create(messages=MESSAGES)
    assert emulator.counts["401"] == 0


@pytest.mark.asyncio
async def test_tokens_expire_on_the_emulator_clock(clock: FakeClock) -> None:
    emulator = GlooEmulator(token_lifetime=100, clock=clock.monotonic)
    async with emulator.http_client() as http:
        token = (
            await http.post(TOKEN, data=GRANT, auth=(emulator.client_id, emulator.client_secret))
        ).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        body = {"messages": MESSAGES, "auto_routing": True}
        clock.advance(99)
        assert (await http.post(V2, json=body, headers=bearer)).status_code == 200
        clock.advance(1)
        assert (await http.post(V2, json=body, headers=bearer)).status_code == 401
    assert emulator.counts["401"] == 1


@pytest.mark.asyncio
async def test_an_unknown_api_key_raises_authentication_error(emulator: GlooEmulator) -> None:
    client = AsyncGloo(
        api_key="unknown", base_url=emulator.BASE_URL, http_client=emulator.http_client()
    )
    async with client:
        with pytest.raises(AuthenticationError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    assert info.value.code == "unauthorized_invalid_token"
    assert emulator.counts[V2] == 1  # a rejected API key is not retried
    assert emulator.counts["401"] == 1


def test_client_with_api_key_needs_one() -> None:
    with pytest.raises(ValueError, match="no API keys"):
        GlooEmulator(api_keys=()).client(api_key=True)


# -- validation ------------------------------------------------------------------------------


def assert_invalid_request(response: httpx.Response, match: str = "") -> None:
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 1001
    assert error["name"] == "INVALID_REQUEST"
    assert error["type"] == "invalid_request_error"
    assert error["fault"] == "client"
    assert error["retryable"] is False
    assert match in error["message"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "routing",
    [
        {"auto_routing": True, "model": "gloo-openai-gpt-5-mini"},
        {"auto_routing": True, "model_family": "openai"},
        {"model": "gloo-openai-gpt-5-mini", "model_family": "openai"},
        {"auto_routing": True, "model": "gloo-openai-gpt-5-mini", "model_family": "google"},
    ],
)
async def test_two_routing_mechanisms_are_400(
    emulator: GlooEmulator, http: httpx.AsyncClient, routing: dict[str, Any]
) -> None:
    response = await v2(http, {"messages": MESSAGES, **routing})
    assert_invalid_request(response, "only one routing mechanism allowed")
    assert emulator.counts[V2] == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("routing", [{}, {"auto_routing": False}])
async def test_no_routing_mechanism_is_400(
    http: httpx.AsyncClient, routing: dict[str, Any]
) -> None:
    assert_invalid_request(await v2(http, {"messages": MESSAGES, **routing}), "routing")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "routing",
    [
        {"auto_routing": False, "model": "gloo-google-gemini-2.5-pro"},
        {"auto_routing": False, "model_family": "google"},
        {"model": "gloo-google-gemini-2.5-pro"},
    ],
)
async def test_auto_routing_false_beside_model_is_fine(
    http: httpx.AsyncClient, routing: dict[str, Any]
) -> None:
    response = await v2(http, {"messages": MESSAGES, **routing})
    assert response.status_code == 200
    assert response.json()["auto_routing"] is False


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "messages",
    [None, [], "hello", [{"role": "bot", "content": "hi"}], [{"role": "user"}], [42]],
)
async def test_invalid_messages_are_400(http: httpx.AsyncClient, messages: object) -> None:
    body: dict[str, Any] = {"auto_routing": True}
    if messages is not None:
        body["messages"] = messages
    assert_invalid_request(await v2(http, body), "messages")


@pytest.mark.asyncio
@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b""])
async def test_a_body_that_is_not_a_json_object_is_400(
    http: httpx.AsyncClient, content: bytes
) -> None:
    response = await http.post(
        V2, content=content, headers={**API_KEY_HEADERS, "content-type": "application/json"}
    )
    assert_invalid_request(response)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("tradition", "baptist", "enum"),
        ("model_family", "mistral", "enum"),
        ("temperature", 2.5, "less_than_equal"),
        ("temperature", -0.1, "greater_than_equal"),
        ("temperature", "hot", "float_type"),
        ("max_tokens", 0, "greater_than_equal"),
        ("max_tokens", "ten", "int_type"),
        ("stream", "yes", "bool_type"),
        ("tool_choice", "sometimes", "enum"),
    ],
)
async def test_field_errors_are_fastapi_422(
    http: httpx.AsyncClient, field: str, value: object, kind: str
) -> None:
    response = await v2(http, {"messages": MESSAGES, "auto_routing": True, field: value})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["type"] == kind
    assert error["loc"] == ["body", field]
    assert error["input"] == value
    assert error["msg"].startswith("Input should be")


@pytest.mark.asyncio
async def test_422_reaches_the_sdk_as_unprocessable_entity(emulator: GlooEmulator) -> None:
    async with emulator.client() as client:
        with pytest.raises(UnprocessableEntityError) as info:
            await client.chat.completions.create(messages=MESSAGES, model_family="mistral")
    assert "model_family" in str(info.value)
    assert emulator.counts[V2] == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("family", "canonical", "model"),
    [
        ("OPENAI", "OpenAI", "gloo-openai-gpt-5.2"),
        ("Anthropic", "Anthropic", "gloo-anthropic-claude-sonnet-4.5"),
        ("google", "Google", "gloo-google-gemini-2.5-flash"),
        ("open source", "Open Source", "gloo-deepseek-v3.2"),
        ("Open Source", "Open Source", "gloo-deepseek-v3.2"),
    ],
)
async def test_model_family_is_case_insensitive_and_echoed_canonically(
    emulator: GlooEmulator, family: str, canonical: str, model: str
) -> None:
    async with emulator.client() as client:
        completion = await client.chat.completions.create(messages=MESSAGES, model_family=family)
    assert completion.model_family == canonical
    assert completion.model == model
    assert completion.routing_mechanism == "model_family"


# -- answers and routing metadata ------------------------------------------------------------


@pytest.mark.asyncio
async def test_auto_routing_metadata(http: httpx.AsyncClient) -> None:
    body = (await v2(http, {"messages": MESSAGES, "auto_routing": True})).json()
    assert re.fullmatch(rf"gen-{body['created']}-[0-9a-f]+", body["id"])
    assert body["object"] == "chat.completion"
    assert body["model"] == "gloo-openai-gpt-5.2"
    assert body["provider"] == "Gloo AI"
    assert body["model_family"] == "OpenAI"
    assert body["auto_routing"] is True
    assert body["routing_mechanism"] == "auto_routing"
    assert body["routing_tier"] in {"tier_1", "tier_2", "tier_3"}
    assert 0 <= body["routing_confidence"] <= 1
    assert "tradition" not in body
    (choice,) = body["choices"]
    assert choice["index"] == 0
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"


@pytest.mark.asyncio
async def test_direct_model_selection_has_no_tier_or_confidence(http: httpx.AsyncClient) -> None:
    body = (
        await v2(http, {"messages": MESSAGES, "model": "gloo-anthropic-claude-haiku-4.5"})
    ).json()
    assert body["model"] == "gloo-anthropic-claude-haiku-4.5"
    assert body["model_family"] == "Anthropic"
    assert body["routing_mechanism"] == "direct_model_selection"
    assert body["auto_routing"] is False
    assert "routing_tier" not in body
    assert "routing_confidence" not in body


@pytest.mark.asyncio
async def test_model_family_has_tier_and_confidence(http: httpx.AsyncClient) -> None:
    body = (await v2(http, {"messages": MESSAGES, "model_family": "anthropic"})).json()
    assert body["routing_tier"].startswith("tier_")
    assert isinstance(body["routing_confidence"], float)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("tradition", "phrase"),
    [
        ("evangelical", "evangelical perspective"),
        ("catholic", "Catholic perspective"),
        ("mainline", "mainline Protestant perspective"),
        ("not_faith_specific", "Without a specific faith perspective"),
    ],
)
async def test_tradition_is_echoed_and_reflected(
    emulator: GlooEmulator, tradition: Any, phrase: str
) -> None:
    async with emulator.client() as client:
        completion = await client.chat.completions.create(messages=MESSAGES, tradition=tradition)
    assert completion.tradition == tradition
    assert phrase in (completion.choices[0].message.content or "")


@pytest.mark.asyncio
async def test_answers_are_deterministic(emulator: GlooEmulator) -> None:
    async with emulator.client() as client:
        first = await client.chat.completions.create(messages=MESSAGES)
        second = await client.chat.completions.create(messages=MESSAGES)
        other = await client.chat.completions.create(
            messages=[{"role": "user", "content": "What is grace?"}]
        )
    text = first.choices[0].message.content
    assert text is not None
    assert text == second.choices[0].message.content
    assert QUESTION in text
    assert other.choices[0].message.content != text
    assert first.id != second.id
    assert first.usage is not None
    assert first.usage.prompt_tokens == len(QUESTION.split())
    assert first.usage.completion_tokens == len(text.split())
    assert first.usage.total_tokens == first.usage.prompt_tokens + first.usage.completion_tokens
    assert first.routing_confidence == second.routing_confidence


@pytest.mark.asyncio
async def test_max_tokens_cuts_the_answer(emulator: GlooEmulator) -> None:
    async with emulator.client() as client:
        full = await client.chat.completions.create(messages=MESSAGES)
        cut = await client.chat.completions.create(messages=MESSAGES, max_tokens=5)
    content = cut.choices[0].message.content or ""
    assert len(content.split()) == 5
    assert (full.choices[0].message.content or "").startswith(content)
    assert cut.choices[0].finish_reason == "length"
    assert cut.usage is not None
    assert cut.usage.completion_tokens == 5


@pytest.mark.asyncio
async def test_requests_are_recorded(emulator: GlooEmulator) -> None:
    async with emulator.client() as client:
        await client.chat.completions.create(messages=MESSAGES, tradition="catholic")
    token, completion = emulator.requests
    assert isinstance(completion, RecordedRequest)
    assert (token.method, token.path, token.json) == ("POST", TOKEN, None)
    assert b"grant_type=client_credentials" in token.body
    assert completion.path == V2
    assert completion.json == {"messages": MESSAGES, "tradition": "catholic", "auto_routing": True}
    assert completion.headers["content-type"] == "application/json"
    assert completion.headers["authorization"].startswith("Bearer ")


# -- tools and structured output -------------------------------------------------------------


@pytest.mark.asyncio
async def test_tool_choice_required_calls_the_first_tool(emulator: GlooEmulator) -> None:
    messages = [{"role": "user", "content": "Plan a picnic in Denver"}]
    async with emulator.client() as client:
        first = await client.chat.completions.create(
            messages=messages, tools=[WEATHER_TOOL, VERSE_TOOL], tool_choice="required"
        )
        again = await client.chat.completions.create(
            messages=messages, tools=[WEATHER_TOOL, VERSE_TOOL], tool_choice="required"
        )
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    (call,) = choice.message.tool_calls or []
    assert call.type == "function"
    assert call.function.name == "get_weather"
    assert re.fullmatch(r"call_[0-9a-f]{24}", call.id)
    assert json.loads(call.function.arguments) == {
        "city": "Plan a picnic in Denver",
        "days": 1,
        "metric": True,
        "unit": "c",
        "hours": [],
        "extra": {},
    }
    assert again.choices[0].message.tool_calls == choice.message.tool_calls


@pytest.mark.asyncio
async def test_named_tool_choice_calls_that_function(emulator: GlooEmulator) -> None:
    async with emulator.client() as client:
        completion = await client.chat.completions.create(
            messages=MESSAGES,
            tools=[WEATHER_TOOL, VERSE_TOOL],
            tool_choice={"type": "function", "function": {"name": "find_verse"}},
        )
    (call,) = completion.choices[0].message.tool_calls or []
    assert call.function.name == "find_verse"
    assert json.loads(call.function.arguments) == {"topic": QUESTION}


@pytest.mark.asyncio
async def test_a_named_function_not_offered_is_400(emulator: GlooEmulator) -> None:
    async with emulator.client() as client:
        with pytest.raises(BadRequestError) as info:
            await client.chat.completions.create(
                messages=MESSAGES,
                tools=[WEATHER_TOOL],
                tool_choice={"type": "function", "function": {"name": "find_verse"}},
            )
    assert info.value.code == 1001
    assert info.value.retryable is False


@pytest.mark.asyncio
async def test_required_without_tools_is_400(http: httpx.AsyncClient) -> None:
    response = await v2(
        http, {"messages": MESSAGES, "auto_routing": True, "tool_choice": "required"}
    )
    assert_invalid_request(response, "no tools")


@pytest.mark.asyncio
async def test_tool_choice_auto_calls_a_tool_named_in_the_question(
    emulator: GlooEmulator,
) -> None:
    async with emulator.client() as client:
        called = await client.chat.completions.create(
            messages=[{"role": "user", "content": "Please find verse about hope"}],
            tools=[WEATHER_TOOL, VERSE_TOOL],
            tool_choice="auto",
        )
        text = await client.chat.completions.create(
            messages=MESSAGES, tools=[WEATHER_TOOL, VERSE_TOOL], tool_choice="auto"
        )
    (call,) = called.choices[0].message.tool_calls or []
    assert call.function.name == "find_verse"
    assert text.choices[0].message.tool_calls is None
    assert text.choices[0].finish_reason == "stop"


@pytest.mark.asyncio
async def test_tool_choice_none_answers_in_text(emulator: GlooEmulator) -> None:
    async with emulator.client() as client:
        completion = await client.chat.completions.create(
            messages=[{"role": "user", "content": "get_weather in Denver"}],
            tools=[WEATHER_TOOL],
            tool_choice="none",
        )
    assert completion.choices[0].message.tool_calls is None
    assert completion.choices[0].message.content


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("question", "called"),
    [
        ("get_weather in Denver", True),  # the tool's name
        ("What's the weather in Chicago?", True),  # a word of its name
        ("Will it rain in Chicago?", False),  # neither: a text answer
        ("Get me some joy", False),  # "get" is a verb, not a topic
    ],
)
async def test_tools_without_tool_choice_follow_the_auto_rule(
    emulator: GlooEmulator, question: str, called: bool
) -> None:
    async with emulator.client() as client:
        completion = await client.chat.completions.create(
            messages=[{"role": "user", "content": question}], tools=[WEATHER_TOOL]
        )
        auto = await client.chat.completions.create(
            messages=[{"role": "user", "content": question}],
            tools=[WEATHER_TOOL],
            tool_choice="auto",
        )
    calls = completion.choices[0].message.tool_calls
    assert (calls is not None) is called
    assert (auto.choices[0].message.tool_calls is not None) is called
    assert completion.choices[0].finish_reason == ("tool_calls" if called else "stop")


@pytest.mark.asyncio
async def test_an_unknown_model_id_is_a_400_naming_the_catalog(emulator: GlooEmulator) -> None:
    async with emulator.client(max_retries=0) as client:
        with pytest.raises(BadRequestError, match=r"Unknown model 'gloo-nope'.*platform/v2/models"):
            await client.chat.completions.create(
                messages=[{"role": "user", "content": "hi"}], model="gloo-nope"
            )
        emulator.models.append({"id": "gloo-nope", "family": "OpenAI"})
        completion = await client.chat.completions.create(
            messages=[{"role": "user", "content": "hi"}], model="gloo-nope"
        )
    assert completion.model == "gloo-nope"


@pytest.mark.asyncio
async def test_a_tool_result_turn_is_answered_in_text(emulator: GlooEmulator) -> None:
    messages: list[Any] = [{"role": "user", "content": "What is the weather in Denver?"}]
    async with emulator.client() as client:
        first = await client.chat.completions.create(
            messages=messages, tools=[WEATHER_TOOL], tool_choice="required"
        )
        message = first.choices[0].message
        (call,) = message.tool_calls or []
        messages += [
            message,
            {"role": "tool", "tool_call_id": call.id, "content": "Sunny and 75 degrees"},
        ]
        second = await client.chat.completions.create(
            messages=messages, tools=[WEATHER_TOOL], tool_choice="required"
        )
    answer = second.choices[0]
    assert answer.finish_reason == "stop"
    assert answer.message.tool_calls is None
    assert "Sunny and 75 degrees" in (answer.message.content or "")
    assert "get_weather" in (answer.message.content or "")
    assert emulator.requests[-1].json["messages"][1]["tool_calls"][0]["id"] == call.id


class Verse(pydantic.BaseModel):
    book: str
    chapter: int


class Devotional(pydantic.BaseModel):
    title: str
    verses: list[Verse]
    main_verse: Verse
    mood: str = pydantic.Field(json_schema_extra={"enum": ["hopeful", "somber"]})
    ready: bool
    note: str | None = None


@pytest.mark.asyncio
async def test_response_format_json_schema_fills_the_schema(emulator: GlooEmulator) -> None:
    schema = Devotional.model_json_schema()
    async with emulator.client() as client:
        completion = await client.chat.completions.create(
            messages=MESSAGES,
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "devotional", "strict": True, "schema": schema},
            },
        )
    content = completion.choices[0].message.content or ""
    devotional = Devotional.model_validate_json(content)
    assert devotional.title == QUESTION
    assert devotional.main_verse == Verse(book=QUESTION, chapter=1)
    assert devotional.mood == "hopeful"
    assert devotional.verses == []


@pytest.mark.asyncio
async def test_response_format_json_object(http: httpx.AsyncClient) -> None:
    body = {"messages": MESSAGES, "auto_routing": True, "response_format": {"type": "json_object"}}
    content = (await v2(http, body)).json()["choices"][0]["message"]["content"]
    assert QUESTION in json.loads(content)["answer"]


# -- v1 --------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_v1_has_the_openai_shape(emulator: GlooEmulator) -> None:
    async with emulator.client() as client:
        with pytest.warns(DeprecationWarning, match="deprecated"):
            completion = await client.chat.completions_v1.create(messages=MESSAGES)
    body = emulator.requests[-1]
    assert body.path == V1
    assert completion.model == "us.meta.llama3-3-70b-instruct-v1:0"
    assert completion.id.startswith("chatcmpl-")
    assert completion.service_tier is None
    assert completion.system_fingerprint == "fp"
    assert completion.routing_mechanism is None
    assert completion.provider is None
    assert completion.choices[0].message.content


@pytest.mark.asyncio
async def test_v1_raw_body_has_no_routing_metadata(http: httpx.AsyncClient) -> None:
    response = await http.post(
        V1,
        json={"messages": MESSAGES, "model": "us.anthropic.claude-sonnet-4-20250514-v1:0"},
        headers=API_KEY_HEADERS,
    )
    body = response.json()
    assert body["model"] == "us.anthropic.claude-sonnet-4-20250514-v1:0"
    for key in ("provider", "model_family", "routing_mechanism", "routing_tier", "auto_routing"):
        assert key not in body
    assert "service_tier" in body
    message = body["choices"][0]["message"]
    assert message["refusal"] is None
    assert message["tool_calls"] is None
    assert body["choices"][0]["logprobs"] is None


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("auto_routing", True, "extra_forbidden"),
        ("model_family", "openai", "extra_forbidden"),
        ("tradition", "catholic", "extra_forbidden"),
        ("temperature", 1.5, "less_than_equal"),
    ],
)
async def test_v1_validation(http: httpx.AsyncClient, field: str, value: object, kind: str) -> None:
    response = await http.post(
        V1, json={"messages": MESSAGES, field: value}, headers=API_KEY_HEADERS
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert (error["type"], error["loc"]) == (kind, ["body", field])


@pytest.mark.asyncio
async def test_v1_temperature_one_is_fine(http: httpx.AsyncClient) -> None:
    response = await http.post(
        V1, json={"messages": MESSAGES, "temperature": 1}, headers=API_KEY_HEADERS
    )
    assert response.status_code == 200


# -- the emulator object ---------------------------------------------------------------------


@pytest.mark.asyncio
async def test_reset_forgets_everything(emulator: GlooEmulator) -> None:
    async with emulator.client() as client:
        await client.chat.completions.create(messages=MESSAGES)
        emulator.faults.rate_limit(V2)
        emulator.reset()
        assert not emulator.counts
        assert not emulator.requests
        assert emulator.faults.pending(V2) == 0
        # The SDK's cached token is no longer known: one 401, one refresh.
        await client.chat.completions.create(messages=MESSAGES)
    assert emulator.counts[TOKEN] == 1
    assert emulator.counts["401"] == 1


@pytest.mark.asyncio
async def test_lifespan_is_acknowledged(emulator: GlooEmulator) -> None:
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[Any] = []

    async def receive() -> Any:
        return incoming.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    await emulator({"type": "lifespan"}, receive, send)
    assert sent == [
        {"type": "lifespan.startup.complete"},
        {"type": "lifespan.shutdown.complete"},
    ]


def test_constructor_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="token_lifetime"):
        GlooEmulator(token_lifetime=0)
    with pytest.raises(TypeError, match="api_keys"):
        GlooEmulator(api_keys="one-key")
    with pytest.raises(ValueError, match="client_id"):
        GlooEmulator(client_id="")
    assert "secret" not in repr(GlooEmulator())
