"""`ChatCompletionAccumulator`: a pure object, tested on hand-written fixtures with no HTTP.

Each fixture in ``tests/fixtures`` is written from Gloo's wire format (``gloo-api.md`` §5, §6),
not produced by the emulator. Here it goes through `SSEDecoder` (whole, or byte by byte) and
``ChatCompletionChunk.model_validate_json`` into the accumulator.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pydantic
import pytest

from gloo_ai import APIConnectionError, APIStreamError, GlooError
from gloo_ai._streaming import SSEDecoder
from gloo_ai.resources.chat._accumulator import ChatCompletionAccumulator, IncompleteStreamError
from gloo_ai.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionStreamEvent,
    ChunkEvent,
    ContentDeltaEvent,
    ContentDoneEvent,
    RefusalDeltaEvent,
    RefusalDoneEvent,
    ToolCallArgumentsDeltaEvent,
    ToolCallDoneEvent,
    UsageEvent,
)

FIXTURES = Path(__file__).parent / "fixtures"

BASIC_TEXT = (
    "The Bible calls us to forgive — freely, as we were forgiven (Col 3:13). "
    "Café prayers welcome 🙏"
)
USAGE_TEXT = "Joy is a fruit of the Spirit (Gal 5:22) — even in trials."
MULTIBYTE_TEXT = (
    "Agápē (ἀγάπη) and shālôm (שָׁלוֹם): cafe\u0301 talks, 愛と平和, "
    "family 👨\u200d👩\u200d👧 and prayer 🙏🏽🕊\ufe0f."
)
REFUSAL_TEXT = (
    "I can\u2019t help with that request. If you are in crisis, please call or text 988"
    " — you are not alone."
)


def chunks_of(name: str, *, byte_by_byte: bool = False) -> list[ChatCompletionChunk]:
    raw = (FIXTURES / name).read_bytes()
    decoder = SSEDecoder()
    pieces = [raw[i : i + 1] for i in range(len(raw))] if byte_by_byte else [raw]
    events = [event for piece in pieces for event in decoder.feed(piece)]
    events += decoder.flush()
    return [
        ChatCompletionChunk.model_validate_json(event.data)
        for event in events
        if event.data != "[DONE]"
    ]


def run(
    name: str, **kwargs: bool
) -> tuple[ChatCompletionAccumulator, list[ChatCompletionStreamEvent]]:
    accumulator = ChatCompletionAccumulator()
    events: list[ChatCompletionStreamEvent] = []
    for chunk in chunks_of(name, **kwargs):
        events.extend(accumulator.add(chunk))
    return accumulator, events


def kinds(events: list[ChatCompletionStreamEvent]) -> list[str]:
    return [event.type for event in events if event.type != "chunk"]


# --- content -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("v2_stream_basic.txt", BASIC_TEXT),
        ("v2_stream_crlf.txt", BASIC_TEXT),
        ("v2_stream_done.txt", BASIC_TEXT),
        ("v2_stream_usage.txt", USAGE_TEXT),
        ("v2_stream_multibyte.txt", MULTIBYTE_TEXT),
        ("v2_stream_metadata_late.txt", "Hope does not disappoint (Rom 5:5)."),
    ],
)
@pytest.mark.parametrize("byte_by_byte", [False, True], ids=["whole", "byte-by-byte"])
def test_content_is_assembled_exactly(name: str, text: str, byte_by_byte: bool) -> None:
    accumulator, events = run(name, byte_by_byte=byte_by_byte)
    completion = accumulator.final_completion()
    assert isinstance(completion, ChatCompletion)
    assert len(completion.choices) == 1
    choice = completion.choices[0]
    assert choice.message.content == text
    assert choice.message.role == "assistant"
    assert choice.message.tool_calls is None
    assert choice.message.refusal is None
    assert choice.finish_reason == "stop"
    assert completion.object == "chat.completion"
    deltas = [e for e in events if isinstance(e, ContentDeltaEvent)]
    assert "".join(e.delta for e in deltas) == text
    assert all(e.delta for e in deltas)  # no empty pieces
    done = [e for e in events if isinstance(e, ContentDoneEvent)]
    assert [e.content for e in done] == [text]


def test_multibyte_pieces_split_graphemes_and_words_stay_intact() -> None:
    _, events = run("v2_stream_multibyte.txt", byte_by_byte=True)
    deltas = [e.delta for e in events if isinstance(e, ContentDeltaEvent)]
    # The fixture splits inside words, between a letter and its combining mark, inside a
    # ZWJ family emoji and between an emoji and its skin-tone modifier.
    assert deltas[0] == "Agápē (ἀγ"
    assert deltas[4] == "\u0301 talks, 愛"
    assert deltas[5].endswith("👨\u200d👩")
    assert deltas[6].startswith("\u200d👧")
    assert deltas[7].startswith("🏽")
    assert "\ufffd" not in "".join(deltas)


def test_content_delta_snapshots_grow_piece_by_piece() -> None:
    _, events = run("v2_stream_usage.txt")
    deltas = [e for e in events if isinstance(e, ContentDeltaEvent)]
    assert [e.snapshot for e in deltas] == [
        "Joy is",
        "Joy is a fruit of the Spirit",
        USAGE_TEXT,
    ]
    assert all(e.choice_index == 0 for e in deltas)


def test_event_order_for_a_text_stream_with_usage() -> None:
    _, events = run("v2_stream_usage.txt")
    assert [e.type for e in events] == [
        "chunk",
        "chunk",
        "content.delta",
        "chunk",
        "content.delta",
        "chunk",
        "content.delta",
        "chunk",
        "content.done",
        "chunk",
        "usage",
    ]


def test_chunk_event_carries_the_chunk_and_the_live_snapshot() -> None:
    accumulator = ChatCompletionAccumulator()
    texts = []
    for chunk in chunks_of("v2_stream_usage.txt"):
        events = accumulator.add(chunk)
        first = events[0]
        assert isinstance(first, ChunkEvent)
        assert first.chunk is chunk
        assert first.snapshot is accumulator.snapshot
        if first.snapshot.choices:
            texts.append(first.snapshot.choices[0].message.content)
    assert texts == ["", "Joy is", "Joy is a fruit of the Spirit", *[USAGE_TEXT] * 3]


def test_final_completion_is_a_copy() -> None:
    accumulator, _ = run("v2_stream_basic.txt")
    completion = accumulator.final_completion()
    assert completion is not accumulator.snapshot
    accumulator.snapshot.choices[0].message.content = "changed"
    assert completion.choices[0].message.content == BASIC_TEXT
    assert accumulator.final_completion() == accumulator.snapshot


# --- usage, metadata, ttft -----------------------------------------------------------------


def test_usage_from_the_usage_only_chunk() -> None:
    accumulator, events = run("v2_stream_usage.txt")
    usage_events = [e for e in events if isinstance(e, UsageEvent)]
    assert len(usage_events) == 1
    usage = accumulator.final_completion().usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (125, 78, 203)
    assert usage_events[0].usage == usage
    assert accumulator.usage == usage


def test_no_usage_without_the_usage_chunk() -> None:
    accumulator, events = run("v2_stream_basic.txt")
    assert accumulator.final_completion().usage is None
    assert not any(isinstance(e, UsageEvent) for e in events)


def test_routing_metadata_and_ttft() -> None:
    accumulator, _ = run("v2_stream_usage.txt")
    completion = accumulator.final_completion()
    assert completion.id == "gen-1768500882-56Ha"
    assert completion.created == 1768500882
    assert completion.model == "gloo-openai-gpt-5.2"
    assert completion.model_family == "OpenAI"
    assert completion.routing_tier == "tier_2"
    assert completion.routing_confidence == pytest.approx(0.557)
    assert completion.ttft_ms == pytest.approx(412.5)
    assert completion.model_extra is not None
    assert completion.model_extra["ttft_ms"] == pytest.approx(412.5)
    assert accumulator.ttft_ms == pytest.approx(412.5)
    assert completion.provider is None
    assert completion.tradition is None


def test_ttft_is_none_where_gloo_sent_none() -> None:
    accumulator, _ = run("v2_stream_basic.txt")
    completion = accumulator.final_completion()
    assert accumulator.ttft_ms is None
    assert completion.ttft_ms is None


def test_metadata_first_value_wins_and_later_values_fill_gaps() -> None:
    accumulator, _ = run("v2_stream_metadata_late.txt")
    completion = accumulator.final_completion()
    # The first two chunks have the docs' minimal shape: no id, model or created.
    assert completion.id == "gen-1768505555-Md4v"
    assert completion.created == 1768505555
    assert completion.model == "gloo-openai-gpt-5.2"
    assert completion.model_family == "OpenAI"
    assert completion.routing_tier == "tier_4"
    assert completion.ttft_ms == pytest.approx(75.5)
    # Gaps filled by later chunks, the usage chunk included.
    assert completion.routing_confidence == pytest.approx(0.64)
    assert completion.provider == "Gloo AI"
    assert completion.auto_routing is True
    assert completion.routing_mechanism == "auto_routing"
    assert completion.tradition == "mainline"
    assert completion.usage is not None
    assert completion.usage.cache_read_input_tokens == 16


def test_metadata_of_the_refusal_fixture() -> None:
    completion = run("v2_stream_refusal.txt")[0].final_completion()
    assert completion.tradition == "catholic"
    assert completion.routing_mechanism == "auto_routing"
    assert completion.routing_tier == "tier_1"
    assert completion.ttft_ms == pytest.approx(151.25)
    usage = run("v2_stream_multibyte.txt")[0].final_completion().usage
    assert usage is not None
    assert usage.cache_hit_rate == 0.0


def test_unknown_top_level_fields_are_kept() -> None:
    accumulator = ChatCompletionAccumulator()
    accumulator.add(
        ChatCompletionChunk.model_validate(
            {"id": "c1", "trace_id": "4bf9", "choices": [{"delta": {"content": "Hi"}}]}
        )
    )
    accumulator.add(
        ChatCompletionChunk.model_validate(
            {"trace_id": "other", "choices": [{"delta": {}, "finish_reason": "stop"}]}
        )
    )
    completion = accumulator.final_completion()
    assert completion.model_extra is not None
    assert completion.model_extra["trace_id"] == "4bf9"


# --- tool calls ----------------------------------------------------------------------------


def test_single_tool_call() -> None:
    accumulator, events = run("v2_stream_tool_calls.txt")
    message = accumulator.final_completion().choices[0].message
    assert accumulator.final_completion().choices[0].finish_reason == "tool_calls"
    assert message.content is None
    assert message.tool_calls is not None
    [call] = message.tool_calls
    assert (call.id, call.type, call.function.name) == ("call_abc123", "function", "get_weather")
    assert json.loads(call.function.arguments) == {"location": "Chicago, IL"}
    assert kinds(events) == [
        "tool_calls.function.arguments.delta",
        "tool_calls.function.arguments.delta",
        "tool_calls.function.arguments.delta",
        "tool_calls.function.arguments.done",
    ]
    deltas = [e for e in events if isinstance(e, ToolCallArgumentsDeltaEvent)]
    assert [e.arguments for e in deltas] == [
        '{"location"',
        '{"location": "Chicago',
        '{"location": "Chicago, IL"}',
    ]
    assert {e.name for e in deltas} == {"get_weather"}
    done = events[-1]
    assert isinstance(done, ToolCallDoneEvent)
    assert (done.index, done.id, done.name) == (0, "call_abc123", "get_weather")
    assert json.loads(done.arguments) == {"location": "Chicago, IL"}


def test_parallel_tool_calls_with_interleaved_argument_deltas() -> None:
    accumulator, events = run("v2_stream_parallel_tool_calls.txt")
    completion = accumulator.final_completion()
    message = completion.choices[0].message
    assert message.tool_calls is not None
    assert [(c.id, c.function.name) for c in message.tool_calls] == [
        ("call_wx_chi", "get_weather"),
        ("call_verse_ps23", "lookup_verse"),
    ]
    assert json.loads(message.tool_calls[0].function.arguments) == {
        "location": "Chicago, IL",
        "unit": "fahrenheit",
    }
    assert json.loads(message.tool_calls[1].function.arguments) == {
        "reference": "Psalm 23:1",
        "translation": "ESV",
    }
    deltas = [e for e in events if isinstance(e, ToolCallArgumentsDeltaEvent)]
    assert [e.index for e in deltas] == [0, 1, 0, 1, 1, 0]
    assert [e.name for e in deltas] == [
        "get_weather",
        "lookup_verse",
        "get_weather",
        "lookup_verse",
        "lookup_verse",
        "get_weather",
    ]
    # Interleaved: no call is "done" before the finish reason, then both in index order.
    done = [e for e in events if isinstance(e, ToolCallDoneEvent)]
    assert [e.index for e in done] == [0, 1]
    last_delta = max(i for i, e in enumerate(events) if isinstance(e, ToolCallArgumentsDeltaEvent))
    first_done = min(i for i, e in enumerate(events) if isinstance(e, ToolCallDoneEvent))
    assert first_done > last_delta
    assert [d.arguments for d in done] == [c.function.arguments for c in message.tool_calls]
    assert completion.model_family == "Anthropic"
    assert completion.routing_mechanism == "model_family"
    assert completion.ttft_ms == pytest.approx(988.0)
    assert completion.usage is not None
    assert completion.usage.total_tokens == 375


def test_sequential_tool_calls_after_text() -> None:
    accumulator, events = run("v2_stream_sequential_tool_calls.txt")
    message = accumulator.final_completion().choices[0].message
    assert message.content == "Let me look those up."
    assert message.tool_calls is not None
    assert [json.loads(c.function.arguments) for c in message.tool_calls] == [
        {"reference": "John 3:16"},
        {"reference": "Romans 8:28"},
    ]
    assert [c.id for c in message.tool_calls] == ["call_A1", "call_B2"]
    # The first call is done as soon as the second starts (its JSON is complete by then).
    assert kinds(events) == [
        "content.delta",
        "content.delta",
        "tool_calls.function.arguments.delta",
        "tool_calls.function.arguments.delta",
        "tool_calls.function.arguments.done",
        "tool_calls.function.arguments.delta",
        "tool_calls.function.arguments.delta",
        "content.done",
        "tool_calls.function.arguments.done",
    ]
    done = [e for e in events if isinstance(e, ToolCallDoneEvent)]
    assert [(e.index, e.id) for e in done] == [(0, "call_A1"), (1, "call_B2")]
    assert accumulator.ttft_ms == 233
    assert accumulator.final_completion().provider == "Gloo AI"


def test_tool_call_snapshot_is_visible_while_streaming() -> None:
    accumulator = ChatCompletionAccumulator()
    chunks = chunks_of("v2_stream_parallel_tool_calls.txt")
    for chunk in chunks[:4]:
        accumulator.add(chunk)
    calls = accumulator.snapshot.choices[0].message.tool_calls
    assert calls is not None
    assert [c.function.arguments for c in calls] == ['{"loca', '{"reference": "Ps']
    with pytest.raises(IncompleteStreamError):
        accumulator.final_completion()


# --- refusal -------------------------------------------------------------------------------


def test_refusal_streamed_as_refusal_deltas() -> None:
    accumulator, events = run("v2_stream_refusal.txt")
    choice = accumulator.final_completion().choices[0]
    assert choice.finish_reason == "content_filter"
    assert choice.message.refusal == REFUSAL_TEXT
    assert not choice.message.content
    assert kinds(events) == [
        "refusal.delta",
        "refusal.delta",
        "refusal.delta",
        "refusal.done",
        "usage",
    ]
    deltas = [e for e in events if isinstance(e, RefusalDeltaEvent)]
    assert deltas[-1].snapshot == REFUSAL_TEXT
    done = [e for e in events if isinstance(e, RefusalDoneEvent)]
    assert [e.refusal for e in done] == [REFUSAL_TEXT]


# --- errors and unfinished streams ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code", "partial"),
    [
        ("v2_stream_error.txt", 2002, "Forgiveness is"),
        ("v2_stream_error_2006.txt", 2006, "Blessed are the peace"),
    ],
)
def test_in_band_error_raises_api_stream_error(name: str, code: int, partial: str) -> None:
    accumulator = ChatCompletionAccumulator()
    chunks = chunks_of(name)
    for chunk in chunks[:-1]:
        accumulator.add(chunk)
    with pytest.raises(APIStreamError) as info:
        accumulator.add(chunks[-1])
    assert info.value.code == code
    assert info.value.retryable is True
    assert info.value.fault == "provider"
    assert str(code) in str(info.value)
    with pytest.raises(IncompleteStreamError) as incomplete:
        accumulator.final_completion()
    assert incomplete.value.snapshot.choices[0].message.content == partial


def test_final_completion_of_an_unfinished_stream_raises() -> None:
    accumulator = ChatCompletionAccumulator()
    with pytest.raises(IncompleteStreamError, match="no chunk"):
        accumulator.final_completion()
    for chunk in chunks_of("v2_stream_basic.txt")[:3]:
        accumulator.add(chunk)
    assert not accumulator.finished
    with pytest.raises(IncompleteStreamError, match="finish_reason") as info:
        accumulator.final_completion()
    assert isinstance(info.value, GlooError)
    assert info.value.snapshot.choices[0].message.content == "The Bible calls us to forgive"


def test_a_finish_reason_arrives_once() -> None:
    accumulator, _ = run("v2_stream_basic.txt")
    again = ChatCompletionChunk.model_validate(
        {"choices": [{"delta": {"content": "!"}, "finish_reason": "length"}]}
    )
    events = accumulator.add(again)
    assert accumulator.final_completion().choices[0].finish_reason == "stop"
    assert not any(isinstance(e, ContentDoneEvent) for e in events)


# --- several choices, any iterator, the event union ----------------------------------------


def test_several_choices_are_assembled_apart() -> None:
    payloads = [
        {"id": "c", "choices": [{"index": 1, "delta": {"role": "assistant", "content": "B"}}]},
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "A"}}]},
        {"choices": [{"index": 0, "delta": {"content": "a"}, "finish_reason": "stop"}]},
        {"choices": [{"index": 1, "delta": {"content": "b"}, "finish_reason": "length"}]},
    ]
    accumulator = ChatCompletionAccumulator()
    events = [e for p in payloads for e in accumulator.add(ChatCompletionChunk.model_validate(p))]
    completion = accumulator.final_completion()
    assert [(c.index, c.message.content, c.finish_reason) for c in completion.choices] == [
        (0, "Aa", "stop"),
        (1, "Bb", "length"),
    ]
    done = [(e.choice_index, e.content) for e in events if isinstance(e, ContentDoneEvent)]
    assert done == [(0, "Aa"), (1, "Bb")]


def test_events_parse_by_their_type() -> None:
    adapter: pydantic.TypeAdapter[ChatCompletionStreamEvent] = pydantic.TypeAdapter(
        ChatCompletionStreamEvent
    )
    event = adapter.validate_python({"type": "content.done", "content": "x"})
    assert isinstance(event, ContentDoneEvent)
    event = adapter.validate_python({"type": "refusal.delta", "delta": "n", "snapshot": "n"})
    assert isinstance(event, RefusalDeltaEvent)
    frozen = ContentDoneEvent(content="x")
    with pytest.raises(pydantic.ValidationError):
        frozen.content = "y"  # type: ignore[misc]


def test_incomplete_stream_error_carries_the_text_and_is_a_connection_error() -> None:
    accumulator = ChatCompletionAccumulator()
    for chunk in chunks_of("v2_stream_basic.txt")[:3]:
        accumulator.add(chunk)
    with pytest.raises(IncompleteStreamError) as info:
        accumulator.final_completion()
    assert isinstance(info.value, APIConnectionError)
    assert info.value.text == "The Bible calls us to forgive"
    assert info.value.snapshot.choices[0].message.content == info.value.text


def test_a_delta_after_the_finish_is_not_appended(caplog: pytest.LogCaptureFixture) -> None:
    accumulator = ChatCompletionAccumulator()
    chunks = chunks_of("v2_stream_basic.txt")
    late = ChatCompletionChunk.model_validate(
        {"choices": [{"index": 0, "delta": {"content": " EXTRA"}, "finish_reason": None}]}
    )
    for chunk in chunks:
        accumulator.add(chunk)
    with caplog.at_level(logging.DEBUG, logger="gloo_ai"):
        events = accumulator.add(late)
    assert accumulator.final_completion().choices[0].message.content == BASIC_TEXT
    assert kinds(events) == []
    assert [r.levelno for r in caplog.records if "Dropped" in r.message] == [logging.DEBUG]
