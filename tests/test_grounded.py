"""``client.chat.grounded``: the body sent, the path per surface, validation before sending,
the typed answer (citations, sources_returned, unknown fields kept) and the stream (the
citations event in each accepted shape, the helper, its errors), on respx."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx

from gloo_ai import (
    APIStreamError,
    AsyncGloo,
    GroundedChatCompletionStream,
    GroundedCompletionAccumulator,
    IncompleteStreamError,
    InvalidArgumentError,
    UnknownValueWarning,
)
from gloo_ai.types.chat import (
    Citation,
    CitationsEvent,
    ContentDeltaEvent,
    GroundedChatCompletion,
    GroundedChatCompletionChunk,
)
from tests.conftest import BASE_URL, completion_json

USER = [{"role": "user", "content": "What does the Bible say about forgiveness?"}]
GEN1 = "/ai/v2/chat/completions/grounded"
GEN2 = "/ai/v2/grounded/chat/completions"
PATHS = {"standard": GEN1, "guarded": GEN2, "direct": GEN2}
SSE = {"content-type": "text/event-stream"}
CITATION = {
    "item_title": "Forgiveness and Freedom",
    "item_url": "https://example.org/forgiveness",
    "snippets": ["Forgive as the Lord forgave you."],
}


def grounded_json(**extra: object) -> dict[str, object]:
    fields: dict[str, object] = {"sources_returned": True, "citations": [CITATION], **extra}
    return completion_json("Based on the retrieved sources...", **fields)


def _client(**kwargs: Any) -> AsyncGloo:
    return AsyncGloo(api_key="key", max_retries=0, **kwargs)


def sent(route: respx.Route) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(route.calls.last.request.content)
    return body


def chunk(content: str | None = None, finish: str | None = None, **extra: object) -> str:
    delta = {} if content is None else {"content": content}
    payload = {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
    return f"data: {json.dumps(payload)}\n\n"


def sse_body(*events: str) -> Callable[[httpx.Request], httpx.Response]:
    raw = "".join(events).encode()
    return lambda request: httpx.Response(200, content=raw, headers=SSE)


ANSWER = (
    chunk("Forgive ", model="gloo-openai-gpt-5.2", sources_returned=True),
    chunk("freely."),
    chunk(None, "stop"),
    'data: {"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 2, '
    '"total_tokens": 11}}\n\n',
)


# -- the request ---------------------------------------------------------------------------


@pytest.mark.asyncio
@respx.mock
async def test_the_body_carries_every_grounded_field() -> None:
    route = respx.post(f"{BASE_URL}{GEN1}").respond(200, json=grounded_json())
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
    async with _client() as client:
        completion = await client.chat.grounded.create(
            messages=USER,
            model="gloo-openai-gpt-5.2",
            rag_publisher="MyChurch",
            sources_limit=4,
            include_citations=True,
            tradition="evangelical",
            temperature=0.3,
            max_tokens=1024,
            tools=[tool],
            tool_choice="auto",
            parallel_tool_calls=False,
            stream_options={"include_usage": True},
        )
    assert isinstance(completion, GroundedChatCompletion)
    assert sent(route) == {
        "messages": USER,
        "auto_routing": False,
        "model": "gloo-openai-gpt-5.2",
        "rag_publisher": "MyChurch",
        "sources_limit": 4,
        "include_citations": True,
        "tradition": "evangelical",
        "temperature": 0.3,
        "max_tokens": 1024,
        "tools": [tool],
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "stream_options": {"include_usage": True},
    }


@pytest.mark.asyncio
@respx.mock
async def test_the_defaults_are_auto_routing_and_the_servers_publisher() -> None:
    route = respx.post(f"{BASE_URL}{GEN1}").respond(200, json=grounded_json())
    async with _client() as client:
        await client.chat.grounded.create(messages=USER)
    assert sent(route) == {"messages": USER, "auto_routing": True}


@pytest.mark.parametrize("surface", sorted(PATHS))
@pytest.mark.asyncio
@respx.mock
async def test_each_surface_picks_its_path_generation(surface: str) -> None:
    route = respx.post(f"{BASE_URL}{PATHS[surface]}").respond(200, json=grounded_json())
    async with _client(surface=surface) as client:
        await client.chat.grounded.create(messages=USER)
    assert route.call_count == 1
    assert "surface" not in sent(route)


@pytest.mark.asyncio
@respx.mock
async def test_a_call_overrides_the_surface_of_the_client() -> None:
    gen1 = respx.post(f"{BASE_URL}{GEN1}").respond(200, json=grounded_json())
    gen2 = respx.post(f"{BASE_URL}{GEN2}").respond(200, json=grounded_json())
    async with _client(surface="guarded") as client:
        await client.chat.grounded.create(messages=USER)
        await client.chat.grounded.create(messages=USER, surface="standard")
        async with client.with_options(surface="standard") as standard:
            await standard.chat.grounded.create(messages=USER)
    assert (gen1.call_count, gen2.call_count) == (2, 1)


BAD_CALLS: list[tuple[dict[str, Any], str]] = [
    ({"messages": []}, r"messages is empty.*400"),
    ({"messages": (m for m in ())}, r"messages: List should have at least 1 item"),
    ({"messages": "hello"}, r"messages must be a list"),
    ({"messages": USER, "sources_limit": 0}, r"sources_limit .* 1 to 10; not 0"),
    ({"messages": USER, "sources_limit": 11}, r"sources_limit .* 1 to 10; not 11"),
    ({"messages": USER, "sources_limit": True}, r"sources_limit .* not True"),
    ({"messages": USER, "sources_limit": "3"}, r"sources_limit .* not '3'"),
    ({"messages": USER, "sources_limit": 2.0}, r"sources_limit .* not 2.0"),
    ({"messages": USER, "rag_publisher": "  "}, r"rag_publisher is empty.*'GlooGrounded'"),
    ({"messages": USER, "rag_publisher": 7}, r"rag_publisher: Input should be a valid string"),
    ({"messages": USER, "include_citations": "yes"}, r"include_citations: Input should be"),
    ({"messages": USER, "parallel_tool_calls": 1}, r"parallel_tool_calls: Input should be"),
    ({"messages": USER, "temperature": 3}, r"temperature: Input should be less than"),
    ({"messages": USER, "model": "m", "auto_routing": True}, r"exactly one mechanism"),
    ({"messages": USER, "source_limit": 3}, r"did you mean 'sources_limit'"),
    ({"messages": USER, "response_format": {"type": "json_object"}}, r"response_format"),
    ({"messages": USER, "surface": "safe"}, r"chat\.grounded: surface must be one of"),
    ({}, r"messages"),
]


@pytest.mark.parametrize(("kwargs", "match"), BAD_CALLS)
@pytest.mark.asyncio
async def test_bad_input_is_refused_before_sending(kwargs: dict[str, Any], match: str) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.route().respond(200, json=grounded_json())
        await _refuse(kwargs, match)
    assert route.call_count == 0


async def _refuse(kwargs: dict[str, Any], match: str) -> None:
    async with _client() as client:
        with pytest.raises(InvalidArgumentError, match=match):
            await client.chat.grounded.create(**kwargs)
        with pytest.raises(InvalidArgumentError, match=match.replace("create", "stream")):
            async with client.chat.grounded.stream(**kwargs):
                pass  # pragma: no cover - refused before


@pytest.mark.asyncio
async def test_stream_refuses_the_stream_argument() -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.route().respond(200, json=grounded_json())
        async with _client() as client:
            with pytest.raises(InvalidArgumentError, match=r"always streams"):
                client.chat.grounded.stream(messages=USER, stream=True)  # type: ignore[call-arg]
    assert route.call_count == 0


@pytest.mark.asyncio
@respx.mock
async def test_a_miscased_gloo_publisher_warns_and_is_sent_as_it_is() -> None:
    route = respx.post(f"{BASE_URL}{GEN1}").respond(200, json=grounded_json())
    async with _client() as client:
        with pytest.warns(UnknownValueWarning, match="case-sensitive") as caught:
            await client.chat.grounded.create(messages=USER, rag_publisher="gloogrounded")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            await client.chat.grounded.create(messages=USER, rag_publisher="GlooGrounded")
    assert caught[0].filename == __file__  # attributed to the caller's line
    assert sent(route)["rag_publisher"] == "GlooGrounded"
    assert route.call_count == 2


# -- the answer ----------------------------------------------------------------------------


@pytest.mark.asyncio
@respx.mock
async def test_the_answer_is_typed_and_keeps_unknown_fields() -> None:
    citation = {**CITATION, "score": 0.91, "publisher": {"name": "GlooGrounded"}}
    body = grounded_json(citations=[citation, {"item_title": "Only a title"}], rag_ms=12)
    respx.post(f"{BASE_URL}{GEN1}").respond(200, json=body)
    async with _client() as client:
        completion = await client.chat.grounded.create(messages=USER, include_citations=True)
    assert completion.sources_returned is True
    first, second = completion.citations
    assert isinstance(first, Citation)
    assert (first.item_title, first.item_url, first.snippets) == (
        "Forgiveness and Freedom",
        "https://example.org/forgiveness",
        ["Forgive as the Lord forgave you."],
    )
    assert first.model_extra == {"score": 0.91, "publisher": {"name": "GlooGrounded"}}
    assert (second.item_url, second.snippets) == (None, [])
    assert completion.model_extra == {"rag_ms": 12}
    assert completion.routing_tier == "tier_2"  # the chat fields are all there
    assert completion.choices[0].message.content == "Based on the retrieved sources..."


@pytest.mark.asyncio
@respx.mock
async def test_an_answer_without_citations_has_an_empty_list() -> None:
    respx.post(f"{BASE_URL}{GEN1}").respond(200, json=completion_json(sources_returned=False))
    async with _client() as client:
        completion = await client.chat.grounded.create(messages=USER)
    assert (completion.sources_returned, completion.citations) == (False, [])


@pytest.mark.asyncio
@respx.mock
async def test_with_raw_response_gives_the_response_and_the_typed_answer() -> None:
    respx.post(f"{BASE_URL}{GEN1}").respond(
        200, json=grounded_json(), headers={"x-request-id": "req-1"}
    )
    async with _client() as client:
        raw = await client.chat.grounded.with_raw_response.create(messages=USER)
    assert raw.status_code == 200
    assert raw.request_id == "req-1"
    assert isinstance(raw.parse(), GroundedChatCompletion)
    assert raw.parse().citations[0].item_title == "Forgiveness and Freedom"


# -- the stream ----------------------------------------------------------------------------

CITATION_EVENTS = {
    "data object": f"data: {json.dumps({'citations': [CITATION]})}\n\n",
    "named object": f"event: citations\ndata: {json.dumps({'citations': [CITATION]})}\n\n",
    "named list": f"event: citations\ndata: {json.dumps([CITATION])}\n\n",
}


@pytest.mark.parametrize("shape", sorted(CITATION_EVENTS))
@pytest.mark.asyncio
@respx.mock
async def test_the_citations_event_comes_first_in_each_shape(shape: str) -> None:
    route = respx.post(f"{BASE_URL}{GEN1}").mock(
        side_effect=sse_body(CITATION_EVENTS[shape], *ANSWER)
    )
    async with (
        _client() as client,
        client.chat.grounded.stream(messages=USER, include_citations=True) as stream,
    ):
        assert isinstance(stream, GroundedChatCompletionStream)
        kinds = [event.type async for event in stream]
        completion = await stream.get_final_completion()
    assert kinds[:3] == ["chunk", "citations", "chunk"]
    assert kinds.count("citations") == 1
    assert kinds.index("citations") < kinds.index("content.delta")
    assert sent(route)["stream"] is True
    assert sent(route)["stream_options"] == {"include_usage": True}
    assert isinstance(completion, GroundedChatCompletion)
    assert completion.citations == [Citation.model_validate(CITATION)]
    assert completion.sources_returned is True
    assert completion.choices[0].message.content == "Forgive freely."
    assert completion.usage is not None
    assert completion.usage.total_tokens == 11


@pytest.mark.asyncio
@respx.mock
async def test_create_stream_yields_the_citations_chunk_first() -> None:
    respx.post(f"{BASE_URL}{GEN2}").mock(
        side_effect=sse_body(CITATION_EVENTS["data object"], *ANSWER[:3])
    )
    async with _client() as client:
        stream = await client.chat.grounded.create(
            messages=USER, include_citations=True, stream=True, surface="direct"
        )
        chunks = [c async for c in stream]
    assert all(isinstance(c, GroundedChatCompletionChunk) for c in chunks)
    assert chunks[0].choices == []
    assert chunks[0].citations is not None
    assert chunks[0].citations[0].item_title == "Forgiveness and Freedom"
    assert [c.citations for c in chunks[1:]] == [None, None, None]
    assert chunks[-1].choices[0].finish_reason == "stop"


@pytest.mark.asyncio
@respx.mock
async def test_text_stream_and_the_citations_property() -> None:
    respx.post(f"{BASE_URL}{GEN1}").mock(
        side_effect=sse_body(CITATION_EVENTS["named list"], *ANSWER)
    )
    async with (
        _client() as client,
        client.chat.grounded.stream(messages=USER, include_citations=True) as stream,
    ):
        texts = [text async for text in stream.text_stream]
        assert [c.item_title for c in stream.citations] == ["Forgiveness and Freedom"]
        assert stream.accumulator.finished
    assert texts == ["Forgive ", "freely."]


@pytest.mark.asyncio
@respx.mock
async def test_a_stream_without_citations_has_no_citations_event() -> None:
    respx.post(f"{BASE_URL}{GEN1}").mock(side_effect=sse_body(*ANSWER))
    async with _client() as client, client.chat.grounded.stream(messages=USER) as stream:
        kinds = [event.type async for event in stream]
        completion = await stream.get_final_completion()
    assert "citations" not in kinds
    assert (completion.citations, completion.sources_returned) == ([], True)


@pytest.mark.asyncio
@respx.mock
async def test_an_error_event_after_the_citations_raises_api_stream_error() -> None:
    error = {"error": {"code": 2002, "name": "PROVIDER_UNAVAILABLE", "retryable": True}}
    respx.post(f"{BASE_URL}{GEN1}").mock(
        side_effect=sse_body(
            CITATION_EVENTS["data object"], ANSWER[0], f"data: {json.dumps(error)}\n\n"
        )
    )
    async with (
        _client() as client,
        client.chat.grounded.stream(messages=USER, include_citations=True) as stream,
    ):
        with pytest.raises(APIStreamError) as info:
            await stream.get_final_completion()
    assert info.value.code == 2002


@pytest.mark.asyncio
@respx.mock
async def test_a_stream_that_ends_after_the_citations_is_incomplete() -> None:
    respx.post(f"{BASE_URL}{GEN1}").mock(
        side_effect=sse_body(CITATION_EVENTS["named object"], ANSWER[0])
    )
    async with (
        _client() as client,
        client.chat.grounded.stream(messages=USER, include_citations=True) as stream,
    ):
        with pytest.raises(IncompleteStreamError) as info:
            await stream.get_final_completion()
    assert info.value.text == "Forgive "
    snapshot = info.value.snapshot
    assert isinstance(snapshot, GroundedChatCompletion)
    assert snapshot.citations[0].item_title == "Forgiveness and Freedom"


# -- the accumulator (pure) ----------------------------------------------------------------


def test_the_accumulator_keeps_each_citation_once_whichever_event_carries_it() -> None:
    other = {"item_title": "Seventy Times Seven", "snippets": []}
    accumulator = GroundedCompletionAccumulator()
    parse = GroundedChatCompletionChunk.model_validate
    first = accumulator.add(parse({"citations": [CITATION]}))
    accumulator.add(parse(json.loads(ANSWER[0][6:])))
    late = accumulator.add(
        parse(
            {
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                "citations": [CITATION, other],
            }
        )
    )
    again = accumulator.add(parse({"citations": [CITATION, other]}))
    assert [e.type for e in first] == ["chunk", "citations"]
    citations_events = [e for e in late if isinstance(e, CitationsEvent)]
    assert [c.item_title for c in citations_events[0].citations] == ["Seventy Times Seven"]
    assert len(citations_events[0].snapshot) == 2
    assert [e.type for e in again] == ["chunk"]  # nothing new: no event
    final = accumulator.final_completion()
    assert [c.item_title for c in final.citations] == [
        "Forgiveness and Freedom",
        "Seventy Times Seven",
    ]
    assert final.sources_returned is True
    late_delta = accumulator.add(parse(json.loads(ANSWER[1][6:])))
    assert not [e for e in late_delta if isinstance(e, ContentDeltaEvent)]  # dropped, as in chat


def test_an_empty_citations_list_is_reported_once() -> None:
    accumulator = GroundedCompletionAccumulator()
    events = accumulator.add(GroundedChatCompletionChunk.model_validate({"citations": []}))
    assert [e.type for e in events] == ["chunk", "citations"]
    assert accumulator.citations == []
