"""OpenTelemetry instrumentation on the emulator, read back from the SDK's in-memory exporters.

A plain call, a stream (ended, and closed early), a retried 429, a token refresh (and a
failed one), a failed call; contents off by default and on when asked; no token or secret
in any attribute; global and per-client switches; nothing of OpenTelemetry imported when off.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import gloo_ai
from gloo_ai import (
    APIStreamError,
    AsyncGloo,
    BadRequestError,
    ConfigurationError,
    Instrumentation,
    TokenExchangeError,
)
from gloo_ai.testing import GlooEmulator
from tests.conftest import FakeClock

V2 = "/ai/v2/chat/completions"
TOKEN = "/oauth2/token"
QUESTION = "How can I be joyful in hard times?"
MESSAGES = [{"role": "user", "content": QUESTION}]
EMBEDDING_MODEL = "gloo-baai-bge-base-en-v1.5"


class Recorded:
    """The SDK's providers with in-memory exporters, and readers of what they hold."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def instrumentation(self, **kwargs: Any) -> Instrumentation:
        return Instrumentation(
            tracer_provider=self.tracer_provider, meter_provider=self.meter_provider, **kwargs
        )

    def spans(self, name: str | None = None) -> list[ReadableSpan]:
        spans = list(self.exporter.get_finished_spans())
        return [s for s in spans if name is None or s.name == name]

    def span(self, name: str) -> ReadableSpan:
        (span,) = self.spans(name)
        return span

    def points(self, metric: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        found: list[Any] = []
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for m in scope.metrics:
                    if m.name == metric:
                        found.extend(m.data.data_points)
        return found

    def count(self, metric: str, **attributes: object) -> int:
        total = 0
        for point in self.points(metric):
            if all(point.attributes.get(k.replace("__", ".")) == v for k, v in attributes.items()):
                total += point.count if hasattr(point, "count") else point.value
        return total

    def everything(self) -> str:
        """Every span name, attribute, event and metric attribute, as one text."""
        texts: list[str] = []
        for span in self.spans():
            texts.append(span.name)
            texts.append(json.dumps(dict(span.attributes or {}), default=str))
            for event in span.events:
                texts.append(event.name + json.dumps(dict(event.attributes or {}), default=str))
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for m in scope.metrics:
                    for point in m.data.data_points:
                        texts.append(json.dumps(dict(point.attributes), default=str))
        return "\n".join(texts)


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    recorded = Recorded()
    yield recorded
    gloo_ai.uninstrument()
    recorded.tracer_provider.shutdown()
    recorded.meter_provider.shutdown()


@pytest.fixture
def emulator() -> GlooEmulator:
    return GlooEmulator()


def client_of(emulator: GlooEmulator, recorded: Recorded, clock: FakeClock, **kw: Any) -> AsyncGloo:
    capture = kw.pop("capture_content", False)
    return emulator.client(
        _clock=clock, instrument=recorded.instrumentation(capture_content=capture), **kw
    )


@pytest.mark.asyncio
async def test_a_plain_call_is_one_client_span_with_the_genai_attributes(
    emulator: GlooEmulator, recorded: Recorded, clock: FakeClock
) -> None:
    async with client_of(emulator, recorded, clock) as client:
        completion = await client.chat.completions.create(
            messages=MESSAGES, model="gloo-openai-gpt-5-mini", temperature=0.5, max_tokens=2048
        )
    span = recorded.span("chat gloo-openai-gpt-5-mini")
    attrs = dict(span.attributes or {})
    assert span.kind is SpanKind.CLIENT
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.system"] == attrs["gen_ai.provider.name"] == "gloo"
    assert attrs["gen_ai.request.model"] == "gloo-openai-gpt-5-mini"
    assert attrs["gen_ai.response.model"] == completion.model
    assert attrs["gen_ai.request.temperature"] == 0.5
    assert attrs["gen_ai.request.max_tokens"] == 2048
    assert completion.usage is not None
    assert attrs["gen_ai.usage.input_tokens"] == completion.usage.prompt_tokens
    assert attrs["gen_ai.usage.output_tokens"] == completion.usage.completion_tokens
    assert list(attrs["gen_ai.response.finish_reasons"]) == ["stop"]  # type: ignore[arg-type]
    assert attrs["gen_ai.response.id"] == completion.id
    assert attrs["gloo.request.routing"] == "model"
    assert attrs["server.address"] == "gloo-emulator.invalid"
    assert attrs["gloo.request_id"] == completion._request_id
    assert "error.type" not in attrs
    assert span.status.status_code is StatusCode.UNSET
    assert recorded.count("gen_ai.client.operation.duration", gen_ai__operation__name="chat") == 1
    usage = {
        p.attributes["gen_ai.token.type"]: p.sum
        for p in recorded.points("gen_ai.client.token.usage")
    }
    assert usage == {
        "input": completion.usage.prompt_tokens,
        "output": completion.usage.completion_tokens,
    }


@pytest.mark.asyncio
async def test_auto_routing_records_gloos_routing_metadata(
    emulator: GlooEmulator, recorded: Recorded, clock: FakeClock
) -> None:
    async with client_of(emulator, recorded, clock) as client:
        completion = await client.chat.completions.create(
            messages=MESSAGES, auto_routing=True, tradition="evangelical"
        )
    attrs = dict(recorded.span("chat").attributes or {})
    assert attrs["gloo.request.routing"] == "auto_routing"
    assert attrs["gloo.request.tradition"] == "evangelical"
    assert "gen_ai.request.model" not in attrs
    assert attrs["gen_ai.response.model"] == completion.model
    for field in ("routing_mechanism", "routing_tier", "routing_confidence", "model_family"):
        value = getattr(completion, field)
        if value is not None:
            assert attrs[f"gloo.{field.replace('routing_', 'routing.')}"] == value


@pytest.mark.asyncio
async def test_a_stream_span_ends_with_the_stream_and_has_its_time_to_first_chunk(
    emulator: GlooEmulator, recorded: Recorded, clock: FakeClock
) -> None:
    async with client_of(emulator, recorded, clock) as client:
        stream = await client.chat.completions.create(
            messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        assert recorded.spans("chat") == []  # still open: the answer is on its way
        chunks = [chunk async for chunk in stream]
    span = recorded.span("chat")
    attrs = dict(span.attributes or {})
    assert attrs["gloo.request.stream"] is True
    assert attrs["gloo.stream.chunks"] == len(chunks)
    assert attrs["gen_ai.response.time_to_first_chunk"] >= 0  # type: ignore[operator]
    assert list(attrs["gen_ai.response.finish_reasons"]) == ["stop"]  # type: ignore[arg-type]
    usage = next(c.usage for c in chunks if c.usage is not None)
    assert attrs["gen_ai.usage.input_tokens"] == usage.prompt_tokens
    assert attrs["gen_ai.usage.output_tokens"] == usage.completion_tokens
    assert attrs["gloo.request_id"] == stream.request_id
    assert "gloo.stream.closed_early" not in attrs
    assert recorded.count("gen_ai.client.operation.time_to_first_chunk") == 1
    assert recorded.count("gen_ai.client.operation.duration") == 1


@pytest.mark.asyncio
async def test_a_stream_closed_early_ends_its_span_once(
    emulator: GlooEmulator, recorded: Recorded, clock: FakeClock
) -> None:
    async with client_of(emulator, recorded, clock) as client:
        async with await client.chat.completions.create(messages=MESSAGES, stream=True) as stream:
            async for _ in stream:
                break
        await stream.close()
    span = recorded.span("chat")
    assert span.attributes is not None
    assert span.attributes["gloo.stream.closed_early"] is True
    assert span.attributes["gloo.stream.chunks"] == 1
    assert recorded.count("gen_ai.client.operation.duration") == 1


@pytest.mark.asyncio
async def test_a_stream_that_fails_midway_ends_its_span_with_the_error(
    emulator: GlooEmulator, recorded: Recorded, clock: FakeClock
) -> None:
    emulator.faults.stream_error(V2, after_events=2)
    async with client_of(emulator, recorded, clock) as client:
        stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
        with pytest.raises(APIStreamError):
            [chunk async for chunk in stream]
    span = recorded.span("chat")
    assert span.attributes is not None
    assert span.attributes["error.type"] == "APIStreamError"
    assert span.attributes["gloo.stream.chunks"] == 2
    assert span.status.status_code is StatusCode.ERROR
    assert recorded.count("gen_ai.client.operation.duration", error__type="APIStreamError") == 1


@pytest.mark.asyncio
async def test_the_stream_helper_is_traced_through_to_its_end(
    emulator: GlooEmulator, recorded: Recorded, clock: FakeClock
) -> None:
    client = client_of(emulator, recorded, clock)
    async with client, client.chat.completions.stream(messages=MESSAGES) as stream:
        final = await stream.get_final_completion()
    attrs = dict(recorded.span("chat").attributes or {})
    assert final.usage is not None
    assert attrs["gen_ai.usage.output_tokens"] == final.usage.completion_tokens


@pytest.mark.asyncio
async def test_a_retried_429_is_an_event_with_its_cause_and_wait_and_a_count(
    emulator: GlooEmulator, recorded: Recorded, clock: FakeClock
) -> None:
    emulator.faults.rate_limit(V2, times=2, retry_after=3)
    async with client_of(emulator, recorded, clock) as client:
        await client.chat.completions.create(messages=MESSAGES)
    assert emulator.counts[V2] == 3
    span = recorded.span("chat")
    retries = [e for e in span.events if e.name == "gloo.retry"]
    assert [dict(e.attributes or {}) for e in retries] == [
        {
            "gloo.retry.attempt": n,
            "gloo.retry.wait": 3.0,
            "gloo.retry.cause": "HTTP 429",
            "http.response.status_code": 429,
        }
        for n in (1, 2)
    ]
    assert "error.type" not in (span.attributes or {})
    assert recorded.count("gloo.client.retries", gloo__retry__cause="HTTP 429") == 2
    assert recorded.count("gloo.client.retries", gen_ai__operation__name="chat") == 2


@pytest.mark.asyncio
async def test_a_token_refresh_is_a_child_span_with_its_latency_and_no_secret(
    emulator: GlooEmulator, recorded: Recorded, clock: FakeClock
) -> None:
    async with client_of(emulator, recorded, clock) as client:
        await client.chat.completions.create(messages=MESSAGES)
        await client.chat.completions.create(messages=MESSAGES)
        token = await client._access_token()
    refresh = recorded.span("gloo.token_refresh")
    calls = recorded.spans("chat")
    assert len(calls) == 2
    assert emulator.counts[TOKEN] == 1
    assert refresh.parent is not None
    assert refresh.parent.span_id == calls[0].context.span_id
    assert refresh.status.status_code is StatusCode.UNSET
    assert recorded.count("gloo.client.token_refresh.duration") == 1
    assert recorded.count("gloo.client.token_refresh.failures") == 0
    text = recorded.everything()
    for secret in (token, emulator.client_secret, f"Bearer {token}"):
        assert secret not in text


@pytest.mark.asyncio
async def test_a_failed_token_refresh_is_counted_and_its_span_has_the_error(
    emulator: GlooEmulator, recorded: Recorded, clock: FakeClock
) -> None:
    async with client_of(emulator, recorded, clock, client_secret="wrong-Secret-42") as client:
        with pytest.raises(TokenExchangeError):
            await client.chat.completions.create(messages=MESSAGES)
    refresh = recorded.span("gloo.token_refresh")
    assert refresh.status.status_code is StatusCode.ERROR
    assert refresh.attributes is not None
    assert refresh.attributes["error.type"] == "TokenExchangeError"
    assert recorded.count("gloo.client.token_refresh.failures") == 1
    call = recorded.span("chat")
    assert call.attributes is not None
    assert call.attributes["error.type"] == "TokenExchangeError"
    assert "wrong-Secret-42" not in recorded.everything()
    assert all(
        "wrong-Secret-42" not in str(e.attributes) for s in recorded.spans() for e in s.events
    )


@pytest.mark.asyncio
async def test_a_failed_call_has_the_error_type_status_and_a_failed_duration(
    emulator: GlooEmulator, recorded: Recorded, clock: FakeClock
) -> None:
    emulator.faults.status(V2, 400, body={"detail": "bad routing"})
    async with client_of(emulator, recorded, clock) as client:
        with pytest.raises(BadRequestError):
            await client.chat.completions.create(messages=MESSAGES)
    span = recorded.span("chat")
    attrs = dict(span.attributes or {})
    assert attrs["error.type"] == "BadRequestError"
    assert attrs["http.response.status_code"] == 400
    assert span.status.status_code is StatusCode.ERROR
    assert [e.name for e in span.events] == ["exception"]
    assert recorded.count("gen_ai.client.operation.duration", error__type="BadRequestError") == 1


@pytest.mark.asyncio
async def test_contents_are_off_by_default(
    emulator: GlooEmulator, recorded: Recorded, clock: FakeClock
) -> None:
    async with client_of(emulator, recorded, clock) as client:
        completion = await client.chat.completions.create(messages=MESSAGES)
        stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
        [chunk async for chunk in stream]
    text = recorded.everything()
    assert QUESTION not in text
    assert completion.choices[0].message.content
    assert completion.choices[0].message.content not in text
    assert "gen_ai.input.messages" not in text
    assert "gen_ai.output.messages" not in text


@pytest.mark.asyncio
async def test_contents_are_recorded_when_enabled(
    emulator: GlooEmulator, recorded: Recorded, clock: FakeClock
) -> None:
    async with client_of(emulator, recorded, clock, capture_content=True) as client:
        completion = await client.chat.completions.create(messages=MESSAGES)
        stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
        chunks = [chunk async for chunk in stream]
    plain, streamed = recorded.spans("chat")
    for span in (plain, streamed):
        assert span.attributes is not None
        sent = json.loads(str(span.attributes["gen_ai.input.messages"]))
        assert sent == [{"role": "user", "parts": [{"type": "text", "content": QUESTION}]}]
    assert plain.attributes is not None
    assert streamed.attributes is not None
    (answer,) = json.loads(str(plain.attributes["gen_ai.output.messages"]))
    assert answer["parts"] == [{"type": "text", "content": completion.choices[0].message.content}]
    assert answer["finish_reason"] == "stop"
    (answer,) = json.loads(str(streamed.attributes["gen_ai.output.messages"]))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert answer["parts"] == [{"type": "text", "content": text}]


@pytest.mark.asyncio
async def test_a_call_that_is_no_generation_is_named_by_its_route(
    emulator: GlooEmulator, recorded: Recorded, clock: FakeClock
) -> None:
    async with client_of(emulator, recorded, clock) as client:
        await client.models.list()
        await client.search.query(query="joy", tenant="TestOrg")
    names = [s.name for s in recorded.spans() if s.name != "gloo.token_refresh"]
    assert names == ["GET /platform/v2/models", "POST /ai/data/v1/search"]
    span = recorded.span("GET /platform/v2/models")
    assert span.attributes is not None
    assert "gen_ai.operation.name" not in span.attributes
    assert recorded.count("gloo.client.operation.duration") == 2
    assert recorded.count("gen_ai.client.operation.duration") == 0


@pytest.mark.asyncio
async def test_the_surface_is_an_attribute_of_the_span_and_the_metrics(
    emulator: GlooEmulator, recorded: Recorded, clock: FakeClock
) -> None:
    async with client_of(emulator, recorded, clock, surface="guarded") as client:
        await client.chat.completions.create(messages=MESSAGES)
        await client.chat.completions.create(messages=MESSAGES, surface="standard")
    guarded, standard = recorded.spans("chat")
    assert guarded.attributes is not None
    assert standard.attributes is not None
    assert guarded.attributes["gloo.surface"] == "guarded"
    assert guarded.attributes["url.template"] == "/ai/v2/guarded/chat/completions"
    assert standard.attributes["gloo.surface"] == "standard"
    assert recorded.count("gen_ai.client.operation.duration", gloo__surface="guarded") == 1


@pytest.mark.asyncio
async def test_a_raw_response_call_has_its_status_and_request_id(
    emulator: GlooEmulator, recorded: Recorded, clock: FakeClock
) -> None:
    async with client_of(emulator, recorded, clock) as client:
        raw = await client.chat.completions.with_raw_response.create(messages=MESSAGES)
    attrs = dict(recorded.span("chat").attributes or {})
    assert attrs["http.response.status_code"] == raw.status_code == 200
    assert attrs["gloo.request_id"] == raw.request_id


@pytest.mark.asyncio
async def test_grounded_completions_the_responses_api_and_embeddings_are_genai_spans(
    emulator: GlooEmulator, recorded: Recorded, clock: FakeClock
) -> None:
    model = "gloo-openai-gpt-5-mini"
    async with client_of(emulator, recorded, clock, capture_content=True) as client:
        grounded = await client.chat.grounded.create(messages=MESSAGES)
        response = await client.responses.create(model=model, input=QUESTION)
        stream = await client.responses.create(model=model, input=QUESTION, stream=True)
        [event async for event in stream]
        vectors = await client.embeddings.create(model=EMBEDDING_MODEL, input="grace")
    spans = [s for s in recorded.spans() if s.name != "gloo.token_refresh"]
    assert [s.name for s in spans] == [
        "chat",
        f"chat {model}",
        f"chat {model}",
        f"embeddings {EMBEDDING_MODEL}",
    ]
    on_grounded, on_response, on_stream, on_embeddings = (dict(s.attributes or {}) for s in spans)
    assert on_grounded["url.template"] == "/ai/v2/chat/completions/grounded"
    assert grounded.usage is not None
    assert on_grounded["gen_ai.usage.output_tokens"] == grounded.usage.completion_tokens
    assert response.usage is not None
    assert on_response["gen_ai.usage.input_tokens"] == response.usage.input_tokens
    assert on_response["gen_ai.usage.output_tokens"] == response.usage.output_tokens
    (answer,) = json.loads(str(on_response["gen_ai.output.messages"]))
    assert answer["parts"] == [{"type": "text", "content": response.output_text}]
    sent = json.loads(str(on_response["gen_ai.input.messages"]))
    assert sent == [{"role": "user", "parts": [{"type": "text", "content": QUESTION}]}]
    assert on_stream["gen_ai.usage.output_tokens"] == response.usage.output_tokens
    assert on_stream["gen_ai.response.model"] == model
    assert on_embeddings["gen_ai.operation.name"] == "embeddings"
    assert on_embeddings["gen_ai.usage.input_tokens"] == vectors.usage.prompt_tokens
    assert "gen_ai.input.messages" not in on_embeddings
    assert recorded.count("gen_ai.client.operation.duration", gen_ai__operation__name="chat") == 3


def test_the_surface_is_left_out_where_the_path_does_not_tell() -> None:
    from gloo_ai.instrumentation._attributes import describe_call

    def surface(path: str) -> object:
        described = describe_call(
            "POST", path, base_url="https://x", body={}, capture_content=False
        )
        return described.attributes.get("gloo.surface")

    assert surface("/ai/v2/grounded/chat/completions") is None  # guarded and direct alike
    assert surface("/ai/v2/chat/completions/grounded") == "standard"
    assert surface("/ai/v2/direct/chat/completions") == "direct"
    assert surface("/ai/v2/guarded/responses") == "guarded"


def test_route_names_hide_ids() -> None:
    from gloo_ai.instrumentation._attributes import route_of

    assert route_of("/engine/v2/items/8f1c2d3e-1") == "/engine/v2/items/{id}"
    assert route_of("/ai/v2/chat/completions") == "/ai/v2/chat/completions"


@pytest.mark.asyncio
async def test_instrument_enables_every_client_until_uninstrument(
    emulator: GlooEmulator, recorded: Recorded, clock: FakeClock
) -> None:
    async with emulator.client(_clock=clock) as before:
        await before.chat.completions.create(messages=MESSAGES)
        assert recorded.spans() == []
        used = gloo_ai.instrument(
            tracer_provider=recorded.tracer_provider, meter_provider=recorded.meter_provider
        )
        assert isinstance(used, Instrumentation)
        assert not used.capture_content
        await before.chat.completions.create(messages=MESSAGES)
        await before.with_options(max_retries=0).chat.completions.create(messages=MESSAGES)
        async with emulator.client(_clock=clock, instrument=False) as opted_out:
            await opted_out.chat.completions.create(messages=MESSAGES)
        assert len(recorded.spans("chat")) == 2
        gloo_ai.uninstrument()
        await before.chat.completions.create(messages=MESSAGES)
    assert len(recorded.spans("chat")) == 2


@pytest.mark.asyncio
async def test_a_clients_own_instrumentation_survives_with_options(
    emulator: GlooEmulator, recorded: Recorded, clock: FakeClock
) -> None:
    async with client_of(emulator, recorded, clock) as client:
        await client.with_options(timeout=5).chat.completions.create(messages=MESSAGES)
    assert len(recorded.spans("chat")) == 1


def test_a_bad_instrument_value_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="instrument must be True, False, None"):
        AsyncGloo(api_key="k", instrument="yes")  # type: ignore[arg-type]


def test_without_opentelemetry_enabling_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # an import of it now fails
    with pytest.raises(ConfigurationError, match=r"pip install 'gloo-ai\[otel\]'"):
        AsyncGloo(api_key="k", instrument=True)
    with pytest.raises(ConfigurationError, match=r"gloo-ai\[otel\]"):
        gloo_ai.instrument()
    AsyncGloo(api_key="k")  # off: nothing needs it


def test_import_and_an_uninstrumented_call_never_import_opentelemetry() -> None:
    code = (
        "import asyncio, sys\n"
        "import gloo_ai\n"
        "from gloo_ai.testing import GlooEmulator\n"
        "async def main():\n"
        "    async with GlooEmulator().client() as client:\n"
        "        hi = [{'role': 'user', 'content': 'hi'}]\n"
        "        await client.chat.completions.create(messages=hi)\n"
        "asyncio.run(main())\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('opentelemetry'))\n"
        "assert not loaded, loaded\n"
        "assert 'gloo_ai.instrumentation' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_the_repr_shows_the_setting_only() -> None:
    assert repr(Instrumentation(capture_content=True)) == "Instrumentation(capture_content=True)"


def test_spans_nest_under_trio_too(emulator: GlooEmulator, recorded: Recorded) -> None:
    import trio

    async def main() -> None:
        async with emulator.client(instrument=recorded.instrumentation()) as client:
            await client.chat.completions.create(messages=MESSAGES)
            stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
            [chunk async for chunk in stream]

    trio.run(main)
    first, second = recorded.spans("chat")
    refresh = recorded.span("gloo.token_refresh")
    assert refresh.parent is not None
    assert refresh.parent.span_id == first.context.span_id
    assert second.attributes is not None
    assert second.attributes["gloo.stream.chunks"] > 0


@pytest.mark.asyncio
async def test_a_stream_dropped_unread_ends_its_span_when_collected(
    emulator: GlooEmulator, recorded: Recorded, clock: FakeClock
) -> None:
    import gc

    async with client_of(emulator, recorded, clock) as client:
        stream = await client.chat.completions.create(messages=MESSAGES, stream=True)
        await stream.response.aclose()
        del stream
        gc.collect()
        span = recorded.span("chat")
    assert span.attributes is not None
    assert span.attributes["gloo.stream.abandoned"] is True
    assert span.attributes["gloo.stream.chunks"] == 0
