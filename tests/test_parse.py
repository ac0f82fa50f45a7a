"""Structured output: ``client.chat.completions.parse()`` sends a strict ``json_schema``
response format built from a pydantic model and parses the answer into it.
"""

from __future__ import annotations

import enum
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import respx
from pydantic import BaseModel, Field

from gloo_ai import APIResponseValidationError, AsyncGloo, GlooError, InvalidArgumentError
from gloo_ai.resources.chat._parsing import (
    LengthFinishReasonError,
    ResponseParseError,
    response_format_param,
    to_strict_json_schema,
)
from gloo_ai.testing import GlooEmulator
from gloo_ai.types.chat import ChatCompletion
from gloo_ai.types.chat.parsed_chat_completion import (
    ParsedChatCompletion,
    ParsedChatCompletionMessage,
)
from tests.conftest import CLIENT_ID, CLIENT_SECRET, TOKEN_URL, V2_URL, completion_json, token_json

V2_PATH = "/ai/v2/chat/completions"
MESSAGES = [{"role": "user", "content": "A verse about hope"}]


class Canon(str, enum.Enum):
    OLD = "old"
    NEW = "new"


class Reference(BaseModel):
    book: str
    chapter: int = Field(ge=1)
    verse: int | None = None


class Verse(BaseModel):
    """A Bible verse."""

    reference: Reference
    text: str
    testament: Canon
    themes: list[str] = []
    related: list[Reference] | None = None


VERSE_JSON = {
    "reference": {"book": "Romans", "chapter": 15, "verse": 13},
    "text": "May the God of hope fill you with all joy and peace.",
    "testament": "new",
    "themes": ["hope"],
    "related": None,
}

STRICT_VERSE_SCHEMA = {
    "$defs": {
        "Reference": {
            "additionalProperties": False,
            "properties": {
                "book": {"title": "Book", "type": "string"},
                "chapter": {"minimum": 1, "title": "Chapter", "type": "integer"},
                "verse": {"anyOf": [{"type": "integer"}, {"type": "null"}], "title": "Verse"},
            },
            "required": ["book", "chapter", "verse"],
            "title": "Reference",
            "type": "object",
        },
        "Canon": {"enum": ["old", "new"], "title": "Canon", "type": "string"},
    },
    "additionalProperties": False,
    "description": "A Bible verse.",
    "properties": {
        "reference": {"$ref": "#/$defs/Reference"},
        "text": {"title": "Text", "type": "string"},
        "testament": {"$ref": "#/$defs/Canon"},
        "themes": {"default": [], "items": {"type": "string"}, "title": "Themes", "type": "array"},
        "related": {
            "anyOf": [{"items": {"$ref": "#/$defs/Reference"}, "type": "array"}, {"type": "null"}],
            "title": "Related",
        },
    },
    "required": ["reference", "text", "testament", "themes", "related"],
    "title": "Verse",
    "type": "object",
}


def answer(
    content: str | None, finish_reason: str = "stop", refusal: str | None = None
) -> dict[str, Any]:
    body = completion_json()
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if refusal is not None:
        message["refusal"] = refusal
    body["choices"] = [{"index": 0, "finish_reason": finish_reason, "message": message}]
    return body


@pytest.fixture
def v2() -> Iterator[respx.Route]:
    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN_URL).mock(return_value=httpx.Response(200, json=token_json()))
        yield router.post(V2_URL).mock(
            return_value=httpx.Response(
                200, json=answer(json.dumps(VERSE_JSON)), headers={"x-request-id": "req-9"}
            )
        )


@pytest_asyncio.fixture
async def client() -> AsyncIterator[AsyncGloo]:
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as client:
        yield client


def sent(route: respx.Route) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(route.calls.last.request.content)
    return body


# --------------------------------------------------------------------------- the request


@pytest.mark.asyncio
async def test_parse_sends_a_strict_json_schema(v2: respx.Route, client: AsyncGloo) -> None:
    await client.chat.completions.parse(
        response_format=Verse, messages=MESSAGES, model="gloo-openai-gpt-5-mini", max_tokens=500
    )
    assert sent(v2) == {
        "messages": MESSAGES,
        "auto_routing": False,
        "model": "gloo-openai-gpt-5-mini",
        "max_tokens": 500,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "Verse", "strict": True, "schema": STRICT_VERSE_SCHEMA},
        },
    }


@pytest.mark.asyncio
async def test_parse_returns_the_parsed_model(v2: respx.Route, client: AsyncGloo) -> None:
    completion = await client.chat.completions.parse(response_format=Verse, messages=MESSAGES)
    assert isinstance(completion, ParsedChatCompletion)
    assert isinstance(completion, ChatCompletion)
    message = completion.choices[0].message
    assert isinstance(message, ParsedChatCompletionMessage)
    assert message.parsed == Verse.model_validate(VERSE_JSON)
    assert message.content == json.dumps(VERSE_JSON)
    assert message.refusal is None
    assert completion.routing_tier == "tier_2"  # the routing metadata is kept
    assert completion._request_id == "req-9"
    assert completion.to_dict()["choices"][0]["message"]["parsed"]["text"].startswith("May")


