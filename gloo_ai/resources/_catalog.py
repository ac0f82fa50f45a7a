"""What the model catalog lends to other areas: its per-client cache, the capability
warnings of a chat request, and the usage meter of chat completions.

The cache is created once per client (``AsyncGloo.__init__``) and carried by the
`Requester`'s `SharedState`, so ``with_options`` copies share it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

import anyio

from .._config import Clock, SystemClock
from .._pool import _current_loop
from .._response import parse_model
from .._streaming import AsyncStream
from .._warnings import ModelCapabilityWarning, warn_at_caller
from ..types.chat import ChatCompletion, ChatCompletionChunk
from ..types.models import Model, ModelCatalog, cached_tokens_of
from ..types.usage import UsageTotals

if TYPE_CHECKING:
    import httpx

    from .._requester import SharedState

__all__ = [
    "DEFAULT_CATALOG_TTL",
    "REASONING_MIN_MAX_TOKENS",
    "ModelCatalogCache",
    "catalog_warnings",
    "metered",
    "metered_model",
    "warn_about_request",
]

DEFAULT_CATALOG_TTL = 600.0
REASONING_MIN_MAX_TOKENS = 1024

_R = TypeVar("_R")
_C = TypeVar("_C", bound=ChatCompletion)


class ModelCatalogCache:
    """The model catalog of one client and its copies: fetched once for any number of
    concurrent callers, kept for ``ttl`` seconds, then fetched again on the next call.

    Args:
        ttl: seconds a fetched catalog stays fresh.
        clock: where the time is read (the client's clock; tests pass a fake one).

    Attributes:
        fetches: how many times the catalog was fetched (successfully or not).
    """

    def __init__(self, *, ttl: float = DEFAULT_CATALOG_TTL, clock: Clock | None = None) -> None:
        self.ttl = ttl
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.fetches = 0
        self._catalog: ModelCatalog | None = None
        self._fetched_at = 0.0
        self._lock: anyio.Lock | None = None
        self._lock_loop: object | None = None
        self._generation = 0
        self._failures = 0
        self._last_failure: BaseException | None = None
        self._warned: set[tuple[str, str]] = set()

    def peek(self) -> ModelCatalog | None:
        """The last catalog fetched, fresh or not (never fetches)."""
        return self._catalog

    def fresh(self) -> ModelCatalog | None:
        """The cached catalog if it has not expired."""
        catalog = self._catalog
        if catalog is not None and self.clock.monotonic() - self._fetched_at < self.ttl:
            return catalog
        return None

    def invalidate(self) -> None:
        """Forget the cached catalog: the next call fetches it."""
        self._catalog = None

    async def get(
        self, fetch: Callable[[], Awaitable[ModelCatalog]], *, refresh: bool = False
    ) -> ModelCatalog:
        """The fresh catalog, fetching it (one fetch for every concurrent caller) if needed.

        A caller that waited while a fetch failed gets that failure too, rather than each
        waiter trying again in turn.
        """
        if not refresh:
            catalog = self.fresh()
            if catalog is not None:
                return catalog
        generation, failures = self._generation, self._failures
        async with self._loop_lock():
            if self._failures != failures and self._last_failure is not None:
                raise self._last_failure  # the fetch this caller waited for failed
            if self._generation != generation and self._catalog is not None:
                return self._catalog  # fetched while this caller waited
            if not refresh:
                catalog = self.fresh()
                if catalog is not None:
                    return catalog
            self.fetches += 1
            try:
                catalog = await fetch()
            except Exception as exc:
                self._failures += 1
                self._last_failure = exc
                raise
            self._catalog, self._fetched_at = catalog, self.clock.monotonic()
            self._generation += 1
            return catalog

    def _loop_lock(self) -> anyio.Lock:
        loop = _current_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = anyio.Lock(), loop  # a lock cannot outlive its loop
        return self._lock

    def first_time(self, model_id: str, problem: str) -> bool:
        """True the first time this (model, problem) pair is seen by this client."""
        key = (model_id, problem)
        if key in self._warned:
            return False
        self._warned.add(key)
        return True


def _alternative(catalog: ModelCatalog, model: Model, wanted: Callable[[Model], bool]) -> str:
    same_family = [m for m in catalog.data if m.family == model.family and wanted(m)]
    others = same_family or [m for m in catalog.data if wanted(m)]
    return f" such as {others[0].id!r}" if others else ""


def catalog_warnings(catalog: ModelCatalog, body: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """What a chat request body asks of its model that the catalog says it cannot do.

    A pure function: no I/O, no warning emitted.

    Returns:
        ``(model id, problem, message)`` for each problem: ``"tools"`` (tools sent to a
        model with ``supports_tools: false``), ``"max_tokens"`` (below 1024 on a reasoning
        model) or ``"image_only"`` (a model whose only output is images).
    """
    model_id = body.get("model")
    if not isinstance(model_id, str):
        return []
    model = catalog.get(model_id)
    if model is None:
        return []
    found: list[tuple[str, str, str]] = []
    if model.is_image_only:
        other = _alternative(
            catalog, model, lambda m: not m.is_image_only and "text" in m.output_modalities
        )
        found.append(
            (
                model_id,
                "image_only",
                f"{model_id} only makes images (its catalog entry has output_modalities "
                f"['image']), so it cannot answer a chat completion: use a text model{other}.",
            )
        )
    if body.get("tools") and model.supports_tools is False:
        other = _alternative(catalog, model, lambda m: m.supports_tools is True)
        found.append(
            (
                model_id,
                "tools",
                f"{model_id} does not support tools (its catalog entry says supports_tools: "
                f"false), so the tools sent with this request cannot be called: pick a model "
                f"with tool support{other}, or send the request without tools.",
            )
        )
    max_tokens = body.get("max_tokens")
    if (
        isinstance(max_tokens, int)
        and max_tokens < REASONING_MIN_MAX_TOKENS
        and model.supports_reasoning is True
    ):
        found.append(
            (
                model_id,
                "max_tokens",
                f"{model_id} is a reasoning model and max_tokens={max_tokens} is below "
                f"{REASONING_MIN_MAX_TOKENS}: it can spend them all thinking, and Gloo then "
                "answers 503 with error 2006 and an empty completion. Pass max_tokens="
                f"{REASONING_MIN_MAX_TOKENS} or more (Gloo's own probes use 2048).",
            )
        )
    return found


def warn_about_request(shared: SharedState, body: Mapping[str, Any]) -> None:
    """Emit the `ModelCapabilityWarning`s of a chat request body, once per client, model and
    problem, from the already-cached catalog only (never fetched for a warning)."""
    cache = shared.get(ModelCatalogCache)
    catalog = cache.peek()
    if catalog is None:
        return
    for model_id, problem, message in catalog_warnings(catalog, body):
        if cache.first_time(model_id, problem):
            warn_at_caller(message, ModelCapabilityWarning)


class _MeteredParsers:
    """Per client (in its `SharedState`): the metered parser of each completion class."""

    def __init__(self) -> None:
        self.parsers: dict[type[ChatCompletion], Callable[[httpx.Response], Any]] = {}


def metered_model(shared: SharedState, cls: type[_C]) -> Callable[[httpx.Response], _C]:
    """``metered(parse_model(cls), <the client's UsageTotals>)``, made once per client and
    class rather than per call."""
    cache = shared.get(_MeteredParsers)
    parser = cache.parsers.get(cls)
    if parser is None:
        parser = cache.parsers[cls] = metered(parse_model(cls), shared.get(UsageTotals))
    return cast("Callable[[httpx.Response], _C]", parser)


def metered(
    parse: Callable[[httpx.Response], _R], totals: UsageTotals
) -> Callable[[httpx.Response], _R]:
    """Wrap a chat parser so that its completion's usage (or its stream's usage chunk) is
    added to ``totals``. A parser runs once per answer, after any retries: a retried request
    counts once, and a raw response counts when it is parsed."""

    def parse_and_count(response: httpx.Response) -> _R:
        result = parse(response)
        if isinstance(result, ChatCompletion):
            if result.usage is not None:
                totals.add(result.model, result.usage)
        elif isinstance(result, AsyncStream):
            _count_stream(result, totals)
        return result

    return parse_and_count


def _count_stream(stream: AsyncStream[ChatCompletionChunk], totals: UsageTotals) -> None:
    # A per-chunk hook of the stream, not a wrapper around its iterator (cheaper per chunk).
    counted: tuple[int, int, int] | None = None  # what this stream has added so far
    model: str | None = None

    def count(chunk: ChatCompletionChunk) -> None:
        nonlocal counted, model
        model = chunk.model or model
        usage = chunk.usage
        if usage is not None:
            now = (usage.prompt_tokens, usage.completion_tokens, cached_tokens_of(usage))
            before = counted or (0, 0, 0)
            totals.add_tokens(
                model,
                prompt_tokens=now[0] - before[0],
                completion_tokens=now[1] - before[1],
                cached_tokens=now[2] - before[2],
                requests=1 if counted is None else 0,
            )
            counted = now

    stream._observe(count)
