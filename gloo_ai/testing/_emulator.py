"""`GlooEmulator`: the Gloo AI API as an ASGI application, with tokens, faults and counters."""

from __future__ import annotations

import collections
import json
import math
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import httpx

from ._asgi import (
    Receive,
    Reply,
    Scope,
    Send,
    json_reply,
    lifespan,
    read_body,
    send_reply,
    status_reply,
    wait,
)
from ._catalog import CATALOG_MODELS, CATALOG_ROUTES
from ._chat_api import CHAT_API_ROUTES, ChatStore
from ._completions import answer, completion_body, resolve_routing
from ._credentials import check_bearer, issue_token
from ._embeddings import EMBEDDINGS_ROUTES
from ._engine import EngineState
from ._engine_routes import ENGINE_ROUTES
from ._faults import FaultScript
from ._grounded import GROUNDED_ROUTES
from ._ingestion import INGESTION_ROUTES
from ._introspection import PREFIX, introspect
from ._responses import RESPONSES_ROUTES
from ._routes import Route, Router, RouteRequest, query_of, route
from ._search import SEARCH_ROUTES
from ._sse import stream_events
from ._validation import RequestRejected, invalid_request, validate_completion

if TYPE_CHECKING:
    from .._client import AsyncGloo

__all__ = ["GlooEmulator", "RecordedRequest"]

TOKEN_PATH = "/oauth2/token"
V2_PATH = "/ai/v2/chat/completions"
V1_PATH = "/ai/v1/chat/completions"

_STATUS_FAULTS = ("status", "rate_limit", "server_error")
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})


@dataclass(frozen=True)
class RecordedRequest:
    """A request the emulator received.

    Attributes:
        method: the HTTP method.
        path: the path, without the query string.
        headers: the headers, with lower-case names.
        json: the body decoded as JSON, or None if it is not JSON (the token form).
        body: the raw body.

    Its ``repr()`` masks the credentials (``Authorization``, ``Cookie``, ``X-Api-Key``), so
    that a failed assertion does not print them; ``headers`` itself holds the real values.
    """

    method: str
    path: str
    headers: dict[str, str]
    json: Any
    body: bytes = field(default=b"", repr=False)

    def __repr__(self) -> str:
        shown = {
            name: "***" if name.lower() in _SECRET_HEADERS else value
            for name, value in self.headers.items()
        }
        return (
            f"RecordedRequest(method={self.method!r}, path={self.path!r}, headers={shown!r}, "
            f"json={self.json!r})"
        )


