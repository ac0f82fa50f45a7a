"""`AsyncGloo`: settings (arguments, then the environment), the pool, the resources."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING

import anyio
import anyio.abc
import httpx

from . import _limits
from ._auth import ApiKeyAuth, ClientCredentialsAuth, NoCredentialsAuth, TokenMetrics
from ._config import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RATE_LIMIT_RETRIES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_REFRESH_BUFFER,
    DEFAULT_TIMEOUT,
    DEFAULT_TOKEN_STORE_TIMEOUT,
    NOT_GIVEN,
    Clock,
    NotGiven,
    SystemClock,
    check_headers,
)
from ._exceptions import ConfigurationError
from ._hooks import slot_for
from ._logs import auto_setup
from ._pool import HttpState, TransportName, check_transport
from ._requester import Requester, SharedState
from ._settings import (
    ENV_BASE_URL,
    KEYWORDS_ONLY,
    NO_CREDENTIALS,
    check_call_defaults,
    check_client_arguments,
    env_value,
    pick_credentials,
    validate_base_url,
    validate_url,
)
from ._surface import Surface, check_surface, surface_from_env
from ._tokens import TokenStore
from ._transport import Transport
from ._verbs import GenericVerbs
from ._version import __version__
from .resources._areas import ResourceAreas

if TYPE_CHECKING:
    from typing_extensions import Never

    from .instrumentation import Instrumentation
    from .types.usage import UsageTotals

__all__ = ["AsyncGloo"]

USER_AGENT = f"gloo-ai-python/{__version__}"


def _checked_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    return check_headers(headers, ConfigurationError, "default_headers") or {}


class AsyncGloo(ResourceAreas, GenericVerbs):
    """The async client of the Gloo AI API.

    Credentials come from the arguments, else from the environment: ``GLOO_CLIENT_ID`` and
    ``GLOO_CLIENT_SECRET`` (OAuth2 client credentials, exchanged for a one-hour token that is
    cached and refreshed for you) or ``GLOO_API_KEY`` (a static key). Each ``GLOO_*`` name also
    has a ``GLOO_AI_*`` alias, which it beats. Give one kind of credential, not both. A client
    without any credentials can still read the public model catalog (``client.models``);
    every other call then raises `ConfigurationError` saying what to set, before sending.

    Use it as ``async with AsyncGloo() as client:`` or close it with `aclose`. Every argument
    is a keyword argument. For an endpoint the SDK does not wrap yet, `get`, `post`, `patch`,
    `put` and `delete` send any path with the same auth, retries and errors.

    Args:
        client_id: OAuth2 client id (default: ``GLOO_CLIENT_ID``).
        client_secret: OAuth2 client secret (default: ``GLOO_CLIENT_SECRET``).
        api_key: a static API key, sent as a bearer token (default: ``GLOO_API_KEY``).
        base_url: the platform's root URL (default: ``GLOO_BASE_URL``, else
            ``https://platform.ai.gloo.com``), without an API path such as ``/ai/v2``.
        token_url: the token endpoint (default: ``{base_url}/oauth2/token``).
        timeout: seconds, an `httpx.Timeout`, or None for no timeout. The default allows
            180 s to read (reasoning models can think for over 90 s before the first token)
            and 10 s to connect.
        max_retries: how often a call is retried after an error that proves it was not
            processed (connection errors, 408, 5xx); 0 turns these retries off. The call's
            token request draws on the same budget. See "Retries" in docs/errors.md.
        max_rate_limit_retries: how often a call is retried after a rate limit (429, which
            was not processed), waiting as the server asks; a budget of its own (default 5,
            Gloo's guidance), beside ``max_retries``.
        retry_read_errors: also retry a POST such as a completion after it was sent but not
            answered in full (a read timeout, the connection dropped before or during the
            answer). Off by default: the server may have processed it, so a generation could
            run and be billed twice.
        allow_http: allow plain ``http://`` to a host other than this machine (refused by
            default: credentials would cross the network in the clear).
        default_headers: headers sent with every request.
        http_client: an `httpx.AsyncClient` to send through (for proxies, custom transports);
            AsyncGloo then does not close it.
        transport: the connection pool AsyncGloo builds and closes: ``"httpx"`` (the
            default; asyncio and trio, ``respx.mock`` intercepts it) or ``"aiohttp"``
            (asyncio only, ``pip install 'gloo-ai[aiohttp]'``); not with ``http_client``.
        refresh_buffer: refresh a token this many seconds before it expires (at most half of
            the token's lifetime).
        token_store: a `TokenStore` that shares the token with other clients, processes or
            hosts (`FileTokenStore` for one machine, `RedisTokenStore` for a fleet); the
            default keeps it in this client's memory. Unused with an API key.
        token_store_timeout: seconds each token-store call may take (default 5); a store
            that takes longer is bypassed for that call and the bypass logged.
        on_token_refresh: called with `token_metrics` after each fetch from the token
            endpoint, successful or not (for metrics); what it raises is logged and ignored.
        refresh_ahead: while the client is open as ``async with AsyncGloo(...) as client:``,
            fetch a token on entry and refresh it in the background at a random point
            before it expires, so that no request waits on a refresh and a fleet does not
            refresh in the same second; a failed refresh keeps the still-valid token and is
            retried with backoff. Enter and exit the client in the same task.
        catalog_ttl: seconds the model catalog (``client.models``) is cached before the next
            call fetches it again (default 10 minutes); shared with ``with_options`` copies.
        surface: which of Gloo's surfaces serves chat completions, grounded completions and
            the Responses API: ``"standard"`` (the default), ``"guarded"`` (guardrails always
            on) or ``"direct"`` (no guardrails or values layer); default ``GLOO_SURFACE``,
            else ``"standard"``. A call may pick another with ``surface=...``.
        max_response_bytes: the largest whole answer read (64 MiB), else
            `ResponseTooLargeError`; ``max_stream_line_bytes`` (4 MiB) and
            ``max_stream_event_bytes`` (8 MiB) cap a line and an event of a stream.
        instrument: OpenTelemetry spans and metrics (the ``otel`` extra): ``True``, an
            `Instrumentation`, ``False``, or ``None`` to follow `gloo_ai.instrument`.
    """

    def __init__(
        self,
        *args: Never,
        client_id: str | None = None,
        client_secret: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        token_url: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_rate_limit_retries: int = DEFAULT_MAX_RATE_LIMIT_RETRIES,
        retry_read_errors: bool = False,
        allow_http: bool = False,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: TransportName | None = None,
        refresh_buffer: float = DEFAULT_REFRESH_BUFFER,
        token_store: TokenStore | None = None,
        token_store_timeout: float = DEFAULT_TOKEN_STORE_TIMEOUT,
        on_token_refresh: Callable[[TokenMetrics], object] | None = None,
        refresh_ahead: bool = False,
        catalog_ttl: float = 600.0,
        surface: Surface | None = None,
        max_response_bytes: int = _limits.DEFAULT_MAX_RESPONSE_BYTES,
        max_stream_line_bytes: int = _limits.DEFAULT_MAX_LINE_BYTES,
        max_stream_event_bytes: int = _limits.DEFAULT_MAX_EVENT_BYTES,
        instrument: bool | Instrumentation | None = None,
        _clock: Clock | None = None,
    ) -> None:
        if args:
            raise ConfigurationError(KEYWORDS_ONLY)
        auto_setup()  # GLOO_LOG, once per process
        defaults = check_call_defaults(
            timeout=timeout,
            max_retries=max_retries,
            max_rate_limit_retries=max_rate_limit_retries,
            retry_read_errors=retry_read_errors,
        )
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise ConfigurationError(
                f"http_client must be an httpx.AsyncClient, not {type(http_client).__name__}."
            )
        check_client_arguments(
            refresh_buffer=refresh_buffer,
            token_store=token_store,
            on_token_refresh=on_token_refresh,
            catalog_ttl=catalog_ttl,
            token_store_timeout=token_store_timeout,
            flags={"allow_http": allow_http},
        )
        limits = _limits.BodyLimits.checked(
            max_response_bytes, max_stream_line_bytes, max_stream_event_bytes
        )
        chosen: Surface = (
            check_surface(surface, ConfigurationError)
            if surface is not None
            else surface_from_env() or "standard"
        )
        self.refresh_ahead = bool(refresh_ahead)
        self.base_url = validate_base_url(
            base_url or env_value(ENV_BASE_URL) or DEFAULT_BASE_URL, allow_http=allow_http
        )
        clock: Clock = _clock if _clock is not None else SystemClock()
        mode, first, second = pick_credentials(client_id, client_secret, api_key)
        self.auth_mode = mode
        self.token_url: str | None = None
        if mode == "client_credentials":
            self.token_url = validate_url(
                "token_url", token_url or f"{self.base_url}/oauth2/token", allow_http=allow_http
            )
        hooks = slot_for(instrument)
        state = HttpState(http_client, check_transport(transport, http_client))
        headers = {"User-Agent": USER_AGENT, **_checked_headers(default_headers)}
        sender = Transport(
            state,
            base_url=self.base_url,
            headers=headers,
            clock=clock,
            limits=limits,
            instrumentation=hooks,
            **defaults,
        )
        if mode == "api_key":
            state.auth = ApiKeyAuth(first)
        elif mode == "none":
            state.auth = NoCredentialsAuth()
        else:
            assert self.token_url is not None
            state.auth = ClientCredentialsAuth(
                first,
                second,
                self.token_url,
                send=sender.send_token_request,
                clock=clock,
                max_retries=defaults["max_retries"],
                refresh_buffer=float(refresh_buffer),
                user_agent=USER_AGENT,
                token_store=token_store,
                token_store_timeout=float(token_store_timeout),
                on_token_refresh=on_token_refresh,
                instrumentation=hooks,
            )
        from .resources._catalog import ModelCatalogCache

        self._setup(
            sender,
            SharedState(ModelCatalogCache(ttl=float(catalog_ttl), clock=clock)),
            chosen,
        )

    def _setup(self, transport: Transport, shared: SharedState, surface: Surface) -> None:
        """Attach the transport; resources are built from it on first use."""
        self._transport = transport
        self._requester = Requester(transport, shared, surface=surface)
        self._task_group: anyio.abc.TaskGroup | None = None

    def __repr__(self) -> str:
        transport = self.__dict__.get("_transport")
        if transport is None:  # a half-built client (its constructor raised)
            return "AsyncGloo(<not configured>)"
        auth = transport.state.auth
        who = f", client_id={auth.client_id!r}" if isinstance(auth, ClientCredentialsAuth) else ""
        surface = self.__dict__["_requester"].surface
        where = "" if surface == "standard" else f", surface={surface!r}"
        return f"AsyncGloo(base_url={self.base_url!r}, auth={self.auth_mode!r}{who}{where})"

    @property
    def surface(self) -> Surface:
        """The default surface of chat completions, grounded completions and responses."""
        return self._requester.surface

    @property
    def timeout(self) -> float | httpx.Timeout | None:
        """The default timeout of a call."""
        return self._transport.timeout

    @property
    def max_retries(self) -> int:
        """The default number of retries of errors of a call."""
        return self._transport.max_retries

    @property
    def max_rate_limit_retries(self) -> int:
        """The default number of retries of rate limits (429) of a call."""
        return self._transport.max_rate_limit_retries

    @property
    def is_closed(self) -> bool:
        """Whether `aclose` has closed the connection pool."""
        return self._transport.state.is_closed

    @property
    def token_metrics(self) -> TokenMetrics | None:
        """Counters of token refreshes (count, failures, latency, seconds to expiry).

        ``None`` with an API key, which needs no token.
        """
        auth = self._transport.state.auth
        return auth.metrics if isinstance(auth, ClientCredentialsAuth) else None

    @property
    def usage(self) -> UsageTotals:
        """The running token totals of this client's chat completions and responses (shared
        with its ``with_options`` copies); ``client.usage.estimated_cost(catalog)`` prices
        them."""
        from .types.usage import UsageTotals

        return self._requester.shared.get(UsageTotals)

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        max_rate_limit_retries: int | NotGiven = NOT_GIVEN,
        retry_read_errors: bool | NotGiven = NOT_GIVEN,
        default_headers: Mapping[str, str] | None = None,
        surface: Surface | NotGiven = NOT_GIVEN,
    ) -> AsyncGloo:
        """A new client with other defaults that shares this one's connection pool and token.

        Every resource of the copy (``copy.chat.completions`` and any other area) is built
        anew from the copy's settings. Closing either closes the shared pool.

        Args:
            timeout: the copy's default timeout.
            max_retries: the copy's default number of retries of errors.
            max_rate_limit_retries: the copy's default number of retries of rate limits.
            retry_read_errors: whether the copy retries a POST after a read error.
            default_headers: headers to add to (or override in) the copy's defaults.
            surface: the copy's default surface (``"standard"``, ``"guarded"``, ``"direct"``).
        """
        transport = self._transport
        clone = object.__new__(type(self))
        clone.__dict__.update(
            base_url=self.base_url,
            auth_mode=self.auth_mode,
            token_url=self.token_url,
            refresh_ahead=self.refresh_ahead,
        )
        changes = check_call_defaults(
            timeout=timeout,
            max_retries=max_retries,
            max_rate_limit_retries=max_rate_limit_retries,
            retry_read_errors=retry_read_errors,
        )
        headers = {**transport.headers, **_checked_headers(default_headers)}
        clone._setup(
            transport.copy(headers=headers, **changes),
            self._requester.shared,
            self.surface
            if isinstance(surface, NotGiven)
            else check_surface(surface, ConfigurationError),
        )
        return clone

    async def _access_token(self) -> str:
        """The bearer value this client sends: a fresh token, or the API key (for the CLI)."""
        auth = self._transport.state.auth
        if isinstance(auth, ClientCredentialsAuth):
            self._transport.state.http()  # bind to this event loop before taking the lock
            return (await auth.get_token()).value
        if isinstance(auth, NoCredentialsAuth):
            raise ConfigurationError(NO_CREDENTIALS)
        assert isinstance(auth, ApiKeyAuth)
        return auth._key

    async def aclose(self) -> None:
        """Close the connection pool (only if AsyncGloo created it)."""
        await self._transport.state.aclose()

    async def __aenter__(self) -> AsyncGloo:
        auth = self._transport.state.auth
        if self.refresh_ahead and isinstance(auth, ClientCredentialsAuth):
            if self._task_group is not None:
                raise RuntimeError("This AsyncGloo is already open as a context manager.")
            self._transport.state.http()  # bind to this event loop first
            task_group = anyio.create_task_group()
            await task_group.__aenter__()
            task_group.start_soon(auth.refresh_ahead, name="gloo-ai token refresh ahead")
            self._task_group = task_group
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        task_group, self._task_group = self._task_group, None
        try:
            if task_group is not None:
                task_group.cancel_scope.cancel()
                await task_group.__aexit__(None, None, None)
        finally:
            await self.aclose()
