"""`AsyncGloo`: settings (arguments, then the environment), the pool, the resources."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING

import anyio
import anyio.abc
import httpx

from ._auth import ApiKeyAuth, ClientCredentialsAuth, NoCredentialsAuth, TokenMetrics
from ._config import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_REFRESH_BUFFER,
    DEFAULT_TIMEOUT,
    NOT_GIVEN,
    Clock,
    NotGiven,
    SystemClock,
    check_max_retries,
    check_timeout,
)
from ._exceptions import ConfigurationError
from ._pool import HttpState, TransportName, check_transport
from ._requester import Requester, SharedState
from ._settings import (
    ENV_BASE_URL,
    NO_CREDENTIALS,
    env_value,
    pick_credentials,
    validate_base_url,
    validate_url,
)
from ._tokens import TokenStore
from ._transport import Transport
from ._verbs import GenericVerbs
from ._version import __version__

if TYPE_CHECKING:
    from typing_extensions import Never

    from .resources.chat import AsyncChat
    from .resources.chats import AsyncChats
    from .resources.ingestion import AsyncIngestion
    from .resources.items import AsyncItems
    from .resources.messages import AsyncMessages
    from .resources.models import AsyncModels
    from .resources.recommendations import AsyncRecommendations
    from .resources.search import AsyncSearch
    from .types.usage import UsageTotals

__all__ = ["AsyncGloo"]

USER_AGENT = f"gloo-ai-python/{__version__}"

_KEYWORDS_ONLY = (
    "AsyncGloo takes keyword arguments only: pass api_key=... for an API key, or "
    "client_id=... and client_secret=... for OAuth2 client credentials (or set them in the "
    "environment, GLOO_API_KEY or GLOO_CLIENT_ID and GLOO_CLIENT_SECRET)."
)


def _validate_timeout(timeout: object) -> float | httpx.Timeout | None:
    return check_timeout(timeout, ConfigurationError)


def _validate_max_retries(max_retries: object) -> int:
    return check_max_retries(max_retries, ConfigurationError)


class AsyncGloo(GenericVerbs):
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
        max_retries: how often a failed request is retried (connection errors, timeouts,
            408, 429, 5xx); 0 turns retries off.
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
        on_token_refresh: called with `token_metrics` after each fetch from the token
            endpoint, successful or not (for metrics); what it raises is logged and ignored.
        refresh_ahead: while the client is open as ``async with AsyncGloo(...) as client:``,
            fetch a token on entry and refresh it in the background at a random point
            before it expires, so that no request waits on a refresh and a fleet does not
            refresh in the same second; a failed refresh keeps the still-valid token and is
            retried with backoff. Enter and exit the client in the same task.
        catalog_ttl: seconds the model catalog (``client.models``) is cached before the next
            call fetches it again (default 10 minutes); shared with ``with_options`` copies.
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
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: TransportName | None = None,
        refresh_buffer: float = DEFAULT_REFRESH_BUFFER,
        token_store: TokenStore | None = None,
        on_token_refresh: Callable[[TokenMetrics], object] | None = None,
        refresh_ahead: bool = False,
        catalog_ttl: float = 600.0,
        _clock: Clock | None = None,
    ) -> None:
        if args:
            raise ConfigurationError(_KEYWORDS_ONLY)
        timeout = _validate_timeout(timeout)
        max_retries = _validate_max_retries(max_retries)
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise ConfigurationError(
                f"http_client must be an httpx.AsyncClient, not {type(http_client).__name__}."
            )
        if not isinstance(refresh_buffer, (int, float)) or refresh_buffer < 0:
            raise ConfigurationError(
                f"refresh_buffer must be seconds >= 0, not {refresh_buffer!r}."
            )
        if token_store is not None and not isinstance(token_store, TokenStore):
            raise ConfigurationError(
                "token_store must be a TokenStore (with async get, set and delete, and lock), "
                f"such as FileTokenStore or RedisTokenStore; not {type(token_store).__name__}."
            )
        if on_token_refresh is not None and not callable(on_token_refresh):
            raise ConfigurationError("on_token_refresh must be callable.")
        if (
            isinstance(catalog_ttl, bool)
            or not isinstance(catalog_ttl, (int, float))
            or not catalog_ttl >= 0
        ):
            raise ConfigurationError(f"catalog_ttl must be seconds >= 0, not {catalog_ttl!r}.")
        self.refresh_ahead = bool(refresh_ahead)
        self.base_url = validate_base_url(base_url or env_value(ENV_BASE_URL) or DEFAULT_BASE_URL)
        clock: Clock = _clock if _clock is not None else SystemClock()
        mode, first, second = pick_credentials(client_id, client_secret, api_key)
        self.auth_mode = mode
        self.token_url: str | None = None
        if mode == "client_credentials":
            self.token_url = validate_url("token_url", token_url or f"{self.base_url}/oauth2/token")
        state = HttpState(http_client, check_transport(transport, http_client))
        headers = {"User-Agent": USER_AGENT}
        if default_headers:
            headers.update(default_headers)
        sender = Transport(
            state,
            base_url=self.base_url,
            timeout=timeout,
            max_retries=max_retries,
            headers=headers,
            clock=clock,
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
                max_retries=max_retries,
                refresh_buffer=float(refresh_buffer),
                user_agent=USER_AGENT,
                token_store=token_store,
                on_token_refresh=on_token_refresh,
            )
        from .resources._catalog import ModelCatalogCache

        self._setup(sender, SharedState(ModelCatalogCache(ttl=float(catalog_ttl), clock=clock)))

    def _setup(self, transport: Transport, shared: SharedState) -> None:
        """Attach the transport; resources are built from it on first use."""
        self._transport = transport
        self._requester = Requester(transport, shared)
        self._task_group: anyio.abc.TaskGroup | None = None

    def __repr__(self) -> str:
        transport = self.__dict__.get("_transport")
        if transport is None:  # a half-built client (its constructor raised)
            return "AsyncGloo(<not configured>)"
        auth = transport.state.auth
        who = f", client_id={auth.client_id!r}" if isinstance(auth, ClientCredentialsAuth) else ""
        return f"AsyncGloo(base_url={self.base_url!r}, auth={self.auth_mode!r}{who})"

    @property
    def timeout(self) -> float | httpx.Timeout | None:
        """The default timeout of a call."""
        return self._transport.timeout

    @property
    def max_retries(self) -> int:
        """The default number of retries of a call."""
        return self._transport.max_retries

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

    @cached_property
    def chat(self) -> AsyncChat:
        """Chat completions: ``client.chat.completions.create(...)``."""
        from .resources.chat import AsyncChat

        return AsyncChat(self._requester)

    @cached_property
    def items(self) -> AsyncItems:
        """The data engine's items: ``client.items.list(publisher_id)``, ``retrieve``,
        ``update``, ``bulk_update``, ``delete_permanently``."""
        from .resources.items import AsyncItems

        return AsyncItems(self._requester)

    @cached_property
    def ingestion(self) -> AsyncIngestion:
        """Ingestion: ``client.ingestion.upload_files(...)``, ``wait_until_processed``,
        ``upload_text`` (legacy)."""
        from .resources.ingestion import AsyncIngestion

        return AsyncIngestion(self._requester)

    @cached_property
    def models(self) -> AsyncModels:
        """The model catalog (public, cached): ``await client.models.list()``."""
        from .resources.models import AsyncModels

        return AsyncModels(self._requester)

    @cached_property
    def search(self) -> AsyncSearch:
        """Semantic search of publisher content: ``await client.search.query(...)``."""
        from .resources.search import AsyncSearch

        return AsyncSearch(self._requester)

    @cached_property
    def recommendations(self) -> AsyncRecommendations:
        """Item recommendations: ``client.recommendations.base(...)``, ``verbose``,
        ``affiliates``."""
        from .resources.recommendations import AsyncRecommendations

        return AsyncRecommendations(self._requester)

    @cached_property
    def messages(self) -> AsyncMessages:
        """The deprecated stateful chat API's messages: ``client.messages.send(...)``."""
        from .resources.messages import AsyncMessages

        return AsyncMessages(self._requester)

    @cached_property
    def chats(self) -> AsyncChats:
        """The deprecated stateful chat API's chats: ``client.chats.retrieve(chat_id)``."""
        from .resources.chats import AsyncChats

        return AsyncChats(self._requester)

    @property
    def usage(self) -> UsageTotals:
        """The running token totals of this client's chat completions (shared with its
        ``with_options`` copies); ``client.usage.estimated_cost(catalog)`` prices them."""
        from .types.usage import UsageTotals

        return self._requester.shared.get(UsageTotals)

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        default_headers: Mapping[str, str] | None = None,
    ) -> AsyncGloo:
        """A new client with other defaults that shares this one's connection pool and token.

        Every resource of the copy (``copy.chat.completions`` and any other area) is built
        anew from the copy's settings. Closing either closes the shared pool.

        Args:
            timeout: the copy's default timeout.
            max_retries: the copy's default number of retries.
            default_headers: headers to add to (or override in) the copy's defaults.
        """
        transport = self._transport
        clone = object.__new__(type(self))
        clone.__dict__.update(
            base_url=self.base_url,
            auth_mode=self.auth_mode,
            token_url=self.token_url,
            refresh_ahead=self.refresh_ahead,
        )
        clone._setup(
            Transport(
                transport.state,
                base_url=transport.base_url,
                timeout=transport.timeout
                if isinstance(timeout, NotGiven)
                else _validate_timeout(timeout),
                max_retries=transport.max_retries
                if isinstance(max_retries, NotGiven)
                else _validate_max_retries(max_retries),
                headers={**transport.headers, **(default_headers or {})},
                clock=transport.clock,
            ),
            self._requester.shared,
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