class GlooEmulator:
    """An offline emulator of the Gloo AI API, as an ASGI application.

    It serves ``POST /oauth2/token`` (client credentials), ``POST /ai/v2/chat/completions``
    and ``POST /ai/v1/chat/completions`` as Gloo's documentation describes them, with
    deterministic answers; grounded completions on both path generations (citations derived
    from the prompt); the data engine and ingestion (``/engine/v2/...``,
    ``/ingestion/...``): items held in memory per publisher (`engine`); the public model
    catalog (``GET /platform/v2/models``), search and recommendations (results derived from
    the query), the deprecated stateful chat API (chats held in memory), the Responses API
    (``/ai/v1/responses``, ``/ai/v2/guarded/responses``) and embeddings
    (``/ai/v2/direct/embeddings``). Run it
    in-process with `http_client` or `client` (no socket), or on
    a loopback port with `EmulatorServer` or `serve`. Script failures with `faults` and
    assert on `counts` and `requests`.

    Args:
        client_id: the client id the token endpoint accepts.
        client_secret: its secret.
        api_keys: static API keys accepted as bearer tokens.
        token_lifetime: seconds an issued token stays valid (``expires_in``).
        clock: monotonic seconds, for token expiry (default `time.monotonic`).
        chunk_delay_ms: milliseconds between the events of a stream (default 0), so that a
            person sees tokens arrive; a request's ``x-emulator-chunk-delay-ms`` header
            overrides it.

    Attributes:
        counts: requests per path (faulted ones too), and ``"401"`` for every 401 sent.
        requests: every request received, in order.
        faults: the fault script.
        engine: the data engine's items and scripts (`EngineState`): ``page_shape``,
            ``step_seconds``, ``failing_filenames``, ``add_items``, ``fail``.
        models: the catalog's models (dicts as the API sends them); edit it to change the
            catalog.
        chats: the stateful chat API's chats (`ChatStore`).
        responses_completed_shape: ``"flat"`` (the default, as the live API sends it) or
            ``"nested"`` (under ``response``, as Gloo's docs show): where a streamed
            response's ``response.completed`` event puts the response's fields.
    """

    DEFAULT_CLIENT_ID: ClassVar[str] = "emulator-client-id"
    DEFAULT_CLIENT_SECRET: ClassVar[str] = "emulator-client-secret"
    DEFAULT_API_KEY: ClassVar[str] = "emulator-api-key"
    BASE_URL: ClassVar[str] = "http://gloo-emulator.invalid"

    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        api_keys: Iterable[str] = (DEFAULT_API_KEY,),
        token_lifetime: float = 3600.0,
        clock: Callable[[], float] | None = None,
        chunk_delay_ms: float = 0.0,
    ) -> None:
        if not client_id or not client_secret:
            raise ValueError("client_id and client_secret must not be empty.")
        if isinstance(api_keys, str):
            raise TypeError("api_keys must be an iterable of keys, not a single string.")
        if not isinstance(token_lifetime, (int, float)) or token_lifetime <= 0:
            raise ValueError(f"token_lifetime must be seconds > 0, not {token_lifetime!r}.")
        self.client_id = client_id
        self.client_secret = client_secret
        self.api_keys: tuple[str, ...] = tuple(api_keys)
        self.token_lifetime = float(token_lifetime)
        self.chunk_delay_ms = _delay_ms(chunk_delay_ms, "chunk_delay_ms")
        self.clock: Callable[[], float] = clock if clock is not None else time.monotonic
        self.counts: collections.Counter[str] = collections.Counter()
        self.requests: list[RecordedRequest] = []
        self.faults = FaultScript()
        self.router = Router(ROUTES)
        self.engine = EngineState(lambda: self.clock())
        self.models: list[dict[str, Any]] = [dict(model) for model in CATALOG_MODELS]
        self.chats = ChatStore()
        self.responses_completed_shape: Literal["flat", "nested"] = "flat"
        self._tokens: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"GlooEmulator(client_id={self.client_id!r}, tokens={len(self._tokens)})"

    # -- the public helpers ------------------------------------------------------------------

    def expire_tokens(self) -> None:
        """Expire every token issued so far: each now answers 401 (API keys stay valid)."""
        for token in list(self._tokens):  # a server thread may add one meanwhile
            self._tokens[token] = -math.inf

    def reset(self) -> None:
        """Forget counts, recorded requests, faults, issued tokens, the engine's items and chats."""
        self.engine.reset()
        self.counts.clear()
        self.requests.clear()
        self.faults.clear()
        self._tokens.clear()
        self.chats.clear()

    def http_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An `httpx.AsyncClient` that sends to this emulator in-process (no socket).

        Its base URL is `BASE_URL`. `httpx.ASGITransport` reads each answer whole before
        returning it, so a stream arrives in one piece and a dropped connection raises
        `EmulatedDisconnect` from the send.

        Args:
            **kwargs: passed to `httpx.AsyncClient` (``base_url`` and ``transport`` may be
                overridden).

        Returns:
            The client; close it (or use ``async with``) when done.
        """
        kwargs.setdefault("base_url", self.BASE_URL)
        kwargs.setdefault("transport", httpx.ASGITransport(app=self))
        return httpx.AsyncClient(**kwargs)

    def client(self, *, api_key: bool = False, **kwargs: Any) -> AsyncGloo:
        """An `AsyncGloo` wired to this emulator in-process, with its default credentials.

        Args:
            api_key: use the first API key instead of the client credentials.
            **kwargs: passed to `AsyncGloo` (for example ``max_retries`` or ``_clock``); they
                may override the credentials, ``base_url`` and ``http_client``.

        Returns:
            The client.
        """
        from .._client import AsyncGloo

        kwargs.setdefault("base_url", self.BASE_URL)
        if "http_client" not in kwargs:
            kwargs["http_client"] = self.http_client()
        if api_key:
            if not self.api_keys:
                raise ValueError("This emulator accepts no API keys (api_keys is empty).")
            kwargs.setdefault("api_key", self.api_keys[0])
        else:
            kwargs.setdefault("client_id", self.client_id)
            kwargs.setdefault("client_secret", self.client_secret)
        return AsyncGloo(**kwargs)

    # -- ASGI --------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one ASGI connection (``http``; ``lifespan`` is acknowledged).

        Args:
            scope: the ASGI scope.
            receive: the ASGI receive callable.
            send: the ASGI send callable.
        """
        kind = scope.get("type")
        if kind == "lifespan":
            await lifespan(receive, send)
        elif kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await receive()
            await send({"type": "websocket.close", "code": 1008})

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = str(scope.get("method", "GET")).upper()
        path = str(scope.get("path", "/"))
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope.get("headers", ()):
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        body = await read_body(receive)
        if body is None:
            return  # the client went away before sending the whole request
        if path.startswith(PREFIX):  # the emulator's own view: not counted nor recorded
            await send_reply(
                send, introspect(self, method, path, scope.get("client")), collections.Counter()
            )
            return
        try:
            decoded: Any = json.loads(body) if body else None
        except ValueError:
            decoded = None
        self.counts[path] += 1
        self.requests.append(RecordedRequest(method, path, headers, decoded, body))

        fault = self.faults._take(path)
        if fault is not None and fault.kind in _STATUS_FAULTS:
            await send_reply(send, status_reply(fault), self.counts)
            return
        if fault is not None and fault.kind in ("hang", "delay"):
            seconds = None if fault.kind == "hang" else fault.seconds
            if not await wait(receive, seconds):
                return
        reply = self._route(method, path, headers, body, scope.get("query_string", b""))
        pace = headers.get("x-emulator-chunk-delay-ms")
        try:
            delay = self.chunk_delay_ms if pace is None else _delay_ms(float(pace), "pace")
        except ValueError:
            delay = self.chunk_delay_ms
        await send_reply(send, reply, self.counts, fault, chunk_delay=delay / 1000)

    def _route(
        self, method: str, path: str, headers: dict[str, str], body: bytes, query: bytes = b""
    ) -> Reply:
        found, params, allowed = self.router.find(method, path)
        if found is None:
            if allowed:
                return json_reply(
                    405, {"detail": "Method Not Allowed"}, {"allow": ", ".join(allowed)}
                )
            return json_reply(404, {"detail": "Not Found"})
        if not found.public:
            denied = check_bearer(self, headers)
            if denied is not None:
                return denied
        try:
            decoded: Any = json.loads(body) if body else None
        except ValueError:
            decoded = None
        request = RouteRequest(method, path, params, query_of(query), headers, body, decoded)
        try:
            return found.handler(self, request)
        except RequestRejected as exc:
            return json_reply(exc.status, exc.body)

    # -- completions -------------------------------------------------------------------------

    def _completion(self, version: int, body: bytes) -> Reply:
        try:
            payload = json.loads(body)
        except ValueError as exc:
            raise invalid_request(f"The request body is not valid JSON: {exc}.") from None
        request = validate_completion(payload, version)
        known = {model.get("id") for model in self.models}
        if version == 2 and request.model is not None and request.model not in known:
            raise invalid_request(
                f"Unknown model {request.model!r}: list the models with "
                "GET /platform/v2/models, or route with auto_routing or model_family."
            )
        routing = resolve_routing(request)
        result = answer(request)
        created = int(time.time())
        if version == 2:
            completion_id = f"gen-{created}-{secrets.token_hex(10)}"
        else:
            completion_id = f"chatcmpl-{secrets.token_hex(12)}"
        if request.stream:
            events = stream_events(
                request, result, routing, completion_id=completion_id, created=created
            )
            return Reply(200, events=events)
        return json_reply(
            200,
            completion_body(request, result, routing, completion_id=completion_id, created=created),
        )