@pytest.mark.asyncio
async def test_a_refusal_is_surfaced_not_parsed(v2: respx.Route, client: AsyncGloo) -> None:
    v2.mock(
        return_value=httpx.Response(
            200,
            json=answer(None, "content_filter", refusal="I can't help with that request."),
        )
    )
    completion = await client.chat.completions.parse(response_format=Verse, messages=MESSAGES)
    choice = completion.choices[0]
    assert choice.finish_reason == "content_filter"
    assert choice.message.parsed is None
    assert choice.message.refusal == "I can't help with that request."


@pytest.mark.asyncio
async def test_length_raises_length_finish_reason_error(v2: respx.Route, client: AsyncGloo) -> None:
    v2.mock(return_value=httpx.Response(200, json=answer('{"reference": {"bo', "length")))
    with pytest.raises(LengthFinishReasonError, match="Raise max_tokens") as info:
        await client.chat.completions.parse(response_format=Verse, messages=MESSAGES)
    assert isinstance(info.value, GlooError)
    assert info.value.completion.choices[0].finish_reason == "length"
    assert "after 78 tokens" in str(info.value)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("Sure! Here is a verse.", r"'gloo-openai-gpt-5.2' answered with content that is not"),
        (
            json.dumps({**VERSE_JSON, "testament": "apocrypha"}),
            r"does not match Verse: testament: Input should be 'old' or 'new'",
        ),
        (json.dumps({"text": "x"}), r"reference: Field required; testament: Field required"),
        (None, "with no content"),
    ],
)
@pytest.mark.asyncio
async def test_invalid_content_raises_response_parse_error(
    v2: respx.Route, client: AsyncGloo, content: str | None, match: str
) -> None:
    v2.mock(return_value=httpx.Response(200, json=answer(content)))
    with pytest.raises(ResponseParseError, match=match) as info:
        await client.chat.completions.parse(response_format=Verse, messages=MESSAGES)
    error = info.value
    assert isinstance(error, APIResponseValidationError)
    assert error.status_code == 200
    assert error.content == content
    assert error.response_format is Verse
    assert error.completion.model == "gloo-openai-gpt-5.2"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"stream": True}, "cannot stream"),
        ({"response_format": {"type": "json_object"}}, "must be a pydantic model class"),
        ({"response_format": int}, "must be a pydantic model class"),
    ],
)
@pytest.mark.asyncio
async def test_invalid_arguments_send_nothing(
    v2: respx.Route, client: AsyncGloo, kwargs: dict[str, Any], match: str
) -> None:
    arguments: dict[str, Any] = {"response_format": Verse, "messages": MESSAGES, **kwargs}
    with pytest.raises(InvalidArgumentError, match=match):
        await client.chat.completions.parse(**arguments)
    assert not v2.called


@pytest.mark.asyncio
async def test_stream_false_is_accepted(v2: respx.Route, client: AsyncGloo) -> None:
    completion = await client.chat.completions.parse(
        response_format=Verse, messages=MESSAGES, stream=False
    )
    assert completion.choices[0].message.parsed is not None


# --------------------------------------------------------------------------- the emulator


@pytest.mark.asyncio
async def test_parse_against_the_emulator(
    gloo_client: AsyncGloo, gloo_emulator: GlooEmulator
) -> None:
    completion = await gloo_client.chat.completions.parse(
        response_format=Verse, messages=MESSAGES, tradition="catholic"
    )
    verse = completion.choices[0].message.parsed
    assert isinstance(verse, Verse)
    assert isinstance(verse.reference, Reference)
    assert verse.reference.chapter >= 1
    assert verse.text == "A verse about hope"
    assert verse.testament is Canon.OLD
    sent_format = gloo_emulator.requests[-1].json["response_format"]
    assert sent_format == response_format_param(Verse)


@pytest.mark.asyncio
async def test_length_against_the_emulator(gloo_client: AsyncGloo) -> None:
    with pytest.raises(LengthFinishReasonError):
        await gloo_client.chat.completions.parse(
            response_format=Verse, messages=MESSAGES, max_tokens=2
        )


# --------------------------------------------------------------------------- the strict schema


def test_strict_schema_inlines_refs_with_siblings_and_flattens_all_of() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"$ref": "#/$defs/A", "description": "an A"},
            "b": {"allOf": [{"$ref": "#/$defs/A"}]},
            "c": {"type": "object", "additionalProperties": {"type": "integer"}},
            "d": {"type": "string", "default": None},
        },
        "$defs": {"A": {"type": "object", "properties": {"x": {"type": "string"}}}},
    }
    original = json.loads(json.dumps(schema))
    strict = to_strict_json_schema(schema)
    assert schema == original  # not changed in place
    a_strict = {
        "type": "object",
        "properties": {"x": {"type": "string"}},
        "additionalProperties": False,
        "required": ["x"],
    }
    assert strict["properties"]["a"] == {**a_strict, "description": "an A"}
    assert strict["properties"]["b"] == {"$ref": "#/$defs/A"}
    assert strict["properties"]["c"]["additionalProperties"] == {"type": "integer"}
    assert strict["properties"]["d"] == {"type": "string"}
    assert strict["$defs"]["A"] == a_strict
    assert strict["required"] == ["a", "b", "c", "d"]
    assert strict["additionalProperties"] is False


def test_schema_name_is_made_safe() -> None:
    class Generic_(BaseModel):
        x: int

    Generic_.__name__ = "Page[Verse]"
    assert response_format_param(Generic_)["json_schema"]["name"] == "Page_Verse_"
