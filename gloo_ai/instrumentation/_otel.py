"""`Instrumentation`: the OpenTelemetry observer of the request path (see ``_hooks.py``).

It is built only when instrumentation is enabled, and only then imports ``opentelemetry``
(the ``otel`` extra: ``opentelemetry-api`` alone; the application brings the SDK and its
exporters). Each API call is a CLIENT span, current while it is sent, so that a token
refresh it waits for is a child span and each retry an event on it; a stream's span ends
when the stream ends or is closed. The metrics are the GenAI ones where they exist.
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .._exceptions import APIStatusError, ConfigurationError
from .._streaming import AsyncStream
from .._version import __version__
from ._attributes import (
    PROVIDER,
    Attributes,
    ChunkSummary,
    completion_output,
    describe_call,
    response_attributes,
)

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import Span, TracerProvider

    from .._config import Clock, RequestOptions
    from .._tokens import Token

__all__ = ["INSTALL_HINT", "Instrumentation"]

_R = TypeVar("_R")

INSTALL_HINT = (
    "Instrumentation needs the OpenTelemetry API: pip install 'gloo-ai[otel]' "
    "(and the opentelemetry-sdk with an exporter, to send what it records anywhere)."
)

# The conventions' advisory buckets: seconds of an operation, and tokens of a call.
_DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48,
                     40.96, 81.92)  # fmt: skip
_TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
                  16777216, 67108864)  # fmt: skip

# The metric attributes of the call in progress, for the retries it makes.
_CALL_ATTRIBUTES: contextvars.ContextVar[Attributes | None] = contextvars.ContextVar(
    "gloo_ai_call_attributes", default=None
)


def error_type(exc: BaseException) -> str:
    """The ``error.type`` of a failure: the exception's class name (``RateLimitError``)."""
    return type(exc).__name__


