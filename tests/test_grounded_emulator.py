"""Grounded completions against the emulator: both paths, plain and streamed (citations
first), the stream helper, its validation answers, and the fault script, counters and
request log as on the chat routes."""

from __future__ import annotations

import json
import warnings
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from gloo_ai import (
    APIConnectionError,
    APIStreamError,
    AsyncGloo,
    BadRequestError,
    InternalServerError,
    RateLimitError,
    function_tool,
)
from gloo_ai.testing import GlooEmulator
from gloo_ai.testing._grounded import citations_for
from tests.conftest import FakeClock

GEN1 = "/ai/v2/chat/completions/grounded"
GEN2 = "/ai/v2/grounded/chat/completions"
QUESTION = "What does the Bible say about forgiveness and mercy?"
USER = [{"role": "user", "content": QUESTION}]
HEADERS = {"Authorization": f"Bearer {GlooEmulator.DEFAULT_API_KEY}"}


@pytest.fixture
def emulator() -> GlooEmulator:
    return GlooEmulator()


@pytest_asyncio.fixture
async def client(emulator: GlooEmulator, clock: FakeClock) -> AsyncIterator[AsyncGloo]:
    async with emulator.client(api_key=True, _clock=clock) as client:
        yield client


@pytest_asyncio.fixture
async def http(emulator: GlooEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with emulator.http_client(headers=HEADERS) as client:
        yield client


@pytest.mark.asyncio
async def test_a_plain_answer_has_citations_derived_from_the_prompt(
    emulator: GlooEmulator, client: AsyncGloo
) -> None:
    completion = await client.chat.grounded.create(
        messages=USER, include_citations=True, sources_limit=2
    )
    assert completion.sources_returned is True
    assert [c.item_title for c in completion.citations] == [
        "Finding Bible",
        "Forgiveness and the Christian Life",
    ]
    assert (
        completion.citations[0].item_url
        == "https://content.gloo-emulator.invalid/gloogrounded/bible"
    )
    assert completion.citations[1].snippets == [
        "Forgiveness and the Christian Life: a passage on forgiveness from the GlooGrounded "
        "library."
    ]
    content = completion.choices[0].message.content or ""
    assert content.startswith("Drawing on 2 sources from GlooGrounded (Finding Bible; ")
    assert completion.routing_mechanism == "auto_routing"
    again = await client.chat.grounded.create(
        messages=USER, include_citations=True, sources_limit=2
    )
    assert again.citations == completion.citations  # deterministic
    assert again.choices[0].message.content == content
    assert emulator.counts[GEN1] == 2
    assert emulator.requests[-1].json["sources_limit"] == 2


@pytest.mark.asyncio
async def test_without_include_citations_there_are_none_but_sources_are_reported(
    client: AsyncGloo,
) -> None:
    completion = await client.chat.grounded.create(messages=USER, rag_publisher="MyChurch")
    assert (completion.sources_returned, completion.citations) == (True, [])
    assert "from MyChurch" in (completion.choices[0].message.content or "")


@pytest.mark.asyncio
async def test_the_publisher_name_is_case_sensitive(client: AsyncGloo) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        completion = await client.chat.grounded.create(
            messages=USER, rag_publisher="gloogrounded", include_citations=True
        )
    assert "case-sensitive" in str(caught[0].message)
    assert (completion.sources_returned, completion.citations) == (False, [])
    assert not (completion.choices[0].message.content or "").startswith("Drawing on")


@pytest.mark.asyncio
async def test_sources_limit_caps_the_citations(client: AsyncGloo) -> None:
    words = "grace hope love faith peace mercy prayer wisdom justice patience kindness joy"
    many = [{"role": "user", "content": words}]
    completion = await client.chat.grounded.create(
        messages=many, include_citations=True, sources_limit=10
    )
    assert len(completion.citations) == 10
    default = await client.chat.grounded.create(messages=many, include_citations=True)
    assert len(default.citations) == 3


@pytest.mark.parametrize(
    ("surface", "path"), [("standard", GEN1), ("guarded", GEN2), ("direct", GEN2)]
)
@pytest.mark.asyncio
async def test_both_paths_serve_plain_and_streamed_answers(
    emulator: GlooEmulator, surface: str, path: str
) -> None:
    async with emulator.client(surface=surface) as client:  # type: ignore[arg-type]
        plain = await client.chat.grounded.create(messages=USER, include_citations=True)
        async with client.chat.grounded.stream(messages=USER, include_citations=True) as stream:
            kinds = [event.type async for event in stream]
            final = await stream.get_final_completion()
    assert emulator.counts[path] == 2
    assert kinds.index("citations") < kinds.index("content.delta")
    assert final.citations == plain.citations
    assert final.sources_returned is True
    assert final.choices[0].message.content == plain.choices[0].message.content
    assert final.usage is not None
    assert final.usage.total_tokens == plain.usage.total_tokens  # type: ignore[union-attr]
    assert final.model == plain.model


@pytest.mark.asyncio
async def test_the_citations_event_is_the_first_on_the_wire(http: httpx.AsyncClient) -> None:
    body = {"messages": USER, "auto_routing": True, "stream": True, "include_citations": True}
    response = await http.post(GEN1, json=body)
    events = [e for e in response.text.split("\n\n") if e]
    first = json.loads(events[0].removeprefix("data: "))
    assert first == {"citations": citations_for(QUESTION, "GlooGrounded", 3)}
    second = json.loads(events[1].removeprefix("data: "))
    assert second["choices"][0]["delta"]["role"] == "assistant"
    assert second["sources_returned"] is True


@pytest.mark.asyncio
async def test_the_raw_stream_yields_the_citations_chunk_then_the_chunks(
    client: AsyncGloo,
) -> None:
    stream = await client.chat.grounded.create(messages=USER, include_citations=True, stream=True)
    chunks = [chunk async for chunk in stream]
    assert chunks[0].citations is not None
    assert chunks[0].choices == []
    assert chunks[-1].choices[0].finish_reason == "stop"  # no usage asked for


@pytest.mark.asyncio
async def test_tools_work_on_the_grounded_route(client: AsyncGloo) -> None:
    def find_verse(topic: str) -> str:
        """Find a verse about a topic."""
        return topic

    completion = await client.chat.grounded.create(
        messages=USER,
        tools=[function_tool(find_verse)],
        tool_choice="required",
        parallel_tool_calls=False,
    )
    calls = completion.choices[0].message.tool_calls
    assert completion.choices[0].finish_reason == "tool_calls"
    assert calls is not None
    assert calls[0].function.name == "find_verse"


@pytest.mark.parametrize(
    ("body", "status", "where"),
    [
        ({"messages": [], "auto_routing": True}, 400, "messages"),
        ({"messages": USER, "auto_routing": True, "sources_limit": 11}, 422, "sources_limit"),
        ({"messages": USER, "auto_routing": True, "sources_limit": 0}, 422, "sources_limit"),
        ({"messages": USER, "auto_routing": True, "include_citations": "y"}, 422, "include"),
        ({"messages": USER, "auto_routing": True, "rag_publisher": 3}, 422, "rag_publisher"),
        ({"messages": USER, "model": "gloo-openai-gpt-5.2", "auto_routing": True}, 400, "routing"),
    ],
)
@pytest.mark.asyncio
async def test_the_emulator_refuses_what_gloo_refuses(
    http: httpx.AsyncClient, body: dict[str, object], status: int, where: str
) -> None:
    for path in (GEN1, GEN2):
        response = await http.post(path, json=body)
        assert response.status_code == status
        assert where in response.text


@pytest.mark.asyncio
async def test_omitted_messages_answer_hello_world(http: httpx.AsyncClient) -> None:
    response = await http.post(GEN2, json={"auto_routing": True})
    assert response.status_code == 200
    assert "Hello world!" in response.json()["choices"][0]["message"]["content"]


@pytest.mark.asyncio
async def test_the_fault_script_applies_to_both_paths(
    emulator: GlooEmulator, client: AsyncGloo, clock: FakeClock
) -> None:
    emulator.faults.server_error(GEN1)
    emulator.faults.rate_limit(GEN2, retry_after=2)
    await client.chat.grounded.create(messages=USER)
    await client.chat.grounded.create(messages=USER, surface="guarded")
    assert (emulator.counts[GEN1], emulator.counts[GEN2]) == (2, 2)  # each retried once
    assert 2.0 in clock.sleeps
    emulator.faults.status(GEN1, 400, body={"detail": "bad"})
    with pytest.raises(BadRequestError):
        await client.chat.grounded.create(messages=USER)
    emulator.faults.rate_limit(GEN1, times=5)
    with pytest.raises(RateLimitError):
        # rate limits have a budget of their own: one retry of a 429, then it raises
        await client.chat.grounded.create(messages=USER, max_rate_limit_retries=1)
    assert emulator.counts[GEN1] == 5
    assert [r.path for r in emulator.requests].count(GEN1) == 5


@pytest.mark.asyncio
async def test_a_stream_error_after_the_citations_raises(
    emulator: GlooEmulator, client: AsyncGloo
) -> None:
    emulator.faults.stream_error(GEN1, after_events=2, retryable=False)
    async with client.chat.grounded.stream(messages=USER, include_citations=True) as stream:
        kinds: list[str] = []

        async def read() -> None:
            async for event in stream:
                kinds.append(event.type)

        with pytest.raises(APIStreamError) as info:
            await read()
    assert "citations" in kinds
    assert info.value.code == 2002
    assert stream.citations  # what came before the error is kept
    emulator.faults.stream_error(GEN1, retryable=False)
    with pytest.raises(InternalServerError):
        await client.chat.grounded.create(messages=USER)  # a plain request gets a 503


@pytest.mark.asyncio
async def test_a_dropped_stream_is_retried_in_process_only_when_opted_in(
    emulator: GlooEmulator, client: AsyncGloo
) -> None:
    emulator.faults.drop(GEN2, after_events=2, times=2)
    with pytest.raises(APIConnectionError, match="retry_read_errors=True"):
        async with client.chat.grounded.stream(
            messages=USER, include_citations=True, surface="guarded"
        ) as stream:
            await stream.get_final_completion()
    assert emulator.counts[GEN2] == 1  # the request was sent: not repeated by default
    async with client.chat.grounded.stream(
        messages=USER, include_citations=True, surface="guarded", retry_read_errors=True
    ) as stream:
        final = await stream.get_final_completion()
    assert final.citations
    assert emulator.counts[GEN2] == 3


@pytest.mark.asyncio
async def test_a_stream_dropped_on_the_wire_raises(emulator: GlooEmulator) -> None:
    from gloo_ai.testing import EmulatorServer

    emulator.faults.drop(GEN1, after_events=3)
    with EmulatorServer(emulator) as server:
        async with (
            AsyncGloo(
                api_key=GlooEmulator.DEFAULT_API_KEY, base_url=server.url, max_retries=0
            ) as client,
            client.chat.grounded.stream(messages=USER, include_citations=True) as stream,
        ):
            with pytest.raises(APIConnectionError):
                await stream.get_final_completion()
            assert stream.citations
    assert emulator.counts[GEN1] == 1


@pytest.mark.asyncio
async def test_citations_come_from_the_text_parts_of_a_message(client: AsyncGloo) -> None:
    parts = [{"type": "text", "text": "Tell me about patience"}]
    completion = await client.chat.grounded.create(
        messages=[{"role": "user", "content": parts}], include_citations=True
    )
    assert [c.item_title for c in completion.citations] == ["Finding Patience"]