@route("POST", TOKEN_PATH, public=True)
def _token_route(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    return issue_token(emulator, request.headers, request.body)


@route("POST", V2_PATH)
def _v2_route(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    return emulator._completion(2, request.body)


@route("POST", "/ai/v2/guarded/chat/completions")
def _guarded_route(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    """The Gen-2 guarded surface: the same body and answers as v2 here."""
    return emulator._completion(2, request.body)


@route("POST", "/ai/v2/direct/chat/completions")
def _direct_route(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    """The Gen-2 direct surface (no values layer): the same body and answers as v2 here."""
    return emulator._completion(2, request.body)


@route("POST", V1_PATH)
def _v1_route(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    return emulator._completion(1, request.body)


# Every route the emulator serves; each API area adds its own list here.
ROUTES: list[Route] = [
    _token_route,
    _v2_route,
    _guarded_route,
    _direct_route,
    _v1_route,
    *GROUNDED_ROUTES,
    *ENGINE_ROUTES,
    *INGESTION_ROUTES,
    *CATALOG_ROUTES,
    *SEARCH_ROUTES,
    *CHAT_API_ROUTES,
    *RESPONSES_ROUTES,
    *EMBEDDINGS_ROUTES,
]


def _delay_ms(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise ValueError(f"{name} must be milliseconds >= 0, not {value!r}.")
    return float(value)