class Instrumentation:
    """OpenTelemetry spans and metrics for every call, retry and token refresh.

    Pass one to ``AsyncGloo(instrument=...)``, or enable it for every client with
    `gloo_ai.instrument` (which builds one). It records nothing itself: the application's
    OpenTelemetry SDK (its tracer and meter providers, and their exporters) does.

    Args:
        capture_content: also record the messages sent and the answer
            (``gen_ai.input.messages``, ``gen_ai.output.messages``). Off by default: they
            may hold personal data.
        tracer_provider: where spans go (default: the global one of OpenTelemetry).
        meter_provider: where metrics go (default: the global one of OpenTelemetry).

    Raises:
        ConfigurationError: ``opentelemetry-api`` is not installed (the ``otel`` extra).
    """

    def __init__(
        self,
        *,
        capture_content: bool = False,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
    ) -> None:
        try:
            from opentelemetry import metrics, trace
        except ImportError:
            raise ConfigurationError(INSTALL_HINT) from None
        self.capture_content = bool(capture_content)
        self._trace = trace
        self._tracer = trace.get_tracer("gloo_ai", __version__, tracer_provider=tracer_provider)
        meter = metrics.get_meter("gloo_ai", __version__, meter_provider=meter_provider)
        self._operation_duration = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="GenAI operation duration (a call with its retries; a stream to its end).",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self._call_duration = meter.create_histogram(
            "gloo.client.operation.duration",
            unit="s",
            description="Duration of a Gloo API call that is no generation, retries included.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self._token_usage = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=_TOKEN_BUCKETS,
        )
        self._first_chunk = meter.create_histogram(
            "gen_ai.client.operation.time_to_first_chunk",
            unit="s",
            description="Time from sending a streamed generation to its first chunk.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self._retries = meter.create_counter(
            "gloo.client.retries", unit="{retry}", description="Retries of Gloo API requests."
        )
        self._refresh_duration = meter.create_histogram(
            "gloo.client.token_refresh.duration",
            unit="s",
            description="Duration of a fetch from the token endpoint, retries included.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self._refresh_failures = meter.create_counter(
            "gloo.client.token_refresh.failures",
            unit="{failure}",
            description="Fetches from the token endpoint that failed (after their retries).",
        )

    def __repr__(self) -> str:
        return f"Instrumentation(capture_content={self.capture_content!r})"

    # -- the hooks (gloo_ai/_hooks.py) -------------------------------------------------------

    async def call(
        self,
        send: Callable[[], Awaitable[_R]],
        *,
        method: str,
        path: str,
        base_url: str,
        body: object | None,
        options: RequestOptions,
        clock: Clock,
    ) -> _R:
        """Send one API call inside its span; a stream's span is handed to the stream."""
        described = describe_call(
            method, path, base_url=base_url, body=body, capture_content=self.capture_content
        )
        kind = self._trace.SpanKind.CLIENT
        span = self._tracer.start_span(
            described.span_name, kind=kind, attributes=described.attributes
        )
        started = clock.monotonic()
        metric_attributes = described.metric_attributes
        token = _CALL_ATTRIBUTES.set(metric_attributes)
        try:
            with self._trace.use_span(span, end_on_exit=False, record_exception=False):
                result = await send()
        except BaseException as exc:
            self._fail(span, exc)
            failed = {**metric_attributes, "error.type": error_type(exc)}
            self._record_call(described.operation, failed, clock.monotonic() - started)
            span.end()
            raise
        finally:
            _CALL_ATTRIBUTES.reset(token)
        if isinstance(result, AsyncStream):
            if result.request_id:
                span.set_attribute("gloo.request_id", result.request_id)
            result._observer = _StreamSpan(
                self, span, described.operation, metric_attributes, started=started, clock=clock
            )
            return result
        attributes = response_attributes(result)
        if self.capture_content and described.operation is not None:
            output = completion_output(result)
            if output is not None:
                attributes["gen_ai.output.messages"] = output
        self._finish(span, described.operation, metric_attributes, attributes,
                     duration=clock.monotonic() - started)  # fmt: skip
        return result

    def retry(self, *, attempt: int, delay: float, status: int | None, error: str | None) -> None:
        """Add a ``gloo.retry`` event to the current span and count the retry."""
        cause = f"HTTP {status}" if status is not None else (error or "unknown")
        event: Attributes = {
            "gloo.retry.attempt": attempt,
            "gloo.retry.wait": float(delay),
            "gloo.retry.cause": cause,
        }
        if status is not None:
            event["http.response.status_code"] = status
        self._trace.get_current_span().add_event("gloo.retry", event)
        base = _CALL_ATTRIBUTES.get() or {"gen_ai.provider.name": PROVIDER}
        self._retries.add(1, {**base, "gloo.retry.cause": cause})

    async def token_refresh(self, fetch: Callable[[], Awaitable[Token]], *, clock: Clock) -> Token:
        """Fetch a token inside a ``gloo.token_refresh`` span (never the token or secret)."""
        base: Attributes = {"gen_ai.provider.name": PROVIDER}
        span = self._tracer.start_span(
            "gloo.token_refresh", kind=self._trace.SpanKind.CLIENT, attributes=base
        )
        started = clock.monotonic()
        token = _CALL_ATTRIBUTES.set(base)
        try:
            with self._trace.use_span(span, end_on_exit=False, record_exception=False):
                fetched = await fetch()
        except BaseException as exc:
            self._fail(span, exc)
            failed = {**base, "error.type": error_type(exc)}
            self._refresh_duration.record(clock.monotonic() - started, failed)
            self._refresh_failures.add(1, failed)
            span.end()
            raise
        finally:
            _CALL_ATTRIBUTES.reset(token)
        self._refresh_duration.record(clock.monotonic() - started, base)
        span.set_attribute("gloo.token.lifetime", float(fetched.lifetime))
        span.end()
        return fetched

    # -- recording ---------------------------------------------------------------------------

    def _fail(self, span: Span, exc: BaseException) -> None:
        kind = error_type(exc)
        span.set_attribute("error.type", kind)
        if isinstance(exc, APIStatusError):
            span.set_attribute("http.response.status_code", exc.status_code)
            if exc.request_id:
                span.set_attribute("gloo.request_id", exc.request_id)
        if isinstance(exc, Exception):
            span.record_exception(exc)
        span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, kind))

    def _finish(
        self,
        span: Span,
        operation: str | None,
        metric_attributes: Attributes,
        attributes: Attributes,
        *,
        duration: float,
        error: BaseException | None = None,
    ) -> None:
        span.set_attributes(attributes)
        if error is not None:
            self._fail(span, error)
        merged = dict(metric_attributes)
        model = attributes.get("gen_ai.response.model")
        if model is not None:
            merged["gen_ai.response.model"] = model
        if error is not None:
            merged["error.type"] = error_type(error)
        self._record_call(operation, merged, duration)
        if operation is not None:
            for kind, key in (("input", "gen_ai.usage.input_tokens"),
                              ("output", "gen_ai.usage.output_tokens")):  # fmt: skip
                count = attributes.get(key)
                if isinstance(count, int):
                    self._token_usage.record(count, {**merged, "gen_ai.token.type": kind})
        span.end()

    def _record_call(self, operation: str | None, attributes: Attributes, duration: float) -> None:
        histogram = self._operation_duration if operation is not None else self._call_duration
        histogram.record(duration, attributes)

    def _first(self, seconds: float, attributes: Attributes) -> None:
        self._first_chunk.record(seconds, attributes)


class _StreamSpan:
    """The span of a streamed call, ended when the stream ends, fails or is closed."""

    def __init__(
        self,
        owner: Instrumentation,
        span: Span,
        operation: str | None,
        metric_attributes: Attributes,
        *,
        started: float,
        clock: Clock,
    ) -> None:
        self._owner = owner
        self._span = span
        self._operation = operation
        self._metric_attributes = metric_attributes
        self._started = started
        self._clock = clock
        self._summary = ChunkSummary(capture_content=owner.capture_content)
        self._ended = False

    async def next(self, iterator: AsyncIterator[Any]) -> Any:
        if self._ended:
            return await iterator.__anext__()
        try:
            item = await iterator.__anext__()
        except StopAsyncIteration:
            self._end(None)
            raise
        except BaseException as exc:
            self._end(exc)
            raise
        if self._summary.chunks == 0:
            first = self._clock.monotonic() - self._started
            self._span.set_attribute("gen_ai.response.time_to_first_chunk", first)
            self._owner._first(first, self._metric_attributes)
        self._summary.add(item)
        return item

    def closed(self) -> None:
        if not self._ended:
            self._span.set_attribute("gloo.stream.closed_early", True)
            self._end(None)

    def __del__(self) -> None:
        # A stream dropped without being read to its end or closed: end its span anyway.
        if not getattr(self, "_ended", True):
            self._span.set_attribute("gloo.stream.abandoned", True)
            self._end(None)

    def _end(self, error: BaseException | None) -> None:
        self._ended = True
        attributes = self._summary.final_attributes()
        attributes["gloo.stream.chunks"] = self._summary.chunks
        self._owner._finish(
            self._span,
            self._operation,
            self._metric_attributes,
            attributes,
            duration=self._clock.monotonic() - self._started,
            error=error,
        )
